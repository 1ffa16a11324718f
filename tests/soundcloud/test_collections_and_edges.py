"""collections.py and edges.py on every captured api-v2 response."""

from __future__ import annotations

import pytest

from scmap.soundcloud.collections import (
    CollectionError,
    TruncatedJSONError,
    chain_pages,
    client_params_of,
    cursor_of,
    page_key,
    parse_collection,
    with_client_params,
    with_page_size,
)
from scmap.soundcloud.edges import Source, edges_from_items

from .captures import CAPTURES, capture_files, capture_params, load_json

# Which captured list is which interaction (by file name).
LIST_KIND = {
    "api-v2-user-likes": "likes",
    "api-v2-stream-users-reposts": "reposts",
    "api-v2-user-followings": "follows",
    "api-v2-user-followers": "follows",  # same item shape (users); edges "to" each listed user
    "api-v2-track-comments": "comments",
}
# A user's own uploads: a list page, but no interaction of the user.
NOT_INTERACTIONS = ("api-v2-user-tracks",)
SOURCE = Source(id=42, permalink="crawled-account")


def _kind(name: str) -> str | None:
    return next((kind for prefix, kind in LIST_KIND.items() if name.startswith(prefix)), None)


@pytest.mark.parametrize("path", capture_params("api-v2-*.json"))
def test_every_capture_is_a_page_or_a_clear_not_a_page(path):
    body = path.read_bytes()
    raw = load_json(path)
    if "collection" not in raw:  # resolve / user objects
        with pytest.raises(CollectionError, match="no `collection`"):
            parse_collection(body)
        return
    page = parse_collection(body, url="https://api-v2.soundcloud.com/x")
    assert len(page.collection) == len(raw["collection"])
    assert page.next_href == raw.get("next_href")


