"""End to end on loopback: one Redis (password), two scrapyd nodes (basic auth, max_proc 2),
the project deployed to both with scrapyd-deploy and the scrapy.cfg targets, the four spiders
scheduled on both against the sandbox (real Chromium), one shared output root.

One job is frozen mid-crawl (SIGSTOP: alive, silent, like a hung machine) while holding
accounts; the other node waits for its lease, takes them over, and the frozen job is then
killed with cancel.json. The result must equal a single-node crawl's.

The four spiders normally share discoveries and scores, so which accounts a capped crawl
visits depends on how the spiders interleave (on one machine as on two) and on when each one
finds its frontier empty. To compare with a single-node crawl exactly, each spider here has its
own frontier (key prefix / SQLite file): then its picks are a function of the world alone, in
order, however many nodes share them. Shared discoveries across spiders are tested in
tests/frontier/test_store_contract.py and test_shared_fake_crawl.py."""

from __future__ import annotations

import os
import signal
import time
import zipfile
from collections import defaultdict
from datetime import datetime

import pytest

from analysis.read_edges import count_edges
from scmap.frontier.ordering import CrawlRules
from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.frontier.store_url import PASSWORD_ENV
from scmap.sandbox.runner import generate_world_dir, run_sandbox
from tests.frontier.redis_server import run_redis_server
from tests.distributed.sandbox_crawl import (
    SPIDERS, CrawlParameters, edge_identities, pick_seeds, read_edges, run_single_node, schedule_everywhere)
from tests.distributed.scrapyd_nodes import copy_project, deploy, run_scrapyd_nodes, wait_for_jobs

