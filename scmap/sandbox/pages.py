"""The server-sent HTML: profile / network page shells like soundcloud.com's, the 404 page,
and the JS bundle that holds the client_id (docs/soundcloud-web.md sections 3 and 4).

The lists themselves are rendered client-side by static/app.js, as on the real site.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scmap.sandbox.representations import Json, iso, stable_number

STATIC_DIR = Path(__file__).with_name("static")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
FEATURES = [
    "v2_enable_onetrust", "v2_use_onetrust_tcfv2_eu1", "v2_use_onetrust_us", "v2_use_onetrust_gb",
    "v2_enable_sourcepoint", "v2_enable_sourcepoint_tcfv2", "v2_enable_onetrust_tcfv2",
    "mobi_enable_onetrust", "v2_stories", "v2_enable_pwa", "v2_post_with_caption",
]
SECTION_TITLES = {
    "likes": "Likes", "comments": "Comments", "reposts": "Reposts",
    "following": "Following", "followers": "Followers",
}


@dataclass(frozen=True)
class Frontend:
    """What every page embeds: the client id, the build id and the asset URLs."""

    client_id: str
    app_version: str
    bundle_path: str
    bundle_source: bytes
    css_path: str
    css_source: bytes


def derive_client_id(seed: int) -> str:
    """32 alphanumeric chars, fixed for a given seed (the real one rotates; restart with another seed)."""
    number = int.from_bytes(hashlib.sha256(f"client-id|{seed}".encode()).digest(), "big")
    chars = []
    for _ in range(32):
        number, digit = divmod(number, len(ALNUM))
        chars.append(ALNUM[digit])
    return "".join(chars)


def build_frontend(client_seed: int) -> Frontend:
    client_id = derive_client_id(client_seed)
    app_version = str(1_760_000_000 + stable_number("app-version", client_seed) % 20_000_000)
    source = (STATIC_DIR / "app.js").read_text(encoding="utf-8").replace("__CLIENT_ID__", client_id)
    bundle = source.encode()
    css = (STATIC_DIR / "app.css").read_bytes()
    return Frontend(
        client_id=client_id,
        app_version=app_version,
        bundle_path=f"/assets/0-{hashlib.sha256(bundle).hexdigest()[:8]}.js",
        bundle_source=bundle,
        css_path=f"/assets/app-{hashlib.sha256(css).hexdigest()[:8]}.css",
        css_source=css,
    )


def script_json(data: Any) -> str:
    """JSON safe inside <script>: like the real page, <, > and & are \\u-escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def hydration(frontend: Frontend, anonymous_id: str, user: Json | None) -> list[Json]:
    """The `window.__sc_hydration` entries; `user` last (scrapers index it from the end)."""
    entries: list[Json] = [
        {"hydratable": "anonymousId", "data": anonymous_id},
        {"hydratable": "features", "data": {"features": FEATURES}},
        {"hydratable": "experiments", "data": {}},
        {"hydratable": "geoip", "data": {"country_code": "DE", "country_name": "Germany", "region": "BE",
                                         "city": "Berlin", "postal_code": "10115",
                                         "latitude": 52.5244, "longitude": 13.4105}},
        {"hydratable": "privacySettings", "data": {"allows_messages_from_unfollowed_users": False,
                                                   "analytics_opt_in": True, "communications_opt_in": True,
                                                   "targeted_advertising_opt_in": False, "legislation": []}},
        {"hydratable": "trackingBrowserTabId", "data": f"{stable_number('tab', anonymous_id) % 16**6:06x}"},
        {"hydratable": "apiClient", "data": {"id": frontend.client_id, "isExpiring": False}},
    ]
    if user is not None:
        entries.append({"hydratable": "user", "data": user})
    return entries


def anonymous_id_for(seed: object) -> str:
    number = stable_number("anonymous", seed)
    return "-".join(str((number >> shift) % 1_000_000) for shift in (0, 20, 40, 60))


