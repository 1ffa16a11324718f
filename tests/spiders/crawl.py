"""Running a real crawl for the tests: `scrapy crawl` in a subprocess against a sandbox.

A subprocess gives every crawl a fresh Twisted reactor and a real Chromium, like a user's run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parents[2]
_STAT_LINE = re.compile(r"^ *[{ ]'([^']+)': (-?\d+),?}?$", re.MULTILINE)
SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]

# Fast but otherwise default settings: the sandbox is local, politeness is for the real site.
TEST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "ROBOTSTXT_OBEY": "False",
    "CONCURRENT_REQUESTS": "4",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "LOG_LEVEL": "INFO",
    "PARQUET_FLUSH_SECONDS": "0",
    # The spiders alone, on exactly the seeds: the frontier (settings.SCHEDULER) has its own tests.
    "SCHEDULER": "scrapy.core.scheduler.Scheduler",
}


@dataclass
class CrawlResult:
    returncode: int
    edges: pd.DataFrame
    accounts: pd.DataFrame
    objects: pd.DataFrame  # OUTPUT_DIR/objects (with its `kind` partition column)
    stats: dict[str, Any]
    log: str

    def stat(self, name: str) -> int:
        return int(self.stats.get(name, 0) or 0)


def _read_dataset(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return ds.dataset(str(path), format="parquet", partitioning="hive").to_table().to_pandas()


def parse_stats(log: str) -> dict[str, Any]:
    """The integer stats Scrapy logs after `Dumping Scrapy stats:` (the last dump)."""
    marker = log.rfind("Dumping Scrapy stats:")
    if marker < 0:
        return {}
    return {name: int(value) for name, value in _STAT_LINE.findall(log[marker:])}


def crawl_command(spider: str, sandbox: Any, seeds: list[str], out_dir: Path, *, limit: Any = 30,
                  settings: dict[str, Any] | None = None, mode: str | None = None) -> list[str]:
    """`python -m scrapy.cmdline crawl ...` with the test settings; the log goes to out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log_file = out_dir / f"{spider}.log"
    command = [*SCRAPY, "crawl", spider, "-a", "seeds=" + ",".join(seeds), "-a", f"limit={limit}"]
    if mode is not None:
        command += ["-a", f"mode={mode}"]
    merged = {**TEST_SETTINGS, "OUTPUT_DIR": str(out_dir / "output"), "LOG_FILE": str(log_file),
              "SOUNDCLOUD_WEB_URL": sandbox.web_url, "SOUNDCLOUD_API_URL": sandbox.api_url,
              **(settings or {})}
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return command


CRAWL_ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def collect_result(spider: str, out_dir: Path, returncode: int, stderr: str = "") -> CrawlResult:
    log_file = out_dir / f"{spider}.log"
    log = (log_file.read_text(encoding="utf-8") if log_file.exists() else "") + stderr
    output = out_dir / "output"
    return CrawlResult(returncode, _read_dataset(output / "edges"), _read_dataset(output / "accounts"),
                       _read_dataset(output / "objects"), parse_stats(log), log)


def run_crawl(spider: str, sandbox: Any, seeds: list[str], out_dir: Path, *, limit: Any = 30,
              settings: dict[str, Any] | None = None, timeout: float = 240,
              mode: str | None = None) -> CrawlResult:
    command = crawl_command(spider, sandbox, seeds, out_dir, limit=limit, settings=settings, mode=mode)
    process = subprocess.run(command, cwd=REPO, env=CRAWL_ENV, capture_output=True, text=True,
                             timeout=timeout)
    return collect_result(spider, out_dir, process.returncode, process.stderr)


