"""analysis/graph_export.py: which edges, their weights, and files networkx reads back."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis.errors import MapBuildError
from analysis.graph_export import build_graph, export_graph, graph_edges, parse_formats


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
