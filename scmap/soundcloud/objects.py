"""Tracks and playlists carried by api-v2 list items -> object records (the ObjectItem fields).

Every list the crawl reads carries the liked / reposted / commented track or playlist inside its
items, with its own metadata: upload time, `genre`, `tag_list`, title, counts (docs/soundcloud-web.md
2.2-2.5 and 7). `objects_from_collection` keeps it, in list order:

- likes: `{created_at, kind: "like", track | playlist}`; reposts (and the stream's original posts):
  `{type, user, track | playlist}`; a user's comments: `{kind: "comment", ..., track}` whose track is
  the reduced one (no `genre`, `tag_list` or counts: those fields are None, `tags` too);
- a user's own tracks / playlists lists: the items are the objects themselves (`kind` "track" /
  "playlist");
- followings / followers and a track's comments (no `track` in the item) carry none.

Values stay as the site gives them except where noted: `created_at` the ISO-8601 string (the
Parquet writer types it), `genre` with surrounding spaces stripped and "" (no genre, as tracks
send it) as None, `tags` the `tag_list` split by `split_tag_list`. A playlist inside a list item
has no `genre`, `tag_list`, `playback_count` or `comment_count` (2026 playlist-likes capture): None.
An object without a numeric id or owner id is left out (nothing to key it by).
"""

from __future__ import annotations

import re
from typing import Any

from scmap.soundcloud.edges import _int  # the one reading of a JSON id or count (bool is not one)

ObjectRecord = dict[str, Any]

OBJECT_KINDS = ("track", "playlist")

# The fields of a record, in the order of the objects schema (scmap/pipelines/edge_schema.py).
OBJECT_FIELDS = (
    "object_id", "owner_id", "kind", "title", "permalink", "created_at", "genre", "tags", "duration_ms",
    "playback_count", "likes_count", "reposts_count", "comment_count",
)

# Every key the walk below reads, at any depth beyond the edges' (scmap/soundcloud/edges.py
# EDGE_SOURCE_KEYS): a page trimmed to both sets gives the same edges and the same objects.
OBJECT_SOURCE_KEYS = frozenset({
    "track", "playlist", "kind", "id", "user_id", "user", "title", "permalink", "created_at", "genre",
    "tag_list", "duration", "playback_count", "likes_count", "reposts_count", "comment_count",
})

# docs/soundcloud-web.md 7: space-separated; a tag holding spaces is in double quotes. An unclosed
# quote runs to the end of the list; a quote inside a bare word starts a quoted tag.
_TAG = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')


def split_tag_list(tag_list: Any) -> list[str] | None:
    """SoundCloud's `tag_list` as a list of tags, in the order written.

    `chill "late night" lo-fi` -> ["chill", "late night", "lo-fi"]. Spaces inside the quotes are
    stripped (`"minimal "` -> "minimal", as some uploaders' tools write them), empty tags dropped,
    repeats kept. "" -> []; None or a non-string (the item carried no tag_list) -> None.
    """
    if not isinstance(tag_list, str):
        return None
    tags = []
    for match in _TAG.finditer(tag_list):
        quoted, bare = match.groups()
        tag = (quoted if quoted is not None else bare).strip()
        if tag:
            tags.append(tag)
    return tags


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _genre(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def object_record(obj: dict[str, Any]) -> ObjectRecord | None:
    """One track or playlist object -> record; None when it has no usable kind, id or owner."""
    kind = obj.get("kind")
    if kind not in OBJECT_KINDS:
        return None
    object_id = _int(obj.get("id"))
    owner = obj.get("user") if isinstance(obj.get("user"), dict) else {}
    owner_id = _int(obj.get("user_id"))
    if owner_id is None:
        owner_id = _int(owner.get("id"))
    if object_id is None or owner_id is None:
        return None
    return {
        "object_id": object_id,
        "owner_id": owner_id,
        "kind": kind,
        "title": _text(obj.get("title")),
        "permalink": _text(obj.get("permalink")),
        "created_at": _text(obj.get("created_at")),
        "genre": _genre(obj.get("genre")),
        "tags": split_tag_list(obj.get("tag_list")),
        "duration_ms": _int(obj.get("duration")),
        "playback_count": _int(obj.get("playback_count")),
        "likes_count": _int(obj.get("likes_count")),
        "reposts_count": _int(obj.get("reposts_count")),
        "comment_count": _int(obj.get("comment_count")),
    }


def _carried_object(item: dict[str, Any]) -> dict[str, Any] | None:
    if item.get("kind") in OBJECT_KINDS:
        return item  # a user's own tracks / playlists list
    for kind in OBJECT_KINDS:
        value = item.get(kind)
        if isinstance(value, dict):
            return value
    return None  # a user (followings), a deleted object (null), a track's own comment


def objects_from_collection(collection: list[Any]) -> list[ObjectRecord]:
    """The tracks and playlists the items of one api-v2 list page carry, as records with the
    OBJECT_FIELDS (the ObjectItem fields but `scraped_at` and `crawl_id`), in list order.

    Works on any list page: likes, reposts / the stream, a user's comments, a user's own tracks
    or playlists; followings / followers give []. An object listed twice on the page (two
    comments on one track) gives two records: the writer keeps one per crawl.
    Use: `ObjectItem(record)` for each (scmap/items.py `object_items`).
    """
    records = []
    for item in collection:
        if not isinstance(item, dict):
            continue
        obj = _carried_object(item)
        record = None if obj is None else object_record(obj)
        if record is not None:
            records.append(record)
    return records
