"""The api-v2 JSON endpoints under /api-v2 (docs/soundcloud-web.md section 1).

Lists are walked over ALL of an owner's interactions, unlisted ones included; the unlisted are
dropped from the page afterwards. So a page can be short or empty and still carry next_href,
exactly like the real site. `next_href` holds only path + offset + limit (no client_id).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, unquote, urlsplit

from aiohttp import web

from scmap.sandbox import cursors
from scmap.sandbox.faults import FaultInjector
from scmap.sandbox.representations import Json, Representer, SiteUrls
from scmap.sandbox.serialised import SerialisedObjects, envelope_text
from scmap.sandbox.world_index import KIND_NAMES, SortedList, WorldIndex

MAX_LIMIT = 200
# Page sizes the web client asks for (captured URLs); followings/followers are inferred.
DEFAULT_LIMITS = {
    "likes": 24, "track_likes": 24, "playlist_likes": 24,
    "reposts": 10, "comments": 20, "followings": 24, "followers": 24,
}
SOUNDCLOUD_HOSTS = {"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"}
# `/{permalink}/<section>` resolves to the user, as on the real site; any other second segment
# is a track slug.
PROFILE_SECTIONS = {"likes", "comments", "reposts", "following", "followers", "tracks", "sets",
                    "albums", "popular-tracks"}
USER_REF = re.compile(r"(?:soundcloud:users:)?(\d{1,19})")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


def json_text_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="application/json")


def error_response(status: int, reason: str) -> web.Response:
    """An api-v2 style error body."""
    return json_response({
        "code": status, "message": "", "link": "https://developers.soundcloud.com/docs/api/explorer/open-api",
        "status": f"{status} - {reason}", "errors": [{"error_message": reason.lower().replace(' ', '_')}],
        "error": None,
    }, status=status)


def parse_limit(raw: str | None, default: int) -> int:
    """Clamp silently to 1..200 like the real server; garbage means the default."""
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    if value < 1:
        return default
    return min(value, MAX_LIMIT)


@dataclass(frozen=True)
class Page:
    items: list[Json]
    next_cursor: str | None
    page_number: int  # 0-based, assuming the same limit for every page of the walk


class ApiV2:
    """Request handlers; `routes()` mounts them under /api-v2."""

    def __init__(self, index: WorldIndex, representer: Representer, urls: SiteUrls,
                 client_id: str, faults: FaultInjector) -> None:
        self.index = index
        self.represent = representer
        self.serialised = SerialisedObjects(representer)
        self.urls = urls
        self.client_id = client_id
        self.faults = faults

    def routes(self) -> list[web.RouteDef]:
        lists = "likes|track_likes|playlist_likes|comments|followings|followers"
        return [
            web.get("/api-v2/resolve", self.resolve),
            web.get("/api-v2/users/{user_ref}", self.user),
            web.get("/api-v2/users/{user_ref}/{list_name:" + lists + "}", self.user_list),
            web.get("/api-v2/stream/users/{user_ref}/reposts", self.reposts),
            web.get("/api-v2/{tail:.*}", self.not_found),
        ]

    # -- helpers -------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        return request.query.get("client_id") == self.client_id

    def _user_from_ref(self, ref: str) -> Json | None:
        match = USER_REF.fullmatch(ref)
        return None if match is None else self.index.users.get(int(match.group(1)))

    # -- endpoints -----------------------------------------------------------------------
    async def not_found(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error_response(401, "Unauthorized")
        return error_response(404, "Not Found")

    async def resolve(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error_response(401, "Unauthorized")
        resolved = self._resolve(request.query.get("url", ""))
        if resolved is None:
            return error_response(404, "Not Found")
        return json_response(resolved)

    def _resolve(self, url: str) -> Json | None:
        """Profile URLs (also `/{permalink}/likes` etc., which resolve to the user as on the real
        site), track URLs `/{owner}/{track}` and playlist URLs `/{owner}/sets/{playlist}`."""
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return None
        own_host = urlsplit(self.urls.web_url).netloc
        if parts.netloc.lower() not in SOUNDCLOUD_HOSTS | {own_host}:
            return None
        segments = [unquote(segment) for segment in parts.path.split("/") if segment]
        if len(segments) == 1 or (len(segments) == 2 and segments[1] in PROFILE_SECTIONS):
            user = self.index.user_by_permalink(segments[0])
            return None if user is None else self.represent.full_user(user)
        if len(segments) == 2:
            track = self.index.object_by_url_path(segments[0], segments[1], "track")
            return None if track is None else self.represent.track(track)
        if len(segments) == 3 and segments[1] == "sets":
            playlist = self.index.object_by_url_path(segments[0], segments[2], "playlist")
            return None if playlist is None else self.represent.playlist_without_tracks(playlist)
        return None

    async def user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error_response(401, "Unauthorized")
        user = self._user_from_ref(request.match_info["user_ref"])
        if user is None:
            return error_response(404, "Not Found")
        return json_response(self.represent.full_user(user))

    async def user_list(self, request: web.Request) -> web.StreamResponse:
        return await self._list(request, request.match_info["list_name"], request.path)

    async def reposts(self, request: web.Request) -> web.StreamResponse:
        return await self._list(request, "reposts", request.path)

    async def _list(self, request: web.Request, list_name: str, path: str) -> web.StreamResponse:
        if not self._authorized(request):
            return error_response(401, "Unauthorized")
        owner = self._user_from_ref(request.match_info["user_ref"])
        if owner is None:
            return error_response(404, "Not Found")
        limit = parse_limit(request.query.get("limit"), DEFAULT_LIMITS[list_name])
        offset = request.query.get("offset", "0") or "0"
        try:
            page = self.page(list_name, owner, offset, limit, as_text=True)
        except cursors.CursorError as error:
            return json_response({"error": str(error)}, status=400)
        await self.faults.maybe_stall(request, page.page_number)
        public_path = path.removeprefix("/api-v2")
        if self.faults.empty_page(request):
            # Resume where this page starts, so the fault hides nothing from a client that keeps paging.
            return json_response(self._envelope([], public_path, offset, limit))
        next_href = self._envelope([], public_path, page.next_cursor, limit)["next_href"]
        return json_text_response(envelope_text(page.items, next_href))

    def _envelope(self, items: list[Json], public_path: str, cursor: str | None, limit: int) -> Json:
        next_href = None
        if cursor is not None:
            next_href = f"{self.urls.api_url}{public_path}?offset={quote(cursor, safe='')}&limit={limit}"
        return {"collection": items, "next_href": next_href, "query_urn": None}

    # -- pagination ----------------------------------------------------------------------
    def page(self, list_name: str, owner: Json, offset: str, limit: int, as_text: bool = False) -> Page:
        """The rows [start, start + limit) of the owner's list; items built for listed rows only
        (as dicts, or with `as_text` as their JSON text from cached serialised objects)."""
        rows = self.index.lists[list_name]
        span = rows.span(int(owner["id"]))
        start = self._start(list_name, rows, span, offset)
        stop = min(start + limit, span[1])
        build = (self._text_builder if as_text else self._item_builder)(list_name, owner)
        items = [item for i in range(start, stop) if rows.listed[i] and (item := build(rows, i)) is not None]
        next_cursor = self._cursor_after(list_name, rows, span, stop - 1, owner) if stop < span[1] else None
        return Page(items, next_cursor, (start - span[0]) // limit)

    @staticmethod
    def _start(list_name: str, rows: SortedList, span: tuple[int, int], offset: str) -> int:
        if offset == "0":
            return span[0]
        if list_name == "comments":
            return min(span[0] + cursors.decode_offset_cursor(offset), span[1])
        if list_name in ("followings", "followers"):
            position = cursors.decode_epoch_ms_cursor(offset)
            return rows.position_after_rank(span, position.created_at, position.rank)
        decode = cursors.decode_repost_cursor if list_name == "reposts" else cursors.decode_likes_cursor
        position = decode(offset)
        tiebreak = SortedList.tiebreak_for(position.object_kind, position.object_id)
        return rows.position_after(span, position.created_at, tiebreak)

    @staticmethod
    def _cursor_after(list_name: str, rows: SortedList, span: tuple[int, int], last: int, owner: Json) -> str:
        created = int(rows.created[last])
        kind = KIND_NAMES[int(rows.kind_code[last])]
        object_id = int(rows.object_id[last])
        if list_name == "comments":
            return cursors.encode_offset_cursor(last + 1 - span[0])
        if list_name in ("followings", "followers"):
            return cursors.encode_epoch_ms_cursor(created, rows.rank_in_second(span, last))
        if list_name == "reposts":
            return cursors.encode_repost_cursor(created, kind, object_id)
        return cursors.encode_likes_cursor(created, kind, int(owner["id"]), object_id)

    def _item_builder(self, list_name: str, owner: Json) -> Callable[[SortedList, int], Json | None]:
        represent = self.represent
        users = self.index.users

        def like(rows: SortedList, i: int) -> Json | None:
            return represent.like_item(int(rows.created[i]), KIND_NAMES[int(rows.kind_code[i])], int(rows.object_id[i]))

        def repost(rows: SortedList, i: int) -> Json | None:
            return represent.repost_item(int(rows.created[i]), owner, KIND_NAMES[int(rows.kind_code[i])], int(rows.object_id[i]))

        def comment(rows: SortedList, i: int) -> Json | None:
            return represent.comment_item(int(rows.comment_id[i]), rows.body[i], int(rows.created[i]), owner, int(rows.object_id[i]))

        def followed(rows: SortedList, i: int) -> Json | None:
            user = users.get(int(rows.object_id[i]))
            return None if user is None else represent.full_user(user)

        def follower(rows: SortedList, i: int) -> Json | None:
            user = users.get(int(rows.counterpart_id[i]))
            return None if user is None else represent.full_user(user)

        builders = {"reposts": repost, "comments": comment, "followings": followed, "followers": follower}
        return builders.get(list_name, like)

    def _text_builder(self, list_name: str, owner: Json) -> Callable[[SortedList, int], str | None]:
        """As _item_builder, but each item as JSON text (scmap.sandbox.serialised)."""
        text = self.serialised
        users = self.index.users

        def like(rows: SortedList, i: int) -> str | None:
            return text.like_item(int(rows.created[i]), KIND_NAMES[int(rows.kind_code[i])], int(rows.object_id[i]))

        def repost(rows: SortedList, i: int) -> str | None:
            return text.repost_item(int(rows.created[i]), owner, KIND_NAMES[int(rows.kind_code[i])], int(rows.object_id[i]))

        def comment(rows: SortedList, i: int) -> str | None:
            return text.comment_item(int(rows.comment_id[i]), rows.body[i], int(rows.created[i]), owner, int(rows.object_id[i]))

        def followed(rows: SortedList, i: int) -> str | None:
            user = users.get(int(rows.object_id[i]))
            return None if user is None else text.full_user(user)

        def follower(rows: SortedList, i: int) -> str | None:
            user = users.get(int(rows.counterpart_id[i]))
            return None if user is None else text.full_user(user)

        builders = {"reposts": repost, "comments": comment, "followings": followed, "followers": follower}
        return builders.get(list_name, like)
