"""The page transport: an api-v2 call run as `fetch()` inside a live page of scrapy-playwright's
own browser (the browser's network stack, TLS, cookies, origin and headers, not Playwright's
APIRequestContext), answered as an ordinary Scrapy Response.

A session page is opened once per browser context: the site's home page, rendered, its cookie
banner accepted, its `client_id` (hydration `apiClient`, else the JS bundle) and app version
(`window.__sc_version`) read. Those client parameters are added to the call's URL here, not by
the spider: the Request (and the HTTP cache's fingerprint) is the api-v2 URL without them.
Images, media and fonts are blocked by Chromium itself (CDP `Network.setBlockedURLs`).

A context serves SCMAP_SESSION_CALLS_PER_CONTEXT calls, then is retired (closed when its last
call ends): browser memory stays flat. With a browser profile (one persistent context) the
page lives in the spider's profile context, which is never retired. A 401/403 that is not a
bot-wall challenge (a stale client_id) opens a new session page once and asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from twisted.internet.error import ConnectError, ConnectionLost, TimeoutError as DownloadTimeout

from scmap.soundcloud.challenge import recognise_challenge
from scmap.soundcloud.collections import with_client_params
from scmap.transport import KEEP_KEYS_META_KEY

logger = logging.getLogger(__name__)

# Chromium URL patterns (CDP Network.setBlockedURLs) for what a crawler never reads.
BLOCKED_URL_PATTERNS = (
    "*.jpg*", "*.jpeg*", "*.png*", "*.gif*", "*.webp*", "*.avif*", "*.svg*", "*.ico*",  # images
    "*.woff*", "*.ttf*", "*.otf*", "*.eot*",  # fonts
    "*.mp3*", "*.mp4*", "*.m4a*", "*.ogg*", "*.opus*", "*.webm*", "*.m3u8*", "*.aac*",  # media
    "*i1.sndcdn.com/*", "*cf-hls-media.sndcdn.com/*", "*wave.sndcdn.com/*",  # image/audio hosts
)

SESSION_FACTS_JS = """() => {
  const entries = Array.isArray(window.__sc_hydration) ? window.__sc_hydration : [];
  const client = entries.find(e => e && e.hydratable === "apiClient");
  return {clientId: (client && client.data && typeof client.data.id === "string") ? client.data.id : null,
          appVersion: window.__sc_version ? String(window.__sc_version) : null};
}"""

# One call: never throws into Playwright. {status, headers, text} or {status: 0, error}.
# With `keep`, a JSON 200 body is cut down to those keys (every depth) before it crosses to
# Python; a body that does not parse comes back as it was, so Python sees the truncation.
FETCH_JS = """async ([url, timeoutMs, keep]) => {
  const wanted = keep ? new Set(keep) : null;
  const trim = (value) => Array.isArray(value) ? value.map(trim)
    : (value && typeof value === "object")
      ? Object.fromEntries(Object.entries(value).filter(([key]) => wanted.has(key)).map(([key, inner]) => [key, trim(inner)]))
      : value;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await (window.__scmapFetch || window.fetch).call(window, url, {
      credentials: "include", signal: controller.signal,
      headers: {"Accept": "application/json, text/javascript, */*; q=0.01"}});
    let text = await response.text();
    if (wanted && response.status === 200) {
      try { text = JSON.stringify(trim(JSON.parse(text))); } catch (error) { /* kept as it came */ }
    }
    return {status: response.status, url: response.url, headers: Object.fromEntries(response.headers.entries()), text};
  } catch (error) {
    return {status: 0, error: String(error && error.name === "AbortError" ? "timeout" : error)};
  } finally {
    clearTimeout(timer);
  }
}"""

# Headers that described the wire, not the body the page hands over (already decoded).
DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class SessionUnavailable(ConnectError):
    """No session page could be opened (an error page, no client_id...): a connection-level
    failure for Scrapy (RetryMiddleware retries it)."""


class SiteUnreachable(SessionUnavailable):
    """The site's home page did not answer at all (refused, timed out, no such host)."""


