"""`python -m scmap.browser login` user errors: one line, non-zero exit, nothing launched.
(The flow itself is driven under Xvfb in tests/spiders/test_bot_wall.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_login(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update({"PYTHONPATH": str(REPO), **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "scmap.browser", "login", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_without_a_display_it_says_how_to_get_one(tmp_path):
    result = run_login("--profile", str(tmp_path / "p"), "--url", "http://127.0.0.1:9/")
    assert result.returncode == 2
    assert result.stderr.startswith("error: no display") and "Xvfb" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


def test_a_profile_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run_login("--profile", str(tmp_path / "file"), env_extra={"DISPLAY": ":99"})
    assert result.returncode == 2 and "is not a directory" in result.stderr
