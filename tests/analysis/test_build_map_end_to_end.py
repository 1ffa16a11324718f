"""End to end: a small sandbox world -> the crawler's Parquet layout -> `python -m
analysis.build_map` -> every output, with quality thresholds a broken pipeline fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.build_map import main
from analysis.html_map import read_map_html
from analysis.page_format import read_strings
from analysis.quality import load_scene_sets, neighbour_scene_agreement
from world_dataset import small_sandbox_world, write_world_dataset

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = {"likes": 1, "comments": 3, "reposts": 3, "follows": 3}


@pytest.fixture(scope="module")
def world_800():
    return small_sandbox_world()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, world_800) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    write_world_dataset(world_800, root / "output")
    return root


@pytest.fixture(scope="module")
def default_run(crawl: Path) -> subprocess.CompletedProcess:
    """What the demo does: no arguments, default output/ under the working directory."""
    return subprocess.run([sys.executable, "-m", "analysis.build_map"], cwd=crawl, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=600)


@pytest.fixture(scope="module")
def world(crawl: Path):
    truth = load_scene_sets(crawl / "output" / "truth.parquet")
    users = pd.read_parquet(crawl / "output" / "truth.parquet")
    return truth, users


def agreement(frame: pd.DataFrame, truth: pd.Series, x: str = "x", y: str = "y") -> float:
    return neighbour_scene_agreement(frame[[x, y]].to_numpy(), list(truth.reindex(frame["id"])))


def test_default_run_writes_every_output_and_says_where_the_map_is(crawl: Path, default_run) -> None:
    assert default_run.returncode == 0, default_run.stderr
    out = crawl / "output" / "map"
    for name in ("coords.parquet", "pca.png", "map.png", "map.html", "report.json"):
        assert (out / name).stat().st_size > 0, name
    assert default_run.stdout.strip().splitlines()[-1] == "map: output/map/map.html"
    assert "t-SNE" in default_run.stderr  # progress lines with timings
    assert not list(out.glob(".*"))  # no temp files left behind


def test_counts_and_filters_match_an_independent_computation(crawl: Path, default_run) -> None:
    edges = pd.read_parquet(crawl / "output" / "edges")
    distinct = edges.drop_duplicates(["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"])
    distinct = distinct.assign(score=distinct["interaction"].astype(str).map(WEIGHTS))
    pair = distinct.groupby(["src_id", "dst_id"])["score"].sum()
    totals = pair.groupby(level=0).sum()
    active = totals[totals >= 50].index
    largest_share = (pair / totals.reindex(pair.index.get_level_values(0)).to_numpy()).groupby(level=0).max()
    mapped = sorted(set(active) & set(largest_share[largest_share <= 0.4].index))

    report = json.loads((crawl / "output" / "map" / "report.json").read_text())
    assert report["edges"]["read"] == len(edges) and report["edges"]["distinct"] == len(distinct)
    assert [step["rows"] for step in report["matrix_steps"]] == [len(totals), len(active), len(mapped)]
    assert report["matrix_steps"][0]["columns"] == distinct["dst_id"].nunique()
    coords = pd.read_parquet(crawl / "output" / "map" / "coords.parquet")
    assert sorted(coords["id"]) == mapped
    assert 0 < len(mapped) < len(totals)  # both filters bite on this world


def test_labels_are_the_accounts_names(crawl: Path, default_run, world_800) -> None:
    users = world_800.users.set_index("id")
    coords = pd.read_parquet(crawl / "output" / "map" / "coords.parquet").set_index("id")
    assert (coords["username"] == users.loc[coords.index, "username"]).all()
    assert (coords["permalink"] == users.loc[coords.index, "permalink"]).all()
    assert (coords["followers_count"] == users.loc[coords.index, "followers_count"]).all()
    labelled = coords[coords["cluster"] >= 0]
    assert len(labelled) > len(coords) / 2 and labelled["cluster_label"].str.len().min() > 0


def test_map_groups_scenes_and_broken_variants_score_clearly_worse(crawl: Path, default_run, world) -> None:
    truth, _ = world
    coords = pd.read_parquet(crawl / "output" / "map" / "coords.parquet")
    good = agreement(coords, truth)
    shuffled = coords.assign(id=np.random.default_rng(0).permutation(coords["id"].to_numpy()))
    assert good >= 0.85
    assert agreement(shuffled, truth) < good - 0.4

    # Without normalisation very active accounts dominate the PCA: the linear map mixes scenes.
    raw_out = crawl / "raw"
    assert main(["--input", str(crawl / "output"), "--out", str(raw_out), "--no-normalize", "--quiet",
                 "--truth", str(crawl / "output" / "truth.parquet")]) == 0
    raw = pd.read_parquet(raw_out / "coords.parquet")
    assert agreement(raw, truth, "pca_x", "pca_y") < agreement(coords, truth, "pca_x", "pca_y") - 0.08

    quality = json.loads((raw_out / "report.json").read_text())["quality"]
    assert quality["accounts_with_truth"] == len(raw)
    assert quality["chance_neighbour_scene_agreement"] < 0.4
    assert 0.8 < quality["tsne_trustworthiness"] <= 1


def test_map_page_data_matches_the_coordinates(crawl: Path, default_run) -> None:
    header, arrays = read_map_html((crawl / "output" / "map" / "map.html").read_text(encoding="utf-8"))
    coords = pd.read_parquet(crawl / "output" / "map" / "coords.parquet")
    core, links, (part,) = arrays["s0-core"], arrays["s0-links"], header["slices"]
    assert read_strings(arrays["names"], "name") == coords["username"].tolist() and len(core["x"]) == len(coords)
    assert np.allclose(core["x"], coords["x"], atol=1e-3)
    starts = np.concatenate([[0], np.cumsum(links["neighbourCount"], dtype=np.int64)]).astype(np.int64)
    rows = [list(zip(links["neighbourRef"][a:b].tolist(), links["neighbourShare"][a:b].tolist(), links["neighbourBits"][a:b].tolist()))
            for a, b in zip(starts[:-1], starts[1:])]
    assert all(0 < len(row) <= 8 for row in rows)
    assert all(ref != point for point, row in enumerate(rows) for ref, _, _ in row)  # never itself
    assert all(row[k][1] >= row[k + 1][1] for row in rows for k in range(len(row) - 1))
    # Each link carries the interaction types behind it: some bit, and only types that exist.
    assert header["kinds"] == sorted(header["kinds"]) and "likes" in header["kinds"]
    bits = [b for row in rows for _, _, b in row]
    assert all(0 < b < (1 << len(header["kinds"])) for b in bits) and len(set(bits)) > 1
    # The legend: every scene with its size and central accounts, sizes matching the points.
    scene = core["colour0"].astype(int) - 1
    assert part["scenes"] and all(s["size"] == (scene == k).sum() for k, s in enumerate(part["scenes"]))
    assert all(len(s["central"]) >= 1 and scene[s["central"][0]] == k for k, s in enumerate(part["scenes"]))
    # Colour by generation: each point's category is its coords generation (undated: -1, grey).
    assert [c["name"] for c in part["colourings"]] == ["scene", "generation"]
    cohorts = [category["label"] for category in part["colourings"][1]["categories"]]
    assert cohorts == sorted(coords["generation"].dropna().unique())
    assert [cohorts[v - 1] if v > 0 else None for v in core["colour1"].tolist()] == coords["generation"].tolist()


def test_scene_colours_are_the_same_on_a_second_run_of_the_same_data(crawl: Path, default_run, tmp_path: Path) -> None:
    assert main(["--input", str(crawl / "output"), "--out", str(tmp_path), "--quiet"]) == 0
    first, second = (read_map_html((out / "map.html").read_text(encoding="utf-8"))[0]["slices"][0]["scenes"]
                     for out in (crawl / "output" / "map", tmp_path))
    assert [(s["label"], s["colour"]) for s in first] == [(s["label"], s["colour"]) for s in second]
    assert len({s["colour"] for s in first}) == len(first)  # distinct while the palette lasts


def test_large_map_settings_on_a_small_world_keep_the_scenes(crawl: Path, default_run, world, capsys) -> None:
    """--tsne-large-map on (what 500,000+ accounts get): uniform 15-neighbour affinities, coarser
    grid, Z-ordered points; the map still groups the scenes and the report says what ran."""
    truth, _ = world
    out = crawl / "large-map"
    assert main(["--input", str(crawl / "output"), "--out", str(out), "--tsne-large-map", "on",
                 "--no-generations"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["tsne"]["large_map_settings"] is True and "perplexity_used" not in report["tsne"]
    assert "affinities uniform, 15 nearest neighbours" in capsys.readouterr().out
    assert agreement(pd.read_parquet(out / "coords.parquet"), truth) >= 0.8
