"""Where the project's shared material is: `../shared` beside the clone (as in CI).

SCMAP_SHARED_DIR overrides it. Tests that need the real captures skip only when that folder is
absent, and say so.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    configured = os.environ.get("SCMAP_SHARED_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [REPO.parent / "shared"]
    return next((path for path in candidates if path.is_dir()), candidates[0])


CAPTURES = shared_dir() / "realdata" / "soundcloud-captures"
