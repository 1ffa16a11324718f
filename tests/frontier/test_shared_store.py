"""Several spiders on one store (like `python -m scmap.crawl`): visits per spider, discoveries
and scores shared, every visit's edges counted once."""

from __future__ import annotations

import pytest

from scmap.frontier.store_url import open_store
from tests.frontier.fake_crawl import WEIGHTS, make_world, start_crawl, write_config

SPIDERS = ["likes_like", "follows_like"]


@pytest.mark.timeout(120)
def test_two_spiders_in_one_process_share_scores_and_keep_their_own_visits(tmp_path, frontier_store_url):
    world = make_world(seed=21, accounts=150)
    args = {"seeds": "u1,u2,u3", "bfs_accounts": 8, "max_accounts": 25, "accounts_in_flight": 3}
    process = start_crawl(write_config(tmp_path, world, args, spiders=SPIDERS, store=frontier_store_url("run")))
    log, _ = process.communicate(timeout=100)
    assert process.returncode == 0, log[-3000:]

    store = open_store(frontier_store_url("run"))
    visits = {name: store.visited_order(name) for name in SPIDERS}
    for name in SPIDERS:
        assert len(visits[name]) == 25 == len(set(visits[name]))
        assert f"frontier {name} (final)" in log
    # Each score is the sum over BOTH spiders' visits of their edges' weights: once per visit.
    expected: dict[str, float] = {}
    for name in SPIDERS:
        for src in visits[name]:
            for edge in world["edges"][src]:
                if edge["dst_permalink"] != src:
                    expected[edge["dst_permalink"]] = expected.get(edge["dst_permalink"], 0) + WEIGHTS[edge["interaction"]]
    for permalink, score in expected.items():
        assert store.account(permalink)["score"] == score, permalink
