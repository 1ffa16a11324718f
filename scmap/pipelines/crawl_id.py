"""The crawl id: names a crawl's part files so that two processes never write the same name."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone

# Part file names must stay plain: no path separators, no leading dot (pyarrow hides those).
UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


def default_crawl_id(
    spider_name: str,
    environ: Mapping[str, str] = os.environ,
    now: datetime | None = None,
    pid: int | None = None,
    scrapyd_job: str | None = None,
) -> str:
    """The scrapyd job id when run by scrapyd, else `<spider>-<UTC yyyymmddThhmmss>-<pid>`.

    scrapyd 1.6 hands the job id to the spider as the argument `_job` (`scrapyd_job` here);
    older scrapyd set the environment variable SCRAPY_JOB. The pid makes two crawls started
    in the same second on one machine distinct.
    """
    job = scrapyd_job or environ.get("SCRAPY_JOB")
    if job:
        return safe_crawl_id(job)
    started = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    pid = os.getpid() if pid is None else pid
    return safe_crawl_id(f"{spider_name}-{started:%Y%m%dT%H%M%S}-{pid}")


def safe_crawl_id(crawl_id: str) -> str:
    """`crawl_id` reduced to characters that are safe inside a file name."""
    cleaned = UNSAFE_CHARACTERS.sub("_", crawl_id).lstrip(".")
    return cleaned or "crawl"
