"""The one error type the CLI turns into a readable one-line message (no traceback)."""


class MapBuildError(Exception):
    """Bad input or parameters: the message is shown to the user as is."""
