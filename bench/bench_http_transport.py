"""How light is the http transport (-a mode=http)? N api-v2 list pages of a sandbox world read by
a Scrapy crawl through the transport (curl_cffi impersonating Chrome; client_id from one
browser page that is closed before the first call), and the same pages through plain Scrapy
HTTP (Twisted, the spider adding client_id) as the baseline, in one run on the same sandbox.

    python bench/bench_http_transport.py [--pages 600] [--accounts 400] [--latency-ms 0]

Prints per run: pages/s (first to last answer, and whole process), CPU seconds per page of the
crawl process (between the first and the last answer, and with start-up and bootstrap), peak RSS of the crawl process and of
its children (the bootstrap browser: gone before the first api call), and the http/plain ratios.
Both runs must get the same bodies. Target (issue 17): the crawl process under 300 MiB with no
browser open while reading.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scmap.sandbox.runner import generate_world_dir, run_sandbox  # noqa: E402
from scmap.sandbox.world import load_world  # noqa: E402
from tests.transport.conftest import run_api_crawl  # noqa: E402

MIB = 1024  # ru_maxrss is in KiB
LIST_PATHS = ("users/{id}/likes", "users/{id}/followings", "users/{id}/comments", "stream/users/{id}/reposts")


def page_urls(world_dir: Path, api_url: str, pages: int) -> list[str]:
    """First list pages (200 items asked) of the busiest accounts, four lists each."""
    world = load_world(world_dir)
    busiest = world.interactions[world.interactions.listed].src_id.value_counts().index
    urls = [f"{api_url}/{path.format(id=int(user))}?limit=200&linked_partitioning=1"
            for user in busiest for path in LIST_PATHS]
    if len(urls) < pages:
        raise SystemExit(f"the world has {len(urls)} list pages; ask fewer --pages or more --accounts")
    return urls[:pages]


def without_client_id(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in parse_qsl(parts.query)
                                                      if k != "client_id"])))


def client_id_of(web_url: str) -> str:
    import urllib.request

    from scmap.soundcloud.hydration import parse_hydration

    with urllib.request.urlopen(web_url + "/", timeout=30) as answer:
        return str(parse_hydration(answer.read().decode()).client_id)


def report(name: str, result: dict, pages: int) -> dict[str, float]:
    answers = result["answers"]
    assert len(answers) == pages and all(answer["status"] == 200 for answer in answers), \
        f"{name}: {len(answers)} answers, statuses {sorted({a['status'] for a in answers})}"
    times = sorted(answer["at"] for answer in answers)
    reading = max(times[-1] - times[0], 1e-9)
    cpu = sorted(answer["cpu"] for answer in answers)
    whole = times[-1] - result["started"]
    figures = {"pages_per_s": (pages - 1) / reading, "pages_per_s_whole": pages / whole,
               "cpu_per_page": result["cpu_seconds"] / pages,
               "reading_cpu_per_page": (cpu[-1] - cpu[0]) / (pages - 1), "rss_mib": result["peak_rss_kib"] / MIB,
               "children_mib": result["children_peak_rss_kib"] / MIB}
    print(f"{name:6s} {pages} pages: {figures['pages_per_s']:7.1f} pages/s reading "
          f"({figures['pages_per_s_whole']:6.1f} with start-up), CPU {figures['reading_cpu_per_page'] * 1000:5.2f} "
          f"ms/page reading ({figures['cpu_per_page'] * 1000:5.2f} with start-up), peak RSS {figures['rss_mib']:5.0f} MiB, "
          f"children {figures['children_mib']:4.0f} MiB")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox latency per request")
    parser.add_argument("--concurrency", type=int, default=8, help="CONCURRENT_REQUESTS(_PER_DOMAIN)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as scratch:
        work = Path(scratch)
        world_dir = generate_world_dir(work / "world", seed=7, accounts=args.accounts)
        faults = {"latency_ms": args.latency_ms} if args.latency_ms else None
        with run_sandbox(world_dir, faults=faults) as site:
            urls = page_urls(world_dir, site.api_url, args.pages)
            settings = {"SOUNDCLOUD_WEB_URL": site.web_url, "SOUNDCLOUD_API_URL": site.api_url,
                        "CONCURRENT_REQUESTS": args.concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
                        "LOG_LEVEL": "WARNING", "SCMAP_HTTP_BOOTSTRAP_WAIT": 0.5}
            common = {"urls": urls, "digest_only": True, "settings": settings}
            print(f"{args.pages} list pages (limit=200) of a {args.accounts}-account world, "
                  f"concurrency {args.concurrency}, sandbox latency {args.latency_ms} ms")
            runs = {}
            for name, extra in (("plain", {"transport": "plain", "client_id": client_id_of(site.web_url)}),
                                ("http", {"transport": "http"})):
                (work / name).mkdir()
                runs[name] = run_api_crawl(work / name, {**common, **extra}, timeout=3600)
    bodies = {name: {without_client_id(a["url"]): a["body"] for a in run["answers"]} for name, run in runs.items()}
    assert bodies["http"] == bodies["plain"], "the two runs got different bodies"
    plain, http = (report(name, runs[name], args.pages) for name in ("plain", "http"))
    print(f"http / plain: pages/s {http['pages_per_s'] / plain['pages_per_s']:.2f}x, "
          f"CPU per page reading {http['reading_cpu_per_page'] / plain['reading_cpu_per_page']:.2f}x "
          f"(with start-up {http['cpu_per_page'] / plain['cpu_per_page']:.2f}x), "
          f"peak RSS {http['rss_mib'] / plain['rss_mib']:.2f}x; identical bodies: yes")
    print(f"http crawl process peak RSS {http['rss_mib']:.0f} MiB (target < 300 MiB): "
          f"{'met' if http['rss_mib'] < 300 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
