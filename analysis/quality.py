"""Map quality against a ground-truth scene table (e.g. the sandbox world's users.parquet).

- neighbour scene agreement: for each account, the share of its 10 nearest neighbours on the
  2-D map that share a scene with it (accounts in two scenes count both: ``scenes`` overlap);
  the same figure with the scenes shuffled is the chance level;
- trustworthiness (scikit-learn) of the 2-D map against the PCA-50 space: are 2-D neighbours
  real neighbours? Computed on a seeded sample of at most 5,000 points (it is quadratic).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from analysis.datasets import first_line
from analysis.errors import MapBuildError

TRUSTWORTHINESS_SAMPLE = 5000


def load_scene_sets(truth_path: Path) -> pd.Series:
    """id -> frozenset of scenes, from a table with ``id`` and ``scene`` (and optionally ``scenes``,
    ``|``-separated)."""
    try:
        names = pq.read_schema(truth_path).names
        columns = [c for c in ("id", "scene", "scenes") if c in names]
        table = pq.read_table(truth_path, columns=columns).to_pandas()
    except (pa.ArrowException, OSError) as error:
        raise MapBuildError(f"cannot read --truth {truth_path}: {first_line(error)}") from None
    if "id" not in table or ("scene" not in table and "scenes" not in table):
        raise MapBuildError(f"--truth {truth_path} needs columns id and scene (or scenes)")
    return scene_sets_from_table(table)


def scene_sets_from_table(table: pd.DataFrame) -> pd.Series:
    """id -> frozenset of scenes from a DataFrame with ``id`` and ``scene`` and/or ``scenes``."""
    source = table["scenes"] if "scenes" in table else table["scene"]
    fallback = table["scene"] if "scene" in table else source
    sets = [frozenset(filter(None, str(value).split("|"))) if pd.notna(value) else frozenset([str(alt)])
            for value, alt in zip(source, fallback)]
    return pd.Series(sets, index=table["id"].astype("int64").to_numpy()).groupby(level=0).first()


def neighbour_scene_agreement(coordinates: np.ndarray, scene_sets: list[frozenset], k: int = 10) -> float:
    """Mean share of each point's k nearest map neighbours that share a scene with it.

    Vectorised over the distinct (own scenes, neighbour's scenes) pairs: a loop over 886k points'
    10 neighbours took about 30 s per call."""
    n_points = len(coordinates)
    k = min(k, n_points - 1)
    if k < 1:
        return float("nan")
    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(coordinates).kneighbors(coordinates)
    # Drop each point itself; where duplicates pushed it out of the list, drop the farthest instead.
    dropped = neighbours == np.arange(n_points)[:, None]
    dropped[~dropped.any(axis=1), -1] = True
    others = neighbours[~dropped].reshape(n_points, k)
    codes, distinct = pd.factorize(pd.Series(scene_sets, dtype=object))
    pairs = codes[:, None].astype(np.int64) * len(distinct) + codes[others]
    unique_pairs, inverse = np.unique(pairs, return_inverse=True)
    shares = np.array([bool(distinct[pair // len(distinct)] & distinct[pair % len(distinct)]) for pair in unique_pairs])
    return float(shares[inverse.reshape(n_points, k)].mean(axis=1).mean())


def sampled_trustworthiness(high_dim: np.ndarray, low_dim: np.ndarray, seed: int, k: int = 10,
                            max_points: int = TRUSTWORTHINESS_SAMPLE) -> float:
    n_points = len(high_dim)
    if n_points > max_points:
        sample = np.random.default_rng(seed).choice(n_points, size=max_points, replace=False)
        high_dim, low_dim, n_points = high_dim[sample], low_dim[sample], max_points
    k = min(k, (n_points - 1) // 2)  # scikit-learn requires k < n / 2
    if k < 1:
        return float("nan")
    return float(trustworthiness(high_dim, low_dim, n_neighbors=k))


def map_quality(ids: np.ndarray, map_xy: np.ndarray, pca_xy: np.ndarray, pca_50: np.ndarray,
                truth: pd.Series, seed: int) -> dict:
    """Quality figures for the mapped accounts that the truth table knows."""
    known = np.isin(ids, truth.index.to_numpy())
    result: dict = {"accounts_with_truth": int(known.sum()), "accounts_mapped": int(len(ids))}
    if known.sum() < 3:
        result["note"] = "too few mapped accounts in the truth table"
        return result
    scene_sets = list(truth.reindex(ids[known]))
    shuffled = [scene_sets[i] for i in np.random.default_rng(seed).permutation(len(scene_sets))]
    result["tsne_neighbour_scene_agreement"] = neighbour_scene_agreement(map_xy[known], scene_sets)
    result["pca_neighbour_scene_agreement"] = neighbour_scene_agreement(pca_xy[known], scene_sets)
    result["chance_neighbour_scene_agreement"] = neighbour_scene_agreement(map_xy[known], shuffled)
    result["tsne_trustworthiness"] = sampled_trustworthiness(pca_50, map_xy, seed)
    result["pca2_trustworthiness"] = sampled_trustworthiness(pca_50, pca_xy, seed)
    return result
