"""The http transport end to end: a Scrapy crawl (tests/transport/http_crawl.py, the stock
scheduler, DOWNLOAD_HANDLERS = a thin handler calling the transport) reads /resolve, the user
and a likes page of the sandbox over HTTP; with real Chromium for the bootstrap page."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from scmap.sandbox.world import load_world
from scmap.soundcloud.collections import with_client_params
from scmap.soundcloud.hydration import parse_hydration
from tests.bot_wall_helpers import pass_wall_cookie, set_site_shape, write_cookies_txt


def counts(site: Any) -> dict[str, int]:
    with urllib.request.urlopen(site.web_url + "/__sandbox/stats", timeout=10) as answer:
        return json.loads(answer.read())["counts"]


def served(site: Any, url: str) -> str:
    """What the sandbox serves for `url` to a client that adds the site's client_id."""
    with urllib.request.urlopen(site.web_url + "/", timeout=10) as answer:
        client_id = parse_hydration(answer.read().decode()).client_id
    with urllib.request.urlopen(with_client_params(url, {"client_id": client_id}), timeout=10) as answer:
        return answer.read().decode()


@pytest.fixture(scope="module")
def liker(transport_world: Path) -> str:
    """The permalink of the account with the most listed likes."""
    world = load_world(transport_world)
    likes = world.interactions[(world.interactions.interaction == "likes") & world.interactions.listed]
    top = likes.src_id.value_counts().index[0]
    return str(world.users.set_index("id").loc[top, "permalink"])


def crawl_config(site: Any, liker: str, **settings: Any) -> dict[str, Any]:
    return {"transport": "http", "urls": [f"{site.api_url}/resolve?url={site.web_url}/{liker}"],
            "follow_resolve": True,
            "settings": {"SOUNDCLOUD_WEB_URL": site.web_url, "SOUNDCLOUD_API_URL": site.api_url,
                         "SCMAP_HTTP_BOOTSTRAP_WAIT": 0.5, **settings}}


def assert_read_as_served(site: Any, result: dict[str, Any]) -> None:
    answers = result["answers"]
    assert sorted(answer["url"].split("/api-v2/")[1].split("?")[0].split("/")[0] for answer in answers) == \
        ["resolve", "users", "users"]
    assert any(answer["url"].endswith("/likes?limit=200&linked_partitioning=1") for answer in answers)
    for answer in answers:
        assert answer["status"] == 200 and "scmap-http" in answer["flags"] and not answer["challenge"]
        assert "client_id=" not in answer["url"]  # added on the wire, not in the Request
        assert answer["child_processes"] == 0  # no browser (nor its driver) open while reading
        assert json.loads(answer["body"]) == json.loads(served(site, answer["url"]))
    likes = next(json.loads(answer["body"]) for answer in answers if "/likes?" in answer["url"])
    assert len(likes["collection"]) > 0


def test_resolve_user_and_a_list_page_read_as_the_sandbox_serves_them_with_chrome_headers(
        open_site, liker, api_crawl) -> None:
    before = counts(open_site)
    result = api_crawl(crawl_config(open_site, liker))
    after = counts(open_site)
    assert_read_as_served(open_site, result)
    assert result["stats"]["scmap/http/bootstraps/browser"] == 1  # client_id from one browser page
    served_api = after["api_requests"] - before.get("api_requests", 0)
    assert served_api == 3
    # every api call carried a Chrome user agent and the three client hints of that version
    assert after["api_requests_chrome_ua"] - before.get("api_requests_chrome_ua", 0) == served_api
    assert after["api_requests_chrome_client_hints"] - before.get("api_requests_chrome_client_hints", 0) == served_api


def test_behind_the_wall_without_cookies_the_api_call_is_a_challenge(open_site, liker, api_crawl) -> None:
    set_site_shape(open_site.web_url, bot_wall=True, scope="api")  # pages load, api-v2 is walled
    before = counts(open_site)
    result = api_crawl(crawl_config(open_site, liker))
    after = counts(open_site)
    [answer] = result["answers"]  # the challenged /resolve is not followed
    assert answer["status"] == 403 and answer["challenge"] and "scmap-http-bootstrap" not in answer["flags"]
    assert after["bot_wall_challenges_json"] - before.get("bot_wall_challenges_json", 0) == 1
    assert result["stats"]["scmap/http/challenges"] == 1


def test_a_challenged_bootstrap_page_makes_every_call_a_challenge_without_asking(
        open_site, liker, api_crawl) -> None:
    set_site_shape(open_site.web_url, bot_wall=True, scope="all")
    before = counts(open_site)
    result = api_crawl(crawl_config(open_site, liker))
    after = counts(open_site)
    [answer] = result["answers"]
    assert answer["challenge"] and "scmap-http-bootstrap" in answer["flags"]
    assert after.get("api_requests", 0) == before.get("api_requests", 0)  # no api-v2 call made
    assert result["stats"]["scmap/http/bootstrap_challenged"] == 1


def test_a_valid_datadome_cookie_in_cookies_txt_passes_the_wall_with_no_browser(
        open_site, liker, api_crawl, tmp_path) -> None:
    set_site_shape(open_site.web_url, bot_wall=True, scope="all")
    cookies = write_cookies_txt(tmp_path / "cookies.txt", open_site.web_url,
                                {"datadome": pass_wall_cookie(open_site.web_url), "sc_anonymous_id": "1-2-3"})
    before = counts(open_site)
    result = api_crawl(crawl_config(open_site, liker, SCMAP_COOKIES=str(cookies)))
    after = counts(open_site)
    set_site_shape(open_site.web_url)  # `served` asks without the cookie
    assert_read_as_served(open_site, result)
    assert result["stats"]["scmap/http/bootstraps/http"] == 1  # the home page through curl_cffi
    assert not result["playwright_loaded"]  # no browser was ever started
    assert after.get("bot_wall_challenges_json", 0) == before.get("bot_wall_challenges_json", 0)
    assert after["bot_wall_passed_requests"] - before.get("bot_wall_passed_requests", 0) >= 4  # home + 3 calls
