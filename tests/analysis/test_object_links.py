"""analysis/object_links.py + map_page.tying_lists: the objects that tie an account to a neighbour
(edges joined with objects), most recent first, at most 5, with their titles and URL paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.account_labels import LabelCollector
from analysis.map_page import tying_lists
from analysis.object_links import TYING_SHOWN, music_of_scenes
from analysis.read_objects import read_objects
from edge_dataset import write_edges
from object_dataset import OBJECT_FILE_SCHEMA, write_objects

A, B, C = 10, 20, 30


def _objects(kind: str, ids: list[int], owner: int, genre: str) -> pd.DataFrame:
    frame = pd.DataFrame({"object_id": ids, "owner_id": owner, "title": [f"{kind} {i}" for i in ids],
                          "permalink": [f"{kind}-{i}" for i in ids], "created_at": pd.Timestamp("2020-01-01", tz="UTC"),
                          "genre": genre, "tags": [["x"]] * len(ids), "scraped_at": pd.Timestamp("2026-01-01", tz="UTC"),
                          "crawl_id": "c1"})
    for column in OBJECT_FILE_SCHEMA.names:
        if column not in frame:
            frame[column] = None
    return frame


def test_objects_tying_two_accounts_most_recent_first(tmp_path: Path) -> None:
    day = pd.Timestamp("2025-01-01", tz="UTC")
    edges = pd.DataFrame(
        [(A, B, "likes", "track", 100 + n, day + pd.Timedelta(days=n)) for n in range(7)]   # 7 of B's tracks
        + [(A, B, "reposts", "playlist", 100, day + pd.Timedelta(days=30)),               # B's playlist, same id
           (A, B, "comments", "track", 106, day + pd.Timedelta(days=40)),                 # a track again: once
           (A, C, "likes", "track", 300, day), (B, A, "likes", "track", 200, day),
           (A, B, "follows", "user", B, None)],
        columns=["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"])
    write_edges(tmp_path / "edges", edges)
    write_objects(tmp_path / "objects", {"track": pd.concat([_objects("track", list(range(100, 107)), B, "jerk"),
                                                             _objects("track", [200], A, "jerk"),
                                                             _objects("track", [300], C, "jerk")]),
                                         "playlist": _objects("playlist", [100], B, "jerk")})
    objects = read_objects(tmp_path / "objects")
    ids, columns = np.array([A, B]), np.array([A, B, C])
    neighbour_columns = np.array([[1, 2], [0, -1]])
    words, links = music_of_scenes(tmp_path / "edges", objects, ids, columns, neighbour_columns,
                                   np.array([-1, -1]), [])
    assert links.per_account[0].sum() > 0 and words.scenes == {}

    labels = LabelCollector()
    labels.add(pd.DataFrame({"id": [A, B, C], "permalink": ["a", "b", "c"],
                             "scraped_at": pd.Timestamp("2026-01-01", tz="UTC")}))
    tying, listed = tying_lists([[1, 2], [0]], len(columns), links.tying, objects, labels)
    a_to_b = [listed[i] for i in tying[0][0]]
    assert len(a_to_b) == TYING_SHOWN
    assert a_to_b[:3] == [("track 106", "b/track-106"), ("playlist 100", "b/sets/playlist-100"),
                          ("track 105", "b/track-105")]
    assert [listed[i] for i in tying[0][1]] == [("track 300", "c/track-300")]
    assert [listed[i] for i in tying[1][0]] == [("track 200", "a/track-200")]
    assert len(listed) == 7  # only the objects referenced
