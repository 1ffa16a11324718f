"""Crawl speed and memory: session mode vs main's session mode vs scroll mode vs the article's
way (and `http` when the spiders have it), same world and latency, one run.

    .venv/bin/python bench/bench_crawl.py [--accounts 50] [--latency-ms 150] [--concurrency 4]
        [--session-calls-in-flight 16] [--baseline-ref 344793a] [--polite-accounts 6]
        [--modes session,session-main,scroll,http,http-cookies]

1. Starts the sandbox (a generated world) with per-request latency switched on.
2. Crawls N accounts with each spider (`scrapy crawl`, a subprocess) in session mode (every
   api-v2 call a Scrapy Request run by the page transport), in main's session mode (the commit
   `--baseline-ref`, unpacked with `git archive` into a temp dir and run from there: its own
   browser and request budget inside the callback), in scroll mode (each profile rendered, the
   page's own api-v2 calls read) and in `http` mode when the spiders know it (`http`: client_id
   from one bootstrap browser page; `http-cookies`: with SCMAP_COOKIES, no browser), sampling memory and
   CPU of the Scrapy process and of the browser processes (psutil over the process tree), and
   the sandbox's own CPU.
3. Crawls a sample of the same lists the article's way - scroll, fixed 0.5 s waits, 50 scrolls,
   then read the DOM - with the same number of pages open at once.
4. Prints lists per minute, edges per second, CPU seconds per list, peak RSS, browser memory per
   quarter of the crawl (flat = no growth with the number of lists), whether the edges are
   identical, and the ratios.
5. Crawls a few accounts in session mode with the polite real-site defaults (DOWNLOAD_DELAY,
   DOWNLOAD_DELAY_JITTER, AutoThrottle as in scmap/settings.py) and says how long the article's
   crawl (2,250 accounts x 4 lists x 500 items) would take at that pace.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
ARTICLE_CRAWL = (2250, 4, 500)  # accounts, lists each, items per list
MIB = 1024 * 1024
EDGE_KEY = ["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"]


@dataclass
class MemoryTrace:
    """Sampled memory and CPU of a crawl's process tree."""

    scrapy_peak: int = 0
    browser_peak: int = 0
    browser_samples: list[tuple[float, int]] = field(default_factory=list)
    cpu_by_pid: dict[int, float] = field(default_factory=dict)  # last seen user+system seconds

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_pid.values())


