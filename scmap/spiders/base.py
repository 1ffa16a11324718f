"""The one spider all four interaction spiders are: they differ only by the class attributes
`interaction`, `page_path` and `api_route` (data, not code).

Per account: render `{web}/{permalink}/{page_path}` in Chromium (scrapy-playwright), read the
list from the page's own api-v2 responses (scmap.spiders.list_page), keep the most recent
`limit` items, emit one AccountItem (from the page's hydration `user`) and one EdgeItem per
item, then send `account_done`. Every fault becomes a log line, a stat, and an account status.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, AsyncIterator, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from scmap.items import AccountItem, EdgeItem
from scmap.signals import (
    STATUS_DONE,
    STATUS_FAILED,
    STATUS_NOT_FOUND,
    STATUS_SKIPPED,
    account_done,
)
from scmap.soundcloud.dom import DOM_READERS
from scmap.spiders.dom_resolve import (
    DomRead,
    client_id_from_page_bundle,
    edges_from_dom,
    paths_to_resolve,
    resolve_paths,
)
from scmap.soundcloud.edges import Source, edges_from_items
from scmap.soundcloud.hydration import parse_hydration
from scmap.soundcloud.permalinks import BadSeed, permalink_from_seed, split_seeds
# --- session mode (issue 10): the fast path and the mode argument ---
from scmap.spiders.session_mode import DEFAULT_MODE, SessionModeMixin, parse_mode, session_slot_settings
from scmap.spiders.list_page import (
    CAPTURE_META_KEY,
    CONFIG_META_KEY,
    ListConfig,
    ListResult,
    new_capture,
    read_list,
)

DEFAULT_LIMIT = 500
# A list whose page died with the browser (or timed out) is tried once more in a fresh page.
MAX_ATTEMPTS = 2
NOT_FOUND_STATUSES = (404, 410)
INIT_PAGE_CALLBACK = "scmap.spiders.list_page.init_page"
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
FRONTIER_ACCOUNT_META_KEY = "frontier_account"  # set by scmap.frontier on requests it hands out
FRONTIER_SCHEDULER_NAME = "FrontierScheduler"  # scmap.frontier.scheduler (not imported: name only)
DEFAULT_MIN_FOLLOWERS = 250  # the frontier's FRONTIER_MIN_FOLLOWERS default


def _frontier_scheduler_active(settings: Any) -> bool:
    scheduler = settings.get("SCHEDULER")
    name = scheduler if isinstance(scheduler, str) else getattr(scheduler, "__name__", "")
    return str(name).rsplit(".", 1)[-1] == FRONTIER_SCHEDULER_NAME


def skip_threshold(min_followers: int | None, settings: Any) -> int | None:
    """Below how many profile followers an account's list is not read at all (None: never).

    `-a min_followers=N` always applies; otherwise FRONTIER_MIN_FOLLOWERS only when the frontier
    is the scheduler (its rule, and it records the skip). A crawl of exactly its seeds with the
    stock scheduler reads every list, small accounts included."""
    if min_followers is not None:
        return min_followers if min_followers > 0 else None
    if not _frontier_scheduler_active(settings):
        return None
    value = settings.getint("FRONTIER_MIN_FOLLOWERS", DEFAULT_MIN_FOLLOWERS)
    return value if value > 0 else None


def parse_limit(value: Any) -> int | None:
    """`limit` argument: a positive int, or `all` (None = no cap). Raises ValueError."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    if isinstance(value, str) and value.strip().lower() == "all":
        return None
    number = int(value)
    if number < 1:
        raise ValueError(f"limit must be >= 1 or 'all', got {value!r}")
    return number


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


