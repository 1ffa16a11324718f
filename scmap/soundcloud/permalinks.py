"""Seed text -> profile permalinks (`zoe-beats`, `https://soundcloud.com/zoe-beats/likes`...)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# Slugs: letters, digits, `-` and `_` (old accounts), 1..100 chars; generated ones look like
# `user-21172505`. Stricter rules (sclib's 3-25 chars) reject real old accounts, so we don't.
_PERMALINK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# A seed given without a host: `slug`, `/slug`, `slug/likes`.
_BARE_SEED = re.compile(r"^/?[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*/?$")
# First path segments that are site sections, never profiles.
RESERVED = frozenset({
    "discover", "stream", "search", "you", "upload", "settings", "messages", "notifications",
    "charts", "pages", "terms-of-use", "mobile", "tags", "popular", "people", "signin", "logout",
})


class BadSeed(ValueError):
    """The seed text names no profile."""


def permalink_from_seed(text: str) -> str:
    """`zoe-beats`, `/zoe-beats`, `soundcloud.com/zoe-beats/likes`, `https://m.soundcloud.com/zoe-beats`."""
    seed = text.strip()
    if not seed:
        raise BadSeed("empty seed")
    if "://" in seed or seed.lower().startswith(("soundcloud.com", "www.soundcloud.com", "m.soundcloud.com")):
        parts = urlsplit(seed if "://" in seed else "https://" + seed)
        host = (parts.hostname or "").lower()
        if not (host == "soundcloud.com" or host.endswith(".soundcloud.com")):
            raise BadSeed(f"not a soundcloud.com URL: {text!r}")
        path = parts.path
    else:
        if not _BARE_SEED.match(seed):
            raise BadSeed(f"not a profile permalink: {text!r}")
        path = seed
    segments = [segment for segment in unquote(path).split("/") if segment]
    if not segments:
        raise BadSeed(f"no profile in {text!r}")
    permalink = segments[0]
    if not _PERMALINK.match(permalink) or permalink.lower() in RESERVED:
        raise BadSeed(f"not a profile permalink: {text!r}")
    return permalink


def split_seeds(text: str | None) -> list[str]:
    """The comma-separated seed argument, split (empty pieces dropped)."""
    return [piece.strip() for piece in (text or "").split(",") if piece.strip()]
