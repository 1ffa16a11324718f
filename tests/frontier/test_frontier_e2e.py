"""End to end: the real likes spider through Chromium against the sandbox, driven by the
frontier. The visit order must be the one the rules give on the world's ground truth
(computed here from the world files, without the crawler); accounts under the threshold are
never crawled; kill -9 + the same command again ends with the same visits, edges and objects
(every track and playlist of the lists read, exact against the world)."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from analysis.read_edges import count_edges
from scmap.compact import main as compact_main
from scmap.frontier.ordering import CrawlRules
from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.sandbox.runner import generate_world_dir, run_sandbox
from scmap.sandbox.world import load_world
from tests.frontier.fake_crawl import WEIGHTS
from tests.frontier.reference_order import reference_picks
from tests.spiders.objects_truth import assert_exact_objects, expected_objects

REPO = Path(__file__).resolve().parents[2]
INTERACTION = "likes"
LIMIT = 20
BFS_ACCOUNTS, MAX_ACCOUNTS, MIN_FOLLOWERS, IN_FLIGHT = 3, 7, 250, 2
RULES = CrawlRules(bfs_accounts=BFS_ACCOUNTS, max_accounts=MAX_ACCOUNTS, min_followers=MIN_FOLLOWERS,
                   accounts_in_flight=IN_FLIGHT)
SETTINGS = {
    "SCHEDULER": "scmap.frontier.scheduler.FrontierScheduler",
    "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "ROBOTSTXT_OBEY": "False",
    "CONCURRENT_REQUESTS": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "4", "LOG_LEVEL": "INFO",
    "FRONTIER_LOG_INTERVAL": "5",
    "PARQUET_BATCH_SIZE": "1",  # every edge on disk at once, whatever the writer's buffering
}


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory) -> Path:
    return generate_world_dir(tmp_path_factory.mktemp("frontier-world") / "world", seed=7, accounts=120)


@pytest.fixture(scope="module")
def sandbox(world_dir):
    with run_sandbox(world_dir) as info:
        yield info


@pytest.fixture(scope="module")
def ground_truth(world_dir) -> dict:
    """The world as the rules see it: each account's most recent LIMIT likes, newest first,
    with the targets' followers counts (what the lists' mini users carry)."""
    world = load_world(world_dir)
    permalink = dict(zip(world.users["id"], world.users["permalink"]))
    followers = dict(zip(world.users["permalink"], world.users["followers_count"].astype(int)))
    edges = {}
    for user_id, name in permalink.items():
        rows = world.recent_interactions(user_id, INTERACTION, LIMIT)
        edges[name] = [{"dst_permalink": permalink[dst], "dst_followers_count": followers[permalink[dst]],
                        "interaction": INTERACTION} for dst in rows["dst_id"]]
    return {"followers": followers, "edges": edges, "missing": []}


def seeds_of(truth: dict) -> list[str]:
    """Three accounts above the threshold with many likes, deterministically."""
    big = sorted((p for p, n in truth["followers"].items() if n >= MIN_FOLLOWERS and len(truth["edges"][p]) >= 10),
                 key=lambda p: (-len(truth["edges"][p]), p))
    return big[:3]


def crawl_command(seeds: list[str], out: Path, sandbox, mode: str = "session") -> list[str]:
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", INTERACTION, "-a", "seeds=" + ",".join(seeds),
               "-a", f"mode={mode}",
               "-a", f"limit={LIMIT}", "-a", f"bfs_accounts={BFS_ACCOUNTS}", "-a", f"max_accounts={MAX_ACCOUNTS}",
               "-a", f"min_followers={MIN_FOLLOWERS}", "-a", f"accounts_in_flight={IN_FLIGHT}"]
    settings = {**SETTINGS, "OUTPUT_DIR": str(out), "FRONTIER_URL": str(out / "frontier.sqlite"),
                "SOUNDCLOUD_WEB_URL": sandbox.web_url, "SOUNDCLOUD_API_URL": sandbox.api_url}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def start(command: list[str], log: Path) -> subprocess.Popen:
    # Own session: kill -9 of the group takes Chromium down with the crawler, like a crash.
    return subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)


def finish(process: subprocess.Popen, log: Path) -> str:
    try:
        process.wait(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    text = log.read_text(errors="replace")
    assert process.returncode == 0, text[-3000:]
    return text


def edge_set(out: Path) -> set[tuple]:
    table = ds.dataset(str(out / "edges"), format="parquet", partitioning="hive").to_table()
    columns = ["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"]
    return set(zip(*(table.column(c).to_pylist() for c in columns)))


def objects_of(out: Path):
    return ds.dataset(str(out / "objects"), format="parquet", partitioning="hive").to_table().to_pandas()


def files_per_partition(out: Path) -> dict[str, int]:
    counted = Counter(str(path.parent.relative_to(out)) for path in out.rglob("part-*.parquet"))
    return dict(counted)


def analysis_edges(out: Path) -> tuple[int, list[tuple[int, int, int]]]:
    """What the map is built from: distinct edges, and their count per account pair."""
    counts = count_edges(out / "edges")
    likes = counts.by_interaction[INTERACTION]
    return counts.unique_edges, sorted(zip(likes["src_id"].tolist(), likes["dst_id"].tolist(), likes["count"].tolist()))


def picks(out: Path) -> list[tuple[int, str, str]]:
    store = SqliteFrontierStore(out / "frontier.sqlite")
    try:
        return store.picks(INTERACTION)
    finally:
        store.close()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("mode", ["session", "scroll"])
def test_real_spider_visits_in_the_rules_order_and_resumes_after_kill(mode, tmp_path, sandbox, ground_truth,
                                                                     world_dir):
    seeds = seeds_of(ground_truth)
    assert len(seeds) == 3
    expected = reference_picks(ground_truth, seeds, BFS_ACCOUNTS, MAX_ACCOUNTS, MIN_FOLLOWERS, WEIGHTS, IN_FLIGHT)
    assert sum(status == "done" for _, status in expected) == MAX_ACCOUNTS

    whole = tmp_path / "uninterrupted"
    log = finish(start(crawl_command(seeds, whole, sandbox, mode), tmp_path / "whole.log"), tmp_path / "whole.log")
    assert [(p, s) for _, p, s in picks(whole)] == expected
    # Nothing under the threshold was crawled, though such accounts were discovered.
    sources = {src for src, *_ in edge_set(whole)}
    store = SqliteFrontierStore(whole / "frontier.sqlite")
    visited = [p for _, p, s in store.picks(INTERACTION) if s == "done"]
    assert all(ground_truth["followers"][p] >= MIN_FOLLOWERS for p in visited)
    assert store.counts(INTERACTION, RULES).below_threshold > 0
    store.close()
    assert len(sources) == sum(1 for p in visited if ground_truth["edges"][p])
    assert "frontier likes (final): phase 2" in log
    # The tracks and playlists of the lists read, as the world has them.
    world = load_world(world_dir)
    read_ids = [int(world.users.set_index("permalink").loc[p, "id"]) for p in visited]
    objects = expected_objects(world, read_ids, INTERACTION, LIMIT)
    assert_exact_objects(objects_of(whole), objects)
    # The crawl merged its per-edge part files on close (PARQUET_BATCH_SIZE=1 wrote one per edge).
    object_partitions = {f"objects/kind={kind}": 1 for kind in set(objects["kind"])}
    assert files_per_partition(whole) == {"accounts": 1, "edges/interaction=likes": 1, **object_partitions}
    # Each mode read the lists its own way (session mode: ids from the frontier, no /resolve).
    assert (f"'scmap/{INTERACTION}/session/lists_read'" in log) == (mode == "session")

    resumed = tmp_path / "killed"
    victim = start(crawl_command(seeds, resumed, sandbox, mode), tmp_path / "killed.log")
    deadline = time.monotonic() + 180
    while _visited(resumed / "frontier.sqlite") < BFS_ACCOUNTS + 1:
        assert victim.poll() is None and time.monotonic() < deadline, "crawl ended before the kill"
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert _visited(resumed / "frontier.sqlite") < MAX_ACCOUNTS
    finish(start(crawl_command(seeds, resumed, sandbox, mode), tmp_path / "killed.log"), tmp_path / "killed.log")
    assert picks(resumed) == picks(whole)
    assert edge_set(resumed) == edge_set(whole)
    assert_exact_objects(objects_of(resumed), objects)  # none lost to the kill
    # The killed crawl could not merge its files: `scmap.compact` does, and the analysis reads
    # the same edges from the merged files as from the small ones.
    killed_files, counts_before = files_per_partition(resumed), analysis_edges(resumed)
    assert killed_files["edges/interaction=likes"] > 10
    assert compact_main([str(resumed), "--min-age", "0"], out=io.StringIO()) == 0
    merged = files_per_partition(resumed)
    assert {k: n for k, n in merged.items() if not k.startswith("objects/")} == \
        {"accounts": 2, "edges/interaction=likes": 2}  # one per crawl id
    assert set(merged) - {"accounts", "edges/interaction=likes"} == set(object_partitions)
    assert all(n <= 2 for n in merged.values())
    assert_exact_objects(objects_of(resumed), objects)
    assert analysis_edges(resumed) == counts_before
    assert counts_before[0] == len(edge_set(whole)) == analysis_edges(whole)[0]


def _visited(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM claims WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0

