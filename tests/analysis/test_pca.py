"""Steps 4-5a: sparse PCA equals dense (centred) PCA, for both solvers."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import PCA, TruncatedSVD

from analysis.errors import MapBuildError
from analysis.pca import reduce_with_pca


def random_shares(rows: int, columns: int, seed: int) -> sp.csr_matrix:
    matrix = sp.random(rows, columns, density=0.05, random_state=seed, format="csr") + sp.eye(rows, columns) * 0.01
    return sp.csr_matrix(matrix / matrix.sum(axis=1))


def same_up_to_sign(a: np.ndarray, b: np.ndarray) -> bool:
    return all(np.allclose(a[:, k], b[:, k], atol=1e-8) or np.allclose(a[:, k], -b[:, k], atol=1e-8)
               for k in range(a.shape[1]))


@pytest.mark.parametrize("solver", ["gram", "arpack"])
def test_sparse_pca_equals_dense_pca(solver: str) -> None:
    shares = random_shares(60, 400, seed=1)
    result = reduce_with_pca(shares, 10, seed=0, solver=solver)
    dense = PCA(n_components=10, svd_solver="full").fit(shares.toarray())
    assert result.coordinates.shape == (60, 10)
    assert same_up_to_sign(result.coordinates, dense.transform(shares.toarray()))
    assert np.allclose(result.explained_variance_ratio, dense.explained_variance_ratio_)


def test_randomized_pca_finds_the_dense_top_components() -> None:
    rng = np.random.default_rng(0)
    # Planted structure: 4 groups of rows sharing columns, plus sparse noise.
    groups = rng.integers(0, 4, 300)
    planted = sp.csr_matrix((rng.random((4, 2000)) < 0.05).astype(float)[groups] * rng.random((300, 2000)))
    shares = planted + sp.random(300, 2000, density=0.01, random_state=1, format="csr")
    shares = sp.csr_matrix(shares / shares.sum(axis=1))
    dense = PCA(n_components=3, svd_solver="full").fit(shares.toarray())
    result = reduce_with_pca(shares, 20, seed=0, solver="randomized")
    assert same_up_to_sign(result.coordinates[:, :3], dense.transform(shares.toarray()))
    assert np.allclose(result.explained_variance_ratio[:3], dense.explained_variance_ratio_)


def test_solvers_agree_including_signs() -> None:
    shares = random_shares(50, 300, seed=2)
    gram, arpack = (reduce_with_pca(shares, 5, seed=0, solver=s).coordinates for s in ("gram", "arpack"))
    assert np.allclose(gram, arpack, atol=1e-8)


def test_centring_matters() -> None:
    """What TruncatedSVD (no centring) would give is not the PCA."""
    shares = random_shares(60, 400, seed=3)
    svd = TruncatedSVD(n_components=2, algorithm="arpack").fit_transform(shares)
    assert not same_up_to_sign(reduce_with_pca(shares, 2, seed=0).coordinates, svd)


def test_components_are_capped_by_the_matrix_size() -> None:
    assert reduce_with_pca(random_shares(8, 100, seed=4), 50, seed=0).coordinates.shape == (8, 7)


def test_too_few_rows_is_a_clear_error() -> None:
    with pytest.raises(MapBuildError, match="too few"):
        reduce_with_pca(random_shares(2, 100, seed=5), 50, seed=0)


def test_float32_products_give_the_float64_coordinates_up_to_rounding() -> None:
    """Large matrices take the randomized products in float32 (memory-bound: half the bytes);
    the coordinates must stay those of float64 products (themselves checked against dense PCA
    above)."""
    from analysis.pca import _pca_randomized

    rng = np.random.default_rng(4)
    groups = rng.integers(0, 6, 3000)
    planted = sp.csr_matrix((rng.random((6, 5000)) < 0.03).astype(float)[groups] * rng.random((3000, 5000)))
    shares = planted + sp.random(3000, 5000, density=0.005, random_state=2, format="csr")
    shares = sp.csr_matrix(shares / shares.sum(axis=1))
    single, single_ratio = _pca_randomized(shares.copy(), 10, seed=0, float32_products=True)
    double, double_ratio = _pca_randomized(shares.copy(), 10, seed=0, float32_products=False)
    scale = np.abs(double).max(axis=0)
    difference = np.minimum(np.abs(single - double).max(axis=0), np.abs(single + double).max(axis=0))  # signs: free
    assert np.all(difference <= 1e-4 * scale)
    assert np.allclose(single_ratio, double_ratio, rtol=1e-4)
