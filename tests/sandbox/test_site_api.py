"""End-to-end tests of the sandbox's api-v2 and HTML shell, against a server in a subprocess.

Ground truth is the world itself: every list walked through next_href must equal the listed
interactions in the documented order (docs/architecture.md, "most recent" rule).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from tests.shared_data import CAPTURES

pytestmark = pytest.mark.timeout(300)


# -- ground truth from the world ----------------------------------------------------------

def iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_rows(world, user_id: int, interaction: str, object_kind: str | None = None) -> pd.DataFrame:
    rows = world.recent_interactions(user_id, interaction)
    if object_kind is not None:
        rows = rows[rows["object_kind"] == object_kind]
    return rows


def expected_followers(world, user_id: int) -> list[int]:
    rows = world.interactions
    rows = rows[(rows["interaction"] == "follows") & (rows["dst_id"] == user_id) & rows["listed"]]
    rows = rows.sort_values(["created_at", "src_id"], ascending=False)
    return [int(x) for x in rows["src_id"]]


def items(pages: list[dict]) -> list[dict]:
    return [item for page in pages for item in page["collection"]]


def like_keys(pages: list[dict]) -> list[tuple[str, int, str]]:
    keys = []
    for item in items(pages):
        kind = "playlist" if "playlist" in item else "track"
        keys.append((kind, item[kind]["id"], item["created_at"]))
    return keys


def truth_keys(rows: pd.DataFrame) -> list[tuple[str, int, str]]:
    return [(k, int(o), iso(t)) for k, o, t in zip(rows["object_kind"], rows["object_id"], rows["created_at"])]


def busiest(world, interaction: str, object_kind: str | None = None, by: str = "src_id") -> int:
    rows = world.interactions[world.interactions["interaction"] == interaction]
    if object_kind is not None:
        rows = rows[rows["object_kind"] == object_kind]
    return int(rows[by].value_counts().index[0])


def most_unlisted(world, interaction: str) -> int:
    rows = world.interactions
    rows = rows[(rows["interaction"] == interaction) & ~rows["listed"]]
    return int(rows["src_id"].value_counts().index[0])


# -- lists against the ground truth -------------------------------------------------------

@pytest.mark.parametrize("limit", [None, 7])
def test_likes_walk_matches_world(sandbox_api, loaded_world, limit):
    user_id = busiest(loaded_world, "likes")
    pages = sandbox_api.walk(f"/users/{user_id}/likes", limit=limit)
    assert like_keys(pages) == truth_keys(expected_rows(loaded_world, user_id, "likes"))
    assert len(pages) > 1
    assert all(item["kind"] == "like" for item in items(pages))


def test_track_and_playlist_likes_split_the_likes(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "likes", "playlist")  # a playlist-liker
    playlist_pages = sandbox_api.walk(f"/users/{user_id}/playlist_likes", limit=5)
    track_pages = sandbox_api.walk(f"/users/{user_id}/track_likes")
    assert like_keys(playlist_pages) == truth_keys(expected_rows(loaded_world, user_id, "likes", "playlist"))
    assert like_keys(track_pages) == truth_keys(expected_rows(loaded_world, user_id, "likes", "track"))
    assert like_keys(playlist_pages), "the playlist-liker should have listed playlist likes"
    for item in items(playlist_pages):
        assert set(item) == {"created_at", "kind", "playlist"}
        assert "tracks" not in item["playlist"] and item["playlist"]["kind"] == "playlist"
    first_cursor = parse_qs(urlsplit(playlist_pages[0]["next_href"]).query)["offset"][0]
    assert ",user-playlist-likes,000-" in first_cursor


def test_reposts_walk_matches_world(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "reposts")
    pages = sandbox_api.walk(f"/stream/users/{user_id}/reposts")
    got = [(item["type"], item[item["type"].split("-")[0]]["id"], item["created_at"]) for item in items(pages)]
    truth = expected_rows(loaded_world, user_id, "reposts")
    assert got == [(f"{k}-repost", i, c) for k, i, c in truth_keys(truth)]
    assert all(item["user"]["id"] == user_id for item in items(pages))
    cursor = parse_qs(urlsplit(pages[0]["next_href"]).query)["offset"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z,source:(track|playlist):repost,\d{20}", cursor)
    assert parse_qs(urlsplit(pages[0]["next_href"]).query)["limit"] == ["10"]


def test_comments_walk_matches_world(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "comments")
    pages = sandbox_api.walk(f"/users/{user_id}/comments")
    truth = expected_rows(loaded_world, user_id, "comments")
    assert [c["id"] for c in items(pages)] == [int(x) for x in truth["comment_id"]]
    assert [c["body"] for c in items(pages)] == list(truth["body"])
    assert all(c["user_id"] == user_id and c["track"]["id"] == c["track_id"] for c in items(pages))
    assert parse_qs(urlsplit(pages[0]["next_href"]).query)["offset"] == ["20"]


def test_followings_walk_matches_world(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "follows")
    pages = sandbox_api.walk(f"/users/{user_id}/followings", limit=9)
    truth = expected_rows(loaded_world, user_id, "follows")
    assert [u["id"] for u in items(pages)] == [int(x) for x in truth["object_id"]]
    assert re.fullmatch(r"\d{13}", parse_qs(urlsplit(pages[0]["next_href"]).query)["offset"][0])


def test_followers_walk_matches_world(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "follows", by="dst_id")
    pages = sandbox_api.walk(f"/users/{user_id}/followers")
    assert [u["id"] for u in items(pages)] == expected_followers(loaded_world, user_id)
    assert len(pages) > 1


def test_unlisted_rows_make_short_pages_that_keep_next_href(sandbox_api, loaded_world):
    user_id = most_unlisted(loaded_world, "likes")
    pages = sandbox_api.walk(f"/users/{user_id}/likes")
    short_but_continued = [p for p in pages if len(p["collection"]) < 24 and p["next_href"] is not None]
    assert short_but_continued, "an account with unlisted likes must produce a short page with next_href"
    assert like_keys(pages) == truth_keys(expected_rows(loaded_world, user_id, "likes"))


def test_renamed_account(http, sandbox, sandbox_api, loaded_world):
    renamed = loaded_world.users[loaded_world.users["old_permalink"].notna()].iloc[0]
    assert http(f"{sandbox.web_url}/{renamed['old_permalink']}").status == 404
    assert http(f"{sandbox.web_url}/{renamed['old_permalink']}/likes").status == 404
    assert http(f"{sandbox.web_url}/{renamed['permalink']}").status == 200
    old = sandbox_api.get("/resolve", url=f"https://soundcloud.com/{renamed['old_permalink']}")
    assert old.status == 404
    new = sandbox_api.get("/resolve", url=f"https://soundcloud.com/{renamed['permalink']}")
    assert new.status == 200 and new.json()["id"] == int(renamed["id"])
    pages = sandbox_api.walk(f"/users/{int(renamed['id'])}/likes")
    assert like_keys(pages) == truth_keys(expected_rows(loaded_world, int(renamed["id"]), "likes"))


# -- protocol details ---------------------------------------------------------------------

def test_client_id_is_required(http, sandbox, sandbox_api, loaded_world):
    user_id = int(loaded_world.users["id"].iloc[0])
    assert http(f"{sandbox.api_url}/users/{user_id}/likes").status == 401
    assert http(f"{sandbox.api_url}/users/{user_id}/likes", {"client_id": "x" * 32}).status == 401
    assert http(f"{sandbox.api_url}/resolve", {"url": "https://soundcloud.com/x"}).status == 401
    assert sandbox_api.get(f"/users/{user_id}/likes").status == 200


def test_unknown_things_are_404(http, sandbox, sandbox_api):
    assert sandbox_api.get("/users/999999999999").status == 404
    assert sandbox_api.get("/users/999999999999/likes").status == 404
    assert sandbox_api.get("/users/not-a-number/followers").status == 404
    assert sandbox_api.get("/resolve", url="https://soundcloud.com/no-such-account-here").status == 404
    assert sandbox_api.get("/no/such/endpoint").status == 404
    page = http(f"{sandbox.web_url}/no-such-account-here")
    assert page.status == 404 and "__sc_hydration" in page.body.decode()
    assert http(f"{sandbox.web_url}/no-such-account-here/likes").status == 404


def test_bad_cursor_and_limit_never_crash(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "likes")
    assert sandbox_api.get(f"/users/{user_id}/likes", offset="garbage,,,").status == 400
    assert sandbox_api.get(f"/users/{user_id}/followers", offset="12ab").status == 400
    assert sandbox_api.get(f"/users/{user_id}/likes", offset="2024-99-99T00:00:00.000Z,user-track-likes,000-1-2").status == 400
    assert sandbox_api.get(f"/users/{user_id}/likes", limit="lots").status == 200
    assert sandbox_api.get(f"/users/{user_id}/likes", limit=-3).status == 200
    garbage = [
        ("/users/%d/likes" % user_id, {"offset": "2024-01-01T00:00:00.000Z,user-track-likes,000-1-99999999999999999999"}),
        ("/stream/users/%d/reposts" % user_id, {"offset": "2024-01-01T00:00:00Z,source:track:repost,99999999999999999999"}),
        ("/users/%d/followings" % user_id, {"offset": "9999999999999999"}),
        ("/users/%d/comments" % user_id, {"offset": "999999999"}),
        ("/users/%d/likes" % user_id, {"limit": "99999999999999999999999"}),
        ("/users/99999999999999999999999/likes", {}),
        ("/resolve", {"url": "http://[::1"}),
        ("/resolve", {"url": "\x00\u2800"}),
        ("/resolve", {}),
    ]
    for path, params in garbage:
        status = sandbox_api.get(path, **params).status
        assert status in (200, 400, 404), (path, params, status)


def test_limit_is_capped_at_200(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "likes")
    rows = loaded_world.interactions
    total = int(((rows["src_id"] == user_id) & (rows["interaction"] == "likes")).sum())
    assert total > 200, "the busiest liker of the test world should have more than 200 likes"
    page = sandbox_api.get(f"/users/{user_id}/likes", limit=1000).json()
    assert 0 < len(page["collection"]) <= 200
    assert parse_qs(urlsplit(page["next_href"]).query)["limit"] == ["200"]


def test_default_page_sizes_and_next_href_shape(sandbox_api, loaded_world):
    user_id = busiest(loaded_world, "likes")
    page = sandbox_api.get(f"/users/{user_id}/likes", offset=0, linked_partitioning=1).json()
    assert list(page) == ["collection", "next_href", "query_urn"]
    assert page["query_urn"] is None
    next_href = urlsplit(page["next_href"])
    assert next_href.path == f"/api-v2/users/{user_id}/likes"
    query = parse_qs(next_href.query)
    assert set(query) == {"offset", "limit"} and query["limit"] == ["24"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z,user-(track|playlist)-likes,000-0*%d-\d{20}" % user_id,
                        query["offset"][0])
    assert "%2C" in page["next_href"] and "%3A" in page["next_href"]  # URL-encoded like the real one


def test_resolve_and_user(sandbox, sandbox_api, loaded_world):
    user = loaded_world.users.iloc[3]
    by_id = sandbox_api.get(f"/users/{int(user['id'])}").json()
    for url in (f"https://soundcloud.com/{user['permalink']}", f"{sandbox.web_url}/{user['permalink']}",
                f"https://soundcloud.com/{user['permalink']}/likes"):
        resolved = sandbox_api.get("/resolve", url=url)
        assert resolved.status == 200, url
        assert resolved.json() == by_id
    assert by_id["username"] == user["username"] and by_id["permalink"] == user["permalink"]
    assert by_id["followers_count"] == int(user["followers_count"])
    assert by_id["permalink_url"] == f"{sandbox.web_url}/{user['permalink']}"
    assert sandbox_api.get(f"/users/soundcloud:users:{int(user['id'])}").json() == by_id


def test_resolve_tracks_and_playlists_by_url(sandbox, sandbox_api, loaded_world):
    users = loaded_world.users.set_index("id")
    for kind, table, section in (("track", loaded_world.tracks, ""), ("playlist", loaded_world.playlists, "sets/")):
        visible = table[~table["deleted"] & (table["sharing"] == "public")]
        hidden = table[table["deleted"] | (table["sharing"] != "public")]
        row = visible.iloc[len(visible) // 2]
        owner = users.loc[int(row["user_id"]), "permalink"]
        resolved = sandbox_api.get("/resolve", url=f"https://soundcloud.com/{owner}/{section}{row['permalink']}")
        assert resolved.status == 200
        body = resolved.json()
        assert (body["kind"], body["id"], body["user"]["id"]) == (kind, int(row["id"]), int(row["user_id"]))
        if len(hidden):  # deleted or private objects are unknown to /resolve, as on the real site
            gone = hidden.iloc[0]
            gone_owner = users.loc[int(gone["user_id"]), "permalink"]
            url = f"https://soundcloud.com/{gone_owner}/{section}{gone['permalink']}"
            assert sandbox_api.get("/resolve", url=url).status == 404
    assert sandbox_api.get("/resolve", url=f"https://soundcloud.com/{users.iloc[0]['permalink']}/no-such-track").status == 404


def test_no_served_date_lies_after_the_world_end(sandbox_api, loaded_world):
    world_end = pd.Timestamp(loaded_world.meta["time_range"][1]).strftime("%Y-%m-%dT%H:%M:%SZ")
    user_id = busiest(loaded_world, "likes")
    page = sandbox_api.get(f"/users/{user_id}/likes", limit=200).json()

    def dates(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("created_at", "last_modified", "display_date", "published_at") and inner:
                    yield inner
                else:
                    yield from dates(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from dates(inner)

    served = list(dates(page))
    assert len(served) > 200 and max(served) <= world_end


def test_profile_page_shell(http, sandbox, loaded_world):
    user = loaded_world.users.iloc[5]
    html = http(f"{sandbox.web_url}/{user['permalink']}/likes").body.decode()
    assert f'<link rel="canonical" href="https://soundcloud.com/{user["permalink"]}">' in html
    assert f'content="soundcloud://users:{int(user["id"])}"' in html
    assert re.search(r'<script>window.__sc_version="\d{10}"</script>', html)
    hydration = json.loads(re.search(r"<script>window.__sc_hydration = (\[.*?\]);</script>", html, re.S).group(1))
    names = [entry["hydratable"] for entry in hydration]
    assert names[:5] == ["anonymousId", "features", "experiments", "geoip", "privacySettings"]
    assert "apiClient" in names and names[-1] == "user"
    hydrated_user = hydration[-1]["data"]
    assert hydrated_user["id"] == int(user["id"]) and hydrated_user["url"] == f"/{user['permalink']}"
    assert hydrated_user["username"] == user["username"]
    assert re.search(r'<script crossorigin src="/assets/0-[0-9a-f]{8}\.js"></script>', html)
    assert '<article itemscope itemtype="http://schema.org/MusicGroup">' in html


def test_html_special_names_stay_inert_in_the_page(http, sandbox, loaded_world):
    users = loaded_world.users
    special = users[users["username"].str.contains("<", regex=False)].iloc[0]
    html = http(f"{sandbox.web_url}/{special['permalink']}").body.decode()
    assert special["username"] not in html  # never raw, neither in <title>, noscript nor hydration
    hydration = json.loads(re.search(r"<script>window.__sc_hydration = (\[.*?\]);</script>", html, re.S).group(1))
    assert hydration[-1]["data"]["username"] == special["username"]


# -- field-level compatibility with the real captures --------------------------------------

def _capture(name: str):
    path = CAPTURES / name
    if not path.is_file():
        pytest.skip(f"real captures absent ({CAPTURES} not available on this machine)")
    return json.loads(path.read_text(encoding="utf-8"))


def test_json_shapes_match_real_captures(sandbox_api, loaded_world):
    real_track_like = _capture("api-v2-user-likes-tracks-2026-02-page1.json")["collection"][0]
    real_playlist_like = _capture("api-v2-user-likes-playlists-2026-02-page1.json")["collection"][0]
    real_user = _capture("api-v2-user-2026-02-dubmatix.json")
    real_following = _capture("api-v2-user-followings-2026-02.json")["collection"][0]
    real_comment = _capture("api-v2-track-comments-2026-04.json")["collection"][0]
    real_repost = _capture("api-v2-stream-users-reposts-2020-05.json")["collection"][0]

    liker = busiest(loaded_world, "likes", "playlist")
    likes = items(sandbox_api.walk(f"/users/{liker}/likes", limit=200))
    track_like = next(i for i in likes if "track" in i)
    playlist_like = next(i for i in likes if "playlist" in i)
    assert list(track_like) == list(real_track_like)
    assert set(track_like["track"]) == set(real_track_like["track"])
    assert set(track_like["track"]["user"]) == set(real_track_like["track"]["user"])
    assert set(playlist_like["playlist"]) == set(real_playlist_like["playlist"])
    assert list(sandbox_api.get(f"/users/{liker}").json()) == list(real_user)

    follower = busiest(loaded_world, "follows")
    following = sandbox_api.get(f"/users/{follower}/followings").json()["collection"][0]
    assert set(following) == set(real_following)

    commenter = busiest(loaded_world, "comments")
    comment = sandbox_api.get(f"/users/{commenter}/comments").json()["collection"][0]
    assert set(comment) - set(real_comment) == {"track"}  # the user-comments list adds `track`
    assert set(real_comment) <= set(comment)
    assert set(comment["user"]) == set(real_comment["user"])

    reposter = busiest(loaded_world, "reposts")
    repost = sandbox_api.get(f"/stream/users/{reposter}/reposts").json()["collection"][0]
    assert set(real_repost) <= set(repost)
    assert set(real_repost["user"]) <= set(repost["user"])


def test_tracks_carry_genre_and_tag_list_as_the_real_site_writes_them(sandbox_api, loaded_world):
    """`genre` "" (never null) when the track has none, `tag_list` space-separated with multi-word
    tags in double quotes (captures: 2026 likes, 2022 user tracks); the parser gets the world back."""
    from scmap.soundcloud.objects import objects_from_collection, split_tag_list

    tracks = loaded_world.tracks.set_index("id")
    liker = busiest(loaded_world, "likes", "track")
    reposter = busiest(loaded_world, "reposts", "track")
    served = items(sandbox_api.walk(f"/users/{liker}/likes", limit=200))
    served += items(sandbox_api.walk(f"/stream/users/{reposter}/reposts", limit=200))
    sounds = [item["track"] for item in served if "track" in item]
    assert len(sounds) > 50
    lists = []
    for sound in sounds:
        truth = tracks.loc[sound["id"]]
        assert sound["genre"] == (truth["genre"] if isinstance(truth["genre"], str) else "")
        assert isinstance(sound["tag_list"], str)
        assert split_tag_list(sound["tag_list"]) == list(truth["tags"])
        lists.append(sound["tag_list"])
    assert "" in lists  # many tracks carry no tag
    assert any(re.search(r'"[^" ]+ [^"]+"', text) for text in lists)  # a quoted multi-word tag
    records = {r["object_id"]: r for r in objects_from_collection(served)}
    for sound in sounds:
        record, truth = records[sound["id"]], tracks.loc[sound["id"]]
        assert record["owner_id"] == truth["user_id"] and record["created_at"] == iso(truth["created_at"])
        assert record["genre"] == (truth["genre"] if isinstance(truth["genre"], str) else None)
        assert record["likes_count"] == truth["likes_count"] and record["duration_ms"] == truth["duration"]
    # a user's comments carry the reduced track: no genre or tag_list, as on the real site
    commenter = busiest(loaded_world, "comments")
    comment = sandbox_api.get(f"/users/{commenter}/comments").json()["collection"][0]
    assert "tag_list" not in comment["track"] and "genre" not in comment["track"]
    assert objects_from_collection([comment])[0]["tags"] is None


def test_noisy_tag_lists_quote_every_tag_with_a_space_inside(sandbox, loaded_world):
    """One track in six writes `"minimal " "microhouse "` (2026 likes capture); all split the same."""
    from scmap.sandbox.representations import Representer, SiteUrls
    from scmap.sandbox.world_index import WorldIndex
    from scmap.soundcloud.objects import split_tag_list

    represent = Representer(WorldIndex(loaded_world), SiteUrls(sandbox.web_url, sandbox.api_url))
    tagged = loaded_world.tracks[loaded_world.tracks["tags"].map(len) > 1].head(200)
    served = [represent.track(dict(row, id=int(row["id"]), created_at=0)) for _, row in tagged.iterrows()]
    noisy = [s["tag_list"] for s in served if s["tag_list"].endswith(' "')]
    assert 0.05 < len(noisy) / len(served) < 0.35
    for sound, tags in zip(served, tagged["tags"]):
        assert split_tag_list(sound["tag_list"]) == list(tags)


# -- process contract (the ready line, the runner) ------------------------------------------

def test_serve_without_world_dir_generates_one_and_prints_ready_line(http):
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "scmap.sandbox", "serve", "--seed", "3", "--accounts", "60",
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        ready = json.loads(process.stdout.readline())
        assert list(ready) == ["web_url", "api_url", "world"] and ready["world"] is None
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", ready["web_url"])
        assert ready["api_url"] == ready["web_url"] + "/api-v2"
        assert http(ready["web_url"] + "/").status == 200
    finally:
        process.terminate()
        assert process.wait(10) == 0  # SIGTERM is a clean stop


def test_runner_reports_a_server_that_cannot_start(tmp_path):
    from scmap.sandbox.runner import SandboxError, run_sandbox

    with pytest.raises(SandboxError, match="world.json"):
        with run_sandbox(tmp_path / "not-a-world", timeout=30):
            pass


def test_client_seed_changes_the_client_id_and_the_old_one_is_refused(sandbox, sandbox_api, sandbox_world, http):
    from scmap.sandbox.runner import run_sandbox

    with run_sandbox(sandbox_world, extra_args=["--client-seed", "99"]) as other:
        page = http(other.web_url + "/").body.decode()
        new_id = re.search(r'"hydratable":"apiClient","data":\{"id":"([A-Za-z0-9]{32})"', page).group(1)
        assert new_id != sandbox_api.client_id
        assert http(other.api_url + "/resolve", {"url": "https://soundcloud.com/x", "client_id": sandbox_api.client_id}).status == 401
        assert http(other.api_url + "/resolve", {"url": "https://soundcloud.com/x", "client_id": new_id}).status == 404
