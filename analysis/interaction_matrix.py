"""Steps 2-3: weighted interaction scores as a sparse accounts x accounts matrix, the two
row filters and the row normalisation. Rows are crawled accounts (sources), columns every
account they interacted with; nothing here ever builds the dense matrix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.errors import MapBuildError
from analysis.spill import ParkedArrays

log = logging.getLogger("analysis")

# The article: a like counts 1, a comment, repost or follow counts 3. The crawler's frontier
# uses the same weights (FRONTIER_WEIGHTS in scmap/settings.py); the analysis cannot import the
# crawler, so tests/analysis/test_writer_to_reader.py holds the two equal.
DEFAULT_WEIGHTS = {"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}
# Scores are stored in float32: half the bytes of the largest object of a build (1M accounts:
# ~150 M entries), exact for the integer scores of the default weights, and shares keep 7
# significant digits, far below what moves a map. Row sums are taken in float64.
SCORE_DTYPE = np.float32
# Blocks for in-place work: no temporary as large as the matrix. Blocks of rows are cut by their
# entries (at the caps a row holds ~1,100: 65,536 rows made float64 temporaries of 0.6 GB).
_ENTRIES_PER_CHUNK = 1 << 22


@dataclass
class InteractionMatrix:
    """``scores[i, j]``: how much account ``row_ids[i]`` interacted with ``column_ids[j]``.
    ``kinds`` (optional, aligned with ``scores.data``): which interaction types make up each
    entry, bit t set for ``kind_names[t]``; shown on the map, never used in the scores."""

    scores: sp.csr_matrix
    row_ids: np.ndarray
    column_ids: np.ndarray
    kinds: np.ndarray | None = None
    kind_names: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape


class ParkedMatrix:
    """An InteractionMatrix moved to disk (analysis/spill.py) until ``restore()``."""

    def __init__(self, matrix: InteractionMatrix) -> None:
        scores = matrix.scores
        arrays = {"data": scores.data, "indices": scores.indices, "indptr": scores.indptr,
                  "row_ids": matrix.row_ids, "column_ids": matrix.column_ids}
        if matrix.kinds is not None:
            arrays["kinds"] = matrix.kinds
        self._shape, self._kind_names = scores.shape, matrix.kind_names
        self._parked = ParkedArrays(arrays)

    def restore(self) -> InteractionMatrix:
        arrays = self._parked.restore()
        scores = sp.csr_matrix((arrays.pop("data"), arrays.pop("indices"), arrays.pop("indptr")), shape=self._shape)
        return InteractionMatrix(scores, arrays["row_ids"], arrays["column_ids"], arrays.get("kinds"), self._kind_names)


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
                       consume: bool = False, track_kinds: bool = False, dtype: type = SCORE_DTYPE) -> InteractionMatrix:
    """Score = sum over types of count x weight, per (src_id, dst_id).

    ``counts_by_type``: interaction type -> columns ``src_id, dst_id, count`` (a dict of arrays
    or a DataFrame). Built one type at
    a time (each type's sparse part is added to the total), so at 100,000 accounts the memory
    peak is the total plus one type, not every type's counts plus the total. ``consume`` drops
    each type's frame from the dict once used. Ids are sorted, so the matrix does not depend on
    the order files were read in. ``track_kinds`` also records which types make up each entry."""
    unweighted = sorted(set(counts_by_type) - set(weights))  # weight 0 is a choice, not a mistake
    if unweighted:
        log.warning("interaction types without a weight are ignored: %s", ", ".join(unweighted))
    used = [t for t in sorted(counts_by_type) if weights.get(t, 0) > 0 and len(counts_by_type[t]["src_id"])]
    row_ids = _sorted_union(counts_by_type[t]["src_id"] for t in used)
    column_ids = _sorted_union(counts_by_type[t]["dst_id"] for t in used)
    shape = (len(row_ids), len(column_ids))
    total = sp.csr_matrix(shape, dtype=dtype)
    kinds = sp.csr_matrix(shape, dtype=np.uint8)
    for bit, interaction in enumerate(used):
        frame = counts_by_type.pop(interaction) if consume else counts_by_type[interaction]
        rows = np.searchsorted(row_ids, np.asarray(frame["src_id"])).astype(np.int32)
        columns = np.searchsorted(column_ids, np.asarray(frame["dst_id"])).astype(np.int32)
        values = (np.asarray(frame["count"], dtype=np.float64) * weights[interaction]).astype(dtype)
        del frame
        part = sp.csr_matrix((values, (rows, columns)), shape=shape)  # COO -> CSR sums repeats
        del rows, columns, values
        total = part if total.nnz == 0 else total + part
        if track_kinds:  # same pattern as the scores (every value > 0), so the sums line up entry by entry
            part.sum_duplicates()
            flags = sp.csr_matrix((np.full(part.nnz, 1 << bit, np.uint8), part.indices, part.indptr), shape=shape)
            kinds = flags if kinds.nnz == 0 else kinds + flags
        del part
    total.sum_duplicates()
    if not track_kinds:
        return InteractionMatrix(total, row_ids, column_ids)
    kinds.sum_duplicates()
    if kinds.nnz != total.nnz or not np.array_equal(kinds.indices, total.indices):
        raise AssertionError("interaction kinds do not line up with the scores")
    return InteractionMatrix(total, row_ids, column_ids, kinds.data, tuple(used))


def _sorted_union(id_columns) -> np.ndarray:
    unique = [pd.unique(np.asarray(column)) for column in id_columns]
    if not unique:
        return np.array([], dtype=np.int64)
    return np.unique(np.concatenate(unique)).astype(np.int64)


def keep_rows(matrix: InteractionMatrix, keep: np.ndarray, in_place: bool = False) -> InteractionMatrix:
    """The matrix restricted to rows where ``keep``, without the columns left empty. ``in_place``
    moves the kept entries to the front of the matrix's own arrays (which it then consumes):
    at 300,000 accounts at the caps a copy of the matrix is 3 GB more."""
    if in_place:
        scores, kinds = _compact_rows_in_place(matrix.scores, matrix.kinds, keep)
    else:
        kinds = None
        if matrix.kinds is not None:  # sliced the same way as the scores, so they stay aligned
            kinds = sp.csr_matrix((matrix.kinds, matrix.scores.indices, matrix.scores.indptr),
                                  shape=matrix.shape)[keep].data
        scores = matrix.scores[keep]
    used = np.zeros(scores.shape[1], dtype=bool)
    used[scores.indices] = True
    if not used.all():
        # Renumber the column indices in place, a block at a time: much cheaper than CSR column slicing.
        new_index = (np.cumsum(used, dtype=np.int64) - 1).astype(scores.indices.dtype)
        indices = scores.indices if in_place else scores.indices.copy()
        for low in range(0, len(indices), _ENTRIES_PER_CHUNK):
            indices[low:low + _ENTRIES_PER_CHUNK] = new_index[indices[low:low + _ENTRIES_PER_CHUNK]]
        scores = sp.csr_matrix((scores.data, indices, scores.indptr), shape=(scores.shape[0], int(used.sum())))
    return InteractionMatrix(scores, matrix.row_ids[keep], matrix.column_ids[used], kinds, matrix.kind_names)


def _compact_rows_in_place(scores: sp.csr_matrix, kinds: np.ndarray | None,
                           keep: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """Kept rows' entries moved left over the dropped ones, a block of rows at a time (the
    destination never passes the source), then the arrays cut to size."""
    lengths = np.diff(scores.indptr)
    arrays = [scores.data, scores.indices] + ([] if kinds is None else [kinds])
    written = 0
    for start, end in _row_chunks(scores.indptr):
        low, high = scores.indptr[start], scores.indptr[end]
        entry_kept = np.repeat(keep[start:end], lengths[start:end])
        count = int(entry_kept.sum())
        for array in arrays:
            array[written:written + count] = array[low:high][entry_kept]
        written += count
    arrays = [_cut(array, written) for array in arrays]
    indptr = np.zeros(int(keep.sum()) + 1, dtype=scores.indptr.dtype)
    np.cumsum(lengths[keep], out=indptr[1:])
    compacted = sp.csr_matrix((arrays[0], arrays[1], indptr), shape=(len(indptr) - 1, scores.shape[1]))
    return compacted, (arrays[2] if kinds is not None else None)


def _cut(array: np.ndarray, size: int) -> np.ndarray:
    """The first ``size`` items, giving the rest of the memory back when the array owns it."""
    try:
        array.resize(size, refcheck=False)
        return array
    except ValueError:  # a view: copy the part kept
        return array[:size].copy()


def _row_chunks(indptr: np.ndarray) -> Iterator[tuple[int, int]]:
    """Row ranges of at most _ENTRIES_PER_CHUNK entries each (a longer row is a range alone)."""
    n_rows, start = len(indptr) - 1, 0
    while start < n_rows:
        end = int(np.searchsorted(indptr, indptr[start] + _ENTRIES_PER_CHUNK, side="right")) - 1
        end = min(max(end, start + 1), n_rows)
        yield start, end
        start = end


def row_totals(matrix: InteractionMatrix) -> np.ndarray:
    """Each row's sum, in float64 whatever the matrix's precision."""
    return np.asarray(matrix.scores.sum(axis=1, dtype=np.float64)).ravel()


def divide_rows(scores: sp.csr_matrix, divisors: np.ndarray) -> None:
    """``scores[i] /= divisors[i]`` in place, a block of rows at a time (``np.repeat`` over all
    entries would be a float64 temporary as large as the matrix)."""
    indptr = scores.indptr
    for start, end in _row_chunks(indptr):
        low, high = indptr[start], indptr[end]
        scores.data[low:high] /= np.repeat(divisors[start:end], np.diff(indptr[start:end + 1]))


def divide_columns(scores: sp.csr_matrix, divisors: np.ndarray) -> None:
    """``scores[:, j] /= divisors[j]`` in place, a block of entries at a time."""
    step = _ENTRIES_PER_CHUNK
    for low in range(0, scores.nnz, step):
        scores.data[low:low + step] /= divisors[scores.indices[low:low + step]]


def drop_low_total(matrix: InteractionMatrix, min_total: float, in_place: bool = False) -> InteractionMatrix:
    """Drop accounts whose summed score is under ``min_total`` (inactive, or big accounts that
    rarely interact)."""
    return keep_rows(matrix, row_totals(matrix) >= min_total, in_place)


def normalize_rows(matrix: InteractionMatrix, in_place: bool = False) -> InteractionMatrix:
    """Each row divided by its sum: an account's scores become shares of its own activity,
    so very active accounts do not dominate. ``in_place`` saves a copy of the matrix."""
    totals = row_totals(matrix)
    if np.any(totals <= 0):
        raise MapBuildError("cannot normalise an account with no interactions (is --min-total 0?)")
    scores = matrix.scores if in_place else matrix.scores.copy()
    divide_rows(scores, totals)
    return InteractionMatrix(scores, matrix.row_ids, matrix.column_ids, matrix.kinds, matrix.kind_names)


def largest_shares(matrix: InteractionMatrix) -> np.ndarray:
    """Per row: its largest score divided by its sum (normalised or not)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(matrix.scores.max(axis=1).toarray().ravel() / row_totals(matrix))