@pytest.mark.parametrize("path", capture_params("api-v2-*.json"))
def test_every_cut_capture_raises_truncated_json(path):
    body = path.read_text(encoding="utf-8")
    for cut in (len(body) // 3, len(body) - 2):
        with pytest.raises(TruncatedJSONError, match="not valid JSON"):
            parse_collection(body[:cut])


@pytest.mark.parametrize("path", capture_params("api-v2-*.json"))
def test_every_list_capture_maps_each_item_to_the_right_edge(path):
    kind = _kind(path.name)
    raw = load_json(path)
    if kind is None:
        assert "collection" not in raw or path.name.startswith(NOT_INTERACTIONS)
        return
    items = parse_collection(path.read_bytes()).collection
    edges, skipped = edges_from_items(kind, items, SOURCE)
    if path.name.startswith("api-v2-track-comments"):
        # A track's comment list has no `track` object per comment, so no owner: every item
        # is skipped with a reason, none guessed.
        assert edges == [] and skipped == ({"no_owner": len(items)} if items else {})
        return
    assert not skipped, f"every captured item is mappable, got {skipped}"
    assert len(edges) == len(items)
    for item, edge in zip(items, edges):
        assert edge["src_id"] == 42 and edge["interaction"] == kind
        if kind == "follows":
            expected_kind, owner, object_id = "user", item, item["id"]
        elif kind == "comments":
            track = item.get("track")
            expected_kind = "track"
            object_id = item["track_id"]
            owner = track["user"] if track else None
        else:
            expected_kind = "playlist" if "playlist" in item else "track"
            obj = item[expected_kind]
            owner, object_id = obj["user"], obj["id"]
        assert edge["object_kind"] == expected_kind
        assert edge["object_id"] == object_id
        if owner is not None:
            # Display names come through byte for byte (accents, emoji, quotes...).
            assert (edge["dst_id"], edge["dst_permalink"], edge["dst_username"]) == (
                owner["id"], owner["permalink"], owner["username"])
            assert edge["dst_followers_count"] == owner.get("followers_count")
        if kind != "follows":
            assert edge["created_at"] == item["created_at"]


def test_comments_without_their_track_object_are_skipped_not_guessed():
    # The captured track-comments list has no `track` (it is a track's list, not a user's):
    # with no owner the edge cannot exist.
    item = {"kind": "comment", "id": 1, "track_id": 5, "created_at": "2024-01-01T00:00:00Z"}
    edges, skipped = edges_from_items("comments", [item], SOURCE)
    assert edges == [] and skipped == {"no_owner": 1}


def test_playlists_blocked_self_and_deleted_items():
    me = {"id": 42, "permalink": "crawled-account", "username": "<b>me</b> & \"you\""}
    items = [
        {"created_at": "2024-01-03T00:00:00Z", "kind": "like",
         "playlist": {"id": 9, "kind": "playlist", "user": {"id": 7, "permalink": "o", "username": "⠀"}}},
        {"created_at": "2024-01-02T00:00:00Z", "kind": "like",
         "track": {"id": 8, "kind": "track", "policy": "BLOCK", "user": me}},
        {"created_at": "2024-01-01T00:00:00Z", "kind": "like", "track": None},
    ]
    edges, skipped = edges_from_items("likes", items, SOURCE)
    assert [(e["object_kind"], e["object_id"], e["dst_id"]) for e in edges] == [
        ("playlist", 9, 7), ("track", 8, 42)]
    assert edges[0]["dst_username"] == "⠀" and edges[1]["dst_username"] == me["username"]
    assert skipped == {"deleted_object": 1}


def test_reposts_list_keeps_reposts_and_skips_original_posts():
    track = {"id": 3, "user": {"id": 5, "permalink": "p", "username": "u"}}
    items = [{"type": "track-repost", "created_at": "t1", "track": track},
             {"type": "track", "created_at": "t2", "track": track}]
    edges, skipped = edges_from_items("reposts", items, SOURCE)
    assert len(edges) == 1 and skipped == {"not_a_repost": 1}


@pytest.mark.parametrize("pair", ["api-v2-user-likes-tracks-2026-02", "api-v2-user-likes-playlists-2026-02",
                                  "api-v2-user-followers-2019-03"])
def test_captured_page_chains_link_by_cursor(pair):
    files = capture_files(f"{pair}-page*.json")
    if not files:
        pytest.skip(f"{CAPTURES} is absent on this machine (real captures live only there)")
    pages = [parse_collection(path.read_bytes()) for path in files]
    # The browser requested page 1 without offset and each next page at the previous next_href,
    # with its client params appended (in arrival order reversed, to prove ordering is by chain).
    pages[0].url = "https://api-v2.soundcloud.com/users/1/likes?client_id=" + "a" * 32 + "&limit=20"
    for previous, page in zip(pages, pages[1:]):
        page.url = with_client_params(previous.next_href, {"client_id": "a" * 32, "app_version": "1"})
    ordered, complete = chain_pages(list(reversed(pages)))
    assert [id(p) for p in ordered] == [id(p) for p in pages]
    assert complete == (pages[-1].next_href is None)


def test_next_href_gets_client_params_once():
    next_href = "https://api-v2.soundcloud.com/users/1/likes?offset=2025-07-08T15%3A40%3A31.345Z%2Cuser-playlist-likes%2C000-1-2&limit=20"
    url = with_client_params(next_href, {"client_id": "c" * 32, "app_version": "17"})
    assert client_params_of(url) == {"client_id": "c" * 32, "app_version": "17"}
    assert cursor_of(url) == cursor_of(next_href) == "2025-07-08T15:40:31.345Z,user-playlist-likes,000-1-2"
    assert page_key(url) == page_key(next_href)
    # A next_href that already carries a client_id (2026 comments capture) keeps its own.
    already = "https://api-v2.soundcloud.com/tracks/1/comments?client_id=" + "x" * 32 + "&offset=10"
    assert with_client_params(already, {"client_id": "c" * 32}).count("client_id") == 1


def test_gap_in_the_chain_stops_it():
    first = parse_collection('{"collection":[{"a":1}],"next_href":"https://h/l?offset=2"}', url="https://h/l")
    third = parse_collection('{"collection":[{"a":3}],"next_href":null}', url="https://h/l?offset=3")
    ordered, complete = chain_pages([first, third])
    assert ordered == [first] and not complete


def test_an_empty_try_again_page_is_superseded_by_the_real_one():
    empty = parse_collection('{"collection":[],"next_href":"https://h/l?offset=0&limit=2"}', url="https://h/l?offset=0")
    real = parse_collection('{"collection":[{"a":1}],"next_href":null}', url="https://h/l?offset=0&client_id=x")
    ordered, complete = chain_pages([empty, real])
    assert ordered == [real] and complete
    # Alone, the self-pointing page is an unfinished list, not an endless loop.
    ordered, complete = chain_pages([empty])
    assert ordered == [empty] and not complete


def test_page_size_is_raised_never_lowered():
    first = "https://api-v2.soundcloud.com/users/1/likes?client_id=c&limit=24&offset=0&linked_partitioning=1"
    bigger = with_page_size(first, 200)
    assert "limit=200" in bigger and page_key(bigger) != page_key(first)
    assert client_params_of(bigger) == client_params_of(first)
    assert with_page_size(bigger.replace("limit=200", "limit=300"), 200).count("limit=300") == 1
    assert with_page_size("https://h/l?offset=5", 200) == "https://h/l?offset=5"
