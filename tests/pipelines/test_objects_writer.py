"""The objects dataset (OUTPUT_DIR/objects/kind=track|playlist): the Parquet writer stores
ObjectItems like edges (atomic part files, flush per finished account, compaction, scmap.compact,
kill -9), one row per object per crawl."""

from __future__ import annotations

import json
import signal
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from scmap.compact import main as compact_main
from scmap.items import EdgeItem, ObjectItem, object_items
from scmap.pipelines.compaction import parse_part_file
from scmap.pipelines.edge_schema import OBJECT_SCHEMA
from scmap.signals import persist_account_edges
from tests.pipelines.test_parquet_writer import make_edge, make_pipeline, part_files, run_script, stat

ACCOUNTS = 6


def make_object(index: int, kind: str = "track", **fields: object) -> ObjectItem:
    """Track or playlist `index`: ids past int32, tags in several scripts, some counts null."""
    record = {
        "object_id": 3_000_000_000 + index, "owner_id": 2**40 + index % 4, "kind": kind,
        "title": ["Nuit blanche (demo)", "夜 ✦ 😀", "<b>&amp;</b>", "\u2800"][index % 4],
        "permalink": f"object-{index}", "created_at": f"2023-11-{1 + index % 28:02d}T21:14:00Z",
        "genre": None if index % 3 == 0 else ["Drum & Bass", "dnb", "Хип-хоп"][index % 3],
        "tags": None if kind == "playlist" else [[], ["chill", "late night"], ["фонк", "ナイトコア", "a \"b"]][index % 3],
        "duration_ms": 201_000 + index, "playback_count": None if index % 5 == 0 else 5120 + index,
        "likes_count": 88 + index, "reposts_count": index, "comment_count": None if kind == "playlist" else 11,
    }
    record.update(fields)
    return ObjectItem(record)


def read_objects(output_dir: Path) -> list[dict]:
    table = ds.dataset(output_dir / "objects", partitioning="hive").to_table()
    return sorted(table.to_pylist(), key=lambda row: (row["kind"], row["object_id"]))


def crawl_accounts(pipeline, accounts: int = ACCOUNTS) -> list[ObjectItem]:
    """Each finished account: its edges, the objects they carried (some seen before), persist."""
    sent = []
    for account in range(accounts):
        for i in range(4):
            pipeline.process_item(make_edge(account * 10 + i))
            item = make_object(account * 3 + i, "playlist" if i == 3 else "track")  # i 0..3: overlaps the next account
            pipeline.process_item(item)
            sent.append(item)
        pipeline.crawler.signals.send_catch_log(persist_account_edges, spider=None, permalink=f"a{account}")
    return sent


def expected_rows(items: list[ObjectItem], crawl_id: str) -> list[dict]:
    """What readers must see: the first sighting of each (kind, object_id), typed."""
    first: dict[tuple[str, int], ObjectItem] = {}
    for item in items:
        first.setdefault((item["kind"], item["object_id"]), item)
    rows = []
    for (kind, _), item in first.items():
        row = {name: item[name] for name in OBJECT_SCHEMA.names if name not in ("scraped_at", "crawl_id")}
        row["created_at"] = datetime.fromisoformat(item["created_at"]).astimezone(timezone.utc)
        row.update(kind=kind, crawl_id=crawl_id)
        rows.append(row)
    return sorted(rows, key=lambda row: (row["kind"], row["object_id"]))


def without_scraped_at(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "scraped_at"} for row in rows]


