"""Scrapy's log formatter, minus the per-item DEBUG record when the log is not at DEBUG.

Scrapy builds a "Scraped from ..." record for every item whatever LOG_LEVEL says (the level is
checked by the handler, after the record is made). A crawl yields hundreds of thousands of
edges: building and dropping those records cost ~5-10 % of the crawl process's CPU.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


class ItemLogFormatter(LogFormatter):
    def __init__(self, log_items: bool = True) -> None:
        super().__init__()
        self.log_items = log_items

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ItemLogFormatter":
        level = crawler.settings.get("LOG_LEVEL")  # Scrapy always has one (its default: DEBUG)
        number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        return cls(log_items=not isinstance(number, int) or number <= logging.DEBUG)

    def scraped(self, item: Any, response: Any, spider: Any) -> Any:
        return super().scraped(item, response, spider) if self.log_items else None
