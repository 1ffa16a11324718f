"""Frontier speed at scale, and its share of a crawl's CPU.

    .venv/bin/python bench/bench_frontier.py [--accounts 1000000] [--crawl-accounts 300]

1. Store operations with ~1,000,000 discovered accounts in one SQLite file: discovery
   (INSERT of new accounts), score updates (a visited account's 500 edges applied), claims in
   phase 1 and phase 2, the progress report.
2. A real Scrapy crawl (fake spider on data: URLs, 500 edges per account, no network and no
   browser) with the store's methods timed: the frontier's share of the process's CPU. With
   Chromium and a polite site the crawl's own cost per account is far larger, so this share
   is an upper bound.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scmap.frontier.ordering import CrawlRules  # noqa: E402
from scmap.frontier.owner import make_owner  # noqa: E402
from scmap.frontier.sqlite_store import SqliteFrontierStore  # noqa: E402
from scmap.frontier.store import Edge  # noqa: E402

INTERACTIONS = ("likes", "comments", "reposts", "follows")
EDGES_PER_ACCOUNT = 500


def synthetic_edges(rng: random.Random, population: int, n: int = EDGES_PER_ACCOUNT) -> list[Edge]:
    """Targets skewed towards popular accounts (like real likes), a third under 250 followers."""
    edges = []
    for i in range(n):
        dst = int(population * rng.random() ** 3)
        followers = rng.choice([None, rng.randint(0, 249), rng.randint(250, 100_000)])
        edges.append(Edge(f"acc{dst}", rng.choice(INTERACTIONS), f"{dst}|{i}", dst, followers,
                          f"2024-01-01T00:00:{i % 60:02d}Z", i))
    return edges


def timed(label: str, operations: int, function, unit: str = "ops") -> float:
    """Prints the rate by wall clock and the CPU per operation (the machine may be shared: CPU
    time is the steadier figure). Returns wall seconds per operation."""
    cpu_start, start = time.process_time(), time.perf_counter()
    function()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(f"  {label:<62} {operations / elapsed:>10,.0f} {unit}/s wall"
          f"  ({elapsed * 1000 / operations:.3f} ms wall, {cpu * 1000 / operations:.3f} ms CPU each)")
    return elapsed / operations


def bench_store(accounts: int, directory: Path) -> dict[str, float]:
    rng = random.Random(1)
    store = SqliteFrontierStore(directory / "bench.sqlite")
    owner = make_owner()
    rules = CrawlRules(bfs_accounts=850, max_accounts=10**9, accounts_in_flight=1)
    batch = 10_000
    print(f"store with {accounts:,} discovered accounts ({directory / 'bench.sqlite'})")

    def discover_all() -> None:
        for start in range(0, accounts, batch):
            store.add_discovered([f"acc{i}" for i in range(start, min(start + batch, accounts))])

    results = {"discover": timed(f"discover (batches of {batch:,})", accounts, discover_all, "accounts")}
    # Give the discovered accounts a spread of followers counts (the skip filter has work to do).
    store._db.execute("UPDATE accounts SET followers_count = abs(random() % 2000)")

    prepared = [synthetic_edges(rng, accounts) for _ in range(600)]  # not part of the timing

    def visit(n: int) -> None:
        for _ in range(n):
            claim = store.claim_next("likes", owner, rules, 600)
            store.mark_done("likes", claim.permalink, prepared.pop(), None, 1000)

    results["phase1_visit"] = timed(
        f"phase 1 visit: claim + done with {EDGES_PER_ACCOUNT} edges (applied at next claim)", 300,
        lambda: visit(300), "accounts")
    rules = CrawlRules(bfs_accounts=0, max_accounts=10**9, accounts_in_flight=1)
    results["phase2_visit"] = timed(
        f"phase 2 visit: claim + done with {EDGES_PER_ACCOUNT} edges (applied at next claim)", 300,
        lambda: visit(300), "accounts")
    edges_per_second = EDGES_PER_ACCOUNT / results["phase2_visit"]
    print(f"  {'  = score updates (edges applied, incl. new discoveries)':<58} {edges_per_second:>12,.0f} edges/s")

    def claims_only(n: int) -> None:
        for _ in range(n):
            claim = store.claim_next("follows", owner, rules, 600)
            store.mark_done("follows", claim.permalink, [], None, 1000)

    results["claim"] = timed("phase 2 claim + done without edges (pop of the top)", 1000,
                             lambda: claims_only(1000), "claims")
    results["report"] = timed("progress report (counts + top of queue)", 5,
                              lambda: [store.counts("likes", rules) and store.top_of_queue("likes", rules, 5)
                                       for _ in range(5)], "reports")
    counts = store.counts("likes", rules)
    print(f"  final: {counts.discovered:,} discovered, {counts.below_threshold:,} under the threshold,"
          f" file {os.path.getsize(directory / 'bench.sqlite') / 1e6:.0f} MB")
    store.close()
    return results


def bench_crawl_share(crawl_accounts: int, directory: Path) -> None:
    """Run the fake crawl in this process with the store's methods timed (CPU time)."""
    from scrapy.crawler import CrawlerProcess

    from tests.frontier.fake_crawl import FakeAccountsSpider, make_world

    frontier_cpu = [0.0]
    for name in ("claim_next", "mark_done", "mark_skipped", "mark_failed", "add_discovered",
                 "renew_leases", "counts", "top_of_queue", "release"):
        original = getattr(SqliteFrontierStore, name)

        def wrapper(self, *args, _original=original, **kwargs):
            start = time.process_time()
            try:
                return _original(self, *args, **kwargs)
            finally:
                frontier_cpu[0] += time.process_time() - start

        setattr(SqliteFrontierStore, name, wrapper)
    world = make_world(seed=3, accounts=crawl_accounts * 3, edges_per_account=EDGES_PER_ACCOUNT)
    world_path = directory / "world.json"
    world_path.write_text(json.dumps(world))
    process = CrawlerProcess({
        "SCHEDULER": "scmap.frontier.scheduler.FrontierScheduler",
        "FRONTIER_URL": str(directory / "crawl.sqlite"), "FRONTIER_LOG_INTERVAL": 5,
        "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": 8,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    })
    process.crawl(FakeAccountsSpider, world_path=str(world_path), seeds="u1,u2,u3", bfs_accounts=50,
                  max_accounts=crawl_accounts, accounts_in_flight=4, spider_skips=False)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    process.start()
    cpu = time.process_time() - cpu_start
    wall = time.perf_counter() - wall_start
    visited = SqliteFrontierStore(directory / "crawl.sqlite").counts("fake", CrawlRules()).visited
    print(f"\nfake crawl (Scrapy, data: URLs, ~{EDGES_PER_ACCOUNT // 2} edges per account on average,"
          f" no browser): {visited} accounts visited in {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"  frontier store CPU: {frontier_cpu[0]:.2f} s = {100 * frontier_cpu[0] / cpu:.1f}% of the process,"
          f" {1000 * frontier_cpu[0] / max(1, visited):.2f} ms per account")
    print(f"  rest of Scrapy (items, signals, callbacks): {1000 * (cpu - frontier_cpu[0]) / max(1, visited):.2f}"
          f" ms per account")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--crawl-accounts", type=int, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_store(options.accounts, Path(tmp))
        bench_crawl_share(options.crawl_accounts, Path(tmp))


if __name__ == "__main__":
    main()
