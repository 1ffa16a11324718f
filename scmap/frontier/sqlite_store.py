"""FrontierStore in one SQLite file (WAL, busy timeout): shared by the spiders of one machine.

Each public method is one short `BEGIN IMMEDIATE` transaction, so the four spiders (in one
process or four) can use the same file, and a kill -9 leaves either all of a step or none.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import OrderedDict
from pathlib import Path
from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

from scmap.contract import STATUS_FAILED
from scmap.frontier.ordering import CrawlRules, Decision, applied_needed, contribution, decide
from scmap.frontier.owner import owner_is_dead_here
from scmap.frontier.store import (
    DONE, IN_FLIGHT, REFRESH_DUE, REFRESH_FINISHES, SKIPPED, TERMINAL_FAILURES, ClaimResult, Edge, FrontierCounts,
    PickRecord, QueueEntry, RefreshClaim, RefreshRecord, RefreshRound, Visit)
from scmap.refresh import refresh_due

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    discovery_order INTEGER PRIMARY KEY,      -- rowid: order of first sighting
    permalink TEXT NOT NULL UNIQUE,
    user_id INTEGER,
    followers_count INTEGER,                  -- first value seen wins
    score REAL NOT NULL DEFAULT 0,            -- weighted interactions from visited accounts
    skip_reason TEXT
);
CREATE INDEX IF NOT EXISTS accounts_by_score ON accounts (score DESC, discovery_order);
CREATE TABLE IF NOT EXISTS claims (           -- one row per pick of a spider
    spider TEXT NOT NULL,
    seq INTEGER NOT NULL,
    permalink TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    lease_until REAL,
    finished_at REAL,
    PRIMARY KEY (spider, seq),
    UNIQUE (spider, permalink)
);
CREATE INDEX IF NOT EXISTS claims_by_status ON claims (spider, status);
CREATE TABLE IF NOT EXISTS pending_edges (    -- edges of done picks not applied yet
    spider TEXT NOT NULL,
    seq INTEGER NOT NULL,
    position INTEGER NOT NULL,
    dst_permalink TEXT NOT NULL,
    dst_user_id INTEGER,
    dst_followers_count INTEGER,
    interaction TEXT NOT NULL,
    PRIMARY KEY (spider, seq, position)
);
CREATE TABLE IF NOT EXISTS nodes (           -- scheduler processes taking picks of a spider
    spider TEXT NOT NULL,
    owner TEXT NOT NULL,
    window_size INTEGER NOT NULL,             -- its accounts_in_flight
    lease_until REAL NOT NULL,                -- renewed by its claims and lease renewals
    PRIMARY KEY (spider, owner)
);
CREATE TABLE IF NOT EXISTS visits (          -- latest visit of an account, for refresh crawls
    spider TEXT NOT NULL,
    permalink TEXT NOT NULL,
    status TEXT NOT NULL,                     -- done, or gone
    finished_at REAL NOT NULL,
    cutoff TEXT NOT NULL DEFAULT '',          -- newest list item stored (scmap.refresh.Cutoff)
    PRIMARY KEY (spider, permalink)
);
CREATE TABLE IF NOT EXISTS refresh_rounds (  -- each spider's latest refresh round
    spider TEXT PRIMARY KEY,
    number INTEGER NOT NULL,
    started_at REAL NOT NULL,
    older_than REAL NOT NULL                  -- visits finished before this were due
);
CREATE TABLE IF NOT EXISTS refresh_picks (   -- the accounts of that round
    spider TEXT NOT NULL,
    permalink TEXT NOT NULL,
    position INTEGER NOT NULL,                -- hand-out order: the pick's seq
    status TEXT NOT NULL,                     -- due, in_flight, done, gone, failed
    owner TEXT,
    lease_until REAL,
    finished_at REAL,
    PRIMARY KEY (spider, permalink)
);
CREATE TABLE IF NOT EXISTS spiders (
    spider TEXT PRIMARY KEY,
    applied INTEGER NOT NULL DEFAULT 0        -- picks 1..applied count in the scores
);
CREATE TABLE IF NOT EXISTS crawl_caps (      -- the caps of each spider's latest start (progress)
    spider TEXT PRIMARY KEY,
    caps TEXT NOT NULL                        -- JSON {bfs_accounts, max_accounts, min_followers}
);
"""

