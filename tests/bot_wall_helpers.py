"""Passing the sandbox's bot wall the ways a person does, for the tests.

`pass_wall_cookie` is what happens in the person's own browser (press "I am human"), and
`write_cookies_txt` what their cookies.txt export writes; `login_profile` drives the real
`scmap.browser.login` flow in a visible Chromium under Xvfb.
"""

from __future__ import annotations

import http.cookies
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator
import contextlib

PASS_PATH = "/__sandbox/bot-wall/pass"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # keep the 303 and its Set-Cookie
        return None


def pass_wall_cookie(web_url: str) -> str:
    """Press the challenge page's button over plain HTTP; the new `datadome` cookie value."""
    data = urllib.parse.urlencode({"return": "/"}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(web_url + PASS_PATH, data=data, method="POST"), timeout=10)
        raise AssertionError("the wall's pass did not redirect")
    except urllib.error.HTTPError as answer:
        assert answer.code == 303, answer.code
        jar = http.cookies.SimpleCookie(answer.headers["Set-Cookie"])
        return jar["datadome"].value


def write_cookies_txt(path: Path, web_url: str, cookies: dict[str, str]) -> Path:
    """A Netscape cookies.txt as browser extensions export it (one with #HttpOnly_)."""
    host = urllib.parse.urlsplit(web_url).hostname
    expires = int(time.time()) + 3600
    lines = ["# Netscape HTTP Cookie File", "# exported for a test", ""]
    for number, (name, value) in enumerate(cookies.items()):
        prefix = "#HttpOnly_" if number % 2 else ""
        lines.append(f"{prefix}{host}\tFALSE\t/\tFALSE\t{expires}\t{name}\t{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """A virtual X display (Xvfb) for a visible browser; DISPLAY is set while inside."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise RuntimeError("Xvfb is missing: tools/install_system_deps.sh installs it (apt xvfb)")
    process = subprocess.Popen([xvfb, "-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        number = process.stdout.readline().decode().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        previous = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = f":{number}"
        try:
            yield os.environ["DISPLAY"]
        finally:
            if previous is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = previous
    finally:
        process.terminate()
        process.wait(10)


async def press_i_am_human_and_accept(page) -> None:
    """What the person does in the login window of the sandbox."""
    await page.locator("#i-am-human").click(timeout=30_000)
    await page.locator("#onetrust-accept-btn-handler").click(timeout=30_000)


def _post_json(url: str, data: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def set_site_shape(web_url: str, *, drift: list[str] = (), bot_wall: bool = False, scope: str = "all") -> None:
    """Switch a running sandbox's drift and bot wall (one sandbox per test module)."""
    _post_json(web_url + "/__sandbox/drift", {"drift": list(drift)})
    _post_json(web_url + "/__sandbox/bot-wall", {"enabled": bot_wall, "scope": scope})
