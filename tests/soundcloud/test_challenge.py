"""DataDome challenge recognition (scmap.soundcloud.challenge) on the real captures (none is a
challenge; every real page loads DataDome's tag, which must not count) and on the documented
block shapes (docs/real-site.md, "The bot wall"); the sandbox's own shapes are checked over
HTTP in tests/sandbox/test_bot_wall.py."""

from __future__ import annotations

import pytest

from scmap.soundcloud.challenge import is_challenge, recognise_challenge

from .captures import capture_params

CAPTCHA_PAGE = ("<html><head><title>soundcloud.com</title></head><body style=\"margin:0\">"
                "<p id=\"cmsg\">Please enable JS and disable any ad blocker</p>"
                "<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMAxyz','hsh':'ABC',"
                "'t':'fe','s':17434,'e':'deadbeef','host':'geo.captcha-delivery.com'}</script>"
                "<script data-cfasync=\"false\" src=\"https://ct.captcha-delivery.com/c.js\"></script>"
                "</body></html>")
INTERSTITIAL_PAGE = CAPTCHA_PAGE.replace("'rt':'c'", "'rt':'i'").replace("/c.js", "/i.js")
CAPTCHA_JSON = '{"url":"https://geo.captcha-delivery.com/captcha/?initialCid=AHrl&hash=AB&cid=x&t=fe&referer=https%3A%2F%2Fapi-v2.soundcloud.com%2Fusers%2F1%2Flikes&s=1&e=ff"}'
INTERSTITIAL_JSON = CAPTCHA_JSON.replace("/captcha/", "/interstitial/")
CLOUDFRONT_BLOCK = ("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"><HTML><HEAD>"
                    "<TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>"
                    "<H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>Request blocked."
                    "</BODY></HTML>")
STALE_CLIENT_ID = '{"code":403,"message":"","status":"403 - Forbidden","errors":[],"error":null}'


@pytest.mark.parametrize("path", capture_params("*.html"))
def test_real_pages_are_not_challenges_even_with_the_datadome_tag(path):
    html = path.read_text(encoding="utf-8")
    assert recognise_challenge(200, {"x-datadome": "protected"}, html) is None
    # Even a refused status: the tag (`cookieName: 'datadome'`, ddjskey) is not a block page.
    assert recognise_challenge(403, {}, html) is None


@pytest.mark.parametrize("path", capture_params("*.json"))
def test_real_api_bodies_are_not_challenges(path):
    body = path.read_bytes()
    assert not is_challenge(200, {}, body)
    assert not is_challenge(403, {}, body)


@pytest.mark.parametrize("status, headers, body, kind, shape", [
    (403, {"X-DataDome": "protected"}, CAPTCHA_PAGE, "captcha", "html"),
    (403, {}, CAPTCHA_PAGE.encode(), "captcha", "html"),
    (403, {"x-datadome": "protected"}, INTERSTITIAL_PAGE, "interstitial", "html"),
    (403, {"X-DataDome": "protected", "X-DD-B": "1"}, CAPTCHA_JSON, "captcha", "json"),
    (401, {}, INTERSTITIAL_JSON, "interstitial", "json"),
    (403, {"X-DATADOME": "protected"}, "", "unknown", "html"),  # header alone: body unread
])
def test_datadome_blocks_are_recognised(status, headers, body, kind, shape):
    challenge = recognise_challenge(status, headers, body)
    assert challenge is not None
    assert (challenge.kind, challenge.shape) == (kind, shape)
    if shape == "json":
        assert challenge.url.startswith("https://geo.captcha-delivery.com/")


@pytest.mark.parametrize("status, headers, body", [
    (200, {"X-DataDome": "protected"}, CAPTCHA_JSON),  # only refusals are challenges
    (403, {}, CLOUDFRONT_BLOCK),  # datacenter block: another 403
    (403, {}, STALE_CLIENT_ID),  # yt-dlp's stale client_id case
    (429, {}, "Please slow down."),
    (403, {}, '{"url": "https://example.com/somewhere"}'),
    (403, {}, b"\xff\xfe not text"),
    (403, None, None),
])
def test_other_refusals_are_not_challenges(status, headers, body):
    assert recognise_challenge(status, headers, body) is None
