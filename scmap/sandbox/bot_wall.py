"""The sandbox's imitation of DataDome, the bot wall in front of soundcloud.com since 2026
(`serve --bot-wall`; docs/real-site.md, "The bot wall").

Without a valid `datadome` cookie (or its copy in the `x-datadome-clientid` header, which the
real DataDome tag adds to the site's own XHRs, `sessionByHeader`), or from a `HeadlessChrome`
user agent, a page or an api-v2 call is answered with DataDome's 403 shapes:
- documents: a small HTML page with the inline `var dd={...}` object and the
  `ct.captcha-delivery.com/c.js` script; here it also holds a form with an "I am human" button
  (the real page shows a captcha from geo.captcha-delivery.com instead);
- XHR (api-v2): JSON `{"url": "https://geo.captcha-delivery.com/captcha/?..."}` plus `X-DD-B`;
- both: `X-DataDome: protected`.
`--bot-wall-scope api` walls only the api-v2 calls (pages load): the list endpoints' case in 2026.
Pressing the button (POST /__sandbox/bot-wall/pass) sets the cookie and goes back to the page.
A cookie is valid when it is signed with this server's secret (`--bot-wall-secret`; random per
start unless given), like a real one it can be exported from the browser into cookies.txt.
Counts go to /__sandbox/stats (`bot_wall_*`). `POST /__sandbox/bot-wall` with JSON
`{"enabled": bool, "scope": "all"|"api"}` switches it while running (tests share one sandbox).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import hmac
import html
import json
import secrets
from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web

COOKIE_NAME = "datadome"
CLIENT_ID_HEADER = "x-datadome-clientid"
PASS_PATH = "/__sandbox/bot-wall/pass"
CONFIGURE_PATH = "/__sandbox/bot-wall"
SCOPES = ("all", "api")
API_PREFIX = "/api-v2/"
# Never walled: the sandbox's own endpoints, static assets (a CDN host on the real site), robots.txt.
OPEN_PREFIXES = ("/__sandbox/", "/assets/")
OPEN_PATHS = {"/robots.txt", "/favicon.ico"}
CAPTCHA_HOST = "geo.captcha-delivery.com"
HEADLESS_MARK = "HeadlessChrome"
COOKIE_MAX_AGE = 365 * 24 * 3600

# What the real page's DataDome tag does for XHRs to protected paths (sessionByHeader): the
# datadome cookie value travels in a header. Injected at the top of every walled HTML page.
TAG_SCRIPT = """<script>
  (function () {
    window.ddjskey = 'SANDBOX0000000000000000000000';
    var original = window.fetch;
    window.fetch = function (input, init) {
      var url = typeof input === 'string' ? input : (input && input.url) || '';
      var match = document.cookie.match(/(?:^|; )datadome=([^;]+)/);
      if (match && url.indexOf('/api-v2/') >= 0) {
        init = Object.assign({}, init || {});
        var headers = new Headers(init.headers || (typeof input === 'string' ? {} : input.headers));
        headers.set('x-datadome-clientid', decodeURIComponent(match[1]));
        init.headers = headers;
      }
      return original.call(this, input, init);
    };
  })();
