"""Periodic frontier report (like Scrapy's LogStats): one log line and a few stats keys."""

from __future__ import annotations

import logging
from typing import Any

from scmap.frontier.ordering import CrawlRules
from scmap.frontier.store import FrontierStore

logger = logging.getLogger("scmap.frontier")

TOP_OF_QUEUE_SHOWN = 5


def report_progress(store: FrontierStore, spider_name: str, rules: CrawlRules, stats: Any,
                    final: bool = False) -> str:
    """Log where the spider's crawl stands; also stored as `frontier/*` stats."""
    counts = store.counts(spider_name, rules)
    top = store.top_of_queue(spider_name, rules, TOP_OF_QUEUE_SHOWN)
    phase = counts.phase(rules)
    values = {
        "frontier/phase": phase,
        "frontier/visited": counts.visited,
        "frontier/skipped": counts.skipped,
        "frontier/below_threshold": counts.below_threshold,
        "frontier/not_found": counts.not_found,
        "frontier/failed": counts.failed,
        "frontier/in_flight": counts.in_flight,
        "frontier/size": counts.frontier_size,
        "frontier/discovered": counts.discovered,
    }
    for key, value in values.items():
        stats.set_value(key, value)
    shown = ", ".join(
        f"{entry.permalink} ({entry.score:g})" if phase == 2 else entry.permalink for entry in top)
    line = (
        f"frontier {spider_name}{' (final)' if final else ''}: phase {phase}"
        f" ({'breadth-first' if phase == 1 else 'by score'}), visited {counts.visited}/{rules.max_accounts}"
        f" (phase 2 after {rules.bfs_accounts}), skipped {counts.skipped} on profile +"
        f" {counts.below_threshold} known under {rules.min_followers} followers,"
        f" failed {counts.failed + counts.not_found}, in flight {counts.in_flight},"
        f" queue {counts.frontier_size} of {counts.discovered} discovered; next: {shown or '-'}"
        f"{_api_requests(stats)}"
    )
    # Bot-wall challenges met by this process (scmap/spiders/challenge_guard.py), when any.
    challenges = stats.get_value("scmap/challenges", 0) or 0
    if challenges:
        line += f"; bot-wall challenges {challenges}"
    logger.info(line)
    return line


def _api_requests(stats: Any) -> str:
    """The spider's api-v2 calls sent (scmap.transport), when it made any."""
    requests = stats.get_value("scmap/api/requests")
    if not requests:
        return ""
    return (f"; api-v2 requests {requests} ({stats.get_value('scmap/api/waits', 0)} waited"
            f" {float(stats.get_value('scmap/api/wait_seconds', 0) or 0):.0f} s,"
            f" {stats.get_value('scmap/api/process_pauses', 0)} 429 pauses)")