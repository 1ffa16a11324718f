"""The DOM fallback with real ids: with the JSON capture switched off (SCMAP_IGNORE_API_CAPTURE,
a test-only setting) the spider reads the rendered list, resolves its hrefs through the page's
api-v2 `/resolve` and must store the same edges as the JSON path.

The sandbox's /resolve answers profile, track and playlist URLs like the real one, so follows
and likes (tracks and playlists) are checked end to end; unresolvable entries are covered by the
unit test below."""

from __future__ import annotations

from collections import Counter

import pytest

from scmap.soundcloud.dom import DomEntry
from scmap.soundcloud.edges import Source, edges_from_items
from scmap.soundcloud.dom_edges import DomRead, edges_from_dom, paths_to_resolve, resolve_url

from .crawl import run_crawl

FALLBACK = {"SCMAP_IGNORE_API_CAPTURE": "True", "SCMAP_SCROLL_TRIGGER_TIMEOUT": "1"}
LIMIT = 20
SOURCE = Source(id=9, permalink="me")


def keys(frame, user_id) -> list[tuple]:
    rows = frame[frame["src_id"] == user_id] if len(frame) else frame
    return [(int(r.dst_id), int(r.object_id), r.object_kind) for r in rows.itertuples()]


def accounts_with_follows(truth) -> list[tuple[int, str]]:
    """Two accounts following more than LIMIT (the cut applies) and one following a few."""
    users = truth.users.set_index("id")
    sizes = {int(u): len(truth.recent_interactions(int(u), "follows")) for u in sorted(users.index)}
    long = [u for u, n in sizes.items() if n > LIMIT][:2]
    short = [u for u, n in sizes.items() if 3 <= n < LIMIT][:1]
    return [(u, users.loc[u, "permalink"]) for u in long + short]


@pytest.mark.timeout(240)
def test_follows_from_the_dom_equal_the_json_path(truth, clean_sandbox, tmp_path):
    accounts = accounts_with_follows(truth)
    assert len(accounts) == 3
    seeds = [permalink for _, permalink in accounts]
    json_run = run_crawl("follows", clean_sandbox, seeds, tmp_path / "json", limit=LIMIT)
    dom_run = run_crawl("follows", clean_sandbox, seeds, tmp_path / "dom", limit=LIMIT, settings=FALLBACK,
                       mode="scroll")  # the DOM fallback is the scroll path's
    assert json_run.returncode == 0 and dom_run.returncode == 0, dom_run.log[-3000:]
    assert json_run.stat("scmap/follows/dom_fallback") == 0
    assert dom_run.stat("scmap/follows/dom_fallback") == len(accounts)
    assert dom_run.stat("scmap/follows/items") == 0  # really nothing from the JSON
    for user_id, _ in accounts:
        expected = keys(json_run.edges, user_id)
        assert expected and Counter(keys(dom_run.edges, user_id)) == Counter(expected), user_id
    # Resolved objects carry what the list JSON did: slugs, names, followers counts.
    columns = ["src_id", "dst_id", "dst_permalink", "dst_username", "dst_followers_count", "object_id"]
    ordered = lambda frame: frame[columns].sort_values(["src_id", "object_id"]).reset_index(drop=True)
    assert ordered(dom_run.edges).equals(ordered(json_run.edges))
    assert dom_run.stat("scmap/follows/dom_fallback/resolves") == len(dom_run.edges)


@pytest.mark.timeout(180)
def test_likes_from_the_dom_equal_the_json_path(truth, clean_sandbox, tmp_path):
    """Track and playlist hrefs resolve through /resolve to the same ids and owners."""
    users = truth.users.set_index("id")
    quirky = truth.meta["quirky_accounts"]
    user_id = int(quirky["playlist_liker"])  # its likes mix tracks and playlists
    kinds = list(truth.recent_interactions(user_id, "likes", 40)["object_kind"])
    limit = max(8, kinds.index("playlist") + 1)  # reach its newest liked playlist
    seeds = [users.loc[user_id, "permalink"]]
    json_run = run_crawl("likes", clean_sandbox, seeds, tmp_path / "json", limit=limit)
    dom_run = run_crawl("likes", clean_sandbox, seeds, tmp_path / "dom", limit=limit, settings=FALLBACK,
                       mode="scroll")  # the DOM fallback is the scroll path's
    assert json_run.returncode == 0 and dom_run.returncode == 0, dom_run.log[-3000:]
    assert dom_run.stat("scmap/likes/dom_fallback") == 1 and dom_run.stat("scmap/likes/items") == 0
    expected = keys(json_run.edges, user_id)
    assert len(expected) == limit and {kind for _, _, kind in expected} == {"track", "playlist"}
    assert Counter(keys(dom_run.edges, user_id)) == Counter(expected)
    assert dom_run.stat("scmap/likes/dom_fallback/unresolved") == 0


def test_resolved_tracks_and_playlists_give_the_json_paths_edges():
    owner = {"id": 5, "kind": "user", "permalink": "zoe", "username": "Zoé", "followers_count": 300}
    track = {"id": 77, "kind": "track", "user_id": 5, "user": owner}
    playlist = {"id": 8, "kind": "playlist", "user_id": 5, "user": owner}
    entries = [
        DomEntry("zoe", "Zoé", "track", "/zoe/nuit", created_at="2024-06-02T19:40:11Z"),
        DomEntry("zoe", "Zoé", "playlist", "/zoe/sets/rain", created_at="2024-06-01T10:00:00Z"),
        DomEntry("zoe", "Zoé", "track", "/zoe/nuit", created_at="2024-05-01T10:00:00Z"),  # liked twice
        DomEntry("gone", None, "track", "/gone/x"),  # did not resolve
        DomEntry("ids", "I", "track", "/ids/y", dst_id=4, object_id=44),  # ids in the markup
    ]
    assert paths_to_resolve(entries) == ["/zoe/nuit", "/zoe/sets/rain", "/gone/x"]
    read = DomRead(entries=entries, resolved={"/zoe/nuit": track, "/zoe/sets/rain": playlist})
    for interaction in ("likes", "reposts"):
        edges, skipped = edges_from_dom(interaction, read, SOURCE)
        items = [{"created_at": "2024-06-02T19:40:11Z", "track": track},
                 {"created_at": "2024-06-01T10:00:00Z", "playlist": playlist},
                 {"created_at": "2024-05-01T10:00:00Z", "track": track}]
        json_edges, _ = edges_from_items(interaction, items, SOURCE)
        assert edges[:3] == json_edges and skipped == Counter(unresolved=1)
        assert (edges[3]["dst_id"], edges[3]["object_id"]) == (4, 44)
    comments, skipped = edges_from_dom("comments", read, SOURCE)
    assert [e["object_id"] for e in comments] == [77, 77, 44]  # a playlist is not a comment target
    assert skipped == Counter(unresolved=1, resolved_wrong_kind=1)
    assert resolve_url("https://api", "https://sc.com", "/a b/c", "ID") == (
        "https://api/resolve?url=https%3A%2F%2Fsc.com%2Fa%20b%2Fc&client_id=ID")
