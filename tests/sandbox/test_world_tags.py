"""Genres and tags planted in the sandbox worlds (world_tags.py): each scene's words stand out of
real-world noise, the truth in world.json states them, and uploads agree with account histories."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from scmap.sandbox import world_tags
from scmap.sandbox.world import generate_world
from scmap.sandbox.world_history import FORM_YEAR, FORMING, STABLE, generate_history_world
from scmap.sandbox.world_names import SCENE_NAMES


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 3000)


@pytest.fixture(scope="module")
def history():
    return generate_history_world(seed=5, accounts=400)


def _words_by_scene(world) -> dict[str, Counter]:
    """Folded genre + tag words of the tracks, by the owner's primary scene."""
    scene_of = world.users.set_index("id")["scene"]
    counts: dict[str, Counter] = {}
    tracks = world.tracks
    for owner, genre, tags in zip(tracks["user_id"], tracks["genre"], tracks["tags"]):
        words = counts.setdefault(scene_of[owner], Counter())
        if isinstance(genre, str):
            words[world_tags.fold_word(genre)] += 1
        words.update(world_tags.fold_word(tag) for tag in tags)
    return counts


def test_fold_word_merges_spellings_in_any_script():
    assert {world_tags.fold_word(s) for s in ("Drum & Bass", "drum and bass", "DRUM-AND-BASS", " drum  and bass ")} \
        == {"drumandbass"}
    assert world_tags.fold_word("DnB") == "dnb"
    assert world_tags.fold_word("Ｌｏ－Ｆｉ") == world_tags.fold_word("lo-fi") == "lofi"  # NFKC: full-width letters
    assert world_tags.fold_word("Фонк") == "фонк" and world_tags.fold_word("ナイトコア") == "ナイトコア"


def test_every_scene_has_words_of_its_own():
    assert set(world_tags.SCENE_VOCABULARY) == set(SCENE_NAMES)
    owner: dict[str, str] = {}
    shared = set(world_tags.shared_words())
    for scene in SCENE_NAMES:
        words = world_tags.scene_words(scene)
        assert words[0] == world_tags.fold_word(scene) and len(words) >= 2
        for word in words:
            assert word not in shared, (scene, word)
            assert owner.setdefault(word, scene) == scene, f"{word!r} in {owner[word]!r} and {scene!r}"


def test_world_json_states_each_scenes_words(world):
    scenes = {s["name"] for s in world.meta["scenes"]}
    assert set(world.meta["scene_words"]) == scenes
    for scene, words in world.meta["scene_words"].items():
        assert words == world_tags.scene_words(scene)
    assert world.meta["shared_words"] == world_tags.shared_words()
    assert {"rap", "trap", "beat"} <= set(world.meta["shared_words"])


def test_planted_words_stand_out_of_the_noise(world):
    counts = _words_by_scene(world)
    everywhere = sum(counts.values(), Counter())
    sizes = world.users["scene"].value_counts()
    for scene, words in world.meta["scene_words"].items():
        if sizes[scene] < 30:
            continue
        scene_total = sum(counts[scene].values())
        rest_total = sum(everywhere.values()) - scene_total
        # the scene's own name is many times more frequent inside the scene than outside it
        own = counts[scene][words[0]] / scene_total
        outside = (everywhere[words[0]] - counts[scene][words[0]]) / rest_total
        assert own > 0.02 and own > 10 * outside, (scene, own, outside)
        # the shared words are there too, about as often as anywhere
        assert counts[scene]["rap"] + counts[scene]["trap"] + counts[scene]["beat"] > 0, scene


