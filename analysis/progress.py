"""Stage timings and progress log lines (stderr), collected for report.json."""

from __future__ import annotations

import logging
import os
import resource
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from analysis.memory import give_back_freed_memory

log = logging.getLogger("analysis")


def peak_rss_mib() -> int:
    """This process's peak resident memory so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak / (1024 * 1024 if sys.platform == "darwin" else 1024))


def current_rss_mib() -> int | None:
    """This process's resident memory now (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return None


class _RssSampler:
    """The largest resident memory seen since ``reset()``, sampled every ``interval`` seconds in a
    daemon thread: a stage's own peak, which the process-wide ru_maxrss hides once an earlier
    stage went higher."""

    def __init__(self, interval: float = 0.2) -> None:
        self.peak = current_rss_mib() or 0
        self._interval = interval
        threading.Thread(target=self._run, daemon=True, name="rss-sampler").start()

    def _run(self) -> None:
        while True:
            rss = current_rss_mib()
            if rss is None:
                return
            self.peak = max(self.peak, rss)
            time.sleep(self._interval)

    def reset(self) -> None:
        self.peak = current_rss_mib() or 0


class StageTimer:
    """Times named stages; each start/end is logged so long runs show progress."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        # CPU seconds of the whole process (all threads) per stage: unlike wall time, barely
        # moved by other jobs on a shared machine; CPU / wall shows how many cores a stage used.
        self.cpu_seconds: dict[str, float] = {}
        self.peak_rss_mib: dict[str, int] = {}  # process peak so far, at the end of each stage
        self.stage_peak_rss_mib: dict[str, int] = {}  # the peak within each stage (sampled)
        self._sampler = _RssSampler()
        self._started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s ...", name)
        begin, cpu_begin = time.perf_counter(), time.process_time()
        self._sampler.reset()
        try:
            yield
        finally:
            give_back_freed_memory()  # what the stage freed must not count against the next ones
            elapsed = time.perf_counter() - begin
            self.seconds[name] = round(elapsed, 3)
            self.cpu_seconds[name] = round(time.process_time() - cpu_begin, 3)
            self.peak_rss_mib[name] = peak_rss_mib()
            self.stage_peak_rss_mib[name] = max(self._sampler.peak, current_rss_mib() or 0)
            log.info("%s done in %.1f s, %.1f s CPU (total %.1f s, peak RSS %d MiB, in this stage %d MiB)", name,
                     elapsed, self.cpu_seconds[name], self.total(), self.peak_rss_mib[name],
                     self.stage_peak_rss_mib[name])

    def total(self) -> float:
        return time.perf_counter() - self._started
