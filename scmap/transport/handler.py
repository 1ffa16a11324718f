"""scmap's download handler: scrapy-playwright's, plus transports chosen by request meta.

    DOWNLOAD_HANDLERS = {"https": "scmap.transport.handler.ScmapDownloadHandler", ...}

`request.meta["scmap_transport"]` (scmap.transport.TRANSPORT_META_KEY) picks the transport:
"page" runs the call as fetch() in a live page of this handler's browser (page.py); any other
name is looked up in SCMAP_TRANSPORTS (name -> class path; the class is built once per handler
with `Transport(handler, crawler)` and must have `async download(request) -> Response` and
may have `async close()`). Without the key, scrapy-playwright handles the request as usual:
rendered pages (`meta["playwright"]`, scroll mode) and plain HTTP (robots.txt).

The browser is scrapy-playwright's (PLAYWRIGHT_LAUNCH_OPTIONS, PLAYWRIGHT_CONTEXTS,
PLAYWRIGHT_BROWSER_PROVIDER): scmap's provider (scmap/browser/provider.py) shares one Chromium
among the spiders of a process, so closing here leaves the browser to the provider. For a
spider in `-a mode=http` even the Playwright driver is started only when a request needs the
browser (a call handed to the page transport, a rendered page): none while reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from playwright._impl._errors import TargetClosedError
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from scmap.transport import API_SLOT, HTTP, PAGE, TRANSPORT_META_KEY
from scmap.transport.page import PageTransport, PageTransportConfig
from scmap.transport.retry_after import PROCESS_PAUSE


class ScmapDownloadHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.transports: dict[str, Any] = {
            PAGE: PageTransport(self, PageTransportConfig.from_settings(crawler.settings), crawler.stats)}
        self._transport_classes = dict(crawler.settings.getdict("SCMAP_TRANSPORTS"))
        self._last_call_at: float | None = None
        self._in_flight = 0
        self._launch_on_demand = False
        self._launching: asyncio.Future[None] | None = None
        # Scrapy 2.19's slot can start more than its concurrency when several requests are queued
        # at once (it schedules each download as a task before counting it as transferring):
        # the api-v2 calls are held to CONCURRENT_REQUESTS_PER_DOMAIN (or the slot's own) here.
        slot = crawler.settings.getdict("DOWNLOAD_SLOTS").get(API_SLOT, {})
        self._calls_at_once = asyncio.Semaphore(max(1, int(slot.get(
            "concurrency", crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")))))

    def _launch_at_start(self) -> bool:
        """False for a spider in http mode: no browser until a request needs one (_browser_ready)."""
        self._launch_on_demand = getattr(self._crawler.spider, "mode", None) == HTTP
        return not self._launch_on_demand

    # scrapy-playwright connects one of these to engine_started (which one: its Scrapy version).
    def _engine_started(self) -> Any:
        return super()._engine_started() if self._launch_at_start() else None

    async def _maybe_launch_in_thread(self) -> None:
        if self._launch_at_start():
            await super()._maybe_launch_in_thread()

    async def _browser_ready(self) -> None:
        """Start Playwright (and the startup contexts) the first time a request needs them."""
        if not self._launch_on_demand:
            return  # launched at engine start, as scrapy-playwright does
        if self._launching is None:
            self._launching = asyncio.ensure_future(self._launch())
        await self._launching

    def transport(self, name: str) -> Any:
        """The transport called `name`, built on first use."""
        if name not in self.transports:
            path = self._transport_classes.get(name)
            if path is None:
                raise ValueError(f"no transport {name!r}: SCMAP_TRANSPORTS names "
                                 f"{sorted([PAGE, *self._transport_classes])}")
            self.transports[name] = load_object(path)(self, self._crawler)
        return self.transports[name]

    async def download_request(self, request: Request) -> Response:
        name = request.meta.get(TRANSPORT_META_KEY)
        if name == PAGE or (name is None and request.meta.get("playwright")):
            await self._browser_ready()
        if name is None:
            return await super().download_request(request)
        # A 429's Retry-After holds every call of the process, also those already past the
        # middlewares and queued in the slot (scmap.transport.middlewares.RetryAfterMiddleware).
        async with self._calls_at_once:
            return await self._call(name, request)

    async def _call(self, name: str, request: Request) -> Response:
        waited = await PROCESS_PAUSE.wait()
        stats = self._crawler.stats
        if waited > 0:
            stats.inc_value("scmap/api/waits")
            stats.inc_value("scmap/api/wait_seconds", round(waited, 3))
        stats.inc_value("scmap/api/requests")
        # How the downloader paced this spider's calls: the closest two starts, the most at once.
        now = time.monotonic()
        if self._last_call_at is not None:
            stats.min_value("scmap/api/min_gap_ms", int((now - self._last_call_at) * 1000))
        self._last_call_at = now
        self._in_flight += 1
        stats.max_value("scmap/api/max_in_flight", self._in_flight)
        try:
            return await self.transport(name).download(request)
        finally:
            self._in_flight -= 1

    async def _close(self) -> None:
        """Close this handler's contexts and hand the browser back to the provider (which
        closes it when the process's last handler is done), not `browser.close()` directly."""
        for transport in self.transports.values():
            closer = getattr(transport, "close", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()
        with contextlib.suppress(TargetClosedError, Exception):
            await asyncio.gather(*[ctx.context.close() for ctx in self.context_wrappers.values()])
        self.context_wrappers.clear()
        if getattr(self, "browser_provider", None):
            await self.browser_provider.close()
