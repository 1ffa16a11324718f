"""`python -m scmap.browser login`: a visible Chromium on the person's profile, at the site, so
that they accept the cookie banner and pass a challenge by hand; the profile is then saved.

The window needs a display: a desktop, `ssh -X`, or Xvfb with a VNC viewer on a server
(docs/real-site.md). It finishes by itself once the site answers normally (a page that is not
a challenge, and the consent banner answered or absent), or when the person closes the window.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, TextIO

from scmap.browser.cookies import load_cookies
from scmap.browser.launch import open_context
from scmap.browser.profile import check_profile_dir, persistent_context_kwargs, profile_in_use
from scmap.soundcloud.challenge import recognise_challenge

CONSENT_COOKIE = "OptanonAlertBoxClosed"  # OneTrust's "the banner was answered"
BANNER_SELECTOR = "#onetrust-banner-sdk"
POLL_SECONDS = 0.5
SETTLE_SECONDS = 1.0  # let the last Set-Cookie reach the profile before closing

Person = Callable[[Any], Awaitable[None]]  # the test's stand-in for a person: gets the page


class LoginError(RuntimeError):
    """Login cannot start (one-line message)."""


@dataclass
class LoginResult:
    profile_dir: Path
    passed: bool  # the site answered normally before the end
    challenged: bool  # a challenge was seen on the way
    consent: bool  # the consent cookie is in the profile
    reason: str  # "site answered normally" / "window closed" / "timed out"


@dataclass
class _Seen:
    status: int | None = None
    challenge: bool = False
    challenged_once: bool = False


def _need_display() -> None:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise LoginError("no display for the browser window: run it on a desktop, over `ssh -X`, or on a "
                         "server under Xvfb with a VNC viewer (docs/real-site.md); or log in on your "
                         "own computer and copy the profile directory")


async def _watch_documents(page: Any, seen: _Seen) -> None:
    async def on_response(response: Any) -> None:
        try:
            if response.request.resource_type != "document" or response.frame != page.main_frame:
                return
            body = await response.text() if response.status in (401, 403) else ""
            seen.status = response.status
            seen.challenge = recognise_challenge(response.status, await response.all_headers(), body) is not None
            seen.challenged_once |= seen.challenge
        except Exception:  # a navigation replaced it: the next one will tell
            pass
    page.on("response", lambda response: asyncio.ensure_future(on_response(response)))


async def _consent_state(context: Any, page: Any) -> tuple[bool, bool]:
    """(consent cookie present, banner visible now)."""
    cookies = await context.cookies()
    has_cookie = any(cookie["name"] == CONSENT_COOKIE for cookie in cookies)
    try:
        visible = await page.locator(BANNER_SELECTOR).first.is_visible()
    except Exception:
        visible = False
    return has_cookie, visible


async def login(profile_dir: str | Path, site_url: str, *, cookies_file: str | Path | None = None,
                timeout: float = 900.0, person: Person | None = None, headless: bool = False,
                out: TextIO = sys.stdout) -> LoginResult:
    """Open the profile in a visible Chromium at `site_url` until the site answers normally (or
    the window is closed, or `timeout`), then close it: Chromium writes the profile to disk."""
    from playwright.async_api import async_playwright

    directory = check_profile_dir(profile_dir, must_exist=False)
    if directory.exists() and profile_in_use(directory):
        raise LoginError(f"the profile {directory} is in use by another Chromium (a running crawl?)")
    if not headless:
        _need_display()
    cookies = load_cookies(cookies_file) if cookies_file else []
    directory.mkdir(parents=True, exist_ok=True)
    seen = _Seen()
    async with async_playwright() as playwright:
        context, _close = await open_context(playwright, persistent_context_kwargs(directory, headless=headless))
        closed = asyncio.Event()
        context.on("close", lambda *_: closed.set())
        if cookies:
            await context.add_cookies(cookies)
        page = context.pages[0] if context.pages else await context.new_page()
        page.on("close", lambda *_: closed.set())  # the person closed the window
        await _watch_documents(page, seen)
        print(f"A Chromium window is open at {site_url} on the profile {directory}.\n"
              "Accept the cookie banner and pass any check the site shows until its normal page "
              "appears; this ends by itself then (or close the window).", file=out, flush=True)
        await page.goto(site_url, wait_until="domcontentloaded")
        helper = asyncio.ensure_future(person(page)) if person is not None else None
        deadline = time.monotonic() + timeout
        reason, consent = "timed out", False
        while time.monotonic() < deadline:
            if closed.is_set():
                reason = "window closed"
                break
            try:
                consent, banner = await _consent_state(context, page)
            except Exception:  # closing under us
                await asyncio.sleep(POLL_SECONDS)
                continue
            if seen.status == 200 and not seen.challenge and (consent or not banner):
                await asyncio.sleep(SETTLE_SECONDS)
                reason = "site answered normally"
                break
            await asyncio.sleep(POLL_SECONDS)
        if helper is not None:
            helper.cancel()
        try:  # closing the context (also after the window was closed) writes the profile to disk
            consent = any(c["name"] == CONSENT_COOKIE for c in await context.cookies())
            await context.close()
        except Exception:  # the browser is already gone: it wrote the profile as it went
            pass
    passed = reason == "site answered normally"
    return LoginResult(profile_dir=directory, passed=passed, challenged=seen.challenged_once,
                       consent=consent, reason=reason)


def report(result: LoginResult) -> str:
    if result.passed:
        return (f"Saved the browser profile in {result.profile_dir}: the site answered normally"
                f"{' after a challenge' if result.challenged else ''}"
                f"{', consent given' if result.consent else ''}.\n"
                f"Crawl with it: SCMAP_BROWSER_PROFILE={result.profile_dir} scrapy crawl likes -a seeds=...")
    return (f"The profile in {result.profile_dir} is saved, but the site had not answered normally "
            f"when the login ended ({result.reason}"
            f"{'; it was still showing a challenge' if result.challenged else ''}). Run login again.")
