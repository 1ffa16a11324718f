"""A network-free crawl for the frontier tests: a random interaction graph, a spider that
"fetches" `data:` URLs and yields its EdgeItems, and a pipeline appending edges to JSONL.

Run as a script (`python -m tests.frontier.fake_crawl CONFIG.json`) so a test can kill -9 it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any, AsyncIterator

import scrapy
from scrapy.crawler import CrawlerProcess

from scmap import contract
from scmap import signals as scmap_signals
from scmap.items import EdgeItem, ObjectItem

INTERACTIONS = ("likes", "comments", "reposts", "follows")


def user_id_of(permalink: str) -> int:
    return zlib.crc32(permalink.encode())


def make_world(seed: int, accounts: int, edges_per_account: int = 12) -> dict[str, Any]:
    """Accounts `u0..uN` with followers counts (a third under 250) and out-edges that favour a few
    popular targets, so scores differ and ties exist. Some edges hide the target's followers
    count (the frontier must then learn it from the profile), some are self-likes."""
    rng = random.Random(seed)
    names = [f"u{i}" for i in range(accounts)]
    followers = {n: rng.choice([rng.randint(0, 249), rng.randint(250, 50_000), rng.randint(250, 5_000)])
                 for n in names}
    popular = rng.sample(names, max(3, accounts // 15))
    edges: dict[str, list[dict[str, Any]]] = {}
    for src in names:
        out = []
        for index in range(rng.randint(0, edges_per_account)):
            dst = rng.choice(popular) if rng.random() < 0.5 else rng.choice(names)
            if rng.random() < 0.05:
                dst = src
            interaction = rng.choice(INTERACTIONS)
            out.append({
                "dst_permalink": dst, "dst_id": user_id_of(dst),
                "dst_followers_count": None if rng.random() < 0.3 else followers[dst],
                "interaction": interaction, "object_kind": "user" if interaction == "follows" else "track",
                "object_id": rng.randint(1, 10**6), "created_at": f"2024-01-01T00:00:{59 - index:02d}Z",  # newest first, as the site lists
            })
        edges[src] = out
    return {"followers": followers, "edges": edges, "missing": [names[-1]]}


class FakeAccountsSpider(scrapy.Spider):
    """Crawls one account in two pages (the second is a follow-up request the scheduler must
    serve before new accounts), then sends account_done."""

    name = "fake"
    custom_settings: dict[str, Any] = {}

    def __init__(self, world_path: str, min_followers: int = 250, page_delay: float = 0.0,
                 spider_skips: bool = True, requests_log: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.world = json.loads(Path(world_path).read_text())
        self.min_followers = int(min_followers)
        self.page_delay = float(page_delay)
        self.spider_skips = spider_skips  # False: read small accounts' lists, report them done
        self.requested: list[str] = []
        # One line per account request: which accounts a node visited, how often.
        self.requests_log = open(requests_log, "a", encoding="utf-8") if requests_log else None

    async def start(self) -> AsyncIterator[Any]:
        # Like the real spiders (scmap.contract): the frontier adds the seeds, start() yields none.
        return
        yield

    def request_for_account(self, permalink: str) -> scrapy.Request:
        if permalink in self.world.get("unrequestable", []):
            raise ValueError(f"cannot build a request for {permalink!r}")
        self.requested.append(permalink)
        if self.requests_log is not None:
            self.requests_log.write(permalink + "\n")
            self.requests_log.flush()
        return scrapy.Request(f"data:,{permalink}/page1", callback=self.parse_page,
                              cb_kwargs={"permalink": permalink, "page": 1}, dont_filter=True)

    def _done(self, permalink: str, status: str, followers: int | None, items: int = 0) -> None:
        self.crawler.signals.send_catch_log(
            signal=scmap_signals.account_done, spider=self, permalink=permalink,
            user_id=None if followers is None else user_id_of(permalink), followers_count=followers,
            status=status, items=items)

    def parse_page(self, response: scrapy.http.Response, permalink: str, page: int) -> Any:
        if self.page_delay:
            time.sleep(self.page_delay)  # a slower "site", so a test can kill mid-crawl
        if permalink in self.world.get("silent", []):
            return  # a spider bug: no account_done for this one
        if permalink in self.world["missing"]:
            self._done(permalink, contract.STATUS_NOT_FOUND, None)
            return
        followers = self.world["followers"][permalink]
        if followers < self.min_followers and self.spider_skips:
            self._done(permalink, contract.STATUS_SKIPPED, followers)
            return
        edges = self.world["edges"][permalink]
        half = len(edges) // 2
        for edge in edges[:half] if page == 1 else edges[half:]:
            yield EdgeItem(src_id=user_id_of(permalink), src_permalink=permalink, dst_username=edge["dst_permalink"],
                           **edge)
            if self.world.get("objects") and edge["object_kind"] != "user":  # the track the item carried
                yield ObjectItem(object_id=edge["object_id"], owner_id=edge["dst_id"], kind=edge["object_kind"],
                                 title="t", permalink="t", created_at=edge["created_at"], tags=["x"])
        if page == 1:
            # With objects, the follow-up keeps the frontier's tag as the real spiders' requests do
            # (an ObjectItem has no src_permalink: the tag is how the frontier counts it).
            tag = {contract.ACCOUNT_META_KEY: permalink} if self.world.get("objects") else {}
            yield scrapy.Request(f"data:,{permalink}/page2", callback=self.parse_page, meta=tag,
                                 cb_kwargs={"permalink": permalink, "page": 2}, dont_filter=True)
        else:
            overcount = 5 if permalink in self.world.get("overcount", []) else 0  # a spider bug
            objects = sum(e["object_kind"] != "user" for e in edges) if self.world.get("objects") else 0
            self._done(permalink, contract.STATUS_DONE, followers, items=len(edges) + objects + overcount)


class JsonLinesEdgeWriter:
    """Buffers edges like the Parquet writer and appends them to EDGES_JSONL (flushed, fsync'd)
    only when the frontier sends persist_account_edges, or at close."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8")
        self.buffer: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesEdgeWriter:
        writer = cls(crawler.settings.get("EDGES_JSONL"))
        writer.failures_left = crawler.settings.getint("EDGES_PERSIST_FAILURES", 0)  # a full disk, say
        crawler.signals.connect(writer.persist, signal=scmap_signals.persist_account_edges)
        return writer

    def process_item(self, item: Any) -> Any:
        if isinstance(item, EdgeItem):  # edges only (ObjectItems too pass through)
            self.buffer.append(json.dumps(dict(item)) + "\n")
        return item

    def persist(self, spider: Any = None, permalink: str | None = None) -> None:
        if getattr(self, "failures_left", 0) > 0:
            self.failures_left -= 1
            raise OSError("No space left on device (simulated)")
        self.file.write("".join(self.buffer))
        self.file.flush()
        os.fsync(self.file.fileno())
        self.buffer.clear()

    def close_spider(self) -> None:
        self.persist()
        self.file.close()