</script>
"""


@dataclass(frozen=True)
class BotWallConfig:
    enabled: bool = False
    secret: str = ""
    scope: str = "all"  # "api": documents pass, only api-v2 calls are walled (the list endpoints' case)


def add_bot_wall_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("bot wall (DataDome imitation, off by default)")
    group.add_argument("--bot-wall", action="store_true",
                       help="403 challenge without a valid datadome cookie or from HeadlessChrome")
    group.add_argument("--bot-wall-secret", default=None,
                       help="signs the datadome cookies (default: random, so cookies die with the server)")
    group.add_argument("--bot-wall-scope", choices=SCOPES, default="all",
                       help="wall pages and api-v2 (all), or api-v2 calls only (api)")


def bot_wall_config_from_args(args: argparse.Namespace) -> BotWallConfig:
    return BotWallConfig(enabled=bool(args.bot_wall), secret=args.bot_wall_secret or secrets.token_hex(16),
                         scope=args.bot_wall_scope)


class BotWall:
    def __init__(self, config: BotWallConfig, stats: collections.Counter[str]) -> None:
        self.config = config
        self.stats = stats
        self.enabled = config.enabled
        self.scope = config.scope

    async def configure(self, request: web.Request) -> web.Response:
        """POST /__sandbox/bot-wall {"enabled": bool, "scope": "all"|"api"}: switch it live."""
        data = await request.json()
        scope = data.get("scope", self.scope)
        if scope not in SCOPES:
            raise web.HTTPBadRequest(text=f"scope must be one of {SCOPES}")
        self.enabled, self.scope = bool(data.get("enabled", self.enabled)), scope
        return web.json_response({"enabled": self.enabled, "scope": self.scope})

    # -- cookies -------------------------------------------------------------------------
    def _signature(self, nonce: str) -> str:
        return hmac.new(self.config.secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()[:40]

    def new_cookie_value(self) -> str:
        nonce = secrets.token_urlsafe(24).replace("-", "~")
        return f"{nonce}_{self._signature(nonce)}"

    def valid(self, value: str | None) -> bool:
        if not value or "_" not in value:
            return False
        nonce, _, signature = value.rpartition("_")
        return hmac.compare_digest(signature, self._signature(nonce))

    def trusted(self, request: web.Request) -> bool:
        if HEADLESS_MARK in request.headers.get("User-Agent", ""):
            return False
        return self.valid(request.cookies.get(COOKIE_NAME)) or self.valid(request.headers.get(CLIENT_ID_HEADER))

    # -- the 403 shapes ------------------------------------------------------------------
    def _dd_fields(self, request: web.Request) -> dict[str, str | int]:
        digest = hashlib.sha256(f"{self.config.secret}|{request.path_qs}".encode()).hexdigest()
        return {"rt": "c", "cid": "AHrlqAAAAAMA" + digest[:22].upper(), "hsh": digest[22:52].upper(),
                "t": "fe", "s": int(digest[52:58], 16), "e": digest[:64], "host": CAPTCHA_HOST}

    def challenge_json(self, request: web.Request) -> web.Response:
        dd = self._dd_fields(request)
        query = urlencode({"initialCid": dd["cid"], "hash": dd["hsh"], "cid": secrets.token_urlsafe(16),
                           "t": dd["t"], "referer": str(request.url), "s": dd["s"], "e": dd["e"]})
        body = json.dumps({"url": f"https://{CAPTCHA_HOST}/captcha/?{query}"})
        return web.Response(status=403, text=body, content_type="application/json", charset="utf-8",
                            headers={"X-DataDome": "protected", "X-DD-B": "1"})

    def challenge_html(self, request: web.Request) -> web.Response:
        dd = self._dd_fields(request)
        dd_js = "{" + ",".join(f"'{k}':{v if isinstance(v, int) else repr(v)}" for k, v in dd.items()) + "}"
        back = html.escape(request.path_qs, quote=True)
        page = (
            "<html lang=\"en\"><head><title>soundcloud.com</title>"
            "<style>#cmsg{animation: A 1.5s;}@keyframes A{0%{opacity:0;}99%{opacity:0;}100%{opacity:1;}}</style>"
            "</head><body style=\"margin:0\">"
            "<p id=\"cmsg\">Please enable JS and disable any ad blocker</p>"
            f"<script data-cfasync=\"false\">var dd={dd_js}</script>"
            "<script data-cfasync=\"false\" src=\"https://ct.captcha-delivery.com/c.js\"></script>"
            # The sandbox's stand-in for the captcha iframe.
            f"<form id=\"sandbox-captcha\" method=\"post\" action=\"{PASS_PATH}\">"
            f"<input type=\"hidden\" name=\"return\" value=\"{back}\">"
            "<button type=\"submit\" id=\"i-am-human\">I am human</button></form>"
            "</body></html>\n"
        )
        return web.Response(status=403, text=page, content_type="text/html", charset="utf-8",
                            headers={"X-DataDome": "protected"})

    # -- passing ---------------------------------------------------------------------------
    async def pass_challenge(self, request: web.Request) -> web.Response:
        form = await request.post()
        back = str(form.get("return") or "/")
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        response = web.HTTPSeeOther(back)
        # Not HttpOnly: the DataDome tag reads it to copy it into the XHR header.
        response.set_cookie(COOKIE_NAME, self.new_cookie_value(), max_age=COOKIE_MAX_AGE, path="/",
                            samesite="Lax")
        self.stats["bot_wall_passes"] += 1
        return response

    # -- middleware ----------------------------------------------------------------------
    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.path == PASS_PATH and request.method == "POST":
            return await self.pass_challenge(request)
        if not self.enabled or request.path.startswith(OPEN_PREFIXES) or request.path in OPEN_PATHS:
            return await handler(request)
        is_api = request.path.startswith(API_PREFIX)
        if (is_api or self.scope == "all") and not self.trusted(request):
            kind = "json" if is_api else "html"
            self.stats[f"bot_wall_challenges_{kind}"] += 1
            if HEADLESS_MARK in request.headers.get("User-Agent", ""):
                self.stats["bot_wall_headless_seen"] += 1
            return self.challenge_json(request) if is_api else self.challenge_html(request)
        self.stats["bot_wall_passed_requests"] += 1
        response = await handler(request)
        if (not is_api and isinstance(response, web.Response) and response.content_type == "text/html"
                and response.body):
            text = bytes(response.body).decode("utf-8")
            if "<head>" in text:
                response.text = text.replace("<head>", "<head>\n" + TAG_SCRIPT, 1)
        return response

