"""The crawl-order rules, as pure functions (no store, no Scrapy).

Definitions (docs/frontier.md has the reasoning):
- pick k: the k-th account a spider hands out (k = 1, 2, ...), its `seq`.
- visited: a pick that finished with status `done`. Skipped / not_found / failed picks do not
  count toward `bfs_accounts` or `max_accounts`.
- pick k is in phase 1 iff fewer than `bfs_accounts` of picks 1..k-1 ended `done`; it is handed
  out only if fewer than `max_accounts` of them ended `done` (and could not reach it through
  the picks still in flight). While in-flight picks could change the answer, the spider waits.
- pick k is chosen from the state produced by applying (in seq order) the edges of picks
  1..m, m = max(k - accounts_in_flight, previous m), grown one by one while no candidate exists.
  This lag makes the order a function of the data alone (not of timing), so a resumed crawl
  hands out exactly the accounts an uninterrupted one would.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping

DEFAULT_WEIGHTS: Mapping[str, float] = {"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}


class Phase(enum.Enum):
    BREADTH_FIRST = 1  # discovery order from the seeds
    POPULARITY = 2  # highest score first


class Decision(enum.Enum):
    PHASE_1 = "phase_1"
    PHASE_2 = "phase_2"
    WAIT = "wait"  # in-flight picks must finish before the next pick is determined
    FINISHED = "finished"


@dataclass(frozen=True)
class CrawlRules:
    """One spider's frontier parameters (spider arguments, settings as defaults)."""

    bfs_accounts: int = 850
    max_accounts: int = 2250
    min_followers: int = 250
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    # Accounts handed out but not finished, at most; also the lag of the scores used (see above).
    accounts_in_flight: int = 4

    def __post_init__(self) -> None:
        if self.accounts_in_flight < 1:
            raise ValueError("accounts_in_flight must be >= 1")
        if self.max_accounts < 0 or self.bfs_accounts < 0:
            raise ValueError("bfs_accounts and max_accounts must be >= 0")

    def weight(self, interaction: str) -> float:
        return float(self.weights.get(interaction, 0.0))


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


def applied_needed(next_seq: int, rules: CrawlRules) -> int:
    """How many earlier picks must have their edges applied before pick `next_seq` is chosen."""
    return max(0, next_seq - rules.accounts_in_flight)


def is_eligible(followers_count: int | None, rules: CrawlRules) -> bool:
    """Unknown followers count: crawl it (the spider reads the profile and may skip it)."""
    return followers_count is None or followers_count >= rules.min_followers


def contribution(src_permalink: str, dst_permalink: str, interaction: str, rules: CrawlRules) -> float:
    """Score an edge adds to its target. Self-interactions (liking one's own track) add nothing:
    they say nothing about the target's standing with others."""
    if src_permalink == dst_permalink:
        return 0.0
    return rules.weight(interaction)
