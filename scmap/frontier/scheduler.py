"""The Scrapy scheduler that hands out ACCOUNTS in the frontier's order.

settings.py: SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler".

It never stores requests: when the engine asks for the next request and no ordinary request
is waiting, it claims the next account from the store and builds its request right then with
`spider.request_for_account(permalink)`. Ordinary requests (pagination, retries) go through an
in-memory FIFO served first; after a crash they are rebuilt by handing their account out again.
The seeds go into the store at open (the spider's start() yields nothing: scmap/contract.py).

Edges of an account are collected in memory from `item_scraped` and written with the account's
`done` in one store transaction; the store adds them to the scores once, in pick order.

Only Scrapy's public surface is used: signals (spider_idle + DontCloseSpider keep the spider
open while accounts are in flight or other spiders may add some; item_scraped / item_dropped /
item_error count an account's items out of the pipeline), `crawler.engine.crawl()` to hand a
claimed account to an idle engine, `crawler.engine.spider_is_idle()`, and stats.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from scmap import contract
from scmap import signals as scmap_signals
from scmap.frontier.ordering import CrawlRules, Decision, is_below_threshold
from scmap.frontier.outage import StoreOutage
from scmap.frontier.owner import make_owner
from scmap.frontier.progress import report_progress
from scmap.frontier.store import IN_FLIGHT, REFRESH_DUE, ClaimResult, Edge, FrontierStore, RefreshClaim
from scmap.frontier.store_url import (  # a Redis URL may carry a password: log it masked
    mask_store_url, open_store, unreachable_store_message)
from scmap.refresh import SECONDS_PER_DAY, Cutoff, cutoff_of_edges, parse_refresh_days
from scmap.setting_values import float_setting

logger = logging.getLogger("scmap.frontier")

TICK_SECONDS = 0.5


def edge_from_item(item: Mapping[str, Any]) -> Edge:
    identity = "|".join(str(item.get(field)) for field in (
        "dst_id", "dst_permalink", "interaction", "object_kind", "object_id", "created_at"))
    return Edge(
        dst_permalink=str(item["dst_permalink"]), interaction=str(item["interaction"]),
        identity=identity, dst_user_id=item.get("dst_id"),
        dst_followers_count=item.get("dst_followers_count"),
        created_at=str(item.get("created_at") or ""), object_id=int(item.get("object_id") or 0))


@dataclass
class AccountInFlight:
    """An account this process handed out: its edges so far, and its finish once announced."""

    edges: dict[str, Edge]
    finish: dict[str, Any] | None = None
    items_out: int = 0  # items of this account that left the pipeline (scraped, dropped, error)
    items_expected: int = 0  # from account_done: the finish waits until items_out reaches it
    refresh: bool = False  # a refresh visit (scmap/refresh.py): not a pick of the store


class FrontierScheduler(BaseScheduler):
    hands_out_accounts = True  # scmap.contract: this scheduler adds the seeds itself

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.owner = make_owner()
        self.lease_seconds = float_setting(self.settings, "FRONTIER_LEASE_SECONDS")
        self.log_interval = float_setting(self.settings, "FRONTIER_LOG_INTERVAL")
        # Engine idle this long while an account has no account_done: that signal is lost.
        self.silent_account_seconds = float_setting(self.settings, "FRONTIER_SILENT_ACCOUNT_SECONDS")
        # Frontier empty while other spiders sharing the store still have picks whose edges may
        # add accounts: ask the store again this often instead of closing.
        self.wait_poll_seconds = float_setting(self.settings, "FRONTIER_WAIT_POLL_SECONDS")
        # Another spider's visit whose edges are not applied yet counts this long after its finish
        # (its spider applies them at its next claim; a spider stopped without that is not waited for).
        self.unapplied_grace_seconds = min(self.lease_seconds, 30.0)
        # Redis unreachable mid-crawl: pause and retry this long, then stop (outage.py).
        self.outage = StoreOutage(float_setting(self.settings, "FRONTIER_STORE_OUTAGE_SECONDS"))
        self.transient_errors: tuple[type[BaseException], ...] = ()
        self.masked_url = ""
        self.waiting_for = 0  # > 0: waiting for that many picks of other spiders
        self.next_poll = 0.0  # time.monotonic() of the next look at the store while waiting
        self.requests: deque[Request] = deque()
        self.accounts: dict[str, AccountInFlight] = {}
        self.exhausted = False  # the store said FINISHED for this spider
        self.closing = False  # asked the engine to close the spider
        self.close_reason = "finished"
        self.store_changed = True  # worth asking the store again
        self.idle_since: float | None = None  # time.monotonic() the engine was first seen idle
        self.spider: Spider | None = None
        self.store: FrontierStore | None = None
        self.rules: CrawlRules | None = None
        # -a refresh=DAYS: this node takes part in its spider's open refresh round (the store's),
        # whose accounts it claims before any new pick until the round is complete.
        self.refresh_open = False
        self._loops: list[Any] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        return cls(crawler)

    # --- lifecycle ---

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.rules = contract.crawl_rules(spider, self.settings)
        connect = self.crawler.signals.connect
        connect(self._on_item_scraped, signal=signals.item_scraped)
        connect(self._on_item_out, signal=signals.item_dropped)
        connect(self._on_item_out, signal=signals.item_error)
        connect(self._on_spider_idle, signal=signals.spider_idle)
        connect(self._on_account_done, signal=scmap_signals.account_done)
        self._start_loop(self._tick, TICK_SECONDS)
        url = contract.store_url(spider, self.settings)
        self.masked_url = mask_store_url(url)
        try:
            self.store = open_store(url)
            self.transient_errors = getattr(self.store, "transient_errors", ())
            self.store.add_discovered(contract.seed_permalinks(spider))
            self.store.record_caps(spider.name, self.rules)  # what scmap.status shows (latest start wins)
            logger.info("frontier %s: store %s, node %s, %s", spider.name, self.masked_url, self.owner, self.rules)
            self._plan_refresh(parse_refresh_days(getattr(spider, "refresh", None)))  # a store call too
        except Exception as error:  # checked before the crawl (scmap.preflight); gone since
            line = unreachable_store_message(url, error)
            logger.error(line)
            self.stats.set_value(contract.CRAWL_ERROR_STAT, line)
            # Not CloseSpider from here: Scrapy 2.19 would then close a scraper it never opened.
            self.exhausted, self.close_reason = True, "frontier_unreachable"
            if self.store is not None:
                self.store.close()
                self.store = None
            return
        self._start_loop(self._renew_leases, max(1.0, self.lease_seconds / 3))
        if self.log_interval > 0:
            self._start_loop(self._report, self.log_interval)

    def _plan_refresh(self, days: float | None) -> None:
        """A refresh run re-visits, in their original visit order, the accounts whose latest
        visit is older than `days`, reading only what is newer than that visit's cut-off. The
        store keeps the round: nodes starting while it is open join it and share its accounts
        (each handed out once, with a lease), and a round cut short is finished by the next run."""
        if days is None:
            return
        assert self.store is not None and self.spider is not None and self.rules is not None
        name = self.spider.name
        round_, joined = self.store.begin_refresh(name, self.rules, days * SECONDS_PER_DAY)
        self.refresh_open = not round_.complete
        left = round_.count(REFRESH_DUE, IN_FLIGHT)
        self.stats.set_value("frontier/refresh_round", round_.number)
        self.stats.set_value("frontier/refresh_due", len(round_.records))
        if joined:
            logger.info("frontier %s: joining refresh round %d (accounts last visited before %s): %d due, %d left",
                        name, round_.number, _utc(round_.older_than), len(round_.records), left)
        else:
            logger.info("frontier %s: refresh round %d of accounts last visited over %g days ago: %d due",
                        name, round_.number, days, len(round_.records))

    def _start_loop(self, function: Any, interval: float) -> None:
        loop = create_looping_call(function)
        loop.start(interval, now=False)
        self._loops.append(loop)

    def close(self, reason: str) -> None:
        for loop in self._loops:
            if loop.running:
                loop.stop()
        if self.store is None or self.spider is None:
            return
        # The engine closed the scraper first: every item reached the pipelines, which wrote
        # their buffers on close_spider; the finishes can be recorded without asking again.
        self._settle_finishes(force=True)
        try:
            released = self.store.release(self.spider.name, self.owner)
            if released:
                logger.info("frontier %s: %d unfinished accounts released for the next run",
                            self.spider.name, released)
        except self.transient_errors as error:  # their leases run out instead
            self.outage.failed(error, self.masked_url)
        self._report(final=True)
        if self.accounts and self.outage.is_down:
            logger.warning("frontier %s: %d accounts not recorded (store unreachable); the next run"
                           " crawls them again", self.spider.name, len(self.accounts))
        self.store.close()
        self.store = None

    # --- BaseScheduler ---

    def has_pending_requests(self) -> bool:
        """Requests waiting here. Accounts still to come keep the spider open through
        spider_idle + DontCloseSpider instead, so `engine.spider_is_idle()` stays meaningful."""
        return bool(self.requests)

    def enqueue_request(self, request: Request) -> bool:
        self.requests.append(request)
        self.stats.inc_value("frontier/requests_enqueued")
        return True

    def next_request(self) -> Request | None:
        self._settle_finishes()
        if self.requests:
            return self.requests.popleft()
        request = self._next_account_request()
        return None if request is None else self._start_account(request)

    def _start_account(self, request: Request) -> Request:
        """The tagged request of an account just handed out, or what the spider's optional
        `start_account(request)` makes of it (scmap.contract): the first goes out now, the
        others wait in the FIFO, served before any new account."""
        start = getattr(self.spider, "start_account", None)
        if start is None:
            return request
        first, *others = start(request)
        self.requests.extend(others)
        return first

    def _next_account_request(self) -> Request | None:
        """Claim the next account and build its request, or None (nothing to claim now)."""
        if self.exhausted:
            return None
        assert self.store is not None and self.spider is not None and self.rules is not None
        if len(self.accounts) >= self.rules.accounts_in_flight:
            return None
        if not self.store_changed:
            return None
        if self.waiting_for and time.monotonic() < self.next_poll:
            return None
        if not self.outage.may_call():
            return None
        try:
            if self.refresh_open:  # the round's accounts come before any new pick
                refresh = self._claim_refresh()
                if refresh.permalink is not None:
                    self.outage.answered()
                    return self._refresh_request(refresh)
            claim = self._claim()
        except self.transient_errors as error:
            self.outage.failed(error, self.masked_url)
            return None
        self.outage.answered()
        if claim.permalink is None:
            self.store_changed = False  # ask again after a finish or the next tick
            # An open round keeps the node: other nodes' refresh picks return if they die.
            if claim.decision is Decision.FINISHED and not self.accounts and not self.refresh_open:
                self.exhausted = True
                logger.info("frontier %s: finished (visited cap reached, or frontier empty and no other"
                            " spider has accounts in flight)", self.spider.name)
            return None
        self.accounts[claim.permalink] = AccountInFlight(edges={})
        self.stats.inc_value("frontier/accounts_handed_out")
        if claim.reclaimed:
            self.stats.inc_value("frontier/accounts_handed_out_again")
            logger.info("frontier %s: handing out %s again (pick %d, given back or its holder died)",
                        self.spider.name, claim.permalink, claim.seq)
        return self._request_for(claim.permalink)

    def _claim_refresh(self) -> RefreshClaim:
        """The round's next account for this node; notes when the round is complete."""
        assert self.store is not None and self.spider is not None and self.rules is not None
        refresh = self.store.claim_refresh(self.spider.name, self.owner, self.rules, self.lease_seconds)
        if refresh.complete:
            self.refresh_open = False
            logger.info("frontier %s: refresh round complete", self.spider.name)
        return refresh

    def _refresh_request(self, refresh: RefreshClaim) -> Request | None:
        """The request of an account claimed for a refresh visit, with its cut-off (contract)."""
        assert refresh.permalink is not None and self.spider is not None
        permalink = refresh.permalink
        self.accounts[permalink] = AccountInFlight(edges={}, refresh=True)
        self.stats.inc_value("frontier/refresh_handed_out")
        if refresh.reclaimed:
            self.stats.inc_value("frontier/refresh_handed_out_again")
            logger.info("frontier %s: handing out %s again for the refresh (given back or its holder died)",
                        self.spider.name, permalink)
        request = self._request_for(permalink)
        if request is not None and refresh.cutoff:
            request.meta[contract.REFRESH_CUTOFF_META_KEY] = refresh.cutoff
        return request

    def _request_for(self, permalink: str) -> Request | None:
        """The spider's request for an account just handed out (in self.accounts)."""
        assert self.store is not None and self.spider is not None
        try:
            request = self.spider.request_for_account(permalink)
        except Exception:
            logger.exception("frontier %s: no request for %r; finishing it as failed",
                             self.spider.name, permalink)
            self.accounts[permalink].finish = {"status": contract.STATUS_FAILED}
            self._settle_finishes()  # recorded now, or once the store answers again
            return None
        request.meta.setdefault(contract.ACCOUNT_META_KEY, permalink)
        # The numeric id (and followers count) seen in edges: session mode reads /users/{id}
        # instead of /resolve, and asks for the user and the list's first page at once.
        known = self.store.account(permalink) if hasattr(self.store, "account") else None
        if known and known.get("user_id") is not None:
            request.meta.setdefault(contract.USER_ID_META_KEY, int(known["user_id"]))
            if known.get("followers_count") is not None:
                request.meta.setdefault(contract.FOLLOWERS_META_KEY, int(known["followers_count"]))
        return request

    def _claim(self) -> ClaimResult:
        """claim_next, except that an empty frontier is not the end while other spiders sharing
        the store have picks in flight whose edges may add accounts: then WAIT, asking again
        every `wait_poll_seconds`. Their picks with expired leases (dead holders) do not count."""
        assert self.store is not None and self.spider is not None and self.rules is not None
        name = self.spider.name
        claim = self.store.claim_next(name, self.owner, self.rules, self.lease_seconds)
        if claim.permalink is None and claim.decision is Decision.FINISHED and not self.accounts \
                and self.store.counts(name, self.rules).visited < self.rules.max_accounts:
            others = self.store.in_flight_elsewhere(name, self.unapplied_grace_seconds)
            if others:
                if not self.waiting_for:
                    logger.info("frontier %s: waiting for other spiders' in-flight accounts (%d)", name, others)
                self.waiting_for = others
                self.next_poll = time.monotonic() + self.wait_poll_seconds
                return ClaimResult(Decision.WAIT)
            # Nothing in flight elsewhere now; accounts applied between the first claim and that
            # look are in the store already: one more claim sees them.
            claim = self.store.claim_next(name, self.owner, self.rules, self.lease_seconds)
        if self.waiting_for and claim.permalink is not None:
            logger.info("frontier %s: other spiders added accounts; crawling on", name)
        if claim.permalink is not None or claim.decision is Decision.FINISHED:
            self.waiting_for = 0
        return claim

    # --- signals from the spider / item pipeline ---

    def _account_of(self, permalink: Any, response: Any) -> AccountInFlight | None:
        account = self.accounts.get(permalink)
        if account is None and response is not None:
            account = self.accounts.get(_tag_of(response))
        return account

    def _on_item_out(self, item: Any, response: Any = None, **_: Any) -> None:
        """An item left the pipeline (scraped, dropped or failed): one less to wait for."""
        account = self.accounts.get(_tag_of(response)) if response is not None else None
        if account is None:
            # An EdgeItem names its account; an ObjectItem (a track or playlist) only through
            # its response's tag, which every spider request carries (scmap.contract).
            account = self.accounts.get(_get(item, "src_permalink"))
        if account is not None:
            account.items_out += 1  # settled by the next next_request / tick, as every finish
        else:
            self.stats.inc_value("frontier/items_unattributed")

    def _on_item_scraped(self, item: Any, response: Any = None, spider: Spider | None = None) -> None:
        self._collect_edge(item, response)
        self._on_item_out(item, response)  # after collecting: it may settle the account

    def _collect_edge(self, item: Any, response: Any) -> None:
        if "dst_permalink" not in getattr(item, "fields", item) or not item.get("dst_permalink"):
            return
        account = self._account_of(item.get("src_permalink"), response)
        if account is None:
            self.stats.inc_value("frontier/edges_unattributed")
            return
        edge = edge_from_item(item)
        account.edges.setdefault(edge.identity, edge)
        self.stats.inc_value("frontier/edges_collected")

    def _on_account_done(self, spider: Spider, permalink: str, status: str,
                         user_id: int | None = None, followers_count: int | None = None,
                         items: int = 0, **_: Any) -> None:
        if spider is not self.spider:
            return
        account = self.accounts.get(permalink)
        if account is None or account.finish is not None:
            self.stats.inc_value("frontier/account_done_unexpected")
            logger.warning("frontier %s: account_done for %r which is not in flight here", spider.name, permalink)
            return
        if status not in contract.ACCOUNT_STATUSES:
            logger.warning("frontier %s: unknown status %r for %s, counted as failed", spider.name, status, permalink)
            status = contract.STATUS_FAILED
        account.finish = {"status": status, "user_id": user_id, "followers_count": followers_count}
        # Items yielded just before the signal may still be in the pipeline: the finish waits
        # until all `items` of the account have left it.
        account.items_expected = int(items or 0)
        self._settle_finishes()

    def _on_spider_idle(self, spider: Spider) -> None:
        """The engine has nothing to do: keep the spider open while the frontier may still hand
        out accounts (in flight here, or other spiders' picks may add some)."""
        if spider is self.spider and not self.exhausted:
            raise DontCloseSpider
        if spider is self.spider and self.close_reason != "finished":
            raise CloseSpider(self.close_reason)

    def _settle_finishes(self, force: bool = False) -> None:
        ready = [p for p, a in self.accounts.items() if a.finish is not None]
        if not ready or not (force or self.outage.may_call()):
            return
        for permalink in ready:
            account = self.accounts[permalink]
            if not force and account.items_out < account.items_expected:
                continue
            if not force and not self._persist_edges(permalink):
                continue  # retried at the next tick; recording it now could lose its edges
            try:
                self._write_finish(permalink, account)
            except self.transient_errors as error:  # kept: recorded once the store answers
                self.outage.failed(error, self.masked_url)
                return
            self.outage.answered()
            del self.accounts[permalink]
            self.store_changed = True

    def _persist_edges(self, permalink: str) -> bool:
        """Ask the item writer to put this account's buffered edges on disk first."""
        results = self.crawler.signals.send_catch_log(
            signal=scmap_signals.persist_account_edges, spider=self.spider, permalink=permalink)
        failures = [result for _, result in results if isinstance(result, Failure)]
        if failures:
            self.stats.inc_value("frontier/persist_failures")
            logger.error("frontier: edges of %s could not be persisted (%s); not recorded yet",
                         permalink, failures[0].getErrorMessage())
        return not failures

    def _write_finish(self, permalink: str, account: AccountInFlight) -> None:
        assert self.store is not None and self.spider is not None and self.rules is not None
        finish = account.finish or {}
        status, followers = finish.get("status"), finish.get("followers_count")
        name = self.spider.name
        if account.refresh:
            self._write_refresh_finish(permalink, account, status)
            return
        if status == contract.STATUS_DONE and is_below_threshold(followers, self.rules.min_followers):
            status = contract.STATUS_SKIPPED  # the spider read the list anyway; it is not a visit
        if status == contract.STATUS_DONE:
            # The visit (its cut-off, for a later refresh) is recorded in the same step.
            self.store.mark_done(name, permalink, account.edges.values(), finish.get("user_id"), followers,
                                 cutoff=_encoded(cutoff_of_edges(account.edges.values())))
        elif status == contract.STATUS_SKIPPED:
            reason = f"profile followers_count {followers} < {self.rules.min_followers}"
            self.store.mark_skipped(name, permalink, followers, reason, self.rules)
        elif status == contract.STATUS_REQUEUE:  # given back: the next claim hands it out again
            self.store.release_pick(name, permalink)
            logger.info("frontier %s: %s given back (not a visit, not a failure)", name, permalink)
        else:
            self.store.mark_failed(name, permalink, status)
        self.stats.inc_value(f"frontier/accounts_{status}")

    def _write_refresh_finish(self, permalink: str, account: AccountInFlight, status: Any) -> None:
        """A refresh visit is recorded as a visit only (scores, caps and picks untouched):
        read (done, or skipped: under the threshold now) -> its new finish time and cut-off; not
        found -> gone, its history kept; failed -> due again next round; given back -> handed
        out again in this round."""
        assert self.store is not None and self.spider is not None
        name = self.spider.name
        if status in (contract.STATUS_DONE, contract.STATUS_SKIPPED):
            newest = cutoff_of_edges(account.edges.values())
            self.store.finish_refresh(name, permalink, contract.STATUS_DONE, _encoded(newest))
        elif status == contract.STATUS_NOT_FOUND:
            self.store.finish_refresh(name, permalink, contract.STATUS_GONE, "")
            logger.info("frontier %s: %s is gone (not found on refresh); its history is kept", name, permalink)
            status = contract.STATUS_GONE
        elif status == contract.STATUS_REQUEUE:
            self.store.release_refresh(name, permalink)
        else:
            self.store.finish_refresh(name, permalink, contract.STATUS_FAILED, "")
        self.stats.inc_value(f"frontier/refresh_{status}")
        self.stats.inc_value("frontier/refresh_edges", len(account.edges))

    # --- periodic work ---

    def _tick(self) -> None:
        """Settle finishes, notice leases of dead holders, and hand the engine an account when
        one is ready (the engine would otherwise only ask again at its 5 s heartbeat)."""
        self._settle_finishes()
        self.store_changed = True
        self._give_up_on_silent_accounts()
        engine = self.crawler.engine
        if self.outage.exceeded() and not self.closing and engine is not None and engine.spider is not None:
            self._stop_for_outage(engine)
            return
        if engine is None or engine.spider is None or self.requests:
            return
        request = self._next_account_request()
        if request is not None:
            engine.crawl(self._start_account(request))  # public: enqueues it here and wakes the engine
        elif self.exhausted and not self.closing and engine.spider_is_idle():
            # Done and idle: close now rather than at the engine's next 5 s heartbeat.
            self.closing = True
            deferred_from_coro(engine.close_spider_async(reason=self.close_reason))

    def _stop_for_outage(self, engine: Any) -> None:
        """The store stayed unreachable too long: one clear line, and the spider closes; the
        accounts in flight are crawled again by the next run (their leases run out)."""
        line = self.outage.stop_message(self.masked_url)
        logger.error(line)
        self.stats.set_value(contract.CRAWL_ERROR_STAT, line)
        self.exhausted, self.closing, self.close_reason = True, True, "frontier_unreachable"
        deferred_from_coro(engine.close_spider_async(reason=self.close_reason))

    def _give_up_on_silent_accounts(self) -> None:
        """An account whose requests are all gone without an account_done would block the order
        forever (a spider bug); after a while it is finished as failed, loudly."""
        engine = self.crawler.engine
        idle = engine is not None and engine.spider is not None and engine.spider_is_idle()
        if idle:  # nothing is in the item pipeline: an account still waiting for items waits in vain
            for permalink, account in self.accounts.items():
                if account.finish is not None and account.items_out < account.items_expected:
                    logger.warning("frontier: %s announced %d items, %d left the pipeline; recording it",
                                   permalink, account.items_expected, account.items_out)
                    account.items_expected = account.items_out
            self._settle_finishes()
        silent = [p for p, a in self.accounts.items() if a.finish is None]
        if not idle or not silent:
            self.idle_since = None
            return
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.silent_account_seconds:
            return
        for permalink in silent:
            logger.error("frontier: no account_done for %s although its requests are finished;"
                         " finishing it as failed", permalink)
            self.accounts[permalink].finish = {"status": contract.STATUS_FAILED}
        self.idle_since = None
        self._settle_finishes()

    def _renew_leases(self) -> None:
        if self.store is not None and self.spider is not None and self.accounts and self.outage.may_call():
            try:
                self.store.renew_leases(self.spider.name, self.owner, self.lease_seconds)
            except self.transient_errors as error:
                self.outage.failed(error, self.masked_url)

    def _report(self, final: bool = False) -> None:
        if self.store is not None and self.spider is not None and self.rules is not None:
            try:
                report_progress(self.store, self.spider.name, self.rules, self.stats, final=final)
            except self.transient_errors as error:
                self.outage.failed(error, self.masked_url)


def _utc(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _encoded(cutoff: Cutoff | None) -> str:
    return cutoff.encode() if cutoff is not None else ""


def _tag_of(response: Any) -> Any:
    """The account a response's request was handed out for (scmap.contract.ACCOUNT_META_KEY).
    Items an errback yielded come with its Failure, whose `request` carries the tags."""
    meta = getattr(response, "meta", None)
    if meta is None:
        meta = getattr(getattr(response, "request", None), "meta", None) or {}
    return meta.get(contract.ACCOUNT_META_KEY)


def _get(item: Any, field: str) -> Any:
    try:
        return item.get(field)
    except (AttributeError, KeyError):
        return None
