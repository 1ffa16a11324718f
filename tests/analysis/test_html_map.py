"""map.html: self-contained, binary data that round-trips, safe embedding of untrusted names (unit level)."""

import json
import re

import numpy as np

from analysis.html_map import (FOLLOWERS_UNKNOWN, Colouring, MapPage, Scene, SlicedMapPage, embed_json, page_payload,
                               render_map_html)
from analysis.page_format import read_strings, unpack

HOSTILE = "</script><script>window.__pwned = 1</script><!-- {{DATA}}"
NAMES = [HOSTILE, "plain", "名前 Имя 🎧 ⠀", "", "a & b", "lone \ud800 surrogate"]


def page(names: list[str]) -> MapPage:
    n = len(names)
    return MapPage(x=np.arange(n, dtype=float) * 0.1, y=np.linspace(-1, 1, n), names=names,
                   permalinks=[f"p{i}" for i in range(n)], followers=[None if i % 2 else 10 * i for i in range(n)],
                   clusters=np.zeros(n, dtype=int), scenes=[Scene(0, names[0], n, [0], "#123456")],
                   neighbours=[[] for _ in range(n)], other_names=[], other_permalinks=[],
                   profile_url="https://soundcloud.com/")


def decoded(payload: tuple[dict, dict[str, str]]) -> dict[str, dict[str, np.ndarray]]:
    header, blobs = payload
    return {name: unpack(text, header["layouts"][name]) for name, text in blobs.items()}


def test_embedded_json_cannot_close_the_script_or_open_a_comment() -> None:
    text = embed_json({"name": HOSTILE, "amp": "a & b", "sep": "\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": HOSTILE, "amp": "a & b", "sep": "\u2028"}


def test_binary_page_round_trips_coordinates_colours_names_and_followers() -> None:
    base = page(NAMES)
    base.clusters = np.array([0, -1, 0, 0, -1, 0])
    base.colourings = [Colouring("generation", [("2024", "#111111"), ("2025", "#222222")], [0, 1, -1, 1, 0, 1])]
    header, _ = payload = page_payload(base)
    arrays = decoded(payload)
    core = arrays["s0-core"]
    assert core["x"].dtype == np.float32 and np.array_equal(core["x"], base.x.astype(np.float32))
    assert np.array_equal(core["y"], base.y.astype(np.float32))
    assert core["colour0"].tolist() == [1, 0, 1, 1, 0, 1]  # scene + 1; 0 = no scene
    assert core["colour1"].tolist() == [1, 2, 0, 2, 1, 2]
    assert [c["name"] for c in header["slices"][0]["colourings"]] == ["scene", "generation"]
    expected = [name.replace("\ud800", "\ufffd") for name in NAMES]
    assert read_strings(arrays["names"], "name") == expected
    assert read_strings(arrays["names"], "permalink") == base.permalinks
    followers = arrays["accounts"]["followers"].tolist()
    assert followers == [FOLLOWERS_UNKNOWN if f is None else f for f in base.followers]
    # The most followed first (unknown counts as 0, ties by index); their names are in the header.
    assert core["labelOrder"].tolist() == [4, 2, 0, 1, 3, 5]
    assert header["shownNames"]["0"] == HOSTILE and "point" not in core


def test_page_is_self_contained_and_no_block_can_be_closed_by_a_name() -> None:
    html = render_map_html(page(NAMES))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no CDN, no external file
    blocks = re.findall(r'<script type="application/octet-stream" id="map-blob-([\w-]+)">(.*?)</script>', html, re.S)
    assert {name for name, _ in blocks} == {"accounts", "names", "s0-core", "s0-links"}
    assert all(re.fullmatch(r"[A-Za-z0-9+/=]*", text) for _, text in blocks)  # base64 only: no "<" can appear
    assert html.count("<script") == html.count("</script>") == 2 + len(blocks)
    data = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data)["slices"][0]["scenes"][0]["label"] == HOSTILE
    assert "{{" not in html.replace(data, "")  # every placeholder filled; none inside the data replaced


def test_links_tying_tracks_and_fields_round_trip() -> None:
    base = page(["a", "b", "c"])
    base.kind_names = ["likes", "reposts"]
    base.neighbours = [[(1, 0.25, 0b01), (-1, 0.12345, 0b11)], [], [(0, 1.0, 0b10)]]
    base.other_names, base.other_permalinks = ["off map"], ["off-map"]
    base.tying = [[[1, 0], []], [], [[1]]]
    base.objects = [("Track <one>", "b/track-one"), ("Set two", "a/sets/two")]
    base.fields = {"words": ["dnb, jungle", None, "dnb, jungle"], "emerged": [2019, 2021, None]}
    base.scenes[0].tags = ["dnb", "jungle"]
    header, _ = payload = page_payload(base)
    links = decoded(payload)["s0-links"]
    assert links["neighbourCount"].tolist() == [2, 0, 1]
    assert links["neighbourRef"].tolist() == [1, -1, 0]
    assert links["neighbourShare"].tolist() == [2500, 1234, 10000]  # 1/10,000
    assert links["neighbourBits"].tolist() == [0b01, 0b11, 0b10]
    assert links["tyingCount"].tolist() == [2, 0, 1] and links["tyingObject"].tolist() == [1, 0, 1]
    assert read_strings(links, "objectTitle") == ["Track <one>", "Set two"]
    assert read_strings(links, "objectPath") == ["b/track-one", "a/sets/two"]
    assert read_strings(links, "otherName") == ["off map"]
    fields = header["slices"][0]["fields"]
    assert [f["name"] for f in fields] == ["words", "emerged"]
    assert [fields[0]["values"][c - 1] if c else None for c in links["field0"]] == ["dnb, jungle", None, "dnb, jungle"]
    assert [fields[1]["values"][c - 1] if c else None for c in links["field1"]] == ["2019", "2021", None]
    assert header["slices"][0]["scenes"][0]["tags"] == ["dnb", "jungle"]


def test_sliced_page_stores_each_account_once_and_renumbers_link_types() -> None:
    """A year without comments numbers its types ("likes", "reposts"): its link bits are
    renumbered onto the page's list of every slice's types, not read with the first slice's."""
    early, late = page(["a", "b"]), page(["b", "c"])
    early.ids, late.ids = [1, 2], [2, 3]
    for slice_page, kinds in ((early, ["comments", "likes"]), (late, ["likes", "reposts"])):
        slice_page.kind_names = kinds
        slice_page.neighbours = [[(1, 1.0, 0b11)], [(0, 1.0, 0b01)]]  # a: both types, b: the first
    header, _ = payload = page_payload(SlicedMapPage(["2024", "2025"], [early, late]))
    arrays = decoded(payload)
    assert header["kinds"] == ["comments", "likes", "reposts"] and header["accounts"] == 3
    assert read_strings(arrays["names"], "name") == ["a", "b", "c"]
    assert arrays["s0-core"]["point"].tolist() == [0, 1] and arrays["s1-core"]["point"].tolist() == [1, 2]
    named = [[[header["kinds"][t] for t in range(3) if bits >> t & 1] for bits in arrays[f"s{k}-links"]["neighbourBits"].tolist()]
             for k in range(2)]
    assert named == [[["comments", "likes"], ["comments"]], [["likes", "reposts"], ["likes"]]]
    assert [s["label"] for s in header["slices"]] == ["2024", "2025"]
