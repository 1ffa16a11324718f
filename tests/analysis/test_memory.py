"""analysis/memory.py against the real C library: freed mid-size arrays leave the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.memory import _TRIM

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import numpy as np
from analysis.memory import give_back_freed_memory
from analysis.progress import current_rss_mib
big = np.ones(30 * 2**20 // 8); del big       # glibc raises its mmap threshold to ~30 MB
arrays = [np.ones(20 * 2**20 // 8) for _ in range(40)]  # 800 MB of 20 MB arrays, now on the heap
last = arrays[-1]; del arrays                 # the last one pins the heap's top
freed = current_rss_mib()
give_back_freed_memory()
print(freed, current_rss_mib())
"""


@pytest.mark.skipif(_TRIM is None, reason="malloc_trim is glibc's: elsewhere give_back_freed_memory only empties Arrow's pool")
def test_freed_heap_memory_is_given_back() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    freed, given_back = map(int, result.stdout.split())
    assert freed > 700 and given_back < freed - 600, (freed, given_back)
