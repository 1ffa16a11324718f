"""Each mapped account's strongest neighbours: the accounts that take the largest shares
of its (normalised) interaction scores. Shown when an account is clicked on the map."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def strongest_neighbours(shares: sp.csr_matrix, k: int, kinds: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(columns, values, neighbour_kinds)``, all rows x k: the top-k column indices of each
    row by value (ties by lower column index), padded with column -1 / value 0 for short rows;
    ``neighbour_kinds``: the entries' interaction-type bits from ``kinds`` (aligned with
    ``shares.data``), 0 without it."""
    n_rows = shares.shape[0]
    columns = np.full((n_rows, k), -1, dtype=np.int64)
    values = np.zeros((n_rows, k), dtype=np.float64)
    neighbour_kinds = np.zeros((n_rows, k), dtype=np.uint8)
    indptr, indices, data = shares.indptr, shares.indices, shares.data
    for row in range(n_rows):
        start, end = indptr[row], indptr[row + 1]
        if start == end:
            continue
        row_columns, row_values = indices[start:end], data[start:end]
        order = np.lexsort((row_columns, -row_values))[:k]
        columns[row, :len(order)] = row_columns[order]
        values[row, :len(order)] = row_values[order]
        if kinds is not None:
            neighbour_kinds[row, :len(order)] = kinds[start + order]
    return columns, values, neighbour_kinds
