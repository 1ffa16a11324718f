"""Item pipeline that stores EdgeItems, AccountItems and ObjectItems as an append-only Parquet dataset.

Layout (docs/architecture.md, "Parquet output")::

    <OUTPUT_DIR>/edges/interaction=<type>/part-<crawl_id>-<seq>.parquet
    <OUTPUT_DIR>/accounts/part-<crawl_id>-<seq>.parquet
    <OUTPUT_DIR>/objects/kind=<track|playlist>/part-<crawl_id>-<seq>.parquet
    <OUTPUT_DIR>/.../part-<crawl_id>-c<seq>.parquet       merged on close (compaction.py)
    <OUTPUT_DIR>/rejected/rejected-<crawl_id>.jsonl   items that could not be typed

Rows are buffered per partition and written when a buffer holds PARQUET_BATCH_SIZE rows,
when its oldest row is PARQUET_FLUSH_SECONDS old (so a kill -9 loses a bounded window), and
on close. Each file is written under a hidden name (`.part-...tmp`, which pyarrow datasets
skip), fsynced, then renamed into place: a reader never sees half a file, and a crash
leaves only complete files (plus at most one stale hidden temp file).

The frontier's `persist_account_edges` signal (sent before it records an account as finished)
writes every buffer at once, so while crawling each finished account adds one small file per
partition. On close the writer merges the files it wrote in this crawl (never another crawl
id's) into `part-<crawl_id>-c<seq>.parquet` files of at most PARQUET_COMPACT_MAX_ROWS rows,
each renamed into place before its small files are deleted: a crash leaves at worst duplicate
rows, never a lost one (compaction.py). While open it holds its crawl id's lock
(crawl_lock.py), so `python -m scmap.compact`, which merges what killed crawls left, leaves a
live crawl's files alone.

Why deduplication happens on read, not here: a part file is never changed once in place
(compaction writes new files, then deletes), so a crash cannot damage what is on disk, and
several crawls (each with its own crawl id, hence its own file names) can write into the
same directories at once without locks. A re-run or
an overlapping crawl just adds duplicate rows; the reader drops them by the edge identity
`(src_id, dst_id, interaction, object_kind, object_id, created_at)`. Deduplicating here would
need the whole dataset in memory and still miss other processes' rows.

Objects: a track liked by many crawled accounts arrives once per list that carries it; the writer
keeps one row per object per crawl (its first sighting), plus at most one more when a full object
follows a reduced one (a user's comments carry the track without genre, tags or counts). Which
objects were written is remembered in memory for the crawl (a set of ints, ~70 bytes an object).

Bad input: an identity-key field that cannot be typed rejects the row to the `rejected/` JSONL
file (`parquet/bad_rows`); an optional value that cannot be typed (for example an unparsable
`created_at`) is stored as null and logged (`parquet/nulled_values`). Nothing raises.

Settings (defaults in scmap/settings.py): OUTPUT_DIR, PARQUET_BATCH_SIZE, PARQUET_FLUSH_SECONDS
(0 turns time-based flushing off), PARQUET_COMPRESSION, CRAWL_ID (see crawl_id.py),
PARQUET_COMPACT_ON_CLOSE, PARQUET_COMPACT_MAX_ROWS.
Stats: parquet/edges_written, parquet/accounts_written, parquet/objects_written,
parquet/objects_repeated (sightings of an object already written), parquet/files_written,
parquet/bad_rows, parquet/nulled_values, parquet/write_errors, parquet/files_compacted,
parquet/compacted_files_written, parquet/compaction_errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call

from scmap.items import AccountItem, EdgeItem, ObjectItem
from scmap.pipelines.compaction import CompactionResult, compact_files
from scmap.pipelines.crawl_id import default_crawl_id, safe_crawl_id
from scmap.pipelines.crawl_lock import CrawlIdLock
from scmap.pipelines.part_files import write_part_file
from scmap.setting_values import bool_setting, default, float_setting, int_setting, setting
from scmap.signals import persist_account_edges
from scmap.pipelines.edge_schema import (
    ACCOUNT_SCHEMA,
    EDGE_SCHEMA,
    OBJECT_PARTITION_COLUMN,
    OBJECT_SCHEMA,
    PARTITION_COLUMN,
    BadRowError,
    TypedRow,
    account_row,
    edge_row,
    object_row,
)

logger = logging.getLogger(__name__)

# How often a running crawl looks for buffers past PARQUET_FLUSH_SECONDS; cheap (a few buffers).
EXPIRY_CHECK_SECONDS = 1.0
# After a failed write (disk full, permissions), wait this long before trying that buffer again.
RETRY_SECONDS = 5.0


class PartitionBuffer:
    """Rows waiting to be written into one partition directory, kept column by column."""

    def __init__(self, directory: Path, schema: pa.Schema, rows_kind: str) -> None:
        self.directory = directory
        self.schema = schema
        self.rows_kind = rows_kind  # "edges", "accounts" or "objects": names the stat
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.oldest_row_at: float | None = None
        self.retry_at = float("-inf")  # set after a failed write

    def __len__(self) -> int:
        return len(self.columns[self.schema.names[0]])

    def append(self, values: dict[str, Any], now: float) -> None:
        for name, column in self.columns.items():
            column.append(values[name])
        if self.oldest_row_at is None:
            self.oldest_row_at = now

    def to_table(self) -> pa.Table:
        return pa.Table.from_pydict(self.columns, schema=self.schema)

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, values)) for values in zip(*self.columns.values())]

    def clear(self) -> None:
        for column in self.columns.values():
            column.clear()
        self.oldest_row_at = None


class ParquetWriterPipeline:
    """Buffers typed items per partition and writes them as atomic Parquet part files."""

    def __init__(
        self,
        output_dir: str | os.PathLike[str],
        stats: StatsCollector,
        spider_name: str,
        batch_size: int = default("PARQUET_BATCH_SIZE"),
        flush_seconds: float = default("PARQUET_FLUSH_SECONDS"),
        crawl_id: str | None = None,
        compression: str = default("PARQUET_COMPRESSION"),
        clock: Callable[[], float] = time.monotonic,
        compact_on_close: bool = default("PARQUET_COMPACT_ON_CLOSE"),
        compact_max_rows: int = default("PARQUET_COMPACT_MAX_ROWS"),
    ) -> None:
        if not pa.Codec.is_available(compression):
            # Fail at start-up, not at the first flush with a crawl's worth of rows buffered.
            raise ValueError(f"PARQUET_COMPRESSION {compression!r} is not available in pyarrow")
        self.output_dir = Path(output_dir)
        self.stats = stats
        self.spider_name = spider_name
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.configured_crawl_id = crawl_id
        self.compression = compression
        self.clock = clock
        self.compact_on_close = compact_on_close
        self.compact_max_rows = max(1, compact_max_rows)
        self.crawl_id = ""
        self.lock: CrawlIdLock | None = None
        self.written: dict[Path, list[Path]] = {}  # partition directory -> part files this crawl wrote
        self.buffers: dict[str, PartitionBuffer] = {}  # by partition path under output_dir
        # Objects written in this crawl, as `object_id * 2 + is_playlist`: full ones, and reduced
        # ones (no tags: from a user's comments) that a full sighting may still complete.
        self.objects_full: set[int] = set()
        self.objects_reduced: set[int] = set()
        self.scraped_at_cache = (0, "")  # (unix second, its ISO text): one strftime per second
        self.next_sequence = 0
        self.flush_timer: Any = None
        self.crawler: Crawler | None = None  # set by from_crawler: the spider carries scrapyd's job id

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetWriterPipeline:
        settings = crawler.settings
        pipeline = cls(
            output_dir=setting(settings, "OUTPUT_DIR"),
            stats=crawler.stats,
            spider_name=crawler.spidercls.name or "crawl",
            batch_size=int_setting(settings, "PARQUET_BATCH_SIZE"),
            flush_seconds=float_setting(settings, "PARQUET_FLUSH_SECONDS"),
            crawl_id=settings.get("CRAWL_ID") or None,
            compression=setting(settings, "PARQUET_COMPRESSION"),
            compact_on_close=bool_setting(settings, "PARQUET_COMPACT_ON_CLOSE"),
            compact_max_rows=int_setting(settings, "PARQUET_COMPACT_MAX_ROWS"),
        )
        crawler.signals.connect(pipeline.persist_buffers, signal=persist_account_edges)
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        if self.configured_crawl_id:
            self.crawl_id = safe_crawl_id(self.configured_crawl_id)
        else:
            spider = self.crawler.spider if self.crawler is not None else None
            self.crawl_id = default_crawl_id(self.spider_name, scrapyd_job=getattr(spider, "_job", None))
        logger.info("Parquet output: %s (crawl id %s)", self.output_dir, self.crawl_id)
        self._take_lock()
        self._start_flush_timer()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, EdgeItem):
            self._store(item, "edges")
        elif isinstance(item, AccountItem):
            self._store(item, "accounts")
        elif isinstance(item, ObjectItem):
            if self._first_sighting(item):
                self._store(item, "objects")
            else:
                self.stats.inc_value("parquet/objects_repeated")
        self.flush_expired()
        return item

    def close_spider(self) -> Coroutine[Any, Any, None] | None:
        """Write what is buffered, then merge this crawl's part files. In a running crawl the
        merge runs in a worker thread (returned as a coroutine Scrapy awaits): at 100,000
        accounts it reads 100,000 files, and the other spiders of the process keep crawling
        meanwhile. Driven by hand (no event loop), everything is done before returning."""
        if self.flush_timer is not None and self.flush_timer.running:
            self.flush_timer.stop()
        for buffer in self.buffers.values():
            if len(buffer) and not self._flush(buffer):
                # Last chance: keep the rows as JSON rather than lose them.
                for values in buffer.rows():
                    self._reject(buffer.rows_kind, "could not write Parquet at close", values)
                buffer.clear()
        if not self.compact_on_close:
            self._release_lock()
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.compact_written_files()
            self._release_lock()
            return None
        return self._compact_in_thread()

    async def _compact_in_thread(self) -> None:
        try:
            await asyncio.to_thread(self.compact_written_files)
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def compact_written_files(self) -> CompactionResult:
        """Merge the part files this crawl wrote, per partition (scmap/pipelines/compaction.py).
        Never raises: every row is on disk already, compaction only makes reading cheaper."""
        total = CompactionResult()
        for directory, paths in list(self.written.items()):
            try:
                result = compact_files(list(paths), self.crawl_id, self.compact_max_rows, self.compression)
            except Exception as error:  # noqa: BLE001 - the small files are still there, all of them
                logger.error("Could not compact the part files in %s: %s", directory, error)
                self.stats.inc_value("parquet/compaction_errors")
                continue
            total.add(result)
            paths[:] = [path for path in paths if path.exists()]  # what is left to merge
        self.stats.inc_value("parquet/files_compacted", total.files_merged)
        self.stats.inc_value("parquet/compacted_files_written", total.files_written)
        if total.files_merged:
            logger.info("Compacted %d part files into %d (%d rows)", total.files_merged, total.files_written, total.rows)
        return total

    def persist_buffers(self, **_signal_kwargs: Any) -> None:
        """The frontier is about to record an account as finished: everything buffered goes to
        disk first, or a kill -9 would lose edges of an account that is never crawled again.
        Raising tells the frontier to hold the record back and ask again later."""
        unwritten = [b for b in self.buffers.values() if len(b) and not self._flush(b)]
        if unwritten:
            raise OSError(f"{len(unwritten)} Parquet buffer(s) could not be written")

    def flush_expired(self) -> None:
        """Write every buffer whose oldest row has waited PARQUET_FLUSH_SECONDS."""
        if self.flush_seconds <= 0:
            return
        now = self.clock()
        for buffer in self.buffers.values():
            expired = buffer.oldest_row_at is not None and now - buffer.oldest_row_at >= self.flush_seconds
            if expired and now >= buffer.retry_at:
                self._flush(buffer)

    def _take_lock(self) -> None:
        """Hold this crawl id's lock while crawling: `python -m scmap.compact` leaves a crawl id
        alone while its lock is held (scmap/pipelines/crawl_lock.py)."""
        lock = CrawlIdLock(self.output_dir, self.crawl_id)
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            taken = lock.acquire()
        except OSError as error:
            logger.warning("Could not take the writer lock %s (%s): scmap.compact cannot see this crawl", lock.path, error)
            return
        if not taken:
            # Two live crawls given one CRAWL_ID by hand: each still merges only its own files.
            logger.warning("Another process writes crawl id %s (it holds %s)", self.crawl_id, lock.path)
            return
        self.lock = lock

    def _start_flush_timer(self) -> None:
        if self.flush_seconds <= 0:
            return
        try:
            timer = create_looping_call(self.flush_expired)
            timer.start(min(EXPIRY_CHECK_SECONDS, self.flush_seconds), now=False)
        except RuntimeError:
            # No reactor or event loop (the pipeline is driven by hand): expiry is still
            # checked on every item and everything is written on close.
            logger.debug("No event loop: time-based flush only runs when items arrive")
            return
        self.flush_timer = timer

    def _first_sighting(self, item: ObjectItem) -> bool:
        """Whether this object still needs a row in this crawl (one per object, or a second when a
        full object follows a reduced one). An untypable id is let through to be rejected."""
        object_id = item.get("object_id")
        if isinstance(object_id, bool) or not isinstance(object_id, int):
            return True
        key = object_id * 2 + (item.get("kind") == "playlist")
        full = item.get("tags") is not None or item.get("kind") == "playlist"
        if key in self.objects_full or (not full and key in self.objects_reduced):
            return False
        (self.objects_full if full else self.objects_reduced).add(key)
        return True

    def _store(self, item: EdgeItem | AccountItem | ObjectItem, rows_kind: str) -> None:
        if item.get("scraped_at") is None:
            item["scraped_at"] = self._scraped_at_now()
        if not item.get("crawl_id"):
            item["crawl_id"] = self.crawl_id
        fields = dict(item)  # plain dict lookups are several times cheaper than Item.get
        try:
            if rows_kind == "edges":
                interaction, row = edge_row(fields)
                partition = f"edges/{PARTITION_COLUMN}={interaction}"
            elif rows_kind == "objects":
                kind, row = object_row(fields)
                partition = f"objects/{OBJECT_PARTITION_COLUMN}={kind}"
            else:
                row = account_row(fields)
                partition = "accounts"
        except BadRowError as error:
            self._reject(rows_kind, str(error), fields)
            return
        self._note_nulled_values(row, fields)
        buffer = self.buffers.get(partition)
        if buffer is None:
            schema = {"edges": EDGE_SCHEMA, "objects": OBJECT_SCHEMA}.get(rows_kind, ACCOUNT_SCHEMA)
            buffer = PartitionBuffer(self.output_dir / partition, schema, rows_kind)
            self.buffers[partition] = buffer
        now = self.clock()
        buffer.append(row.values, now)
        if len(buffer) >= self.batch_size and now >= buffer.retry_at:
            self._flush(buffer)

    def _scraped_at_now(self) -> str:
        """Now as ISO-8601 UTC at second precision, like the site's `created_at`."""
        second = int(time.time())
        if self.scraped_at_cache[0] != second:
            text = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.scraped_at_cache = (second, text)
        return self.scraped_at_cache[1]

    def _flush(self, buffer: PartitionBuffer) -> bool:
        """Write the buffer as one part file; on failure keep the rows for a later try."""
        try:
            buffer.directory.mkdir(parents=True, exist_ok=True)
            path = write_part_file(buffer.to_table(), self._next_part_path(buffer.directory), self.compression)
            self.written.setdefault(buffer.directory, []).append(path)
        except Exception as error:  # noqa: BLE001 - whatever the cause, keep the rows and the crawl
            logger.error("Could not write %d rows to %s: %s", len(buffer), buffer.directory, error)
            self.stats.inc_value("parquet/write_errors")
            buffer.retry_at = self.clock() + RETRY_SECONDS  # not on every item while the disk is broken
            return False
        self.stats.inc_value(f"parquet/{buffer.rows_kind}_written", len(buffer))
        self.stats.inc_value("parquet/files_written")
        logger.debug("Wrote %d rows to %s", len(buffer), path)
        buffer.clear()
        return True

    def _next_part_path(self, directory: Path) -> Path:
        # The crawl id keeps processes apart; the existence check protects an earlier run that
        # was given the same CRAWL_ID by hand.
        while True:
            path = directory / f"part-{self.crawl_id}-{self.next_sequence:05d}.parquet"
            self.next_sequence += 1
            if not path.exists():
                return path

    def _note_nulled_values(self, row: TypedRow, fields: dict[str, Any]) -> None:
        if not row.notes:
            return
        self.stats.inc_value("parquet/nulled_values", len(row.notes))
        logger.warning("Stored null for untypable values (%s) in %r", "; ".join(row.notes), fields)

    def _reject(self, rows_kind: str, reason: str, values: dict[str, Any]) -> None:
        """Keep an unstorable row as a JSON line, so bad input is visible and never lost."""
        self.stats.inc_value("parquet/bad_rows")
        logger.warning("Rejected %s row (%s): %r", rows_kind, reason, values)
        record = {"kind": rows_kind, "reason": reason, "item": values}
        path = self.output_dir / "rejected" / f"rejected-{self.crawl_id}.jsonl"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                # ASCII escapes keep lone surrogates writable; str() covers datetimes and the like.
                handle.write(json.dumps(record, ensure_ascii=True, default=str) + "\n")
        except (OSError, ValueError) as error:
            logger.error("Could not keep the rejected row in %s: %s", path, error)
