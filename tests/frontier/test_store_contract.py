"""What a store shared by several machines must guarantee, on both stores (SQLite and Redis):
atomic claims between concurrent clients, leases of a remote holder, release, isolation by key
prefix. (The order scenarios of tests/frontier run against both stores through conftest.py.)"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from scmap.frontier.ordering import CrawlRules, Decision
from scmap.frontier.store_url import open_store
from tests.frontier.test_store_order import ME, SPIDER, edges


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
    assert frontier_store.claim_next(SPIDER, ME, rules, 60).permalink == "s2"  # its own window
    assert frontier_store.mark_done(SPIDER, "s2", [], None, None)
    assert frontier_store.claim_next(SPIDER, ME, rules, 60).decision is Decision.WAIT  # s1's lease is live
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


def test_a_pick_given_back_is_handed_out_again_not_failed(frontier_store):
    """release_pick (contract.STATUS_REQUEUE): only that pick, same seq, even to the owner that
    gave it back; the owner's other pick keeps its lease; nothing counted visited or failed."""
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=2)
    frontier_store.add_discovered(["s1", "s2", "s3"])
    for _ in range(2):
        frontier_store.claim_next(SPIDER, ME, rules, 600)
    assert frontier_store.release_pick(SPIDER, "s1") is True
    assert frontier_store.release_pick(SPIDER, "s3") is False  # never handed out
    assert frontier_store.renew_leases(SPIDER, ME, 600) == 1  # s2 only: s1 has no holder now
    again = frontier_store.claim_next(SPIDER, ME, rules, 60)
    assert (again.permalink, again.seq, again.reclaimed) == ("s1", 1, True)
    # Another node has a window of its own (docs/frontier.md): it gets a new account, never s2,
    # which its holder still has.
    assert frontier_store.claim_next(SPIDER, "other-node:1:x", rules, 60).permalink == "s3"
    counts = frontier_store.counts(SPIDER, rules)
    assert (counts.visited, counts.failed, counts.in_flight) == (0, 0, 3)
    assert frontier_store.mark_done(SPIDER, "s1", [], None, 1000)
    assert frontier_store.release_pick(SPIDER, "s1") is False  # finished: not given back


def test_key_prefixes_keep_crawls_apart(open_frontier_store):
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=1)
    first, second = open_frontier_store("crawl-a"), open_frontier_store("crawl-b")
    first.add_discovered(["x"])
    second.add_discovered(["y"])
    assert first.claim_next(SPIDER, ME, rules, 60).permalink == "x"
    assert second.claim_next(SPIDER, ME, rules, 60).permalink == "y"
    assert second.account("x") is None and first.counts(SPIDER, rules).discovered == 1


def test_a_retried_redis_claim_returns_the_same_account(redis_url):
    """redis-py re-sends a call whose connection broke; if the first one ran, the retry must not
    claim a second account that no crawler knows about (it would block the order)."""
    from scmap.frontier.redis_store import RedisFrontierStore

    store = RedisFrontierStore(f"{redis_url}?prefix=retried-claim")
    try:
        store.add_discovered(["s1", "s2"])
        rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=2)
        first = store._claim(SPIDER, ME, rules, 60, token="same-call")
        again = store._claim(SPIDER, ME, rules, 60, token="same-call")
        assert first == again and first.permalink == "s1"
        assert store.picks(SPIDER) == [(1, "s1", "in_flight")]
        assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s2"
    finally:
        store.close()


