"""End to end: a refresh crawl (-a refresh=0) through real Chromium against the sandbox after
the world advanced (new likes for some accounts, one account deleted): it reads only the new
likes (far fewer api requests than a full read), loses nothing, and records the deleted
account as gone while its old edges stay in the Parquet; the store's refresh round and
`python -m scmap.status` show it. A second round in scroll mode, nothing new on the site since,
stops scrolling at the cut-off: one page per list, no edge written again. (Several nodes
sharing a round: test_shared_refresh.py.)"""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from scmap import status
from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.sandbox.runner import generate_world_dir, run_sandbox
from scmap.sandbox.world import load_world
from scmap.sandbox.world_later import advance_world
from tests.frontier.test_frontier_e2e import INTERACTION, RULES, crawl_command, edge_set, finish, start

MAX_ACCOUNTS = 7
PAGE_SIZE = 5  # a full read of LIMIT (20) likes takes 4 pages; a refresh 1
NEW_LIKES = 3


def api_requests(sandbox) -> int:
    return int(sandbox.counts().get("api_requests", 0))


def command(seeds, out: Path, sandbox, *extra: str, mode: str = "session") -> list[str]:
    return crawl_command(seeds, out, sandbox, mode) + ["-s", f"SCMAP_API_PAGE_SIZE={PAGE_SIZE}", *extra]


def edge_rows(out: Path) -> int:
    """Edge rows in the Parquet, repeats included (edge_set dedupes, as analysis does)."""
    return ds.dataset(str(out / "edges"), format="parquet", partitioning="hive").count_rows()


@pytest.mark.timeout(900)
def test_refresh_reads_only_new_likes_keeps_history_and_marks_deleted_accounts_gone(tmp_path_factory, tmp_path):
    world_dir = generate_world_dir(tmp_path_factory.mktemp("refresh-world") / "world", seed=7, accounts=120)
    world = load_world(world_dir)
    counts = world.interactions[world.interactions["interaction"] == "likes"].groupby("src_id").size()
    users = world.users.set_index("permalink")
    big = users[(users["followers_count"] >= 250)].copy()
    big["likes"] = big["id"].map(counts).fillna(0)
    seeds = list(big.sort_values(["likes"], ascending=False).index[:3])
    out = tmp_path / "crawl"
    with run_sandbox(world_dir) as before:
        finish(start(command(seeds, out, before), tmp_path / "first.log"), tmp_path / "first.log")
    first_edges = edge_set(out)
    store = SqliteFrontierStore(out / "frontier.sqlite")
    visited = store.visited_order(INTERACTION)
    store.close()
    assert len(visited) == MAX_ACCOUNTS
    user_id = dict(zip(world.users["permalink"], world.users["id"].astype(int)))
    grow = [user_id[p] for p in visited[:2]]
    gone = visited[-1]
    later_dir = tmp_path / "later"
    planted = advance_world(world_dir, later_dir, grow, user_id[gone], new_likes=NEW_LIKES)
    assert len(planted) == 2 * NEW_LIKES

    with run_sandbox(later_dir) as later:
        start_count = api_requests(later)
        log = finish(start(command(seeds, out, later, "-a", "refresh=0"), tmp_path / "refresh.log"),
                     tmp_path / "refresh.log")
        refresh_requests = api_requests(later) - start_count
        full_out = tmp_path / "full"
        start_count = api_requests(later)
        finish(start(command(seeds, full_out, later), tmp_path / "full.log"), tmp_path / "full.log")
        full_requests = api_requests(later) - start_count

    after = edge_set(out)
    new = after - first_edges
    assert first_edges <= after  # nothing lost: the gone account's old edges included
    assert {(src, object_id) for src, _, _, _, object_id, _ in new} == planted  # only the new likes
    assert any(src == user_id[gone] for src, *_ in after)
    store = SqliteFrontierStore(out / "frontier.sqlite")
    visits = store.visits(INTERACTION)
    assert store.visited_order(INTERACTION) == visited  # a refresh is not a new visit
    refresh = store.refresh_round(INTERACTION)
    report = status.report(store)  # under the caps the crawl was started with (kept in the store)
    store.close()
    assert refresh.complete and [r.permalink for r in refresh.records] == visited
    assert {r.permalink: r.status for r in refresh.records} == {p: "gone" if p == gone else "done" for p in visited}
    assert any(line.endswith(": due 7, refreshed 6, gone 1, failed 0, in flight 0, left 0") for line in report), report
    assert f"visited {MAX_ACCOUNTS}/{RULES.max_accounts} (phase 2 after {RULES.bfs_accounts})" in report[0], report
    assert visits[gone].status == "gone"
    assert all(visits[p].status == "done" for p in visited if p != gone)
    assert "'frontier/refresh_due': 7" in log and "'frontier/refresh_gone': 1" in log
    print(f"api requests: refresh of {MAX_ACCOUNTS} accounts {refresh_requests}, "
          f"full crawl of {MAX_ACCOUNTS} accounts {full_requests} ({refresh_requests / full_requests:.2f}x)")
    assert refresh_requests * 2 < full_requests

    # Scroll mode keeps only what is newer than the cut-off too: round 2 (the gone account is
    # not due) with nothing new since writes no edge again. (The sandbox's web client asks 24
    # items a page, so these lists of 20 are one page either way; that scrolling stops at the
    # page holding the cut-off is tested in tests/spiders/test_list_page.py.)
    rows = edge_rows(out)
    with run_sandbox(later_dir) as later:
        log = finish(start(command(seeds, out, later, "-a", "refresh=0", mode="scroll"), tmp_path / "scroll.log"),
                     tmp_path / "scroll.log")
    store = SqliteFrontierStore(out / "frontier.sqlite")
    second = store.refresh_round(INTERACTION)
    store.close()
    assert second.number == 2 and second.complete and second.count("done") == MAX_ACCOUNTS - 1
    assert "'frontier/refresh_done': 6" in log and "'frontier/refresh_edges': 0" in log
    assert edge_rows(out) == rows and edge_set(out) == after
