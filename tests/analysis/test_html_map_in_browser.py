"""map.html in real headless Chromium (Playwright): the binary data decodes to what was written,
points render (splatter and WebGL alike), search, hover (with the hover fields), click, the
tracks tying a link, the scene legend (with scene words) zooms, labels never overlap and never
sit under the panels, links filter by interaction type, the URL restores the view, and hostile
display names stay text everywhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.html_map import MapPage, Scene, write_map_html

HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><!--'


@pytest.fixture(scope="module")
def map_file(tmp_path_factory) -> tuple[Path, MapPage]:
    rng = np.random.default_rng(0)
    n = 300
    xy = np.vstack([rng.normal(loc=(20 * (i % 3), 0), size=(1, 2)) for i in range(n)])
    names = [f"artist {i} 名前 Имя 🎧" if i % 5 == 0 else f"artist {i}" for i in range(n)]
    names[7], names[11] = HOSTILE, "Needle Findme"
    clusters = np.arange(n) % 3
    page = MapPage(
        x=xy[:, 0], y=xy[:, 1], names=names, permalinks=[f"artist-{i}" for i in range(n)],
        followers=[int(f) for f in rng.integers(250, 10_000, n)], clusters=clusters,
        scenes=[Scene(c, label, int((clusters == c).sum()), [c, c + 3, c + 6], colour, tags)
                for c, label, colour, tags in ((0, "scene zero", "#1f77b4", ["dnb", "jungle"]), (1, "scene one", "#ff7f0e", []),
                                               (2, HOSTILE, "#2ca02c", []))],
        kind_names=["follows", "likes"],
        # Point 0 likes 7 and follows 3 (both on the map); 9 is off the map.
        neighbours=[[(7, 0.25, 0b10), (-1, 0.1, 0b01), (3, 0.05, 0b01)]] + [[((i + 1) % n, 0.3, 0b11)] for i in range(1, n)],
        other_names=["offmap friend"], other_permalinks=["offmap-friend"],
        profile_url="https://example.test/profiles/",
        # The link 0 -> 7 is tied by two tracks (one with a hostile title), 0 -> 3 by none.
        tying=[[[1, 0], [], []]] + [[[]] for _ in range(1, n)],
        objects=[("first track", "artist-7/first-track"), (HOSTILE, "artist-0/sets/a set")],
        fields={"top words": ["dnb, jungle" if i % 3 == 0 else None for i in range(n)],
                "emerged": [2014 + i % 10 for i in range(n)]})
    path = tmp_path_factory.mktemp("html") / "map.html"
    write_map_html(path, page)
    return path, page


READY = "window.scmapMap && window.scmapMap.ready"


def open_map(browser, url: str):
    context = browser.new_context(viewport={"width": 1200, "height": 800}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function(READY)
    return page, errors


@pytest.fixture(scope="module")
def browser_page(map_file, map_browser):
    page, errors = open_map(map_browser.get(), map_file[0].as_uri())
    yield page, errors
    page.context.close()


def blended(colour: str, alpha: float = 0.8) -> list[int]:
    """A point's colour drawn at the page's alpha over its #fafafa background."""
    return [round(alpha * int(colour[k:k + 2], 16) + (1 - alpha) * 250) for k in (1, 3, 5)]


def test_page_decodes_what_was_written(browser_page, map_file) -> None:
    """The binary blobs round-trip in the page: every point's position (as float32), colour,
    name, permalink, followers and hover fields."""
    page, errors = browser_page
    written = map_file[1]
    points = page.evaluate(f"Array.from({{length: {len(written.names)}}}, (_, i) => window.scmapMap.point(i))")
    assert [p["name"] for p in points] == written.names
    assert [p["permalink"] for p in points] == written.permalinks
    assert [p["followers"] for p in points] == written.followers
    assert np.array_equal([p["x"] for p in points], written.x.astype(np.float32))
    assert np.array_equal([p["y"] for p in points], written.y.astype(np.float32))
    assert [p["colour"] for p in points] == written.clusters.tolist()
    assert points[3]["fields"] == {"top words": "dnb, jungle", "emerged": "2017"} and points[4]["fields"] == {"emerged": "2018"}
    assert errors == []


