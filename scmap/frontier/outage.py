"""A shared store (Redis) that stops answering mid-crawl: pause, probe, go on, or stop cleanly.

While the store is down the scheduler claims nothing, keeps finished accounts in memory (they
are recorded once it answers again) and asks it again every `probe_seconds`. Leases are far
longer than the outage allowed (FRONTIER_LEASE_SECONDS 300 vs FRONTIER_STORE_OUTAGE_SECONDS
60), so no other node takes this node's accounts meanwhile: nothing is lost or crawled twice.
Past `limit_seconds` the crawl stops with one clear line; the next run resumes from the store.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from scmap.frontier.store_url import mask_store_url

logger = logging.getLogger("scmap.frontier")


class StoreOutage:
    def __init__(self, limit_seconds: float, probe_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit_seconds = limit_seconds
        self.probe_seconds = probe_seconds
        self._clock = clock
        self.down_since: float | None = None
        self._next_probe = 0.0
        self.outages = 0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def may_call(self) -> bool:
        """False between probes while the store is down (a call would only fail again)."""
        return self.down_since is None or self._clock() >= self._next_probe

    def failed(self, error: BaseException, store: object) -> None:
        now = self._clock()
        self._next_probe = now + self.probe_seconds
        if self.down_since is None:
            self.down_since = now
            self.outages += 1
            logger.warning("frontier store %s unreachable (%s): pausing, retrying for up to %.0f s",
                           mask_store_url(str(store)), mask_store_url(str(error).splitlines()[0] if str(error)
                                                                      else type(error).__name__),
                           self.limit_seconds)

    def answered(self) -> None:
        if self.down_since is not None:
            logger.warning("frontier store back after %.1f s: crawling on", self._clock() - self.down_since)
            self.down_since = None

    def exceeded(self) -> bool:
        return self.down_since is not None and self._clock() - self.down_since > self.limit_seconds

    def stop_message(self, store: object) -> str:
        return (f"frontier store {mask_store_url(str(store))} unreachable for more than"
                f" {self.limit_seconds:.0f} s: crawl stopped; run the same command again once it is back"
                " (FRONTIER_STORE_OUTAGE_SECONDS sets the wait)")
