"""The crawl-wide request budget in Redis (scmap/frontier/shared_budget.py) on a real
redis-server: two "nodes" (two budgets on one URL) share one rate and one pause; a budget of
another crawl (prefix) is independent; Redis gone -> the node paces itself."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from scmap.frontier.shared_budget import SharedRequestBudget
from scmap.frontier.store_url import mask_store_url
from tests.frontier.redis_server import start_redis_server

RATE = 20.0  # per second, no jitter: slots 50 ms apart


def budgets(url: str, count: int) -> list[SharedRequestBudget]:
    return [SharedRequestBudget(url, rate=RATE, jitter=0.0) for _ in range(count)]


async def take_turns(nodes: list[SharedRequestBudget], per_node: int) -> float:
    """Every node acquires `per_node` times, all at once; the wall time it took."""
    start = time.monotonic()

    async def node_loop(budget: SharedRequestBudget) -> None:
        for _ in range(per_node):
            await budget.acquire()

    await asyncio.gather(*(node_loop(budget) for budget in nodes))
    return time.monotonic() - start


def test_two_nodes_share_one_rate_and_one_pause(redis_url):
    url = f"{redis_url}?prefix=budget-{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        nodes = budgets(url, 2)
        other_crawl = budgets(f"{redis_url}?prefix=budget-other-{uuid.uuid4().hex[:8]}", 1)
        try:
            elapsed = await take_turns(nodes, 10)  # 20 slots crawl-wide: 19 gaps of 50 ms
            assert elapsed >= 19 / RATE * 0.9, elapsed
            assert elapsed < 19 / RATE + 0.6, elapsed
            alone = await take_turns(other_crawl, 1)  # another prefix: its own budget, no wait
            assert alone < 0.2
            nodes[0].pause(0.6, "429 on node 0")
            assert nodes[0].paused_for > 0.5  # node 0 holds at once
            await nodes[0].flush()
            assert await nodes[1].crawl_paused_for() > 0.4  # node 1 sees node 0's pause
            start = time.monotonic()
            await nodes[1].acquire()
            assert time.monotonic() - start >= 0.5
        finally:
            for budget in nodes + other_crawl:
                await budget.close()

    asyncio.run(scenario())


@pytest.mark.timeout(60)
def test_a_node_paces_itself_while_redis_is_away(tmp_path):
    async def scenario(server) -> None:
        node = SharedRequestBudget(server.url + "?prefix=away", rate=RATE, jitter=0.0)
        try:
            await node.acquire()
            server.stop()
            elapsed = await take_turns([node], 5)  # 5 local slots: 4 gaps at least
            assert node.stats.fallbacks == 5
            assert elapsed >= 4 / RATE * 0.9
        finally:
            await node.close()

    with start_redis_server(tmp_path / "redis") as server:
        asyncio.run(scenario(server))


def test_the_setting_puts_the_shared_budget_in_the_downloader(redis_url):
    """SCMAP_SHARED_REQUEST_BUDGET: SharedBudgetMiddleware paces api-v2 calls by the Redis budget
    at 1 / DOWNLOAD_DELAY, and a 429 it sees holds this node at once and reaches Redis for the others."""
    from scrapy import Request
    from scrapy.exceptions import NotConfigured
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from scmap.spiders.likes import LikesSpider
    from scmap.transport import API_SLOT
    from scmap.transport.middlewares import SharedBudgetMiddleware

    url = f"{redis_url}?prefix=budget-setting-{uuid.uuid4().hex[:8]}"
    with pytest.raises(NotConfigured):  # off by default: each node paces itself
        SharedBudgetMiddleware.from_crawler(get_crawler(LikesSpider, settings_dict={"FRONTIER_URL": url}))
    crawler = get_crawler(LikesSpider, settings_dict={
        "SCMAP_SHARED_REQUEST_BUDGET": True, "FRONTIER_URL": url, "DOWNLOAD_DELAY": 1 / RATE,
        "DOWNLOAD_DELAY_JITTER": 0, "SOUNDCLOUD_WEB_URL": "http://x", "SOUNDCLOUD_API_URL": "http://x/api-v2"})
    crawler.spider = LikesSpider.from_crawler(crawler, seeds="x")
    crawler.stats.open_spider()
    middleware = SharedBudgetMiddleware.from_crawler(crawler)
    budget = middleware.budget
    assert isinstance(budget, SharedRequestBudget) and budget.rate == RATE and budget.jitter == 0
    other_node = SharedRequestBudget(url, rate=RATE, jitter=0.0)
    call = Request("http://x/api-v2/users/1", meta={"download_slot": API_SLOT})

    async def scenario() -> None:
        try:
            start = time.monotonic()
            for _ in range(5):
                await middleware.process_request(call)
            assert time.monotonic() - start >= 4 / RATE * 0.9  # paced at the crawl-wide rate
            middleware.process_response(call, Response(call.url, status=429, headers={"Retry-After": "0.5"},
                                                       request=call))
            assert budget.paused_for > 0.4
            await budget.flush()
            assert await other_node.crawl_paused_for() > 0.3
        finally:
            await budget.close()
            await other_node.close()

    asyncio.run(scenario())


def test_the_shared_budget_lives_where_the_frontier_does_also_with_a_frontier_url_argument(redis_url):
    """`-a frontier_url=redis://...` is the frontier (contract.store_url): preflight accepts it
    without FRONTIER_URL, and the budget is made on that Redis; a SQLite frontier is refused."""
    from scrapy.settings import Settings

    from scmap import preflight
    from scmap.frontier.shared_budget import shared_budget_from_settings

    url = f"{redis_url}?prefix=budget-argument-{uuid.uuid4().hex[:8]}"
    settings = Settings({"SCMAP_SHARED_REQUEST_BUDGET": True, "FRONTIER_URL": None, "DOWNLOAD_DELAY": 1})
    preflight.check_shared_budget({"frontier_url": url}, settings)
    with pytest.raises(preflight.BadInput, match="FRONTIER_URL=redis://"):
        preflight.check_shared_budget({"frontier_url": "output/frontier.sqlite"}, settings)
    budget = shared_budget_from_settings(settings, url)
    assert isinstance(budget, SharedRequestBudget) and budget.url == mask_store_url(url)
    asyncio.run(budget.close())
