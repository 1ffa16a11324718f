"""Unit tests of the list reader with a fake page (the e2e tests use real Chromium).

The fake page plays the site's web client: a scroll makes its loader request the next page
(announced through the capture's request/response handlers, as Playwright events would be);
`fetch()` inside the page (our takeover) is answered by a scripted server.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Callable

import pytest

from scmap.spiders import in_page_fetch, list_page
from scmap.spiders.api_capture import new_capture
from scmap.spiders.list_config import ListConfig
from scmap.spiders.list_page import PageGone, read_list

API = "http://site/api-v2"
ROUTE = r"^/users/[^/]+/likes$"
CLIENT = "client_id=" + "c" * 32


def make_items(count: int) -> list[dict]:
    return [{"kind": "like", "created_at": f"t{index}", "track": {"id": index}} for index in range(count)]


@dataclass
class FakeServer:
    """api-v2 list of `items`, `page_size` per page, cursor = index; `faults(url, n)` may
    return (status, headers, body) to answer the n-th request of a URL differently."""

    items: list[dict]
    page_size: int = 3
    faults: Callable[[str, int], tuple | None] = lambda url, n: None
    seen: dict[str, int] = field(default_factory=dict)

    def answer(self, url: str) -> tuple[int, dict, str]:
        key = url.split("&" + CLIENT)[0]
        self.seen[key] = self.seen.get(key, 0) + 1
        fault = self.faults(key, self.seen[key])
        if fault is not None:
            return fault
        offset = int(url.split("offset=")[1].split("&")[0]) if "offset=" in url else 0
        chunk = self.items[offset: offset + self.page_size]
        end = offset + self.page_size
        next_href = f"{API}/users/1/likes?offset={end}&limit={self.page_size}" if end < len(self.items) else None
        return 200, {}, json.dumps({"collection": chunk, "next_href": next_href, "query_urn": None})


class FakeRequest:
    def __init__(self, url: str) -> None:
        self.url = url


class FakeResponse:
    def __init__(self, request: FakeRequest, status: int, body: str) -> None:
        self.request, self.url, self.status, self._body = request, request.url, status, body

    async def text(self) -> str:
        return self._body


class FakePage:
    """Scroll -> the page's loader fetches its pending URL (unless `loader_hangs`)."""

    def __init__(self, server: FakeServer, capture, *, loader_works: bool = True,
                 loader_hangs_after: int | None = None) -> None:
        self.server, self.capture = server, capture
        self.pending: str | None = f"{API}/users/1/likes?limit={server.page_size}&{CLIENT}"
        self.loader_works = loader_works
        self.loader_hangs_after = loader_hangs_after
        self.loads = 0
        self.muted = False
        self.dead = False
        self.fetches: list[str] = []

    def locator(self, _selector: str):
        class _None:
            async def count(self) -> int:
                return 0
        return _None()

    async def _load(self) -> None:
        url, self.pending = self.pending, None
        request = FakeRequest(url)
        self.capture.on_request(request)
        self.loads += 1
        if self.loader_hangs_after is not None and self.loads > self.loader_hangs_after:
            return  # never answers
        await asyncio.sleep(0)
        status, _headers, body = self.server.answer(url)
        await self.capture.on_response(FakeResponse(request, status, body))
        if status == 200:
            next_href = json.loads(body)["next_href"]
            self.pending = f"{next_href}&{CLIENT}" if next_href else None

    async def evaluate(self, script: str, arg=None):
        if self.dead:
            raise RuntimeError("Target page, context or browser has been closed")
        if script is list_page.SCROLL_JS:
            if self.loader_works and not self.muted and self.pending:
                asyncio.get_running_loop().create_task(self._load())
            return 1000
        if script is in_page_fetch.MUTE_PAGE_LOADER_JS:
            self.muted = True
            return None
        if script is in_page_fetch.FETCH_JS:
            urls, _concurrency, _timeout, _keep = arg
            return [self._fetch(url) for url in urls]
        return 1

    def _fetch(self, url: str) -> dict:
        self.fetches.append(url)
        status, headers, body = self.server.answer(url)
        if status == -1:
            return {"status": 0, "error": "timeout"}
        return {"status": status, "retryAfter": headers.get("Retry-After"), "text": body}


def config(limit: int | None, **overrides) -> ListConfig:
    values = dict(api_url=API, route=ROUTE, limit=limit, scroll_trigger_timeout=0.2,
                  response_timeout=0.3, api_retries=3, max_retry_after=0.05, list_timeout=20,
                  api_page_size=None, ignore_capture=False)
    values.update(overrides)
    return ListConfig(**values)


