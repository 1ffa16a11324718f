"""python -m scmap.doctor [--web-url URL] [--api-url URL] [--account PERMALINK] [--json]

Opens the account's profile and its likes / comments / reposts / following pages in real
Chromium (with SCMAP_BROWSER_PROFILE or SCMAP_COOKIES when set, as the crawl would) and checks
them against what scmap's parsers expect: the page loads, the consent banner, the hydration
and its format, the client_id, one list call per interaction (route, envelope, cursor,
fields), and whether the bot wall challenged. Prints a table and what to do for each failure;
exits 1 if any check fails, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from typing import Sequence

from scmap.browser.contexts import BrowserSetupError, context_plan
from scmap.doctor.checks import (
    Check,
    check_challenge,
    check_client_id,
    check_consent,
    check_hydration,
    check_list,
    check_page,
)
from scmap.doctor.probe import ListTarget, Observations, observe

DEFAULT_ACCOUNT = "soundcloud"  # SoundCloud's own account: public, with every kind of list


def list_targets() -> list[tuple[ListTarget, str]]:
    """What the spiders read (their own class attributes: one fact), with the file to edit."""
    from scmap.spiders.comments import CommentsSpider
    from scmap.spiders.follows import FollowsSpider
    from scmap.spiders.likes import LikesSpider
    from scmap.spiders.reposts import RepostsSpider

    targets = []
    for spider in (LikesSpider, CommentsSpider, RepostsSpider, FollowsSpider):
        module_file = "scmap/spiders/" + spider.__module__.rsplit(".", 1)[-1] + ".py"
        targets.append((ListTarget(spider.interaction, spider.page_path, spider.api_route), module_file))
    return targets


def run_checks(observations: Observations, targets: list[tuple[ListTarget, str]]) -> list[Check]:
    profile = observations.profile
    checks = [check_page(profile), check_challenge([profile, *observations.lists.values()])]
    if profile.status != 200:
        return checks
    hydration_check, hydration = check_hydration(profile.html)
    calls = [call for visit in observations.lists.values() for call in visit.api_calls]
    checks += [check_consent(profile), hydration_check,
               check_client_id(hydration, observations.bundle_client_id, calls)]
    for target, module_file in targets:
        visit = observations.lists.get(target.interaction)
        if visit is not None:
            checks.append(check_list(target.interaction, target.route, target.page_path, visit, module_file))
    return checks


def table(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = [f"{'check'.ljust(width)}  result  detail", f"{'-' * width}  ------  ------"]
    lines += [f"{check.name.ljust(width)}  {check.result.ljust(6)}  {check.detail}" for check in checks]
    failed = [check for check in checks if not check.ok]
    if failed:
        lines += ["", "What to do:"] + [f"- {check.name}: {check.fix}" for check in failed]
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from scmap.settings import SOUNDCLOUD_API_URL, SOUNDCLOUD_WEB_URL  # env-aware defaults, written once

    parser = argparse.ArgumentParser(prog="python -m scmap.doctor", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web-url", default=SOUNDCLOUD_WEB_URL, help="the site (default SOUNDCLOUD_WEB_URL)")
    parser.add_argument("--api-url", default=SOUNDCLOUD_API_URL, help="its api-v2 (default SOUNDCLOUD_API_URL)")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=f"an account with public lists ({DEFAULT_ACCOUNT})")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per page (20)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON instead of a table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        plan = context_plan(None)
    except BrowserSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    web_url, api_url = args.web_url.rstrip("/"), args.api_url.rstrip("/")
    targets = list_targets()
    print(f"scmap doctor: {web_url} (api {api_url}), account {args.account}, with {plan.describe()}",
          file=sys.stderr)
    try:
        observations = asyncio.run(observe(web_url, api_url, args.account, [t for t, _ in targets], plan,
                                           timeout=args.timeout))
    except Exception as error:  # the browser itself could not start
        print(f"error: the browser could not run: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    checks = run_checks(observations, targets)
    if args.json:
        print(json.dumps([asdict(check) for check in checks], indent=1))
    else:
        print(table(checks))
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
