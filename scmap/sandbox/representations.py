"""World rows -> JSON objects shaped like api-v2's (field sets and key order copied from the
real captures of 2026-02 where available; tests/shared_data.py locates them beside the clone).

Values the world does not model (avatars, waveforms, badges...) are derived from the ids with a
stable hash so the same world always serves the same bytes. `permalink_url` points at the
sandbox's own web address so a client following it stays inside the sandbox.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .world_tags import tag_list

Json = dict[str, Any]

DEFAULT_AVATAR = "https://a1.sndcdn.com/images/default_avatar_large.png"
REDUCED_TRACK_KEYS = (
    "artwork_url", "created_at", "display_date", "duration", "full_duration", "id", "kind",
    "media", "permalink", "permalink_url", "policy", "public", "secret_token", "sharing",
    "title", "uri", "urn", "user", "user_id",
)


@dataclass(frozen=True)
class SiteUrls:
    web_url: str  # e.g. http://127.0.0.1:8123
    api_url: str  # e.g. http://127.0.0.1:8123/api-v2


def iso(epoch_seconds: int | None) -> str | None:
    """`1700000000` -> `2023-11-14T22:13:20Z`, the api-v2 timestamp style."""
    if epoch_seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch_seconds)))


def stable_number(*parts: object) -> int:
    """A deterministic 64-bit number from the parts (not Python's per-process hash)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _token(*parts: object, length: int = 16) -> str:
    """A deterministic alphanumeric string (artwork ids, authorizations...)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    seed = "|".join(map(str, parts)).encode()
    digest = b"".join(hashlib.sha256(seed + bytes([block])).digest() for block in range(1 + length // 40))
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)


def _world_end(meta: dict[str, Any]) -> int:
    """The world's last moment (meta time_range), so no derived date lies after it."""
    try:
        return int(datetime.fromisoformat(str(meta["time_range"][1])).timestamp())
    except (KeyError, IndexError, TypeError, ValueError):
        return int(datetime.now(timezone.utc).timestamp())


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


class Representer:
    """Builds the JSON objects; caches the mini users and tracks it has already built."""

    def __init__(self, index: Any, urls: SiteUrls) -> None:
        self.index = index
        self.urls = urls
        self._mini_users: dict[int, Json] = {}
        self._derived: dict[tuple[str, int], dict[str, str]] = {}
        self._full_users: dict[int, Json] = {}  # accounts are few next to tracks: keep them all
        self._world_end = _world_end(getattr(index, "meta", {}) or {})

    # -- users ---------------------------------------------------------------------------
    def _avatar_url(self, user: Json) -> str:
        if stable_number("avatar", user["id"]) % 5 == 0:
            return DEFAULT_AVATAR
        return f"https://i1.sndcdn.com/avatars-{_token('avatar', user['id'])}-{_token('a2', user['id'], length=6)}-large.jpg"

    def _last_modified(self, user: Json) -> str | None:
        created = user.get("created_at")
        if created is None:
            return None
        modified = int(created) + stable_number("modified", user["id"]) % (3 * 365 * 86400)
        return iso(min(modified, max(int(created), self._world_end)))

    def _badges(self, user: Json) -> Json:
        verified = self._verified(user)
        pro = user.get("kind") == "artist" and stable_number("pro", user["id"]) % 3 == 0
        return {"pro": False, "creator_mid_tier": False, "pro_unlimited": pro, "verified": verified}

    @staticmethod
    def _verified(user: Json) -> bool:
        return int(user.get("followers_count") or 0) >= 50_000

    def _uri(self, kind: str, object_id: int) -> str:
        return f"https://api.soundcloud.com/{kind}/" + quote(f"soundcloud:{kind}:{object_id}", safe="")

    def mini_user(self, user: Json) -> Json:
        """The mini user nested in tracks, comments and reposts; cached and shared (do not mutate)."""
        cached = self._mini_users.get(user["id"])
        if cached is not None:
            return cached
        user_id = int(user["id"])
        mini = {
            "avatar_url": self._avatar_url(user),
            "first_name": "",
            "followers_count": _count(user.get("followers_count")),
            "full_name": "",
            "id": user_id,
            "kind": "user",
            "last_modified": self._last_modified(user),
            "last_name": "",
            "permalink": user["permalink"],
            "permalink_url": f"{self.urls.web_url}/{user['permalink']}",
            "uri": self._uri("users", user_id),
            "urn": f"soundcloud:users:{user_id}",
            "username": user["username"],
            "verified": self._verified(user),
            "city": user.get("city"),
            "country_code": user.get("country_code"),
            "badges": self._badges(user),
            "station_urn": f"soundcloud:system-playlists:artist-stations:{user_id}",
            "station_permalink": f"artist-stations:{user_id}",
        }
        self._mini_users[user_id] = mini
        return mini

    def full_user(self, user: Json) -> Json:
        """The full user object; cached and shared, so callers must copy before changing it."""
        user_id = int(user["id"])
        cached = self._full_users.get(user_id)
        if cached is not None:
            return cached
        self._full_users[user_id] = self._build_full_user(user)
        return self._full_users[user_id]

    def _build_full_user(self, user: Json) -> Json:
        user_id = int(user["id"])
        mini = self.mini_user(user)
        product = "creator-pro-unlimited" if mini["badges"]["pro_unlimited"] else "free"
        has_visual = stable_number("visual", user_id) % 4 == 0
        visuals = None
        if has_visual:
            visuals = {
                "urn": f"soundcloud:users:{user_id}",
                "enabled": True,
                "visuals": [{
                    "urn": f"soundcloud:visuals:{stable_number('visual-id', user_id) % 10**9}",
                    "entry_time": 0,
                    "visual_url": f"https://i1.sndcdn.com/visuals-{user_id:012d}-{_token('v', user_id, length=6)}-original.jpg",
                }],
                "tracking": None,
            }
        return {
            "avatar_url": mini["avatar_url"],
            "city": user.get("city"),
            "comments_count": _count(user.get("comments_count")),
            "country_code": user.get("country_code"),
            "created_at": iso(user.get("created_at")),
            "creator_subscriptions": [{"product": {"id": product}}],
            "creator_subscription": {"product": {"id": product}},
            "description": user.get("description"),
            "followers_count": _count(user.get("followers_count")),
            "followings_count": _count(user.get("followings_count")),
            "first_name": "",
            "full_name": "",
            "groups_count": 0,
            "id": user_id,
            "kind": "user",
            "last_modified": mini["last_modified"],
            "last_name": "",
            "likes_count": _count(user.get("likes_count")),
            "playlist_likes_count": stable_number("playlist-likes", user_id) % 12,
            "permalink": user["permalink"],
            "permalink_url": mini["permalink_url"],
            "playlist_count": _count(user.get("playlist_count")),
            "reposts_count": _count(user.get("reposts_count")),
            "track_count": _count(user.get("track_count")),
            "uri": mini["uri"],
            "urn": mini["urn"],
            "username": user["username"],
            "verified": mini["verified"],
            "visuals": visuals,
            "badges": mini["badges"],
            "station_urn": mini["station_urn"],
            "station_permalink": mini["station_permalink"],
            "date_of_birth": None,
        }

    def hydration_user(self, user: Json) -> Json:
        """The `user` hydratable: the full user plus `url` ("/permalink"), as on profile pages."""
        return {**self.full_user(user), "url": f"/{user['permalink']}"}

    # -- tracks and playlists ------------------------------------------------------------
    def _derived_strings(self, kind: str, object_id: int) -> dict[str, str]:
        """The hash-derived strings of a track or playlist, computed once (they dominate a page's cost)."""
        key = (kind, object_id)
        derived = self._derived.get(key)
        if derived is None:
            derived = {
                "artwork_url": f"https://i1.sndcdn.com/artworks-{_token('art', kind, object_id)}-"
                               f"{_token('art2', kind, object_id, length=6)}-large.jpg",
                "secret_token": f"s-{_token('secret', kind, object_id, length=11)}",
            }
            if kind == "track":
                media_id = uuid.UUID(int=stable_number("hls", object_id) << 64 | stable_number("hls2", object_id))
                derived["media_url"] = f"{self.urls.api_url}/media/soundcloud:tracks:{object_id}/{media_id}/stream/hls"
                derived["waveform_url"] = f"https://wave.sndcdn.com/{_token('wave', object_id, length=12)}_m.json"
                derived["track_authorization"] = _token("auth", object_id, length=48)
            self._derived[key] = derived
        return derived

    def track(self, track: Json) -> Json | None:
        owner = self.index.users.get(int(track["user_id"]))
        if owner is None:
            return None
        track_id = int(track["id"])
        urn = f"soundcloud:tracks:{track_id}"
        duration = int(track.get("duration") or 0)
        created = iso(track.get("created_at"))
        policy = track.get("policy") or "ALLOW"
        public = track.get("sharing", "public") == "public"
        derived = self._derived_strings("track", track_id)
        transcodings = [
            {"url": derived["media_url"],
             "preset": "aac_160k", "duration": duration, "snipped": policy == "SNIP",
             "format": {"protocol": "hls", "mime_type": 'audio/mp4; codecs="mp4a.40.2"'},
             "quality": "sq", "is_legacy_transcoding": False},
        ]
        return {
            "artwork_url": derived["artwork_url"],
            "caption": None,
            "commentable": True,
            "comment_count": _count(track.get("comment_count")),
            "created_at": created,
            "description": None,
            "downloadable": False,
            "download_count": 0,
            "duration": duration,
            "full_duration": duration,
            "embeddable_by": "all",
            "genre": track.get("genre") or "",
            "has_downloads_left": False,
            "id": track_id,
            "kind": "track",
            "label_name": "",
            "last_modified": created,
            "license": "all-rights-reserved",
            "likes_count": _count(track.get("likes_count")),
            "permalink": track["permalink"],
            "permalink_url": f"{self.urls.web_url}/{owner['permalink']}/{track['permalink']}",
            "playback_count": _count(track.get("playback_count")),
            "public": public,
            "publisher_metadata": {"id": track_id, "urn": urn, "contains_music": True},
            "purchase_title": None,
            "purchase_url": None,
            "release_date": None,
            "reposts_count": _count(track.get("reposts_count")),
            "secret_token": None if public else derived["secret_token"],
            "sharing": track.get("sharing") or "public",
            "state": "finished",
            "streamable": policy != "BLOCK",
            "tag_list": self._tag_list(track),
            "title": track["title"],
            "uri": self._uri("tracks", track_id),
            "urn": urn,
            "user_id": int(track["user_id"]),
            "visuals": None,
            "waveform_url": derived["waveform_url"],
            "display_date": created,
            "media": {"transcodings": transcodings},
            "station_urn": f"soundcloud:system-playlists:track-stations:{track_id}",
            "station_permalink": f"track-stations:{track_id}",
            "track_authorization": derived["track_authorization"],
            "monetization_model": "MONETIZE" if policy == "MONETIZE" else "NOT_APPLICABLE",
            "policy": policy,
            "user": self.mini_user(owner),
        }

    @staticmethod
    def _tag_list(track: Json) -> str:
        """The world's tags as the site writes them; one track in six the quoted-with-a-space way."""
        tags = track.get("tags")
        if tags is None or len(tags) == 0:
            return ""
        return tag_list(list(tags), noisy=stable_number("tag-noise", track["id"]) % 6 == 0)

    def reduced_track(self, track: Json) -> Json | None:
        """The smaller track object nested in a user's comments (docs/soundcloud-web.md 2.5)."""
        full = self.track(track)
        if full is None:
            return None
        return {key: full[key] for key in REDUCED_TRACK_KEYS}

    def playlist_without_tracks(self, playlist: Json) -> Json | None:
        owner = self.index.users.get(int(playlist["user_id"]))
        if owner is None:
            return None
        playlist_id = int(playlist["id"])
        created = iso(playlist.get("created_at"))
        public = playlist.get("sharing", "public") == "public"
        set_type = playlist.get("set_type")
        is_album = bool(playlist.get("is_album"))
        derived = self._derived_strings("playlist", playlist_id)
        return {
            "artwork_url": derived["artwork_url"],
            "created_at": created,
            "duration": int(playlist.get("track_count") or 0) * 200_000,
            "id": playlist_id,
            "kind": "playlist",
            "last_modified": created,
            "likes_count": stable_number("set-likes", playlist_id) % 500,
            "managed_by_feeds": False,
            "permalink": playlist["permalink"],
            "permalink_url": f"{self.urls.web_url}/{owner['permalink']}/sets/{playlist['permalink']}",
            "public": public,
            "reposts_count": stable_number("set-reposts", playlist_id) % 50,
            "secret_token": None if public else derived["secret_token"],
            "sharing": playlist.get("sharing") or "public",
            "title": playlist["title"],
            "track_count": int(playlist.get("track_count") or 0),
            "uri": self._uri("playlists", playlist_id),
            "user_id": int(playlist["user_id"]),
            "set_type": set_type if set_type is not None else ("album" if is_album else ""),
            "is_album": is_album,
            "published_at": created if stable_number("published", playlist_id) % 3 else None,
            "release_date": None,
            "display_date": created,
            "user": self.mini_user(owner),
        }

    def sound(self, kind: str, object_id: int) -> Json | None:
        """The track or playlist object for a list item; None when the world lacks it."""
        record = self.index.object_record(kind, object_id)
        if record is None:
            return None
        return self.track(record) if kind == "track" else self.playlist_without_tracks(record)

    # -- list items ----------------------------------------------------------------------
    def like_item(self, created_at: int, kind: str, object_id: int) -> Json | None:
        sound = self.sound(kind, object_id)
        if sound is None:
            return None
        return {"created_at": iso(created_at), "kind": "like", kind: sound}

    def repost_item(self, created_at: int, reposter: Json, kind: str, object_id: int) -> Json | None:
        sound = self.sound(kind, object_id)
        if sound is None:
            return None
        repost_uuid = uuid.UUID(int=stable_number("repost", reposter["id"], kind, object_id, created_at) << 64
                                | stable_number("repost2", reposter["id"], object_id), version=4)
        return {
            "created_at": iso(created_at),
            "type": f"{kind}-repost",
            "user": self.mini_user(reposter),
            "uuid": str(repost_uuid),
            "caption": None,
            "reposted": None,
            kind: sound,
        }

    def comment_item(self, comment_id: int, body: str | None, created_at: int, author: Json,
                     object_id: int) -> Json | None:
        record = self.index.tracks.get(int(object_id))
        track = None if record is None else self.reduced_track(record)
        if track is None:
            return None
        duration = max(int(track["duration"] or 0), 1)
        return {
            "kind": "comment",
            "id": int(comment_id),
            "body": body or "",
            "created_at": iso(created_at),
            "timestamp": stable_number("at", comment_id) % duration,
            "track_id": int(object_id),
            "user_id": int(author["id"]),
            "self": {"urn": f"soundcloud:comments:{int(comment_id)}"},
            "user": self.mini_user(author),
            "track": track,
        }
