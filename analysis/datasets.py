"""Opening the crawl's Parquet datasets (layout fixed in docs/architecture.md) with clear errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from analysis.errors import MapBuildError

TIMESTAMP = pa.timestamp("us", tz="UTC")

# Only the columns the analysis reads; an explicit schema makes every file cast to the
# same types (a file whose column is all-null would otherwise carry the `null` type).
EDGE_SCHEMA = pa.schema([
    ("src_id", pa.int64()), ("src_permalink", pa.string()),
    ("dst_id", pa.int64()), ("dst_permalink", pa.string()), ("dst_username", pa.string()),
    ("dst_followers_count", pa.int64()),
    ("object_kind", pa.string()), ("object_id", pa.int64()),
    ("created_at", TIMESTAMP), ("scraped_at", TIMESTAMP),
    ("interaction", pa.string()),
])
EDGE_PARTITIONING = ds.partitioning(pa.schema([("interaction", pa.string())]), flavor="hive")

ACCOUNT_SCHEMA = pa.schema([
    ("id", pa.int64()), ("permalink", pa.string()), ("username", pa.string()),
    ("followers_count", pa.int64()), ("scraped_at", TIMESTAMP),
])

# The objects the list items carried (docs/architecture.md); ``kind`` is the hive partition.
OBJECT_SCHEMA = pa.schema([
    ("object_id", pa.int64()), ("owner_id", pa.int64()), ("title", pa.string()), ("permalink", pa.string()),
    ("created_at", TIMESTAMP), ("genre", pa.string()), ("tags", pa.list_(pa.string())),
    ("scraped_at", TIMESTAMP), ("kind", pa.string()),
])
OBJECT_PARTITIONING = ds.partitioning(pa.schema([("kind", pa.string())]), flavor="hive")

DatasetPaths = Path | Sequence[Path]


def as_paths(paths: DatasetPaths) -> list[Path]:
    return [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]


def paths_text(paths: DatasetPaths) -> str | list[str]:
    """One or several dataset paths as the report writes them."""
    return str(paths) if isinstance(paths, (str, Path)) else [str(p) for p in paths]


def open_dataset(paths: DatasetPaths, what: str, schema: pa.Schema,
                 partitioning: ds.Partitioning | None = None) -> ds.Dataset:
    """The Parquet dataset at ``paths`` (several crawls' directories read as one);
    MapBuildError if one is missing or has no files."""
    children = [_open_one(path, what, schema, partitioning) for path in as_paths(paths)]
    if not children:
        raise MapBuildError(f"no {what} dataset given")
    return children[0] if len(children) == 1 else ds.dataset(children)


def _open_one(path: Path, what: str, schema: pa.Schema, partitioning: ds.Partitioning | None) -> ds.Dataset:
    if not path.exists():
        raise MapBuildError(f"{what} dataset not found: {path} (crawl first, or point --input/--edges at it)")
    try:
        dataset = ds.dataset(path, format="parquet", schema=schema, partitioning=partitioning,
                             exclude_invalid_files=False)
    except (pa.ArrowException, OSError) as error:
        raise MapBuildError(f"cannot open {what} dataset {path}: {first_line(error)}") from None
    if not dataset.files:
        raise MapBuildError(f"{what} dataset {path} is empty (no Parquet files)")
    return dataset


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def scan_error(path: Path, what: str, error: BaseException) -> MapBuildError:
    return MapBuildError(f"cannot read {what} dataset {path} (corrupt or unexpected file?): {first_line(error)}")
