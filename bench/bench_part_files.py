"""Reading a crawl's output before vs after compaction: one small part file per finished
account and partition (what the frontier's per-finish flush leaves) against the merged files.

Builds the output dir with the real Parquet writer: one crawl id per interaction (the demo's
four spiders), each finishing --accounts accounts, each finish followed by the frontier's
`persist_account_edges` signal; then times the analysis readers (build_map's "read edges"
and "labels" stages), compacts with `python -m scmap.compact`'s code, and times them again.

    .venv/bin/python bench/bench_part_files.py [--accounts 1100] [--edges-per-list 40] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import scrapy
from scrapy.utils.test import get_crawler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import api
from analysis.read_edges import count_edges
from scmap.compact import compact_output_dir
from scmap.items import AccountItem, EdgeItem
from scmap.pipelines.parquet_writer import ParquetWriterPipeline
from scmap.signals import persist_account_edges

INTERACTIONS = {"likes": "track", "comments": "track", "reposts": "playlist", "follows": "user"}
START = datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)


class BenchSpider(scrapy.Spider):
    name = "bench"


def write_crawl(output_dir: Path, interaction: str, accounts: int, edges_per_list: int) -> None:
    """One spider's crawl, as the frontier drives the writer: a flush at every finish."""
    crawler = get_crawler(BenchSpider, {"OUTPUT_DIR": str(output_dir), "CRAWL_ID": f"{interaction}-bench",
                                        "PARQUET_FLUSH_SECONDS": 0, "PARQUET_COMPACT_ON_CLOSE": False})
    pipeline = ParquetWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()
    rng = np.random.default_rng(len(interaction))
    for account in range(accounts):
        targets = rng.integers(0, accounts * 5, edges_per_list)
        for index, target in enumerate(targets):
            pipeline.process_item(EdgeItem(
                src_id=account, src_permalink=f"user-{account}", dst_id=int(target), dst_permalink=f"user-{target}",
                dst_username=f"User ⠀ {target}", dst_followers_count=int(target) * 3, interaction=interaction,
                object_kind=INTERACTIONS[interaction], object_id=account * 1000 + index,
                created_at=None if interaction == "follows" else
                (START - timedelta(hours=account + index)).strftime("%Y-%m-%dT%H:%M:%SZ")))
        pipeline.process_item(AccountItem(id=account, permalink=f"user-{account}", username=f"User {account}",
                                          followers_count=account * 3, followings_count=10, track_count=1))
        crawler.signals.send_catch_log(persist_account_edges, spider=None, permalink=f"user-{account}")
    pipeline.close_spider()


def count_files(output_dir: Path) -> tuple[int, int]:
    return (len(list((output_dir / "edges").rglob("part-*.parquet"))),
            len(list((output_dir / "accounts").glob("part-*.parquet"))))


def read_times(output_dir: Path) -> tuple[float, float, int]:
    """Seconds for build_map's "read edges" and "labels" stages' reads; distinct edges."""
    started = time.perf_counter()
    counts = count_edges(output_dir / "edges")
    read_edges = time.perf_counter() - started
    started = time.perf_counter()
    ids = np.unique(np.concatenate([pairs["dst_id"] for pairs in counts.by_interaction.values()]))
    labels, _ = api.collect_labels(output_dir / "edges", output_dir / "accounts", ids)  # build_map's reads
    labels.labels(pd.Index(ids))
    return read_edges, time.perf_counter() - started, counts.unique_edges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1100, help="finished accounts per spider")
    parser.add_argument("--edges-per-list", type=int, default=40)
    parser.add_argument("--out", type=Path, help="keep the output here (default: a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        output_dir = args.out or Path(temporary)
        started = time.perf_counter()
        for interaction in INTERACTIONS:
            write_crawl(output_dir, interaction, args.accounts, args.edges_per_list)
        print(f"wrote {len(INTERACTIONS)} crawls x {args.accounts} accounts in {time.perf_counter() - started:.1f} s")

        before_files = count_files(output_dir)
        before = read_times(output_dir)
        started = time.perf_counter()
        compact_output_dir(output_dir, min_age_seconds=0, max_rows=500_000, compression="zstd", out=io.StringIO())
        compacting = time.perf_counter() - started
        after_files = count_files(output_dir)
        after = read_times(output_dir)

    assert before[2] == after[2], "compaction changed the distinct edges"
    print(f"distinct edges: {after[2]:,} (same before and after)")
    print(f"compaction: {compacting:.2f} s")
    print(f"{'':14}{'before':>10}{'after':>10}{'ratio':>9}")
    for name, old, new in [("edge files", *before_files[:1], *after_files[:1]),
                           ("account files", before_files[1], after_files[1])]:
        print(f"{name:14}{old:>10}{new:>10}{old / new:>8.0f}x")
    for name, old, new in [("read edges s", before[0], after[0]), ("labels s", before[1], after[1])]:
        print(f"{name:14}{old:>10.2f}{new:>10.2f}{old / new:>8.1f}x")


if __name__ == "__main__":
    main()
