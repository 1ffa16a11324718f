"""The browser side of session mode: one Chromium per crawl process, a session page per context.

Every spider of the process shares the browser (one Playwright driver, one Chromium); each
spider ("owner") has its own current context. A context serves `lists_per_context` lists, then
is retired: new leases get a fresh context and the old one is closed when its last list ends,
which keeps browser memory flat however long the crawl runs.

A session page is opened once per context: the site's home page, rendered, its cookie banner
accepted, its `client_id` (hydration `apiClient`, else the JS bundle) and app version
(`window.__sc_version`) read. Images, media and fonts are blocked by Chromium itself
(CDP `Network.setBlockedURLs`): no request goes through Python to be aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from scmap.soundcloud.collections import web_client_params
from scmap.spiders.dom_fallback import client_id_from_page_bundle
from scmap.spiders.list_page import accept_cookies

logger = logging.getLogger(__name__)

# Chromium URL patterns (CDP Network.setBlockedURLs) for what a crawler never reads.
BLOCKED_URL_PATTERNS = (
    "*.jpg*", "*.jpeg*", "*.png*", "*.gif*", "*.webp*", "*.avif*", "*.svg*", "*.ico*",  # images
    "*.woff*", "*.ttf*", "*.otf*", "*.eot*",  # fonts
    "*.mp3*", "*.mp4*", "*.m4a*", "*.ogg*", "*.opus*", "*.webm*", "*.m3u8*", "*.aac*",  # media
    "*i1.sndcdn.com/*", "*cf-hls-media.sndcdn.com/*", "*wave.sndcdn.com/*",  # image/audio hosts
)

_SESSION_FACTS_JS = """() => {
  const entries = Array.isArray(window.__sc_hydration) ? window.__sc_hydration : [];
  const client = entries.find(e => e && e.hydratable === "apiClient");
  return {clientId: (client && client.data && typeof client.data.id === "string") ? client.data.id : null,
          appVersion: window.__sc_version ? String(window.__sc_version) : null};
}"""


class SessionUnavailable(RuntimeError):
    """No session page could be opened (site down, no client_id...)."""


@dataclass
class SessionPage:
    """A rendered page of the site kept open to call api-v2 from."""

    owner: str
    number: int  # per owner, counts contexts opened
    context: Any
    page: Any
    client_id: str
    app_version: str | None
    cookie_banner_accepted: bool = False
    lists_started: int = 0
    active: int = 0
    retired: bool = False
    broken: bool = False

    @property
    def client_params(self) -> dict[str, str]:
        return web_client_params(self.client_id, self.app_version)


@dataclass
class PoolStats:
    browsers_launched: int = 0
    contexts_opened: int = 0
    contexts_closed: int = 0
    session_pages_failed: int = 0


@dataclass
class SessionPool:
    """One Chromium and the session pages of every owner (spider) of the process."""

    web_url: str
    launch_options: dict[str, Any]
    lists_per_context: int = 200
    cookie_banner_wait: float = 3.0
    navigation_timeout: float = 30.0
    blocked_url_patterns: tuple[str, ...] = BLOCKED_URL_PATTERNS
    context_kwargs: dict[str, Any] = field(default_factory=dict)  # the person's cookies (scmap.browser)
    stats: PoolStats = field(default_factory=PoolStats)
    _playwright: Any = None
    _browser: Any = None
    _current: dict[str, SessionPage] = field(default_factory=dict)
    _opened: dict[str, int] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _browser_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _users: int = 0

    # --- lifecycle ----------------------------------------------------------------------
    def attach(self) -> None:
        self._users += 1

    async def detach(self) -> None:
        """A spider is done with the pool; the last one closes the browser."""
        self._users -= 1
        if self._users <= 0:
            await self.close()

    async def close(self) -> None:
        self._current.clear()
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        for closer in (getattr(browser, "close", None), getattr(playwright, "stop", None)):
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()

    async def _get_browser(self) -> Any:
        async with self._browser_lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._playwright is None:
                from playwright.async_api import async_playwright

                self._playwright = await async_playwright().start()
            self._current.clear()  # pages of a dead browser are gone
            logger.info("Launching browser for session pages (launch %d)", self.stats.browsers_launched + 1)
            self._browser = await self._playwright.chromium.launch(**self.launch_options)
            self.stats.browsers_launched += 1
            return self._browser

    # --- leases -------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def lease(self, owner: str) -> AsyncIterator[SessionPage]:
        """A session page of `owner`'s current context for reading one list."""
        session = await self._session_for(owner)
        session.lists_started += 1
        session.active += 1
        try:
            yield session
        except Exception:
            if session.page.is_closed():
                session.broken = True
            raise
        finally:
            session.active -= 1
            if session.lists_started >= self.lists_per_context or session.broken:
                self._retire(session)
            if session.retired and session.active <= 0:
                await self._close_session(session)

    def invalidate(self, session: SessionPage) -> None:
        """The session's client_id was refused (401/403): the next lease opens a new page."""
        session.broken = True
        self._retire(session)

    def _retire(self, session: SessionPage) -> None:
        session.retired = True
        if self._current.get(session.owner) is session:
            del self._current[session.owner]

    async def _session_for(self, owner: str) -> SessionPage:
        lock = self._locks.setdefault(owner, asyncio.Lock())
        async with lock:  # concurrent leases of one owner share the page being opened
            session = self._current.get(owner)
            if session is not None and not session.retired and not session.page.is_closed():
                return session
            if session is not None:
                self._retire(session)
            session = await self._open_session(owner)
            self._current[owner] = session
            return session

    async def _open_session(self, owner: str) -> SessionPage:
        browser = await self._get_browser()
        number = self._opened.get(owner, 0) + 1
        self._opened[owner] = number
        context = await browser.new_context(**self.context_kwargs)
        try:
            page = await context.new_page()
            page.set_default_timeout(self.navigation_timeout * 1000)
            await block_resources(context, page, self.blocked_url_patterns)
            response = await page.goto(self.web_url + "/", wait_until="domcontentloaded")
            if response is None or response.status >= 400:
                raise SessionUnavailable(
                    f"session page {self.web_url}/ answered {None if response is None else response.status}")
            accepted = await accept_cookies(page, wait=self.cookie_banner_wait)
            facts = await page.evaluate(_SESSION_FACTS_JS)
            client_id = facts.get("clientId")
            if not client_id:
                client_id = await client_id_from_page_bundle(page, await page.content(),
                                                             self.navigation_timeout)
            if not client_id:
                raise SessionUnavailable(f"no client_id on {self.web_url}/ (hydration or bundle)")
        except BaseException:
            self.stats.session_pages_failed += 1
            with contextlib.suppress(Exception):
                await context.close()
            raise
        self.stats.contexts_opened += 1
        logger.info("session page %s #%d open (client_id %s..., app_version %s)", owner, number,
                    client_id[:6], facts.get("appVersion"))
        return SessionPage(owner=owner, number=number, context=context, page=page,
                           client_id=client_id, app_version=facts.get("appVersion"),
                           cookie_banner_accepted=accepted)

    async def _close_session(self, session: SessionPage) -> None:
        with contextlib.suppress(Exception):
            await session.context.close()
        self.stats.contexts_closed += 1


async def block_resources(context: Any, page: Any, patterns: tuple[str, ...]) -> bool:
    """Let Chromium drop images / media / fonts itself (no per-request round trip to Python)."""
    if not patterns:
        return False
    try:
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.setBlockedURLs", {"urls": list(patterns)})
        return True
    except Exception as error:  # not Chromium, or the protocol changed: load them, still correct
        logger.warning("could not block images/media/fonts through CDP: %r", error)
        return False


_POOLS: dict[str, SessionPool] = {}


def pool_for_process(web_url: str, **options: Any) -> SessionPool:
    """The process's pool for this site (all spiders of one `python -m scmap.crawl` share it)."""
    pool = _POOLS.get(web_url)
    if pool is None or pool._users <= 0 and pool._browser is None and pool._playwright is None:
        pool = _POOLS[web_url] = SessionPool(web_url=web_url, **options)
    return pool
