"""The analysis as a library, for notebooks and scripts: each step callable on its own,
taking and returning plain pandas / numpy / scipy objects. ``python -m analysis.build_map``
is a thin command line over these same functions.

    from analysis import api
    counts = api.count_interactions(["crawl-a/edges", "crawl-b/edges"])  # several crawls as one
    matrix = api.build_matrix(counts, recipe="scenes")        # scipy.sparse CSR + row/column ids
    points = api.reduce(matrix, recipe="scenes")              # numpy, accounts x 50 (PCA)
    xy = api.embed(points, recipe="scenes")                   # numpy, accounts x 2 (t-SNE)
    scenes = api.find_scenes(xy)                              # numpy, a scene number per account
    truth = api.load_truth("world/users.parquet")             # pandas Series id -> set of scenes
    api.score(matrix.row_ids, xy, truth, points)              # {"neighbour_scene_agreement": ...}

or all at once: ``api.make_map(edges_dirs, recipe="scenes")`` -> :class:`MapResult`.
Recipes are in :mod:`analysis.recipes` (``article`` = the seed article's method, the default).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from analysis.account_labels import LabelCollector
from analysis.clusters import UNCLUSTERED, centrality_within_cluster, find_neighbourhoods, name_clusters, rank_members
from analysis.datasets import DatasetPaths
from analysis.errors import TooFewAccounts
from analysis.object_links import music_of_scenes
from analysis.read_objects import read_objects
from analysis.interaction_matrix import (InteractionMatrix, build_score_matrix, drop_dominated, drop_low_total,
                                         drop_rare_columns, l2_normalize_rows, normalize_rows, positive_pmi,
                                         row_totals, scale_columns_by_intensity)
from analysis.palette import stable_scene_colours
from analysis.pca import PcaResult, reduce_with_pca
from analysis.quality import load_scene_sets, neighbour_scene_agreement, sampled_trustworthiness
from analysis.read_accounts import collect_account_labels
from analysis.edge_scores import score_edges
from analysis.read_edges import EdgeCounts, collect_edge_labels, count_edges, open_edges
from analysis.recipes import Recipe, get_recipe
from analysis.tsne import embed_with_tsne

__all__ = ["read_edges", "count_interactions", "build_matrix", "MatrixStages", "reduce", "embed", "find_scenes",
           "name_scenes", "describe_scenes", "load_truth", "score", "make_map", "MapResult", "InteractionMatrix", "Recipe",
           "read_objects", "music_of_scenes"]


def read_edges(edges: DatasetPaths, columns: list[str] | None = None,
               interactions: list[str] | None = None) -> pd.DataFrame:
    """The raw edge rows (one per interaction seen, duplicates from re-crawls included) of one
    or several crawls' ``edges/`` directories, with the ``interaction`` column."""
    dataset = open_edges(edges)
    row_filter = ds.field("interaction").isin(interactions) if interactions else None
    return dataset.to_table(columns=columns, filter=row_filter).to_pandas()


def count_interactions(edges: DatasetPaths, row_filter: ds.Expression | None = None) -> pd.DataFrame:
    """Distinct edges counted per (src_id, dst_id, interaction): a re-crawled edge counts once,
    also across several crawls. Columns ``src_id, dst_id, interaction, count``. ``row_filter``:
    only these rows, e.g. a time window (``analysis.time_slices.window_filter(since, until)``)."""
    counts = count_edges(edges, row_filter=row_filter)
    frames = [pd.DataFrame({"src_id": pairs["src_id"], "dst_id": pairs["dst_id"],
                            "interaction": interaction, "count": pairs["count"]})
              for interaction, pairs in counts.by_interaction.items()]
    if not frames:
        return pd.DataFrame({"src_id": pd.Series(dtype="int64"), "dst_id": pd.Series(dtype="int64"),
                             "interaction": pd.Series(dtype="object"), "count": pd.Series(dtype="int32")})
    return pd.concat(frames, ignore_index=True)


