"""Scenes found in the data, not in the picture: clusters of the reduced (PCA-50) rows rather than
of the 2-D t-SNE map (analysis/clusters.py).

``graph``: a k-nearest-neighbour graph of the PCA rows (the recipe's metric: cosine for
``scenes``), Louvain communities on it (networkx, BSD licence: already a dependency for the
graph export; Leiden's reference implementation, leidenalg, is GPL-3 and would bind the project to
it). ``pca-hdbscan``: HDBSCAN on the unit-length PCA rows (scikit-learn, BSD). ``map``: HDBSCAN
on the t-SNE plane, the original way, stays the default: against planted scenes it matched or
beat both on every world measured (bench/bench_scene_words.py; figures in docs/analysis.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import NearestNeighbors

from analysis.clusters import UNCLUSTERED, find_neighbourhoods

CLUSTER_METHODS = ("map", "graph", "pca-hdbscan")
DEFAULT_CLUSTER_METHOD = "map"  # measured best against planted scenes (docs/analysis.md)
GRAPH_NEIGHBOURS = 15


def min_scene_size(n_points: int) -> int:
    """The smallest group called a scene: the map's HDBSCAN rule (n / 150, at least 5)."""
    return max(5, n_points // 150)


def find_scenes_by(method: str, map_xy: np.ndarray, points: np.ndarray, metric: str = "euclidean",
                   seed: int = 42) -> np.ndarray:
    """A scene number per account (0 = largest, -1 = none) by ``method`` (CLUSTER_METHODS)."""
    if method == "map":
        return find_neighbourhoods(map_xy, seed=seed)
    if method == "graph":
        return graph_communities(points, metric=metric, seed=seed)
    if method == "pca-hdbscan":
        return reduced_hdbscan(points)
    raise ValueError(f"cluster method must be one of {CLUSTER_METHODS}")


def graph_communities(points: np.ndarray, k: int = GRAPH_NEIGHBOURS, metric: str = "euclidean",
                      seed: int = 42, min_size: int | None = None) -> np.ndarray:
    """Louvain communities of the symmetric k-NN graph (edge weight: 1 per direction that names
    the other as a neighbour); communities under ``min_size`` are no scene (-1)."""
    import networkx as nx

    n_points = len(points)
    min_size = min_scene_size(n_points) if min_size is None else min_size
    if n_points < 2 * min_size or n_points <= k:
        return np.full(n_points, UNCLUSTERED, dtype=np.int64)
    neighbours = NearestNeighbors(n_neighbors=k + 1, metric=metric).fit(points).kneighbors(points,
                                                                                           return_distance=False)
    source = np.repeat(np.arange(n_points), k)
    target = neighbours[:, 1:].ravel()
    pairs = pd.DataFrame({"a": np.minimum(source, target), "b": np.maximum(source, target)})
    weights = pairs[pairs["a"] != pairs["b"]].value_counts().reset_index(name="weight")
    graph = nx.Graph()
    graph.add_nodes_from(range(n_points))
    graph.add_weighted_edges_from(weights[["a", "b", "weight"]].itertuples(index=False, name=None))
    labels = np.full(n_points, UNCLUSTERED, dtype=np.int64)
    for number, community in enumerate(nx.community.louvain_communities(graph, weight="weight", seed=seed)):
        labels[list(community)] = number
    return _numbered_by_size(labels, min_size)


def reduced_hdbscan(points: np.ndarray, min_size: int | None = None) -> np.ndarray:
    """HDBSCAN on the unit-length PCA rows (euclidean on unit vectors ranks like cosine)."""
    n_points = len(points)
    min_size = min_scene_size(n_points) if min_size is None else min_size
    if n_points < 2 * min_size:
        return np.full(n_points, UNCLUSTERED, dtype=np.int64)
    unit = points / np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-12)
    labels = HDBSCAN(min_cluster_size=min_size, min_samples=min(10, min_size), copy=True).fit_predict(unit)
    return _numbered_by_size(labels, min_size)


def _numbered_by_size(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Largest = 0; groups under ``min_size`` become -1."""
    sizes = pd.Series(labels[labels != UNCLUSTERED]).value_counts()
    kept = sorted((c for c in sizes.index if sizes[c] >= min_size), key=lambda c: (-sizes[c], c))
    renumber = {old: new for new, old in enumerate(kept)}
    return np.array([renumber.get(c, UNCLUSTERED) for c in labels.tolist()], dtype=np.int64)
