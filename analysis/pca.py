"""Steps 4-5a: PCA of the sparse normalised matrix, to 50 dimensions (the first two are the
2-D PCA plot: components are nested).

True PCA (centred), not TruncatedSVD: TruncatedSVD skips the centring, so its first
component mostly follows the mean row (overall popularity) instead of the directions that
separate scenes, and the figures would not be the article's. Centring a sparse matrix
would make it dense, so both solvers centre implicitly:

- ``gram`` (up to 2,000 rows): eigen-decomposition of the rows x
  rows centred Gram matrix ``Xc Xc^T = X X^T - r 1^T - 1 r^T + (mu . mu) 1 1^T`` (r = X mu),
  built from one sparse product. Exact, and fast because rows << columns.
- ``randomized`` (more rows: the article's 2,250 and 100,000): randomized PCA with 4 power iterations, every
  product taken as ``X @ B - 1 (mu @ B)``; approximate, but the 50 components feed t-SNE,
  which only needs the neighbourhoods right.
- ``arpack``: scikit-learn's PCA with the ARPACK solver (a linear operator that subtracts the
  column means on the fly); exact, but too slow at 100,000 x 2,000,000.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.decomposition import PCA

from analysis.errors import MapBuildError

GRAM_MAX_ROWS = 2_000  # the dense eigensolver is O(rows^3): seconds at 2,000 rows, minutes at 20,000
POWER_ITERATIONS = 4
POWER_ITERATIONS_LARGE = 2  # above 20,000 rows: each pass costs minutes there
OVERSAMPLING = 10
# Above this many non-zeros the randomized products run in float32 (see _pca_randomized);
# below, they take seconds anyway and stay float64.
FLOAT32_PRODUCTS_FROM_NONZEROS = 20_000_000


@dataclass
class PcaResult:
    coordinates: np.ndarray          # rows x components
    explained_variance_ratio: np.ndarray
    solver: str


def reduce_with_pca(scores: sp.csr_matrix, n_components: int, seed: int, solver: str = "auto") -> PcaResult:
    """Centred PCA of ``scores`` to ``n_components`` (fewer if the matrix is smaller)."""
    n_rows, n_columns = scores.shape
    components = min(n_components, n_rows - 1, n_columns - 1)  # ARPACK needs k < min(shape)
    if components < 2:
        raise MapBuildError(f"only {n_rows} accounts x {n_columns} columns left after the filters: "
                            "too few for a 2-D map (lower --min-total or raise --max-share)")
    if solver == "auto":
        solver = "gram" if n_rows <= GRAM_MAX_ROWS else "randomized"
    if solver == "gram":
        coordinates, ratio = _pca_by_gram(scores, components)
    elif solver == "randomized":
        coordinates, ratio = _pca_randomized(scores, components, seed)
    else:
        pca = PCA(n_components=components, svd_solver="arpack", random_state=seed)
        coordinates, ratio = pca.fit_transform(scores), pca.explained_variance_ratio_
    return PcaResult(_fix_signs(np.asarray(coordinates, dtype=np.float64)), np.asarray(ratio), solver)


def _pca_by_gram(scores: sp.csr_matrix, components: int) -> tuple[np.ndarray, np.ndarray]:
    scores = scores.astype(np.float64)
    n_rows = scores.shape[0]
    column_means = np.asarray(scores.mean(axis=0)).ravel()
    row_dot_mean = scores @ column_means
    gram = (scores @ scores.T).toarray()
    gram -= row_dot_mean[:, None]
    gram -= row_dot_mean[None, :]
    gram += column_means @ column_means
    total_variance = np.trace(gram)
    values, vectors = scipy.linalg.eigh(gram, subset_by_index=[n_rows - components, n_rows - 1], driver="evr")
    values, vectors = np.clip(values[::-1], 0, None), vectors[:, ::-1]
    # Principal-component scores are U * S, and S^2 are the Gram eigenvalues.
    return vectors * np.sqrt(values), values / total_variance if total_variance > 0 else values * 0


def _pca_randomized(scores: sp.csr_matrix, components: int, seed: int,
                    float32_products: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Randomized PCA (Halko, Martinsson & Tropp 2011) of the implicitly centred matrix:
    a few passes of sparse x (~60 wide) dense products, which beat ARPACK's hundreds of
    single-vector products at 100,000 x 2,000,000. Power iterations sharpen the top components;
    only the rows-side block is re-orthonormalised (the columns side is 2,000,000 tall).

    The sparse products run on all cores and, on large matrices, in float32: they only find
    the subspace (each result is re-orthonormalised in float64), they are memory-bound, and half
    the bytes made them 2-3x cheaper at 100k (the coordinates agree with float64 products to
    ~1e-6 of their scale, tested)."""
    n_rows, n_columns = scores.shape
    means = np.asarray(scores.mean(axis=0)).ravel()
    width = min(components + OVERSAMPLING, n_rows, n_columns)
    if float32_products is None:
        float32_products = scores.nnz >= FLOAT32_PRODUCTS_FROM_NONZEROS
    precision = np.float32 if float32_products else np.float64
    working = sp.csr_matrix((scores.data.astype(precision, copy=False), scores.indices, scores.indptr), shape=scores.shape)
    # X^T as CSR multiplies ~4x faster than the CSC view: worth the copy (1 GB at 100k rows in
    # float32, below the peak of the reading stage).
    rows_side, columns_side = _RowBlocks(working), _RowBlocks(working.T.tocsr())
    del working

    def times(block: np.ndarray) -> np.ndarray:       # Xc @ block, block: columns x width
        product = rows_side.times(block, centre=np.ones(n_rows), by=_vector_times(means, block))
        return product.astype(np.float64, copy=False)

    def transposed_times(block: np.ndarray) -> np.ndarray:  # Xc^T @ block, block: rows x width
        return columns_side.times(block.astype(precision, copy=False), centre=means, by=block.sum(axis=0))

    # Start from the rows side (a columns x width random block would be 1 GB at 2M columns).
    basis = np.random.default_rng(seed).standard_normal((n_rows, width))
    power_iterations = POWER_ITERATIONS if n_rows <= 20_000 else POWER_ITERATIONS_LARGE
    for _ in range(power_iterations + 1):
        basis, _ = np.linalg.qr(times(transposed_times(basis)))
    # Xc ~ basis @ small, small = basis^T Xc (width x columns); its SVD gives the scores.
    small_transposed = transposed_times(basis)
    left, singular, _ = np.linalg.svd(_gram(small_transposed), hermitian=True)
    singular = np.sqrt(np.clip(singular, 0, None))[:components]
    coordinates = basis @ left[:, :components] * singular
    scores.sum_duplicates()  # canonical CSR: the sum of squares is then data . data, no copy
    total_variance = float(scores.data @ scores.data) - n_rows * (means @ means)
    return coordinates, singular ** 2 / total_variance if total_variance > 0 else singular * 0


