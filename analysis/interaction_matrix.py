"""Steps 2-3: weighted interaction scores as a sparse accounts x accounts matrix, the two
row filters and the row normalisation. Rows are crawled accounts (sources), columns every
account they interacted with; nothing here ever builds the dense matrix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.errors import MapBuildError

log = logging.getLogger("analysis")

# The article: a like counts 1, a comment, repost or follow counts 3.
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


def build_score_matrix(counts: pd.DataFrame, weights: dict[str, float]) -> InteractionMatrix:
    """Score = sum over types of count x weight, per (src_id, dst_id). Ids are sorted so the
    matrix (and everything after it) does not depend on the order files were read in."""
    interaction = counts["interaction"].astype("category")
    types = [str(t) for t in interaction.cat.categories]
    unweighted = sorted(set(types) - set(weights))
    if unweighted:
        log.warning("interaction types without a weight are ignored: %s", ", ".join(unweighted))
    # Weights looked up once per type, then spread by the category codes (fast on 100M rows).
    weight_of_code = np.array([weights.get(t, 0.0) for t in types] + [0.0])
    weight_per_row = weight_of_code[interaction.cat.codes.to_numpy()]  # code -1 (missing) -> last = 0
    keep = weight_per_row > 0
    src = counts["src_id"].to_numpy()[keep]
    dst = counts["dst_id"].to_numpy()[keep]
    values = counts["count"].to_numpy(dtype=np.float64)[keep] * weight_per_row[keep]
    row_codes, row_ids = pd.factorize(src, sort=True)
    column_codes, column_ids = pd.factorize(dst, sort=True)
    # COO -> CSR sums the entries of the same (row, column) pair: the types add up.
    scores = sp.coo_matrix((values, (row_codes.astype(np.int32), column_codes.astype(np.int32))),
                           shape=(len(row_ids), len(column_ids))).tocsr()
    scores.sum_duplicates()
    return InteractionMatrix(scores, np.asarray(row_ids, dtype=np.int64), np.asarray(column_ids, dtype=np.int64))


def keep_rows(matrix: InteractionMatrix, keep: np.ndarray) -> InteractionMatrix:
    """The matrix restricted to rows where ``keep``, without the columns left empty."""
    scores = matrix.scores[keep]
    used_columns = np.flatnonzero(scores.getnnz(axis=0))
    if len(used_columns) < scores.shape[1]:
        scores = scores[:, used_columns]
    return InteractionMatrix(scores.tocsr(), matrix.row_ids[keep], matrix.column_ids[used_columns])


def row_totals(matrix: InteractionMatrix) -> np.ndarray:
    return np.asarray(matrix.scores.sum(axis=1)).ravel()


def drop_low_total(matrix: InteractionMatrix, min_total: float) -> InteractionMatrix:
    """Drop accounts whose summed score is under ``min_total`` (inactive, or big accounts that
    rarely interact)."""
    return keep_rows(matrix, row_totals(matrix) >= min_total)


def normalize_rows(matrix: InteractionMatrix) -> InteractionMatrix:
    """Each row divided by its sum: an account's scores become shares of its own activity,
    so very active accounts do not dominate."""
    totals = row_totals(matrix)
    if np.any(totals <= 0):
        raise MapBuildError("cannot normalise an account with no interactions (is --min-total 0?)")
    scaled = sp.diags(1.0 / totals) @ matrix.scores
    return InteractionMatrix(scaled.tocsr(), matrix.row_ids, matrix.column_ids)


def drop_dominated(matrix: InteractionMatrix, max_share: float) -> InteractionMatrix:
    """Drop accounts whose largest share is over ``max_share`` (e.g. accounts that mostly
    like their own tracks). Expects normalised rows."""
    largest = matrix.scores.max(axis=1).toarray().ravel()
    return keep_rows(matrix, largest <= max_share)
