"""The FrontierStore protocol: what the scheduler needs from a frontier store.

The store holds ACCOUNTS, never requests. Shared by all spiders using it: discovered accounts
(in discovery order), scores, followers counts, skip reasons. Per spider name: picks (claims)
with their seq and status, and how many of them have had their edges applied.

Every method is one atomic step (one SQLite transaction; one Lua script / MULTI in Redis), so
several processes can share a store and a crash never leaves half an update behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from scmap.contract import STATUS_DONE, STATUS_FAILED, STATUS_GONE, STATUS_NOT_FOUND, STATUS_SKIPPED
from scmap.frontier.ordering import CrawlRules, Decision

# A pick's status in a store: in flight, or one of the contract's account statuses.
IN_FLIGHT = "in_flight"
DONE, SKIPPED = STATUS_DONE, STATUS_SKIPPED
TERMINAL_FAILURES = (STATUS_NOT_FOUND, STATUS_FAILED)  # what mark_failed takes


@dataclass(frozen=True)
class Edge:
    """What the frontier keeps of one EdgeItem of a visited account."""

    dst_permalink: str
    interaction: str
    identity: str  # dedupes an edge yielded twice for the same account
    dst_user_id: int | None = None
    dst_followers_count: int | None = None
    created_at: str = ""  # with object_id: the list order (newest first), whatever the arrival order
    object_id: int = 0

    def list_order_key(self) -> tuple[str, int, str]:
        return (self.created_at, self.object_id, self.identity)


@dataclass(frozen=True)
class ClaimResult:
    """Answer of claim_next: an account to crawl, or why there is none."""

    decision: Decision
    permalink: str | None = None
    seq: int | None = None
    reclaimed: bool = False  # handed out again after its previous holder died


@dataclass(frozen=True)
class QueueEntry:
    permalink: str
    score: float
    discovery_order: int
    followers_count: int | None


@dataclass(frozen=True)
class FrontierCounts:
    discovered: int  # all accounts known (seeds, edge targets), skipped ones included
    below_threshold: int  # known followers_count < min_followers: never handed out
    visited: int  # this spider's picks that ended `done`
    skipped: int  # this spider's picks that ended `skipped` (profile under the threshold)
    not_found: int
    failed: int
    in_flight: int
    frontier_size: int  # eligible accounts this spider has not picked yet
    applied: int  # picks whose edges count in the scores

    def phase(self, rules: CrawlRules) -> int:
        return 1 if self.visited < rules.bfs_accounts else 2


@dataclass(frozen=True)
class PickRecord:
    """One pick as progress reports see it (scmap.status)."""

    seq: int
    permalink: str
    status: str
    holder: str | None  # in flight: who holds it; finished: who finished it
    finished_at: float | None  # epoch seconds (the store's clock)


@dataclass(frozen=True)
class Visit:
    """An account's latest visit as refresh crawls see it (scmap/refresh.py)."""

    status: str  # done, or contract.STATUS_GONE (a refresh found it no longer there)
    finished_at: float  # epoch seconds (the store's clock)
    cutoff: str  # the newest list item it stored, scmap.refresh.Cutoff.encode(); "" if none


# A refresh pick's status in its round: still to hand out, in flight, or how it ended (`done`,
# contract.STATUS_GONE, or `failed`: due again in the next round).
REFRESH_DUE = "due"
REFRESH_FINISHES = (STATUS_DONE, STATUS_GONE, STATUS_FAILED)  # what finish_refresh takes


@dataclass(frozen=True)
class RefreshClaim:
    """Answer of claim_refresh: an account to re-visit (with its cut-off), or none now."""

    permalink: str | None = None
    cutoff: str = ""  # Visit.cutoff of the account: read only what is newer
    reclaimed: bool = False  # handed out again: given back, or its holder died
    complete: bool = False  # nothing left to hand out and nothing in flight: the round is over


@dataclass(frozen=True)
class RefreshRecord:
    """One account of a refresh round as progress reports see it (scmap.status)."""

    permalink: str
    status: str  # REFRESH_DUE, IN_FLIGHT, or one of REFRESH_FINISHES
    holder: str | None  # in flight: who holds it; finished: who finished it
    finished_at: float | None


@dataclass(frozen=True)
class RefreshRound:
    """A spider's latest refresh round: the accounts due when it began, in hand-out order."""

    number: int  # 1, 2, ... per spider
    started_at: float  # epoch seconds (the store's clock)
    older_than: float  # accounts whose latest visit finished before this were due
    records: tuple[RefreshRecord, ...]

    def count(self, *statuses: str) -> int:
        return sum(record.status in statuses for record in self.records)

    @property
    def complete(self) -> bool:
        return self.count(REFRESH_DUE, IN_FLIGHT) == 0


