"""One crawler node of the fake (network-free) crawl, like a scrapyd job on one machine: the
fake spider of tests/frontier with the frontier URL and the node's concurrency from a config.

    python -m tests.distributed.fake_node CONFIG.json

CONCURRENT_REQUESTS is what bounds the accounts a node holds (like a node's browser pages);
the frontier's `accounts_in_flight` is the window for ALL nodes, so it must be larger than one
node's share, or the first node to finish an account always takes the next one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from tests.frontier.fake_crawl import REPO_ROOT, FakeAccountsSpider


def run(config: dict[str, Any]) -> None:
    process = CrawlerProcess({
        "SCHEDULER": "scmap.frontier.scheduler.FrontierScheduler",
        "FRONTIER_URL": config["store"],
        "FRONTIER_LOG_INTERVAL": config.get("log_interval", 1.0),
        "EDGES_JSONL": config["edges"],
        "ITEM_PIPELINES": {"tests.frontier.fake_crawl.JsonLinesEdgeWriter": 100},
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "CONCURRENT_REQUESTS": config.get("concurrent_requests", 2),
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    })
    process.crawl(FakeAccountsSpider, world_path=config["world"], **config["spider_args"])
    process.start()


def start_node(directory: Path, name: str, world_path: Path, store_url: str, spider_args: dict[str, Any],
               concurrent_requests: int = 2) -> "subprocess.Popen[str]":
    """Writes NAME.json and starts the node; its edges go to NAME.jsonl."""
    config = {"world": str(world_path), "store": store_url, "edges": str(directory / f"{name}.jsonl"),
              "spider_args": spider_args, "concurrent_requests": concurrent_requests}
    config_path = directory / f"{name}.json"
    config_path.write_text(json.dumps(config))
    return subprocess.Popen([sys.executable, "-m", "tests.distributed.fake_node", str(config_path)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


if __name__ == "__main__":
    run(json.loads(Path(sys.argv[1]).read_text()))
