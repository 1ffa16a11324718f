"""Quality figures: neighbour scene agreement (with scene overlap) and trustworthiness."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.quality import load_scene_sets, map_quality, neighbour_scene_agreement, sampled_trustworthiness


def test_agreement_is_one_for_separated_scenes_and_low_when_shuffled() -> None:
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal(loc=(50 * s, 0), size=(30, 2)) for s in range(4)])
    scenes = [frozenset([f"s{s}"]) for s in range(4) for _ in range(30)]
    assert neighbour_scene_agreement(xy, scenes) == 1.0
    shuffled = [scenes[i] for i in rng.permutation(len(scenes))]
    assert neighbour_scene_agreement(xy, shuffled) < 0.5


def test_overlapping_scenes_count_as_shared() -> None:
    xy = np.array([[0.0, 0], [1, 0], [2, 0], [50, 0], [51, 0], [52, 0]])
    scenes = [frozenset({"a"}), frozenset({"a", "b"}), frozenset({"b"}),
              frozenset({"c"}), frozenset({"c"}), frozenset({"c"})]
    # Point 1 shares with both neighbours; 0 and 2 share with 1 only (1 of 2 nearest).
    assert np.isclose(neighbour_scene_agreement(xy, scenes, k=2), (0.5 + 1 + 0.5 + 1 + 1 + 1) / 6)


def test_load_scene_sets_reads_scenes_column(tmp_path: Path) -> None:
    pd.DataFrame({"id": [1, 2], "scene": ["a", "b"], "scenes": ["a|c", "b"]}).to_parquet(tmp_path / "t.parquet")
    truth = load_scene_sets(tmp_path / "t.parquet")
    assert truth[1] == frozenset({"a", "c"}) and truth[2] == frozenset({"b"})


def test_trustworthiness_samples_and_detects_a_scrambled_map() -> None:
    rng = np.random.default_rng(0)
    high = rng.normal(size=(300, 10))
    assert sampled_trustworthiness(high, high[:, :2] * 0 + high[:, :2], seed=0, max_points=200) > \
        sampled_trustworthiness(high, rng.normal(size=(300, 2)), seed=0, max_points=200) + 0.1


def test_map_quality_only_counts_accounts_in_the_truth() -> None:
    truth = pd.Series([frozenset({"a"})] * 5, index=[1, 2, 3, 4, 5])
    ids = np.array([1, 2, 3, 4, 5, 6, 7])
    xy = np.random.default_rng(1).normal(size=(7, 2))
    result = map_quality(ids, xy, xy, np.hstack([xy, xy]), truth, seed=0)
    assert result["accounts_with_truth"] == 5 and result["tsne_neighbour_scene_agreement"] == 1.0


def test_vectorised_agreement_equals_the_loop_over_points() -> None:
    """Duplicate positions (a point missing from its own neighbour list) and overlapping scenes."""
    from sklearn.neighbors import NearestNeighbors
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(3_000, 2)).round(1)
    sets = [frozenset(rng.choice(list("abcdef"), size=rng.integers(1, 3), replace=False)) for _ in range(len(xy))]
    _, neighbours = NearestNeighbors(n_neighbors=11).fit(xy).kneighbors(xy)
    loop = np.mean([np.mean([bool(sets[i] & sets[j]) for j in [j for j in row if j != i][:10]])
                    for i, row in enumerate(neighbours)])
    assert neighbour_scene_agreement(xy, sets) == pytest.approx(loop, abs=1e-12)
