"""Bad input is refused before any crawling, as a new user would meet it: each case exits
non-zero within seconds, with one plain line (what is wrong, how to fix it) as the last line
of stderr and no traceback - for `scrapy crawl` (our COMMANDS_MODULE) and `python -m scmap.crawl`.
A crawl whose every seed is unknown to the site fails the same way once the site said so."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.frontier.redis_server import free_port
from tests.spiders.crawl import CRAWL_ENV, REPO, SCRAPY, crawl_command

REFUSED_WITHIN_SECONDS = 20  # Python + Scrapy start-up on a busy 2-core machine; no crawl


def run(command: list[str], timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    process = subprocess.run(command, cwd=REPO, env=CRAWL_ENV, capture_output=True, text=True,
                             timeout=timeout)
    return process, time.monotonic() - started


def assert_refused(process: subprocess.CompletedProcess, elapsed: float, *words: str) -> str:
    lines = process.stderr.strip().splitlines()
    assert process.returncode != 0, process.stderr[-2000:]
    assert "Traceback" not in process.stderr, process.stderr[-3000:]
    last = lines[-1]
    assert last.startswith("scmap: error: "), process.stderr[-2000:]
    for word in words:
        assert word in last, last
    assert elapsed < REFUSED_WITHIN_SECONDS
    assert "Spider opened" not in process.stderr  # refused before any crawling
    return last


@pytest.mark.parametrize(("arguments", "words"), [
    ([], ("no seeds given", "-a seeds=")),
    (["-a", "seeds="], ("no seeds given", "-a seeds=")),
    (["-a", "seeds= , ,"], ("no seeds given",)),
    (["-a", "seeds=https://example.com/x"], ("no usable seed", "example.com")),
    (["-a", "seeds=some-artist", "-a", "limit=-3"], ("bad limit '-3'", "-a limit=")),
    (["-a", "seeds=some-artist", "-a", "limit=lots"], ("bad limit 'lots'",)),
    (["-a", "seeds=some-artist", "-a", "max_accounts=many"], ("bad frontier argument", "-a max_accounts=")),
    (["-a", "seeds=some-artist", "-a", "accounts_in_flight=0"], ("accounts_in_flight must be >= 1",)),
    (["-a", "seeds=some-artist", "-a", "mode=turbo"], ("bad mode 'turbo'", "-a mode=session", "-a mode=http")),
])
def test_scrapy_crawl_refuses_bad_arguments(tmp_path, arguments, words):
    process, elapsed = run([*SCRAPY, "crawl", "likes", *arguments, "-s", f"OUTPUT_DIR={tmp_path}"])
    assert_refused(process, elapsed, *words)
    assert process.returncode == 2
    assert not (tmp_path / "frontier.sqlite").exists()


def test_output_dir_that_is_a_file_is_refused(tmp_path):
    blocker = tmp_path / "output"
    blocker.write_text("not a directory")
    process, elapsed = run([*SCRAPY, "crawl", "likes", "-a", "seeds=some-artist", "-s", f"OUTPUT_DIR={blocker}"])
    assert_refused(process, elapsed, "is a file", "-s OUTPUT_DIR=")


def test_unreachable_frontier_store_is_refused_with_its_password_masked(tmp_path):
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    process, elapsed = run([*SCRAPY, "crawl", "likes", "-a", "seeds=some-artist", "-s", f"OUTPUT_DIR={tmp_path}",
                            "-s", f"FRONTIER_URL={url}"])
    line = assert_refused(process, elapsed, "frontier store", "unreachable", "FRONTIER_URL")
    assert "hunter2" not in process.stderr and ":***@" in line


def test_a_shared_request_budget_without_redis_is_refused(tmp_path):
    process, elapsed = run([*SCRAPY, "crawl", "likes", "-a", "seeds=some-artist", "-s", f"OUTPUT_DIR={tmp_path}",
                            "-s", "SCMAP_SHARED_REQUEST_BUDGET=1"])
    assert_refused(process, elapsed, "SCMAP_SHARED_REQUEST_BUDGET", "FRONTIER_URL=redis://")
    assert process.returncode == 2


def test_an_unusable_cookies_file_is_refused(tmp_path):
    process, elapsed = run([*SCRAPY, "crawl", "likes", "-a", "seeds=some-artist", "-s", f"OUTPUT_DIR={tmp_path}",
                            "-s", f"SCMAP_COOKIES={tmp_path / 'missing.txt'}"])
    assert_refused(process, elapsed, "SCMAP_COOKIES", "no such file")
    assert process.returncode == 2


@pytest.mark.parametrize(("setting", "words"), [
    ("SCMAP_COOKIES={missing}", ("SCMAP_COOKIES", "no such file")),
    ("SCMAP_COOKIES={empty}", ("SCMAP_COOKIES",)),
    ("SCMAP_HTTP_IMPERSONATE=chrome99", ("-a mode=http", "SCMAP_HTTP_IMPERSONATE", "older than 116")),
    ("SCMAP_HTTP_IMPERSONATE=firefox133", ("-a mode=http", "not a curl_cffi Chrome target")),
    ("SCMAP_HTTP_BOOTSTRAP=sometimes", ("-a mode=http", "SCMAP_HTTP_BOOTSTRAP", "auto, http, browser")),
])
def test_http_mode_with_unusable_settings_is_refused(tmp_path, setting, words):
    (tmp_path / "empty.txt").write_text("# Netscape HTTP Cookie File\n", encoding="utf-8")
    setting = setting.format(missing=tmp_path / "missing.txt", empty=tmp_path / "empty.txt")
    process, elapsed = run([*SCRAPY, "crawl", "likes", "-a", "seeds=some-artist", "-a", "mode=http",
                            "-s", f"OUTPUT_DIR={tmp_path / 'out'}", "-s", setting])
    assert_refused(process, elapsed, *words)
    assert process.returncode == 2


def test_one_browser_profile_for_several_spiders_is_refused(tmp_path):
    """Chromium locks a profile directory: the second spider's browser could not open it."""
    profile = tmp_path / "profile"
    profile.mkdir()
    command = [sys.executable, "-m", "scmap.crawl", "--seeds", "some-artist", "--spiders", "likes,follows",
               "-s", f"OUTPUT_DIR={tmp_path / 'out'}", "-s", f"SCMAP_BROWSER_PROFILE={profile}"]
    process, elapsed = run(command)
    assert_refused(process, elapsed, "cannot serve 2 spiders", "SCMAP_COOKIES")
    assert process.returncode == 2


