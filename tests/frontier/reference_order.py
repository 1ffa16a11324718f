"""The crawl-order rules re-implemented plainly (dicts and lists, no SQL, no Scrapy), one pick
at a time, as the oracle the frontier's real crawls are compared with."""

from __future__ import annotations

from typing import Any


def reference_picks(world: dict[str, Any], seeds: list[str], bfs_accounts: int, max_accounts: int,
                    min_followers: int, weights: dict[str, float], accounts_in_flight: int) -> list[tuple[str, str]]:
    """[(permalink, status)] in hand-out order. Pick k sees the edges of picks 1..m,
    m = max(k - accounts_in_flight, previous m), grown while no candidate is left."""
    discovered: list[str] = []
    followers: dict[str, int | None] = {}
    score: dict[str, float] = {}

    def discover(permalink: str, followers_count: int | None) -> None:
        if permalink not in followers:
            discovered.append(permalink)
            followers[permalink] = None
        if followers[permalink] is None:
            followers[permalink] = followers_count

    for seed in seeds:
        discover(seed, None)
    picks: list[tuple[str, str]] = []
    applied = 0

    def apply(pick_index: int) -> None:
        src, status = picks[pick_index]
        if status != "done":
            return
        for edge in world["edges"][src]:
            discover(edge["dst_permalink"], edge["dst_followers_count"])
            if edge["dst_permalink"] != src:
                score[edge["dst_permalink"]] = score.get(edge["dst_permalink"], 0) + weights[edge["interaction"]]

    while True:
        done = sum(1 for _, status in picks if status == "done")
        if done >= max_accounts:
            return picks
        by_score = done >= bfs_accounts
        k = len(picks) + 1
        while applied < max(0, k - accounts_in_flight):
            apply(applied)
            applied += 1
        while True:
            picked = {p for p, _ in picks}
            candidates = [p for p in discovered if p not in picked
                          and (followers[p] is None or followers[p] >= min_followers)]
            if candidates or applied >= k - 1:
                break
            apply(applied)
            applied += 1
        if not candidates:
            return picks
        if by_score:  # highest score, ties to the earliest discovered (list order)
            best = max(candidates, key=lambda p: (score.get(p, 0), -discovered.index(p)))
        else:
            best = candidates[0]
        if best in world["missing"]:
            status = "not_found"
        elif world["followers"][best] < min_followers:
            status = "skipped"
            followers[best] = world["followers"][best]
        else:
            status = "done"
        picks.append((best, status))