def drop_dominated(matrix: InteractionMatrix, max_share: float, in_place: bool = False) -> InteractionMatrix:
    """Drop accounts whose largest share is over ``max_share`` (e.g. accounts that mostly
    like their own tracks). Works on raw or normalised rows: on float32 shares a row at exactly
    ``max_share`` reads up to a few 1e-8 over it, so the test allows float32's rounding."""
    slack = 4 * np.finfo(matrix.scores.dtype).eps if matrix.scores.dtype == np.float32 else 0.0
    return keep_rows(matrix, largest_shares(matrix) <= max_share + slack, in_place)


def drop_rare_columns(matrix: InteractionMatrix, min_accounts: int) -> InteractionMatrix:
    """Drop columns fewer than ``min_accounts`` rows interacted with. A column only one mapped
    account touched cannot make two accounts alike; it only adds noise (and, at 100,000
    accounts, most of the 2,000,000 columns)."""
    if min_accounts <= 1:
        return matrix
    scores = matrix.scores
    used = np.bincount(scores.indices, minlength=scores.shape[1]) >= min_accounts
    keep_entry = used[scores.indices]
    # Entries kept before each row start = the new row pointers.
    indptr = np.concatenate([[0], np.cumsum(keep_entry, dtype=np.int64)])[scores.indptr]
    new_index = (np.cumsum(used, dtype=np.int64) - 1).astype(scores.indices.dtype)
    kept = sp.csr_matrix((scores.data[keep_entry], new_index[scores.indices[keep_entry]], indptr.astype(scores.indptr.dtype)),
                         shape=(scores.shape[0], int(used.sum())))
    kinds = None if matrix.kinds is None else matrix.kinds[keep_entry]
    return InteractionMatrix(kept, matrix.row_ids, matrix.column_ids[used], kinds, matrix.kind_names)


