"""One headless Chromium for the map page's in-browser tests (test_html_map_in_browser*.py sort
together, so they run one after another): started by the first test that asks for it and
closed as soon as the next test does not, because a live sync Playwright keeps an event loop
running that would break any later test calling asyncio.run()."""

from __future__ import annotations

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


class SharedChromium:
    def __init__(self) -> None:
        self.playwright = self.browser = None

    def get(self):
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        return self.browser

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.playwright.stop()
            self.playwright = self.browser = None


_shared = SharedChromium()


@pytest.fixture(scope="session")
def map_browser() -> SharedChromium:
    return _shared


@pytest.hookimpl(trylast=True)  # after the tests' own fixtures (pages, contexts) are torn down
def pytest_runtest_teardown(item, nextitem) -> None:
    if nextitem is None or "map_browser" not in nextitem.fixturenames:
        _shared.close()