def test_in_flight_elsewhere_counts_other_spiders_live_picks_and_unapplied_visits(frontier_store):
    """What keeps a spider with an empty frontier waiting: other spiders' picks whose edges may
    still add accounts. Its own picks, expired leases and old unapplied visits do not count."""
    store = frontier_store
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=2)
    store.add_discovered(["s1", "s2", "s3"])
    assert store.in_flight_elsewhere("follows", 30) == 0
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s1"
    assert store.claim_next(SPIDER, "other-machine:42:gone", rules, 1.0).permalink == "s2"
    assert store.in_flight_elsewhere("follows", 30) == 2
    assert store.in_flight_elsewhere(SPIDER, 30) == 0  # its own picks are not "elsewhere"
    # s1 done: its edges wait for the lag (pick 2 in flight), so it still counts while recent.
    assert store.mark_done(SPIDER, "s1", edges(("a", "likes")), None, 1000)
    assert store.in_flight_elsewhere("follows", 30) == 2
    assert store.in_flight_elsewhere("follows", 0.0) == 1  # long ago: its spider is gone
    time.sleep(1.3)  # s2's holder died: its lease ran out
    assert store.in_flight_elsewhere("follows", 30) == 1
    again = store.claim_next(SPIDER, ME, rules, 60)  # handed out again, live lease
    assert again.permalink == "s2" and store.in_flight_elsewhere("follows", 30) == 2
    assert store.mark_done(SPIDER, "s2", [], None, 1000)
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "s3"  # applies s1 (lag 2), not s2
    assert store.in_flight_elsewhere("follows", 30) == 2  # s2 unapplied + s3 in flight
    assert store.mark_done(SPIDER, "s3", [], None, 1000)
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "a"  # s1's edge target
    assert store.mark_done(SPIDER, "a", [], None, 1000)
    assert store.claim_next(SPIDER, ME, rules, 60).decision is Decision.FINISHED  # applies all
    assert store.in_flight_elsewhere("follows", 30) == 0


FOLLOWER_COUNTS = {"none": None, "zero": 0, "one": 1, "just-under": 249, "at": 250, "over": 251, "big": 10**6}


@pytest.mark.parametrize("min_followers", [0, 1, 250])
def test_every_store_applies_the_one_skip_rule(frontier_store, min_followers):
    """The stores index the follower-skip rule (SQL / Lua) for speed; the rule itself is
    scmap.contract.is_below_threshold. Each store hands out exactly the accounts it allows, and
    counts the others as below the threshold."""
    from scmap.contract import is_below_threshold

    store = frontier_store
    rules = CrawlRules(bfs_accounts=100, max_accounts=100, min_followers=min_followers, accounts_in_flight=1)
    store.add_discovered(["seed"])
    assert store.claim_next(SPIDER, ME, rules, 60).permalink == "seed"
    store.mark_done(SPIDER, "seed", edges(*[(name, "likes", count) for name, count in FOLLOWER_COUNTS.items()]),
                    None, 10**6)
    handed_out = []
    while (claim := store.claim_next(SPIDER, ME, rules, 60)).permalink is not None:
        handed_out.append(claim.permalink)
        store.mark_done(SPIDER, claim.permalink, [], None, None)
    allowed = [name for name, count in FOLLOWER_COUNTS.items() if not is_below_threshold(count, min_followers)]
    assert sorted(handed_out) == sorted(allowed)
    assert store.counts(SPIDER, rules).below_threshold == len(FOLLOWER_COUNTS) - len(allowed)
    assert (min_followers == 250) == ("just-under" not in handed_out)  # the rule really cut here


def test_mark_done_records_the_visit_in_the_same_step(frontier_store):
    """Refresh crawls (scmap/refresh.py): a pick's visit (finish time, status, cut-off) is
    written by the one call that finishes it, kept apart from the picks."""
    store = frontier_store
    store.add_discovered(["s", "t"])
    rules = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=2)
    assert [store.claim_next(SPIDER, ME, rules, 60).permalink for _ in range(2)] == ["s", "t"]
    assert store.visits(SPIDER) == {}
    before = time.time()
    assert store.mark_done(SPIDER, "s", edges(("a", "likes")), None, 500, cutoff="2024-01-02T00:00:00Z|7")
    first = store.visits(SPIDER)["s"]
    assert (first.status, first.cutoff) == ("done", "2024-01-02T00:00:00Z|7")
    assert before - 1 <= first.finished_at <= time.time() + 1
    assert store.mark_done(SPIDER, "t", [], None, 500)  # nothing read: no cut-off
    assert store.visits(SPIDER)["t"].cutoff == ""
    time.sleep(0.01)
    assert not store.mark_done(SPIDER, "s", [], None, 500, cutoff="2025-01-01T00:00:00Z|1")  # late duplicate
    assert store.visits(SPIDER)["s"] == first  # ignored whole: no visit either
    assert store.visits("other") == {}


