"""The frontier's progress line says how many bot-wall challenges the process met (when any)."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector

from scmap.frontier.ordering import CrawlRules
from scmap.frontier.progress import report_progress
from scmap.frontier.store import FrontierCounts


class StoreStandIn:
    """Only the two read methods report_progress uses."""

    def counts(self, spider: str, rules: CrawlRules) -> FrontierCounts:
        return FrontierCounts(discovered=10, below_threshold=1, visited=3, skipped=0, not_found=0,
                              failed=0, in_flight=2, frontier_size=4, applied=3)

    def top_of_queue(self, spider: str, rules: CrawlRules, n: int) -> list:
        return []


class Crawler:
    from scrapy.settings import Settings

    settings = Settings()


def test_challenges_appear_in_the_line_only_once_met():
    stats = MemoryStatsCollector(Crawler())
    line = report_progress(StoreStandIn(), "likes", CrawlRules(), stats)
    assert "challenges" not in line
    stats.inc_value("scmap/challenges", 2)
    line = report_progress(StoreStandIn(), "likes", CrawlRules(), stats)
    assert line.endswith("; bot-wall challenges 2")
