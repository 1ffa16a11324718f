"""End to end: `scrapy crawl <spider>` through real Chromium against the sandbox over HTTP, in
each mode (session, http, scroll).

For a handful of awkward accounts (renamed, non-ASCII, emoji, blank, HTML-special, playlist
liker/reposter, self liker, empty...) the Parquet edges must equal the world's most recent
`limit` listed interactions of that type, exactly, and the objects dataset the tracks and
playlists those lists carry, with the world's owner, upload date, genre and tags.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from tests.bot_wall_helpers import write_cookies_txt

from .browser_probe import BROWSERS_WHILE_READING, CHILDREN_WHILE_READING, PROBED
from .browser_probe import PATH as BROWSER_PROBE
from .crawl import run_crawl
from .objects_truth import assert_exact_objects, expected_objects

LIMIT = 30
SPIDERS = {"likes": "likes", "comments": "comments", "reposts": "reposts", "follows": "follows"}
MALFORMED_SEED = "https://example.com/not-soundcloud"


def quirky_ids(truth) -> list[int]:
    ids = {value for value in truth.meta["quirky_accounts"].values() if value is not None}
    return sorted(ids)


def permalink_of(truth, user_id: int) -> str:
    return truth.users.set_index("id").loc[user_id, "permalink"]


def edge_keys(frame: pd.DataFrame, interaction: str) -> Counter:
    """Multiset of (dst, kind, object[, created_at]) - follows have no time on the site."""
    keys = Counter()
    for row in frame.itertuples():
        key = (int(row.dst_id), row.object_kind, int(row.object_id))
        if interaction != "follows":
            key += (pd.Timestamp(row.created_at).floor("s"),)
        keys[key] += 1
    return keys


def expected_keys(truth, user_id: int, interaction: str, limit: int | None) -> Counter:
    rows = truth.recent_interactions(user_id, interaction, limit)
    return edge_keys(rows, interaction)


def assert_exact_lists(truth, result, interaction: str, user_ids: list[int], limit: int | None):
    for user_id in user_ids:
        got = result.edges[result.edges["src_id"] == user_id] if len(result.edges) else result.edges
        expected = expected_keys(truth, user_id, interaction, limit)
        got_keys = edge_keys(got, interaction) if len(got) else Counter()
        missing, extra = expected - got_keys, got_keys - expected
        assert not missing and not extra, (
            f"{interaction} of {user_id}: {len(missing)} missing {list(missing)[:3]}, "
            f"{len(extra)} extra {list(extra)[:3]}")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["session", "http", "scroll"])
@pytest.mark.parametrize("spider", list(SPIDERS))
def test_every_spider_stores_exactly_the_most_recent_interactions(spider, mode, truth, clean_sandbox, tmp_path):
    interaction = SPIDERS[spider]
    user_ids = quirky_ids(truth)
    users = truth.users.set_index("id")
    renamed = truth.meta["quirky_accounts"]["renamed"]
    seeds = [permalink_of(truth, user_id) for user_id in user_ids]
    # Profile URLs are seeds too; an old (renamed-away) slug is a 404; junk is a bad seed.
    seeds[0] = f"https://soundcloud.com/{seeds[0]}/{spider}"
    seeds += [users.loc[renamed, "old_permalink"], MALFORMED_SEED]

    before = clean_sandbox.counts()
    probe = {"EXTENSIONS": f'{{"{BROWSER_PROBE}": 500}}'} if mode != "scroll" else {}
    result = run_crawl(spider, clean_sandbox, seeds, tmp_path, limit=LIMIT, mode=mode, settings=probe)
    after = clean_sandbox.counts()
    served = after.get("api_requests", 0) - before.get("api_requests", 0)

    assert result.returncode == 0, result.log[-3000:]
    # Each mode really read the lists its own way.
    if mode in ("session", "http"):  # the same api-v2 Requests, through either transport
        assert result.stat(f"scmap/{interaction}/session/lists_read") == len(user_ids)
        assert result.stat(f"scmap/{interaction}/scrolls") == 0 and result.stat("scmap/api/requests") > 0
        # Every api-v2 call the site served went through Scrapy's downloader (the session
        # page's own home-page load is not an api-v2 call).
        assert served == result.stat("scmap/api/requests") > 0
        assert result.stat("downloader/request_count") >= served
        assert result.stat(PROBED) == served  # every api answer looked for browser processes
    if mode == "session":
        assert result.stat("scmap/session/cookie_banner_accepted") >= 1  # once per session page
        assert result.stat(BROWSERS_WHILE_READING) >= 1  # the probe sees a browser when there is one
    if mode == "http":
        # client_id from one browser page, closed before the first api-v2 call; no challenge.
        assert result.stat("scmap/http/bootstraps/browser") == 1 and result.stat("scmap/http/challenges") == 0
        # Not even Playwright's driver: the bootstrap's browser and driver ended before reading.
        assert result.stat(BROWSERS_WHILE_READING) == result.stat(CHILDREN_WHILE_READING) == 0
        # Each call as Chrome sends it: its user agent and the client hints of that version.
        assert after["api_requests_chrome_ua"] - before.get("api_requests_chrome_ua", 0) == served
        assert after["api_requests_chrome_client_hints"] - \
            before.get("api_requests_chrome_client_hints", 0) == served
    if mode == "scroll":
        assert result.stat(f"scmap/{interaction}/session/lists_read") == 0
    assert_exact_lists(truth, result, interaction, user_ids, LIMIT)
    # The tracks and playlists the lists carried, from the same callbacks (none for followings).
    if interaction == "follows":
        assert result.objects.empty and result.stat(f"scmap/{interaction}/objects") == 0
    else:
        expected = expected_objects(truth, user_ids, interaction, LIMIT)
        assert_exact_objects(result.objects, expected)
        assert result.stat("parquet/objects_written") == len(expected)
        assert result.stat(f"scmap/{interaction}/objects") == result.stat(f"scmap/{interaction}/edges")
    # The limit really cut some lists, and some lists were shorter than it.
    listed = [len(truth.recent_interactions(u, interaction)) for u in user_ids]
    assert max(listed) > LIMIT and min(listed) < LIMIT
    # Display names and slugs exactly as the site has them (non-ASCII, <script>, U+2800...).
    joined = result.edges.join(users[["permalink", "username"]], on="dst_id")
    assert (joined["dst_permalink"] == joined["permalink"]).all()
    assert (joined["dst_username"] == joined["username"]).all()
    # One AccountItem per crawled account, from the page's hydration.
    accounts = result.accounts.drop_duplicates("id").set_index("id")
    assert sorted(accounts.index) == user_ids
    assert (accounts["username"] == users.loc[accounts.index, "username"]).all()
    assert (accounts["followers_count"] == users.loc[accounts.index, "followers_count"]).all()
    # Faults of the input are counted, and the crawl went on.
    assert result.stat(f"scmap/{interaction}/not_found") == 1
    assert result.stat(f"scmap/{interaction}/bad_seed") == 1
    assert result.stat(f"scmap/{interaction}/lists_done") == len(user_ids)
    if mode == "scroll":
        assert result.stat(f"scmap/{interaction}/cookie_banner_accepted") >= 1  # once per context
    assert "Malformed seed skipped" in result.log and MALFORMED_SEED in result.log
    # The unknown seed is named in the final summary; the crawl went on and exits 0.
    old_slug = users.loc[renamed, "old_permalink"]
    assert f"Seeds not found on the site, crawled without them (check their spelling): {old_slug}" in result.log
    assert result.stat(f"scmap/{interaction}/seeds_not_found") == 1


@pytest.mark.timeout(300)
def test_http_mode_with_cookies_txt_never_starts_a_browser(truth, clean_sandbox, tmp_path):
    """SCMAP_COOKIES alone: client_id from the home page over curl_cffi, no Chromium at all."""
    user_ids = quirky_ids(truth)[:4]
    cookies = write_cookies_txt(tmp_path / "cookies.txt", clean_sandbox.web_url, {"sc_anonymous_id": "1-2-3"})
    result = run_crawl("likes", clean_sandbox, [permalink_of(truth, u) for u in user_ids], tmp_path / "run",
                       limit=LIMIT, mode="http",
                       settings={"SCMAP_COOKIES": str(cookies), "EXTENSIONS": f'{{"{BROWSER_PROBE}": 500}}'})
    assert result.returncode == 0, result.log[-3000:]
    assert_exact_lists(truth, result, "likes", user_ids, LIMIT)
    assert result.stat("scmap/http/bootstraps/http") == 1
    assert result.stat(PROBED) > 0 and result.stat(CHILDREN_WHILE_READING) == 0
    assert result.stat("playwright/browser_count") == 0  # scrapy-playwright never launched one


@pytest.mark.timeout(300)
def test_limit_all_reads_whole_lists(truth, clean_sandbox, tmp_path):
    listed = truth.interactions[truth.interactions["listed"] & (truth.interactions["interaction"] == "likes")]
    sizes = listed.groupby("src_id").size().sort_values()
    # The longest lists (several 200-item pages) and a short one.
    user_ids = sorted({int(sizes.index[-1]), int(sizes.index[-2]), int(sizes.index[len(sizes) // 2])})
    result = run_crawl("likes", clean_sandbox, [permalink_of(truth, u) for u in user_ids], tmp_path, limit="all")
    assert result.returncode == 0, result.log[-3000:]
    assert sizes.iloc[-1] > 200  # really more than one page
    assert_exact_lists(truth, result, "likes", user_ids, None)
    assert result.stat("scmap/likes/edges") == sum(int(sizes[u]) for u in user_ids)
