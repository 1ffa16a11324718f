"""``--export gexf,graphml``: the map's weighted account graph for Gephi, Cosmograph or networkx.

Nodes: the mapped accounts (id; attributes ``label`` = display name, ``permalink``,
``followers``, ``scene``, ``x``, ``y``, ``generation`` and ``slice`` where known). Edges: directed,
source -> target, between two mapped accounts, ``weight`` = the interaction score (likes x 1 +
comments, reposts, follows x 3 with the default weights) and ``share`` = that score over the
source's total (what the map is built from). Self-interactions are left out.

Which edges: a score of at least EDGE_MIN_SCORE (3 = one comment, repost or follow, or three
likes: single stray likes are most of the pairs and carry little), and for each account at most
MAX_EDGES_PER_ACCOUNT of its strongest. The cap keeps a 100,000-account graph at a few million
edges, which Gephi can still lay out and the files stay in the hundreds of MB
(bench/bench_graph_export.py measures it).

Written with networkx (pinned in requirements.txt): its GEXF 1.2 and GraphML writers are what
Gephi and networkx itself read, so the files are valid by construction. GraphML goes through
networkx's lxml writer, which streams; GEXF builds the XML tree in memory (the bench says how much).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.atomic_write import write_atomically
from analysis.errors import MapBuildError

EXPORT_FORMATS = ("gexf", "graphml")
EDGE_MIN_SCORE = 3.0
MAX_EDGES_PER_ACCOUNT = 20
NODE_ATTRIBUTES = {"username": "label", "permalink": "permalink", "followers_count": "followers",
                   "cluster_label": "scene", "x": "x", "y": "y", "generation": "generation", "slice": "slice"}


def parse_formats(text: str) -> list[str]:
    formats = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = sorted(set(formats) - set(EXPORT_FORMATS))
    if not formats or unknown:
        raise MapBuildError(f"bad --export {text!r}: expected a comma-separated list of {', '.join(EXPORT_FORMATS)}")
    return list(dict.fromkeys(formats))


def graph_edges(shares: sp.csr_matrix, row_ids: np.ndarray, column_ids: np.ndarray, row_totals: np.ndarray | None,
                min_score: float = EDGE_MIN_SCORE, max_per_account: int = MAX_EDGES_PER_ACCOUNT) -> pd.DataFrame:
    """Edges ``source, target, weight, share`` between rows of the map (every row is a mapped account).

    ``shares``: the row-normalised score matrix (rows ``row_ids``, columns ``column_ids``);
    ``row_totals``: each row's score sum before normalising (weight = share x total); None when the
    matrix holds raw scores already (weight = the value, share = value / row sum)."""
    coo = shares.tocoo()
    values = coo.data.astype(np.float64)
    sums = np.asarray(shares.sum(axis=1)).ravel()
    if row_totals is None:
        weight, share = values, values / sums[coo.row]
    else:
        # share x total is the score up to rounding: round it back (scores are sums of small weights)
        weight, share = np.round(values * np.asarray(row_totals, np.float64)[coo.row], 6), values
    source, target = row_ids[coo.row], column_ids[coo.col]
    keep = np.isin(target, row_ids) & (source != target) & (weight >= min_score)
    edges = pd.DataFrame({"source": source[keep], "target": target[keep], "weight": weight[keep], "share": share[keep]})
    edges = edges.sort_values(["source", "weight", "target"], ascending=[True, False, True], kind="stable")
    edges = edges[edges.groupby("source", sort=False).cumcount() < max_per_account]
    return edges.reset_index(drop=True)


def build_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
    """A networkx DiGraph; ``nodes`` has ``id`` and any of NODE_ATTRIBUTES' columns (missing values
    are left out of a node's attributes rather than written as empty)."""
    graph = nx.DiGraph()
    columns = [c for c in NODE_ATTRIBUTES if c in nodes]
    for row in nodes[["id", *columns]].itertuples(index=False):
        attributes = {}
        for column, value in zip(columns, row[1:]):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            attributes[NODE_ATTRIBUTES[column]] = value.item() if hasattr(value, "item") else value
        graph.add_node(int(row[0]), **attributes)
    graph.add_weighted_edges_from(zip(edges["source"].tolist(), edges["target"].tolist(), edges["weight"].tolist()))
    nx.set_edge_attributes(graph, dict(zip(zip(edges["source"].tolist(), edges["target"].tolist()),
                                           edges["share"].tolist())), "share")
    return graph


def write_graph(path: Path, graph: nx.DiGraph, fmt: str) -> None:
    if fmt == "gexf":
        write_atomically(path, lambda temp: nx.write_gexf(graph, temp))
    elif fmt == "graphml":
        write_atomically(path, lambda temp: nx.write_graphml(graph, temp))
    else:
        raise MapBuildError(f"unknown export format {fmt!r}")


def export_graph(out_dir: Path, stem: str, nodes: pd.DataFrame, edges: pd.DataFrame, formats: list[str]) -> list[Path]:
    """Write ``out_dir/stem.<format>`` for each format; returns the paths."""
    graph = build_graph(nodes, edges)
    paths = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        write_graph(path, graph, fmt)
        paths.append(path)
    return paths
