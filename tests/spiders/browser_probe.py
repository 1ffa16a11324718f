"""A Scrapy extension the tests add to a crawl (EXTENSIONS): at each api-v2 answer, how many
browser processes this crawl process has (psutil), kept as the stat BROWSERS_WHILE_READING (the
most seen) - "no browser open while reading" in http mode, one Chromium in session mode."""

from __future__ import annotations

from typing import Any

import psutil
from scrapy import signals

from scmap.transport import is_api_request

PATH = "tests.spiders.browser_probe.BrowserProbe"
BROWSERS_WHILE_READING = "test/browser_processes_while_reading"
PROBED = "test/api_answers_probed"


def browser_processes() -> int:
    """Live Chromium processes under this one (Playwright's node driver is not a browser)."""
    count = 0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name().lower() and child.status() != psutil.STATUS_ZOMBIE:
                count += 1
        except psutil.NoSuchProcess:
            pass
    return count


class BrowserProbe:
    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "BrowserProbe":
        return cls(crawler)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        if is_api_request(request):
            self.stats.inc_value(PROBED)
            self.stats.max_value(BROWSERS_WHILE_READING, browser_processes())
