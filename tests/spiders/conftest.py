"""Sandbox fixtures for the spider tests: one small world, served without faults.

Built on the sandbox helper's runner (scmap.sandbox.runner); fault tests start their own site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from scmap.sandbox.runner import SandboxInfo, generate_world_dir, run_sandbox

WORLD_SEED = 7
WORLD_ACCOUNTS = 120


@pytest.fixture(scope="session")
def spider_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("spider-world") / "world"
    return generate_world_dir(out_dir, seed=WORLD_SEED, accounts=WORLD_ACCOUNTS)


@pytest.fixture(scope="session")
def truth(spider_world: Path):
    """The world as ground truth (`recent_interactions`, users, meta)."""
    from scmap.sandbox.world import load_world

    return load_world(spider_world)


@pytest.fixture(scope="session")
def clean_sandbox(spider_world: Path) -> Iterator[SandboxInfo]:
    with run_sandbox(spider_world) as info:
        yield info


@pytest.fixture(scope="session")
def fault_sandbox(spider_world: Path):
    """`with fault_sandbox({"error_rate": 0.3}) as site:` - the same world with faults on."""
    def start(faults: dict[str, object]):
        return run_sandbox(spider_world, faults=faults)
    return start
