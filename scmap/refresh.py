"""Refresh crawls (`-a refresh=DAYS`): which accounts are due again, and where to stop reading.

A refresh visit re-reads an account visited `done` more than DAYS ago and keeps only the
interactions newer than the newest one the previous visit stored (its cut-off): the lists are
newest first, so paging (session mode) or scrolling (scroll mode) stops at the first page
holding an item at or older than the cut-off.

The accounts due are a refresh round kept in the frontier store (FrontierStore.begin_refresh,
claim_refresh): every node of a refresh run claims them from there, so N nodes share one round.

Follows carry no date: they are re-read whole (the list is capped by `limit` like any other)
and analysis dedupes the repeated edges; stopping at the first known followed id would need
every known id kept per account in the frontier, for a list that is usually one or two pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from scmap.contract import STATUS_DONE, STATUS_GONE

SECONDS_PER_DAY = 86_400.0
DATED_INTERACTIONS = ("likes", "comments", "reposts")  # follows have no created_at


@dataclass(frozen=True, order=True)
class Cutoff:
    """The newest item a previous visit stored, in list order (created_at, then object id)."""

    created_at: str  # ISO 8601 as the site gives it (same format throughout: compares as text)
    object_id: int

    def encode(self) -> str:
        """As the frontier store keeps it (FrontierStore.visits) and requests carry it."""
        return f"{self.created_at}|{self.object_id}"

    @classmethod
    def decode(cls, text: Any) -> Cutoff | None:
        """None for "" (no cut-off: read the whole list) or anything unreadable."""
        created_at, _, object_id = str(text or "").rpartition("|")
        return cls(created_at, int(object_id)) if created_at and object_id.isdigit() else None


def parse_refresh_days(value: Any) -> float | None:
    """`-a refresh=DAYS`: None when absent; a number of days >= 0 (0 = every visited account)."""
    if value is None or value == "":
        return None
    days = float(value)  # ValueError / TypeError for anything else
    if not days >= 0 or days == float("inf"):
        raise ValueError(f"refresh must be a number of days >= 0, got {value!r}")
    return days


def refresh_due(records: Iterable[Any], visits: Mapping[str, Any], older_than: float) -> list[str]:
    """Accounts visited `done` whose latest visit finished before `older_than` (epoch seconds),
    in hand-out order; gone ones are not asked again. A `done` pick with no finish time (a
    Redis crawl from before finish times were kept) counts as old: due. `records` = a store's
    `pick_records(spider)`, `visits` = its `visits(spider)` (scmap.frontier.store). The one
    rule: a new refresh round holds these (the Redis store re-states it in Lua;
    tests/frontier/test_store_contract.py holds both stores to it)."""
    due = []
    for record in records:
        visit = visits.get(record.permalink)
        last = visit.finished_at if visit is not None else record.finished_at
        if record.status == STATUS_DONE and (last is None or last < older_than) \
                and (visit is None or visit.status != STATUS_GONE):
            due.append(record.permalink)
    return due


def cutoff_of_edges(edges: Iterable[Any]) -> Cutoff | None:
    """The newest dated edge a visit stored (scmap.frontier.store.Edge: created_at, object_id)."""
    keys = [Cutoff(e.created_at, e.object_id) for e in edges if e.created_at]
    return max(keys) if keys else None


def item_key(interaction: str, item: dict[str, Any]) -> Cutoff | None:
    """A dated list item's place in the list order; None when it has no date or object id."""
    created_at = item.get("created_at")
    if interaction not in DATED_INTERACTIONS or not isinstance(created_at, str):
        return None
    if interaction == "comments":
        track = item.get("track") if isinstance(item.get("track"), dict) else {}
        object_id = track.get("id", item.get("track_id"))
    else:
        obj = next((item[k] for k in ("track", "playlist") if isinstance(item.get(k), dict)), {})
        object_id = obj.get("id")
    if isinstance(object_id, bool) or not isinstance(object_id, int):
        return None
    return Cutoff(created_at, object_id)


def newer_than(interaction: str, items: list[dict[str, Any]],
               cutoff: Cutoff | None) -> tuple[list[dict[str, Any]], bool]:
    """(the items newer than `cutoff`, whether the page reached it: stop paging). Items without
    a key (undated, deleted objects) are kept, as a full read would keep them."""
    if cutoff is None or interaction not in DATED_INTERACTIONS:
        return items, False
    kept: list[dict[str, Any]] = []
    reached = False
    for item in items:
        key = item_key(interaction, item)
        if key is not None and key <= cutoff:
            reached = True
            continue
        kept.append(item)
    return kept, reached
