"""A spider whose frontier is empty does not close while another spider sharing the store still
has picks in flight whose edges may add accounts (docs/frontier.md, "Four spiders, one store");
it does close when that other spider's holder is dead (lease expired)."""

from __future__ import annotations

import time

import pytest

from scmap.frontier.ordering import CrawlRules
from scmap.frontier.store_url import open_store
from tests.frontier.fake_crawl import make_world, start_crawl, write_config

FAST_POLL = {"FRONTIER_WAIT_POLL_SECONDS": 0.3, "FRONTIER_LOG_INTERVAL": 1}
WAITING = "frontier follows_like: waiting for other spiders' in-flight accounts"


@pytest.mark.timeout(90)
def test_a_spider_with_an_empty_frontier_waits_for_accounts_another_spider_discovers(tmp_path, frontier_store_url):
    world = make_world(seed=21, accounts=150)
    missing = world["missing"][0]  # B's only own seed: answers 404, nothing to crawl after it
    url = frontier_store_url("shared")
    slow = write_config(tmp_path, world, {"seeds": "u1,u2,u3", "bfs_accounts": 5, "max_accounts": 12,
                                          "accounts_in_flight": 2, "page_delay": 0.15},
                        name="likes", spiders=["likes_like"], store=url, settings=FAST_POLL)
    fast = write_config(tmp_path, world, {"seeds": missing, "bfs_accounts": 5, "max_accounts": 1000,
                                          "accounts_in_flight": 4},
                        name="follows", spiders=["follows_like"], store=url, settings=FAST_POLL)
    store = open_store(url)
    likes = start_crawl(slow)
    deadline = time.monotonic() + 30
    while store.in_flight_elsewhere("follows_like", 30) == 0:  # A is crawling before B starts
        assert time.monotonic() < deadline and likes.poll() is None, "likes never started"
        time.sleep(0.05)
    follows = start_crawl(fast)
    likes_log, _ = likes.communicate(timeout=70)
    follows_log, _ = follows.communicate(timeout=70)
    assert likes.returncode == 0, likes_log[-3000:]
    assert follows.returncode == 0, follows_log[-3000:]

    assert follows_log.count(WAITING) >= 1, follows_log[-3000:]
    rules = CrawlRules(bfs_accounts=5, max_accounts=1000)
    likes_visits = store.visited_order("likes_like")
    assert len(likes_visits) == 12
    follows_picks = {permalink for _, permalink, _ in store.picks("follows_like")}
    # B picked every account A's visits discovered that the rules let it pick ...
    for src in likes_visits:
        for edge in world["edges"][src]:
            followers = store.account(edge["dst_permalink"])["followers_count"]
            if followers is None or followers >= rules.min_followers:
                assert edge["dst_permalink"] in follows_picks, edge["dst_permalink"]
    # ... and closed only with nothing left: its frontier empty, nothing in flight anywhere.
    assert store.counts("follows_like", rules).frontier_size == 0
    assert store.counts("follows_like", rules).in_flight == 0
    assert len(follows_picks) > 12
    store.close()


@pytest.mark.timeout(60)
def test_a_spider_does_not_wait_for_a_dead_holder_once_its_lease_expired(tmp_path, frontier_store_url):
    world = make_world(seed=21, accounts=150)
    held, seed = "u148", world["missing"][0]
    world["missing"].append(held)  # B crawls both quickly (404), then has nothing left
    url = frontier_store_url("shared")
    store = open_store(url)
    store.add_discovered([held])
    rules = CrawlRules(bfs_accounts=5, max_accounts=10, accounts_in_flight=1)
    lease = 4.0  # the holder (another machine) died right after claiming: nothing renews it
    claim = store.claim_next("likes_like", "other-machine:42:gone", rules, lease)
    assert claim.permalink == held
    claimed_at = time.monotonic()
    config = write_config(tmp_path, world, {"seeds": seed, "bfs_accounts": 5, "max_accounts": 100},
                          name="follows", spiders=["follows_like"], store=url, settings=FAST_POLL)
    follows = start_crawl(config)
    log, _ = follows.communicate(timeout=45)
    elapsed = time.monotonic() - claimed_at
    assert follows.returncode == 0, log[-3000:]
    assert f"{WAITING} (1)" in log, log[-3000:]
    assert "no other spider has accounts in flight" in log
    assert elapsed >= lease - 0.5  # it did wait for the lease ...
    assert elapsed < 30  # ... and no longer
    # discovery order: `held` (discovered by the dead run) before B's own seed
    assert [(p, s) for _, p, s in store.picks("follows_like")] == [(held, "not_found"), (seed, "not_found")]
    assert store.picks("likes_like") == [(1, held, "in_flight")]  # left for its own spider
    store.close()
