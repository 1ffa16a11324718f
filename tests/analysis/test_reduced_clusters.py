"""analysis/reduced_clusters.py: scenes found in the PCA space."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.reduced_clusters import find_scenes_by, graph_communities


def _blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (6, 50))
    truth = np.repeat(np.arange(6), [120, 100, 80, 60, 40, 30])
    return centres[truth] + rng.normal(0, 1.5, (len(truth), 50)), truth


@pytest.mark.parametrize("method", ["graph", "pca-hdbscan"])
def test_reduced_space_methods_find_planted_groups(method: str) -> None:
    points, truth = _blobs()
    found = find_scenes_by(method, points[:, :2], points, "cosine" if method == "graph" else "euclidean")
    assert adjusted_rand_score(truth, found) > 0.95
    assert found[truth == 0][0] == 0  # numbered by size


def test_noise_and_tiny_maps_give_no_scenes() -> None:
    rng = np.random.default_rng(1)
    assert (graph_communities(rng.normal(size=(8, 5))) == -1).all()
    with pytest.raises(ValueError):
        find_scenes_by("kmeans", np.zeros((3, 2)), np.zeros((3, 5)))
