"""Several nodes (owners) sharing one spider's picks: each has its own window, and the lag of
the scores is W = the sum of the live nodes' windows (docs/frontier.md, "Several nodes").
Run against both stores."""

from __future__ import annotations

import random
import time

import pytest

from scmap.frontier.ordering import CrawlRules, Decision
from scmap.frontier.store import Edge

SPIDER = "likes"


def rules_with(window: int, bfs: int = 100, max_accounts: int = 100) -> CrawlRules:
    return CrawlRules(bfs_accounts=bfs, max_accounts=max_accounts, min_followers=0, accounts_in_flight=window)


def test_a_node_that_joins_takes_its_own_window_at_once(frontier_store):
    store = frontier_store
    store.add_discovered([f"s{i}" for i in range(1, 8)])
    a, b = "host-a:1:x", "host-b:1:x"
    assert [store.claim_next(SPIDER, a, rules_with(2), 60).permalink for _ in range(2)] == ["s1", "s2"]
    assert store.claim_next(SPIDER, a, rules_with(2), 60).decision is Decision.WAIT  # its window is full
    assert [store.claim_next(SPIDER, b, rules_with(2), 60).permalink for _ in range(2)] == ["s3", "s4"]
    assert store.claim_next(SPIDER, b, rules_with(2), 60).decision is Decision.WAIT
    # W = 4: pick 5 needs pick 1 applied, so finishing pick 2 does not free pick 5 ...
    assert store.mark_done(SPIDER, "s2", [], None, None)
    assert store.claim_next(SPIDER, a, rules_with(2), 60).decision is Decision.WAIT
    # ... finishing pick 1 does.
    assert store.mark_done(SPIDER, "s1", [], None, None)
    assert store.claim_next(SPIDER, a, rules_with(2), 60).permalink == "s5"


def test_a_node_that_leaves_stops_counting_in_the_lag(frontier_store):
    store = frontier_store
    store.add_discovered([f"s{i}" for i in range(1, 8)])
    a, gone, released = "host-a:1:x", "host-gone:1:x", "host-r:1:x"
    assert store.claim_next(SPIDER, gone, rules_with(3), 1.0).permalink == "s1"
    assert store.mark_done(SPIDER, "s1", [], None, None)
    assert store.claim_next(SPIDER, released, rules_with(3), 600).permalink == "s2"
    assert store.mark_done(SPIDER, "s2", [], None, None)
    store.release(SPIDER, released)  # a graceful stop: no longer a node at once
    time.sleep(1.3)  # `gone`'s node lease ran out: W = a's window alone
    assert store.claim_next(SPIDER, a, rules_with(1), 60).permalink == "s3"
    assert store.counts(SPIDER, rules_with(1)).applied == 2  # pick 3 with W = 1 sees picks 1 and 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_pick_sees_every_visit_more_than_w_picks_earlier(frontier_store, seed):
    """Owners join, claim, finish in any order and leave at random; at every new pick k:
    every pick 1..k-W is finished and applied (W = the live nodes' windows, the claimer
    included), no node holds more than its window, and no account is picked twice."""
    rng = random.Random(seed)
    store = frontier_store
    accounts = [f"a{i:03d}" for i in range(200)]
    store.add_discovered(accounts[:3])
    windows = {f"node-{i}:1:x": rng.randint(1, 3) for i in range(4)}
    live: set[str] = set()
    held: dict[str, list[str]] = {owner: [] for owner in windows}
    picked: list[str] = []
    seq_of: dict[str, int] = {}
    checked = 0
    for _ in range(400):
        owner = rng.choice(list(windows))
        action = rng.random()
        if action < 0.55:
            rules = rules_with(windows[owner], bfs=20, max_accounts=80)
            claim = store.claim_next(SPIDER, owner, rules, 600)
            live.add(owner)
            if claim.permalink is None:
                continue
            assert not claim.reclaimed
            w = sum(windows[node] for node in live)
            applied = store.counts(SPIDER, rules).applied
            assert applied >= claim.seq - w, f"pick {claim.seq} saw only {applied} picks with W = {w}"
            assert claim.permalink not in seq_of
            seq_of[claim.permalink] = claim.seq
            picked.append(claim.permalink)
            held[owner].append(claim.permalink)
            assert len(held[owner]) <= windows[owner]
            checked += 1
        elif action < 0.9 and held[owner]:
            permalink = held[owner].pop(rng.randrange(len(held[owner])))
            targets = rng.sample(accounts, 3)
            edges = [Edge(dst, "likes", f"{permalink}>{dst}", created_at=f"2024-01-0{i + 1}")
                     for i, dst in enumerate(targets)]
            if rng.random() < 0.8:
                assert store.mark_done(SPIDER, permalink, edges, None, 1000)
            else:
                assert store.mark_failed(SPIDER, permalink, "failed")
        elif action >= 0.97 and not held[owner]:
            store.release(SPIDER, owner)  # a node leaves gracefully (nothing in flight)
            live.discard(owner)
    assert checked > 40
    assert [p for _, p, _ in store.picks(SPIDER)] == picked
