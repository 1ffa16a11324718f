"""The sandbox's fast list pages (scmap.sandbox.serialised) are byte-identical to the dict path."""

from __future__ import annotations

import json

import pytest

from scmap.sandbox.api_v2 import ApiV2, dumps
from scmap.sandbox.faults import FaultConfig, FaultInjector
from scmap.sandbox.representations import Representer, SiteUrls
from scmap.sandbox.serialised import envelope_text
from scmap.sandbox.world import generate_world
from scmap.sandbox.world_index import WorldIndex

LISTS = ("likes", "track_likes", "playlist_likes", "reposts", "comments", "followings", "followers")


@pytest.fixture(scope="module")
def api() -> ApiV2:
    index = WorldIndex(generate_world(5, 200))
    urls = SiteUrls("http://127.0.0.1:9", "http://127.0.0.1:9/api-v2")
    return ApiV2(index, Representer(index, urls), urls, "c" * 32, FaultInjector(FaultConfig()))


@pytest.mark.parametrize("list_name", LISTS)
def test_text_pages_equal_dict_pages(api: ApiV2, list_name: str):
    owners = sorted(api.index.users.values(), key=lambda user: user["id"])
    compared = 0
    for owner in owners[:60]:
        offset = "0"
        for _ in range(3):  # first pages and their continuations
            slow = api.page(list_name, owner, offset, 50)
            fast = api.page(list_name, owner, offset, 50, as_text=True)
            assert fast.next_cursor == slow.next_cursor
            next_href = api._envelope([], f"/users/{owner['id']}/{list_name}", slow.next_cursor, 50)["next_href"]
            expected = dumps({"collection": slow.items, "next_href": next_href, "query_urn": None})
            assert envelope_text(fast.items, next_href) == expected
            compared += len(slow.items)
            if slow.next_cursor is None:
                break
            offset = slow.next_cursor
    assert compared > 0  # the world really has such items


def test_cached_objects_are_not_shared_mutable_state(api: ApiV2):
    owner = max(api.index.users.values(), key=lambda user: user.get("likes_count") or 0)
    first = api.page("likes", owner, "0", 20, as_text=True).items
    again = api.page("likes", owner, "0", 20, as_text=True).items
    assert first == again and all(json.loads(item)["kind"] == "like" for item in first)
