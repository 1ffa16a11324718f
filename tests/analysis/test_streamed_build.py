"""The streamed build (edges spilled per source bucket, float32 scores, t-SNE's large-map settings)
against the in-memory path it replaced (one bucket, float64 scores, one t-SNE over all points), on
a held-out world with planted scenes (tests/analysis/quality_worlds.py).

Tolerances: the edge counts and the emergence dates are identical; float32 scores agree with
float64 to 1e-6 relative, and so do the PCA coordinates (to 1e-4 of each component's spread);
the t-SNE map of float32 input keeps >= 0.75 of each account's 10 nearest map neighbours
(t-SNE reshuffles within scenes on any change of input) and its 10-NN scene agreement within
0.02; the large-map settings draw a different map (uniform 15-neighbour affinities, a coarser
grid: the scenes' places on the plane differ, as between any two t-SNE runs), so they are held
to the scenes: 10-NN planted-scene agreement within 0.05 of the standard run's and over 5x chance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from analysis import api
from analysis.generations import emergence_from_edges
from analysis.interaction_matrix import build_score_matrix, drop_dominated, drop_low_total, normalize_rows
from analysis.pca import reduce_with_pca
from analysis.edge_scores import score_edges
from analysis.read_edges import count_edges
from analysis.time_slices import window_filter
from analysis.tsne import embed_with_tsne
from quality_worlds import write_world

SEED = 42


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    # 15 scenes of ~100 crawled accounts: enough for 15 nearest neighbours to stay within a scene
    return write_world("planted", tmp_path_factory.mktemp("streamed") / "planted", sources=1500, scenes=15)


def matrix_of(counts, dtype):
    matrix = build_score_matrix(dict(counts.by_interaction), api.get_recipe("article").weights, dtype=dtype)
    return normalize_rows(drop_dominated(drop_low_total(matrix, 50), 0.4), in_place=True)


def neighbours(xy: np.ndarray, k: int = 10) -> np.ndarray:
    return NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy, return_distance=False)[:, 1:]


def shared_neighbours(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(neighbours(a), neighbours(b))]))


@pytest.fixture(scope="module")
def both_paths(world: Path) -> dict:
    in_memory = count_edges(world / "edges", rows_per_bucket=10**12)   # one bucket: nothing spilled
    streamed = count_edges(world / "edges", rows_per_bucket=5_000)     # many buckets on disk
    old, new = matrix_of(in_memory, np.float64), matrix_of(streamed, np.float32)
    pca_old = reduce_with_pca(old.scores, 50, SEED).coordinates
    pca_new = reduce_with_pca(new.scores, 50, SEED).coordinates
    full = embed_with_tsne(pca_old, 30, SEED, large_data="off")
    return {"counts": (in_memory, streamed), "matrices": (old, new), "pca": (pca_old, pca_new), "full_map": full}


def test_streamed_edge_counts_are_identical(both_paths) -> None:
    in_memory, streamed = both_paths["counts"]
    assert streamed.edges_read == in_memory.edges_read and streamed.unique_edges == in_memory.unique_edges
    for interaction, pairs in in_memory.by_interaction.items():
        order_a = np.lexsort((pairs["dst_id"], pairs["src_id"]))
        other = streamed.by_interaction[interaction]
        order_b = np.lexsort((other["dst_id"], other["src_id"]))
        for column in ("src_id", "dst_id", "count"):
            assert np.array_equal(pairs[column][order_a], other[column][order_b])


@pytest.mark.parametrize("weights, window", [
    ({"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}, None),    # the article's
    ({"likes": 0.7, "comments": 0.0, "reposts": 2.3, "follows": 1.1}, None),    # fractional, one type off
    ({"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}, ("2024-02-01", "2024-03-01")),  # a window
])
def test_scored_in_one_pass_equals_pairs_then_matrix(world: Path, both_paths, weights, window) -> None:
    """score_edges (buckets of sources straight into matrix rows) against count_edges' pair lists
    summed type by type (build_score_matrix): the same matrix to the bit, kinds and figures."""
    import pandas as pd
    row_filter = None if window is None else window_filter(*(pd.Timestamp(day, tz="UTC") for day in window))
    pairs = count_edges(world / "edges", rows_per_bucket=10**12, row_filter=row_filter)
    expected = build_score_matrix(dict(pairs.by_interaction), weights, track_kinds=True)
    scored = score_edges(world / "edges", weights, row_filter=row_filter, rows_per_bucket=5_000)
    got = scored.matrix
    assert got.scores.nnz > 1000 and got.scores.dtype == expected.scores.dtype
    assert np.array_equal(got.row_ids, expected.row_ids) and np.array_equal(got.column_ids, expected.column_ids)
    assert np.array_equal(got.scores.indptr, expected.scores.indptr)
    assert np.array_equal(got.scores.indices, expected.scores.indices)
    assert np.array_equal(got.scores.data, expected.scores.data)
    assert np.array_equal(got.kinds, expected.kinds) and got.kind_names == expected.kind_names
    assert (scored.counts.edges_read, scored.counts.unique_edges, scored.counts.per_interaction) == (
        pairs.edges_read, pairs.unique_edges, pairs.per_interaction)


def test_float32_scores_and_pca_agree_with_float64(both_paths) -> None:
    old, new = both_paths["matrices"]
    assert new.scores.dtype == np.float32 and np.array_equal(old.row_ids, new.row_ids)
    assert np.allclose(new.scores.toarray(), old.scores.toarray(), rtol=1e-6, atol=1e-9)
    pca_old, pca_new = both_paths["pca"]
    spread = pca_old.std(axis=0)
    assert np.all(np.abs(pca_new[:, :10] - pca_old[:, :10]) <= 1e-4 * spread[:10])


def test_tsne_of_float32_input_keeps_the_neighbourhoods(world: Path, both_paths) -> None:
    """t-SNE amplifies 1e-7 differences into a reshuffle inside each scene (measured: 0.86 of the
    10 nearest map neighbours kept), never across scenes."""
    old_matrix, _ = both_paths["matrices"]
    old, new = both_paths["full_map"], embed_with_tsne(both_paths["pca"][1], 30, SEED, large_data="off")
    assert shared_neighbours(old, new) >= 0.75
    truth = api.load_truth(world / "truth.parquet")
    before, after = api.score(old_matrix.row_ids, old, truth), api.score(old_matrix.row_ids, new, truth)
    assert abs(after["neighbour_scene_agreement"] - before["neighbour_scene_agreement"]) <= 0.02


def test_large_map_settings_keep_the_scenes(world: Path, both_paths) -> None:
    old, _ = both_paths["matrices"]
    pca_old, _ = both_paths["pca"]
    truth = api.load_truth(world / "truth.parquet")
    full = both_paths["full_map"]
    large = embed_with_tsne(pca_old, 30, SEED, large_data="on")
    full_score = api.score(old.row_ids, full, truth)
    large_score = api.score(old.row_ids, large, truth)
    assert large_score["neighbour_scene_agreement"] >= full_score["neighbour_scene_agreement"] - 0.05
    assert large_score["neighbour_scene_agreement"] > 5 * large_score["chance"]


def test_streamed_emergence_is_identical(world: Path, both_paths, monkeypatch) -> None:
    ids = both_paths["matrices"][0].row_ids
    one_part = emergence_from_edges(world / "edges", ids)
    monkeypatch.setattr("analysis.generations.ROWS_PER_PART", 5_000)
    spilled = emergence_from_edges(world / "edges", ids)
    assert one_part.equals(spilled) and one_part["emerged_at"].notna().all()
