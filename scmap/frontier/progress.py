"""Where a spider's crawl stands, in words: the periodic log line and `frontier/*` stats (like
Scrapy's LogStats), and the phrases `python -m scmap.status` prints for every spider (one
wording for both)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scmap.frontier.ordering import CrawlRules
from scmap.frontier.store import FrontierCounts, FrontierStore, QueueEntry

logger = logging.getLogger("scmap.frontier")

TOP_OF_QUEUE_SHOWN = 5


@dataclass(frozen=True)
class Progress:
    """One spider's counts and the top of its queue, under the caps `rules`."""

    rules: CrawlRules
    counts: FrontierCounts
    top: list[QueueEntry]

    @property
    def phase(self) -> int:
        return self.counts.phase(self.rules)

    def standing(self) -> str:
        """`phase 2 (by score), visited 912/2250 (phase 2 after 850), skipped 37 on profile +
        41210 known under 250 followers, not found 1, failed 2, in flight 4, queue 48911 of
        90158 discovered`."""
        counts, rules = self.counts, self.rules
        return (f"phase {self.phase} ({'breadth-first' if self.phase == 1 else 'by score'}),"
                f" visited {counts.visited}/{rules.max_accounts} (phase 2 after {rules.bfs_accounts}),"
                f" skipped {counts.skipped} on profile + {counts.below_threshold} known under"
                f" {rules.min_followers} followers, not found {counts.not_found}, failed {counts.failed},"
                f" in flight {counts.in_flight}, queue {counts.frontier_size} of {counts.discovered} discovered")

    def queue_top(self) -> str:
        """The next accounts to pick (with their scores in phase 2), or `-`."""
        return ", ".join(f"{entry.permalink} ({entry.score:g})" if self.phase == 2 else entry.permalink
                         for entry in self.top) or "-"


def read_progress(store: FrontierStore, spider_name: str, rules: CrawlRules) -> Progress:
    return Progress(rules, store.counts(spider_name, rules), store.top_of_queue(spider_name, rules, TOP_OF_QUEUE_SHOWN))


def report_progress(store: FrontierStore, spider_name: str, rules: CrawlRules, stats: Any,
                    final: bool = False) -> str:
    """Log where the spider's crawl stands; also stored as `frontier/*` stats."""
    progress = read_progress(store, spider_name, rules)
    counts = progress.counts
    values = {
        "frontier/phase": progress.phase,
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
    line = (f"frontier {spider_name}{' (final)' if final else ''}: {progress.standing()};"
            f" next: {progress.queue_top()}{_api_requests(stats)}")
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