def _head(title: str, extra: str, frontend: Frontend) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"theme-color\" content=\"#333\">\n"
        f"<title>{html.escape(title)}</title>\n"
        "<meta content=\"record, sounds, share, sound, audio, tracks, music, soundcloud\" name=\"keywords\">\n"
        "<meta name=\"referrer\" content=\"origin\">\n"
        "<meta name=\"viewport\" content=\"width=device-width,minimum-scale=1,maximum-scale=1,user-scalable=no\">\n"
        "<meta content=\"SoundCloud\" property=\"og:site_name\">\n"
        f"{extra}"
        f"<link rel=\"stylesheet\" href=\"{frontend.css_path}\">\n"
        "</head>\n"
    )


def _body_start() -> str:
    return (
        "<body class=\"sc-classic\">\n\n<div id=\"app\">\n"
        "<div role=\"banner\" class=\"header sc-selection-disabled show fixed g-dark g-z-index-header\">\n"
        "<div class=\"header__inner l-container l-fullwidth\"><div class=\"header__logo left\">"
        "<a href=\"/\" title=\"Home\" class=\"header__logoLink sc-border-box sc-ir\">SoundCloud</a></div></div>\n"
        "</div>\n<div id=\"header__loading\"></div>\n</div>\n"
        "<noscript class=\"errorPage__inner\">\n<div class=\"errorPage__inner\">\n"
        "<p class=\"errorTitle\">JavaScript is disabled</p>\n"
        "<p class=\"errorText sc-font-light\">You need to enable JavaScript to use SoundCloud</p>\n"
        "</div>\n</noscript>\n"
    )


def _scripts(frontend: Frontend, entries: list[Json]) -> str:
    return (
        f"<script>window.__sc_version=\"{frontend.app_version}\"</script>\n"
        f"<script>window.__sc_hydration = {script_json(entries)};</script>\n\n"
        f"<script crossorigin src=\"{frontend.bundle_path}\"></script>\n"
        "</body>\n</html>\n"
    )


def _duration_iso(milliseconds: int) -> str:
    seconds = int(milliseconds) // 1000
    return f"PT{seconds // 3600:02d}H{seconds // 60 % 60:02d}M{seconds % 60:02d}S"


def _seo_article(user: Json, tracks: list[Json], web_url: str) -> str:
    """The noscript SEO copy of the profile (MusicGroup article), as the real server sends."""
    name = html.escape(str(user["username"]))
    permalink = html.escape(str(user["permalink"]))
    city = f"<p>{html.escape(str(user['city']))}</p>\n" if user.get("city") else ""
    parts = [
        "<noscript><article itemscope itemtype=\"http://schema.org/MusicGroup\">\n  <header>\n",
        f"    <h1 itemprop=\"name\"><a itemprop=\"url\" href=\"/{permalink}\">{name}</a></h1>\n",
        f"<p>{name}</p>\n{city}",
        f"<meta itemprop=\"urlTemplate\" content=\"{html.escape(web_url)}/{permalink}\">\n  </header>\n",
        f"  <p itemprop=\"description\">{html.escape(str(user.get('description') or ''))}</p>\n",
        f"    <section>\n      <h2>{name}\u2019s tracks</h2>\n",
    ]
    for track in tracks:
        published = iso(track.get("created_at"))
        parts.append(
            "        <article class=\"audible\" itemscope itemtype=\"http://schema.org/MusicRecording\" itemprop=\"track\">\n"
            f"          <h2 itemprop=\"name\"><a itemprop=\"url\" href=\"/{permalink}/{html.escape(str(track['permalink']))}\">"
            f"{html.escape(str(track['title']))}</a>\nby <a href=\"/{permalink}\">{name}</a></h2>\n"
            f"published on <time pubdate>{published}</time>\n"
            f"          <meta itemprop=\"duration\" content=\"{_duration_iso(track.get('duration') or 0)}\" />\n"
            "        </article>\n"
        )
    parts.append(
        "    </section>\n  <footer>\n     <ul>\n"
        f"  <li><a href=\"/{permalink}/likes\">{name}'s likes</a></li>\n"
        f"  <li><a href=\"/{permalink}/sets\">{name}'s playlists</a></li>\n"
        f"  <li><a href=\"/{permalink}/tracks\">{name}'s tracks</a></li>\n"
        f"  <li><a rel=\"nofollow\" href=\"/{permalink}/comments\">{name}'s comments</a></li>\n"
        "</ul>\n  </footer>\n</article>\n</noscript>\n"
    )
    return "".join(parts)