@dataclass
class MatrixStages:
    """What :func:`build_matrix_stages` makes: ``shares`` (rows summing to 1: who each account
    gives its attention to, used for neighbours and scene names) and ``reduced_input`` (what
    PCA reads: the recipe's weighting), ``totals`` (each row's score sum before it became shares:
    share x total = the score, for the graph export), plus the rows x columns after each step."""

    shares: InteractionMatrix
    reduced_input: InteractionMatrix
    totals: np.ndarray
    steps: list[dict] = field(default_factory=list)


def _counts_by_type(counts: pd.DataFrame | EdgeCounts | Mapping) -> dict:
    if isinstance(counts, EdgeCounts):
        return counts.by_interaction
    if isinstance(counts, pd.DataFrame):
        return {str(t): {c: group[c].to_numpy() for c in ("src_id", "dst_id", "count")}
                for t, group in counts.groupby("interaction", sort=True)}
    return dict(counts)


def _step(matrix: InteractionMatrix, name: str) -> dict:
    return {"step": name, "rows": int(matrix.shape[0]), "columns": int(matrix.shape[1]),
            "nonzeros": int(matrix.scores.nnz)}


def _require_rows(matrix: InteractionMatrix, after: str, steps: list[dict], min_rows: int) -> None:
    if matrix.shape[0] < min_rows:
        left = "no accounts" if matrix.shape[0] == 0 else f"fewer than {min_rows} accounts"
        raise TooFewAccounts(f"{left} left after {after}: nothing to map (relax the filter)", steps)


def build_matrix_stages(counts: pd.DataFrame | EdgeCounts | Mapping | InteractionMatrix, recipe: str | Recipe = "article",
                        consume: bool = False, track_kinds: bool = False, min_rows: int = 1) -> MatrixStages:
    """Weights, row filters, rare-column filter and the recipe's weighting. ``consume`` frees
    each interaction type's counts once used (``counts`` must then be an EdgeCounts or dict);
    ``counts`` may also be the score matrix made with the recipe's weights
    (:func:`analysis.edge_scores.score_edges`: the streamed path), which the stages then consume;
    ``track_kinds`` keeps, in ``shares.kinds``, which interaction types make up each entry.
    Raises :class:`TooFewAccounts` when a row filter leaves fewer than ``min_rows`` accounts."""
    recipe = get_recipe(recipe)
    steps = []
    if isinstance(counts, InteractionMatrix):  # scored already (analysis/edge_scores.py)
        matrix = counts
    else:
        matrix = build_score_matrix(_counts_by_type(counts), recipe.weights, consume=consume, track_kinds=track_kinds)
    steps.append(_step(matrix, "crawled (sources)"))
    _require_rows(matrix, "weighting (every interaction type has weight 0?)", steps, min_rows)
    # The matrix is this function's own (built here, or handed over to be consumed): filter in place.
    matrix = drop_low_total(matrix, recipe.min_total, in_place=True)
    steps.append(_step(matrix, f"score sum >= {recipe.min_total:g}"))
    _require_rows(matrix, f"--min-total {recipe.min_total:g}", steps, min_rows)
    # The share filter reads max / sum, so it runs before normalising: one copy fewer.
    matrix = drop_dominated(matrix, recipe.max_share, in_place=True)
    steps.append(_step(matrix, f"largest share <= {recipe.max_share:g}"))
    _require_rows(matrix, f"--max-share {recipe.max_share:g}", steps, min_rows)
    if recipe.min_column_accounts > 1:
        matrix = drop_rare_columns(matrix, recipe.min_column_accounts)
        steps.append(_step(matrix, f"columns >= {recipe.min_column_accounts} accounts"))
    totals = row_totals(matrix)
    if recipe.weighting == "intensity":
        reduced_input = normalize_rows(scale_columns_by_intensity(matrix), in_place=True)
        shares = normalize_rows(matrix, in_place=True)
        steps.append(_step(reduced_input, "columns / mean intensity, shares"))
    elif recipe.weighting == "ppmi":
        # PMI of the shares: every account's attention counts the same, however active it is.
        shares = normalize_rows(matrix, in_place=True)
        reduced_input = l2_normalize_rows(positive_pmi(shares), in_place=True)
        steps.append(_step(reduced_input, "positive PMI, unit rows"))
    elif recipe.normalize:
        shares = reduced_input = normalize_rows(matrix, in_place=True)
    else:  # raw scores into PCA, for comparison only
        reduced_input, shares = matrix, normalize_rows(matrix)
    return MatrixStages(shares, reduced_input, totals, steps)


