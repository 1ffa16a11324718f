"""Step 5b: t-SNE of the PCA-50 coordinates to the 2-D map (openTSNE).

Large maps use openTSNE's FFT-accelerated gradient (FIt-SNE): O(n) per iteration with
approximate nearest neighbours (Annoy), so 100,000 points take minutes on 2 cores, where
scikit-learn's Barnes-Hut t-SNE (O(n log n), mostly single-threaded) takes far longer.
Below 10,000 points openTSNE's own Barnes-Hut is faster (the FFT grid has a fixed cost per
iteration) and just as good, so "auto" picks it there, as openTSNE itself does. Threads only
pay off on large maps: on small ones their synchronisation costs more than they save.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import openTSNE.initialization
from openTSNE import TSNE
from openTSNE.affinity import Uniform

FFT_FROM_POINTS = 10_000
# Annoy's trees for the neighbour search from this many points: openTSNE's (FIt-SNE's) 50 trees
# find all 90 neighbours; 15 find 0.98 of them for 0.45x the CPU (bench/bench_tsne_route.py
# --neighbours), and at 1M the search took a third of t-SNE.
FEWER_TREES_FROM_POINTS = 100_000
ANNOY_TREES_LARGE = 15
# Large maps (from LARGE_MAP_FROM_POINTS, or large_data="on"): each of t-SNE's 750 iterations
# costs the attractive forces over every affinity plus the FFT grid of the repulsive ones, and at
# 886,344 points perplexity 30's 137 M affinities took 2-4 s per iteration (docs/analysis.md).
# So: uniform affinities over each point's 15 nearest neighbours (23 M), which Böhm, Berens &
# Kobak (JMLR 2022) found to give embeddings hardly distinguishable from perplexity 30; an FFT
# grid of one interval per 2 map units (openTSNE: 1), 3x cheaper at a 1M map's spread; and the
# points taken in the Z-order of their start, so that neighbours sit near each other in memory
# (the attractive forces read 1.8x faster).
LARGE_MAP_FROM_POINTS = 500_000
LARGE_MAP_NEIGHBOURS = 15
LARGE_MAP_INTS_IN_INTERVAL = 2
logging.getLogger("openTSNE").setLevel(logging.WARNING)


def usable_perplexity(perplexity: float, n_points: int) -> float:
    """t-SNE needs about 3 x perplexity neighbours; small maps get a smaller perplexity."""
    return float(min(perplexity, max(1.0, (n_points - 1) / 3)))


def gradient_method(n_points: int, requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    return "fft" if n_points >= FFT_FROM_POINTS else "bh"


def uses_large_map_settings(n_points: int, large_data: str = "auto") -> bool:
    """``large_data``: "auto" (from LARGE_MAP_FROM_POINTS), "on" or "off"."""
    if large_data not in ("auto", "on", "off"):
        raise ValueError(f"large_data must be auto, on or off, not {large_data!r}")
    return large_data == "on" or (large_data == "auto" and n_points >= LARGE_MAP_FROM_POINTS)


def tsne_settings(n_points: int, perplexity: float, metric: str, method: str = "auto",
                  large_data: str = "auto") -> dict:
    """What :func:`embed_with_tsne` does with these arguments at this size (for report.json)."""
    if uses_large_map_settings(n_points, large_data):
        return {"affinities": f"uniform, {LARGE_MAP_NEIGHBOURS} nearest neighbours", "metric": metric,
                "gradient": "fft", "ints_in_interval": LARGE_MAP_INTS_IN_INTERVAL, "large_map_settings": True}
    return {"affinities": "perplexity", "perplexity_used": usable_perplexity(perplexity, n_points),
            "metric": metric, "gradient": gradient_method(n_points, method), "large_map_settings": False}


def embed_with_tsne(points: np.ndarray, perplexity: float, seed: int, n_jobs: int | None = None,
                    method: str = "auto", metric: str = "euclidean",
                    initialization: np.ndarray | None = None, large_data: str = "auto") -> np.ndarray:
    """2-D t-SNE embedding, PCA-initialised (keeps the global layout stable) and seeded.
    ``metric``: the distance between points that defines who is whose neighbour (openTSNE
    finds the neighbours with it; "cosine" compares directions, not lengths).

    ``initialization``: start positions instead, at the scale of a converged map (aligned time
    slices start from the previous map). They are deliberately not rescaled to openTSNE's
    recommended 1e-4 standard deviation: a map shrunk that far collapses and re-expands, which
    rearranges its scenes (history world: stable accounts moved 0.30 of the map's radius per year
    rescaled, 0.14 not rescaled), so openTSNE's warning about it is silenced.

    ``large_data``: the large-map settings (the constants above) "on", "off", or "auto": from
    LARGE_MAP_FROM_POINTS; they leave ``perplexity`` and ``method`` unused."""
    n_points = len(points)
    if n_jobs is None:
        n_jobs = -1 if n_points >= FFT_FROM_POINTS else 1
    points = np.ascontiguousarray(points, dtype=np.float64)
    if uses_large_map_settings(n_points, large_data):
        return _embed_large(points, seed, n_jobs, metric, initialization)
    with _quiet_about_initial_scale(initialization is not None):
        embedding = _tsne(n_points, perplexity, seed, n_jobs, method, metric, initialization).fit(points)
    return np.asarray(embedding, dtype=np.float64)


def _tsne(n_points: int, perplexity: float, seed: int, n_jobs: int, method: str, metric: str,
          initialization: np.ndarray | None = None) -> TSNE:
    return TSNE(
        n_components=2,
        perplexity=usable_perplexity(perplexity, n_points),
        metric=metric,
        initialization="pca" if initialization is None else np.asarray(initialization, dtype=np.float64),
        negative_gradient_method=gradient_method(n_points, method),
        knn_kwargs=_neighbour_search(n_points),
        random_state=seed,
        n_jobs=n_jobs,
        verbose=False,
    )


def _neighbour_search(n_points: int) -> dict | None:
    return {"n_trees": ANNOY_TREES_LARGE} if n_points >= FEWER_TREES_FROM_POINTS else None


def _embed_large(points: np.ndarray, seed: int, n_jobs: int, metric: str,
                 initialization: np.ndarray | None) -> np.ndarray:
    """The large-map settings (above): the same start (openTSNE's PCA start, or the given one),
    optimisation and iterations as :func:`_tsne`, over the points in Z-order; returned in the
    caller's order."""
    start = (pca_start(points, seed) if initialization is None
             else np.asarray(initialization, dtype=np.float64))
    order = z_order(start)
    points, start = np.ascontiguousarray(points[order]), np.ascontiguousarray(start[order])
    affinities = Uniform(points, k_neighbors=min(LARGE_MAP_NEIGHBOURS, len(points) - 1), metric=metric,
                         n_jobs=n_jobs, random_state=seed, knn_kwargs=_neighbour_search(len(points)))
    tsne = TSNE(n_components=2, metric=metric, negative_gradient_method="fft",
                ints_in_interval=LARGE_MAP_INTS_IN_INTERVAL, random_state=seed, n_jobs=n_jobs, verbose=False)
    with _quiet_about_initial_scale(initialization is not None):
        embedding = tsne.fit(affinities=affinities, initialization=start)
    xy = np.empty((len(order), 2))
    xy[order] = embedding
    return xy


def pca_start(points: np.ndarray, seed: int) -> np.ndarray:
    """openTSNE's PCA start (what ``initialization="pca"`` computes inside ``TSNE.fit``)."""
    return openTSNE.initialization.pca(points, n_components=2, random_state=seed)


def z_order(xy: np.ndarray) -> np.ndarray:
    """The permutation that sorts 2-D points along a Z-order (Morton) curve on a 2^16 grid:
    points near each other on the map end up near each other in the order."""
    span = np.ptp(xy, axis=0)
    cells = ((xy - xy.min(axis=0)) / np.where(span > 0, span, 1) * 65535).astype(np.uint64)
    code = np.zeros(len(xy), dtype=np.uint64)
    for bit in range(16):
        for dim in range(2):
            code |= ((cells[:, dim] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + dim)
    return np.argsort(code, kind="stable")


@contextmanager
def _quiet_about_initial_scale(quiet: bool) -> Iterator[None]:
    """openTSNE warns when start positions are wider than 1e-4; for aligned slices that is intended."""
    logger = logging.getLogger("openTSNE")
    level = logger.level
    if quiet:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
