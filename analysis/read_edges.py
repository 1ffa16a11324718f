"""Step 1: read the edge dataset, drop duplicate edges, count interactions per
(source account, target account, interaction type).

Memory follows the account pairs kept, not the edges read (300,000 crawled accounts at the
crawl's caps are ~400 million edges): the dataset is scanned once, batch by batch; only the
numeric key columns are kept, split into buckets by source id (duplicates always share the
source) and spilled to disk (analysis/spill.py), and each bucket is deduplicated alone into
(src_id, dst_id, interaction, count) triples. :func:`count_edges` gathers the triples per
interaction type; analysis/edge_scores.py folds them straight into the score matrix.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from analysis.account_labels import LabelCollector
from analysis.datasets import EDGE_PARTITIONING, EDGE_SCHEMA, DatasetPaths, open_dataset, scan_error
from analysis.memory import give_back_freed_memory
from analysis.spill import SpilledParts

log = logging.getLogger("analysis")

# An edge's identity (docs/architecture.md), the interaction type (as its index in the sorted
# types present) right after the account pair, so each (src, dst, type) is one run of rows.
EDGE_KEY = ["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"]
KEY_DTYPES = {"src_id": np.int64, "dst_id": np.int64, "interaction": np.int8, "object_kind": np.int8,
              "object_id": np.int64, "created_at": np.int64}
KNOWN_OBJECT_KINDS = pa.array(["track", "playlist", "user"])
UNKNOWN_KIND, MISSING = -1, np.iinfo(np.int64).min
ROWS_PER_BUCKET = 4_000_000
SCAN_BATCH_READAHEAD, SCAN_FRAGMENT_READAHEAD = 4, 2


PAIR_COLUMNS = ("src_id", "dst_id", "count")


@dataclass
class EdgeCounts:
    """``by_interaction``: type -> arrays ``src_id``, ``dst_id`` (int64), ``count`` (int32 number
    of distinct edges), one entry per account pair (filled by :func:`count_edges`; the score
    matrix path keeps only the figures). Plain numpy arrays: at 100,000 accounts these are
    ~150 million pairs, and a DataFrame round trip would copy them."""

    by_interaction: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    edges_read: int = 0
    unique_edges: int = 0
    rows_without_ids: int = 0
    per_interaction: dict[str, int] = field(default_factory=dict)
    pairs_per_interaction: dict[str, int] = field(default_factory=dict)


def open_edges(edges_dir: DatasetPaths) -> ds.Dataset:
    return open_dataset(edges_dir, "edge", EDGE_SCHEMA, EDGE_PARTITIONING)


def interaction_types(dataset: ds.Dataset) -> list[str]:
    """The `interaction=<type>` partitions present, in a stable order."""
    types = set()
    for fragment in dataset.get_fragments():
        value = ds.get_partition_keys(fragment.partition_expression).get("interaction")
        if value is not None:
            types.add(value)
    return sorted(types)


def count_edges(edges_dir: DatasetPaths, rows_per_bucket: int = ROWS_PER_BUCKET,
                row_filter: ds.Expression | None = None) -> EdgeCounts:
    """Deduplicated interaction counts per (src_id, dst_id, interaction); ``row_filter`` keeps only
    matching rows (a time window: analysis/time_slices.py), and then every count is of those rows.
    Streamed (see the module): the result holds the pairs, never the edges."""
    counts = EdgeCounts()
    per_type: dict[int, list[dict[str, np.ndarray]]] = {}
    types = []
    for types, triples in edge_triples(edges_dir, counts, rows_per_bucket, row_filter):
        for code in np.unique(triples["interaction"]):
            of_type = triples["interaction"] == code
            per_type.setdefault(int(code), []).append({name: triples[name][of_type] for name in PAIR_COLUMNS})
    for code, parts in sorted(per_type.items()):
        counts.by_interaction[types[code]] = {name: np.concatenate([part.pop(name) for part in parts])
                                              for name in PAIR_COLUMNS}
    return counts


def edge_triples(edges_dir: DatasetPaths, counts: EdgeCounts, rows_per_bucket: int = ROWS_PER_BUCKET,
                 row_filter: ds.Expression | None = None) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
    """Per bucket of source accounts: ``(types, triples)``, ``triples`` the arrays ``src_id``,
    ``dst_id``, ``interaction`` (index into ``types``), ``count`` (distinct edges, int32), sorted
    by (src_id, dst_id, interaction); every source account lies in exactly one bucket. Fills the
    figures of ``counts`` (edges read, distinct, per type) as it goes; they are complete once the
    iterator is exhausted."""
    dataset = open_edges(edges_dir)
    try:
        types = interaction_types(dataset)
        total = dataset.count_rows(filter=row_filter)
        with_ids = ds.field("src_id").is_valid() & ds.field("dst_id").is_valid()
        if row_filter is not None:
            with_ids = row_filter & with_ids
        distinct = np.zeros(len(types), dtype=np.int64)
        pairs = np.zeros(len(types), dtype=np.int64)
        with SpilledParts(KEY_DTYPES, math.ceil(total / rows_per_bucket)) as buckets:
            kept = _split_keys(dataset, with_ids, types, buckets)
            counts.edges_read += total
            counts.rows_without_ids += total - kept
            for triples in _dedup_buckets(buckets):
                distinct += np.bincount(triples["interaction"], weights=triples["count"],
                                        minlength=len(types)).astype(np.int64)
                pairs += np.bincount(triples["interaction"], minlength=len(types))
                yield types, triples
    except (pa.ArrowException, OSError) as error:
        raise scan_error(edges_dir, "edge", error) from None
    give_back_freed_memory()  # the scan's and the buckets' memory, before the caller builds on it
    for code, interaction in enumerate(types):
        if pairs[code]:
            counts.unique_edges += int(distinct[code])
            counts.per_interaction[interaction] = int(distinct[code])
            counts.pairs_per_interaction[interaction] = int(pairs[code])
            log.info("  %s: %d distinct edges, %d account pairs", interaction, distinct[code], pairs[code])


def _split_keys(dataset: ds.Dataset, row_filter: ds.Expression, types: list[str], buckets: SpilledParts) -> int:
    """The identity-key columns of the matching rows, batch by batch, into ``buckets`` by source
    id (duplicates always share it); returns the rows read."""
    rows = 0
    type_names = pa.array(types, pa.string())
    # Arrow's default read-ahead (16 batches of 4 files) would hold ~2.6 GB of key columns at 1M;
    # a little is enough to keep both cores busy.
    scanner = dataset.scanner(columns=EDGE_KEY, filter=row_filter, batch_size=1 << 20,
                              batch_readahead=SCAN_BATCH_READAHEAD, fragment_readahead=SCAN_FRAGMENT_READAHEAD)
    for batch in scanner.to_batches():
        if batch.num_rows == 0:
            continue
        rows += batch.num_rows
        source = batch.column("src_id").to_numpy()
        buckets.add(source, {
            "src_id": source,
            "dst_id": batch.column("dst_id").to_numpy(),
            # Types and kinds as small codes: hashing strings would cost more than the rest of the key.
            "interaction": pc.index_in(batch.column("interaction"), value_set=type_names).to_numpy(),
            "object_kind": pc.fill_null(pc.index_in(batch.column("object_kind"), value_set=KNOWN_OBJECT_KINDS),
                                        UNKNOWN_KIND).to_numpy(),
            "object_id": pc.fill_null(batch.column("object_id"), MISSING).to_numpy(),
            "created_at": pc.fill_null(batch.column("created_at").cast(pa.int64()), MISSING).to_numpy(),
        })
    return rows


def _dedup_buckets(buckets: SpilledParts) -> Iterator[dict[str, np.ndarray]]:
    """Each bucket's triples. Buckets are independent and Arrow / numpy release the GIL: one
    thread per core, so as many buckets as cores are in memory at once."""
    threads = max(1, min(buckets.n_parts, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        loaded = iter(buckets.parts())
        while window := list(itertools.islice(loaded, threads)):
            for triples in pool.map(_dedup_bucket, window):
                if len(triples["src_id"]):
                    yield triples
            del window


def _dedup_bucket(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Distinct edges of one bucket, counted per (src_id, dst_id, interaction).

    Sort-based: after one multi-key sort (Arrow's, the fastest here: about 5x quicker than
    hash grouping twice) an edge is a duplicate when its whole key equals the previous row's,
    and each (src_id, dst_id, interaction) is one run of rows."""
    order = pc.sort_indices(pa.table(columns), sort_keys=[(name, "ascending") for name in EDGE_KEY]).to_numpy()
    differs_from_previous = {}
    kept = {}
    for name in EDGE_KEY:
        values = columns.pop(name)[order]
        changed = np.empty(len(values), dtype=bool)
        changed[0] = True
        np.not_equal(values[1:], values[:-1], out=changed[1:])
        differs_from_previous[name] = changed
        if name in ("src_id", "dst_id", "interaction"):
            kept[name] = values
    new_triple = differs_from_previous["src_id"] | differs_from_previous["dst_id"] | differs_from_previous["interaction"]
    new_edge = new_triple.copy()
    for name in EDGE_KEY[3:]:
        new_edge |= differs_from_previous[name]
    starts = np.flatnonzero(new_triple)
    counts = np.add.reduceat(new_edge.astype(np.int32), starts)
    return {name: values[starts] for name, values in kept.items()} | {"count": counts}


