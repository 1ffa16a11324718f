"""Arrow schemas of the Parquet output (edges, accounts, objects), and the conversion of items
into typed rows.

The conversion is where bad input is caught: a value that cannot be typed either becomes
null (optional fields, with a note for the log) or rejects the whole row (`BadRowError`,
identity-key fields), so that writing a batch of converted rows can never fail on data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

# `interaction` is the hive partition column: it lives in the directory name, not in the files.
PARTITION_COLUMN = "interaction"
# A partition value becomes a directory name, so it must never contain `/`, `..` or `=`.
PARTITION_VALUE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

EDGE_SCHEMA = pa.schema(
    [
        pa.field("src_id", pa.int64(), nullable=False),
        pa.field("src_permalink", pa.string()),
        pa.field("dst_id", pa.int64(), nullable=False),
        pa.field("dst_permalink", pa.string()),
        pa.field("dst_username", pa.string()),
        pa.field("dst_followers_count", pa.int64()),
        pa.field("object_kind", pa.string(), nullable=False),
        pa.field("object_id", pa.int64(), nullable=False),
        pa.field("created_at", UTC_TIMESTAMP),
        pa.field("scraped_at", UTC_TIMESTAMP),
        pa.field("crawl_id", pa.string()),
    ]
)

ACCOUNT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("permalink", pa.string()),
        pa.field("username", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("followings_count", pa.int64()),
        pa.field("track_count", pa.int64()),
        pa.field("scraped_at", UTC_TIMESTAMP),
        pa.field("crawl_id", pa.string()),
    ]
)

# Tracks and playlists the list items carried (docs/architecture.md, "Parquet output"): one
# directory per `kind`, which, like `interaction`, lives in the directory name only.
OBJECT_PARTITION_COLUMN = "kind"
OBJECT_KINDS = ("track", "playlist")

OBJECT_SCHEMA = pa.schema(
    [
        pa.field("object_id", pa.int64(), nullable=False),
        pa.field("owner_id", pa.int64(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("permalink", pa.string()),
        pa.field("created_at", UTC_TIMESTAMP),  # upload time
        pa.field("genre", pa.string()),
        pa.field("tags", pa.list_(pa.string())),  # null: the list item carried no tag_list
        pa.field("duration_ms", pa.int64()),
        pa.field("playback_count", pa.int64()),
        pa.field("likes_count", pa.int64()),
        pa.field("reposts_count", pa.int64()),
        pa.field("comment_count", pa.int64()),
        pa.field("scraped_at", UTC_TIMESTAMP),
        pa.field("crawl_id", pa.string()),
    ]
)
OBJECT_COUNTS = ("duration_ms", "playback_count", "likes_count", "reposts_count", "comment_count")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The old public API's format; api-v2 uses ISO-8601 (`2024-02-11T22:05:09Z`).
LEGACY_TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S %z"


class BadRowError(ValueError):
    """The item cannot be stored: a field of the identity key is missing or untypable."""


@dataclass
class TypedRow:
    """One item converted to schema types, plus notes on optional values that became null."""

    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def parse_site_timestamp(value: Any) -> datetime | None:
    """The site's timestamp as an aware UTC datetime; None when absent or unparsable.

    Accepts ISO-8601 (`Z` or an offset, with or without fractions; no offset means UTC),
    the old API's `2012/12/06 17:27:19 +0000`, and datetime objects.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.strptime(text, LEGACY_TIMESTAMP_FORMAT)
            except ValueError:
                return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def edge_row(item: Mapping[str, Any]) -> tuple[str, TypedRow]:
    """(interaction, typed row without the partition column) for an EdgeItem."""
    interaction = item.get(PARTITION_COLUMN)
    if not isinstance(interaction, str) or not PARTITION_VALUE.match(interaction):
        raise BadRowError(f"interaction {interaction!r} is not a valid partition value")
    object_kind = _text(item.get("object_kind"))
    if not object_kind:
        raise BadRowError(f"object_kind {item.get('object_kind')!r} is missing")
    row = TypedRow(
        {
            "src_id": _required_int(item, "src_id"),
            "src_permalink": _text(item.get("src_permalink")),
            "dst_id": _required_int(item, "dst_id"),
            "dst_permalink": _text(item.get("dst_permalink")),
            "dst_username": _text(item.get("dst_username")),
            "object_kind": object_kind,
            "object_id": _required_int(item, "object_id"),
            "crawl_id": _text(item.get("crawl_id")),
        }
    )
    row.values["dst_followers_count"] = _optional_int(item, "dst_followers_count", row.notes)
    for name in ("created_at", "scraped_at"):
        row.values[name] = _optional_timestamp(item, name, row.notes)
    return interaction, row


