"""Find and decode one JSON value embedded in a larger text (HTML, JavaScript)."""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()


def decode_at(text: str, start: int) -> Any:
    """The JSON value that starts at `text[start]`; raises ValueError when it is not valid JSON."""
    value, _end = _DECODER.raw_decode(text, start)
    return value
