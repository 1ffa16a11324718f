"""The frontier order scenarios of tests/frontier/test_store_order.py, run against both stores
(SQLite and Redis), plus what only a shared store must guarantee: atomic claims between
concurrent clients, leases on a remote holder, isolation by key prefix."""

from __future__ import annotations

import threading
import time

import pytest

from scmap.frontier.ordering import CrawlRules, Decision
from scmap.frontier.store import open_store
from tests.frontier.test_store_order import (  # noqa: F401  (collected here against both stores)
    GRAPH, ME, SPIDER, crawl, edges,
    test_a_live_holder_keeps_its_picks_until_its_lease_expires,
    test_accounts_under_min_followers_are_never_handed_out_but_stay_discovered,
    test_an_account_crawled_again_after_a_crash_counts_once,
    test_breadth_first_until_bfs_accounts_then_highest_score,
    test_lag_uses_only_edges_of_picks_far_enough_back,
    test_picks_of_a_dead_holder_are_handed_out_again_with_their_seq,
    test_released_picks_go_to_the_next_holder_at_once,
    test_skipped_picks_do_not_count_toward_the_caps,
    test_spiders_share_discoveries_and_scores_but_not_visits,
    test_stops_at_max_accounts_and_waits_while_the_cap_is_undecided,
    test_the_phase_switch_happens_at_exactly_bfs_accounts_visited,
    test_ties_go_to_the_account_discovered_first,
)


@pytest.fixture
def store(frontier_store):
    """The name the imported scenarios use."""
    return frontier_store


def test_scores_update_live_and_change_the_order_on_both_stores(open_frontier_store):
    graph = {
        "s": edges(("p", "follows"), ("q", "likes"), ("r", "reposts")),
        "p": edges(("q", "comments"), ("q", "comments")),
    }
    rules = CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)
    store = open_frontier_store("live")
    store.add_discovered(["s"])
    assert crawl(store, graph, rules) == ["s", "p", "q", "r"]
    assert store.account("q")["score"] == 1 + 3 + 3
    other = open_frontier_store("without-p-edges")
    other.add_discovered(["s"])
    assert crawl(other, {"s": graph["s"]}, rules) == ["s", "p", "r", "q"]


def test_state_survives_reopening_on_both_stores(open_frontier_store):
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
    assert again.account("s")["followers_count"] == 900 and again.account("s")["user_id"] == 7
    counts = again.counts(SPIDER, rules)
    assert (counts.visited, counts.in_flight, counts.applied, counts.discovered) == (1, 1, 1, 3)
    assert [entry.permalink for entry in again.top_of_queue(SPIDER, rules, 5)] == []  # q is under 250


def test_top_of_queue_follows_the_phase_order(frontier_store):
    store = frontier_store
    store.add_discovered(["s", "t"])
    rules = CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)
    assert [e.permalink for e in store.top_of_queue(SPIDER, rules, 5)] == ["s", "t"]
    store.claim_next(SPIDER, ME, rules, 60)
    store.mark_done(SPIDER, "s", edges(("a", "likes"), ("b", "follows"), ("c", "likes", 3)), None, 500)
    store.claim_next(SPIDER, ME, rules, 60)  # applies s's edges
    top = store.top_of_queue(SPIDER, rules, 5)
    assert [(e.permalink, e.score) for e in top] == [("a", 1.0), ("t", 0.0)]  # b was picked
    assert store.visited_order(SPIDER) == ["s"]


def test_concurrent_clients_never_claim_the_same_pick(open_frontier_store, frontier_store_url):
    """Several clients (threads, each with its own connection) claiming and finishing at once:
    every account is handed out once per spider, the seqs have no gaps, and the picks are
    those a single client would make."""
    accounts = [f"acc{i}" for i in range(60)]
    rules = CrawlRules(bfs_accounts=100, max_accounts=100, accounts_in_flight=8)
    open_frontier_store("shared").add_discovered(accounts)
    handed_out: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(owner: str) -> None:
        store = open_store(frontier_store_url("shared"))  # one connection per client, opened in its thread
        try:
            while True:
                claim = store.claim_next(SPIDER, owner, rules, 60)
                if claim.decision is Decision.FINISHED:
                    return
                if claim.permalink is None:
                    time.sleep(0.001)
                    continue
                with lock:
                    handed_out.append(claim.permalink)
                assert store.mark_done(SPIDER, claim.permalink, [], None, 1000)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(f"remote-node-{i}:1:x",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(handed_out) == sorted(accounts)
    picks = open_frontier_store("shared").picks(SPIDER)
    assert [seq for seq, _, _ in picks] == list(range(1, 61))
    assert [permalink for _, permalink, _ in picks] == accounts  # discovery order, whoever claimed


def test_a_remote_holders_pick_is_handed_out_after_its_lease_runs_out(frontier_store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=1)
    frontier_store.add_discovered(["s1", "s2"])
    assert frontier_store.claim_next(SPIDER, "other-machine:42:gone", rules, 1.0).permalink == "s1"
    assert frontier_store.claim_next(SPIDER, ME, rules, 60).decision is Decision.WAIT
    time.sleep(1.3)
    again = frontier_store.claim_next(SPIDER, ME, rules, 60)
    assert (again.permalink, again.seq, again.reclaimed) == ("s1", 1, True)
    assert frontier_store.renew_leases(SPIDER, "other-machine:42:gone", 60) == 0  # no longer its pick
    assert frontier_store.renew_leases(SPIDER, ME, 60) == 1


def test_release_makes_picks_reclaimable_at_once(frontier_store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=2)
    frontier_store.add_discovered(["s1", "s2", "s3"])
    for _ in range(2):
        frontier_store.claim_next(SPIDER, "stopping-node:7:x", rules, 600)
    assert frontier_store.release(SPIDER, "stopping-node:7:x") == 2
    taken = [frontier_store.claim_next(SPIDER, ME, rules, 60) for _ in range(2)]
    assert [(c.permalink, c.reclaimed) for c in taken] == [("s1", True), ("s2", True)]


def test_key_prefixes_keep_crawls_apart(open_frontier_store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=1)
    first, second = open_frontier_store("crawl-a"), open_frontier_store("crawl-b")
    first.add_discovered(["x"])
    second.add_discovered(["y"])
    assert first.claim_next(SPIDER, ME, rules, 60).permalink == "x"
    assert second.claim_next(SPIDER, ME, rules, 60).permalink == "y"
    assert second.account("x") is None and first.counts(SPIDER, rules).discovered == 1
