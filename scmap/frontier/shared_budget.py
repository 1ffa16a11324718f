"""One request budget for the whole crawl, kept in Redis: for nodes that share one address.

By default each node paces itself: its api-v2 download slot (DOWNLOAD_DELAY, AutoThrottle).
Nodes behind one address (one NAT, one proxy) would together go N times over the site's limit;
with SCMAP_SHARED_REQUEST_BUDGET this budget (scmap.transport.middlewares.SharedBudgetMiddleware)
spreads one rate, 1 / DOWNLOAD_DELAY per second (each gap jittered by DOWNLOAD_DELAY_JITTER),
over all of them: each api-v2 call takes the next free slot from one Redis key, and a 429's pause
(Retry-After) holds every node. A pause is kept locally at once and written to Redis for the
other nodes, whose next acquisition honours it.

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
from scmap.setting_values import float_setting

logger = logging.getLogger("scmap.frontier")

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
class SharedBudgetStats:
    requests: int = 0  # acquisitions (= api-v2 calls sent)
    waits: int = 0  # acquisitions that had to wait
    waited_seconds: float = 0.0
    pauses: int = 0  # 429 pauses started or extended by this node
    fallbacks: int = 0  # acquisitions paced locally because Redis did not answer


class SharedRequestBudget:
    """`rate` acquisitions per second for every node using the same Redis URL and prefix."""

    def __init__(self, url: str, rate: float, jitter: float = 0.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, rng: random.Random | None = None,
                 client: redis.asyncio.Redis | None = None) -> None:
        if rate <= 0 or not 0 <= jitter < 1:
            raise ValueError(f"bad shared request budget: rate {rate!r}/s, jitter {jitter!r} "
                             "(a shared budget needs a rate: DOWNLOAD_DELAY > 0)")
        self.rate, self.jitter = float(rate), float(jitter)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._next_slot = 0.0
        self._paused_until = 0.0
        install_log_masking()
        target = parse_redis_url(url)
        self.url = mask_store_url(url)
        self._redis = client or redis.asyncio.Redis.from_url(
            target.connection_url, decode_responses=True, socket_connect_timeout=5, socket_timeout=5,
            **target.connection_kwargs())
        p = "{" + target.key_prefix + "}"
        self._keys = {"slot": f"{p}:budget:next_slot", "paused": f"{p}:budget:paused_until"}
        self._take = self._redis.register_script(TAKE_SLOT)
        self._pause = self._redis.register_script(PAUSE)
        self._paused_for = self._redis.register_script(PAUSED_FOR)
        self._redis_down = False
        self._published: set[asyncio.Task[Any]] = set()
        self.stats: SharedBudgetStats = SharedBudgetStats()

    def _gap(self) -> float:
        base = 1.0 / self.rate
        return base * (1.0 + self.jitter * (2.0 * self._rng.random() - 1.0))

    @property
    def paused_for(self) -> float:
        """Seconds left in this node's own pause (0 when not paused)."""
        return max(0.0, self._paused_until - time.monotonic())

    def describe(self) -> str:
        return f"{self.rate:g} req/s for the whole crawl (Redis {self.url})" + (
            f" ±{self.jitter:.0%}" if self.jitter else "")

    async def acquire(self) -> float:
        """Wait out this node's own pause, then for this request's crawl-wide turn (which
        honours every node's pause); returns the seconds waited."""
        waited = 0.0
        while self.paused_for > 0:
            delay = self.paused_for
            await self._sleep(delay)
            waited += delay
        try:
            wait = float(await self._take(keys=[self._keys["slot"], self._keys["paused"]], args=[repr(self._gap())]))
            if self._redis_down:
                logger.warning("shared request budget: Redis answers again")
                self._redis_down = False
        except (redis.ConnectionError, redis.TimeoutError) as error:
            wait = self._local_wait(error)
        if wait > 0:
            await self._sleep(wait)
            waited += wait
        self.stats.requests += 1
        if waited > 0:
            self.stats.waits += 1
            self.stats.waited_seconds += waited
        return waited

    def _local_wait(self, error: BaseException) -> float:
        if not self._redis_down:
            logger.warning("shared request budget: Redis unreachable (%s); pacing this node alone",
                           mask_store_url(str(error)))
            self._redis_down = True
        self.stats.fallbacks += 1
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._gap()
        return slot - now

    def pause(self, seconds: float, reason: str = "429") -> float:
        """Hold this node at once and every other node from its next acquisition (the pause is
        written to Redis in the background; `flush()` awaits it). Returns the pause left here."""
        until = time.monotonic() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            self.stats.pauses += 1
            logger.warning("shared request budget: every node pauses %.1f s (%s)", seconds, reason)
        left = self.paused_for
        try:
            task = asyncio.get_running_loop().create_task(self._publish_pause(seconds))
        except RuntimeError:  # no running loop (a caller outside the crawl): local only
            return left
        self._published.add(task)
        task.add_done_callback(self._published.discard)
        return left

    async def _publish_pause(self, seconds: float) -> None:
        try:
            await self._pause(keys=[self._keys["paused"]], args=[repr(max(0.0, seconds))])
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self._local_wait(error)  # the other nodes will not know; this node still waits

    async def flush(self) -> None:
        """Wait until every pause this node started is written to Redis."""
        if self._published:
            await asyncio.gather(*self._published, return_exceptions=True)

    async def crawl_paused_for(self) -> float:
        """Seconds left in the crawl-wide pause in Redis (0 when not paused)."""
        return float(await self._paused_for(keys=[self._keys["paused"]]))

    async def close(self) -> None:
        await self.flush()
        await self._redis.aclose()


def shared_budget_from_settings(settings: Any, url: str) -> SharedRequestBudget:
    """The crawl-wide budget on the frontier's Redis (`url`): 1 / DOWNLOAD_DELAY calls per
    second, each gap jittered by DOWNLOAD_DELAY_JITTER (Scrapy's own meaning: ±50 % = 0.5)."""
    delay = float_setting(settings, "DOWNLOAD_DELAY")
    return SharedRequestBudget(url, rate=1.0 / delay if delay > 0 else 0.0,
                               jitter=float_setting(settings, "DOWNLOAD_DELAY_JITTER"))
