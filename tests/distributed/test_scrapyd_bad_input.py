"""A scrapyd job with bad input (no seeds; Redis down at start) is refused like `scrapy crawl`
on a terminal: scrapyd runs our `crawl` command (COMMANDS_MODULE of the deployed egg), so the
job ends at once and its log shows the same one plain line, with no traceback and no crawl."""

from __future__ import annotations

import pytest

from tests.distributed.scrapyd_nodes import copy_project, deploy, run_scrapyd, wait_for_jobs
from tests.frontier.redis_server import free_port


@pytest.mark.timeout(300)
def test_scrapyd_jobs_without_seeds_or_without_redis_log_the_one_line(tmp_path):
    down = f"redis://:secret-pw@127.0.0.1:{free_port()}/0?prefix=down"  # nothing listens there
    with run_scrapyd(tmp_path / "node1", "node1", max_proc=1) as node:
        deploy(copy_project(tmp_path / "project"), {"node1": node})
        no_seeds = node.schedule("likes", {"OUTPUT_DIR": str(tmp_path / "output")}, {"seeds": ""})
        no_redis = node.schedule("follows", {"OUTPUT_DIR": str(tmp_path / "output"), "FRONTIER_URL": down},
                                 {"seeds": "some-artist"})
        wait_for_jobs([node], expected=2, timeout=120, poll=0.5)
        logs = {"no seeds": node.job_log("likes", no_seeds), "no redis": node.job_log("follows", no_redis)}
    assert "scmap: error: no seeds given: name the accounts to start from, e.g. -a seeds=" in logs["no seeds"]
    assert "scmap: error: frontier store redis://:***@127.0.0.1:" in logs["no redis"], logs["no redis"][-3000:]
    assert "unreachable" in logs["no redis"] and "secret-pw" not in logs["no redis"]
    for log in logs.values():
        assert "Traceback" not in log and "Spider opened" not in log, log[-3000:]
