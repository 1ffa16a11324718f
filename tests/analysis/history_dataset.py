"""Test helper: a history world (scmap/sandbox/world_history.py) written as the crawler's Parquet
output (world_dataset.py's rules: crawled = >= 250 followers, the most recent 500 of each list),
with follows undated as the crawler stores them, plus ``truth.parquet`` = the per-year membership
(year, id, scene, scenes, emerged_at)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from edge_dataset import write_accounts, write_edges
from world_dataset import crawled_edges


def write_history_dataset(history, out: Path) -> Path:
    world = history.world
    edges = crawled_edges(world)
    edges.loc[edges["interaction"] == "follows", "created_at"] = pd.NaT  # the followings API has no dates
    write_edges(out / "edges", edges, files_per_type=2)
    crawled = world.users[world.users["id"].isin(np.unique(edges["src_id"]))]
    write_accounts(out / "accounts", crawled[["id", "permalink", "username", "followers_count",
                                              "followings_count", "track_count"]])
    history.membership[["year", "id", "scene", "scenes", "emerged_at"]].to_parquet(out / "truth.parquet", index=False)
    return out