class InteractionSpider(SessionModeMixin, scrapy.Spider):
    """Base of the likes / comments / reposts / follows spiders."""

    interaction: ClassVar[str]  # partition value of the edges: likes, comments, reposts, follows
    page_path: ClassVar[str]  # the web page listing them: `/{permalink}/{page_path}`
    # regex searched in the api-v2 path the page fetches its list from (not anchored: a site
    # that moves the endpoint under a new prefix is still read from the page's own calls)
    api_route: ClassVar[str]

    def __init__(self, seeds: str | None = None, limit: Any = None, max_accounts: Any = None,
                 bfs_accounts: Any = None, min_followers: Any = None, mode: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed_texts = split_seeds(seeds)
        self.seeds: list[str] = []
        self.bad_seeds: list[str] = []
        for text in self.seed_texts:
            try:
                permalink = permalink_from_seed(text)
            except BadSeed as error:
                self.bad_seeds.append(f"{text!r}: {error}")
                continue
            if permalink not in self.seeds:
                self.seeds.append(permalink)
        try:
            self.limit = parse_limit(limit)
            self.bad_limit = None
        except (TypeError, ValueError) as error:
            self.limit, self.bad_limit = DEFAULT_LIMIT, str(error)
        # The frontier's arguments (its issue); stored for scmap.frontier to read.
        self.max_accounts = _optional_int(max_accounts)
        self.bfs_accounts = _optional_int(bfs_accounts)
        self.min_followers = _optional_int(min_followers)
        try:  # session (read through api-v2 in a live page) or scroll (render each profile)
            self.mode, self.bad_mode = parse_mode(mode), None
        except ValueError as error:
            self.mode, self.bad_mode = DEFAULT_MODE, str(error)
        self._accounts_started = 0
        self._context_pending: Counter[str] = Counter()
        self._contexts: dict[str, Any] = {}

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Render through Playwright only the scheme the site is served on: each registered
        scheme starts its own Playwright driver (real site: https; sandbox: http)."""
        super().update_settings(settings)
        scheme = urlsplit(settings.get("SOUNDCLOUD_WEB_URL") or "").scheme
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        if scheme in ("http", "https") and handlers.get(scheme) == PLAYWRIGHT_HANDLER:
            for other in ("http", "https"):
                if other != scheme and handlers.get(other) == PLAYWRIGHT_HANDLER:
                    del handlers[other]  # back to Scrapy's own handler (robots.txt...)
            settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")
        session_slot_settings(settings)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "InteractionSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.web_url = settings.get("SOUNDCLOUD_WEB_URL").rstrip("/")
        spider.api_url = settings.get("SOUNDCLOUD_API_URL").rstrip("/")
        spider.accounts_per_context = max(1, settings.getint("SCMAP_ACCOUNTS_PER_CONTEXT", 20))
        spider.cookie_banner_wait = settings.getfloat("SCMAP_COOKIE_BANNER_WAIT", 3.0)
        spider.skip_below_followers = skip_threshold(spider.min_followers, settings)
        spider.list_settings = {
            "scroll_trigger_timeout": settings.getfloat("SCMAP_SCROLL_TRIGGER_TIMEOUT", 4.0),
            "response_timeout": settings.getfloat("SCMAP_RESPONSE_TIMEOUT", 20.0),
            "api_retries": settings.getint("SCMAP_API_RETRIES", 5),
            "max_retry_after": settings.getfloat("SCMAP_MAX_RETRY_AFTER", 120.0),
            "list_timeout": settings.getfloat("SCMAP_LIST_TIMEOUT", 900.0),
            "api_page_size": settings.getint("SCMAP_API_PAGE_SIZE", 200) or None,
            "ignore_capture": settings.getbool("SCMAP_IGNORE_API_CAPTURE", False),
        }
        spider.setup_session_mode(crawler)
        return spider

    # --- requests ---------------------------------------------------------------------------
    def report_bad_arguments(self) -> None:
        """Log + count malformed seeds and a bad limit (stats exist only once the crawl runs)."""
        for problem in self.bad_seeds:
            self.logger.error("Malformed seed skipped: %s", problem)
            self._stat("bad_seed")
        if self.bad_mode:
            self.logger.error("Bad mode (%s): using %s", self.bad_mode, DEFAULT_MODE)
            self._stat("bad_mode")
        if self.bad_limit:
            self.logger.error("Bad limit (%s): using %d", self.bad_limit, DEFAULT_LIMIT)
            self._stat("bad_limit")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.report_bad_arguments()
        for permalink in self.seeds:
            yield self.request_for_account(permalink)

    def request_for_account(self, permalink: str, attempt: int = 1) -> scrapy.Request:
        """The one request that crawls `permalink`'s list (contract with scmap.frontier)."""
        if self.mode == "session":
            return self.session_request(permalink, attempt)
        return self.scroll_request(permalink, attempt)

    def scroll_request(self, permalink: str, attempt: int = 1) -> scrapy.Request:
        """Render the account's list page and read the page's own api-v2 traffic."""
        # Contexts rotate every N accounts; a retired one is closed by its last page.
        context = f"{self.name}-{self._accounts_started // self.accounts_per_context}"
        self._accounts_started += 1
        first_in_context = self._context_pending[context] == 0 and context not in self._contexts
        self._context_pending[context] += 1
        config = ListConfig(api_url=self.api_url, route=self.api_route, limit=self.limit,
                            **self.list_settings)
        # A new context has no consent cookie yet: its first page waits for the banner.
        config.cookie_banner_wait = self.cookie_banner_wait if first_in_context else 0.0
        return scrapy.Request(
            f"{self.web_url}/{permalink}/{self.page_path}",
            callback=self.parse_list,
            errback=self.list_failed,
            dont_filter=True,  # the frontier decides what is crawled once
            meta={
                "playwright": True,
                "playwright_include_page": True,
                "playwright_context": context,
                "playwright_page_init_callback": INIT_PAGE_CALLBACK,
                "handle_httpstatus_list": list(NOT_FOUND_STATUSES),
                "permalink": permalink,
                "scmap_attempt": attempt,
                CONFIG_META_KEY: config.to_meta(),
            },
        )

    # --- callbacks ----------------------------------------------------------------------------
    async def parse_list(self, response: Response) -> AsyncIterator[scrapy.Item]:
        permalink = response.meta["permalink"]
        page = response.meta.get("playwright_page")
        skipped = False
        user: dict[str, Any] = {}
        dom: DomRead | None = None
        try:
            if response.status in NOT_FOUND_STATUSES:
                self.logger.warning("Account not found (HTTP %s): %s", response.status, permalink)
                self._stat("not_found")
                self._account_done(permalink, None, None, STATUS_NOT_FOUND)
                return
            hydration = parse_hydration(response.text)
            user = hydration.user or {}
            if not user:
                self.logger.warning("No hydration user on %s: ids from the API URLs", response.url)
                self._stat("no_hydration_user")
            skipped = self._too_small(user)
            if not skipped:  # a small account's page is closed at once: no scroll, no list read
                capture = response.meta.get(CAPTURE_META_KEY)
                config = ListConfig.from_meta(response.meta[CONFIG_META_KEY])
                if capture is None:  # the init callback failed: nothing was recorded
                    capture = new_capture(config)
                result = await read_list(page, capture, config)
                if result.source == "dom":
                    dom = await self._read_dom(page, response.text, hydration.client_id, capture)
        except Exception as error:  # a dead browser or a closed page: the crawl goes on
            failed = f"reading failed: {error!r}"
        else:
            failed = None
        finally:
            await self._close_page(page, response.meta.get("playwright_context"))
        if skipped and failed is None:
            yield self._account_item(user)
            self._stat("skipped_small")
            self.logger.info("Skipped %s without reading its list: followers_count %s < %d",
                             permalink, user.get("followers_count"), self.skip_below_followers)
            self._account_done(permalink, user.get("id"), user.get("followers_count"), STATUS_SKIPPED)
            return
        if failed is not None:
            retry = self._retry(response.request, failed)
            if retry is not None:
                yield retry
            return

        source = self._source(user, capture, permalink)
        if user.get("id") is not None:
            yield self._account_item(user)
        edges = self._edges(result, source, dom) if source else []
        for edge in edges:
            yield EdgeItem(**edge)
        status = self._record_outcome(permalink, result, len(edges), source)
        self._account_done(permalink, source.id if source else None,
                           user.get("followers_count"), status)

    async def list_failed(self, failure: Any) -> scrapy.Request | None:
        request = failure.request
        await self._close_page(request.meta.get("playwright_page"), request.meta.get("playwright_context"))
        self._stat(f"errors/{failure.type.__name__}")
        return self._retry(request, f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def _retry(self, request: scrapy.Request, why: str) -> scrapy.Request | None:
        """A fresh request for the account (new page, maybe a restarted browser), or - after
        MAX_ATTEMPTS - the account is given up as failed."""
        permalink = request.meta.get("permalink")
        attempt = int(request.meta.get("scmap_attempt", 1))
        if attempt < MAX_ATTEMPTS:
            self.logger.warning("List of %s failed (%s): retrying in a new page", permalink, why)
            self._stat("list_retries")
            # A scroll request (mode=scroll, or session mode's fallback) is retried as one.
            again = self.session_request if request.meta.get("scmap_mode") == "session" else self.scroll_request
            retry = again(permalink, attempt=attempt + 1)
            # Keep the frontier's tag of the account (docs/frontier.md) on the new request.
            if FRONTIER_ACCOUNT_META_KEY in request.meta:
                retry.meta[FRONTIER_ACCOUNT_META_KEY] = request.meta[FRONTIER_ACCOUNT_META_KEY]
            return retry
        self.logger.error("List of %s failed after %d attempts: %s", permalink, attempt, why)
        self._stat("failed")
        self._account_done(permalink, None, None, STATUS_FAILED)
        return None

    # --- helpers ------------------------------------------------------------------------------
    def _too_small(self, user: dict[str, Any]) -> bool:
        """The profile's followers_count is under the skip threshold (see skip_threshold)."""
        threshold = getattr(self, "skip_below_followers", None)
        followers = user.get("followers_count")
        if threshold is None or isinstance(followers, bool) or not isinstance(followers, int):
            return False
        return followers < threshold

    @staticmethod
    def _account_item(user: dict[str, Any]) -> AccountItem:
        return AccountItem(
            id=user.get("id"), permalink=user.get("permalink"), username=user.get("username"),
            followers_count=user.get("followers_count"),
            followings_count=user.get("followings_count"), track_count=user.get("track_count"),
        )

    def _source(self, user: dict[str, Any], capture: Any, permalink: str) -> Source | None:
        user_id = user.get("id")
        if not isinstance(user_id, int):
            user_id = _user_id_from_api_urls(capture)
        if user_id is None:
            self.logger.error("No account id for %s: its edges cannot be keyed", permalink)
            self._stat("no_account_id")
            return None
        return Source(id=user_id, permalink=user.get("permalink") or permalink)

    def _edges(self, result: ListResult, source: Source, dom: DomRead | None) -> list[dict]:
        if result.source == "dom":
            return self._dom_edges(dom or DomRead(entries=[]), source)
        edges, skipped = edges_from_items(self.interaction, result.items, source)
        for reason, count in skipped.items():
            self._stat(f"skipped_items/{reason}", count)
        return edges

    async def _read_dom(self, page: Any, html: str, client_id: str | None, capture: Any) -> DomRead:
        """Fallback: the rendered entries (cut at the limit), their hrefs resolved through
        api-v2 inside the page (see scmap.spiders.dom_resolve). Resolving never raises."""
        entries = DOM_READERS[self.interaction](await page.content())
        if self.limit is not None:
            entries = entries[: self.limit]
        read = DomRead(entries=entries)
        paths = paths_to_resolve(entries)
        if not paths:
            return read
        timeout = self.list_settings["response_timeout"]
        client_id = client_id or (getattr(capture, "client_params", None) or {}).get("client_id")
        if not client_id:
            try:
                client_id = await client_id_from_page_bundle(page, html, timeout)
            except Exception as error:
                self.logger.warning("client_id from the bundle failed: %r", error)
        if not client_id:
            self.logger.error("No client_id for resolving %d DOM entries", len(paths))
            read.errors["resolve_errors/no_client_id"] += len(paths)
            return read
        read.client_id = client_id
        read.resolved, errors = await resolve_paths(page, self.api_url, self.web_url, client_id,
                                                    paths, timeout)
        read.errors.update(errors)
        self._stat("dom_fallback/resolves", len(paths))
        return read

    def _dom_edges(self, read: DomRead, source: Source) -> list[dict]:
        """Fallback edges: ids from the markup, else from the resolved hrefs."""
        self._stat("dom_fallback")
        for name, count in read.errors.items():
            self._stat(f"dom_fallback/{name}", count)
        edges, skipped = edges_from_dom(self.interaction, read, source)
        for reason, count in skipped.items():
            self._stat(f"dom_fallback/{reason}", count)
        self.logger.warning("No API JSON captured for %s: %d edges from the DOM (%d entries, "
                            "%d resolved)", source.permalink, len(edges), len(read.entries),
                            len(read.resolved))
        return edges

    def _record_outcome(self, permalink: str, result: ListResult, edge_count: int,
                        source: Source | None) -> str:
        self._stat("lists")
        self._stat("edges", edge_count)
        self._stat("items", len(result.items))
        self._stat("scrolls", result.scrolls)
        for reason, count in result.retries.items():
            self._stat(f"api_retries/{reason}", count)
        if result.api_failures:
            self._stat("api_failures", len(result.api_failures))
            self.logger.info("%s: %d API failures survived, e.g. %s", permalink,
                             len(result.api_failures), result.api_failures[0])
        if result.takeover:
            self._stat("takeovers")
        if result.cookie_banner_accepted:
            self._stat("cookie_banner_accepted")
        if source is None:
            return STATUS_FAILED
        if result.source == "dom":  # no JSON: how far the rendered list went is unknown
            return STATUS_DONE if edge_count else STATUS_FAILED
        if not result.complete:
            self._stat("incomplete")
            self.logger.warning(
                "List of %s incomplete (%s): kept the %d items read", permalink,
                "stalled" if result.stalled else "ended early", len(result.items))
            # What was read is kept and counts (a visit with a shorter list); nothing read: failed.
            return STATUS_DONE if result.items else STATUS_FAILED
        self._stat("lists_done")
        return STATUS_DONE

    def _account_done(self, permalink: str, user_id: int | None, followers_count: Any,
                      status: str) -> None:
        self.crawler.signals.send_catch_log(
            signal=account_done, spider=self, permalink=permalink, user_id=user_id,
            followers_count=followers_count, status=status)

    async def _close_page(self, page: Any, context_name: str | None) -> None:
        """Close the page; close its context too once retired and idle (flat browser memory)."""
        context = None
        if page is not None:
            try:
                context = page.context
                if not page.is_closed():
                    await page.close()
            except Exception as error:  # the browser may be gone
                self.logger.debug("closing page: %r", error)
        if context_name is None:
            return
        if context is not None:
            self._contexts[context_name] = context
        self._context_pending[context_name] -= 1
        current = f"{self.name}-{(self._accounts_started - 1) // self.accounts_per_context}"
        if self._context_pending[context_name] <= 0 and context_name != current:
            del self._context_pending[context_name]
            retired = self._contexts.pop(context_name, None)
            if retired is not None:
                try:
                    await retired.close()
                    self._stat("contexts_closed")
                except Exception as error:
                    self.logger.debug("closing context %s: %r", context_name, error)

    def _stat(self, name: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"scmap/{self.interaction}/{name}", count)


def _user_id_from_api_urls(capture: Any) -> int | None:
    """`/users/{id}/...` in a captured api-v2 URL: the account's id when hydration failed."""
    for page in getattr(capture, "pages", []) or []:
        match = re.search(r"/users/(\d+)(?:/|$)", page.url or "")
        if match:
            return int(match.group(1))
    return None
