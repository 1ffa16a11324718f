"""The launch options through real headless Chromium: no automation tells, a user agent with
the browser's own version and no `HeadlessChrome` (docs/real-site.md, "The bot wall")."""

from __future__ import annotations

import asyncio
import re

from scmap.browser.launch import SYSTEM_CHROMIUM, chromium_major_version, launch_options, user_agent_for


def test_user_agent_is_chromes_reduced_form():
    assert user_agent_for(156, "Linux") == ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                                            "(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36")


def test_headless_chromium_shows_no_automation_tells():
    async def probe() -> dict:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            page = await browser.new_page()
            # A secure origin (served by the route, no network) so that userAgentData exists.
            await page.route("https://scmap.test/", lambda route: route.fulfill(body="<p>ok</p>",
                                                                           content_type="text/html"))
            await page.goto("https://scmap.test/")
            seen = await page.evaluate("""() => ({ua: navigator.userAgent, webdriver: navigator.webdriver,
                                                  brands: JSON.stringify(navigator.userAgentData.brands)})""")
            seen["browser_version"] = browser.version
            await browser.close()
            return seen

    seen = asyncio.run(probe())
    assert "HeadlessChrome" not in seen["ua"]
    assert seen["webdriver"] is False
    assert "Headless" not in seen["brands"]  # client hints were never changed: they must agree
    major = int(seen["browser_version"].split(".")[0])
    assert re.search(rf"Chrome/{major}\.0\.0\.0 ", seen["ua"]), seen
    assert chromium_major_version(SYSTEM_CHROMIUM) == major


def test_the_settings_module_is_inert_at_import():
    """scmap/settings.py runs nothing (no `chromium --version`): the launch options are made
    when scrapy-playwright launches (scmap.browser.provider)."""
    import subprocess
    import sys

    code = ("import subprocess; calls = []; subprocess.run = lambda *a, **k: calls.append(a); "
            "subprocess.Popen = lambda *a, **k: calls.append(a); import scmap.settings as s; "
            "assert 'PLAYWRIGHT_LAUNCH_OPTIONS' not in vars(s); print(len(calls))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0"


def test_the_provider_fills_in_scmaps_launch_options_only_when_none_are_set():
    from types import SimpleNamespace

    from scmap.browser.provider import SharedBrowserProvider

    unset = SharedBrowserProvider(SimpleNamespace(launch_options={}, browser_type_name="chromium"))
    assert unset.config.launch_options == launch_options()
    given = SharedBrowserProvider(SimpleNamespace(launch_options={"headless": False}, browser_type_name="chromium"))
    assert given.config.launch_options == {"headless": False}
