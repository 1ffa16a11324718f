"""scmap's downloader middlewares for api-v2 calls (requests in the API_SLOT download slot).

Scrapy's own do the rest: RetryMiddleware retries 429 / 5xx / timeouts (RETRY_TIMES,
RETRY_HTTP_CODES), DOWNLOAD_DELAY / AutoThrottle / CONCURRENT_REQUESTS_PER_DOMAIN pace the slot,
HttpCacheMiddleware caches. Ours sit nearer the downloader than the cache (DOWNLOADER_MIDDLEWARES
in scmap/settings.py), so a cached answer skips them and a challenge is never cached:

- RetryAfterMiddleware: a 429 pauses every api-v2 call of the process for its Retry-After
  (capped by SCMAP_MAX_RETRY_AFTER); the transports wait it out before calling; RetryMiddleware
  then retries the 429 itself.
- ChallengeGuardMiddleware: a challenge on the http transport (-a mode=http) hands the call to
  the browser: the same request again with meta scmap_transport="page" (stat
  scmap/http/handed_to_browser; the spider keeps the account's next pages there). A bot-wall
  challenge (scmap.soundcloud.challenge) of the browser is counted, pauses the process's calls,
  stops the crawl after SCMAP_CHALLENGES_BEFORE_STOP in a row (scmap.spiders.challenge_guard)
  and fails the request with Challenged: the spider gives the account back. While the crawl is
  paused calls wait; once it is stopped they fail with CrawlStopped.
- SharedBudgetMiddleware (SCMAP_SHARED_REQUEST_BUDGET): one rate for every node of the crawl,
  kept in the frontier's Redis (scmap/frontier/shared_budget.py).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from scmap.setting_values import float_setting
from scmap.soundcloud.challenge import CHALLENGE_STATUSES, Challenge, recognise_challenge
from scmap.transport import HTTP, PAGE, TRANSPORT_META_KEY, is_api_request
from scmap.transport.retry_after import PROCESS_PAUSE, retry_after_seconds

logger = logging.getLogger(__name__)


class RetryAfterMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.cap = float_setting(crawler.settings, "SCMAP_MAX_RETRY_AFTER")

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RetryAfterMiddleware":
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 429 and is_api_request(request):
            self.stats.inc_value("scmap/api/rate_limited")
            seconds = retry_after_seconds(response.headers.get("Retry-After"), self.cap)
            if PROCESS_PAUSE.pause(seconds, f"429 from {request.url.split('?', 1)[0]}"):
                self.stats.inc_value("scmap/api/process_pauses")
        return response


class Challenged(IgnoreRequest):
    """The bot wall answered instead of api-v2: the spider gives the account back."""

    def __init__(self, challenge: Challenge) -> None:
        super().__init__(f"bot-wall challenge ({challenge.kind})")
        self.challenge = challenge


class CrawlStopped(IgnoreRequest):
    """The bot-wall guard stopped the crawl: no more calls to the site."""


class ChallengeGuardMiddleware:
    def __init__(self, crawler: Any) -> None:
        from scmap.spiders import challenge_guard

        self.crawler = crawler
        self.guard = challenge_guard

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ChallengeGuardMiddleware":
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not is_api_request(request):
            return None
        guard = self.guard.process_guard(self.crawler.settings)
        await guard.wait_while_paused()
        if guard.stopped:
            raise CrawlStopped("the crawl was stopped at the bot wall")
        return None

    def process_response(self, request: Request, response: Response) -> Response | Request:
        if not is_api_request(request) or response.status not in CHALLENGE_STATUSES:
            return response
        challenge = recognise_challenge(response.status, response.headers, response.body)
        if challenge is None:
            return response
        if request.meta.get(TRANSPORT_META_KEY) == HTTP:  # the browser may pass where curl cannot
            self.crawler.stats.inc_value("scmap/http/handed_to_browser")
            logger.info("Bot-wall challenge (%s, %s) on the http transport for %s: asked again in the browser",
                        challenge.kind, challenge.shape, request.meta.get("permalink", request.url))
            return request.replace(meta={**request.meta, TRANSPORT_META_KEY: PAGE}, dont_filter=True)
        spider = self.crawler.spider
        self.guard.on_challenge(spider, request.meta.get("permalink", request.url), challenge, "the list")
        raise Challenged(challenge)


class SharedBudgetMiddleware:
    def __init__(self, crawler: Any, budget: Any) -> None:
        self.crawler = crawler
        self.budget = budget

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SharedBudgetMiddleware":
        settings = crawler.settings
        if not settings.getbool("SCMAP_SHARED_REQUEST_BUDGET"):
            raise NotConfigured("each node paces itself (SCMAP_SHARED_REQUEST_BUDGET off)")
        from scmap.contract import store_url
        from scmap.frontier.shared_budget import shared_budget_from_settings  # needs redis

        return cls(crawler, shared_budget_from_settings(settings, store_url(crawler.spider, settings)))

    async def process_request(self, request: Request) -> None:
        if is_api_request(request):
            waited = await self.budget.acquire()
            self.crawler.stats.inc_value("scmap/api/shared_budget_waits", 1 if waited > 0 else 0)
            self.crawler.stats.set_value("scmap/api/budget", self.budget.describe())
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 429 and is_api_request(request):
            cap = float_setting(self.crawler.settings, "SCMAP_MAX_RETRY_AFTER")
            self.budget.pause(retry_after_seconds(response.headers.get("Retry-After"), cap),
                              f"429 from {request.url.split('?', 1)[0]}")
        return response
