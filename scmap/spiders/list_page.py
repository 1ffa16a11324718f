"""Reading one account's interaction list from its rendered page in Chromium.

The page's own JavaScript fetches the list from api-v2 as it is scrolled; we record those JSON
responses (structured, with numeric ids) instead of scraping the DOM, and scroll only when the
previous response has arrived (no fixed sleeps). When the page's own fetching breaks (a 429, a
5xx, a truncated body, a scroll that fetches nothing, a response that never comes) we continue
from the last good `next_href` ourselves, with `fetch()` inside the same page: same browser,
cookies and TLS as the site's own calls, and we can honour Retry-After and retry, which the
page's script does not. The DOM is read only when no JSON at all was captured.

On a refresh visit (scmap/refresh.py) the reader is given `keep_newer`: the list is newest
first, so scrolling stops at the first page holding an item the previous visit stored, and
only the newer items are kept, as session mode does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

# items -> (the items newer than the previous visit's cut-off, whether they reached it)
KeepNewer = Callable[[list[dict[str, Any]]], tuple[list[dict[str, Any]], bool]]

from scmap.soundcloud.collections import CollectionPage, page_key
from scmap.spiders.api_capture import ApiCapture
from scmap.spiders.in_page_fetch import MUTE_PAGE_LOADER_JS, fetch_one_in_page
from scmap.transport.retry_after import PROCESS_PAUSE
from scmap.spiders.list_config import ListConfig, ListResult

logger = logging.getLogger(__name__)

COOKIE_ACCEPT_SELECTOR = "#onetrust-accept-btn-handler"
SCROLL_JS = "() => { window.scrollTo(0, document.documentElement.scrollHeight); return document.documentElement.scrollHeight; }"


class PageGone(RuntimeError):
    """The page closed or crashed under us (typically: the browser died)."""


async def accept_cookies(page: Any, wait: float = 0.0) -> bool:
    """Click the OneTrust banner's accept button if it is (or, within `wait` s, becomes) shown.

    Accepting sets a cookie in the browser context: its later pages need not wait (contexts.py)."""
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


def _enough(capture: ApiCapture, limit: int | None, keep_newer: KeepNewer | None = None) -> bool:
    """The list is complete, `limit` items are read, or (a refresh) a page reached the cut-off."""
    pages, complete = capture.ordered()
    if complete or (limit is not None and sum(len(p.collection) for p in pages) >= limit):
        return True
    return keep_newer is not None and any(keep_newer(p.collection)[1] for p in pages)


async def scroll_list(page: Any, capture: ApiCapture, config: ListConfig, result: ListResult,
                      deadline: float, keep_newer: KeepNewer | None = None) -> str:
    """Let the page load its list by scrolling; returns why it stopped:
    "done", "stalled", "no_fetch" or "api_error" (the last three are taken over)."""
    await _wait_for_responses(capture, config.response_timeout)
    idle_scrolls = 0
    while not _enough(capture, config.limit, keep_newer):
        if time.monotonic() > deadline:
            return "stalled"
        if capture.inflight:
            if not await _wait_for_responses(capture, config.response_timeout):
                return "stalled"
            continue
        if _next_page_failed(capture):
            return "api_error"
        before = (capture.requests_seen, len(capture.pages))
        await page.evaluate(SCROLL_JS)
        result.scrolls += 1
        fetched = await _wait_until(
            capture, lambda: (capture.requests_seen, len(capture.pages)) != before,
            config.scroll_trigger_timeout)
        if fetched:
            idle_scrolls = 0
            continue
        idle_scrolls += 1
        if idle_scrolls == 1 and await accept_cookies(page):
            result.cookie_banner_accepted = True  # shown after the page's wait: its context has consent now
            continue
        if idle_scrolls >= 2:
            return "api_error" if _next_page_failed(capture) else "no_fetch"
    return "done"


async def fetch_rest(page: Any, capture: ApiCapture, config: ListConfig, result: ListResult,
                     deadline: float, keep_newer: KeepNewer | None = None) -> None:
    """Continue the list from its last good page with in-page fetch(), retrying faults."""
    try:
        await page.evaluate(MUTE_PAGE_LOADER_JS, config.api_url)
    except Exception as error:  # not fatal: we only fetch politely ourselves
        logger.debug("could not mute the page's loader: %r", error)
    same_place = 0
    while not _enough(capture, config.limit, keep_newer):
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
        answer = await fetch_one_in_page(page, url, config.response_timeout, max_retry_after=config.max_retry_after)
        status = int(answer.get("status") or 0)
        if status == 200:
            good = capture.record(url, 200, answer.get("text") or "")
            if good is not None:
                return good
            reason = "truncated"
            wait = min(2.0**attempt, 30.0)
        elif status == 429:
            reason = "rate_limited"
            wait = 0.0  # fetch_in_page paused every page for its Retry-After; the next call waits it out
            logger.warning("429 from %s: every page waits %.1fs (Retry-After %r)", url,
                           PROCESS_PAUSE.remaining(), answer.get("retryAfter"))
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


async def read_list(page: Any, capture: ApiCapture, config: ListConfig,
                    keep_newer: KeepNewer | None = None) -> ListResult:
    """Read an account's list from its rendered page: scroll, then take over when needed; on a
    refresh visit (`keep_newer`) only up to the previous visit's cut-off."""
    result = ListResult(items=[], complete=False, source="api")
    deadline = time.monotonic() + config.list_timeout
    if await accept_cookies(page, wait=config.cookie_banner_wait):
        result.cookie_banner_accepted = True
    stop = await scroll_list(page, capture, config, result, deadline, keep_newer)
    if stop != "done" and (capture.pages or capture.last_failed_url or capture.requests_seen):
        result.takeover = True
        logger.info("taking over list fetching (%s) at %s", stop, capture.next_url())
        await fetch_rest(page, capture, config, result, deadline, keep_newer)
    pages, complete = capture.ordered()
    if not complete:
        # A browser that died mid-list looks like a stall; this raises for a dead page so the
        # spider retries the list in a fresh one instead of keeping a truncated list.
        await page.evaluate("() => 1")
    items = [item for p in pages for item in p.collection]
    reached = False
    if keep_newer is not None:  # the rest of the list was read by the previous visit
        items, reached = keep_newer(items)
    limited = config.limit is not None and len(items) >= config.limit
    result.items = items[: config.limit] if config.limit is not None else items
    result.complete = complete or limited or reached
    result.stalled = result.stalled or (stop == "stalled" and not result.complete)
    result.api_failures = list(capture.failures)
    if not pages and not capture.requests_seen:
        result.source = "dom"
    return result
