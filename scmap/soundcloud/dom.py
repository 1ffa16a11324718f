"""Fallback: list entries read from the rendered DOM, by the web client's documented class names.

Used only when no api-v2 JSON was captured for a page (docs/soundcloud-web.md 4.3). The DOM has
permalinks and display names but rarely numeric ids, so entries carry ids only where the markup
exposes them (`data-*-id` attributes or `soundcloud:` URNs); the spider keeps those it can key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsel import Selector

# `/{user}/{track}`, `/{user}/sets/{playlist}`; anything else under the user is not an object.
_OBJECT_PATH = re.compile(r"^/(?P<owner>[^/?#]+)/(?P<sets>sets/)?(?P<slug>[^/?#]+)/?$")
_USER_PATH = re.compile(r"^/(?P<owner>[^/?#]+)/?$")


@dataclass
class DomEntry:
    """One list entry as rendered."""

    dst_permalink: str | None
    dst_username: str | None
    object_kind: str  # track, playlist, user
    object_path: str | None  # `/{owner}/{slug}` or `/{owner}/sets/{slug}`; the user path for follows
    created_at: str | None = None
    dst_id: int | None = None
    object_id: int | None = None


def _int_attr(node: Selector, *names: str) -> int | None:
    for name in names:
        value = node.attrib.get(name, "")
        digits = value.rsplit(":", 1)[-1]
        if digits.isdigit():
            return int(digits)
    return None


def _text(node: Selector | None) -> str | None:
    if node is None:
        return None
    text = "".join(node.css("::text").getall()).strip()
    return text or None


def _first(nodes: list[Selector]) -> Selector | None:
    return nodes[0] if nodes else None


def sound_entries(html: str) -> list[DomEntry]:
    """Likes / reposts lists: `li.soundList__item` with a `.soundTitle__title` link."""
    entries = []
    for item in Selector(text=html).css("li.soundList__item"):
        title = _first(item.css("a.soundTitle__title"))
        href = title.attrib.get("href", "") if title is not None else ""
        match = _OBJECT_PATH.match(href)
        if not match:
            continue
        owner = _first(item.css("a.soundTitle__username"))
        name = _first(item.css(".soundTitle__usernameText")) or owner
        time = _first(item.css(".relativeTime[datetime], time[datetime]"))
        sound = _first(item.css(".sound")) or item
        entries.append(DomEntry(
            dst_permalink=match.group("owner"),
            dst_username=_text(name),
            object_kind="playlist" if match.group("sets") else "track",
            object_path=href,
            created_at=time.attrib.get("datetime") if time is not None else None,
            dst_id=_int_attr(sound, "data-user-id", "data-owner-id"),
            object_id=_int_attr(sound, "data-track-id", "data-playlist-id", "data-id", "data-urn"),
        ))
    return entries


def user_badge_entries(html: str) -> list[DomEntry]:
    """Following / followers grids: `.userBadgeListItem__heading` links (href + display name)."""
    entries = []
    for item in Selector(text=html).css(".badgeList__item, .usersList__item"):
        heading = _first(item.css("a.userBadgeListItem__heading, a.usersList__itemLink"))
        if heading is None:
            continue
        match = _USER_PATH.match(heading.attrib.get("href", ""))
        if not match:
            continue
        user_id = _int_attr(heading, "data-user-id", "data-id") or _int_attr(item, "data-user-id")
        entries.append(DomEntry(
            dst_permalink=match.group("owner"),
            dst_username=_text(heading),
            object_kind="user",
            object_path=f"/{match.group('owner')}",
            dst_id=user_id,
            object_id=user_id,
        ))
    return entries


def comment_entries(html: str) -> list[DomEntry]:
    """A user's comments page (2017 `commentTitle` view): the commented track's link."""
    entries = []
    page = Selector(text=html)
    # One entry per list item; a bare `.commentTitle` only where there are no list items.
    for item in page.css("li.commentsList__item") or page.css(".commentTitle"):
        link = _first(item.css(".commentTitle__secondary a, a.commentTitle__trackLink"))
        href = link.attrib.get("href", "") if link is not None else ""
        match = _OBJECT_PATH.match(href)
        if not match:
            continue
        time = _first(item.css("[datetime]"))
        entries.append(DomEntry(
            dst_permalink=match.group("owner"),
            dst_username=None,
            object_kind="track",
            object_path=href,
            created_at=time.attrib.get("datetime") if time is not None else None,
            object_id=_int_attr(item, "data-track-id"),
        ))
    return entries


DOM_READERS = {
    "likes": sound_entries,
    "reposts": sound_entries,
    "comments": comment_entries,
    "follows": user_badge_entries,
}
