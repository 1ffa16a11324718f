"""One request budget for the whole crawl, kept in Redis: for nodes that share one address.

By default each node paces itself (its own address, its own budget: scmap/pacing.py's
process-wide `RequestBudget`). Nodes behind one address (one NAT, one proxy) would together
go N times over the site's limit; this budget spreads the same rate over all of them: each
acquisition takes the next free slot from one Redis key, and a 429's pause (Retry-After) holds
every node. Same shape as pacing.RequestBudget (`acquire()`, `pause()`, `paused_for`,
`describe()`, `stats`), so the crawler can use either.

    budget = SharedRequestBudget("redis://...?prefix=crawl-1", rate=1.0)
    waited = await budget.acquire()

Slots come from the Redis server's clock (TIME), so node clocks may differ. If Redis does not
answer, a node falls back to pacing itself at the full rate (logged once per outage): slower
than the shared rate would allow is impossible, faster only while Redis is away.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import redis
import redis.asyncio

from scmap.frontier.store_url import install_log_masking, mask_store_url, parse_redis_url

logger = logging.getLogger("scmap.frontier")

DEFAULT_REQUESTS_PER_SECOND = 1.0
DEFAULT_JITTER = 0.5

# KEYS: next slot, paused until. ARGV: gap seconds. Returns the wait (seconds, as text).
TAKE_SLOT = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'EX', 3600)
return tostring(slot - now)
"""

# KEYS: paused until. ARGV: seconds. Extends, never shortens. Returns the pause left (text).
PAUSE = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(until_), 'EX', 3600)
return tostring(until_ - now)
"""

# KEYS: paused until. Returns the pause left (text).
PAUSED_FOR = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
return tostring(math.max(0, tonumber(redis.call('GET', KEYS[1]) or '0') - now))
"""


@dataclass
class BudgetStats:
    requests: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    pauses: int = 0
    paused_seconds: float = 0.0
    fallbacks: int = 0  # acquisitions paced locally because Redis did not answer


class SharedRequestBudget:
    """`rate` acquisitions per second for every node using the same Redis URL and prefix."""

    def __init__(self, url: str, rate: float = DEFAULT_REQUESTS_PER_SECOND, jitter: float = DEFAULT_JITTER,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, rng: random.Random | None = None,
                 client: redis.asyncio.Redis | None = None) -> None:
        if rate <= 0 or not 0 <= jitter < 1:
            raise ValueError(f"bad shared request budget: rate {rate!r}/s, jitter {jitter!r}")
        install_log_masking()
        target = parse_redis_url(url)
        self.url = mask_store_url(url)
        self.rate, self.jitter = float(rate), float(jitter)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._redis = client or redis.asyncio.Redis.from_url(
            target.connection_url, decode_responses=True, socket_connect_timeout=5, socket_timeout=5,
            **target.connection_kwargs())
        p = "{" + target.key_prefix + "}"
        self._keys = {"slot": f"{p}:budget:next_slot", "paused": f"{p}:budget:paused_until"}
        self._take = self._redis.register_script(TAKE_SLOT)
        self._pause = self._redis.register_script(PAUSE)
        self._paused_for = self._redis.register_script(PAUSED_FOR)
        self._local_next = 0.0
        self._redis_down = False
        self._last_pause_seen = 0.0
        self.stats = BudgetStats()

    def describe(self) -> str:
        return f"{self.rate:g} req/s for the whole crawl (Redis {self.url})" + (
            f" ±{self.jitter:.0%}" if self.jitter else "")

    def _gap(self) -> float:
        base = 1.0 / self.rate
        return base * (1.0 + self.jitter * (2.0 * self._rng.random() - 1.0)) if self.jitter else base

    async def acquire(self) -> float:
        """Wait for this request's crawl-wide turn; returns the seconds waited."""
        try:
            wait = float(await self._take(keys=[self._keys["slot"], self._keys["paused"]], args=[repr(self._gap())]))
            if self._redis_down:
                logger.warning("shared request budget: Redis answers again")
                self._redis_down = False
        except (redis.ConnectionError, redis.TimeoutError) as error:
            wait = self._local_wait(error)
        if wait > 0:
            await self._sleep(wait)
            self.stats.waits += 1
            self.stats.waited_seconds += wait
        self.stats.requests += 1
        return max(0.0, wait)

    def _local_wait(self, error: BaseException) -> float:
        if not self._redis_down:
            logger.warning("shared request budget: Redis unreachable (%s); pacing this node alone",
                           mask_store_url(str(error)))
            self._redis_down = True
        self.stats.fallbacks += 1
        now = time.monotonic()
        slot = max(now, self._local_next)
        self._local_next = slot + self._gap()
        return slot - now

    async def pause(self, seconds: float, reason: str = "429") -> float:
        """Hold every node's acquisitions for `seconds` from now (extends, never shortens).
        (A coroutine, unlike pacing.RequestBudget.pause: the pause is written to Redis.)"""
        try:
            left = float(await self._pause(keys=[self._keys["paused"]], args=[repr(max(0.0, seconds))]))
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self._local_next = max(self._local_next, time.monotonic() + seconds)
            self._local_wait(error)
            return seconds
        self.stats.pauses += 1
        self.stats.paused_seconds += seconds
        logger.warning("shared request budget: every node pauses %.1f s (%s)", left, reason)
        return left

    async def paused_for(self) -> float:
        """Seconds left in the crawl-wide pause (0 when not paused)."""
        return float(await self._paused_for(keys=[self._keys["paused"]]))

    async def close(self) -> None:
        await self._redis.aclose()


def shared_budget_from_settings(settings: Any, url: str) -> SharedRequestBudget:
    """The crawl-wide budget on the frontier's Redis (`url`), at the process budget's rate
    settings (SCMAP_REQUESTS_PER_SECOND, SCMAP_REQUEST_JITTER: scmap/pacing.py)."""
    return SharedRequestBudget(url, rate=settings.getfloat("SCMAP_REQUESTS_PER_SECOND", DEFAULT_REQUESTS_PER_SECOND),
                               jitter=settings.getfloat("SCMAP_REQUEST_JITTER", DEFAULT_JITTER))