def test_real_world_noise(world):
    tracks, users = world.tracks, world.users
    untagged = (tracks["tags"].map(len) == 0).mean()
    assert 0.35 < untagged < 0.65  # many tracks carry no tag at all
    assert 0.15 < tracks["genre"].isna().mean() < 0.35
    genres = tracks["genre"].dropna()
    # one scene word, several spellings (case, spacing, `&`): e.g. "Drill", "DRILL", "drill"
    spellings = genres.groupby(genres.map(world_tags.fold_word)).nunique()
    assert (spellings >= 3).sum() >= 10
    assert "Hip-hop & Rap" in set(genres)  # generic genres of any scene
    tags = [tag for row in tracks["tags"] for tag in row]
    assert any("\u0400" <= ch <= "\u04ff" for tag in tags for ch in tag)  # Cyrillic
    assert any("\u3040" <= ch <= "\u30ff" for tag in tags for ch in tag)  # Japanese kana
    assert any(" " in tag for tag in tags)  # multi-word tags (quoted in tag_list)
    names = users.set_index("id")[["username", "permalink"]]
    own_name = sum(
        any(tag in (names.at[owner, "permalink"], " ".join(names.at[owner, "username"].split())) for tag in row)
        for owner, row in zip(tracks["user_id"], tracks["tags"]))
    assert own_name > 0.02 * len(tracks)  # tags that are the artist's own name
    for row in tracks["tags"]:
        assert all(tag == tag.strip() and tag and '"' not in tag for tag in row)


def test_uploads_follow_each_accounts_creation(world):
    """Generations from uploads: an account's emergence (the 15 % quantile of its upload dates, the
    article's part 2) comes after its creation and tracks it: older accounts emerged earlier."""
    created = world.users.set_index("id")["created_at"]
    uploads = world.tracks.groupby("user_id")["created_at"]
    emerged = uploads.quantile(0.15)
    first = uploads.min()
    assert (first > created.reindex(first.index)).all()
    assert world.tracks["created_at"].max() <= pd.Timestamp(world.meta["time_range"][1])
    many = uploads.size() >= 5
    rank = pd.DataFrame({"emerged": emerged[many], "created": created.reindex(emerged[many].index)}).rank()
    assert rank.corr().iloc[0, 1] > 0.6


def test_history_world_plants_each_groups_words_by_the_year_of_upload(history):
    world = history.world
    names = world.meta["history"]["groups"]
    assert set(world.meta["scene_words"]) == set(names)
    membership = history.membership
    recruit_ids = set(membership.loc[(membership["year"] == FORM_YEAR - 1) & (membership["group"] == STABLE[0]), "id"]) \
        & set(membership.loc[(membership["year"] == FORM_YEAR) & (membership["group"] == FORMING), "id"])
    assert recruit_ids
    tracks = world.tracks[world.tracks["user_id"].isin(recruit_ids)]
    before = tracks["created_at"].dt.year < FORM_YEAR
    old_words = set(world.meta["scene_words"][names[STABLE[0]]])
    new_words = set(world.meta["scene_words"][names[FORMING]])

    def words(rows) -> Counter:
        found = Counter()
        for genre, tags in zip(rows["genre"], rows["tags"]):
            found.update(world_tags.fold_word(w) for w in ([genre] if isinstance(genre, str) else []) + list(tags))
        return found

    early, late = words(tracks[before]), words(tracks[~before])
    assert sum(early[w] for w in old_words) > 3 * sum(early[w] for w in new_words)
    assert sum(late[w] for w in new_words) > 3 * sum(late[w] for w in old_words)


def test_history_uploads_start_at_emergence(history):
    """Generations from uploads: each account's uploads start around its stated emergence."""
    world, membership = history.world, history.membership
    emerged = membership.groupby("id")["emerged_at"].first()
    first_upload = world.tracks.groupby("user_id")["created_at"].min()
    created = world.users.set_index("id")["created_at"]
    assert (first_upload >= created.reindex(first_upload.index)).all()
    assert (first_upload.reindex(emerged.index) <= emerged).all()
    tags = world.tracks["tags"].map(len)
    assert 0.3 < (tags == 0).mean() < 0.7
    assert np.isin(world.tracks["genre"].dropna().map(world_tags.fold_word),
                   [w for words in world.meta["scene_words"].values() for w in words] + world.meta["shared_words"]).all()
