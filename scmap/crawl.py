"""All four interaction spiders in one command, sharing one frontier store.

    python -m scmap.crawl --seeds a,b,c [--bfs-accounts N] [--max-accounts N]
        [--min-followers N] [--limit N|all] [--accounts-in-flight N] [--mode session|http|scroll]
        [--spiders likes,follows]
        [-s SETTING=VALUE ...]

Arguments not given keep their defaults: the FRONTIER_* settings (scmap/settings.py) and the
spiders' limit. Bad input is refused before crawling, in one line (scmap/preflight.py).

Each spider keeps its own visits; discoveries, scores and followers counts found by any of
them steer all four (docs/frontier.md). Run it again after a crash: it resumes.
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from scmap.preflight import BadInput, check_crawl, crawl_error, report

ALL_SPIDERS = ("likes", "comments", "reposts", "follows")
FRONTIER_SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler"  # whatever settings.py says
SPIDER_ARGUMENTS = ("seeds", "bfs_accounts", "max_accounts", "min_followers", "limit", "accounts_in_flight",
                    "mode")


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scmap.crawl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="", help="comma-separated permalinks or profile URLs")
    parser.add_argument("--bfs-accounts", type=int)
    parser.add_argument("--max-accounts", type=int)
    parser.add_argument("--min-followers", type=int)
    parser.add_argument("--limit", help="most recent N interactions per list (spider default if omitted)")
    parser.add_argument("--accounts-in-flight", type=int)
    parser.add_argument("--mode", help="session (default: lists read through api-v2 in a live page), http (the "
                        "same calls through curl_cffi, no browser open while reading) or scroll")
    parser.add_argument("--spiders", default=",".join(ALL_SPIDERS), help="subset, comma-separated")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (repeatable)")
    return parser.parse_args(argv)


def spider_arguments(options: argparse.Namespace) -> dict[str, Any]:
    """Only the arguments given: the others keep the FRONTIER_* settings' defaults."""
    values = {name: getattr(options, name) for name in SPIDER_ARGUMENTS}
    return {name: value for name, value in values.items() if value is not None}


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_arguments(argv)
    settings = get_project_settings()
    settings.set("SCHEDULER", FRONTIER_SCHEDULER, priority="cmdline")
    for assignment in options.set:
        name, _, value = assignment.partition("=")
        settings.set(name.strip(), value, priority="cmdline")
    names = [name.strip() for name in options.spiders.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ALL_SPIDERS))
    if unknown:
        raise SystemExit(f"unknown spiders {unknown}; choose among {ALL_SPIDERS}")
    arguments = spider_arguments(options)
    try:
        check_crawl(arguments, settings, spider_count=len(names))
    except BadInput as error:
        report(str(error), settings)
        raise SystemExit(2) from None
    if len(names) > 1:  # each spider has its own api-v2 slot: together, the configured rate
        settings.set("DOWNLOAD_DELAY", settings.getfloat("DOWNLOAD_DELAY") * len(names),
                     priority=max(settings.getpriority("DOWNLOAD_DELAY") or 0, 40))
    process = CrawlerProcess(settings)
    crawlers = [process.create_crawler(name) for name in names]
    for crawler in crawlers:
        process.crawl(crawler, **arguments)
    process.start()
    errors = [line for line in (crawl_error(crawler.stats) for crawler in crawlers) if line]
    for line in dict.fromkeys(errors):  # the four spiders may say the same
        report(line, settings)
    if errors or process.bootstrap_failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
