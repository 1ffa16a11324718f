"""Steps 2-3 on tiny hand-made matrices: weights, both filters, normalisation."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import MapBuildError
from analysis.interaction_matrix import (DEFAULT_WEIGHTS, ParkedMatrix, build_score_matrix, drop_dominated,
                                         drop_low_total, normalize_rows, parse_weights)


def counts(rows: list[tuple[int, int, str, int]]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["src_id", "dst_id", "interaction", "count"])
    return {t: group.drop(columns="interaction") for t, group in frame.groupby("interaction")}


def dense(matrix) -> dict:
    array = matrix.scores.toarray()
    return {(int(r), int(c)): float(array[i, j]) for i, r in enumerate(matrix.row_ids)
            for j, c in enumerate(matrix.column_ids) if array[i, j]}


def test_parse_weights() -> None:
    assert parse_weights("likes=1,comments=3,reposts=3,follows=3") == DEFAULT_WEIGHTS
    assert parse_weights(" likes=2 , follows=0.5") == {"likes": 2.0, "follows": 0.5}
    for bad in ("likes", "likes=x", "likes=-1", "=3", "likes=0"):
        with pytest.raises(MapBuildError):
            parse_weights(bad)


def test_score_is_likes_plus_three_times_the_rest() -> None:
    matrix = build_score_matrix(counts([(1, 10, "likes", 4), (1, 10, "comments", 1), (1, 10, "reposts", 2),
                                        (1, 20, "follows", 1), (2, 10, "likes", 7)]), DEFAULT_WEIGHTS)
    assert dense(matrix) == {(1, 10): 4 + 3 * 1 + 3 * 2, (1, 20): 3.0, (2, 10): 7.0}
    assert list(matrix.row_ids) == [1, 2] and list(matrix.column_ids) == [10, 20]


def test_custom_weights_and_unweighted_types() -> None:
    matrix = build_score_matrix(counts([(1, 10, "likes", 4), (1, 10, "follows", 1), (1, 30, "shares", 9)]),
                                {"likes": 0.5, "follows": 10})
    assert dense(matrix) == {(1, 10): 2 + 10}


def test_ids_are_sorted_whatever_the_input_order() -> None:
    rows = [(5, 50, "likes", 1), (3, 70, "likes", 2), (4, 60, "follows", 1)]
    a, b = build_score_matrix(counts(rows), DEFAULT_WEIGHTS), build_score_matrix(counts(rows[::-1]), DEFAULT_WEIGHTS)
    assert list(a.row_ids) == [3, 4, 5] and dense(a) == dense(b)


def test_consume_releases_each_type() -> None:
    by_type = counts([(1, 10, "likes", 4), (1, 10, "follows", 1), (1, 30, "shares", 9)])
    build_score_matrix(by_type, DEFAULT_WEIGHTS, consume=True)
    assert list(by_type) == ["shares"]  # unweighted types are left alone


def test_min_total_keeps_exactly_the_threshold_and_drops_empty_columns() -> None:
    matrix = build_score_matrix(counts([(1, 10, "likes", 50), (2, 10, "likes", 49), (2, 20, "likes", 0),
                                        (3, 30, "likes", 49), (3, 30, "follows", 1)]), DEFAULT_WEIGHTS)
    kept = drop_low_total(matrix, 50)
    assert list(kept.row_ids) == [1, 3] and list(kept.column_ids) == [10, 30]


def test_normalise_divides_each_row_by_its_sum() -> None:
    shares = normalize_rows(build_score_matrix(counts([(1, 10, "likes", 10), (1, 20, "likes", 90),
                                                       (2, 10, "likes", 1), (2, 30, "likes", 9)]), DEFAULT_WEIGHTS))
    assert np.allclose(shares.scores.sum(axis=1), 1)
    # The article's example: 10 of 100 likes and 1 of 10 likes weigh the same.
    assert dense(shares)[(1, 10)] == pytest.approx(dense(shares)[(2, 10)]) == pytest.approx(0.1)


def test_max_share_drops_rows_over_the_limit_only() -> None:
    shares = normalize_rows(build_score_matrix(counts([
        (1, 10, "likes", 40), (1, 20, "likes", 60),     # largest 0.6: dropped
        (2, 10, "likes", 40), (2, 30, "likes", 30), (2, 40, "likes", 30),  # exactly 0.4: kept
        (3, 30, "likes", 41), (3, 50, "likes", 59),     # 0.59: dropped
    ]), DEFAULT_WEIGHTS))
    kept = drop_dominated(shares, 0.4)
    assert list(kept.row_ids) == [2] and list(kept.column_ids) == [10, 30, 40]


def test_share_filter_gives_the_same_rows_on_raw_and_normalised_scores() -> None:
    matrix = build_score_matrix(counts([(1, 10, "likes", 40), (1, 20, "likes", 60), (2, 10, "likes", 40),
                                        (2, 30, "likes", 30), (2, 40, "likes", 30)]), DEFAULT_WEIGHTS)
    raw, normalised = drop_dominated(matrix, 0.4), drop_dominated(normalize_rows(matrix), 0.4)
    assert list(raw.row_ids) == list(normalised.row_ids) == [2]
    assert matrix.scores.sum() == 200  # normalize_rows copies unless asked to work in place
    normalize_rows(matrix, in_place=True)
    assert np.isclose(matrix.scores.sum(), 2)


def test_normalising_an_empty_row_is_an_error() -> None:
    matrix = build_score_matrix(counts([(1, 10, "likes", 0)]), DEFAULT_WEIGHTS)
    with pytest.raises(MapBuildError):
        normalize_rows(matrix)


def test_a_parked_matrix_comes_back_the_same_and_leaves_no_files(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    matrix = build_score_matrix(counts([(1, 10, "likes", 4), (1, 20, "comments", 1), (2, 10, "follows", 1)]),
                                DEFAULT_WEIGHTS, track_kinds=True)
    parked = ParkedMatrix(matrix)
    assert any(tmp_path.iterdir())
    back = parked.restore()
    assert not any(tmp_path.iterdir())
    assert (back.scores != matrix.scores).nnz == 0 and back.scores.dtype == np.float32
    assert list(back.row_ids) == [1, 2] and list(back.kinds) == list(matrix.kinds) and back.kind_names == matrix.kind_names


def test_filtering_in_place_equals_filtering_a_copy(monkeypatch) -> None:
    """keep_rows(in_place=True) moves kept entries over the dropped ones block by block: same
    matrix, kinds and ids as the copying path, with blocks smaller than the matrix."""
    import analysis.interaction_matrix as interaction_matrix
    from analysis.interaction_matrix import keep_rows

    monkeypatch.setattr(interaction_matrix, "_ENTRIES_PER_CHUNK", 11)
    rng = np.random.default_rng(3)
    rows = [(int(s), int(d), t, int(c)) for s, d, t, c in zip(
        rng.integers(0, 60, 2_000), rng.integers(0, 300, 2_000),
        rng.choice(["likes", "comments", "follows"], 2_000), rng.integers(1, 9, 2_000))]
    rows = list({(s, d, t): (s, d, t, c) for s, d, t, c in rows}.values())
    keep = rng.random(60) < 0.6
    copied = keep_rows(build_score_matrix(counts(rows), DEFAULT_WEIGHTS, track_kinds=True), keep)
    moved = keep_rows(build_score_matrix(counts(rows), DEFAULT_WEIGHTS, track_kinds=True), keep, in_place=True)
    assert copied.shape[0] == keep.sum() and copied.shape[1] < 300
    assert dense(moved) == dense(copied)
    assert np.array_equal(moved.row_ids, copied.row_ids) and np.array_equal(moved.column_ids, copied.column_ids)
    assert np.array_equal(moved.scores.indptr, copied.scores.indptr)
    assert np.array_equal(moved.kinds, copied.kinds) and len(moved.scores.data) == moved.scores.nnz
    shares = normalize_rows(moved, in_place=True)  # divided in blocks of <= 11 entries (a longer row alone)
    assert np.allclose(shares.scores.toarray(), copied.scores.toarray() / copied.scores.toarray().sum(axis=1, keepdims=True))
