"""map.html in real headless Chromium (Playwright): points render, search, hover, click,
and a hostile display name stays text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from analysis.html_map import MapPage, write_map_html

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><!--'


@pytest.fixture(scope="module")
def map_file(tmp_path_factory) -> tuple[Path, MapPage]:
    rng = np.random.default_rng(0)
    n = 300
    xy = np.vstack([rng.normal(loc=(20 * (i % 3), 0), size=(1, 2)) for i in range(n)])
    names = [f"artist {i}" for i in range(n)]
    names[7], names[11] = HOSTILE, "Needle Findme"
    page = MapPage(
        x=xy[:, 0], y=xy[:, 1], names=names, permalinks=[f"artist-{i}" for i in range(n)],
        followers=[int(f) for f in rng.integers(250, 10_000, n)], clusters=np.arange(n) % 3,
        cluster_labels={0: "scene zero", 1: "scene one", 2: HOSTILE},
        neighbours=[[(7, 0.25), (-1, 0.1)]] + [[((i + 1) % n, 0.3)] for i in range(1, n)],
        other_names=["offmap friend"], other_permalinks=["offmap-friend"],
        profile_url="https://example.test/profiles/")
    path = tmp_path_factory.mktemp("html") / "map.html"
    write_map_html(path, page)
    return path, page


@pytest.fixture(scope="module")
def browser_page(map_file):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 800}, offline=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(map_file[0].as_uri())
        page.wait_for_function("window.scmapMap && window.scmapMap.drawnPoints > 0")
        yield page, errors
        browser.close()


def test_points_are_drawn_and_nothing_hostile_ran(browser_page, map_file) -> None:
    page, errors = browser_page
    assert errors == []
    assert page.evaluate("window.scmapMap.drawnPoints") == len(map_file[1].names)
    painted = page.evaluate("""() => { const c = document.getElementById('map');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert painted > 300
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0


def test_search_finds_and_selects_an_account(browser_page) -> None:
    page, _ = browser_page
    page.fill("#search", "findme")
    assert page.locator("#results li").count() == 1
    assert page.locator("#results li").first.text_content().startswith("Needle Findme")
    page.press("#search", "Enter")
    assert page.locator("#panel-name").text_content() == "Needle Findme"
    assert page.locator("#panel-link").get_attribute("href") == "https://example.test/profiles/artist-11"


def test_hover_shows_name_permalink_followers(browser_page, map_file) -> None:
    page, _ = browser_page
    page.fill("#search", "")
    page.evaluate("window.scmapMap.select(42)")  # centres and zooms on it
    x, y = page.evaluate("window.scmapMap.screenPosition(42)")
    page.mouse.move(x, y)
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.text_content()
    assert "artist 42" in text and "artist-42" in text and f"{map_file[1].followers[42]:,} followers" in text


def test_click_opens_profile_and_lists_neighbours_as_text(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.select(0)")
    x, y = page.evaluate("window.scmapMap.screenPosition(0)")
    page.mouse.click(x, y)
    assert page.evaluate("window.scmapMap.lastOpenedUrl") == "https://example.test/profiles/artist-0"
    neighbours = page.locator("#panel-neighbours li")
    assert neighbours.count() == 2
    assert neighbours.nth(0).text_content() == HOSTILE + "25.0%"  # the hostile name, shown as text
    assert neighbours.nth(1).text_content() == "offmap friend10.0%"
    neighbours.nth(0).click()
    assert page.locator("#panel-name").text_content() == HOSTILE
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_wheel_zooms_in(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("window.scmapMap.select(5)")
    before = page.evaluate("window.scmapMap.drawnPoints")
    page.mouse.move(600, 400)
    for _ in range(8):
        page.mouse.wheel(0, -400)
    page.wait_for_function(f"window.scmapMap.drawnPoints < {before}")
