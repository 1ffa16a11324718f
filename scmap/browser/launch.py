"""How Chromium is launched (PLAYWRIGHT_LAUNCH_OPTIONS) and what it may skip loading.

The system Chromium (/usr/bin/chromium) is used when present, because Playwright cannot
download its own browser on every machine; elsewhere Playwright's bundled browser.

Automation tells that need not be there are removed (docs/real-site.md, "The bot wall"):
Playwright's `--enable-automation` switch (it sets `navigator.webdriver` and the "controlled by
automated software" bar), the `AutomationControlled` blink feature, and headless Chromium's
`HeadlessChrome/...` user agent, replaced by the one this same Chromium sends with a window.
Nothing else is disguised: no fake plugins, canvas or WebGL values, no captcha solving.
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import re
import subprocess
from typing import Any

logger = logging.getLogger(__name__)

SYSTEM_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps calling Google services (refused connections offline).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
    # navigator.webdriver stays false: the page sees the browser a person would use.
    "--disable-blink-features=AutomationControlled",
]
# Playwright adds it by default; it is what marks a browser as remote-controlled.
IGNORED_DEFAULT_ARGS = ["--enable-automation"]

# Chrome's reduced user agent: only the major version is real, the rest is fixed zeros.
USER_AGENT_TEMPLATE = ("Mozilla/5.0 ({platform}) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/{major}.0.0.0 Safari/537.36")
UA_PLATFORMS = {"Linux": "X11; Linux x86_64", "Darwin": "Macintosh; Intel Mac OS X 10_15_7",
                "Windows": "Windows NT 10.0; Win64; x64"}
VERSION_PATTERN = re.compile(r"(\d+)\.\d+\.\d+\.\d+")

# Nothing a crawler reads is in these; skipping them saves bandwidth and browser memory.
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font"})


@functools.lru_cache(maxsize=8)
def chromium_major_version(executable: str) -> int | None:
    """`chromium --version` -> 156 (None when it cannot be run)."""
    try:
        result = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    match = VERSION_PATTERN.search(result.stdout)
    return int(match.group(1)) if match else None


def user_agent_for(major: int, system: str | None = None) -> str:
    """What this Chromium sends when it has a window: its version, no `HeadlessChrome`."""
    ua_platform = UA_PLATFORMS.get(system or platform.system(), UA_PLATFORMS["Linux"])
    return USER_AGENT_TEMPLATE.format(platform=ua_platform, major=major)


def launch_options(executable: str = SYSTEM_CHROMIUM, headless: bool = True) -> dict[str, Any]:
    """PLAYWRIGHT_LAUNCH_OPTIONS: Chromium (the system one when it exists) without automation
    tells; headless gets the headful user agent of the same version."""
    args = list(CHROMIUM_ARGS)
    options: dict[str, Any] = {"headless": headless, "ignore_default_args": list(IGNORED_DEFAULT_ARGS)}
    if os.path.exists(executable):
        options["executable_path"] = executable
        major = chromium_major_version(executable) if headless else None
        if major is not None:
            args.append(f"--user-agent={user_agent_for(major)}")
        elif headless:
            logger.warning("Chromium version unknown (%s --version failed): the headless user "
                           "agent keeps 'HeadlessChrome'", executable)
    options["args"] = args
    return options


def should_abort_request(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: drop images, media and fonts (a Playwright Request)."""
    return request.resource_type in ABORTED_RESOURCE_TYPES


async def open_context(playwright: Any, context_kwargs: dict[str, Any], headless: bool = True) -> tuple[Any, Any]:
    """A browser context launched the way the crawl launches (scmap.browser.provider and
    scrapy-playwright): a persistent one when `context_kwargs` name a profile (`user_data_dir`,
    scmap.browser.profile), else a context of a fresh Chromium. Returns (context, close): the
    doctor and `login` open their browser here."""
    if context_kwargs.get("user_data_dir"):
        context = await playwright.chromium.launch_persistent_context(**context_kwargs)
        return context, context.close
    browser = await playwright.chromium.launch(**launch_options(headless=headless))
    context = await browser.new_context(**context_kwargs)

    async def close() -> None:
        await context.close()
        await browser.close()

    return context, close
