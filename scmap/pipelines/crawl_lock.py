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
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def is_held_elsewhere(self) -> bool:
        """Does a live process hold this crawl id's lock? (No lock file: nobody does.)"""
        if self._descriptor is not None:
            return False
        try:
            descriptor = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # closing drops the probe's own lock
        return False

    def release(self) -> None:
        """Remove the file, then unlock: a process waiting on it then holds a lock nobody else
        can see, which is harmless (the crawl id is finished)."""
        if self._descriptor is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._descriptor)  # closing releases the flock
        self._descriptor = None
