"""The seam between the crawler and the analysis, fast: edges written by the real Parquet
pipeline are read by the real analysis reader (no browser, no sandbox). The analysis may not
import the crawler, so it declares the columns it reads itself; this holds them to the writer's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import scrapy
from scrapy.utils.test import get_crawler

from analysis.datasets import ACCOUNT_SCHEMA as READ_ACCOUNT_SCHEMA
from analysis.datasets import EDGE_SCHEMA as READ_EDGE_SCHEMA
from analysis.read_edges import count_edges
from scmap.items import AccountItem, EdgeItem
from scmap.pipelines.edge_schema import ACCOUNT_SCHEMA, EDGE_SCHEMA, PARTITION_COLUMN
from scmap.pipelines.parquet_writer import ParquetWriterPipeline

OBJECT_KIND = {"likes": "track", "comments": "track", "reposts": "playlist", "follows": "user"}
START = datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)


class SeamSpider(scrapy.Spider):
    name = "seam"


def edge(src: int, dst: int, interaction: str, object_id: int) -> EdgeItem:
    created = None if interaction == "follows" else (START - timedelta(minutes=object_id)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return EdgeItem(src_id=src, src_permalink=f"u{src}", dst_id=dst, dst_permalink=f"u{dst}",
                    dst_username=f"User {dst} ✓", dst_followers_count=dst * 10, interaction=interaction,
                    object_kind=OBJECT_KIND[interaction], object_id=object_id, created_at=created)


def test_the_analysis_reads_what_the_pipeline_writes(tmp_path):
    pipeline = ParquetWriterPipeline.from_crawler(get_crawler(SeamSpider, {"OUTPUT_DIR": str(tmp_path)}))
    pipeline.open_spider()
    items = [edge(1, 2, "likes", 10), edge(1, 2, "likes", 11), edge(1, 3, "comments", 12),
             edge(2, 3, "reposts", 13), edge(2, 1, "follows", 2), edge(3, 1, "follows", 1)]
    items.append(edge(1, 2, "likes", 10))  # an account crawled twice after a crash: deduped on read
    for item in items:
        pipeline.process_item(item)
    pipeline.process_item(AccountItem(id=1, permalink="u1", username="one", followers_count=300,
                                      followings_count=2, track_count=0))
    pipeline.close_spider()

    counts = count_edges(tmp_path / "edges")
    assert counts.edges_read == 7 and counts.unique_edges == 6 and counts.rows_without_ids == 0
    assert counts.per_interaction == {"comments": 1, "follows": 2, "likes": 2, "reposts": 1}
    likes = counts.by_interaction["likes"]
    assert list(zip(likes["src_id"], likes["dst_id"], likes["count"])) == [(1, 2, 2)]
    follows = counts.by_interaction["follows"]  # no created_at: the key still tells them apart
    assert sorted(zip(follows["src_id"], follows["dst_id"])) == [(2, 1), (3, 1)]
    assert follows["src_id"].dtype == np.int64


def test_every_column_the_analysis_reads_is_written_with_that_type():
    written = {field.name: field.type for field in EDGE_SCHEMA}
    written[PARTITION_COLUMN] = READ_EDGE_SCHEMA.field(PARTITION_COLUMN).type  # the directory name
    for field in READ_EDGE_SCHEMA:
        assert written[field.name] == field.type, field.name
    accounts = {field.name: field.type for field in ACCOUNT_SCHEMA}
    for field in READ_ACCOUNT_SCHEMA:
        assert accounts[field.name] == field.type, field.name


def test_the_map_and_the_frontier_weigh_interactions_alike():
    from analysis.interaction_matrix import DEFAULT_WEIGHTS
    from scmap.settings import FRONTIER_WEIGHTS

    assert DEFAULT_WEIGHTS == {name: float(weight) for name, weight in FRONTIER_WEIGHTS.items()}


def test_the_analysis_reads_the_objects_the_pipeline_writes(tmp_path):
    from analysis.datasets import OBJECT_SCHEMA as READ_OBJECT_SCHEMA
    from analysis.read_objects import objects_dirs, read_objects
    from scmap.items import ObjectItem
    from scmap.pipelines.edge_schema import OBJECT_PARTITION_COLUMN, OBJECT_SCHEMA

    def crawl(titles: dict[int, str], scraped_at: str) -> None:
        pipeline = ParquetWriterPipeline.from_crawler(get_crawler(SeamSpider, {"OUTPUT_DIR": str(tmp_path)}))
        pipeline.open_spider()
        pipeline.process_item(edge(1, 2, "likes", 10))
        for object_id, title in titles.items():
            pipeline.process_item(ObjectItem(object_id=object_id, owner_id=2, kind="track", title=title,
                                             permalink=f"t{object_id}", created_at="2019-03-04T05:06:07Z",
                                             genre="Drum & Bass", tags=["dnb", "late night"], scraped_at=scraped_at))
        pipeline.process_item(ObjectItem(object_id=10, owner_id=2, kind="playlist", title="a set",
                                         permalink="a-set", created_at=None, genre=None, tags=None))
        pipeline.close_spider()

    crawl({10: "first title", 11: "eleven"}, "2026-01-01T00:00:00Z")
    crawl({10: "renamed"}, "2026-02-01T00:00:00Z")  # a later crawl: its row wins
    objects = read_objects(objects_dirs(tmp_path / "edges")).set_index(["kind", "object_id"])
    assert len(objects) == 3 and objects.loc[("track", 10), "title"] == "renamed"
    assert list(objects.loc[("track", 11), "tags"]) == ["dnb", "late night"]
    assert objects.loc[("track", 11), "created_at"].year == 2019 and objects.loc[("playlist", 10), "tags"] is None

    written = {field.name: field.type for field in OBJECT_SCHEMA}
    written[OBJECT_PARTITION_COLUMN] = READ_OBJECT_SCHEMA.field(OBJECT_PARTITION_COLUMN).type
    for field in READ_OBJECT_SCHEMA:
        assert written[field.name] == field.type, field.name