def test_objects_read_back_exactly_with_their_schema(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-o", PARQUET_COMPACT_ON_CLOSE=False)
    items = [make_object(i) for i in range(9)] + [make_object(i, "playlist") for i in range(3)]
    for item in items:
        pipeline.process_item(item)
    pipeline.close_spider()

    assert sorted(p.name for p in (tmp_path / "objects").iterdir()) == ["kind=playlist", "kind=track"]
    for path in part_files(tmp_path / "objects"):
        assert pq.read_schema(path).remove_metadata() == OBJECT_SCHEMA  # the partition column is not stored
    rows = read_objects(tmp_path)
    assert without_scraped_at(rows) == expected_rows(items, "crawl-o")
    assert all(abs(row["scraped_at"] - datetime.now(timezone.utc)).total_seconds() < 300 for row in rows)
    assert stat(pipeline, "parquet/objects_written") == len(items)


def test_one_row_per_object_per_crawl_and_a_full_object_completes_a_reduced_one(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-d")
    track = make_object(1)
    reduced = make_object(2, tags=None, genre=None, created_at=None, likes_count=None)  # from a user's comments
    for item in (track, make_object(1, likes_count=999),  # seen again: not written again
                 reduced, make_object(2, tags=None),  # reduced again: not written
                 make_object(2),  # the full object: written once more
                 make_object(2, tags=None), make_object(2),  # after that, nothing
                 make_object(1, "playlist")):  # a playlist with a track's id is another object
        pipeline.process_item(item)
    pipeline.close_spider()
    rows = read_objects(tmp_path)
    assert [(r["kind"], r["object_id"], r["tags"], r["likes_count"]) for r in rows] == [
        ("playlist", 3_000_000_001, None, 89),
        ("track", 3_000_000_001, ["chill", "late night"], 89),
        ("track", 3_000_000_002, None, None),  # written first
        ("track", 3_000_000_002, ["фонк", "ナイトコア", 'a "b'], 90),
    ]
    assert [r["created_at"] for r in rows if r["tags"] is None and r["kind"] == "track"] == [None]
    assert stat(pipeline, "parquet/objects_repeated") == 4
    assert stat(pipeline, "parquet/nulled_values") == 0  # a missing upload time is the data, not a fault


def test_bad_objects_are_kept_aside_and_bad_values_nulled(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-b")
    for item in (make_object(1, kind="user"), make_object(2, object_id="x"), make_object(3, owner_id=None),
                 make_object(4, tags="chill late", likes_count="many", created_at="yesterday")):
        pipeline.process_item(item)
    pipeline.close_spider()
    rejected = [json.loads(line) for line in (tmp_path / "rejected" / "rejected-crawl-b.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["item"]["permalink"]) for r in rejected] == [
        ("objects", "object-1"), ("objects", "object-2"), ("objects", "object-3")]
    [row] = read_objects(tmp_path)
    assert (row["object_id"], row["tags"], row["likes_count"], row["created_at"]) == (3_000_000_004, None, None, None)
    assert stat(pipeline, "parquet/nulled_values") == 3


def test_flush_per_account_then_compaction_on_close(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-c", PARQUET_FLUSH_SECONDS=0)
    sent = crawl_accounts(pipeline)
    small = part_files(tmp_path / "objects")
    assert len(small) == 2 * ACCOUNTS  # one file per kind per finished account
    before = read_objects(tmp_path)
    pipeline.close_spider()
    merged = part_files(tmp_path / "objects")
    assert [p.parent.name for p in merged] == ["kind=playlist", "kind=track"]
    assert all(parse_part_file(p).merged for p in merged)
    assert read_objects(tmp_path) == before
    assert without_scraped_at(before) == expected_rows(sent, "crawl-c")


def test_scmap_compact_merges_the_objects_a_killed_crawl_left(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-k", PARQUET_FLUSH_SECONDS=0)
    crawl_accounts(pipeline)
    pipeline._release_lock()  # as the kernel does for a killed process: no close, no compaction
    before = read_objects(tmp_path)
    out = tmp_path / "report.txt"
    with out.open("w") as report:
        assert compact_main([str(tmp_path), "--min-age", "0"], out=report) == 0
    assert "objects/kind=track: 6 files -> 1" in out.read_text()
    assert len(part_files(tmp_path / "objects")) == 2 and read_objects(tmp_path) == before
    # a directory holding only objects is a crawl's output too
    only = tmp_path / "only"
    (only / "objects").mkdir(parents=True)
    (tmp_path / "objects").rename(only / "objects")
    with out.open("w") as report:
        assert compact_main([str(only), "--min-age", "0"], out=report) == 0


def test_helper_turns_parser_records_into_items() -> None:
    from scmap.soundcloud.objects import OBJECT_FIELDS

    record = dict(make_object(5))
    [item] = object_items([record])
    assert isinstance(item, ObjectItem) and dict(item) == record
    assert set(OBJECT_FIELDS) | {"scraped_at", "crawl_id"} == set(ObjectItem.fields)
    assert not set(ObjectItem.fields) & {"dst_permalink", "src_permalink"}  # never taken for an edge
    assert isinstance(make_edge(1), EdgeItem)


@pytest.mark.timeout(120)
def test_objects_of_finished_accounts_survive_kill_9(tmp_path: Path) -> None:
    """A real Scrapy crawl: per account its edges and objects, the frontier's persist signal,
    then kill -9 mid-account: every object of a finished account is on disk, nothing half-written;
    `scmap.compact` then merges them."""
    finished, batch = 5, 10_000  # no batch ever fills: only the persist signal writes
    result = run_script(tmp_path, f"""
        import asyncio, os, signal
        import scrapy
        from scrapy.crawler import CrawlerProcess
        from scmap.signals import persist_account_edges
        from tests.pipelines.test_objects_writer import make_object
        from tests.pipelines.test_parquet_writer import make_edge

        class KillSpider(scrapy.Spider):
            name = "killed"

            async def start(self):
                for account in range({finished + 1}):
                    for i in range(4):
                        yield make_edge(account * 10 + i)
                        yield make_object(account * 4 + i, "playlist" if i == 3 else "track")
                    await asyncio.sleep(0.3)  # the items leave the pipeline
                    if account == {finished}:
                        os.kill(os.getpid(), signal.SIGKILL)  # mid-account: not persisted
                    self.crawler.signals.send_catch_log(persist_account_edges, spider=self, permalink=str(account))

        process = CrawlerProcess({{
            "ITEM_PIPELINES": {{"scmap.pipelines.parquet_writer.ParquetWriterPipeline": 300}},
            "OUTPUT_DIR": "out", "CRAWL_ID": "killed", "PARQUET_BATCH_SIZE": {batch},
            "PARQUET_FLUSH_SECONDS": 0, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
        }})
        process.crawl(KillSpider)
        process.start()
    """, timeout=100)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    out = tmp_path / "out"
    assert not [p for p in out.rglob(".*") if p.is_file() and p.name.endswith(".tmp")]
    expected = expected_rows([make_object(a * 4 + i, "playlist" if i == 3 else "track")
                              for a in range(finished) for i in range(4)], "killed")
    assert without_scraped_at(read_objects(out)) == expected
    assert len(part_files(out / "objects")) == 2 * finished
    with (tmp_path / "report.txt").open("w") as report:
        assert compact_main([str(out), "--min-age", "0"], out=report) == 0
    assert len(part_files(out / "objects")) == 2 and without_scraped_at(read_objects(out)) == expected