_CHUNK_ROWS = 1 << 18


def _vector_times(vector: np.ndarray, block: np.ndarray) -> np.ndarray:
    """``vector @ block`` summed in float64, in row chunks (no float64 copy of a tall block)."""
    return sum((vector[start:start + _CHUNK_ROWS] @ block[start:start + _CHUNK_ROWS].astype(np.float64)
                for start in range(0, len(block), _CHUNK_ROWS)), np.zeros(block.shape[1]))


def _gram(block: np.ndarray) -> np.ndarray:
    """``block.T @ block`` summed in float64, in row chunks."""
    total = np.zeros((block.shape[1], block.shape[1]))
    for start in range(0, len(block), _CHUNK_ROWS):
        chunk = block[start:start + _CHUNK_ROWS].astype(np.float64)
        total += chunk.T @ chunk
    return total


class _RowBlocks:
    """A CSR matrix cut into row blocks (views, no copy) so that ``matrix @ dense`` runs on all
    cores: scipy's sparse product is single-threaded but releases the GIL, so a thread per block
    runs in parallel. Each block's result is centred and written into one preallocated output,
    so the temporaries stay a block's size (the columns-side output is ~0.5 GB at 2M columns)."""

    def __init__(self, matrix: sp.csr_matrix, blocks_per_thread: int = 4) -> None:
        self.shape = matrix.shape
        self.threads = max(1, min(len(os.sched_getaffinity(0)), 8))
        n_blocks = max(1, min(self.threads * blocks_per_thread, matrix.shape[0]))
        # Cut where the non-zeros (the work) are evenly split, not the rows.
        targets = np.linspace(0, matrix.nnz, n_blocks + 1)
        bounds = np.unique(np.concatenate([[0], np.searchsorted(matrix.indptr, targets[1:-1]), [matrix.shape[0]]]))
        indptr = matrix.indptr
        self.blocks = []
        for start, end in zip(bounds[:-1], bounds[1:]):
            low, high = indptr[start], indptr[end]
            data, indices = matrix.data[low:high], matrix.indices[low:high]
            block = sp.csr_matrix((data, indices, indptr[start:end + 1] - low), shape=(end - start, matrix.shape[1]))
            # scipy copies index/data views much smaller than their base ("pruning"): a second
            # copy of the whole matrix over all blocks. Point the block back at the views.
            block.data, block.indices = data, indices
            self.blocks.append((start, end, block))

    def times(self, dense: np.ndarray, centre: np.ndarray, by: np.ndarray) -> np.ndarray:
        """``matrix @ dense - outer(centre, by)``, in the matrix's precision."""
        result = np.empty((self.shape[0], dense.shape[1]), dtype=np.result_type(self.blocks[0][2].dtype, dense.dtype))

        def one_block(bounds_and_block: tuple[int, int, sp.csr_matrix]) -> None:
            start, end, block = bounds_and_block
            np.subtract(block @ dense, np.outer(centre[start:end], by), out=result[start:end], casting="same_kind")

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            list(pool.map(one_block, self.blocks))
        return result


def _fix_signs(coordinates: np.ndarray) -> np.ndarray:
    """Eigenvectors have no sign; make each component's largest-magnitude score positive
    so every solver and every run give the same picture."""
    largest = np.argmax(np.abs(coordinates), axis=0)
    signs = np.sign(coordinates[largest, np.arange(coordinates.shape[1])])
    signs[signs == 0] = 1
    return coordinates * signs
