"""Each step of the recipes on small matrices whose answers can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis import api
from analysis.errors import MapBuildError
from analysis.interaction_matrix import (InteractionMatrix, drop_rare_columns, l2_normalize_rows, positive_pmi,
                                         scale_columns_by_intensity)
from analysis.recipes import RECIPES, get_recipe


def matrix(dense) -> InteractionMatrix:
    dense = np.asarray(dense, dtype=float)
    return InteractionMatrix(sp.csr_matrix(dense), np.arange(dense.shape[0]) * 10, np.arange(dense.shape[1]) * 100)


def test_drop_rare_columns_keeps_columns_two_rows_share_and_their_ids() -> None:
    m = matrix([[1, 2, 0, 5], [0, 3, 0, 1], [0, 0, 0, 0], [4, 1, 7, 0]])
    kept = drop_rare_columns(m, 2)
    assert kept.column_ids.tolist() == [0, 100, 300]
    assert kept.scores.toarray().tolist() == [[1, 2, 5], [0, 3, 1], [0, 0, 0], [4, 1, 0]]
    assert drop_rare_columns(m, 1) is m


def test_intensity_divides_each_column_by_its_mean_nonzero_score() -> None:
    m = matrix([[50, 2], [30, 0], [10, 4]])
    scaled = scale_columns_by_intensity(m).scores.toarray()
    assert scaled.tolist() == [[50 / 30, 2 / 3], [1.0, 0], [10 / 30, 4 / 3]]
    assert m.scores.toarray()[0, 0] == 50  # not in place unless asked


def test_positive_pmi_matches_the_formula_and_drops_negatives() -> None:
    dense = np.array([[4.0, 1.0, 0.0], [1.0, 4.0, 2.0]])
    got = positive_pmi(matrix(dense)).scores.toarray()
    total, rows, columns = dense.sum(), dense.sum(1, keepdims=True), dense.sum(0, keepdims=True)
    with np.errstate(divide="ignore"):
        expected = np.maximum(np.log(dense * total / (rows * columns)), 0)
    assert np.allclose(got, expected)
    assert got[0, 1] == 0 and got[0, 0] > 0


def test_l2_rows_have_unit_length_and_empty_rows_stay_empty() -> None:
    got = l2_normalize_rows(matrix([[3, 4], [0, 0], [0, 2]])).scores.toarray()
    assert np.allclose(got, [[0.6, 0.8], [0, 0], [0, 1]])


def counts_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    src = np.repeat(np.arange(n), 40)
    dst = np.where(rng.random(len(src)) < 0.7, (src // 20) * 20 + rng.integers(0, 20, len(src)), rng.integers(0, 300, len(src)))
    frame = pd.DataFrame({"src_id": src, "dst_id": dst, "interaction": "likes", "count": 2})
    return frame.groupby(["src_id", "dst_id", "interaction"], as_index=False)["count"].sum()


def test_article_recipe_gives_row_shares_and_scenes_the_intensity_weighting() -> None:
    counts = counts_frame()
    article = api.build_matrix_stages(counts, "article")
    assert article.reduced_input is article.shares
    assert np.allclose(article.shares.scores.sum(axis=1), 1)
    assert [s["step"] for s in article.steps] == ["crawled (sources)", "score sum >= 50", "largest share <= 0.4"]
    scenes = api.build_matrix_stages(counts, "scenes")
    assert [s["step"] for s in scenes.steps][-2:] == ["columns >= 2 accounts", "columns / mean intensity, shares"]
    assert np.allclose(scenes.reduced_input.scores.sum(axis=1), 1)
    assert not np.allclose(scenes.reduced_input.scores.data, scenes.shares.scores.data)
    assert (np.bincount(scenes.shares.scores.indices) >= 2).all()


def test_recipe_lookup_overrides_and_errors() -> None:
    assert get_recipe("article") is RECIPES["article"]
    changed = get_recipe("scenes").with_changes(perplexity=50.0, min_total=None)
    assert changed.perplexity == 50 and changed.min_total == RECIPES["scenes"].min_total
    assert changed.parameters()["weighting"] == "intensity"
    with pytest.raises(MapBuildError, match="unknown recipe"):
        get_recipe("nope")
    with pytest.raises(MapBuildError, match="unknown metric"):
        RECIPES["article"].with_changes(metric="manhattan")


def test_embed_uses_the_recipe_metric_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(c, 0.3, (40, 5)) for c in (0, 3)]) + 5
    first = api.embed(points, "scenes", seed=3)
    assert first.shape == (80, 2)
    assert np.allclose(first, api.embed(points, "scenes", seed=3))
    assert not np.allclose(first, api.embed(points, "article", seed=3))


def test_kinds_record_which_types_make_each_entry_and_follow_the_filters() -> None:
    from analysis.interaction_matrix import build_score_matrix, drop_low_total, normalize_rows

    counts = {
        "likes": {"src_id": np.array([1, 1, 2, 3]), "dst_id": np.array([10, 11, 10, 12]), "count": np.array([60, 5, 1, 70])},
        "follows": {"src_id": np.array([1, 3, 3]), "dst_id": np.array([11, 12, 13]), "count": np.array([1, 1, 1])},
    }
    m = build_score_matrix(counts, {"likes": 1, "follows": 3}, track_kinds=True)
    assert m.kind_names == ("follows", "likes")
    dense_kinds = sp.csr_matrix((m.kinds, m.scores.indices, m.scores.indptr), shape=m.shape).toarray()
    # rows 1, 2, 3; columns 10, 11, 12, 13; bit 0 = follows, bit 1 = likes
    assert dense_kinds.tolist() == [[2, 3, 0, 0], [2, 0, 0, 0], [0, 0, 3, 1]]
    kept = normalize_rows(drop_low_total(m, 50))  # drops account 2 and column 10 stays (account 1)
    assert kept.row_ids.tolist() == [1, 3] and kept.kind_names == m.kind_names
    dense_kept = sp.csr_matrix((kept.kinds, kept.scores.indices, kept.scores.indptr), shape=kept.shape).toarray()
    assert dense_kept.tolist() == [[2, 3, 0, 0], [0, 0, 3, 1]]
    assert np.allclose(kept.scores.toarray()[1], [0, 0, 73 / 76, 3 / 76])  # scores untouched by kinds
    rare = drop_rare_columns(kept, 1)
    assert rare.kinds is kept.kinds
