"""`python -m scmap.status`: the whole crawl's progress read from the frontier (both stores)."""

from __future__ import annotations

import io
import subprocess
import sys
import time

import pytest

from scmap import status
from scmap.frontier.ordering import CrawlRules
from scmap.frontier.store import Edge
from tests.frontier.fake_crawl import REPO_ROOT, make_world, start_crawl, write_config

RULES = CrawlRules(bfs_accounts=10, max_accounts=20, min_followers=0, accounts_in_flight=2)
NODE_A, NODE_B = "host-a:11:x", "host-b:22:y"


def a_crawl_under_way(store) -> None:
    """Started with RULES' caps; node A visits s1 and s2 and holds s5; node B visits s3, fails
    s4, holds s6."""
    store.record_caps("likes", RULES)  # as the scheduler does when a crawl starts
    store.add_discovered([f"s{i}" for i in range(1, 9)])
    for owner, permalink in ((NODE_A, "s1"), (NODE_A, "s2"), (NODE_B, "s3"), (NODE_B, "s4")):
        assert store.claim_next("likes", owner, RULES, 600).permalink == permalink
    assert store.mark_done("likes", "s1", [Edge("s8", "likes", "e1")], None, 1000)
    assert store.mark_done("likes", "s2", [Edge("s8", "follows", "e2")], None, 1000)
    assert store.mark_done("likes", "s3", [], None, 1000)
    assert store.mark_failed("likes", "s4", "failed")
    assert store.claim_next("likes", NODE_A, RULES, 600).permalink is not None
    assert store.claim_next("likes", NODE_B, RULES, 600).permalink is not None


def test_the_report_shows_phase_counts_nodes_rate_and_time_left(frontier_store):
    a_crawl_under_way(frontier_store)
    lines = status.report(frontier_store, now=time.time() + 30, window_minutes=10)
    text = "\n".join(lines)
    assert lines[0].startswith("likes: phase 1 (breadth-first), visited 3/20 (phase 2 after 10)")
    assert "not found 0, failed 1" in lines[0] and "in flight 2" in lines[0]
    assert "  node host-a:11: window 2, in flight 1, visited 2" in lines
    assert "  node host-b:22: window 2, in flight 1, visited 1" in lines
    # 4 picks finished within the last ~30 s: ~8 lists/min, 3 of them visits; 3 visits to go.
    assert "lists/min" in lines[1] and "time left: about" in lines[1], text
    assert lines[-1] == "  next: s7, s8"


def test_a_node_whose_lease_ran_out_is_shown_gone(frontier_store):
    frontier_store.add_discovered(["s1", "s2"])
    frontier_store.claim_next("likes", "host-c:33:z", RULES, 0.5)
    time.sleep(0.8)
    assert "  node host-c:33: gone, in flight 1, visited 0" in status.report(frontier_store)


