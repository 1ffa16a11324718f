"""The data a SoundCloud page embeds for its JavaScript: version, profile user, client id.

Two formats exist (docs/soundcloud-web.md 4.2):
- since ~2022: `window.__sc_hydration = [{"hydratable": name, "data": value}, ...];`
- before: a webpack "rehydration module" call whose last argument is
  `[{"id": 1963, "chunks": [0], "data": [value, ...]}, ...]` with numeric ids instead of names.
The profile user is recognised by shape (`kind == "user"`) in the old format, since its module
id is a build detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scmap.soundcloud._json import decode_at

_VERSION = re.compile(r'__sc_version\s*=\s*"(\d+)"')
_NEW_FORMAT = re.compile(r"window\.__sc_hydration\s*=\s*(?=\[)")
_OLD_FORMAT = re.compile(r'\[\{"id":\d+,"chunks":\[')
_OLD_MARKER = "__sc_data_rehydration_module__"


@dataclass
class Hydration:
    """What a page's hydration holds that a crawler needs."""

    sc_version: str | None = None
    user: dict[str, Any] | None = None  # the profile's (or a track page's uploader's) user
    sound: dict[str, Any] | None = None  # the track of a track page
    client_id: str | None = None  # `apiClient` (pages since ~2025 only)
    entries: dict[str, Any] = field(default_factory=dict)  # every named entry (new format)


def parse_sc_version(html: str) -> str | None:
    """The web build id (`window.__sc_version`), sent by the browser as `app_version`."""
    match = _VERSION.search(html)
    return match.group(1) if match else None


def parse_hydration(html: str) -> Hydration:
    """Everything recognisable in the page's hydration; empty fields when the page has none.

    Never raises on a malformed page: a hydration that is not valid JSON counts as absent.
    """
    result = Hydration(sc_version=parse_sc_version(html))
    entries = _new_format_entries(html)
    if entries is not None:
        result.entries = entries
        result.user = _as_dict(entries.get("user"))
        result.sound = _as_dict(entries.get("sound"))
        api_client = _as_dict(entries.get("apiClient"))
        if api_client and isinstance(api_client.get("id"), str):
            result.client_id = api_client["id"]
        return result
    for value in _old_format_values(html):
        kind = value.get("kind")
        if kind == "user" and result.user is None:
            result.user = value
        elif kind == "track" and result.sound is None:
            result.sound = value
    return result


def _new_format_entries(html: str) -> dict[str, Any] | None:
    match = _NEW_FORMAT.search(html)
    if not match:
        return None
    try:
        array = decode_at(html, match.end())
    except ValueError:
        return None
    entries: dict[str, Any] = {}
    for entry in array if isinstance(array, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("hydratable"), str):
            entries.setdefault(entry["hydratable"], entry.get("data"))
    return entries


def _old_format_values(html: str) -> list[dict[str, Any]]:
    marker = html.find(_OLD_MARKER)
    if marker < 0:
        return []
    match = _OLD_FORMAT.search(html, marker)
    if not match:
        return []
    try:
        modules = decode_at(html, match.start())
    except ValueError:
        return []
    values: list[dict[str, Any]] = []
    for module in modules if isinstance(modules, list) else []:
        data = module.get("data") if isinstance(module, dict) else None
        values.extend(value for value in data or [] if isinstance(value, dict))
    return values


def _as_dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
