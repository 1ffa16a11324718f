"""A crawl id's writer lock: held by the Parquet writer for its crawl's life, taken by
`python -m scmap.compact` before it merges that crawl id's files, so the command never
compacts files a live crawl is still adding to.

An advisory `flock` on `<OUTPUT_DIR>/.writing-<crawl_id>.lock` (hidden: dataset readers and
`ls` skip it). The kernel drops it when the process dies, kill -9 included, so a killed
crawl's lock is free at once; the file itself stays until someone takes and removes it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class CrawlIdLock:
    def __init__(self, output_dir: Path, crawl_id: str) -> None:
        self.path = Path(output_dir) / f".writing-{crawl_id}.lock"
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        if self._descriptor is not None:
            return True
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                return False
            if self._is_the_file_at_path(descriptor):
                self._descriptor = descriptor
                return True
            os.close(descriptor)  # its holder removed the file meanwhile (release): lock the new one

    def _is_the_file_at_path(self, descriptor: int) -> bool:
        try:
            return os.fstat(descriptor).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        """Remove the file, then unlock. A process that opened the old file meanwhile sees in
        `acquire` that it is no longer the file at the path, and locks a new one instead."""
        if self._descriptor is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._descriptor)  # closing releases the flock
        self._descriptor = None