async def read(server: FakeServer, limit: int | None, start_loader: bool = True, **page_options):
    cfg = config(limit)
    capture = new_capture(cfg)
    page = FakePage(server, capture, **page_options)
    if start_loader and page.loader_works:
        await page._load()  # the page's first request, made while it loads
    result = await read_list(page, capture, cfg)
    return result, page


def ids(result) -> list[int]:
    return [item["track"]["id"] for item in result.items]


def test_scrolling_reads_the_list_in_order_and_cuts_at_the_limit():
    result, page = asyncio.run(read(FakeServer(make_items(10)), limit=7))
    assert ids(result) == list(range(7))
    assert result.complete and not result.takeover and result.source == "api"
    assert page.loads == 3 and not page.fetches  # 3 pages of 3 were enough for 7


def test_whole_list_without_limit_ends_on_null_next_href():
    result, page = asyncio.run(read(FakeServer(make_items(8)), limit=None))
    assert ids(result) == list(range(8)) and result.complete and page.loads == 3


def test_429_is_taken_over_and_retried_after_retry_after():
    def faults(url, n):
        if "offset=3" in url and n <= 2:  # the page's own try and our first try
            return 429, {"Retry-After": "0.01"}, "Please slow down."
        return None
    result, page = asyncio.run(read(FakeServer(make_items(9), faults=faults), limit=None))
    assert ids(result) == list(range(9)) and result.complete
    assert result.takeover and page.muted  # the page's loader is silenced while we fetch
    assert result.retries == {"rate_limited": 1}
    assert any("HTTP 429" in failure for failure in result.api_failures)


def test_truncated_json_and_5xx_are_refetched():
    def faults(url, n):
        if "offset=3" in url and n == 1:
            return 200, {}, '{"collection": [{"kind": "like", "track"'
        if "offset=3" in url and n == 2:
            return 502, {}, "<html>Bad Gateway</html>"
        return None
    result, _page = asyncio.run(read(FakeServer(make_items(6), faults=faults), limit=None))
    assert ids(result) == list(range(6)) and result.complete
    assert result.retries.get("http_502") == 1
    assert any("truncated JSON" in failure for failure in result.api_failures)


def test_stalled_page_keeps_what_was_read():
    server = FakeServer(make_items(9), faults=lambda url, n: (-1, {}, "") if "offset=3" in url else None)
    result, _page = asyncio.run(read(server, limit=None, loader_hangs_after=1))
    assert ids(result) == [0, 1, 2]
    assert result.stalled and not result.complete and result.takeover


def test_permanent_404_stops_without_looping():
    server = FakeServer(make_items(9), faults=lambda url, n: (404, {}, "{}") if "offset=3" in url else None)
    result, page = asyncio.run(read(server, limit=None))
    assert ids(result) == [0, 1, 2] and not result.complete
    assert len(page.fetches) == 1  # no retry of a 404


def test_no_json_at_all_means_dom_fallback():
    result, _page = asyncio.run(read(FakeServer(make_items(5)), limit=None, loader_works=False))
    assert result.source == "dom" and result.items == []


def test_page_that_dies_raises_for_a_retry():
    async def scenario():
        cfg = config(None)
        capture = new_capture(cfg)
        page = FakePage(FakeServer(make_items(9)), capture, loader_hangs_after=1)
        await page._load()

        async def kill_soon():
            await asyncio.sleep(0.05)
            page.dead = True
            capture.on_page_gone("closed")
        asyncio.get_running_loop().create_task(kill_soon())
        await read_list(page, capture, cfg)

    with pytest.raises(PageGone):
        asyncio.run(scenario())


def test_a_refresh_visit_stops_scrolling_at_the_cutoff_and_keeps_the_newer_items():
    """scmap/refresh.py: the list is newest first; the page holding the previous visit's newest
    item ends the read (no further scrolls or fetches), and only the items before it are kept."""
    from functools import partial

    from scmap.refresh import Cutoff, newer_than

    dated = [{"kind": "like", "created_at": f"2024-01-{28 - i:02d}T00:00:00Z", "track": {"id": i}} for i in range(15)]
    server = FakeServer(dated, page_size=3)
    cfg = config(None)
    capture = new_capture(cfg)
    page = FakePage(server, capture)

    async def refresh_read():
        await page._load()
        return await read_list(page, capture, cfg, partial(newer_than, "likes", cutoff=Cutoff(dated[4]["created_at"], 4)))

    result = asyncio.run(refresh_read())
    assert ids(result) == [0, 1, 2, 3] and result.complete and not result.stalled
    assert page.loads == 2  # pages 1 and 2 (holding item 4): the other three are never asked for
    full, full_page = asyncio.run(read(FakeServer(dated, page_size=3), None))
    assert ids(full) == list(range(15)) and full_page.loads == 5