def positive_pmi(matrix: InteractionMatrix, in_place: bool = False) -> InteractionMatrix:
    """Positive pointwise mutual information: ``max(0, log(x_ij T / (r_i c_j)))`` (T = total,
    r = row sums, c = column sums). How much more account i interacts with j than j's overall
    popularity predicts: an account everyone likes carries little, a scene's own accounts a lot.
    Zeros stay zeros (sparse)."""
    scores = matrix.scores if in_place else matrix.scores.copy()
    rows = row_totals(matrix)
    columns = np.bincount(scores.indices, weights=scores.data, minlength=scores.shape[1])
    total = float(rows.sum())
    if total <= 0:
        raise MapBuildError("cannot weight an empty matrix")
    log_rows = np.repeat(np.log(rows, where=rows > 0, out=np.zeros_like(rows)), np.diff(scores.indptr))
    np.log(scores.data, out=scores.data)
    scores.data += np.log(total)
    scores.data -= log_rows
    del log_rows
    scores.data -= np.log(columns)[scores.indices]
    np.maximum(scores.data, 0, out=scores.data)
    scores.eliminate_zeros()
    return InteractionMatrix(scores, matrix.row_ids, matrix.column_ids)


def l2_normalize_rows(matrix: InteractionMatrix, in_place: bool = False) -> InteractionMatrix:
    """Each row scaled to unit length (rows left empty stay empty): distances between rows
    then compare directions (cosine), not how much an account does."""
    scores = matrix.scores if in_place else matrix.scores.copy()
    lengths = np.ones(scores.shape[0])
    filled = np.flatnonzero(np.diff(scores.indptr))
    if len(filled):  # reduceat over the non-empty rows only (an empty row would read the next one)
        lengths[filled] = np.sqrt(np.add.reduceat(np.square(scores.data), scores.indptr[filled]))
    lengths[lengths == 0] = 1
    divide_rows(scores, lengths)
    return InteractionMatrix(scores, matrix.row_ids, matrix.column_ids, matrix.kinds, matrix.kind_names)


def scale_columns_by_intensity(matrix: InteractionMatrix, in_place: bool = False) -> InteractionMatrix:
    """Each column divided by its mean non-zero score: an interaction is measured against how
    the others treat the same account. A giant whose fans each like 50 of its tracks and a
    scene's artist whose listeners like 2 of theirs then weigh the same per fan, so the few
    accounts everyone binges on stop deciding the map (the article's crowded centre)."""
    scores = matrix.scores if in_place else matrix.scores.copy()
    accounts = np.bincount(scores.indices, minlength=scores.shape[1])
    mass = np.bincount(scores.indices, weights=scores.data, minlength=scores.shape[1])
    intensity = mass / np.maximum(accounts, 1)
    intensity[intensity <= 0] = 1
    divide_columns(scores, intensity)
    return InteractionMatrix(scores, matrix.row_ids, matrix.column_ids)
