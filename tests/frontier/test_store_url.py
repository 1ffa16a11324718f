"""Redis store URLs: prefix and password handling, and no password in logs or reprs."""

from __future__ import annotations

import logging

import pytest
import redis

from scmap.frontier.redis_store import RedisFrontierStore
from scmap.frontier.sqlite_store import SqliteFrontierStore
from scmap.frontier.owner import make_owner, node_of
from scmap.frontier.store_url import open_store, sqlite_path
from scmap.frontier.store_url import PASSWORD_ENV, StoreUrlMaskingFilter, mask_store_url, parse_redis_url


@pytest.mark.parametrize("url, masked", [
    ("redis://:s3cr%40t@h:6379/0", "redis://:***@h:6379/0"),
    ("rediss://user:pw@h/1?prefix=x", "rediss://user:***@h/1?prefix=x"),
    ("redis://onlyatoken@h", "redis://***@h"),
    ("redis://h:6379/0", "redis://h:6379/0"),
    ("store redis://:a@h and redis://:b@k", "store redis://:***@h and redis://:***@k"),
])
def test_masking_hides_every_password(url, masked):
    assert mask_store_url(url) == masked


def test_prefix_is_ours_and_the_rest_goes_to_redis_py():
    target = parse_redis_url("redis://:pw@h:1/2?prefix=crawl-7&socket_timeout=5", environ={})
    assert target.key_prefix == "crawl-7"
    assert target.connection_url == "redis://:pw@h:1/2?socket_timeout=5"
    assert target.connection_kwargs() == {}
    with pytest.raises(ValueError):
        parse_redis_url("redis://h/0?prefix=no spaces", environ={})


def test_password_from_the_environment_is_a_default_only():
    assert parse_redis_url("redis://h/0", environ={PASSWORD_ENV: "envpw"}).connection_kwargs() == {"password": "envpw"}


def test_open_store_dispatches_on_the_scheme(redis_url, tmp_path):
    redis_store = open_store(f"{redis_url}?prefix=dispatch")
    sqlite_store = open_store(str(tmp_path / "f.sqlite"))
    try:
        assert isinstance(redis_store, RedisFrontierStore) and isinstance(sqlite_store, SqliteFrontierStore)
    finally:
        redis_store.close()
        sqlite_store.close()


@pytest.mark.parametrize("url, path", [
    ("sqlite:///abs/f.sqlite", "/abs/f.sqlite"),
    ("sqlite:rel/f.sqlite", "rel/f.sqlite"),
    ("out/frontier.sqlite", "out/frontier.sqlite"),
])
def test_a_sqlite_url_names_its_file(url, path):
    """The one reading of SQLite store URLs (open_store and scmap.status share it)."""
    assert sqlite_path(url) == path
    with pytest.raises(ValueError):
        sqlite_path("redis://:pw@h:6379/0")


def test_open_store_opens_the_file_a_sqlite_url_names(tmp_path):
    store = open_store(f"sqlite://{tmp_path}/named.sqlite")
    store.close()
    assert (tmp_path / "named.sqlite").is_file()


def test_an_owner_token_names_its_node():
    owner = make_owner()
    assert node_of(owner) == owner.rsplit(":", 1)[0] and node_of(owner).count(":") == 1
    assert node_of(None) == "?"


def test_authentication_is_required_and_checked_at_open(redis_url):
    without_password = redis_url.replace(redis_url.split("//")[1].split("@")[0] + "@", "")
    with pytest.raises(redis.AuthenticationError):
        RedisFrontierStore(without_password)
    with pytest.raises(redis.AuthenticationError):
        RedisFrontierStore(redis_url.replace("://:", "://:wrong"))


def test_password_from_the_environment_authenticates(redis_url, monkeypatch):
    password = redis_url.split("//:")[1].split("@")[0]
    monkeypatch.setenv(PASSWORD_ENV, password)
    store = RedisFrontierStore(redis_url.replace(f":{password}@", "") + "?prefix=envauth")
    try:
        store.add_discovered(["x"])
        assert store.account("x")["discovery_order"] == 1
    finally:
        store.close()


def test_no_password_reaches_a_log_record(redis_url, caplog):
    password = redis_url.split("//:")[1].split("@")[0]
    store = RedisFrontierStore(f"{redis_url}?prefix=logs")
    try:
        with caplog.at_level(logging.INFO):
            logging.getLogger("scmap.frontier").info("frontier likes: store %s", f"{redis_url}?prefix=logs")
            logging.getLogger("scrapy.crawler").info("Overridden settings:\n%(settings)s",
                                                     {"settings": {"FRONTIER_URL": redis_url}})
        assert password not in caplog.text and "***" in caplog.text
        assert password not in repr(store) and password not in str(store)
    finally:
        store.close()


def test_the_filter_leaves_other_records_alone():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "visited %d of %s", (3, "sqlite:/x"), None)
    assert StoreUrlMaskingFilter().filter(record) and record.getMessage() == "visited 3 of sqlite:/x"
