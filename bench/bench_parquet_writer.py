"""Throughput of the Parquet writer pipeline: items/s through process_item, bytes per edge.

    .venv/bin/python bench/bench_parquet_writer.py [--items 200000] [--batch-size 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.dataset as ds
import scrapy
from scrapy.utils.test import get_crawler

from scmap.items import EdgeItem
from scmap.pipelines.parquet_writer import ParquetWriterPipeline

INTERACTIONS = {"likes": "track", "comments": "track", "reposts": "playlist", "follows": "user"}


class BenchSpider(scrapy.Spider):
    name = "bench"


def make_items(count: int) -> list[EdgeItem]:
    start = datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)
    kinds = list(INTERACTIONS)
    items = []
    for index in range(count):
        interaction = kinds[index % len(kinds)]
        items.append(
            EdgeItem(
                src_id=index % 5000,
                src_permalink=f"user-{index % 5000}",
                dst_id=1_000_000 + index % 20000,
                dst_permalink=f"artist-{index % 20000}",
                dst_username=f"Artist ⠀😀 {index % 20000}",
                dst_followers_count=index % 100000,
                interaction=interaction,
                object_kind=INTERACTIONS[interaction],
                object_id=5_000_000_000 + index,
                created_at=(start - timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    items = make_items(args.items)
    with tempfile.TemporaryDirectory() as output_dir:
        # Compaction on close is bench/bench_part_files.py's subject: off here, the write path alone.
        crawler = get_crawler(BenchSpider, {"OUTPUT_DIR": output_dir, "PARQUET_BATCH_SIZE": args.batch_size,
                                            "PARQUET_COMPACT_ON_CLOSE": False})
        pipeline = ParquetWriterPipeline.from_crawler(crawler)
        pipeline.open_spider()
        started = time.perf_counter()
        for item in items:
            pipeline.process_item(item)
        pipeline.close_spider()
        elapsed = time.perf_counter() - started
        files = list(Path(output_dir).rglob("part-*.parquet"))
        size = sum(path.stat().st_size for path in files)
        read_started = time.perf_counter()
        rows = ds.dataset(Path(output_dir) / "edges", partitioning="hive").to_table().num_rows
        read_elapsed = time.perf_counter() - read_started
    print(f"items: {args.items}  batch size: {args.batch_size}  files: {len(files)}")
    print(f"write: {elapsed:.2f} s = {args.items / elapsed:,.0f} items/s ({elapsed / args.items * 1e6:.1f} us/item)")
    print(f"disk: {size / 1e6:.1f} MB = {size / args.items:.1f} bytes/edge")
    print(f"read back: {rows} rows in {read_elapsed:.2f} s")


if __name__ == "__main__":
    main()
