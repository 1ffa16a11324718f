"""The process-wide pause a 429's Retry-After imposes: every api-v2 call of every spider of the
process waits it out (docs/architecture.md "Pacing"). One object per process: the spiders of one
`python -m scmap.crawl` each have their own downloader, but share the site's patience."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

logger = logging.getLogger(__name__)


def retry_after_seconds(header: Any, cap: float, fallback: float = 1.0) -> float:
    """A Retry-After header (seconds) as a wait between 0.5 s and `cap`; `fallback` when absent."""
    try:
        seconds = float(header.decode() if isinstance(header, bytes) else header)
    except (TypeError, ValueError, AttributeError):
        seconds = fallback
    return max(0.5, min(seconds, cap))


class ProcessPause:
    """Until when every api-v2 call of the process waits (extended, never shortened)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.until = 0.0
        self.pauses = 0

    def remaining(self) -> float:
        return max(0.0, self.until - self._clock())

    def pause(self, seconds: float, reason: str) -> bool:
        """Hold every call for `seconds` from now; True if this started or extended a pause."""
        until = self._clock() + max(0.0, seconds)
        if until <= self.until:
            return False
        self.until = until
        self.pauses += 1
        logger.warning("api-v2: every page pauses %.1f s for a Retry-After (%s)", seconds, reason)
        return True

    async def wait(self) -> float:
        """Sleep out the pause (also one started while sleeping); the seconds waited."""
        waited = 0.0
        while (left := self.remaining()) > 0:
            await asyncio.sleep(left)
            waited += left
        return waited


PROCESS_PAUSE = ProcessPause()
