"""Browser-context rotation: a new Playwright context every `accounts_per_context` accounts,
and a retired context closed when its last page is done, which keeps browser memory flat.

Names are `{spider}-{n}`; scrapy-playwright creates a context on the first request naming it.
With a browser profile (scmap.browser.contexts: rotate=False) there is one persistent context,
`{spider}-profile`, for the whole run: it is never retired.

Consent is per context too: a page waits for the cookie banner until a page of its context has
accepted it (the consent cookie then hides it everywhere in that context). The first page alone
is not enough: on a slow machine its banner may show only after its wait ran out. Where no
banner ever shows (a region without one, a profile that answered it), pages stop waiting after
BANNER_MISSES_BEFORE_GIVING_UP pages saw none.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)

BANNER_MISSES_BEFORE_GIVING_UP = 2


class ContextRotation:
    def __init__(self, prefix: str, accounts_per_context: int, rotate: bool = True) -> None:
        self.prefix = prefix
        self.rotate = rotate
        self.accounts_per_context = max(1, accounts_per_context)
        self.accounts_started = 0
        self._pending: Counter[str] = Counter()  # pages handed out and not closed, per context
        self._contexts: dict[str, Any] = {}  # Playwright contexts seen, until closed
        self._banner_accepted: set[str] = set()
        self._banner_misses: Counter[str] = Counter()  # pages that waited and saw no banner

    def _name(self, account_index: int) -> str:
        if not self.rotate:
            return self.profile_context()
        return f"{self.prefix}-{account_index // self.accounts_per_context}"

    def profile_context(self) -> str:
        """The one persistent context of a browser profile (rotate=False)."""
        return f"{self.prefix}-profile"

    def next_account(self) -> str:
        """The context of the next account's page."""
        context = self._name(self.accounts_started)
        self.accounts_started += 1
        self._pending[context] += 1
        return context

    def waits_for_banner(self, context_name: str | None) -> bool:
        """Whether a page of this context should wait for the cookie banner (see above)."""
        return context_name not in self._banner_accepted \
            and self._banner_misses[context_name] < BANNER_MISSES_BEFORE_GIVING_UP

    def banner_answered(self, context_name: str | None, accepted: bool) -> None:
        """What a page that waited for the banner saw."""
        if accepted:
            self._banner_accepted.add(context_name)
        else:
            self._banner_misses[context_name] += 1

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
        self._banner_accepted.discard(context_name)
        self._banner_misses.pop(context_name, None)
        retired = self._contexts.pop(context_name, None)
        if retired is None:
            return False
        try:
            await retired.close()
            return True
        except Exception as error:
            logger.debug("closing context %s: %r", context_name, error)
            return False
