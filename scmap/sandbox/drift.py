"""Site drift for the sandbox (`serve --drift NAME`, repeatable): the site keeps working for
its own JavaScript, but in a shape our parsers do not expect, as the real site changes
without notice. `python -m scmap.doctor` must name each one.

- `hydration-renamed`: `window.__sc_hydration` is `window.__sc_preloaded_state` in the pages
  and in the bundle that reads it.
- `list-route-moved`: every api-v2 call of the web client goes under `/api-v2/v3/...` (the
  bundle and the list pages' `next_href` say so); the old list routes answer 404.
- `field-dropped`: list items lose their `created_at`.
`POST /__sandbox/drift` with JSON `{"drift": [names]}` changes them while running.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Awaitable, Callable

from aiohttp import web

HYDRATION_RENAMED = "hydration-renamed"
LIST_ROUTE_MOVED = "list-route-moved"
FIELD_DROPPED = "field-dropped"
DRIFTS = (HYDRATION_RENAMED, LIST_ROUTE_MOVED, FIELD_DROPPED)
CONFIGURE_PATH = "/__sandbox/drift"

HYDRATION_NAME, RENAMED_HYDRATION = "__sc_hydration", "__sc_preloaded_state"
API_PREFIX = "/api-v2"
MOVED_PREFIX = "/api-v2/v3"
DROPPED_FIELD = "created_at"
# api-v2 list routes (relative to API_PREFIX), as ApiV2.routes() serves them.
LIST_ROUTE = re.compile(r"^/(?:users/[^/]+/(?:likes|track_likes|playlist_likes|comments|followings|followers)"
                        r"|stream/users/[^/]+/reposts)$")


def add_drift_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drift", action="append", default=[], choices=DRIFTS,
                        help="serve the site in a drifted shape (repeatable; for scmap.doctor)")


class Drift:
    def __init__(self, names: list[str] | tuple[str, ...]) -> None:
        self.names = frozenset(names)

    async def configure(self, request: web.Request) -> web.Response:
        """POST /__sandbox/drift {"drift": [names]}: the site's shape from now on."""
        names = (await request.json()).get("drift") or []
        unknown = sorted(set(names) - set(DRIFTS))
        if unknown:
            raise web.HTTPBadRequest(text=f"unknown drift {unknown}; choose among {DRIFTS}")
        self.names = frozenset(names)
        return web.json_response({"drift": sorted(self.names)})

    def routes(self, api_routes: list[web.RouteDef]) -> list[web.RouteDef]:
        """The moved copies of api-v2's routes (registered before the originals' catch-all;
        they answer 404 while the drift is off)."""
        moved = []
        for route in api_routes:
            if route.path.startswith(API_PREFIX + "/"):
                moved.append(web.route(route.method, MOVED_PREFIX + route.path[len(API_PREFIX):],
                                       route.handler))
        return moved

    @staticmethod
    def _list_path(path: str) -> bool:
        for prefix in (MOVED_PREFIX, API_PREFIX):
            if path.startswith(prefix + "/"):
                return bool(LIST_ROUTE.match(path[len(prefix):]))
        return False

    def _rewrite_text(self, request: web.Request, response: web.Response, text: str) -> str:
        if HYDRATION_RENAMED in self.names and response.content_type in ("text/html", "application/javascript"):
            text = text.replace(HYDRATION_NAME, RENAMED_HYDRATION)
        if LIST_ROUTE_MOVED in self.names:
            if response.content_type == "application/javascript":
                text = text.replace(f'api_path:"{API_PREFIX}"', f'api_path:"{MOVED_PREFIX}"')
            if request.path.startswith(MOVED_PREFIX + "/") and response.content_type == "application/json":
                text = re.sub(r"(/api-v2)/(users|stream)/", r"\1/v3/\2/", text)
        if FIELD_DROPPED in self.names and self._list_path(request.path) and response.status == 200:
            try:
                data = json.loads(text)
            except ValueError:
                return text  # a truncated body (fault): left as it is
            for item in data.get("collection") or []:
                if isinstance(item, dict):
                    item.pop(DROPPED_FIELD, None)
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return text

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if not self.names or request.path.startswith("/__sandbox/"):
            if request.path.startswith(MOVED_PREFIX + "/"):  # the moved routes exist only with the drift
                return web.json_response({"code": 404, "message": "", "status": "404 - Not Found",
                                          "errors": [{"error_message": "not_found"}], "error": None}, status=404)
            return await handler(request)
        moved = request.path.startswith(MOVED_PREFIX + "/")
        if LIST_ROUTE_MOVED in self.names:
            gone = not moved and request.path.startswith(API_PREFIX + "/") and LIST_ROUTE.match(request.path[len(API_PREFIX):])
        else:
            gone = moved
        if gone:
            return web.json_response({"code": 404, "message": "", "status": "404 - Not Found",
                                      "errors": [{"error_message": "not_found"}], "error": None}, status=404)
        response = await handler(request)
        if not isinstance(response, web.Response) or not response.body or request.path.startswith("/__sandbox/"):
            return response
        try:
            text = bytes(response.body).decode("utf-8")
        except UnicodeDecodeError:
            return response
        rewritten = self._rewrite_text(request, response, text)
        if rewritten != text:
            response.text = rewritten
        return response
