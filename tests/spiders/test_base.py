"""The base spider without a browser: arguments, the request it builds, context rotation."""

from __future__ import annotations

import asyncio
import json
import pickle

import pytest
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from scmap.spiders import challenge_guard
from scmap.spiders.challenge_guard import ChallengeGuard
from scmap.signals import account_done
from scmap.soundcloud.permalinks import BadSeed, permalink_from_seed
from scmap.contract import crawl_rules
from scmap.settings import FRONTIER_BFS_ACCOUNTS
from scmap.spiders.base import DEFAULT_LIMIT, parse_limit
from scmap.spiders.follows import FollowsSpider
from scmap.spiders.likes import LikesSpider
from scmap.spiders.list_config import CONFIG_META_KEY, ListConfig
from scmap.spiders.session_mode import EDGE_TRIM_KEYS, TRIM_KEYS


@pytest.mark.parametrize("text, permalink", [
    ("zoe-beats", "zoe-beats"),
    (" /zoe-beats/ ", "zoe-beats"),
    ("https://soundcloud.com/zoe-beats/likes", "zoe-beats"),
    ("soundcloud.com/Old_Account_1?utm=x", "Old_Account_1"),
    ("https://m.soundcloud.com/user-21172505", "user-21172505"),
    ("2080", "2080"),
])
def test_seed_text_to_permalink(text, permalink):
    assert permalink_from_seed(text) == permalink


@pytest.mark.parametrize("text", ["", "   ", "https://example.com/zoe", "soundcloud.com/", "zoé beats",
                                  "https://soundcloud.com/discover", "<script>", "a/b\\c d"])
def test_malformed_seed_text_is_refused(text):
    with pytest.raises(BadSeed):
        permalink_from_seed(text)


def test_limit_argument():
    assert parse_limit(None) == DEFAULT_LIMIT and parse_limit("") == DEFAULT_LIMIT
    assert parse_limit("all") is None and parse_limit(" ALL ") is None
    assert parse_limit("25") == 25
    for bad in ("0", "-3", "many"):
        with pytest.raises(ValueError):
            parse_limit(bad)


def spider(cls=LikesSpider, settings=None, **kwargs):
    crawler = get_crawler(cls, settings_dict={"SOUNDCLOUD_WEB_URL": "http://web/",
                                              "SOUNDCLOUD_API_URL": "http://web/api-v2", **(settings or {})})
    return cls.from_crawler(crawler, **kwargs)


def test_arguments_bad_seeds_and_frontier_options():
    instance = spider(seeds="a-one, https://soundcloud.com/b-two/likes,,http://x.org/c,a-one",
                      limit="oops", max_accounts="100", min_followers="5")
    assert instance.seeds == ["a-one", "b-two"]  # deduplicated, order kept
    assert len(instance.bad_seeds) == 1 and "x.org" in instance.bad_seeds[0]
    assert instance.limit == DEFAULT_LIMIT and instance.bad_limit
    # The frontier's arguments reach it through the contract, the settings' defaults filling in.
    rules = crawl_rules(instance, instance.crawler.settings)
    assert (rules.max_accounts, rules.bfs_accounts, rules.min_followers) == (100, FRONTIER_BFS_ACCOUNTS, 5)
    assert instance.skip_below_followers == 5  # -a min_followers always applies to the profile read


def test_request_for_account_is_persistable_and_points_at_the_list_page():
    instance = spider(FollowsSpider, seeds="x", limit="all", mode="scroll")
    request = instance.request_for_account("some-one")
    assert request.url == "http://web/some-one/following"
    meta = request.meta
    assert meta["playwright"] and meta["playwright_include_page"]
    assert isinstance(meta["playwright_page_init_callback"], str)
    config = ListConfig.from_meta(meta[CONFIG_META_KEY])
    assert config.limit is None and config.route == FollowsSpider.api_route
    # No callables anywhere in meta: the request survives a disk queue round trip.
    restored = request_from_dict(pickle.loads(pickle.dumps(request.to_dict(spider=instance))), spider=instance)
    assert restored.url == request.url and restored.callback == instance.parse_list


