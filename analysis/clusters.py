"""Optional scene labels: neighbourhoods found on the 2-D map, each named after its most
central accounts (those receiving the largest share of interactions from the other members).

HDBSCAN on the t-SNE plane: t-SNE already gathers scenes into dense islands, and HDBSCAN
needs no cluster count and leaves the scattered accounts between islands unlabelled (-1),
which fits the article's point that scene borders are blurry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import NearestNeighbors

UNCLUSTERED = -1
MAX_FIT_POINTS = 20_000


def find_neighbourhoods(coordinates: np.ndarray, min_cluster_size: int | None = None,
                        max_fit_points: int = MAX_FIT_POINTS, seed: int = 0) -> np.ndarray:
    """A cluster number per point (-1: between islands). Clusters are numbered by size.

    HDBSCAN costs about a minute at 100,000 points; above ``max_fit_points`` it is fitted on
    a seeded sample and every other point takes the cluster of its nearest sampled point."""
    n_points = len(coordinates)
    fitted = coordinates
    if n_points > max_fit_points:
        sample = np.random.default_rng(seed).choice(n_points, size=max_fit_points, replace=False)
        fitted = coordinates[sample]
    if min_cluster_size is None:
        min_cluster_size = max(5, len(fitted) // 150)
    if len(fitted) < 2 * min_cluster_size:
        return np.full(n_points, UNCLUSTERED, dtype=np.int64)
    raw = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min(10, min_cluster_size),
                  copy=True).fit_predict(fitted)
    if len(fitted) < n_points:
        nearest = NearestNeighbors(n_neighbors=1).fit(fitted).kneighbors(coordinates, return_distance=False)
        raw = raw[nearest[:, 0]]
    # Renumber by size (largest = 0) so numbering is stable and meaningful.
    found = pd.Series(raw[raw != UNCLUSTERED]).value_counts()
    renumber = {old: new for new, old in enumerate(sorted(found.index, key=lambda c: (-found[c], c)))}
    return np.array([renumber.get(c, UNCLUSTERED) for c in raw], dtype=np.int64)


def centrality_within_cluster(shares: sp.csr_matrix, row_ids: np.ndarray, column_ids: np.ndarray,
                              clusters: np.ndarray) -> np.ndarray:
    """Per mapped account: the summed shares it receives from members of its own cluster."""
    # Columns that are themselves mapped accounts (row_ids are sorted).
    positions = np.searchsorted(row_ids, column_ids)
    positions = np.clip(positions, 0, len(row_ids) - 1)
    column_is_mapped = row_ids[positions] == column_ids
    # Only entries whose column is a mapped account matter: find them without expanding the
    # whole matrix to coordinates (120 million entries at 100,000 accounts).
    entries = np.flatnonzero(column_is_mapped[shares.indices])
    giver = np.searchsorted(shares.indptr, entries, side="right") - 1
    receiver = positions[shares.indices[entries]]
    same_cluster = (clusters[giver] == clusters[receiver]) & (clusters[giver] != UNCLUSTERED)
    same_cluster &= giver != receiver  # liking oneself does not make one central
    return np.bincount(receiver[same_cluster], weights=shares.data[entries][same_cluster], minlength=len(row_ids))


def rank_members(clusters: np.ndarray, centrality: np.ndarray, followers: np.ndarray) -> dict[int, np.ndarray]:
    """``{cluster: member positions, most central first}`` (ties, e.g. no inner interactions
    at all, go to the most followed, then the lower position)."""
    ranked = {}
    order_all = np.argsort(clusters, kind="stable")
    sorted_clusters = clusters[order_all]
    for cluster in sorted(set(clusters.tolist()) - {UNCLUSTERED}):
        lo, hi = np.searchsorted(sorted_clusters, [cluster, cluster + 1])
        members = order_all[lo:hi]
        order = np.lexsort((members, -np.nan_to_num(followers[members].astype(float)), -centrality[members]))
        ranked[cluster] = members[order]
    return ranked


def name_clusters(clusters: np.ndarray, centrality: np.ndarray, names: list[str],
                  followers: np.ndarray, names_per_label: int = 2) -> dict[int, str]:
    """``{cluster: "name A / name B"}`` after the cluster's most central members."""
    return {cluster: " / ".join(names[i] for i in members[:names_per_label])
            for cluster, members in rank_members(clusters, centrality, followers).items()}
