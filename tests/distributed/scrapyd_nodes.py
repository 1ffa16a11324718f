"""Real scrapyd nodes for the distributed tests and benchmark: each in its own directory (its
own scrapyd.conf, eggs, logs), basic auth on, a free loopback port, an explicit max_proc, and
the project deployed with scrapyd-deploy and the scrapy.cfg targets.

Jobs must run the deployed egg, not the working tree: the nodes are started outside the
repository and without PYTHONPATH.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import requests

from tests.frontier.redis_server import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCRAPYD_USER = "scmap"
TEMPLATE = REPO / "deploy" / "scrapyd.conf"
FINISHED_STATES = ("finished",)


def node_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    env.update(extra or {})
    return env


@dataclass
class ScrapydNode:
    name: str
    port: int
    directory: Path
    password: str
    process: subprocess.Popen
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, endpoint: str, **params: Any) -> dict[str, Any]:
        return self._answer(self.session.get(f"{self.url}/{endpoint}", params=params, timeout=30,
                                             auth=(SCRAPYD_USER, self.password)))

    def post(self, endpoint: str, data: Any) -> dict[str, Any]:
        return self._answer(self.session.post(f"{self.url}/{endpoint}", data=data, timeout=30,
                                              auth=(SCRAPYD_USER, self.password)))

    @staticmethod
    def _answer(response: requests.Response) -> dict[str, Any]:
        response.raise_for_status()
        answer = response.json()
        if answer.get("status") != "ok":
            raise RuntimeError(f"scrapyd says {answer}")
        return answer

    def schedule(self, spider: str, settings: Mapping[str, Any], arguments: Mapping[str, Any],
                 project: str = "scmap") -> str:
        """schedule.json: `setting=NAME=VALUE` per setting, spider arguments as plain fields.
        The job id is chosen here; scrapyd passes it to the spider as `_job`, which names the
        job's part files (no CRAWL_ID needed)."""
        job = uuid.uuid1().hex
        data = [("project", project), ("spider", spider), ("jobid", job)]
        data += [("setting", f"{name}={value}") for name, value in settings.items()]
        data += [(name, str(value)) for name, value in arguments.items()]
        assert self.post("schedule.json", data)["jobid"] == job
        return job

    def jobs(self, project: str = "scmap") -> dict[str, list[dict[str, Any]]]:
        return self.get("listjobs.json", project=project)

    def job_log(self, spider: str, job: str, project: str = "scmap") -> str:
        path = self.directory / "logs" / project / spider / f"{job}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def write_scrapyd_conf(directory: Path, port: int, password: str, max_proc: int) -> Path:
    """deploy/scrapyd.conf with this node's port, password and max_proc."""
    values = {"http_port": str(port), "password": password, "max_proc": str(max_proc),
              "bind_address": "127.0.0.1", "poll_interval": "0.5"}
    lines = []
    for line in TEMPLATE.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key:<16} = {values.pop(key)}" if key in values and "=" in line else line)
    assert not values, f"template lacks {sorted(values)}"
    config = directory / "scrapyd.conf"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    return config


@contextmanager
def run_scrapyd(directory: Path, name: str, max_proc: int, env: Mapping[str, str] | None = None,
                timeout: float = 60) -> Iterator[ScrapydNode]:
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    port = free_port()
    write_scrapyd_conf(directory, port, password, max_proc)
    log = open(directory / "scrapyd.out", "w")
    process = subprocess.Popen([str(BIN / "scrapyd"), "--nodaemon", "--pidfile=", "--logfile=-"], cwd=directory,
                               env=node_environment(env), stdout=log, stderr=subprocess.STDOUT)
    node = ScrapydNode(name, port, directory, password, process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"scrapyd {name} exited: {(directory / 'scrapyd.out').read_text()[-3000:]}")
            try:
                node.get("daemonstatus.json")
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield node
    finally:
        process.terminate()  # scrapyd stops its running jobs too
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def run_scrapyd_nodes(root: Path, count: int, max_proc: int,
                      env: Mapping[str, str] | None = None) -> Iterator[list[ScrapydNode]]:
    with ExitStack() as stack:
        yield [stack.enter_context(run_scrapyd(root / f"node{i}", f"node{i}", max_proc, env))
               for i in range(1, count + 1)]


def copy_project(destination: Path) -> Path:
    """The files scrapyd-deploy needs (scrapy.cfg, setup.py, scmap/), copied so that the egg
    build's setup.py clean / build/ / egg-info never touch the working tree."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("scrapy.cfg", "setup.py"):
        shutil.copy2(REPO / name, destination / name)
    shutil.copytree(REPO / "scmap", destination / "scmap", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def deploy(project: Path, targets: Mapping[str, ScrapydNode], version: str = "e2e") -> None:
    """`scrapyd-deploy TARGET` for each scrapy.cfg target, its address and the scrapyd password
    given through the environment as the targets expect (SCMAP_NODE1, SCMAP_SCRAPYD_PASSWORD)."""
    for target, node in targets.items():
        env = node_environment({f"SCMAP_{target.upper()}": f"127.0.0.1:{node.port}",
                                "SCMAP_SCRAPYD_PASSWORD": node.password})
        result = subprocess.run([str(BIN / "scrapyd-deploy"), target, "--version", version], cwd=project,
                                env=env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or '"status": "ok"' not in result.stdout:
            raise RuntimeError(f"scrapyd-deploy {target} failed:\n{result.stdout}\n{result.stderr}")


def wait_for_jobs(nodes: list[ScrapydNode], expected: int, timeout: float, poll: float = 1.0,
                  except_jobs: frozenset[str] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """Until `expected` jobs (over all nodes, `except_jobs` not counted) are finished."""
    deadline = time.monotonic() + timeout
    while True:
        listing = {node.name: node.jobs() for node in nodes}
        finished = [job for jobs in listing.values() for job in jobs["finished"] if job["id"] not in except_jobs]
        if len(finished) >= expected:
            return listing
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(finished)}/{expected} jobs finished: {listing}")
        time.sleep(poll)
