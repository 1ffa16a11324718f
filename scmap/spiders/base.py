"""The one spider all four interaction spiders are: they differ only by the class attributes
`interaction`, `page_path` and `api_route` (data, not code).

Per account: render `{web}/{permalink}/{page_path}` in Chromium (scrapy-playwright), read the
list from the page's own api-v2 responses (scmap.spiders.list_page), keep the most recent
`limit` items, emit one AccountItem (from the page's hydration `user`), one EdgeItem per
item and one ObjectItem per track / playlist an item carries, then send `account_done`. Every
fault becomes a log line, a stat, and an account status.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, AsyncIterator, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from scmap.contract import (
    CRAWL_ERROR_STAT,
    REFRESH_CUTOFF_META_KEY,
    STATUS_DONE,
    STATUS_FAILED,
    STATUS_NOT_FOUND,
    STATUS_REQUEUE,
    STATUS_SKIPPED,
    carry_account_tags,
    is_below_threshold,
    scheduler_hands_out_accounts,
)
from scmap.browser.contexts import BrowserSetupError, ContextPlan, context_plan
from scmap.items import AccountItem, EdgeItem, ObjectItem, object_items
from scmap.refresh import Cutoff, newer_than
from scmap.signals import account_done
from scmap.soundcloud.challenge import CHALLENGE_STATUSES
from scmap.soundcloud.dom_edges import DomRead, edges_from_dom
from scmap.soundcloud.edges import Source, edges_from_items
from scmap.soundcloud.hydration import parse_hydration
from scmap.soundcloud.objects import objects_from_collection
from scmap.spiders import challenge_guard
from scmap.spiders.api_capture import new_capture
from scmap.spiders.arguments import DEFAULT_LIMIT, optional_int, parse_limit, read_seeds, skip_threshold
from scmap.spiders.contexts import ContextRotation
from scmap.spiders.dom_fallback import read_dom
from scmap.spiders.list_config import CAPTURE_META_KEY, CONFIG_META_KEY, ListConfig, ListResult
from scmap.spiders.list_page import KeepNewer, read_list
from scmap.spiders.config import SpiderConfig
from scmap.spiders.session_mode import API_TRANSPORTS, DEFAULT_MODE, SessionModeMixin, parse_mode

__all__ = ["InteractionSpider", "DEFAULT_LIMIT", "parse_limit", "skip_threshold"]

# A list whose page died with the browser (or timed out) is tried once more in a fresh page.
MAX_ATTEMPTS = 2
NOT_FOUND_STATUSES = (404, 410)
INIT_PAGE_CALLBACK = "scmap.spiders.challenge_guard.init_page"  # wraps api_capture.init_page
SCMAP_HANDLER = "scmap.transport.handler.ScmapDownloadHandler"


class InteractionSpider(SessionModeMixin, scrapy.Spider):
    """Base of the likes / comments / reposts / follows spiders."""

    interaction: ClassVar[str]  # partition value of the edges: likes, comments, reposts, follows
    page_path: ClassVar[str]  # the web page listing them: `/{permalink}/{page_path}`
    api_route: ClassVar[str]  # regex on the api-v2 path the page fetches its list from

    def __init__(self, seeds: str | None = None, limit: Any = None, mode: Any = None,
                 **kwargs: Any) -> None:
        # The frontier's arguments (-a bfs_accounts=..., scmap.contract.FRONTIER_ARGUMENTS) stay
        # plain attributes, as Scrapy sets them; scmap.contract.crawl_rules reads them.
        super().__init__(**kwargs)
        self.seeds, self.bad_seeds = read_seeds(seeds)
        try:
            self.limit = parse_limit(limit)
            self.bad_limit = None
        except (TypeError, ValueError) as error:
            self.limit, self.bad_limit = DEFAULT_LIMIT, str(error)
        self.seeds_not_found: list[str] = []  # reported by name when the crawl ends
        try:  # session (api-v2 in a live page), http (api-v2 through curl_cffi) or scroll (render each profile)
            self.mode, self.bad_mode = parse_mode(mode), None
        except ValueError as error:
            self.mode, self.bad_mode = DEFAULT_MODE, str(error)

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """scmap's handler (browser + transports) only on the scheme the site is served on: each
        registered scheme builds its own handler (real site: https; sandbox: http)."""
        super().update_settings(settings)
        scheme = urlsplit(settings.get("SOUNDCLOUD_WEB_URL") or "").scheme
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        if scheme in ("http", "https") and handlers.get(scheme) == SCMAP_HANDLER:
            for other in ("http", "https"):
                if other != scheme and handlers.get(other) == SCMAP_HANDLER:
                    del handlers[other]  # back to Scrapy's own handler (robots.txt...)
            settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "InteractionSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.config = config = SpiderConfig.from_settings(settings)
        spider.web_url, spider.api_url = config.web_url, config.api_url
        # The person's profile or cookies (scmap.browser.contexts; docs/real-site.md).
        try:
            spider.context_plan, spider.browser_setup_error = context_plan(settings), None
        except BrowserSetupError as error:
            spider.context_plan, spider.browser_setup_error = ContextPlan(), str(error)
        if spider.mode == "http" and spider.browser_setup_error is None:
            from scmap.transport.http import http_setup_error  # curl_cffi: only for this mode

            spider.browser_setup_error = http_setup_error(settings)
        spider.contexts = ContextRotation(spider.name, config.accounts_per_context,
                                          rotate=spider.context_plan.rotate)
        spider.skip_below_followers = skip_threshold(optional_int(getattr(spider, "min_followers", None)),
                                                     settings)
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
        """One path for seeds (scmap.contract): a scheduler that hands out accounts adds them
        itself, so nothing is yielded here; with any other scheduler, one request per seed."""
        self.report_bad_arguments()
        if self.browser_setup_error:  # our crawl commands refuse it first (scmap.preflight)
            self.logger.error("Nothing crawled: %s", self.browser_setup_error)
            self._stat("browser_setup_error")
            self.crawler.stats.set_value(CRAWL_ERROR_STAT, self.browser_setup_error)
            return
        self.logger.info("Browser contexts open with %s", self.context_plan.describe())
        if scheduler_hands_out_accounts(self.crawler.settings):
            return
        for permalink in self.seeds:
            for request in self.start_account(self.request_for_account(permalink)):
                yield request

    def request_for_account(self, permalink: str, attempt: int = 1) -> scrapy.Request:
        """The one request that crawls `permalink`'s list (contract with scmap.frontier)."""
        if self.mode in API_TRANSPORTS:
            return self.session_request(permalink, attempt)
        return self.scroll_request(permalink, attempt)

    def scroll_request(self, permalink: str, attempt: int = 1) -> scrapy.Request:
        """Render the account's list page and read the page's own api-v2 traffic."""
        context = self.contexts.next_account()
        c = self.config
        config = ListConfig(api_url=c.api_url, route=self.api_route, limit=self.limit,
                            scroll_trigger_timeout=c.scroll_trigger_timeout, response_timeout=c.response_timeout,
                            api_retries=c.api_retries, max_retry_after=c.max_retry_after,
                            list_timeout=c.list_timeout, api_page_size=c.api_page_size or None,
                            ignore_capture=c.ignore_capture)
        return scrapy.Request(
            f"{self.web_url}/{permalink}/{self.page_path}",
            callback=self.parse_list,
            errback=self.list_failed,
            dont_filter=True,  # the frontier decides what is crawled once
            meta={
                "playwright": True,
                "playwright_include_page": True,
                "playwright_context": context,
                "playwright_context_kwargs": self.context_plan.kwargs,
                "playwright_page_init_callback": INIT_PAGE_CALLBACK,
                "handle_httpstatus_list": [*NOT_FOUND_STATUSES, *CHALLENGE_STATUSES],
                "permalink": permalink,
                "scmap_attempt": attempt,
                CONFIG_META_KEY: config.to_meta(),
            },
        )

    def closed(self, reason: str) -> None:
        """Final summary: seeds the site does not know, by name. If no seed exists, the crawl
        failed (CRAWL_ERROR_STAT: our crawl commands exit non-zero with that line)."""
        if not self.seeds_not_found:
            return
        names = ", ".join(seed for seed in self.seeds if seed in self.seeds_not_found)  # seed order
        self._stat("seeds_not_found", len(self.seeds_not_found))
        if set(self.seeds_not_found) >= set(self.seeds):
            line = f"no seed exists on the site ({names}): check their spelling in -a seeds=..."
            self.logger.error(line)
            self.crawler.stats.set_value(CRAWL_ERROR_STAT, line)
        else:
            self.logger.warning("Seeds not found on the site, crawled without them (check their "
                                "spelling): %s", names)

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
            # --- challenge_guard hook: a bot-wall page gives the account back -------------------
            challenge = challenge_guard.challenge_of(response)
            if challenge is not None:
                self._challenged(permalink, challenge, "the page")
                return
            if response.status in CHALLENGE_STATUSES:  # another refusal: retried, as before
                raise RuntimeError(f"HTTP {response.status} without a bot-wall challenge")
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
                context_name = response.meta.get("playwright_context")
                # Decided now, not when the request was made: an earlier page may have answered it.
                waits = self.contexts.waits_for_banner(context_name)
                config.cookie_banner_wait = self.config.cookie_banner_wait if waits else 0.0
                result = await read_list(page, capture, config, self._keep_newer(response.meta))
                if waits:
                    self.contexts.banner_answered(context_name, result.cookie_banner_accepted)
                challenge = challenge_guard.challenge_of(response, after_list=True)
                if challenge is not None:  # challenge_guard hook: an api-v2 call was challenged
                    self._challenged(permalink, challenge, "the list")
                    return
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
            self._account_done(permalink, user.get("id"), user.get("followers_count"), STATUS_SKIPPED,
                               items=1)
            return
        if failed is not None:
            retry = self._retry(response.request, failed)
            if retry is not None:
                yield retry
            return

        source = self._source(user, capture, permalink)
        items = 0
        if user.get("id") is not None:
            yield self._account_item(user)
            items += 1
        edges = self._edges(result, source, dom) if source else []
        for edge in edges:
            yield EdgeItem(**edge)
        objects = self._list_objects(result.items if result.source != "dom" else _resolved_objects(dom))
        for item in objects:
            yield item
        items += len(edges) + len(objects)
        status = self._record_outcome(permalink, result, len(edges), source)
        self._account_done(permalink, source.id if source else None,
                           user.get("followers_count"), status, items=items)

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
            # Keep the frontier's tags of the account (scmap.contract) on the new request.
            return carry_account_tags(request.meta, self.scroll_request(permalink, attempt=attempt + 1))
        self.logger.error("List of %s failed after %d attempts: %s", permalink, attempt, why)
        self._stat("failed")
        self._account_done(permalink, None, None, STATUS_FAILED)
        return None

    # --- helpers ------------------------------------------------------------------------------
    def _keep_newer(self, meta: Any) -> KeepNewer | None:
        """A refresh visit (the frontier's cut-off on the request): keep only the newer items."""
        cutoff = Cutoff.decode(meta.get(REFRESH_CUTOFF_META_KEY, ""))
        return None if cutoff is None else partial(newer_than, self.interaction, cutoff=cutoff)

    def _too_small(self, user: dict[str, Any]) -> bool:
        """The profile's followers_count is under the skip threshold (see skip_threshold)."""
        return is_below_threshold(user.get("followers_count"), getattr(self, "skip_below_followers", None))

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

    def _list_objects(self, collection: list[Any]) -> list[ObjectItem]:
        """The tracks and playlists the list's items carry (none with SCMAP_WRITE_OBJECTS off)."""
        if not self.config.write_objects:
            return []
        objects = object_items(objects_from_collection(collection))
        self._stat("objects", len(objects))
        return objects

    async def _read_dom(self, page: Any, html: str, client_id: str | None, capture: Any) -> DomRead:
        """Fallback: the rendered entries, their hrefs resolved in the page (dom_fallback.py)."""
        client_id = client_id or (getattr(capture, "client_params", None) or {}).get("client_id")
        return await read_dom(page, self.interaction, self.limit, html, client_id, self.api_url,
                              self.web_url, self.config.response_timeout)

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
                      status: str, items: int = 0) -> None:
        """`items`: how many items were yielded for the account (the frontier waits for them)."""
        if status == STATUS_NOT_FOUND and permalink in self.seeds:
            self.seeds_not_found.append(permalink)
        if status == STATUS_DONE:  # a list read (either mode): challenge_guard resets "in a row"
            challenge_guard.on_list_read(self)
        self.crawler.signals.send_catch_log(
            signal=account_done, spider=self, permalink=permalink, user_id=user_id,
            followers_count=followers_count, status=status, items=items)

    async def _close_page(self, page: Any, context_name: str | None) -> None:
        if await self.contexts.page_done(page, context_name):
            self._stat("contexts_closed")

    def _challenged(self, permalink: str, challenge: Any, where: str) -> None:
        """challenge_guard hook: count/pause/stop, and give the account back (not failed)."""
        challenge_guard.on_challenge(self, permalink, challenge, where)
        self._account_done(permalink, None, None, STATUS_REQUEUE)

    def _stat(self, name: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"scmap/{self.interaction}/{name}", count)


def _resolved_objects(dom: DomRead | None) -> list[dict[str, Any]]:
    """The DOM fallback's objects: the full tracks / playlists its hrefs resolved to (entries whose
    markup held the ids are not resolved, so they carry none)."""
    return [] if dom is None else list(dom.resolved.values())


def _user_id_from_api_urls(capture: Any) -> int | None:
    """`/users/{id}/...` in a captured api-v2 URL: the account's id when hydration failed."""
    for page in getattr(capture, "pages", []) or []:
        match = re.search(r"/users/(\d+)(?:/|$)", page.url or "")
        if match:
            return int(match.group(1))
    return None
