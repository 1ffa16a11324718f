"""map.html: a self-contained interactive map (inline CSS/JS on a canvas; works offline
from the file alone).

Display names are untrusted (anyone can name their account ``</script><script>...``): the
data goes in as JSON inside a ``<script type="application/json">`` block with ``<``, ``>``
and ``&`` escaped as ``\\u003c``... so nothing in it can close the block or open a comment,
and the page only ever renders names with ``textContent`` / canvas ``fillText``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.atomic_write import write_text_atomically
from analysis.palette import cluster_colours

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class MapPage:
    """What the page shows. Neighbour references: index >= 0 is a mapped point,
    -1 - i is ``other_names[i]`` (an account that is not on the map)."""

    x: np.ndarray
    y: np.ndarray
    names: list[str]
    permalinks: list[str]
    followers: list[int | None]
    clusters: np.ndarray
    cluster_labels: dict[int, str]
    neighbours: list[list[tuple[int, float]]]
    other_names: list[str]
    other_permalinks: list[str]
    profile_url: str
    title: str = "SoundCloud scenes"


def embed_json(data: object) -> str:
    """JSON that is safe inside an inline <script> block."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def page_data(page: MapPage) -> dict:
    n_clusters = int(page.clusters.max()) + 1 if len(page.clusters) else 0
    colours = cluster_colours(n_clusters)
    return {
        "title": page.title,
        "profileUrl": page.profile_url,
        "x": [round(float(v), 3) for v in page.x],
        "y": [round(float(v), 3) for v in page.y],
        "name": list(page.names),
        "permalink": list(page.permalinks),
        "followers": list(page.followers),
        "cluster": [int(c) for c in page.clusters],
        "clusters": [{"label": page.cluster_labels.get(c, f"cluster {c}"), "colour": colours[c]}
                     for c in range(n_clusters)],
        "neighbours": [[[int(ref), round(float(share), 4)] for ref, share in row] for row in page.neighbours],
        "otherName": list(page.other_names),
        "otherPermalink": list(page.other_permalinks),
    }


def render_map_html(page: MapPage) -> str:
    template = (TEMPLATES / "map.html").read_text(encoding="utf-8")
    style = (TEMPLATES / "map.css").read_text(encoding="utf-8")
    script = (TEMPLATES / "map.js").read_text(encoding="utf-8")
    # One pass over the template: a placeholder-looking string inside the data stays data.
    parts = {"{{STYLE}}": style, "{{SCRIPT}}": script, "{{DATA}}": embed_json(page_data(page)),
             "{{TITLE}}": _html_text(page.title)}
    out, rest = [], template
    while "{{" in rest:
        before, _, after = rest.partition("{{")
        key = "{{" + after.split("}}", 1)[0] + "}}"
        out.append(before)
        out.append(parts.get(key, key))
        rest = after.split("}}", 1)[1] if "}}" in after else ""
    out.append(rest)
    return "".join(out)


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_map_html(path: Path, page: MapPage) -> None:
    write_text_atomically(path, render_map_html(page))
