"""map.html: a self-contained interactive map (inline CSS/JS, drawn with WebGL or a typed-array
splatter; works offline from the file alone) for up to a million points and more.

The data is binary (analysis/page_format.py): typed arrays in deflated, base64-encoded
``<script type="application/octet-stream">`` blocks, plus a small JSON header. Display names are
untrusted (anyone can name their account ``</script><script>...``): in the blobs they are bytes
inside base64, which has no ``<``; the header is JSON inside a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` escaped as ``\\u003c``... so nothing in it can close the block
or open a comment; and the page only ever renders names with ``textContent`` / canvas ``fillText``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from analysis.atomic_write import write_text_atomically
from analysis.page_format import clean, codes, pack, string_arrays, unpack

TEMPLATES = Path(__file__).parent / "templates"
PAGE_FORMAT = 2  # 1: the JSON page before issue 19
FOLLOWERS_UNKNOWN = 0xFFFFFFFF
LABEL_CANDIDATES = 4000  # the most followed points of a slice, whose names may be labels (map.js: LABEL_SCAN)


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


def page_payload(page: MapPage | SlicedMapPage) -> tuple[dict, dict[str, str]]:
    """The page's JSON header and its binary blobs (name -> base64 text; analysis/page_format.py).

    Both kinds of page have the same shape: an account table (followers; names and permalinks in
    their own blob, decoded after the first paint) and one or more slices, each with its points
    (indices into the accounts: only a sliced page stores them), positions, colourings,
    scenes, label candidates, and in a second blob its links, the tracks tying them, the names of
    neighbours off the map and the hover fields. The header also carries the names the first
    paint shows (label candidates, scenes' central accounts), so the names blob can wait."""
    sliced = isinstance(page, SlicedMapPage)
    pages = page.pages if sliced else [page]
    if sliced:
        account_of: dict[int, int] = {}
        names, permalinks, followers, points = [], [], [], []
        for part in pages:
            if part.ids is None:
                raise ValueError("a sliced page needs each slice's account ids")
            for position, account in enumerate(part.ids):
                if account not in account_of:
                    account_of[account] = len(account_of)
                    names.append(part.names[position])
                    permalinks.append(part.permalinks[position])
                    followers.append(part.followers[position])
            points.append(np.array([account_of[a] for a in part.ids], dtype=np.uint32))
        # Each slice numbers the interaction types it has (a year without comments has no comments
        # bit): the page gets them all, and each slice's link bits are renumbered onto that list.
        kinds = sorted(set().union(*(part.kind_names for part in pages)))
    else:
        names, permalinks, followers, points, kinds = page.names, page.permalinks, page.followers, [None], page.kind_names
    follower_counts = np.array([FOLLOWERS_UNKNOWN if f is None else min(int(f), FOLLOWERS_UNKNOWN - 1) for f in followers],
                               dtype=np.uint32)
    blobs, layouts = {}, {}
    blobs["accounts"], layouts["accounts"] = pack({"followers": follower_counts})
    blobs["names"], layouts["names"] = pack({**string_arrays("name", names), **string_arrays("permalink", permalinks)})
    shown_names: dict[int, str] = {}
    slices = []
    for k, (part, point) in enumerate(zip(pages, points)):
        accounts = point if point is not None else np.arange(len(part.names), dtype=np.uint32)
        scene = scene_colouring(part)
        colourings = [scene, *part.colourings]
        core = {"x": np.asarray(part.x, dtype=np.float32), "y": np.asarray(part.y, dtype=np.float32)}
        if point is not None:
            core["point"] = point
        for c, colouring in enumerate(colourings):
            core[f"colour{c}"] = codes(np.asarray(colouring.values, dtype=np.int64) + 1)  # 0: no category
        own_followers = np.where(follower_counts[accounts] == FOLLOWERS_UNKNOWN, 0, follower_counts[accounts]).astype(np.int64)
        order = np.lexsort((np.arange(len(accounts)), -own_followers))[:LABEL_CANDIDATES]
        core["labelOrder"] = order.astype(np.uint32)
        for i in [*order.tolist(), *(int(i) for s in part.scenes for i in s.central)]:
            shown_names[int(accounts[i])] = clean(str(names[int(accounts[i])]))
        blobs[f"s{k}-core"], layouts[f"s{k}-core"] = pack(core)
        bit_of = [1 << kinds.index(name) for name in part.kind_names]
        fields = [_dictionary(values) for values in part.fields.values()]
        blobs[f"s{k}-links"], layouts[f"s{k}-links"] = pack(_links_arrays(part, bit_of, fields))
        slices.append({
            "label": page.labels[k] if sliced else "",
            "count": len(part.names),
            "scenes": [{"label": s.label, "size": s.size, "central": [int(i) for i in s.central], "colour": s.colour,
                        "tags": list(s.tags), "box": box} for s, box in zip(part.scenes, _scene_boxes(part, scene.values))],
            "colourings": [{"name": c.name, "categories": [{"label": label, "colour": colour} for label, colour in c.categories]}
                           for c in colourings],
            "fields": [{"name": name, "values": texts} for name, (texts, _) in zip(part.fields, fields)],
            "core": f"s{k}-core", "links": f"s{k}-links",
        })
    header = {"format": PAGE_FORMAT, "title": page.title, "profileUrl": pages[0].profile_url, "kinds": list(kinds),
              "accounts": len(names), "sliced": sliced, "slices": slices, "layouts": layouts,
              "shownNames": {str(a): name for a, name in shown_names.items()}}
    return header, blobs


def _scene_boxes(page: MapPage, scene_of: list[int]) -> list[list[float]]:
    """Per scene: the median x, y of its points (robust to a few far-flung ones: where its label
    goes) and their 2-98 % extents (where a click in the legend zooms), [x, y, x0, x1, y0, y1]."""
    scene_of = np.asarray(scene_of, dtype=np.int64)
    xs, ys = np.asarray(page.x, dtype=np.float32), np.asarray(page.y, dtype=np.float32)
    by_scene = np.argsort(scene_of, kind="stable")
    bounds = np.searchsorted(scene_of[by_scene], np.arange(len(page.scenes) + 1))
    boxes = []
    for k in range(len(page.scenes)):
        members = by_scene[bounds[k]:bounds[k + 1]]
        if not len(members):
            boxes.append([0.0] * 6)
            continue
        sx, sy = np.sort(xs[members]), np.sort(ys[members])
        at = lambda values, q: float(values[min(len(values) - 1, int(q * (len(values) - 1)))])  # noqa: E731
        boxes.append([round(v, 4) for v in (at(sx, 0.5), at(sy, 0.5), at(sx, 0.02), at(sx, 0.98), at(sy, 0.02), at(sy, 0.98))])
    return boxes


def _links_arrays(page: MapPage, bit_of: list[int], fields: list[tuple[list[str], np.ndarray]]) -> dict[str, np.ndarray]:
    """Neighbours (count per point, then per link: point or -1 - other, share in 1/10,000, type
    bits as the page numbers them), the tracks tying each link, the names off the map, fields."""
    counts = np.fromiter(map(len, page.neighbours), dtype=np.int64, count=len(page.neighbours))
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(page.neighbours)), dtype=np.float64,
                       count=3 * int(counts.sum())).reshape(-1, 3)
    renumbered = np.array([_renumbered(bits, bit_of) for bits in range(1 << len(bit_of))], dtype=np.int64)
    arrays = {
        "neighbourCount": codes(counts),
        "neighbourRef": flat[:, 0].astype(np.int32),
        "neighbourShare": np.clip(np.rint(flat[:, 1] * 10_000), 0, 65_535).astype(np.uint16),
        "neighbourBits": codes(renumbered[flat[:, 2].astype(np.int64)]),
        **string_arrays("otherName", page.other_names), **string_arrays("otherPermalink", page.other_permalinks),
    }
    if page.tying is not None:
        per_link: list[list[int]] = []
        for row, links in zip(page.tying, page.neighbours):  # tying[i][j] for each shown link j (missing: none)
            per_link.extend(row[:len(links)] if len(row) >= len(links) else [*row, *([[]] * (len(links) - len(row)))])
        arrays["tyingCount"] = codes(np.fromiter(map(len, per_link), dtype=np.int64, count=len(per_link)))
        arrays["tyingObject"] = np.fromiter(chain.from_iterable(per_link), dtype=np.uint32)
        objects = page.objects or []
        arrays.update(string_arrays("objectTitle", [title for title, _ in objects]))
        arrays.update(string_arrays("objectPath", [path for _, path in objects]))
    for f, (_, point_codes) in enumerate(fields):
        arrays[f"field{f}"] = codes(point_codes)
    return arrays


