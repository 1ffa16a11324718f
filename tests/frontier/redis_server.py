"""A throwaway redis-server for tests and benchmarks: loopback only, a free port, a password,
no persistence. Never a system service."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def run_redis_server(directory: Path | None = None, attempts: int = 3) -> Iterator[str]:
    """Yields `redis://:PASSWORD@127.0.0.1:PORT/0`. The password is in a config file, not on the
    command line."""
    with tempfile.TemporaryDirectory(prefix="scmap-redis-") as scratch:
        workdir = Path(directory or scratch)
        password = secrets.token_urlsafe(16)
        for attempt in range(attempts):
            port = free_port()
            config = workdir / f"redis-{port}.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave \"\"\nappendonly no\n"
                f"dir {workdir}\nprotected-mode yes\n")
            config.chmod(0o600)
            process = subprocess.Popen([REDIS_SERVER, str(config)], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            url = f"redis://:{password}@127.0.0.1:{port}/0"
            if _wait_ready(url, process):
                break
            process.kill()
            process.wait()
        else:
            raise RuntimeError(f"redis-server did not start: {process.stdout.read() if process.stdout else ''}")
        try:
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url)
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:
                time.sleep(0.05)
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One password-protected redis-server for the test session (stores use their own prefixes)."""
    with run_redis_server() as url:
        yield url
