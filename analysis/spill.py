"""Rows split by key into parts, on disk when there is more than one, read back one part at a time.

The stages that must see every row of a key together (deduplicating edges per source account,
the first date of each track per owner) stream their scan through this: each batch's numeric
columns are split by ``key % parts`` and appended to one file per part, then each part is
loaded and reduced alone. Memory then follows one part (``rows / parts`` rows), not the rows
read; the disk holds the rows once, as raw fixed-width records (no encoding cost). With one part
nothing touches the disk: that is the in-memory path, and the results are the same either way.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


class SpilledParts:
    """``add(key, columns)`` batch by batch, then ``for part in parts(): ...`` (each part a dict
    of numpy columns; its file is deleted once read). Use as a context manager: the spill
    directory (under the system temp dir, or ``directory``) is removed on exit."""

    def __init__(self, dtypes: dict[str, np.dtype], n_parts: int, directory: Path | None = None) -> None:
        self.record = np.dtype([(name, dtype) for name, dtype in dtypes.items()])
        self.n_parts = max(1, int(n_parts))
        self._in_memory: list[np.ndarray] = []
        self._directory = None
        self._files = []
        if self.n_parts > 1:
            self._directory = Path(tempfile.mkdtemp(prefix="scmap-spill-", dir=directory))
            self._files = [open(self._directory / f"part-{i:05d}.bin", "wb") for i in range(self.n_parts)]

    def __enter__(self) -> SpilledParts:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []
        self._in_memory = []
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def add(self, key: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Append rows; ``key`` (non-negative integers, e.g. account ids) chooses each row's part."""
        rows = np.empty(len(key), dtype=self.record)
        for name in self.record.names:
            rows[name] = columns[name]
        if self.n_parts == 1:
            self._in_memory.append(rows)
            return
        part_of_row = np.asarray(key) % self.n_parts
        order = np.argsort(part_of_row, kind="stable")
        bounds = np.searchsorted(part_of_row[order], np.arange(self.n_parts + 1))
        rows = rows[order]
        for part, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
            if end > start:
                rows[start:end].tofile(self._files[part])

    def parts(self) -> Iterator[dict[str, np.ndarray]]:
        """Each non-empty part's columns (contiguous arrays), one part in memory at a time."""
        if self.n_parts == 1:
            if self._in_memory:
                rows = np.concatenate(self._in_memory)
                self._in_memory = []
                yield {name: np.ascontiguousarray(rows[name]) for name in self.record.names}
            return
        for handle in self._files:
            handle.close()
        for index in range(self.n_parts):
            path = self._directory / f"part-{index:05d}.bin"
            rows = np.fromfile(path, dtype=self.record)
            path.unlink()
            if len(rows):
                columns = {name: np.ascontiguousarray(rows[name]) for name in self.record.names}
                del rows
                yield columns


class ParkedArrays:
    """Numpy arrays moved to disk while a stage that needs the memory runs (the score matrix
    during t-SNE: ~2 GB at 1M accounts), read back by ``restore()``; the files go either way."""

    def __init__(self, arrays: dict[str, np.ndarray], directory: Path | None = None) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="scmap-parked-", dir=directory))
        self._names = []
        try:
            for name, array in arrays.items():
                np.save(self._directory / f"{name}.npy", array, allow_pickle=False)
                self._names.append(name)
        except BaseException:
            shutil.rmtree(self._directory, ignore_errors=True)
            raise

    def restore(self) -> dict[str, np.ndarray]:
        try:
            return {name: np.load(self._directory / f"{name}.npy", allow_pickle=False) for name in self._names}
        finally:
            shutil.rmtree(self._directory, ignore_errors=True)