@pytest.mark.parametrize("renderer", ["cpu", "gl"])
def test_points_are_drawn_in_their_colours_and_nothing_hostile_ran(map_browser, map_file, renderer) -> None:
    page, errors = open_map(map_browser.get(), map_file[0].as_uri() + f"#r={renderer}")
    assert page.evaluate("window.scmapMap.renderer") == {"cpu": "cpu", "gl": "webgl"}[renderer]
    assert errors == []
    assert page.evaluate("window.scmapMap.drawnPoints") == len(map_file[1].names)
    colours = {0: "#1f77b4", 1: "#ff7f0e", 2: "#2ca02c"}
    right = 0
    for i in range(0, 300, 7):
        x, y = page.evaluate(f"window.scmapMap.screenPosition({i})")
        pixel = page.evaluate(f"window.scmapMap.pixel({x}, {y})")
        # Nearest of the scenes' colours (WebGL blends overlapping points, the splatter paints over).
        nearest = min(colours, key=lambda k: sum((p - c) ** 2 for p, c in zip(pixel, blended(colours[k]))))
        right += nearest == i % 3 and pixel[:3] != [250, 250, 250]
    assert right >= 35  # of 43 (a few points lie under another scene's point)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0
    page.context.close()


def test_search_finds_and_selects_an_account(browser_page) -> None:
    page, _ = browser_page
    page.fill("#search", "findme")
    assert page.locator("#results li").count() == 1
    assert page.locator("#results li").first.text_content().startswith("Needle Findme")
    page.press("#search", "Enter")
    assert page.locator("#panel-name").text_content() == "Needle Findme"
    assert page.locator("#panel-link").get_attribute("href") == "https://example.test/profiles/artist-11"


def test_hover_shows_name_permalink_followers_and_fields(browser_page, map_file) -> None:
    page, _ = browser_page
    page.fill("#search", "")
    page.evaluate("window.scmapMap.select(42)")  # centres and zooms on it
    x, y = page.evaluate("window.scmapMap.screenPosition(42)")
    page.mouse.move(x, y)
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.text_content()
    assert "artist 42" in text and "artist-42" in text and f"{map_file[1].followers[42]:,} followers" in text
    assert "top words: dnb, jungle" in text and "emerged: 2016" in text


