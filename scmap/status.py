"""`python -m scmap.status [--frontier URL]`: where the whole crawl stands, read from the
frontier store (SQLite file or Redis), whatever node or process is crawling.

Per spider: phase, visited / skipped / not found / failed, in flight, queue size, top of the
queue, rate over the last minutes and an estimate of the time left, and its latest refresh
round (-a refresh=DAYS): due, refreshed, gone, failed, in flight, left; per node (a scheduler
process, `host:pid`): its window, accounts in flight and visits, and its part of the refresh
round. Read-only: it changes nothing.
The caps (visits, breadth-first visits, minimum followers) are those the spider's latest crawl
was started with, kept in the store; an option below overrides one; a store from before caps
were kept shows the settings' defaults, and says so.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from dataclasses import dataclass
from typing import Mapping, Sequence, TextIO

from scmap import contract
from scmap.contract import STATUS_FAILED, STATUS_GONE
from scmap.frontier.ordering import CAPS, CrawlRules
from scmap.frontier.owner import node_of
from scmap.frontier.progress import read_progress
from scmap.frontier.store import DONE, IN_FLIGHT, REFRESH_DUE, FrontierStore, PickRecord, RefreshRound
from scmap.frontier.store_url import (
    is_redis_url, mask_store_url, open_store, sqlite_path, unreachable_store_message)


@dataclass(frozen=True)
class Rate:
    lists_per_minute: float  # finished picks, whatever their status
    visits_per_minute: float  # picks finished `done`
    minutes: float  # the span measured


def recent_rate(records: Sequence[PickRecord], now: float, window_minutes: float) -> Rate | None:
    """Finishes within the last `window_minutes` (or since the first finish, if later)."""
    finished = sorted(r.finished_at for r in records if r.finished_at is not None)
    if len(finished) < 2:
        return None
    start = max(finished[0], now - 60 * window_minutes)
    minutes = (now - start) / 60
    if minutes <= 0:
        return None
    recent = [r for r in records if r.finished_at is not None and r.finished_at >= start]
    return Rate(len(recent) / minutes, sum(r.status == DONE for r in recent) / minutes, minutes)


def time_left(visited: int, rules: CrawlRules, rate: Rate | None) -> str:
    if visited >= rules.max_accounts:
        return "done"
    if rate is None or rate.visits_per_minute <= 0:
        return "unknown (no recent visits)"
    minutes = (rules.max_accounts - visited) / rate.visits_per_minute
    hours, rest = divmod(int(round(minutes)), 60)
    return f"about {hours} h {rest:02d} min" if hours else f"about {rest} min"


def spider_report(store: FrontierStore, spider: str, now: float, window_minutes: float,
                  overrides: Mapping[str, int] | None = None) -> list[str]:
    # The caps of the spider's latest start, kept in the store; `overrides` win; the settings'
    # defaults (CrawlRules') for those neither gives: a store from before caps were kept.
    kept = store.caps(spider)
    rules = CrawlRules(**{**kept, **(overrides or {})})
    progress = read_progress(store, spider, rules)
    records = store.pick_records(spider)
    rate = recent_rate(records, now, window_minutes)
    lines = [
        f"{spider}: {progress.standing()}",
        "  rate: " + ("-" if rate is None else
                      f"{rate.lists_per_minute:.1f} lists/min, {rate.visits_per_minute:.1f} visits/min"
                      f" over the last {rate.minutes:.1f} min")
        + f"; time left: {time_left(progress.counts.visited, rules, rate)}",
    ]
    if not kept:
        lines.append("  caps: not kept by this store (crawled before they were): the settings' defaults,"
                     " unless given (--max-accounts, --bfs-accounts, --min-followers)")
    refresh = store.refresh_round(spider)
    if refresh is not None:
        lines.append(refresh_line(refresh))
    windows = {node_of(owner): window for owner, window in store.live_nodes(spider).items()}
    visits = Counter(node_of(r.holder) for r in records if r.status == DONE)
    in_flight = Counter(node_of(r.holder) for r in records if r.status == IN_FLIGHT)
    refreshing = {node_of(r.holder) for r in refresh.records if r.holder} if refresh is not None else set()
    for node in sorted(set(windows) | set(visits) | set(in_flight) | refreshing):
        state = f"window {windows[node]}" if node in windows else "gone"
        line = f"  node {node}: {state}, in flight {in_flight[node]}, visited {visits[node]}"
        if refresh is not None:
            line += "; refresh: " + refresh_counts(refresh, node)
        lines.append(line)
    lines.append(f"  next: {progress.queue_top()}")
    return lines


def refresh_counts(refresh: RefreshRound, node: str | None = None) -> str:
    """Refreshed / gone / failed / in flight of a round, of one node's part when `node` is given."""
    mine = [r for r in refresh.records if node is None or node_of(r.holder) == node]
    count = Counter(r.status for r in mine)
    return (f"refreshed {count[DONE]}, gone {count[STATUS_GONE]}, failed {count[STATUS_FAILED]},"
            f" in flight {count[IN_FLIGHT]}")


def refresh_line(refresh: RefreshRound) -> str:
    older_than = datetime.fromtimestamp(refresh.older_than, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"  refresh round {refresh.number} ({'complete' if refresh.complete else 'open'},"
            f" accounts last visited before {older_than}): due {len(refresh.records)}, {refresh_counts(refresh)},"
            f" left {refresh.count(REFRESH_DUE)}")


def report(store: FrontierStore, spiders: Sequence[str] | None = None, window_minutes: float = 10.0,
           now: float | None = None, overrides: Mapping[str, int] | None = None) -> list[str]:
    names = list(spiders or store.spiders())
    if not names:
        return ["no spider has claimed from this frontier yet"]
    now = time.time() if now is None else now
    lines: list[str] = []
    for name in names:
        lines += spider_report(store, name, now, window_minutes, overrides)
    return lines


def default_frontier_url() -> str:
    return contract.store_url(None, None)  # FRONTIER_URL, else <OUTPUT_DIR>/frontier.sqlite


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m scmap.status", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frontier", default=None,
                        help="store URL (default: FRONTIER_URL, else <OUTPUT_DIR>/frontier.sqlite)")
    parser.add_argument("--spider", action="append", help="only this spider (repeatable)")
    for option, cap in (("--max-accounts", "max_accounts"), ("--bfs-accounts", "bfs_accounts"),
                        ("--min-followers", "min_followers")):
        parser.add_argument(option, type=int, dest=cap, help="instead of the cap the crawl was started with")
    parser.add_argument("--rate-minutes", type=float, default=10.0, help="rate over the last N minutes (10)")
    options = parser.parse_args(argv)
    url = options.frontier or default_frontier_url()
    if not is_redis_url(url) and not Path(sqlite_path(url)).is_file():
        print(f"scmap: error: no frontier at {url}: crawl first, or pass --frontier URL", file=sys.stderr)
        return 2
    overrides = {cap: getattr(options, cap) for cap in CAPS if getattr(options, cap) is not None}
    try:
        CrawlRules(**overrides)
    except ValueError as error:  # a negative cap
        print(f"scmap: error: {error}", file=sys.stderr)
        return 2
    try:
        store = open_store(url)
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        print(f"scmap: error: {unreachable_store_message(url, error)}", file=sys.stderr)
        return 2
    try:
        print(f"frontier {mask_store_url(url)}", file=out)
        for line in report(store, options.spider, options.rate_minutes, overrides=overrides):
            print(line, file=out)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
