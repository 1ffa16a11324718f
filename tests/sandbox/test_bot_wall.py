"""The sandbox's bot wall over HTTP: DataDome's 403 shapes (docs/real-site.md), the pass, the
HeadlessChrome refusal, the stats; one walled sandbox for the module."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from scmap.sandbox.runner import SandboxInfo, run_sandbox
from scmap.soundcloud.challenge import recognise_challenge
from tests.bot_wall_helpers import pass_wall_cookie

from .conftest import HttpResult, http_get

BROWSER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/156.0.0.0 Safari/537.36")


@pytest.fixture(scope="module")
def walled(sandbox_world: Path) -> Iterator[SandboxInfo]:
    with run_sandbox(sandbox_world, extra_args=["--bot-wall"]) as info:
        yield info


def get(url: str, headers: dict[str, str] | None = None) -> HttpResult:
    request = urllib.request.Request(url, headers={"User-Agent": BROWSER_UA, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return HttpResult(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, dict(error.headers), error.read())


def counts(info: SandboxInfo) -> dict[str, int]:
    return http_get(info.web_url + "/__sandbox/stats").json()["counts"]


def some_permalink(info: SandboxInfo, loaded_world) -> str:
    return str(loaded_world.users.iloc[0]["permalink"])


def test_a_document_without_the_cookie_gets_the_html_block_page(walled, loaded_world):
    before = counts(walled).get("bot_wall_challenges_html", 0)
    answer = get(f"{walled.web_url}/{some_permalink(walled, loaded_world)}/likes")
    assert answer.status == 403
    assert answer.headers["X-DataDome"] == "protected"
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.body.decode()
    dd = re.search(r"var dd=\{([^}]*)\}", page).group(1)
    for field in ("'rt':'c'", "'cid':", "'hsh':", "'t':'fe'", "'s':", "'e':", "'host':'geo.captcha-delivery.com'"):
        assert field in dd
    assert '<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>' in page
    assert 'id="i-am-human"' in page
    assert "__sc_hydration" not in page
    assert counts(walled)["bot_wall_challenges_html"] == before + 1
    challenge = recognise_challenge(answer.status, answer.headers, answer.body)
    assert challenge is not None and (challenge.kind, challenge.shape) == ("captcha", "html")


def test_an_api_call_without_the_cookie_gets_the_json_captcha_url(walled):
    answer = get(walled.api_url + "/users/1/likes?client_id=x&limit=24")
    assert answer.status == 403
    assert answer.headers["X-DataDome"] == "protected" and answer.headers["X-DD-B"] == "1"
    body = json.loads(answer.body)
    assert list(body) == ["url"]
    assert body["url"].startswith("https://geo.captcha-delivery.com/captcha/?initialCid=")
    for param in ("hash=", "cid=", "t=fe", "referer=", "s=", "e="):
        assert param in body["url"]
    challenge = recognise_challenge(answer.status, answer.headers, answer.body)
    assert challenge is not None and (challenge.kind, challenge.shape) == ("captcha", "json")


def test_the_cookie_or_its_header_copy_passes_and_the_page_gets_the_tag(walled, loaded_world):
    cookie = pass_wall_cookie(walled.web_url)
    page = get(f"{walled.web_url}/{some_permalink(walled, loaded_world)}", {"Cookie": f"datadome={cookie}"})
    assert page.status == 200
    text = page.body.decode()
    assert "__sc_hydration" in text and "x-datadome-clientid" in text
    api = get(walled.api_url + "/users/1/likes?client_id=x", {"x-datadome-clientid": cookie})
    assert api.status == 401  # through the wall, refused for its made-up client_id: api-v2's own answer
    assert recognise_challenge(api.status, api.headers, api.body) is None


def test_a_forged_cookie_or_a_headless_browser_is_challenged(walled):
    cookie = pass_wall_cookie(walled.web_url)
    forged = cookie[:-1] + ("0" if cookie[-1] != "0" else "1")
    assert get(walled.web_url + "/", {"Cookie": f"datadome={forged}"}).status == 403
    before = counts(walled).get("bot_wall_headless_seen", 0)
    headless = get(walled.web_url + "/", {"Cookie": f"datadome={cookie}",
                                          "User-Agent": BROWSER_UA.replace("Chrome/", "HeadlessChrome/")})
    assert headless.status == 403
    assert counts(walled)["bot_wall_headless_seen"] == before + 1


def test_the_sandbox_endpoints_and_assets_are_never_walled(walled):
    assert http_get(walled.web_url + "/__sandbox/stats").status == 200
    page = get(walled.web_url + "/", {"Cookie": f"datadome={pass_wall_cookie(walled.web_url)}"}).body.decode()
    bundle = re.search(r'<script crossorigin src="(/assets/[^"]+)"', page).group(1)
    assert get(walled.web_url + bundle).status == 200


def test_wall_and_drift_switch_while_running(walled):
    from tests.bot_wall_helpers import set_site_shape

    try:
        set_site_shape(walled.web_url, bot_wall=False, drift=["hydration-renamed"])
        page = get(walled.web_url + "/")
        assert page.status == 200 and b"__sc_preloaded_state" in page.body
        assert b"x-datadome-clientid" not in page.body  # no wall, no tag
        set_site_shape(walled.web_url, bot_wall=True, scope="api")
        assert get(walled.web_url + "/").status == 200
        assert get(walled.api_url + "/users/1/likes?client_id=x").status == 403
    finally:
        set_site_shape(walled.web_url, bot_wall=True)
    assert get(walled.web_url + "/").status == 403
    bad = urllib.request.Request(walled.web_url + "/__sandbox/drift", data=b'{"drift": ["nope"]}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad, timeout=10)
    assert refused.value.code == 400
