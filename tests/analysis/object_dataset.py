"""Test and benchmark helper: the objects dataset (docs/architecture.md) a crawl of a sandbox
world would have written beside its edges: every track and playlist that appears in the crawled
lists (``crawled_edges``), with the world's own metadata (upload date, genre, tags), one row per
object, in ``objects/kind=track|playlist/part-*.parquet``. As the spiders store them: a track seen
only in a user's comments is the reduced one (no genre, tags or counts), a playlist has no genre,
tags, plays or comment count (tests/spiders/test_e2e.py checks the crawl against the same rule).

Until a crawl of a sandbox world writes objects in the analysis tests and benchmarks, this is how
the analysis of them is tested and measured: the same objects a crawl sees (only those its lists
carried), taken from the world's truth tables. A world without a ``tags`` column gets empty tag
lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scmap.pipelines.edge_schema import OBJECT_SCHEMA
from tests.spiders.objects_truth import FULL_TRACK_LISTS

# The writer's schema (written once, scmap/pipelines/edge_schema.py), nullable like edge_dataset.py's.
OBJECT_FILE_SCHEMA = pa.schema([field.with_nullable(True) for field in OBJECT_SCHEMA])


def crawled_objects(world, edges: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """kind -> rows of the objects the crawled ``edges`` point to (tracks, playlists)."""
    result = {}
    for kind, table in (("track", world.tracks), ("playlist", world.playlists)):
        seen = np.unique(edges.loc[edges["object_kind"] == kind, "object_id"].to_numpy())
        rows = table[table["id"].isin(seen)]
        frame = pd.DataFrame({
            "object_id": rows["id"].astype("int64"), "owner_id": rows["user_id"].astype("int64"),
            "title": rows["title"], "permalink": rows["permalink"], "created_at": rows["created_at"],
            "genre": rows["genre"].replace("", None) if "genre" in rows else None,
            "tags": pd.Series([list(t) if t is not None else [] for t in rows["tags"]] if "tags" in rows
                              else [[] for _ in range(len(rows))], index=rows.index, dtype=object),
            "duration_ms": rows["duration"] if "duration" in rows else None,
        })
        for column in ("playback_count", "likes_count", "reposts_count", "comment_count"):
            frame[column] = rows[column] if column in rows else None
        carried_full = edges["interaction"].isin(FULL_TRACK_LISTS) & (edges["object_kind"] == kind)
        reduced = ~rows["id"].isin(edges.loc[carried_full, "object_id"]).to_numpy()
        if kind == "playlist":
            frame[["genre", "tags", "playback_count", "comment_count"]] = None
        elif reduced.any():
            frame.loc[reduced, ["genre", "tags", "playback_count", "likes_count",
                                "reposts_count", "comment_count"]] = None
        frame["scraped_at"] = pd.Timestamp("2026-03-01", tz="UTC")
        frame["crawl_id"] = "crawl-1"
        result[kind] = frame.reset_index(drop=True)
    return result


def write_objects(root: Path, objects: dict[str, pd.DataFrame]) -> Path:
    """``root/kind=<kind>/part-crawl-1-0000.parquet`` (the partition column not in the file)."""
    for kind, frame in objects.items():
        directory = root / f"kind={kind}"
        directory.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame[OBJECT_FILE_SCHEMA.names], schema=OBJECT_FILE_SCHEMA, preserve_index=False)
        pq.write_table(table, directory / "part-crawl-1-0000.parquet")
    return root


def planted_words(world) -> dict[str, list[str]]:
    """Each scene's planted words: the world's ``scene_words`` when it states them, else the
    scene's own name (both generators give a scene's tracks its name, in spelling variants, as genre)."""
    stated = world.meta.get("scene_words") if isinstance(world.meta, dict) else None
    if stated:
        return {scene: list(words) for scene, words in stated.items()}
    return {scene: [scene] for scene in world.users["scene"].dropna().unique() if scene != "mainstream"}
