"""map.html: a self-contained interactive map (inline CSS/JS on a canvas; works offline
from the file alone).

Display names are untrusted (anyone can name their account ``</script><script>...``): the
data goes in as JSON inside a ``<script type="application/json">`` block with ``<``, ``>``
and ``&`` escaped as ``\\u003c``... so nothing in it can close the block or open a comment,
and the page only ever renders names with ``textContent`` / canvas ``fillText``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.atomic_write import write_text_atomically

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Scene:
    """A labelled scene for the legend: ``central`` = point indices, most central first."""

    number: int
    label: str
    size: int
    central: list[int]
    colour: str


@dataclass
class Colouring:
    """One way to colour the points (the page offers each one given, the scenes first):
    ``values[i]`` = category of point i (-1: none, grey); categories are (label, colour)."""

    name: str
    categories: list[tuple[str, str]]
    values: list[int]


@dataclass
class MapPage:
    """What the page shows. Neighbour references: index >= 0 is a mapped point,
    -1 - i is ``other_names[i]`` (an account that is not on the map); each neighbour also
    carries the bits of the interaction types behind the link (bit t = ``kind_names[t]``).
    ``fields``: extra per-point values shown on hover (e.g. a time slice), name -> values."""

    x: np.ndarray
    y: np.ndarray
    names: list[str]
    permalinks: list[str]
    followers: list[int | None]
    clusters: np.ndarray
    scenes: list[Scene]
    neighbours: list[list[tuple[int, float, int]]]
    other_names: list[str]
    other_permalinks: list[str]
    profile_url: str
    kind_names: list[str] = field(default_factory=list)
    colourings: list[Colouring] = field(default_factory=list)
    fields: dict[str, list] = field(default_factory=dict)
    title: str = "SoundCloud scenes"


def embed_json(data: object) -> str:
    """JSON that is safe inside an inline <script> block."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def scene_colouring(page: MapPage) -> Colouring:
    by_number = {scene.number: position for position, scene in enumerate(page.scenes)}
    return Colouring("scene", [(scene.label, scene.colour) for scene in page.scenes],
                     [by_number.get(int(c), -1) for c in page.clusters])


def page_data(page: MapPage) -> dict:
    by_number = {scene.number: position for position, scene in enumerate(page.scenes)}
    return {
        "title": page.title,
        "profileUrl": page.profile_url,
        "x": [round(float(v), 3) for v in page.x],
        "y": [round(float(v), 3) for v in page.y],
        "name": list(page.names),
        "permalink": list(page.permalinks),
        "followers": list(page.followers),
        "scene": [by_number.get(int(c), -1) for c in page.clusters],
        "scenes": [{"label": s.label, "size": s.size, "central": [int(i) for i in s.central], "colour": s.colour}
                   for s in page.scenes],
        "colourings": [{"name": c.name, "categories": [{"label": label, "colour": colour} for label, colour in c.categories],
                        "values": [int(v) for v in c.values]} for c in [scene_colouring(page), *page.colourings]],
        "fields": {name: list(values) for name, values in page.fields.items()},
        "kinds": list(page.kind_names),
        "neighbours": [[[int(ref), round(float(share), 4), int(bits)] for ref, share, bits in row]
                       for row in page.neighbours],
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
