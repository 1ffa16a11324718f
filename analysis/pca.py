"""Steps 4-5a: PCA of the sparse normalised matrix.

True PCA (centred), not TruncatedSVD: scikit-learn's PCA with the ARPACK solver centres
*implicitly* (it wraps the sparse matrix in a linear operator that subtracts the column
means on the fly), so the result equals dense PCA, as in the article, while memory stays
sparse. TruncatedSVD would skip the centring, and its first component would mostly
follow the mean (overall popularity) instead of the directions that separate scenes.
Components are nested, so the 2-D PCA map is the first two of the 50.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA

from analysis.errors import MapBuildError


@dataclass
class PcaResult:
    coordinates: np.ndarray          # rows x components
    explained_variance_ratio: np.ndarray


def reduce_with_pca(scores: sp.csr_matrix, n_components: int, seed: int) -> PcaResult:
    """Centred PCA of ``scores`` to ``n_components`` (fewer if the matrix is smaller)."""
    n_rows, n_columns = scores.shape
    # ARPACK needs k < min(shape).
    components = min(n_components, n_rows - 1, n_columns - 1)
    if components < 2:
        raise MapBuildError(f"only {n_rows} accounts x {n_columns} columns left after the filters: "
                            "too few for a 2-D map (lower --min-total or raise --max-share)")
    pca = PCA(n_components=components, svd_solver="arpack", random_state=seed)
    coordinates = pca.fit_transform(scores)
    return PcaResult(np.ascontiguousarray(coordinates, dtype=np.float64), pca.explained_variance_ratio_)
