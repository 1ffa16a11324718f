"""`python -m scmap.compact [OUTPUT_DIR]`: merge the small part files crawls left behind.

A crawl merges its own part files when it closes (scmap/pipelines/compaction.py); a killed
crawl cannot, and leaves one small file per finished account per partition, which slows
every reader. This command merges them, for every crawl id found in OUTPUT_DIR (default: the
OUTPUT_DIR setting), partition by partition, the same crash-safe way (merged file in place
before any small file is deleted: an interruption leaves duplicate rows, which the readers
drop, never a lost row).

A crawl id is left alone (and named in the output) while a live crawl writes it: its writer
holds `<OUTPUT_DIR>/.writing-<crawl_id>.lock` (scmap/pipelines/crawl_lock.py), or its newest
part file is younger than --min-age seconds (PARQUET_COMPACT_MIN_AGE_SECONDS; a writer whose
lock this machine cannot see). Should a crawl write that crawl id anyway, nothing is lost:
files it adds after the listing are not touched, and a file merged twice only duplicates rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from scmap.pipelines.compaction import CompactionResult, compact_files, partition_directories, small_files_by_crawl_id
from scmap.pipelines.crawl_lock import CrawlIdLock
from scmap.setting_values import default


class UsageError(Exception):
    pass


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's usage block would hide the one line
        raise UsageError(f"{message} (see python -m scmap.compact --help)")


def crawl_output_dir(text: str) -> Path:
    """The directory, or UsageError saying in one line why it is not a crawl's output."""
    path = Path(text)
    if not path.exists():
        raise UsageError(f"OUTPUT_DIR {text!r} does not exist: give the directory a crawl wrote into")
    if not path.is_dir():
        raise UsageError(f"OUTPUT_DIR {text!r} is not a directory: give the directory a crawl wrote into")
    if not partition_directories(path):
        raise UsageError(f"OUTPUT_DIR {text!r} holds no crawl output (no edges/, accounts/ or objects/ in it):"
                         " give the directory a crawl wrote into")
    return path


def files_by_crawl_id(output_dir: Path) -> dict[str, dict[Path, list[Path]]]:
    """crawl id -> partition directory -> its small part files there."""
    found: dict[str, dict[Path, list[Path]]] = {}
    for directory in partition_directories(output_dir):
        for crawl_id, paths in small_files_by_crawl_id(directory).items():
            found.setdefault(crawl_id, {})[directory] = paths
    return found


def newest_age(paths: Sequence[Path], now: float) -> float:
    ages = []
    for path in paths:
        try:
            ages.append(now - path.stat().st_mtime)
        except FileNotFoundError:
            continue
    return min(ages, default=float("inf"))


def compact_output_dir(output_dir: Path, min_age_seconds: float, max_rows: int, compression: str,
                       out: TextIO = sys.stdout, now: float | None = None) -> tuple[CompactionResult, list[str]]:
    """Compact every crawl id in `output_dir` that no live crawl writes; returns the total
    and the crawl ids left alone."""
    total, skipped = CompactionResult(), []
    crawls = files_by_crawl_id(output_dir)
    for crawl_id, partitions in sorted(crawls.items()):
        files = sum(len(paths) for paths in partitions.values())
        if all(len(paths) < 2 for paths in partitions.values()):
            continue  # nothing to merge
        lock = CrawlIdLock(output_dir, crawl_id)
        age = newest_age([p for paths in partitions.values() for p in paths], time.time() if now is None else now)
        if age < min_age_seconds:
            print(f"{crawl_id}: left alone, its newest file is {age:.0f} s old (under --min-age {min_age_seconds:g}):"
                  " a crawl may still write it", file=out, flush=True)
            skipped.append(crawl_id)
            continue
        try:
            taken = lock.acquire()
        except OSError as error:
            print(f"{crawl_id}: left alone, cannot take {lock.path.name} ({error.strerror})", file=out, flush=True)
            skipped.append(crawl_id)
            continue
        if not taken:
            print(f"{crawl_id}: left alone, a running crawl writes it (it holds {lock.path.name})", file=out, flush=True)
            skipped.append(crawl_id)
            continue
        try:
            print(f"{crawl_id}: {files} part files in {len(partitions)} partitions", file=out, flush=True)
            for directory, paths in sorted(partitions.items()):
                result = compact_files(paths, crawl_id, max_rows, compression)
                total.add(result)
                where = directory.relative_to(output_dir)
                left = f", {len(result.left_behind)} left in place (see the log)" if result.left_behind else ""
                print(f"  {where}: {result.files_merged} files -> {result.files_written}"
                      f" ({result.rows:,} rows){left}", file=out, flush=True)
        finally:
            lock.release()
    return total, skipped


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = OneLineParser(prog="python -m scmap.compact", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output_dir", nargs="?", default=default("OUTPUT_DIR"),
                        help="a crawl's output directory (default: the OUTPUT_DIR setting)")
    parser.add_argument("--min-age", type=float, default=default("PARQUET_COMPACT_MIN_AGE_SECONDS"),
                        help="leave a crawl id alone while its newest file is younger (seconds)")
    parser.add_argument("--max-rows", type=int, default=default("PARQUET_COMPACT_MAX_ROWS"),
                        help="rows per merged file at most")
    try:
        args = parser.parse_args(argv)
        if args.min_age < 0:
            raise UsageError(f"--min-age {args.min_age:g} is negative: give seconds, 0 or more")
        if args.max_rows < 1:
            raise UsageError(f"--max-rows {args.max_rows} is not positive: give a row count, 1 or more")
        output_dir = crawl_output_dir(args.output_dir)
    except UsageError as error:
        print(f"scmap: error: {error}", file=sys.stderr)
        return 2
    total, skipped = compact_output_dir(output_dir, args.min_age, args.max_rows, default("PARQUET_COMPRESSION"), out)
    print(f"compacted {total.files_merged} part files into {total.files_written} ({total.rows:,} rows)"
          + (f"; left alone: {', '.join(skipped)}" if skipped else ""), file=out, flush=True)
    if total.left_behind:
        print(f"scmap: error: {len(total.left_behind)} part files could not be merged or deleted"
              f" (e.g. {total.left_behind[0]}): their rows are safe; see the warnings above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