@dataclass
class SessionPage:
    number: int
    context_name: str
    page: Any
    client_id: str
    app_version: str | None
    cookie_banner_accepted: bool
    owns_context: bool  # False in a browser profile: the context outlives the page
    calls: int = 0
    active: int = 0
    retired: bool = False

    @property
    def client_params(self) -> dict[str, str]:
        params = {"client_id": self.client_id, "app_locale": "en"}
        if self.app_version:
            params["app_version"] = self.app_version
        return params


@dataclass(frozen=True)
class PageTransportConfig:
    """Read once per crawler from its settings (defaults: scmap/settings.py)."""

    web_url: str
    calls_per_context: int
    cookie_banner_wait: float
    navigation_timeout: float  # s

    @classmethod
    def from_settings(cls, settings: Any) -> "PageTransportConfig":
        from scmap.setting_values import float_setting, int_setting

        return cls(web_url=settings.get("SOUNDCLOUD_WEB_URL").rstrip("/"),
                   calls_per_context=max(1, int_setting(settings, "SCMAP_SESSION_CALLS_PER_CONTEXT")),
                   cookie_banner_wait=float_setting(settings, "SCMAP_COOKIE_BANNER_WAIT"),
                   navigation_timeout=float_setting(settings, "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") / 1000)


class PageTransport:
    """Session pages in the browser of `handler` (a ScrapyPlaywrightDownloadHandler)."""

    def __init__(self, handler: Any, config: PageTransportConfig, stats: Any) -> None:
        self.handler = handler
        self.config = config
        self.stats = stats
        self._current: SessionPage | None = None
        self._opened = 0
        self._lock = asyncio.Lock()

    async def download(self, request: Request) -> Response:
        started = time.monotonic()
        for fresh in (False, True):
            session = await self._lease(request)
            url = with_client_params(request.url, session.client_params)
            try:
                answer = await session.page.evaluate(
                    FETCH_JS, [url, int(_timeout(request) * 1000), request.meta.get(KEEP_KEYS_META_KEY)])
            except Exception as error:  # the page or its browser died under the call
                self._retire(session)
                raise ConnectionLost(f"session page gone: {str(error).splitlines()[0]}") from None
            finally:
                await self._release(session)
            status = int(answer.get("status") or 0)
            if status in (401, 403) and not fresh and recognise_challenge(
                    status, answer.get("headers"), answer.get("text") or "") is None:
                self.stats.inc_value("scmap/session/client_id_refused")
                self._retire(session)  # a stale client_id: a new session page, asked once more
                continue
            request.meta["download_latency"] = time.monotonic() - started
            if status == 0:
                if answer.get("error") == "timeout":
                    raise DownloadTimeout(f"no answer from {request.url} in {_timeout(request):g} s")
                raise ConnectError(f"{request.url}: {answer.get('error')}")
            return _response(request, status, answer)
        raise AssertionError("unreachable")

    # --- session pages ----------------------------------------------------------------------
    async def _lease(self, request: Request) -> SessionPage:
        async with self._lock:  # concurrent calls share the page being opened
            session = self._current
            if session is None or session.retired or session.page.is_closed():
                session = self._current = await self._open(request)
            session.calls += 1
            session.active += 1
            if session.owns_context and session.calls >= self.config.calls_per_context:
                self._retire(session)  # its last call ends it (_release)
            return session

    async def _release(self, session: SessionPage) -> None:
        session.active -= 1
        if session.retired and session.active <= 0:
            await self._close(session)

    def _retire(self, session: SessionPage) -> None:
        session.retired = True
        if self._current is session:
            self._current = None

    async def _close(self, session: SessionPage) -> None:
        with contextlib.suppress(Exception):
            if session.owns_context:
                await session.page.context.close()
                self.stats.inc_value("scmap/session/contexts_closed")
            else:
                await session.page.close()

    async def _open(self, request: Request) -> SessionPage:
        """A new session page: in the request's own context (a browser profile), else a new one."""
        self._opened += 1
        profile_context = request.meta.get("playwright_context")
        name = profile_context or f"scmap-session-{self._opened}"
        opener = Request(self.config.web_url + "/", meta={
            "playwright_context": name,
            "playwright_context_kwargs": request.meta.get("playwright_context_kwargs") or {}})
        try:
            page = await self.handler._create_page(opener, self.handler._crawler.spider)
        except Exception as error:
            raise SessionUnavailable(f"no browser page: {str(error).splitlines()[0]}") from None
        try:
            page.set_default_timeout(self.config.navigation_timeout * 1000)
            await block_resources(page)
            try:
                response = await page.goto(self.config.web_url + "/", wait_until="domcontentloaded")
            except Exception as error:  # net::ERR_CONNECTION_REFUSED, a timeout...
                raise SiteUnreachable(f"{self.config.web_url}/: {str(error).splitlines()[0]}") from None
            if response is None or response.status >= 400:
                raise SessionUnavailable(f"session page {self.config.web_url}/ answered "
                                         f"{None if response is None else response.status}")
            from scmap.spiders.list_page import accept_cookies

            accepted = await accept_cookies(page, wait=self.config.cookie_banner_wait)
            facts = await page.evaluate(SESSION_FACTS_JS)
            client_id = facts.get("clientId") or await _client_id_from_bundle(page, self.config)
            if not client_id:
                raise SessionUnavailable(f"no client_id on {self.config.web_url}/ (hydration or bundle)")
        except BaseException as error:
            self.stats.inc_value("scmap/session/pages_failed")
            with contextlib.suppress(Exception):
                await (page.close() if profile_context else page.context.close())
            if isinstance(error, SessionUnavailable) or not isinstance(error, Exception):
                raise
            raise SessionUnavailable(f"session page {self.config.web_url}/: "
                                     f"{str(error).splitlines()[0]}") from None
        self.stats.inc_value("scmap/session/pages_opened")
        if accepted:
            self.stats.inc_value("scmap/session/cookie_banner_accepted")
        logger.info("session page #%d open in context %s (client_id %s..., app_version %s)",
                    self._opened, name, client_id[:6], facts.get("appVersion"))
        return SessionPage(number=self._opened, context_name=name, page=page, client_id=client_id,
                           app_version=facts.get("appVersion"), cookie_banner_accepted=accepted,
                           owns_context=not profile_context)


