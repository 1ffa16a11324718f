"""What the crawl does when the site's bot wall (DataDome) challenges it (docs/real-site.md).

A challenged account is not failed: the spider gives it back (`account_done` status
`requeue`, for the frontier to hand out again, this run or the next). Every challenge pauses
the start of new pages process-wide (all spiders of a `python -m scmap.crawl`), longer for each
challenge in a row; a list read to its end resets the count. After
SCMAP_CHALLENGES_BEFORE_STOP challenges in a row the crawl stops (close reason `bot_wall`)
with one plain message naming the two ways through, also recorded as the crawl's error
(contract.CRAWL_ERROR_STAT), so our crawl commands exit non-zero with it as the last line.
Scroll mode's pages already reading a list are not paused mid-read: their stall timeouts would
mistake the pause for a dead page. In session mode every call passes the spider's gate
(`_may_call_the_site`), a list's later pages too: they wait out a pause, which counts against
SCMAP_LIST_TIMEOUT.

Hooks: `init_page` wraps scmap.spiders.api_capture.init_page (waits out a pause, watches the page's
api-v2 answers for a challenge); the spider calls `challenge_of` on its response and after
reading the list, `on_challenge` / `on_list_read` with the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from scmap.soundcloud.challenge import CHALLENGE_STATUSES, Challenge, recognise_challenge
from scmap.contract import CRAWL_ERROR_STAT
from scmap.setting_values import default, float_setting, int_setting
from scmap.spiders import api_capture
from scmap.spiders.list_config import CONFIG_META_KEY

logger = logging.getLogger(__name__)

STOP_REASON = "bot_wall"  # the spiders' close reason when the guard stops the crawl
WATCH_META_KEY = "scmap_challenge_watch"
DEFAULT_PAUSE_SECONDS: float = default("SCMAP_CHALLENGE_PAUSE")
DEFAULT_CHALLENGES_BEFORE_STOP: int = default("SCMAP_CHALLENGES_BEFORE_STOP")
MAX_PAUSE_SECONDS = 600.0

STOP_MESSAGE = (
    "Stopped: the site answered {count} bot-wall challenges in a row (DataDome's captcha), so "
    "this browser is not trusted right now. Nothing was marked failed; the next run resumes. "
    "Two ways through: (1) log in once in a visible browser with `python -m scmap.browser login "
    "--profile DIR` and crawl with SCMAP_BROWSER_PROFILE=DIR, or (2) export your own browser's "
    "soundcloud.com cookies to a cookies.txt file and crawl with SCMAP_COOKIES=cookies.txt. "
    "`python -m scmap.doctor` checks either before you start again."
)


@dataclass
class ChallengeGuard:
    """Process-wide count of challenges in a row, the pause they impose, and the stop."""

    pause_seconds: float = DEFAULT_PAUSE_SECONDS
    challenges_before_stop: int = DEFAULT_CHALLENGES_BEFORE_STOP
    clock: Callable[[], float] = time.monotonic
    in_a_row: int = 0
    total: int = 0
    paused_until: float = 0.0
    stopped: bool = False
    stop_message: str = ""
    crawlers: list[Any] = field(default_factory=list)

    def on_challenge(self) -> bool:
        """Count one; pause new pages (longer each time in a row). True: stop the crawl now."""
        self.in_a_row += 1
        self.total += 1
        pause = min(self.pause_seconds * self.in_a_row, MAX_PAUSE_SECONDS)
        self.paused_until = max(self.paused_until, self.clock() + pause)
        return self.in_a_row >= self.challenges_before_stop

    def on_list_read(self) -> None:
        self.in_a_row = 0

    def pause_remaining(self) -> float:
        return max(0.0, self.paused_until - self.clock())

    async def wait_while_paused(self) -> None:
        while (remaining := self.pause_remaining()) > 0 and not self.stopped:
            await asyncio.sleep(min(remaining, 1.0))

    def first_stop(self) -> bool:
        """True once: the caller logs the message and closes the spiders."""
        if self.stopped:
            return False
        self.stopped = True
        return True


_process_guard: ChallengeGuard | None = None


def process_guard(settings: Any) -> ChallengeGuard:
    """The one guard of this process, made from the first crawler's settings."""
    global _process_guard
    if _process_guard is None:
        _process_guard = ChallengeGuard(
            pause_seconds=float_setting(settings, "SCMAP_CHALLENGE_PAUSE"),
            challenges_before_stop=max(1, int_setting(settings, "SCMAP_CHALLENGES_BEFORE_STOP")))
    return _process_guard