def account_row(item: Mapping[str, Any]) -> TypedRow:
    """Typed row for an AccountItem."""
    row = TypedRow(
        {
            "id": _required_int(item, "id"),
            "permalink": _text(item.get("permalink")),
            "username": _text(item.get("username")),
            "crawl_id": _text(item.get("crawl_id")),
        }
    )
    for name in ("followers_count", "followings_count", "track_count"):
        row.values[name] = _optional_int(item, name, row.notes)
    row.values["scraped_at"] = _optional_timestamp(item, "scraped_at", row.notes)
    return row


def object_row(item: Mapping[str, Any]) -> tuple[str, TypedRow]:
    """(kind, typed row without the partition column) for an ObjectItem."""
    kind = item.get(OBJECT_PARTITION_COLUMN)
    if kind not in OBJECT_KINDS:
        raise BadRowError(f"kind {kind!r} is not one of {OBJECT_KINDS}")
    row = TypedRow(
        {
            "object_id": _required_int(item, "object_id"),
            "owner_id": _required_int(item, "owner_id"),
            "title": _text(item.get("title")),
            "permalink": _text(item.get("permalink")),
            "genre": _text(item.get("genre")),
            "crawl_id": _text(item.get("crawl_id")),
        }
    )
    row.values["tags"] = _optional_tags(item.get("tags"), row.notes)
    for name in OBJECT_COUNTS:
        row.values[name] = _optional_int(item, name, row.notes)
    # A track nested in a user's comments comes without its upload time: null is the data there.
    created_at = item.get("created_at")
    row.values["created_at"] = None if created_at is None else _optional_timestamp(item, "created_at", row.notes)
    row.values["scraped_at"] = _optional_timestamp(item, "scraped_at", row.notes)
    return kind, row


def _optional_tags(value: Any, notes: list[str]) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        notes.append(f"tags {value!r} is not a list of strings: stored as null")
        return None
    return [_text(tag) for tag in value if tag is not None]


def _as_int64(value: Any) -> int | None:
    """`value` as an int64, or None if it is not a whole number in range."""
    if isinstance(value, bool):  # True is an int to Python, never an id or a count to us
        return None
    if isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
    else:
        return None
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        return None
    return number


def _required_int(item: Mapping[str, Any], name: str) -> int:
    number = _as_int64(item.get(name))
    if number is None:
        raise BadRowError(f"{name} {item.get(name)!r} is not an int64")
    return number


def _optional_int(item: Mapping[str, Any], name: str, notes: list[str]) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    number = _as_int64(value)
    if number is None:
        notes.append(f"{name} {value!r} is not an int64: stored as null")
    return number


def _optional_timestamp(item: Mapping[str, Any], name: str, notes: list[str]) -> datetime | None:
    value = item.get(name)
    parsed = parse_site_timestamp(value)
    # Follows have no time on the site (docs/architecture.md): their null is the data, not a
    # fault worth a warning per edge (tens of thousands of log lines in a demo crawl).
    if parsed is None and not (value is None and item.get("interaction") == "follows"):
        notes.append(f"{name} {value!r} is not a timestamp: stored as null")
    return parsed


def _text(value: Any) -> str | None:
    """`value` as a string Parquet can hold: any Unicode kept, lone surrogates replaced."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON can carry a lone surrogate (`"\ud83d"`); UTF-8 cannot. Keep valid pairs, mark the rest.
        text = text.encode("utf-16", errors="surrogatepass").decode("utf-16", errors="replace")
    return text
