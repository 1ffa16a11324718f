"""The objects dataset (docs/architecture.md): every track and playlist a crawled list item
carried, ``objects/kind=track|playlist/part-*.parquet``, one row per object per crawl.

Read beside the edges: the newest row of each object (by ``scraped_at``) wins, so re-crawls
and several crawls read as one give one row per object. A crawl made before objects were
written has no ``objects/`` directory: :func:`read_objects` then returns ``None`` and the map
is built as before (no upload dates, no scene words).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from analysis.datasets import OBJECT_PARTITIONING, OBJECT_SCHEMA, DatasetPaths, as_paths, open_dataset, scan_error

# What the analysis reads of an object (the counts and durations are not used by the map).
OBJECT_COLUMNS = ["object_id", "kind", "owner_id", "title", "permalink", "created_at", "genre", "tags", "scraped_at"]


def objects_dirs(edges: DatasetPaths) -> list[Path]:
    """``objects/`` beside each ``edges/`` directory that has one (the crawl's layout)."""
    return [path.parent / "objects" for path in as_paths(edges) if (path.parent / "objects").is_dir()]


def read_objects(paths: DatasetPaths, columns: list[str] | None = None) -> pd.DataFrame | None:
    """One row per (kind, object_id): its newest observation. ``None`` when no directory in
    ``paths`` exists or holds files (a crawl without objects)."""
    present = [path for path in as_paths(paths) if path.is_dir() and any(path.rglob("*.parquet"))]
    if not present:
        return None
    columns = list(dict.fromkeys(["object_id", "kind", "scraped_at", *(columns or OBJECT_COLUMNS)]))
    dataset = open_dataset(present, "objects", OBJECT_SCHEMA, OBJECT_PARTITIONING)
    try:
        table = dataset.to_table(columns=columns, filter=ds.field("object_id").is_valid())
    except (pa.ArrowException, OSError) as error:
        raise scan_error(present[0], "objects", error) from None
    return newest_per_object(table).to_pandas()


def newest_per_object(table: pa.Table) -> pa.Table:
    """The newest row (by ``scraped_at``, nulls oldest) of each (kind, object_id)."""
    order = pc.sort_indices(table, sort_keys=[("kind", "ascending", "at_end"), ("object_id", "ascending", "at_end"),
                                              ("scraped_at", "descending", "at_end")])
    table = table.take(order)
    if table.num_rows == 0:
        return table
    kind, object_id = table["kind"].combine_chunks(), table["object_id"].combine_chunks()
    first = pc.or_(pc.not_equal(kind[1:], kind[:-1]), pc.not_equal(object_id[1:], object_id[:-1]))
    keep = pa.concat_arrays([pa.array([True]), first.fill_null(True)])
    return table.filter(keep)


def tag_owners(objects: pd.DataFrame) -> np.ndarray:
    """Owner ids of the objects that carry tags (whose own-name tags are to be recognised)."""
    tagged = objects["tags"].map(lambda tags: tags is not None and len(tags) > 0).to_numpy(dtype=bool)
    return np.unique(objects.loc[tagged, "owner_id"].dropna().to_numpy(dtype=np.int64))