def build_matrix(counts: pd.DataFrame | EdgeCounts | Mapping, recipe: str | Recipe = "article") -> InteractionMatrix:
    """The matrix PCA reads under ``recipe``: ``.scores`` (scipy CSR, accounts x accounts they
    interacted with), ``.row_ids``, ``.column_ids`` (numpy int64)."""
    return build_matrix_stages(counts, recipe).reduced_input


def reduce(matrix: InteractionMatrix, recipe: str | Recipe = "article", seed: int = 42) -> np.ndarray:
    """Centred PCA to the recipe's number of components: accounts x components."""
    return reduce_with_details(matrix, recipe, seed).coordinates


def reduce_with_details(matrix: InteractionMatrix, recipe: str | Recipe = "article", seed: int = 42) -> PcaResult:
    return reduce_with_pca(matrix.scores, get_recipe(recipe).pca_components, seed)


def embed(points: np.ndarray, recipe: str | Recipe = "article", seed: int = 42, jobs: int | None = None,
          gradient: str = "auto", initialization: np.ndarray | None = None, large_data: str = "auto") -> np.ndarray:
    """t-SNE of the PCA coordinates to 2-D (accounts x 2), with the recipe's metric and perplexity;
    ``initialization``: start positions (accounts x 2) instead of PCA's, e.g. a previous map's;
    ``large_data``: the large-map settings (uniform 15-neighbour affinities, a coarser FFT grid;
    analysis/tsne.py) "auto" (from 500,000 accounts), "on" or "off"."""
    recipe = get_recipe(recipe)
    return embed_with_tsne(points, recipe.perplexity, seed, jobs, gradient, metric=recipe.metric,
                           initialization=initialization, large_data=large_data)


def find_scenes(xy: np.ndarray, seed: int = 42) -> np.ndarray:
    """A scene number per account (0 = largest, -1 = between scenes): HDBSCAN on the map."""
    return find_neighbourhoods(xy, seed=seed)


def collect_labels(edges: DatasetPaths, accounts: DatasetPaths | None, ids: np.ndarray) -> tuple[LabelCollector, int]:
    """Names, permalinks and followers of accounts `ids`: from crawled profiles (`accounts`),
    then from the edges that name them; an account seen only as a source gets its permalink
    from its own edges. Returns the labels (``.labels(index)`` -> DataFrame) and how many
    crawled profiles were read."""
    labels = LabelCollector()
    crawled = collect_account_labels(accounts, labels)
    collect_edge_labels(edges, ids, labels)
    missing = np.setdiff1d(ids, np.fromiter(labels.ids_with("permalink"), np.int64))
    if len(missing):
        collect_edge_labels(edges, np.array([], np.int64), labels, source_permalinks_for=missing)
    return labels, crawled


def name_scenes(scenes: np.ndarray, shares: InteractionMatrix, names: list[str],
                followers: np.ndarray) -> dict[int, str]:
    """``{scene: "name A / name B"}`` after each scene's most central members."""
    centrality = centrality_within_cluster(shares.scores, shares.row_ids, shares.column_ids, scenes)
    return name_clusters(scenes, centrality, names, followers)


