"""A scrapyd job with bad input is refused like `scrapy crawl` on a terminal: scrapyd runs our
`crawl` command (COMMANDS_MODULE of the deployed egg), so the job ends at once and its log
shows the same one plain line, with no traceback and no crawl."""

from __future__ import annotations

import pytest

from tests.distributed.scrapyd_nodes import copy_project, deploy, run_scrapyd, wait_for_jobs


@pytest.mark.timeout(300)
def test_a_scrapyd_job_without_seeds_logs_the_one_line(tmp_path):
    with run_scrapyd(tmp_path / "node1", "node1", max_proc=1) as node:
        deploy(copy_project(tmp_path / "project"), {"node1": node})
        job = node.schedule("likes", {"OUTPUT_DIR": str(tmp_path / "output")}, {"seeds": ""})
        wait_for_jobs([node], expected=1, timeout=120, poll=0.5)
        log = node.job_log("likes", job)
    assert "scmap: error: no seeds given: name the accounts to start from, e.g. -a seeds=" in log, log[-3000:]
    assert "Traceback" not in log and "Spider opened" not in log
