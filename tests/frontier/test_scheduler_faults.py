"""Faults around the scheduler: a spider that never sends account_done, a writer that cannot
persist for a while. The crawl neither hangs nor records an account whose edges are not safe."""

from __future__ import annotations

import pytest

from scmap.frontier.sqlite_store import SqliteFrontierStore
from tests.frontier.fake_crawl import WEIGHTS, make_world, read_edges, start_crawl, write_config
from tests.frontier.reference_order import reference_picks

ARGS = {"seeds": "u1,u2,u3", "bfs_accounts": 5, "max_accounts": 15, "accounts_in_flight": 2}


def run(tmp_path, world, **config) -> str:
    process = start_crawl(write_config(tmp_path, world, ARGS, **config))
    log, _ = process.communicate(timeout=100)
    assert process.returncode == 0, log[-3000:]
    return log


@pytest.mark.timeout(120)
def test_an_account_without_account_done_is_finished_as_failed_and_the_crawl_goes_on(tmp_path):
    world = make_world(seed=9, accounts=120)
    world["silent"] = ["u2"]
    log = run(tmp_path, world, settings={"FRONTIER_SILENT_ACCOUNT_SECONDS": 1})
    picks = SqliteFrontierStore(tmp_path / "run.sqlite").picks("fake")
    assert ("u2", "failed") in [(p, s) for _, p, s in picks]
    assert "no account_done for u2" in log
    assert sum(s == "done" for *_, s in picks) == 15


@pytest.mark.timeout(120)
def test_an_account_announcing_more_items_than_it_yielded_does_not_hang_the_crawl(tmp_path):
    """The finish waits for the announced items; once the engine is idle none can come."""
    world = make_world(seed=9, accounts=120)
    world["overcount"] = ["u2"]
    log = run(tmp_path, world)
    picks = SqliteFrontierStore(tmp_path / "run.sqlite").picks("fake")
    assert ("u2", "done") in [(p, s) for _, p, s in picks]
    assert "u2 announced" in log and "left the pipeline; recording it" in log
    assert sum(s == "done" for *_, s in picks) == 15
    assert [p for p, s in [(p, s) for _, p, s in picks] if s == "done"] == \
        [p for p, s in reference_picks(world, ["u1", "u2", "u3"], 5, 15, 250, WEIGHTS, 2) if s == "done"]


@pytest.mark.timeout(120)
def test_an_account_is_recorded_only_once_its_edges_are_persisted(tmp_path):
    world = make_world(seed=9, accounts=120)
    log = run(tmp_path, world, settings={"EDGES_PERSIST_FAILURES": 3})
    assert log.count("could not be persisted") >= 3
    picks = [(p, s) for _, p, s in SqliteFrontierStore(tmp_path / "run.sqlite").picks("fake")]
    assert picks == reference_picks(world, ["u1", "u2", "u3"], 5, 15, 250, WEIGHTS, 2)
    written = {e["src_permalink"] for e in read_edges(tmp_path / "run.jsonl")}
    assert written == {p for p, s in picks if s == "done" and world["edges"][p]}


@pytest.mark.timeout(120)
def test_an_account_the_spider_cannot_build_a_request_for_ends_failed(tmp_path):
    world = make_world(seed=9, accounts=120)
    world["unrequestable"] = ["u1"]
    log = run(tmp_path, world)
    picks = [(p, s) for _, p, s in SqliteFrontierStore(tmp_path / "run.sqlite").picks("fake")]
    assert picks[0] == ("u1", "failed") and "no request for 'u1'" in log
    assert sum(s == "done" for _, s in picks) == 15


@pytest.mark.timeout(120)
def test_a_store_gone_between_the_check_and_the_crawl_closes_the_spider_with_one_line(tmp_path):
    """The commands check the store first (scmap.preflight); a crawl started without them, or a
    store that died in between, still ends at once with the line and no traceback."""
    from tests.frontier.redis_server import free_port

    world = make_world(seed=9, accounts=20)
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    process = start_crawl(write_config(tmp_path, world, ARGS, store=url))
    log, _ = process.communicate(timeout=100)
    assert "Traceback" not in log, log[-3000:]
    assert "Closing spider (frontier_unreachable)" in log
    assert "frontier store redis://:***@127.0.0.1" in log and "unreachable" in log and "hunter2" not in log
    assert "'scmap/error': 'frontier store redis://:***@" in log
