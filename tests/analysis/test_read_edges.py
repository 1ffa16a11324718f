"""Step 1: reading the edge dataset, deduplication, counts per (src, dst, type), errors."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import MapBuildError
from analysis.read_edges import count_edges
from edge_dataset import write_edges

T = pd.Timestamp


def counts_of(result) -> dict:
    return {(int(src), int(dst), interaction): int(count)
            for interaction, pairs in result.by_interaction.items()
            for src, dst, count in zip(pairs["src_id"], pairs["dst_id"], pairs["count"])}


def test_duplicates_across_files_and_crawls_count_once(tmp_path: Path) -> None:
    edge = {"src_id": 1, "dst_id": 2, "interaction": "likes", "object_id": 10, "created_at": T("2024-01-01", tz="UTC")}
    edges = pd.DataFrame([
        {**edge, "crawl_id": "a", "scraped_at": T("2025-01-01", tz="UTC")},
        {**edge, "crawl_id": "b", "scraped_at": T("2025-02-01", tz="UTC")},  # re-crawl: same edge
        {**edge, "crawl_id": "b", "object_id": 11},                           # another track of the same artist
        {**edge, "crawl_id": "b", "created_at": T("2024-05-01", tz="UTC")},   # same track, another time
        {**edge, "crawl_id": "b", "interaction": "reposts"},                  # other type: its own count
    ])
    result = count_edges(write_edges(tmp_path / "edges", edges, files_per_type=2))
    assert counts_of(result) == {(1, 2, "likes"): 3, (1, 2, "reposts"): 1}
    assert result.edges_read == 5 and result.unique_edges == 4


def test_object_kind_is_part_of_the_identity(tmp_path: Path) -> None:
    edges = pd.DataFrame([{"src_id": 1, "dst_id": 2, "interaction": "likes", "object_id": 10, "object_kind": kind}
                          for kind in ("track", "playlist", "track")])
    assert counts_of(count_edges(write_edges(tmp_path / "edges", edges))) == {(1, 2, "likes"): 2}


def test_buckets_give_the_same_counts_as_one_pass(tmp_path: Path) -> None:
    rows = [{"src_id": s, "dst_id": d, "interaction": "likes", "object_id": o}
            for s in range(1, 30) for d in range(1, 6) for o in range(s % 4 + 1)]
    edges = write_edges(tmp_path / "edges", pd.DataFrame(rows + rows[:40]), files_per_type=3)
    assert counts_of(count_edges(edges, rows_per_bucket=17)) == counts_of(count_edges(edges))


def test_rows_without_ids_are_skipped(tmp_path: Path) -> None:
    edges = pd.DataFrame({"src_id": [1, None], "dst_id": [2, 3], "interaction": ["likes", "likes"],
                          "object_id": [5, 6]}).astype({"src_id": "Int64"})
    result = count_edges(write_edges(tmp_path / "edges", edges))
    assert counts_of(result) == {(1, 2, "likes"): 1} and result.rows_without_ids == 1


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MapBuildError, match="not found"):
        count_edges(tmp_path / "nowhere")


def test_empty_dataset_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "edges" / "interaction=likes").mkdir(parents=True)
    with pytest.raises(MapBuildError, match="empty"):
        count_edges(tmp_path / "edges")


def test_hidden_temp_files_are_ignored(tmp_path: Path) -> None:
    edges = write_edges(tmp_path / "edges", pd.DataFrame([{"src_id": 1, "dst_id": 2, "interaction": "likes"}]))
    (edges / "interaction=likes" / ".part-c1-0001.parquet").write_bytes(b"half written")
    assert counts_of(count_edges(edges)) == {(1, 2, "likes"): 1}


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    edges = write_edges(tmp_path / "edges", pd.DataFrame([{"src_id": 1, "dst_id": 2, "interaction": "likes"}]))
    (edges / "interaction=likes" / "part-c2-0000.parquet").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(MapBuildError, match="cannot read edge dataset"):
        count_edges(edges)


def test_follows_without_created_at_still_deduplicate(tmp_path: Path) -> None:
    follow = {"src_id": 1, "interaction": "follows", "object_kind": "user", "created_at": pd.NaT}
    edges = pd.DataFrame([{**follow, "dst_id": 2, "object_id": 2}, {**follow, "dst_id": 2, "object_id": 2},
                          {**follow, "dst_id": 3, "object_id": 3}])
    edges["created_at"] = pd.to_datetime(edges["created_at"], utc=True)
    assert counts_of(count_edges(write_edges(tmp_path / "edges", edges))) == {(1, 2, "follows"): 1, (1, 3, "follows"): 1}
