"""hydration.py and client_id.py on every captured HTML page (both hydration formats)."""

from __future__ import annotations

import re

import pytest

from scmap.soundcloud.client_id import (
    bundle_script_urls,
    client_id_from_bundle,
    client_id_from_url,
)
from scmap.soundcloud.hydration import parse_hydration, parse_sc_version
from .captures import capture_params


def _canonical_permalink(html: str) -> str | None:
    match = re.search(r'<link rel="canonical" href="https://soundcloud.com/([^"/]+)"', html)
    return match.group(1) if match else None


@pytest.mark.parametrize("path", capture_params("*.html"))
def test_every_page_gives_its_version_and_the_user_its_head_names(path):
    html = path.read_text(encoding="utf-8")
    hydration = parse_hydration(html)
    # The version is the 10-digit build timestamp each page carries.
    assert hydration.sc_version == parse_sc_version(html)
    assert hydration.sc_version and len(hydration.sc_version) == 10
    if path.name.startswith("home-page"):
        assert hydration.user is None  # the home page has no profile user
        return
    user = hydration.user
    assert user is not None and user["kind"] == "user"
    assert isinstance(user["id"], int)
    # The same id is written into the page head as `soundcloud://users:{id}` (not in excerpts).
    head_ids = set(re.findall(r"soundcloud://users:(\d+)", html))
    if head_ids:
        assert str(user["id"]) in head_ids
    # The URN inside the object agrees with its id; the slug with the canonical link.
    assert user["urn"] == f"soundcloud:users:{user['id']}"
    canonical = _canonical_permalink(html)
    if path.name.startswith("profile-page") and canonical:
        assert user["permalink"] == canonical
    assert "followers_count" in user and isinstance(user["username"], str)


@pytest.mark.parametrize("path", capture_params("track-page-*.html"))
def test_track_pages_give_the_sound_and_its_uploader(path):
    hydration = parse_hydration(path.read_text(encoding="utf-8"))
    assert hydration.sound is not None and hydration.sound["kind"] == "track"
    assert hydration.sound["user_id"] == hydration.user["id"]


@pytest.mark.parametrize("path", capture_params("home-page-*.html"))
def test_client_id_from_hydration_api_client(path):
    html = path.read_text(encoding="utf-8")
    hydration = parse_hydration(html)
    assert hydration.client_id is not None and re.fullmatch(r"[A-Za-z0-9]{32}", hydration.client_id)
    assert hydration.entries["apiClient"]["id"] == hydration.client_id


@pytest.mark.parametrize("path", capture_params("*.html"))
def test_bundle_urls_are_app_bundles_last_first(path):
    html = path.read_text(encoding="utf-8")
    urls = bundle_script_urls(html)
    if "excerpt" in path.name:  # cut down to the two hydration scripts by its publisher
        assert urls == []
        return
    assert urls, "every full captured page loads app bundles"
    assert all("/assets/" in url and "locale" not in url and "cookielaw" not in url for url in urls)
    in_page_order = [url for url in re.findall(r'src="([^"]+)"', html) if url in urls]
    assert urls == list(reversed(in_page_order))


def test_client_id_patterns_and_what_they_refuse():
    client = "CkCiIyf14rHi27fhk7HxhPOzc85okfSJ"
    assert client_id_from_bundle(f'a={{client_id:"{client}",env:"production"}}') == client
    assert client_id_from_bundle(f',client_id : "{client}"') == client
    assert client_id_from_bundle(f'oauth_client_id:"{client}"') is None
    assert client_id_from_bundle('client_id:"tooShort"') is None
    assert client_id_from_url(f"https://x/tracks/1/comments?client_id={client}&offset=10") == client
    assert client_id_from_url("https://x/users/1/likes?offset=5&limit=24") is None


def test_malformed_hydration_is_absent_not_a_crash():
    broken = '<script>window.__sc_version="1700000000"</script><script>window.__sc_hydration = [{"hydratable":"user","data":{"id":1,'
    hydration = parse_hydration(broken)
    assert hydration.sc_version == "1700000000"
    assert hydration.user is None and hydration.client_id is None
    assert parse_hydration("").user is None
