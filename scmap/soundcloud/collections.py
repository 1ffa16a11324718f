"""The api-v2 list envelope `{"collection": [...], "next_href": ..., "query_urn": ...}`.

Pagination facts this relies on (docs/soundcloud-web.md 1.3 and the captures):
- `next_href` is an opaque cursor URL, null (or absent) at the end of the list;
- it does not carry `client_id` (one 2026 capture does): the client re-appends it;
- a page may hold fewer items than asked, even none, and still have a `next_href`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters the web client adds to every call; they do not identify a page.
CLIENT_PARAMS = ("client_id", "app_version", "app_locale", "linked_partitioning", "user_id")


class CollectionError(ValueError):
    """The body is not an api-v2 list page."""


class TruncatedJSONError(CollectionError):
    """The body is cut off or otherwise not JSON (a dropped connection, a proxy error page)."""


@dataclass
class CollectionPage:
    """One decoded list page."""

    collection: list[dict[str, Any]]
    next_href: str | None
    url: str | None = None
    skipped: list[Any] = field(default_factory=list)  # collection entries that are not objects


def parse_collection(body: str | bytes, url: str | None = None) -> CollectionPage:
    """Decode one list page; raises TruncatedJSONError / CollectionError with a clear message."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError as error:
        raise TruncatedJSONError(
            f"not valid JSON ({len(text)} chars, {error.msg} at char {error.pos}): "
            f"{text[max(0, error.pos - 40):error.pos]!r}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("collection"), list):
        raise CollectionError(f"no `collection` list in {type(data).__name__} body")
    next_href = data.get("next_href")
    items = [entry for entry in data["collection"] if isinstance(entry, dict)]
    skipped = [entry for entry in data["collection"] if not isinstance(entry, dict)]
    return CollectionPage(
        collection=items,
        next_href=next_href if isinstance(next_href, str) and next_href else None,
        url=url,
        skipped=skipped,
    )


def web_client_params(client_id: str, app_version: str | None) -> dict[str, str]:
    """What the web client adds to every api-v2 URL (docs/soundcloud-web.md 1.2)."""
    params = {"client_id": client_id, "app_locale": "en"}
    if app_version:
        params["app_version"] = app_version
    return params


def with_client_params(next_href: str, params: dict[str, str]) -> str:
    """`next_href` plus the client's own parameters (client_id...), never duplicating one."""
    parts = urlsplit(next_href)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    query += [(name, value) for name, value in params.items() if value and name not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_page_size(url: str, page_size: int) -> str:
    """`url` asking for `page_size` items, when it asks for fewer (never shrinks a page)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    limits = [value for name, value in query if name == "limit"]
    if not limits or not limits[0].isdigit() or int(limits[0]) >= page_size:
        return url
    query = [(name, str(page_size) if name == "limit" else value) for name, value in query]
    return urlunsplit(parts._replace(query=urlencode(query)))


def client_params_of(url: str) -> dict[str, str]:
    """The client parameters (client_id, app_version, ...) a captured request URL carries."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return {name: query[name] for name in CLIENT_PARAMS if query.get(name)}


def page_key(url: str) -> str:
    """What identifies a list page: path + cursor/limit, without the client parameters.

    A request the browser made (with client_id...) and the `next_href` that points at it
    (without) get the same key, which is how captured pages are chained in list order.
    """
    parts = urlsplit(url)
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in CLIENT_PARAMS and value != ""
    )
    return f"{parts.path}?{urlencode(query)}"


def cursor_of(url: str) -> str | None:
    """The `offset` cursor of a page URL, None for the first page (no offset, or `0`)."""
    offset = dict(parse_qsl(urlsplit(url).query)).get("offset")
    return None if offset in (None, "", "0") else offset


def chain_pages(pages: list[CollectionPage]) -> tuple[list[CollectionPage], bool]:
    """Captured pages in list order by following `next_href` from the first page.

    Returns (ordered pages, complete) where complete means the chain ran to a null next_href.
    Pages that arrived twice (a retry) count once; pages not reachable from the first one
    (e.g. after a lost page) are left out, since what follows a gap is not "the most recent N".
    A page whose next_href points back at its own cursor (an empty page saying "try again
    here") is superseded by a later copy of that page that moves on.
    """
    by_cursor: dict[str | None, CollectionPage] = {}
    for page in pages:
        if page.url is None:
            continue
        cursor = cursor_of(page.url)
        known = by_cursor.get(cursor)
        if known is None or (_points_at_itself(known) and not _points_at_itself(page)):
            by_cursor[cursor] = page
    ordered: list[CollectionPage] = []
    page = by_cursor.get(None)
    seen: set[int] = set()
    while page is not None and id(page) not in seen:
        seen.add(id(page))
        ordered.append(page)
        if page.next_href is None:
            return ordered, True
        page = by_cursor.get(cursor_of(page.next_href))
    return ordered, False


def _points_at_itself(page: CollectionPage) -> bool:
    return page.next_href is not None and page.url is not None and (
        cursor_of(page.next_href) == cursor_of(page.url))
