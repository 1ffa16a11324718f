"""analysis.api as a notebook uses it: each step alone on plain objects, several crawls read
as one, and the edge dataset read by DuckDB and Polars as docs/analysis.md shows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis import api
from analysis.build_map import main
from quality_worlds import make_world, write_world
from edge_dataset import write_edges


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return write_world("planted", tmp_path_factory.mktemp("api") / "world", sources=300, seed=5)


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    """One world's edges split over two crawls that overlap (a re-crawl writes some edges again)."""
    edges, _ = make_world("planted", sources=200, seed=6)
    root = tmp_path_factory.mktemp("crawls")
    first, second = edges.iloc[: len(edges) * 2 // 3], edges.iloc[len(edges) // 3:]
    write_edges(root / "a" / "edges", first.assign(crawl_id="a"))
    write_edges(root / "b" / "edges", second.assign(crawl_id="b"))
    return root / "a" / "edges", root / "b" / "edges", edges


def test_several_crawls_count_each_distinct_edge_once(two_crawls) -> None:
    first, second, edges = two_crawls
    counts = api.count_interactions([first, second])
    expected = edges.groupby(["src_id", "dst_id", "interaction"]).size()
    got = counts.set_index(["src_id", "dst_id", "interaction"])["count"]
    assert got.sum() == len(edges) < len(api.read_edges([first, second]))
    assert got.sort_index().equals(expected.sort_index().astype(got.dtype))


def test_each_step_alone_returns_plain_objects(world: Path) -> None:
    edges = api.read_edges(world / "edges", columns=["src_id", "dst_id", "interaction"], interactions=["likes"])
    assert isinstance(edges, pd.DataFrame) and set(edges["interaction"]) == {"likes"}
    counts = api.count_interactions(world / "edges")
    matrix = api.build_matrix(counts, recipe="scenes")
    assert sp.issparse(matrix.scores) and matrix.scores.shape == (len(matrix.row_ids), len(matrix.column_ids))
    points = api.reduce(matrix, recipe="scenes")
    assert isinstance(points, np.ndarray) and points.shape == (len(matrix.row_ids), 50)
    xy = api.embed(points, recipe="scenes")
    scenes = api.find_scenes(xy)
    assert scenes.shape == (len(xy),) and scenes.max() >= 3
    figures = api.score(matrix.row_ids, xy, api.load_truth(world / "truth.parquet"), points)
    assert figures["neighbour_scene_agreement"] > 0.8 > 0.3 > figures["chance"]
    assert 0.5 < figures["trustworthiness"] <= 1


def test_make_map_gives_a_frame_per_account(world: Path) -> None:
    result = api.make_map(world / "edges", recipe="article")
    frame = result.frame()
    assert list(frame.columns) == ["id", "x", "y", "scene"] and len(frame) == len(result.ids)
    assert set(result.seconds) == {"read", "matrix", "pca", "tsne", "scenes"}


def test_build_map_reports_the_recipe_and_every_parameter(world: Path, tmp_path: Path, capsys) -> None:
    assert main(["--input", str(world), "--out", str(tmp_path), "--recipe", "scenes", "--perplexity", "25",
                 "--truth", str(world / "truth.parquet"), "--quiet"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["recipe"] == "scenes"
    parameters = report["parameters"]
    assert parameters["weighting"] == "intensity" and parameters["metric"] == "cosine"
    assert parameters["perplexity"] == 25 and parameters["min_column_accounts"] == 2
    assert {"weights", "min_total", "max_share", "pca_components", "seed", "pca_solver"} <= set(parameters)
    assert report["tsne"]["metric"] == "cosine"
    assert "recipe: scenes" in capsys.readouterr().out


def test_duckdb_reads_the_edges(world: Path) -> None:
    import duckdb

    # The example in docs/analysis.md.
    frame = duckdb.sql(f"""
        SELECT interaction, count(*) AS edges, count(DISTINCT src_id) AS accounts
        FROM read_parquet('{world}/edges/*/*.parquet', hive_partitioning = true)
        GROUP BY interaction ORDER BY interaction""").df()
    raw = api.read_edges(world / "edges")
    assert frame["interaction"].tolist() == sorted(raw["interaction"].unique())
    assert frame["edges"].tolist() == raw.groupby("interaction").size().tolist()


def test_polars_reads_the_edges(world: Path) -> None:
    import polars as pl

    # The example in docs/analysis.md.
    likes = (pl.scan_parquet(world / "edges" / "**" / "*.parquet", hive_partitioning=True)
               .filter(pl.col("interaction") == "likes")
               .group_by("src_id").agg(pl.len().alias("likes"))
               .collect())
    raw = api.read_edges(world / "edges", interactions=["likes"])
    assert dict(zip(likes["src_id"].to_list(), likes["likes"].to_list())) == raw.groupby("src_id").size().to_dict()
