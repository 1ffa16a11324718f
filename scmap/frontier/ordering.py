"""The crawl-order rules, as pure functions (no store, no Scrapy).

Definitions (docs/frontier.md has the reasoning):
- pick k: the k-th account a spider hands out (k = 1, 2, ...), its `seq`.
- visited: a pick that finished with status `done`. Skipped / not_found / failed picks do not
  count toward `bfs_accounts` or `max_accounts`.
- pick k is in phase 1 iff fewer than `bfs_accounts` of picks 1..k-1 ended `done`; it is handed
  out only if fewer than `max_accounts` of them ended `done` (and could not reach it through
  the picks still in flight). While in-flight picks could change the answer, the spider waits.
- each node (a scheduler process: one owner) holds at most its own window of picks in flight
  (`accounts_in_flight`); W = the sum of the windows of the nodes live for this spider.
- pick k is chosen from the state produced by applying (in seq order) the edges of picks
  1..m, m = max(k - W, previous m), grown one by one while no candidate exists.
  On one node W is its window, so the order is a function of the data alone (not of timing):
  a resumed crawl hands out exactly the accounts an uninterrupted one would. With N nodes,
  pick k sees every visit more than W picks earlier (docs/frontier.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping

from scmap import settings as defaults  # FRONTIER_* defaults, written once there


# The caps a spider's crawl is started with: kept in the frontier store when it starts
# (FrontierStore.record_caps), so progress reads them from there (scmap.status).
CAPS = ("bfs_accounts", "max_accounts", "min_followers")


class Decision(enum.Enum):
    PHASE_1 = "phase_1"
    PHASE_2 = "phase_2"
    WAIT = "wait"  # in-flight picks must finish before the next pick is determined
    FINISHED = "finished"


@dataclass(frozen=True)
class CrawlRules:
    """One spider's frontier parameters: built by scmap.contract.crawl_rules from the spider's
    arguments over the FRONTIER_* settings (the defaults live there, scmap/settings.py)."""

    bfs_accounts: int = defaults.FRONTIER_BFS_ACCOUNTS
    max_accounts: int = defaults.FRONTIER_MAX_ACCOUNTS
    min_followers: int = defaults.FRONTIER_MIN_FOLLOWERS
    weights: Mapping[str, float] = field(default_factory=lambda: dict(defaults.FRONTIER_WEIGHTS))
    # This node's window: its accounts handed out but not finished, at most. The lag of the
    # scores used is the sum of the live nodes' windows (see above).
    accounts_in_flight: int = defaults.FRONTIER_ACCOUNTS_IN_FLIGHT

    def __post_init__(self) -> None:
        if self.accounts_in_flight < 1:
            raise ValueError("accounts_in_flight must be >= 1")
        if self.max_accounts < 0 or self.bfs_accounts < 0:
            raise ValueError("bfs_accounts and max_accounts must be >= 0")
        if self.min_followers < 0:
            raise ValueError("min_followers must be >= 0")

    def weight(self, interaction: str) -> float:
        return float(self.weights.get(interaction, 0.0))

    def caps(self) -> dict[str, int]:
        """The values of CAPS."""
        return {name: getattr(self, name) for name in CAPS}


def decide(done: int, in_flight: int, rules: CrawlRules) -> Decision:
    """Phase of the next pick, given the statuses of the earlier picks of this spider."""
    if done >= rules.max_accounts:
        return Decision.FINISHED
    if done + in_flight >= rules.max_accounts:
        return Decision.WAIT
    if done >= rules.bfs_accounts:
        return Decision.PHASE_2
    if done + in_flight >= rules.bfs_accounts:
        return Decision.WAIT
    return Decision.PHASE_1


def applied_needed(next_seq: int, window: int) -> int:
    """How many earlier picks must have their edges applied before pick `next_seq` is chosen,
    `window` being the sum of the live nodes' windows (one node: its accounts_in_flight)."""
    return max(0, next_seq - window)


def is_below_threshold(followers_count: Any, min_followers: int | None) -> bool:
    """THE follower-skip rule (spiders and frontier alike, via scmap.contract): a known
    followers count under `min_followers` (None or <= 0: nothing is skipped). An unknown or
    malformed count is never below: the account is read, its profile may skip it then.
    The stores index this rule (SQL / Lua); tests/frontier/test_store_contract.py holds them to it."""
    if min_followers is None or min_followers <= 0:
        return False
    if isinstance(followers_count, bool) or followers_count is None:
        return False
    try:
        return int(followers_count) < min_followers
    except (TypeError, ValueError):
        return False


def is_eligible(followers_count: int | None, rules: CrawlRules) -> bool:
    """May be handed out: not under the threshold by the skip rule above."""
    return not is_below_threshold(followers_count, rules.min_followers)


def contribution(src_permalink: str, dst_permalink: str, interaction: str, rules: CrawlRules) -> float:
    """Score an edge adds to its target. Self-interactions (liking one's own track) add nothing:
    they say nothing about the target's standing with others."""
    if src_permalink == dst_permalink:
        return 0.0
    return rules.weight(interaction)
