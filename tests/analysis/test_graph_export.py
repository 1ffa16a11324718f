"""analysis/graph_export.py: which edges, their weights, and files networkx reads back."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis.errors import MapBuildError
from analysis.graph_export import build_graph, export_graph, graph_edges, iter_graph_edges, parse_formats


def small_map():
    # rows = mapped accounts 1, 2, 3; columns also hold 50 (not mapped)
    row_ids = np.array([1, 2, 3])
    column_ids = np.array([1, 2, 3, 50])
    raw = np.array([[5.0, 9.0, 1.0, 30.0],    # 1: self 5 (dropped), 2 x 9, 3 x 1 (under 3), 50 (not mapped)
                    [0.0, 0.0, 3.0, 0.0],     # 2 -> 3 exactly at the threshold
                    [4.0, 6.0, 0.0, 0.0]])
    totals = raw.sum(axis=1)
    shares = sp.csr_matrix(raw / totals[:, None])
    return shares, row_ids, column_ids, totals


def test_edges_between_mapped_accounts_over_the_threshold_with_raw_weights() -> None:
    edges = graph_edges(*small_map())
    got = {(s, t): (w, round(sh, 6)) for s, t, w, sh in edges.itertuples(index=False)}
    assert got == {(1, 2): (9.0, round(9 / 45, 6)), (2, 3): (3.0, 1.0), (3, 2): (6.0, 0.6), (3, 1): (4.0, 0.4)}


def test_each_account_keeps_only_its_strongest_edges() -> None:
    edges = graph_edges(*small_map(), max_per_account=1)
    assert set(zip(edges["source"], edges["target"])) == {(1, 2), (2, 3), (3, 2)}
    raw = graph_edges(sp.csr_matrix(np.array([[0.0, 4.0], [2.0, 0.0]])), np.array([7, 8]), np.array([7, 8]), None)
    assert list(raw["weight"]) == [4.0] and list(raw["share"]) == [1.0]  # raw scores: weight = value


def test_files_load_in_networkx_with_nodes_attributes_and_weights(tmp_path: Path) -> None:
    nodes = pd.DataFrame({"id": [1, 2, 3], "username": ["a <b>", "", None], "permalink": ["a", "b", "c"],
                          "followers_count": pd.array([10, None, 30], dtype="Int64"), "cluster_label": ["s", None, "s"],
                          "x": [0.1, 0.2, 0.3], "y": [1.0, 2.0, 3.0], "generation": ["2019", None, "2021"],
                          "slice": ["2021"] * 3})
    edges = graph_edges(*small_map())
    paths = export_graph(tmp_path, "graph", nodes, edges, ["gexf", "graphml"])
    assert [p.name for p in paths] == ["graph.gexf", "graph.graphml"]
    for graph in (nx.read_gexf(paths[0], node_type=int), nx.read_graphml(paths[1], node_type=int)):
        assert sorted(graph.nodes) == [1, 2, 3] and graph.is_directed()
        assert {(s, t): d["weight"] for s, t, d in graph.edges(data=True)} == {(1, 2): 9.0, (2, 3): 3.0, (3, 2): 6.0,
                                                                               (3, 1): 4.0}
        assert graph.nodes[1]["label"] == "a <b>" and graph.nodes[1]["followers"] == 10
        assert graph.nodes[3]["x"] == pytest.approx(0.3) and graph.nodes[3]["slice"] == "2021"
        assert "followers" not in graph.nodes[2] and "scene" not in graph.nodes[2]


def test_build_graph_keeps_isolated_accounts() -> None:
    graph = build_graph(pd.DataFrame({"id": [1, 2, 9]}), graph_edges(*small_map()))
    assert 9 in graph and graph.degree(9) == 0


def test_parse_formats() -> None:
    assert parse_formats("GEXF, graphml,gexf") == ["gexf", "graphml"]
    for bad in ("", "png", "gexf,dot"):
        with pytest.raises(MapBuildError):
            parse_formats(bad)


def graph_as_data(graph: nx.DiGraph) -> tuple[dict, dict]:
    return ({node: dict(data) for node, data in graph.nodes(data=True)},
            {(s, t): dict(data) for s, t, data in graph.edges(data=True)})


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_streamed_files_read_back_as_the_graph_networkx_writes(tmp_path: Path, fmt: str) -> None:
    """The streamed writer against networkx's own (the previous export), through networkx's reader:
    hostile names, missing values, isolated accounts, edges in several chunks."""
    rng = np.random.default_rng(3)
    n = 120
    ids = np.arange(n, dtype=np.int64) * 11 + 5
    names = [f"user {i}" for i in range(n)]
    names[:6] = ["</node><x>", 'quote " & amp', "emoji \U0001F3B6 \u2800", "", "tab\there", "line\nbreak"]
    nodes = pd.DataFrame({"id": ids, "username": names, "permalink": [f"p-{i}" for i in range(n)],
                          "followers_count": pd.array([None if i % 7 == 0 else i * 100 for i in range(n)], dtype="Int64"),
                          "cluster_label": [None if i % 5 == 0 else f"scene <{i % 3}>" for i in range(n)],
                          "x": rng.normal(size=n), "y": rng.normal(size=n),
                          "generation": [None if i % 4 == 0 else str(2015 + i % 9) for i in range(n)]})
    dense = rng.choice([0, 0, 0, 1, 2, 3, 5, 9], size=(n, n + 40)).astype(float)
    totals = dense.sum(axis=1)
    shares = sp.csr_matrix(dense / totals[:, None])
    columns = np.concatenate([ids, np.arange(40, dtype=np.int64) + 10_000])
    whole = graph_edges(shares, ids, columns, totals)
    chunked = list(iter_graph_edges(shares, ids, columns, totals, rows_per_chunk=7))
    assert len(chunked) > 5 and pd.concat(chunked, ignore_index=True).equals(whole)
    networkx_file = tmp_path / f"networkx.{fmt}"
    (nx.write_gexf if fmt == "gexf" else nx.write_graphml)(build_graph(nodes, whole), networkx_file)
    streamed = export_graph(tmp_path, "graph", nodes, iter(chunked), [fmt])[0]
    read = (lambda p: nx.read_gexf(p, node_type=int)) if fmt == "gexf" else (lambda p: nx.read_graphml(p, node_type=int))
    expected, got = read(networkx_file), read(streamed)
    assert list(got.nodes) == list(expected.nodes) and graph_as_data(got) == graph_as_data(expected)
    assert got.nodes[int(ids[0])]["label"] == "</node><x>" and got.number_of_edges() == len(whole) > 100


def test_characters_xml_cannot_hold_are_dropped(tmp_path: Path) -> None:
    nodes = pd.DataFrame({"id": [1, 2], "username": ["bell\x07name", "ok"]})
    for path in export_graph(tmp_path, "graph", nodes, graph_edges(*small_map()).iloc[:0], ["gexf", "graphml"]):
        graph = nx.read_gexf(path, node_type=int) if path.suffix == ".gexf" else nx.read_graphml(path, node_type=int)
        assert graph.nodes[1]["label"] == "bellname"
