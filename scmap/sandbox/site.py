"""The sandbox web server: soundcloud.com-like HTML pages + api-v2 under /api-v2, from a World.

`python -m scmap.sandbox serve --world DIR --port P` (the CLI in __main__.py calls
add_serve_arguments / run_serve). When ready it prints ONE JSON line on stdout:
`{"web_url": ..., "api_url": ..., "world": DIR or null}`; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from scmap.sandbox.api_v2 import ApiV2
from scmap.sandbox.bot_wall import CONFIGURE_PATH as BOT_WALL_CONFIGURE_PATH
from scmap.sandbox.bot_wall import BotWall, add_bot_wall_arguments, bot_wall_config_from_args
from scmap.sandbox.drift import CONFIGURE_PATH as DRIFT_CONFIGURE_PATH
from scmap.sandbox.drift import Drift, add_drift_arguments
from scmap.sandbox.faults import FaultInjector, add_fault_arguments, fault_config_from_args
from scmap.sandbox.pages import Frontend, build_frontend, home_page, not_found_page, profile_page
from scmap.sandbox.representations import Representer, SiteUrls
from scmap.sandbox.world_index import WorldIndex

log = logging.getLogger("scmap.sandbox.site")

PROFILE_SECTIONS = {
    "", "likes", "comments", "reposts", "following", "followers",
    "tracks", "sets", "albums", "popular-tracks",
}
SEO_TRACKS = 10


class WebPages:
    """Handlers of the HTML side and the static assets."""

    def __init__(self, index: WorldIndex, representer: Representer, urls: SiteUrls,
                 frontend: Frontend, faults: FaultInjector) -> None:
        self.index = index
        self.represent = representer
        self.urls = urls
        self.frontend = frontend
        self.faults = faults

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/__sandbox/stats", self.stats),
            web.get("/assets/{name}", self.asset),
            web.get("/", self.home),
            web.get("/{permalink}", self.profile),
            web.get("/{permalink}/", self.without_trailing_slash),
            web.get("/{permalink}/{section}", self.profile),
            web.get("/{tail:.*}", self.not_found),
        ]

    def _html(self, text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.snapshot())

    async def asset(self, request: web.Request) -> web.Response:
        path = request.path
        headers = {"Cache-Control": "max-age=31536000, public", "Access-Control-Allow-Origin": "*"}
        if path == self.frontend.bundle_path:
            return web.Response(body=self.frontend.bundle_source, content_type="application/javascript",
                                charset="utf-8", headers=headers)
        if path == self.frontend.css_path:
            return web.Response(body=self.frontend.css_source, content_type="text/css", headers=headers)
        raise web.HTTPNotFound()

    async def home(self, request: web.Request) -> web.Response:
        return self._html(home_page(self.frontend))

    async def profile(self, request: web.Request) -> web.Response:
        section = request.match_info.get("section", "")
        user = self.index.user_by_permalink(request.match_info["permalink"])
        if user is None or section not in PROFILE_SECTIONS:
            return await self.not_found(request)
        tracks = self.index.recent_public_tracks(int(user["id"]), SEO_TRACKS)
        page = profile_page(self.frontend, user, self.represent.hydration_user(user), section,
                            tracks, self.urls.web_url)
        return self._html(page)

    async def without_trailing_slash(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(request.path.rstrip("/") or "/")

    async def not_found(self, request: web.Request) -> web.Response:
        return self._html(not_found_page(self.frontend), status=404)


def create_app(index: WorldIndex, urls: SiteUrls, frontend: Frontend, faults: FaultInjector,
               bot_wall: BotWall | None = None, drift: Drift | None = None) -> web.Application:
    """The whole site as one aiohttp application (api-v2 routes first: they own /api-v2/...).
    The bot wall, when on, stands in front of everything (as DataDome does at the edge); drift
    (scmap.sandbox.drift) reshapes what the site answers. Both can be switched while running."""
    representer = Representer(index, urls)
    middlewares = [m.middleware for m in (bot_wall, drift) if m is not None] + [faults.middleware]
    app = web.Application(middlewares=middlewares)
    api_routes = ApiV2(index, representer, urls, frontend.client_id, faults).routes()
    if bot_wall is not None:
        app.add_routes([web.post(BOT_WALL_CONFIGURE_PATH, bot_wall.configure)])
    if drift is not None:
        app.add_routes([web.post(DRIFT_CONFIGURE_PATH, drift.configure), *drift.routes(api_routes)])
    app.add_routes(api_routes)
    app.add_routes(WebPages(index, representer, urls, frontend, faults).routes())
    return app


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--world", type=Path, default=None, help="world directory (python -m scmap.sandbox world)")
    parser.add_argument("--seed", type=int, default=7, help="world seed when generating on the fly")
    parser.add_argument("--accounts", type=int, default=3000, help="accounts when generating on the fly")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-seed", type=int, default=0, help="seed of the client_id the bundle serves")
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    add_fault_arguments(parser)
    add_bot_wall_arguments(parser)
    add_drift_arguments(parser)


def _load_world(args: argparse.Namespace) -> Any:
    from scmap.sandbox import world as world_module  # the world helper's module

    if args.world is not None:
        return world_module.load_world(args.world)
    return world_module.generate_world(args.seed, args.accounts)


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


async def _serve(app: web.Application, sock: socket.socket, ready_line: str, access_log: bool) -> None:
    runner = web.AppRunner(app, access_log=log if access_log else None, handle_signals=False)
    await runner.setup()
    # Short shutdown: stalled requests (fault) must not hold the process for minutes.
    await web.SockSite(runner, sock, shutdown_timeout=0.5).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sys.stdout.write(ready_line + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    started = time.monotonic()
    world = _load_world(args)
    index = WorldIndex(world)
    log.info("world ready: %d users, %d interactions in %.1fs", len(index.users),
             len(world.interactions), time.monotonic() - started)
    try:
        sock = _bind(args.port)
    except OSError as error:
        log.error("cannot bind 127.0.0.1:%s: %s", args.port, error)
        return 2
    port = sock.getsockname()[1]
    urls = SiteUrls(web_url=f"http://127.0.0.1:{port}", api_url=f"http://127.0.0.1:{port}/api-v2")
    frontend = build_frontend(args.client_seed)
    faults = FaultInjector(fault_config_from_args(args))
    bot_wall = BotWall(bot_wall_config_from_args(args), faults.stats)  # off unless --bot-wall (or POSTed)
    app = create_app(index, urls, frontend, faults, bot_wall, Drift(args.drift))
    ready = json.dumps({"web_url": urls.web_url, "api_url": urls.api_url,
                        "world": str(args.world) if args.world is not None else None})
    asyncio.run(_serve(app, sock, ready, args.access_log))
    return 0
