"""The same world some time later, for refresh crawls (-a refresh=DAYS): some accounts liked new
tracks, one account was deleted. Used by tests/frontier/test_refresh_e2e.py and
bench/bench_refresh.py; the site serves the result like any world (`run_sandbox(out_dir)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from scmap.sandbox.world import load_world


def advance_world(world_dir: Path, out_dir: Path, grow: Iterable[int], delete: int,
                  new_likes: int = 3) -> set[tuple[int, int]]:
    """Write to `out_dir` the world of `world_dir` later: each account of `grow` (user ids) has
    `new_likes` likes newer than anything before (of public tracks it had not liked, by others,
    a day apart per account, an hour apart within one), and account `delete` is gone with its
    tracks, playlists and every interaction from or to it. Returns the new likes as
    (src_id, track_id)."""
    world = load_world(world_dir)
    rows = world.interactions
    latest = rows["created_at"].max()
    tracks = world.tracks[(~world.tracks["deleted"]) & (world.tracks["user_id"] != delete)]
    tracks = tracks[tracks["sharing"] == "public"]
    added, planted = [], set()
    for n, src in enumerate(grow):
        liked = set(rows.loc[(rows["src_id"] == src) & (rows["interaction"] == "likes"), "object_id"])
        fresh = tracks[~tracks["id"].isin(liked) & (tracks["user_id"] != src)].head(new_likes)
        for i, (track_id, owner) in enumerate(zip(fresh["id"], fresh["user_id"])):
            added.append({"src_id": src, "dst_id": int(owner), "interaction": "likes", "object_kind": "track",
                          "object_id": int(track_id), "created_at": latest + pd.Timedelta(days=1 + n, hours=i),
                          "comment_id": pd.NA, "body": None, "listed": True})
            planted.add((src, int(track_id)))
    if added:
        rows = pd.concat([rows, pd.DataFrame(added).astype(rows.dtypes.to_dict())], ignore_index=True)
    gone_objects = set(world.tracks.loc[world.tracks["user_id"] == delete, "id"])
    rows = rows[(rows["src_id"] != delete) & (rows["dst_id"] != delete) & ~rows["object_id"].isin(gone_objects)]
    world.interactions = rows.reset_index(drop=True)
    world.users = world.users[world.users["id"] != delete].reset_index(drop=True)
    world.tracks = world.tracks[world.tracks["user_id"] != delete].reset_index(drop=True)
    world.playlists = world.playlists[world.playlists["user_id"] != delete].reset_index(drop=True)
    world.write(out_dir)
    return planted
