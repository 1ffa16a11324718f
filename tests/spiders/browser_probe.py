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
CHILDREN_WHILE_READING = "test/child_processes_while_reading"  # Playwright's driver too
PROBED = "test/api_answers_probed"


def live_children() -> list[str]:
    """Names of the live processes under this one (Chromium's, Playwright's node driver...)."""
    names = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                names.append(child.name().lower())
        except psutil.NoSuchProcess:
            pass
    return names


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
            children = live_children()
            if children:
                spider.logger.info("Child processes while reading: %s", ", ".join(sorted(set(children))))
            self.stats.max_value(BROWSERS_WHILE_READING, sum("chrom" in name for name in children))
            self.stats.max_value(CHILDREN_WHILE_READING, len(children))
