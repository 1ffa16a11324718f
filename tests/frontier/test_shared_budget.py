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


def test_the_setting_gives_every_spider_of_the_process_the_shared_budget(redis_url):
    """SCMAP_SHARED_REQUEST_BUDGET: pacing.process_budget hands out the Redis budget, and a
    pause a spider starts (sync, as the readers call it) holds this node at once and reaches
    Redis for the others."""
    from scrapy.settings import Settings

    from scmap import pacing

    url = f"{redis_url}?prefix=budget-setting-{uuid.uuid4().hex[:8]}"
    settings = Settings({"SCMAP_SHARED_REQUEST_BUDGET": True, "FRONTIER_URL": url,
                         "SCMAP_REQUESTS_PER_SECOND": RATE, "SCMAP_REQUEST_JITTER": 0.0})
    pacing.reset_process_budget()
    try:
        budget = pacing.process_budget(settings)
        assert isinstance(budget, SharedRequestBudget)
        assert pacing.process_budget(Settings()) is budget  # one per process
        other_node = SharedRequestBudget(url, rate=RATE, jitter=0.0)

        async def scenario() -> None:
            try:
                await budget.acquire()
                budget.pause(0.5, "429")
                assert budget.paused_for > 0.4
                await budget.flush()
                assert await other_node.crawl_paused_for() > 0.3
            finally:
                await budget.close()
                await other_node.close()

        asyncio.run(scenario())
    finally:
        pacing.reset_process_budget()


def test_the_shared_budget_lives_where_the_frontier_does_also_with_a_frontier_url_argument(redis_url):
    """`-a frontier_url=redis://...` is the frontier (contract.store_url): preflight accepts it
    without FRONTIER_URL, and the budget is made on that Redis; a SQLite frontier is refused."""
    from scrapy.settings import Settings

    from scmap import pacing, preflight

    url = f"{redis_url}?prefix=budget-argument-{uuid.uuid4().hex[:8]}"
    settings = Settings({"SCMAP_SHARED_REQUEST_BUDGET": True, "FRONTIER_URL": None})
    preflight.check_shared_budget({"frontier_url": url}, settings)
    with pytest.raises(preflight.BadInput, match="FRONTIER_URL=redis://"):
        preflight.check_shared_budget({"frontier_url": "output/frontier.sqlite"}, settings)
    pacing.reset_process_budget()
    try:
        budget = pacing.process_budget(settings, url)
        assert isinstance(budget, SharedRequestBudget) and budget.url == mask_store_url(url)
        asyncio.run(budget.close())
    finally:
        pacing.reset_process_budget()
