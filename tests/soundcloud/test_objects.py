"""objects.py on every captured api-v2 list that carries tracks or playlists (docs/soundcloud-web.md 7)."""

from __future__ import annotations

import pytest

from scmap.soundcloud.collections import parse_collection
from scmap.soundcloud.objects import OBJECT_FIELDS, OBJECT_SOURCE_KEYS, objects_from_collection, split_tag_list
from scmap.soundcloud.edges import EDGE_SOURCE_KEYS

from .captures import CAPTURES, capture_files, capture_params, load_json


def _capture_items(name: str) -> list[dict]:
    files = capture_files(name)
    if not files:
        pytest.skip(f"{CAPTURES} is absent on this machine (real captures live only there)")
    return parse_collection(files[0].read_bytes()).collection


def _carried(item: dict) -> dict | None:
    if item.get("kind") in ("track", "playlist"):
        return item
    return next((item[k] for k in ("track", "playlist") if isinstance(item.get(k), dict)), None)


@pytest.mark.parametrize("path", capture_params("api-v2-*.json"))
def test_every_list_capture_gives_one_record_per_carried_object(path):
    raw = load_json(path)
    if "collection" not in raw:
        return  # a single user or track object, not a list page
    items = parse_collection(path.read_bytes()).collection
    records = objects_from_collection(items)
    carried = [obj for obj in map(_carried, items) if obj is not None]
    assert [(r["kind"], r["object_id"]) for r in records] == [(o["kind"], o["id"]) for o in carried]
    for record, obj in zip(records, carried):
        assert tuple(record) == OBJECT_FIELDS
        assert record["owner_id"] == obj["user_id"] == obj["user"]["id"]
        assert (record["title"], record["permalink"], record["created_at"]) == (
            obj["title"], obj["permalink"], obj["created_at"])
        assert record["duration_ms"] == obj["duration"]
        for name in ("likes_count", "reposts_count"):
            assert record[name] == obj[name]
        if obj["kind"] == "track":
            assert isinstance(obj["genre"], str) and isinstance(obj["tag_list"], str)  # never null on a track
            assert record["genre"] == (obj["genre"].strip() or None)
            assert record["tags"] == split_tag_list(obj["tag_list"])
            assert (record["playback_count"], record["comment_count"]) == (obj["playback_count"], obj["comment_count"])
        else:
            # a playlist inside a list item has no genre, tag_list, playback_count, comment_count
            assert "tag_list" not in obj and "genre" not in obj
            assert (record["genre"], record["tags"], record["playback_count"], record["comment_count"]) == (
                None, None, None, None)


def test_likes_of_tracks_quoted_multi_word_tags_null_genre_and_null_counts():
    items = _capture_items("api-v2-user-likes-tracks-2026-02-page1.json")
    records = {r["object_id"]: r for r in objects_from_collection(items)}
    assert len(records) == 19
    # `"minimal " "microhouse "`: quoted single words with a space inside the quotes
    assert records[2124963702]["tags"] == ["minimal", "microhouse"]
    assert records[2124963702]["genre"] == "Electronic"
    assert records[2222684030]["tags"] == [
        "rominimal", "minimal", "dark minimal", "thesis podcast", "promoz", "minimal house", "live"]
    # any script, apostrophes, a quoted tag with a leading space
    assert records[2166030600]["tags"] == [
        "Techno", "tekno", "mental", "acid", "acidcore", "l'art cène", "prince des étoiles", "أمير النجوم",
        "arab", "oud", "Électro", "electronic", "jarring effects"]
    # genre "" -> null, tag_list "" -> []
    assert records[1541073817]["genre"] is None and records[1541073817]["tags"] == []
    # the MONETIZE / BLACKBOX track: counts null, kept as null
    blackbox = records[2220102749]
    assert (blackbox["playback_count"], blackbox["likes_count"], blackbox["comment_count"]) == (None, None, None)
    assert blackbox["reposts_count"] == 0
    assert records[2124963702]["created_at"] == "2025-07-05T08:58:38Z"
    assert records[2124963702]["owner_id"] == 796585885


def test_likes_of_playlists():
    items = _capture_items("api-v2-user-likes-playlists-2026-02-page1.json")
    records = objects_from_collection(items)
    assert len(records) == 20 and {r["kind"] for r in records} == {"playlist"}
    first = records[0]
    assert first == {
        "object_id": 1782559458, "owner_id": 260132959, "kind": "playlist", "title": "white girl music x sped up",
        "permalink": "white-girl-music-x-sped-up", "created_at": "2024-02-26T12:39:01Z", "genre": None, "tags": None,
        "duration_ms": 16767867, "playback_count": None, "likes_count": 12280, "reposts_count": 241,
        "comment_count": None}


