"""A readable console display of a running crawl: one line per spider, redrawn in place.

Enabled with SCMAP_CONSOLE_PROGRESS=True (the demo does; Scrapy's own log then goes to
LOG_FILE). All spiders of the process share one board, drawn every SCMAP_CONSOLE_PROGRESS_INTERVAL
seconds on stdout: redrawn in place on a terminal, appended as a block otherwise.

    likes     visited  412/1200 ███████░░░░░░░░░░░░░  133 lists/min   91,204 edges  api  1,020 (0 waits)
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from scmap.setting_values import float_setting

BAR_WIDTH = 20


class ProgressBoard:
    """The lines of every spider of the process, drawn together."""

    def __init__(self, stream: TextIO = sys.stdout, interval: float = 2.0) -> None:
        self.stream = stream
        self.interval = interval
        self.rows: dict[str, Any] = {}  # spider name -> ConsoleProgress
        self.drawn_lines = 0
        self.loop: Any = None
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_block = 0.0

    def add(self, row: "ConsoleProgress") -> None:
        self.rows[row.name] = row
        if self.loop is None:
            self.loop = create_looping_call(self.draw)
            self.loop.start(self.interval, now=False)

    def remove(self, row: "ConsoleProgress") -> None:
        self.draw(force=True)
        row.finished = True
        if all(r.finished for r in self.rows.values()) and self.loop is not None:
            if self.loop.running:
                self.loop.stop()
            self.draw(force=True)
            self.loop = None

    def draw(self, force: bool = False) -> None:
        lines = [row.line() for row in self.rows.values()]
        if self.tty:
            up = f"\x1b[{self.drawn_lines}F" if self.drawn_lines else ""
            self.stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
            self.drawn_lines = len(lines)
        elif force or time.monotonic() - self.last_block >= max(self.interval, 10.0):
            self.stream.write("".join(f"{line}\n" for line in lines))
            self.last_block = time.monotonic()
        self.stream.flush()


_BOARD: ProgressBoard | None = None


class ConsoleProgress:
    """Scrapy extension: this crawler's line on the process's board."""

    def __init__(self, crawler: Any, board: ProgressBoard) -> None:
        self.crawler = crawler
        self.board = board
        self.name = "?"
        self.interaction = "?"
        self.cap: int | None = None
        self.started = time.monotonic()
        self.finished = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ConsoleProgress":
        settings = crawler.settings
        if not settings.getbool("SCMAP_CONSOLE_PROGRESS"):
            raise NotConfigured
        global _BOARD
        if _BOARD is None:
            _BOARD = ProgressBoard(interval=float_setting(settings, "SCMAP_CONSOLE_PROGRESS_INTERVAL"))
        return cls(crawler, _BOARD)

    def spider_opened(self, spider: Any) -> None:
        self.name = spider.name
        self.interaction = getattr(spider, "interaction", spider.name)
        cap = getattr(spider, "max_accounts", None)
        self.cap = cap if cap is not None else self.crawler.settings.getint("FRONTIER_MAX_ACCOUNTS") or None
        self.started = time.monotonic()
        self.board.add(self)

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.reason = reason
        self.board.remove(self)

    def line(self) -> str:
        stats = self.crawler.stats
        value = lambda key: int(stats.get_value(key, 0) or 0)  # noqa: E731
        prefix = f"scmap/{self.interaction}/"
        visited = value("frontier/accounts_done") or value(prefix + "lists")
        lists = value(prefix + "lists")
        minutes = max(1e-9, (time.monotonic() - self.started) / 60)
        bar = ""
        if self.cap:
            filled = min(BAR_WIDTH, int(BAR_WIDTH * visited / self.cap))
            bar = " " + "\u2588" * filled + "\u2591" * (BAR_WIDTH - filled)
        failed = value("frontier/accounts_failed") + value(prefix + "failed")
        state = f" done ({getattr(self, 'reason', '')})" if self.finished else ""
        return (f"{self.name:9s} visited {visited:5d}{'/' + str(self.cap) if self.cap else ''}{bar}"
                f" {lists / minutes:5.0f} lists/min {value(prefix + 'edges'):9,d} edges"
                f"  api {value('scmap/api/requests'):7,d} ({value('scmap/api/waits')} waits)"
                f"  skipped {value('frontier/accounts_skipped')} failed {failed}{state}")
