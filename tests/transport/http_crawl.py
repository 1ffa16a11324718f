"""A tiny Scrapy crawl through the http transport (or plain Scrapy HTTP, the baseline), run as a
subprocess by tests/transport/test_http_e2e.py and bench/bench_http_transport.py:

    python tests/transport/http_crawl.py CONFIG.json

CONFIG: {"transport": "http" | "plain", "urls": [...], "follow_resolve": bool,
"client_id": str (plain only: plain Scrapy does not add it), "digest_only": bool (keep a sha256
of each body, not the body: the benchmark's memory figure), "settings": {...}, "out": path}.
A /resolve answer with `follow_resolve` is followed to the user and its first likes page, as
the spider does. Writes `out` (JSON): every answer (url, status, flags, body, challenge), the
crawl's stats, this process's CPU seconds and peak RSS (and its children's: the bootstrap
browser), and whether Playwright was loaded at all.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
import scrapy  # noqa: E402
from scrapy.core.downloader.handlers.base import BaseDownloadHandler  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402

from scmap.soundcloud.collections import with_client_params  # noqa: E402
from scmap.transport.http import HttpTransport, is_challenge  # noqa: E402

THIN_HANDLER = "tests.transport.http_crawl.ThinHttpHandler"


class ThinHttpHandler(BaseDownloadHandler):
    """What the core download handler does for meta scmap_transport="http": call the transport."""

    lazy = False

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.transport = HttpTransport.from_crawler(crawler)

    async def download_request(self, request: scrapy.Request) -> scrapy.http.Response:
        return await self.transport.download(request)

    async def close(self) -> None:
        await self.transport.close()


class ApiReadSpider(scrapy.Spider):
    name = "api_read"

    def __init__(self, config: dict[str, Any], answers: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.answers = answers

    def _url(self, url: str) -> str:
        if self.config["transport"] == "plain":
            return with_client_params(url, {"client_id": self.config["client_id"]})
        return url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.config["urls"]:
            yield scrapy.Request(self._url(url), callback=self.parse, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> Any:
        body = hashlib.sha256(response.body).hexdigest() if self.config.get("digest_only") else response.text
        self.answers.append({"url": response.url, "status": response.status, "flags": response.flags,
                             "body": body, "challenge": is_challenge(response),
                             "at": time.monotonic(), "cpu": time.process_time(),
                             # "no browser kept open while reading": no child process right now
                             # (not in the benchmark: reading /proc per answer would cost CPU)
                             "child_processes": None if self.config.get("digest_only")
                             else len(psutil.Process().children(recursive=True))})
        if not self.config.get("follow_resolve") or "/resolve?" not in response.url or response.status != 200:
            return
        user_url = f"{self.settings['SOUNDCLOUD_API_URL']}/users/{response.json()['id']}"
        yield scrapy.Request(self._url(user_url), callback=self.parse)
        yield scrapy.Request(self._url(user_url + "/likes?limit=200&linked_partitioning=1"), callback=self.parse)


def settings_for(config: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "SCHEDULER": "scrapy.core.scheduler.Scheduler",
        "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
        "HTTPERROR_ALLOW_ALL": True,  # the spider sees challenges (403) too
        "CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    }
    if config["transport"] == "http":
        settings["DOWNLOAD_HANDLERS"] = {"http": THIN_HANDLER, "https": THIN_HANDLER}
    return {**settings, **config.get("settings", {})}


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    answers: list[dict[str, Any]] = []
    process = CrawlerProcess(settings_for(config), install_root_handler=True)
    crawler = process.create_crawler(ApiReadSpider)
    started = time.monotonic()
    process.crawl(crawler, config=config, answers=answers)
    process.start()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"answers": answers, "stats": {key: value for key, value in crawler.stats.get_stats().items()
                                            if isinstance(value, (int, float, str))},
              "started": started, "cpu_seconds": own.ru_utime + own.ru_stime,
              "peak_rss_kib": own.ru_maxrss, "children_peak_rss_kib": children.ru_maxrss,
              "children_cpu_seconds": children.ru_utime + children.ru_stime,
              "playwright_loaded": "playwright.async_api" in sys.modules}  # was a browser started?
    Path(config["out"]).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
