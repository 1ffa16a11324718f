"""Test helper: turn a sandbox World (ground truth with planted scenes) into the crawler's
Parquet output, as a crawl with the article's settings would have written it:
crawled accounts = users with >= 250 followers and some interactions; edges = their most
recent 500 listed interactions of each type (docs/architecture.md order), with the target's
permalink / display name / followers joined in; a share of edges written twice (re-crawl)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from edge_dataset import write_accounts, write_edges

FOLLOWER_THRESHOLD = 250


@lru_cache(maxsize=2)
def small_sandbox_world(seed: int = 3, accounts: int = 800):
    """The small world the end-to-end map tests read, generated once per test process (shared by
    test_build_map_end_to_end.py and test_scene_words_end_to_end.py). Do not modify it."""
    from scmap.sandbox.world import generate_world

    return generate_world(seed=seed, accounts=accounts)
LIMIT = 500


def crawled_edges(world, limit: int = LIMIT, min_followers: int = FOLLOWER_THRESHOLD) -> pd.DataFrame:
    users = world.users.set_index("id")
    interactions = world.interactions
    crawled = set(users.index[users["followers_count"] >= min_followers]) & set(interactions["src_id"])
    listed = interactions[interactions["listed"] & interactions["src_id"].isin(crawled)]
    recent = (listed.sort_values(["src_id", "interaction", "created_at", "object_id"],
                                 ascending=[True, True, False, False])
                    .groupby(["src_id", "interaction"], sort=False).head(limit))
    edges = recent[["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"]].copy()
    edges["src_permalink"] = users["permalink"].reindex(edges["src_id"]).to_numpy()
    edges["dst_permalink"] = users["permalink"].reindex(edges["dst_id"]).to_numpy()
    edges["dst_username"] = users["username"].reindex(edges["dst_id"]).to_numpy()
    edges["dst_followers_count"] = users["followers_count"].reindex(edges["dst_id"]).to_numpy()
    edges["scraped_at"] = pd.Timestamp("2026-03-01", tz="UTC")
    edges["crawl_id"] = "crawl-1"
    return edges.reset_index(drop=True)


def write_world_dataset(world, out: Path, duplicate_share: float = 0.05, seed: int = 0) -> Path:
    """Writes ``out/edges``, ``out/accounts`` and ``out/truth.parquet`` (id, scene, scenes)."""
    edges = crawled_edges(world)
    again = edges.sample(frac=duplicate_share, random_state=seed).assign(
        crawl_id="crawl-2", scraped_at=pd.Timestamp("2026-03-02", tz="UTC"))
    write_edges(out / "edges", pd.concat([edges, again], ignore_index=True), files_per_type=2)
    users = world.users
    crawled = users[users["id"].isin(np.unique(edges["src_id"]))]
    write_accounts(out / "accounts", crawled[["id", "permalink", "username", "followers_count",
                                              "followings_count", "track_count"]].assign(
        scraped_at=pd.Timestamp("2026-03-01", tz="UTC")))
    users[["id", "scene", "scenes"]].to_parquet(out / "truth.parquet", index=False)
    return out
