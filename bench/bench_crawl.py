"""Crawl speed and memory of the four spiders against the sandbox, versus the article's way.

    .venv/bin/python bench/bench_crawl.py [--accounts 50] [--latency-ms 150] [--concurrency 4]

1. Starts the sandbox (a generated world) with per-request latency switched on.
2. Crawls N accounts with each spider (`scrapy crawl`, a subprocess) and samples the memory of
   the Scrapy process and of the browser processes (psutil over the process tree).
3. Crawls a sample of the same lists the article's way - scroll, fixed 0.5 s waits, 50 scrolls,
   then read the DOM - with the same number of pages open at once, and checks that both ways
   got the same edges (by account permalink: the DOM has no numeric ids).
4. Prints lists per minute, edges per second, peak RSS, browser memory early vs late in the
   crawl (flat = no growth with the number of pages), and the speed ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scmap.browser import launch_options  # noqa: E402
from scmap.sandbox.runner import run_sandbox  # noqa: E402
from scmap.sandbox.world import load_world  # noqa: E402
from scmap.soundcloud.dom import DOM_READERS  # noqa: E402

SPIDERS = {"likes": "likes", "comments": "comments", "reposts": "reposts", "follows": "following"}
ARTICLE_SCROLLS = 50
ARTICLE_WAIT_SECONDS = 0.5
MIB = 1024 * 1024


@dataclass
class MemoryTrace:
    """Sampled memory of a crawl's process tree."""

    scrapy_peak: int = 0
    browser_peak: int = 0
    browser_samples: list[tuple[float, int]] = field(default_factory=list)


class TreeSampler(threading.Thread):
    """Samples the RSS of a process (Scrapy) and the summed PSS of its descendants (the browser
    processes and the Playwright driver) every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.trace = MemoryTrace()
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopped.is_set():
            try:
                scrapy_rss = self.root.memory_info().rss
                browser_rss = 0
                for child in self.root.children(recursive=True):
                    try:
                        # PSS: Chromium's processes share most pages, summing RSS counts them
                        # many times over. Chromium + the Playwright driver.
                        browser_rss += child.memory_full_info().pss
                    except psutil.Error:
                        continue
            except psutil.Error:
                break
            self.trace.scrapy_peak = max(self.trace.scrapy_peak, scrapy_rss)
            self.trace.browser_peak = max(self.trace.browser_peak, browser_rss)
            self.trace.browser_samples.append((time.monotonic() - started, browser_rss))
            self.stopped.wait(self.interval)


def run_spider(spider: str, site, seeds: list[str], out_dir: Path, limit: int, concurrency: int):
    out_dir.mkdir(parents=True, exist_ok=True)
    log_file = out_dir / f"{spider}.log"
    settings = {
        "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "ROBOTSTXT_OBEY": "False",
        "CONCURRENT_REQUESTS": str(concurrency), "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "OUTPUT_DIR": str(out_dir / "output"), "LOG_FILE": str(log_file), "LOG_LEVEL": "INFO",
        "SOUNDCLOUD_WEB_URL": site.web_url, "SOUNDCLOUD_API_URL": site.api_url,
        "SCHEDULER": "scrapy.core.scheduler.Scheduler",  # exactly the given accounts, no spreading out
    }
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", spider, "-a", "seeds=" + ",".join(seeds),
               "-a", f"limit={limit}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _out, stderr = process.communicate()
    elapsed = time.monotonic() - started
    sampler.stopped.set()
    sampler.join()
    if process.returncode != 0:
        tail = log_file.read_text(encoding="utf-8")[-3000:] if log_file.exists() else "(no log)"
        raise SystemExit(f"{spider} crawl failed ({process.returncode}):\n{tail}\n{stderr.decode()[-2000:]}")
    return elapsed, sampler.trace


async def article_way(web_url: str, lists: list[tuple[str, str]], concurrency: int) -> dict:
    """The article's method: per list page, 50 x (scroll, sleep 0.5 s), then read the DOM."""
    from playwright.async_api import async_playwright

    results: dict[tuple[str, str], list] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for entry in lists:
        queue.put_nowait(entry)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())

        async def worker() -> None:
            context = await browser.new_context()
            while not queue.empty():
                permalink, interaction = queue.get_nowait()
                page = await context.new_page()
                await page.goto(f"{web_url}/{permalink}/{SPIDERS[interaction]}")
                for _ in range(ARTICLE_SCROLLS):
                    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
                    await asyncio.sleep(ARTICLE_WAIT_SECONDS)
                results[(permalink, interaction)] = DOM_READERS[interaction](await page.content())
                await page.close()
            await context.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await browser.close()
    return results


