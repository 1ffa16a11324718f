"""Scene neighbourhoods on the 2-D map and their names (most central members)."""

import numpy as np
import scipy.sparse as sp

from analysis.clusters import UNCLUSTERED, centrality_within_cluster, find_neighbourhoods, name_clusters


def test_finds_planted_islands_numbered_by_size() -> None:
    rng = np.random.default_rng(0)
    sizes = [60, 40, 25]
    xy = np.vstack([rng.normal(loc=(30 * i, 0), size=(n, 2)) for i, n in enumerate(sizes)])
    clusters = find_neighbourhoods(xy, min_cluster_size=10)
    start = 0
    for expected, size in enumerate(sizes):
        block = clusters[start:start + size]
        assert (block == expected).mean() > 0.9  # largest island is cluster 0
        start += size


def test_large_maps_fit_on_a_sample_and_label_every_point() -> None:
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal(loc=(40 * i, 0), size=(300, 2)) for i in range(3)])
    clusters = find_neighbourhoods(xy, max_fit_points=200)
    for island in range(3):
        block = clusters[island * 300:(island + 1) * 300]
        assert len(set(block.tolist()) - {UNCLUSTERED}) == 1 and (block != UNCLUSTERED).mean() > 0.9
    assert len(set(clusters.tolist()) - {UNCLUSTERED}) == 3


def test_too_few_points_stay_unclustered() -> None:
    assert (find_neighbourhoods(np.zeros((6, 2)), min_cluster_size=5) == UNCLUSTERED).all()


def test_names_come_from_the_most_central_members() -> None:
    # Accounts 10, 20, 30 in cluster 0; 40, 50 in cluster 1. Columns: 10, 20, 30, 40, 99 (not mapped).
    row_ids = np.array([10, 20, 30, 40, 50])
    column_ids = np.array([10, 20, 30, 40, 99])
    shares = sp.csr_matrix(np.array([
        [0.9, 0.0, 0.1, 0.0, 0.0],   # 10 likes itself mostly: self-interest does not count
        [0.0, 0.0, 0.6, 0.4, 0.0],   # 20 -> 30 (same cluster), -> 40 (other cluster: does not count)
        [0.0, 0.3, 0.0, 0.0, 0.7],   # 30 -> 20
        [0.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],   # 50 -> 40
    ]))
    clusters = np.array([0, 0, 0, 1, 1])
    centrality = centrality_within_cluster(shares, row_ids, column_ids, clusters)
    assert np.allclose(centrality, [0.0, 0.3, 0.7, 1.0, 0.0])
    names = ["ten", "twenty", "thirty", "forty", "fifty"]
    labels = name_clusters(clusters, centrality, names, np.array([5, 1, 1, 1, 9]), names_per_label=2)
    assert labels == {0: "thirty / twenty", 1: "forty / fifty"}
