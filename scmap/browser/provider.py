"""PLAYWRIGHT_BROWSER_PROVIDER: one Playwright driver and one Chromium per crawl process.

scrapy-playwright builds a download handler (and so a browser) per crawler; the spiders of one
`python -m scmap.crawl` would each launch their own. This provider shares the process's
browser among them: started once, launched once (and again after a crash), closed when the last
handler closes. Launch options: PLAYWRIGHT_LAUNCH_OPTIONS, or when unset scmap.browser's
(computed at launch, so scmap/settings.py stays inert at import). A browser profile's
persistent context is launched by Playwright from the context kwargs, as scrapy-playwright does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy_playwright.provider import PlaywrightBrowserProvider

from scmap.browser.launch import launch_options


class _Shared:
    """What the process's handlers share."""

    def __init__(self) -> None:
        self.users = 0
        self.provider: PlaywrightBrowserProvider | None = None
        self.browser: Any = None
        self.lock = asyncio.Lock()


_SHARED: dict[str, _Shared] = {}


class SharedBrowserProvider:
    """scrapy_playwright.provider.BrowserProvider sharing one browser per process and type."""

    def __init__(self, config: Any) -> None:
        if not config.launch_options:
            config.launch_options = launch_options()
        self.config = config
        self._shared = _SHARED.setdefault(config.browser_type_name, _Shared())
        self._started = False

    async def start(self) -> None:
        shared = self._shared
        async with shared.lock:
            if shared.provider is None:
                shared.provider = PlaywrightBrowserProvider(self.config)
                await shared.provider.start()
            shared.users += 1
            self._started = True

    async def launch_browser(self) -> Any:
        shared = self._shared
        async with shared.lock:
            if shared.browser is None or not shared.browser.is_connected():
                assert shared.provider is not None, "start() first"
                shared.browser = await shared.provider.launch_browser()
            return shared.browser

    async def launch_persistent_context(self, context_kwargs: dict) -> Any:
        assert self._shared.provider is not None, "start() first"
        return await self._shared.provider.launch_persistent_context(context_kwargs)

    async def close(self) -> None:
        shared = self._shared
        async with shared.lock:
            if not self._started:
                return
            self._started = False
            shared.users -= 1
            if shared.users > 0:
                return
            browser, provider = shared.browser, shared.provider
            _SHARED.pop(self.config.browser_type_name, None)  # a later crawl starts afresh
        if browser is not None:
            try:
                await browser.close()
            except Exception:  # already gone
                pass
        if provider is not None:
            await provider.close()