def describe_scenes(scenes: np.ndarray, shares: InteractionMatrix, names: list[str], followers: np.ndarray,
                    central: int = 5) -> pd.DataFrame:
    """One row per scene (largest first): ``scene``, ``label`` (its two most central names),
    ``size``, ``central`` (positions of its ``central`` most central accounts), ``central_id``
    and ``colour`` (stable: follows the scene's most central account, not its number)."""
    if not (scenes != UNCLUSTERED).any():
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in (
            ("scene", "int64"), ("label", "object"), ("size", "int64"), ("central", "object"),
            ("central_id", "int64"), ("colour", "object"))})
    centrality = centrality_within_cluster(shares.scores, shares.row_ids, shares.column_ids, scenes)
    ranked = rank_members(scenes, centrality, followers)
    frame = pd.DataFrame({
        "scene": list(ranked), "label": [" / ".join(names[i] for i in m[:2]) for m in ranked.values()],
        "size": [len(m) for m in ranked.values()], "central": [m[:central].tolist() for m in ranked.values()],
        "central_id": [int(shares.row_ids[m[0]]) for m in ranked.values()]})
    frame["colour"] = stable_scene_colours(frame["central_id"].tolist())
    return frame


def load_truth(path: Path | str) -> pd.Series:
    """A ground-truth table (``id``, ``scene``, optional ``scenes`` ``|``-separated) as a Series
    id -> frozenset of scene names."""
    return load_scene_sets(Path(path))


def score(ids: np.ndarray, xy: np.ndarray, truth: pd.Series, points: np.ndarray | None = None,
          seed: int = 42, k: int = 10) -> dict:
    """How well the map keeps the true scenes together, for the accounts the truth knows:
    ``neighbour_scene_agreement`` (share of each account's k nearest map neighbours sharing a
    scene with it), its ``chance`` level (scenes shuffled) and, given the high-dimensional
    ``points``, ``trustworthiness`` of the map against them."""
    known = np.isin(ids, truth.index.to_numpy())
    sets = list(truth.reindex(np.asarray(ids)[known]))
    result = {"accounts_scored": int(known.sum())}
    if known.sum() < 3:
        return result
    shuffled = [sets[i] for i in np.random.default_rng(seed).permutation(len(sets))]
    result["neighbour_scene_agreement"] = neighbour_scene_agreement(xy[known], sets, k)
    result["chance"] = neighbour_scene_agreement(xy[known], shuffled, k)
    if points is not None:
        result["trustworthiness"] = sampled_trustworthiness(points, xy, seed, k)
    return result


@dataclass
class MapResult:
    """One map: ``ids`` (mapped accounts), ``points`` (PCA), ``xy`` (the map), ``scenes``,
    the ``shares`` matrix, the matrix ``steps``, the PCA details and seconds per stage."""

    recipe: Recipe
    ids: np.ndarray
    points: np.ndarray
    xy: np.ndarray
    scenes: np.ndarray
    shares: InteractionMatrix
    steps: list[dict]
    pca: PcaResult
    seconds: dict[str, float]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"id": self.ids, "x": self.xy[:, 0], "y": self.xy[:, 1], "scene": self.scenes})


def make_map(edges: DatasetPaths | pd.DataFrame | EdgeCounts, recipe: str | Recipe = "article", seed: int = 42,
             scenes: bool = True, jobs: int | None = None) -> MapResult:
    """Every step at once, from edge directories (or counts already read)."""
    recipe = get_recipe(recipe)
    seconds = {}
    began = time.perf_counter()
    counts = edges if isinstance(edges, (pd.DataFrame, EdgeCounts)) else score_edges(edges, recipe.weights).matrix
    seconds["read"] = time.perf_counter() - began
    mark = time.perf_counter()
    stages = build_matrix_stages(counts, recipe)
    seconds["matrix"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pca = reduce_with_details(stages.reduced_input, recipe, seed)
    seconds["pca"] = time.perf_counter() - mark
    mark = time.perf_counter()
    xy = embed(pca.coordinates, recipe, seed, jobs)
    seconds["tsne"] = time.perf_counter() - mark
    mark = time.perf_counter()
    found = find_scenes(xy, seed) if scenes else np.full(len(xy), UNCLUSTERED)
    seconds["scenes"] = time.perf_counter() - mark
    return MapResult(recipe, stages.shares.row_ids, pca.coordinates, xy, found, stages.shares, stages.steps, pca,
                     seconds)
