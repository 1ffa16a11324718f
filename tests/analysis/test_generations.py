"""analysis/generations.py: emergence dates (15 % quantile of track dates, fallback to own activity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from analysis.generations import emergence_dates, emergence_from_edges, generation_of, plot_generations
from edge_dataset import write_edges


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_emergence_is_the_15_percent_quantile_of_track_dates_else_own_activity() -> None:
    days = pd.date_range("2020-01-01", periods=21, freq="D", tz="UTC")
    tracks = pd.DataFrame({"id": [1] * 21 + [2], "first_seen": list(days) + [utc("2019-05-05")]})
    own = pd.Series([utc("2018-01-01"), utc("2017-03-03")], index=[2, 3])
    result = emergence_dates(np.array([1, 2, 3, 4]), tracks, own).set_index("id")
    assert result.loc[1, "emerged_at"] == utc("2020-01-04")  # 15 % of 20 days = day 3
    assert result.loc[2, "emerged_at"] == utc("2019-05-05")  # tracks win over own activity
    assert result.loc[3, "emerged_at"] == utc("2017-03-03") and result.loc[3, "emerged_from"] == "own_activity"
    assert pd.isna(result.loc[4, "emerged_at"]) and pd.isna(result.loc[4, "emerged_from"])
    assert list(result["emerged_from"][:2]) == ["tracks", "tracks"]


def test_generation_labels() -> None:
    stamps = pd.Series([utc("2019-08-01"), pd.NaT], dtype="datetime64[us, UTC]")
    labels = generation_of(stamps)
    assert labels[0] == "2019" and pd.isna(labels[1])
    assert generation_of(stamps, "quarter")[0] == "2019Q3"
    with pytest.raises(ValueError):
        generation_of(stamps, "decade")


def test_emergence_from_edges_uses_first_interaction_seen_on_each_track(tmp_path: Path) -> None:
    rows = [  # account 7's track 70 first liked 2019-01-01, track 71 first seen 2021-01-01
        {"src_id": 1, "dst_id": 7, "interaction": "likes", "object_id": 70, "created_at": utc("2019-06-01")},
        {"src_id": 2, "dst_id": 7, "interaction": "comments", "object_id": 70, "created_at": utc("2019-01-01")},
        {"src_id": 2, "dst_id": 7, "interaction": "reposts", "object_id": 71, "created_at": utc("2021-01-01")},
        {"src_id": 7, "dst_id": 1, "interaction": "likes", "object_id": 10, "created_at": utc("2015-01-01")},
        {"src_id": 8, "dst_id": 1, "interaction": "likes", "object_id": 10, "created_at": utc("2016-02-02")},
        {"src_id": 8, "dst_id": 7, "interaction": "follows", "object_kind": "user", "object_id": 7, "created_at": pd.NaT},
        {"src_id": 1, "dst_id": 9, "interaction": "likes", "object_kind": "playlist", "object_id": 90,
         "created_at": utc("2010-01-01")},  # a playlist is not an upload of 9's own track
    ]
    edges = write_edges(tmp_path / "edges", pd.DataFrame(rows).fillna({"object_kind": "track"}))
    result = emergence_from_edges(edges, np.array([7, 8, 9])).set_index("id")
    expected = utc("2019-01-01") + 0.15 * (utc("2021-01-01") - utc("2019-01-01"))
    assert abs(result.loc[7, "emerged_at"] - expected) < pd.Timedelta(seconds=1)
    assert result.loc[8, "emerged_at"] == utc("2016-02-02") and result.loc[8, "emerged_from"] == "own_activity"
    assert pd.isna(result.loc[9, "emerged_at"])


def test_plot_generations_writes_a_png(tmp_path: Path) -> None:
    xy = np.random.default_rng(0).normal(size=(50, 2))
    stamps = pd.Series(pd.date_range("2015-01-01", periods=50, freq="60D", tz="UTC"))
    stamps[3] = pd.NaT
    plot_generations(tmp_path / "g.png", xy, stamps)
    assert Image.open(tmp_path / "g.png").size[0] > 300


def test_upload_dates_come_first_then_the_fallbacks_per_account() -> None:
    from analysis.generations import prefer_upload_dates

    fallback = pd.DataFrame({"id": [1, 2, 3], "emerged_at": pd.Series([utc("2024-01-01"), utc("2024-02-01"), pd.NaT],
                                                                        dtype="datetime64[us, UTC]"),
                             "emerged_from": ["tracks", "own_activity", None]})
    uploads = pd.date_range("2015-01-01", periods=21, freq="D", tz="UTC")
    objects = pd.DataFrame({"kind": ["track"] * 21 + ["playlist", "track"], "owner_id": [1] * 21 + [2, 99],
                            "created_at": list(uploads) + [utc("2010-01-01"), utc("2011-01-01")]})
    result = prefer_upload_dates(fallback, objects).set_index("id")
    assert result.loc[1, "emerged_at"] == utc("2015-01-04") and result.loc[1, "emerged_from"] == "uploads"
    # a playlist is no upload of one's own tracks; account 2 keeps its fallback, 3 stays undated
    assert result.loc[2, "emerged_at"] == utc("2024-02-01") and result.loc[2, "emerged_from"] == "own_activity"
    assert pd.isna(result.loc[3, "emerged_at"]) and pd.isna(result.loc[3, "emerged_from"])
    assert prefer_upload_dates(fallback, None) is fallback  # a crawl without objects: unchanged