def test_the_command_reads_either_store(frontier_store, frontier_store_url):
    a_crawl_under_way(frontier_store)
    out = io.StringIO()
    url = frontier_store_url("frontier")
    assert status.main(["--frontier", url], out=out) == 0
    assert "likes: phase 1 (breadth-first), visited 3/20" in out.getvalue()
    assert ":***@" in out.getvalue() or "redis" not in url  # a Redis password is masked
    result = subprocess.run([sys.executable, "-m", "scmap.status", "--frontier", url], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "node host-a:11" in result.stdout, result.stderr


def test_no_frontier_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scmap.status", "--frontier", str(tmp_path / "none.sqlite")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"scmap: error: no frontier at {tmp_path / 'none.sqlite'}: crawl first, or pass --frontier URL"]


def test_the_report_shows_the_refresh_round_per_spider_and_node(frontier_store, frontier_store_url):
    """-a refresh=DAYS: due, refreshed, gone, failed, in flight and left, for the spider and each node."""
    a_crawl_under_way(frontier_store)  # s1, s2 visited by node A, s3 by node B
    round_, _ = frontier_store.begin_refresh("likes", RULES, 0)
    assert [r.permalink for r in round_.records] == ["s1", "s2", "s3"]
    for owner, expected in ((NODE_B, "s1"), (NODE_A, "s2"), (NODE_A, "s3")):
        assert frontier_store.claim_refresh("likes", owner, RULES, 600).permalink == expected
    assert frontier_store.finish_refresh("likes", "s1", "done", "")
    assert frontier_store.finish_refresh("likes", "s2", "gone", "")
    lines = status.report(frontier_store)
    refresh = [line for line in lines if line.startswith("  refresh round")]
    assert len(refresh) == 1 and refresh[0].startswith("  refresh round 1 (open, accounts last visited before 20")
    assert refresh[0].endswith(": due 3, refreshed 1, gone 1, failed 0, in flight 1, left 0")
    assert "  node host-a:11: window 2, in flight 1, visited 2; refresh: refreshed 0, gone 1, failed 0, in flight 1" \
        in lines
    assert "  node host-b:22: window 2, in flight 1, visited 1; refresh: refreshed 1, gone 0, failed 0, in flight 0" \
        in lines
    assert frontier_store.finish_refresh("likes", "s3", "failed", "")
    out = io.StringIO()
    assert status.main(["--frontier", frontier_store_url("frontier")], out=out) == 0
    assert "  refresh round 1 (complete," in out.getvalue()
    assert ": due 3, refreshed 1, gone 1, failed 1, in flight 0, left 0" in out.getvalue()


def test_the_caps_are_those_the_crawl_was_started_with_latest_start_wins(frontier_store, frontier_store_url):
    """The issue's case: a crawl started with 1,200 visits, 100 breadth-first and 150 followers
    shows those, not the settings' 2,250 / 850 / 250. A later start with other caps replaces
    them; an option overrides one for this report only."""
    store = frontier_store
    store.record_caps("likes", CrawlRules(max_accounts=1200, bfs_accounts=100, min_followers=150))
    store.add_discovered(["s1"])
    assert store.claim_next("likes", NODE_A, RULES, 600).permalink == "s1"
    small = [Edge("f120", "likes", "e1", dst_followers_count=120), Edge("f200", "likes", "e2", dst_followers_count=200)]
    assert store.mark_done("likes", "s1", small, None, 1000)
    store.claim_next("likes", NODE_A, RULES, 600)  # applies s1's edges: f120 and f200 known
    assert store.caps("likes") == {"bfs_accounts": 100, "max_accounts": 1200, "min_followers": 150}
    first = status.report(store)[0]
    assert "visited 1/1200 (phase 2 after 100)" in first and "1 known under 150 followers" in first, first
    store.record_caps("likes", CrawlRules(max_accounts=300, bfs_accounts=5, min_followers=250))  # a later run
    first = status.report(store)[0]
    assert "visited 1/300 (phase 2 after 5)" in first and "2 known under 250 followers" in first, first
    out = io.StringIO()
    assert status.main(["--frontier", frontier_store_url("frontier"), "--max-accounts", "40"], out=out) == 0
    assert "visited 1/40 (phase 2 after 5)" in out.getvalue() and "caps: not kept" not in out.getvalue()
    assert store.caps("likes")["max_accounts"] == 300  # read-only: the option changed nothing


def test_a_store_without_kept_caps_shows_the_settings_defaults_and_says_so(frontier_store, frontier_store_url,
                                                                            store_kind):
    """A store from before caps were kept (an older SQLite file has no crawl_caps table)."""
    from scmap.setting_values import default

    frontier_store.add_discovered(["s1"])
    frontier_store.claim_next("likes", NODE_A, RULES, 600)
    if store_kind == "sqlite":
        frontier_store._db.execute("DROP TABLE crawl_caps")
    result = subprocess.run([sys.executable, "-m", "scmap.status", "--frontier", frontier_store_url("frontier")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (f"visited 0/{default('FRONTIER_MAX_ACCOUNTS')} (phase 2 after {default('FRONTIER_BFS_ACCOUNTS')})"
            in result.stdout), result.stdout
    assert f"known under {default('FRONTIER_MIN_FOLLOWERS')} followers" in result.stdout
    assert "  caps: not kept by this store (crawled before they were): the settings' defaults" in result.stdout


def test_a_negative_cap_option_is_one_line_and_exit_2(frontier_store, frontier_store_url):
    a_crawl_under_way(frontier_store)
    result = subprocess.run([sys.executable, "-m", "scmap.status", "--frontier", frontier_store_url("frontier"),
                             "--max-accounts", "-1"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["scmap: error: bfs_accounts and max_accounts must be >= 0"]


@pytest.mark.timeout(180)
def test_a_real_crawl_keeps_its_caps_for_the_status(tmp_path, frontier_store_url):
    """End to end: a Scrapy crawl through the frontier scheduler, started with its own caps,
    then `python -m scmap.status` on its store; a second run of the same frontier with other
    caps: the status shows the latest."""
    world = make_world(seed=3, accounts=120)
    url = frontier_store_url("run")

    def crawl_then_status(caps: dict[str, int], name: str) -> str:
        args = {"seeds": "u1,u2", "accounts_in_flight": 2, **caps}
        process = start_crawl(write_config(tmp_path, world, args, name=name, store=url))
        log, _ = process.communicate(timeout=120)
        assert process.returncode == 0, log[-3000:]
        result = subprocess.run([sys.executable, "-m", "scmap.status", "--frontier", url], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = crawl_then_status({"bfs_accounts": 4, "max_accounts": 12, "min_followers": 150}, "first")
    assert "fake: phase 2 (by score), visited 12/12 (phase 2 after 4)" in first, first
    assert "known under 150 followers" in first and "caps: not kept" not in first
    again = crawl_then_status({"bfs_accounts": 6, "max_accounts": 16, "min_followers": 100}, "again")
    assert "fake: phase 2 (by score), visited 16/16 (phase 2 after 6)" in again, again
    assert "known under 100 followers" in again
