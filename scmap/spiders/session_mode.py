"""Session mode of the interaction spiders (`-a mode=session`, the default): an account's list
is read through api-v2 from a live session page (scmap.session), not by rendering its profile.

The Scrapy request of an account is a `data:` URL: nothing to download, the work happens in
the callback, which leases the spider's session page, reads the user (by the id the frontier
knows, else /resolve), skips small accounts without reading their list, then reads the list.
When session mode cannot read a list (endpoint moved, shape changed, no session page) the
account is handed to the scroll path (`mode=scroll`, the rendered page) in the same crawl.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator
from urllib.parse import quote

import scrapy
from scrapy import signals
from scrapy.http import Response

from scmap.items import EdgeItem
from scmap.pacing import process_budget
from scmap.session.pool import SessionUnavailable, pool_for_process
from scmap.session.reader import (
    AccountNotFound,
    Challenged,
    CrawlStopped,
    ClientIdRefused,
    ListUnreadable,
    ReaderConfig,
    SessionRead,
    SessionReader,
)
from scmap.contract import (
    FOLLOWERS_META_KEY,
    REFRESH_CUTOFF_META_KEY,
    STATUS_NOT_FOUND,
    STATUS_REQUEUE,
    STATUS_SKIPPED,
    USER_ID_META_KEY,
    store_url,
)
from scmap.refresh import Cutoff
from scmap.setting_values import default, float_setting, int_setting
from scmap.soundcloud.edges import Source, edges_from_items
from scmap.spiders import challenge_guard
from scmap.spiders.list_config import ListResult

MODES = ("session", "scroll")
DEFAULT_MODE = "session"
MODE_META_KEY = "scmap_mode"
SESSION_SLOT = "scmap-session"  # downloader slot of the data: requests (no delay: nothing is fetched)


def parse_mode(value: Any) -> str:
    """`mode` argument: session (default) or scroll. Raises ValueError."""
    if value is None or value == "":
        return DEFAULT_MODE
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {value!r}")
    return mode


def session_slot_settings(settings: Any) -> None:
    """The data: requests of session mode skip DOWNLOAD_DELAY (the budget paces the real calls)."""
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    slots.setdefault(SESSION_SLOT, {"concurrency": 1000, "delay": 0, "jitter": 0})
    settings.set("DOWNLOAD_SLOTS", slots, priority="spider")


class SessionModeMixin:
    """Mixed into InteractionSpider; uses its `_stat`, `_account_item`, `_too_small`,
    `_record_outcome`, `_account_done`, `_retry` and `scroll_request`."""

    mode: str = DEFAULT_MODE

    def setup_session_mode(self, crawler: Any) -> None:
        settings = crawler.settings
        self.request_budget = process_budget(settings, store_url(self, settings))
        plan = getattr(self, "context_plan", None)
        if self.mode == "session" and plan is not None and not plan.rotate:
            # A browser profile is one persistent context (scmap.browser): session mode's own
            # browser cannot open it too, so the lists are read the scroll way in it.
            self.logger.warning("Session mode does not run in a browser profile yet: mode=scroll")
            self.mode = "scroll"
        if self.mode != "session":
            return
        from scmap.browser import launch_options

        self.session_pool = pool_for_process(
            self.web_url, launch_options=settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or launch_options(),
            lists_per_context=max(1, int_setting(settings, "SCMAP_SESSION_LISTS_PER_CONTEXT")),
            cookie_banner_wait=float_setting(settings, "SCMAP_COOKIE_BANNER_WAIT"),
            navigation_timeout=float_setting(settings, "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") / 1000,
            context_kwargs=dict(plan.kwargs) if plan is not None else {})
        self.session_pool.attach()
        self.session_reader = SessionReader(ReaderConfig(
            api_url=self.api_url, web_url=self.web_url, interaction=self.interaction, limit=self.limit,
            page_size=int_setting(settings, "SCMAP_API_PAGE_SIZE") or default("SCMAP_API_PAGE_SIZE"),
            api_retries=self.list_settings["api_retries"],
            max_retry_after=self.list_settings["max_retry_after"],
            response_timeout=self.list_settings["response_timeout"],
            list_timeout=self.list_settings["list_timeout"]), self.request_budget,
            gate=self._may_call_the_site)
        self.session_lists = asyncio.Semaphore(max(1, int_setting(settings, "SCMAP_SESSION_LISTS_IN_FLIGHT")))
        crawler.signals.connect(self._close_session_pool, signal=signals.spider_closed)

    async def _may_call_the_site(self) -> bool:
        """challenge_guard hook: wait out a bot-wall pause; False once the crawl was stopped."""
        guard = challenge_guard.process_guard(self.crawler.settings)
        await guard.wait_while_paused()
        return not guard.stopped

    async def _close_session_pool(self, spider: Any) -> None:
        if spider is self:
            await self.session_pool.detach()

    def session_request(self, permalink: str, attempt: int) -> scrapy.Request:
        return scrapy.Request(
            f"data:,{self.interaction}%20of%20{quote(permalink, safe='')}",
            callback=self.parse_session, errback=self.list_failed, dont_filter=True,
            meta={"permalink": permalink, "scmap_attempt": attempt, MODE_META_KEY: "session",
                  "download_slot": SESSION_SLOT, "autothrottle_dont_adjust_delay": True})

    # --- the callback -------------------------------------------------------------------------
    async def parse_session(self, response: Response) -> AsyncIterator[Any]:
        permalink = response.meta["permalink"]
        read = SessionRead()
        # challenge_guard hook: after a bot-wall challenge every page waits out the pause.
        await challenge_guard.process_guard(self.crawler.settings).wait_while_paused()
        try:
            async with self.session_lists:
                user, skipped = await self._read_in_session(
                    permalink, response.meta.get(USER_ID_META_KEY),
                    response.meta.get(FOLLOWERS_META_KEY), read,
                    Cutoff.decode(response.meta.get(REFRESH_CUTOFF_META_KEY, "")))
        except AccountNotFound:
            self.logger.warning("Account not found (api-v2 404): %s", permalink)
            self._stat("not_found")
            self._account_done(permalink, None, None, STATUS_NOT_FOUND)
            return
        except Challenged as error:  # wall's hook: count / pause / stop, the account goes back
            self._count_requests(read)
            self._challenged(permalink, error.challenge, "the list")
            return
        except CrawlStopped:  # stopped at the bot wall before this account was read: give it back
            self._count_requests(read)
            self._account_done(permalink, None, None, STATUS_REQUEUE)
            challenge_guard.on_stopped(self)
            return
        except (ListUnreadable, SessionUnavailable) as error:
            self._count_requests(read)
            self.logger.warning("Session mode cannot read %s (%s): reading its rendered page", permalink, error)
            self._stat("session/fallbacks")
            yield self._fallback_request(response.request)
            return
        except Exception as error:  # a dead page or browser: a new session page next time
            self._count_requests(read)
            retry = self._retry(response.request, f"session read failed: {error!r}")
            if retry is not None:
                yield retry
            return
        self._count_requests(read)
        yield self._account_item(user)
        if skipped:
            self._stat("skipped_small")
            self.logger.info("Skipped %s without reading its list: followers_count %s < %d",
                             permalink, user.get("followers_count"), self.skip_below_followers)
            self._account_done(permalink, user["id"], user.get("followers_count"), STATUS_SKIPPED, items=1)
            return
        source = Source(id=user["id"], permalink=user.get("permalink") or permalink)
        edges, unmappable = edges_from_items(self.interaction, read.items, source)
        for reason, count in unmappable.items():
            self._stat(f"skipped_items/{reason}", count)
        for edge in edges:
            yield EdgeItem(**edge)
        result = ListResult(items=read.items, complete=read.complete, source="api", stalled=read.stalled,
                            api_failures=read.failures, retries=dict(read.retries))
        status = self._record_outcome(permalink, result, len(edges), source)
        self._account_done(permalink, source.id, user.get("followers_count"), status, items=1 + len(edges))

    async def _read_in_session(self, permalink: str, user_id: Any, known_followers: Any,
                               read: SessionRead, cutoff: Cutoff | None = None) -> tuple[dict[str, Any], bool]:
        """(user, skipped); a refused client_id opens a new session page once.

        With the id known and the followers count known to pass the skip (both from edges the
        frontier holds) the user and the list's first page are asked at once: one round trip
        less per list. Otherwise the user comes first, so a small account costs no list read."""
        user_id = _int_or_none(user_id)
        known = _int_or_none(known_followers)
        at_once = user_id is not None and known is not None and not self._too_small({"followers_count": known})
        reader = self.session_reader
        for fresh_session in (False, True):
            async with self.session_pool.lease(self.name) as session:
                self._note_session(session)
                try:
                    if at_once:
                        user, listed = await asyncio.gather(
                            reader.user(session, permalink, user_id, read),
                            reader.items(session, user_id, read, cutoff), return_exceptions=True)
                        for outcome in (user, listed):  # the user's fate first (not found...)
                            if isinstance(outcome, BaseException):
                                raise outcome
                        return user, False
                    user = await reader.user(session, permalink, user_id, read)
                    if self._too_small(user):
                        return user, True
                    await reader.items(session, user["id"], read, cutoff)
                    return user, False
                except ClientIdRefused:
                    self._stat("session/client_id_refused")
                    self.session_pool.invalidate(session)
                    if fresh_session:
                        raise
                    read.items.clear()
        raise AssertionError("unreachable")

    def _note_session(self, session: Any) -> None:
        seen = self.__dict__.setdefault("_sessions_seen", set())
        if session.number not in seen:
            seen.add(session.number)
            self._stat("session/pages_opened")
            if session.cookie_banner_accepted:
                self._stat("cookie_banner_accepted")

    def _fallback_request(self, request: scrapy.Request) -> scrapy.Request:
        fallback = self.scroll_request(request.meta["permalink"], int(request.meta.get("scmap_attempt", 1)))
        for key, value in request.meta.items():  # the frontier's tags of the account
            if key.startswith("frontier_"):
                fallback.meta.setdefault(key, value)
        return fallback

    def _count_requests(self, read: SessionRead) -> None:
        self._stat("session/lists_read" if read.pages else "session/lists_unread")
        stats = self.crawler.stats
        stats.inc_value("scmap/api/requests", read.requests)
        stats.inc_value("scmap/api/waits", read.waits)
        stats.inc_value("scmap/api/wait_seconds", round(read.waited_seconds, 3))
        stats.set_value("scmap/api/budget", self.request_budget.describe())
        stats.set_value("scmap/api/process_pauses", self.request_budget.stats.pauses)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None
