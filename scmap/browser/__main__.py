"""python -m scmap.browser login [--profile DIR] [--url URL] [--cookies FILE] [--timeout S]

Opens a visible Chromium on a persistent profile at the site, so that you accept the cookie
banner and pass any challenge by hand; then saves the profile for the crawl to reuse
(SCMAP_BROWSER_PROFILE=DIR). --cookies also imports a cookies.txt into the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Sequence

from scmap.browser.contexts import BrowserSetupError
from scmap.browser.cookies import CookieFileError
from scmap.browser.login import LoginError, login, report
from scmap.browser.profile import PROFILE_ENV, ProfileError

DEFAULT_PROFILE = "browser-profile"


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from scmap.settings import SOUNDCLOUD_WEB_URL  # the env-aware default, written once

    parser = argparse.ArgumentParser(prog="python -m scmap.browser", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("login", help="make or refresh the browser profile by hand",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("--profile", default=os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE,
                   help=f"profile directory (default ${PROFILE_ENV}, else ./{DEFAULT_PROFILE})")
    p.add_argument("--url", default=SOUNDCLOUD_WEB_URL, help="the site (default SOUNDCLOUD_WEB_URL)")
    p.add_argument("--cookies", default=None, help="also import this Netscape cookies.txt into the profile")
    p.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds (900)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        result = asyncio.run(login(args.profile, args.url, cookies_file=args.cookies, timeout=args.timeout))
    except (LoginError, CookieFileError, ProfileError, BrowserSetupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(result))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
