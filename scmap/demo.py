"""`make demo`: the main job end to end on the embedded default, the sandbox SoundCloud.

    python -m scmap.demo [--out output/demo] [--accounts 3000] [--seed 1] [--bfs-accounts 100]
                         [--max-accounts 1200] [--min-followers 150] [--limit 200] [--serve]

1. generates the sandbox world once (`<out>/world/`, kept for the next run),
2. serves it on a free loopback port,
3. crawls it with the four spiders from the world's three demo seeds (`python -m scmap.crawl`:
   breadth-first, then most interacted-with first, skipping small accounts), lists read in
   session mode with no download delay (the sandbox is local); one progress line per spider
   on the console, Scrapy's log in `<out>/crawl.log`,
4. builds the map (`python -m analysis.build_map`) and says where `map.html` is.

Every step resumes: run it again after an interruption and it goes on where it stopped (a
finished crawl is not redone). Each step runs as its own process, exactly as a user would
run it by hand; the spiders never import the sandbox.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from scmap.sandbox.runner import generate_world_dir, run_sandbox


# Accounts each spider reads at once (session mode: lists in flight from one live page).
DEMO_ACCOUNTS_IN_FLIGHT = 12


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scmap.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("output/demo"),
                        help="where the world, the crawl and the map go (default output/demo)")
    parser.add_argument("--seed", type=int, default=1, help="sandbox world seed (default 1)")
    parser.add_argument("--accounts", type=int, default=3000, help="sandbox world size (default 3000)")
    parser.add_argument("--bfs-accounts", type=int, default=100,
                        help="breadth-first visits before the popularity order (default 100)")
    parser.add_argument("--max-accounts", type=int, default=1200,
                        help="visits per spider before the crawl stops (default 1200)")
    parser.add_argument("--min-followers", type=int, default=150,
                        help="accounts under this many followers are not visited (default 150)")
    parser.add_argument("--limit", default="200",
                        help="most recent interactions per list (default 200: one api-v2 page per list)")
    parser.add_argument("--serve", action="store_true",
                        help="keep the sandbox serving at the end (Ctrl-C to stop)")
    return parser.parse_args(argv)


def step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.monotonic()


def ensure_world(world_dir: Path, seed: int, accounts: int) -> dict:
    meta_path = world_dir / "world.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("seed") == seed and meta.get("accounts") == accounts:
            print(f"world already generated: {world_dir}")
            return meta
        raise SystemExit(f"{world_dir} holds another world (seed {meta.get('seed')}, "
                         f"{meta.get('accounts')} accounts): choose another --out")
    generate_world_dir(world_dir, seed=seed, accounts=accounts)
    return json.loads(meta_path.read_text(encoding="utf-8"))


def seed_permalinks(meta: dict) -> list[str]:
    return [seed["permalink"] for seed in meta["demo_seeds"]]


def map_summary(map_dir: Path, world_dir: Path) -> str:
    """How much of the world the map shows: accounts, planted scenes, neighbour agreement."""
    import pandas as pd

    coords = pd.read_parquet(map_dir / "coords.parquet", columns=["id"])
    users = pd.read_parquet(world_dir / "users.parquet", columns=["id", "scene"])
    scenes = coords.merge(users, on="id")["scene"]
    planted = scenes[scenes != "mainstream"].nunique()
    quality = json.loads((map_dir / "report.json").read_text(encoding="utf-8")).get("quality") or {}
    agreement = quality.get("tsne_neighbour_scene_agreement")
    return (f"\nmap of {len(coords):,} accounts spanning {planted} planted scenes"
            + (f"; 10-NN planted-scene agreement {agreement:.3f}" if agreement is not None else ""))


def run(command: list[str]) -> None:
    print("$ " + " ".join(command), flush=True)
    completed = subprocess.run(command)
    if completed.returncode != 0:
        raise SystemExit(f"step failed (exit {completed.returncode}): {' '.join(command)}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    out = options.out
    world_dir = out / "world"
    crawl_dir = out / "crawl"

    started = step("1/4 sandbox world")
    meta = ensure_world(world_dir, options.seed, options.accounts)
    seeds = seed_permalinks(meta)
    print(f"{meta['accounts']} accounts in {len(meta.get('scenes', []))} planted scenes; "
          f"seeds: {', '.join(seeds)} ({time.monotonic() - started:.1f} s)")

    step("2/4 sandbox site")
    with run_sandbox(world_dir) as sandbox:
        print(f"serving {sandbox.web_url} (api {sandbox.api_url})")
        print(f"try: {sandbox.web_url}/{seeds[0]}/likes")

        started = step("3/4 crawl: likes, comments, reposts, follows")
        log_file = out / "crawl.log"
        print(f"Scrapy's log: {log_file}")
        run([sys.executable, "-m", "scmap.crawl", "--seeds", ",".join(seeds),
             "--bfs-accounts", str(options.bfs_accounts), "--max-accounts", str(options.max_accounts),
             "--min-followers", str(options.min_followers), "--limit", str(options.limit),
             "--accounts-in-flight", str(DEMO_ACCOUNTS_IN_FLIGHT),
             "-s", f"SOUNDCLOUD_WEB_URL={sandbox.web_url}", "-s", f"SOUNDCLOUD_API_URL={sandbox.api_url}",
             "-s", f"OUTPUT_DIR={crawl_dir}", "-s", "LOG_LEVEL=INFO", "-s", f"LOG_FILE={log_file}",
             "-s", "SCMAP_CONSOLE_PROGRESS=True",
             # The sandbox is ours and local: no politeness delays (they stay on for the real
             # site); a 429 would still pause every page. Calls in flight per spider:
             "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={DEMO_ACCOUNTS_IN_FLIGHT}",
             "-s", f"CONCURRENT_REQUESTS={DEMO_ACCOUNTS_IN_FLIGHT}",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ROBOTSTXT_OBEY=False"])
        print(f"crawl done in {time.monotonic() - started:.0f} s: {crawl_dir}")

        started = step("4/4 map")
        map_dir = out / "map"
        run([sys.executable, "-m", "analysis.build_map", "--input", str(crawl_dir), "--out", str(map_dir),
             "--truth", str(world_dir / "users.parquet"), "--profile-url", sandbox.web_url + "/"])
        print(map_summary(map_dir, world_dir))
        print(f"\nThe map: {(map_dir / 'map.html').resolve()}")
        print(f"(also {map_dir / 'map.png'}, {map_dir / 'pca.png'}, {map_dir / 'coords.parquet'}, "
              f"{map_dir / 'report.json'})")
        if options.serve:
            print(f"\nsandbox still serving at {sandbox.web_url}; Ctrl-C to stop")
            try:
                sandbox.process.wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