def page_title(username: str, section: str) -> str:
    """Profile: the 2024+ title format. Sections: inferred (no capture of those pages)."""
    if section in SECTION_TITLES:
        return f"{SECTION_TITLES[section]} by {username} | Listen online for free on SoundCloud"
    return f"Stream {username} music | Listen to songs, albums, playlists for free on SoundCloud"


def profile_page(frontend: Frontend, user: Json, hydration_user: Json, section: str,
                 recent_tracks: list[Json], web_url: str) -> str:
    """The shell of /{permalink} and /{permalink}/{section}."""
    user_id = int(user["id"])
    name = html.escape(str(user["username"]))
    permalink = html.escape(str(user["permalink"]))
    extra = (
        f"<meta name=\"description\" content=\"Play {name} and discover followers on SoundCloud | "
        "Stream tracks, albums, playlists on desktop and mobile.\">"
        f"<meta property=\"twitter:app:url:googleplay\" content=\"soundcloud://users:{user_id}\">"
        f"<meta property=\"twitter:app:url:iphone\" content=\"soundcloud://users:{user_id}\">"
        f"<meta property=\"twitter:app:url:ipad\" content=\"soundcloud://users:{user_id}\">"
        f"<meta property=\"twitter:title\" content=\"{name}\">"
        f"<meta property=\"og:type\" content=\"music.musician\">"
        f"<meta property=\"og:url\" content=\"https://soundcloud.com/{permalink}\">"
        f"<meta property=\"og:title\" content=\"{name}\">"
        f"<meta property=\"al:ios:url\" content=\"soundcloud://users:{user_id}\">"
        f"<meta property=\"al:android:url\" content=\"soundcloud://users:{user_id}\">"
        f"<meta property=\"soundcloud:sound_count\" content=\"{int(user.get('track_count') or 0)}\">"
        f"<meta property=\"soundcloud:follower_count\" content=\"{int(user.get('followers_count') or 0)}\">\n"
        f"<link rel=\"canonical\" href=\"https://soundcloud.com/{permalink}\">"
        f"<link rel=\"alternate\" media=\"only screen and (max-width: 640px)\" href=\"https://m.soundcloud.com/{permalink}\">"
        f"<link rel=\"alternate\" href=\"android-app://com.soundcloud.android/soundcloud/users:{user_id}\">"
        f"<link rel=\"alternate\" href=\"ios-app://336353151/soundcloud/users:{user_id}\">\n"
    )
    entries = hydration(frontend, anonymous_id_for((user_id, section)), hydration_user)
    return (
        _head(page_title(str(user["username"]), section), extra, frontend)
        + _body_start()
        + _seo_article(user, recent_tracks, web_url)
        + _scripts(frontend, entries)
    )


def home_page(frontend: Frontend) -> str:
    return (_head("SoundCloud - Hear the world\u2019s sounds", "", frontend) + _body_start()
            + _scripts(frontend, hydration(frontend, anonymous_id_for("home"), None)))


def not_found_page(frontend: Frontend) -> str:
    """The 404 page: shell without a user; its text says the page was not found."""
    body = (
        "<div class=\"errorPage\"><div class=\"errorPage__inner\">"
        "<h1 class=\"errorTitle sc-type-h1\">We can\u2019t find that user.</h1>"
        "<p class=\"errorText\">Sorry! Something went wrong. Please check the URL and try again.</p>"
        "</div></div>\n"
    )
    return (_head("Something went wrong on SoundCloud", "", frontend) + _body_start() + body
            + _scripts(frontend, hydration(frontend, anonymous_id_for("404"), None)))
