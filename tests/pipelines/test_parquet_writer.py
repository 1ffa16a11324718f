"""ParquetWriterPipeline against real Parquet files, built from a real Scrapy crawler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import scrapy
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from scmap.items import AccountItem, EdgeItem
from scmap.pipelines.compaction import parse_part_file
from scmap.pipelines.crawl_id import default_crawl_id, safe_crawl_id
from scmap.pipelines.edge_schema import EDGE_SCHEMA, parse_site_timestamp
from scmap.pipelines.parquet_writer import RETRY_SECONDS, ParquetWriterPipeline
from scmap.signals import persist_account_edges

REPO_ROOT = Path(__file__).resolve().parents[2]
IDENTITY_KEY = ["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"]
NAMES = [
    "plain",
    "Ünïcödé façade",
    "dj 😀🔥",
    "\u2800",  # braille blank: looks empty, is not
    "<script>alert('x')</script>",
    'quo"te & amp',
    "",
    "中文 ✓",
]
INTERACTION_KINDS = {"likes": "track", "comments": "track", "reposts": "playlist", "follows": "user"}
FIRST_CREATED = datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)


class TinySpider(scrapy.Spider):
    name = "tiny"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_pipeline(output_dir: Path, **settings: object) -> ParquetWriterPipeline:
    crawler = get_crawler(TinySpider, {"OUTPUT_DIR": str(output_dir), **settings})
    pipeline = ParquetWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def created_at(index: int) -> datetime:
    return FIRST_CREATED - timedelta(minutes=7 * index)


def make_edge(index: int, interaction: str = "likes") -> EdgeItem:
    return EdgeItem(
        src_id=10 + index % 3,
        src_permalink=f"src-{index % 3}",
        dst_id=2**40 + index,  # beyond int32 on purpose
        dst_permalink=f"dst-{index}",
        dst_username=NAMES[index % len(NAMES)],
        dst_followers_count=None if index % 4 == 0 else index * 100,
        interaction=interaction,
        object_kind=INTERACTION_KINDS[interaction],
        object_id=5_000_000_000 + index,
        created_at=created_at(index).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def read_edges(output_dir: Path) -> pa.Table:
    return ds.dataset(output_dir / "edges", partitioning="hive").to_table()


def part_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("part-*.parquet"))


def hidden_files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob(".*") if path.is_file()]


def stat(pipeline: ParquetWriterPipeline, key: str) -> int:
    return pipeline.stats.get_value(key, 0)


def test_edges_and_accounts_read_back_exactly(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path)
    items = [make_edge(i, interaction) for interaction in INTERACTION_KINDS for i in range(len(NAMES))]
    for item in items:
        pipeline.process_item(item)
    account = AccountItem(
        id=77, permalink="someone", username="⠀ 😀 <b>", followers_count=5,
        followings_count=None, track_count=0,
    )
    pipeline.process_item(account)
    pipeline.close_spider()

    table = read_edges(tmp_path)
    for field in EDGE_SCHEMA:
        assert table.schema.field(field.name).type == field.type
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    got = sorted(table.to_pylist(), key=lambda row: (row["interaction"], row["dst_id"]))
    expected = sorted(items, key=lambda item: (item["interaction"], item["dst_id"]))
    assert len(got) == len(expected)
    for row, item in zip(got, expected):
        for name in ("src_id", "src_permalink", "dst_id", "dst_permalink", "dst_username",
                     "dst_followers_count", "interaction", "object_kind", "object_id"):
            assert row[name] == item[name], name
        index = item["dst_id"] - 2**40
        assert row["created_at"] == created_at(index)
        assert row["crawl_id"] == pipeline.crawl_id
        assert abs(row["scraped_at"] - datetime.now(timezone.utc)) < timedelta(minutes=5)
    assert {row["dst_username"] for row in got} == set(NAMES)

    accounts = ds.dataset(tmp_path / "accounts").to_table().to_pylist()
    assert len(accounts) == 1
    assert {key: accounts[0][key] for key in ("id", "permalink", "username", "followers_count",
                                               "followings_count", "track_count")} == {
        key: account[key] for key in ("id", "permalink", "username", "followers_count",
                                       "followings_count", "track_count")}
    assert stat(pipeline, "parquet/edges_written") == len(items)
    assert stat(pipeline, "parquet/accounts_written") == 1


def test_one_partition_directory_per_interaction_without_the_column(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path)
    for i in range(6):
        pipeline.process_item(make_edge(i, "likes" if i % 2 else "follows"))
    pipeline.close_spider()

    assert sorted(path.name for path in (tmp_path / "edges").iterdir()) == [
        "interaction=follows", "interaction=likes"]
    for path in part_files(tmp_path / "edges"):
        assert "interaction" not in pq.read_schema(path).names
        kinds = set(pq.read_table(path).column("object_kind").to_pylist())
        assert kinds == {INTERACTION_KINDS[path.parent.name.split("=")[1]]}


def test_full_batches_are_written_at_the_batch_size_and_the_rest_on_close(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, PARQUET_BATCH_SIZE=5, PARQUET_COMPACT_ON_CLOSE=False)
    for i in range(12):
        pipeline.process_item(make_edge(i))
    before_close = part_files(tmp_path)
    assert [pq.read_metadata(path).num_rows for path in before_close] == [5, 5]

    pipeline.close_spider()
    after_close = part_files(tmp_path)
    assert [pq.read_metadata(path).num_rows for path in after_close] == [5, 5, 2]
    assert stat(pipeline, "parquet/files_written") == 3
    assert hidden_files(tmp_path) == []
    assert sorted(read_edges(tmp_path).column("dst_id").to_pylist()) == [2**40 + i for i in range(12)]


def test_buffers_older_than_flush_seconds_are_written(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, PARQUET_FLUSH_SECONDS=10)
    clock = pipeline.clock = FakeClock()
    for i in range(3):
        pipeline.process_item(make_edge(i, "likes"))
    clock.now += 6
    pipeline.process_item(make_edge(3, "reposts"))
    assert part_files(tmp_path) == []

    clock.now += 4  # likes are 10 s old, reposts 4 s
    pipeline.flush_expired()
    files = part_files(tmp_path)
    assert [path.parent.name for path in files] == ["interaction=likes"]
    assert pq.read_metadata(files[0]).num_rows == 3

    clock.now += 6  # an arriving item also triggers the check
    pipeline.process_item(make_edge(4, "likes"))
    assert [path.parent.name for path in part_files(tmp_path)] == [
        "interaction=likes", "interaction=reposts"]
    pipeline.close_spider()
    assert read_edges(tmp_path).num_rows == 5


def test_two_crawls_in_one_directory_write_distinct_files(tmp_path: Path) -> None:
    first = make_pipeline(tmp_path, CRAWL_ID="crawl-a", PARQUET_BATCH_SIZE=3)
    second = make_pipeline(tmp_path, CRAWL_ID="crawl-b", PARQUET_BATCH_SIZE=3)
    for i in range(10):
        first.process_item(make_edge(i))
        second.process_item(make_edge(100 + i))
    files = part_files(tmp_path)
    assert len(files) == 6 and len({path.name for path in files}) == 6
    first.close_spider()
    second.close_spider()

    files = part_files(tmp_path)  # each crawl merged its own files, and only those
    assert [path.name for path in files] == ["part-crawl-a-c00000.parquet", "part-crawl-b-c00000.parquet"]
    for path in files:
        crawl_ids = set(pq.read_table(path).column("crawl_id").to_pylist())
        assert crawl_ids == {parse_part_file(path).crawl_id}
    assert read_edges(tmp_path).num_rows == 20


def test_a_rerun_adds_duplicates_that_dedup_on_read_removes(tmp_path: Path) -> None:
    single_dir, rerun_dir = tmp_path / "single", tmp_path / "rerun"
    items = [make_edge(i, interaction) for interaction in ("likes", "follows") for i in range(9)]
    runs = [(single_dir, "once")] + [(rerun_dir, "same-id")] * 2  # same CRAWL_ID twice
    for output_dir, crawl_id in runs:
        pipeline = make_pipeline(output_dir, CRAWL_ID=crawl_id, PARQUET_BATCH_SIZE=4)
        for item in items:
            pipeline.process_item(EdgeItem(item))  # a fresh item, as a new crawl would yield
        pipeline.close_spider()

    def deduplicated(output_dir: Path) -> list[tuple]:
        frame = read_edges(output_dir).to_pandas()
        frame["interaction"] = frame["interaction"].astype(str)
        unique = frame.drop_duplicates(subset=IDENTITY_KEY)
        return sorted(unique[IDENTITY_KEY + ["dst_username"]].itertuples(index=False, name=None))

    assert read_edges(rerun_dir).num_rows == 2 * len(items)  # nothing was overwritten
    assert deduplicated(rerun_dir) == deduplicated(single_dir)
    assert len(deduplicated(single_dir)) == len(items)


def test_bad_rows_never_crash_and_are_kept_aside(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="bad")
    good = make_edge(1)
    unparsable_time = make_edge(2)
    unparsable_time["created_at"] = "yesterday"
    missing_time = make_edge(3)
    del missing_time["created_at"]
    odd_count = make_edge(4)
    odd_count["dst_followers_count"] = "many"
    lone_surrogate = make_edge(5)
    lone_surrogate["dst_username"] = "half \ud83d emoji, whole \ud83d\ude00"
    rejected = []
    for field, value in [("src_id", "abc"), ("dst_id", None), ("object_id", True),
                         ("interaction", "../../escape"), ("interaction", None), ("object_kind", "")]:
        item = make_edge(10 + len(rejected))
        item[field] = value
        rejected.append(item)
    account = AccountItem(id="not-a-number", permalink="x")

    for item in [good, unparsable_time, missing_time, odd_count, lone_surrogate, *rejected, account]:
        assert pipeline.process_item(item) is item
    pipeline.close_spider()

    rows = {row["dst_id"]: row for row in read_edges(tmp_path).to_pylist()}
    assert sorted(rows) == sorted(item["dst_id"] for item in
                                  [good, unparsable_time, missing_time, odd_count, lone_surrogate])
    assert rows[unparsable_time["dst_id"]]["created_at"] is None
    assert rows[missing_time["dst_id"]]["created_at"] is None
    assert rows[odd_count["dst_id"]]["dst_followers_count"] is None
    assert rows[lone_surrogate["dst_id"]]["dst_username"] == "half \ufffd emoji, whole 😀"
    assert rows[good["dst_id"]]["created_at"] == created_at(1)
    assert sorted(path.name for path in (tmp_path / "edges").iterdir()) == ["interaction=likes"]
    assert not (tmp_path.parent / "escape").exists()

    lines = (tmp_path / "rejected" / "rejected-bad.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["kind"] for record in records] == ["edges"] * len(rejected) + ["accounts"]
    assert [record["item"]["dst_id"] for record in records[:-1]] == [item["dst_id"] for item in rejected]
    assert stat(pipeline, "parquet/bad_rows") == len(rejected) + 1
    assert stat(pipeline, "parquet/nulled_values") == 3


def test_rows_survive_a_failing_write(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, PARQUET_BATCH_SIZE=2, CRAWL_ID="disk")
    clock = pipeline.clock = FakeClock()
    (tmp_path / "edges").write_text("a file where the directory should be")
    for i in range(3):
        pipeline.process_item(make_edge(i))
    assert stat(pipeline, "parquet/write_errors") == 1  # no retry on every item
    assert not (tmp_path / "rejected").exists()
    (tmp_path / "edges").unlink()  # the disk recovers
    clock.now += RETRY_SECONDS
    pipeline.process_item(make_edge(3))  # the buffer now holds 4 rows: written
    assert read_edges(tmp_path).num_rows == 4

    (tmp_path / "edges").rename(tmp_path / "edges-moved")
    (tmp_path / "edges").write_text("broken again")
    pipeline.process_item(make_edge(4))
    pipeline.close_spider()  # cannot write Parquet: the row goes to rejected/ instead
    records = [json.loads(line) for line in
               (tmp_path / "rejected" / "rejected-disk.jsonl").read_text().splitlines()]
    assert [record["item"]["dst_id"] for record in records] == [2**40 + 4]


def test_the_frontier_signal_puts_every_buffered_row_on_disk(tmp_path: Path) -> None:
    crawler = get_crawler(TinySpider, {"OUTPUT_DIR": str(tmp_path), "PARQUET_BATCH_SIZE": 1000})
    pipeline = ParquetWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()
    for i in range(5):
        pipeline.process_item(make_edge(i, "likes" if i % 2 else "follows"))
    assert not part_files(tmp_path)  # under the batch size: still in memory
    results = crawler.signals.send_catch_log(
        signal=persist_account_edges, spider=crawler.spider, permalink="src-0")
    assert not [r for _, r in results if isinstance(r, Failure)]
    assert read_edges(tmp_path).num_rows == 5


def test_the_frontier_hears_when_buffered_rows_cannot_be_persisted(tmp_path: Path) -> None:
    crawler = get_crawler(TinySpider, {"OUTPUT_DIR": str(tmp_path), "PARQUET_BATCH_SIZE": 1000})
    pipeline = ParquetWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()
    (tmp_path / "edges").write_text("a file where the directory should be")
    pipeline.process_item(make_edge(0))
    results = crawler.signals.send_catch_log(
        signal=persist_account_edges, spider=crawler.spider, permalink="src-0")
    assert [r for _, r in results if isinstance(r, Failure)]  # the frontier holds the record back


def test_an_unknown_compression_fails_at_start_not_mid_crawl(tmp_path: Path) -> None:
    crawler = get_crawler(TinySpider, {"OUTPUT_DIR": str(tmp_path), "PARQUET_COMPRESSION": "nope"})
    with pytest.raises(ValueError, match="nope"):
        ParquetWriterPipeline.from_crawler(crawler)


def test_other_items_pass_through_untouched(tmp_path: Path) -> None:
    class OtherItem(scrapy.Item):
        value = scrapy.Field()

    pipeline = make_pipeline(tmp_path)
    other, plain = OtherItem(value=1), {"src_id": 1, "interaction": "likes"}
    assert pipeline.process_item(other) is other and dict(other) == {"value": 1}
    assert pipeline.process_item(plain) is plain and plain == {"src_id": 1, "interaction": "likes"}
    pipeline.close_spider()
    assert list(tmp_path.iterdir()) == []


def test_scraped_at_and_crawl_id_are_kept_when_given(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="pipeline-id")
    given = make_edge(1)
    given["scraped_at"] = "2020-01-02T03:04:05Z"
    given["crawl_id"] = "spider-id"
    missing = make_edge(2)
    pipeline.process_item(given)
    pipeline.process_item(missing)
    pipeline.close_spider()
    rows = {row["dst_id"]: row for row in read_edges(tmp_path).to_pylist()}
    assert rows[given["dst_id"]]["scraped_at"] == datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert rows[given["dst_id"]]["crawl_id"] == "spider-id"
    assert rows[missing["dst_id"]]["crawl_id"] == "pipeline-id"
    assert parse_site_timestamp(missing["scraped_at"]) == rows[missing["dst_id"]]["scraped_at"]
    assert [path.name for path in part_files(tmp_path)] == ["part-pipeline-id-00000.parquet"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-11T22:05:09Z", datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)),
        ("2022-04-01T15:53:45.000Z", datetime(2022, 4, 1, 15, 53, 45, tzinfo=timezone.utc)),
        ("2024-02-12T00:05:09+02:00", datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)),
        ("2012/12/06 17:27:19 +0000", datetime(2012, 12, 6, 17, 27, 19, tzinfo=timezone.utc)),
        ("2024-02-11T22:05:09", datetime(2024, 2, 11, 22, 5, 9, tzinfo=timezone.utc)),
        ("", None),
        ("2024-13-45T99:00:00Z", None),
        (1707689109, None),
        (None, None),
    ],
)
def test_site_timestamps(text: object, expected: datetime | None) -> None:
    assert parse_site_timestamp(text) == expected


def test_a_scrapyd_job_names_the_part_files(tmp_path: Path) -> None:
    crawler = get_crawler(TinySpider, {"OUTPUT_DIR": str(tmp_path), "PARQUET_BATCH_SIZE": 1})
    crawler.spider = TinySpider(_job="d2f1e0c9")  # scrapyd 1.6 passes the job id as `_job`
    pipeline = ParquetWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(make_edge(0))
    assert [path.name for path in part_files(tmp_path)] == ["part-d2f1e0c9-00000.parquet"]


def test_crawl_ids() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert default_crawl_id("likes", environ={}, now=now, pid=42) == "likes-20260102T030405-42"
    assert default_crawl_id("likes", environ={"SCRAPY_JOB": "a1b2"}, now=now, pid=42) == "a1b2"
    assert default_crawl_id("likes", environ={}, now=now, pid=42, scrapyd_job="5f0e") == "5f0e"
    assert safe_crawl_id("../x/y z") == "_x_y_z"
    assert safe_crawl_id("...") == "crawl"


def run_script(tmp_path: Path, source: str, timeout: float = 60) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.timeout(120)
def test_a_killed_crawl_keeps_full_batches_and_timer_flushed_rows(tmp_path: Path) -> None:
    """A real Scrapy crawl: full batches, then a partial batch written by the timer while
    no item arrives, then more items that never reach a flush, then kill -9."""
    batch, flushed, unflushed = 7, 7 * 3 + 4, 5
    result = run_script(tmp_path, f"""
        import asyncio, os, signal
        import scrapy
        from scrapy.crawler import CrawlerProcess
        from tests.pipelines.test_parquet_writer import make_edge

        class KillSpider(scrapy.Spider):
            name = "killed"

            async def start(self):
                for i in range({flushed}):
                    yield make_edge(i)
                await asyncio.sleep(2.0)  # the flush timer must write the partial batch now
                for i in range({flushed}, {flushed + unflushed}):
                    yield make_edge(i)
                await asyncio.sleep(0.2)
                os.kill(os.getpid(), signal.SIGKILL)

        process = CrawlerProcess({{
            "ITEM_PIPELINES": {{"scmap.pipelines.parquet_writer.ParquetWriterPipeline": 300}},
            "OUTPUT_DIR": "out", "PARQUET_BATCH_SIZE": {batch}, "PARQUET_FLUSH_SECONDS": 0.5,
            "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
        }})
        process.crawl(KillSpider)
        process.start()
    """)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    files = part_files(tmp_path / "out")
    assert [pq.read_metadata(path).num_rows for path in files] == [batch] * 3 + [4]
    assert sorted(read_edges(tmp_path / "out").column("dst_id").to_pylist()) == [
        2**40 + i for i in range(flushed)]


@pytest.mark.timeout(120)
def test_kill_during_writes_leaves_only_complete_files(tmp_path: Path) -> None:
    """kill -9 at the moment a part file is being written: readers see whole batches only."""
    batch = 5_000
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from tests.pipelines.test_parquet_writer import make_edge, make_pipeline

        pipeline = make_pipeline(Path("out"), PARQUET_BATCH_SIZE={batch}, PARQUET_FLUSH_SECONDS=0)
        i = 0
        while True:  # until killed
            item = make_edge(i % 1000)
            item["object_id"] = i  # the row's position in the stream
            pipeline.process_item(item)
            i += 1
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    edges = tmp_path / "out" / "edges" / "interaction=likes"
    deadline = time.monotonic() + 30
    caught_new_file = False
    try:
        # Kill as soon as the third file's first directory entry appears: the writer has just
        # opened it (a temp file if writes are atomic, a visible half file if they were not).
        while time.monotonic() < deadline and child.poll() is None:
            names = os.listdir(edges) if edges.exists() else []
            if len(names) > 2:
                caught_new_file = True
                break
            time.sleep(0.0002)
    finally:
        child.send_signal(signal.SIGKILL)
        _, stderr = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, stderr.decode()[-3000:]
    assert caught_new_file, "the writer never started its third file"

    files = part_files(edges)
    assert len(files) >= 2
    for path in files:
        assert pq.read_metadata(path).num_rows == batch
    object_ids = sorted(read_edges(tmp_path / "out").column("object_id").to_pylist())
    assert object_ids == list(range(batch * len(files)))
