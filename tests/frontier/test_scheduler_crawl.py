"""The scheduler driven by a real Scrapy crawler (fake spider on data: URLs, no network)."""

from __future__ import annotations

import pytest

from scmap.frontier.store_url import open_store
from tests.frontier.fake_crawl import WEIGHTS, make_world, read_edges, start_crawl, write_config
from tests.frontier.reference_order import reference_picks

SEEDS = ["u1", "u2", "u3"]


def world_with_missing_popular_account(seed: int) -> dict:
    world = make_world(seed=seed, accounts=200)
    popular = max(world["edges"]["u5"] or [{"dst_permalink": "u5"}], key=lambda e: e["dst_permalink"])
    world["missing"] = [popular["dst_permalink"]]  # one visited target answers 404
    return world


@pytest.mark.timeout(120)
@pytest.mark.parametrize("accounts_in_flight, spider_skips", [(1, True), (4, True), (3, False)])
def test_real_crawl_follows_the_rules(tmp_path, accounts_in_flight, spider_skips, frontier_store_url):
    world = world_with_missing_popular_account(seed=11)
    args = {"seeds": ",".join(SEEDS), "bfs_accounts": 12, "max_accounts": 45, "min_followers": 250,
            "accounts_in_flight": accounts_in_flight, "spider_skips": spider_skips}
    process = start_crawl(write_config(tmp_path, world, args, store=frontier_store_url("run")))
    log, _ = process.communicate(timeout=100)
    assert process.returncode == 0, log[-3000:]

    store = open_store(frontier_store_url("run"))
    picks = [(permalink, status) for _, permalink, status in store.picks("fake")]
    expected = reference_picks(world, SEEDS, 12, 45, 250, WEIGHTS, accounts_in_flight)
    assert picks == expected
    statuses = [status for _, status in picks]
    assert statuses.count("done") == 45 and "skipped" in statuses

    sources = {edge["src_permalink"] for edge in read_edges(tmp_path / "run.jsonl")}
    visited_with_edges = {p for p, status in picks if status == "done" and world["edges"][p]}
    if spider_skips:  # nothing under the threshold was crawled: no edge comes from a small account
        assert sources == visited_with_edges
    else:  # small accounts read anyway are still recorded as skipped, with no effect on the order
        small = {p for p, status in picks if status == "skipped" and world["edges"][p]}
        assert small and sources == visited_with_edges | small
    # Progress is logged at intervals and at the end, with the phase and the top of the queue.
    assert "frontier fake (final): phase 2 (by score), visited 45/45" in log
    assert "next: " in log and "'frontier/visited': 45" in log


@pytest.mark.timeout(120)
def test_objects_are_counted_as_the_accounts_items_but_never_taken_for_edges(tmp_path, frontier_store_url):
    """Each edge comes with the ObjectItem of its track (issue 18): the spider counts both in
    account_done's `items`. The finishes must still settle (objects counted out of the pipeline)
    and the order must be the edges-only one (an object's owner is no discovered account)."""
    world = world_with_missing_popular_account(seed=11)
    world["objects"] = True
    args = {"seeds": ",".join(SEEDS), "bfs_accounts": 12, "max_accounts": 45, "min_followers": 250,
            "accounts_in_flight": 3, "spider_skips": True}
    process = start_crawl(write_config(tmp_path, world, args, store=frontier_store_url("run")))
    log, _ = process.communicate(timeout=100)
    assert process.returncode == 0, log[-3000:]
    store = open_store(frontier_store_url("run"))
    picks = [(permalink, status) for _, permalink, status in store.picks("fake")]
    assert picks == reference_picks(world, SEEDS, 12, 45, 250, WEIGHTS, 3)
    edges = read_edges(tmp_path / "run.jsonl")
    assert edges and all("dst_permalink" in edge for edge in edges)
    assert f"'frontier/edges_collected': {len(edges)}" in log
    assert "left the pipeline; recording it" not in log  # every item counted out, objects too
    assert "frontier/items_unattributed" not in log
    assert "account_done_unexpected" not in log and "Spider closed (finished)" in log


@pytest.mark.timeout(120)
def test_crawl_ends_when_the_frontier_is_empty(tmp_path, frontier_store_url):
    world = {"followers": {"a": 500, "b": 500, "c": 10}, "missing": [],
             "edges": {"a": [{"dst_permalink": "b", "dst_id": 2, "dst_followers_count": None, "interaction": "likes",
                              "object_kind": "track", "object_id": 1, "created_at": "2024-01-01T00:00:00Z"},
                             {"dst_permalink": "c", "dst_id": 3, "dst_followers_count": 10, "interaction": "likes",
                              "object_kind": "track", "object_id": 2, "created_at": "2024-01-01T00:00:00Z"}],
                       "b": [], "c": []}}
    args = {"seeds": "a", "bfs_accounts": 1, "max_accounts": 100, "accounts_in_flight": 2}
    process = start_crawl(write_config(tmp_path, world, args, store=frontier_store_url("run")))
    log, _ = process.communicate(timeout=100)
    assert process.returncode == 0, log[-3000:]
    store = open_store(frontier_store_url("run"))
    assert store.picks("fake") == [(1, "a", "done"), (2, "b", "done")]
    assert "Spider closed (finished)" in log