def test_the_caps_of_the_latest_start_are_kept_per_spider(frontier_store):
    """What scmap.status reports under: a later start replaces them (latest wins); none before."""
    store = frontier_store
    assert store.caps(SPIDER) == {}
    store.record_caps(SPIDER, CrawlRules(bfs_accounts=100, max_accounts=1200, min_followers=150))
    store.record_caps("follows", CrawlRules(bfs_accounts=1, max_accounts=2, min_followers=3))
    assert store.caps(SPIDER) == {"bfs_accounts": 100, "max_accounts": 1200, "min_followers": 150}
    store.record_caps(SPIDER, CrawlRules(bfs_accounts=0, max_accounts=40, min_followers=0, accounts_in_flight=9))
    assert store.caps(SPIDER) == {"bfs_accounts": 0, "max_accounts": 40, "min_followers": 0}
    assert store.caps("follows") == {"bfs_accounts": 1, "max_accounts": 2, "min_followers": 3}


def test_a_refresh_visit_keeps_the_cutoff_when_it_read_nothing_new(frontier_store):
    """finish_refresh with an empty cut-off: a new finish time, the old cut-off; picks and
    counts untouched (not a new visit)."""
    store = frontier_store
    store.add_discovered(["s"])
    rules = CrawlRules(bfs_accounts=1, max_accounts=10, accounts_in_flight=1)
    store.claim_next(SPIDER, ME, rules, 60)
    assert store.mark_done(SPIDER, "s", [], None, 500, cutoff="2024-01-02T00:00:00Z|7")
    first = store.visits(SPIDER)["s"]
    time.sleep(0.01)
    store.begin_refresh(SPIDER, rules, 0)
    assert store.claim_refresh(SPIDER, ME, rules, 60).permalink == "s"
    assert store.finish_refresh(SPIDER, "s", "done", "")
    again = store.visits(SPIDER)["s"]
    assert again.cutoff == first.cutoff and again.finished_at > first.finished_at
    counts = store.counts(SPIDER, rules)
    assert counts.visited == 1 and store.visited_order(SPIDER) == ["s"]


# --- refresh rounds (-a refresh=DAYS): the due accounts handed out through the store ---

REFRESH_RULES = CrawlRules(bfs_accounts=10, max_accounts=10, accounts_in_flight=4)
NODE_A, NODE_B = "refresh-node-a:1:x", "refresh-node-b:2:y"


def visited(store, *permalinks: str) -> None:
    """Picks visited `done` in this order, each with a cut-off, as the scheduler records them."""
    store.add_discovered(list(permalinks))
    for permalink in permalinks:
        assert store.claim_next(SPIDER, ME, REFRESH_RULES, 60).permalink == permalink
        assert store.mark_done(SPIDER, permalink, [], None, 1000, cutoff=f"2024-01-01T00:00:00Z|{len(permalink)}")


def claim_all(store, owner: str) -> list[str]:
    claimed = []
    while (claim := store.claim_refresh(SPIDER, owner, REFRESH_RULES, 60)).permalink is not None:
        claimed.append(claim.permalink)
    return claimed


def test_a_refresh_round_holds_the_accounts_due_by_the_one_rule(frontier_store):
    """begin_refresh lists what scmap.refresh.refresh_due names (the stores index that rule):
    `done` picks whose latest visit is older than the limit, not gone, in pick order."""
    from scmap.refresh import refresh_due

    store = frontier_store
    visited(store, "old1", "recent", "gone1", "old2")
    store.add_discovered(["missing", "busy"])
    assert store.claim_next(SPIDER, ME, REFRESH_RULES, 60).permalink == "missing"
    assert store.mark_failed(SPIDER, "missing", "not_found")
    assert store.refresh_round(SPIDER) is None
    first, _ = store.begin_refresh(SPIDER, REFRESH_RULES, 0)
    assert [r.permalink for r in first.records] == ["old1", "recent", "gone1", "old2"]
    assert claim_all(store, NODE_A) == ["old1", "recent", "gone1", "old2"]
    assert store.claim_next(SPIDER, ME, REFRESH_RULES, 60).permalink == "busy"
    assert store.finish_refresh(SPIDER, "gone1", "gone", "")
    assert store.finish_refresh(SPIDER, "old1", "failed", "")  # the visit stays as it was: old
    assert store.finish_refresh(SPIDER, "old2", "failed", "")
    time.sleep(0.6)
    assert store.finish_refresh(SPIDER, "recent", "done", "")  # visited again since
    round_, joined = store.begin_refresh(SPIDER, REFRESH_RULES, 0.4)
    assert not joined and round_.number == 2 and not round_.complete
    assert [r.permalink for r in round_.records] == ["old1", "old2"]
    assert [r.permalink for r in round_.records] == refresh_due(
        store.pick_records(SPIDER), store.visits(SPIDER), round_.older_than)
    assert {r.status for r in round_.records} == {"due"}
    assert round_.started_at - 0.4 == pytest.approx(round_.older_than)


