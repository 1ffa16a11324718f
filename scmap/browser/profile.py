"""A persistent browser profile (`SCMAP_BROWSER_PROFILE=DIR`): cookies, local storage and the
consent answer survive between runs. `python -m scmap.browser login --profile DIR` fills it.

scrapy-playwright opens a persistent context when the context kwargs hold `user_data_dir`, and
then passes them straight to Playwright's `launch_persistent_context`: the launch options
(executable, args) must be in the same dict. Chromium locks a profile: one process at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scmap.browser.launch import SYSTEM_CHROMIUM, launch_options

PROFILE_ENV = "SCMAP_BROWSER_PROFILE"
LOCK_FILE = "SingletonLock"  # Chromium's "profile in use" mark


class ProfileError(ValueError):
    """The profile directory cannot be used (one-line message)."""


def check_profile_dir(path: str | Path, must_exist: bool = True) -> Path:
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise ProfileError(f"{PROFILE_ENV}: {path} is not a directory")
    if must_exist and not path.is_dir():
        raise ProfileError(f"{PROFILE_ENV}: no profile at {path}; make one with "
                           f"`python -m scmap.browser login --profile {path}`")
    return path.resolve()


def profile_in_use(path: Path) -> bool:
    return (path / LOCK_FILE).is_symlink() or (path / LOCK_FILE).exists()


def persistent_context_kwargs(profile_dir: Path, headless: bool = True,
                              executable: str = SYSTEM_CHROMIUM) -> dict[str, Any]:
    """Context kwargs that make scrapy-playwright (or Playwright) open the profile."""
    return {**launch_options(executable, headless=headless), "user_data_dir": str(profile_dir)}
