"""Scrapy's own settings govern the default mode (session): its api-v2 calls are Scrapy Requests
in one download slot, so DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN, RETRY_TIMES and
HTTPCACHE_ENABLED do what a Scrapy user expects - counted and timed against what the sandbox
served (real Chromium, the sandbox over HTTP). Also: one Chromium per crawl process, and a site
that cannot be reached stops the crawl with one line and exit 1."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest

from .crawl import CRAWL_ENV, REPO, TEST_SETTINGS, collect_result, run_crawl
from .test_e2e import assert_exact_lists, permalink_of
from .test_faults import _browser_processes

LIMIT = 40


def long_likers(truth, count: int) -> list[int]:
    """Accounts with more than LIMIT likes: with 20 per page, at least three calls each."""
    listed = truth.interactions[truth.interactions["listed"] & (truth.interactions["interaction"] == "likes")]
    sizes = listed.groupby("src_id").size()
    return sorted(int(user_id) for user_id in sizes[sizes > LIMIT].index[:count])


def crawl_counted(site, truth, user_ids, tmp_path, settings):
    before = site.counts()
    result = run_crawl("likes", site, [permalink_of(truth, u) for u in user_ids], tmp_path, limit=LIMIT,
                       settings={"SCMAP_API_PAGE_SIZE": "20", **settings})
    after = site.counts()
    served = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return result, served


@pytest.mark.timeout(300)
def test_download_delay_and_concurrency_per_domain_pace_the_api_calls(truth, clean_sandbox, tmp_path):
    user_ids = long_likers(truth, 3)
    # DOWNLOAD_DELAY 0.4 s, no jitter: no two api-v2 calls start closer than that.
    paced, served = crawl_counted(clean_sandbox, truth, user_ids, tmp_path / "paced", {
        "DOWNLOAD_DELAY": "0.4", "DOWNLOAD_DELAY_JITTER": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "4"})
    assert paced.returncode == 0, paced.log[-3000:]
    assert_exact_lists(truth, paced, "likes", user_ids, LIMIT)
    calls = served["api_requests"]
    assert calls == paced.stat("scmap/api/requests") >= 3 * len(user_ids)
    assert paced.stat("downloader/request_count") >= calls
    assert paced.stat("scmap/api/min_gap_ms") >= 390  # Scrapy's slot delay, not a budget of ours
    # No delay: CONCURRENT_REQUESTS_PER_DOMAIN bounds the calls in flight, 1 then 3.
    one, served_one = crawl_counted(clean_sandbox, truth, user_ids, tmp_path / "one", {
        "CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    three, served_three = crawl_counted(clean_sandbox, truth, user_ids, tmp_path / "three", {
        "CONCURRENT_REQUESTS_PER_DOMAIN": "3", "CONCURRENT_REQUESTS": "8"})
    for result, counted in ((one, served_one), (three, served_three)):
        assert result.returncode == 0, result.log[-3000:]
        assert counted["api_requests"] == result.stat("scmap/api/requests") == calls
        assert_exact_lists(truth, result, "likes", user_ids, LIMIT)
    assert one.stat("scmap/api/max_in_flight") == 1
    assert three.stat("scmap/api/max_in_flight") == 3


@pytest.mark.timeout(400)
def test_retry_times_governs_the_api_calls(truth, fault_sandbox, tmp_path):
    user_ids = long_likers(truth, 3)
    with fault_sandbox({"error_rate": 0.3, "fault_seed": 3}) as site:
        retried, served = crawl_counted(site, truth, user_ids, tmp_path / "retried", {"RETRY_TIMES": "8"})
        never, served_never = crawl_counted(site, truth, user_ids, tmp_path / "never", {
            "RETRY_TIMES": "0", "SCMAP_API_RETRIES": "0"})
    errors = served.get("errors_502", 0) + served.get("errors_503", 0)
    assert errors > 0, served
    assert retried.returncode == 0, retried.log[-3000:]
    # Every 5xx the site served was retried by Scrapy's RetryMiddleware, and nothing was lost.
    assert retried.stat("retry/count") == errors
    assert_exact_lists(truth, retried, "likes", user_ids, LIMIT)
    # RETRY_TIMES=0: the same faults are not retried (Scrapy gives up at once).
    assert served_never.get("errors_502", 0) + served_never.get("errors_503", 0) > 0
    assert never.stat("retry/count") == 0 and never.stat("retry/max_reached") > 0


@pytest.mark.timeout(300)
def test_a_second_crawl_against_the_http_cache_makes_no_api_call(truth, clean_sandbox, tmp_path):
    user_ids = long_likers(truth, 2)
    cache = {"HTTPCACHE_ENABLED": "True", "HTTPCACHE_DIR": str(tmp_path / "cache")}
    first, served_first = crawl_counted(clean_sandbox, truth, user_ids, tmp_path / "first", cache)
    second, served_second = crawl_counted(clean_sandbox, truth, user_ids, tmp_path / "second", cache)
    assert first.returncode == 0 and second.returncode == 0, second.log[-3000:]
    assert served_first["api_requests"] >= 3 * len(user_ids)
    assert served_second["api_requests"] == 0 and second.stat("scmap/api/requests") == 0
    assert second.stat("httpcache/hit") == served_first["api_requests"]
    assert_exact_lists(truth, second, "likes", user_ids, LIMIT)
    assert second.stat("scmap/likes/lists_done") == len(user_ids)


@pytest.mark.timeout(300)
def test_one_chromium_serves_every_spider_of_a_crawl_process(truth, clean_sandbox, tmp_path):
    user_ids = long_likers(truth, 2)
    settings = {**{k: v for k, v in TEST_SETTINGS.items() if k != "SCHEDULER"},
                "SOUNDCLOUD_WEB_URL": clean_sandbox.web_url, "SOUNDCLOUD_API_URL": clean_sandbox.api_url,
                "OUTPUT_DIR": str(tmp_path / "output"), "LOG_FILE": str(tmp_path / "crawl.log"),
                "FRONTIER_URL": str(tmp_path / "frontier.sqlite"), "FRONTIER_MIN_FOLLOWERS": "0",
                "FRONTIER_BFS_ACCOUNTS": "4", "FRONTIER_MAX_ACCOUNTS": "4"}
    command = [sys.executable, "-m", "scmap.crawl", "--seeds", ",".join(permalink_of(truth, u) for u in user_ids),
               "--limit", str(LIMIT)]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.Popen(command, cwd=REPO, env=CRAWL_ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    seen: list[int] = []

    def sample() -> None:
        crawl = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                seen.append(len(_browser_processes(crawl)))
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _out, stderr = process.communicate(timeout=280)
    sampler.join()
    result = collect_result("crawl", tmp_path, process.returncode, stderr)
    assert process.returncode == 0, result.log[-3000:]
    assert result.log.count("Launching browser") == 1  # four spiders, one launch
    assert max(seen) == 1, seen  # one Chromium (main process) for the four spiders
    assert set(result.edges["interaction"]) == {"likes", "comments", "reposts", "follows"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(120)
def test_a_site_that_cannot_be_reached_stops_the_crawl_with_one_line(tmp_path):
    port = free_port()  # nothing listens there: every call is refused
    site = type("Site", (), {"web_url": f"http://127.0.0.1:{port}", "api_url": f"http://127.0.0.1:{port}/api-v2"})
    result = run_crawl("likes", site, ["someone", "someone-else"], tmp_path, limit=10, timeout=110)
    assert result.returncode == 1, result.log[-3000:]
    last = result.log.strip().splitlines()[-1]
    assert last.startswith("scmap: error: the site cannot be reached: " + site.web_url), last
    assert result.log.count("ERROR: the site cannot be reached") == 1  # said once, in the log too
    assert "Closing spider (site_unreachable)" in result.log
    assert result.stat("scmap/likes/failed") == 0  # given back, not failed: a later run resumes
