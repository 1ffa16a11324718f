"""The world generator: determinism, schema, and every planted property of a default-size world."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from scmap.sandbox import world_names as wn
from scmap.sandbox.world import (FOLLOW_CAP, INTERACTIONS, NULLABLE_INT, SCHEMAS, World, generate_world,
                                 load_world)
from scmap.sandbox.world_describe import describe, self_score_share, within_scene

SEED = 11
ACCOUNTS = 3000  # the default size
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world() -> World:
    start = time.perf_counter()
    w = generate_world(SEED, ACCOUNTS)
    w.meta["_seconds"] = time.perf_counter() - start
    return w


@pytest.fixture(scope="module")
def users(world) -> pd.DataFrame:
    return world.users.set_index("id", drop=False)


@pytest.fixture(scope="module")
def cli_world(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("world") / "w"
    result = subprocess.run(
        [sys.executable, "-m", "scmap.sandbox", "world", "--seed", "5", "--accounts", "400", "--out", str(out),
         "--describe"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    return out, result


def per_src(world, mask) -> pd.Series:
    return world.interactions.loc[mask, "src_id"].value_counts()


# ---- determinism, schema, files -------------------------------------------------------------

def test_same_seed_gives_identical_tables_and_files(tmp_path):
    a, b, c = generate_world(3, 600), generate_world(3, 600), generate_world(4, 600)
    for name in ("users", "tracks", "playlists", "interactions"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.meta == b.meta
    assert not a.interactions.equals(c.interactions)
    assert not a.users["permalink"].equals(c.users["permalink"])
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    for f in ("users.parquet", "tracks.parquet", "playlists.parquet", "interactions.parquet", "world.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_cli_writes_the_world_and_load_world_reads_it_back(cli_world):
    out, result = cli_world
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[0])
    assert summary["counts"]["users"] == 400
    assert "scenes:" in result.stdout and "within-scene" in result.stdout  # --describe
    files = sorted(p.name for p in out.iterdir())
    assert files == ["interactions.parquet", "playlists.parquet", "tracks.parquet", "users.parquet", "world.json"]
    loaded = load_world(out)
    again = generate_world(5, 400)
    for name in ("users", "tracks", "playlists", "interactions"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(again, name))
    assert loaded.meta == json.loads(json.dumps(again.meta))
    # the Parquet schema is exactly the documented one
    for name, schema in SCHEMAS.items():
        assert pq.read_schema(out / f"{name}.parquet").remove_metadata() == schema


def test_cli_rejects_bad_arguments(tmp_path):
    result = subprocess.run([sys.executable, "-m", "scmap.sandbox", "world", "--accounts", "5", "--out",
                             str(tmp_path / "x")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "at least 30" in result.stderr
    assert not (tmp_path / "x").exists()
    with pytest.raises(FileNotFoundError):
        load_world(tmp_path)


def test_write_replaces_files_and_leaves_no_temporaries(tmp_path):
    w = generate_world(2, 60)
    w.write(tmp_path)
    w.write(tmp_path)  # over an existing world
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "interactions.parquet", "playlists.parquet", "tracks.parquet", "users.parquet", "world.json"]


def test_dtypes(world):
    expected = {"int64": "int64", "string": "str", "timestamp[us, tz=UTC]": "datetime64[us, UTC]", "bool": "bool",
                "list<item: string>": "object"}  # tracks.tags: one array of strings per row
    for name, schema in SCHEMAS.items():
        df = getattr(world, name)
        assert list(df.columns) == schema.names
        for field in schema:
            want = "Int64" if field.name in NULLABLE_INT.get(name, ()) else expected[str(field.type)]
            assert str(df[field.name].dtype) == want, (name, field.name, df[field.name].dtype)
    inter = world.interactions
    assert set(inter["interaction"].unique()) == set(INTERACTIONS)
    assert (inter["created_at"].dt.microsecond == 0).all()
    assert inter["created_at"].min() >= pd.Timestamp("2012-01-01", tz="UTC")
    assert inter["created_at"].max() <= pd.Timestamp("2026-12-31", tz="UTC")


def test_default_size_is_quick_and_reasonable(world):
    assert world.meta["_seconds"] < 20  # a few seconds here; generous for slow CI machines
    assert 300_000 < len(world.interactions) < 1_500_000
    assert world.meta["counts"]["interactions"] == len(world.interactions)
    assert world.meta["counts"]["users"] == len(world.users) == ACCOUNTS


# ---- scenes ---------------------------------------------------------------------------------

def test_scenes_are_many_and_of_very_different_sizes(world):
    scenes = world.meta["scenes"]
    assert 15 <= len(scenes) <= 30
    sizes = np.array([s["accounts"] for s in scenes])
    assert sizes.max() / sizes.min() >= 8
    assert sizes.max() >= 3 * np.median(sizes)
    names = world.users.loc[world.users["kind"] != "mainstream", "scene"]
    assert set(names) == {s["name"] for s in scenes}
    assert (world.users.loc[world.users["kind"] == "mainstream", "scene"] == "mainstream").all()


def test_some_accounts_are_in_two_scenes(world):
    members = world.users[world.users["kind"] != "mainstream"]
    two = members["scenes"].str.contains("|", regex=False)
    assert 0.05 <= two.mean() <= 0.10
    first = members.loc[two, "scenes"].str.split("|").str[0]
    assert (first == members.loc[two, "scene"]).all()


def test_interactions_stay_mostly_inside_scenes(world):
    within, chance = within_scene(world)
    assert within > 0.65
    assert within > 3 * chance


# ---- popularity, activity, kinds ------------------------------------------------------------

def test_followers_and_activity_are_heavy_tailed(world):
    users = world.users
    f = np.sort(users["followers_count"].to_numpy())[::-1]
    top = max(1, len(f) // 100)
    assert f[:top].sum() / f.sum() > 0.5
    no_main = np.sort(users.loc[users["kind"] != "mainstream", "followers_count"].to_numpy())[::-1]
    assert no_main[:top].sum() / no_main.sum() > 0.15
    activity = world.interactions["src_id"].value_counts()
    assert activity.quantile(0.99) > 6 * activity.median()
    assert 100 <= activity.median() <= 1000
    for interaction in INTERACTIONS:
        counts = per_src(world, world.interactions["interaction"] == interaction)
        assert counts.max() > 8 * counts.median(), interaction


def test_followers_count_covers_the_followers_list(world, users):
    followers = world.interactions.loc[world.interactions["interaction"] == "follows", "dst_id"].value_counts()
    assert (users.loc[followers.index, "followers_count"] >= followers).all()


def test_many_accounts_are_under_the_crawler_threshold(world):
    share = (world.users["followers_count"] < 250).mean()
    assert 0.40 <= share <= 0.60


def test_mainstream_accounts_are_huge_and_liked_from_most_scenes(world, users):
    main = users[users["kind"] == "mainstream"]
    assert 3 <= len(main) <= 12
    assert main["followers_count"].min() > users.loc[users["kind"] != "mainstream", "followers_count"].max()
    likes = world.interactions[world.interactions["interaction"] == "likes"]
    n_scenes = len(world.meta["scenes"])
    for mid in main.index:
        likers = likes.loc[likes["dst_id"] == mid, "src_id"]
        scenes = set(users.loc[likers.unique(), "scene"]) - {"mainstream"}
        assert len(scenes) >= 0.9 * n_scenes, (mid, len(scenes))


def test_self_likers_give_most_of_their_score_to_themselves(world, users):
    share = self_score_share(world)
    self_likers = users.index[users["kind"] == "self_liker"]
    assert len(self_likers) >= 10
    assert (share.reindex(self_likers).fillna(0) > 0.4).all()
    likes = world.interactions[(world.interactions["interaction"] == "likes")
                               & world.interactions["src_id"].isin(self_likers)]
    assert (likes["src_id"] == likes["dst_id"]).mean() > 0.5
    others = users.index[users["kind"].isin(["artist", "listener"])]
    assert (share.reindex(others).dropna() > 0.4).mean() < 0.02  # rare elsewhere


def test_empty_accounts_have_no_interactions(world, users):
    empty = users.index[users["kind"] == "empty"]
    assert len(empty) >= 10
    inter = world.interactions
    assert not inter["src_id"].isin(empty).any() and not inter["dst_id"].isin(empty).any()
    assert (users.loc[empty, ["likes_count", "track_count", "followings_count"]] == 0).all().all()
    active = users.index[users["kind"] != "empty"]
    assert inter["src_id"].nunique() == len(active)


def test_a_few_following_lists_are_near_the_cap(world, users):
    follows = per_src(world, world.interactions["interaction"] == "follows")
    near = follows[(follows >= 1900) & (follows <= FOLLOW_CAP)]
    assert 1 <= len(near) <= 10
    assert follows.max() <= FOLLOW_CAP
    assert (users["followings_count"] <= FOLLOW_CAP).all()
    assert sorted(near.index) == sorted(world.meta["near_follow_cap"])


# ---- names ----------------------------------------------------------------------------------

def test_permalinks_are_valid_unique_and_renames_do_not_collide(world):
    users = world.users
    assert users["permalink"].is_unique
    assert users["permalink"].map(lambda p: bool(wn.PERMALINK_RE.match(p)) and "--" not in p and "__" not in p).all()
    olds = users["old_permalink"].dropna()
    assert len(olds) >= 0.03 * len(users)
    assert olds.is_unique and not olds.isin(set(users["permalink"])).any()
    assert olds.map(lambda p: bool(wn.PERMALINK_RE.match(p))).all()
    assert users["permalink"].str.fullmatch(r"user-\d{6,}").sum() >= 0.03 * len(users)
    assert users["permalink"].str.fullmatch(r"\d+").any()  # numeric slug (collides in spirit with ids)
    assert (users["username"] != users["permalink"]).mean() > 0.5


def test_display_names_have_every_quirk(world):
    names = world.users["username"]

    def has(pattern: str) -> bool:
        return names.str.contains(pattern, regex=True).any()

    assert has(r"[\u0400-\u04FF]")  # Cyrillic
    assert has(r"[\u4E00-\u9FFF]")  # CJK
    assert has(r"[\uAC00-\uD7AF]")  # Hangul
    assert has(r"[\u0600-\u06FF]")  # Persian / Arabic script
    assert has(r"[éáíüñøç]")  # accents
    assert names.map(wn.has_emoji).sum() >= 20
    blank = names[names.map(wn.is_blank)]
    assert len(blank) >= 5
    assert (blank == "\u2800\u2800\u2800").any() or (blank == "\u2800\u2800").any()  # braille blank repeated
    assert blank.str.contains("[\u200b\u200e\u2060\ufeff]").any()  # zero-width
    assert (names == "<script>alert(1)</script>").any()
    for ch in ('"', "'", "&", "<", ">"):
        assert names.str.contains(ch, regex=False).any(), ch
    dup = names.value_counts()
    assert (dup > 1).sum() >= 5
    assert names.map(len).max() > 30


# ---- objects and interactions ---------------------------------------------------------------

def test_objects_belong_to_interactions_consistently(world):
    inter, tracks, playlists = world.interactions, world.tracks, world.playlists
    assert tracks["id"].is_unique and playlists["id"].is_unique
    assert not set(tracks["id"]) & set(playlists["id"])
    assert (tracks[["user_id", "permalink"]].duplicated().sum() == 0)
    assert (playlists[["user_id", "permalink"]].duplicated().sum() == 0)
    owner = pd.concat([tracks.set_index("id")["user_id"], playlists.set_index("id")["user_id"]])
    obj = inter[inter["object_kind"] != "user"]
    assert (owner.reindex(obj["object_id"]).to_numpy() == obj["dst_id"].to_numpy()).all()
    follows = inter[inter["interaction"] == "follows"]
    assert (follows["object_kind"] == "user").all() and (follows["object_id"] == follows["dst_id"]).all()
    assert (follows["src_id"] != follows["dst_id"]).all()
    assert follows["dst_id"].isin(set(world.users["id"])).all()
    comments = inter[inter["interaction"] == "comments"]
    assert (comments["object_kind"] == "track").all()
    assert comments["comment_id"].notna().all() and comments["comment_id"].is_unique
    assert comments["body"].notna().all() and (comments["body"].str.len() > 0).all()
    others = inter[inter["interaction"] != "comments"]
    assert others["comment_id"].isna().all() and others["body"].isna().all()
    assert set(inter.loc[inter["interaction"].isin(["likes", "reposts"]), "object_kind"]) == {"track", "playlist"}


def test_uniqueness_rules(world):
    inter = world.interactions
    unique_types = inter[inter["interaction"] != "comments"]
    assert not unique_types.duplicated(["src_id", "interaction", "object_kind", "object_id"]).any()
    comments = inter[inter["interaction"] == "comments"]
    repeated = comments.groupby(["src_id", "object_id"]).size()
    assert (repeated > 1).sum() >= 50  # the same account commenting twice on one track
    twice = comments.set_index(["src_id", "object_id"]).loc[repeated[repeated > 1].index[:50]]
    assert twice["comment_id"].is_unique


def _secs(column: pd.Series) -> np.ndarray:
    return column.dt.tz_convert(None).to_numpy().astype("datetime64[s]").astype(np.int64)


def test_times_are_plausible(world):
    inter = world.interactions
    users = world.users.set_index("id")
    user_t = pd.Series(_secs(users["created_at"]), index=users.index)
    obj_t = pd.concat([pd.Series(_secs(t["created_at"]), index=t["id"]) for t in (world.tracks, world.playlists)])
    t = _secs(inter["created_at"])
    obj = (inter["object_kind"] != "user").to_numpy()
    assert (t[obj] > obj_t.reindex(inter["object_id"][obj]).to_numpy()).all()
    assert (t[~obj] > user_t.reindex(inter["object_id"][~obj]).to_numpy()).all()
    assert (t > user_t.reindex(inter["src_id"]).to_numpy()).all()
    for table in (world.tracks, world.playlists):
        assert (_secs(table["created_at"]) > user_t.reindex(table["user_id"]).to_numpy()).all()
    assert users["created_at"].min() >= pd.Timestamp("2012-01-01", tz="UTC")
    years = pd.Series(t).floordiv(365.25 * 86400).value_counts()
    assert len(years) >= 10  # spread over the years, not bunched


def test_playlists_appear_in_likes_and_reposts(world):
    inter = world.interactions[world.interactions["listed"]]
    for interaction in ("likes", "reposts"):
        kinds = inter.loc[inter["interaction"] == interaction, "object_kind"].value_counts()
        assert kinds.get("playlist", 0) > 0.03 * kinds.sum(), interaction
    assert world.playlists["is_album"].any() and (~world.playlists["is_album"]).any()


def test_deleted_and_private_objects_are_unlisted_block_tracks_are_listed(world):
    inter, tracks, playlists = world.interactions, world.tracks, world.playlists
    hidden = set(tracks.loc[tracks["deleted"] | (tracks["sharing"] == "private"), "id"]) | set(
        playlists.loc[playlists["deleted"] | (playlists["sharing"] == "private"), "id"])
    expect_listed = ~(inter["object_id"].isin(hidden) & (inter["object_kind"] != "user"))
    assert (inter["listed"] == expect_listed).all()
    assert (~inter["listed"]).sum() > 0.01 * len(inter)
    for interaction in ("likes", "reposts", "comments"):
        assert (~inter.loc[inter["interaction"] == interaction, "listed"]).any(), interaction
    block = set(tracks.loc[tracks["policy"] == "BLOCK", "id"])
    on_block = inter[(inter["object_kind"] == "track") & inter["object_id"].isin(block)]
    assert on_block["listed"].sum() > 100
    assert set(tracks["policy"]) == {"ALLOW", "MONETIZE", "SNIP", "BLOCK"}


def test_profile_counts_do_not_match_list_lengths(world, users):
    inter = world.interactions
    listed_likes = per_src(world, (inter["interaction"] == "likes") & inter["listed"]).reindex(users.index, fill_value=0)
    all_likes = per_src(world, inter["interaction"] == "likes").reindex(users.index, fill_value=0)
    active = users["kind"] != "empty"
    assert (users.loc[active, "likes_count"] != listed_likes[active]).mean() > 0.8
    assert (users.loc[active, "likes_count"] >= all_likes[active]).mean() > 0.9
    assert (users.loc[active, "likes_count"] < listed_likes[active]).any()  # the reverse happens too
    assert users["reposts_count"].isna().mean() > 0.7 and users["reposts_count"].notna().any()
    public = world.tracks[~world.tracks["deleted"] & (world.tracks["sharing"] == "public")]
    public_count = public["user_id"].value_counts().reindex(users.index, fill_value=0)
    assert (users["track_count"] != public_count).any()


# ---- order, ties, recent_interactions -------------------------------------------------------

def test_interactions_are_sorted_and_ties_are_rare_and_ordered(world):
    inter = world.interactions
    expected = inter.sort_values(["src_id", "interaction", "created_at", "object_id", "comment_id"],
                                 ascending=[True, True, False, False, False], kind="stable")
    assert (expected.index == inter.index).all()
    key = ["src_id", "interaction", "created_at"]
    tied = inter[inter.duplicated(key, keep=False)]
    assert 0 < len(tied) < 0.01 * len(inter)
    assert set(tied["interaction"]) <= {"likes", "reposts", "follows"}


def test_recent_interactions_is_the_most_recent_listed_rows(world):
    inter = world.interactions
    tied = inter[inter.duplicated(["src_id", "interaction", "created_at"], keep=False)]
    user_id, interaction = int(tied["src_id"].iloc[0]), tied["interaction"].iloc[0]
    rows = inter[(inter["src_id"] == user_id) & (inter["interaction"] == interaction) & inter["listed"]]
    rows = rows.sort_values(["created_at", "object_id"], ascending=False)
    got = world.recent_interactions(user_id, interaction)
    assert list(got["object_id"]) == list(rows["object_id"])
    assert got["listed"].all() and (got["src_id"] == user_id).all()
    top = world.recent_interactions(user_id, interaction, 5)
    assert len(top) == min(5, len(rows)) and list(top["object_id"]) == list(rows["object_id"][:5])
    # ties: object_id descending among rows of one second
    for _, group in got.groupby("created_at"):
        assert group["object_id"].is_monotonic_decreasing
    empty = int(world.users.loc[world.users["kind"] == "empty", "id"].iloc[0])
    assert world.recent_interactions(empty, "likes", 10).empty
    assert list(world.recent_interactions(empty, "likes").columns) == list(inter.columns)
    with pytest.raises(ValueError):
        world.recent_interactions(user_id, "plays")


def test_recent_interactions_on_an_unsorted_frame(world):
    shuffled = World(world.users, world.tracks, world.playlists,
                     world.interactions.sample(frac=1.0, random_state=0), world.meta)
    user_id = int(world.meta["demo_seeds"][0]["id"])
    a = world.recent_interactions(user_id, "likes", 50)
    b = shuffled.recent_interactions(user_id, "likes", 50)
    pd.testing.assert_frame_equal(a, b)


# ---- world.json -----------------------------------------------------------------------------

def test_meta_demo_seeds(world, users):
    seeds = world.meta["demo_seeds"]
    assert len(seeds) == 3
    assert len({s["scene"] for s in seeds}) == 3
    inter = world.interactions
    for s in seeds:
        u = users.loc[s["id"]]
        assert u["permalink"] == s["permalink"] and u["scene"] == s["scene"]
        assert u["followers_count"] >= 250 and u["kind"] == "artist"
        listed = len(world.recent_interactions(s["id"], "likes"))
        assert listed == s["listed_likes"] >= 200
        assert (inter["src_id"] == s["id"]).sum() >= 300


def test_meta_quirky_accounts(world, users):
    q = world.meta["quirky_accounts"]
    assert set(q) == {"renamed", "non_ascii", "emoji", "blank", "html_special", "playlist_liker", "self_liker",
                      "empty", "near_follow_cap", "under_threshold"}
    assert all(isinstance(v, int) for v in q.values())
    inter = world.interactions
    assert pd.notna(users.loc[q["renamed"], "old_permalink"])
    assert wn.has_non_ascii_letters(users.loc[q["non_ascii"], "username"])
    assert wn.has_emoji(users.loc[q["emoji"], "username"])
    assert wn.is_blank(users.loc[q["blank"], "username"])
    assert users.loc[q["html_special"], "username"] == "<script>alert(1)</script>"
    pl = inter[(inter["src_id"] == q["playlist_liker"]) & (inter["interaction"] == "likes") & inter["listed"]]
    assert (pl["object_kind"] == "playlist").any()
    assert users.loc[q["self_liker"], "kind"] == "self_liker"
    assert users.loc[q["empty"], "kind"] == "empty"
    assert 1900 <= len(world.recent_interactions(q["near_follow_cap"], "follows")) <= 2000
    assert users.loc[q["under_threshold"], "followers_count"] < 250
    assert len(world.recent_interactions(q["under_threshold"], "likes")) > 0
    # name examples are active accounts a crawl can visit
    for key in ("renamed", "non_ascii", "emoji", "blank", "html_special"):
        assert (inter["src_id"] == q[key]).any(), key


def test_meta_scenes_and_counts(world):
    meta = world.meta
    assert meta["seed"] == SEED and meta["accounts"] == ACCOUNTS
    members = world.users[world.users["kind"] != "mainstream"]
    assert sum(s["primary"] for s in meta["scenes"]) == len(members)
    for s in meta["scenes"]:
        assert s["accounts"] == members["scenes"].str.split("|").map(lambda x: s["name"] in x).sum()
    by_type = world.interactions["interaction"].value_counts()
    assert meta["counts"]["interactions_by_type"] == {t: int(by_type[t]) for t in INTERACTIONS}
    assert meta["counts"]["tracks"] == len(world.tracks) and meta["counts"]["playlists"] == len(world.playlists)
    assert sorted(meta["mainstream"]) == sorted(world.users.loc[world.users["kind"] == "mainstream", "id"])
    json.dumps(meta)  # serialisable as is


def test_small_worlds_still_have_the_quirks():
    for accounts in (60, 120):
        w = generate_world(7, accounts)
        q = w.meta["quirky_accounts"]
        assert [k for k, v in q.items() if v is None] == ["near_follow_cap"]
        assert len(w.meta["demo_seeds"]) >= 2
        assert not w.interactions[w.interactions["interaction"] != "comments"].duplicated(
            ["src_id", "interaction", "object_kind", "object_id"]).any()
    with pytest.raises(ValueError):
        generate_world(1, 10)


def test_describe_mentions_the_figures(world):
    text = describe(world)
    for word in ("scenes:", "under 250", "within-scene", "renamed", "blank-looking", "BLOCK", "near the cap"):
        assert word in text
    assert re.search(r"scenes: \d+, accounts per scene", text)
