"""The contract between the spiders and the frontier scheduler, in one place.

Both sides import these names; neither imports the other. Details: docs/architecture.md
("Spider <-> frontier") and docs/frontier.md.

- Seeds take ONE path: a scheduler that hands out accounts (class attribute
  `hands_out_accounts = True`, see `scheduler_hands_out_accounts`) adds the spider's `seeds`
  to its store itself, and the spider's `start()` then yields nothing. With any other
  scheduler (a crawl of exactly its seeds) `start()` yields one request per seed.
- The scheduler asks `spider.request_for_account(permalink)` for an account's request and tags
  it with `meta[ACCOUNT_META_KEY] = permalink` (and ACCOUNT_TAGS it knows); then, if the spider
  has `start_account(request) -> list[Request]`, it hands out those instead (session mode: the
  user and the list's first page at once when the tags allow). The spider keeps the tags on
  every later request of the account (`carry_account_tags`).
- When an account is finished the spider sends `scmap.signals.account_done` (status one of
  ACCOUNT_STATUSES, `items` = how many items it yielded for the account) exactly once.
- The follower-skip rule is `is_below_threshold` (defined with the other rules in
  scmap/frontier/ordering.py); stores may index it, contract tests hold them to it.
- Spider arguments (`-a NAME=VALUE`) named in FRONTIER_ARGUMENTS win over the settings named
  there; the defaults live once, in scmap/settings.py.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from scrapy.utils.misc import load_object

from scmap.frontier.ordering import CrawlRules, is_below_threshold  # noqa: F401  (the skip rule)
from scmap.setting_values import default, setting  # noqa: F401  (contract.setting: callers read defaults here)

CRAWL_ERROR_STAT = "scmap/error"  # stat: one plain line saying why the crawl failed (exit 1)
ACCOUNT_META_KEY = "frontier_account"  # on requests the frontier hands out (and their retries)
# Also set by the frontier when edges gave them (session mode then skips /resolve); kept on retries.
USER_ID_META_KEY = "frontier_user_id"
FOLLOWERS_META_KEY = "frontier_followers_count"
# A refresh visit (scmap/refresh.py): the newest list item the previous visit stored
# (Cutoff.encode()); the session reader stops paging there. Kept on retries.
REFRESH_CUTOFF_META_KEY = "frontier_refresh_cutoff"
# Every tag the frontier puts on an account's request: kept on all its later requests.
ACCOUNT_TAGS = (ACCOUNT_META_KEY, USER_ID_META_KEY, FOLLOWERS_META_KEY, REFRESH_CUTOFF_META_KEY)
HANDS_OUT_ACCOUNTS = "hands_out_accounts"  # class attribute of a scheduler that adds the seeds

STATUS_DONE = "done"
STATUS_SKIPPED = "skipped"  # profile read, followers_count below min_followers
STATUS_NOT_FOUND = "not_found"
STATUS_FAILED = "failed"
# Given back, neither a visit nor a failure (the site's bot wall challenged the page): the
# frontier releases the claim, so the account is handed out again (later this run or the next).
STATUS_REQUEUE = "requeue"
# A refresh visit (scmap/refresh.py) found the account no longer there (404): it is kept with
# its last visit and its old edges, not deleted from history.
STATUS_GONE = "gone"
ACCOUNT_STATUSES = (STATUS_DONE, STATUS_SKIPPED, STATUS_NOT_FOUND, STATUS_FAILED, STATUS_REQUEUE)

# Spider argument -> the setting that gives its default (values in scmap/settings.py).
FRONTIER_ARGUMENTS: Mapping[str, str] = {
    "bfs_accounts": "FRONTIER_BFS_ACCOUNTS",
    "max_accounts": "FRONTIER_MAX_ACCOUNTS",
    "min_followers": "FRONTIER_MIN_FOLLOWERS",
    "weights": "FRONTIER_WEIGHTS",
    "accounts_in_flight": "FRONTIER_ACCOUNTS_IN_FLIGHT",
    "frontier_url": "FRONTIER_URL",
}
_INTEGER_ARGUMENTS = ("bfs_accounts", "max_accounts", "min_followers", "accounts_in_flight")


def carry_account_tags(meta: Mapping[str, Any], request: Any) -> Any:
    """Put the frontier's tags of `meta` (an earlier request of the account) on `request`."""
    for key in ACCOUNT_TAGS:
        if key in meta:
            request.meta.setdefault(key, meta[key])
    return request


def scheduler_hands_out_accounts(settings: Any) -> bool:
    """The SCHEDULER adds the seeds and hands out accounts itself (the frontier)."""
    scheduler = settings.get("SCHEDULER")
    try:
        cls = load_object(scheduler) if isinstance(scheduler, str) else scheduler
    except (ImportError, NameError, ValueError):
        return False
    return bool(getattr(cls, HANDS_OUT_ACCOUNTS, False))


def parse_weights(value: Any, defaults: Mapping[str, Any]) -> dict[str, float]:
    """A dict, JSON (`{"likes": 1}`) or `likes=1,comments=3`; missing types keep `defaults`.
    Raises ValueError for anything else."""
    weights = {str(k): float(v) for k, v in dict(defaults).items()}
    if not value:
        return weights
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError(f"weights {text!r}: use likes=1,comments=3")
            value = dict(pairs)
    weights.update({str(k).strip(): float(v) for k, v in dict(value).items()})
    return weights


def argument(spider: Any, name: str, settings: Any) -> Any:
    """A frontier argument: the spider's (`-a name=...`) when given, else its setting."""
    value = getattr(spider, name, None)
    return setting(settings, FRONTIER_ARGUMENTS[name]) if value in (None, "") else value


def crawl_rules(spider: Any, settings: Any) -> CrawlRules:
    """The frontier's rules for `spider`. Raises ValueError (TypeError) for malformed values."""
    integers = {name: int(argument(spider, name, settings)) for name in _INTEGER_ARGUMENTS}
    configured = parse_weights(settings.get("FRONTIER_WEIGHTS") if settings is not None else None,
                               default("FRONTIER_WEIGHTS"))
    return CrawlRules(weights=parse_weights(getattr(spider, "weights", None), configured), **integers)


def store_url(spider: Any, settings: Any) -> str:
    """The frontier store: `-a frontier_url`, FRONTIER_URL, else `<OUTPUT_DIR>/frontier.sqlite`."""
    url = argument(spider, "frontier_url", settings)
    return url or f"{setting(settings, 'OUTPUT_DIR') or 'output'}/frontier.sqlite"


def seed_permalinks(spider: Any) -> list[str]:
    """The spider's seeds (a list of permalinks, or comma-separated text), in order."""
    value = getattr(spider, "seeds", None)
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [seed.strip().strip("/") for seed in value if seed and seed.strip()]
