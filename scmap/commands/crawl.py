"""`scrapy crawl`, refusing bad input and exiting non-zero when the crawl failed.

Stock `scrapy crawl` exits 0 even when a spider cannot start. This one (also what scrapyd
jobs run: scrapyd calls `scrapy crawl` of the deployed project) checks the arguments and the
settings first (scmap.preflight), and after the crawl exits 1 if the crawl recorded an error
(the stat scmap.preflight.CRAWL_ERROR_STAT), printing that line.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from scmap.preflight import BadInput, check_crawl, crawl_error, report

EXIT_BAD_INPUT = 2
EXIT_CRAWL_FAILED = 1


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl likes -a seeds=artist1,artist2")
        assert self.crawler_process is not None and self.settings is not None
        try:
            check_crawl(opts.spargs, self.settings)
        except BadInput as error:
            report(str(error), self.settings)
            self.exitcode = EXIT_BAD_INPUT
            return
        crawler = self.crawler_process.create_crawler(args[0])  # public API, not the command helper
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_CRAWL_FAILED
        line = crawl_error(crawler.stats)
        if line:
            report(line, self.settings)
            self.exitcode = EXIT_CRAWL_FAILED
