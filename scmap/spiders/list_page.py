"""Reading one account's interaction list from its rendered page in Chromium.

The page's own JavaScript fetches the list from api-v2 as it is scrolled; we record those JSON
responses (structured, with numeric ids) instead of scraping the DOM, and scroll only when the
previous response has arrived (no fixed sleeps). When the page's own fetching breaks (a 429, a
5xx, a truncated body, a scroll that fetches nothing, a response that never comes) we continue
from the last good `next_href` ourselves, with `fetch()` inside the same page: same browser,
cookies and TLS as the site's own calls, and we can honour Retry-After and retry, which the
page's script does not. The DOM is read only when no JSON at all was captured.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from scmap.soundcloud.collections import (
    CollectionError,
    CollectionPage,
    TruncatedJSONError,
    chain_pages,
    client_params_of,
    page_key,
    parse_collection,
    with_client_params,
    with_page_size,
)

logger = logging.getLogger(__name__)

CAPTURE_META_KEY = "scmap_capture"  # set during the download, read in the callback
CONFIG_META_KEY = "scmap_list"  # plain values only (requests stay persistable)
COOKIE_ACCEPT_SELECTOR = "#onetrust-accept-btn-handler"

# In-page fetch with a timeout; returns what Python needs (never throws into Playwright).
_FETCH_JS = """async ([url, timeoutMs]) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await (window.__scmapFetch || window.fetch)(url, {credentials: "include", signal: controller.signal,
                                        headers: {"Accept": "application/json, text/javascript, */*; q=0.01"}});
    const text = await response.text();
    return {status: response.status, retryAfter: response.headers.get("Retry-After"), text};
  } catch (error) {
    return {status: 0, error: String(error && error.name === "AbortError" ? "timeout" : error)};
  } finally {
    clearTimeout(timer);
  }
}"""
# On takeover the page's own loader is muted for api URLs (its requests never settle), so it
# does not keep retrying while we honour a Retry-After: one polite client per page, not two.
_MUTE_PAGE_LOADER_JS = """(apiUrl) => {
  if (window.__scmapFetch) return;
  const realFetch = window.fetch.bind(window);
  window.__scmapFetch = realFetch;
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    return url.startsWith(apiUrl) ? new Promise(() => {}) : realFetch(input, init);
  };
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__scmapMuted = String(url).startsWith(apiUrl);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    return this.__scmapMuted ? undefined : send.apply(this, arguments);
  };
}"""
_SCROLL_JS = "() => { window.scrollTo(0, document.documentElement.scrollHeight); return document.documentElement.scrollHeight; }"


class PageGone(RuntimeError):
    """The page closed or crashed under us (typically: the browser died)."""


@dataclass
class ListConfig:
    """What reading a list needs; built from settings, carried in Request.meta as a dict."""

    api_url: str
    route: str  # regex on the api URL path of this interaction's list
    limit: int | None
    scroll_trigger_timeout: float = 4.0
    response_timeout: float = 20.0
    api_retries: int = 5
    max_retry_after: float = 120.0
    list_timeout: float = 900.0
    api_page_size: int | None = 200  # asked of the site on the page's first request; None = as the page asks
    cookie_banner_wait: float = 0.0  # s to wait for the banner (a context's first page only)
    ignore_capture: bool = False  # tests only (SCMAP_IGNORE_API_CAPTURE): force the DOM fallback

    def to_meta(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> "ListConfig":
        return cls(**meta)


@dataclass
class ApiCapture:
    """The page's api-v2 list traffic, recorded by Playwright event handlers."""

    api_url: str
    route: re.Pattern[str]
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

    def item_count(self) -> int:
        pages, _complete = self.ordered()
        return sum(len(page.collection) for page in pages)

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


@dataclass
class ListResult:
    """What reading one list produced."""

    items: list[dict[str, Any]]
    complete: bool  # the list ended (next_href null) or the limit was reached
    source: str  # "api" or "dom"
    takeover: bool = False  # our in-page fetching had to continue the list
    stalled: bool = False
    api_failures: list[str] = field(default_factory=list)
    retries: dict[str, int] = field(default_factory=dict)
    scrolls: int = 0
    cookie_banner_accepted: bool = False


