"""Fault injection for the sandbox (all off by default), repeatable through a fault seed.

Each random decision is drawn from sha256(seed, fault, request key, n) where the request key is
the URL without client_id/app_version/app_locale and n counts earlier requests for that key.
So the same sequence of requests gets the same faults whatever the interleaving, and a retry
of a faulted URL draws again (it may pass). Every fault served is counted in `stats`, exposed
at GET /__sandbox/stats so tests can assert that a fault really happened.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import math
import re
import time
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web

API_PREFIX = "/api-v2/"
IGNORED_PARAMS = {"client_id", "app_version", "app_locale"}
RATE_WINDOW_SECONDS = 60.0
RETRY_AFTER_GRACE_SECONDS = 1.0  # requests already on their way when a 429 went out (busy 2-core CI)
_CHROME_UA = re.compile(r"\bChrome/(\d+)\.")
_CLIENT_HINTS = ("sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform")


@dataclass(frozen=True)
class FaultConfig:
    seed: int = 0
    latency_ms: int = 0  # per request, jittered in [0.5, 1.5] x
    rate_limit: int = 0  # api requests allowed per rate window, 0 = unlimited
    rate_window: float = RATE_WINDOW_SECONDS  # seconds (a short window makes a 429 storm)
    error_rate: float = 0.0  # share of api requests answered 502/503
    truncate_rate: float = 0.0  # share of api 200 bodies cut short (status stays 200)
    empty_page_rate: float = 0.0  # share of list pages served empty with a next_href
    stall_after: int | None = None  # list page stall_after+1 (1-based) never answers in time
    stall_seconds: float = 600.0


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("faults (all off by default)")
    group.add_argument("--fault-seed", type=int, default=0, help="seed of every fault decision")
    group.add_argument("--latency-ms", type=int, default=0, help="per-request latency (seeded jitter)")
    group.add_argument("--rate-limit", type=int, default=0, help="429 after N api requests within the rate window")
    group.add_argument("--rate-window", type=float, default=RATE_WINDOW_SECONDS, help="rate window in seconds (default 60)")
    group.add_argument("--error-rate", type=float, default=0.0, help="share of api requests answered 502/503")
    group.add_argument("--truncate-rate", type=float, default=0.0, help="share of api JSON bodies truncated (200)")
    group.add_argument("--empty-page-rate", type=float, default=0.0, help="share of list pages served empty (next_href kept)")
    group.add_argument("--stall-after", type=int, default=None, help="list pages after the Nth hang")
    group.add_argument("--stall-seconds", type=float, default=600.0, help="how long a stalled request hangs")


def fault_config_from_args(args: argparse.Namespace) -> FaultConfig:
    return FaultConfig(
        seed=args.fault_seed, latency_ms=args.latency_ms, rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        error_rate=args.error_rate, truncate_rate=args.truncate_rate,
        empty_page_rate=args.empty_page_rate, stall_after=args.stall_after,
        stall_seconds=args.stall_seconds,
    )


def request_key(request: web.Request) -> str:
    params = sorted((k, v) for k, v in request.query.items() if k not in IGNORED_PARAMS)
    return request.path + "?" + "&".join(f"{k}={v}" for k, v in params)


def chrome_identity(headers: Any) -> list[str]:
    """Which of Chrome's marks an api request carried (counted in stats): a Chrome user agent
    (not HeadlessChrome), and the three client hints naming the same version (Chrome and
    Chromium both list the "Chromium" brand)."""
    ua = _CHROME_UA.search(headers.get("User-Agent", ""))
    if ua is None or "HeadlessChrome" in headers.get("User-Agent", ""):
        return []
    hints = all(headers.get(name) for name in _CLIENT_HINTS) and \
        f'"Chromium";v="{ua.group(1)}"' in headers.get("sec-ch-ua", "")
    return ["api_requests_chrome_ua"] + (["api_requests_chrome_client_hints"] if hints else [])


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.stats: collections.Counter[str] = collections.Counter()
        self._seen: collections.Counter[str] = collections.Counter()
        self._allowed_times: collections.deque[float] = collections.deque()
        self._limited_since = 0.0  # when the current Retry-After was announced
        self._limited_until = 0.0  # ... and until when it asked clients to wait

    # -- seeded draws --------------------------------------------------------------------
    def _draw(self, request: web.Request, fault: str) -> float:
        """A uniform number in [0, 1) fixed by (seed, fault, request key, occurrence)."""
        text = f"{self.config.seed}|{fault}|{request.get('fault_key')}|{request.get('fault_occurrence')}"
        digest = hashlib.sha256(text.encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _hit(self, request: web.Request, fault: str, rate: float) -> bool:
        return rate > 0 and self._draw(request, fault) < rate

    # -- hooks used by the API handlers --------------------------------------------------
    def empty_page(self, request: web.Request) -> bool:
        if self._hit(request, "empty_page", self.config.empty_page_rate):
            self.stats["empty_pages"] += 1
            return True
        return False

    async def maybe_stall(self, request: web.Request, page_number: int) -> None:
        stall_after = self.config.stall_after
        if stall_after is None or page_number < stall_after:
            return
        self.stats["stalls"] += 1
        await asyncio.sleep(self.config.stall_seconds)

    # -- middleware ----------------------------------------------------------------------
    def _rate_limited(self) -> int | None:
        """Seconds to wait when over the window's budget, else None (and count the request)."""
        if self.config.rate_limit <= 0:
            return None
        now = time.monotonic()
        window = self.config.rate_window
        if self._limited_since + RETRY_AFTER_GRACE_SECONDS < now < self._limited_until:
            # Sent well after a Retry-After was announced and before it ran out: a client that
            # does not pause all its pages for a 429 (tests assert this stays 0).
            self.stats["requests_during_retry_after"] += 1
        while self._allowed_times and now - self._allowed_times[0] >= window:
            self._allowed_times.popleft()
        if len(self._allowed_times) >= self.config.rate_limit:
            seconds = max(1, math.ceil(self._allowed_times[0] + window - now))
            if now >= self._limited_until:
                self._limited_since, self._limited_until = now, now + seconds
            return seconds
        self._allowed_times.append(now)
        return None

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.path.startswith("/__sandbox/"):
            return await handler(request)
        key = request_key(request)
        self._seen[key] += 1
        request["fault_key"] = key
        request["fault_occurrence"] = self._seen[key]
        is_api = request.path.startswith(API_PREFIX)
        self.stats["api_requests" if is_api else "page_requests"] += 1
        if is_api:
            self.stats.update(chrome_identity(request.headers))
        if self.config.latency_ms > 0:
            delay = self.config.latency_ms * (0.5 + self._draw(request, "latency")) / 1000
            self.stats["delayed"] += 1
            await asyncio.sleep(delay)
        if not is_api:
            return await handler(request)
        retry_after = self._rate_limited()
        if retry_after is not None:
            self.stats["rate_limited"] += 1
            return web.Response(status=429, text="Please slow down.", headers={"Retry-After": str(retry_after)})
        if self._hit(request, "error", self.config.error_rate):
            status = 502 if self._draw(request, "error_status") < 0.5 else 503
            self.stats[f"errors_{status}"] += 1
            return web.Response(status=status, content_type="text/html",
                                text=f"<html><body><h1>{status} {'Bad Gateway' if status == 502 else 'Service Unavailable'}</h1></body></html>")
        cpu_started = time.thread_time()
        response = await handler(request)
        # CPU spent building api answers (GET /__sandbox/stats): is the sandbox what limits a crawl?
        self.stats["api_handler_cpu_us"] += int((time.thread_time() - cpu_started) * 1_000_000)
        if (response.status == 200 and isinstance(response, web.Response) and response.body
                and self._hit(request, "truncate", self.config.truncate_rate)):
            body = bytes(response.body)
            cut = max(1, int(len(body) * (0.2 + 0.7 * self._draw(request, "truncate_at"))))
            self.stats["truncated"] += 1
            return web.Response(status=200, body=body[:cut], content_type=response.content_type,
                                charset=response.charset)
        return response

    def snapshot(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "counts": dict(self.stats)}
