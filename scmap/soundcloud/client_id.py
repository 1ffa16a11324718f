"""Finding the api-v2 `client_id` the web client uses (docs/soundcloud-web.md section 3).

Order of preference: the page's hydration `apiClient` (see hydration.py), then the JS bundles,
scanned from the last one to the first (where the id usually sits), then any `client_id=`
already present in a captured api-v2 URL.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

CLIENT_ID_LENGTH = 32
# `client_id:"..."` in the bundle (yt-dlp allows spaces around the colon; NewPipe requires a
# `,` or `{` before the key so that e.g. `oauth_client_id` does not match).
_BUNDLE_CLIENT_ID = re.compile(r'[{,\s]client_id\s*:\s*"([A-Za-z0-9]{32})"')
_QUERY_CLIENT_ID = re.compile(r"[?&]client_id=([A-Za-z0-9]{32})(?![A-Za-z0-9])")
_SCRIPT_SRC = re.compile(r'<script[^>]+src="([^"]+\.js)"', re.IGNORECASE)
_BUNDLE_PATH = re.compile(r"/assets/(?!locales/)[^/]+\.js$")


def bundle_script_urls(html: str) -> list[str]:
    """The page's app bundle URLs, last first (locale bundles and third-party scripts left out)."""
    urls = [url for url in _SCRIPT_SRC.findall(html) if _BUNDLE_PATH.search(urlsplit(url).path)]
    return list(reversed(urls))


def client_id_from_bundle(javascript: str) -> str | None:
    """The client id written into a web bundle, or None."""
    match = _BUNDLE_CLIENT_ID.search(javascript)
    return match.group(1) if match else None


def client_id_from_url(url: str) -> str | None:
    """The `client_id` query parameter of an api-v2 URL when it is a well-formed one."""
    values = parse_qs(urlsplit(url).query).get("client_id") or []
    for value in values:
        if len(value) == CLIENT_ID_LENGTH and value.isalnum() and value.isascii():
            return value
    match = _QUERY_CLIENT_ID.search(url)
    return match.group(1) if match else None
