"""Is a response a DataDome challenge? (docs/real-site.md, "The bot wall")

DataDome answers 403 (sometimes 401) with its marks: the `X-DataDome` response header, and a
body that is either a small HTML page holding `var dd={...}` and `captcha-delivery.com` scripts
(documents) or JSON `{"url": "https://geo.captcha-delivery.com/captcha/..."}` (XHR). A 403
without them is something else (CloudFront "Request blocked", a stale client_id) and a normal
200 page that merely loads DataDome's tag (`cookieName: 'datadome'`, every real page has it)
is not a challenge either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

CHALLENGE_STATUSES = frozenset({401, 403})
CAPTCHA_HOST_MARK = "captcha-delivery.com"
DATADOME_HEADER = "x-datadome"
# The inline object of DataDome's block page: var dd={'rt':'c','cid':...}
DD_OBJECT = re.compile(r"""\bvar\s+dd\s*=\s*\{[^}]*['"]rt['"]\s*:""")
BODY_SNIFF_CHARS = 20_000  # a block page is ~1-2 KB; a real page is never read whole


@dataclass(frozen=True)
class Challenge:
    """What kind of challenge: `captcha` ('rt':'c' / /captcha/), `interstitial` (device check),
    or `unknown`; `shape` is `html` or `json`; `url` the captcha URL when the body gives one."""

    kind: str
    shape: str
    url: str | None = None


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key.lower() == name:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def _kind_from_url(url: str) -> str:
    if "/interstitial/" in url:
        return "interstitial"
    if "/captcha/" in url:
        return "captcha"
    return "unknown"


def _json_challenge(text: str) -> Challenge | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    url = data.get("url") if isinstance(data, dict) else None
    if isinstance(url, str) and CAPTCHA_HOST_MARK in url:
        return Challenge(kind=_kind_from_url(url), shape="json", url=url)
    return None


def _html_challenge(text: str) -> Challenge | None:
    match = DD_OBJECT.search(text)
    if match is None and CAPTCHA_HOST_MARK not in text:
        return None
    rt = re.search(r"""['"]rt['"]\s*:\s*['"](\w)['"]""", text)
    kind = {"c": "captcha", "i": "interstitial"}.get(rt.group(1) if rt else "", "unknown")
    if kind == "unknown" and "/i.js" in text:
        kind = "interstitial"
    return Challenge(kind=kind, shape="html")


def recognise_challenge(status: int, headers: Mapping[str, Any] | None,
                        body: str | bytes | None) -> Challenge | None:
    """The challenge a response is, or None. Needs a 401/403 plus at least one DataDome mark;
    the header alone is enough (the body may not have been read)."""
    if status not in CHALLENGE_STATUSES:
        return None
    if isinstance(body, bytes):
        body = body[:BODY_SNIFF_CHARS].decode("utf-8", errors="replace")
    text = (body or "")[:BODY_SNIFF_CHARS]
    stripped = text.lstrip()
    found = _json_challenge(stripped) if stripped.startswith("{") else _html_challenge(text)
    if found is not None:
        return found
    if _header(headers, DATADOME_HEADER) is not None:
        return Challenge(kind="unknown", shape="json" if stripped.startswith("{") else "html")
    return None


def is_challenge(status: int, headers: Mapping[str, Any] | None, body: str | bytes | None) -> bool:
    return recognise_challenge(status, headers, body) is not None
