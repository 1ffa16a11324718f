"""Redis is a real dependency: restarted mid-crawl, the nodes pause, reconnect and go on with
nothing lost or crawled twice; gone for longer than FRONTIER_STORE_OUTAGE_SECONDS, the crawl
stops with one clear line and the next run resumes it. Fake-spider processes (no network),
a real append-only redis-server."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

import pytest

from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.store_url import PASSWORD_ENV
from tests.frontier.fake_crawl import make_world, read_edges, start_crawl, write_config
from tests.frontier.redis_server import start_redis_server
from tests.frontier.test_shared_fake_crawl import RULE_ARGS, expected_edges, identities, password_and_url

OUTAGE_LINE = "unreachable for more than 2 s: crawl stopped"


def picks_of(store_url: str) -> list[tuple[str, str]]:
    store = RedisFrontierStore(store_url)
    try:
        return [(p, status) for _, p, status in store.picks("fake")]
    finally:
        store.close()


@contextmanager
def password_redis(tmp_path, monkeypatch, prefix: str) -> Iterator[tuple[object, str]]:
    """A persistent redis-server with a password, and its frontier URL (the password in the env)."""
    with start_redis_server(tmp_path / "redis", persistent=True) as server:
        password, store_url = password_and_url(server.url, prefix)
        monkeypatch.setenv(PASSWORD_ENV, password)
        yield server, store_url


def assert_every_account_picked_once(world, picks: list[tuple[str, str]], union: list[dict]) -> None:
    """max_accounts visits, none picked twice, and exactly the picked accounts' edges."""
    assert len({p for p, _ in picks}) == len(picks)
    assert sum(status == "done" for _, status in picks) == RULE_ARGS["max_accounts"]
    assert identities(union) == expected_edges(world, picks)


def wait_for_visits(store_url: str, visits: int, processes, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(status == "done" for _, status in picks_of(store_url)) < visits:
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes)
        time.sleep(0.05)


@pytest.mark.timeout(240)
def test_nodes_pause_through_a_redis_restart_and_lose_nothing(tmp_path, monkeypatch):
    world = make_world(seed=11, accounts=200)
    with password_redis(tmp_path, monkeypatch, "restart") as (server, store_url):
        args = {**RULE_ARGS, "page_delay": 0.15}
        nodes = {name: start_crawl(write_config(tmp_path, world, args, name=name, store=store_url, log_interval=1))
                 for name in ("node-a", "node-b")}
        wait_for_visits(store_url, 10, nodes.values())
        server.stop()
        time.sleep(4)  # longer than redis-py's own retries: the nodes see the outage
        assert server.start()
        logs = {name: node.communicate(timeout=200)[0] for name, node in nodes.items()}
        for name, node in nodes.items():
            assert node.returncode == 0 and "Spider closed (finished)" in logs[name], logs[name][-3000:]
        assert any("pausing, retrying for up to 60 s" in log for log in logs.values())
        assert any("frontier store back after" in log for log in logs.values())
        picks = picks_of(store_url)
    union = read_edges(tmp_path / "node-a.jsonl") + read_edges(tmp_path / "node-b.jsonl")
    assert_every_account_picked_once(world, picks, union)
    per_source = Counter(e["src_permalink"] for e in union)
    assert all(per_source[src] == len(world["edges"][src]) for src in per_source), "an account crawled twice"


@pytest.mark.timeout(240)
def test_a_long_outage_stops_the_crawl_and_the_next_run_resumes_it(tmp_path, monkeypatch):
    world = make_world(seed=11, accounts=200)
    with password_redis(tmp_path, monkeypatch, "long-outage") as (server, store_url):
        config = write_config(tmp_path, world, {**RULE_ARGS, "page_delay": 0.15}, name="node", store=store_url,
                              log_interval=1, settings={"FRONTIER_STORE_OUTAGE_SECONDS": 2})
        first = start_crawl(config)
        wait_for_visits(store_url, 10, [first])
        server.stop()
        log, _ = first.communicate(timeout=60)  # stops by itself
        assert OUTAGE_LINE in log and "Traceback" not in log, log[-3000:]
        assert "(frontier_unreachable)" in log
        assert server.start()
        interrupted = [p for p, status in picks_of(store_url) if status == "in_flight"]
        second = start_crawl(config)
        log, _ = second.communicate(timeout=200)
        assert second.returncode == 0 and "Spider closed (finished)" in log, log[-3000:]
        picks = picks_of(store_url)
    union = read_edges(tmp_path / "node.jsonl")
    assert_every_account_picked_once(world, picks, union)
    crawled_twice = {src for src, n in Counter(e["src_permalink"] for e in union).items()
                     if n > len(world["edges"][src])}
    assert crawled_twice <= set(interrupted)


def test_a_tls_redis_with_a_password_serves_the_frontier(tmp_path):
    """`rediss://` with the server's CA (`?ssl_ca_certs=`), password required."""
    from scmap.frontier.ordering import CrawlRules
    from scmap.frontier.store_url import open_store

    with start_redis_server(tmp_path / "redis", tls=True) as server:
        assert server.url.startswith("rediss://")
        store = open_store(server.url + "&prefix=tls")
        try:
            store.add_discovered(["s1", "s2"])
            assert store.claim_next("likes", "node:1:x", CrawlRules(), 60).permalink == "s1"
            assert store.mark_done("likes", "s1", [], None, 1000)
        finally:
            store.close()
        plain = server.url.split("?")[0].replace("rediss://", "redis://")  # TLS only: plain is refused
        with pytest.raises(Exception):
            open_store(plain)
        wrong_password = server.url.replace(server.url.split("//:")[1].split("@")[0], "wrong")
        with pytest.raises(Exception, match="(?i)invalid|WRONGPASS|auth"):
            open_store(wrong_password)


def test_a_hung_redis_fails_a_call_after_one_socket_timeout(tmp_path, monkeypatch):
    """A server that stops answering (SIGSTOP: alive, silent) fails the call after one socket
    timeout, not after redis-py's retries of it: each call blocks the crawl's event loop."""
    import os
    import signal

    import redis

    from scmap.frontier import redis_store
    from scmap.frontier.ordering import CrawlRules

    monkeypatch.setattr(redis_store, "SOCKET_TIMEOUT_SECONDS", 1)
    with start_redis_server(tmp_path / "redis") as server:
        store = RedisFrontierStore(server.url + "?prefix=hung")  # plain redis://:password@host/0
        try:
            store.add_discovered(["s1"])
            os.kill(server.process.pid, signal.SIGSTOP)
            started = time.monotonic()
            try:
                with pytest.raises(redis.TimeoutError):
                    store.counts("likes", CrawlRules())
                assert time.monotonic() - started < 2.5  # one timeout (1 s), not three
            finally:
                os.kill(server.process.pid, signal.SIGCONT)
        finally:
            store.close()