def pick_accounts(world, count: int) -> list[dict]:
    """`count` accounts spread over the world (every k-th by id), the demo seeds first."""
    users = world.users.sort_values("id")
    step = max(1, len(users) // count)
    picked = list(users.iloc[::step].head(count).itertuples())
    return [{"id": int(u.id), "permalink": u.permalink} for u in picked]


def read_edges(out_dir: Path):
    path = out_dir / "output" / "edges"
    return ds.dataset(str(path), partitioning="hive").to_table().to_pandas() if path.exists() else None


def browser_quarters(trace: MemoryTrace) -> list[float]:
    """Median browser PSS (MiB) in each quarter of a crawl: flat = no growth with pages."""
    values = [rss for _t, rss in trace.browser_samples if rss > 0]
    if len(values) < 8:
        return []
    quarter = len(values) // 4
    return [statistics.median(values[i * quarter:(i + 1) * quarter]) / MIB for i in range(4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--world-accounts", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=int, default=150, help="sandbox per-request latency (jittered)")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4, help="pages open at once, both ways")
    parser.add_argument("--spiders", default=",".join(SPIDERS), help="comma-separated subset")
    parser.add_argument("--baseline-lists", type=int, default=16,
                        help="lists crawled the article's way (each costs >= 25 s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scmap-bench-") as temp, \
            run_sandbox(seed=args.seed, accounts=args.world_accounts,
                        faults={"latency_ms": args.latency_ms}) as site:
        work = Path(temp)
        world = load_world(site.world_dir)
        accounts = pick_accounts(world, args.accounts)
        seeds = [account["permalink"] for account in accounts]
        print(f"sandbox {site.web_url}: {len(accounts)} accounts x {args.spiders}, "
              f"latency {args.latency_ms} ms, limit {args.limit}, {args.concurrency} pages at once")

        spiders = [name for name in args.spiders.split(",") if name in SPIDERS]
        total_seconds, total_edges, traces, ours = 0.0, 0, {}, {}
        for spider in spiders:
            elapsed, trace = run_spider(spider, site, seeds, work / spider, args.limit, args.concurrency)
            edges = read_edges(work / spider)
            count = 0 if edges is None else len(edges)
            quarters = " / ".join(f"{value:.0f}" for value in browser_quarters(trace))
            print(f"  {spider:9s} {len(seeds)} lists in {elapsed:6.1f} s, {count:6d} edges; peak RSS "
                  f"scrapy {trace.scrapy_peak / MIB:5.0f} MiB, browser PSS {trace.browser_peak / MIB:5.0f} MiB "
                  f"(median per quarter of the crawl: {quarters} MiB)")
            total_seconds += elapsed
            total_edges += count
            traces[spider] = trace
            ours[spider] = edges

        lists = len(seeds) * len(spiders)
        our_rate = lists / (total_seconds / 60)
        print(f"scmap: {lists} lists in {total_seconds:.1f} s = {our_rate:.1f} lists/min, "
              f"{total_edges / total_seconds:.1f} edges/s; peak RSS scrapy "
              f"{max(t.scrapy_peak for t in traces.values()) / MIB:.0f} MiB, browser PSS "
              f"{max(t.browser_peak for t in traces.values()) / MIB:.0f} MiB")

        # The article's way on a sample of the same lists (round robin over the spiders).
        if args.baseline_lists <= 0:
            return
        sample = [(account["permalink"], spider) for account in accounts for spider in spiders]
        sample = sample[:: max(1, len(sample) // args.baseline_lists)][: args.baseline_lists]
        started = time.monotonic()
        baseline = asyncio.run(article_way(site.web_url, sample, args.concurrency))
        baseline_seconds = time.monotonic() - started
        base_rate = len(sample) / (baseline_seconds / 60)
        print(f"article's way: {len(sample)} lists in {baseline_seconds:.1f} s = {base_rate:.1f} lists/min")

        ids = {account["permalink"]: account["id"] for account in accounts}
        identical = 0
        for (permalink, spider), entries in baseline.items():
            dom = Counter(entry.dst_permalink for entry in entries[: args.limit])
            edges = ours[spider]
            mine = Counter() if edges is None else Counter(edges[edges["src_id"] == ids[permalink]]["dst_permalink"])
            if dom == mine:
                identical += 1
            else:
                print(f"  DIFFERENT {spider} of {permalink}: article {sum(dom.values())} vs scmap {sum(mine.values())}")
        print(f"identical edges on {identical}/{len(baseline)} sampled lists")
        print(f"speed-up: {our_rate / base_rate:.1f}x the article's lists per minute")


if __name__ == "__main__":
    main()
