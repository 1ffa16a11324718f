"""FrontierStore in Redis: one frontier shared by the spiders of several machines.

Same semantics as the SQLite store (two phases, follower skip, live scores, per-spider picks,
edges applied once in pick order, leases); each step is one Lua script (redis_scripts.py), so
claims are atomic across nodes and a node that dies mid-step leaves nothing half done. A pick
whose holder died is handed out again when its lease expires (at once if the holder was a
process on this machine that no longer exists).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Iterable, Sequence

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from scmap.frontier import redis_scripts
from scmap.frontier.ordering import CrawlRules, Decision
from scmap.frontier.owner import owner_is_dead_here
from scmap.frontier.store import (
    REFRESH_FINISHES, TERMINAL_FAILURES, ClaimResult, Edge, FrontierCounts, PickRecord, QueueEntry, RefreshClaim,
    RefreshRecord, RefreshRound, Visit)
from scmap.frontier.store_url import install_log_masking, mask_store_url, parse_redis_url

logger = logging.getLogger("scmap.frontier")

CONNECT_TIMEOUT_SECONDS = 5  # an unreachable host fails the open, never hangs it
# Each call blocks the crawl's event loop, so a hung server must fail a call soon and become an
# outage (scheduler: pause, probe, resume or stop), not freeze the crawl: one timeout, no retry.
SOCKET_TIMEOUT_SECONDS = 10
# redis-py retries a call whose connection broke (the claim token makes that safe); bounded:
# at most 3 attempts, well under a second of backoff. Timeouts are not retried (see above).
RETRY_ATTEMPTS, RETRY_BACKOFF_CAP_SECONDS = 2, 0.5
DISCOVERY_BATCH = 5_000  # accounts per script call: keeps each call short for other clients


class RedisFrontierStore:
    # Redis unreachable, restarting (loading its data) or too slow: the scheduler pauses and
    # retries (FRONTIER_STORE_OUTAGE_SECONDS) instead of failing the crawl.
    transient_errors: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError)

    def __init__(self, url: str, client: redis.Redis | None = None) -> None:
        install_log_masking()
        target = parse_redis_url(url)
        self.url = mask_store_url(url)
        self.key_prefix = target.key_prefix
        self._p = "{" + target.key_prefix + "}"
        self._redis = client or redis.Redis.from_url(
            target.connection_url, decode_responses=True, health_check_interval=30,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=SOCKET_TIMEOUT_SECONDS,
            retry=Retry(ExponentialBackoff(cap=RETRY_BACKOFF_CAP_SECONDS, base=0.05), RETRY_ATTEMPTS,
                        supported_errors=(redis.ConnectionError,)),
            **target.connection_kwargs())
        self._scripts = {
            name: self._redis.register_script(redis_scripts.script(getattr(redis_scripts, name)))
            for name in ("ADD_DISCOVERED", "CLAIM_NEXT", "RENEW_LEASES", "MARK_DONE",
                         "MARK_SKIPPED", "MARK_FAILED", "COUNTS", "TOP_OF_QUEUE",
                         "IN_FLIGHT_ELSEWHERE", "RELEASE_PICK",
                         "BEGIN_REFRESH", "CLAIM_REFRESH", "FINISH_REFRESH", "RELEASE_REFRESH")}
        self._known_dead: set[str] = set()
        self._unanswered_claims: dict[str, str] = {}  # spider -> token of a claim whose answer was lost
        self._unanswered_refresh_claims: dict[str, str] = {}  # the same for claim_refresh
        self._redis.ping()  # fail at open (wrong host / password), not at the first claim

    def __repr__(self) -> str:
        return f"RedisFrontierStore({self.url})"

    def _run(self, name: str, *args: Any) -> Any:
        return self._scripts[name](keys=[f"{self._p}:order"], args=[self._p, *args])

    def _key(self, *parts: str) -> str:
        return ":".join((self._p, *parts))

    def _spider_key(self, spider: str, name: str) -> str:
        return f"{self._p}:spider:{spider}:{name}"

    # --- discovery and followers (shared by all spiders) ---

    def add_discovered(self, permalinks: Sequence[str]) -> None:
        permalinks = list(permalinks)
        for start in range(0, len(permalinks), DISCOVERY_BATCH):
            self._run("ADD_DISCOVERED", *permalinks[start:start + DISCOVERY_BATCH])

    def record_caps(self, spider: str, rules: CrawlRules) -> None:
        self._redis.hset(self._spider_key(spider, "caps"), mapping=rules.caps())  # one command: atomic

    def caps(self, spider: str) -> dict[str, int]:
        return {name: int(value) for name, value in self._redis.hgetall(self._spider_key(spider, "caps")).items()}

    # --- picks ---

    def _dead_holders(self, spider: str, owner: str, holders_of: str = "owner") -> list[str]:
        """Holders of in-flight picks (`holders_of`: the hash of their holders) and nodes known
        to be dead processes of this machine."""
        pipe = self._redis.pipeline(transaction=False)  # one round trip
        pipe.hvals(self._spider_key(spider, holders_of))
        pipe.hkeys(self._spider_key(spider, "nodes"))
        holders, nodes = pipe.execute()
        holders = (set(holders) | set(nodes)) - {owner}
        dead = [h for h in holders if h in self._known_dead or owner_is_dead_here(h)]
        self._known_dead.update(dead)  # a dead pid stays dead
        return dead

    def claim_next(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float) -> ClaimResult:
        # A claim whose answer was lost (Redis unreachable or restarted mid-call) is asked again
        # with the same token: if it ran, its account comes back instead of a second one.
        token = self._unanswered_claims.pop(spider, None) or uuid.uuid4().hex
        try:
            return self._claim(spider, owner, rules, lease_seconds, token=token)
        except self.transient_errors:
            self._unanswered_claims[spider] = token
            raise

    def _claim(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float, token: str) -> ClaimResult:
        """One claim; redis-py retries a call whose connection broke with the same token, and
        the script answers a token it has seen with its first answer (no second pick)."""
        decision, permalink, seq, reclaimed = self._run(
            "CLAIM_NEXT", spider, owner, repr(float(lease_seconds)), rules.bfs_accounts, rules.max_accounts,
            rules.min_followers, rules.accounts_in_flight, json.dumps(dict(rules.weights)),
            json.dumps(self._dead_holders(spider, owner)), token)
        return ClaimResult(Decision(decision), permalink or None, int(seq) if seq else None,
                           reclaimed=bool(reclaimed))

    def renew_leases(self, spider: str, owner: str, lease_seconds: float) -> int:
        if lease_seconds == 0:
            lease_seconds = -1e-6  # 0 means "release" to the script
        return int(self._run("RENEW_LEASES", spider, owner, repr(float(lease_seconds))))

    def release(self, spider: str, owner: str) -> int:
        return int(self._run("RENEW_LEASES", spider, owner, "0"))

    def release_pick(self, spider: str, permalink: str) -> bool:
        return bool(self._run("RELEASE_PICK", spider, permalink))

    # --- finishing picks ---

    def mark_done(self, spider: str, permalink: str, edges: Iterable[Edge],
                  user_id: int | None, followers_count: int | None, cutoff: str = "") -> bool:
        unique: dict[str, Edge] = {}
        for edge in edges:
            unique.setdefault(edge.identity, edge)
        in_list_order = sorted(unique.values(), key=Edge.list_order_key, reverse=True)
        encoded = json.dumps([[e.dst_permalink, e.dst_user_id, e.dst_followers_count, e.interaction]
                              for e in in_list_order])
        return bool(self._run("MARK_DONE", spider, permalink, encoded, _text(user_id), _text(followers_count),
                              cutoff))

    def mark_skipped(self, spider: str, permalink: str, followers_count: int | None,
                     reason: str, rules: CrawlRules) -> bool:
        return bool(self._run("MARK_SKIPPED", spider, permalink, _text(followers_count), reason))

    def mark_failed(self, spider: str, permalink: str, status: str) -> bool:
        if status not in TERMINAL_FAILURES:
            raise ValueError(f"mark_failed takes {TERMINAL_FAILURES}, not {status!r}")
        return bool(self._run("MARK_FAILED", spider, permalink, status))

    # --- reading ---

    def counts(self, spider: str, rules: CrawlRules) -> FrontierCounts:
        statuses_flat, discovered, below, picked_eligible, applied, in_flight = self._run(
            "COUNTS", spider, rules.min_followers)
        flat = json.loads(statuses_flat)
        statuses = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
        return FrontierCounts(
            discovered=int(discovered), below_threshold=int(below), visited=statuses.get("done", 0),
            skipped=statuses.get("skipped", 0), not_found=statuses.get("not_found", 0),
            failed=statuses.get("failed", 0), in_flight=int(in_flight),
            frontier_size=int(discovered) - int(below) - int(picked_eligible), applied=int(applied))

    def in_flight_elsewhere(self, spider: str, recent_seconds: float) -> int:
        return int(self._run("IN_FLIGHT_ELSEWHERE", spider, repr(float(recent_seconds))))

    def top_of_queue(self, spider: str, rules: CrawlRules, n: int) -> list[QueueEntry]:
        permalinks = self._run("TOP_OF_QUEUE", spider, rules.bfs_accounts, rules.min_followers, n)
        entries = []
        for permalink in permalinks:
            account = self.account(permalink)
            assert account is not None
            entries.append(QueueEntry(permalink, account["score"], account["discovery_order"],
                                      account["followers_count"]))
        return entries

    def picks(self, spider: str) -> list[tuple[int, str, str]]:
        """(seq, permalink, status) of every pick of `spider`, in hand-out order."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._spider_key(spider, "permalink"))
        pipe.hgetall(self._spider_key(spider, "status"))
        permalink_by_seq, status_by_seq = pipe.execute()
        return sorted((int(seq), permalink, status_by_seq[seq]) for seq, permalink in permalink_by_seq.items())

    def in_flight(self, spider: str) -> list[tuple[int, str, str]]:
        """(seq, permalink, holder) of `spider`'s picks in flight: who is crawling what."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._spider_key(spider, "owner"))
        pipe.hgetall(self._spider_key(spider, "permalink"))
        holders, permalink_by_seq = pipe.execute()
        return sorted((int(seq), permalink_by_seq[seq], holder) for seq, holder in holders.items())

    def lease_ends(self, spider: str) -> dict[str, float]:
        """permalink -> when its lease runs out (the server's clock, epoch seconds), in flight only."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._spider_key(spider, "lease"))
        pipe.hgetall(self._spider_key(spider, "permalink"))
        leases, permalink_by_seq = pipe.execute()
        return {permalink_by_seq[seq]: float(until) for seq, until in leases.items()}

    def visited_order(self, spider: str) -> list[str]:
        return [permalink for _, permalink, status in self.picks(spider) if status == "done"]

    def spiders(self) -> list[str]:
        return sorted(self._redis.smembers(self._key("spiders")))

    def pick_records(self, spider: str) -> list[PickRecord]:
        pipe = self._redis.pipeline(transaction=True)
        for name in ("permalink", "status", "owner", "by", "finished_at"):
            pipe.hgetall(self._spider_key(spider, name))
        permalinks, statuses, holders, finishers, finished_at = pipe.execute()
        return sorted((PickRecord(int(seq), permalink, statuses[seq], holders.get(seq) or finishers.get(seq) or None,
                                  float(finished_at[seq]) if seq in finished_at else None)
                       for seq, permalink in permalinks.items()), key=lambda record: record.seq)

    def visits(self, spider: str) -> dict[str, Visit]:
        return {permalink: Visit(str(status), float(finished_at), str(cutoff))
                for permalink, (status, finished_at, cutoff) in
                ((p, json.loads(v)) for p, v in self._redis.hgetall(self._spider_key(spider, "visits")).items())}

    # --- refresh rounds ---

    def begin_refresh(self, spider: str, rules: CrawlRules, min_age_seconds: float) -> tuple[RefreshRound, bool]:
        _, joined = self._run("BEGIN_REFRESH", spider, repr(float(min_age_seconds)))
        round_ = self.refresh_round(spider)
        assert round_ is not None
        return round_, bool(joined)

    def claim_refresh(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float) -> RefreshClaim:
        token = self._unanswered_refresh_claims.pop(spider, None) or uuid.uuid4().hex  # as claim_next
        try:
            permalink, cutoff, reclaimed, complete = self._run(
                "CLAIM_REFRESH", spider, owner, repr(float(lease_seconds)), rules.accounts_in_flight,
                json.dumps(self._dead_holders(spider, owner, "refresh_owner")), token)
        except self.transient_errors:
            self._unanswered_refresh_claims[spider] = token
            raise
        return RefreshClaim(permalink or None, str(cutoff or ""), bool(reclaimed), bool(complete))

    def finish_refresh(self, spider: str, permalink: str, status: str, cutoff: str) -> bool:
        if status not in REFRESH_FINISHES:
            raise ValueError(f"finish_refresh takes {REFRESH_FINISHES}, not {status!r}")
        return bool(self._run("FINISH_REFRESH", spider, permalink, status, cutoff))

    def release_refresh(self, spider: str, permalink: str) -> bool:
        return bool(self._run("RELEASE_REFRESH", spider, permalink))

    def refresh_round(self, spider: str) -> RefreshRound | None:
        pipe = self._redis.pipeline(transaction=True)  # one consistent snapshot
        pipe.hgetall(self._spider_key(spider, "refresh"))
        pipe.zrange(self._spider_key(spider, "refresh_all"), 0, -1)
        for name in ("refresh_status", "refresh_owner", "refresh_finished_at"):
            pipe.hgetall(self._spider_key(spider, name))
        meta, permalinks, statuses, holders, finished_at = pipe.execute()
        if not meta:
            return None
        records = tuple(RefreshRecord(p, statuses[p], holders.get(p) or None,
                                      float(finished_at[p]) if p in finished_at else None) for p in permalinks)
        return RefreshRound(int(meta["number"]), float(meta["started_at"]), float(meta["older_than"]), records)

    def live_nodes(self, spider: str) -> dict[str, int]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._spider_key(spider, "nodes"))
        pipe.hgetall(self._spider_key(spider, "node_lease"))
        pipe.time()
        windows, leases, (seconds, micros) = pipe.execute()
        now = seconds + micros / 1e6
        return {owner: int(window) for owner, window in sorted(windows.items())
                if float(leases.get(owner, 0)) >= now}

    def account(self, permalink: str) -> dict | None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.zscore(self._key("order"), permalink)
        pipe.hget(self._key("user_id"), permalink)
        pipe.zscore(self._key("followers"), permalink)
        pipe.hget(self._key("skip"), permalink)
        order, user_id, followers, skip_reason = pipe.execute()
        if order is None:
            return None
        rank = self._redis.zscore(self._key("rank"), f"{int(order):012d}:{permalink}")
        return {"permalink": permalink, "user_id": None if user_id is None else int(user_id),
                "followers_count": None if followers is None else int(followers),
                "score": 0.0 - (rank or 0.0), "skip_reason": skip_reason, "discovery_order": int(order)}

    def close(self) -> None:
        self._redis.close()


def _text(value: int | None) -> str:
    return "" if value is None else str(int(value))
