"""GEXF 1.2 and GraphML written as a stream: header and nodes first, then edges chunk by chunk.

The layout is the one networkx's own writers produce (attribute declarations, the node label
in GEXF's ``label``, the edge weight in GEXF's ``weight``, missing values left out), so
``networkx.read_gexf`` / ``read_graphml`` and Gephi read the files; tests hold them to the
graph networkx's writers give. Names are untrusted text: XML-escaped, and the characters XML
1.0 cannot hold at all (control characters, lone surrogates) are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

# node column -> (attribute name, type); the order is the order attributes are declared in
NODE_FIELDS = {"username": ("label", "string"), "permalink": ("permalink", "string"),
               "followers_count": ("followers", "long"), "cluster_label": ("scene", "string"),
               "x": ("x", "double"), "y": ("y", "double"), "generation": ("generation", "string"),
               "slice": ("slice", "string")}
NODES_PER_CHUNK = 50_000
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                          "\t": "&#9;"})


def xml_text(value: object) -> str:
    """A value as XML attribute / element text: escaped, characters XML forbids dropped."""
    text = value if isinstance(value, str) else str(value)
    return _NOT_XML.sub("", text).translate(_ESCAPES)


def _column_values(column: pd.Series, kind: str) -> list:
    """Python values of a node column, None where missing."""
    present = column.notna().to_numpy()
    if kind == "long":
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        return [int(v) if ok else None for v, ok in zip(values.tolist(), present)]
    if kind == "double":
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        return [v if ok else None for v, ok in zip(values.tolist(), present)]
    return [xml_text(v) if ok else None for v, ok in zip(column.tolist(), present)]


def _declared_fields(nodes: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(column, attribute, type) of the node columns with at least one value, as networkx declares them."""
    return [(column, name, kind) for column, (name, kind) in NODE_FIELDS.items()
            if column in nodes and nodes[column].notna().any()]


def _node_chunks(nodes: pd.DataFrame, fields: list[tuple[str, str, str]]):
    for start in range(0, len(nodes), NODES_PER_CHUNK):
        chunk = nodes.iloc[start:start + NODES_PER_CHUNK]
        ids = chunk["id"].astype("int64").tolist()
        yield ids, [(name, kind, _column_values(chunk[column], kind)) for column, name, kind in fields]


class _Stream:
    def __init__(self, path: Path, nodes: pd.DataFrame) -> None:
        self.file: IO[str] = open(path, "w", encoding="utf-8", newline="\n")
        self.fields = _declared_fields(nodes)
        self.edge_count = 0
        try:
            self.start(nodes)
        except BaseException:
            self.file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if kind is None:
                self.end()
        finally:
            self.file.close()

    def start(self, nodes: pd.DataFrame) -> None:
        raise NotImplementedError

    def edges(self, chunk: pd.DataFrame) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError


class GexfStream(_Stream):
    """GEXF 1.2 (networkx's ``write_gexf`` layout): ``label`` is the node's label (its id when
    absent, as networkx writes it), ``weight`` the edge's weight, other fields attvalues."""

    def start(self, nodes: pd.DataFrame) -> None:
        attributes = [(name, kind) for _, name, kind in self.fields if name != "label"]
        self.attribute_ids = {name: str(i + 1) for i, (name, _) in enumerate(attributes)}
        write = self.file.write
        write("<?xml version='1.0' encoding='utf-8'?>\n"
              '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
              '  <meta>\n    <creator>scmap</creator>\n  </meta>\n'
              '  <graph defaultedgetype="directed" mode="static" name="">\n'
              '    <attributes mode="static" class="edge">\n'
              '      <attribute id="0" title="share" type="double" />\n    </attributes>\n'
              '    <attributes mode="static" class="node">\n')
        for name, kind in attributes:
            write(f'      <attribute id="{self.attribute_ids[name]}" title="{name}" type="{kind}" />\n')
        write("    </attributes>\n    <nodes>\n")
        for ids, columns in _node_chunks(nodes, self.fields):
            lines = []
            for i, node in enumerate(ids):
                label, values = str(node), []
                for name, _, column in columns:
                    value = column[i]
                    if value is None:
                        continue
                    if name == "label":
                        label = value
                    else:
                        values.append(f'<attvalue for="{self.attribute_ids[name]}" value="{value}" />')
                if values:
                    lines.append(f'      <node id="{node}" label="{label}"><attvalues>{"".join(values)}'
                                 f"</attvalues></node>\n")
                else:
                    lines.append(f'      <node id="{node}" label="{label}" />\n')
            write("".join(lines))
        write("    </nodes>\n    <edges>\n")

    def edges(self, chunk: pd.DataFrame) -> None:
        first = self.edge_count
        self.file.write("".join(
            f'      <edge source="{s}" target="{t}" id="{first + i}" weight="{w!r}"><attvalues>'
            f'<attvalue for="0" value="{sh!r}" /></attvalues></edge>\n'
            for i, (s, t, w, sh) in enumerate(zip(chunk["source"].tolist(), chunk["target"].tolist(),
                                                   chunk["weight"].astype(float).tolist(),
                                                   chunk["share"].astype(float).tolist()))))
        self.edge_count += len(chunk)

    def end(self) -> None:
        self.file.write("    </edges>\n  </graph>\n</gexf>\n")


class GraphmlStream(_Stream):
    """GraphML (networkx's ``write_graphml`` layout): one ``<key>`` per attribute, ``<data>`` per value."""

    def start(self, nodes: pd.DataFrame) -> None:
        self.keys = {name: f"d{i}" for i, (_, name, _) in enumerate(self.fields)}
        self.weight_key, self.share_key = f"d{len(self.fields)}", f"d{len(self.fields) + 1}"
        write = self.file.write
        write("<?xml version='1.0' encoding='utf-8'?>\n"
              '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
              'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        for _, name, kind in self.fields:
            write(f'<key id="{self.keys[name]}" for="node" attr.name="{name}" attr.type="{kind}"/>\n')
        write(f'<key id="{self.weight_key}" for="edge" attr.name="weight" attr.type="double"/>\n'
              f'<key id="{self.share_key}" for="edge" attr.name="share" attr.type="double"/>\n'
              '<graph edgedefault="directed">\n')
        for ids, columns in _node_chunks(nodes, self.fields):
            lines = []
            for i, node in enumerate(ids):
                data = "".join(f'<data key="{self.keys[name]}">{column[i]}</data>'
                               for name, _, column in columns if column[i] is not None)
                lines.append(f'<node id="{node}">{data}</node>\n')
            write("".join(lines))

    def edges(self, chunk: pd.DataFrame) -> None:
        weight, share = self.weight_key, self.share_key
        self.file.write("".join(
            f'<edge source="{s}" target="{t}"><data key="{weight}">{w!r}</data>'
            f'<data key="{share}">{sh!r}</data></edge>\n'
            for s, t, w, sh in zip(chunk["source"].tolist(), chunk["target"].tolist(),
                                   chunk["weight"].astype(float).tolist(), chunk["share"].astype(float).tolist())))
        self.edge_count += len(chunk)

    def end(self) -> None:
        self.file.write("</graph></graphml>\n")
