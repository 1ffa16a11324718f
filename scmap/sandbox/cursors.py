"""Pagination cursors in the formats api-v2 puts in `next_href` (`offset=`).

Each list type uses the shape seen on the real site (docs/soundcloud-web.md 1.4 and the captures):

- likes:       `2025-11-08T10:30:30.000Z,user-track-likes,000-<20-digit user id>-<20-digit object id>`
- reposts:     `2022-04-01T15:53:45.000Z,source:track:repost,<20-digit object id>`
- follows:     epoch milliseconds, e.g. `1697659621514`
- comments:    a plain numeric offset, e.g. `20`

A cursor names the last interaction of the page it ends (listed or not), so the next page starts
right after it. The world has second precision, so the millisecond digits of the follow cursor
are free: they carry the rank of that row among rows of the same second, which keeps the cursor
exact when several follows share a timestamp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

ID_DIGITS = 20
MAX_ID = 2**61  # ids above this cannot be in the world (and would overflow the int64 tiebreak)
MAX_TIES_PER_SECOND = 999


class CursorError(ValueError):
    """The `offset` parameter is not a cursor of the expected format."""


def iso_millis(epoch_seconds: int) -> str:
    """`1700000000` -> `2023-11-14T22:13:20.000Z` (the cursor style of the real site)."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"


def _parse_iso_millis(text: str) -> int:
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,6})?Z", text)
    if not match:
        raise CursorError(f"bad timestamp in cursor: {text!r}")
    try:
        moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError as error:
        raise CursorError(str(error)) from None
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def _object_id(digits: str) -> int:
    value = int(digits)
    if value > MAX_ID:
        raise CursorError(f"object id out of range: {digits}")
    return value


def _padded(number: int) -> str:
    return str(number).zfill(ID_DIGITS)


@dataclass(frozen=True)
class ObjectCursor:
    """Position after the interaction with this time, object kind and object id."""

    created_at: int
    object_kind: str  # "track" or "playlist"
    object_id: int


def encode_likes_cursor(created_at: int, object_kind: str, owner_id: int, object_id: int) -> str:
    like_kind = "user-playlist-likes" if object_kind == "playlist" else "user-track-likes"
    return f"{iso_millis(created_at)},{like_kind},000-{_padded(owner_id)}-{_padded(object_id)}"


def decode_likes_cursor(text: str) -> ObjectCursor:
    parts = text.split(",")
    if len(parts) != 3 or parts[1] not in ("user-track-likes", "user-playlist-likes"):
        raise CursorError(f"not a likes cursor: {text!r}")
    match = re.fullmatch(r"\d{3}-(\d{1,20})-(\d{1,20})", parts[2])
    if not match:
        raise CursorError(f"bad ids in likes cursor: {text!r}")
    kind = "playlist" if parts[1] == "user-playlist-likes" else "track"
    return ObjectCursor(_parse_iso_millis(parts[0]), kind, _object_id(match.group(2)))


def encode_repost_cursor(created_at: int, object_kind: str, object_id: int) -> str:
    kind = "playlist" if object_kind == "playlist" else "track"
    return f"{iso_millis(created_at)},source:{kind}:repost,{_padded(object_id)}"


def decode_repost_cursor(text: str) -> ObjectCursor:
    match = re.fullmatch(r"([^,]+),source:(track|playlist):repost,(\d{1,20})", text)
    if not match:
        raise CursorError(f"not a repost cursor: {text!r}")
    return ObjectCursor(_parse_iso_millis(match.group(1)), match.group(2), _object_id(match.group(3)))


@dataclass(frozen=True)
class TimeRankCursor:
    """Position after the `rank`-th row (0-based) among rows created in second `created_at`."""

    created_at: int
    rank: int


def encode_epoch_ms_cursor(created_at: int, rank: int) -> str:
    return str(created_at * 1000 + min(rank, MAX_TIES_PER_SECOND))


def decode_epoch_ms_cursor(text: str) -> TimeRankCursor:
    if not re.fullmatch(r"\d{1,16}", text):
        raise CursorError(f"not an epoch-ms cursor: {text!r}")
    millis = int(text)
    return TimeRankCursor(millis // 1000, millis % 1000)


def encode_offset_cursor(position: int) -> str:
    return str(position)


def decode_offset_cursor(text: str) -> int:
    if not re.fullmatch(r"\d{1,9}", text):
        raise CursorError(f"not a numeric offset: {text!r}")
    return int(text)