def run(config: dict[str, Any]) -> None:
    settings = {
        "SCHEDULER": "scmap.frontier.scheduler.FrontierScheduler",
        "FRONTIER_URL": config["store"],
        "FRONTIER_LOG_INTERVAL": config.get("log_interval", 0.5),
        "EDGES_JSONL": config["edges"],
        "ITEM_PIPELINES": {"tests.frontier.fake_crawl.JsonLinesEdgeWriter": 100},
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "CONCURRENT_REQUESTS": 8,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        **config.get("settings", {}),
    }
    process = CrawlerProcess(settings)
    for name in config.get("spiders", ["fake"]):  # several: one process, one shared store
        spider_class = type(f"FakeSpider_{name}", (FakeAccountsSpider,), {"name": name})
        args = {**config["spider_args"], **config.get("spider_args_by_name", {}).get(name, {})}
        process.crawl(spider_class, world_path=config["world"], **args)
    process.start()


if __name__ == "__main__":
    run(json.loads(Path(sys.argv[1]).read_text()))


REPO_ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = {"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}


def write_config(directory: Path, world: dict[str, Any], spider_args: dict[str, Any], name: str = "run",
                 **extra: Any) -> Path:
    """Files of one crawl under `directory`: world.json, NAME.sqlite, NAME.jsonl, NAME.json."""
    directory.mkdir(parents=True, exist_ok=True)
    world_path = directory / "world.json"
    world_path.write_text(json.dumps(world))
    config = {"world": str(world_path), "store": str(directory / f"{name}.sqlite"),
              "edges": str(directory / f"{name}.jsonl"), "spider_args": spider_args, **extra}
    config_path = directory / f"{name}.json"
    config_path.write_text(json.dumps(config))
    return config_path


def start_crawl(config_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.frontier.fake_crawl", str(config_path)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read_edges(path: str | Path) -> list[dict[str, Any]]:
    """Edges written so far; a line cut by a kill -9 is not an edge."""
    edges = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            edges.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return edges


def edge_identity(edge: dict[str, Any]) -> tuple:
    """docs/architecture.md: the identity analysis dedupes on."""
    return tuple(edge[k] for k in ("src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"))
