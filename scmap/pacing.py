"""One request budget per crawl process: every api-v2 call waits its turn here.

Requests made inside a page (`fetch()` in page.evaluate) bypass Scrapy's downloader, so
DOWNLOAD_DELAY and AutoThrottle do not pace them. This budget does: a steady rate (requests
per second, each gap jittered), shared by every spider and page of the process, and a 429's
Retry-After pauses ALL of them, not only the page that got it.

    budget = process_budget(settings)       # the same object for every spider of the process
    waited = await budget.acquire()         # before each api-v2 request
    budget.pause(retry_after, "429")        # on a 429: everyone waits

Settings: SCMAP_REQUESTS_PER_SECOND (0 = no rate; the local sandbox), SCMAP_REQUEST_JITTER
(0.5 = each gap drawn in [0.5, 1.5] x 1/rate), SCMAP_SHARED_REQUEST_BUDGET (one budget for every
node of the crawl, kept in the frontier's Redis: scmap/frontier/shared_budget.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from scmap import settings as project_settings
from scmap.setting_values import float_setting

logger = logging.getLogger(__name__)

DEFAULT_REQUESTS_PER_SECOND: float = project_settings.SCMAP_REQUESTS_PER_SECOND
DEFAULT_JITTER: float = project_settings.SCMAP_REQUEST_JITTER
DEFAULT_MAX_PAUSE: float = project_settings.SCMAP_MAX_RETRY_AFTER


@dataclass
class BudgetStats:
    requests: int = 0  # acquisitions (= api-v2 requests sent)
    waits: int = 0  # acquisitions that had to wait (rate or pause)
    waited_seconds: float = 0.0  # summed over acquisitions (concurrent waits add up)
    pauses: int = 0  # 429 pauses started or extended
    paused_seconds: float = 0.0  # wall time covered by pauses


class RequestBudget:
    """A paced gate: `rate` acquisitions per second (0 = unpaced) with jittered gaps, and a
    process-wide pause that every waiting and future acquisition honours."""

    def __init__(self, rate: float = DEFAULT_REQUESTS_PER_SECOND, jitter: float = DEFAULT_JITTER,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rng: random.Random | None = None, max_pause: float = DEFAULT_MAX_PAUSE) -> None:
        if rate < 0 or not 0 <= jitter < 1:
            raise ValueError(f"bad request budget: rate {rate!r}/s, jitter {jitter!r}")
        self.rate = float(rate)
        self.jitter = float(jitter)
        self.max_pause = float(max_pause)  # cap on an honoured Retry-After
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self.stats = BudgetStats()

    def describe(self) -> str:
        if self.rate <= 0:
            return "off"
        return f"{self.rate:g} req/s" + (f" ±{self.jitter:.0%}" if self.jitter else "")

    def _gap(self) -> float:
        base = 1.0 / self.rate
        return base * (1.0 + self.jitter * (2.0 * self._rng.random() - 1.0)) if self.jitter else base

    @property
    def paused_for(self) -> float:
        """Seconds left in the current pause (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    async def acquire(self) -> float:
        """Wait for this request's turn; returns the seconds waited."""
        waited = 0.0
        while True:
            now = self._clock()
            if self._paused_until > now:
                delay = self._paused_until - now
                await self._sleep(delay)
                waited += delay
                continue
            if self.rate <= 0:
                break
            start = max(now, self._next_slot)
            self._next_slot = start + self._gap()
            if start <= now:
                break
            await self._sleep(start - now)
            waited += start - now
            if self._paused_until <= self._clock():
                break
            # A 429 arrived while we waited for our slot: wait out the pause, then a new slot.
        self.stats.requests += 1
        if waited > 0:
            self.stats.waits += 1
            self.stats.waited_seconds += waited
        return waited

    def pause(self, seconds: float, reason: str = "429") -> float:
        """Hold every acquisition of the process for `seconds` from now (extends, never shortens)."""
        now = self._clock()
        until = now + max(0.0, seconds)
        if until <= self._paused_until:
            return self._paused_until - now
        self.stats.pauses += 1
        self.stats.paused_seconds += until - max(now, self._paused_until)
        self._paused_until = until
        logger.warning("request budget: every page pauses %.1f s (%s)", seconds, reason)
        return seconds


_PROCESS_BUDGET: RequestBudget | None = None


def budget_from_settings(settings: Any) -> RequestBudget:
    return RequestBudget(
        rate=float_setting(settings, "SCMAP_REQUESTS_PER_SECOND"),
        jitter=float_setting(settings, "SCMAP_REQUEST_JITTER"),
        max_pause=float_setting(settings, "SCMAP_MAX_RETRY_AFTER"))


def process_budget(settings: Any, store_url: str | None = None) -> RequestBudget:
    """The budget of this process, made from the first settings that ask (all spiders of one
    `python -m scmap.crawl` share it). With SCMAP_SHARED_REQUEST_BUDGET, the crawl-wide one in
    the frontier's Redis, `store_url` (contract.store_url: `-a frontier_url` or FRONTIER_URL;
    preflight refuses a store that is not Redis)."""
    global _PROCESS_BUDGET
    if _PROCESS_BUDGET is None:
        if settings.getbool("SCMAP_SHARED_REQUEST_BUDGET"):
            from scmap.frontier.shared_budget import shared_budget_from_settings  # needs redis

            _PROCESS_BUDGET = shared_budget_from_settings(settings, store_url or settings.get("FRONTIER_URL"))
        else:
            _PROCESS_BUDGET = budget_from_settings(settings)
        logger.info("request budget of this process: %s", _PROCESS_BUDGET.describe())
    return _PROCESS_BUDGET


def current_budget() -> RequestBudget | None:
    """The process budget if a crawl made one (code without settings at hand asks here)."""
    return _PROCESS_BUDGET


def reset_process_budget() -> None:
    """Tests only: forget the process budget."""
    global _PROCESS_BUDGET
    _PROCESS_BUDGET = None


def retry_after_seconds(header: Any, attempt: int, cap: float) -> float:
    """A Retry-After header (seconds) as a wait, else exponential; between 0.5 s and `cap`."""
    try:
        seconds = float(header)
    except (TypeError, ValueError):
        seconds = 2.0 ** attempt
    return max(0.5, min(seconds, cap))
