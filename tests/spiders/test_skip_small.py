"""Accounts under the frontier's follower threshold are skipped before their list is read:
the profile's hydration followers_count decides, the page is closed without a scroll, the
AccountItem is kept, no edge is stored, and the frontier records the account `skipped`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.spiders.base import skip_threshold

from .crawl import run_crawl

FRONTIER = "scmap.frontier.scheduler.FrontierScheduler"
MIN_FOLLOWERS = 250


def test_threshold_applies_with_the_frontier_or_an_explicit_argument_only():
    stock = Settings({"SCHEDULER": "scrapy.core.scheduler.Scheduler", "FRONTIER_MIN_FOLLOWERS": 250})
    frontier = Settings({"SCHEDULER": FRONTIER, "FRONTIER_MIN_FOLLOWERS": 300})
    assert skip_threshold(None, stock) is None  # seeds-only crawls read every list
    assert skip_threshold(None, frontier) == 300
    assert skip_threshold(None, Settings({"SCHEDULER": FRONTIER})) == 250  # the frontier's default
    assert skip_threshold(40, stock) == 40  # -a min_followers=40 always applies
    assert skip_threshold(0, frontier) is None  # 0 switches skipping off
    # Any scheduler that says it hands out accounts (scmap.contract), by class attribute, not name.
    assert skip_threshold(None, Settings({"SCHEDULER": SimpleNamespace(hands_out_accounts=True),
                                          "FRONTIER_MIN_FOLLOWERS": 7})) == 7
    assert skip_threshold(None, Settings({"SCHEDULER": SimpleNamespace(__name__="FrontierScheduler"),
                                          "FRONTIER_MIN_FOLLOWERS": 7})) is None


def small_liker(truth) -> tuple[int, str, int]:
    """An account under the threshold whose likes list is not empty (a read would store edges)."""
    users = truth.users.set_index("id")
    for user_id in sorted(users.index):
        followers = int(users.loc[user_id, "followers_count"])
        if followers < MIN_FOLLOWERS and len(truth.recent_interactions(user_id, "likes", 30)) >= 5:
            return int(user_id), users.loc[user_id, "permalink"], followers
    raise AssertionError("the world has no small account with likes")


@pytest.mark.timeout(180)
def test_small_seed_is_skipped_without_reading_its_list(truth, clean_sandbox, tmp_path):
    user_id, permalink, followers = small_liker(truth)
    store_path = tmp_path / "frontier.sqlite"
    settings = {"SCHEDULER": FRONTIER, "FRONTIER_URL": str(store_path),
                "FRONTIER_MIN_FOLLOWERS": MIN_FOLLOWERS, "FRONTIER_LOG_INTERVAL": "0",
                "FRONTIER_MAX_ACCOUNTS": "1", "FRONTIER_BFS_ACCOUNTS": "1",
                "FRONTIER_ACCOUNTS_IN_FLIGHT": "1"}
    result = run_crawl("likes", clean_sandbox, [permalink], tmp_path, limit=30, settings=settings)

    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("scmap/likes/skipped_small") == 1
    # Not read: no scroll, no list, no edge; the profile is still stored.
    assert result.stat("scmap/likes/scrolls") == 0 and result.stat("scmap/likes/lists") == 0
    assert len(result.edges) == 0
    assert list(result.accounts["id"]) == [user_id]
    assert int(result.accounts["followers_count"].iloc[0]) == followers
    assert f"Skipped {permalink} without reading its list" in result.log
    # The frontier got status `skipped` from the spider (not a `done` it re-labels).
    assert result.stat("frontier/accounts_skipped") == 1 and result.stat("frontier/accounts_done") == 0
    store = SqliteFrontierStore(store_path)
    try:
        assert [(p, s) for _, p, s in store.picks("likes")] == [(permalink, "skipped")]
    finally:
        store.close()
