"""The sliced map.html in real headless Chromium (Playwright): the slider shows each slice's own
accounts, keeps the selected account where it exists, a shared URL reopens the slice, and the
page can colour points by generation. Names stay text (hostile one included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.html_map import MapPage, Scene, SlicedMapPage, write_map_html
from analysis.map_page import generation_colouring
from test_html_map_in_browser import HOSTILE, blended, open_map

# Accounts 0-99 in 2020, 50-149 in 2021, 100-219 in 2022; account 500 (generation 2019) only in
# 2020, far from the rest so its pixel can be read.
SLICES = {"2020": list(range(0, 100)) + [500], "2021": list(range(50, 150)), "2022": list(range(100, 220))}
LONER, COHORTS = 500, ["2019", "2020", "2021", "2022"]


def name_of(account: int) -> str:
    return HOSTILE if account == 7 else f"account {account}"


def generation_of(account: int) -> str | None:
    return "2019" if account == LONER else None if account % 10 == 3 else COHORTS[1 + account // 100]


def slice_page(accounts: list[int], rng: np.random.Generator) -> MapPage:
    n = len(accounts)
    clusters = np.array([a % 2 for a in accounts])
    xy = np.array([(20.0 * (a % 2) + rng.normal(), rng.normal()) for a in accounts])
    if LONER in accounts:
        xy[accounts.index(LONER)] = (60.0, 30.0)
    return MapPage(
        x=xy[:, 0], y=xy[:, 1], names=[name_of(a) for a in accounts], permalinks=[f"p{a}" for a in accounts],
        followers=[1000 + a for a in accounts], clusters=clusters,
        scenes=[Scene(c, f"scene {c}", int((clusters == c).sum()), [c], colour)
                for c, colour in ((0, "#1f77b4"), (1, "#ff7f0e"))],
        neighbours=[[((i + 1) % n, 0.3, 0b1)] for i in range(n)], other_names=[], other_permalinks=[],
        profile_url="https://example.test/", kind_names=["likes"],
        colourings=[generation_colouring(pd.Series([generation_of(a) for a in accounts], dtype=object), COHORTS)],
        ids=accounts)


@pytest.fixture(scope="module")
def sliced_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(1)
    path = tmp_path_factory.mktemp("sliced-html") / "map.html"
    write_map_html(path, SlicedMapPage(list(SLICES), [slice_page(accounts, rng) for accounts in SLICES.values()]))
    return path


@pytest.fixture
def browser(map_browser):
    return map_browser.get()


open_page = open_map


def shown(page) -> set[str]:
    return set(page.evaluate("window.scmapMap.shownNames()"))


def test_slider_shows_each_slices_own_accounts(browser, sliced_file: Path) -> None:
    page, errors = open_page(browser, sliced_file.as_uri())
    assert page.locator("#slices").is_visible()
    assert page.locator("#slice-label").text_content().startswith("2020")
    assert page.evaluate("window.scmapMap.drawnPoints") == len(SLICES["2020"])
    # No fragment: nothing selected, every link type shown (an absent parameter is not a 0).
    assert page.evaluate("window.scmapMap.viewState()")["selected"] == -1 and page.locator("#panel").is_hidden()
    assert page.evaluate("window.scmapMap.viewState()")["kinds"] == 1
    assert shown(page) == {name_of(a) for a in SLICES["2020"]}
    page.fill("#search", "account 160")  # only in 2022
    assert page.locator("#results li").count() == 0
    page.fill("#search", "")
    page.evaluate("window.scmapMap.select(60)")  # account 60: in 2020 and 2021
    assert page.locator("#panel-name").text_content() == "account 60"
    page.focus("#slice")
    page.keyboard.press("ArrowRight")  # the user's way: the slider, not the API
    assert page.locator("#slice-label").text_content() == "2021 \u00b7 100 accounts"
    assert page.evaluate("window.scmapMap.pointCount") == len(SLICES["2021"])
    assert shown(page) == {name_of(a) for a in SLICES["2021"]}
    assert page.locator("#panel-name").text_content() == "account 60"  # still selected, now its 2021 point
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.scmapMap.slice()") == "2022"
    assert shown(page) == {name_of(a) for a in SLICES["2022"]}
    assert page.locator("#panel").is_hidden()  # account 60 is not in 2022
    page.fill("#search", "account 160")
    assert page.locator("#results li").count() == 1
    assert errors == [] and page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0
    page.context.close()


def test_shared_url_restores_the_slice_and_selection(browser, sliced_file: Path) -> None:
    page, _ = open_page(browser, sliced_file.as_uri())
    page.focus("#slice")
    page.keyboard.press("ArrowRight")
    page.evaluate("window.scmapMap.search('account 120')")
    page.press("#search", "Enter")
    page.wait_for_function("window.scmapMap.url && window.scmapMap.url.includes('t=2021') && window.scmapMap.url.includes('s=')")
    url = page.evaluate("window.scmapMap.url")
    page.context.close()
    restored, errors = open_page(browser, url)
    assert restored.evaluate("window.scmapMap.slice()") == "2021"
    assert restored.input_value("#slice") == "1"
    assert shown(restored) == {name_of(a) for a in SLICES["2021"]}
    assert restored.locator("#panel-name").text_content() == "account 120"
    hostile, errors_after = open_page(browser, sliced_file.as_uri() + "#t=%3Cimg%3E&s=99999")
    assert hostile.evaluate("window.scmapMap.slice()") == "2020" and errors == errors_after == []
    restored.context.close()
    hostile.context.close()


def test_colour_by_generation(browser, sliced_file: Path) -> None:
    page, errors = open_page(browser, sliced_file.as_uri())
    options = page.locator("#colour-by option").all_text_contents()
    assert options == ["scene", "generation"]

    def loner_pixel() -> list[int]:
        index = SLICES["2020"].index(LONER)
        x, y = page.evaluate(f"window.scmapMap.screenPosition({index})")
        return page.evaluate(f"window.scmapMap.pixel({x}, {y})")

    def close(pixel: list[int], colour: str) -> bool:
        return all(abs(p - c) <= 3 for p, c in zip(pixel, blended(colour)))

    assert close(loner_pixel(), "#1f77b4")  # scene 0's colour
    page.select_option("#colour-by", label="generation")
    assert page.locator("#legend-scenes li").all_text_contents() == COHORTS
    assert page.locator("#legend-title").text_content() == "By generation"
    oldest = generation_colouring(pd.Series(["2019"]), COHORTS).categories[0][1]
    assert close(loner_pixel(), oldest)
    page.focus("#slice")
    page.keyboard.press("ArrowRight")  # the colouring stays on over the slider
    assert page.locator("#legend-scenes li").all_text_contents() == COHORTS
    page.wait_for_function("window.scmapMap.url && window.scmapMap.url.includes('c=1')")
    assert errors == []
    page.context.close()
