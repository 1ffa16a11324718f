"""The http transport against a local echo site (aiohttp, in the test's own event loop): what
goes over the wire (Chrome's user agent and client hints, the XHR headers, cookies, client_id),
what comes back, and the bad settings it refuses. The sandbox end to end is test_http_e2e.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from aiohttp import web
from scrapy import Request
from scrapy.utils.test import get_crawler

from scrapy.exceptions import DownloadConnectionRefusedError, DownloadFailedError

from scmap.browser.contexts import BrowserSetupError
from scmap.transport.http import HttpTransport, HttpTransportConfig, chrome_target, is_challenge
from scmap.transport.http_headers import API_ACCEPT
from tests.bot_wall_helpers import write_cookies_txt

CLIENT_IDS = ["A" * 32, "B" * 32]  # the site's id before and after a rotation
APP_VERSION = "1764000000"
SCRAPY_HEADERS = {"User-Agent": "scmap/0.1 (research crawler)", "Accept-Language": "en",
                  "Accept-Encoding": "gzip, deflate", "Accept": "text/html,application/xhtml+xml"}


class EchoSite:
    """A home page with hydration `apiClient`; /api-v2/echo answers the request it saw."""

    def __init__(self) -> None:
        self.client_id: str | None = CLIENT_IDS[0]  # None: a page without it
        self.home_pages = 0
        self.seen: list[dict[str, Any]] = []

    async def home(self, request: web.Request) -> web.Response:
        self.home_pages += 1
        hydration = json.dumps([{"hydratable": "apiClient", "data": {"id": self.client_id, "isExpiring": False}}]
                               if self.client_id else [])
        return web.Response(text=f"<html><head><script>window.__sc_version=\"{APP_VERSION}\"</script>"
                                 f"<script>window.__sc_hydration = {hydration};</script></head></html>",
                            content_type="text/html")

    async def echo(self, request: web.Request) -> web.Response:
        seen = {"headers": [[name, value] for name, value in request.headers.items()],
                "query": dict(request.query)}
        self.seen.append(seen)
        if request.query.get("client_id") != self.client_id:
            return web.json_response({"error": "client_id"}, status=401)
        response = web.json_response(seen)
        if "renew" in request.query:
            response.set_cookie("datadome", "renewed", path="/")
        response.enable_compression()  # curl asks for it; Scrapy must get the decoded body
        return response

    async def challenge(self, request: web.Request) -> web.Response:
        return web.json_response({"url": "https://geo.captcha-delivery.com/captcha/?initialCid=x"},
                                 status=403, headers={"X-DataDome": "protected"})


@pytest.fixture
def run_with_site(tmp_path: Path) -> Callable[..., Any]:
    """`run_with_site(test)`: await `test(site, transport, web_url)` with the echo site up and a
    transport bootstrapped over http from a cookies.txt (datadome=abc, lang=de)."""

    def run(test: Callable[..., Any], **settings: Any) -> Any:
        async def main() -> Any:
            site = EchoSite()
            app = web.Application()
            app.add_routes([web.get("/", site.home), web.get("/api-v2/echo", site.echo),
                            web.get("/api-v2/wall", site.challenge)])
            runner = web.AppRunner(app)
            await runner.setup()
            server = web.TCPSite(runner, "127.0.0.1", 0)
            await server.start()
            port = server._server.sockets[0].getsockname()[1]
            web_url = f"http://127.0.0.1:{port}"
            cookies = write_cookies_txt(tmp_path / "cookies.txt", web_url, {"datadome": "abc", "lang": "de"})
            crawler = get_crawler(settings_dict={
                "SOUNDCLOUD_WEB_URL": web_url, "SOUNDCLOUD_API_URL": web_url + "/api-v2",
                "SCMAP_COOKIES": str(cookies), "SCMAP_HTTP_BOOTSTRAP": "auto", **settings})
            transport = HttpTransport.from_crawler(crawler)
            try:
                return await test(site, transport, web_url, crawler.stats)
            finally:
                await transport.close()
                await runner.cleanup()
        return asyncio.run(main())
    return run


def headers_of(seen: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in seen["headers"]:
        found.setdefault(name.lower(), []).append(value)
    return found


def test_an_api_call_goes_out_as_chrome_fetch_from_the_page(run_with_site) -> None:
    async def test(site: EchoSite, transport: HttpTransport, web_url: str, stats: Any) -> None:
        url = f"{web_url}/api-v2/echo?limit=200"
        response = await transport.download(Request(url, headers=SCRAPY_HEADERS))
        assert response.status == 200 and response.url == url and "scmap-http" in response.flags
        assert "Content-Encoding" not in response.headers  # curl decoded it; Scrapy must not again
        seen = json.loads(response.text)
        sent = headers_of(seen)
        # curl_cffi's Chrome 152: its own user agent and client hints, not Scrapy's USER_AGENT
        assert sent["user-agent"] == ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                      "(KHTML, like Gecko) Chrome/152.0.0.0 Safari/537.36"]
        assert '"Chromium";v="152"' in sent["sec-ch-ua"][0] and '"Google Chrome";v="152"' in sent["sec-ch-ua"][0]
        assert sent["sec-ch-ua-mobile"] == ["?0"] and sent["sec-ch-ua-platform"] == ['"Windows"']
        assert sent["accept-language"] == ["en-US,en;q=0.9"] and "zstd" in sent["accept-encoding"][0]
        # fetch() from a page of the site, not a navigation
        assert sent["accept"] == [API_ACCEPT]
        assert (sent["sec-fetch-mode"], sent["sec-fetch-dest"], sent["sec-fetch-site"]) == \
            (["cors"], ["empty"], ["same-origin"])
        assert sent["referer"] == [web_url + "/"] and "origin" not in sent  # same origin: no Origin
        assert not {"upgrade-insecure-requests", "sec-fetch-user", "cache-control"} & set(sent)
        # the person's cookies, once, and DataDome's value in its XHR header
        assert len(sent["cookie"]) == 1
        assert sorted(sent["cookie"][0].split("; ")) == ["datadome=abc", "lang=de"]
        assert sent["x-datadome-clientid"] == ["abc"]
        # client parameters added by the transport
        assert seen["query"] == {"limit": "200", "client_id": CLIENT_IDS[0], "app_locale": "en",
                                 "app_version": APP_VERSION}
        assert stats.get_value("scmap/http/bootstraps/http") == 1 and site.home_pages == 1
    run_with_site(test)


def test_cookies_the_site_sets_replace_the_old_ones_on_later_calls(run_with_site) -> None:
    async def test(site: EchoSite, transport: HttpTransport, web_url: str, stats: Any) -> None:
        await transport.download(Request(f"{web_url}/api-v2/echo?renew=1"))
        # Scrapy's CookiesMiddleware may have put a cookie of its own on the request: kept
        response = await transport.download(Request(f"{web_url}/api-v2/echo?n=2", headers={"Cookie": "mw=1"}))
        sent = headers_of(json.loads(response.text))
        assert len(sent["cookie"]) == 1
        assert sorted(sent["cookie"][0].split("; ")) == ["datadome=renewed", "lang=de", "mw=1"]
        assert sent["x-datadome-clientid"] == ["renewed"]
    run_with_site(test)


def test_a_url_with_its_own_client_id_keeps_it(run_with_site) -> None:
    async def test(site: EchoSite, transport: HttpTransport, web_url: str, stats: Any) -> None:
        response = await transport.download(Request(f"{web_url}/api-v2/echo?client_id={CLIENT_IDS[1]}"))
        assert response.status == 401  # the site's id is A: the URL's B was sent, not replaced
        assert site.seen[0]["query"]["client_id"] == CLIENT_IDS[1]
    run_with_site(test)


def test_a_rotated_client_id_is_read_again_once(run_with_site) -> None:
    async def test(site: EchoSite, transport: HttpTransport, web_url: str, stats: Any) -> None:
        assert (await transport.download(Request(f"{web_url}/api-v2/echo"))).status == 200
        site.client_id = CLIENT_IDS[1]
        calls = await asyncio.gather(*[transport.download(Request(f"{web_url}/api-v2/echo?n={n}"))
                                       for n in range(3)])
        assert [call.status for call in calls] == [200, 200, 200]
        assert site.home_pages == 2  # one new identity for the three calls that met the stale id
        assert stats.get_value("scmap/http/client_id_refused") == 3
    run_with_site(test)


def test_a_challenge_comes_back_as_the_site_sent_it(run_with_site) -> None:
    async def test(site: EchoSite, transport: HttpTransport, web_url: str, stats: Any) -> None:
        response = await transport.download(Request(f"{web_url}/api-v2/wall"))
        assert response.status == 403 and is_challenge(response)
        assert not is_challenge(await transport.download(Request(f"{web_url}/api-v2/echo?client_id=x")))  # a 401
        assert stats.get_value("scmap/http/challenges") == 1
    run_with_site(test)


def test_a_page_without_client_id_fails_the_call_and_the_next_call_asks_again(run_with_site) -> None:
    async def test(site: EchoSite, transport: HttpTransport, web_url: str, stats: Any) -> None:
        site.client_id = None
        with pytest.raises(DownloadFailedError, match="http mode: no identity for api-v2 calls: no client_id on"):
            await transport.download(Request(f"{web_url}/api-v2/echo"))
        site.client_id = CLIENT_IDS[0]
        assert (await transport.download(Request(f"{web_url}/api-v2/echo"))).status == 200
        assert site.home_pages == 2 and stats.get_value("scmap/http/bootstrap_failures") == 1
    run_with_site(test)


def test_a_site_that_refuses_connections_is_scrapys_connection_refused(tmp_path: Path) -> None:
    async def main() -> None:
        crawler = get_crawler(settings_dict={"SOUNDCLOUD_WEB_URL": "http://127.0.0.1:9",  # discard port: closed
                                             "SOUNDCLOUD_API_URL": "http://127.0.0.1:9/api-v2",
                                             "SCMAP_HTTP_BOOTSTRAP": "http"})
        transport = HttpTransport.from_crawler(crawler)
        try:
            with pytest.raises(DownloadConnectionRefusedError, match="http://127.0.0.1:9/"):
                await transport.download(Request("http://127.0.0.1:9/api-v2/users/1"))
        finally:
            await transport.close()
    asyncio.run(main())


# --- settings ------------------------------------------------------------------------------------

def config(tmp_path: Path, **settings: Any) -> HttpTransportConfig:
    return HttpTransportConfig.from_settings(get_crawler(settings_dict=settings).settings)


def test_the_defaults_are_a_current_chrome_and_a_browser_bootstrap_without_cookies(tmp_path: Path) -> None:
    found = config(tmp_path)
    assert found.impersonate == "chrome152" and found.bootstrap == "browser" and found.plan.cookie_count == 0


def test_cookies_alone_need_no_browser(tmp_path: Path) -> None:
    cookies = write_cookies_txt(tmp_path / "c.txt", "https://soundcloud.com", {"datadome": "x"})
    assert config(tmp_path, SCMAP_COOKIES=str(cookies)).bootstrap == "http"
    assert config(tmp_path, SCMAP_COOKIES=str(cookies), SCMAP_HTTP_BOOTSTRAP="browser").bootstrap == "browser"


@pytest.mark.parametrize("content, message", [
    (None, "SCMAP_COOKIES: no such file: "),
    ("this is not a cookies file\n", "is not a Netscape cookies.txt file"),
    ("# Netscape HTTP Cookie File\n", "holds no cookies; export them again"),
])
def test_a_missing_or_broken_cookies_file_is_one_clear_error(tmp_path: Path, content: str | None,
                                                             message: str) -> None:
    path = tmp_path / "cookies.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BrowserSetupError, match=message) as error:
        config(tmp_path, SCMAP_COOKIES=str(path))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("target, message", [
    ("chrome110", "DataDome refuses Chrome targets older than 116"),
    ("firefox133", "is not a curl_cffi Chrome target"),
    ("chrome999", "is not a curl_cffi Chrome target"),
])
def test_an_impersonation_target_datadome_refuses_is_refused(target: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        chrome_target(target)


def test_a_bad_bootstrap_way_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SCMAP_HTTP_BOOTSTRAP='page': give one of auto, http, browser"):
        config(tmp_path, SCMAP_HTTP_BOOTSTRAP="page")
