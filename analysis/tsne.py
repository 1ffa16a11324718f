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
from openTSNE import TSNE, TSNEEmbedding
from openTSNE.affinity import PerplexityBasedNN, PrecomputedAffinities

FFT_FROM_POINTS = 10_000
# Annoy's trees for the neighbour search from this many points: openTSNE's (FIt-SNE's) 50 trees
# find all 90 neighbours; 15 find 0.98 of them for 0.45x the CPU (bench/bench_tsne_route.py
# --neighbours), and at 1M the search took a third of t-SNE.
FEWER_TREES_FROM_POINTS = 100_000
ANNOY_TREES_LARGE = 15
LARGE_DATA_SAMPLE = 0.25          # share of the points embedded first ...
LARGE_DATA_MIN_SAMPLE = 100
LARGE_DATA_MAX_SAMPLE = 100_000   # ... up to this many: ~25 per planted scene of the 1M bench, and
                                  # its full run (750 iterations) costs what 250 of all 1M points do
LARGE_DATA_PLACEMENT_NEIGHBOURS = 10
LARGE_DATA_FINAL_ITERATIONS = 300  # all points, no exaggeration, from the placed start
logging.getLogger("openTSNE").setLevel(logging.WARNING)


def usable_perplexity(perplexity: float, n_points: int) -> float:
    """t-SNE needs about 3 x perplexity neighbours; small maps get a smaller perplexity."""
    return float(min(perplexity, max(1.0, (n_points - 1) / 3)))


def gradient_method(n_points: int, requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    return "fft" if n_points >= FFT_FROM_POINTS else "bh"


def uses_large_data_route(n_points: int, large_data: str = "off", initialization: np.ndarray | None = None) -> bool:
    """``large_data``: "on", or "off" / "auto" (the same: at 886,344 points the route was no
    faster than one t-SNE over all points, docs/analysis.md); never with given start positions
    (aligned slices have their own start)."""
    return large_data == "on" and initialization is None


def embed_with_tsne(points: np.ndarray, perplexity: float, seed: int, n_jobs: int | None = None,
                    method: str = "auto", metric: str = "euclidean",
                    initialization: np.ndarray | None = None, large_data: str = "off") -> np.ndarray:
    """2-D t-SNE embedding, PCA-initialised (keeps the global layout stable) and seeded.
    ``metric``: the distance between points that defines who is whose neighbour (openTSNE
    finds the neighbours with it; "cosine" compares directions, not lengths).

    ``initialization``: start positions instead, at the scale of a converged map (aligned time
    slices start from the previous map). They are deliberately not rescaled to openTSNE's
    recommended 1e-4 standard deviation: a map shrunk that far collapses and re-expands, which
    rearranges its scenes (history world: stable accounts moved 0.30 of the map's radius per year
    rescaled, 0.14 not rescaled), so openTSNE's warning about it is silenced."""
    n_points = len(points)
    if n_jobs is None:
        n_jobs = -1 if n_points >= FFT_FROM_POINTS else 1
    points = np.ascontiguousarray(points, dtype=np.float64)
    if uses_large_data_route(n_points, large_data, initialization):
        return _embed_large(points, perplexity, seed, n_jobs, method, metric)
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
        knn_kwargs={"n_trees": ANNOY_TREES_LARGE} if n_points >= FEWER_TREES_FROM_POINTS else None,
        random_state=seed,
        n_jobs=n_jobs,
        verbose=False,
    )


def _embed_large(points: np.ndarray, perplexity: float, seed: int, n_jobs: int, method: str,
                 metric: str) -> np.ndarray:
    """openTSNE's large-data route: a seeded sample is embedded as usual (PCA start, early
    exaggeration, 500 iterations), every other point starts at the median place of its nearest
    sampled points (``prepare_partial``, a query of the sample's own neighbour index), and then
    all points are optimised together from there with the full affinities: the structure is
    already in place, so LARGE_DATA_FINAL_ITERATIONS without exaggeration replace the full run's
    750 iterations. The start keeps the sample map's layout, spread by sqrt(n / sample) so the
    density matches the larger map."""
    n_points = len(points)
    sample_size = min(n_points, max(min(int(n_points * LARGE_DATA_SAMPLE), LARGE_DATA_MAX_SAMPLE),
                                    LARGE_DATA_MIN_SAMPLE))
    in_sample = np.zeros(n_points, dtype=bool)
    in_sample[np.random.default_rng(seed).choice(n_points, size=sample_size, replace=False)] = True
    sample_map = _tsne(sample_size, perplexity, seed, n_jobs, method, metric).fit(points[in_sample])
    start = np.empty((n_points, 2))
    start[in_sample] = sample_map
    if sample_size < n_points:
        placed = sample_map.prepare_partial(points[~in_sample], initialization="median",
                                            k=LARGE_DATA_PLACEMENT_NEIGHBOURS,
                                            perplexity=LARGE_DATA_PLACEMENT_NEIGHBOURS / 3)
        start[~in_sample] = placed
        del placed
    del sample_map  # its neighbour index and affinities
    start -= start.mean(axis=0)
    start *= np.sqrt(n_points / sample_size)
    # Only the affinity matrix is kept: the neighbour index, neighbours and distances openTSNE
    # also holds are ~2.5 GB at 1M points and the final optimisation never queries them.
    affinities = PrecomputedAffinities(PerplexityBasedNN(points, perplexity=usable_perplexity(perplexity, n_points),
                                                         metric=metric, n_jobs=n_jobs, random_state=seed).P,
                                       normalize=False)
    embedding = TSNEEmbedding(start, affinities, negative_gradient_method="fft", random_state=seed, n_jobs=n_jobs)
    embedding.optimize(n_iter=LARGE_DATA_FINAL_ITERATIONS, exaggeration=1, momentum=0.8,
                       learning_rate=max(200.0, n_points / 12), inplace=True)
    return np.asarray(embedding, dtype=np.float64)


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