def test_click_opens_profile_and_lists_neighbours_as_text(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.select(0)")
    x, y = page.evaluate("window.scmapMap.screenPosition(0)")
    page.mouse.click(x, y)
    assert page.evaluate("window.scmapMap.lastOpenedUrl") == "https://example.test/profiles/artist-0"
    neighbours = page.locator("#panel-neighbours > li")
    assert neighbours.count() == 3
    assert neighbours.nth(0).text_content().startswith(HOSTILE + "25.0%likes")  # the hostile name, shown as text
    assert neighbours.nth(1).text_content() == "offmap friend10.0%follows"
    neighbours.nth(0).click()
    assert page.locator("#panel-name").text_content() == HOSTILE
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_links_tying_tracks_are_listed_on_click(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.select(0)")
    first = page.locator("#panel-neighbours > li").nth(0)
    toggle = first.locator(".tying-toggle")
    assert toggle.text_content() == "\u25b8 2 tracks"
    assert page.locator("#panel-neighbours > li").nth(2).locator(".tying-toggle").count() == 0  # 0 -> 3: none
    tracks = first.locator(".tying a")
    assert not tracks.first.is_visible()
    toggle.click()
    assert page.locator("#panel-name").text_content() == "artist 0 名前 Имя 🎧"  # the toggle does not select 7
    assert [tracks.nth(k).text_content() for k in range(2)] == [HOSTILE, "first track"]  # most recent first
    assert tracks.nth(0).get_attribute("href") == "https://example.test/profiles/artist-0/sets/a%20set"
    assert tracks.nth(1).get_attribute("href") == "https://example.test/profiles/artist-7/first-track"
    assert tracks.first.is_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined" and page.locator("img").count() == 0


def test_wheel_zooms_in(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.select(5)")
    before = page.evaluate("window.scmapMap.drawnPoints")
    page.mouse.move(600, 400)
    for _ in range(8):
        page.mouse.wheel(0, -400)
    page.wait_for_function(f"window.scmapMap.drawnPoints < {before}")


def label_boxes_overlap(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for n, a in enumerate(boxes) for b in boxes[n + 1:]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


def test_legend_lists_scenes_as_text_and_a_click_zooms_there(browser_page, map_file) -> None:
    page, errors = browser_page
    items = page.locator("#legend-scenes li")
    assert items.count() == 3
    assert items.nth(2).locator(".scene-label").text_content() == HOSTILE
    assert items.nth(0).locator(".scene-label").text_content() == "dnb, jungle \u2014 scene zero"  # words — central accounts
    assert items.nth(0).locator(".size").text_content() == "100"
    assert items.nth(0).locator(".central").text_content() == "artist 0 名前 Имя 🎧, artist 3, artist 6"
    page.evaluate("window.scmapMap.select(5)")
    items.nth(1).click()  # scene one: x around 20
    state = page.evaluate("window.scmapMap.viewState()")
    assert state["zoom"] > 1.5 and abs(state["centre"][0] - 20) < 2, state
    assert 80 <= page.evaluate("window.scmapMap.drawnPoints") < 200  # mostly scene one in view
    assert errors == [] and page.evaluate("typeof window.__pwned") == "undefined"


def under(boxes: list[dict], panel: dict | None) -> list[str]:
    if panel is None:
        return []
    return [b["text"] for b in boxes if b["x"] < panel["x"] + panel["width"] and panel["x"] < b["x"] + b["w"]
            and b["y"] < panel["y"] + panel["height"] and panel["y"] < b["y"] + b["h"]]


def test_labels_never_overlap_nor_sit_under_the_panels_at_three_zoom_levels(browser_page) -> None:
    page, _ = browser_page
    page.goto(page.url.split("#")[0] + "#")
    page.reload()
    page.wait_for_function(READY)
    counts = []
    for factor in (1, 3, 5):
        page.evaluate(f"window.scmapMap.zoomBy({factor})")
        boxes = page.evaluate("window.scmapMap.labelBoxes")
        assert boxes and label_boxes_overlap(boxes) == [], factor
        assert under(boxes, page.locator("#legend").bounding_box()) == [], factor
        assert under(boxes, page.locator("#toolbar").bounding_box()) == [], factor
        counts.append(len(boxes))
    assert counts[-1] > counts[0]  # zooming in makes room for more names
    page.evaluate("window.scmapMap.zoomBy(1 / 15); window.scmapMap.select(1); window.scmapMap.zoomBy(1)")
    boxes = page.evaluate("window.scmapMap.labelBoxes")
    assert under(boxes, page.locator("#panel").bounding_box()) == [] and under(boxes, page.locator("#legend").bounding_box()) == []


def test_interaction_type_filter_shows_whose_links_are_which(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.setKinds(3); window.scmapMap.select(0)")
    links = page.evaluate("window.scmapMap.visibleLinks")
    assert links == [{"to": 7, "kinds": ["likes"]}, {"to": 3, "kinds": ["follows"]}]
    page.locator("#kinds input[value='1']").uncheck()  # hide likes
    assert page.evaluate("window.scmapMap.visibleLinks") == [{"to": 3, "kinds": ["follows"]}]
    assert page.locator("#panel-neighbours li.filtered").count() == 1  # listed, greyed, share unchanged
    assert page.locator("#panel-neighbours > li").nth(0).text_content().startswith(HOSTILE + "25.0%likes")
    page.evaluate("window.scmapMap.setKinds(3)")


def test_shared_url_restores_zoom_and_selection(browser_page, map_file) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.select(42); window.scmapMap.zoomBy(2.5); window.scmapMap.setKinds(1)")
    page.wait_for_function("location.hash.includes('s=42') && location.hash.includes('k=1')")
    shared = page.evaluate("location.href")
    before = page.evaluate("window.scmapMap.viewState()")
    other = page.context.new_page()
    other.goto(shared)
    other.wait_for_function(READY)
    after = other.evaluate("window.scmapMap.viewState()")
    assert after["selected"] == 42 and after["kinds"] == 1
    assert abs(after["zoom"] - before["zoom"]) < 1e-3 * before["zoom"]
    assert np.allclose(after["centre"], before["centre"], atol=1e-2)
    assert other.locator("#panel-name").text_content() == "artist 42"
    other.close()
    page.evaluate("window.scmapMap.setKinds(3)")


def test_hostile_url_fragment_is_ignored(browser_page) -> None:
    page, errors = browser_page
    page.goto(page.url.split("#")[0] + "#v=1e999,NaN,<img>&s=-5&c=99&k=abc&r=<img>")
    page.reload()
    page.wait_for_function(READY)
    state = page.evaluate("window.scmapMap.viewState()")
    assert state["selected"] == -1 and state["colouring"] == 0 and abs(state["zoom"] - 1) < 1e-9
    assert errors == [] and page.locator("img").count() == 0
