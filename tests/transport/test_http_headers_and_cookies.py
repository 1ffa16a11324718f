"""Header assembly and the cookie jar of the http transport, for the real site's hosts
(soundcloud.com pages, api-v2.soundcloud.com calls, a-v2.sndcdn.com bundles)."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.http import Response

from scmap.browser.cookies import load_cookies
from scmap.transport.http_cookies import ApiCookies
from scmap.transport.http_headers import API, DOCUMENT, SCRIPT, call_headers, fetch_site

WEB = "https://soundcloud.com"
API_URL = "https://api-v2.soundcloud.com/users/1/likes?limit=200"
BUNDLE = "https://a-v2.sndcdn.com/assets/0-abc.js"


def test_fetch_site_of_the_sites_hosts() -> None:
    assert fetch_site(API_URL, WEB) == "same-site"
    assert fetch_site(WEB + "/discover", WEB) == "same-origin"
    assert fetch_site(BUNDLE, WEB) == "cross-site"
    assert fetch_site("http://127.0.0.1:8000/api-v2/x", "http://127.0.0.1:8000") == "same-origin"
    assert fetch_site("http://127.0.0.1:9000/api-v2/x", "http://127.0.0.1:8000") == "same-site"


def test_an_api_call_to_api_v2_is_a_cross_origin_cors_fetch_with_origin() -> None:
    headers = call_headers(API, API_URL, WEB, {"User-Agent": "scmap/0.1", "X-Keep": "1"},
                           cookie="sc_anonymous_id=1; datadome=dd")
    assert headers["Origin"] == WEB and headers["Referer"] == WEB + "/"
    assert headers["Sec-Fetch-Site"] == "same-site" and headers["x-datadome-clientid"] == "dd"
    assert "User-Agent" not in headers and headers["X-Keep"] == "1"  # the browser's UA; others kept
    assert all(headers[name] is None for name in ("Upgrade-Insecure-Requests", "Sec-Fetch-User", "Cache-Control"))


def test_without_a_datadome_cookie_no_datadome_header() -> None:
    assert "x-datadome-clientid" not in call_headers(API, API_URL, WEB, {}, cookie="sc_anonymous_id=1")


def test_a_document_is_curls_own_navigation_and_a_bundle_a_script_fetch() -> None:
    document = call_headers(DOCUMENT, WEB + "/", WEB, {"Accept": "text/html", "Accept-Language": "en"})
    assert document == {}  # curl's Chrome target sends its own navigation headers
    script = call_headers(SCRIPT, BUNDLE, WEB, {})
    assert (script["Sec-Fetch-Dest"], script["Sec-Fetch-Site"], script["Accept"]) == ("script", "cross-site", "*/*")
    assert "Origin" not in script and "Referer" not in script


def write_cookies(path: Path, lines: list[str]) -> Path:
    path.write_text("# Netscape HTTP Cookie File\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cookies_txt_cookies_of_the_site_go_to_api_v2_and_no_further(tmp_path: Path) -> None:
    cookies = load_cookies(write_cookies(tmp_path / "c.txt", [
        ".soundcloud.com\tTRUE\t/\tTRUE\t4102444800\tdatadome\tdd1",
        "#HttpOnly_.soundcloud.com\tTRUE\t/\tTRUE\t4102444800\toauth_token\ttok",
        "soundcloud.com\tFALSE\t/\tTRUE\t4102444800\thost_only\th",  # the page's host only
        ".soundcloud.com\tTRUE\t/\tTRUE\t1000\told\tgone",  # expired: dropped by the loader
        ".example.org\tTRUE\t/\tFALSE\t4102444800\tother\to",
    ]))
    jar = ApiCookies(cookies)
    sent = jar.header_for(Request(API_URL)) or ""
    assert sorted(sent.split("; ")) == ["datadome=dd1", "oauth_token=tok"]
    assert "host_only=h" in (jar.header_for(Request(WEB + "/")) or "")
    assert jar.header_for(Request("http://api-v2.soundcloud.com/x")) is None  # secure cookies, plain http


def test_the_jar_learns_a_renewed_cookie() -> None:
    jar = ApiCookies([{"name": "datadome", "value": "old", "domain": ".soundcloud.com", "path": "/",
                       "expires": -1, "secure": True, "httpOnly": False}])
    request = Request(API_URL)
    jar.learn(Response(API_URL, headers={"Set-Cookie": "datadome=new; Domain=.soundcloud.com; Path=/; Secure"},
                       request=request), request)
    assert jar.header_for(Request(API_URL)) == "datadome=new"
