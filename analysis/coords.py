"""coords.parquet: one row per mapped account with its map and PCA positions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.atomic_write import write_atomically

COORDS_SCHEMA = pa.schema([
    ("id", pa.int64()), ("permalink", pa.string()), ("username", pa.string()),
    ("followers_count", pa.int64()), ("x", pa.float64()), ("y", pa.float64()),
    ("pca_x", pa.float64()), ("pca_y", pa.float64()),
    ("cluster", pa.int64()), ("cluster_label", pa.string()),
])


# Written when the build has them: time slices (analysis/time_slices.py), generations (analysis/generations.py),
# scene words when the crawl has objects.
OPTIONAL_FIELDS = [pa.field("slice", pa.string()), pa.field("emerged_at", pa.timestamp("us", tz="UTC")),
                   pa.field("emerged_from", pa.string()), pa.field("generation", pa.string()),
                   pa.field("cluster_tags", pa.list_(pa.string()))]  # scene words (analysis/scene_words.py)


def write_coords(path: Path, coords: pd.DataFrame) -> None:
    schema = pa.schema([*COORDS_SCHEMA, *(f for f in OPTIONAL_FIELDS if f.name in coords)])
    table = pa.Table.from_pandas(coords[schema.names], schema=schema, preserve_index=False)
    write_atomically(path, lambda temp: pq.write_table(table, temp))
