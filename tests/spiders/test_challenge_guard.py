"""The challenge guard on its own: pauses that grow with challenges in a row, the reset by a
list read, the stop after N, said once; the watch on a page's api-v2 answers."""

from __future__ import annotations

import asyncio

from scmap.spiders.challenge_guard import ChallengeGuard, ChallengeWatch, STOP_MESSAGE


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_challenge_in_a_row_pauses_longer_and_the_nth_stops():
    clock = Clock()
    guard = ChallengeGuard(pause_seconds=10, challenges_before_stop=3, clock=clock)
    assert guard.on_challenge() is False and guard.pause_remaining() == 10
    clock.now += 4
    assert guard.on_challenge() is False and guard.pause_remaining() == 20
    assert guard.on_challenge() is True
    assert guard.first_stop() is True and guard.first_stop() is False  # the message is said once
    assert guard.total == 3


def test_a_list_read_to_its_end_resets_the_row_but_not_the_pause():
    clock = Clock()
    guard = ChallengeGuard(pause_seconds=10, challenges_before_stop=2, clock=clock)
    guard.on_challenge()
    guard.on_list_read()
    assert guard.in_a_row == 0 and guard.pause_remaining() == 10
    assert guard.on_challenge() is False  # one in a row again
    clock.now += 11
    assert guard.pause_remaining() == 0


def test_waiting_ends_with_the_pause_or_the_stop():
    guard = ChallengeGuard(pause_seconds=0.05, challenges_before_stop=5)
    guard.on_challenge()
    asyncio.run(asyncio.wait_for(guard.wait_while_paused(), 2))
    guard.pause_seconds = 500
    guard.on_challenge()
    guard.first_stop()
    asyncio.run(asyncio.wait_for(guard.wait_while_paused(), 2))  # stopped: nobody waits for nothing


def test_the_stop_message_names_both_ways_through():
    message = STOP_MESSAGE.format(count=3)
    assert "python -m scmap.browser login --profile DIR" in message and "SCMAP_BROWSER_PROFILE=DIR" in message
    assert "SCMAP_COOKIES=cookies.txt" in message and "Nothing was marked failed" in message
    assert "\n" not in message


class FakeResponse:
    def __init__(self, url: str, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.url, self.status, self._body, self._headers = url, status, body, headers or {}

    async def text(self) -> str:
        return self._body

    async def all_headers(self) -> dict[str, str]:
        return self._headers


def test_the_watch_keeps_the_first_challenged_api_answer_only():
    watch = ChallengeWatch("http://site/api-v2")
    captcha = '{"url": "https://geo.captcha-delivery.com/captcha/?initialCid=x"}'

    async def feed() -> None:
        await watch.on_response(FakeResponse("http://site/api-v2/users/1/likes", 200, '{"collection": []}'))
        await watch.on_response(FakeResponse("http://site/other/page", 403, captcha))  # not api-v2
        await watch.on_response(FakeResponse("http://site/api-v2/users/1/likes", 403, '{"code": 403}'))
        assert watch.challenge is None
        await watch.on_response(FakeResponse("http://site/api-v2/users/1/likes", 403, captcha,
                                             {"x-datadome": "protected"}))

    asyncio.run(feed())
    assert watch.challenge is not None and watch.challenge.shape == "json"


def test_a_spider_the_guard_never_saw_is_closed_when_it_finds_the_crawl_stopped(monkeypatch):
    """Session mode's gate refused (CrawlStopped) in a spider that read no list and met no
    challenge: it is closed with the stop message instead of giving accounts back forever."""
    from types import SimpleNamespace

    from scmap.contract import CRAWL_ERROR_STAT
    from scmap.spiders import challenge_guard

    guard = ChallengeGuard(challenges_before_stop=1)
    guard.on_challenge()
    assert guard.first_stop()
    guard.stop_message = "stopped at the wall"
    monkeypatch.setattr(challenge_guard, "_process_guard", guard)
    closed = []

    class Engine:
        spider = object()

        async def close_spider_async(self, reason):
            closed.append(reason)

    class Stats:
        values = {}

        def set_value(self, key, value):
            self.values[key] = value

    crawler = SimpleNamespace(settings=None, engine=Engine(), stats=Stats())

    async def scenario():
        challenge_guard.on_stopped(SimpleNamespace(crawler=crawler))
        await asyncio.sleep(0)

    asyncio.run(scenario())
    assert closed == [challenge_guard.STOP_REASON]
    assert crawler.stats.values[CRAWL_ERROR_STAT] == "stopped at the wall"
