"""SessionReader on a fake session page: what each api-v2 answer leads to (no browser here;
tests/spiders/test_session_mode.py and test_e2e.py run the real thing)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from scmap.pacing import RequestBudget
from scmap.session.pool import SessionPage
from scmap.session.reader import (
    AccountNotFound,
    ClientIdRefused,
    ListUnreadable,
    ReaderConfig,
    SessionRead,
    SessionReader,
)

API = "https://api.test"


class FakePage:
    """Answers page.evaluate(FETCH_JS, [url, timeout, keep]) from a script of answers per path."""

    def __init__(self, answers):
        self.answers = answers  # callable(url, n) -> answer dict
        self.urls: list[str] = []

    async def evaluate(self, _script, args):
        urls = args[0]  # scmap.spiders.in_page_fetch.FETCH_JS: [urls, concurrency, timeout, keep]
        answers = []
        for url in urls:
            self.urls.append(url)
            answers.append(dict(self.answers(url, len(self.urls))))
        return answers

    def is_closed(self):
        return False


def session(answers) -> SessionPage:
    return SessionPage(owner="likes", number=1, context=None, page=FakePage(answers),
                       client_id="c" * 32, app_version="123")


def page_body(ids, next_offset=None, user_id=7):
    return json.dumps({"collection": [{"created_at": "2024-01-01T00:00:00Z", "kind": "like",
                                       "track": {"id": i, "user": {"id": 9}}} for i in ids],
                       "next_href": None if next_offset is None else
                       f"{API}/users/{user_id}/likes?offset={next_offset}&limit=2"})


def reader(limit=None, budget=None, retries=2):
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    config = ReaderConfig(api_url=API, web_url="https://web.test", interaction="likes", limit=limit,
                          page_size=2, api_retries=retries)
    return SessionReader(config, budget or RequestBudget(rate=0), sleep=sleep), sleeps


def run(coroutine):
    return asyncio.run(coroutine)


def test_pages_followed_with_client_params_until_the_limit():
    def answers(url, _n):
        offset = parse_qs(urlsplit(url).query).get("offset", ["0"])[0]
        return {"status": 200, "text": page_body([int(offset) + 1, int(offset) + 2], int(offset) + 2)}

    the_reader, _ = reader(limit=5)
    fake = session(answers)
    read = run(the_reader.items(fake, 7, SessionRead()))
    assert [item["track"]["id"] for item in read.items] == [1, 2, 3, 4, 5]
    assert read.complete and read.pages == 3 and read.requests == 3
    for url in fake.page.urls:
        query = parse_qs(urlsplit(url).query)
        assert query["client_id"] == ["c" * 32] and query["app_version"] == ["123"]


def test_429_pauses_the_whole_budget_and_does_not_use_up_retries():
    budget = RequestBudget(rate=0)
    calls = []

    def answers(url, n):
        calls.append(n)
        if n <= 4:  # more 429s than retries allowed
            return {"status": 429, "retryAfter": "3", "text": "Please slow down."}
        return {"status": 200, "text": page_body([1])}

    the_reader, _ = reader(budget=budget, retries=2)
    pauses = []
    budget.pause = lambda seconds, reason="": pauses.append(seconds)  # observe, don't wait
    read = run(the_reader.items(session(answers), 7, SessionRead()))
    assert read.complete and len(read.items) == 1
    assert pauses == [3, 3, 3, 3] and read.retries["rate_limited"] == 4


def test_5xx_and_truncated_bodies_back_off_and_retry_then_give_up_as_stalled():
    def flaky(url, n):
        return [{"status": 502, "text": "<html>"}, {"status": 200, "text": '{"collection": [{"cr'},
                {"status": 200, "text": page_body([1])}][min(n - 1, 2)]

    the_reader, sleeps = reader(retries=2)
    read = run(the_reader.items(session(flaky), 7, SessionRead()))
    assert read.complete and read.retries == {"http_502": 1, "truncated": 1} and sleeps == [1.0, 2.0]

    the_reader, _ = reader(retries=2)
    dead = run(the_reader.items(session(lambda url, n: {"status": 503, "text": ""}), 7, SessionRead()))
    assert dead.stalled and not dead.complete and dead.requests == 3


def test_moved_endpoint_and_changed_shape_are_unreadable_not_lost():
    the_reader, _ = reader()
    with pytest.raises(ListUnreadable):
        run(the_reader.items(session(lambda url, n: {"status": 404, "text": "{}"}), 7, SessionRead()))
    with pytest.raises(ListUnreadable):
        run(the_reader.items(session(lambda url, n: {"status": 200, "text": '{"items": []}'}), 7, SessionRead()))


def test_user_by_id_or_resolve_and_not_found():
    user = {"id": 7, "kind": "user", "permalink": "seven", "followers_count": 300}
    the_reader, _ = reader()
    fake = session(lambda url, n: {"status": 200, "text": json.dumps(user)})
    assert run(the_reader.user(fake, "seven", 7, SessionRead())) == user
    assert run(the_reader.user(fake, "seven", None, SessionRead())) == user
    assert urlsplit(fake.page.urls[0]).path == "/users/7"
    assert urlsplit(fake.page.urls[1]).path == "/resolve"
    assert parse_qs(urlsplit(fake.page.urls[1]).query)["url"] == ["https://web.test/seven"]
    with pytest.raises(AccountNotFound):
        run(the_reader.user(session(lambda url, n: {"status": 404, "text": "{}"}), "gone", None, SessionRead()))
    with pytest.raises(ClientIdRefused):
        run(the_reader.user(session(lambda url, n: {"status": 401, "text": "{}"}), "x", None, SessionRead()))


def test_empty_page_pointing_at_itself_is_asked_again_a_bounded_number_of_times():
    def stuck(url, n):
        return {"status": 200, "text": json.dumps({"collection": [], "next_href": f"{API}/users/7/likes?offset=0&limit=2"})}

    the_reader, sleeps = reader(retries=2)
    read = run(the_reader.items(session(stuck), 7, SessionRead()))
    assert read.stalled and read.retries["no_progress"] == 3 and len(sleeps) == 2


def test_a_refresh_read_stops_at_the_page_holding_the_previous_visits_newest_item():
    from scmap.refresh import Cutoff

    def answers(url, _n):  # likes 1..10, one a day, newest first: track i liked on day 11 - i
        offset = int(parse_qs(urlsplit(url).query).get("offset", ["0"])[0])
        ids = [offset + 1, offset + 2]
        body = json.loads(page_body(ids, offset + 2 if offset + 2 < 10 else None))
        for item in body["collection"]:
            item["created_at"] = f"2024-01-{11 - item['track']['id']:02d}T00:00:00Z"
        return {"status": 200, "text": json.dumps(body)}

    the_reader, _ = reader()
    fake = session(answers)  # the last visit's newest item: track 3
    read = run(the_reader.items(fake, 7, SessionRead(), cutoff=Cutoff("2024-01-08T00:00:00Z", 3)))
    assert [item["track"]["id"] for item in read.items] == [1, 2]
    assert read.complete and read.pages == 2 and len(fake.page.urls) == 2  # not the 5 a full read takes


def test_a_refresh_read_keeps_the_limit_when_the_cut_off_page_goes_past_it():
    from scmap.refresh import Cutoff

    def answers(url, _n):  # pages of 3: likes 1..9, one a day, newest first
        offset = int(parse_qs(urlsplit(url).query).get("offset", ["0"])[0])
        body = json.loads(page_body([offset + 1, offset + 2, offset + 3], offset + 3 if offset + 3 < 9 else None))
        for item in body["collection"]:
            item["created_at"] = f"2024-01-{11 - item['track']['id']:02d}T00:00:00Z"
        return {"status": 200, "text": json.dumps(body)}

    limited, _ = reader(limit=4)  # page 2 holds the cut-off (track 6) and two newer items: 5 in all
    read = run(limited.items(session(answers), 7, SessionRead(), cutoff=Cutoff("2024-01-05T00:00:00Z", 6)))
    assert [item["track"]["id"] for item in read.items] == [1, 2, 3, 4] and read.complete
