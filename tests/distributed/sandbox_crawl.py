"""The real crawl used by the distributed e2e test: the four spiders against a sandbox site as
scrapyd jobs on several nodes sharing a Redis frontier and one output root."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd
import pyarrow.dataset as ds

from tests.distributed.scrapyd_nodes import ScrapydNode

SPIDERS = ("likes", "comments", "reposts", "follows")
FRONTIER_SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler"
# The sandbox is local: no politeness delays. Two requests per job keep the browsers few on a
# 2-core test machine; the frontier settings stay at their defaults.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "ROBOTSTXT_OBEY": "False",
    "CONCURRENT_REQUESTS": "2",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
    "PARQUET_FLUSH_SECONDS": "0",
    "LOG_LEVEL": "INFO",
    "FRONTIER_LOG_INTERVAL": "10",
}
EDGE_IDENTITY = ["interaction", "src_id", "dst_id", "object_kind", "object_id", "created_at"]


@dataclass(frozen=True)
class CrawlParameters:
    seeds: tuple[str, ...]
    limit: int = 30
    bfs_accounts: int = 5
    max_accounts: int = 15
    min_followers: int = 3000

    def spider_arguments(self) -> dict[str, str]:
        values = asdict(self)
        values["seeds"] = ",".join(self.seeds)
        return {name: str(value) for name, value in values.items()}


def pick_seeds(world_dir: Path, min_followers: int, count: int = 3) -> tuple[str, ...]:
    """The first artists / listeners by id that are not under the threshold (a seed under it
    is skipped, and the crawl would end at once)."""
    users = pd.read_parquet(world_dir / "users.parquet", columns=["id", "permalink", "kind", "followers_count"])
    eligible = users[users["kind"].isin(["artist", "listener"]) & (users["followers_count"] >= min_followers)]
    return tuple(eligible.sort_values("id")["permalink"].head(count))


def site_settings(sandbox: Any) -> dict[str, str]:
    return {"SOUNDCLOUD_WEB_URL": sandbox.web_url, "SOUNDCLOUD_API_URL": sandbox.api_url}


@dataclass
class ScheduledJob:
    node: ScrapydNode
    spider: str
    job: str
    log: str = field(default="", repr=False)


def schedule_everywhere(nodes: list[ScrapydNode], sandbox: Any, parameters: CrawlParameters,
                        frontier_url: str | Callable[[str], str], output_dir: Path,
                        extra_settings: Mapping[str, str] | None = None) -> list[ScheduledJob]:
    """The four spiders on every node, same seeds and frontier, one shared output root.
    `frontier_url`: one URL for all spiders, or spider name -> URL."""
    url_of = frontier_url if callable(frontier_url) else (lambda spider: frontier_url)
    settings = {**FAST_SETTINGS, **site_settings(sandbox), "SCHEDULER": FRONTIER_SCHEDULER,
                "OUTPUT_DIR": str(output_dir), **(extra_settings or {})}
    return [ScheduledJob(node, spider, node.schedule(spider, {**settings, "FRONTIER_URL": url_of(spider)},
                                                     parameters.spider_arguments()))
            for node in nodes for spider in SPIDERS]


def read_edges(output_dir: Path) -> pd.DataFrame:
    edges = output_dir / "edges"
    if not edges.exists():
        return pd.DataFrame(columns=[*EDGE_IDENTITY, "src_permalink", "crawl_id"])
    table = ds.dataset(str(edges), format="parquet", partitioning="hive").to_table()
    return table.to_pandas()
