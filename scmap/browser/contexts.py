"""What every browser context of a crawl is opened with: the person's profile
(SCMAP_BROWSER_PROFILE) or their cookies (SCMAP_COOKIES), or nothing (a fresh context).

Settings (or the environment variables of the same name) are read once per crawl; a bad value
is a user error raised as BrowserSetupError with a one-line message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scmap.browser.cookies import COOKIES_ENV, CookieFileError, load_cookies, storage_state
from scmap.browser.profile import PROFILE_ENV, ProfileError, check_profile_dir, persistent_context_kwargs


class BrowserSetupError(ValueError):
    """SCMAP_BROWSER_PROFILE / SCMAP_COOKIES point at something unusable."""


@dataclass(frozen=True)
class ContextPlan:
    """`kwargs`: playwright_context_kwargs for each context. `rotate`: False with a profile
    (one persistent context for the whole run, never closed early)."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    rotate: bool = True
    profile_dir: Path | None = None
    cookie_count: int = 0

    def describe(self) -> str:
        if self.profile_dir is not None:
            return f"browser profile {self.profile_dir}"
        if self.cookie_count:
            return f"{self.cookie_count} cookies from {COOKIES_ENV}"
        return "a fresh browser context (no profile, no cookies)"


def _setting(settings: Any, name: str) -> str | None:
    value = settings.get(name) if settings is not None else None
    return value or os.environ.get(name) or None


def context_plan(settings: Any = None) -> ContextPlan:
    profile = _setting(settings, PROFILE_ENV)
    cookies_file = _setting(settings, COOKIES_ENV)
    try:
        if profile:
            if cookies_file:
                raise BrowserSetupError(
                    f"set {PROFILE_ENV} or {COOKIES_ENV}, not both: import the cookies into the "
                    f"profile once with `python -m scmap.browser login --profile {profile} "
                    f"--cookies {cookies_file}`")
            directory = check_profile_dir(profile)
            return ContextPlan(kwargs=persistent_context_kwargs(directory), rotate=False,
                               profile_dir=directory)
        if cookies_file:
            cookies = load_cookies(cookies_file)
            return ContextPlan(kwargs={"storage_state": storage_state(cookies)},
                               cookie_count=len(cookies))
    except (CookieFileError, ProfileError) as error:
        raise BrowserSetupError(str(error)) from None
    return ContextPlan()
