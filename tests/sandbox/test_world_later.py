"""The same world later (world_later.py), as the refresh tests and bench/bench_refresh.py use it:
the new likes are the grown accounts' newest, the deleted account is gone everywhere, nothing
else changes; the site serves the result and counts what it served."""

from __future__ import annotations

import urllib.request

from scmap.sandbox.runner import run_sandbox
from scmap.sandbox.world import load_world
from scmap.sandbox.world_later import advance_world


def test_a_later_world_has_newer_likes_and_loses_the_deleted_account(sandbox_world, tmp_path):
    before = load_world(sandbox_world)
    likes = before.interactions[before.interactions["interaction"] == "likes"]
    grow = [int(src) for src in likes["src_id"].value_counts().index[:2]]
    delete = int(before.users.loc[~before.users["id"].isin(grow), "id"].iloc[0])
    planted = advance_world(sandbox_world, tmp_path / "later", grow, delete, new_likes=3)
    after = load_world(tmp_path / "later")

    assert len(planted) == 6 and {src for src, _ in planted} == set(grow)
    for src in grow:
        newest = after.recent_interactions(src, "likes", 3)
        assert {(src, int(track)) for track in newest["object_id"]} == {p for p in planted if p[0] == src}
        assert newest["created_at"].min() > before.interactions["created_at"].max()
    assert delete not in set(after.users["id"])
    rows = after.interactions
    assert not ((rows["src_id"] == delete) | (rows["dst_id"] == delete)).any()
    assert not (after.tracks["user_id"] == delete).any() and not (after.playlists["user_id"] == delete).any()
    kept = before.interactions[(before.interactions["src_id"] != delete) & (before.interactions["dst_id"] != delete)]
    assert len(rows) == len(kept) + len(planted)

    with run_sandbox(tmp_path / "later") as site:
        assert site.counts().get("page_requests", 0) == 0
        permalink = after.users.set_index("id").loc[grow[0], "permalink"]
        with urllib.request.urlopen(f"{site.web_url}/{permalink}/likes", timeout=10) as page:
            assert page.status == 200
        assert site.counts()["page_requests"] == 1
