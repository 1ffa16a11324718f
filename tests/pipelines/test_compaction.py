"""Compaction of a crawl's part files (scmap/pipelines/compaction.py): the writer merges the
files it wrote on close; rows and schema survive exactly; other crawls' files are never
touched; a crash between the merged file's rename and the deletes leaves only duplicates,
which the analysis readers drop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.account_labels import LabelCollector
from analysis.read_accounts import collect_account_labels
from analysis.read_edges import count_edges
from scmap.items import AccountItem
from scmap.pipelines import compaction
from scmap.pipelines.compaction import compact_files, parse_part_file
from scmap.pipelines.edge_schema import ACCOUNT_SCHEMA, EDGE_SCHEMA
from scmap.signals import persist_account_edges
from tests.pipelines.test_parquet_writer import make_edge, make_pipeline, part_files, stat

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 12


def crawl_accounts(pipeline, first: int = 0, accounts: int = ACCOUNTS) -> None:
    """What a frontier crawl does: each finished account's edges and profile, then the persist
    signal, so each account leaves one small file per partition."""
    for account in range(first, first + accounts):
        for interaction in ("likes", "follows"):
            for i in range(3):
                pipeline.process_item(make_edge(account * 10 + i, interaction))
        pipeline.process_item(AccountItem(id=account, permalink=f"a{account}", username=f"A {account}",
                                          followers_count=account * 7, followings_count=1, track_count=2))
        pipeline.crawler.signals.send_catch_log(persist_account_edges, spider=None, permalink=f"a{account}")


def what_readers_see(output_dir: Path) -> tuple:
    """The analysis readers' view: distinct edges per account pair, and the account labels."""
    counts = count_edges(output_dir / "edges")
    pairs = {kind: sorted(zip(*(arrays[c].tolist() for c in ("src_id", "dst_id", "count"))))
             for kind, arrays in counts.by_interaction.items()}
    labels = LabelCollector()
    crawled = collect_account_labels(output_dir / "accounts", labels)
    table = labels.labels(range(ACCOUNTS * 2)).reset_index().to_dict("records")
    return counts.unique_edges, pairs, crawled, table


def test_close_merges_the_crawls_files_with_rows_and_schema_exact(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-a", PARQUET_FLUSH_SECONDS=0)
    crawl_accounts(pipeline)
    small = part_files(tmp_path)
    assert len(small) == 3 * ACCOUNTS  # likes, follows, accounts per finished account
    before = {path.parent: [] for path in small}
    for path in small:
        before[path.parent].append(pq.read_table(path))
    seen_before = what_readers_see(tmp_path)

    pipeline.close_spider()

    merged = part_files(tmp_path)
    assert [(p.parent.name, p.name) for p in merged] == [
        ("accounts", "part-crawl-a-c00000.parquet"),
        ("interaction=follows", "part-crawl-a-c00000.parquet"),
        ("interaction=likes", "part-crawl-a-c00000.parquet")]
    for path in merged:
        table = pq.read_table(path)
        assert table.equals(pa.concat_tables(before[path.parent]))  # same rows, same order
        assert table.schema.equals(ACCOUNT_SCHEMA if path.parent.name == "accounts" else EDGE_SCHEMA)
    assert what_readers_see(tmp_path) == seen_before
    assert stat(pipeline, "parquet/files_compacted") == 3 * ACCOUNTS
    assert stat(pipeline, "parquet/compacted_files_written") == 3
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]  # no temp file, the lock is gone


def test_in_a_running_crawl_the_merge_runs_off_the_event_loop(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, PARQUET_FLUSH_SECONDS=0)
    crawl_accounts(pipeline, accounts=100)
    lock = pipeline.lock.path

    async def close_while_the_loop_ticks() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        ticker = asyncio.create_task(tick())
        closing = pipeline.close_spider()
        assert closing is not None and lock.exists()  # Scrapy awaits it; the crawl id is still held
        await closing
        ticker.cancel()
        return ticks

    assert asyncio.run(close_while_the_loop_ticks()) > 5  # the loop kept running while files merged
    assert len(part_files(tmp_path)) == 3 and not lock.exists()


