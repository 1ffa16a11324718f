"""One sandbox for the transport tests (its bot wall switched per test), and a crawl runner:
tests/transport/http_crawl.py in a subprocess (a fresh Twisted reactor per crawl)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from scmap.sandbox.runner import SandboxInfo, generate_world_dir, run_sandbox
from tests.bot_wall_helpers import set_site_shape

REPO = Path(__file__).resolve().parents[2]
CRAWL_SCRIPT = REPO / "tests" / "transport" / "http_crawl.py"


@pytest.fixture(scope="session")
def transport_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world_dir(tmp_path_factory.mktemp("transport-world") / "world", seed=7, accounts=120)


@pytest.fixture(scope="session")
def transport_sandbox(transport_world: Path) -> Iterator[SandboxInfo]:
    with run_sandbox(transport_world) as info:
        yield info


@pytest.fixture
def open_site(transport_sandbox: SandboxInfo) -> Iterator[SandboxInfo]:
    """The sandbox without its bot wall, put back so after the test (which may switch it on)."""
    set_site_shape(transport_sandbox.web_url)
    yield transport_sandbox
    set_site_shape(transport_sandbox.web_url)


def run_api_crawl(tmp_path: Path, config: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Run http_crawl.py with `config` (see its docstring); its result JSON."""
    config = {**config, "out": str(tmp_path / "result.json")}
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    finished = subprocess.run([sys.executable, str(CRAWL_SCRIPT), str(config_path)], cwd=REPO,
                              capture_output=True, text=True, timeout=timeout)
    assert finished.returncode == 0, finished.stderr[-4000:]
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    result["log"] = finished.stderr
    return result


@pytest.fixture
def api_crawl(tmp_path: Path) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda config: run_api_crawl(tmp_path, config)