async def block_resources(page: Any, patterns: tuple[str, ...] = BLOCKED_URL_PATTERNS) -> bool:
    """Let Chromium drop images / media / fonts itself (no per-request round trip to Python)."""
    try:
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.setBlockedURLs", {"urls": list(patterns)})
        return True
    except Exception as error:  # not Chromium, or the protocol changed: load them, still correct
        logger.warning("could not block images/media/fonts through CDP: %r", error)
        return False


async def _client_id_from_bundle(page: Any, config: PageTransportConfig) -> str | None:
    from scmap.spiders.dom_fallback import client_id_from_page_bundle

    return await client_id_from_page_bundle(page, await page.content(), config.navigation_timeout)


def _timeout(request: Request) -> float:
    """Scrapy's DOWNLOAD_TIMEOUT (DownloadTimeoutMiddleware puts it in meta), per request."""
    from scmap.setting_values import default

    return float(request.meta.get("download_timeout") or default("DOWNLOAD_TIMEOUT"))


def _response(request: Request, status: int, answer: dict[str, Any]) -> Response:
    headers = Headers({name: value for name, value in (answer.get("headers") or {}).items()
                       if name.lower() not in DROPPED_HEADERS})
    body = (answer.get("text") or "").encode("utf-8")
    respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
    return respcls(url=request.url, status=status, headers=headers, body=body, request=request,
                   flags=["scmap-page"])
