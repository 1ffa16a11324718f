"""The DOM fallback readers on lists really rendered by Chromium (the sandbox's web client):
the documented class names give the same accounts as the ground truth, in list order."""

from __future__ import annotations

import asyncio

import pytest

from scmap.browser import launch_options
from scmap.soundcloud.dom import DOM_READERS

PAGES = {"likes": "likes", "comments": "comments", "reposts": "reposts", "follows": "following"}
ITEMS = {"likes": "li.soundList__item", "comments": "li.commentsList__item",
         "reposts": "li.soundList__item", "follows": "li.badgeList__item"}


def small_list_owner(truth, interaction: str) -> int:
    """An account whose list fits on the first page (no scrolling needed)."""
    listed = truth.interactions[truth.interactions["listed"] & (truth.interactions["interaction"] == interaction)]
    sizes = listed.groupby("src_id").size()
    return int(sorted(sizes[(sizes >= 3) & (sizes <= 8)].index)[0])


async def rendered(web_url: str, paths: list[tuple[str, str, int]]) -> list[str]:
    """Each page's HTML once its web client has loaded the whole list (next_href null)."""
    from playwright.async_api import async_playwright

    def is_list(response) -> bool:
        return "/api-v2/" in response.url and response.status == 200

    pages = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        page = await browser.new_page()
        for path, item_selector, count in paths:
            async with page.expect_response(is_list) as first:
                await page.goto(web_url + path)
            body = await (await first.value).json()
            for _ in range(30):
                if body.get("next_href") is None:
                    break
                async with page.expect_response(is_list) as more:
                    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
                body = await (await more.value).json()
            # The client renders a page right after its response: wait for its items.
            await page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n",
                                         arg=[item_selector, count])
            pages.append(await page.content())
        await browser.close()
    return pages


@pytest.mark.timeout(120)
def test_dom_readers_match_the_truth_on_rendered_lists(truth, clean_sandbox):
    users = truth.users.set_index("id")
    owners = {interaction: small_list_owner(truth, interaction) for interaction in PAGES}
    paths = [(f"/{users.loc[owner, 'permalink']}/{PAGES[interaction]}", ITEMS[interaction],
              len(truth.recent_interactions(owner, interaction))) for interaction, owner in owners.items()]
    htmls = asyncio.run(rendered(clean_sandbox.web_url, paths))
    for (interaction, owner), html in zip(owners.items(), htmls):
        entries = DOM_READERS[interaction](html)
        expected = truth.recent_interactions(owner, interaction)
        assert [e.dst_permalink for e in entries] == [users.loc[d, "permalink"] for d in expected["dst_id"]]
        assert [e.object_kind for e in entries] == list(expected["object_kind"])
        if interaction in ("likes", "reposts", "follows"):
            assert [e.dst_username for e in entries] == [users.loc[d, "username"].strip() or None
                                                         for d in expected["dst_id"]]
