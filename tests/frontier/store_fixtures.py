"""Fixtures giving a frontier store of each kind (SQLite file, Redis with its own key prefix),
so the same scenarios run against both. Imported by the conftest files that need them."""

from __future__ import annotations

import uuid
from typing import Callable, Iterator

import pytest

from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.frontier.store import FrontierStore

STORE_KINDS = ("sqlite", "redis")
OpenStore = Callable[..., FrontierStore]


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def frontier_store_url(request: pytest.FixtureRequest, store_kind: str, tmp_path) -> Callable[[str], str]:
    """name -> the URL of a store of this test's kind (the same name gives the same store)."""
    if store_kind == "sqlite":
        return lambda name="frontier": str(tmp_path / f"{name}.sqlite")
    base = request.getfixturevalue("redis_url")  # started only when a Redis case runs
    test_prefix = uuid.uuid4().hex[:12]
    return lambda name="frontier": f"{base}?prefix={test_prefix}-{name}"


@pytest.fixture
def open_frontier_store(store_kind: str, frontier_store_url) -> Iterator[OpenStore]:
    """name -> an open store of this test's kind; opening a name again reopens the same data."""
    opened: list[FrontierStore] = []

    def open_named(name: str = "frontier") -> FrontierStore:
        url = frontier_store_url(name)
        store: FrontierStore = SqliteFrontierStore(url) if store_kind == "sqlite" else RedisFrontierStore(url)
        opened.append(store)
        return store

    yield open_named
    for store in opened:
        store.close()


@pytest.fixture
def frontier_store(open_frontier_store: OpenStore) -> FrontierStore:
    return open_frontier_store()
