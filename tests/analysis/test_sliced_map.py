"""analysis/sliced_map.py on small hand-made crawls: which slices are mapped or skipped, errors,
and the per-year truth for one window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.build_map import MapOptions, recipe_of
from analysis.errors import MapBuildError
from analysis.html_map import read_map_html
from analysis.map_page import carry_scene_colours
from analysis.page_format import read_strings
from analysis.sliced_map import SliceOptions, build_sliced_map, scene_sets_for_window, summary_lines
from edge_dataset import write_edges


def two_scene_year(year: int, accounts: range, rng: np.random.Generator) -> list[dict]:
    """Each account likes 60 tracks of accounts in its half (two scenes), dated in ``year``."""
    rows = []
    members = list(accounts)
    half = len(members) // 2
    for index, account in enumerate(members):
        scene = members[:half] if index < half else members[half:]
        for like in range(60):
            target = int(rng.choice([m for m in scene if m != account]))
            rows.append({"src_id": account, "dst_id": target, "interaction": "likes", "object_kind": "track",
                         "object_id": target * 1000 + like, "created_at": pd.Timestamp(f"{year}-06-01", tz="UTC")
                         + pd.Timedelta(minutes=like)})
    return rows


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    rows = two_scene_year(2020, range(1, 41), rng) + two_scene_year(2021, range(11, 51), rng)
    rows += [{"src_id": 1, "dst_id": 2, "interaction": "likes", "object_kind": "track", "object_id": 7,
              "created_at": pd.Timestamp("2022-03-01", tz="UTC")}]  # 2022: one like, too thin to map
    root = tmp_path_factory.mktemp("sliced")
    write_edges(root / "edges", pd.DataFrame(rows))
    return root


def options(crawl: Path, out: str, **changes) -> MapOptions:
    return MapOptions(edges=crawl / "edges", accounts=crawl / "no-accounts", out=crawl / out,
                      **{"clusters": False, **changes})


def sliced(map_options: MapOptions, slicing: SliceOptions, export: list[str] | None = None) -> dict:
    return build_sliced_map(map_options, recipe_of(map_options), slicing, export)


def test_years_are_mapped_thin_ones_skipped_and_moves_reported(crawl: Path) -> None:
    report = sliced(options(crawl, "years"), SliceOptions(), ["graphml"])
    assert [e["slice"] for e in report["slices"]] == ["2020", "2021"]
    assert [e["slice"] for e in report["skipped_slices"]] == ["2022"]
    second = report["slices"][1]
    assert second["accounts"] == 40 and second["accounts_also_in_previous"] == 30
    assert second["started_from_previous"] and second["median_displacement"] is not None
    coords = pd.read_parquet(crawl / "years" / "coords.parquet")
    assert coords.groupby("slice")["id"].apply(lambda ids: (ids.min(), ids.max())).to_dict() == {
        "2020": (1, 40), "2021": (11, 50)}
    assert {"emerged_at", "generation", "slice"} <= set(coords.columns)
    assert (crawl / "years" / "graph-2021.graphml").exists() and (crawl / "years" / "slices.png").exists()
    assert any("2021" in line and "moved" in line for line in summary_lines(report))


def test_since_until_cut_the_slices(crawl: Path) -> None:
    report = sliced(options(crawl, "cut"), SliceOptions(since=pd.Timestamp("2021-01-01", tz="UTC"),
                                                                  until=pd.Timestamp("2022-01-01", tz="UTC")))
    assert [e["slice"] for e in report["slices"]] == ["2021"] and not report["skipped_slices"]
    assert "median_displacement" not in report["slices"][0]


def test_errors_are_one_line_map_build_errors(crawl: Path, tmp_path: Path) -> None:
    with pytest.raises(MapBuildError, match="no time slice left"):
        sliced(options(crawl, "late"), SliceOptions(since=pd.Timestamp("2030-01-01", tz="UTC")))
    with pytest.raises(MapBuildError, match="enough accounts"):
        sliced(options(crawl, "thin", min_total=1000.0), SliceOptions())
    undated = write_edges(tmp_path / "edges", pd.DataFrame([{"src_id": 1, "dst_id": 2, "interaction": "follows",
                                                             "object_kind": "user", "object_id": 2,
                                                             "created_at": pd.NaT}]))
    with pytest.raises(MapBuildError, match="no dated edges"):
        sliced(MapOptions(edges=undated, accounts=tmp_path / "a", out=tmp_path / "m"), SliceOptions())


def test_scene_sets_for_window_reads_per_year_and_plain_truth(tmp_path: Path) -> None:
    per_year = tmp_path / "history.parquet"
    pd.DataFrame({"year": [2020, 2021], "id": [1, 1], "scene": ["a", "b"]}).to_parquet(per_year)
    assert scene_sets_for_window(per_year, pd.Timestamp("2020-01-01", tz="UTC"),
                                 pd.Timestamp("2021-01-01", tz="UTC"))[1] == frozenset({"a"})
    assert scene_sets_for_window(per_year, None, None)[1] == frozenset({"b"})
    plain = tmp_path / "truth.parquet"
    pd.DataFrame({"id": [1], "scene": ["c"]}).to_parquet(plain)
    assert scene_sets_for_window(plain, None, None)[1] == frozenset({"c"})
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(MapBuildError, match="cannot read --truth"):
        scene_sets_for_window(tmp_path / "bad.parquet", None, None)


def test_slices_write_one_page_with_every_slice_and_follow_the_recipe(crawl: Path) -> None:
    map_options = options(crawl, "scenes-recipe", recipe="scenes", clusters=True)
    report = sliced(map_options, SliceOptions())
    assert report["recipe"] == "scenes" and report["parameters"]["metric"] == "cosine"
    for entry in report["slices"]:  # the scenes recipe's own steps ran on every slice
        assert [step["step"] for step in entry["matrix_steps"]][-2:] == [
            "columns >= 2 accounts", "columns / mean intensity, shares"]
    header, arrays = read_map_html((crawl / "scenes-recipe" / "map.html").read_text(encoding="utf-8"))
    coords = pd.read_parquet(crawl / "scenes-recipe" / "coords.parquet")
    assert [part["label"] for part in header["slices"]] == ["2020", "2021"]
    for k, part in enumerate(header["slices"]):
        ids = coords.loc[coords["slice"] == part["label"], "id"].tolist()
        points = arrays[f"s{k}-core"]["point"].tolist()
        assert len(points) == len(ids) == len(set(points))
        assert [c["name"] for c in part["colourings"]] == ["scene", "generation"]
        assert len(arrays[f"s{k}-core"]["x"]) == len(ids) and part["scenes"]
    assert len(read_strings(arrays["names"], "name")) == header["accounts"] == coords["id"].nunique()  # each account once


def test_scene_colours_follow_scenes_across_slices() -> None:
    previous = {0: {1, 2, 3, 4}, 1: {5, 6, 7, 8}}
    previous_colours = {0: "#aaaaaa", 1: "#bbbbbb"}
    # scene 0 split into 10 (larger) and 11; scene 1 went on as 12 with newcomers; 13 is new.
    current = {10: {1, 2, 3}, 12: {5, 6, 7, 8, 20, 21}, 11: {4, 30}, 13: {40, 41}}
    own = {10: "#111111", 11: "#222222", 12: "#aaaaaa", 13: "#444444"}
    colours = carry_scene_colours(previous, previous_colours, current, own)
    assert colours[10] == "#aaaaaa" and colours[12] == "#bbbbbb"
    assert colours[13] == "#444444"
    assert colours[11] not in {"#aaaaaa", "#bbbbbb"} and len(set(colours.values())) == 4