def new_capture(config: ListConfig) -> ApiCapture:
    return ApiCapture(api_url=config.api_url, route=re.compile(config.route))


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
    if config.api_page_size:
        page_size = page_size_for(config)
        await page.route(capture.matches, lambda route: _ask_page_size(route, page_size))


def page_size_for(config: ListConfig) -> int:
    """Items per API page: the configured size, but no more than the limit needs."""
    size = config.api_page_size or 0
    return size if config.limit is None else max(1, min(size, config.limit))


async def _ask_page_size(route: Any, page_size: int) -> None:
    """Ask for `page_size` items per page (the web client asks 10-24; the API serves up to 200).
    next_href repeats the limit, so only the first request is rewritten: a list of 500 then
    takes 3 requests instead of 21 - faster for us, fewer hits for the site."""
    url = route.request.url
    rewritten = with_page_size(url, page_size)
    if rewritten != url:
        await route.fallback(url=rewritten)
    else:
        await route.fallback()


async def accept_cookies(page: Any, wait: float = 0.0) -> bool:
    """Click the OneTrust banner's accept button if it is (or, within `wait` s, becomes) shown.

    Accepting sets a cookie in the browser context, so only a context's first page waits."""
    try:
        button = page.locator(COOKIE_ACCEPT_SELECTOR).first
        if wait > 0:
            try:
                await button.wait_for(state="visible", timeout=wait * 1000)
            except Exception:
                return False  # no banner here (e.g. a region without one)
        if await button.count() and await button.is_visible():
            await button.click(timeout=2000)
            return True
    except Exception as error:  # a banner is never worth failing the list for
        logger.debug("cookie banner not clicked: %s", error)
    return False


async def _wait_until(capture: ApiCapture, condition: Any, timeout: float) -> bool:
    """Until `condition()` holds (re-checked on every capture event) or the timeout; no lost
    wake-ups: the condition is checked after clearing the event, before waiting."""
    deadline = time.monotonic() + timeout
    while not condition():
        if capture.page_gone:
            raise PageGone(f"page {capture.page_gone} while reading the list")
        capture.changed.clear()
        if condition():
            break
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            await asyncio.wait_for(capture.changed.wait(), left)
        except asyncio.TimeoutError:
            return condition()
    return True


async def _wait_for_responses(capture: ApiCapture, timeout: float) -> bool:
    """Until no list request is in flight; False if one is still pending at the timeout."""
    return await _wait_until(capture, lambda: not capture.inflight, timeout)


def _next_page_failed(capture: ApiCapture) -> bool:
    """The page the list continues with is the one whose fetch failed last."""
    next_url = capture.next_url()
    return bool(capture.last_failed_url and next_url
                and page_key(next_url) == page_key(capture.last_failed_url))


def _enough(capture: ApiCapture, limit: int | None) -> bool:
    pages, complete = capture.ordered()
    return complete or (limit is not None and sum(len(p.collection) for p in pages) >= limit)


async def scroll_list(page: Any, capture: ApiCapture, config: ListConfig, result: ListResult,
                      deadline: float) -> str:
    """Let the page load its list by scrolling; returns why it stopped:
    "done", "stalled", "no_fetch" or "api_error" (the last three are taken over)."""
    await _wait_for_responses(capture, config.response_timeout)
    idle_scrolls = 0
    while not _enough(capture, config.limit):
        if time.monotonic() > deadline:
            return "stalled"
        if capture.inflight:
            if not await _wait_for_responses(capture, config.response_timeout):
                return "stalled"
            continue
        if _next_page_failed(capture):
            return "api_error"
        before = (capture.requests_seen, len(capture.pages))
        await page.evaluate(_SCROLL_JS)
        result.scrolls += 1
        fetched = await _wait_until(
            capture, lambda: (capture.requests_seen, len(capture.pages)) != before,
            config.scroll_trigger_timeout)
        if fetched:
            idle_scrolls = 0
            continue
        idle_scrolls += 1
        if idle_scrolls == 1 and await accept_cookies(page):
            continue
        if idle_scrolls >= 2:
            return "api_error" if _next_page_failed(capture) else "no_fetch"
    return "done"


