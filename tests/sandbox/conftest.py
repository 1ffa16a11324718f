"""Shared sandbox fixtures: one small world per test session, and a server running on it.

Other packages' tests use these too (spiders, demo...): `sandbox_world` is the world directory,
`sandbox` a running site (scmap.sandbox.runner.SandboxInfo) with no faults.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from scmap.sandbox.runner import SandboxInfo, generate_world_dir, run_sandbox

SANDBOX_SEED = 7
SANDBOX_ACCOUNTS = 400


@pytest.fixture(scope="session")
def sandbox_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world directory generated once per session (seed 7, 400 accounts)."""
    out_dir = tmp_path_factory.mktemp("sandbox") / "world"
    return generate_world_dir(out_dir, seed=SANDBOX_SEED, accounts=SANDBOX_ACCOUNTS)


@pytest.fixture(scope="session")
def sandbox(sandbox_world: Path) -> Iterator[SandboxInfo]:
    """The site serving `sandbox_world` in a subprocess, without faults."""
    with run_sandbox(sandbox_world) as info:
        yield info


@pytest.fixture(scope="session")
def loaded_world(sandbox_world: Path):
    """The same world loaded in this process, as ground truth."""
    from scmap.sandbox.world import load_world

    return load_world(sandbox_world)


# -- a tiny api-v2 client for the tests (stdlib only, so it cannot hide server quirks) --------



@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def http_get(url: str, params: dict[str, object] | None = None, timeout: float = 10) -> HttpResult:
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return HttpResult(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, dict(error.headers), error.read())


def discover_client_id(web_url: str) -> str:
    """The way a client finds it: the bundle's `client_id:"..."` (checked against apiClient)."""
    page = http_get(web_url + "/").body.decode()
    bundle_path = re.search(r'<script crossorigin src="(/assets/0-[0-9a-f]{8}\.js)"', page).group(1)
    bundle = http_get(web_url + bundle_path).body.decode()
    from_bundle = re.search(r'[,{]client_id:"([A-Za-z0-9]{32})"', bundle).group(1)
    from_hydration = re.search(r'"hydratable":"apiClient","data":\{"id":"([A-Za-z0-9]{32})"', page).group(1)
    assert from_bundle == from_hydration
    return from_bundle


class ApiClient:
    def __init__(self, api_url: str, client_id: str) -> None:
        self.api_url = api_url
        self.client_id = client_id

    def get(self, path: str, timeout: float = 10, **params: object) -> HttpResult:
        return http_get(self.api_url + path, {"client_id": self.client_id, **params}, timeout=timeout)

    def walk(self, path: str, limit: int | None = None, max_pages: int = 10_000) -> list[dict]:
        """Every page of a list, following next_href (client_id re-appended) until it is null."""
        params: dict[str, object] = {"offset": 0, "linked_partitioning": 1}
        if limit is not None:
            params["limit"] = limit
        result = self.get(path, **params)
        pages = []
        for _ in range(max_pages):
            assert result.status == 200, (result.status, result.body[:300])
            page = result.json()
            pages.append(page)
            if page["next_href"] is None:
                return pages
            assert "client_id" not in page["next_href"]
            result = http_get(page["next_href"], {"client_id": self.client_id})
        raise AssertionError(f"{path}: more than {max_pages} pages")


@pytest.fixture(scope="session")
def sandbox_api(sandbox: SandboxInfo) -> ApiClient:
    return ApiClient(sandbox.api_url, discover_client_id(sandbox.web_url))


@pytest.fixture(scope="session")
def http():
    """`http(url, params=None, timeout=10) -> HttpResult` (status, headers, body, .json())."""
    return http_get


@pytest.fixture(scope="session")
def api_client_for():
    """`api_client_for(sandbox_info) -> ApiClient` with the client_id that server's bundle holds."""
    return lambda info: ApiClient(info.api_url, discover_client_id(info.web_url))
