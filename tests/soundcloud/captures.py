"""The real SoundCloud captures (../shared/realdata/soundcloud-captures), loaded for parser tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.shared_data import CAPTURES


def capture_files(pattern: str) -> list[Path]:
    return sorted(CAPTURES.glob(pattern)) if CAPTURES.is_dir() else []


def capture_params(pattern: str) -> list:
    files = capture_files(pattern)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"{CAPTURES} is absent on this machine (real captures live only there)"))]
    return [pytest.param(path, id=path.name) for path in files]


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
