"""Fast lookups over a World for the site: users by id/permalink, objects by id, sorted lists.

Every list the site serves (likes, reposts, followers...) is one `SortedList`: the relevant
interactions sorted once by (owner, created_at desc, object_id desc), kept as numpy arrays.
An owner's list is then a contiguous slice found by binary search, so a page costs O(log n + limit)
whatever the world size. Unlisted rows stay in the arrays: pagination walks over them and the
API drops them from the page, which is why real pages come back short while carrying next_href.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

KIND_CODES = {"track": 1, "playlist": 0, "user": 2}
KIND_NAMES = {code: name for name, code in KIND_CODES.items()}


def epoch_seconds(column: pd.Series) -> np.ndarray:
    """Timestamps (tz-aware or naive UTC) -> int64 seconds since the epoch."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert(None)
    values = column.to_numpy(dtype="datetime64[us]")
    return values.astype("datetime64[s]").astype(np.int64)


def _records_by_id(frame: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Rows as plain dicts keyed by id: timestamps as epoch seconds, nulls as None."""
    frame = frame.copy()
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = epoch_seconds(frame[name])
    frame = frame.astype(object).where(frame.notna(), None)
    return {int(record["id"]): record for record in frame.to_dict("records")}


@dataclass(frozen=True)
class ListSpec:
    interaction: str
    owner_column: str  # whose list it is: src_id, or dst_id for followers
    object_kind: str | None = None  # keep only this kind (track_likes / playlist_likes)


LIST_SPECS: dict[str, ListSpec] = {
    "likes": ListSpec("likes", "src_id"),
    "track_likes": ListSpec("likes", "src_id", "track"),
    "playlist_likes": ListSpec("likes", "src_id", "playlist"),
    "reposts": ListSpec("reposts", "src_id"),
    "comments": ListSpec("comments", "src_id"),
    "followings": ListSpec("follows", "src_id"),
    "followers": ListSpec("follows", "dst_id"),
}


@dataclass(frozen=True)
class InteractionColumns:
    """The interactions table as numpy arrays, converted once for all lists."""

    src_id: np.ndarray
    dst_id: np.ndarray
    interaction: np.ndarray  # int codes, see interaction_code
    interaction_names: tuple[str, ...]
    kind_code: np.ndarray
    object_id: np.ndarray
    created: np.ndarray  # epoch seconds
    comment_id: np.ndarray  # 0 where null
    listed: np.ndarray
    body: pd.Series  # converted per list (strings are costly to copy)

    @classmethod
    def from_frame(cls, interactions: pd.DataFrame) -> "InteractionColumns":
        kinds = interactions["object_kind"].to_numpy(object)
        kind_code = np.full(len(kinds), KIND_CODES["user"], np.int64)
        kind_code[kinds == "track"] = KIND_CODES["track"]
        kind_code[kinds == "playlist"] = KIND_CODES["playlist"]
        codes, names = pd.factorize(interactions["interaction"])
        return cls(
            src_id=interactions["src_id"].to_numpy(np.int64),
            dst_id=interactions["dst_id"].to_numpy(np.int64),
            interaction=np.asarray(codes, np.int64),
            interaction_names=tuple(str(name) for name in names),
            kind_code=kind_code,
            object_id=interactions["object_id"].to_numpy(np.int64),
            created=epoch_seconds(interactions["created_at"]),
            comment_id=interactions["comment_id"].fillna(0).to_numpy(np.int64),
            listed=interactions["listed"].to_numpy(bool),
            body=interactions["body"],
        )

    def interaction_code(self, name: str) -> int:
        return self.interaction_names.index(name) if name in self.interaction_names else -1


class SortedList:
    """One list type for every owner, sorted (owner asc, created_at desc, tiebreak desc)."""

    def __init__(self, columns: InteractionColumns, spec: ListSpec) -> None:
        mask = columns.interaction == columns.interaction_code(spec.interaction)
        if spec.object_kind is not None:
            mask &= columns.kind_code == KIND_CODES[spec.object_kind]
        rows = np.flatnonzero(mask)
        by_dst = spec.owner_column == "dst_id"
        owner = (columns.dst_id if by_dst else columns.src_id)[rows]
        object_id = columns.object_id[rows]
        kind_code = columns.kind_code[rows]
        # Ties on created_at: object_id desc (docs/architecture.md); followers: follower id desc.
        tiebreak = columns.src_id[rows] if by_dst else object_id * 4 + kind_code
        comment_id = columns.comment_id[rows]
        created = columns.created[rows]
        order = np.lexsort((-comment_id, -tiebreak, -created, owner))
        rows = rows[order]
        self.owner = owner[order]
        self.created = created[order]
        self.tiebreak = tiebreak[order]
        self.neg_created = -self.created
        self.neg_tiebreak = -self.tiebreak
        self.kind_code = kind_code[order]
        self.object_id = object_id[order]
        self.counterpart_id = (columns.src_id if by_dst else columns.dst_id)[rows]
        self.comment_id = comment_id[order]
        self.listed = columns.listed[rows]
        if spec.interaction == "comments":
            self.body = columns.body.iloc[rows].to_numpy(object)
        else:
            self.body = np.full(len(rows), None, object)

    def span(self, owner_id: int) -> tuple[int, int]:
        """[start, stop) of this owner's rows; empty when the owner has none."""
        start = int(np.searchsorted(self.owner, owner_id, "left"))
        stop = int(np.searchsorted(self.owner, owner_id, "right"))
        return start, stop

    def position_after(self, span: tuple[int, int], created_at: int, tiebreak: int) -> int:
        """First index in span strictly after the row (created_at, tiebreak) in list order."""
        start, stop = span
        lo = start + int(np.searchsorted(self.neg_created[start:stop], -created_at, "left"))
        hi = start + int(np.searchsorted(self.neg_created[start:stop], -created_at, "right"))
        return lo + int(np.searchsorted(self.neg_tiebreak[lo:hi], -tiebreak, "right"))

    def position_after_rank(self, span: tuple[int, int], created_at: int, rank: int) -> int:
        """First index after the rank-th row (0-based) of the rows created in that second."""
        start, stop = span
        lo = start + int(np.searchsorted(self.neg_created[start:stop], -created_at, "left"))
        hi = start + int(np.searchsorted(self.neg_created[start:stop], -created_at, "right"))
        return min(lo + rank + 1, hi) if hi > lo else lo

    def rank_in_second(self, span: tuple[int, int], index: int) -> int:
        """0-based rank of row `index` among the span's rows with the same created_at."""
        start, stop = span
        lo = start + int(np.searchsorted(self.neg_created[start:stop], -int(self.created[index]), "left"))
        return index - lo

    @staticmethod
    def tiebreak_for(object_kind: str, object_id: int) -> int:
        return object_id * 4 + KIND_CODES[object_kind]


def _ids_by_owner_and_slug(records: dict[int, dict[str, Any]]) -> dict[tuple[int, str], int]:
    return {(int(r["user_id"]), str(r["permalink"])): object_id for object_id, r in records.items()
            if not r.get("deleted") and r.get("sharing", "public") == "public"}


class WorldIndex:
    """Everything the site looks up, built once when the server starts."""

    def __init__(self, world: Any) -> None:
        self.meta: dict[str, Any] = dict(getattr(world, "meta", {}) or {})
        self.users = _records_by_id(world.users)
        self.tracks = _records_by_id(world.tracks)
        self.playlists = _records_by_id(world.playlists)
        self.user_id_by_permalink = {str(u["permalink"]): uid for uid, u in self.users.items()}
        # /resolve of `/{owner}/{track}` and `/{owner}/sets/{playlist}`: visible objects only.
        self.track_id_by_path = _ids_by_owner_and_slug(self.tracks)
        self.playlist_id_by_path = _ids_by_owner_and_slug(self.playlists)
        self._public_tracks_by_user: dict[int, list[dict[str, Any]]] = {}
        for track in sorted(self.tracks.values(), key=lambda t: -(t.get("created_at") or 0)):
            if not track.get("deleted") and track.get("sharing", "public") == "public":
                self._public_tracks_by_user.setdefault(int(track["user_id"]), []).append(track)
        columns = InteractionColumns.from_frame(world.interactions)
        self.lists = {name: SortedList(columns, spec) for name, spec in LIST_SPECS.items()}

    def user_by_permalink(self, permalink: str) -> dict[str, Any] | None:
        """Current permalinks only: an old permalink of a renamed account is unknown (404)."""
        user_id = self.user_id_by_permalink.get(permalink)
        return None if user_id is None else self.users[user_id]

    def object_by_url_path(self, owner_permalink: str, slug: str, kind: str) -> dict[str, Any] | None:
        """A public, undeleted track or playlist by its URL path (`/{owner}/{slug}`,
        `/{owner}/sets/{slug}`), as the real /resolve finds it."""
        owner_id = self.user_id_by_permalink.get(owner_permalink)
        table = self.track_id_by_path if kind == "track" else self.playlist_id_by_path
        object_id = table.get((owner_id, slug)) if owner_id is not None else None
        return None if object_id is None else self.object_record(kind, object_id)

    def recent_public_tracks(self, user_id: int, limit: int) -> list[dict[str, Any]]:
        """The user's newest public tracks (for the profile page's SEO copy)."""
        return self._public_tracks_by_user.get(int(user_id), [])[:limit]

    def object_record(self, kind: str, object_id: int) -> dict[str, Any] | None:
        table = self.tracks if kind == "track" else self.playlists if kind == "playlist" else self.users
        return table.get(int(object_id))
