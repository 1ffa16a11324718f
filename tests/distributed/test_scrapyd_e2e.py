"""End to end on loopback: one Redis (password, append-only), two scrapyd nodes (basic auth,
max_proc 2), the project deployed to both with scrapyd-deploy and the scrapy.cfg targets, the
four spiders scheduled on both against the sandbox (real Chromium), one shared frontier and one
shared output root, every frontier setting at its default (no window tuning).

Mid-crawl one job is frozen (SIGSTOP: alive, silent, like a hung machine) while holding
accounts, and Redis is restarted under the running jobs. The other jobs pause through the
restart and go on; the other node takes the frozen job's accounts after its lease; the frozen
job is then killed with cancel.json. Both nodes take a share (neither starves the other), no
account is crawled twice (but those the frozen job held), every spider reaches max_accounts."""

from __future__ import annotations

import os
import re
import signal
import time
import zipfile
from collections import Counter
from datetime import datetime

import pytest

from analysis.read_edges import count_edges
from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.store_url import PASSWORD_ENV
from scmap.sandbox.runner import generate_world_dir, run_sandbox
from tests.frontier.redis_server import start_redis_server
from tests.distributed.sandbox_crawl import SPIDERS, CrawlParameters, pick_seeds, read_edges, schedule_everywhere
from tests.distributed.scrapyd_nodes import copy_project, deploy, run_scrapyd_nodes, wait_for_jobs

LEASE_SECONDS = 15
VICTIM_SPIDER = "likes"
PREFIX = "e2e"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    world = generate_world_dir(tmp_path_factory.mktemp("world") / "world", seed=7, accounts=120)
    with run_sandbox(world) as site:
        yield site, world


