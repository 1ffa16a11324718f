"""The one in-page fetch funnel (scmap.spiders.in_page_fetch) paces every call with the
process's request budget and turns a 429 into a pause of every page (fake page, fake clock)."""

from __future__ import annotations

import asyncio

from scmap.pacing import RequestBudget
from scmap.spiders import in_page_fetch


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += seconds


class Page:
    def __init__(self, clock: Clock, statuses: dict[str, int]) -> None:
        self.clock, self.statuses, self.sent = clock, statuses, []

    async def evaluate(self, script, arg):
        assert script is in_page_fetch.FETCH_JS
        urls, _concurrency, _timeout, keep = arg
        self.sent.append((self.clock.now, urls, keep))
        return [{"status": self.statuses.get(url, 200), "retryAfter": "7", "text": "{}"} for url in urls]


def test_every_call_waits_its_turn_and_a_429_pauses_the_next_ones():
    clock = Clock()
    budget = RequestBudget(rate=2, jitter=0, clock=clock, sleep=clock.sleep)
    page = Page(clock, {"https://api/limited": 429})

    async def scenario():
        first = await in_page_fetch.fetch_in_page(page, ["https://api/a", "https://api/b"], 5, concurrency=2,
                                                  keep=["id"], budget=budget)
        limited = await in_page_fetch.fetch_one_in_page(page, "https://api/limited", 5, budget=budget)
        after = await in_page_fetch.fetch_one_in_page(page, "https://api/c", 5, budget=budget)
        return first, limited, after

    first, limited, after = asyncio.run(scenario())
    times = [when for when, _urls, _keep in page.sent]
    assert times[:3] == [0.0, 0.5, 1.0]  # 2 per second, one URL per evaluate
    assert [answer["status"] for answer in first] == [200, 200] and first[1]["waited"] == 0.5
    assert page.sent[0][2] == ["id"]  # the keep list reaches the page
    assert limited["status"] == 429 and budget.stats.pauses == 1
    assert times[3] >= 1.0 + 7  # the call after the 429 waited out its Retry-After
    assert after["waited"] >= 7


def test_without_a_crawl_budget_the_urls_go_in_one_evaluate(monkeypatch):
    monkeypatch.setattr(in_page_fetch, "current_budget", lambda: None)
    clock = Clock()
    page = Page(clock, {})
    answers = asyncio.run(in_page_fetch.fetch_in_page(page, ["u1", "u2", "u3"], 5, concurrency=3))
    assert len(answers) == 3 and len(page.sent) == 1 and page.sent[0][1] == ["u1", "u2", "u3"]
