"""map.html: self-contained, safe embedding of untrusted names (unit level)."""

import json
import re

import numpy as np

from analysis.html_map import (Colouring, MapPage, Scene, SlicedMapPage, embed_json, page_data, render_map_html,
                               sliced_page_data)

HOSTILE = "</script><script>window.__pwned = 1</script><!-- {{DATA}}"


def page(names: list[str]) -> MapPage:
    n = len(names)
    return MapPage(x=np.arange(n, dtype=float), y=np.zeros(n), names=names, permalinks=[f"p{i}" for i in range(n)],
                   followers=[None] * n, clusters=np.zeros(n, dtype=int),
                   scenes=[Scene(0, names[0], n, [0], "#123456")],
                   neighbours=[[] for _ in range(n)], other_names=[], other_permalinks=[],
                   profile_url="https://soundcloud.com/")


def test_embedded_json_cannot_close_the_script_or_open_a_comment() -> None:
    text = embed_json({"name": HOSTILE, "amp": "a & b", "sep": "\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": HOSTILE, "amp": "a & b", "sep": "\u2028"}


def test_page_is_self_contained_and_holds_the_data_once() -> None:
    html = render_map_html(page([HOSTILE, "plain"]))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no CDN, no external file
    assert html.count("<script") == 2 and html.count("</script>") == 2
    data = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data)["name"] == [HOSTILE, "plain"]
    assert "{{" not in html.replace(data, "")  # every placeholder filled; none inside the data replaced


def test_scenes_come_first_among_colourings_and_extra_colourings_and_fields_follow() -> None:
    base = page(["a", "b", "c"])
    base.clusters = np.array([0, -1, 0])
    base.colourings = [Colouring("slice", [("2024", "#111111"), ("2025", "#222222")], [0, 1, 1])]
    base.fields = {"slice": ["2024", "2025", "2025"]}
    data = page_data(base)
    assert [c["name"] for c in data["colourings"]] == ["scene", "slice"]
    assert data["colourings"][0]["values"] == [0, -1, 0] == data["scene"]
    assert data["colourings"][1]["categories"][1] == {"label": "2025", "colour": "#222222"}
    assert data["fields"] == {"slice": ["2024", "2025", "2025"]}


def test_slices_with_different_interaction_types_keep_each_links_types() -> None:
    """A year without comments numbers its types ("likes", "reposts"): its link bits are
    renumbered onto the page's list of every slice's types, not read with the first slice's."""
    early, late = page(["a", "b"]), page(["a", "b"])
    for slice_page, kinds in ((early, ["comments", "likes"]), (late, ["likes", "reposts"])):
        slice_page.ids, slice_page.kind_names = [1, 2], kinds
        slice_page.neighbours = [[(1, 1.0, 0b11)], [(0, 1.0, 0b01)]]  # a: both types, b: the first
    data = sliced_page_data(SlicedMapPage(["2024", "2025"], [early, late]))
    assert data["kinds"] == ["comments", "likes", "reposts"]
    named = [[[data["kinds"][t] for t in range(3) if bits >> t & 1] for row in s["neighbours"] for _, _, bits in row]
             for s in data["slices"]]
    assert named == [[["comments", "likes"], ["comments"]], [["likes", "reposts"], ["likes"]]]
