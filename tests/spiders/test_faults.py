"""Each sandbox fault, switched on, is survived: the likes lists still come out exactly right
(or, for a stalled page, the part read before the stall is kept and the stall is logged)."""

from __future__ import annotations

import subprocess
import time

import psutil
import pytest

from .crawl import CRAWL_ENV, REPO, collect_result, crawl_command, run_crawl
from .test_e2e import assert_exact_lists, edge_keys

LIMIT = 60  # three to four pages of 24 per account
# Short timeouts so the stalled-page test does not wait long; retries keep nothing lost.
FAST = {"SCMAP_RESPONSE_TIMEOUT": "3", "SCMAP_SCROLL_TRIGGER_TIMEOUT": "2",
        "SCMAP_API_PAGE_SIZE": "0"}  # the page's own 24 per page: several pages per list


def busy_likers(truth, count: int = 3) -> list[int]:
    """Accounts whose likes span several pages (plus the playlist liker)."""
    listed = truth.interactions[truth.interactions["listed"] & (truth.interactions["interaction"] == "likes")]
    sizes = listed.groupby("src_id").size()
    chosen = sorted(sizes[(sizes > LIMIT) & (sizes < 400)].index)[:count]
    playlist_liker = truth.meta["quirky_accounts"]["playlist_liker"]
    return sorted(set(int(user_id) for user_id in chosen) | {playlist_liker})


def permalinks(truth, user_ids: list[int]) -> list[str]:
    users = truth.users.set_index("id")
    return [users.loc[user_id, "permalink"] for user_id in user_ids]


FAULTS = {
    # fault flags -> the sandbox counter proving it fired
    "latency": ({"latency_ms": 120}, "delayed"),
    "server_errors": ({"error_rate": 0.3, "fault_seed": 3}, ("errors_502", "errors_503")),
    "truncated_json": ({"truncate_rate": 0.3, "fault_seed": 4}, "truncated"),
    "empty_pages": ({"empty_page_rate": 0.4, "fault_seed": 5}, "empty_pages"),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_is_survived_with_nothing_lost(fault, truth, fault_sandbox, tmp_path):
    flags, counter = FAULTS[fault]
    user_ids = busy_likers(truth)
    # Faults are drawn per request (seeded): session mode makes few requests, so a seed may
    # happen to hit none of them. Then the crawl proved nothing: try the next seed (bounded).
    for attempt in range(3):
        seeded = {**flags, "fault_seed": flags.get("fault_seed", 0) + 10 * attempt} if "fault_seed" in flags else flags
        with fault_sandbox(seeded) as site:
            result = run_crawl("likes", site, permalinks(truth, user_ids), tmp_path / f"run{attempt}",
                               limit=LIMIT, settings=FAST)
            counts = site.counts()
        fired = sum(counts.get(name, 0) for name in ((counter,) if isinstance(counter, str) else counter))
        if fired > 0:
            break
    assert fired > 0, f"the sandbox never injected {fault}: {counts}"
    assert result.returncode == 0, result.log[-3000:]
    assert_exact_lists(truth, result, "likes", user_ids, LIMIT)
    assert result.stat("scmap/likes/lists_done") == len(user_ids)
    if fault in ("server_errors", "truncated_json"):
        # Survived by re-fetching, with a log line and a stat for each failure.
        assert result.stat("scmap/likes/api_failures") > 0
        assert "API failures survived" in result.log


@pytest.mark.timeout(400)
def test_rate_limit_429_is_waited_out_per_retry_after(truth, fault_sandbox, tmp_path):
    user_ids = busy_likers(truth, count=2)
    with fault_sandbox({"rate_limit": 5}) as site:
        # 5 calls a minute: a call may meet several 429s, each one of Scrapy's retries.
        result = run_crawl("likes", site, permalinks(truth, user_ids), tmp_path, limit=LIMIT,
                           settings={**FAST, "RETRY_TIMES": "30"}, timeout=380)
        counts = site.counts()
    assert counts.get("rate_limited", 0) > 0
    assert result.returncode == 0, result.log[-3000:]
    assert_exact_lists(truth, result, "likes", user_ids, LIMIT)
    assert result.stat("scmap/api/rate_limited") > 0  # Scrapy's RetryMiddleware retried them
    assert result.stat("retry/reason_count/429 Unknown Status") == counts["rate_limited"]
    assert "429 from" in result.log and "Retry-After" in result.log


@pytest.mark.timeout(300)
def test_stalled_page_keeps_what_was_read_and_logs_it(truth, fault_sandbox, tmp_path):
    user_ids = busy_likers(truth)
    with fault_sandbox({"stall_after": 1, "stall_seconds": 120}) as site:
        result = run_crawl("likes", site, permalinks(truth, user_ids), tmp_path, limit=LIMIT, settings=FAST)
        counts = site.counts()
    assert counts.get("stalls", 0) > 0
    assert result.returncode == 0, result.log[-3000:]
    for user_id in user_ids:
        got = result.edges[result.edges["src_id"] == user_id]
        truth_rows = truth.recent_interactions(user_id, "likes", LIMIT)
        # The first page came through, and exactly it: a prefix of the true list.
        assert 0 < len(got) < len(truth_rows)
        assert edge_keys(got, "likes") == edge_keys(truth_rows.head(len(got)), "likes")
    assert result.stat("scmap/likes/incomplete") == len(user_ids)
    assert result.log.count("incomplete (stalled)") == len(user_ids)


def _browser_processes(root: psutil.Process) -> list[psutil.Process]:
    """Chromium's main process(es) under the crawl: a chromium whose parent is not chromium."""
    found = []
    for child in root.children(recursive=True):
        try:
            if "chrom" in child.name().lower() and "chrom" not in child.parent().name().lower():
                found.append(child)
        except psutil.Error:
            continue
    return found


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode", ["session", "scroll"])
def test_killed_browser_is_restarted_and_its_lists_redone(mode, truth, fault_sandbox, tmp_path):
    user_ids = busy_likers(truth, count=5)
    with fault_sandbox({"latency_ms": 250}) as site:
        command = crawl_command("likes", site, permalinks(truth, user_ids), tmp_path, limit=LIMIT,
                                settings={**FAST, "CONCURRENT_REQUESTS": "2"}, mode=mode)
        process = subprocess.Popen(command, cwd=REPO, env=CRAWL_ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        crawl = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        browsers: list[psutil.Process] = []
        # Kill once lists are being read: the first API calls have reached the site.
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            browsers = _browser_processes(crawl)
            if browsers and site.counts().get("api_requests", 0) >= 1:
                break
        assert browsers, "Chromium never started"
        for browser in browsers:
            browser.kill()
        _out, stderr = process.communicate(timeout=240)
    result = collect_result("likes", tmp_path, process.returncode, stderr)
    assert result.returncode == 0, result.log[-3000:]
    assert result.log.count("Launching browser") >= 2, "the browser was not restarted"
    # Pages that died while reading were retried by the spider (list_retries), those that died
    # while navigating by scrapy-playwright itself; either way nothing is lost:
    assert_exact_lists(truth, result, "likes", user_ids, LIMIT)
    assert result.stat("scmap/likes/lists_done") == len(user_ids)
