"""Distributed crawl speed: Redis frontier operations against SQLite's, and the same real crawl
on 1, 2 and 3 nodes sharing one Redis frontier (same machine, loopback).

    .venv/bin/python bench/bench_distributed.py [--accounts 200000] [--skip-store] [--skip-crawl]
        [--max-accounts 120] [--limit 30] [--nodes 1,2,3]

1. Store operations (bench_frontier.py's: discovery, visits with 500 edges in both phases,
   bare claims, progress report) on a store of --accounts discovered accounts, SQLite file
   vs Redis (a local redis-server with a password, loopback). For Redis the work happens in
   the server: its CPU per operation (INFO cpu) is printed too.
2. The crawl: N nodes = N plain `scrapy crawl likes` processes (what a scrapyd job runs; one
   Chromium each: browsers stay few) started at once with the same seeds and FRONTIER_URL,
   every crawl setting at its default (accounts_in_flight 4 per node, DOWNLOAD_DELAY 2 s,
   AutoThrottle, CONCURRENT_REQUESTS_PER_DOMAIN 2) but the site's address, a fresh key prefix
   per N. The sandbox answers every request after 1500 ms (jittered 0.75-2.25 s): like the
   real site, which paces each address, the crawl then waits on the site, not on the 2 shared
   CPU cores, so more nodes (each its own address on the real site) should mean
   proportionally more lists (the Scrapy processes' CPU, in cores on average, is printed;
   Chromium's is not counted). Lists per minute = picks finished over
   the wall time from starting the processes to the last exit (includes each node's ~15 s
   Scrapy + Chromium start and the tail of the last accounts), and between the first and the
   last finish (the steady rate).

Measured 2026-11-27 on the 2-core / 24 GB dev VM shared with other helpers' test runs
(load 4-10), `--skip-store` (120 lists):
  1 node : 120 lists in 527 s = 13.7 lists/min (13.9 steady)
  2 nodes: 120 lists in 281 s = 25.7 lists/min (26.6 steady); lists per node 62 / 58
  3 nodes: 120 lists in 197 s = 36.5 lists/min (39.4 steady); lists per node 42 / 40 / 38
  speed-up 2 nodes 1.88x (1.91x steady), 3 nodes 2.67x (2.83x steady)
  (the Scrapy processes used 0.10 / 0.21 / 0.31 cores on average: the nodes wait on the site)
The same with --max-accounts 60: 13.4 / 23.4 / 31.6 lists/min, 1.74x / 2.35x (steady 1.91x /
2.75x): each run pays a fixed ~15-20 s start (Scrapy + Chromium, all nodes at once on 2 cores)
and the tail of the last accounts, which weigh more the shorter the crawl.
Before per-node windows (one global window of 4), two nodes did no better than one (105 vs
121 lists/min, 4 spiders x 40 accounts: one node filled the window, the other idled).

Store operations, `--skip-crawl` (2026-11-27, same VM, load 4-10):
  store, 200,000 accounts    SQLite wall / Redis wall (Redis server CPU)
    discover                 0.003 / 0.014 ms per account (0.006)
    visit, 500 edges, ph. 1  20.9  / 27.6 ms (10.1)     ph. 2: 22.0 / 36.9 ms (13.3)
    claim + done, no edges   1.2   / 10.4 ms (3.1)      progress report: 14.5 / 19.7 ms (4.4)
    Redis memory 69 MB. Each step is one Lua script (one round trip, ~0.1 ms on loopback)
    plus, for a claim, one pipelined read of the holders (dead local processes are told to the
    script; measured before it was pipelined: two reads).
    (2026-11-25, load 10-20, before node windows: visit 9.0-11.0 ms, claim 2.2 ms (1.9).
    Wall times on this shared VM vary 2-4x between runs; the server CPU is the steadier figure.)
The Redis frontier needs ~10 ms of server CPU per list, i.e. one core for thousands of lists
per minute: far from binding.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import redis  # noqa: E402

from bench_frontier import EDGES_PER_ACCOUNT, synthetic_edges, timed  # noqa: E402
from scmap.frontier.ordering import CrawlRules  # noqa: E402
from scmap.frontier.redis_store import RedisFrontierStore  # noqa: E402
from scmap.frontier.owner import make_owner  # noqa: E402
from scmap.frontier.sqlite_store import SqliteFrontierStore  # noqa: E402
from scmap.frontier.store import FrontierStore  # noqa: E402
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


SITE_LATENCY_MS = 1500  # per request (jittered 0.75-2.25 s): the crawl waits on the site, not on CPU


def children_cpu_seconds() -> float:
    """CPU time of the finished node processes (Scrapy and what they reaped; a Chromium whose
    driver exits first is reparented and not counted: a lower bound)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def node_command(spider: str, parameters: dict[str, str], settings: dict[str, str]) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in parameters.items():
        command += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def crawl_with_nodes(site: Any, redis_url: str, prefix: str, nodes: int, seeds: tuple[str, ...], max_accounts: int,
                     limit: int, directory: Path) -> dict[str, Any]:
    """`nodes` plain `scrapy crawl likes` processes sharing one Redis frontier (what a scrapyd
    job runs), every crawl setting at its default but the site's address."""
    root = directory / prefix
    root.mkdir(parents=True)
    parameters = {"seeds": ",".join(seeds), "max_accounts": str(max_accounts), "limit": str(limit)}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cpu_before = children_cpu_seconds()
    start = time.time()
    processes = []
    for node in range(nodes):
        settings = {"FRONTIER_URL": f"{redis_url}?prefix={prefix}", "OUTPUT_DIR": str(root / "output"),
                    "SOUNDCLOUD_WEB_URL": site.web_url, "SOUNDCLOUD_API_URL": site.api_url,
                    "LOG_FILE": str(root / f"node{node + 1}.log"), "LOG_LEVEL": "INFO"}
        processes.append(subprocess.Popen(node_command("likes", parameters, settings), cwd=REPO, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    codes = [process.wait(timeout=3600) for process in processes]
    wall = time.time() - start
    cpu = children_cpu_seconds() - cpu_before  # the Scrapy processes (Chromium mostly not counted)
    store = RedisFrontierStore(f"{redis_url}?prefix={prefix}")
    records = [r for r in store.pick_records("likes") if r.finished_at is not None]
    store.close()
    finishes = sorted(r.finished_at for r in records)
    by_node = Counter(r.holder.split(":")[1] for r in records if r.holder)
    return {"nodes": nodes, "codes": codes, "wall": wall, "lists": len(records),
            "visits": sum(r.status == "done" for r in records), "by_node": sorted(by_node.values(), reverse=True),
            "per_minute": 60 * len(records) / wall, "cores": cpu / wall,
            "steady_per_minute": 60 * (len(finishes) - 1) / (finishes[-1] - finishes[0]) if len(finishes) > 1 else 0.0}


def bench_crawl(directory: Path, max_accounts: int, limit: int, node_counts: list[int]) -> None:
    from scmap.sandbox.runner import generate_world_dir, run_sandbox
    from tests.distributed.sandbox_crawl import pick_seeds

    world = generate_world_dir(directory / "world", seed=7, accounts=400)
    seeds = pick_seeds(world, min_followers=250)
    print(f"\ncrawl: `scrapy crawl likes` x N nodes sharing one Redis frontier, {max_accounts} visits, limit {limit},"
          f" sandbox world of 400 accounts with {SITE_LATENCY_MS} ms per request (jittered 0.5-1.5x);"
          " every crawl setting at its default (accounts_in_flight 4 per node, DOWNLOAD_DELAY 2 s,"
          " AutoThrottle, 2 requests per domain per node)")
    results = []
    with run_sandbox(world, faults={"latency_ms": SITE_LATENCY_MS}) as site, run_redis_server() as redis_url:
        for nodes in node_counts:
            result = crawl_with_nodes(site, redis_url, f"bench-{nodes}-nodes", nodes, seeds, max_accounts, limit,
                                      directory)
            results.append(result)
            print(f"  {nodes} node(s): {result['lists']} lists ({result['visits']} visits) in {result['wall']:.0f} s"
                  f" = {result['per_minute']:.1f} lists/min ({result['steady_per_minute']:.1f} between the first"
                  f" and last finish); lists per node {result['by_node']}; Scrapy CPU {result['cores']:.2f} cores"
                  f" on average; exit codes {result['codes']}")
    base = results[0]
    for result in results[1:]:
        print(f"  speed-up {result['nodes']} nodes vs {base['nodes']}: {result['per_minute'] / base['per_minute']:.2f}x"
              f" ({result['steady_per_minute'] / base['steady_per_minute']:.2f}x between first and last finish)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--skip-crawl", action="store_true")
    parser.add_argument("--skip-store", action="store_true")
    parser.add_argument("--max-accounts", type=int, default=120)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--nodes", default="1,2,3", help="node counts to run, comma-separated (default 1,2,3)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        if not options.skip_store:
            bench_stores(options.accounts, Path(tmp))
        if not options.skip_crawl:
            bench_crawl(Path(tmp), options.max_accounts, options.limit, [int(n) for n in options.nodes.split(",")])


if __name__ == "__main__":
    main()
