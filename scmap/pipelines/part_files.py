"""Writing one Parquet part file atomically (the writer's flushes and the compaction's merges)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)


def write_part_file(table: pa.Table, path: Path, compression: str = "zstd") -> Path:
    """Write `table` to `path` atomically: hidden temp file in the same directory, fsync, rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("wb") as handle:
            pq.write_table(table, handle, compression=compression)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)  # makes the rename itself survive a power loss
    return path


def fsync_directory(directory: Path) -> None:
    # The file is already in place: a failure here must not make the caller write it again.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        logger.warning("Could not fsync directory %s: %s", directory, error)
