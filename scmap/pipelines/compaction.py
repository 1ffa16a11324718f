"""Merging a crawl's small part files into few large ones, crash-safe.

The writer flushes at every finished account (`persist_account_edges`: crash safety), so a
crawl leaves one small file per finished account per partition, and every reader pays per
file. Parquet files cannot be appended to; instead the small files of one crawl id in one
partition are merged:

1. the files are grouped in name order into chunks of at most PARQUET_COMPACT_MAX_ROWS rows
   (from the footers: nothing is read twice) and of one schema;
2. each chunk is written as `part-<crawl_id>-c<seq>.parquet` the writer's atomic way (hidden
   temp file, fsync, rename, fsync of the directory);
3. only then are the chunk's small files deleted.

A crash between 2 and 3 leaves the merged file AND some small ones: duplicate rows, which the
readers drop (edges by their identity; accounts keep the newest value per id), never a lost
row (objects: readers keep one row per object). A file that vanished meanwhile (another compaction took it) is left out of its chunk; a
file that cannot be read is left in place. Merged files (`-c<seq>`) are not merged again.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scmap.pipelines.edge_schema import OBJECT_PARTITION_COLUMN, PARTITION_COLUMN
from scmap.pipelines.part_files import fsync_directory, write_part_file

logger = logging.getLogger(__name__)

# `part-<crawl_id>-<seq>.parquet` (the writer's) or `part-<crawl_id>-c<seq>.parquet` (merged).
# The crawl id may hold dashes: it is everything up to the last one.
PART_FILE_NAME = re.compile(r"^part-(?P<crawl_id>.+)-(?P<merged>c?)(?P<sequence>\d+)\.parquet$")


@dataclass(frozen=True)
class PartFile:
    path: Path
    crawl_id: str
    merged: bool


@dataclass
class CompactionResult:
    files_merged: int = 0  # small files whose rows are now in a merged file (and were deleted)
    files_written: int = 0  # merged files
    rows: int = 0  # rows moved into merged files
    left_behind: list[Path] = field(default_factory=list)  # unreadable, or could not be deleted

    def add(self, other: CompactionResult) -> None:
        self.files_merged += other.files_merged
        self.files_written += other.files_written
        self.rows += other.rows
        self.left_behind += other.left_behind


def parse_part_file(path: Path) -> PartFile | None:
    match = PART_FILE_NAME.match(path.name)
    if match is None:
        return None
    return PartFile(path, match["crawl_id"], bool(match["merged"]))


def partition_directories(output_dir: Path) -> list[Path]:
    """`accounts`, every `edges/interaction=<type>` and `objects/kind=<kind>` under a crawl's output directory."""
    directories = [output_dir / "accounts"] if (output_dir / "accounts").is_dir() else []
    for dataset, column in (("edges", PARTITION_COLUMN), ("objects", OBJECT_PARTITION_COLUMN)):
        if (output_dir / dataset).is_dir():
            directories += sorted(p for p in (output_dir / dataset).glob(f"{column}=*") if p.is_dir())
    return directories


def small_files_by_crawl_id(directory: Path) -> dict[str, list[Path]]:
    """The writer's (unmerged) part files in one partition, by crawl id, in name order."""
    found: dict[str, list[Path]] = {}
    for path in sorted(directory.iterdir()):
        part = parse_part_file(path)
        if part is not None and not part.merged:
            found.setdefault(part.crawl_id, []).append(path)
    return found


def compact_files(paths: Sequence[Path], crawl_id: str, max_rows: int, compression: str) -> CompactionResult:
    """Merge `paths` (small part files of `crawl_id`, all in one directory) into files of at
    most `max_rows` rows each; delete each small file once its merged file is in place."""
    result = CompactionResult()
    for chunk in _chunks(paths, max_rows, result):
        result.add(_merge_chunk(chunk, crawl_id, compression))
    return result


def _chunks(paths: Iterable[Path], max_rows: int, result: CompactionResult) -> list[list[Path]]:
    chunks: list[list[Path]] = []
    chunk: list[Path] = []
    rows, schema = 0, None
    for path in paths:
        try:
            metadata = pq.read_metadata(path)
            file_schema = metadata.schema.to_arrow_schema()
        except FileNotFoundError:
            continue  # merged by another compaction meanwhile: its rows are in place already
        except (OSError, pa.ArrowException) as error:
            logger.warning("Not compacting %s (cannot read its footer: %s)", path, error)
            result.left_behind.append(path)
            continue
        if chunk and (rows + metadata.num_rows > max_rows or not file_schema.equals(schema, check_metadata=True)):
            chunks.append(chunk)
            chunk, rows = [], 0
        chunk.append(path)
        rows += metadata.num_rows
        schema = file_schema
    if chunk:
        chunks.append(chunk)
    return [c for c in chunks if len(c) > 1]  # one file alone is as good as merged


def _merge_chunk(chunk: list[Path], crawl_id: str, compression: str) -> CompactionResult:
    result = CompactionResult()
    tables, read = [], []
    for path in chunk:
        try:
            tables.append(pq.ParquetFile(path).read())  # one file: no partition column guessed from the path
        except FileNotFoundError:
            continue
        except (OSError, pa.ArrowException) as error:
            logger.warning("Not compacting %s (cannot read it: %s)", path, error)
            result.left_behind.append(path)
            continue
        read.append(path)
    if len(read) < 2:
        return result
    table = pa.concat_tables(tables)
    directory = read[0].parent
    write_part_file(table, _merged_path(directory, crawl_id), compression)  # in place before any delete
    result.files_written, result.rows = 1, table.num_rows
    for path in read:
        try:
            delete_part_file(path)
        except FileNotFoundError:
            pass
        except OSError as error:
            # Its rows are in the merged file too: a duplicate for the readers to drop, not a loss.
            logger.warning("Could not delete %s after merging it: %s", path, error)
            result.left_behind.append(path)
            continue
        result.files_merged += 1
    fsync_directory(directory)
    return result


def delete_part_file(path: Path) -> None:
    """One merged small file goes (a seam: tests make it fail or crash here)."""
    os.unlink(path)


def _merged_path(directory: Path, crawl_id: str) -> Path:
    sequence = 0
    while True:
        path = directory / f"part-{crawl_id}-c{sequence:05d}.parquet"
        if not path.exists() and not path.with_name(f".{path.name}.tmp").exists():
            return path
        sequence += 1
