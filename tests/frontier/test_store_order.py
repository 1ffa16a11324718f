"""The frontier stores' order on small hand-built graphs (one pick at a time unless said), SQLite and Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from scmap.frontier.ordering import CrawlRules, Decision
from scmap.frontier.store import Edge, FrontierStore

ME = f"{socket.gethostname()}:{os.getpid()}:test"
SPIDER = "likes"


def edge(dst: str, interaction: str = "likes", followers: int | None = 1000, n: int = 0) -> Edge:
    return Edge(dst_permalink=dst, interaction=interaction, identity=f"{dst}|{interaction}|{n}",
                dst_followers_count=followers, created_at=f"2024-01-01T00:00:{59 - n:02d}Z", object_id=n)


def edges(*targets: tuple) -> list[Edge]:
    """(dst, interaction[, followers]) in list order (newest first)."""
    return [edge(*target, n=i) for i, target in enumerate(targets)]


@pytest.fixture
def store(frontier_store):
    """SQLite, then Redis (conftest.py): every scenario runs against both stores."""
    return frontier_store


def crawl(store: FrontierStore, graph: dict[str, list[Edge]], rules: CrawlRules, spider: str = SPIDER,
          on_visit=None) -> list[str]:
    """Claim and finish accounts until the store says FINISHED; returns the visit order."""
    order = []
    while True:
        claim = store.claim_next(spider, ME, rules, lease_seconds=60)
        if claim.decision is Decision.FINISHED:
            return order
        assert claim.permalink is not None, claim
        order.append(claim.permalink)
        store.mark_done(spider, claim.permalink, graph.get(claim.permalink, []), None, 1000)
        if on_visit:
            on_visit(claim.permalink)


GRAPH = {
    "s1": edges(("a", "likes"), ("b", "likes")),
    "s2": edges(("c", "follows"), ("a", "likes")),
    "a": edges(("d", "likes")),
}


@pytest.mark.parametrize("bfs_accounts, expected", [
    # s1, s2 discovered a, b, c in that order. After 3 visits: a=2 (two likes), c=3 (a follow), b=1, d=1.
    (3, ["s1", "s2", "a", "c", "b", "d"]),
    (4, ["s1", "s2", "a", "b", "c", "d"]),
    # No breadth-first phase: after s1 (ties at 0: discovery order), a and b (1) outrank s2 (0).
    (0, ["s1", "a", "b", "d", "s2", "c"]),
])
def test_breadth_first_until_bfs_accounts_then_highest_score(store, bfs_accounts, expected):
    store.add_discovered(["s1", "s2"])
    rules = CrawlRules(bfs_accounts=bfs_accounts, max_accounts=10, accounts_in_flight=1)
    assert crawl(store, GRAPH, rules) == expected


def test_the_phase_switch_happens_at_exactly_bfs_accounts_visited(store):
    store.add_discovered(["s1", "s2"])
    rules = CrawlRules(bfs_accounts=3, max_accounts=10, accounts_in_flight=1)
    decisions = []
    while (claim := store.claim_next(SPIDER, ME, rules, 60)).permalink:
        decisions.append(claim.decision)
        store.mark_done(SPIDER, claim.permalink, GRAPH.get(claim.permalink, []), None, None)
    assert decisions[:3] == [Decision.PHASE_1] * 3
    assert set(decisions[3:]) == {Decision.PHASE_2}


def test_ties_go_to_the_account_discovered_first(store):
    # x and y both get one follow; y is discovered first by s1's list order, whatever the names.
    graph = {"s": edges(("y", "follows"), ("x", "follows"))}
    store.add_discovered(["s"])
    assert crawl(store, graph, CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)) == ["s", "y", "x"]


def test_scores_update_live_and_change_the_order(store, open_frontier_store):
    # After s: p=3 (follow), q=1. Visiting p gives q two comments (6): q overtakes r (3 from s).
    graph = {
        "s": edges(("p", "follows"), ("q", "likes"), ("r", "reposts")),
        "p": edges(("q", "comments"), ("q", "comments")),
    }
    store.add_discovered(["s"])
    order = crawl(store, graph, CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1))
    assert order == ["s", "p", "q", "r"]
    assert store.account("q")["score"] == 1 + 3 + 3
    without_p_edges = {"s": graph["s"]}
    other = open_frontier_store("other")
    other.add_discovered(["s"])
    assert crawl(other, without_p_edges, CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)) == \
        ["s", "p", "r", "q"]


def test_accounts_under_min_followers_are_never_handed_out_but_stay_discovered(store):
    graph = {"s": edges(("small", "follows", 249), ("big", "likes", 250), ("unknown", "likes", None))}
    store.add_discovered(["s"])
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, min_followers=250, accounts_in_flight=1)
    assert crawl(store, graph, rules) == ["s", "big", "unknown"]
    small = store.account("small")
    assert small["followers_count"] == 249 and small["skip_reason"] == "followers_count 249 < 250"
    counts = store.counts(SPIDER, rules)
    assert counts.discovered == 4 and counts.below_threshold == 1 and counts.frontier_size == 0


def test_skipped_picks_do_not_count_toward_the_caps(store):
    store.add_discovered(["s1", "s2", "s3"])
    rules = CrawlRules(bfs_accounts=1, max_accounts=2, accounts_in_flight=1)
    claim = store.claim_next(SPIDER, ME, rules, 60)
    assert claim.permalink == "s1"
    store.mark_skipped(SPIDER, "s1", 10, "profile followers_count 10 < 250", rules)
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.PHASE_1  # still 0 visited
    store.mark_done(SPIDER, "s2", [], None, None)
    third = store.claim_next(SPIDER, ME, rules, 60)
    assert (third.permalink, third.decision) == ("s3", Decision.PHASE_2)
    store.mark_failed(SPIDER, "s3", "not_found")
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.FINISHED  # frontier empty
    assert store.account("s1")["skip_reason"].startswith("profile followers_count 10")
    assert store.visited_order(SPIDER) == ["s2"]


def test_stops_at_max_accounts_and_waits_while_the_cap_is_undecided(store):
    store.add_discovered(["s1", "s2", "s3", "s4"])
    rules = CrawlRules(bfs_accounts=10, max_accounts=2, accounts_in_flight=4)
    first = store.claim_next(SPIDER, ME, rules, 60)
    second = store.claim_next(SPIDER, ME, rules, 60)
    assert (first.permalink, second.permalink) == ("s1", "s2")
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.WAIT  # both may end done
    store.mark_skipped(SPIDER, "s1", 3, "small", rules)
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s3"  # room again
    store.mark_done(SPIDER, "s2", [], None, None)
    store.mark_done(SPIDER, "s3", [], None, None)
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.FINISHED
    assert store.counts(SPIDER, rules).visited == 2


def test_lag_uses_only_edges_of_picks_far_enough_back(store):
    # With 2 accounts in flight, pick 3 sees pick 1's edges but not pick 2's, even if pick 2 is done.
    graph = {"s1": edges(("a", "likes")), "s2": edges(("b", "follows"), ("b", "follows"))}
    store.add_discovered(["s1", "s2"])
    rules = CrawlRules(bfs_accounts=2, max_accounts=10, accounts_in_flight=2)
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s1"
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s2"
    store.mark_done(SPIDER, "s2", graph["s2"], None, None)
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.WAIT  # pick 1 still in flight
    store.mark_done(SPIDER, "s1", graph["s1"], None, None)
    third = store.claim_next(SPIDER, ME, rules, 60)
    assert third.permalink == "a"  # b (score 6) is not known yet to pick 3
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "b"


def test_state_survives_reopening(open_frontier_store):
    rules = CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)
    first = open_frontier_store("reopened")
    first.add_discovered(["s"])
    first.claim_next(SPIDER, ME, rules, 60)
    first.mark_done(SPIDER, "s", edges(("p", "follows"), ("q", "likes", 10)), 7, 900)
    assert first.claim_next(SPIDER, ME, rules, 60).permalink == "p"
    first.close()
    again = open_frontier_store("reopened")
    assert again.picks(SPIDER) == [(1, "s", "done"), (2, "p", "in_flight")]
    assert again.account("p")["score"] == 3 and again.account("q")["skip_reason"]
    assert again.account("s")["followers_count"] == 900
    counts = again.counts(SPIDER, rules)
    assert (counts.visited, counts.in_flight, counts.applied, counts.discovered) == (1, 1, 1, 3)
    again.close()


def dead_owner() -> str:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return f"{socket.gethostname()}:{process.stdout.strip()}:dead"


def test_picks_of_a_dead_holder_are_handed_out_again_with_their_seq(store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=2)
    store.add_discovered(["s1", "s2", "s3"])
    corpse = dead_owner()
    assert store.claim_next(SPIDER, corpse, rules, 600).permalink == "s1"
    assert store.claim_next(SPIDER, corpse, rules, 600).permalink == "s2"
    again = store.claim_next(SPIDER, ME, rules, 60)
    assert (again.permalink, again.seq, again.reclaimed) == ("s1", 1, True)
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s2"


def test_a_live_holder_keeps_its_picks_until_its_lease_expires(store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=1)
    store.add_discovered(["s1", "s2"])
    remote = "another-host:1:alive"
    assert store.claim_next(SPIDER, remote, rules, 600).permalink == "s1"
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s2"  # a new node takes work at once
    assert store.mark_done(SPIDER, "s2", [], None, None)
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.WAIT  # s1 is live, not its
    store.renew_leases(SPIDER, remote, -1)  # its lease ran out
    assert store.claim_next(SPIDER, ME, rules, 60).reclaimed


def test_an_account_crawled_again_after_a_crash_counts_once(store):
    rules = CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)
    store.add_discovered(["s"])
    store.claim_next(SPIDER, dead_owner(), rules, 600)
    assert store.claim_next(SPIDER, ME, rules, 60).reclaimed
    follow = edges(("p", "follows"))
    assert store.mark_done(SPIDER, "s", follow + follow, None, None)  # an edge seen twice
    assert not store.mark_done(SPIDER, "s", follow, None, None)  # a late duplicate finish
    store.claim_next(SPIDER, ME, rules, 60)
    assert store.account("p")["score"] == 3


def test_spiders_share_discoveries_and_scores_but_not_visits(store):
    rules = CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)
    store.add_discovered(["s"])
    assert crawl(store, {"s": edges(("p", "likes"))}, rules, spider="likes") == ["s", "p"]
    follows_order = crawl(store, {"s": edges(("q", "follows"))}, rules, spider="follows")
    assert follows_order == ["s", "q", "p"]  # q (3) before p (1): the likes spider's find, shared
    assert store.account("p")["score"] == 1 and store.account("q")["score"] == 3
    assert store.visited_order("likes") == ["s", "p"]
    assert store.visited_order("follows") == ["s", "q", "p"]


def test_released_picks_go_to_the_next_holder_at_once(store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=1)
    store.add_discovered(["s1", "s2"])
    previous = "another-host:1:graceful"
    assert store.claim_next(SPIDER, previous, rules, 600).permalink == "s1"
    assert store.release(SPIDER, previous) == 1
    again = store.claim_next(SPIDER, ME, rules, 60)
    assert (again.permalink, again.reclaimed) == ("s1", True)
