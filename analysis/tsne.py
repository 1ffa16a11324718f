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
                    method: str = "auto", metric: str = "euclidean") -> np.ndarray:
    """2-D t-SNE embedding, PCA-initialised (keeps the global layout stable) and seeded.
    ``metric``: the distance between points that defines who is whose neighbour (openTSNE
    finds the neighbours with it; "cosine" compares directions, not lengths)."""
    n_points = len(points)
    if n_jobs is None:
        n_jobs = -1 if n_points >= FFT_FROM_POINTS else 1
    tsne = TSNE(
        n_components=2,
        perplexity=usable_perplexity(perplexity, n_points),
        metric=metric,
        initialization="pca",
        negative_gradient_method=gradient_method(n_points, method),
        random_state=seed,
        n_jobs=n_jobs,
        verbose=False,
    )
    embedding = tsne.fit(np.ascontiguousarray(points, dtype=np.float64))
    return np.asarray(embedding, dtype=np.float64)