class FrontierStore(Protocol):
    # Errors that mean "the store is unreachable for now" (Redis down or restarting): the
    # scheduler pauses and retries them (outage.py). Empty for an embedded store.
    transient_errors: tuple[type[BaseException], ...]

    def add_discovered(self, permalinks: Sequence[str]) -> None:
        """Append unknown accounts to the discovery order (seeds, in the given order)."""

    def record_caps(self, spider: str, rules: CrawlRules) -> None:
        """Keep the caps `spider`'s crawl was started with (ordering.CAPS), so progress reports
        (scmap.status) show them; a later start replaces them (latest wins)."""

    def caps(self, spider: str) -> dict[str, int]:
        """The caps of `spider`'s latest start (ordering.CAPS -> value); {} for a spider whose
        store predates kept caps."""

    def claim_next(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float) -> ClaimResult:
        """Atomically: hand out again a pick whose holder died or whose lease expired; else apply
        due edges and claim the next account by the rules (ordering.py)."""

    def renew_leases(self, spider: str, owner: str, lease_seconds: float) -> int:
        """Extend the leases of `owner`'s in-flight picks and refresh picks; returns how many."""

    def mark_done(self, spider: str, permalink: str, edges: Iterable[Edge],
                  user_id: int | None, followers_count: int | None, cutoff: str = "") -> bool:
        """Finish a pick as visited, store its edges (applied later, in seq order, once) and
        record the visit for refresh crawls (`visits`: `done`, now, `cutoff` = the newest list
        item stored, scmap.refresh.Cutoff.encode(), "" if none), all in one step.
        Edges are kept in the site's list order (newest first), which fixes discovery order.
        Returns False if the pick was not in flight (already finished: ignored)."""

    def mark_skipped(self, spider: str, permalink: str, followers_count: int | None,
                     reason: str, rules: CrawlRules) -> bool:
        """Finish a pick as skipped (profile under the threshold); records the reason."""

    def mark_failed(self, spider: str, permalink: str, status: str) -> bool:
        """Finish a pick as `not_found` or `failed` (it contributes nothing)."""

    def release(self, spider: str, owner: str) -> int:
        """Make `owner`'s in-flight picks and refresh picks immediately reclaimable (graceful
        shutdown); returns how many."""

    def release_pick(self, spider: str, permalink: str) -> bool:
        """Give one in-flight pick back (contract.STATUS_REQUEUE): no holder, lease expired, so
        the next claim_next of any owner hands it out again (same seq); not a visit, not a
        failure. False if it was not in flight."""

    def counts(self, spider: str, rules: CrawlRules) -> FrontierCounts: ...

    def in_flight_elsewhere(self, spider: str, recent_seconds: float) -> int:
        """Picks of OTHER spiders sharing this store whose edges may still add accounts: in
        flight with a lease not yet expired (a dead holder's expired picks do not count), or
        `done` with edges not applied yet and finished within the last `recent_seconds` (their
        spider applies them at its next claim). A spider whose frontier is empty waits while
        this is above 0 (scheduler.py)."""

    def top_of_queue(self, spider: str, rules: CrawlRules, n: int) -> list[QueueEntry]:
        """The next `n` candidates in this spider's current phase order."""

    def visited_order(self, spider: str) -> list[str]:
        """This spider's `done` picks in hand-out order."""

    def spiders(self) -> list[str]:
        """Names of the spiders that have claimed from this store."""

    def pick_records(self, spider: str) -> list[PickRecord]:
        """Every pick of `spider` in hand-out order, with its holder and finish time."""

    def visits(self, spider: str) -> dict[str, Visit]:
        """Every account of `spider` with a recorded visit -> its latest one. Visits are
        recorded by `mark_done` (a pick's visit) and `finish_refresh` (a refresh visit: scores,
        caps and picks untouched; an empty cut-off keeps the one stored before)."""

    # Refresh rounds (-a refresh=DAYS, docs/frontier.md): the accounts due are written into the
    # store once, when a round begins, and handed out with leases like picks, so the nodes of
    # one round share them, each account once, and a round cut short is finished by the next run.

    def begin_refresh(self, spider: str, rules: CrawlRules, min_age_seconds: float) -> tuple[RefreshRound, bool]:
        """Atomically: the spider's round still open (an account due or in flight), joined as it
        is; else a new round of the accounts due now (scmap.refresh.refresh_due, with
        older_than = the store's clock - `min_age_seconds`). Returns (round, joined)."""

    def claim_refresh(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float) -> RefreshClaim:
        """Atomically: hand out again a refresh pick whose holder died, was released or whose
        lease expired; else the round's next due account. Registers `owner` as a live node (its
        window rules.accounts_in_flight), as claim_next does."""

    def finish_refresh(self, spider: str, permalink: str, status: str, cutoff: str) -> bool:
        """End an in-flight refresh pick: `done` / `gone` also record the visit (in the same
        step; an empty `cutoff` keeps the one stored before, a refresh that found nothing new);
        `failed` leaves the visit as it was (due again next round).
        False if it was not in flight (finished already: ignored)."""

    def release_refresh(self, spider: str, permalink: str) -> bool:
        """Give one refresh pick back (contract.STATUS_REQUEUE): the next claim_refresh of any
        owner hands it out again. False if it was not in flight."""

    def refresh_round(self, spider: str) -> RefreshRound | None:
        """The spider's latest refresh round (open or complete), None if it never had one."""

    def live_nodes(self, spider: str) -> dict[str, int]:
        """Nodes (owners) taking `spider`'s picks whose lease has not run out -> their window."""

    def close(self) -> None: ...
