"""analysis/time_slices.py: windows over the edges, slice calendars, and the alignment pieces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import MapBuildError
from analysis.read_edges import count_edges, open_edges
from analysis.time_slices import (SliceEmbedding, Window, align_to, clip_windows, dated_range, displacements,
                                  embed_slices, initial_positions, parse_date, rms_radius, similarity_transform,
                                  slice_windows, truth_by_slice, window_filter)
from edge_dataset import write_edges

T = pd.Timestamp


def utc(text: str) -> pd.Timestamp:
    return T(text, tz="UTC")


@pytest.fixture()
def edges_dir(tmp_path: Path) -> Path:
    rows = [
        {"src_id": 1, "dst_id": 2, "interaction": "likes", "object_id": 10, "created_at": utc("2020-12-31 23:59:59")},
        {"src_id": 1, "dst_id": 2, "interaction": "likes", "object_id": 11, "created_at": utc("2021-01-01")},
        {"src_id": 1, "dst_id": 3, "interaction": "comments", "object_id": 12, "created_at": utc("2021-07-01")},
        {"src_id": 1, "dst_id": 3, "interaction": "reposts", "object_id": 12, "created_at": utc("2022-01-01")},
        {"src_id": 1, "dst_id": 4, "interaction": "follows", "object_kind": "user", "object_id": 4, "created_at": pd.NaT},
        {"src_id": 1, "dst_id": 5, "interaction": "likes", "object_id": 13, "created_at": pd.NaT},  # unparsable date
    ]
    return write_edges(tmp_path / "edges", pd.DataFrame(rows).fillna({"object_kind": "track"}))


def pairs(counts) -> set[tuple[int, int, str]]:
    return {(int(s), int(d), t) for t, p in counts.by_interaction.items() for s, d in zip(p["src_id"], p["dst_id"])}


def test_window_keeps_dated_rows_in_since_until_and_excludes_undated_by_default(edges_dir: Path) -> None:
    counts = count_edges(edges_dir, row_filter=window_filter(utc("2021-01-01"), utc("2022-01-01")))
    assert pairs(counts) == {(1, 2, "likes"), (1, 3, "comments")}
    assert counts.edges_read == 2  # counts are of the window's rows


def test_follows_include_counts_every_undated_follow_but_not_other_undated_rows(edges_dir: Path) -> None:
    counts = count_edges(edges_dir, row_filter=window_filter(utc("2021-01-01"), utc("2022-01-01"), "include"))
    assert pairs(counts) == {(1, 2, "likes"), (1, 3, "comments"), (1, 4, "follows")}
    with pytest.raises(MapBuildError):
        window_filter(None, None, "sometimes")


def test_open_ended_windows(edges_dir: Path) -> None:
    assert pairs(count_edges(edges_dir, row_filter=window_filter(utc("2021-06-01"), None))) == {
        (1, 3, "comments"), (1, 3, "reposts")}
    assert pairs(count_edges(edges_dir, row_filter=window_filter(None, utc("2021-01-01")))) == {(1, 2, "likes")}


def test_dated_range_and_calendars(edges_dir: Path) -> None:
    first, last = dated_range(open_edges(edges_dir))
    assert (first, last) == (utc("2020-12-31 23:59:59"), utc("2022-01-01"))
    years = slice_windows(first, last, "year")
    assert [w.label for w in years] == ["2020", "2021", "2022"]
    assert years[1] == Window("2021", utc("2021-01-01"), utc("2022-01-01"))
    quarters = slice_windows(utc("2021-02-10"), utc("2021-08-01"), "quarter")
    assert [w.label for w in quarters] == ["2021Q1", "2021Q2", "2021Q3"]
    assert quarters[2].until == utc("2021-10-01")
    clipped = clip_windows(years, utc("2021-03-01"), utc("2022-01-01"))
    assert [(w.label, w.since) for w in clipped] == [("2021", utc("2021-03-01"))]
    with pytest.raises(MapBuildError):
        slice_windows(first, last, "month")


def test_parse_date_accepts_years_and_dates_and_rejects_the_rest() -> None:
    assert parse_date("2021", "--since") == utc("2021-01-01")
    assert parse_date("2021-06-15", "--until") == utc("2021-06-15")
    with pytest.raises(MapBuildError, match="--since"):
        parse_date("soon", "--since")


def test_initial_positions_keep_old_places_and_put_newcomers_among_their_neighbours() -> None:
    previous_ids = np.array([10, 11, 12, 13])
    previous_xy = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    ids = np.array([11, 13, 99, 12])
    points = np.array([[0.0, 0.1], [5.0, 5.1], [5.0, 5.0], [5.0, 4.9]])  # 99 sits by 12 and 13 in PCA space
    start = initial_positions(ids, points, previous_ids, previous_xy, k=2)
    np.testing.assert_allclose(start[[0, 1, 3]], previous_xy[[1, 3, 2]])
    np.testing.assert_allclose(start[2], [10.0, 10.5])
    assert initial_positions(ids, points, np.array([1, 2]), np.zeros((2, 2))) is None


def test_similarity_transform_recovers_rotation_scale_and_shift() -> None:
    rng = np.random.default_rng(0)
    source = rng.normal(size=(50, 2))
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = 3.0 * source @ rotation + np.array([5.0, -2.0])
    np.testing.assert_allclose(similarity_transform(source, target)(source), target, atol=1e-9)


def test_align_to_moves_a_map_onto_the_previous_one_over_shared_accounts() -> None:
    rng = np.random.default_rng(1)
    previous_xy = rng.normal(size=(30, 2))
    previous_ids = np.arange(30)
    ids = np.arange(5, 40)  # 25 shared, 10 new
    xy = np.vstack([previous_xy[5:] * -2.0 + 7.0, rng.normal(size=(10, 2))])  # mirrored, scaled, shifted
    aligned = align_to(ids, xy, previous_ids, previous_xy)
    np.testing.assert_allclose(aligned[:25], previous_xy[5:], atol=1e-9)
    assert displacements(ids, aligned, previous_ids, previous_xy).max() < 1e-9
    assert align_to(np.array([100, 101]), xy[:2], previous_ids, previous_xy) is not None  # too few shared: unchanged


def test_displacement_is_in_units_of_the_previous_maps_rms_radius() -> None:
    previous_xy = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    assert rms_radius(previous_xy) == pytest.approx(1.0)
    moved = previous_xy + np.array([0.5, 0.0])
    shifted = displacements(np.arange(4), moved, np.arange(4), previous_xy * 2)
    assert shifted.iloc[0] == pytest.approx(np.linalg.norm(moved[0] - previous_xy[0] * 2) / 2.0)
    assert list(displacements(np.arange(4), moved, np.arange(4), previous_xy, among=np.array([2])).index) == [2]


def test_embed_slices_starts_each_slice_from_the_previous_one_only_with_init() -> None:
    seen = []

    def fake_embed(points, start):
        seen.append(None if start is None else start.copy())
        return points[:, :2] * 1.0

    def slices():
        return [SliceEmbedding("a", np.array([1, 2, 3, 4]), np.array([[0, 0], [1, 0], [0, 1], [1, 1.0]])),
                SliceEmbedding("b", np.array([2, 3, 4, 5]), np.array([[6, 5], [5, 6], [6, 6], [7, 7.0]]))]

    result = embed_slices(slices(), fake_embed, "init")
    assert seen[0] is None and seen[1] is not None and result[1].started_from_previous
    np.testing.assert_allclose(seen[1][:3], [[1, 0], [0, 1], [1, 1]])
    # after alignment the shared accounts sit where they were (the fake embedding is a pure shift)
    np.testing.assert_allclose(result[1].xy[:3], [[1, 0], [0, 1], [1, 1]], atol=1e-9)
    seen.clear()
    result = embed_slices(slices(), fake_embed, "none")
    assert seen == [None, None] and not result[1].started_from_previous
    np.testing.assert_allclose(result[1].xy[0], [6, 5])
    with pytest.raises(MapBuildError):
        embed_slices(slices(), fake_embed, "magic")


def test_truth_by_slice_uses_the_slice_or_year_column() -> None:
    table = pd.DataFrame({"year": [2020, 2021, 2021], "id": [1, 1, 2], "scene": ["a", "b", "b"]})
    assert list(truth_by_slice(table)("2021Q3")["id"]) == [1, 2]
    assert list(truth_by_slice(table.drop(columns="year"))("2020")["id"]) == [1, 1, 2]
    labelled = table.assign(slice=["x", "y", "y"]).drop(columns="year")
    assert list(truth_by_slice(labelled)("x")["scene"]) == ["a"]


def test_truth_for_window_takes_each_accounts_latest_year_in_the_window() -> None:
    from analysis.time_slices import truth_for_window

    table = pd.DataFrame({"year": [2020, 2021, 2022, 2020], "id": [1, 1, 1, 2], "scene": ["a", "b", "c", "z"]})
    picked = truth_for_window(table, utc("2020-06-01"), utc("2022-01-01"))
    assert dict(zip(picked["id"], picked["scene"])) == {1: "b", 2: "z"}
    assert dict(zip(*[truth_for_window(table, None, None)[c] for c in ("id", "scene")])) == {1: "c", 2: "z"}
    assert truth_for_window(table.drop(columns="year"), None, None).equals(table.drop(columns="year"))
