"""End to end through real Chromium against the sandbox with its bot wall on (one wall sandbox
for the module): a crawl with the person's cookies.txt, or with a profile made by the login
flow (driven here in a visible Chromium under Xvfb), reads every list exactly; without either
the crawl stops at the wall with one plain message and marks nothing failed. One walled
sandbox for the module."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from scmap.browser.login import login
from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.sandbox.runner import SandboxInfo, run_sandbox
from scmap.spiders.challenge_guard import STOP_MESSAGE
from tests.bot_wall_helpers import (
    pass_wall_cookie,
    press_i_am_human_and_accept,
    set_site_shape,
    write_cookies_txt,
    xvfb_display,
)

from .crawl import CRAWL_ENV, REPO, TEST_SETTINGS, collect_result, run_crawl
from .test_e2e import assert_exact_lists, permalink_of, quirky_ids

LIMIT = 30


@pytest.fixture(scope="module")
def wall_sandbox(spider_world: Path) -> Iterator[SandboxInfo]:
    with run_sandbox(spider_world, extra_args=["--bot-wall"]) as info:
        yield info


def _seeds(truth, count: int = 3) -> tuple[list[int], list[str]]:
    ids = quirky_ids(truth)[:count]
    return ids, [permalink_of(truth, user_id) for user_id in ids]


@pytest.fixture
def api_wall_sandbox(wall_sandbox: SandboxInfo) -> Iterator[SandboxInfo]:
    """The same sandbox with pages let through and api-v2 calls challenged: what the real list
    endpoints did in 2026."""
    set_site_shape(wall_sandbox.web_url, bot_wall=True, scope="api")
    yield wall_sandbox
    set_site_shape(wall_sandbox.web_url, bot_wall=True, scope="all")


@pytest.mark.timeout(600)
def test_cookies_txt_from_the_persons_browser_passes_the_wall(truth, wall_sandbox, tmp_path):
    cookies = write_cookies_txt(tmp_path / "cookies.txt", wall_sandbox.web_url,
                                {"datadome": pass_wall_cookie(wall_sandbox.web_url), "unrelated": "1"})
    before = wall_sandbox.counts()
    ids, seeds = _seeds(truth)
    result = run_crawl("likes", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                       settings={"SCMAP_COOKIES": str(cookies)})
    after = wall_sandbox.counts()
    assert result.returncode == 0, result.log[-3000:]
    assert_exact_lists(truth, result, "likes", ids, LIMIT)
    assert result.stat("scmap/likes/lists_done") == len(ids)
    # The headless browser was not refused for its user agent, and nothing was challenged.
    assert after.get("bot_wall_headless_seen", 0) == before.get("bot_wall_headless_seen", 0)
    assert after.get("bot_wall_challenges_json", 0) == before.get("bot_wall_challenges_json", 0)
    assert after.get("bot_wall_challenges_html", 0) == before.get("bot_wall_challenges_html", 0)


@pytest.mark.timeout(600)
def test_a_profile_made_by_the_login_flow_passes_the_wall(truth, wall_sandbox, tmp_path):
    profile = tmp_path / "profile"
    with xvfb_display():
        result = asyncio.run(login(profile, wall_sandbox.web_url + "/", timeout=120,
                                   person=press_i_am_human_and_accept))
    assert result.passed and result.challenged and result.consent, result
    ids, seeds = _seeds(truth)
    before = wall_sandbox.counts()
    crawl = run_crawl("follows", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                      settings={"SCMAP_BROWSER_PROFILE": str(profile)})
    after = wall_sandbox.counts()
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_exact_lists(truth, crawl, "follows", ids, LIMIT)
    assert crawl.stat("playwright/context_count/persistent/True") == 1
    # The default mode ran in the profile: its session page lives in the profile's context.
    assert crawl.stat("scmap/follows/session/lists_read") == len(ids)
    assert after.get("bot_wall_challenges_html", 0) == before.get("bot_wall_challenges_html", 0)


def assert_handed_to_the_browser(result, interaction: str) -> None:
    """mode=http: every call the wall challenged on the http transport was asked again in the
    browser transport, and only the browser's challenges counted towards the stop."""
    handed = result.stat("scmap/http/handed_to_browser")
    assert handed >= result.stat(f"scmap/{interaction}/challenges") >= 2
    assert "asked again in the browser" in result.log
    # The browser transport tried its page (walled too when the wall covers pages).
    assert result.stat("scmap/session/pages_opened") + result.stat("scmap/session/pages_failed") >= 1


