"""End to end through real Chromium against the sandbox with its bot wall on (one wall sandbox
for the module): a crawl with the person's cookies.txt, or with a profile made by the login
flow (driven here in a visible Chromium under Xvfb), reads every list exactly; without either
the crawl stops at the wall with one plain message and marks nothing failed. One walled
sandbox for the module."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest

from scmap.browser.login import login
from scmap.sandbox.runner import SandboxInfo, run_sandbox
from scmap.spiders.challenge_guard import STOP_MESSAGE
from tests.bot_wall_helpers import (
    pass_wall_cookie,
    press_i_am_human_and_accept,
    set_site_shape,
    write_cookies_txt,
    xvfb_display,
)

from .crawl import run_crawl, sandbox_counts
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
    before = sandbox_counts(wall_sandbox)
    ids, seeds = _seeds(truth)
    result = run_crawl("likes", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                       settings={"SCMAP_COOKIES": str(cookies)})
    after = sandbox_counts(wall_sandbox)
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
    before = sandbox_counts(wall_sandbox)
    crawl = run_crawl("follows", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                      settings={"SCMAP_BROWSER_PROFILE": str(profile)})
    after = sandbox_counts(wall_sandbox)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_exact_lists(truth, crawl, "follows", ids, LIMIT)
    assert crawl.stat("playwright/context_count/persistent/True") == 1
    assert after.get("bot_wall_challenges_html", 0) == before.get("bot_wall_challenges_html", 0)


@pytest.mark.timeout(600)
def test_without_cookies_the_crawl_stops_with_the_plain_message_and_fails_nothing(truth, wall_sandbox, tmp_path):
    ids, seeds = _seeds(truth, 6)
    before = sandbox_counts(wall_sandbox)
    result = run_crawl("likes", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                       settings={"SCMAP_CHALLENGES_BEFORE_STOP": "2", "SCMAP_CHALLENGE_PAUSE": "0.2",
                                 "CONCURRENT_REQUESTS": "1"})
    after = sandbox_counts(wall_sandbox)
    assert after.get("bot_wall_challenges_html", 0) - before.get("bot_wall_challenges_html", 0) >= 2
    assert result.edges.empty
    # It stopped at the 2nd in a row: pages already under way may add one, the rest never start.
    assert 2 <= result.stat("scmap/likes/challenges") < len(seeds)
    assert result.stat("scmap/challenges") == result.stat("scmap/likes/challenges")
    assert result.stat("scmap/likes/failed") == 0 and result.stat("scmap/likes/list_retries") == 0
    assert result.log.count(STOP_MESSAGE.format(count=2)) == 1, result.log[-3000:]
    assert "Closing spider (bot_wall)" in result.log


@pytest.mark.timeout(600)
def test_a_challenged_list_call_gives_the_account_back_too(truth, api_wall_sandbox, tmp_path):
    ids, seeds = _seeds(truth, 6)
    result = run_crawl("follows", api_wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                       settings={"SCMAP_CHALLENGES_BEFORE_STOP": "2", "SCMAP_CHALLENGE_PAUSE": "0.2",
                                 "CONCURRENT_REQUESTS": "1"})
    assert 2 <= result.stat("scmap/follows/challenges") < len(seeds)
    assert "Bot-wall challenge (captcha, json) on the list of" in result.log
    assert result.edges.empty and result.stat("scmap/follows/failed") == 0
    assert result.log.count(STOP_MESSAGE.format(count=2)) == 1


def test_an_unusable_cookies_file_crawls_nothing_and_says_why(truth, wall_sandbox, tmp_path):
    _, seeds = _seeds(truth, 1)
    result = run_crawl("likes", wall_sandbox, seeds, tmp_path / "run", limit=LIMIT,
                       settings={"SCMAP_COOKIES": str(tmp_path / "missing.txt")})
    assert "Nothing crawled: SCMAP_COOKIES: no such file" in result.log
    assert result.stat("scmap/likes/browser_setup_error") == 1 and result.edges.empty


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
