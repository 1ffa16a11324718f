"""Clear failures: non-zero exit and one readable line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from edge_dataset import write_edges

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.build_map", "--quiet", *args], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("build_map: error:")
    for fragment in fragments:
        assert fragment in lines[0]


def small_crawl(root: Path, sources: int = 12, likes: int = 60) -> Path:
    rows = [{"src_id": s, "dst_id": 100 + (s * 7 + k) % 40, "interaction": "likes", "object_id": k}
            for s in range(1, sources + 1) for k in range(likes)]
    write_edges(root / "edges", pd.DataFrame(rows))
    return root


def test_missing_dataset(tmp_path: Path) -> None:
    assert_one_line_error(run(cwd=tmp_path), "not found", "output/edges")


def test_empty_dataset(tmp_path: Path) -> None:
    (tmp_path / "output" / "edges").mkdir(parents=True)
    assert_one_line_error(run(cwd=tmp_path), "empty")


def test_corrupt_file(tmp_path: Path) -> None:
    small_crawl(tmp_path / "output")
    (tmp_path / "output" / "edges" / "interaction=likes" / "part-x-0001.parquet").write_bytes(b"garbage" * 10)
    assert_one_line_error(run(cwd=tmp_path), "cannot read edge dataset")


@pytest.mark.parametrize("args, fragment", [
    (["--min-total", "1000000"], "--min-total"),
    (["--max-share", "0.0001"], "--max-share"),
    (["--weights", "likes=0,follows=3"], "weight 0"),
    (["--weights", "likes=one"], "bad --weights"),
])
def test_parameters_that_leave_no_rows(tmp_path: Path, args: list[str], fragment: str) -> None:
    small_crawl(tmp_path / "output")
    assert_one_line_error(run(*args, cwd=tmp_path), fragment)


def test_missing_accounts_dataset_is_only_a_warning(tmp_path: Path) -> None:
    small_crawl(tmp_path / "output")
    result = run(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "accounts dataset not found" in result.stderr
    assert (tmp_path / "output" / "map" / "map.html").exists()


def test_corrupt_objects_file(tmp_path: Path) -> None:
    crawl = small_crawl(tmp_path / "crawl")
    (crawl / "objects" / "kind=track").mkdir(parents=True)
    (crawl / "objects" / "kind=track" / "part-c1-0000.parquet").write_bytes(b"not parquet at all")
    assert_one_line_error(run("--input", str(crawl), "--min-total", "1", cwd=tmp_path), "objects", "part-c1-0000")