# mode=http: the http transport's challenges go to the browser transport, which meets the same
# wall (no cookies) and stops as session mode does.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["session", "http"])
def test_without_cookies_the_crawl_stops_with_the_plain_message_and_fails_nothing(truth, wall_sandbox, tmp_path,
                                                                                   mode):
    ids, seeds = _seeds(truth, 6)
    before = wall_sandbox.counts()
    result = run_crawl("likes", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT, mode=mode,
                       settings={"SCMAP_CHALLENGES_BEFORE_STOP": "2", "SCMAP_CHALLENGE_PAUSE": "0.2",
                                 "CONCURRENT_REQUESTS": "1"})
    after = wall_sandbox.counts()
    if mode == "http":
        assert_handed_to_the_browser(result, "likes")
        assert result.stat("scmap/http/bootstrap_challenged") == 1  # its home page was walled too
    assert after.get("bot_wall_challenges_html", 0) - before.get("bot_wall_challenges_html", 0) >= 2
    assert result.edges.empty
    # It stopped at the 2nd in a row: pages already under way may add one, the rest never start.
    assert 2 <= result.stat("scmap/likes/challenges") < len(seeds)
    assert result.stat("scmap/challenges") == result.stat("scmap/likes/challenges")
    assert result.stat("scmap/likes/failed") == 0 and result.stat("scmap/likes/list_retries") == 0
    assert result.log.count("ERROR: " + STOP_MESSAGE.format(count=2)) == 1, result.log[-3000:]
    assert "Closing spider (bot_wall)" in result.log
    # Our `scrapy crawl` fails the run, the guard's message last on stderr.
    assert result.returncode == 1
    assert result.log.strip().splitlines()[-1] == "scmap: error: " + STOP_MESSAGE.format(count=2)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["session", "http"])
def test_a_challenged_list_call_gives_the_account_back_too(truth, api_wall_sandbox, tmp_path, mode):
    ids, seeds = _seeds(truth, 6)
    result = run_crawl("follows", api_wall_sandbox, seeds, tmp_path / "run", limit=LIMIT, mode=mode,
                       settings={"SCMAP_CHALLENGES_BEFORE_STOP": "2", "SCMAP_CHALLENGE_PAUSE": "0.2",
                                 "CONCURRENT_REQUESTS": "1"})  # one api-v2 call at a time
    if mode == "http":
        assert_handed_to_the_browser(result, "follows")
        assert result.stat("scmap/http/bootstraps/browser") == 1  # pages pass: client_id was read
    assert 2 <= result.stat("scmap/follows/challenges") < len(seeds)
    assert "Bot-wall challenge (captcha, json) on the list of" in result.log
    assert result.edges.empty and result.stat("scmap/follows/failed") == 0
    assert result.log.count("ERROR: " + STOP_MESSAGE.format(count=2)) == 1


