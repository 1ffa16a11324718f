"""What the doctor looks at: the account's profile page and its four list pages, opened in real
Chromium (the crawl's launch options, and the person's profile or cookies when set), with the
server-sent HTML and every api-v2 response each page makes recorded for checks.py."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from scmap.browser.contexts import ContextPlan
from scmap.browser.launch import open_context
from scmap.browser.login import BANNER_SELECTOR, CONSENT_COOKIE
from scmap.doctor.checks import ApiCall, PageVisit
from scmap.soundcloud.challenge import recognise_challenge
from scmap.soundcloud.client_id import bundle_script_urls, client_id_from_bundle
from scmap.soundcloud.collections import CollectionError, parse_collection
from scmap.spiders.list_page import COOKIE_ACCEPT_SELECTOR

POLL_SECONDS = 0.2
FETCH_TEXT = "url => fetch(url).then(r => r.ok ? r.text() : '')"


@dataclass
class ListTarget:
    interaction: str
    page_path: str
    route: str


@dataclass
class Observations:
    profile: PageVisit
    lists: dict[str, PageVisit] = field(default_factory=dict)
    bundle_client_id: str | None = None


def _is_list(body: str) -> bool:
    try:
        parse_collection(body)
    except CollectionError:
        return False
    return True


async def _accept_banner(page: Any, wait: float) -> tuple[bool, bool]:
    """(banner shown, consent recorded) after waiting up to `wait` s for the banner."""
    banner = page.locator(BANNER_SELECTOR).first
    try:
        await banner.wait_for(state="visible", timeout=wait * 1000)
    except Exception:
        return False, False
    try:
        await page.locator(COOKIE_ACCEPT_SELECTOR).first.click(timeout=3000)
        await asyncio.sleep(0.3)
    except Exception:
        return True, False
    cookies = await page.context.cookies()
    return True, any(cookie["name"] == CONSENT_COOKIE for cookie in cookies)


async def visit(context: Any, url: str, api_url: str, *, timeout: float, banner_wait: float = 0.0,
                want_list: bool = False) -> tuple[PageVisit, Any]:
    """Open `url`; with `want_list`, wait (up to `timeout`) for the page's first list call.
    Returns the visit and the still-open page (the caller closes it)."""
    page = await context.new_page()
    seen = PageVisit(url=url)
    pending: list[asyncio.Future] = []

    async def record(response: Any) -> None:
        if not response.url.startswith(api_url):
            return
        try:
            body = await response.text()
        except Exception:
            body = ""
        path = response.url[len(api_url):].split("?", 1)[0]
        seen.api_calls.append(ApiCall(response.url, path, response.status, await response.all_headers(), body))

    page.on("response", lambda response: pending.append(asyncio.ensure_future(record(response))))
    try:
        response = await page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
    except Exception as error:
        seen.error = str(error).splitlines()[0]
        return seen, page
    if response is not None:
        seen.status = response.status
        seen.headers = await response.all_headers()
        try:
            seen.html = await response.text()
        except Exception:
            seen.html = ""
    challenged = recognise_challenge(seen.status or 0, seen.headers, seen.html) is not None
    if banner_wait > 0 and not challenged:
        seen.banner_shown, seen.banner_accepted = await _accept_banner(page, banner_wait)
    deadline = time.monotonic() + timeout
    while want_list and not challenged and time.monotonic() < deadline:
        await asyncio.gather(*pending, return_exceptions=True)
        if any(_is_list(call.body) or call.status != 200 for call in seen.api_calls):
            break
        await asyncio.sleep(POLL_SECONDS)
    await asyncio.sleep(POLL_SECONDS)
    await asyncio.gather(*pending, return_exceptions=True)
    return seen, page


async def _bundle_client_id(page: Any, html: str, web_url: str) -> str | None:
    for src in bundle_script_urls(html):
        url = src if "://" in src else web_url + src
        try:
            found = client_id_from_bundle(await page.evaluate(FETCH_TEXT, url))
        except Exception:
            continue
        if found:
            return found
    return None


async def observe(web_url: str, api_url: str, account: str, targets: list[ListTarget], plan: ContextPlan,
                  *, timeout: float = 20.0, banner_wait: float = 4.0) -> Observations:
    from playwright.async_api import async_playwright

    async with AsyncExitStack() as stack:
        playwright = await stack.enter_async_context(async_playwright())
        context, close = await open_context(playwright, plan.kwargs)  # as the crawl launches
        stack.push_async_callback(close)
        profile, page = await visit(context, f"{web_url}/{account}", api_url, timeout=timeout,
                                    banner_wait=banner_wait)
        observations = Observations(profile=profile)
        if profile.status == 200:
            observations.bundle_client_id = await _bundle_client_id(page, profile.html, web_url)
        await page.close()
        for target in targets:
            seen, page = await visit(context, f"{web_url}/{account}/{target.page_path}", api_url,
                                     timeout=timeout, want_list=True)
            await page.close()
            observations.lists[target.interaction] = seen
        return observations
