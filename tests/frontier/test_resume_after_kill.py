"""kill -9 in the middle of a crawl, then the same command again: same picks, same edges."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections import Counter

import pytest

from scmap.frontier.ordering import CrawlRules
from scmap.frontier.sqlite_store import SqliteFrontierStore
from tests.frontier.fake_crawl import edge_identity, make_world, read_edges, start_crawl, write_config

ARGS = {"seeds": "u1,u2,u3", "bfs_accounts": 10, "max_accounts": 40, "min_followers": 250,
        "accounts_in_flight": 3}
RULES = CrawlRules(bfs_accounts=10, max_accounts=40, min_followers=250, accounts_in_flight=3)


def picks_so_far(store_path) -> tuple[int, int]:
    """(done, in flight) picks in the crawl's store."""
    try:
        with sqlite3.connect(store_path, timeout=5) as db:
            counts = dict(db.execute("SELECT status, COUNT(*) FROM claims GROUP BY status").fetchall())
    except sqlite3.OperationalError:  # not created yet
        return 0, 0
    return counts.get("done", 0), counts.get("in_flight", 0)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kill_after_visits", [5, 22])  # during phase 1, during phase 2
def test_resume_after_kill_matches_an_uninterrupted_crawl(tmp_path, kill_after_visits):
    world = make_world(seed=5, accounts=200)
    reference = start_crawl(write_config(tmp_path, world, ARGS, name="uninterrupted"))
    log, _ = reference.communicate(timeout=100)
    assert reference.returncode == 0, log[-2000:]

    slow = write_config(tmp_path, world, {**ARGS, "page_delay": 0.03}, name="killed")
    victim = start_crawl(slow)
    store_path = tmp_path / "killed.sqlite"
    deadline = time.monotonic() + 60
    while True:  # killed with accounts in flight: between a finish and the next claim there may be none
        done, in_flight = picks_so_far(store_path)
        if done >= kill_after_visits and in_flight:
            break
        assert victim.poll() is None and time.monotonic() < deadline, "crawl ended before the kill"
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    at_kill = SqliteFrontierStore(store_path)
    picks_at_kill = at_kill.picks("fake")
    at_kill.close()
    in_flight_at_kill = [p for _, p, status in picks_at_kill if status == "in_flight"]
    assert 0 < sum(status == "done" for *_, status in picks_at_kill) < 40
    assert in_flight_at_kill, "the kill should catch accounts in flight"

    resumed = start_crawl(write_config(tmp_path, world, ARGS, name="killed"))  # the same command
    log, _ = resumed.communicate(timeout=100)
    assert resumed.returncode == 0, log[-2000:]
    for permalink in in_flight_at_kill:
        assert f"handing out {permalink} again" in log

    expected = SqliteFrontierStore(tmp_path / "uninterrupted.sqlite")
    got = SqliteFrontierStore(store_path)
    assert got.picks("fake") == expected.picks("fake")  # same order, nothing lost, none twice
    for permalink in {p for _, p, _ in expected.picks("fake")}:
        assert got.account(permalink)["score"] == expected.account(permalink)["score"]
    assert got.counts("fake", RULES) == expected.counts("fake", RULES)

    edges_before_and_after = {edge_identity(e) for e in read_edges(tmp_path / "killed.jsonl")}
    assert edges_before_and_after == {edge_identity(e) for e in read_edges(tmp_path / "uninterrupted.jsonl")}
    # Only accounts that were in flight at the kill may have been crawled a second time.
    pages_per_source = Counter(e["src_permalink"] for e in read_edges(tmp_path / "killed.jsonl"))
    once = Counter(e["src_permalink"] for e in read_edges(tmp_path / "uninterrupted.jsonl"))
    crawled_twice = {src for src, n in pages_per_source.items() if n > once[src]}
    assert crawled_twice <= set(in_flight_at_kill)
