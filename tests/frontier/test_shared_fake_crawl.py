"""Two crawler processes sharing one Redis frontier (the network-free fake spider of
tests/frontier): together they make exactly the picks one process makes, crawl each account
once, wait for each other's picks instead of closing early, and a kill -9 of one loses nothing."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.store_url import PASSWORD_ENV
from tests.frontier.fake_crawl import WEIGHTS, make_world, read_edges, start_crawl, write_config
from tests.frontier.reference_order import reference_picks

SEEDS = ["u1", "u2", "u3"]
RULE_ARGS = {"seeds": ",".join(SEEDS), "bfs_accounts": 12, "max_accounts": 45, "min_followers": 250,
             "accounts_in_flight": 4}


def password_and_url(redis_url: str, prefix: str) -> tuple[str, str]:
    """The password goes through the environment, as on a scrapyd node; the URL has none."""
    password = redis_url.split("//:")[1].split("@")[0]
    return password, redis_url.replace(f":{password}@", "") + f"?prefix={prefix}"


def identity(src_permalink: str, edge: dict) -> tuple:
    return (src_permalink, edge["dst_id"], edge["interaction"], edge["object_kind"], edge["object_id"],
            edge["created_at"])


def expected_edges(world: dict, picks: list[tuple[str, str]]) -> set[tuple]:
    """The world's edges of every account the single-node order visits."""
    done = {permalink for permalink, status in picks if status == "done"}
    return {identity(src, e) for src in done for e in world["edges"][src]}


def identities(edges: list[dict]) -> set[tuple]:
    return {identity(e["src_permalink"], e) for e in edges}


def start_nodes(tmp_path, world, store_url, names, page_delay):
    """Each node works on 2 requests (so about 2 accounts) at a time, like a node's browser pages:
    the window of 4 accounts in flight is shared by all nodes, so a node holding all of it would
    leave the other idle."""
    args = {**RULE_ARGS, "page_delay": page_delay}
    return {name: start_crawl(write_config(tmp_path, world, args, name=name, store=store_url, log_interval=1,
                                           settings={"CONCURRENT_REQUESTS": 2}))
            for name in names}


def start_shared_crawl(tmp_path, redis_url, monkeypatch, prefix: str, names: list[str]):
    """Two fake-spider processes on one world sharing a Redis frontier (password from the env)."""
    world = make_world(seed=11, accounts=200)
    password, store_url = password_and_url(redis_url, prefix)
    monkeypatch.setenv(PASSWORD_ENV, password)
    return world, password, store_url, start_nodes(tmp_path, world, store_url, names, page_delay=0.1)


@pytest.mark.timeout(240)
def test_two_nodes_make_the_single_node_picks_once_each(tmp_path, redis_url, monkeypatch):
    world, password, store_url, nodes = start_shared_crawl(tmp_path, redis_url, monkeypatch, "two-nodes",
                                                           ["node-a", "node-b"])
    logs = {name: node.communicate(timeout=200)[0] for name, node in nodes.items()}
    for name, node in nodes.items():
        assert node.returncode == 0, logs[name][-3000:]
        assert password not in logs[name]
        assert "Spider closed (finished)" in logs[name]

    expected = reference_picks(world, SEEDS, 12, 45, 250, WEIGHTS, 4)
    store = RedisFrontierStore(store_url)
    try:
        assert [(p, status) for _, p, status in store.picks("fake")] == expected
    finally:
        store.close()
    edges = {name: read_edges(tmp_path / f"{name}.jsonl") for name in nodes}
    assert all(edges.values()), "both nodes should have crawled accounts"
    union = edges["node-a"] + edges["node-b"]
    assert identities(union) == expected_edges(world, expected)
    # No account crawled twice: each source's edges arrive exactly once in the union.
    per_source = Counter(e["src_permalink"] for e in union)
    assert all(per_source[src] == len(world["edges"][src]) for src in per_source)


@pytest.mark.timeout(240)
def test_a_node_killed_mid_crawl_loses_nothing(tmp_path, redis_url, monkeypatch):
    world, password, store_url, nodes = start_shared_crawl(tmp_path, redis_url, monkeypatch, "kill-one",
                                                           ["victim", "survivor"])
    store = RedisFrontierStore(store_url)
    victim = nodes["victim"].pid
    deadline = time.monotonic() + 120
    while True:  # freeze the victim (alive: its picks stay its own) once it holds some, mid-crawl
        assert all(n.poll() is None for n in nodes.values()) and time.monotonic() < deadline
        if len(store.visited_order("fake")) >= 15:
            os.kill(victim, signal.SIGSTOP)
            held_by_victim = [p for _, p, owner in store.in_flight("fake") if f":{victim}:" in owner]
            if held_by_victim:
                break
            os.kill(victim, signal.SIGCONT)
        time.sleep(0.02)
    os.kill(nodes["victim"].pid, signal.SIGKILL)
    nodes["victim"].communicate()
    log, _ = nodes["survivor"].communicate(timeout=200)
    assert nodes["survivor"].returncode == 0, log[-3000:]
    assert held_by_victim, "the kill should catch picks of the victim in flight"
    for permalink in held_by_victim:
        assert f"handing out {permalink} again" in log

    expected = reference_picks(world, SEEDS, 12, 45, 250, WEIGHTS, 4)
    try:
        assert [(p, status) for _, p, status in store.picks("fake")] == expected
    finally:
        store.close()
    union = read_edges(tmp_path / "victim.jsonl") + read_edges(tmp_path / "survivor.jsonl")
    assert identities(union) == expected_edges(world, expected)
    crawled_twice = {src for src, n in Counter(e["src_permalink"] for e in union).items()
                     if n > len(world["edges"][src])}
    assert crawled_twice <= set(held_by_victim)