def _dictionary(values: list) -> tuple[list[str], np.ndarray]:
    """A hover field as its distinct texts and one code per point (0: no value, not shown)."""
    texts: dict = {}
    point_codes = np.zeros(len(values), dtype=np.int64)
    for position, value in enumerate(values):
        if value is not None and not (isinstance(value, float) and np.isnan(value)):
            point_codes[position] = texts.setdefault(value, len(texts)) + 1
    return [clean(str(value)) for value in texts], point_codes


def _renumbered(bits: int, bit_of: list[int]) -> int:
    """A link's type bits (bit t = the slice's t-th type) as bits of the page's type list."""
    return sum(bit for t, bit in enumerate(bit_of) if bits >> t & 1)


def render_map_html(page: MapPage | SlicedMapPage) -> str:
    template = (TEMPLATES / "map.html").read_text(encoding="utf-8")
    style = (TEMPLATES / "map.css").read_text(encoding="utf-8")
    script = (TEMPLATES / "map.js").read_text(encoding="utf-8")
    # One pass over the template: a placeholder-looking string inside the data stays data.
    header, blobs = page_payload(page)
    # What the first paint needs comes before the script, which paints while the browser is still
    # reading the names and links after it.
    later = {"names", *(part["links"] for part in header["slices"])}
    blocks = {when: "\n".join(f'<script type="application/octet-stream" id="map-blob-{name}">{text}</script>'
                              for name, text in blobs.items() if (name in later) == (when == "{{LATER_BLOBS}}"))
              for when in ("{{FIRST_BLOBS}}", "{{LATER_BLOBS}}")}
    parts = {"{{STYLE}}": style, "{{SCRIPT}}": script, "{{DATA}}": embed_json(header), **blocks,
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


def read_map_html(text: str) -> tuple[dict, dict[str, dict[str, np.ndarray]]]:
    """A written page's header and each blob's arrays, decoded as the page decodes them (for
    tests and the benchmark; analysis/page_format.read_strings reads the string arrays)."""
    header = json.loads(re.search(r'<script type="application/json" id="map-data">(.*?)</script>', text, re.S).group(1))
    blobs = re.findall(r'<script type="application/octet-stream" id="map-blob-([\w-]+)">(.*?)</script>', text, re.S)
    return header, {name: unpack(blob, header["layouts"][name]) for name, blob in blobs}
