"""Session mode cuts every list page down in the page (scmap/transport/page.py FETCH_JS keeps
`meta["scmap_keep_keys"]` at every depth) before it crosses to Python: a real capture trimmed to
the keys the spider sends must give the same edges and the same objects as the whole page."""

from __future__ import annotations

from typing import Any

import pytest

from scmap.soundcloud.collections import parse_collection
from scmap.soundcloud.edges import Source, edges_from_items
from scmap.soundcloud.objects import objects_from_collection
from scmap.spiders.session_mode import EDGE_TRIM_KEYS, TRIM_KEYS
from tests.soundcloud.captures import capture_params

# Captured list pages and the interaction whose edges they give (None: objects only).
LISTS = {"api-v2-user-likes-*.json": "likes", "api-v2-stream-users-reposts-*.json": "reposts",
         "api-v2-user-tracks-*.json": None, "api-v2-user-followings-*.json": "follows"}
SOURCE = Source(id=1, permalink="someone")


def trim(value: Any, keys: list[str]) -> Any:
    """What FETCH_JS does to a JSON body: keep `keys` in every object, at every depth."""
    if isinstance(value, dict):
        return {key: trim(inner, keys) for key, inner in value.items() if key in keys}
    if isinstance(value, list):
        return [trim(inner, keys) for inner in value]
    return value


@pytest.mark.parametrize("path", [param for pattern in LISTS for param in capture_params(pattern)])
def test_a_page_trimmed_in_the_page_gives_the_same_edges_and_objects(path):
    interaction = next(kind for pattern, kind in LISTS.items() if path.match(pattern))
    whole = parse_collection(path.read_bytes()).collection
    trimmed = trim(whole, TRIM_KEYS)
    assert objects_from_collection(trimmed) == objects_from_collection(whole)
    if interaction is not None:
        assert edges_from_items(interaction, trimmed, SOURCE) == edges_from_items(interaction, whole, SOURCE)
    if whole and interaction != "follows":  # the edges' keys alone lose the objects' genre, tags...
        assert objects_from_collection(whole)
        assert objects_from_collection(trim(whole, EDGE_TRIM_KEYS)) != objects_from_collection(whole)
