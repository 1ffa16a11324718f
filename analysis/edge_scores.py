"""Steps 1-2 in one pass: the edge dataset straight into the weighted score matrix.

:func:`score_edges` gives what ``build_score_matrix(count_edges(...).by_interaction, weights)``
gives (analysis/interaction_matrix.py; tests/analysis/test_streamed_build.py holds them equal),
without ever holding the per-type pair lists: each bucket of source accounts
(analysis/read_edges.py) becomes finished matrix rows at once (its pairs weighted and summed
over the types, 13 bytes per entry), and the rows are laid into one CSR matrix at the end
(9 bytes per entry). Memory then follows the matrix, not the edges read nor the pairs per type:
at 1M crawled accounts the pair lists were 20 bytes per pair and type, 3.7 GB, then copied into
the matrix type by type.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import scipy.sparse as sp

from analysis.datasets import DatasetPaths
from analysis.interaction_matrix import SCORE_DTYPE, InteractionMatrix
from analysis.memory import give_back_freed_memory
from analysis.read_edges import ROWS_PER_BUCKET, EdgeCounts, edge_triples

log = logging.getLogger("analysis")
_MERGE_TARGETS_EVERY = 8  # blocks' distinct targets held before merging them (memory: ~8 x 2M ids at 1M)


@dataclass
class _RowBlock:
    """Finished matrix rows of one bucket: ``sources`` (sorted ids), ``lengths`` (entries per
    row), then per entry ``targets`` (ids), ``scores`` and ``kinds`` (bit per type index)."""

    sources: np.ndarray
    lengths: np.ndarray
    targets: np.ndarray
    scores: np.ndarray
    kinds: np.ndarray


@dataclass
class ScoredEdges:
    """``matrix``: the score matrix (rows: crawled accounts; ``kinds`` filled); ``counts``: the
    edge figures (edges read, distinct, per type), without the pair lists."""

    matrix: InteractionMatrix
    counts: EdgeCounts = field(default_factory=EdgeCounts)


def score_edges(edges_dir: DatasetPaths, weights: dict[str, float], row_filter: ds.Expression | None = None,
                rows_per_bucket: int = ROWS_PER_BUCKET) -> ScoredEdges:
    """Score = sum over types of (distinct edges x the type's weight), per (src_id, dst_id);
    ``row_filter``: only matching rows (a time window). Types without a weight are counted in
    the figures and left out of the matrix, as in ``build_score_matrix``."""
    counts = EdgeCounts()
    blocks: list[_RowBlock] = []
    targets: list[np.ndarray] = []  # each block's distinct targets, merged now and then
    types: list[str] = []
    type_weights = np.zeros(0)
    for types, triples in edge_triples(edges_dir, counts, rows_per_bucket, row_filter):
        if len(type_weights) != len(types):
            type_weights = np.array([float(weights.get(t, 0.0)) for t in types])
        block = _row_block(triples, type_weights)
        if block is not None:
            blocks.append(block)
            targets.append(pd.unique(block.targets))
            if len(targets) >= _MERGE_TARGETS_EVERY:
                targets = [np.unique(np.concatenate(targets))]
    column_ids = np.unique(np.concatenate(targets)) if targets else np.array([], dtype=np.int64)
    unweighted = sorted(set(counts.per_interaction) - set(weights))
    if unweighted:
        log.warning("interaction types without a weight are ignored: %s", ", ".join(unweighted))
    used = [code for code, name in enumerate(types) if type_weights[code] > 0 and counts.pairs_per_interaction.get(name)]
    return ScoredEdges(_assemble(blocks, column_ids, types, used), counts)


def _row_block(triples: dict[str, np.ndarray], type_weights: np.ndarray) -> _RowBlock | None:
    """One bucket's (src, dst, type) counts as finished rows. Each type's count x weight is
    rounded to float32 and the types are added in order (the triples are sorted by type within a
    pair): the same arithmetic as build_score_matrix's sum of per-type float32 matrices."""
    weight = type_weights[triples["interaction"]]
    weighted = weight > 0
    if not weighted.any():
        return None
    source, target = triples["src_id"][weighted], triples["dst_id"][weighted]
    value = (triples["count"][weighted] * weight[weighted]).astype(SCORE_DTYPE)
    bit = (np.left_shift(1, triples["interaction"][weighted])).astype(np.uint8)
    new_pair = np.empty(len(source), dtype=bool)
    new_pair[0] = True
    new_pair[1:] = (source[1:] != source[:-1]) | (target[1:] != target[:-1])
    starts = np.flatnonzero(new_pair)
    source, target = source[starts], target[starts]
    row_starts = np.flatnonzero(np.concatenate([[True], source[1:] != source[:-1]]))
    return _RowBlock(sources=source[row_starts], lengths=np.diff(np.append(row_starts, len(source))),
                     targets=target, scores=_sum_runs_in_order(value, starts),
                     kinds=np.bitwise_or.reduceat(bit, starts))


def _sum_runs_in_order(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each run's sum, added left to right in the values' own precision (a run is one pair's
    types, at most one per type). ``np.add.reduceat`` rounds float32 differently (10.099999
    for 2.2 + 5.6 + 2.3, where adding in order gives 10.1), and the matrix must not depend on
    the path that built it."""
    run_lengths = np.diff(np.append(starts, len(values)))
    sums = values[starts].copy()
    for offset in range(1, int(run_lengths.max(initial=1))):
        longer = np.flatnonzero(run_lengths > offset)
        sums[longer] += values[starts[longer] + offset]
    return sums


def _assemble(blocks: list[_RowBlock], column_ids: np.ndarray, types: list[str], used: list[int]) -> InteractionMatrix:
    """The blocks laid into one CSR matrix, rows in id order (blocks hold interleaved ids: a
    bucket is every id with the same remainder), each block freed once placed."""
    row_ids = np.sort(np.concatenate([b.sources for b in blocks])) if blocks else np.array([], dtype=np.int64)
    lengths = np.zeros(len(row_ids), dtype=np.int64)
    positions = []
    for block in blocks:
        position = np.searchsorted(row_ids, block.sources)
        lengths[position] = block.lengths
        positions.append(position)
    nnz = int(lengths.sum())
    index_dtype = np.int32 if max(nnz, len(column_ids)) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(len(row_ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    del lengths
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=SCORE_DTYPE)
    kinds = np.empty(nnz, dtype=np.uint8)
    while blocks:
        block, position = blocks.pop(0), positions.pop(0)
        local_starts = np.concatenate([[0], np.cumsum(block.lengths[:-1])])
        destination = np.repeat(indptr[position] - local_starts, block.lengths) + np.arange(len(block.targets))
        indices[destination] = np.searchsorted(column_ids, block.targets)
        data[destination] = block.scores
        kinds[destination] = block.kinds
        del block, destination
        if len(blocks) % _MERGE_TARGETS_EVERY == 0:
            give_back_freed_memory()  # the placed blocks' pages, or the matrix would sit on top of them
    scores = sp.csr_matrix((data, indices, indptr.astype(index_dtype)), shape=(len(row_ids), len(column_ids)))
    scores.has_sorted_indices = True  # each row's targets came sorted, and columns are in id order
    # Kind bits by type index -> by index among the weighted types present (build_score_matrix's).
    if used != list(range(len(used))):
        remap = np.zeros(256, dtype=np.uint8)
        for flags in range(256):
            remap[flags] = sum(1 << bit for bit, code in enumerate(used) if flags & (1 << code))
        kinds = remap[kinds]
    return InteractionMatrix(scores, row_ids, column_ids, kinds, tuple(types[code] for code in used))
