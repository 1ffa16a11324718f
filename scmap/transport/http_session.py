"""Where the http transport's identity comes from, taken once per crawl process: the web
client's `client_id` (and app version) and the cookies of a client the site trusts.

Two ways (SCMAP_HTTP_BOOTSTRAP; "auto" picks the first when only SCMAP_COOKIES is given, the
second otherwise):
- `http`: no browser at all. The home page is fetched through the impersonating client with the
  SCMAP_COOKIES cookies; client_id from its hydration `apiClient`, else the JS bundles.
- `browser`: Chromium (the crawl's PLAYWRIGHT_LAUNCH_OPTIONS, with SCMAP_BROWSER_PROFILE or
  SCMAP_COOKIES when set) loads the home page once; the page's DataDome tag may set its cookie
  (waited for up to SCMAP_HTTP_BOOTSTRAP_WAIT s); client_id read the same way from the page's
  HTML; every cookie of the context is taken; the browser is closed before any api-v2 call.
A challenged home page (scmap.soundcloud.challenge) is BootstrapChallenged, carrying the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import urljoin

from scmap.browser.contexts import ContextPlan
from scmap.soundcloud.challenge import recognise_challenge
from scmap.soundcloud.client_id import bundle_script_urls, client_id_from_bundle
from scmap.soundcloud.collections import web_client_params
from scmap.soundcloud.hydration import parse_hydration, parse_sc_version
from scmap.transport.http_headers import DATADOME_COOKIE

logger = logging.getLogger(__name__)

BOOTSTRAP_WAYS = ("auto", "http", "browser")
BUNDLES_READ = 3  # the id sits in one of the last bundles (docs/soundcloud-web.md 3)
COOKIE_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Answer:
    """One bootstrap fetch: status, headers (lower-case names), body text."""

    status: int
    headers: Mapping[str, str]
    text: str


# url, kind ("document" or "script") -> Answer; the transport's impersonating client.
Fetch = Callable[[str, str], Awaitable[Answer]]


@dataclass(frozen=True)
class ApiSession:
    client_id: str
    app_version: str | None
    cookies: tuple[dict[str, Any], ...]  # Playwright cookie dicts (name, value, domain, path...)
    source: str  # "browser page" or "home page over http", for the log

    @property
    def client_params(self) -> dict[str, str]:
        return web_client_params(self.client_id, self.app_version)


class BootstrapFailed(RuntimeError):
    """No client_id could be read (one-line message)."""


class BootstrapChallenged(RuntimeError):
    """The home page was a bot-wall challenge; `answer` is what the site sent."""

    def __init__(self, url: str, answer: Answer) -> None:
        super().__init__(f"{url} answered a bot-wall challenge ({answer.status})")
        self.answer = answer


def bootstrap_way(configured: str, plan: ContextPlan) -> str:
    """"http" or "browser" for SCMAP_HTTP_BOOTSTRAP `configured` (see the module docstring)."""
    if configured not in BOOTSTRAP_WAYS:
        raise ValueError(f"SCMAP_HTTP_BOOTSTRAP={configured!r}: give one of {', '.join(BOOTSTRAP_WAYS)}")
    if configured != "auto":
        return configured
    return "http" if plan.cookie_count and plan.profile_dir is None else "browser"


async def read_client_id(html: str, page_url: str, fetch: Fetch) -> str | None:
    """Hydration `apiClient`, else the last JS bundles (scmap.soundcloud.client_id)."""
    found = parse_hydration(html).client_id
    for src in bundle_script_urls(html)[:BUNDLES_READ]:
        if found:
            break
        answer = await fetch(urljoin(page_url, src), "script")
        found = client_id_from_bundle(answer.text) if answer.status == 200 else None
    return found


async def session_from_page(url: str, answer: Answer, cookies: tuple[dict[str, Any], ...],
                            fetch: Fetch, source: str) -> ApiSession:
    if recognise_challenge(answer.status, answer.headers, answer.text) is not None:
        raise BootstrapChallenged(url, answer)
    if answer.status != 200:
        raise BootstrapFailed(f"{url} answered {answer.status}: no client_id for http mode")
    client_id = await read_client_id(answer.text, url, fetch)
    if not client_id:
        raise BootstrapFailed(f"no client_id on {url} (hydration apiClient or JS bundle)")
    return ApiSession(client_id=client_id, app_version=parse_sc_version(answer.text),
                      cookies=cookies, source=source)


async def session_over_http(web_url: str, cookies: tuple[dict[str, Any], ...], fetch: Fetch) -> ApiSession:
    url = web_url.rstrip("/") + "/"
    return await session_from_page(url, await fetch(url, "document"), cookies, fetch, "home page over http")


async def session_from_browser(web_url: str, plan: ContextPlan, launch_options: dict[str, Any],
                               navigation_timeout: float, cookie_wait: float, fetch: Fetch) -> ApiSession:
    """One Chromium page of the home page; the browser is closed before this returns."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    url = web_url.rstrip("/") + "/"
    try:
        answer, cookies = await _load_page(async_playwright, url, plan, launch_options, navigation_timeout,
                                           cookie_wait)
    except PlaywrightError as error:  # no browser, or the page did not load
        raise BootstrapFailed(f"the bootstrap browser could not load {url}: {str(error).splitlines()[0]}") from None
    logger.info("http mode: browser page read and closed (%d cookies)", len(cookies))
    return await session_from_page(url, answer, cookies, fetch, "browser page")


async def _load_page(async_playwright: Any, url: str, plan: ContextPlan, launch_options: dict[str, Any],
                     navigation_timeout: float, cookie_wait: float) -> tuple[Answer, tuple[dict[str, Any], ...]]:
    async with async_playwright() as playwright:
        browser = None
        if plan.profile_dir is not None:  # kwargs hold the launch options and user_data_dir
            context = await playwright.chromium.launch_persistent_context(**plan.kwargs)
        else:
            browser = await playwright.chromium.launch(**launch_options)
            context = await browser.new_context(**plan.kwargs)
        try:
            page = await context.new_page()
            response = await page.goto(url, wait_until="domcontentloaded", timeout=navigation_timeout * 1000)
            if response is None:
                raise BootstrapFailed(f"{url} gave no answer in the bootstrap browser")
            answer = Answer(response.status, await response.all_headers(), await response.text())
            if answer.status == 200:
                await _wait_for_cookie(context, DATADOME_COOKIE, cookie_wait)
            cookies = tuple(await context.cookies())
        finally:
            await context.close()
            if browser is not None:
                await browser.close()
    return answer, cookies


async def _wait_for_cookie(context: Any, name: str, seconds: float) -> bool:
    """Until the context holds cookie `name` (the DataDome tag sets it after load) or `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if any(cookie.get("name") == name for cookie in await context.cookies()):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(COOKIE_POLL_SECONDS)