class ChallengeWatch:
    """Remembers the first challenged api-v2 answer of a page (its own XHRs and our fetch())."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.challenge: Challenge | None = None

    async def on_response(self, response: Any) -> None:
        if self.challenge is not None or response.status not in CHALLENGE_STATUSES:
            return
        if not response.url.startswith(self.api_url):
            return
        try:
            self.challenge = recognise_challenge(response.status, await response.all_headers(),
                                                 await response.text())
        except Exception:  # page closed mid-read: the list's own failure handling covers it
            pass


async def init_page(page: Any, request: Any) -> None:
    """playwright_page_init_callback: wait out a challenge pause before this page navigates,
    watch its api-v2 answers, then api_capture's own init (recording the list)."""
    config = request.meta.get(CONFIG_META_KEY) or {}
    if _process_guard is not None:
        await _process_guard.wait_while_paused()
    watch = ChallengeWatch(config.get("api_url") or "")
    request.meta[WATCH_META_KEY] = watch
    page.on("response", watch.on_response)
    await api_capture.init_page(page, request)


def challenge_of(response: Any, after_list: bool = False) -> Challenge | None:
    """The page itself was a challenge, or (after_list) one of its api-v2 answers was."""
    if after_list:
        watch = response.meta.get(WATCH_META_KEY)
        return getattr(watch, "challenge", None)
    return recognise_challenge(response.status, response.headers, response.body)


def on_challenge(spider: Any, permalink: str, challenge: Challenge, where: str) -> None:
    """Count, pause, maybe stop; the caller then gives the account back (STATUS_REQUEUE)."""
    crawler = spider.crawler
    guard = process_guard(crawler.settings)
    if crawler not in guard.crawlers:
        guard.crawlers.append(crawler)
    crawler.stats.inc_value(f"scmap/{spider.interaction}/challenges")
    crawler.stats.inc_value("scmap/challenges")
    stop = guard.on_challenge()
    spider.logger.warning("Bot-wall challenge (%s, %s) on %s of %s: account given back; new pages "
                          "wait %.0fs (%d in a row, %d this run)", challenge.kind, challenge.shape, where,
                          permalink, guard.pause_remaining(), guard.in_a_row, guard.total)
    if stop and guard.first_stop():
        guard.stop_message = STOP_MESSAGE.format(count=guard.in_a_row)
        spider.logger.error(guard.stop_message)
        for other in guard.crawlers:
            asyncio.ensure_future(_close(other, guard.stop_message))
    elif guard.stopped:  # a spider that joined after the stop
        asyncio.ensure_future(_close(crawler, guard.stop_message))


async def _close(crawler: Any, message: str) -> None:
    """Close the crawler's spider with STOP_REASON (public engine API, as Scrapy's CloseSpider);
    the message is the crawl's error: `scrapy crawl` / `python -m scmap.crawl` exit 1 with it."""
    crawler.stats.set_value(CRAWL_ERROR_STAT, message)
    engine = getattr(crawler, "engine", None)
    if engine is None or getattr(engine, "spider", None) is None:
        return
    try:
        await engine.close_spider_async(reason=STOP_REASON)
    except RuntimeError as error:  # already closed / closing
        logger.debug("closing %s: %s", crawler, error)


def on_stopped(spider: Any) -> None:
    """A spider found the crawl stopped before reading (its gate said no): close it too, also
    one the guard never saw (no list read, no challenge), or it would give accounts back forever."""
    guard = process_guard(spider.crawler.settings)
    if guard.stopped:
        asyncio.ensure_future(_close(spider.crawler, guard.stop_message))


def on_list_read(spider: Any) -> None:
    guard = process_guard(spider.crawler.settings)
    if spider.crawler not in guard.crawlers:
        guard.crawlers.append(spider.crawler)
    guard.on_list_read()
