"""Nothing in the repository names a path outside it or one machine's layout: the project
carries its own references (docs/soundcloud-web.md). Only the tests' locator of the real
captures looks beside the clone (tests/shared_data.py, tests/soundcloud/captures.py)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"/work/|\.\./shared|/home/\w+|/Users/\w+")
CAPTURE_LOCATORS = {"tests/shared_data.py", "tests/soundcloud/captures.py", "tests/test_no_outside_paths.py"}
SKIPPED_DIRS = {".git", ".venv", "output", "node_modules", "__pycache__", ".pytest_cache", "build"}
TEXT_SUFFIXES = {".py", ".md", ".txt", ".cfg", ".toml", ".ini", ".sh", ".js", ".css", ".html", ".yml",
                 ".yaml", ".conf", ".json", ""}


def repository_text_files() -> list[Path]:
    files = []
    for path in REPO.rglob("*"):
        parts = path.relative_to(REPO).parts
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
            files.append(path)
    return files


def test_no_file_names_a_path_outside_the_repository():
    offenders = []
    for path in repository_text_files():
        relative = path.relative_to(REPO).as_posix()
        if relative in CAPTURE_LOCATORS:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{relative}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert offenders == []