def test_merged_files_hold_at_most_max_rows(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="crawl-a", PARQUET_FLUSH_SECONDS=0, PARQUET_COMPACT_MAX_ROWS=7)
    crawl_accounts(pipeline)  # 3 rows per file: two files per merged file
    pipeline.close_spider()
    likes = part_files(tmp_path / "edges" / "interaction=likes")
    assert [pq.read_metadata(path).num_rows for path in likes] == [6] * (ACCOUNTS // 2)
    assert all(parse_part_file(path).merged for path in likes)


def test_other_crawls_files_are_never_touched(tmp_path: Path) -> None:
    other = make_pipeline(tmp_path, CRAWL_ID="crawl-b", PARQUET_FLUSH_SECONDS=0, PARQUET_COMPACT_ON_CLOSE=False)
    crawl_accounts(other, first=100)
    other.close_spider()
    theirs = {path: path.read_bytes() for path in part_files(tmp_path)}
    # Same CRAWL_ID prefix on purpose: "crawl-b" must not be taken for a file of "crawl".
    mine = make_pipeline(tmp_path, CRAWL_ID="crawl", PARQUET_FLUSH_SECONDS=0)
    crawl_accounts(mine)
    mine.close_spider()
    assert {path: path.read_bytes() for path in part_files(tmp_path) if "crawl-b" in path.name} == theirs
    assert sorted(p.name for p in part_files(tmp_path) if "crawl-b" not in p.name) == ["part-crawl-c00000.parquet"] * 3


def test_a_delete_that_fails_leaves_duplicates_the_readers_drop(tmp_path: Path, monkeypatch) -> None:
    pipeline = make_pipeline(tmp_path, PARQUET_FLUSH_SECONDS=0)
    crawl_accounts(pipeline)
    seen_before = what_readers_see(tmp_path)

    def disk_refuses(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(compaction, "delete_part_file", disk_refuses)
    pipeline.close_spider()  # does not raise: every row is on disk either way
    files = part_files(tmp_path)
    assert len(files) == 3 * ACCOUNTS + 3  # all small files, plus the merged ones
    assert count_edges(tmp_path / "edges").edges_read == 2 * 2 * 3 * ACCOUNTS  # each edge twice
    assert what_readers_see(tmp_path) == seen_before


def test_an_unreadable_file_stays_and_the_rest_merge(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, CRAWL_ID="x", PARQUET_FLUSH_SECONDS=0, PARQUET_COMPACT_ON_CLOSE=False)
    crawl_accounts(pipeline, accounts=4)
    pipeline.close_spider()
    likes = tmp_path / "edges" / "interaction=likes"
    broken = likes / "part-x-00099.parquet"
    broken.write_bytes(b"not parquet")
    result = compact_files(sorted(likes.glob("part-*")), "x", 100, "zstd")
    assert result.left_behind == [broken] and result.files_merged == 4 and result.rows == 12
    assert sorted(p.name for p in likes.iterdir()) == ["part-x-00099.parquet", "part-x-c00000.parquet"]


def test_part_file_names() -> None:
    assert parse_part_file(Path("part-likes-20260102T030405-42-00007.parquet")) == compaction.PartFile(
        Path("part-likes-20260102T030405-42-00007.parquet"), "likes-20260102T030405-42", False)
    assert parse_part_file(Path("part-job-c5-c00001.parquet")).crawl_id == "job-c5"
    assert parse_part_file(Path("part-job-c5-c00001.parquet")).merged
    assert parse_part_file(Path(".part-a-00001.parquet.tmp")) is None


@pytest.mark.timeout(120)
def test_kill_between_rename_and_deletes_loses_nothing(tmp_path: Path) -> None:
    """kill -9 of a real process right after the merged file is in place and one small file is
    gone: the readers see what they saw before; `scmap.compact` then finishes the job."""
    script = tmp_path / "crawl.py"
    script.write_text(textwrap.dedent("""
        import os, shutil, signal
        from pathlib import Path
        from scmap.pipelines import compaction
        from tests.pipelines.test_compaction import crawl_accounts
        from tests.pipelines.test_parquet_writer import make_pipeline

        pipeline = make_pipeline(Path("out"), CRAWL_ID="killed", PARQUET_FLUSH_SECONDS=0)
        crawl_accounts(pipeline)
        shutil.copytree("out", "before")  # what the crawl wrote, kept for comparison
        deleted = []

        def delete_then_die(path):
            os.unlink(path)
            deleted.append(path)
            if len(deleted) == 2:
                os.kill(os.getpid(), signal.SIGKILL)

        compaction.delete_part_file = delete_then_die
        pipeline.close_spider()
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=100)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    out = tmp_path / "out"
    merged = [p for p in part_files(out) if parse_part_file(p).merged]
    assert len(merged) == 1 and len(part_files(out)) == 1 + 3 * ACCOUNTS - 2
    assert what_readers_see(out) == what_readers_see(tmp_path / "before")

    from scmap.compact import main
    assert main([str(out), "--min-age", "0"], out=open(os.devnull, "w")) == 0
    assert len(part_files(out)) <= 3 + 1 and what_readers_see(out) == what_readers_see(tmp_path / "before")