def test_session_mode_is_the_default_and_its_requests_are_api_v2_calls():
    instance = spider(FollowsSpider, seeds="x", limit="all")
    assert instance.mode == "session"
    request = instance.request_for_account("some-one")
    # The account's first call: /resolve, a real api-v2 URL, for the page transport, in the api-v2 slot.
    assert request.url == "http://web/api-v2/resolve?url=http%3A%2F%2Fweb%2Fsome-one"
    assert request.meta["scmap_transport"] == "page" and request.meta["download_slot"] == "api-v2"
    assert request.meta["scmap_mode"] == "session" and "playwright" not in request.meta
    restored = request_from_dict(pickle.loads(pickle.dumps(request.to_dict(spider=instance))), spider=instance)
    assert restored.callback == instance.parse_user and restored.meta["permalink"] == "some-one"
    # The frontier knows the id: /users/{id}; and a passing followers count: the first page at once.
    request.meta.update(frontier_account="some-one", frontier_user_id=42)
    (user_call,) = instance.start_account(request)
    assert user_call.url == "http://web/api-v2/users/42"
    request.meta["frontier_followers_count"] = 10_000
    user_call, first_page = instance.start_account(request)
    assert first_page.url.startswith("http://web/api-v2/users/42/followings?offset=0&limit=200")
    assert first_page.meta["frontier_account"] == "some-one" and first_page.callback == instance.parse_page
    # Its fallback is the scroll request of the same account, keeping the frontier's tags.
    (fallback,) = list(instance._fallback(instance.reads["some-one"], request, "moved"))
    assert fallback.url == "http://web/some-one/following" and fallback.meta["playwright"]
    assert fallback.meta["frontier_account"] == "some-one" and fallback.meta["frontier_user_id"] == 42
    # A failed fallback is retried the scroll way, not in session mode again.
    assert instance._retry(fallback, "died").url == fallback.url


