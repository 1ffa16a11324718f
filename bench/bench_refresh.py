"""Refresh crawl savings: what a refresh (-a refresh=0) of a crawl's accounts costs against a
full crawl of the same accounts, on the same later world, in one run.

    .venv/bin/python bench/bench_refresh.py [--accounts 120] [--seed 7] [--max-accounts 7]
        [--limit 20] [--page-size 5] [--new-likes 3] [--mode session]

1. Generates a sandbox world, serves it, and crawls `likes` through the frontier from the three
   accounts (>= 250 followers) with the most likes (`scrapy crawl`, a subprocess, real Chromium).
2. Advances the world (scmap.sandbox.world_later.advance_world): `--new-likes` newer likes for
   the first two accounts visited, the last one visited deleted.
3. Serves the later world and runs, against it, the refresh of the first crawl's frontier, then
   (the baseline) a full crawl of the same caps into a fresh output directory.
4. Prints, for both, the api-v2 requests the sandbox served (GET /__sandbox/stats) and the
   wall time, and the ratios refresh / full.

The defaults are tests/frontier/test_refresh_e2e.py's scenario (page size 5: a full read of 20
likes takes 4 pages, a refresh 1). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scmap.frontier.sqlite_store import SqliteFrontierStore  # noqa: E402
from scmap.sandbox.runner import SandboxInfo, generate_world_dir, run_sandbox  # noqa: E402
from scmap.sandbox.world import load_world  # noqa: E402
from scmap.sandbox.world_later import advance_world  # noqa: E402

SPIDER = "likes"
CRAWL_TIMEOUT_SECONDS = 600


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=120, help="world size (120)")
    parser.add_argument("--seed", type=int, default=7, help="world seed (7)")
    parser.add_argument("--max-accounts", type=int, default=7, help="accounts visited by each crawl (7)")
    parser.add_argument("--limit", type=int, default=20, help="likes read per account (20)")
    parser.add_argument("--page-size", type=int, default=5, help="api-v2 page size (5)")
    parser.add_argument("--new-likes", type=int, default=3, help="new likes of each grown account (3)")
    parser.add_argument("--mode", default="session", choices=("session", "scroll"), help="read mode (session)")
    return parser.parse_args()


def seeds_of(world_dir: Path) -> list[str]:
    """The three accounts with >= 250 followers that liked the most (ties: permalink)."""
    world = load_world(world_dir)
    likes = world.interactions[world.interactions["interaction"] == SPIDER].groupby("src_id").size()
    big = world.users[world.users["followers_count"] >= 250].copy()
    big["likes"] = big["id"].map(likes).fillna(0)
    return list(big.sort_values(["likes", "permalink"], ascending=[False, True])["permalink"][:3])


def crawl(options: argparse.Namespace, seeds: list[str], out: Path, site: SandboxInfo,
          *extra: str) -> tuple[int, float]:
    """One `scrapy crawl likes` against `site`: (api-v2 requests it made, wall seconds)."""
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", SPIDER, "-a", "seeds=" + ",".join(seeds),
               "-a", f"mode={options.mode}", "-a", f"limit={options.limit}", "-a", "bfs_accounts=3",
               "-a", f"max_accounts={options.max_accounts}", "-a", "accounts_in_flight=2", *extra]
    settings = {"OUTPUT_DIR": out, "FRONTIER_URL": out / "frontier.sqlite", "SOUNDCLOUD_WEB_URL": site.web_url,
                "SOUNDCLOUD_API_URL": site.api_url, "SCMAP_API_PAGE_SIZE": options.page_size,
                "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
                "SCMAP_REQUESTS_PER_SECOND": 0, "LOG_LEVEL": "INFO", "LOG_FILE": out.with_suffix(".log")}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    before = int(site.counts().get("api_requests", 0))
    started = time.monotonic()
    completed = subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                               capture_output=True, text=True, timeout=CRAWL_TIMEOUT_SECONDS)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        log = out.with_suffix(".log")
        raise SystemExit(f"crawl failed ({completed.returncode}): {' '.join(command)}\n"
                         f"{(log.read_text(errors='replace') if log.exists() else completed.stderr)[-3000:]}")
    return int(site.counts().get("api_requests", 0)) - before, elapsed


def main() -> int:
    options = parse_arguments()
    with tempfile.TemporaryDirectory(prefix="scmap-bench-refresh-") as temp:
        work = Path(temp)
        world_dir = generate_world_dir(work / "world", seed=options.seed, accounts=options.accounts)
        seeds = seeds_of(world_dir)
        first = work / "crawl"
        with run_sandbox(world_dir) as site:
            first_requests, first_seconds = crawl(options, seeds, first, site)
        store = SqliteFrontierStore(first / "frontier.sqlite")
        visited = store.visited_order(SPIDER)
        store.close()
        users = load_world(world_dir).users
        user_id = dict(zip(users["permalink"], users["id"].astype(int)))
        planted = advance_world(world_dir, work / "later", [user_id[p] for p in visited[:2]], user_id[visited[-1]],
                                new_likes=options.new_likes)
        with run_sandbox(work / "later") as site:
            refresh_requests, refresh_seconds = crawl(options, seeds, first, site, "-a", "refresh=0")
            full_requests, full_seconds = crawl(options, seeds, work / "full", site)
    print(f"world: seed {options.seed}, {options.accounts} accounts; {len(visited)} accounts visited"
          f" ({options.mode} mode, limit {options.limit}, page size {options.page_size});"
          f" later: {len(planted)} new likes on 2 accounts, 1 account deleted")
    for label, requests, seconds in (("first crawl", first_requests, first_seconds),
                                     ("refresh (refresh=0)", refresh_requests, refresh_seconds),
                                     ("full crawl (baseline)", full_requests, full_seconds)):
        print(f"{label + ':':23s}{requests:5d} api-v2 requests, {seconds:6.1f} s")
    print(f"refresh / full: requests {refresh_requests / max(full_requests, 1):.2f}x,"
          f" wall time {refresh_seconds / max(full_seconds, 1e-9):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