LEASE_SECONDS = 15
VICTIM_SPIDER = "likes"


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
def test_two_scrapyd_nodes_on_one_redis_frontier_equal_a_single_node_crawl(sandbox, tmp_path):
    site, world = sandbox
    parameters = CrawlParameters(seeds=pick_seeds(world, min_followers=250), min_followers=250, max_accounts=10)

    single = run_single_node(site, parameters, tmp_path / "single", frontier_per_spider=True)
    assert all(run.returncode == 0 for run in single), [run.stderr[-2000:] for run in single]
    single_edges = read_edges(tmp_path / "single" / "output")
    reference_picks = {}
    for spider in SPIDERS:
        reference = SqliteFrontierStore(tmp_path / "single" / f"frontier-{spider}.sqlite")
        reference_picks[spider] = [(p, s) for _, p, s in reference.picks(spider)]
        assert reference.counts(spider, rules_of(parameters)).visited == parameters.max_accounts
        reference.close()
    assert not single_edges.empty

    shared_output = tmp_path / "shared-output"
    with run_redis_server() as redis_url:
        redis_password = redis_url.split("//:")[1].split("@")[0]
        base_url = redis_url.replace(f":{redis_password}@", "")  # the password: in the nodes' environment

        def frontier_url(spider: str) -> str:
            return f"{base_url}?prefix=e2e-{spider}"
        with run_scrapyd_nodes(tmp_path / "nodes", 2, max_proc=2, env={PASSWORD_ENV: redis_password}) as nodes:
            deploy(copy_project(tmp_path / "project"), {"node1": nodes[0], "node2": nodes[1]})
            for node in nodes:
                assert sorted(node.get("listspiders.json", project="scmap")["spiders"]) == sorted(SPIDERS)
                egg = zipfile.ZipFile(node.directory / "eggs" / "scmap" / "e2e.egg").namelist()
                assert "scmap/spiders/likes.py" in egg and not any(n.startswith("scmap/sandbox") for n in egg)
            jobs = schedule_everywhere(nodes, site, parameters, frontier_url, shared_output,
                                       {"FRONTIER_LEASE_SECONDS": str(LEASE_SECONDS)})
            victim = next(j for j in jobs if j.node is nodes[0] and j.spider == VICTIM_SPIDER)
            stores = {spider: RedisFrontierStore(f"{redis_url}?prefix=e2e-{spider}") for spider in SPIDERS}
            store = stores[VICTIM_SPIDER]
            try:
                victim_pid = wait_for_running_pid(nodes[0], victim.job)
                held = wait_for_victim(store, victim_pid)
                frozen_at = time.time()
                wait_for_jobs(nodes, len(jobs) - 1, timeout=420, except_jobs=frozenset({victim.job}))
                nodes[0].post("cancel.json", {"project": "scmap", "job": victim.job, "signal": "KILL"})
                wait_for_jobs(nodes, len(jobs), timeout=60)
                picks = {spider: [(p, s) for _, p, s in stores[spider].picks(spider)] for spider in SPIDERS}
            finally:
                for opened in stores.values():
                    opened.close()
            for job in jobs:
                job.log = job.node.job_log(job.spider, job.job)
            scrapyd_outputs = [(node.directory / "scrapyd.out").read_text() for node in nodes]
            scrapyd_password = nodes[0].password

    # The shared frontiers handed out exactly the single node's accounts, in the same order.
    assert picks == reference_picks
    # Every job but the frozen one closed by itself once the frontier said finished.
    for job in jobs:
        if job is not victim:
            assert "Spider closed (finished)" in job.log, (job.node.name, job.spider, job.log[-2000:])
    # The frozen job's accounts were handed out again, after its lease, by the other node.
    taker = next(j for j in jobs if j.node is nodes[1] and j.spider == VICTIM_SPIDER)
    for permalink in held:
        handed_over_at = log_time(taker.log, f"handing out {permalink} again")
        # not before its lease ran out: renewed every third of it, so at least 2/3 of it was left
        assert handed_over_at >= frozen_at + LEASE_SECONDS * 2 / 3 - 1  # log times are to the second
    # Both nodes worked, each job under its own crawl id in the shared output.
    union = read_edges(shared_output)
    crawl_ids = set(union["crawl_id"])
    assert crawl_ids <= {j.job for j in jobs}
    assert any(j.job in crawl_ids for j in jobs if j.node is nodes[0])
    assert any(j.job in crawl_ids for j in jobs if j.node is nodes[1])
    part_files = [path.name for path in (shared_output / "edges").rglob("part-*.parquet")]
    assert part_files and all(any(f"part-{j.job}-" in name for j in jobs) for name in part_files)
    # The union of the nodes' edges is the single node's, as the analysis reads it (no extra step).
    assert edge_identities(union) == edge_identities(single_edges)
    union_counts, single_counts = count_edges(shared_output / "edges"), count_edges(tmp_path / "single" / "output" / "edges")
    assert union_counts.unique_edges == single_counts.unique_edges
    assert union_counts.per_interaction == single_counts.per_interaction
    # No account's list was read to the end twice, except those the frozen job held.
    assert set(completed_twice(union, single_edges)) <= {(VICTIM_SPIDER, p) for p in held}
    # No password in any log.
    for text in [job.log for job in jobs] + scrapyd_outputs:
        assert redis_password not in text and scrapyd_password not in text


def rules_of(parameters: CrawlParameters) -> CrawlRules:
    return CrawlRules(bfs_accounts=parameters.bfs_accounts, max_accounts=parameters.max_accounts,
                      min_followers=parameters.min_followers, accounts_in_flight=parameters.accounts_in_flight)


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


def completed_twice(union, single_edges) -> list[tuple[str, str]]:
    """(interaction, src_permalink) whose complete edge list is in two jobs' files."""
    full = defaultdict(set)
    for row in single_edges.itertuples(index=False):
        full[(row.interaction, row.src_permalink)].add((row.dst_id, row.object_id, str(row.created_at)))
    per_job = defaultdict(set)
    for row in union.itertuples(index=False):
        per_job[(row.interaction, row.src_permalink, row.crawl_id)].add((row.dst_id, row.object_id, str(row.created_at)))
    complete = defaultdict(int)
    for (interaction, src, _), seen in per_job.items():
        if seen >= full[(interaction, src)]:
            complete[(interaction, src)] += 1
    return [key for key, n in complete.items() if n > 1]
