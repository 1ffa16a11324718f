"""Stage timings and progress log lines (stderr), collected for report.json."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger("analysis")


class StageTimer:
    """Times named stages; each start/end is logged so long runs show progress."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s ...", name)
        begin = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - begin
            self.seconds[name] = round(elapsed, 3)
            log.info("%s done in %.1f s (total %.1f s)", name, elapsed, self.total())

    def total(self) -> float:
        return time.perf_counter() - self._started