class TreeSampler(threading.Thread):
    """Samples the RSS of a process (Scrapy) and the summed PSS of its descendants (the browser
    processes and the Playwright driver) every `interval` seconds, and everyone's CPU time."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.trace = MemoryTrace()
        self.stopped = threading.Event()

    def _cpu(self, process: psutil.Process) -> None:
        times = process.cpu_times()
        self.trace.cpu_by_pid[process.pid] = times.user + times.system

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopped.is_set():
            try:
                scrapy_rss = self.root.memory_info().rss
                self._cpu(self.root)
                browser_rss = 0
                for child in self.root.children(recursive=True):
                    try:
                        # PSS: Chromium's processes share most pages, summing RSS counts them
                        # many times over. Chromium + the Playwright driver.
                        browser_rss += child.memory_full_info().pss
                        self._cpu(child)
                    except psutil.Error:
                        continue
            except psutil.Error:
                break
            self.trace.scrapy_peak = max(self.trace.scrapy_peak, scrapy_rss)
            self.trace.browser_peak = max(self.trace.browser_peak, browser_rss)
            self.trace.browser_samples.append((time.monotonic() - started, browser_rss))
            self.stopped.wait(self.interval)


@dataclass
class ModeRun:
    """One way of crawling the same lists: totals over the spiders."""

    name: str
    lists: int = 0
    seconds: float = 0.0
    edges: int = 0
    cpu_seconds: float = 0.0
    sandbox_cpu: float = 0.0
    api_requests: int = 0
    traces: dict[str, MemoryTrace] = field(default_factory=dict)
    frames: dict[str, object] = field(default_factory=dict)

    @property
    def lists_per_minute(self) -> float:
        return self.lists / (self.seconds / 60) if self.seconds else 0.0


def run_spider(spider: str, site, seeds: list[str], out_dir: Path, limit: int, concurrency: int,
               mode: str, extra: dict[str, str], repo: Path = REPO):
    out_dir.mkdir(parents=True, exist_ok=True)
    log_file = out_dir / f"{spider}.log"
    settings = {
        "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "ROBOTSTXT_OBEY": "False",
        "CONCURRENT_REQUESTS": str(concurrency), "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "OUTPUT_DIR": str(out_dir / "output"), "LOG_FILE": str(log_file), "LOG_LEVEL": "INFO",
        "SOUNDCLOUD_WEB_URL": site.web_url, "SOUNDCLOUD_API_URL": site.api_url,
        "SCHEDULER": "scrapy.core.scheduler.Scheduler",  # exactly the given accounts, no spreading out
        **extra,
    }
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", spider, "-a", "seeds=" + ",".join(seeds),
               "-a", f"limit={limit}", "-a", f"mode={mode}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _out, stderr = process.communicate()
    elapsed = time.monotonic() - started
    sampler.stopped.set()
    sampler.join()
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    if process.returncode != 0 or "Traceback" in log:
        raise SystemExit(f"{spider} crawl failed ({process.returncode}):\n{log[-3000:]}\n{stderr.decode()[-2000:]}")
    return elapsed, sampler.trace, log


def sandbox_cpu(site) -> float:
    times = psutil.Process(site.process.pid).cpu_times()
    return times.user + times.system


def crawl_mode(name: str, mode: str, spiders: list[str], site, seeds: list[str], work: Path, args,
               extra: dict[str, str], concurrency: int | None = None, repo: Path = REPO) -> ModeRun:
    run = ModeRun(name)
    for spider in spiders:
        cpu_before, counts_before = sandbox_cpu(site), site.counts()
        elapsed, trace, _log = run_spider(spider, site, seeds, work / name / spider, args.limit,
                                          concurrency or args.concurrency, mode, extra, repo)
        counts = site.counts()
        edges = read_edges(work / name / spider)
        count = 0 if edges is None else len(edges)
        api = counts.get("api_requests", 0) - counts_before.get("api_requests", 0)
        quarters = " / ".join(f"{value:.0f}" for value in browser_quarters(trace))
        print(f"  {name:12s} {spider:9s} {len(seeds)} lists in {elapsed:6.1f} s, {count:6d} edges, "
              f"{api:5d} api calls; CPU {trace.cpu_seconds / len(seeds):.2f} s/list; peak RSS scrapy "
              f"{trace.scrapy_peak / MIB:4.0f} MiB, browser PSS {trace.browser_peak / MIB:4.0f} MiB "
              f"(median per quarter: {quarters})", flush=True)
        run.lists += len(seeds)
        run.seconds += elapsed
        run.edges += count
        run.cpu_seconds += trace.cpu_seconds
        run.sandbox_cpu += sandbox_cpu(site) - cpu_before
        run.api_requests += api
        run.traces[spider] = trace
        run.frames[spider] = edges
    return run


def summary(run: ModeRun) -> str:
    traces = run.traces.values()
    return (f"{run.name}: {run.lists} lists in {run.seconds:.1f} s = {run.lists_per_minute:.1f} lists/min, "
            f"{run.edges / run.seconds:.0f} edges/s, CPU {run.cpu_seconds / run.lists:.2f} s/list "
            f"(crawler + browser), sandbox CPU {run.sandbox_cpu / run.lists * 1000:.0f} ms/list; "
            f"peak RSS scrapy {max(t.scrapy_peak for t in traces) / MIB:.0f} MiB, browser PSS "
            f"{max(t.browser_peak for t in traces) / MIB:.0f} MiB")


def identical_edges(a: ModeRun, b: ModeRun) -> tuple[int, int]:
    """(spiders whose edge sets are identical, spiders compared), on the edge identity + names."""
    same = 0
    for spider, left in a.frames.items():
        right = b.frames.get(spider)
        if left is None or right is None:
            same += left is None and right is None
            continue
        columns = EDGE_KEY + ["dst_permalink", "dst_username", "dst_followers_count"]
        keys = [c for c in columns if c in left.columns and c in right.columns]
        lhs = left[keys].astype(str).sort_values(keys).reset_index(drop=True)
        rhs = right[keys].astype(str).sort_values(keys).reset_index(drop=True)
        if lhs.equals(rhs):
            same += 1
        else:
            print(f"  DIFFERENT {spider}: {a.name} {len(lhs)} edges vs {b.name} {len(rhs)}")
    return same, len(a.frames)


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
    """`count` accounts spread over the world (every k-th by id)."""
    users = world.users.sort_values("id")
    step = max(1, len(users) // count)
    picked = list(users.iloc[::step].head(count).itertuples())
    return [{"id": int(u.id), "permalink": u.permalink} for u in picked]


def read_edges(out_dir: Path):
    path = out_dir / "output" / "edges"
    return ds.dataset(str(path), partitioning="hive").to_table().to_pandas() if path.exists() else None


def browser_quarters(trace: MemoryTrace) -> list[float]:
    """Median browser PSS (MiB) in each quarter of a crawl: flat = no growth with lists."""
    values = [rss for _t, rss in trace.browser_samples if rss > 0]
    if len(values) < 8:
        return []
    quarter = len(values) // 4
    return [statistics.median(values[i * quarter:(i + 1) * quarter]) / MIB for i in range(4)]


def polite_crawl(site, world, work: Path, args) -> None:
    """Session mode with the real-site defaults of scmap/settings.py (request budget on)."""
    from scrapy.utils.project import get_project_settings

    defaults = get_project_settings()
    rate = 1 / defaults.getfloat("DOWNLOAD_DELAY")
    accounts = [a["permalink"] for a in pick_accounts(world, args.polite_accounts)]
    out = work / "polite" / "likes"
    out.mkdir(parents=True, exist_ok=True)
    log_file = out / "likes.log"
    command = [sys.executable, "-m", "scrapy.cmdline", "crawl", "likes", "-a", "seeds=" + ",".join(accounts),
               "-a", f"limit={ARTICLE_CRAWL[2]}", "-a", "mode=session",
               "-s", f"SOUNDCLOUD_WEB_URL={site.web_url}", "-s", f"SOUNDCLOUD_API_URL={site.api_url}",
               "-s", f"OUTPUT_DIR={out / 'output'}", "-s", f"LOG_FILE={log_file}",
               "-s", "ROBOTSTXT_OBEY=False",  # the sandbox serves no robots.txt; everything else default
               "-s", "SCHEDULER=scrapy.core.scheduler.Scheduler"]
    started = time.monotonic()
    subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    elapsed = time.monotonic() - started
    stats = log_file.read_text(encoding="utf-8")
    requests = _stat(stats, "scmap/api/requests")
    per_list = requests / max(1, len(accounts))
    # The article's lists are full (500 items): 1 user call + 3 pages of 200 each.
    pages_per_full_list = 1 + -(-ARTICLE_CRAWL[2] // 200)
    article_requests = ARTICLE_CRAWL[0] * ARTICLE_CRAWL[1] * pages_per_full_list
    hours = article_requests / rate / 3600 if rate else float("nan")
    print(f"polite real-site defaults (DOWNLOAD_DELAY {defaults.getfloat('DOWNLOAD_DELAY'):g} s "
          f"±{defaults.getfloat('DOWNLOAD_DELAY_JITTER'):.0%}, AutoThrottle on): {len(accounts)} likes lists "
          f"(limit 500) in {elapsed:.1f} s, {requests} api-v2 calls = {per_list:.1f} per list, "
          f"{requests / elapsed:.2f} calls/s measured")
    print(f"the article's crawl ({ARTICLE_CRAWL[0]:,} accounts x {ARTICLE_CRAWL[1]} lists x {ARTICLE_CRAWL[2]} items"
          f" = {article_requests:,} api-v2 calls at {pages_per_full_list} per full list) at {rate:g} req/s: "
          f"{hours:.1f} h ({hours / 24:.1f} days)")


def unpack(ref: str, into: Path) -> Path:
    """The project at `ref` (git archive), to run main's code beside this one."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def spiders_know_mode(mode: str) -> bool:
    from scmap.spiders.session_mode import MODES

    return mode in MODES


