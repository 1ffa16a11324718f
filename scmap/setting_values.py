"""A setting's value, with its default written once: in scmap/settings.py.

A crawl run with a bare `Settings()` (tests, another project embedding the spiders) lacks the
project's values; these helpers fall back to scmap/settings.py instead of each call site
repeating the number. Asking for a name that has no default there is a programming error
(tests/test_settings_defaults.py holds the package to it)."""

from __future__ import annotations

from typing import Any

from scmap import settings as project_settings


def default(name: str) -> Any:
    """The project default of setting `name` (KeyError when scmap/settings.py has none)."""
    try:
        return getattr(project_settings, name)
    except AttributeError:
        raise KeyError(f"setting {name} has no default in scmap/settings.py") from None


def setting(settings: Any, name: str) -> Any:
    """`settings[name]`, or the project default when `settings` lacks it (or is None)."""
    value = settings.get(name) if settings is not None else None
    return getattr(project_settings, name, None) if value is None else value


def float_setting(settings: Any, name: str) -> float:
    return settings.getfloat(name, default(name))


def int_setting(settings: Any, name: str) -> int:
    return settings.getint(name, default(name))


def bool_setting(settings: Any, name: str) -> bool:
    return settings.getbool(name, default(name))