async def fetch_rest(page: Any, capture: ApiCapture, config: ListConfig, result: ListResult,
                     deadline: float) -> None:
    """Continue the list from its last good page with in-page fetch(), retrying faults."""
    try:
        await page.evaluate(_MUTE_PAGE_LOADER_JS, config.api_url)
    except Exception as error:  # not fatal: we only fetch politely ourselves
        logger.debug("could not mute the page's loader: %r", error)
    same_place = 0
    while not _enough(capture, config.limit):
        url = capture.next_url()
        if url is None:
            return
        page_result = await _fetch_with_retries(page, capture, config, result, url, deadline)
        if page_result is None:
            result.stalled = True
            return
        # A page that sends us back to where we were (empty "try again" page) is retried,
        # a bounded number of times.
        same_place = same_place + 1 if capture.next_url() == url else 0
        if same_place:
            result.retries["no_progress"] = result.retries.get("no_progress", 0) + 1
            if same_place > config.api_retries:
                result.stalled = True
                return
            await asyncio.sleep(min(2.0 ** (same_place - 1), 30.0))


async def _fetch_with_retries(page: Any, capture: ApiCapture, config: ListConfig,
                              result: ListResult, url: str, deadline: float) -> CollectionPage | None:
    timeouts = 0
    for attempt in range(config.api_retries + 1):
        if time.monotonic() > deadline:
            return None
        answer = await page.evaluate(_FETCH_JS, [url, int(config.response_timeout * 1000)])
        status = int(answer.get("status") or 0)
        if status == 200:
            good = capture.record(url, 200, answer.get("text") or "")
            if good is not None:
                return good
            reason = "truncated"
            wait = min(2.0**attempt, 30.0)
        elif status == 429:
            reason = "rate_limited"
            wait = _retry_after(answer.get("retryAfter"), attempt, config.max_retry_after)
            logger.warning("429 from %s: waiting %.1fs (Retry-After %r)", url, wait, answer.get("retryAfter"))
        elif status == 0 and answer.get("error") == "timeout":
            capture.record_failure(url, "timeout")
            timeouts += 1
            reason = "timeout"
            if timeouts >= 2:  # a page that does not answer twice in a row is stalled
                return None
            wait = 0.0
        elif status >= 500 or status == 0:
            capture.record_failure(url, f"HTTP {status} {answer.get('error') or ''}".strip())
            reason = f"http_{status}" if status else "network_error"
            wait = min(2.0**attempt, 30.0)
        else:  # 401/403/404: retrying will not help
            capture.record_failure(url, f"HTTP {status}")
            result.retries[f"http_{status}"] = result.retries.get(f"http_{status}", 0) + 1
            return None
        result.retries[reason] = result.retries.get(reason, 0) + 1
        if wait:
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))
    return None


def _retry_after(header: Any, attempt: int, cap: float) -> float:
    try:
        seconds = float(header)
    except (TypeError, ValueError):
        seconds = 2.0**attempt
    return max(0.5, min(seconds, cap))


async def read_list(page: Any, capture: ApiCapture, config: ListConfig) -> ListResult:
    """Read an account's list from its rendered page: scroll, then take over when needed."""
    result = ListResult(items=[], complete=False, source="api")
    deadline = time.monotonic() + config.list_timeout
    if await accept_cookies(page, wait=config.cookie_banner_wait):
        result.cookie_banner_accepted = True
    stop = await scroll_list(page, capture, config, result, deadline)
    if stop != "done" and (capture.pages or capture.last_failed_url or capture.requests_seen):
        result.takeover = True
        logger.info("taking over list fetching (%s) at %s", stop, capture.next_url())
        await fetch_rest(page, capture, config, result, deadline)
    pages, complete = capture.ordered()
    if not complete:
        # A browser that died mid-list looks like a stall; this raises for a dead page so the
        # spider retries the list in a fresh one instead of keeping a truncated list.
        await page.evaluate("() => 1")
    items = [item for p in pages for item in p.collection]
    limited = config.limit is not None and len(items) >= config.limit
    result.items = items[: config.limit] if config.limit is not None else items
    result.complete = complete or limited
    result.stalled = result.stalled or (stop == "stalled" and not result.complete)
    result.api_failures = list(capture.failures)
    if not pages and not capture.requests_seen:
        result.source = "dom"
    return result