def wait_for_victim(store: RedisFrontierStore, pid: int, timeout: float = 240) -> list[str]:
    """Freeze job `pid` once the spider has visited an account and the job holds some: returns those."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(store.visited_order(VICTIM_SPIDER)) >= 1:
            os.kill(pid, signal.SIGSTOP)
            held = [permalink for _, permalink, owner in store.in_flight(VICTIM_SPIDER) if f":{pid}:" in owner]
            if held:
                return held
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.2)
    raise TimeoutError("the victim job never held an account after the first visit")


@pytest.mark.timeout(600)
def test_two_scrapyd_nodes_share_one_redis_frontier_through_a_kill_and_a_redis_restart(sandbox, tmp_path):
    site, world = sandbox
    parameters = CrawlParameters(seeds=pick_seeds(world, min_followers=250), min_followers=250, max_accounts=20)
    shared_output = tmp_path / "shared-output"
    with start_redis_server(tmp_path / "redis", persistent=True) as server:
        redis_url = server.url
        redis_password = redis_url.split("//:")[1].split("@")[0]
        frontier_url = redis_url.replace(f":{redis_password}@", "") + f"?prefix={PREFIX}"  # password: in the env
        with run_scrapyd_nodes(tmp_path / "nodes", 2, max_proc=2, env={PASSWORD_ENV: redis_password}) as nodes:
            deploy(copy_project(tmp_path / "project"), {"node1": nodes[0], "node2": nodes[1]})
            for node in nodes:
                assert sorted(node.get("listspiders.json", project="scmap")["spiders"]) == sorted(SPIDERS)
                egg = zipfile.ZipFile(node.directory / "eggs" / "scmap" / "e2e.egg").namelist()
                assert "scmap/spiders/likes.py" in egg and not any(n.startswith("scmap/sandbox") for n in egg)
            jobs = schedule_everywhere(nodes, site, parameters, frontier_url, shared_output,
                                       # 4 api calls/s per job: session mode reads 12 accounts
                                       # in seconds, too fast to freeze the victim mid-crawl.
                                       {"FRONTIER_LEASE_SECONDS": str(LEASE_SECONDS),
                                        "DOWNLOAD_DELAY": "0.25", "DOWNLOAD_DELAY_JITTER": "0"})
            victim = next(j for j in jobs if j.node is nodes[0] and j.spider == VICTIM_SPIDER)
            store = RedisFrontierStore(f"{redis_url}?prefix={PREFIX}")
            try:
                victim_pid = wait_for_running_pid(nodes[0], victim.job)
                held = wait_for_victim(store, victim_pid)
                lease_ends = {p: until for p, until in store.lease_ends(VICTIM_SPIDER).items() if p in held}
                server.stop()  # Redis restarted under the running jobs
                time.sleep(4)
                assert server.start()
                wait_for_jobs(nodes, len(jobs) - 1, timeout=420, except_jobs=frozenset({victim.job}))
                nodes[0].post("cancel.json", {"project": "scmap", "job": victim.job, "signal": "KILL"})
                wait_for_jobs(nodes, len(jobs), timeout=60)
                records = {spider: store.pick_records(spider) for spider in SPIDERS}
            finally:
                store.close()
            for job in jobs:
                job.log = job.node.job_log(job.spider, job.job)
            scrapyd_outputs = [(node.directory / "scrapyd.out").read_text() for node in nodes]
            scrapyd_password = nodes[0].password

    # Every job but the frozen one closed by itself once the frontier said finished, and every
    # spider visited max_accounts accounts, each picked once.
    for job in jobs:
        if job is not victim:
            assert "Spider closed (finished)" in job.log, (job.node.name, job.spider, job.log[-2000:])
    for spider, picks in records.items():
        assert len({r.permalink for r in picks}) == len(picks), spider
        assert sum(r.status == "done" for r in picks) == parameters.max_accounts, spider
    # The restart was seen and ridden out.
    assert any("pausing, retrying for up to 60 s" in job.log for job in jobs)
    assert any("frontier store back after" in job.log for job in jobs)
    # The frozen job's accounts were handed out again, after its lease, by the other node.
    taker = next(j for j in jobs if j.node is nodes[1] and j.spider == VICTIM_SPIDER)
    for permalink in held:
        handed_over_at = log_time(taker.log, f"handing out {permalink} again")
        assert handed_over_at >= lease_ends[permalink] - 1  # not before its lease ran out (log: to the second)
    # A fair split with default settings: `comments` runs on both nodes at once (max_proc 2 runs
    # each node's likes and comments first) and neither is frozen. The bound is loose on
    # purpose: whoever opens first takes the seeds while the other's browser starts, and a
    # 20-account crawl is short (splits seen: 6/14 to 10/10). With one window for all nodes (the
    # bug this guards against) the first node starves the other (39/1 at 40 accounts). The exact
    # per-node window rule is held by tests/frontier/test_node_windows.py.
    node_of_owner = {re.search(r"frontier \w+: store .*?, node (\S+),", job.log).group(1): job.node.name
                     for job in jobs}
    visits = Counter(node_of_owner.get(r.holder) for r in records["comments"] if r.status == "done")
    assert min(visits["node1"], visits["node2"]) >= parameters.max_accounts / 5, visits
    # Each job under its own crawl id in the shared output; both nodes wrote edges.
    union = read_edges(shared_output)
    crawl_ids = set(union["crawl_id"])
    assert crawl_ids <= {j.job for j in jobs}
    assert any(j.job in crawl_ids for j in jobs if j.node is nodes[0])
    assert any(j.job in crawl_ids for j in jobs if j.node is nodes[1])
    part_files = [path.name for path in (shared_output / "edges").rglob("part-*.parquet")]
    assert part_files and all(any(f"part-{j.job}-" in name for j in jobs) for name in part_files)
    # Edges only from picked accounts, and no account read by two jobs but those the frozen job held.
    picked = {(spider, r.permalink) for spider, picks in records.items() for r in picks}
    sources = union.groupby(["interaction", "src_permalink"])["crawl_id"].nunique()
    assert set(sources.index) <= picked
    assert {key for key, jobs_reading in sources.items() if jobs_reading > 1} <= {(VICTIM_SPIDER, p) for p in held}
    assert count_edges(shared_output / "edges").unique_edges == len(union.drop_duplicates(
        ["interaction", "src_id", "dst_id", "object_kind", "object_id", "created_at"]))
    # No password in any log.
    for text in [job.log for job in jobs] + scrapyd_outputs:
        assert redis_password not in text and scrapyd_password not in text


def log_time(log: str, text: str) -> float:
    line = next(line for line in log.splitlines() if text in line)
    return datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").timestamp()


def wait_for_running_pid(node, job: str, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for running in node.jobs()["running"]:
            if running["id"] == job and running.get("pid"):
                return int(running["pid"])
        time.sleep(0.3)
    raise TimeoutError(f"job {job} did not start")