def _stat(log: str, name: str) -> int:
    marker = log.rfind("Dumping Scrapy stats:")
    found = re.search(rf"'{re.escape(name)}': (\d+)", log[marker:]) if marker >= 0 else None
    return int(found.group(1)) if found else 0


def cookies_txt(web_url: str, path: Path) -> Path:
    """A cookies.txt with one harmless cookie: http mode then takes client_id over http, no browser."""
    host = urlsplit(web_url).hostname
    path.write_text(f"# Netscape HTTP Cookie File\n{host}\tFALSE\t/\tFALSE\t0\tsc_anonymous_id\t1-2-3\n",
                    encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--world-accounts", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=int, default=150, help="sandbox per-request latency (jittered)")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4, help="pages open at once (scroll, article)")
    parser.add_argument("--session-calls-in-flight", type=int, default=16,
                        help="api-v2 calls in flight per spider (CONCURRENT_REQUESTS_PER_DOMAIN; main: "
                             "SCMAP_SESSION_LISTS_IN_FLIGHT, one call per list at a time)")
    parser.add_argument("--session-lists-per-context", type=int, default=50,
                        help="lists per context before it is retired (small here: shows memory stays flat)")
    parser.add_argument("--baseline-ref", default="344793a", help="main's commit for session-main")
    parser.add_argument("--spiders", default=",".join(SPIDERS), help="comma-separated subset")
    parser.add_argument("--baseline-lists", type=int, default=16,
                        help="lists crawled the article's way (each costs >= 25 s)")
    parser.add_argument("--polite-accounts", type=int, default=6,
                        help="likes lists crawled with the real-site defaults (0 = skip)")
    parser.add_argument("--modes", default="session,session-main,scroll,http,http-cookies",
                        help="which of session,session-main,scroll,http,http-cookies to run (http: when the "
                             "spiders have it; http-cookies: http with SCMAP_COOKIES, so no browser at all)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scmap-bench-") as temp, \
            run_sandbox(seed=args.seed, accounts=args.world_accounts,
                        faults={"latency_ms": args.latency_ms}) as site:
        work = Path(temp)
        world = load_world(site.world_dir)
        accounts = pick_accounts(world, args.accounts)
        seeds = [account["permalink"] for account in accounts]
        spiders = [name for name in args.spiders.split(",") if name in SPIDERS]
        print(f"sandbox {site.web_url}: {len(accounts)} accounts x {','.join(spiders)}, latency "
              f"{args.latency_ms} ms, limit {args.limit}; scroll: {args.concurrency} pages at once; "
              f"session: {args.session_calls_in_flight} api-v2 calls in flight per spider, "
              f"{args.session_lists_per_context} lists per context", flush=True)
        modes = args.modes.split(",")
        runs: dict[str, ModeRun] = {}
        calls = str(args.session_calls_in_flight)
        for mode in modes:  # in the order given: the first one also warms the sandbox up
            if mode == "session":
                runs["session"] = crawl_mode("session", "session", spiders, site, seeds, work, args, {
                    "SCMAP_SESSION_CALLS_PER_CONTEXT": str(args.session_lists_per_context * 4)},
                    concurrency=args.session_calls_in_flight)
            elif mode == "session-main":
                runs["session-main"] = crawl_mode("session-main", "session", spiders, site, seeds, work, args, {
                    "SCMAP_REQUESTS_PER_SECOND": "0", "SCMAP_SESSION_LISTS_IN_FLIGHT": calls,
                    "SCMAP_SESSION_LISTS_PER_CONTEXT": str(args.session_lists_per_context)},
                    repo=unpack(args.baseline_ref, work / "main-tree"))
            elif mode == "scroll":
                runs["scroll"] = crawl_mode("scroll", "scroll", spiders, site, seeds, work, args, {})
            elif mode == "http" and spiders_know_mode("http"):
                runs["http"] = crawl_mode("http", "http", spiders, site, seeds, work, args, {},
                                          concurrency=args.session_calls_in_flight)
            elif mode == "http-cookies" and spiders_know_mode("http"):
                runs["http-cookies"] = crawl_mode("http-cookies", "http", spiders, site, seeds, work, args, {
                    "SCMAP_COOKIES": str(cookies_txt(site.web_url, work / "cookies.txt"))},
                    concurrency=args.session_calls_in_flight)
        for run in runs.values():
            print(summary(run))
        ours = runs.get("session") or next(iter(runs.values()), None)
        for run in runs.values():
            if run is not ours and ours is not None:
                same, compared = identical_edges(ours, run)
                print(f"identical edges {ours.name} vs {run.name}: {same}/{compared} spiders "
                      f"({ours.edges} vs {run.edges} edges); {ours.name} / {run.name}: "
                      f"{ours.lists_per_minute / run.lists_per_minute:.2f}x lists/min, CPU per list "
                      f"{ours.cpu_seconds / ours.lists:.3f} vs {run.cpu_seconds / run.lists:.3f} s")
        if ours is not None:
            print(f"sandbox CPU {ours.sandbox_cpu / max(1, ours.api_requests) * 1000:.1f} ms per api call")

        if args.baseline_lists > 0 and ours is not None:
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
                edges = ours.frames[spider]
                mine = Counter() if edges is None else Counter(edges[edges["src_id"] == ids[permalink]]["dst_permalink"])
                if dom == mine:
                    identical += 1
                else:
                    print(f"  DIFFERENT {spider} of {permalink}: article {sum(dom.values())} vs scmap {sum(mine.values())}")
            print(f"identical edges (by account) article vs {ours.name}: {identical}/{len(baseline)} sampled lists")
            for run in runs.values():
                print(f"{run.name} / article's way: {run.lists_per_minute / base_rate:.1f}x lists/min")

        if args.polite_accounts > 0:
            polite_crawl(site, world, work, args)


if __name__ == "__main__":
    main()
