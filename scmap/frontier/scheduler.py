"""The Scrapy scheduler that hands out ACCOUNTS in the frontier's order.

settings.py: SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler".

It never stores requests: when the engine asks for the next request and no ordinary request
is waiting, it claims the next account from the store and builds its request right then with
`spider.request_for_account(permalink)`. Ordinary requests (pagination, retries) go through an
in-memory FIFO served first; after a crash they are rebuilt by handing their account out again.

Edges of an account are collected in memory from `item_scraped` and written with the account's
`done` in one store transaction; the store adds them to the scores once, in pick order.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Mapping

from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call
from twisted.python.failure import Failure

from scmap import signals as scmap_signals
from scmap.frontier.ordering import DEFAULT_WEIGHTS, CrawlRules, Decision
from scmap.frontier.progress import report_progress
from scmap.frontier.sqlite_store import make_owner
from scmap.frontier.store import ClaimResult, Edge, FrontierStore, open_store
from scmap.frontier.store_url import mask_store_url  # a Redis URL may carry a password

logger = logging.getLogger("scmap.frontier")

ACCOUNT_META_KEY = "frontier_account"  # set on the request built for an account
USER_ID_META_KEY = "frontier_user_id"  # the account's numeric id when edges gave it (session mode)
FOLLOWERS_META_KEY = "frontier_followers_count"  # ... and its followers count
TICK_SECONDS = 0.5


def parse_seeds(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [seed.strip().strip("/") for seed in value if seed and seed.strip()]


def parse_weights(value: Any) -> dict[str, float]:
    """A dict, JSON (`{"likes": 1}`) or `likes=1,comments=3`; missing types keep the defaults."""
    weights = dict(DEFAULT_WEIGHTS)
    if not value:
        return weights
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            value = dict(part.split("=", 1) for part in text.split(",") if part.strip())
    weights.update({str(k).strip(): float(v) for k, v in dict(value).items()})
    return weights


def rules_for(spider: Spider, settings: BaseSettings) -> CrawlRules:
    """Spider arguments (`-a bfs_accounts=...`) first, FRONTIER_* settings as defaults."""

    def integer(attribute: str, setting: str, default: int) -> int:
        value = getattr(spider, attribute, None)
        return int(value) if value not in (None, "") else settings.getint(setting, default)

    return CrawlRules(
        bfs_accounts=integer("bfs_accounts", "FRONTIER_BFS_ACCOUNTS", 850),
        max_accounts=integer("max_accounts", "FRONTIER_MAX_ACCOUNTS", 2250),
        min_followers=integer("min_followers", "FRONTIER_MIN_FOLLOWERS", 250),
        weights=parse_weights(getattr(spider, "weights", None) or settings.get("FRONTIER_WEIGHTS")),
        accounts_in_flight=integer("accounts_in_flight", "FRONTIER_ACCOUNTS_IN_FLIGHT", 4),
    )


def store_url_for(spider: Spider, settings: BaseSettings) -> str:
    url = getattr(spider, "frontier_url", None) or settings.get("FRONTIER_URL")
    return url or f"{settings.get('OUTPUT_DIR') or 'output'}/frontier.sqlite"


def edge_from_item(item: Mapping[str, Any]) -> Edge:
    identity = "|".join(str(item.get(field)) for field in (
        "dst_id", "dst_permalink", "interaction", "object_kind", "object_id", "created_at"))
    return Edge(
        dst_permalink=str(item["dst_permalink"]), interaction=str(item["interaction"]),
        identity=identity, dst_user_id=item.get("dst_id"),
        dst_followers_count=item.get("dst_followers_count"),
        created_at=str(item.get("created_at") or ""), object_id=int(item.get("object_id") or 0))


def _below(followers_count: Any, min_followers: int) -> bool:
    try:
        return followers_count is not None and int(followers_count) < min_followers
    except (TypeError, ValueError):
        return False


@dataclass
class AccountInFlight:
    """An account this process handed out: its edges so far, and its finish once announced."""

    edges: dict[str, Edge]
    finish: dict[str, Any] | None = None
    finish_waits_for: frozenset[int] = frozenset()  # ids of requests whose items may still come


class FrontierScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.owner = make_owner()
        self.lease_seconds = self.settings.getfloat("FRONTIER_LEASE_SECONDS", 300.0)
        self.log_interval = self.settings.getfloat("FRONTIER_LOG_INTERVAL", 60.0)
        # Engine idle this long while an account has no account_done: that signal is lost.
        self.silent_account_seconds = self.settings.getfloat("FRONTIER_SILENT_ACCOUNT_SECONDS", 10.0)
        # Frontier empty while other spiders sharing the store still have picks whose edges may
        # add accounts: ask the store again this often instead of closing.
        self.wait_poll_seconds = self.settings.getfloat("FRONTIER_WAIT_POLL_SECONDS", 2.0)
        # Another spider's visit whose edges are not applied yet counts this long after its finish
        # (its spider applies them at its next claim; a spider stopped without that is not waited for).
        self.unapplied_grace_seconds = min(self.lease_seconds, 30.0)
        self.waiting_for = 0  # > 0: waiting for that many picks of other spiders
        self.next_poll = 0.0  # time.monotonic() of the next look at the store while waiting
        self.requests: deque[Request] = deque()
        self.accounts: dict[str, AccountInFlight] = {}
        self.exhausted = False  # the store said FINISHED for this spider
        self.store_changed = True  # worth asking the store again
        self.idle_ticks = 0
        self.spider: Spider | None = None
        self.store: FrontierStore | None = None
        self.rules: CrawlRules | None = None
        self._loops: list[Any] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        return cls(crawler)

    # --- lifecycle ---

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.rules = rules_for(spider, self.settings)
        url = store_url_for(spider, self.settings)
        self.store = open_store(url)
        self.store.add_discovered(parse_seeds(getattr(spider, "seeds", None)))
        self.crawler.signals.connect(self._on_item_scraped, signal=signals.item_scraped)
        self.crawler.signals.connect(self._on_account_done, signal=scmap_signals.account_done)
        logger.info("frontier %s: store %s, %s", spider.name, mask_store_url(url), self.rules)
        self._start_loop(self._tick, TICK_SECONDS)
        self._start_loop(self._renew_leases, max(1.0, self.lease_seconds / 3))
        if self.log_interval > 0:
            self._start_loop(self._report, self.log_interval)

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
        released = self.store.release(self.spider.name, self.owner)
        if released:
            logger.info("frontier %s: %d unfinished accounts released for the next run", self.spider.name, released)
        self._report(final=True)
        self.store.close()
        self.store = None

    # --- BaseScheduler ---

    def has_pending_requests(self) -> bool:
        return bool(self.requests) or not self.exhausted

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get("is_start_request"):
            # The frontier hands out the seeds itself, in its order: a spider's own start
            # requests (so it can also run without the frontier) would crawl them twice.
            self.stats.inc_value("frontier/start_requests_ignored")
            return False
        self.requests.append(request)
        self.stats.inc_value("frontier/requests_enqueued")
        return True

    def next_request(self) -> Request | None:
        self._settle_finishes()
        if self.requests:
            return self.requests.popleft()
        if self.exhausted or not self.store_changed:
            return None
        assert self.store is not None and self.spider is not None and self.rules is not None
        if len(self.accounts) >= self.rules.accounts_in_flight:
            return None
        if self.waiting_for and time.monotonic() < self.next_poll:
            return None
        claim = self._claim()
        if claim.permalink is None:
            self.store_changed = False  # ask again after a finish or the next tick
            if claim.decision is Decision.FINISHED and not self.accounts:
                self.exhausted = True
                logger.info("frontier %s: finished (visited cap reached, or frontier empty and no other"
                            " spider has accounts in flight)", self.spider.name)
            return None
        self.accounts[claim.permalink] = AccountInFlight(edges={})
        self.stats.inc_value("frontier/accounts_handed_out")
        if claim.reclaimed:
            self.stats.inc_value("frontier/accounts_handed_out_again")
            logger.info("frontier %s: handing out %s again (pick %d, its holder died)",
                        self.spider.name, claim.permalink, claim.seq)
        try:
            request = self.spider.request_for_account(claim.permalink)
        except Exception:
            logger.exception("frontier %s: no request for %r; finishing it as failed",
                             self.spider.name, claim.permalink)
            del self.accounts[claim.permalink]
            self.store.mark_failed(self.spider.name, claim.permalink, scmap_signals.STATUS_FAILED)
            self.store_changed = True
            return None
        request.meta.setdefault(ACCOUNT_META_KEY, claim.permalink)
        # The numeric id seen in edges: session mode then reads /users/{id}, no /resolve.
        known = self.store.account(claim.permalink) if hasattr(self.store, "account") else None
        if known and known.get("user_id") is not None:
            request.meta.setdefault(USER_ID_META_KEY, int(known["user_id"]))
            if known.get("followers_count") is not None:
                request.meta.setdefault(FOLLOWERS_META_KEY, int(known["followers_count"]))
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
            account = self.accounts.get(getattr(response, "meta", {}).get(ACCOUNT_META_KEY))
        return account

    def _on_item_scraped(self, item: Any, response: Any = None, spider: Spider | None = None) -> None:
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
                         **_: Any) -> None:
        if spider is not self.spider:
            return
        account = self.accounts.get(permalink)
        if account is None or account.finish is not None:
            self.stats.inc_value("frontier/account_done_unexpected")
            logger.warning("frontier %s: account_done for %r which is not in flight here", spider.name, permalink)
            return
        if status not in scmap_signals.ACCOUNT_STATUSES:
            logger.warning("frontier %s: unknown status %r for %s, counted as failed", spider.name, status, permalink)
            status = scmap_signals.STATUS_FAILED
        account.finish = {"status": status, "user_id": user_id, "followers_count": followers_count}
        # Items yielded just before the signal may still be in the pipeline: wait for the
        # responses being scraped right now to be fully processed.
        account.finish_waits_for = frozenset(id(r) for r in self._requests_being_scraped())
        self._settle_finishes()

    def _requests_being_scraped(self) -> set[Any]:
        slot = getattr(getattr(self.crawler.engine, "scraper", None), "slot", None)
        return set(getattr(slot, "active", ()) or ())

    def _settle_finishes(self, force: bool = False) -> None:
        ready = [p for p, a in self.accounts.items() if a.finish is not None]
        if not ready:
            return
        active = {id(r) for r in self._requests_being_scraped()} if not force else set()
        for permalink in ready:
            account = self.accounts[permalink]
            if account.finish_waits_for & active:
                continue
            if not force and not self._persist_edges(permalink):
                continue  # retried at the next tick; recording it now could lose its edges
            self._write_finish(permalink, account)
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
        if status == scmap_signals.STATUS_DONE and _below(followers, self.rules.min_followers):
            status = scmap_signals.STATUS_SKIPPED  # the spider read the list anyway; it is not a visit
        if status == scmap_signals.STATUS_DONE:
            self.store.mark_done(name, permalink, account.edges.values(), finish.get("user_id"), followers)
        elif status == scmap_signals.STATUS_SKIPPED:
            reason = f"profile followers_count {followers} < {self.rules.min_followers}"
            self.store.mark_skipped(name, permalink, followers, reason, self.rules)
        else:
            self.store.mark_failed(name, permalink, status)
        self.stats.inc_value(f"frontier/accounts_{status}")

    # --- periodic work ---

    def _tick(self) -> None:
        """Settle finishes, notice leases of dead holders, and wake the engine if work is ready."""
        self._settle_finishes()
        self.store_changed = True
        self._give_up_on_silent_accounts()
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and not self.exhausted:
            slot.nextcall.schedule()

    def _give_up_on_silent_accounts(self) -> None:
        """An account whose requests are all gone without an account_done would block the order
        forever (a spider bug); after a while it is finished as failed, loudly."""
        engine = self.crawler.engine
        scraper_slot = getattr(engine.scraper, "slot", None)
        busy = (self.requests or getattr(engine.downloader, "active", None)
                or (scraper_slot is not None and not scraper_slot.is_idle())
                or getattr(engine, "_start", None) is not None)
        silent = [p for p, a in self.accounts.items() if a.finish is None]
        self.idle_ticks = 0 if busy or not silent else self.idle_ticks + 1
        if self.idle_ticks * TICK_SECONDS < self.silent_account_seconds:
            return
        for permalink in silent:
            logger.error("frontier: no account_done for %s although its requests are finished;"
                         " finishing it as failed", permalink)
            self.accounts[permalink].finish = {"status": scmap_signals.STATUS_FAILED}
        self.idle_ticks = 0
        self._settle_finishes()

    def _renew_leases(self) -> None:
        if self.store is not None and self.spider is not None and self.accounts:
            self.store.renew_leases(self.spider.name, self.owner, self.lease_seconds)

    def _report(self, final: bool = False) -> None:
        if self.store is not None and self.spider is not None and self.rules is not None:
            report_progress(self.store, self.spider.name, self.rules, self.stats, final=final)
