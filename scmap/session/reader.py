"""One account in session mode: its user object, then its list, called from the session page.

Every call goes through the process's request budget (scmap.pacing) and `fetch()` inside the
page. Faults are handled as in the scroll path: a 429 pauses every page of the process for its
Retry-After and is retried; 5xx, network errors, timeouts and truncated JSON back off and
retry (`api_retries` times); an empty page that points back at itself is re-asked a bounded
number of times. What session mode cannot read at all (the list endpoint answers 404 although
the user exists, a body of another shape) raises ListUnreadable: the spider then reads the
account the scroll way, from the rendered profile page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlencode

from scmap.pacing import RequestBudget
from scmap.refresh import Cutoff, newer_than
from scmap.session.pool import SessionPage
from scmap.soundcloud.collections import (
    CollectionError,
    CollectionPage,
    TruncatedJSONError,
    page_key,
    parse_collection,
    with_client_params,
)
from scmap.soundcloud.challenge import recognise_challenge
from scmap.soundcloud.edges import EDGE_SOURCE_KEYS
from scmap.spiders.in_page_fetch import fetch_one_in_page

logger = logging.getLogger(__name__)

# The api-v2 list each spider reads (docs/soundcloud-web.md 1.1), `{id}` the numeric user id.
LIST_PATHS = {
    "likes": "/users/{id}/likes",
    "comments": "/users/{id}/comments",
    "reposts": "/stream/users/{id}/reposts",
    "follows": "/users/{id}/followings",
}
MAX_PAGE_SIZE = 200
TRIM_KEYS = sorted(EDGE_SOURCE_KEYS)  # list pages are cut down to these inside the page

MAX_BACKOFF_SECONDS = 30.0


class AccountNotFound(LookupError):
    """The site knows no such account (404 on /resolve or /users/{id})."""


class ListUnreadable(RuntimeError):
    """Session mode cannot read this list (endpoint moved, shape changed): read it another way."""


class ClientIdRefused(RuntimeError):
    """401/403: the session's client_id went stale (or the call is refused): open a new session."""


class Challenged(RuntimeError):
    """The bot wall (DataDome) answered instead of api-v2: the account goes back to the frontier."""

    def __init__(self, challenge: Any) -> None:
        super().__init__(f"bot-wall challenge ({getattr(challenge, 'kind', '?')})")
        self.challenge = challenge


class CrawlStopped(RuntimeError):
    """The crawl is stopping (the bot-wall guard gave up): no more calls to the site."""


class ApiGaveUp(RuntimeError):
    """A call kept failing (5xx, timeouts, truncated bodies) through every retry."""


@dataclass
class ReaderConfig:
    api_url: str
    web_url: str
    interaction: str
    limit: int | None
    page_size: int = MAX_PAGE_SIZE
    api_retries: int = 5
    max_retry_after: float = 120.0
    response_timeout: float = 20.0
    list_timeout: float = 900.0


