"""Start the sandbox site in a subprocess for tests, benchmarks and the demo.

    with run_sandbox(world_dir) as sandbox:
        requests.get(sandbox.web_url + "/some-permalink/likes")

The server is `python -m scmap.sandbox serve ...` run by this same interpreter; it prints one
JSON line when ready ({"web_url", "api_url", "world"}), which is what this module waits for.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

STOP_GRACE_SECONDS = 5.0


class SandboxError(RuntimeError):
    """The sandbox did not start (its stderr is in the message)."""


@dataclass(frozen=True)
class SandboxInfo:
    web_url: str
    api_url: str
    world_dir: Path | None
    process: subprocess.Popen

    def counts(self) -> dict[str, int]:
        """What the site served so far (GET /__sandbox/stats: `api_requests`, faults, bot wall)."""
        with urllib.request.urlopen(self.web_url + "/__sandbox/stats", timeout=10) as response:
            return json.loads(response.read())["counts"]


def fault_arguments(faults: dict[str, object] | None) -> list[str]:
    """{"latency_ms": 50, "error_rate": 0.1} -> ["--latency-ms", "50", "--error-rate", "0.1"]."""
    arguments: list[str] = []
    for name, value in (faults or {}).items():
        if value is None or value is False:
            continue
        arguments.append("--" + name.replace("_", "-"))
        if value is not True:
            arguments.append(str(value))
    return arguments


def generate_world_dir(out_dir: Path, *, seed: int, accounts: int, timeout: float = 300) -> Path:
    """Write a world with the world CLI (`python -m scmap.sandbox world`)."""
    command = [sys.executable, "-m", "scmap.sandbox", "world", "--seed", str(seed),
               "--accounts", str(accounts), "--out", str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SandboxError(f"world generation failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return out_dir


def _read_ready_line(process: subprocess.Popen, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError(f"sandbox not ready after {timeout:.0f}s")
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise SandboxError(f"sandbox exited before it was ready (code {process.wait()})")
            buffer += chunk
    finally:
        selector.close()
    line = buffer.split(b"\n", 1)[0]
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        raise SandboxError(f"unexpected first stdout line: {line[:500]!r}") from None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def run_sandbox(world_dir: Path | None = None, *, seed: int = 7, accounts: int = 400, port: int = 0,
                faults: dict[str, object] | None = None, timeout: float = 60,
                extra_args: list[str] | None = None) -> Iterator[SandboxInfo]:
    """Serve `world_dir` (or a world generated from seed/accounts into a temp dir) until exit."""
    with contextlib.ExitStack() as stack:
        if world_dir is None:
            temp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scmap-world-")))
            world_dir = generate_world_dir(temp_dir / "world", seed=seed, accounts=accounts)
        world_dir = Path(world_dir)
        stderr_file = stack.enter_context(tempfile.TemporaryFile())
        command = [sys.executable, "-m", "scmap.sandbox", "serve", "--world", str(world_dir),
                   "--port", str(port), *fault_arguments(faults), *(extra_args or [])]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr_file)
        stack.callback(_stop, process)
        try:
            ready = _read_ready_line(process, timeout)
        except SandboxError as error:
            _stop(process)
            stderr_file.seek(0)
            stderr = stderr_file.read().decode(errors="replace")[-4000:]
            raise SandboxError(f"{error}\ncommand: {' '.join(command)}\nstderr:\n{stderr}") from None
        yield SandboxInfo(web_url=str(ready["web_url"]), api_url=str(ready["api_url"]),
                          world_dir=world_dir, process=process)
