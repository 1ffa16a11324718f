"""The DOM fallback's mapping, pure: rendered list entries (scmap.soundcloud.dom) and the api-v2
objects their hrefs resolved to -> the same edges the JSON path gives (scmap.soundcloud.edges).

The rendered DOM carries hrefs (`/{artist}/{track}`, `/{artist}/sets/{playlist}`, `/{user}`)
and names, no numeric ids. `GET {api}/resolve?url={web}{path}&client_id=...` answers the full
track / playlist / user object (docs/soundcloud-web.md 1.1), which is what the list JSON would
have carried; fetching it inside the page is scmap/spiders/dom_fallback.py's job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from scmap.soundcloud.dom import DomEntry
from scmap.soundcloud.edges import EDGE_MAPPERS, Edge, Source, Unmappable


@dataclass
class DomRead:
    """The fallback's entries (list order, cut at the limit) and what resolving gave."""

    entries: list[DomEntry]
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)  # object_path -> API object
    errors: Counter[str] = field(default_factory=Counter)  # stat name -> count
    client_id: str | None = None


def resolve_url(api_url: str, web_url: str, path: str, client_id: str) -> str:
    return f"{api_url}/resolve?url={quote(web_url + path, safe='')}&client_id={quote(client_id)}"


def paths_to_resolve(entries: list[DomEntry]) -> list[str]:
    """Unique hrefs of the entries the markup gave no ids for, in list order."""
    paths: list[str] = []
    for entry in entries:
        if (entry.dst_id is None or entry.object_id is None) and entry.object_path \
                and entry.object_path not in paths:
            paths.append(entry.object_path)
    return paths


def _item_for(interaction: str, entry: DomEntry, obj: dict[str, Any]) -> dict[str, Any]:
    """The list item the JSON path would have had for this entry (same mapper afterwards)."""
    kind = obj.get("kind")
    if interaction == "follows":
        if kind not in (None, "user"):
            raise Unmappable("resolved_wrong_kind", f"{entry.object_path} is a {kind}")
        return obj
    if kind not in ("track", "playlist") or (interaction == "comments" and kind != "track"):
        raise Unmappable("resolved_wrong_kind", f"{entry.object_path} is a {kind}")
    item: dict[str, Any] = {"created_at": entry.created_at, kind: obj}
    if interaction == "reposts":
        item["type"] = f"{kind}-repost"
    return item


def edges_from_dom(interaction: str, read: DomRead, source: Source) -> tuple[list[Edge], Counter[str]]:
    """Edges of the DOM entries, in list order: ids from the markup where it had them, else from
    the resolved objects; entries without either are counted, not guessed."""
    mapper = EDGE_MAPPERS[interaction]
    edges: list[Edge] = []
    skipped: Counter[str] = Counter()
    for entry in read.entries:
        if entry.dst_id is not None and entry.object_id is not None:
            edges.append({
                "src_id": source.id, "src_permalink": source.permalink, "dst_id": entry.dst_id,
                "dst_permalink": entry.dst_permalink, "dst_username": entry.dst_username,
                "dst_followers_count": None, "interaction": interaction,
                "object_kind": entry.object_kind, "object_id": entry.object_id,
                "created_at": entry.created_at,
            })
            continue
        obj = read.resolved.get(entry.object_path or "")
        if obj is None:
            skipped["unresolved"] += 1
            continue
        try:
            edges.append(mapper(_item_for(interaction, entry, obj), source))
        except Unmappable as error:
            skipped[error.reason] += 1
    return edges, skipped
