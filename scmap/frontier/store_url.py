"""Frontier store URLs: which store a URL names (`open_store`), its Redis connection, and its
masked form.

`redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=NAME]` (`rediss://` for TLS). `prefix` (default
`scmap`) namespaces the keys, so one Redis can hold several independent crawls. A password may
also come from the environment (FRONTIER_REDIS_PASSWORD) so that it never appears in a command
line: scrapyd logs each job's arguments, and `ps` shows them to every user.

Passwords are never logged: log `mask_store_url(url)`, never the URL itself.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from scmap.frontier.store import FrontierStore

REDIS_SCHEMES = ("redis://", "rediss://")
PASSWORD_ENV = "FRONTIER_REDIS_PASSWORD"
DEFAULT_KEY_PREFIX = "scmap"
_PREFIX_PARAMETER = "prefix"
_KEY_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
# userinfo of any redis URL inside a longer text (log lines, settings dumps)
_USERINFO = re.compile(r"(rediss?://)([^@/\s'\"]*)@")


def is_redis_url(url: str) -> bool:
    return url.startswith(REDIS_SCHEMES)


@dataclass(frozen=True)
class RedisTarget:
    connection_url: str  # what redis-py gets (our own query parameters removed)
    key_prefix: str
    env_password: str | None  # used only when the URL has no password

    def connection_kwargs(self) -> dict[str, Any]:
        return {"password": self.env_password} if self.env_password else {}


def parse_redis_url(url: str, environ: Mapping[str, str] | None = None) -> RedisTarget:
    if not is_redis_url(url):
        raise ValueError(f"not a Redis store URL: {mask_store_url(url)}")
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = DEFAULT_KEY_PREFIX
    kept = []
    for name, value in query:
        if name == _PREFIX_PARAMETER:
            prefix = value
        else:
            kept.append((name, value))
    if not _KEY_PREFIX_PATTERN.match(prefix):
        raise ValueError(f"frontier key prefix {prefix!r}: use 1-100 letters, digits, _ . : -")
    environ = os.environ if environ is None else environ
    connection_url = urlunsplit(parts._replace(query=urlencode(kept)))
    return RedisTarget(connection_url, prefix, environ.get(PASSWORD_ENV) or None)


def mask_store_url(text: str) -> str:
    """`redis://:secret@host` -> `redis://:***@host`; `redis://user:secret@` -> `redis://user:***@`.
    A userinfo without a colon may be a password too: masked whole."""

    def mask(match: re.Match[str]) -> str:
        user, colon, _ = match.group(2).partition(":")
        return f"{match.group(1)}{user}:***@" if colon else f"{match.group(1)}***@"

    return _USERINFO.sub(mask, text)


class StoreUrlMaskingFilter(logging.Filter):
    """Rewrites log records so a Redis URL's password never reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_store_url(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_MASKED_LOGGERS = ("scmap.frontier", "scrapy.crawler", "scrapy.core.engine")


def install_log_masking(logger_names: tuple[str, ...] = _MASKED_LOGGERS) -> None:
    """Mask store passwords in these loggers' records (idempotent). Filters act on records
    logged by that very logger, so each one that may print a store URL is listed."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, StoreUrlMaskingFilter) for f in target.filters):
            target.addFilter(StoreUrlMaskingFilter())


def unreachable_store_message(url: str, error: BaseException) -> str:
    """The one line for a store that cannot be opened (password masked)."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return (f"frontier store {mask_store_url(url)} unreachable ({mask_store_url(reason)}):"
            " start it, or fix FRONTIER_URL / -a frontier_url")


def sqlite_path(url: str) -> str:
    """The file of a SQLite store URL: `sqlite:///abs/path.sqlite`, `sqlite:relative/path.sqlite`
    or a bare path."""
    if is_redis_url(url):
        raise ValueError(f"not a SQLite store URL: {mask_store_url(url)}")
    if url.startswith("sqlite:///"):
        return url[len("sqlite://"):]
    return url.removeprefix("sqlite:")


def open_store(url: str) -> "FrontierStore":
    """A SQLite store (`sqlite_path`), or `redis://[:password@]host:port/db[?prefix=name]`
    (redis_store.py, store_url.py)."""
    if is_redis_url(url):
        from scmap.frontier.redis_store import RedisFrontierStore  # only now: needs the redis package

        return RedisFrontierStore(url)
    from scmap.frontier.sqlite_store import SqliteFrontierStore  # the stores import this module

    return SqliteFrontierStore(sqlite_path(url))