def test_the_reposts_stream_and_a_users_own_tracks():
    reposts = objects_from_collection(_capture_items("api-v2-stream-users-reposts-2020-05.json"))
    assert len(reposts) == 19 and {r["genre"] for r in reposts} == {"Nightcore"}
    by_id = {r["object_id"]: r for r in reposts}
    assert by_id[460742265]["tags"] == ["Nightcore", "Tatarka", "Little Big"]
    own = objects_from_collection(_capture_items("api-v2-user-tracks-2022-01-lakeyinspired.json"))
    assert [r["tags"] for r in own] == [[], ["LAKEY INSPIRED"], []]
    assert {r["owner_id"] for r in own} == {103470313} and {r["genre"] for r in own} == {None}
    dubstep = objects_from_collection(_capture_items("api-v2-user-tracks-2026-02-page1.json"))
    assert dubstep[-1]["tags"] == ["Dubstep", "Dance & EDM"]


def test_lists_of_users_and_a_tracks_comments_carry_no_objects():
    assert objects_from_collection(_capture_items("api-v2-user-followings-2026-02.json")) == []
    assert objects_from_collection(_capture_items("api-v2-track-comments-2026-04.json")) == []


def test_a_users_comments_carry_the_reduced_track():
    """The user-comments list (docs 2.5): the nested track lacks genre, tag_list and counts."""
    comment = {"kind": "comment", "id": 1, "body": "🔥", "created_at": "2024-02-11T22:05:09Z", "track_id": 9,
               "track": {"id": 9, "kind": "track", "title": "Nuit", "permalink": "nuit", "user_id": 5,
                         "user": {"id": 5}, "duration": 201000, "display_date": "2023-11-05T21:14:00Z"}}
    [record] = objects_from_collection([comment])
    assert (record["object_id"], record["owner_id"], record["title"], record["duration_ms"]) == (9, 5, "Nuit", 201000)
    assert record["tags"] is None and record["genre"] is None and record["created_at"] is None
    assert record["likes_count"] is None


def test_unusable_items_are_left_out_not_guessed():
    items = [
        {"kind": "like", "track": None},  # deleted object
        {"kind": "like", "track": {"kind": "track", "id": "x", "user_id": 1}},  # no numeric id
        {"kind": "like", "playlist": {"kind": "playlist", "id": 3}},  # no owner
        {"kind": "user", "id": 4},  # a followings item
        "not an object",
        {"kind": "like", "track": {"kind": "track", "id": 5, "user": {"id": 6}, "tag_list": 'a "b c', "genre": 7,
                                   "likes_count": True}},
    ]
    [record] = objects_from_collection(items)
    assert (record["object_id"], record["owner_id"], record["tags"]) == (5, 6, ["a", "b c"])
    assert record["genre"] is None and record["likes_count"] is None


@pytest.mark.parametrize(("tag_list", "tags"), [
    ("", []), ("   ", []), (None, None), (12, None),
    ('chill "late night" lo-fi', ["chill", "late night", "lo-fi"]),
    ('"minimal " "microhouse "', ["minimal", "microhouse"]),
    ('"" " " solo', ["solo"]),
    ('dup dup', ["dup", "dup"]),
    ('a "unclosed tag', ["a", "unclosed tag"]),
    ('ab"cd ef"', ["ab", "cd ef"]),
    ("tab\tand\nnewline", ["tab", "and", "newline"]),
])
def test_split_tag_list(tag_list, tags):
    assert split_tag_list(tag_list) == tags


def test_a_page_trimmed_to_the_source_keys_gives_the_same_objects():
    """Session mode trims pages to the keys the parsers read: the objects' keys must be kept too."""
    items = _capture_items("api-v2-user-likes-tracks-2026-02-page1.json")
    keys = EDGE_SOURCE_KEYS | OBJECT_SOURCE_KEYS

    def trim(value):
        if isinstance(value, dict):
            return {k: trim(v) for k, v in value.items() if k in keys}
        if isinstance(value, list):
            return [trim(v) for v in value]
        return value

    assert objects_from_collection(trim(items)) == objects_from_collection(items)
