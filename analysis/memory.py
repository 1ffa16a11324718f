"""Giving freed memory back to the system, so that what a large build holds is what it uses.

glibc keeps freed blocks below its (self-raising, up to 32 MB) mmap threshold on its heap, and
Arrow's allocator keeps what a scan freed for reuse: a build that frees a 2 GB stage's arrays of
~30 MB each would otherwise carry them in its resident memory into every later stage (measured:
1.2 GB of freed 20 MB arrays stay resident until ``malloc_trim``). Called at the end of every
stage (analysis/progress.py) and while the score matrix is laid out (analysis/edge_scores.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

import pyarrow as pa


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``; None on other C libraries (macOS, musl), where this is a no-op."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back_freed_memory() -> None:
    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)
