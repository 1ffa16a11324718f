"""The spiders' own arguments: `seeds` (permalinks or profile URLs) and `limit`, and when a
profile's followers count skips an account (the frontier's arguments: scmap/contract.py)."""

from __future__ import annotations

from typing import Any

from scmap.contract import scheduler_hands_out_accounts, setting
from scmap.soundcloud.permalinks import BadSeed, permalink_from_seed, split_seeds

DEFAULT_LIMIT = 500


def read_seeds(text: str | None) -> tuple[list[str], list[str]]:
    """(unique permalinks in order, problems of the malformed ones)."""
    seeds: list[str] = []
    bad: list[str] = []
    for seed in split_seeds(text):
        try:
            permalink = permalink_from_seed(seed)
        except BadSeed as error:
            bad.append(f"{seed!r}: {error}")
            continue
        if permalink not in seeds:
            seeds.append(permalink)
    return seeds, bad


def parse_limit(value: Any) -> int | None:
    """`limit` argument: a positive int, or `all` (None = no cap). Raises ValueError."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    if isinstance(value, str) and value.strip().lower() == "all":
        return None
    number = int(value)
    if number < 1:
        raise ValueError(f"limit must be >= 1 or 'all', got {value!r}")
    return number


def optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def skip_threshold(min_followers: int | None, settings: Any) -> int | None:
    """Below how many profile followers an account's list is not read at all (None: never).

    `-a min_followers=N` always applies; otherwise FRONTIER_MIN_FOLLOWERS only when the
    scheduler hands out accounts (the frontier: its rule, and it records the skip). A crawl of
    exactly its seeds with the stock scheduler reads every list, small accounts included."""
    if min_followers is not None:
        return min_followers if min_followers > 0 else None
    if not scheduler_hands_out_accounts(settings):
        return None
    value = int(setting(settings, "FRONTIER_MIN_FOLLOWERS"))
    return value if value > 0 else None
