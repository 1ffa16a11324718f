"""analysis/read_objects.py: the objects dataset beside the edges, newest row per object."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.read_objects import objects_dirs, read_objects
from object_dataset import write_objects


def _frame(object_ids: list[int], titles: list[str], scraped: str, crawl: str) -> pd.DataFrame:
    n = len(object_ids)
    return pd.DataFrame({
        "object_id": object_ids, "owner_id": [1] * n, "title": titles, "permalink": [f"t{i}" for i in object_ids],
        "created_at": pd.Timestamp("2021-05-01", tz="UTC"), "genre": [None] * n, "tags": [["a", "b c"]] * n,
        "duration_ms": 1000, "playback_count": 1, "likes_count": 1, "reposts_count": None, "comment_count": 1,
        "scraped_at": pd.Timestamp(scraped, tz="UTC"), "crawl_id": crawl})


def test_newest_row_of_each_object_wins_across_crawls_and_kinds(tmp_path: Path) -> None:
    write_objects(tmp_path / "a" / "objects", {"track": _frame([1, 2], ["old one", "two"], "2026-01-01", "c1"),
                                               "playlist": _frame([1], ["a playlist"], "2026-01-01", "c1")})
    write_objects(tmp_path / "b" / "objects", {"track": _frame([1], ["new one"], "2026-02-01", "c2")})
    (tmp_path / "a" / "edges").mkdir()
    (tmp_path / "b" / "edges").mkdir()
    dirs = objects_dirs([tmp_path / "a" / "edges", tmp_path / "b" / "edges"])
    objects = read_objects(dirs).set_index(["kind", "object_id"])
    assert len(objects) == 3  # track 1 once, track 2, playlist 1 (same id, another object)
    assert objects.loc[("track", 1), "title"] == "new one"
    assert objects.loc[("playlist", 1), "title"] == "a playlist"
    assert list(objects.loc[("track", 2), "tags"]) == ["a", "b c"] and pd.isna(objects.loc[("track", 2), "genre"])


def test_a_crawl_without_objects_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "edges").mkdir()
    assert objects_dirs(tmp_path / "edges") == []
    assert read_objects([tmp_path / "objects"]) is None
    (tmp_path / "objects").mkdir()
    assert read_objects(tmp_path / "objects") is None  # an empty directory too
