"""Step 1: read the edge dataset, drop duplicate edges, count interactions per
(source account, target account, interaction type).

Memory stays bounded at 100,000 crawled accounts (~200 million edges): each interaction
type is scanned on its own, only its numeric key columns are kept, and the rows are split
into buckets by source id (duplicates always share the source) so the hash-based
deduplication never holds more than one bucket's table at a time.
"""

from __future__ import annotations

import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from analysis.account_labels import LabelCollector
from analysis.datasets import EDGE_PARTITIONING, EDGE_SCHEMA, DatasetPaths, open_dataset, scan_error

log = logging.getLogger("analysis")

# An edge's identity (docs/architecture.md); `interaction` is handled by scanning one type at a time.
EDGE_KEY = ["src_id", "dst_id", "object_kind", "object_id", "created_at"]
KNOWN_OBJECT_KINDS = pa.array(["track", "playlist", "user"])
UNKNOWN_KIND, MISSING = -1, np.iinfo(np.int64).min
ROWS_PER_BUCKET = 4_000_000


PAIR_COLUMNS = ("src_id", "dst_id", "count")


@dataclass
class EdgeCounts:
    """``by_interaction``: type -> arrays ``src_id``, ``dst_id`` (int64), ``count`` (int32 number
    of distinct edges), one entry per account pair. Plain numpy arrays: at 100,000 accounts
    these are ~150 million pairs, and a DataFrame round trip would copy them."""

    by_interaction: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    edges_read: int = 0
    unique_edges: int = 0
    rows_without_ids: int = 0
    per_interaction: dict[str, int] = field(default_factory=dict)


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
    matching rows (a time window: analysis/time_slices.py), and then every count is of those rows."""
    dataset = open_edges(edges_dir)
    result = EdgeCounts()
    try:
        for interaction in interaction_types(dataset):
            of_type = ds.field("interaction") == interaction
            if row_filter is not None:
                of_type = of_type & row_filter
            total = dataset.count_rows(filter=of_type)
            with_ids = of_type & ds.field("src_id").is_valid() & ds.field("dst_id").is_valid()
            buckets = _bucketed_keys(dataset, with_ids, max(1, math.ceil(total / rows_per_bucket)))
            kept = sum(len(part) for bucket in buckets for part in bucket["src_id"])
            result.edges_read += total
            result.rows_without_ids += total - kept
            # Buckets are independent and Arrow / numpy release the GIL: one thread per core.
            with ThreadPoolExecutor(max_workers=min(len(buckets), os.cpu_count() or 1)) as pool:
                    pair_counts = [part for part in pool.map(_count_bucket, buckets) if len(part["src_id"])]
            del buckets
            if not pair_counts:
                continue
            pairs = {name: np.concatenate([part.pop(name) for part in pair_counts]) for name in PAIR_COLUMNS}
            unique = int(pairs["count"].sum())
            result.unique_edges += unique
            result.per_interaction[interaction] = unique
            result.by_interaction[interaction] = pairs
            log.info("  %s: %d edges, %d distinct, %d account pairs", interaction, total, unique, len(pairs["src_id"]))
    except (pa.ArrowException, OSError) as error:
        raise scan_error(edges_dir, "edge", error) from None
    return result


def _bucketed_keys(dataset: ds.Dataset, row_filter: ds.Expression, n_buckets: int) -> list[dict[str, list]]:
    """The identity-key columns as numpy arrays, split by ``src_id % n_buckets``."""
    buckets = [{name: [] for name in EDGE_KEY} for _ in range(n_buckets)]
    scanner = dataset.scanner(columns=EDGE_KEY, filter=row_filter, batch_size=1 << 20)
    for batch in scanner.to_batches():
        if batch.num_rows == 0:
            continue
        columns = {
            "src_id": batch.column("src_id").to_numpy(),
            "dst_id": batch.column("dst_id").to_numpy(),
            # Kinds as small codes: hashing strings would cost more than the rest of the key.
            "object_kind": pc.fill_null(pc.index_in(batch.column("object_kind"), value_set=KNOWN_OBJECT_KINDS),
                                        UNKNOWN_KIND).to_numpy().astype(np.int8),
            "object_id": pc.fill_null(batch.column("object_id"), MISSING).to_numpy(),
            "created_at": pc.fill_null(batch.column("created_at").cast(pa.int64()), MISSING).to_numpy(),
        }
        if n_buckets == 1:
            for name, values in columns.items():
                buckets[0][name].append(values)
            continue
        bucket_of_row = columns["src_id"] % n_buckets
        for index, bucket in enumerate(buckets):
            in_bucket = bucket_of_row == index
            for name, values in columns.items():
                bucket[name].append(values[in_bucket])
    return buckets


def _count_bucket(bucket: dict[str, list]) -> dict[str, np.ndarray]:
    """Distinct edges of one bucket, counted per (src_id, dst_id).

    Sort-based: after one multi-key sort (Arrow's, the fastest here: about 5x quicker than
    hash grouping twice) an edge is a duplicate when its whole key equals the previous row's,
    and each (src_id, dst_id) pair is one run of rows."""
    if not bucket["src_id"]:
        return {"src_id": np.array([], np.int64), "dst_id": np.array([], np.int64), "count": np.array([], np.int32)}
    columns = {name: np.concatenate(parts) for name, parts in bucket.items()}
    for parts in bucket.values():
        parts.clear()  # free the bucket's arrays as soon as they are joined
    order = pc.sort_indices(pa.table(columns), sort_keys=[(name, "ascending") for name in EDGE_KEY]).to_numpy()
    differs_from_previous = {}
    for name in EDGE_KEY:
        values = columns.pop(name)[order]
        changed = np.empty(len(values), dtype=bool)
        changed[0] = True
        np.not_equal(values[1:], values[:-1], out=changed[1:])
        differs_from_previous[name] = changed
        if name in ("src_id", "dst_id"):
            columns[name] = values
    new_pair = differs_from_previous["src_id"] | differs_from_previous["dst_id"]
    new_edge = new_pair.copy()
    for name in EDGE_KEY[2:]:
        new_edge |= differs_from_previous[name]
    pair_starts = np.flatnonzero(new_pair)
    counts = np.add.reduceat(new_edge.astype(np.int32), pair_starts)
    return {"src_id": columns["src_id"][pair_starts], "dst_id": columns["dst_id"][pair_starts], "count": counts}


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
