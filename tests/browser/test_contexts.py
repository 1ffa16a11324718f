"""What each context of a crawl opens with: profile, cookies, or neither; conflicts and bad
paths are user errors."""

from __future__ import annotations

import time

import pytest

from scmap.browser.contexts import BrowserSetupError, context_plan
from scmap.browser.launch import IGNORED_DEFAULT_ARGS


def cookies_file(tmp_path):
    path = tmp_path / "cookies.txt"
    path.write_text("# Netscape HTTP Cookie File\n"
                    f"127.0.0.1\tFALSE\t/\tFALSE\t{int(time.time()) + 600}\tdatadome\tv_1\n")
    return path


def test_nothing_set_is_a_fresh_rotating_context(monkeypatch):
    monkeypatch.delenv("SCMAP_COOKIES", raising=False)
    monkeypatch.delenv("SCMAP_BROWSER_PROFILE", raising=False)
    plan = context_plan({})
    assert plan.kwargs == {} and plan.rotate


def test_cookies_go_into_every_context_as_storage_state(tmp_path):
    plan = context_plan({"SCMAP_COOKIES": str(cookies_file(tmp_path))})
    assert plan.rotate and plan.cookie_count == 1
    assert plan.kwargs["storage_state"]["cookies"][0]["value"] == "v_1"


def test_a_profile_is_one_persistent_context_with_the_launch_options(tmp_path):
    plan = context_plan({"SCMAP_BROWSER_PROFILE": str(tmp_path)})
    assert not plan.rotate
    assert plan.kwargs["user_data_dir"] == str(tmp_path.resolve())
    assert plan.kwargs["ignore_default_args"] == IGNORED_DEFAULT_ARGS  # scrapy-playwright does not merge them


def test_the_environment_is_read_when_settings_are_silent(tmp_path, monkeypatch):
    monkeypatch.setenv("SCMAP_COOKIES", str(cookies_file(tmp_path)))
    assert context_plan({}).cookie_count == 1


@pytest.mark.parametrize("settings, message", [
    ({"SCMAP_BROWSER_PROFILE": "/nonexistent/profile"}, "scmap.browser login --profile"),
    ({"SCMAP_COOKIES": "/nonexistent/cookies.txt"}, "no such file"),
])
def test_bad_paths_are_user_errors(settings, message):
    with pytest.raises(BrowserSetupError, match=message):
        context_plan(settings)


def test_profile_and_cookies_together_say_how_to_combine_them(tmp_path):
    with pytest.raises(BrowserSetupError, match="--cookies"):
        context_plan({"SCMAP_BROWSER_PROFILE": str(tmp_path), "SCMAP_COOKIES": str(cookies_file(tmp_path))})
