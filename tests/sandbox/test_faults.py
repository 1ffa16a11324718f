"""Each fault switch of the sandbox, observed over HTTP on a server in a subprocess, and
repeatable: the same fault seed and the same requests give the same faults."""

from __future__ import annotations

import json
import socket
import time
import urllib.error

import pytest

from scmap.sandbox.runner import run_sandbox

pytestmark = pytest.mark.timeout(180)


def stats(http, info) -> dict:
    return http(f"{info.web_url}/__sandbox/stats").json()["counts"]


def list_paths(world, count: int) -> list[str]:
    """First-page API paths of several busy lists (a fixed request sequence for repeatability)."""
    rows = world.interactions
    likers = rows[rows["interaction"] == "likes"]["src_id"].value_counts().index[:count]
    return [f"/users/{int(user_id)}/likes" for user_id in likers]


def statuses(api, paths: list[str]) -> list[int]:
    return [api.get(path, limit=10).status for path in paths]


def test_rate_limit_answers_429_with_retry_after(sandbox_world, http, api_client_for):
    with run_sandbox(sandbox_world, faults={"rate_limit": 5}) as info:
        api = api_client_for(info)
        results = [api.get("/resolve", url="https://soundcloud.com/nobody-here") for _ in range(8)]
        assert [r.status for r in results] == [404] * 5 + [429] * 3
        limited = results[-1]
        assert limited.body == b"Please slow down."
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert stats(http, info)["rate_limited"] == 3
        assert http(f"{info.web_url}/").status == 200  # the limit is on api-v2 only


def test_error_rate_is_seeded_and_repeatable(sandbox_world, loaded_world, http, api_client_for):
    paths = list_paths(loaded_world, 30)
    runs = []
    for seed in (3, 3, 4):
        with run_sandbox(sandbox_world, faults={"error_rate": 0.4, "fault_seed": seed}) as info:
            observed = statuses(api_client_for(info), paths)
            counts = stats(http, info)
            assert counts.get("errors_502", 0) + counts.get("errors_503", 0) == sum(s >= 500 for s in observed)
            runs.append(observed)
    assert set(runs[0]) <= {200, 502, 503} and {200} < set(runs[0])
    assert runs[0] == runs[1], "same fault seed, same requests -> same faults"
    assert runs[0] != runs[2], "another seed draws other faults"


def test_truncated_bodies_keep_status_200(sandbox_world, loaded_world, http, api_client_for):
    paths = list_paths(loaded_world, 20)
    bodies: list[list[bytes]] = []
    port = 0
    for _ in range(2):  # the second run reuses the first one's port: bodies hold absolute next_hrefs
        with run_sandbox(sandbox_world, port=port, faults={"truncate_rate": 0.5, "fault_seed": 5}) as info:
            port = int(info.web_url.rsplit(":", 1)[1])
            api = api_client_for(info)
            results = [api.get(path, limit=10) for path in paths]
            assert all(r.status == 200 for r in results)
            broken = []
            for result in results:
                try:
                    json.loads(result.body)
                except json.JSONDecodeError:
                    broken.append(result.body)
            assert 0 < len(broken) < len(results)
            assert stats(http, info)["truncated"] == len(broken)
            bodies.append([r.body for r in results])
    assert bodies[0] == bodies[1]


def test_empty_pages_keep_a_next_href_and_lose_nothing(sandbox_world, loaded_world, http, api_client_for, sandbox_api):
    user_id = int(loaded_world.interactions[loaded_world.interactions["interaction"] == "likes"]["src_id"]
                  .value_counts().index[0])
    clean = [i["track" if "track" in i else "playlist"]["id"]
             for p in sandbox_api.walk(f"/users/{user_id}/likes") for i in p["collection"]]
    with run_sandbox(sandbox_world, faults={"empty_page_rate": 0.3, "fault_seed": 9}) as info:
        pages = api_client_for(info).walk(f"/users/{user_id}/likes")
        injected = stats(http, info)["empty_pages"]
    empty_with_next = [p for p in pages if not p["collection"] and p["next_href"]]
    assert injected > 0 and len(empty_with_next) >= injected
    assert [i["track" if "track" in i else "playlist"]["id"] for p in pages for i in p["collection"]] == clean


def test_stall_hangs_the_page_after_n(sandbox_world, loaded_world, http, api_client_for):
    user_id = int(loaded_world.interactions[loaded_world.interactions["interaction"] == "likes"]["src_id"]
                  .value_counts().index[0])
    with run_sandbox(sandbox_world, faults={"stall_after": 2, "stall_seconds": 60}) as info:
        api = api_client_for(info)
        first = api.get(f"/users/{user_id}/likes", limit=10).json()
        second = http(first["next_href"], {"client_id": api.client_id}).json()
        assert second["collection"] and second["next_href"]
        started = time.monotonic()
        with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
            http(second["next_href"], {"client_id": api.client_id}, timeout=2)
        assert time.monotonic() - started >= 1.9
        assert stats(http, info)["stalls"] == 1
        assert api.get(f"/users/{user_id}").status == 200  # the server itself still answers


def test_latency_delays_requests_with_seeded_jitter(sandbox_world, http, api_client_for):
    with run_sandbox(sandbox_world, faults={"latency_ms": 300, "fault_seed": 1}) as info:
        api = api_client_for(info)
        durations = []
        for _ in range(4):
            started = time.monotonic()
            assert api.get("/resolve", url="https://soundcloud.com/nobody-here").status == 404
            durations.append(time.monotonic() - started)
        assert min(durations) >= 0.15 and max(durations) < 2.0
        assert len({round(d, 2) for d in durations}) > 1, "latency is jittered"
        assert stats(http, info)["delayed"] >= 4


def test_chrome_identity_counts_a_chrome_ua_and_client_hints_of_the_same_version() -> None:
    from scmap.sandbox.faults import chrome_identity

    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/152.0.0.0 Safari/537.36"
    hints = {"sec-ch-ua": '"Chromium";v="152", "Not?A_Brand";v="24", "Google Chrome";v="152"',
             "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Windows"'}
    assert chrome_identity({"User-Agent": ua, **hints}) == ["api_requests_chrome_ua", "api_requests_chrome_client_hints"]
    assert chrome_identity({"User-Agent": ua}) == ["api_requests_chrome_ua"]
    assert chrome_identity({"User-Agent": ua.replace("152.0", "151.0"), **hints}) == ["api_requests_chrome_ua"]
    assert chrome_identity({"User-Agent": ua.replace("Chrome/", "HeadlessChrome/"), **hints}) == []
    assert chrome_identity({"User-Agent": "scmap/0.1 (research crawler)", **hints}) == []
