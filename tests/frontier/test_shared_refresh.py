"""Refresh rounds (-a refresh=DAYS) shared by crawler processes through one real Redis (the
network-free fake spider of tests/frontier): two nodes joining one refresh visit each due
account exactly once between them; a node killed mid-refresh loses nothing (the other takes
its accounts); a refresh killed mid-way is finished by the next run, which visits only what
was still due."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.store_url import PASSWORD_ENV
from tests.frontier.fake_crawl import make_world, start_crawl, write_config
from tests.frontier.test_shared_fake_crawl import password_and_url

SPIDER = "fake"
RULE_ARGS = {"seeds": "u1,u2,u3", "bfs_accounts": 12, "max_accounts": 30, "min_followers": 250,
             "accounts_in_flight": 4}


def run_nodes(tmp_path: Path, world: dict, store_url: str, names: list[str], page_delay: float = 0.0,
              **spider_args: str) -> dict:
    """Start fake-spider processes on one store; each logs the accounts it requested to NAME.requests."""
    return {name: start_crawl(write_config(
        tmp_path, world, {**RULE_ARGS, "page_delay": page_delay, "requests_log": str(tmp_path / f"{name}.requests"),
                          **spider_args}, name=name, store=store_url, log_interval=1))
        for name in names}


def finish(nodes: dict, timeout: float = 200) -> dict[str, str]:
    logs = {name: node.communicate(timeout=timeout)[0] for name, node in nodes.items()}
    for name, node in nodes.items():
        assert node.returncode == 0, logs[name][-3000:]
        assert "Spider closed (finished)" in logs[name], logs[name][-3000:]
    return logs


def requested(tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.requests"
    return path.read_text().split() if path.exists() else []


def first_crawl(tmp_path: Path, redis_url: str, monkeypatch, prefix: str) -> tuple[dict, str, list[str]]:
    """A finished crawl of 30 accounts on one node: every visited account is due for refresh=0."""
    world = make_world(seed=11, accounts=200)
    password, store_url = password_and_url(redis_url, prefix)
    monkeypatch.setenv(PASSWORD_ENV, password)
    finish(run_nodes(tmp_path, world, store_url, ["first"]))
    store = RedisFrontierStore(store_url)
    try:
        due = store.visited_order(SPIDER)
    finally:
        store.close()
    assert len(due) == RULE_ARGS["max_accounts"]
    return world, store_url, due


def the_round(store_url: str):
    store = RedisFrontierStore(store_url)
    try:
        return store.refresh_round(SPIDER), store.visited_order(SPIDER)
    finally:
        store.close()


@pytest.mark.timeout(300)
def test_two_nodes_refresh_each_due_account_exactly_once(tmp_path, redis_url, monkeypatch):
    world, store_url, due = first_crawl(tmp_path, redis_url, monkeypatch, "refresh-two")
    started = time.monotonic()
    logs = finish(run_nodes(tmp_path, world, store_url, ["node-a", "node-b"], page_delay=0.05, refresh="0"))
    two_nodes_seconds = time.monotonic() - started
    by_node = {name: requested(tmp_path, name) for name in ("node-a", "node-b")}
    both = by_node["node-a"] + by_node["node-b"]
    assert sorted(both) == sorted(due), Counter(both) - Counter(due)  # each due account once, nothing else
    assert all(len(visits) >= len(due) / 4 for visits in by_node.values()), \
        f"each node should take a share: {[len(v) for v in by_node.values()]} of {len(due)}"
    round_, visited_after = the_round(store_url)
    assert round_.number == 1 and round_.complete and round_.count("done") == len(due)
    assert visited_after == due  # a refresh visit is not a new visit: picks unchanged
    holders = Counter(record.holder.split(":")[1] for record in round_.records)
    assert sorted(holders.values()) == sorted(len(v) for v in by_node.values())
    assert sum("joining refresh round 1" in log for log in logs.values()) == 1  # one began it, one joined

    # The same refresh on one node, for comparison: a new round (the last one is complete).
    started = time.monotonic()
    finish(run_nodes(tmp_path, world, store_url, ["single"], page_delay=0.05, refresh="0"))
    single_seconds = time.monotonic() - started
    single = requested(tmp_path, "single")
    assert sorted(single) == sorted(due) and the_round(store_url)[0].number == 2
    print(f"refresh of {len(due)} due accounts: 2 nodes {len(by_node['node-a'])} + {len(by_node['node-b'])}"
          f" = {len(both)} account visits in {two_nodes_seconds:.1f} s; 1 node {len(single)} in {single_seconds:.1f} s"
          " (wall time, process start included)")


@pytest.mark.timeout(300)
def test_a_node_killed_mid_refresh_loses_nothing(tmp_path, redis_url, monkeypatch):
    world, store_url, due = first_crawl(tmp_path, redis_url, monkeypatch, "refresh-kill")
    nodes = run_nodes(tmp_path, world, store_url, ["victim", "survivor"], page_delay=0.1, refresh="0")
    victim = nodes["victim"].pid
    store = RedisFrontierStore(store_url)
    deadline = time.monotonic() + 120
    try:
        while True:  # kill the victim while it holds refresh picks, mid-round
            assert all(n.poll() is None for n in nodes.values()) and time.monotonic() < deadline
            round_ = store.refresh_round(SPIDER)
            if round_ is not None and round_.count("done") >= 5:
                os.kill(victim, signal.SIGSTOP)
                round_ = store.refresh_round(SPIDER)
                held = [r.permalink for r in round_.records if r.status == "in_flight" and f":{victim}:" in r.holder]
                if held and round_.count("due"):
                    break
                os.kill(victim, signal.SIGCONT)
            time.sleep(0.02)
    finally:
        store.close()
    os.kill(victim, signal.SIGKILL)
    nodes["victim"].communicate()
    log = finish({"survivor": nodes["survivor"]})["survivor"]
    for permalink in held:  # a dead process of this machine: no need to wait for its lease
        assert f"handing out {permalink} again for the refresh" in log
    union = requested(tmp_path, "victim") + requested(tmp_path, "survivor")
    assert set(union) == set(due)
    twice = {p for p, n in Counter(union).items() if n > 1}
    assert twice <= set(held)  # only what the victim had in flight is visited again
    round_, _ = the_round(store_url)
    assert round_.complete and round_.count("done") == len(due)


@pytest.mark.timeout(300)
def test_a_refresh_killed_mid_way_is_finished_by_the_next_run(tmp_path, redis_url, monkeypatch):
    world, store_url, due = first_crawl(tmp_path, redis_url, monkeypatch, "refresh-resume")
    node = run_nodes(tmp_path, world, store_url, ["cut"], page_delay=0.1, refresh="0")["cut"]
    store = RedisFrontierStore(store_url)
    deadline = time.monotonic() + 120
    try:
        while (round_ := store.refresh_round(SPIDER)) is None or round_.count("done") < 10:
            assert node.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        store.close()
    node.kill()
    node.communicate()
    round_, _ = the_round(store_url)
    finished_before = {r.permalink for r in round_.records if r.status == "done"}
    assert 10 <= len(finished_before) < len(due)
    log = finish(run_nodes(tmp_path, world, store_url, ["next"], refresh="0"))["next"]
    assert "joining refresh round 1" in log
    again = requested(tmp_path, "next")
    assert sorted(again) == sorted(set(due) - finished_before)  # only what was still due
    assert set(requested(tmp_path, "cut")) | set(again) == set(due)
    assert the_round(store_url)[0].complete
