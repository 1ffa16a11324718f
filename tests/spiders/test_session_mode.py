"""Session mode end to end (real Chromium, sandbox over HTTP): a 429 storm pauses every page of
the process and loses nothing; when the site moves its list endpoints, session mode hands the
accounts to the scroll path and the edges are still exact."""

from __future__ import annotations

import pytest

from scmap.sandbox.drift import LIST_ROUTE_MOVED
from scmap.sandbox.runner import run_sandbox

from .crawl import run_crawl
from .test_e2e import assert_exact_lists, permalink_of

CALLS_IN_FLIGHT = 4


def longest_likers(truth, count: int) -> list[int]:
    listed = truth.interactions[truth.interactions["listed"] & (truth.interactions["interaction"] == "likes")]
    sizes = listed.groupby("src_id").size().sort_values(ascending=False)
    return sorted(int(user_id) for user_id in sizes.index[:count])


@pytest.mark.timeout(300)
def test_429_storm_pauses_every_page_and_loses_nothing(truth, fault_sandbox, tmp_path):
    user_ids = longest_likers(truth, 10)
    seeds = [permalink_of(truth, user_id) for user_id in user_ids]
    # 8 api calls per 4 s window: far less than 4 lists read at once ask for.
    with fault_sandbox({"rate_limit": 8, "rate_window": 4}) as site:
        result = run_crawl("likes", site, seeds, tmp_path, limit="all", mode="session",
                           settings={"CONCURRENT_REQUESTS_PER_DOMAIN": CALLS_IN_FLIGHT,
                                     # a 429 uses up one of Scrapy's retries (RetryMiddleware)
                                     "RETRY_TIMES": 20, "SCMAP_API_PAGE_SIZE": 50})
        served = site.counts()
    assert result.returncode == 0, result.log[-3000:]
    assert served.get("rate_limited", 0) >= 3  # really a storm
    assert result.stat("scmap/api/rate_limited") == served["rate_limited"]
    assert result.stat("retry/reason_count/429 Unknown Status") == served["rate_limited"]
    assert result.stat("scmap/api/process_pauses") >= 1
    # Once a 429 came back, no page of the process asked again before its Retry-After ran out.
    assert served.get("requests_during_retry_after", 0) == 0
    assert result.stat("scmap/likes/lists_done") == len(user_ids)
    assert_exact_lists(truth, result, "likes", user_ids, None)
    assert "every page pauses" in result.log


@pytest.mark.timeout(300)
def test_moved_list_endpoint_falls_back_to_the_rendered_page(truth, spider_world, tmp_path):
    """The list endpoints move (`--drift list-route-moved`; the site's own bundle follows them):
    session mode cannot read them, hands each account to the scroll path, whose page calls a
    route it does not know either, so its DOM fallback reads the rendered list and resolves it:
    still the exact edges."""
    followings = truth.interactions[truth.interactions["listed"] & (truth.interactions["interaction"] == "follows")]
    sizes = followings.groupby("src_id").size().sort_values(ascending=False)
    user_ids = sorted(int(user_id) for user_id in sizes.index[:3])
    seeds = [permalink_of(truth, user_id) for user_id in user_ids]
    with run_sandbox(spider_world, extra_args=["--drift", LIST_ROUTE_MOVED]) as site:
        result = run_crawl("follows", site, seeds, tmp_path, limit=20, mode="session")
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("scmap/follows/session/fallbacks") == len(user_ids)
    assert result.stat("scmap/follows/session/lists_read") == 0
    assert result.stat("scmap/follows/dom_fallback") == len(user_ids)
    assert "reading its rendered page" in result.log
    assert_exact_lists(truth, result, "follows", user_ids, 20)
