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
from openTSNE import TSNE

FFT_FROM_POINTS = 10_000
logging.getLogger("openTSNE").setLevel(logging.WARNING)


def usable_perplexity(perplexity: float, n_points: int) -> float:
    """t-SNE needs about 3 x perplexity neighbours; small maps get a smaller perplexity."""
    return float(min(perplexity, max(1.0, (n_points - 1) / 3)))


def gradient_method(n_points: int, requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    return "fft" if n_points >= FFT_FROM_POINTS else "bh"


def embed_with_tsne(points: np.ndarray, perplexity: float, seed: int, n_jobs: int | None = None,
                    method: str = "auto", metric: str = "euclidean",
                    initialization: np.ndarray | None = None) -> np.ndarray:
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
    tsne = TSNE(
        n_components=2,
        perplexity=usable_perplexity(perplexity, n_points),
        metric=metric,
        initialization="pca" if initialization is None else np.asarray(initialization, dtype=np.float64),
        negative_gradient_method=gradient_method(n_points, method),
        random_state=seed,
        n_jobs=n_jobs,
        verbose=False,
    )
    with _quiet_about_initial_scale(initialization is not None):
        embedding = tsne.fit(np.ascontiguousarray(points, dtype=np.float64))
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
