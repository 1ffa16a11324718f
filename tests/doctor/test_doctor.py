"""`python -m scmap.doctor` through real Chromium against the sandbox: it passes on the site as
it is, names each drift (`serve --drift ...`), and reports the bot wall - passed with the
person's cookies.txt or a profile. One sandbox for the module, its shape switched per test."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scmap.sandbox.runner import SandboxInfo, generate_world_dir, run_sandbox
from scmap.browser.login import login
from tests.bot_wall_helpers import (
    pass_wall_cookie,
    press_i_am_human_and_accept,
    set_site_shape,
    write_cookies_txt,
    xvfb_display,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return generate_world_dir(tmp_path_factory.mktemp("doctor") / "world", seed=7, accounts=120)


@pytest.fixture(scope="module")
def account(world: Path) -> str:
    """An account whose four lists all have a full first page."""
    from scmap.sandbox.world import load_world

    truth = load_world(world)
    listed = truth.interactions[truth.interactions["listed"]]
    per_type = listed.groupby(["src_id", "interaction"]).size().unstack().fillna(0)
    best = per_type[["likes", "comments", "reposts", "follows"]].min(axis=1).idxmax()
    return str(truth.users.set_index("id").loc[best, "permalink"])


@pytest.fixture(scope="module")
def site(world: Path):
    with run_sandbox(world) as info:
        yield info


@pytest.fixture
def shaped(site):
    """`shaped(drift=[...], bot_wall=True)` -> the module's sandbox in that shape (reset after)."""
    def shape(**kwargs):
        set_site_shape(site.web_url, **kwargs)
        return site
    yield shape
    set_site_shape(site.web_url)


def doctor(site: SandboxInfo, account: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict], str]:
    command = [sys.executable, "-m", "scmap.doctor", "--web-url", site.web_url, "--api-url", site.api_url,
               "--account", account, "--timeout", "10", "--json"]
    clean_env = {k: v for k, v in os.environ.items() if k not in ("SCMAP_COOKIES", "SCMAP_BROWSER_PROFILE")}
    result = subprocess.run(command, cwd=REPO, env={**clean_env, "PYTHONPATH": str(REPO), **(env or {})},
                            capture_output=True, text=True, timeout=180)
    checks = {check["name"]: check for check in json.loads(result.stdout)} if result.stdout.strip() else {}
    return result.returncode, checks, result.stderr


def failed(checks: dict[str, dict]) -> dict[str, str]:
    return {name: check["detail"] for name, check in checks.items() if check["result"] != "ok"}


@pytest.mark.timeout(300)
def test_the_sandbox_as_it_is_passes_every_check(shaped, account):
    code, checks, stderr = doctor(shaped(), account)
    assert code == 0, (checks, stderr[-2000:])
    assert list(checks) == ["page loads", "bot wall", "consent banner", "hydration", "client_id",
                            "list: likes", "list: comments", "list: reposts", "list: follows"]
    assert "current format" in checks["hydration"]["detail"]
    assert checks["consent banner"]["detail"] == "shown and accepted"
    assert "offset cursor" in checks["list: likes"]["detail"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("drift, expected", [
    ("hydration-renamed", {"hydration": "hydration renamed: no window.__sc_hydration, but window.__sc_preloaded_state"}),
    ("list-route-moved", {f"list: {name}": "list route moved: the page fetched its list from /v3/"
                          for name in ("likes", "comments", "reposts", "follows")}),
    ("field-dropped", {f"list: {name}": "field dropped: created_at missing"
                       for name in ("likes", "comments", "reposts")}),
])
def test_each_drift_is_named(shaped, account, drift, expected):
    code, checks, stderr = doctor(shaped(drift=[drift]), account)
    assert code == 1, stderr[-2000:]
    failures = failed(checks)
    assert set(failures) == set(expected), failures
    for name, start in expected.items():
        assert failures[name].startswith(start), failures[name]
        assert checks[name]["fix"]


@pytest.mark.timeout(300)
def test_the_wall_is_reported_and_cookies_get_through(shaped, account, tmp_path):
    site = shaped(bot_wall=True)
    code, checks, _ = doctor(site, account)
    assert code == 1
    assert failed(checks)["bot wall"].startswith("captcha (html)")
    assert "SCMAP_COOKIES" in checks["bot wall"]["fix"] and "scmap.browser login" in checks["bot wall"]["fix"]
    cookies = write_cookies_txt(tmp_path / "cookies.txt", site.web_url, {"datadome": pass_wall_cookie(site.web_url)})
    code, checks, stderr = doctor(site, account, {"SCMAP_COOKIES": str(cookies)})
    assert code == 0, (failed(checks), stderr[-2000:])
    assert "cookies from SCMAP_COOKIES" in stderr
    # The other way through: a profile made by the login flow (a visible Chromium under Xvfb).
    with xvfb_display():
        login_result = asyncio.run(login(tmp_path / "profile", site.web_url + "/", timeout=120,
                                         person=press_i_am_human_and_accept))
    assert login_result.passed
    code, checks, stderr = doctor(site, account, {"SCMAP_BROWSER_PROFILE": str(tmp_path / "profile")})
    assert code == 0, (failed(checks), stderr[-2000:])
    assert "browser profile" in stderr
    assert checks["consent banner"]["detail"].startswith("not shown")  # the profile remembers it


def test_a_bad_cookies_file_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scmap.doctor"], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "SCMAP_COOKIES": str(tmp_path / "none.txt")},
                            timeout=60)
    assert result.returncode == 2 and result.stderr.startswith("error: SCMAP_COOKIES: no such file")
