"""End to end: a small sandbox world's crawl with its objects dataset -> `python -m
analysis.build_map` -> scenes named by their music and generations by upload dates, scored against
the world's truth; the same crawl without objects keeps today's labels exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis.build_map as build_map_module
from analysis.build_map import main
from analysis.html_map import MapPage, write_map_html
from analysis.generations import emergence_from_edges
from analysis.scene_words import fold
from object_dataset import crawled_objects, planted_words, write_objects
from scene_scoring import median_error_years, scene_word_hits, upload_quantiles
from world_dataset import crawled_edges, small_sandbox_world, write_world_dataset


PAGES: dict[Path, MapPage] = {}


@pytest.fixture(scope="module")
def world_800():
    return small_sandbox_world()


@pytest.fixture(scope="module")
def crawls(tmp_path_factory, world_800) -> tuple[Path, Path]:
    """(with objects, without): the same edges and accounts, mapped with the same seed; the
    MapPage each build hands to map.html's writer is kept in PAGES (the page shows it)."""
    root = tmp_path_factory.mktemp("scene-words")
    with_objects, without = root / "with", root / "without"
    write_world_dataset(world_800, with_objects)
    write_objects(with_objects / "objects", crawled_objects(world_800, crawled_edges(world_800)))
    for name in ("edges", "accounts"):
        shutil.copytree(with_objects / name, without / name)

    def keep_page(path: Path, page: MapPage) -> None:
        PAGES[path.parent.parent] = page
        write_map_html(path, page)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_map_module, "write_map_html", keep_page)
        for crawl in (with_objects, without):
            assert main(["--input", str(crawl), "--quiet", "--seed", "7"]) == 0
    return with_objects, without


def test_scenes_are_named_by_their_planted_words(crawls, world_800) -> None:
    with_objects, _ = crawls
    coords = pd.read_parquet(with_objects / "map" / "coords.parquet")
    hits = scene_word_hits(coords, pd.read_parquet(with_objects / "truth.parquet"), planted_words(world_800))
    assert len(hits) >= 3, hits
    assert np.mean([hit for *_, hit in hits]) >= 0.8, hits
    report = json.loads((with_objects / "map" / "report.json").read_text())
    assert report["parameters"]["objects"] is True
    for cluster in report["clusters"]:
        words = coords.loc[coords["cluster"] == cluster["cluster"], "cluster_tags"].iloc[0]
        assert cluster["tags"] == list(words)
        if cluster["tags"]:
            assert cluster["label"].startswith(" · ".join(cluster["tags"][:3]) + " — ")
    assert (coords.loc[coords["cluster"] < 0, "cluster_tags"].map(len) == 0).all()


def test_a_crawl_without_objects_keeps_todays_labels(crawls) -> None:
    with_objects, without = crawls
    named = pd.read_parquet(with_objects / "map" / "coords.parquet")
    plain = pd.read_parquet(without / "map" / "coords.parquet")
    assert "cluster_tags" not in plain and (named["cluster"] == plain["cluster"]).all()
    report = json.loads((without / "map" / "report.json").read_text())
    assert report["parameters"]["objects"] is False and all(c["tags"] == [] for c in report["clusters"])
    central = {c["cluster"]: " / ".join(c["central"][:2]) for c in report["clusters"]}
    assert all(c["label"] == central[c["cluster"]] for c in report["clusters"])  # today's names
    # with objects: the same central accounts after the words
    for before, after in zip(plain["cluster_label"].dropna(), named["cluster_label"].dropna()):
        assert after == before or after.endswith(" — " + before)
    assert report["generations"]["emerged_from"].get("uploads") is None


def test_generations_come_from_upload_dates(crawls, world_800) -> None:
    with_objects, _ = crawls
    coords = pd.read_parquet(with_objects / "map" / "coords.parquet").set_index("id")
    truth = upload_quantiles(world_800.tracks)
    old = emergence_from_edges(with_objects / "edges", coords.index.to_numpy()).set_index("id")["emerged_at"]
    new_error, old_error = median_error_years(coords["emerged_at"], truth), median_error_years(old, truth)
    assert new_error <= 0.5 and new_error < old_error / 2, (new_error, old_error)
    assert (coords["emerged_from"] == "uploads").sum() > len(coords) / 2
    report = json.loads((with_objects / "map" / "report.json").read_text())
    assert report["generations"]["emerged_from"]["uploads"] == (coords["emerged_from"] == "uploads").sum()


def test_the_page_gets_hover_words_and_emergence_years(crawls) -> None:
    with_objects, without = crawls
    fields = PAGES[with_objects].fields  # what map.html is written from (the page shows fields on hover)
    coords = pd.read_parquet(with_objects / "map" / "coords.parquet")
    assert set(fields) == {"words", "emerged"}
    assert fields["emerged"] == coords["generation"].tolist()
    assert sum(bool(w) for w in fields["words"]) > len(coords) / 2
    assert set(PAGES[without].fields) == {"emerged"}


def test_no_word_is_an_accounts_own_name(crawls, world_800) -> None:
    """The world tags tracks with their uploaders' names; neither a scene nor an account shows one."""
    with_objects, _ = crawls
    names = {fold(n) for n in [*world_800.users["username"], *world_800.users["permalink"]]} - {""}
    planted = {fold(w) for words in planted_words(world_800).values() for w in words}
    tags = {fold(t) for ts in world_800.tracks["tags"] for t in ts}
    assert (tags & names) - planted, "the world should plant own-name tags"
    shown = {fold(w) for words in PAGES[with_objects].fields["words"] for w in words.split(" · ") if w}
    shown |= {fold(w) for s in json.loads((with_objects / "map" / "report.json").read_text())["clusters"]
              for w in s["tags"]}
    assert shown and not (shown & names) - planted


def test_links_list_the_tracks_that_tie_two_accounts(crawls, world_800) -> None:
    with_objects, without = crawls
    page, plain = PAGES[with_objects], PAGES[without]
    assert plain.tying is None and plain.objects is None and all(scene.tags == [] for scene in plain.scenes)
    assert [len(row) for row in page.tying] == [len(row) for row in page.neighbours]
    users = world_800.users.set_index("id")
    tracks, playlists = world_800.tracks.set_index("id"), world_800.playlists.set_index("id")
    interactions = world_800.interactions
    checked = 0
    for point, (row, tying) in enumerate(zip(page.neighbours, page.tying)):
        for (ref, _, _), objects in zip(row, tying):
            assert len(objects) <= 5
            if ref < 0 or not objects:
                continue
            source, target = page.ids[point], page.ids[ref]
            acted_on = set(interactions.loc[(interactions["src_id"] == source)
                                            & (interactions["dst_id"] == target), "object_id"])
            for index in objects:
                title, path = page.objects[index]
                owner, slug = path.split("/", 1)
                table = playlists if slug.startswith("sets/") else tracks
                found = table[(table["permalink"] == slug.removeprefix("sets/")) & (table["user_id"] == target)]
                assert len(found) == 1 and owner == users.loc[target, "permalink"]
                assert title == found["title"].iloc[0] and found.index[0] in acted_on
                checked += 1
        if checked > 200:
            break
    assert checked > 50
    # the page shows a scene as "tags — label": its label is the central accounts alone
    report = json.loads((with_objects / "map" / "report.json").read_text())
    by_number = {c["cluster"]: c for c in report["clusters"]}
    assert any(scene.tags for scene in page.scenes)
    for scene in page.scenes:
        assert scene.tags == by_number[scene.number]["tags"][:3]
        assert scene.label == " / ".join(by_number[scene.number]["central"][:2])
