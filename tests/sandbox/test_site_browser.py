"""Real headless Chromium (Playwright) on the sandbox pages: cookie banner, infinite scroll to
the end, every expected item rendered with the documented class names, names kept as text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright

pytestmark = pytest.mark.timeout(240)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # any alert() would mean a display name ran as script
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.list_responses, page.seen_responses = [], 0
    page.on("response", lambda response: page.list_responses.append(response)
            if "/api-v2/" in response.url and response.status == 200 else None)
    yield page
    context.close()


def accept_cookies(page: Page) -> None:
    page.wait_for_selector("#onetrust-banner-sdk", timeout=10_000)
    page.click("button#onetrust-accept-btn-handler")
    page.wait_for_selector("#onetrust-banner-sdk", state="hidden", timeout=5_000)


def scroll_to_end(page: Page, item_selector: str, max_rounds: int = 400) -> None:
    """Scroll like a scraper until the page's own api-v2 answer says next_href is null.

    The page carries no "done" marker (the real one has none either); the end is read from the
    list responses the page receives, recorded by `record_list_responses`.
    """
    for _ in range(max_rounds):
        responses = page.list_responses
        while page.seen_responses < len(responses):
            response = responses[page.seen_responses]
            page.seen_responses += 1
            try:
                body = response.json()
            except Exception:  # a faulted body: the client retries the same page
                continue
            if isinstance(body, dict) and "collection" in body and body.get("next_href") is None:
                page.wait_for_timeout(100)  # let the bundle render that last page
                return
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(150)
    raise AssertionError(f"list not finished after {max_rounds} scrolls; {len(page.query_selector_all(item_selector))} items")


def listed(world, user_id: int, interaction: str):
    return world.recent_interactions(user_id, interaction)


def object_paths(world, rows) -> list[tuple[str, str, str]]:
    """(owner display name, owner path, object path) the page must show for each like."""
    users = world.users.set_index("id")
    tracks = world.tracks.set_index("id")
    playlists = world.playlists.set_index("id")
    expected = []
    for kind, object_id in zip(rows["object_kind"], rows["object_id"]):
        table = tracks if kind == "track" else playlists
        record = table.loc[object_id]
        owner = users.loc[record["user_id"]]
        middle = "/sets/" if kind == "playlist" else "/"
        expected.append((owner["username"], f"/{owner['permalink']}", f"/{owner['permalink']}{middle}{record['permalink']}"))
    return expected


def pick_liker_with_special_names(world) -> int:
    """An account of a few pages of likes, some of an object owned by an HTML-special name."""
    users = world.users
    special_ids = set(users[users["username"].str.contains("<", regex=False)]["id"])
    likes = world.interactions[world.interactions["interaction"] == "likes"]
    total = likes.groupby("src_id").size()
    special_likers = set(likes[likes["listed"] & likes["dst_id"].isin(special_ids)]["src_id"])
    candidates = total[(total > 30) & (total < 200) & total.index.isin(special_likers)]
    return int(candidates.sort_values(ascending=False).index[0])


def test_likes_page_renders_every_like_after_scrolling(sandbox, loaded_world, page):
    user_id = pick_liker_with_special_names(loaded_world)
    user = loaded_world.users.set_index("id").loc[user_id]
    api_requests: list[str] = []
    page.on("request", lambda request: api_requests.append(request.url) if "/api-v2/" in request.url else None)

    page.goto(f"{sandbox.web_url}/{user['permalink']}/likes")
    accept_cookies(page)
    scroll_to_end(page, "li.soundList__item")

    header = page.query_selector(".userNetworkTop .userNetworkTop__title > a")
    assert header.get_attribute("href") == f"/{user['permalink']}"
    assert header.text_content() == user["username"]

    rendered = page.eval_on_selector_all(".soundList li.soundList__item", """items => items.map(li => [
        li.querySelector('.soundTitle__username .soundTitle__usernameText').textContent,
        li.querySelector('a.soundTitle__username').getAttribute('href'),
        li.querySelector('a.soundTitle__title').getAttribute('href'),
        li.querySelector('a.soundTitle__title > span').textContent,
        li.querySelector('.sound').classList.contains('playlist')])""")
    expected_rows = listed(loaded_world, user_id, "likes")
    expected = object_paths(loaded_world, expected_rows)
    assert [tuple(r[:3]) for r in rendered] == expected
    assert [r[4] for r in rendered] == [kind == "playlist" for kind in expected_rows["object_kind"]]
    assert any("<" in name for name, _, _ in expected), "the chosen account likes an HTML-special name"
    assert page.dialogs == [], "a display name ran as script"
    assert page.evaluate("document.querySelectorAll('.soundList b, .soundList script').length") == 0

    first = parse_qs(urlsplit(api_requests[0]).query)
    assert first["limit"] == ["24"] and first["offset"] == ["0"] and first["linked_partitioning"] == ["1"]
    assert first["app_locale"] == ["en"] and len(first["client_id"][0]) == 32 and len(first["app_version"][0]) == 10
    if len(api_requests) > 1:
        later = parse_qs(urlsplit(api_requests[1]).query)
        assert set(later) == {"offset", "limit", "client_id", "app_version", "app_locale"}
    assert page.query_selector(".loading.regular") is None


def test_following_page_renders_every_followed_account(sandbox, loaded_world, page):
    rows = loaded_world.interactions
    follows = rows[(rows["interaction"] == "follows") & rows["listed"]]
    counts = follows["src_id"].value_counts()
    user_id = int(counts[(counts > 30) & (counts < 150)].index[0])
    user = loaded_world.users.set_index("id").loc[user_id]

    page.goto(f"{sandbox.web_url}/{user['permalink']}/following")
    accept_cookies(page)
    scroll_to_end(page, "li.badgeList__item")

    rendered = page.eval_on_selector_all(
        "ul.badgeList.lazyLoadingList > li.badgeList__item > .userBadgeListItem a.userBadgeListItem__heading",
        "links => links.map(a => [a.getAttribute('href'), a.textContent])")
    users = loaded_world.users.set_index("id")
    expected = [(f"/{users.loc[i, 'permalink']}", users.loc[i, "username"])
                for i in listed(loaded_world, user_id, "follows")["object_id"]]
    assert [tuple(r) for r in rendered] == expected
    assert page.dialogs == []


def test_empty_page_with_next_href_does_not_stall_the_list(sandbox_world, loaded_world, page):
    """With every other page served empty, the client must still fetch on to the end by itself."""
    from scmap.sandbox.runner import run_sandbox

    rows = loaded_world.interactions
    likes = rows[(rows["interaction"] == "likes")]
    counts = likes["src_id"].value_counts()
    user_id = int(counts[(counts > 60) & (counts < 150)].index[0])
    user = loaded_world.users.set_index("id").loc[user_id]
    with run_sandbox(sandbox_world, faults={"empty_page_rate": 0.5, "fault_seed": 11}) as faulty:
        page.goto(f"{faulty.web_url}/{user['permalink']}/likes")
        accept_cookies(page)
        scroll_to_end(page, "li.soundList__item")
        rendered = page.eval_on_selector_all("li.soundList__item a.soundTitle__title",
                                             "links => links.map(a => a.getAttribute('href'))")
        stats = page.evaluate("fetch('/__sandbox/stats').then(r => r.json())")
    assert stats["counts"].get("empty_pages", 0) > 0
    assert rendered == [path for _, _, path in object_paths(loaded_world, listed(loaded_world, user_id, "likes"))]


def modest_account(world, interaction: str, low: int = 15, high: int = 120) -> int:
    rows = world.interactions
    counts = rows[rows["interaction"] == interaction]["src_id"].value_counts()
    return int(counts[(counts > low) & (counts < high)].index[0])


def test_reposts_page_renders_stream_items_with_repost_times(sandbox, loaded_world, page):
    user_id = modest_account(loaded_world, "reposts")
    user = loaded_world.users.set_index("id").loc[user_id]
    page.goto(f"{sandbox.web_url}/{user['permalink']}/reposts")
    accept_cookies(page)
    scroll_to_end(page, "li.soundList__item")
    rendered = page.eval_on_selector_all("li.soundList__item > .sound", """sounds => sounds.map(s => [
        s.querySelector('.soundContext__repost') !== null,
        s.querySelector('.soundContext__usernameLink').getAttribute('href'),
        s.querySelector('.relativeTime').getAttribute('datetime'),
        s.querySelector('a.soundTitle__username').getAttribute('href'),
        s.querySelector('a.soundTitle__title').getAttribute('href')])""")
    truth = listed(loaded_world, user_id, "reposts")
    paths = object_paths(loaded_world, truth)
    expected = [[True, f"/{user['permalink']}", t.strftime("%Y-%m-%dT%H:%M:%SZ"), owner_path, object_path]
                for t, (_, owner_path, object_path) in zip(truth["created_at"], paths)]
    assert rendered == expected


def test_comments_page_renders_bodies_as_text(sandbox, loaded_world, page):
    user_id = modest_account(loaded_world, "comments", low=10)
    user = loaded_world.users.set_index("id").loc[user_id]
    page.goto(f"{sandbox.web_url}/{user['permalink']}/comments")
    accept_cookies(page)
    scroll_to_end(page, "li.commentsList__item")
    rendered = page.eval_on_selector_all(".commentTitle", """titles => titles.map(t => [
        t.querySelector('.commentTitle__main').textContent,
        t.querySelector('.commentTitle__secondary a').getAttribute('href')])""")
    truth = listed(loaded_world, user_id, "comments")
    paths = object_paths(loaded_world, truth)
    assert rendered == [[body, object_path] for body, (_, _, object_path) in zip(truth["body"], paths)]
    assert page.dialogs == []
