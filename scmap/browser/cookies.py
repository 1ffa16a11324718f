"""Cookies from the person's own browser: `SCMAP_COOKIES=cookies.txt` (Netscape format, what
"cookies.txt" browser extensions and `yt-dlp --cookies` use), loaded into every browser context.

Read with the standard library's MozillaCookieJar (`#HttpOnly_` lines included); turned into
Playwright cookie dicts for a context's `storage_state`.
"""

from __future__ import annotations

import http.cookiejar
import time
from pathlib import Path
from typing import Any

COOKIES_ENV = "SCMAP_COOKIES"
SESSION_EXPIRES = -1  # Playwright: a session cookie


class CookieFileError(ValueError):
    """The cookies file cannot be used (message: one line, says which file and why)."""


def _playwright_cookie(cookie: http.cookiejar.Cookie) -> dict[str, Any]:
    http_only = cookie.has_nonstandard_attr(http.cookiejar.HTTPONLY_ATTR)  # from a #HttpOnly_ line
    return {
        "name": cookie.name,
        "value": cookie.value or "",
        "domain": cookie.domain,
        "path": cookie.path or "/",
        "expires": float(cookie.expires) if cookie.expires else SESSION_EXPIRES,
        "httpOnly": bool(http_only),
        "secure": bool(cookie.secure),
        "sameSite": "Lax",
    }


def load_cookies(path: str | Path, now: float | None = None) -> list[dict[str, Any]]:
    """The unexpired cookies of a Netscape cookies.txt, as Playwright cookie dicts.

    Raises CookieFileError when the file is missing, malformed or holds no usable cookie."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CookieFileError(f"{COOKIES_ENV}: no such file: {path}")
    jar = http.cookiejar.MozillaCookieJar(str(path))
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (http.cookiejar.LoadError, OSError, UnicodeDecodeError) as error:
        raise CookieFileError(f"{COOKIES_ENV}: {path} is not a Netscape cookies.txt file ({error})") from None
    now = time.time() if now is None else now
    cookies = [c for c in jar if not (c.expires and c.expires < now)]
    if not cookies:
        state = "only expired cookies" if len(jar) else "no cookies"
        raise CookieFileError(f"{COOKIES_ENV}: {path} holds {state}; export them again from your browser")
    return [_playwright_cookie(cookie) for cookie in cookies]


def storage_state(cookies: list[dict[str, Any]]) -> dict[str, Any]:
    """A Playwright `storage_state` (new_context kwarg) holding these cookies."""
    return {"cookies": cookies, "origins": []}
