"""The objects a crawl must write for the lists it read, from the world's truth: every track and
playlist of the most recent `limit` listed interactions, with the owner, upload date, genre and
tags the world's `tracks.parquet` has (shared by tests/spiders and the frontier's kill test)."""

from __future__ import annotations

from typing import Any

import pandas as pd

KEY = ["kind", "object_id"]
# The lists whose items carry the full track (genre, tag_list, counts); a user's comments carry the
# reduced one, and list items carry playlists without genre or tag_list (docs/architecture.md).
FULL_TRACK_LISTS = ("likes", "reposts")


def expected_objects(world: Any, user_ids: list[int], interaction: str, limit: int | None) -> pd.DataFrame:
    """One row per (kind, object_id): owner_id, created_at, genre, tags as the crawl must store them.

    A user's comments carry the reduced track (no genre, no tag_list) and list items carry
    playlists without them: genre and tags None there, as the parser gives them."""
    lists = [world.recent_interactions(user_id, interaction, limit) for user_id in user_ids]
    rows = pd.concat(lists) if lists else pd.DataFrame(columns=["object_kind", "object_id"])
    frames = []
    for kind, table in (("track", world.tracks), ("playlist", world.playlists)):
        ids = sorted(set(rows.loc[rows["object_kind"] == kind, "object_id"].astype(int)))
        found = table.set_index("id").loc[ids]
        full = kind == "track" and interaction in FULL_TRACK_LISTS
        frames.append(pd.DataFrame({
            "kind": kind, "object_id": ids, "owner_id": found["user_id"].astype(int).tolist(),
            "created_at": found["created_at"].tolist(),
            "genre": [(genre.strip() or None) if isinstance(genre, str) else None for genre in found["genre"]]
            if full else None,
            "tags": [list(tags) for tags in found["tags"]] if full else None,
        }))
    return pd.concat(frames, ignore_index=True).sort_values(KEY, ignore_index=True)


def assert_exact_objects(written: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The crawl's objects (`kind` partition column; one crawl id or several) are exactly `expected`."""
    assert len(expected), "the lists read should carry objects"
    got = written.drop_duplicates(KEY).sort_values(KEY, ignore_index=True) if len(written) else written
    got_keys = set(zip(got["kind"], got["object_id"])) if len(got) else set()
    want_keys = set(zip(expected["kind"], expected["object_id"]))
    assert got_keys == want_keys, f"missing {sorted(want_keys - got_keys)[:5]}, extra {sorted(got_keys - want_keys)[:5]}"
    assert got["owner_id"].tolist() == expected["owner_id"].tolist()
    assert [pd.Timestamp(t) for t in got["created_at"]] == [pd.Timestamp(t) for t in expected["created_at"]]
    assert _values(got["genre"]) == _values(expected["genre"])
    assert _values(got["tags"]) == _values(expected["tags"])


def _values(column: pd.Series) -> list[Any]:
    """Nulls as None (pandas gives NaN or None), lists as lists (pyarrow gives arrays)."""
    return [value if isinstance(value, str) else None if value is None or value is pd.NA
            or (isinstance(value, float) and value != value) else list(value) for value in column]
