"""Strongest neighbours of each account, by normalised score."""

import numpy as np
import scipy.sparse as sp

from analysis.neighbours import strongest_neighbours


def test_top_k_by_share_with_ties_by_column_and_padding() -> None:
    shares = sp.csr_matrix(np.array([
        [0.1, 0.5, 0.0, 0.2, 0.2],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
    ]))
    columns, values, kinds = strongest_neighbours(shares, 3, np.array([1, 2, 4, 8, 3], np.uint8))
    assert columns.tolist() == [[1, 3, 4], [-1, -1, -1], [2, -1, -1]]
    assert np.allclose(values[0], [0.5, 0.2, 0.2]) and values[2, 0] == 1.0
    assert kinds.tolist() == [[2, 4, 8], [0, 0, 0], [3, 0, 0]]
