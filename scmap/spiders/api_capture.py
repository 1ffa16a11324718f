"""Recording a page's api-v2 list traffic: Playwright event handlers fill an ApiCapture from
before the page navigates (`init_page`, scrapy-playwright's page init callback), and the first
list request is rewritten to ask for bigger pages."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from scmap.transport.retry_after import PROCESS_PAUSE, retry_after_seconds
from scmap.soundcloud.collections import (
    CollectionError,
    CollectionPage,
    TruncatedJSONError,
    chain_pages,
    client_params_of,
    parse_collection,
    with_client_params,
    with_page_size,
)
from scmap.spiders.list_config import CAPTURE_META_KEY, CONFIG_META_KEY, ListConfig


@dataclass
class ApiCapture:
    """The page's api-v2 list traffic, recorded by Playwright event handlers."""

    api_url: str
    route: re.Pattern[str]
    max_retry_after: float  # cap on the pause a 429 of the page's own call starts
    pages: list[CollectionPage] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "429 url", "truncated url"...
    last_failed_url: str | None = None
    client_params: dict[str, str] = field(default_factory=dict)
    inflight: dict[Any, str] = field(default_factory=dict)  # Playwright request -> its URL
    requests_seen: int = 0
    responses_seen: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    page_gone: str | None = None  # "close" / "crash": the page (or its browser) died

    def on_page_gone(self, reason: str) -> None:
        self.page_gone = reason
        self.changed.set()

    def matches(self, url: str) -> bool:
        if not url.startswith(self.api_url):
            return False
        path = url[len(self.api_url):].split("?", 1)[0]
        return bool(self.route.search(path))

    def on_request(self, request: Any) -> None:
        url = request.url
        if not self.matches(url):
            return
        self.requests_seen += 1
        # Keyed by the request object: a request rewritten on its way (page size) answers
        # under another URL than it was announced with.
        self.inflight[request] = url
        self.client_params.update(client_params_of(url))
        self.changed.set()

    async def on_response(self, response: Any) -> None:
        url = response.url
        if not self.matches(url):
            return
        try:
            status = response.status
            if status == 429:  # the page's own call was refused: every page of the process waits
                header = (getattr(response, "headers", None) or {}).get("retry-after")
                PROCESS_PAUSE.pause(retry_after_seconds(header, self.max_retry_after),
                                    f"429 from {url.split('?', 1)[0]} (page's own call)")
            body = await response.text() if status == 200 else ""
            self.record(url, status, body)
        except Exception as error:  # page closed mid-read, body evicted...
            self.record_failure(url, f"unreadable ({type(error).__name__})")
        finally:
            self.responses_seen += 1
            self._settle(response.request)
            self.changed.set()

    def _settle(self, request: Any) -> None:
        if self.inflight.pop(request, None) is None:
            for pending, url in list(self.inflight.items()):
                if url == request.url:
                    del self.inflight[pending]
                    break

    def on_request_failed(self, request: Any) -> None:
        if self.matches(request.url):
            self._settle(request)
            self.record_failure(request.url, "request failed")
            self.changed.set()

    def record(self, url: str, status: int, body: str) -> CollectionPage | None:
        """Keep a good page; note a bad one. Returns the page when it was good."""
        if status != 200:
            self.record_failure(url, f"HTTP {status}")
            return None
        try:
            page = parse_collection(body, url=url)
        except TruncatedJSONError:
            self.record_failure(url, "truncated JSON")
            return None
        except CollectionError:
            self.record_failure(url, "not a list page")
            return None
        self.pages.append(page)
        return page

    def record_failure(self, url: str, what: str) -> None:
        self.failures.append(f"{what}: {url}")
        self.last_failed_url = url

    def ordered(self) -> tuple[list[CollectionPage], bool]:
        return chain_pages(self.pages)

    def next_url(self) -> str | None:
        """Where the list continues: the last chained page's next_href (+ client params), the
        failed first request when no page came, None when the list is complete or unknown."""
        pages, complete = self.ordered()
        if complete:
            return None
        if pages:
            return with_client_params(pages[-1].next_href or "", self.client_params)
        # No page yet: the failed first request, else the first request still hanging.
        return self.last_failed_url or next(iter(sorted(self.inflight.values())), None)


def new_capture(config: ListConfig) -> ApiCapture:
    return ApiCapture(api_url=config.api_url, route=re.compile(config.route),
                      max_retry_after=config.max_retry_after)


async def init_page(page: Any, request: Any) -> None:
    """playwright_page_init_callback: start recording before the page navigates."""
    config = ListConfig.from_meta(request.meta[CONFIG_META_KEY])
    capture = new_capture(config)
    request.meta[CAPTURE_META_KEY] = capture
    if not config.ignore_capture:  # else nothing is recorded: the list is read from the DOM
        page.on("request", capture.on_request)
        page.on("response", capture.on_response)
        page.on("requestfailed", capture.on_request_failed)
    page.on("close", lambda _page: capture.on_page_gone("closed"))
    page.on("crash", lambda _page: capture.on_page_gone("crashed"))
    page_size = page_size_for(config) if config.api_page_size else None
    await page.route(capture.matches, lambda route: _pause_and_size(route, page_size))


def page_size_for(config: ListConfig) -> int:
    """Items per API page: the configured size, but no more than the limit needs."""
    size = config.api_page_size or 0
    return size if config.limit is None else max(1, min(size, config.limit))


async def _pause_and_size(route: Any, page_size: int | None) -> None:
    """The page's own list call: held while the process waits out a 429's Retry-After (the
    page's fetches are not Scrapy Requests), and asking for `page_size` items per page (the web
    client asks 10-24; the API serves up to 200). next_href repeats the limit, so only the
    first request is rewritten: a list of 500 then takes 3 requests instead of 21."""
    await PROCESS_PAUSE.wait()
    url = route.request.url
    rewritten = with_page_size(url, page_size) if page_size else url
    if rewritten != url:
        await route.fallback(url=rewritten)
    else:
        await route.fallback()
