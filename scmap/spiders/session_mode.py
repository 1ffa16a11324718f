"""Session mode of the interaction spiders (`-a mode=session`, the default): an account's list
is read through api-v2, every call a Scrapy Request for its real api-v2 URL in the "api-v2"
download slot, run by the page transport (scmap/transport/page.py: fetch() in a live page).
Scrapy paces, retries and caches them; the callbacks only parse (docs/session-mode.md).
`-a mode=http` sends the same Requests, to the same callbacks, through the http transport
(scmap/transport/http.py: curl_cffi, no browser open while reading); an account whose call the
bot wall challenged there goes on in the page transport (ChallengeGuardMiddleware hands it over).

Per account: the user (`/users/{id}` when the frontier knows the id, else `/resolve`), then -
unless the profile's followers count skips the account - the list's first page, then each
`next_href`, until `limit` items, the refresh cut-off or the end. When the frontier knows the id
and a followers count that passes the skip, the user and the first page are asked at once
(`start_account`, the contract's hook). When session mode cannot read a list (endpoint moved,
shape changed, the user call unanswerable) the account is handed to the scroll path
(`mode=scroll`, the rendered page) in the same crawl.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import quote, urlencode

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as DownloadTimeout

from scmap.contract import (
    CRAWL_ERROR_STAT,
    FOLLOWERS_META_KEY,
    REFRESH_CUTOFF_META_KEY,
    STATUS_NOT_FOUND,
    STATUS_REQUEUE,
    STATUS_SKIPPED,
    USER_ID_META_KEY,
    carry_account_tags,
)
from scmap.items import EdgeItem
from scmap.refresh import Cutoff, newer_than
from scmap.soundcloud.collections import CollectionError, TruncatedJSONError, page_key, parse_collection
from scmap.soundcloud.edges import EDGE_SOURCE_KEYS, Source, edges_from_items
from scmap.soundcloud.objects import OBJECT_SOURCE_KEYS
from scmap.spiders import challenge_guard
from scmap.spiders.list_config import ListResult
from scmap.transport import API_SLOT, HTTP, KEEP_KEYS_META_KEY, PAGE, TRANSPORT_META_KEY
from scmap.transport.middlewares import Challenged, CrawlStopped
from scmap.transport.page import SessionUnavailable, SiteUnreachable

MODES = ("session", "http", "scroll")
DEFAULT_MODE = "session"
# The modes that read api-v2 with Requests, and the transport each sends them through.
API_TRANSPORTS = {"session": PAGE, "http": HTTP}
MODE_META_KEY = "scmap_mode"
CALL_META_KEY = "scmap_call"  # "user" or "page": which call of the account a request is
UNREACHABLE_REASON = "site_unreachable"  # close reason when no call of the crawl reached the site

# The api-v2 list each spider reads (docs/soundcloud-web.md 1.1), `{id}` the numeric user id.
LIST_PATHS = {
    "likes": "/users/{id}/likes",
    "comments": "/users/{id}/comments",
    "reposts": "/stream/users/{id}/reposts",
    "follows": "/users/{id}/followings",
}
# List pages are cut down to these inside the page: the edges' keys and the carried objects'
# (a page trimmed to both gives the same edges and objects); the edges' alone with objects off.
TRIM_KEYS = sorted(EDGE_SOURCE_KEYS | OBJECT_SOURCE_KEYS)
EDGE_TRIM_KEYS = sorted(EDGE_SOURCE_KEYS)
# Failures that say "the site did not answer" (not "it answered badly").
UNANSWERED = (SiteUnreachable, DownloadTimeout, TCPTimedOutError, DNSLookupError, ConnectionLost)


def parse_mode(value: Any) -> str:
    """`mode` argument: session (default), http or scroll. Raises ValueError."""
    if value is None or value == "":
        return DEFAULT_MODE
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {value!r}")
    return mode


@dataclass
class AccountRead:
    """One account being read in session mode (its calls come back in separate callbacks)."""

    permalink: str
    attempt: int
    cutoff: Cutoff | None
    at_once: bool = False  # user and first page asked together
    user: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    list_ended: bool = False  # complete, or stalled (what was read is kept)
    complete: bool = False
    stalled: bool = False
    same_place: int = 0  # empty pages pointing back at themselves, in a row
    retries: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class SessionModeMixin:
    """Mixed into InteractionSpider (scmap/spiders/base.py), whose helpers it calls."""

    mode: str = DEFAULT_MODE

    def setup_session_mode(self, crawler: Any) -> None:
        self.reads: dict[str, AccountRead] = {}
        self.site_answered = False  # any api-v2 answer this crawl (site_unreachable otherwise)

    # --- requests -------------------------------------------------------------------------
    def session_request(self, permalink: str, attempt: int) -> scrapy.Request:
        """The account's first call: /resolve of its profile URL (start_account turns it into
        /users/{id} when the frontier tagged the id)."""
        url = f"{self.config.api_url}/resolve?url={quote(self.config.web_url + '/' + permalink, safe='')}"
        request = self._api_request(url, "user", permalink, attempt)
        request.meta[MODE_META_KEY] = "session"
        return request

    def start_account(self, request: scrapy.Request) -> list[scrapy.Request]:
        """Contract hook: the tagged first request of an account -> the requests that start it."""
        meta = request.meta
        if meta.get(MODE_META_KEY) != "session":
            return [request]
        permalink = meta["permalink"]
        read = AccountRead(permalink, int(meta.get("scmap_attempt", 1)),
                           Cutoff.decode(meta.get(REFRESH_CUTOFF_META_KEY, "")))
        self.reads[permalink] = read
        user_id = _int_or_none(meta.get(USER_ID_META_KEY))
        if user_id is None:
            return [request]
        request = request.replace(url=f"{self.config.api_url}/users/{user_id}")
        known = _int_or_none(meta.get(FOLLOWERS_META_KEY))
        if known is None or self._too_small({"followers_count": known}):
            return [request]  # the user first: a small account costs no list read
        read.at_once = True
        return [request, self._first_page_request(read, user_id, meta)]

    def _api_request(self, url: str, call: str, permalink: str, attempt: int,
                     callback: Any = None) -> scrapy.Request:
        plan = self.context_plan
        meta = {"permalink": permalink, "scmap_attempt": attempt, CALL_META_KEY: call,
                TRANSPORT_META_KEY: API_TRANSPORTS[self.mode], "download_slot": API_SLOT,
                # The web client's own calls, made as the page makes them (robots.txt is obeyed
                # for the pages a crawl renders).
                "dont_obey_robotstxt": True,
                "handle_httpstatus_all": True,  # every final status is the callback's to judge
                "playwright_context_kwargs": plan.kwargs}
        if not plan.rotate:  # a browser profile: the session page lives in its one context
            meta["playwright_context"] = self.contexts.profile_context()
        if call == "page":
            meta[KEEP_KEYS_META_KEY] = TRIM_KEYS if self.config.write_objects else EDGE_TRIM_KEYS
        return scrapy.Request(url, callback=callback or (self.parse_user if call == "user" else self.parse_page),
                              errback=self.api_failed, dont_filter=True, meta=meta)

    def _first_page_request(self, read: AccountRead, user_id: int, meta: Any) -> scrapy.Request:
        size = self.config.api_page_size
        if size and self.limit is not None:
            size = max(1, min(size, self.limit))
        query = {"offset": 0, **({"limit": size} if size else {}), "linked_partitioning": 1}
        url = f"{self.config.api_url}{LIST_PATHS[self.interaction].format(id=int(user_id))}?{urlencode(query)}"
        return self._page_request(read, url, meta)

    def _page_request(self, read: AccountRead, url: str, meta: Any) -> scrapy.Request:
        request = carry_account_tags(meta, self._api_request(url, "page", read.permalink, read.attempt))
        if TRANSPORT_META_KEY in meta:  # an account handed to the browser transport stays there
            request.meta[TRANSPORT_META_KEY] = meta[TRANSPORT_META_KEY]
        return request

    # --- callbacks --------------------------------------------------------------------------
    def parse_user(self, response: Response) -> Iterator[Any]:
        read = self._read_of(response.request)
        if read is None:
            return
        self._answered(read, response)
        if response.status == 404:
            self.logger.warning("Account not found (api-v2 404): %s", read.permalink)
            self._stat("not_found")
            self._end(read)
            self._account_done(read.permalink, None, None, STATUS_NOT_FOUND)
            return
        if response.status != 200:
            yield from self._fallback(read, response.request, f"user: HTTP {response.status}")
            return
        try:
            user = json.loads(response.text)
        except ValueError:
            yield from self._again_or(read, response.request, "truncated",
                                      lambda: self._fallback(read, response.request, "user: truncated JSON"))
            return
        if not isinstance(user, dict) or not isinstance(user.get("id"), int) or \
                user.get("kind") not in (None, "user"):
            yield from self._fallback(read, response.request, f"user: not a user object ({type(user).__name__})")
            return
        read.user = user
        if read.at_once:
            if read.list_ended:
                yield from self._finish_list(read)
            return
        if self._too_small(user):
            self._end(read)
            yield self._account_item(user)
            self._stat("skipped_small")
            self.logger.info("Skipped %s without reading its list: followers_count %s < %d",
                             read.permalink, user.get("followers_count"), self.skip_below_followers)
            self._account_done(read.permalink, user["id"], user.get("followers_count"), STATUS_SKIPPED, items=1)
            return
        yield self._first_page_request(read, user["id"], response.meta)

    def parse_page(self, response: Response) -> Iterator[Any]:
        """A list page: its collection items are kept (newest first, cut at `limit` and at the
        refresh cut-off); the list's EdgeItems are made when it ends (_finish_list)."""
        read = self._read_of(response.request)
        if read is None:
            return
        self._answered(read, response)
        request = response.request
        if response.status == 404:  # the user exists (or is being read): the list moved
            yield from self._fallback(read, request, f"list: HTTP 404 at {response.url}")
            return
        if response.status != 200:  # Scrapy's retries are spent: keep what came before
            self._stall(read, f"HTTP {response.status}: {response.url}")
        else:
            try:
                page = parse_collection(response.text)
            except TruncatedJSONError:
                yield from self._again_or(read, request, "truncated",
                                          lambda: self._stalled_now(read, f"truncated: {response.url}"))
                return
            except CollectionError as error:
                yield from self._fallback(read, request, f"not a list page: {error}")
                return
            follow = self._take_page(read, page, response.url)
            if follow is not None:
                yield self._page_request(read, follow, response.meta)
                return
        if read.user is not None:
            yield from self._finish_list(read)

    def _take_page(self, read: AccountRead, page: Any, url: str) -> str | None:
        """Keep the page's items; the URL to read next, or None when the list ended."""
        read.pages += 1
        newer, reached_cutoff = newer_than(self.interaction, page.collection, read.cutoff)
        read.items.extend(newer)
        if self.limit is not None:
            del read.items[self.limit:]  # the most recent `limit`, a refresh visit too
        if reached_cutoff or (self.limit is not None and len(read.items) >= self.limit) \
                or page.next_href is None:
            read.complete = read.list_ended = True  # at the cut-off the rest was read before
            return None
        if not page.collection and page_key(page.next_href) == page_key(url):
            read.same_place += 1  # an empty "try again here" page: asked again, a bounded number of times
            read.retries["no_progress"] += 1
            if read.same_place > self.config.retry_times:
                self._stall(read, f"no progress: {url}")
                return None
        else:
            read.same_place = 0
        return page.next_href

    def api_failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        read = self._read_of(request)
        if read is None:
            return
        permalink = read.permalink
        if failure.check(Challenged):  # counted, paused, maybe stopped by the middleware
            self._end(read)
            self._account_done(permalink, None, None, STATUS_REQUEUE)
            return
        if failure.check(CrawlStopped):  # stopped at the bot wall before this account was read
            self._end(read)
            self._account_done(permalink, None, None, STATUS_REQUEUE)
            challenge_guard.on_stopped(self)
            return
        self._stat(f"errors/{failure.type.__name__}")
        why = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        if failure.check(*UNANSWERED, ConnectError) and not self.site_answered \
                and (failure.check(*UNANSWERED) or not failure.check(SessionUnavailable)):
            self._end(read)
            self._account_done(permalink, None, None, STATUS_REQUEUE)
            if self.crawler.stats.get_value(CRAWL_ERROR_STAT):
                return  # said once; the spider is closing
            line = (f"the site cannot be reached: {self.config.web_url} did not answer ({why}); "
                    "check SOUNDCLOUD_WEB_URL / SOUNDCLOUD_API_URL and the network, then run again")
            self.logger.error(line)
            self.crawler.stats.set_value(CRAWL_ERROR_STAT, line)
            raise CloseSpider(UNREACHABLE_REASON)
        if request.meta.get(CALL_META_KEY) == "user":
            yield from self._fallback(read, request, why)
            return
        self._stall(read, why)
        if read.user is not None:
            yield from self._finish_list(read)

    # --- outcome ----------------------------------------------------------------------------
    def _finish_list(self, read: AccountRead) -> Iterator[Any]:
        """The account's AccountItem, EdgeItems and ObjectItems, then account_done with their count."""
        self._end(read)
        user = read.user or {}
        source = Source(id=user["id"], permalink=user.get("permalink") or read.permalink)
        yield self._account_item(user)
        edges, unmappable = edges_from_items(self.interaction, read.items, source)
        for reason, count in unmappable.items():
            self._stat(f"skipped_items/{reason}", count)
        for edge in edges:
            yield EdgeItem(**edge)
        objects = self._list_objects(read.items)
        yield from objects
        self._stat("session/lists_read" if read.pages else "session/lists_unread")
        result = ListResult(items=read.items, complete=read.complete, source="api", stalled=read.stalled,
                            api_failures=read.failures, retries=dict(read.retries))
        status = self._record_outcome(read.permalink, result, len(edges), source)
        self._account_done(read.permalink, source.id, user.get("followers_count"), status,
                           items=1 + len(edges) + len(objects))

    def _fallback(self, read: AccountRead, request: scrapy.Request, why: str) -> Iterator[Any]:
        """Session mode cannot read this list: the scroll path reads the rendered page."""
        self._end(read)
        self.logger.warning("Session mode cannot read %s (%s): reading its rendered page", read.permalink, why)
        self._stat("session/fallbacks")
        yield carry_account_tags(request.meta, self.scroll_request(read.permalink, read.attempt))

    def _again_or(self, read: AccountRead, request: scrapy.Request, reason: str, give_up: Any) -> Iterator[Any]:
        """The same call once more (RETRY_TIMES, Scrapy's retry helper), else `give_up()`."""
        read.retries[reason] += 1
        again = get_retry_request(request, spider=self, reason=reason)
        if again is not None:
            yield again
        else:
            yield from give_up() or ()

    def _answered(self, read: AccountRead, response: Response) -> None:
        """The site answered; the failures Scrapy's RetryMiddleware survived on the way count."""
        self.site_answered = True
        retried = int(response.meta.get("retry_times") or 0)
        if retried:
            read.retries["retried"] += retried
            read.failures.append(f"{retried} retries before an answer: {response.url}")

    def _stall(self, read: AccountRead, why: str) -> None:
        read.failures.append(why)
        read.stalled = read.list_ended = True

    def _stalled_now(self, read: AccountRead, why: str) -> Iterator[Any]:
        self._stall(read, why)
        if read.user is not None:
            yield from self._finish_list(read)

    def _read_of(self, request: scrapy.Request) -> AccountRead | None:
        """The account's read, unless it already ended (the other call of an at-once pair)."""
        read = self.reads.get(request.meta.get("permalink"))
        return read if read is not None and read.attempt == int(request.meta.get("scmap_attempt", 1)) else None

    def _end(self, read: AccountRead) -> None:
        if self.reads.get(read.permalink) is read:
            del self.reads[read.permalink]


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None
