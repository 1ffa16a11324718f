"""Distributed crawl speed: Redis frontier operations against SQLite's, and the same real crawl
(four spiders, Chromium, sandbox site) on one scrapyd node and on two (same machine, loopback).

    .venv/bin/python bench/bench_distributed.py [--accounts 200000] [--skip-crawl]
        [--max-accounts 40] [--limit 50] [--configurations 1x2,2x2,1x4]

1. Store operations (bench_frontier.py's: discovery, visits with 500 edges in both phases,
   bare claims, progress report) on a store of --accounts discovered accounts, SQLite file
   vs Redis (a local redis-server with a password, loopback). For Redis the work happens in
   the server: its CPU per operation (INFO cpu) is printed too.
2. The crawl: a sandbox world, the four spiders scheduled through schedule.json with a Redis
   frontier; one node (max_proc jobs at a time), then two nodes (max_proc each), fresh key
   prefix each. Lists per minute = picks finished (done, skipped, failed) over the wall time
   from the first schedule.json to the last job finished. `1x4` (one node, as many browsers
   as two nodes of 2) separates the cost of coordination from the machine's limits.

Measured 2026-11-25 on the 2-core / 24 GB dev VM while other test suites ran (load 10-20:
figures are noisy; run it on a quiet machine):
  store, 200,000 accounts    SQLite wall / Redis wall (Redis server CPU)
    discover                 0.002 / 0.007 ms per account (0.005)
    visit, 500 edges, ph. 1  13.7  / 9.0 ms (7.3)      ph. 2: 14.3 / 11.0 ms (9.5)
    claim + done, no edges   0.51  / 2.2 ms (1.9)      progress report: 10.5 / 3.6 ms (2.8)
    Redis memory 69 MB. A Redis round trip is ~0.1 ms on loopback, more across machines;
    each step is one round trip (one Lua script).
  crawl, 4 spiders x 40 accounts, limit 50 (160 lists):
    1 node  x max_proc 2: 121 lists/min;  2 nodes x max_proc 2: 105;  1 node x max_proc 4: 102
    (max_accounts 15, 60 lists: 108 vs 74 lists/min: short crawls pay each job's browser start.)
On one 2-core machine a second node only adds browsers competing for the same two cores:
two nodes do as well as one node running as many browsers (the coordination costs nothing
visible) and worse than two browsers. On separate machines each node brings its own cores
and browsers, so lists/min should grow about linearly with the nodes until the site's rate
limits (per IP) or the frontier window (accounts_in_flight, raise it with the nodes) bind;
the Redis frontier needs ~10 ms of server CPU per list, i.e. one core for thousands of
lists per minute.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import redis  # noqa: E402

from bench_frontier import EDGES_PER_ACCOUNT, synthetic_edges, timed  # noqa: E402
from scmap.frontier.ordering import CrawlRules  # noqa: E402
from scmap.frontier.redis_store import RedisFrontierStore  # noqa: E402
from scmap.frontier.owner import make_owner  # noqa: E402
from scmap.frontier.sqlite_store import SqliteFrontierStore  # noqa: E402
from scmap.frontier.store import FrontierStore  # noqa: E402
from scmap.frontier.store_url import PASSWORD_ENV  # noqa: E402
from tests.frontier.redis_server import run_redis_server  # noqa: E402


def redis_cpu_seconds(url: str) -> float:
    client = redis.Redis.from_url(url)
    try:
        info = client.info("cpu")
        return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
    finally:
        client.close()


def bench_store_operations(store: FrontierStore, accounts: int, server_cpu: Callable[[], float] | None) -> dict:
    rng = random.Random(1)
    owner = make_owner()
    batch = 10_000
    results: dict[str, float] = {}

    def measured(key: str, label: str, operations: int, function: Callable[[], Any], unit: str) -> None:
        before = server_cpu() if server_cpu else 0.0
        results[key] = timed(label, operations, function, unit)
        if server_cpu:
            print(f"  {'':<62} server CPU {1000 * (server_cpu() - before) / operations:.3f} ms each")

    def discover_all() -> None:
        for start in range(0, accounts, batch):
            store.add_discovered([f"acc{i}" for i in range(start, min(start + batch, accounts))])

    measured("discover", f"discover (batches of {batch:,})", accounts, discover_all, "accounts")
    prepared = [synthetic_edges(rng, accounts) for _ in range(400)]

    def visit(rules: CrawlRules, n: int) -> None:
        for _ in range(n):
            claim = store.claim_next("likes", owner, rules, 600)
            store.mark_done("likes", claim.permalink, prepared.pop(), None, 1000)

    phase_1 = CrawlRules(bfs_accounts=850, max_accounts=10**9, accounts_in_flight=1)
    phase_2 = CrawlRules(bfs_accounts=0, max_accounts=10**9, accounts_in_flight=1)
    measured("phase1_visit", f"phase 1 visit: claim + done with {EDGES_PER_ACCOUNT} edges", 200,
             lambda: visit(phase_1, 200), "accounts")
    measured("phase2_visit", f"phase 2 visit: claim + done with {EDGES_PER_ACCOUNT} edges", 200,
             lambda: visit(phase_2, 200), "accounts")

    def claims_only(n: int) -> None:
        for _ in range(n):
            claim = store.claim_next("follows", owner, phase_2, 600)
            store.mark_done("follows", claim.permalink, [], None, 1000)

    measured("claim", "phase 2 claim + done without edges", 1000, lambda: claims_only(1000), "claims")
    measured("report", "progress report (counts + top of queue)", 5,
             lambda: [store.counts("likes", phase_2) and store.top_of_queue("likes", phase_2, 5) for _ in range(5)],
             "reports")
    return results


def bench_stores(accounts: int, directory: Path) -> None:
    print(f"SQLite store, {accounts:,} accounts")
    sqlite_store = SqliteFrontierStore(directory / "bench.sqlite")
    sqlite_results = bench_store_operations(sqlite_store, accounts, None)
    sqlite_store.close()
    with run_redis_server() as url:
        print(f"\nRedis store (local redis-server, loopback), {accounts:,} accounts")
        redis_store = RedisFrontierStore(url + "?prefix=bench")
        redis_results = bench_store_operations(redis_store, accounts, lambda: redis_cpu_seconds(url))
        memory = redis.Redis.from_url(url).info("memory")["used_memory"]
        redis_store.close()
    print(f"  Redis memory: {memory / 1e6:.0f} MB")
    print("\nRedis / SQLite wall time per operation:")
    for key, seconds in sqlite_results.items():
        print(f"  {key:<14} {redis_results[key] / seconds:6.2f}x")


def bench_crawl(directory: Path, max_accounts: int, limit: int, configurations: list[tuple[int, int]]) -> None:
    """configurations: (nodes, max_proc per node), each run on a fresh key prefix."""
    from scmap.sandbox.runner import generate_world_dir, run_sandbox
    from tests.distributed.sandbox_crawl import SPIDERS, CrawlParameters, pick_seeds, schedule_everywhere
    from tests.distributed.scrapyd_nodes import copy_project, deploy, run_scrapyd_nodes, wait_for_jobs

    world = generate_world_dir(directory / "world", seed=7, accounts=150)
    parameters = CrawlParameters(seeds=pick_seeds(world, min_followers=250), limit=limit, max_accounts=max_accounts,
                                 bfs_accounts=max(1, max_accounts // 2), min_followers=250, accounts_in_flight=8)
    print(f"\ncrawl: 4 spiders x {max_accounts} accounts, limit {limit}, sandbox world of 150 accounts,"
          f" accounts_in_flight {parameters.accounts_in_flight}, CONCURRENT_REQUESTS 2 per job")
    project = copy_project(directory / "project")
    with run_sandbox(world) as site, run_redis_server() as redis_url:
        password = redis_url.split("//:")[1].split("@")[0]
        for node_count, max_proc in configurations:
            prefix = f"bench{node_count}x{max_proc}"
            frontier_url = redis_url.replace(f":{password}@", "") + f"?prefix={prefix}"
            root = directory / prefix
            with run_scrapyd_nodes(root, node_count, max_proc=max_proc, env={PASSWORD_ENV: password}) as nodes:
                deploy(project, {f"node{i + 1}": node for i, node in enumerate(nodes)})
                start = time.perf_counter()
                jobs = schedule_everywhere(nodes, site, parameters, frontier_url, root / "output")
                wait_for_jobs(nodes, len(jobs), timeout=3600, poll=0.5)
                wall = time.perf_counter() - start
            store = RedisFrontierStore(redis_url + f"?prefix={prefix}")
            lists = sum(1 for spider in SPIDERS for _, _, status in store.picks(spider) if status != "in_flight")
            done = sum(len(store.visited_order(spider)) for spider in SPIDERS)
            store.close()
            print(f"  {node_count} node(s) x max_proc {max_proc}, {len(jobs)} jobs: {lists} lists ({done} visits) in {wall:.0f} s"
                  f" = {60 * lists / wall:.1f} lists/min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--skip-crawl", action="store_true")
    parser.add_argument("--skip-store", action="store_true")
    parser.add_argument("--max-accounts", type=int, default=40)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--configurations", default="1x2,2x2,1x4",
                        help="NODESxMAX_PROC, comma-separated (default 1x2,2x2,1x4: one node, two nodes, and one"
                             " node running as many browsers as the two)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        if not options.skip_store:
            bench_stores(options.accounts, Path(tmp))
        if not options.skip_crawl:
            configurations = [tuple(int(n) for n in item.split("x")) for item in options.configurations.split(",")]
            bench_crawl(Path(tmp), options.max_accounts, options.limit, configurations)


if __name__ == "__main__":
    main()
