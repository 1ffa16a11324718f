"""cookies.txt (Netscape format) -> Playwright cookies; bad files are one-line user errors."""

from __future__ import annotations

import time

import pytest

from scmap.browser.cookies import CookieFileError, load_cookies, storage_state

NOW = 1_800_000_000


def write(tmp_path, lines: list[str], header: bool = True):
    path = tmp_path / "cookies.txt"
    path.write_text(("# Netscape HTTP Cookie File\n" if header else "") + "\n".join(lines) + "\n")
    return path


def test_a_browser_export_becomes_playwright_cookies(tmp_path):
    path = write(tmp_path, [
        f".soundcloud.com\tTRUE\t/\tTRUE\t{NOW + 3600}\tdatadome\tabc~def_123",
        f"#HttpOnly_.soundcloud.com\tTRUE\t/\tTRUE\t{NOW + 3600}\tsc_anonymous_id\t12-34",
        "soundcloud.com\tFALSE\t/you\tFALSE\t0\tsession_only\tx",
        f".soundcloud.com\tTRUE\t/\tTRUE\t{NOW - 10}\texpired\tgone",
    ])
    cookies = {cookie["name"]: cookie for cookie in load_cookies(path, now=NOW)}
    assert set(cookies) == {"datadome", "sc_anonymous_id", "session_only"}
    assert cookies["datadome"] == {"name": "datadome", "value": "abc~def_123", "domain": ".soundcloud.com",
                                   "path": "/", "expires": float(NOW + 3600), "httpOnly": False,
                                   "secure": True, "sameSite": "Lax"}
    assert cookies["sc_anonymous_id"]["httpOnly"] is True
    assert cookies["session_only"]["expires"] == -1 and cookies["session_only"]["path"] == "/you"
    assert storage_state(list(cookies.values()))["cookies"][0]["name"] == "datadome"


@pytest.mark.parametrize("lines, header, message", [
    ([f".soundcloud.com\tTRUE\t/\tTRUE\t{NOW - 1}\tdatadome\tx"], True, "only expired cookies"),
    ([], True, "no cookies"),
    (["datadome=abc; Path=/"], False, "not a Netscape cookies.txt"),
])
def test_unusable_files_say_why(tmp_path, lines, header, message):
    with pytest.raises(CookieFileError, match=message):
        load_cookies(write(tmp_path, lines, header), now=NOW)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CookieFileError, match="no such file"):
        load_cookies(tmp_path / "nope.txt", now=time.time())
