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
    """A labelled scene for the legend: ``central`` = point indices, most central first;
    ``tags``: the scene's distinctive words (shown as "words \u2014 label" when present)."""

    number: int
    label: str
    size: int
    central: list[int]
    colour: str
    tags: list[str] = field(default_factory=list)


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
    ``fields``: extra per-point values shown on hover, name -> values. ``ids``: the accounts'
    ids (only a sliced page needs them: they say which point is the same account in two slices).
    ``tying[i][j]``: indices into ``objects`` of the tracks / playlists tying point i to its j-th
    neighbour, most recent first (at most 5); ``objects``: (title, URL path
    "owner-permalink/object-permalink"), linked as ``profile_url`` + path."""

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
    ids: list[int] | None = None
    tying: list[list[list[int]]] | None = None
    objects: list[tuple[str, str]] | None = None


@dataclass
class SlicedMapPage:
    """One page, one map per time slice and a slider between them; the slices share one
    coordinate space (aligned), and each account's name, link and followers are stored once."""

    labels: list[str]
    pages: list[MapPage]
    title: str = "SoundCloud scenes over time"


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
    scene = scene_colouring(page)
    return {
        "title": page.title,
        "profileUrl": page.profile_url,
        "x": [round(float(v), 3) for v in page.x],
        "y": [round(float(v), 3) for v in page.y],
        "name": list(page.names),
        "permalink": list(page.permalinks),
        "followers": list(page.followers),
        "scene": scene.values,
        "scenes": [{"label": s.label, "size": s.size, "central": [int(i) for i in s.central], "colour": s.colour}
                   for s in page.scenes],
        "colourings": [{"name": c.name, "categories": [{"label": label, "colour": colour} for label, colour in c.categories],
                        "values": [int(v) for v in c.values]} for c in [scene, *page.colourings]],
        "fields": {name: list(values) for name, values in page.fields.items()},
        "kinds": list(page.kind_names),
        "neighbours": [[[int(ref), round(float(share), 4), int(bits)] for ref, share, bits in row]
                       for row in page.neighbours],
        "otherName": list(page.other_names),
        "otherPermalink": list(page.other_permalinks),
    }


def sliced_page_data(sliced: SlicedMapPage) -> dict:
    """Per slice what differs (points as indices into the shared account table, positions,
    scenes, colourings, neighbours); once what all slices share."""
    account_of: dict[int, int] = {}
    accounts = {"name": [], "permalink": [], "followers": []}
    slices = []
    # Each slice numbers the interaction types it has (a year without comments has no comments
    # bit): the page gets them all, and each slice's link bits are renumbered onto that list.
    kinds = sorted(set().union(*(page.kind_names for page in sliced.pages)))
    for label, page in zip(sliced.labels, sliced.pages):
        if page.ids is None:
            raise ValueError("a sliced page needs each slice's account ids")
        points = []
        for position, account in enumerate(page.ids):
            if account not in account_of:
                account_of[account] = len(account_of)
                accounts["name"].append(page.names[position])
                accounts["permalink"].append(page.permalinks[position])
                accounts["followers"].append(page.followers[position])
            points.append(account_of[account])
        data = page_data(page)
        for shared in ("title", "profileUrl", "kinds", "name", "permalink", "followers"):
            del data[shared]
        bit_of = [1 << kinds.index(name) for name in page.kind_names]
        data["neighbours"] = [[[ref, share, _renumbered(bits, bit_of)] for ref, share, bits in row]
                              for row in data["neighbours"]]
        slices.append({"label": label, "point": points, **data})
    return {"title": sliced.title, "profileUrl": sliced.pages[0].profile_url, "kinds": kinds,
            "account": accounts, "slices": slices}


def _renumbered(bits: int, bit_of: list[int]) -> int:
    """A link's type bits (bit t = the slice's t-th type) as bits of the page's type list."""
    return sum(bit for t, bit in enumerate(bit_of) if bits >> t & 1)


def render_map_html(page: MapPage | SlicedMapPage) -> str:
    template = (TEMPLATES / "map.html").read_text(encoding="utf-8")
    style = (TEMPLATES / "map.css").read_text(encoding="utf-8")
    script = (TEMPLATES / "map.js").read_text(encoding="utf-8")
    # One pass over the template: a placeholder-looking string inside the data stays data.
    data = sliced_page_data(page) if isinstance(page, SlicedMapPage) else page_data(page)
    parts = {"{{STYLE}}": style, "{{SCRIPT}}": script, "{{DATA}}": embed_json(data),
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


def write_map_html(path: Path, page: MapPage | SlicedMapPage) -> None:
    write_text_atomically(path, render_map_html(page))