@dataclass
class SessionRead:
    """What reading one account produced (counts feed the spider's stats)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False  # next_href null, or the limit reached
    stalled: bool = False  # a page kept failing: items are the pages before it
    pages: int = 0
    requests: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    retries: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class SessionReader:
    """Calls api-v2 from a session page, paced by the process budget."""

    def __init__(self, config: ReaderConfig, budget: RequestBudget,
                 sleep: Callable[[float], Any] = asyncio.sleep,
                 gate: Callable[[], Awaitable[bool]] | None = None) -> None:
        self.config = config
        self.budget = budget
        self._sleep = sleep
        self._gate = gate  # before each call: waits out a bot-wall pause; False = stop calling

    # --- the two reads ------------------------------------------------------------------
    async def user(self, session: SessionPage, permalink: str, user_id: int | None,
                   read: SessionRead) -> dict[str, Any]:
        """The full user: by id when the frontier knows it, else /resolve of the profile URL."""
        api = self.config.api_url
        if user_id is not None:
            url = f"{api}/users/{int(user_id)}"
        else:
            url = f"{api}/resolve?url={quote(self.config.web_url + '/' + permalink, safe='')}"
        deadline = time.monotonic() + self.config.list_timeout
        status, user = await self._get(session, with_client_params(url, session.client_params),
                                       _parse_json, read, deadline)
        if status == 404:
            raise AccountNotFound(permalink)
        if status != 200:
            raise ListUnreadable(f"user {permalink}: HTTP {status}")
        if not isinstance(user, dict) or not isinstance(user.get("id"), int) or \
                user.get("kind") not in (None, "user"):
            raise ListUnreadable(f"user {permalink}: not a user object ({type(user).__name__})")
        return user

    async def items(self, session: SessionPage, user_id: int, read: SessionRead,
                    cutoff: Cutoff | None = None) -> SessionRead:
        """The most recent `limit` items of the list, following next_href; with a `cutoff` (a
        refresh visit, scmap/refresh.py) only those newer than it, stopping at the page holding it."""
        config = self.config
        size = config.page_size if config.limit is None else max(1, min(config.page_size, config.limit))
        path = LIST_PATHS[config.interaction].format(id=int(user_id))
        url = f"{config.api_url}{path}?" + urlencode({"offset": 0, "limit": size, "linked_partitioning": 1})
        deadline = time.monotonic() + config.list_timeout
        same_place = 0
        while True:
            status, page = await self._get(session, with_client_params(url, session.client_params),
                                           _parse_page, read, deadline, keep=TRIM_KEYS)
            if status is None:  # gave up on this page: keep what came before it
                read.stalled = True
                return read
            if status != 200:
                raise ListUnreadable(f"{config.interaction} of user {user_id}: HTTP {status} at {url}")
            read.pages += 1
            newer, reached_cutoff = newer_than(config.interaction, page.collection, cutoff)
            read.items.extend(newer)
            if config.limit is not None:
                del read.items[config.limit:]  # the most recent `limit`, a refresh visit too
            if reached_cutoff or (config.limit is not None and len(read.items) >= config.limit):
                read.complete = True  # at the cut-off the rest was read by the previous visit
                return read
            if page.next_href is None:
                read.complete = True
                return read
            if not page.collection and page_key(page.next_href) == page_key(url):
                same_place += 1  # an empty "try again here" page
                read.retries["no_progress"] += 1
                if same_place > config.api_retries:
                    read.stalled = True
                    return read
                await self._sleep(min(2.0 ** (same_place - 1), MAX_BACKOFF_SECONDS))
            else:
                same_place = 0
            url = page.next_href

    # --- one call, paced and retried ----------------------------------------------------
    async def _get(self, session: SessionPage, url: str, parse: Callable[[str], Any],
                   read: SessionRead, deadline: float, keep: list[str] | None = None
                   ) -> tuple[int | None, Any]:
        """(200, parsed) | (404 or other final status, None) | (None, None) after the retries.
        Raises ClientIdRefused on 401/403."""
        config = self.config
        failures = timeouts = 0
        while time.monotonic() < deadline:
            if self._gate is not None and not await self._gate():
                raise CrawlStopped("the crawl is stopping: no more calls")
            # Paced by the process budget; a 429 pauses every page (scmap.spiders.in_page_fetch).
            answer = await fetch_one_in_page(session.page, url, config.response_timeout, keep=keep,
                                             budget=self.budget)
            read.requests += 1
            waited = float(answer.get("waited") or 0.0)
            if waited > 0:
                read.waits += 1
                read.waited_seconds += waited
            status = int(answer.get("status") or 0)
            if status == 200:
                try:
                    return 200, parse(answer.get("text") or "")
                except TruncatedJSONError:
                    reason = "truncated"
            elif status == 429:  # the budget already paused every page for its Retry-After
                read.retries["rate_limited"] += 1
                read.failures.append(f"429 (Retry-After {answer.get('retryAfter')}): {url}")
                continue  # a 429 says "later", not "broken": it does not use up a retry
            elif status in (401, 403):
                challenge = recognise_challenge(status, None, answer.get("text") or "")
                if challenge is not None:
                    raise Challenged(challenge)
                raise ClientIdRefused(f"HTTP {status} at {url.split('?', 1)[0]}")
            elif status == 0 or status >= 500:
                reason = "timeout" if answer.get("error") == "timeout" else (
                    f"http_{status}" if status else "network_error")
            else:  # 404 and other final answers: the caller decides what they mean
                return status, None
            read.retries[reason] += 1
            read.failures.append(f"{reason}: {url}")
            failures += 1
            timeouts = timeouts + 1 if reason == "timeout" else 0
            # A page that does not answer twice in a row is stalled (as in the scroll path).
            if failures > config.api_retries or timeouts >= 2:
                return None, None
            if reason != "timeout":
                await self._sleep(min(2.0 ** (failures - 1), MAX_BACKOFF_SECONDS,
                                      max(0.0, deadline - time.monotonic())))
        return None, None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise TruncatedJSONError(str(error)) from None


def _parse_page(text: str) -> CollectionPage:
    """A list page; a body that is JSON but not a list page raises ListUnreadable (shape changed)."""
    try:
        return parse_collection(text)
    except TruncatedJSONError:
        raise
    except CollectionError as error:
        raise ListUnreadable(f"not a list page: {error}") from None
