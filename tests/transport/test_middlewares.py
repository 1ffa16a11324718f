"""scmap's downloader middlewares on api-v2 calls (no browser): a 429 pauses every call of the
process for its Retry-After; a bot-wall challenge fails the call with Challenged (counted,
paused, the crawl stopped after N in a row) - on the http transport it is asked again in the
browser; other requests pass untouched."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from scmap.spiders import challenge_guard
from scmap.spiders.challenge_guard import ChallengeGuard
from scmap.spiders.likes import LikesSpider
from scmap.transport import API_SLOT, HTTP, PAGE, TRANSPORT_META_KEY
from scmap.transport.middlewares import ChallengeGuardMiddleware, Challenged, CrawlStopped, RetryAfterMiddleware
from scmap.transport.retry_after import ProcessPause, retry_after_seconds

CHALLENGE_BODY = b'{"url":"https://geo.captcha-delivery.com/captcha/?initialCid=x"}'


def crawler_with_spider(**settings):
    crawler = get_crawler(LikesSpider, settings_dict={"SOUNDCLOUD_WEB_URL": "http://x",
                                                      "SOUNDCLOUD_API_URL": "http://x/api-v2", **settings})
    crawler.spider = LikesSpider.from_crawler(crawler, seeds="x")
    crawler.stats.open_spider()
    return crawler


def api_call(url="http://x/api-v2/users/1"):
    return Request(url, meta={"download_slot": API_SLOT, "permalink": "acct"})


def test_retry_after_is_read_and_capped():
    assert retry_after_seconds(b"7", cap=120) == 7
    assert retry_after_seconds("900", cap=120) == 120
    assert retry_after_seconds(None, cap=120, fallback=2) == 2
    assert retry_after_seconds("soon", cap=120) == 1.0


def test_a_429_pauses_every_api_call_of_the_process(monkeypatch):
    clock = [100.0]
    pause = ProcessPause(clock=lambda: clock[0])
    monkeypatch.setattr("scmap.transport.middlewares.PROCESS_PAUSE", pause)
    crawler = crawler_with_spider(SCMAP_MAX_RETRY_AFTER=30)
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    call = api_call()
    middleware.process_response(call, Response(call.url, status=429, headers={"Retry-After": "12"}, request=call))
    assert pause.remaining() == 12
    middleware.process_response(call, Response(call.url, status=429, headers={"Retry-After": "5"}, request=call))
    assert pause.remaining() == 12  # extended, never shortened
    page = Request("http://x/someone/likes")  # not an api-v2 call: no pause
    middleware.process_response(page, Response(page.url, status=429, headers={"Retry-After": "60"}, request=page))
    assert pause.remaining() == 12
    assert crawler.stats.get_value("scmap/api/rate_limited") == 2
    assert crawler.stats.get_value("scmap/api/process_pauses") == 1


@pytest.fixture
def current_loop():
    """An event loop for the guard's stop to schedule the spiders' closing on (an earlier
    test's asyncio.run() leaves none current)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def test_a_challenge_fails_the_call_and_the_third_in_a_row_stops_the_crawl(monkeypatch, current_loop):
    guard = ChallengeGuard(pause_seconds=0.0, challenges_before_stop=3)
    monkeypatch.setattr(challenge_guard, "_process_guard", guard)
    crawler = crawler_with_spider()
    middleware = ChallengeGuardMiddleware.from_crawler(crawler)
    call = api_call()
    ok = Response(call.url, status=200, body=b"{}", request=call)
    assert middleware.process_response(call, ok) is ok
    refused = Response(call.url, status=403, body=b"{}", request=call)  # not a challenge: the spider's
    assert middleware.process_response(call, refused) is refused
    for _ in range(3):
        with pytest.raises(Challenged):
            middleware.process_response(call, Response(call.url, status=403, body=CHALLENGE_BODY, request=call,
                                                       headers={"Content-Type": "application/json"}))
    assert crawler.stats.get_value("scmap/challenges") == 3 and guard.stopped
    with pytest.raises(CrawlStopped):  # no more calls once stopped
        current_loop.run_until_complete(middleware.process_request(api_call()))


def test_a_challenge_on_the_http_transport_is_asked_again_in_the_browser(monkeypatch):
    guard = ChallengeGuard(pause_seconds=0.0, challenges_before_stop=2)
    monkeypatch.setattr(challenge_guard, "_process_guard", guard)
    crawler = crawler_with_spider()
    middleware = ChallengeGuardMiddleware.from_crawler(crawler)
    call = api_call().replace(meta={**api_call().meta, TRANSPORT_META_KEY: HTTP, "retry_times": 1},
                              dont_filter=False)
    challenge = Response(call.url, status=403, body=CHALLENGE_BODY, request=call,
                         headers={"Content-Type": "application/json"})
    again = middleware.process_response(call, challenge)
    assert isinstance(again, Request) and again.url == call.url and again.callback == call.callback
    assert again.meta[TRANSPORT_META_KEY] == PAGE and again.dont_filter  # the dupe filter saw it once
    assert again.meta["permalink"] == "acct" and again.meta["retry_times"] == 1
    assert call.meta[TRANSPORT_META_KEY] == HTTP  # the original is left as it was
    # Not the crawl's challenge: nothing counted towards the pause or the stop.
    assert crawler.stats.get_value("scmap/http/handed_to_browser") == 1
    assert crawler.stats.get_value("scmap/challenges") is None and guard.in_a_row == 0
    # The browser transport's own challenge is the crawl's.
    with pytest.raises(Challenged):
        middleware.process_response(again, Response(call.url, status=403, body=CHALLENGE_BODY, request=again,
                                                    headers={"Content-Type": "application/json"}))
    assert crawler.stats.get_value("scmap/challenges") == 1 and guard.in_a_row == 1
