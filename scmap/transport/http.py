"""The http transport of `-a mode=http`: api-v2 calls sent by curl_cffi impersonating a current
desktop Chrome (its TLS and HTTP/2 fingerprint and headers), with no browser open while reading.

    transport = HttpTransport.from_crawler(crawler)      # or HttpTransport(handler, crawler)
    response = await transport.download(request)        # an ordinary Scrapy Response
    if is_challenge(response): ...                       # re-issue with meta scmap_transport="page"
    await transport.close()

- **Identity, once** (scmap/transport/http_session.py): the web client's `client_id` / app
  version and the cookies of a trusted client, from SCMAP_COOKIES and/or one browser page that
  is closed again (SCMAP_HTTP_BOOTSTRAP), taken at the first call.
- **client_id is added here, not by the spider**, as the page transport does: an api-v2 URL
  (under SOUNDCLOUD_API_URL) lacking `client_id` / `app_version` / `app_locale` gets the
  session's. The Request (and so the HTTP cache's fingerprint) and the Response's `url` stay the
  URL the spider asked for. Other URLs go out as they are.
- **Headers** (http_headers.py): the impersonated Chrome's own User-Agent and client hints
  (`sec-ch-ua`, `sec-ch-ua-mobile`, `sec-ch-ua-platform`), as fetch() from a page would send
  them; cookies from the jar (http_cookies.py), which learns every Set-Cookie.
- **A challenge is returned, not raised**: a DataDome answer (403 + its marks) is the Response
  as the site sent it; `is_challenge(response)` tells it. The spider re-issues the request with
  `meta["scmap_transport"] = "page"` (the account goes to the browser transport). When the
  bootstrap's home page itself was challenged there is no client_id: every call then answers
  that challenge (no network I/O), flagged `scmap-http-bootstrap`.
- A 401/403 that is not a challenge (a stale client_id) takes a new identity once and asks again.
- Network errors become Scrapy's download exceptions (RetryMiddleware retries them); Scrapy's
  DOWNLOAD_TIMEOUT (meta `download_timeout`) is curl's timeout. Redirects are left to Scrapy.

Why curl_cffi directly and not scrapy-impersonate's handler (what it does in ~40 lines): every
scrapy-impersonate wheel (1.8-1.10.1) installs a top-level `tests` package into site-packages,
which shadows this repository's `tests` namespace (`from tests.x import ...` breaks); and its
handler opens a new connection per request, where one curl_cffi session keeps connections
alive as the browser does.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from curl_cffi import BrowserType
from curl_cffi.requests import AsyncSession
from curl_cffi.requests import exceptions as curl_errors
from scrapy import Request
from scrapy.exceptions import (CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError,
                               DownloadTimeoutError)
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from scmap.browser.contexts import ContextPlan, context_plan
from scmap.browser.launch import launch_options
from scmap.setting_values import float_setting, int_setting, setting
from scmap.soundcloud.challenge import is_challenge as is_challenge_answer
from scmap.soundcloud.collections import with_client_params
from scmap.transport.http_cookies import ApiCookies
from scmap.transport.http_headers import API, DOCUMENT, call_headers
from scmap.transport.http_session import (Answer, ApiSession, BootstrapChallenged, BootstrapFailed,
                                          bootstrap_way, session_from_browser, session_over_http)

logger = logging.getLogger(__name__)

RESPONSE_FLAG = "scmap-http"
BOOTSTRAP_CHALLENGE_FLAG = "scmap-http-bootstrap"
STALE_CLIENT_ID_STATUSES = (401, 403)
OLDEST_CHROME_TARGET = 116  # DataDome refuses older Chrome fingerprints (yt-dlp's SoundCloud extractor)
DECODED_HEADERS = (b"Content-Encoding", b"Content-Length", b"Transfer-Encoding")  # curl decoded the body


def is_challenge(response: Response) -> bool:
    """Is this answer a bot-wall (DataDome) challenge? Then the account needs the browser."""
    return is_challenge_answer(response.status, response.headers, response.body)


def http_setup_error(settings: Any) -> str | None:
    """Why `-a mode=http` cannot start with these settings (one line), or None: an unusable
    SCMAP_COOKIES / SCMAP_BROWSER_PROFILE, SCMAP_HTTP_IMPERSONATE or SCMAP_HTTP_BOOTSTRAP."""
    try:
        HttpTransportConfig.from_settings(settings)
    except ValueError as error:  # BrowserSetupError is one
        return str(error)
    return None


def chrome_target(name: str) -> str:
    """`name` when it is a curl_cffi Chrome target DataDome accepts, else a one-line ValueError."""
    match = re.fullmatch(r"chrome(\d+)\w*", name or "")
    if match is None or name not in {target.value for target in BrowserType}:
        raise ValueError(f"SCMAP_HTTP_IMPERSONATE={name!r} is not a curl_cffi Chrome target: give e.g. "
                         f"chrome152 (python -c 'import curl_cffi; print(list(curl_cffi.BrowserType))')")
    if int(match.group(1)) < OLDEST_CHROME_TARGET:
        raise ValueError(f"SCMAP_HTTP_IMPERSONATE={name!r}: DataDome refuses Chrome targets older than "
                         f"{OLDEST_CHROME_TARGET}; give a newer one (chrome152)")
    return name


@dataclass(frozen=True)
class HttpTransportConfig:
    """Read once per crawler from its settings (defaults: scmap/settings.py)."""

    web_url: str
    api_url: str
    impersonate: str  # a curl_cffi target (SCMAP_HTTP_IMPERSONATE)
    bootstrap: str  # "http" or "browser" (SCMAP_HTTP_BOOTSTRAP resolved)
    plan: ContextPlan  # the person's profile / cookies (SCMAP_BROWSER_PROFILE / SCMAP_COOKIES)
    launch_options: dict[str, Any]  # PLAYWRIGHT_LAUNCH_OPTIONS; empty: scmap.browser's, made at launch
    navigation_timeout: float  # s
    cookie_wait: float  # s
    timeout: float  # s, DOWNLOAD_TIMEOUT when a request has no download_timeout
    connections: int  # curl handles kept (CONCURRENT_REQUESTS)

    @classmethod
    def from_settings(cls, settings: Any) -> "HttpTransportConfig":
        """Raises scmap.browser.contexts.BrowserSetupError (one line) for an unusable
        SCMAP_COOKIES / SCMAP_BROWSER_PROFILE, ValueError for a bad SCMAP_HTTP_BOOTSTRAP."""
        plan = context_plan(settings)
        return cls(web_url=setting(settings, "SOUNDCLOUD_WEB_URL").rstrip("/"),
                   api_url=setting(settings, "SOUNDCLOUD_API_URL").rstrip("/"),
                   impersonate=chrome_target(setting(settings, "SCMAP_HTTP_IMPERSONATE")),
                   bootstrap=bootstrap_way(setting(settings, "SCMAP_HTTP_BOOTSTRAP"), plan),
                   plan=plan, launch_options=settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"),
                   navigation_timeout=float_setting(settings, "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") / 1000,
                   cookie_wait=float_setting(settings, "SCMAP_HTTP_BOOTSTRAP_WAIT"),
                   timeout=float_setting(settings, "DOWNLOAD_TIMEOUT"),
                   connections=max(1, int_setting(settings, "CONCURRENT_REQUESTS")))

    def is_api(self, url: str) -> bool:
        return url.startswith(self.api_url + "/")


class HttpTransport:
    """`async download(request) -> Response` through curl_cffi; `handler` (the core download
    handler that owns this transport) is not needed and may be None."""

    def __init__(self, handler: Any, crawler: Any) -> None:
        self.config = HttpTransportConfig.from_settings(crawler.settings)
        self.stats = crawler.stats
        self._client: AsyncSession | None = None  # made in the running event loop, at the first call
        self._cookies = ApiCookies()
        self._session: ApiSession | None = None
        self._challenge: Answer | None = None  # the bootstrap's home page was challenged
        self._lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HttpTransport":
        return cls(None, crawler)

    async def download(self, request: Request) -> Response:
        is_api = self.config.is_api(request.url)
        for fresh in (False, True):
            session = await self.session()
            if session is None:
                return self._bootstrap_challenge(request)
            url = with_client_params(request.url, session.client_params) if is_api else request.url
            response = await self._send(request, url, API if is_api else DOCUMENT)
            if is_challenge(response):
                self.stats.inc_value("scmap/http/challenges")
                return response
            if is_api and not fresh and response.status in STALE_CLIENT_ID_STATUSES:
                self.stats.inc_value("scmap/http/client_id_refused")
                await self._renew(session)
                continue
            return response
        raise AssertionError("unreachable")

    async def session(self) -> ApiSession | None:
        """The identity for api-v2 calls, taken at the first call (None: challenged)."""
        async with self._lock:
            if self._session is None and self._challenge is None:
                await self._bootstrap()
            return self._session

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # --- identity ---------------------------------------------------------------------------
    async def _bootstrap(self) -> None:
        config = self.config
        seed_cookies = tuple(config.plan.kwargs.get("storage_state", {}).get("cookies", ()))
        self._cookies = ApiCookies(seed_cookies)
        try:
            if config.bootstrap == "browser":
                session = await session_from_browser(config.web_url, config.plan, config.launch_options or launch_options(),
                                                     config.navigation_timeout, config.cookie_wait, self._fetch)
                self._cookies = ApiCookies(session.cookies)
            else:
                session = await session_over_http(config.web_url, seed_cookies, self._fetch)
        except BootstrapChallenged as challenged:
            logger.warning("http mode: %s; every api-v2 call goes to the browser transport", challenged)
            self.stats.inc_value("scmap/http/bootstrap_challenged")
            self._challenge = challenged.answer
            return
        except BootstrapFailed as error:  # site down, no client_id: the next call tries again
            self.stats.inc_value("scmap/http/bootstrap_failures")
            raise DownloadFailedError(f"http mode: no identity for api-v2 calls: {_first_line(error)}") from None
        self.stats.inc_value(f"scmap/http/bootstraps/{config.bootstrap}")
        logger.info("http mode: client_id %s... and %d cookies from the %s; impersonating %s",
                    session.client_id[:6], len(self._cookies), session.source, config.impersonate)
        self._session = session

    async def _renew(self, stale: ApiSession) -> None:
        async with self._lock:
            if self._session is stale:  # one renewal for every call that met the stale id
                self._session = None
                await self._bootstrap()

    async def _fetch(self, url: str, kind: str) -> Answer:
        """A bootstrap fetch (home page, bundle) through the same impersonating client."""
        response = await self._send(Request(url), url, kind)
        headers = {key.decode("latin-1").lower(): values[0].decode("latin-1")
                   for key, values in response.headers.items() if values}
        return Answer(response.status, headers, response.body.decode("utf-8", "replace"))

    def _bootstrap_challenge(self, request: Request) -> Response:
        assert self._challenge is not None
        headers = Headers(dict(self._challenge.headers))
        body = self._challenge.text.encode("utf-8")
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(url=request.url, status=self._challenge.status, headers=headers, body=body,
                       request=request, flags=[RESPONSE_FLAG, BOOTSTRAP_CHALLENGE_FLAG])

    # --- one call -----------------------------------------------------------------------------
    async def _send(self, request: Request, url: str, kind: str) -> Response:
        if self._client is None:
            # Cookies are the jar's (http_cookies.py): the session keeps none of its own.
            self._client = AsyncSession(max_clients=self.config.connections, discard_cookies=True)
        headers = call_headers(kind, url, self.config.web_url, request.headers.to_unicode_dict(),
                               self._cookies.header_for(request))
        started = time.monotonic()
        try:
            answer = await self._client.request(
                request.method, url, headers=headers, data=request.body or None,  # type: ignore[arg-type]
                impersonate=self.config.impersonate, allow_redirects=False, proxy=request.meta.get("proxy"),
                timeout=float(request.meta.get("download_timeout") or self.config.timeout))
        except curl_errors.RequestException as error:
            raise _download_error(request, error) from None
        request.meta["download_latency"] = time.monotonic() - started
        response_headers = Headers(answer.headers.multi_items())
        for name in DECODED_HEADERS:
            response_headers.pop(name, None)
        respcls = responsetypes.from_args(headers=response_headers, url=request.url, body=answer.content)
        response = respcls(url=request.url, status=answer.status_code, headers=response_headers,
                           body=answer.content, request=request, flags=[RESPONSE_FLAG])
        self._cookies.learn(response, request)
        return response


def _download_error(request: Request, error: Exception) -> Exception:
    """curl_cffi's error as the Scrapy download exception RetryMiddleware knows."""
    message = f"{request.url}: {_first_line(error)}"
    if isinstance(error, curl_errors.Timeout):
        return DownloadTimeoutError(message)
    if isinstance(error, curl_errors.DNSError):
        return CannotResolveHostError(message)
    if isinstance(error, curl_errors.ConnectionError):
        return DownloadConnectionRefusedError(message)
    return DownloadFailedError(message)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error).strip() else type(error).__name__
