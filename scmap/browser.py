"""How Chromium is launched and what it may skip loading.

The system Chromium (/usr/bin/chromium) is used when present, because Playwright cannot
download its own browser on every machine; elsewhere Playwright's bundled browser.
"""

from __future__ import annotations

import os
from typing import Any

SYSTEM_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps calling Google services (refused connections offline).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
]

# Nothing a crawler reads is in these; skipping them saves bandwidth and browser memory.
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font"})


def launch_options(executable: str = SYSTEM_CHROMIUM) -> dict[str, Any]:
    """PLAYWRIGHT_LAUNCH_OPTIONS: headless Chromium, the system one when it exists."""
    options: dict[str, Any] = {"headless": True, "args": list(CHROMIUM_ARGS)}
    if os.path.exists(executable):
        options["executable_path"] = executable
    return options


def should_abort_request(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: drop images, media and fonts (a Playwright Request)."""
    return request.resource_type in ABORTED_RESOURCE_TYPES
