"""Stage timings and progress log lines (stderr), collected for report.json."""

from __future__ import annotations

import logging
import resource
import sys
import time
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger("analysis")


def peak_rss_mib() -> int:
    """This process's peak resident memory so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak / (1024 * 1024 if sys.platform == "darwin" else 1024))


class StageTimer:
    """Times named stages; each start/end is logged so long runs show progress."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        # CPU seconds of the whole process (all threads) per stage: unlike wall time, barely
        # moved by other jobs on a shared machine; CPU / wall shows how many cores a stage used.
        self.cpu_seconds: dict[str, float] = {}
        self.peak_rss_mib: dict[str, int] = {}  # process peak so far, at the end of each stage
        self._started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s ...", name)
        begin, cpu_begin = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - begin
            self.seconds[name] = round(elapsed, 3)
            self.cpu_seconds[name] = round(time.process_time() - cpu_begin, 3)
            self.peak_rss_mib[name] = peak_rss_mib()
            log.info("%s done in %.1f s, %.1f s CPU (total %.1f s, peak RSS %d MiB)", name, elapsed,
                     self.cpu_seconds[name], self.total(), self.peak_rss_mib[name])

    def total(self) -> float:
        return time.perf_counter() - self._started