def json_response(request, status, body):
    from scrapy.http import TextResponse

    return TextResponse(request.url, status=status, body=json.dumps(body).encode(), request=request,
                        headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("objects", [True, False])
def test_session_callbacks_read_user_then_pages_and_finish_the_account(objects):
    instance = spider(LikesSpider, {"SCMAP_WRITE_OBJECTS": objects}, seeds="x", limit=3)
    instance.crawler.stats.open_spider()
    done = []

    def on_done(**kwargs):
        done.append(kwargs)

    instance.crawler.signals.connect(on_done, signal=account_done)
    (first,) = instance.start_account(instance.request_for_account("zoe"))
    user = {"id": 7, "kind": "user", "permalink": "zoe", "username": "Zoe", "followers_count": 900}
    (page_call,) = list(instance.parse_user(json_response(first, 200, user)))
    assert page_call.url == "http://web/api-v2/users/7/likes?offset=0&limit=3&linked_partitioning=1"
    # The page is cut down in the browser to the keys the edges (and the objects) are read from.
    assert page_call.meta["scmap_keep_keys"] == (TRIM_KEYS if objects else EDGE_TRIM_KEYS)
    like = lambda n: {"created_at": f"2024-01-0{n}T00:00:00Z", "kind": "like",
                      "track": {"id": n, "kind": "track", "user": {"id": 100 + n, "permalink": f"u{n}",
                                                                   "username": f"U{n}", "followers_count": 5}}}
    page1 = {"collection": [like(1), like(2)], "next_href": "http://web/api-v2/users/7/likes?offset=x&limit=3"}
    (next_call,) = list(instance.parse_page(json_response(page_call, 200, page1)))
    assert next_call.url == page1["next_href"] and done == []
    page2 = {"collection": [like(3), like(4)], "next_href": "http://web/api-v2/users/7/likes?offset=y&limit=3"}
    out = list(instance.parse_page(json_response(next_call, 200, page2)))
    kinds = [type(item).__name__ for item in out]
    # cut at limit=3; each liked track is an object too, counted in the account's items
    assert kinds == ["AccountItem", *["EdgeItem"] * 3, *["ObjectItem"] * (3 if objects else 0)]
    assert [(item["object_id"], item["owner_id"], item["kind"]) for item in out[4:]] == \
        ([(1, 101, "track"), (2, 102, "track"), (3, 103, "track")] if objects else [])
    assert [(d["permalink"], d["status"], d["items"]) for d in done] == [("zoe", "done", len(out))]
    # A late answer for a finished account is ignored.
    assert list(instance.parse_page(json_response(next_call, 200, page2))) == []


def test_mode_argument():
    assert spider(seeds="x", mode="scroll").mode == "scroll"
    assert spider(seeds="x", mode=" SESSION ").mode == "session"
    bad = spider(seeds="x", mode="turbo")
    assert bad.mode == "session" and "turbo" in bad.bad_mode


class FakeContext:
    def __init__(self) -> None:
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


class FakePage:
    def __init__(self, context: FakeContext) -> None:
        self.context, self._closed = context, False

    def is_closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        self._closed = True


def test_contexts_rotate_and_retired_ones_close_after_their_last_page():
    instance = spider(settings={"SCMAP_ACCOUNTS_PER_CONTEXT": 2}, seeds="x", mode="scroll")
    requests = [instance.request_for_account(f"acct-{n}") for n in range(5)]
    names = [request.meta["playwright_context"] for request in requests]
    assert names == ["likes-0", "likes-0", "likes-1", "likes-1", "likes-2"]
    contexts = {name: FakeContext() for name in set(names)}

    async def finish(index: int) -> None:
        name = names[index]
        await instance._close_page(FakePage(contexts[name]), name)

    asyncio.run(finish(0))
    assert contexts["likes-0"].closed == 0  # one of its pages is still open
    asyncio.run(finish(1))
    assert contexts["likes-0"].closed == 1  # retired and idle: closed
    asyncio.run(finish(4))
    assert contexts["likes-2"].closed == 0  # the current context stays open


def test_with_a_profile_every_account_shares_one_persistent_context_never_closed(tmp_path):
    profile = tmp_path / "profile"
    profile.mkdir()
    instance = spider(settings={"SCMAP_ACCOUNTS_PER_CONTEXT": 2, "SCMAP_BROWSER_PROFILE": str(profile)},
                      seeds="x")
    requests = [instance.request_for_account(f"acct-{n}") for n in range(5)]
    assert {request.meta["playwright_context"] for request in requests} == {"likes-profile"}
    assert all(request.meta["playwright_context_kwargs"]["user_data_dir"] == str(profile)
               for request in requests)
    context = FakeContext()

    async def finish_all() -> None:
        for request in requests:
            await instance._close_page(FakePage(context), "likes-profile")

    asyncio.run(finish_all())
    assert context.closed == 0  # the profile's context lives for the whole run


def test_a_failed_list_is_retried_once_keeping_the_frontier_tag():
    instance = spider(seeds="x", mode="scroll")  # a session-mode call is retried by Scrapy
    instance.crawler.stats.open_spider()
    done = []

    def on_done(**kwargs):
        done.append(kwargs)

    instance.crawler.signals.connect(on_done, signal=account_done)
    first = instance.request_for_account("acct")
    first.meta["frontier_account"] = "acct"
    retry = instance._retry(first, "browser died")
    assert retry is not None and retry.meta["scmap_attempt"] == 2
    assert retry.meta["frontier_account"] == "acct" and retry.url == first.url
    assert done == []  # not finished yet
    assert instance._retry(retry, "died again") is None
    assert [(d["permalink"], d["status"]) for d in done] == [("acct", "failed")]


@pytest.mark.parametrize("web_url, kept", [("https://soundcloud.com", "https"), ("http://127.0.0.1:8000", "http")])
def test_playwright_renders_only_the_sites_scheme(web_url, kept):
    crawler = get_crawler(LikesSpider, settings_dict={
        "SOUNDCLOUD_WEB_URL": web_url,
        "DOWNLOAD_HANDLERS": {"http": "scmap.transport.handler.ScmapDownloadHandler",
                              "https": "scmap.transport.handler.ScmapDownloadHandler"}})
    assert set(crawler.settings.getdict("DOWNLOAD_HANDLERS")) == {kept}


def test_a_list_read_in_either_mode_resets_the_challenges_in_a_row(monkeypatch):
    """Session mode (the default) reports its lists through _account_done too: a challenge
    hours after the last one is not 'in a row' with it."""
    guard = ChallengeGuard(in_a_row=2)
    monkeypatch.setattr(challenge_guard, "_process_guard", guard)
    for mode in ("session", "http", "scroll"):
        instance = spider(seeds="x", mode=mode)
        instance._account_done("acct", 1, 300, "skipped")
        assert guard.in_a_row == 2  # no list read
        instance._account_done("acct", 1, 300, "done")
        assert guard.in_a_row == 0
        guard.in_a_row = 2
