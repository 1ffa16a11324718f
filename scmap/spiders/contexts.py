"""Browser-context rotation: a new Playwright context every `accounts_per_context` accounts,
and a retired context closed when its last page is done, which keeps browser memory flat.

Names are `{spider}-{n}`; scrapy-playwright creates a context on the first request naming it.
With a browser profile (scmap.browser.contexts: rotate=False) there is one persistent context,
`{spider}-profile`, for the whole run: it is never retired.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)


class ContextRotation:
    def __init__(self, prefix: str, accounts_per_context: int, rotate: bool = True) -> None:
        self.prefix = prefix
        self.rotate = rotate
        self.accounts_per_context = max(1, accounts_per_context)
        self.accounts_started = 0
        self._pending: Counter[str] = Counter()  # pages handed out and not closed, per context
        self._contexts: dict[str, Any] = {}  # Playwright contexts seen, until closed

    def _name(self, account_index: int) -> str:
        if not self.rotate:
            return f"{self.prefix}-profile"
        return f"{self.prefix}-{account_index // self.accounts_per_context}"

    def next_account(self) -> tuple[str, bool]:
        """The context of the next account's page, and whether it is that context's first page
        (a new context has no consent cookie yet)."""
        context = self._name(self.accounts_started)
        self.accounts_started += 1
        first_in_context = self._pending[context] == 0 and context not in self._contexts
        self._pending[context] += 1
        return context, first_in_context

    async def page_done(self, page: Any, context_name: str | None) -> bool:
        """Close the page; close its context too once retired and idle. True if it closed one."""
        context = None
        if page is not None:
            try:
                context = page.context
                if not page.is_closed():
                    await page.close()
            except Exception as error:  # the browser may be gone
                logger.debug("closing page: %r", error)
        if context_name is None:
            return False
        if context is not None:
            self._contexts[context_name] = context
        self._pending[context_name] -= 1
        current = self._name(self.accounts_started - 1)
        if self._pending[context_name] > 0 or context_name == current:
            return False
        del self._pending[context_name]
        retired = self._contexts.pop(context_name, None)
        if retired is None:
            return False
        try:
            await retired.close()
            return True
        except Exception as error:
            logger.debug("closing context %s: %r", context_name, error)
            return False
