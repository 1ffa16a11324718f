"""Label observations from the edges: per account, the newest display name, permalink and
followers count the edges state about it (as a target; as a source, only the permalink).

DuckDB aggregates the Arrow dataset in one hash aggregate with its own threads and spills to disk
past its memory limit. At 1M accounts (219 M edges) it took 171 CPU s and 1.4 GB, where folding
each Arrow batch by (id, value) into analysis/account_labels.py's collector took 634 CPU s
(docs/analysis.md, "Memory and speed"). The choice is the collector's: the newest ``scraped_at``
wins, ties go to the smallest value, rows without ``scraped_at`` are the oldest. Its key is the
pair (-scraped_at, value), and the smallest pair wins.
"""

from __future__ import annotations

import os
import tempfile

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analysis.account_labels import FIELD_TYPES, LabelCollector
from analysis.datasets import DatasetPaths, scan_error
from analysis.read_edges import open_edges

MEMORY_LIMIT = "2GB"  # beyond it DuckDB spills its hash tables to a temporary directory
_TIMESTAMP = pa.timestamp("us", tz="UTC")


def collect_edge_labels(edges_dir: DatasetPaths, ids: np.ndarray, labels: LabelCollector,
                        source_permalinks_for: np.ndarray | None = None) -> None:
    """Fold into ``labels`` what the edges say about ``ids`` as targets (name, permalink,
    followers) and, for ``source_permalinks_for``, their permalinks as sources."""
    dataset = open_edges(edges_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="scmap-labels-") as spill, \
                duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": MEMORY_LIMIT,
                                       "temp_directory": spill, "preserve_insertion_order": False}) as db:
            db.register("edges", dataset)
            if len(ids):
                for field, newest in _newest_per_account(db, "dst", LABEL_COLUMNS, ids).items():
                    labels.add_newest(field, newest)
            if source_permalinks_for is not None and len(source_permalinks_for):
                for field, newest in _newest_per_account(db, "src", {"permalink": "src_permalink"},
                                                         source_permalinks_for).items():
                    labels.add_newest(field, newest)
    except (pa.ArrowException, OSError, duckdb.Error) as error:
        raise scan_error(edges_dir, "edge", error) from None


LABEL_COLUMNS = {"permalink": "dst_permalink", "username": "dst_username", "followers_count": "dst_followers_count"}


def _newest_per_account(db: duckdb.DuckDBPyConnection, side: str, columns: dict[str, str],
                        ids: np.ndarray) -> dict[str, pa.Table]:
    """Per label field: table ``id, value, scraped_at`` of the newest value per account in ``ids``."""
    newest = ", ".join(
        f"min(struct_pack(age := -coalesce(epoch_us(scraped_at), 0), value := {column})) "
        f"FILTER (WHERE {column} IS NOT NULL) AS {field}" for field, column in columns.items())
    # Every account is aggregated and the wanted ones kept afterwards: cheaper than a join on
    # the scan, since nearly every account the edges name is wanted.
    result = db.sql(f"SELECT {side}_id AS id, {newest} FROM edges WHERE {side}_id IS NOT NULL "
                        f"GROUP BY {side}_id").to_arrow_table()
    result = result.filter(pc.is_in(result["id"], value_set=pa.array(np.asarray(ids, dtype=np.int64))))
    tables = {}
    for field in columns:
        chosen = result.filter(pc.is_valid(result[field]))
        winner = chosen[field].combine_chunks()
        tables[field] = pa.table({
            "id": chosen["id"].cast(pa.int64()),
            "value": winner.field("value").cast(FIELD_TYPES[field]),
            "scraped_at": pc.negate(winner.field("age")).cast(_TIMESTAMP)})
    return tables