@pytest.mark.parametrize(("arguments", "words"), [
    (["--seeds", ""], ("no seeds given",)),
    (["--seeds", "some-artist", "--limit", "-3"], ("bad limit '-3'",)),
    (["--seeds", "some-artist", "--mode", "fast"], ("bad mode 'fast'",)),
])
def test_python_m_scmap_crawl_refuses_bad_arguments(tmp_path, arguments, words):
    process, elapsed = run([sys.executable, "-m", "scmap.crawl", *arguments, "-s", f"OUTPUT_DIR={tmp_path}"])
    assert_refused(process, elapsed, *words)


def test_python_m_scmap_crawl_refuses_a_file_as_output_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    process, elapsed = run([sys.executable, "-m", "scmap.crawl", "--seeds", "some-artist", "-s", f"OUTPUT_DIR={blocker}"])
    assert_refused(process, elapsed, "is a file")


@pytest.mark.timeout(300)
def test_a_crawl_whose_every_seed_is_unknown_fails_with_their_names(clean_sandbox, tmp_path: Path):
    """The site answers 404 for both: nothing to crawl. With the frontier (the default
    scheduler) and with the stock one (exactly the seeds), through both commands."""
    seeds = ["nobody-here-1", "nobody-here-2"]
    frontier = crawl_command("likes", clean_sandbox, seeds, tmp_path / "frontier",
                             settings={"SCHEDULER": "scmap.frontier.scheduler.FrontierScheduler", "LOG_FILE": ""})
    process, elapsed = run(frontier, timeout=240)
    line = assert_refused_after_crawl(process)
    assert "nobody-here-1, nobody-here-2" in line and "-a seeds=" in line
    assert elapsed < 90  # two 404 pages, not a ten-minute crawl

    stock = crawl_command("likes", clean_sandbox, seeds[:1], tmp_path / "stock", settings={"LOG_FILE": ""})
    process, _ = run(stock, timeout=240)
    assert "nobody-here-1" in assert_refused_after_crawl(process)

    every = [sys.executable, "-m", "scmap.crawl", "--seeds", seeds[0], "--spiders", "likes,follows"]
    every += ["-s", f"OUTPUT_DIR={tmp_path / 'all'}", "-s", f"SOUNDCLOUD_WEB_URL={clean_sandbox.web_url}",
              "-s", f"SOUNDCLOUD_API_URL={clean_sandbox.api_url}", "-s", "DOWNLOAD_DELAY=0",
              "-s", "ROBOTSTXT_OBEY=False", "-s", "AUTOTHROTTLE_ENABLED=False"]
    process, _ = run(every, timeout=240)
    assert "nobody-here-1" in assert_refused_after_crawl(process)
    assert process.stderr.count("scmap: error: ") == 1  # both spiders said it: reported once


def assert_refused_after_crawl(process: subprocess.CompletedProcess) -> str:
    assert process.returncode == 1, process.stderr[-3000:]
    assert "Traceback" not in process.stderr, process.stderr[-3000:]
    last = process.stderr.strip().splitlines()[-1]
    assert last.startswith("scmap: error: no seed exists on the site ("), last
    return last