def collect_edge_labels(edges_dir: DatasetPaths, ids: np.ndarray, labels: LabelCollector,
                        source_permalinks_for: np.ndarray | None = None) -> None:
    """Fold into ``labels`` what the edges say about ``ids`` as targets (name, permalink,
    followers) and, for ``source_permalinks_for``, their permalinks as sources."""
    dataset = open_edges(edges_dir)
    wanted = pa.array(np.asarray(ids, dtype=np.int64))
    try:
        scanner = dataset.scanner(
            columns=["dst_id", "dst_permalink", "dst_username", "dst_followers_count", "scraped_at"],
            filter=ds.field("dst_id").isin(wanted), batch_size=1 << 20)
        for batch in scanner.to_batches():
            if batch.num_rows:
                labels.add(pa.Table.from_batches([batch]).rename_columns(
                    ["id", "permalink", "username", "followers_count", "scraped_at"]))
        if source_permalinks_for is not None and len(source_permalinks_for):
            sources = pa.array(np.asarray(source_permalinks_for, dtype=np.int64))
            scanner = dataset.scanner(columns=["src_id", "src_permalink", "scraped_at"],
                                      filter=ds.field("src_id").isin(sources), batch_size=1 << 20)
            for batch in scanner.to_batches():
                if batch.num_rows:
                    labels.add(pa.Table.from_batches([batch]).rename_columns(["id", "permalink", "scraped_at"]))
    except (pa.ArrowException, OSError) as error:
        raise scan_error(edges_dir, "edge", error) from None