def test_a_redis_visit_without_a_finish_time_is_due(redis_url):
    """A Redis frontier from before finish times were kept has `done` picks without one: due
    for a refresh (old), as scmap.refresh.refresh_due says, not silently never. (SQLite has
    kept every pick's finish time since its first version.)"""
    from scmap.frontier.redis_store import RedisFrontierStore

    store = RedisFrontierStore(f"{redis_url}?prefix=undated-{uuid.uuid4().hex[:8]}")
    store.add_discovered(["undated"])
    assert store.claim_next(SPIDER, ME, REFRESH_RULES, 60).permalink == "undated"
    assert store.mark_done(SPIDER, "undated", [], None, 1000)
    store._redis.delete(store._spider_key(SPIDER, "finished_at"), store._spider_key(SPIDER, "visits"))  # older layout
    round_, _ = store.begin_refresh(SPIDER, REFRESH_RULES, 3600)
    store.close()
    assert [r.permalink for r in round_.records] == ["undated"]


def test_nodes_share_a_refresh_round_each_account_once(frontier_store):
    store = frontier_store
    visited(store, "a", "bb", "ccc", "dddd", "eeeee")
    store.begin_refresh(SPIDER, REFRESH_RULES, 0)
    first = store.claim_refresh(SPIDER, NODE_A, REFRESH_RULES, 60)
    assert (first.permalink, first.cutoff, first.reclaimed, first.complete) == \
        ("a", "2024-01-01T00:00:00Z|1", False, False)
    second = store.claim_refresh(SPIDER, NODE_B, REFRESH_RULES, 60)
    assert (second.permalink, second.cutoff) == ("bb", "2024-01-01T00:00:00Z|2")
    rest = claim_all(store, NODE_A)
    assert rest == ["ccc", "dddd", "eeeee"]
    idle = store.claim_refresh(SPIDER, NODE_B, REFRESH_RULES, 60)  # the rest is in flight with A
    assert idle.permalink is None and not idle.complete
    assert store.live_nodes(SPIDER).keys() >= {NODE_A, NODE_B}  # registered like claim_next
    for permalink in ["a", *rest]:
        assert store.finish_refresh(SPIDER, permalink, "done", "")
    assert not store.claim_refresh(SPIDER, NODE_A, REFRESH_RULES, 60).complete  # bb still in flight
    assert store.finish_refresh(SPIDER, "bb", "done", "2024-02-01T00:00:00Z|9")
    assert not store.finish_refresh(SPIDER, "bb", "done", "")  # finished already: ignored
    assert store.claim_refresh(SPIDER, NODE_B, REFRESH_RULES, 60).complete
    round_ = store.refresh_round(SPIDER)
    assert round_.complete and round_.count("done") == 5
    assert {r.permalink: r.holder for r in round_.records} == {
        "a": NODE_A, "bb": NODE_B, "ccc": NODE_A, "dddd": NODE_A, "eeeee": NODE_A}
    assert all(r.finished_at is not None for r in round_.records)
    visits = store.visits(SPIDER)
    assert visits["bb"].cutoff == "2024-02-01T00:00:00Z|9" and visits["a"].cutoff == "2024-01-01T00:00:00Z|1"
    counts = store.counts(SPIDER, REFRESH_RULES)  # a refresh visit is not a new visit
    assert counts.visited == 5 and counts.in_flight == 0 and store.visited_order(SPIDER) == ["a", "bb", "ccc", "dddd", "eeeee"]


