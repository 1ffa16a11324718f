"""List items of the four api-v2 lists -> edge dicts (the EdgeItem fields, docs/architecture.md).

An edge is `src -> dst`: src is the crawled account, dst the owner of the liked / commented /
reposted track or playlist, or the followed user. Values are kept exactly as the site gives
them (display names untouched; BLOCK / SNIP tracks and self-interactions included: the site
lists them, so they are interactions). An item an edge cannot be made from (a deleted object
sent as null, an original post in a stream list) raises `Unmappable` with a short reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Edge = dict[str, Any]


class Unmappable(ValueError):
    """This list item cannot become an edge; `reason` is a short stat-friendly name."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Source:
    """The crawled account (src of every edge of its list)."""

    id: int
    permalink: str | None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _edge(source: Source, interaction: str, owner: dict[str, Any] | None, owner_id: Any,
          object_kind: str, object_id: Any, created_at: Any) -> Edge:
    owner = owner if isinstance(owner, dict) else {}
    dst_id = _int(owner.get("id")) if owner.get("id") is not None else _int(owner_id)
    if dst_id is None:
        raise Unmappable("no_owner", f"{object_kind} {object_id!r} has no owner id")
    object_number = _int(object_id)
    if object_number is None:
        raise Unmappable("no_object_id", f"{object_kind} id {object_id!r}")
    followers = owner.get("followers_count")
    return {
        "src_id": source.id,
        "src_permalink": source.permalink,
        "dst_id": dst_id,
        "dst_permalink": owner.get("permalink"),
        "dst_username": owner.get("username"),
        "dst_followers_count": _int(followers),
        "interaction": interaction,
        "object_kind": object_kind,
        "object_id": object_number,
        "created_at": created_at if isinstance(created_at, str) else None,
    }


def _track_or_playlist(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for kind in ("track", "playlist"):
        value = item.get(kind)
        if isinstance(value, dict):
            return kind, value
    if any(kind in item for kind in ("track", "playlist")):
        raise Unmappable("deleted_object", "track/playlist is null")
    raise Unmappable("no_object", f"item keys {sorted(item)[:8]}")


def like_edge(item: dict[str, Any], source: Source) -> Edge:
    """`{created_at, kind: "like", track | playlist}` (playlists come without their tracks)."""
    kind, obj = _track_or_playlist(item)
    return _edge(source, "likes", obj.get("user"), obj.get("user_id"), kind, obj.get("id"),
                 item.get("created_at"))


def repost_edge(item: dict[str, Any], source: Source) -> Edge:
    """`{created_at, type: "track-repost" | "playlist-repost", user: reposter, track | playlist}`."""
    item_type = item.get("type")
    if isinstance(item_type, str) and not item_type.endswith("-repost"):
        raise Unmappable("not_a_repost", f"type {item_type!r}")
    kind, obj = _track_or_playlist(item)
    return _edge(source, "reposts", obj.get("user"), obj.get("user_id"), kind, obj.get("id"),
                 item.get("created_at"))


def comment_edge(item: dict[str, Any], source: Source) -> Edge:
    """`{kind: "comment", id, body, created_at, track_id, track: {.., user}}`: edge to the track."""
    track = item.get("track") if isinstance(item.get("track"), dict) else {}
    if item.get("track") is None and "track" in item:
        raise Unmappable("deleted_object", "comment on a null track")
    track_id = track.get("id", item.get("track_id"))
    return _edge(source, "comments", track.get("user"), track.get("user_id"), "track", track_id,
                 item.get("created_at"))


def following_edge(item: dict[str, Any], source: Source) -> Edge:
    """A followings item is the followed user itself; the API gives no follow time."""
    kind = item.get("kind")
    if kind is not None and kind != "user":
        raise Unmappable("not_a_user", f"kind {kind!r}")
    return _edge(source, "follows", item, None, "user", item.get("id"),
                 item.get("followed_at"))


# Every key the mappers above read, at any depth (plus the list envelope's): a list page cut
# down to these keys maps to exactly the same edges. Session mode trims pages to them inside
# the browser, so ~1/10 of each page crosses from Chromium to Python.
EDGE_SOURCE_KEYS = frozenset({
    "collection", "next_href",  # the envelope
    "created_at", "kind", "type", "track", "playlist", "user", "user_id", "id", "track_id",
    "followed_at", "permalink", "username", "followers_count",
})

EDGE_MAPPERS: dict[str, Callable[[dict[str, Any], Source], Edge]] = {
    "likes": like_edge,
    "comments": comment_edge,
    "reposts": repost_edge,
    "follows": following_edge,
}


def edges_from_items(
    interaction: str, items: list[dict[str, Any]], source: Source
) -> tuple[list[Edge], dict[str, int]]:
    """Edges of a list's items in list order, and counts of items skipped by reason."""
    mapper = EDGE_MAPPERS[interaction]
    edges: list[Edge] = []
    skipped: dict[str, int] = {}
    for item in items:
        try:
            edges.append(mapper(item, source))
        except Unmappable as error:
            skipped[error.reason] = skipped.get(error.reason, 0) + 1
    return edges, skipped
