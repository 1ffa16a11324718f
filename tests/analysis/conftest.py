"""Shared analysis fixtures: the small sandbox world the end-to-end map tests read, generated once
per session (seed 3, 800 accounts)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def world_800():
    from scmap.sandbox.world import generate_world

    return generate_world(seed=3, accounts=800)