def test_a_dead_holders_refresh_picks_go_to_others_after_the_lease(frontier_store):
    store = frontier_store
    visited(store, "s1", "s2", "s3")
    store.begin_refresh(SPIDER, REFRESH_RULES, 0)
    assert store.claim_refresh(SPIDER, "other-machine:42:gone", REFRESH_RULES, 1.0).permalink == "s1"
    assert store.claim_refresh(SPIDER, NODE_A, REFRESH_RULES, 600).permalink == "s2"
    assert store.claim_refresh(SPIDER, NODE_A, REFRESH_RULES, 600).permalink == "s3"
    assert store.claim_refresh(SPIDER, NODE_A, REFRESH_RULES, 600).permalink is None  # s1's lease is live
    time.sleep(1.3)
    again = store.claim_refresh(SPIDER, NODE_A, REFRESH_RULES, 600)
    assert (again.permalink, again.reclaimed, again.cutoff) == ("s1", True, "2024-01-01T00:00:00Z|2")
    assert store.renew_leases(SPIDER, "other-machine:42:gone", 60) == 0  # no longer its pick
    assert store.renew_leases(SPIDER, NODE_A, 600) == 3
    # Given back (bot wall: contract.STATUS_REQUEUE), or its node stopping: handed out again at once.
    assert store.release_refresh(SPIDER, "s2") and not store.release_refresh(SPIDER, "nope")
    assert store.claim_refresh(SPIDER, NODE_B, REFRESH_RULES, 600).permalink == "s2"
    assert store.release(SPIDER, NODE_A) == 2
    assert sorted(claim_all(store, NODE_B)) == ["s1", "s3"]


def test_a_refresh_round_cut_short_is_finished_by_the_next_run_then_a_new_one_begins(frontier_store):
    """A run stopped mid-round leaves it open: the next begin_refresh joins it (whatever its own
    limit) and only what is still due is handed out. Once complete, the next begin starts a
    new round: failed visits are due again, visits just made are not, gone accounts never."""
    store = frontier_store
    visited(store, "a", "b", "c", "d", "e")
    time.sleep(0.6)
    first, joined = store.begin_refresh(SPIDER, REFRESH_RULES, 0.5)
    assert not joined and len(first.records) == 5
    assert claim_all(store, NODE_A) == ["a", "b", "c", "d", "e"]
    assert store.finish_refresh(SPIDER, "a", "done", "")
    assert store.finish_refresh(SPIDER, "b", "failed", "")
    assert store.finish_refresh(SPIDER, "c", "gone", "")
    assert store.release(SPIDER, NODE_A) == 2  # node A stops with d and e in flight
    before = store.visits(SPIDER)
    assert before["c"].status == "gone"
    resumed, joined = store.begin_refresh(SPIDER, REFRESH_RULES, 1e9)
    assert joined and resumed.number == 1 and resumed.older_than == first.older_than
    assert (resumed.count("done"), resumed.count("failed"), resumed.count("gone"), resumed.count("in_flight")) == \
        (1, 1, 1, 2)
    assert sorted(claim_all(store, NODE_B)) == ["d", "e"]
    for permalink in ("d", "e"):
        assert store.finish_refresh(SPIDER, permalink, "done", "")
    assert store.refresh_round(SPIDER).complete
    second, joined = store.begin_refresh(SPIDER, REFRESH_RULES, 0.5)
    assert not joined and second.number == 2
    assert [r.permalink for r in second.records] == ["b"]  # failed: due again; the others were just visited


def test_finish_refresh_records_the_visit_in_the_same_step(frontier_store):
    store = frontier_store
    visited(store, "s1", "s22", "s333")
    old = store.visits(SPIDER)
    store.begin_refresh(SPIDER, REFRESH_RULES, 0)
    claim_all(store, NODE_A)
    with pytest.raises(ValueError):
        store.finish_refresh(SPIDER, "s1", "skipped", "")
    assert store.finish_refresh(SPIDER, "s1", "done", "2025-01-01T00:00:00Z|5")
    assert store.finish_refresh(SPIDER, "s22", "gone", "")
    assert store.finish_refresh(SPIDER, "s333", "failed", "")
    visits = store.visits(SPIDER)
    assert (visits["s1"].status, visits["s1"].cutoff) == ("done", "2025-01-01T00:00:00Z|5")
    assert visits["s1"].finished_at > old["s1"].finished_at
    assert (visits["s22"].status, visits["s22"].cutoff) == ("gone", old["s22"].cutoff)
    assert visits["s333"] == old["s333"]  # a failed refresh visit is not a visit