ELIGIBLE = "(a.followers_count IS NULL OR a.followers_count >= :min_followers)"
NOT_PICKED = "NOT EXISTS (SELECT 1 FROM claims c WHERE c.spider = :spider AND c.permalink = a.permalink)"
ORDER_BY = {
    Decision.PHASE_1: "a.discovery_order",
    Decision.PHASE_2: "a.score DESC, a.discovery_order",
}


class SqliteFrontierStore:
    transient_errors: tuple[type[BaseException], ...] = ()  # a local file: every error is real

    def __init__(self, path: str | os.PathLike[str], busy_timeout_seconds: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=busy_timeout_seconds, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a committed step survives a process crash (kill -9); a power cut may undo
        # the last steps, never half of one, which only means re-crawling a few accounts.
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints (copying the WAL into the file, with fsync) are the main I/O cost of
        # applying edges; fewer, larger ones halve it. The WAL grows to ~40 MB between them.
        self._db.execute("PRAGMA wal_autocheckpoint=10000")
        self._db.execute("PRAGMA cache_size=-65536")  # KiB: the hot part of a 1M-account store
        self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        self._db.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- discovery and followers (shared by all spiders) ---

    def add_discovered(self, permalinks: Sequence[str]) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO accounts (permalink) VALUES (?)", ((p,) for p in permalinks))

    def record_caps(self, spider: str, rules: CrawlRules) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO crawl_caps (spider, caps) VALUES (?, ?)",
                       (spider, json.dumps(rules.caps())))

    def caps(self, spider: str) -> dict[str, int]:
        row = self._db.execute("SELECT caps FROM crawl_caps WHERE spider = ?", (spider,)).fetchone()
        return {} if row is None else {name: int(value) for name, value in json.loads(row[0]).items()}

    @staticmethod
    def _record_followers(db: sqlite3.Connection, rows: list[tuple[str, int | None, int | None, float]],
                          rules: CrawlRules) -> None:
        """rows: (permalink, user_id, followers_count, score to add), unknown accounts appended
        in row order. First known user_id / followers_count wins; the skip reason is set once."""
        db.executemany(
            "INSERT OR IGNORE INTO accounts (permalink) VALUES (?)", ((row[0],) for row in rows))
        db.executemany(
            "UPDATE accounts SET user_id = COALESCE(user_id, :uid),"
            " followers_count = COALESCE(followers_count, :followers), score = score + :added,"
            " skip_reason = CASE WHEN skip_reason IS NULL AND COALESCE(followers_count, :followers) < :min"
            "   THEN 'followers_count ' || COALESCE(followers_count, :followers) || ' < ' || :min"
            "   ELSE skip_reason END"
            " WHERE permalink = :permalink",
            ({"uid": uid, "followers": followers, "added": added, "min": rules.min_followers, "permalink": p}
             for p, uid, followers, added in sorted(rows, key=lambda row: row[0])))  # index locality

    # --- picks ---

    def claim_next(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float) -> ClaimResult:
        now = time.time()
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO spiders (spider) VALUES (?)", (spider,))
            window = self._register_node(db, spider, owner, rules.accounts_in_flight, now, lease_seconds)
            held = db.execute("SELECT COUNT(*) FROM claims WHERE spider = ? AND owner = ? AND status = ?",
                              (spider, owner, IN_FLIGHT)).fetchone()[0]
            if held >= rules.accounts_in_flight:
                return ClaimResult(Decision.WAIT)  # this node's window is full
            reclaimed = self._reclaim(db, spider, owner, now + lease_seconds, now)
            if reclaimed is not None:
                return reclaimed
            statuses = dict(db.execute(
                "SELECT status, COUNT(*) FROM claims WHERE spider = ? GROUP BY status", (spider,)).fetchall())
            decision = decide(statuses.get(DONE, 0), statuses.get(IN_FLIGHT, 0), rules)
            if decision is Decision.FINISHED:
                # Nothing in flight: the last visits' edges, held back by the lag, count now
                # (final scores, and other spiders sharing the store see them).
                applied = self._applied(db, spider)
                while self._apply_pick(db, spider, applied + 1, rules):
                    applied += 1
            if decision in (Decision.WAIT, Decision.FINISHED):
                return ClaimResult(decision)
            next_seq = 1 + (db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM claims WHERE spider = ?", (spider,)).fetchone()[0])
            applied = self._applied(db, spider)
            while applied < applied_needed(next_seq, window):
                if not self._apply_pick(db, spider, applied + 1, rules):
                    return ClaimResult(Decision.WAIT)
                applied += 1
            while True:
                candidate = self._best_candidates(db, spider, decision, rules, 1)
                if candidate:
                    permalink = candidate[0].permalink
                    db.execute(
                        "INSERT INTO claims (spider, seq, permalink, status, owner, lease_until)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (spider, next_seq, permalink, IN_FLIGHT, owner, now + lease_seconds))
                    return ClaimResult(decision, permalink, next_seq)
                if applied >= next_seq - 1:
                    return ClaimResult(Decision.FINISHED)  # every pick applied, nothing left
                if not self._apply_pick(db, spider, applied + 1, rules):
                    return ClaimResult(Decision.WAIT)
                applied += 1

    @staticmethod
    def _register_node(db: sqlite3.Connection, spider: str, owner: str, window: int, now: float,
                       lease_seconds: float) -> int:
        """Record `owner` as a live node of `spider`, forget dead ones (lease expired, or a dead
        process of this machine); returns W, the sum of the live nodes' windows."""
        db.execute("INSERT INTO nodes (spider, owner, window_size, lease_until) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (spider, owner) DO UPDATE SET window_size = excluded.window_size,"
                   " lease_until = excluded.lease_until", (spider, owner, window, now + lease_seconds))
        total = 0
        for node, node_window, lease_until in db.execute(
                "SELECT owner, window_size, lease_until FROM nodes WHERE spider = ?", (spider,)).fetchall():
            if node != owner and (lease_until < now or owner_is_dead_here(node)):
                db.execute("DELETE FROM nodes WHERE spider = ? AND owner = ?", (spider, node))
            else:
                total += node_window
        return total

    @staticmethod
    def _reclaim(db: sqlite3.Connection, spider: str, owner: str, lease_until: float,
                 now: float) -> ClaimResult | None:
        rows = db.execute(
            "SELECT seq, permalink, owner, lease_until FROM claims"
            " WHERE spider = ? AND status = ? ORDER BY seq", (spider, IN_FLIGHT)).fetchall()
        for seq, permalink, holder, holder_lease in rows:
            if holder == owner:
                continue
            if (holder_lease or 0) < now or owner_is_dead_here(holder):
                db.execute("UPDATE claims SET owner = ?, lease_until = ? WHERE spider = ? AND seq = ?",
                           (owner, lease_until, spider, seq))
                return ClaimResult(Decision.WAIT, permalink, seq, reclaimed=True)
        return None

    @staticmethod
    def _applied(db: sqlite3.Connection, spider: str) -> int:
        row = db.execute("SELECT applied FROM spiders WHERE spider = ?", (spider,)).fetchone()
        return row[0] if row else 0

    def _apply_pick(self, db: sqlite3.Connection, spider: str, seq: int, rules: CrawlRules) -> bool:
        """Add pick `seq`'s edges to discovery / followers / scores, exactly once, in seq order.
        False if that pick is still in flight."""
        row = db.execute("SELECT permalink, status FROM claims WHERE spider = ? AND seq = ?",
                         (spider, seq)).fetchone()
        if row is None or row[1] == IN_FLIGHT:
            return False
        src_permalink = row[0]
        edges = db.execute(
            "SELECT dst_permalink, dst_user_id, dst_followers_count, interaction FROM pending_edges"
            " WHERE spider = ? AND seq = ? ORDER BY position", (spider, seq)).fetchall()
        if edges:
            first_seen: OrderedDict[str, tuple[int | None, int | None]] = OrderedDict()
            score_by_dst: dict[str, float] = {}
            for dst, dst_user_id, followers, interaction in edges:
                known = first_seen.get(dst)
                if known is None:
                    first_seen[dst] = (dst_user_id, followers)
                elif known[1] is None and followers is not None:
                    first_seen[dst] = (known[0] or dst_user_id, followers)
                added = contribution(src_permalink, dst, interaction, rules)
                score_by_dst[dst] = score_by_dst.get(dst, 0.0) + added
            self._record_followers(
                db, [(p, uid, f, score_by_dst[p]) for p, (uid, f) in first_seen.items()], rules)
            db.execute("DELETE FROM pending_edges WHERE spider = ? AND seq = ?", (spider, seq))
        db.execute("UPDATE spiders SET applied = ? WHERE spider = ?", (seq, spider))
        return True

    @staticmethod
    def _best_candidates(db: sqlite3.Connection, spider: str, decision: Decision, rules: CrawlRules,
                         n: int) -> list[QueueEntry]:
        rows = db.execute(
            f"SELECT a.permalink, a.score, a.discovery_order, a.followers_count FROM accounts a"
            f" WHERE {ELIGIBLE} AND {NOT_PICKED} ORDER BY {ORDER_BY[decision]} LIMIT :n",
            {"min_followers": rules.min_followers, "spider": spider, "n": n}).fetchall()
        return [QueueEntry(*row) for row in rows]

    def renew_leases(self, spider: str, owner: str, lease_seconds: float) -> int:
        with self._transaction() as db:
            db.execute("UPDATE nodes SET lease_until = ? WHERE spider = ? AND owner = ?",
                       (time.time() + lease_seconds, spider, owner))
            return sum(db.execute(
                f"UPDATE {table} SET lease_until = ? WHERE spider = ? AND owner = ? AND status = ?",
                (time.time() + lease_seconds, spider, owner, IN_FLIGHT)).rowcount
                for table in ("claims", "refresh_picks"))

    def release(self, spider: str, owner: str) -> int:
        with self._transaction() as db:
            db.execute("DELETE FROM nodes WHERE spider = ? AND owner = ?", (spider, owner))
            return sum(db.execute(
                f"UPDATE {table} SET lease_until = 0 WHERE spider = ? AND owner = ? AND status = ?",
                (spider, owner, IN_FLIGHT)).rowcount for table in ("claims", "refresh_picks"))

    def release_pick(self, spider: str, permalink: str) -> bool:
        with self._transaction() as db:
            return db.execute(
                "UPDATE claims SET owner = NULL, lease_until = 0 WHERE spider = ? AND permalink = ? AND status = ?",
                (spider, permalink, IN_FLIGHT)).rowcount == 1

    # --- finishing picks ---

    def _finish(self, db: sqlite3.Connection, spider: str, permalink: str, status: str) -> int | None:
        row = db.execute("SELECT seq FROM claims WHERE spider = ? AND permalink = ? AND status = ?",
                         (spider, permalink, IN_FLIGHT)).fetchone()
        if row is None:
            return None
        db.execute("UPDATE claims SET status = ?, finished_at = ?, lease_until = NULL"  # owner kept: who crawled it
                   " WHERE spider = ? AND seq = ?", (status, time.time(), spider, row[0]))
        return row[0]

    def mark_done(self, spider: str, permalink: str, edges: Iterable[Edge],
                  user_id: int | None, followers_count: int | None, cutoff: str = "") -> bool:
        with self._transaction() as db:
            seq = self._finish(db, spider, permalink, DONE)
            if seq is None:
                return False
            unique: dict[str, Edge] = {}
            for edge in edges:
                unique.setdefault(edge.identity, edge)
            db.execute("DELETE FROM pending_edges WHERE spider = ? AND seq = ?", (spider, seq))
            db.executemany(
                "INSERT INTO pending_edges (spider, seq, position, dst_permalink, dst_user_id,"
                " dst_followers_count, interaction) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((spider, seq, position, e.dst_permalink, e.dst_user_id, e.dst_followers_count, e.interaction)
                 for position, e in enumerate(sorted(unique.values(), key=Edge.list_order_key, reverse=True))))
            db.execute("UPDATE accounts SET user_id = COALESCE(user_id, ?),"
                       " followers_count = COALESCE(followers_count, ?) WHERE permalink = ?",
                       (user_id, followers_count, permalink))
            self._record_visit(db, spider, permalink, DONE, cutoff)
            return True

    def mark_skipped(self, spider: str, permalink: str, followers_count: int | None,
                     reason: str, rules: CrawlRules) -> bool:
        with self._transaction() as db:
            if self._finish(db, spider, permalink, SKIPPED) is None:
                return False
            db.execute("UPDATE accounts SET followers_count = COALESCE(followers_count, ?),"
                       " skip_reason = ? WHERE permalink = ?", (followers_count, reason, permalink))
            return True

    def mark_failed(self, spider: str, permalink: str, status: str) -> bool:
        if status not in TERMINAL_FAILURES:
            raise ValueError(f"mark_failed takes {TERMINAL_FAILURES}, not {status!r}")
        with self._transaction() as db:
            return self._finish(db, spider, permalink, status) is not None

    # --- reading ---

    def counts(self, spider: str, rules: CrawlRules) -> FrontierCounts:
        db = self._db
        params = {"min_followers": rules.min_followers, "spider": spider}
        db.execute("BEGIN")  # one consistent snapshot
        try:
            statuses = dict(db.execute(
                "SELECT status, COUNT(*) FROM claims WHERE spider = ? GROUP BY status", (spider,)).fetchall())
            discovered = db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
            below = db.execute("SELECT COUNT(*) FROM accounts WHERE followers_count < ?",
                               (rules.min_followers,)).fetchone()[0]
            picked_eligible = db.execute(
                f"SELECT COUNT(*) FROM claims c JOIN accounts a ON a.permalink = c.permalink"
                f" WHERE c.spider = :spider AND {ELIGIBLE}", params).fetchone()[0]
            applied = self._applied(db, spider)
        finally:
            db.execute("COMMIT")
        return FrontierCounts(
            discovered=discovered, below_threshold=below, visited=statuses.get(DONE, 0),
            skipped=statuses.get(SKIPPED, 0), not_found=statuses.get("not_found", 0),
            failed=statuses.get("failed", 0), in_flight=statuses.get(IN_FLIGHT, 0),
            frontier_size=discovered - below - picked_eligible, applied=applied)

    def in_flight_elsewhere(self, spider: str, recent_seconds: float) -> int:
        now = time.time()
        with self._transaction() as db:  # one snapshot
            return db.execute(
                "SELECT COUNT(*) FROM claims c LEFT JOIN spiders s ON s.spider = c.spider"
                " WHERE c.spider != :spider AND ("
                "   (c.status = :in_flight AND c.lease_until >= :now)"
                "   OR (c.status = :done AND c.seq > COALESCE(s.applied, 0) AND c.finished_at >= :recent))",
                {"spider": spider, "in_flight": IN_FLIGHT, "done": DONE, "now": now,
                 "recent": now - recent_seconds}).fetchone()[0]

    def top_of_queue(self, spider: str, rules: CrawlRules, n: int) -> list[QueueEntry]:
        done = self._db.execute("SELECT COUNT(*) FROM claims WHERE spider = ? AND status = ?",
                                (spider, DONE)).fetchone()[0]
        decision = Decision.PHASE_1 if done < rules.bfs_accounts else Decision.PHASE_2
        return self._best_candidates(self._db, spider, decision, rules, n)

    def visited_order(self, spider: str) -> list[str]:
        return [p for (p,) in self._db.execute(
            "SELECT permalink FROM claims WHERE spider = ? AND status = ? ORDER BY seq", (spider, DONE))]

    def picks(self, spider: str) -> list[tuple[int, str, str]]:
        """(seq, permalink, status) of every pick of `spider`, in hand-out order."""
        return self._db.execute(
            "SELECT seq, permalink, status FROM claims WHERE spider = ? ORDER BY seq", (spider,)).fetchall()

    def spiders(self) -> list[str]:
        return [name for (name,) in self._db.execute("SELECT spider FROM spiders ORDER BY spider")]

    def pick_records(self, spider: str) -> list[PickRecord]:
        return [PickRecord(*row) for row in self._db.execute(
            "SELECT seq, permalink, status, owner, finished_at FROM claims WHERE spider = ? ORDER BY seq",
            (spider,))]

    def visits(self, spider: str) -> dict[str, Visit]:
        return self._visits(self._db, spider)

    @staticmethod
    def _visits(db: sqlite3.Connection, spider: str) -> dict[str, Visit]:
        return {permalink: Visit(status, finished_at, cutoff) for permalink, status, finished_at, cutoff in
                db.execute("SELECT permalink, status, finished_at, cutoff FROM visits WHERE spider = ?", (spider,))}

    @staticmethod
    def _record_visit(db: sqlite3.Connection, spider: str, permalink: str, status: str, cutoff: str) -> None:
        db.execute("INSERT INTO visits (spider, permalink, status, finished_at, cutoff) VALUES (?, ?, ?, ?, ?)"
                   " ON CONFLICT (spider, permalink) DO UPDATE SET status = excluded.status,"
                   " finished_at = excluded.finished_at,"
                   " cutoff = CASE WHEN excluded.cutoff = '' THEN cutoff ELSE excluded.cutoff END",
                   (spider, permalink, status, time.time(), cutoff))

    # --- refresh rounds ---

    def begin_refresh(self, spider: str, rules: CrawlRules, min_age_seconds: float) -> tuple[RefreshRound, bool]:
        with self._transaction() as db:
            open_picks = db.execute("SELECT COUNT(*) FROM refresh_picks WHERE spider = ? AND status IN (?, ?)",
                                    (spider, REFRESH_DUE, IN_FLIGHT)).fetchone()[0]
            if not open_picks:
                now = time.time()
                number = 1 + (db.execute("SELECT COALESCE(MAX(number), 0) FROM refresh_rounds WHERE spider = ?",
                                         (spider,)).fetchone()[0])
                db.execute("INSERT OR REPLACE INTO refresh_rounds (spider, number, started_at, older_than)"
                           " VALUES (?, ?, ?, ?)", (spider, number, now, now - min_age_seconds))
                db.execute("DELETE FROM refresh_picks WHERE spider = ?", (spider,))
                records = [PickRecord(*row) for row in db.execute(
                    "SELECT seq, permalink, status, owner, finished_at FROM claims WHERE spider = ? ORDER BY seq",
                    (spider,))]
                seq_of = {record.permalink: record.seq for record in records}
                due = refresh_due(records, self._visits(db, spider), now - min_age_seconds)
                db.executemany("INSERT INTO refresh_picks (spider, permalink, position, status) VALUES (?, ?, ?, ?)",
                               ((spider, permalink, seq_of[permalink], REFRESH_DUE) for permalink in due))
        round_ = self.refresh_round(spider)
        assert round_ is not None
        return round_, bool(open_picks)

    def claim_refresh(self, spider: str, owner: str, rules: CrawlRules, lease_seconds: float) -> RefreshClaim:
        now = time.time()
        with self._transaction() as db:
            self._register_node(db, spider, owner, rules.accounts_in_flight, now, lease_seconds)
            for permalink, holder, holder_lease in db.execute(
                    "SELECT permalink, owner, lease_until FROM refresh_picks WHERE spider = ? AND status = ?"
                    " ORDER BY position", (spider, IN_FLIGHT)).fetchall():
                if holder != owner and ((holder_lease or 0) < now or owner_is_dead_here(holder)):
                    return self._hand_out_refresh(db, spider, permalink, owner, now + lease_seconds, reclaimed=True)
            row = db.execute("SELECT permalink FROM refresh_picks WHERE spider = ? AND status = ?"
                             " ORDER BY position LIMIT 1", (spider, REFRESH_DUE)).fetchone()
            if row is not None:
                return self._hand_out_refresh(db, spider, row[0], owner, now + lease_seconds, reclaimed=False)
            in_flight = db.execute("SELECT COUNT(*) FROM refresh_picks WHERE spider = ? AND status = ?",
                                   (spider, IN_FLIGHT)).fetchone()[0]
            return RefreshClaim(complete=in_flight == 0)

    @staticmethod
    def _hand_out_refresh(db: sqlite3.Connection, spider: str, permalink: str, owner: str, lease_until: float,
                          reclaimed: bool) -> RefreshClaim:
        db.execute("UPDATE refresh_picks SET status = ?, owner = ?, lease_until = ? WHERE spider = ? AND permalink = ?",
                   (IN_FLIGHT, owner, lease_until, spider, permalink))
        row = db.execute("SELECT cutoff FROM visits WHERE spider = ? AND permalink = ?", (spider, permalink)).fetchone()
        return RefreshClaim(permalink, row[0] if row else "", reclaimed=reclaimed)

    def finish_refresh(self, spider: str, permalink: str, status: str, cutoff: str) -> bool:
        if status not in REFRESH_FINISHES:
            raise ValueError(f"finish_refresh takes {REFRESH_FINISHES}, not {status!r}")
        with self._transaction() as db:
            if db.execute("UPDATE refresh_picks SET status = ?, finished_at = ?, lease_until = NULL"  # owner kept
                          " WHERE spider = ? AND permalink = ? AND status = ?",
                          (status, time.time(), spider, permalink, IN_FLIGHT)).rowcount != 1:
                return False
            if status != STATUS_FAILED:
                self._record_visit(db, spider, permalink, status, cutoff)
            return True

    def release_refresh(self, spider: str, permalink: str) -> bool:
        with self._transaction() as db:
            return db.execute(
                "UPDATE refresh_picks SET owner = NULL, lease_until = 0 WHERE spider = ? AND permalink = ? AND status = ?",
                (spider, permalink, IN_FLIGHT)).rowcount == 1

    def refresh_round(self, spider: str) -> RefreshRound | None:
        db = self._db
        db.execute("BEGIN")  # one consistent snapshot
        try:
            row = db.execute("SELECT number, started_at, older_than FROM refresh_rounds WHERE spider = ?",
                             (spider,)).fetchone()
            records = tuple(RefreshRecord(*r) for r in db.execute(
                "SELECT permalink, status, owner, finished_at FROM refresh_picks WHERE spider = ? ORDER BY position",
                (spider,)))
        finally:
            db.execute("COMMIT")
        return None if row is None else RefreshRound(int(row[0]), float(row[1]), float(row[2]), records)

    def live_nodes(self, spider: str) -> dict[str, int]:
        return dict(self._db.execute(
            "SELECT owner, window_size FROM nodes WHERE spider = ? AND lease_until >= ? ORDER BY owner",
            (spider, time.time())).fetchall())

    def account(self, permalink: str) -> dict | None:
        cursor = self._db.execute(
            "SELECT permalink, user_id, followers_count, score, skip_reason, discovery_order"
            " FROM accounts WHERE permalink = ?", (permalink,))
        row = cursor.fetchone()
        return None if row is None else dict(zip([d[0] for d in cursor.description], row))

    def close(self) -> None:
        self._db.close()
