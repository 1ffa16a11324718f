"""Steps 2-3: weighted interaction scores as a sparse accounts x accounts matrix, the two
row filters and the row normalisation. Rows are crawled accounts (sources), columns every
account they interacted with; nothing here ever builds the dense matrix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.errors import MapBuildError

log = logging.getLogger("analysis")

# The article: a like counts 1, a comment, repost or follow counts 3. The crawler's frontier
# uses the same weights (FRONTIER_WEIGHTS in scmap/settings.py); the analysis cannot import the
# crawler, so tests/analysis/test_writer_to_reader.py holds the two equal.
DEFAULT_WEIGHTS = {"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}


@dataclass
class InteractionMatrix:
    """``scores[i, j]``: how much account ``row_ids[i]`` interacted with ``column_ids[j]``."""

    scores: sp.csr_matrix
    row_ids: np.ndarray
    column_ids: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape


def parse_weights(text: str) -> dict[str, float]:
    """``"likes=1,comments=3"`` -> ``{"likes": 1.0, "comments": 3.0}``."""
    weights = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = float("nan")
        if not sep or not name.strip() or not np.isfinite(weight) or weight < 0:
            raise MapBuildError(f"bad --weights entry {item!r}: expected type=number, e.g. likes=1,comments=3")
        weights[name.strip()] = weight
    if not weights or not any(weights.values()):
        raise MapBuildError("--weights gives every interaction type weight 0: nothing to map")
    return weights


def build_score_matrix(counts_by_type: dict[str, Mapping], weights: dict[str, float],
                       consume: bool = False) -> InteractionMatrix:
    """Score = sum over types of count x weight, per (src_id, dst_id).

    ``counts_by_type``: interaction type -> columns ``src_id, dst_id, count`` (a dict of arrays
    or a DataFrame). Built one type at
    a time (each type's sparse part is added to the total), so at 100,000 accounts the memory
    peak is the total plus one type, not every type's counts plus the total. ``consume`` drops
    each type's frame from the dict once used. Ids are sorted, so the matrix does not depend on
    the order files were read in."""
    unweighted = sorted(set(counts_by_type) - set(weights))  # weight 0 is a choice, not a mistake
    if unweighted:
        log.warning("interaction types without a weight are ignored: %s", ", ".join(unweighted))
    used = [t for t in sorted(counts_by_type) if weights.get(t, 0) > 0 and len(counts_by_type[t]["src_id"])]
    row_ids = _sorted_union(counts_by_type[t]["src_id"] for t in used)
    column_ids = _sorted_union(counts_by_type[t]["dst_id"] for t in used)
    shape = (len(row_ids), len(column_ids))
    total = sp.csr_matrix(shape, dtype=np.float64)
    for interaction in used:
        frame = counts_by_type.pop(interaction) if consume else counts_by_type[interaction]
        rows = np.searchsorted(row_ids, np.asarray(frame["src_id"])).astype(np.int32)
        columns = np.searchsorted(column_ids, np.asarray(frame["dst_id"])).astype(np.int32)
        values = np.asarray(frame["count"], dtype=np.float64) * weights[interaction]
        del frame
        part = sp.csr_matrix((values, (rows, columns)), shape=shape)  # COO -> CSR sums repeats
        del rows, columns, values
        total = part if total.nnz == 0 else total + part
    total.sum_duplicates()
    return InteractionMatrix(total, row_ids, column_ids)


def _sorted_union(id_columns) -> np.ndarray:
    unique = [pd.unique(np.asarray(column)) for column in id_columns]
    if not unique:
        return np.array([], dtype=np.int64)
    return np.unique(np.concatenate(unique)).astype(np.int64)


def keep_rows(matrix: InteractionMatrix, keep: np.ndarray) -> InteractionMatrix:
    """The matrix restricted to rows where ``keep``, without the columns left empty."""
    scores = matrix.scores[keep]
    used = np.zeros(scores.shape[1], dtype=bool)
    used[scores.indices] = True
    if not used.all():
        # Renumber the column indices in place: much cheaper than CSR column slicing.
        new_index = (np.cumsum(used, dtype=np.int64) - 1).astype(scores.indices.dtype)
        scores = sp.csr_matrix((scores.data, new_index[scores.indices], scores.indptr),
                               shape=(scores.shape[0], int(used.sum())))
    return InteractionMatrix(scores, matrix.row_ids[keep], matrix.column_ids[used])


def row_totals(matrix: InteractionMatrix) -> np.ndarray:
    return np.asarray(matrix.scores.sum(axis=1)).ravel()


def drop_low_total(matrix: InteractionMatrix, min_total: float) -> InteractionMatrix:
    """Drop accounts whose summed score is under ``min_total`` (inactive, or big accounts that
    rarely interact)."""
    return keep_rows(matrix, row_totals(matrix) >= min_total)


def normalize_rows(matrix: InteractionMatrix, in_place: bool = False) -> InteractionMatrix:
    """Each row divided by its sum: an account's scores become shares of its own activity,
    so very active accounts do not dominate. ``in_place`` saves a copy of the matrix."""
    totals = row_totals(matrix)
    if np.any(totals <= 0):
        raise MapBuildError("cannot normalise an account with no interactions (is --min-total 0?)")
    scores = matrix.scores if in_place else matrix.scores.copy()
    scores.data /= np.repeat(totals, np.diff(scores.indptr))
    return InteractionMatrix(scores, matrix.row_ids, matrix.column_ids)


def largest_shares(matrix: InteractionMatrix) -> np.ndarray:
    """Per row: its largest score divided by its sum (normalised or not)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(matrix.scores.max(axis=1).toarray().ravel() / row_totals(matrix))


def drop_dominated(matrix: InteractionMatrix, max_share: float) -> InteractionMatrix:
    """Drop accounts whose largest share is over ``max_share`` (e.g. accounts that mostly
    like their own tracks). Works on raw or normalised rows."""
    return keep_rows(matrix, largest_shares(matrix) <= max_share)
