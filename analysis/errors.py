"""The one error type the CLI turns into a readable one-line message (no traceback)."""


class MapBuildError(Exception):
    """Bad input or parameters: the message is shown to the user as is."""


class TooFewAccounts(MapBuildError):
    """A matrix filter left fewer accounts than a map needs; ``steps`` = rows after each step so
    far (a time slice that is too thin is skipped and reported with them)."""

    def __init__(self, message: str, steps: list[dict]) -> None:
        super().__init__(message)
        self.steps = steps
