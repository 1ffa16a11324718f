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

Written as they go (analysis/graph_xml.py), in the layout networkx's own GEXF 1.2 and GraphML
writers produce, so Gephi and networkx read them (tested: networkx reads back the same graph its
writers would have written). networkx's writers need the whole graph as a networkx object first
(~1 KB per edge: 20 GB for the 20 M edges of a 1M-account map) and its GEXF writer also builds
the whole XML tree, so they cannot stream; they are kept for notebooks (:func:`build_graph`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.errors import MapBuildError
from analysis.graph_xml import GexfStream, GraphmlStream

EXPORT_FORMATS = ("gexf", "graphml")
EDGE_MIN_SCORE = 3.0
MAX_EDGES_PER_ACCOUNT = 20
ROWS_PER_CHUNK = 50_000
NODE_ATTRIBUTES = {"username": "label", "permalink": "permalink", "followers_count": "followers",
                   "cluster_label": "scene", "x": "x", "y": "y", "generation": "generation", "slice": "slice"}
_STREAM_WRITERS = {"gexf": GexfStream, "graphml": GraphmlStream}


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
    chunks = list(iter_graph_edges(shares, row_ids, column_ids, row_totals, min_score, max_per_account))
    if not chunks:
        return pd.DataFrame({"source": pd.Series(dtype="int64"), "target": pd.Series(dtype="int64"),
                             "weight": pd.Series(dtype="float64"), "share": pd.Series(dtype="float64")})
    return pd.concat(chunks, ignore_index=True)


def iter_graph_edges(shares: sp.csr_matrix, row_ids: np.ndarray, column_ids: np.ndarray,
                     row_totals: np.ndarray | None, min_score: float = EDGE_MIN_SCORE,
                     max_per_account: int = MAX_EDGES_PER_ACCOUNT,
                     rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[pd.DataFrame]:
    """:func:`graph_edges` a block of source rows at a time (sorted by source, strongest first):
    memory follows one block, not the matrix's ~150 M entries at 1M accounts."""
    order = np.argsort(row_ids, kind="stable")
    sorted_rows = row_ids[order]
    # Which columns are mapped accounts: a lookup per column, done once.
    position = np.clip(np.searchsorted(sorted_rows, column_ids), 0, max(len(row_ids) - 1, 0))
    column_is_mapped = sorted_rows[position] == column_ids if len(row_ids) else np.zeros(len(column_ids), bool)
    for start in range(0, shares.shape[0], rows_per_chunk):
        block = shares[start:start + rows_per_chunk]
        counts = np.diff(block.indptr)
        rows = np.repeat(np.arange(start, start + block.shape[0]), counts)
        values = block.data.astype(np.float64)
        if row_totals is None:
            sums = np.asarray(block.sum(axis=1, dtype=np.float64)).ravel()
            weight, share = values, values / np.repeat(sums, counts)
        else:
            # share x total is the score up to float32 rounding (~1e-7 of the total): rounded back
            # to 3 decimals, integer scores come out exact
            weight, share = np.round(values * np.asarray(row_totals, np.float64)[rows], 3), values
        source, target = row_ids[rows], column_ids[block.indices]
        keep = column_is_mapped[block.indices] & (source != target) & (weight >= min_score)
        source, target, weight, share = source[keep], target[keep], weight[keep], share[keep]
        strongest = np.lexsort((target, -weight, source))
        source, target, weight, share = source[strongest], target[strongest], weight[strongest], share[strongest]
        # rank within each source's run: position minus the run's first position
        first = np.flatnonzero(np.concatenate([[True], source[1:] != source[:-1]])) if len(source) else np.array([], int)
        rank = np.arange(len(source)) - np.repeat(first, np.diff(np.append(first, len(source))))
        top = rank < max_per_account
        if top.any():
            yield pd.DataFrame({"source": source[top], "target": target[top], "weight": weight[top],
                                "share": share[top]})


def build_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
    """A networkx DiGraph; ``nodes`` has ``id`` and any of NODE_ATTRIBUTES' columns (missing values
    are left out of a node's attributes rather than written as empty). For notebooks and tests:
    the export itself streams (:func:`export_graph`)."""
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


def export_graph(out_dir: Path, stem: str, nodes: pd.DataFrame, edges: pd.DataFrame | Iterable[pd.DataFrame],
                 formats: list[str]) -> list[Path]:
    """Write ``out_dir/stem.<format>`` for each format, streamed: nodes, then ``edges`` (a frame,
    or chunks of one as :func:`iter_graph_edges` yields them) written as they come, every
    format in the same pass. Returns the paths."""
    for fmt in formats:
        if fmt not in EXPORT_FORMATS:
            raise MapBuildError(f"unknown export format {fmt!r}")
    paths = [out_dir / f"{stem}.{fmt}" for fmt in formats]
    out_dir.mkdir(parents=True, exist_ok=True)
    temps = [path.with_name(f".{path.name}.tmp-{os.getpid()}") for path in paths]
    chunks = [edges] if isinstance(edges, pd.DataFrame) else edges
    try:
        with contextlib.ExitStack() as stack:
            writers = [stack.enter_context(_STREAM_WRITERS[fmt](temp, nodes)) for fmt, temp in zip(formats, temps)]
            for chunk in chunks:
                for writer in writers:
                    writer.edges(chunk)
        for temp, path in zip(temps, paths):
            os.replace(temp, path)
    finally:
        for temp in temps:
            if temp.exists():
                temp.unlink()
    return paths
