"""The history world (world_history.py): deterministic, its stated truth matches what its accounts
do each year, and `--history` is optional (the default world is checked by test_world.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scmap.sandbox.world import load_world
from scmap.sandbox.world_history import (FORM_YEAR, MERGE_A, MERGE_B, SPLIT_A, SPLIT_B, YEARS,
                                         generate_history_world)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def history():
    return generate_history_world(seed=5, accounts=400)


def _within_scene_share(history, year: int) -> float:
    """Share of that year's interactions whose target is in the source's scene (that year's truth)."""
    world, truth = history.world, history.truth(year)
    scene = truth.set_index("id")["scene"]
    inter = world.interactions[world.interactions["created_at"].dt.year == year]
    same = scene.reindex(inter["src_id"]).to_numpy() == scene.reindex(inter["dst_id"]).to_numpy()
    return float(same.mean())


def test_same_seed_same_tables_and_another_seed_differs(history) -> None:
    again = generate_history_world(seed=5, accounts=400)
    pd.testing.assert_frame_equal(again.world.interactions, history.world.interactions)
    pd.testing.assert_frame_equal(again.membership, history.membership)
    other = generate_history_world(seed=6, accounts=400)
    assert not other.world.interactions["dst_id"].equals(history.world.interactions["dst_id"])


def test_each_year_most_interactions_stay_inside_that_years_scenes(history) -> None:
    for year in YEARS:
        share = _within_scene_share(history, year)
        # 85 % go into the own group or its partner; a random target is in the scene ~1/7 of the time
        assert 0.75 < share < 0.97, (year, share)


def test_the_planted_events_are_in_the_truth(history) -> None:
    meta = history.world.meta["history"]
    names = meta["groups"]
    scenes_by_year = {int(y): set(s) for y, s in meta["scenes_by_year"].items()}
    split = f"{names[min(SPLIT_A, SPLIT_B)]} + {names[max(SPLIT_A, SPLIT_B)]}"
    merged = f"{names[MERGE_A]} + {names[MERGE_B]}"
    assert split in scenes_by_year[YEARS[0]] and names[SPLIT_A] not in scenes_by_year[YEARS[0]]
    assert split not in scenes_by_year[YEARS[-1]] and {names[SPLIT_A], names[SPLIT_B]} <= scenes_by_year[YEARS[-1]]
    assert merged not in scenes_by_year[YEARS[0]] and merged in scenes_by_year[YEARS[-1]]
    forming = meta["forming"]["scene"]
    assert all((forming in scenes_by_year[y]) == (y >= FORM_YEAR) for y in YEARS)
    # recruits: accounts in the first stable scene before, in the new scene after
    truth = history.membership.pivot(index="id", columns="year", values="scene")
    moved = truth[(truth[FORM_YEAR - 1] == meta["forming"]["recruited_from"]) & (truth[FORM_YEAR] == forming)]
    assert len(moved) == meta["forming"]["recruits"] > 5


def test_split_halves_interact_with_each_other_less_and_less(history) -> None:
    world, membership = history.world, history.membership
    group = membership.drop_duplicates("id").set_index("id")["group"]
    inter = world.interactions
    src_group = group.reindex(inter["src_id"]).to_numpy()
    dst_group = group.reindex(inter["dst_id"]).to_numpy()
    in_pair = np.isin(src_group, (SPLIT_A, SPLIT_B)) & np.isin(dst_group, (SPLIT_A, SPLIT_B))
    cross = pd.Series(src_group[in_pair] != dst_group[in_pair]).groupby(
        inter["created_at"].dt.year.to_numpy()[in_pair]).mean()
    assert cross[YEARS[0]] > 0.4 and cross[YEARS[-1]] < 0.1


def test_no_interaction_predates_its_track_or_its_accounts(history) -> None:
    world = history.world
    tracks = world.tracks.set_index("id")["created_at"]
    on_tracks = world.interactions[world.interactions["object_kind"] == "track"]
    assert (on_tracks["created_at"].to_numpy() >= tracks.reindex(on_tracks["object_id"]).to_numpy()).all()
    emerged = history.membership.drop_duplicates("id").set_index("id")["emerged_at"]
    first_upload = world.tracks.groupby("user_id")["created_at"].min()
    assert (emerged.reindex(first_upload.index) >= first_upload).all()
    # accounts appear in the truth only from their emergence year
    first_year = history.membership.groupby("id")["year"].min()
    assert (first_year >= emerged.dt.year.clip(upper=YEARS[-1]).reindex(first_year.index).clip(lower=YEARS[0])).all()


def test_likes_reposts_follows_are_unique(history) -> None:
    inter = history.world.interactions
    for kind in ("likes", "reposts", "follows"):
        of_kind = inter[inter["interaction"] == kind]
        assert not of_kind.duplicated(["src_id", "object_kind", "object_id"]).any(), kind


def test_cli_history_flag_writes_the_world_and_its_truth(tmp_path) -> None:
    out = tmp_path / "w"
    result = subprocess.run([sys.executable, "-m", "scmap.sandbox", "world", "--history", "--seed", "5",
                             "--accounts", "400", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["users"] == 400
    loaded = load_world(out)
    assert loaded.meta["history"]["years"] == list(YEARS)
    membership = pd.read_parquet(out / "history.parquet")
    assert set(membership["year"]) == set(YEARS) and membership["id"].isin(loaded.users["id"]).all()
    too_small = subprocess.run([sys.executable, "-m", "scmap.sandbox", "world", "--history", "--accounts", "50",
                                "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert too_small.returncode == 2 and "at least 100" in too_small.stderr


def test_followers_cover_the_world_and_some_accounts_are_under_the_threshold(history) -> None:
    users, inter = history.world.users.set_index("id"), history.world.interactions
    followed_by = inter[inter["interaction"] == "follows"].groupby("dst_id").size()
    assert (users["followers_count"].reindex(followed_by.index) >= followed_by).all()
    assert 0.03 < (users["followers_count"] < 250).mean() < 0.2