@pytest.mark.timeout(900)
def test_the_frontier_gets_challenged_accounts_back_and_the_next_run_with_cookies_resumes(
        truth, wall_sandbox, tmp_path):
    """The default scheduler (the frontier, through `python -m scmap.crawl`): the stop fails the
    command with the plain message, and every challenged account is given back, none failed; a
    rerun with the person's cookies hands them out again and reads every list exactly."""
    ids, seeds = _seeds(truth)
    store_path = tmp_path / "frontier.sqlite"
    frontier = {"FRONTIER_URL": str(store_path), "FRONTIER_MIN_FOLLOWERS": "0",
                "FRONTIER_BFS_ACCOUNTS": str(len(seeds)), "FRONTIER_MAX_ACCOUNTS": str(len(seeds))}
    walled = tmp_path / "walled"
    walled.mkdir()
    settings = {**{k: v for k, v in TEST_SETTINGS.items() if k != "SCHEDULER"}, **frontier,
                "SOUNDCLOUD_WEB_URL": wall_sandbox.web_url, "SOUNDCLOUD_API_URL": wall_sandbox.api_url,
                "OUTPUT_DIR": str(walled / "output"), "LOG_FILE": str(walled / "likes.log"),
                "SCMAP_CHALLENGES_BEFORE_STOP": "2", "SCMAP_CHALLENGE_PAUSE": "0.2"}
    command = [sys.executable, "-m", "scmap.crawl", "--seeds", ",".join(seeds), "--spiders", "likes",
               "--limit", str(LIMIT)]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.run(command, cwd=REPO, env=CRAWL_ENV, capture_output=True, text=True, timeout=300)
    first = collect_result("likes", walled, process.returncode, process.stderr)

    assert process.returncode == 1, first.log[-3000:]
    assert process.stderr.strip().splitlines()[-1] == "scmap: error: " + STOP_MESSAGE.format(count=2)
    assert "Closing spider (bot_wall)" in first.log and first.edges.empty
    assert first.stat("frontier/accounts_requeue") >= 2
    assert first.stat("frontier/accounts_failed") == 0 and first.stat("scmap/likes/failed") == 0
    store = SqliteFrontierStore(store_path)
    try:
        picks = store.picks("likes")
    finally:
        store.close()
    assert picks and {status for _, _, status in picks} == {"in_flight"}, picks  # none finished

    second = run_crawl("likes", wall_sandbox, seeds, tmp_path / "resumed", limit=LIMIT, settings={
        **frontier, "SCHEDULER": "scmap.frontier.scheduler.FrontierScheduler",
        "SCMAP_COOKIES": str(write_cookies_txt(tmp_path / "cookies.txt", wall_sandbox.web_url,
                                               {"datadome": pass_wall_cookie(wall_sandbox.web_url)}))})
    assert second.returncode == 0, second.log[-3000:]
    assert second.stat("frontier/accounts_handed_out_again") == len(picks)  # the given-back picks
    assert second.stat("frontier/accounts_done") == len(seeds) and second.stat("scmap/likes/challenges") == 0
    assert_exact_lists(truth, second, "likes", ids, LIMIT)
    store = SqliteFrontierStore(store_path)
    try:
        assert sorted((permalink, status) for _, permalink, status in store.picks("likes")) == \
            sorted((seed, "done") for seed in seeds)  # the same picks, now visited; none failed
    finally:
        store.close()


def test_a_login_that_is_never_passed_says_so(wall_sandbox, tmp_path):
    from scmap.browser.login import report

    result = asyncio.run(login(tmp_path / "profile", wall_sandbox.web_url + "/", timeout=3, headless=True))
    assert not result.passed and result.challenged and result.reason == "timed out"
    assert "Run login again" in report(result) and "still showing a challenge" in report(result)


def test_login_imports_a_cookies_file_into_the_profile(wall_sandbox, tmp_path):
    cookies = write_cookies_txt(tmp_path / "cookies.txt", wall_sandbox.web_url,
                                {"datadome": pass_wall_cookie(wall_sandbox.web_url),
                                 "OptanonAlertBoxClosed": "2026-01-01T00:00:00.000Z"})
    result = asyncio.run(login(tmp_path / "profile", wall_sandbox.web_url + "/", cookies_file=cookies,
                               timeout=30, headless=True))
    assert result.passed and not result.challenged and result.consent
