"""`python -m scmap.compact`: merges what killed crawls left behind, one crawl id at a time,
leaves live crawls alone, and says what is wrong with bad input in one line (exit 2)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scmap.compact import main
from scmap.pipelines.compaction import parse_part_file
from tests.pipelines.test_compaction import crawl_accounts, what_readers_see
from tests.pipelines.test_parquet_writer import make_pipeline, part_files

REPO_ROOT = Path(__file__).resolve().parents[1]


def killed_crawl(output_dir: Path, crawl_id: str, first: int) -> None:
    """A crawl that never reached its close: one small file per finished account and partition."""
    pipeline = make_pipeline(output_dir, CRAWL_ID=crawl_id, PARQUET_FLUSH_SECONDS=0, PARQUET_COMPACT_ON_CLOSE=False)
    crawl_accounts(pipeline, first=first)
    pipeline.close_spider()


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


def files_of(output_dir: Path, crawl_id: str) -> list[Path]:
    return [p for p in part_files(output_dir) if parse_part_file(p).crawl_id == crawl_id]


def test_compacts_every_killed_crawl_and_readers_see_the_same(tmp_path: Path) -> None:
    killed_crawl(tmp_path, "likes-20260101T000000-11", first=0)
    killed_crawl(tmp_path, "follows-20260101T000000-12", first=5)  # overlapping accounts: duplicates
    seen_before = what_readers_see(tmp_path)
    assert len(part_files(tmp_path)) == 2 * 3 * 12

    status, output = run(str(tmp_path), "--min-age", "0")

    assert status == 0, output
    assert [p.name for p in files_of(tmp_path, "likes-20260101T000000-11")] == ["part-likes-20260101T000000-11-c00000.parquet"] * 3
    assert len(files_of(tmp_path, "follows-20260101T000000-12")) == 3
    assert what_readers_see(tmp_path) == seen_before
    assert "likes-20260101T000000-11: 36 part files in 3 partitions" in output
    assert "  edges/interaction=likes: 12 files -> 1 (36 rows)" in output
    assert output.splitlines()[-1] == "compacted 72 part files into 6 (168 rows)"
    assert run(str(tmp_path), "--min-age", "0") == (0, "compacted 0 part files into 0 (0 rows)\n")


def test_a_crawl_that_is_still_writing_is_left_alone(tmp_path: Path) -> None:
    killed_crawl(tmp_path, "killed", first=0)
    live = make_pipeline(tmp_path, CRAWL_ID="live", PARQUET_FLUSH_SECONDS=0)  # holds its lock
    crawl_accounts(live, first=20)
    live_files = {p: p.read_bytes() for p in files_of(tmp_path, "live")}

    status, output = run(str(tmp_path), "--min-age", "0")

    assert status == 0
    assert "live: left alone, a running crawl writes it (it holds .writing-live.lock)" in output
    assert {p: p.read_bytes() for p in files_of(tmp_path, "live")} == live_files
    assert len(files_of(tmp_path, "killed")) == 3
    live.close_spider()  # the crawl merges its own files itself
    assert len(files_of(tmp_path, "live")) == 3


def test_recent_files_are_left_alone_by_default(tmp_path: Path) -> None:
    killed_crawl(tmp_path, "fresh", first=0)
    status, output = run(str(tmp_path))
    assert status == 0 and "fresh: left alone, its newest file is" in output
    assert "s old (under --min-age 120): a crawl may still write it" in output
    assert len(files_of(tmp_path, "fresh")) == 3 * 12
    old = 1_000_000_000  # files of a crawl killed long ago
    for path in part_files(tmp_path):
        os.utime(path, (old, old))
    assert run(str(tmp_path))[0] == 0 and len(files_of(tmp_path, "fresh")) == 3


@pytest.mark.parametrize("args, message", [
    (["{missing}"], "does not exist"),
    (["{file}"], "is not a directory"),
    (["{empty}"], "holds no crawl output (no edges/, accounts/ or objects/ in it)"),
    (["{empty}", "--min-age", "-1"], "--min-age -1 is negative"),
    (["{empty}", "--max-rows", "zero"], "argument --max-rows: invalid int value: 'zero'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "missing", "file": tmp_path / "file", "empty": tmp_path / "empty"}
    status, output = run(*(arg.format(**paths) for arg in args))
    error = capsys.readouterr().err
    assert status == 2 and output == ""
    assert error.count("\n") == 1 and error.startswith("scmap: error: ") and message in error


def test_the_command_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "scmap.compact", str(tmp_path / "nowhere")], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"scmap: error: OUTPUT_DIR '{tmp_path / 'nowhere'}' does not exist:"
                             " give the directory a crawl wrote into\n")
