"""Bad input refused before any crawling: one plain line saying what is wrong and how to fix it.

`check_crawl(arguments, settings, spider_count)` is run by the project's `scrapy crawl`
(scmap/commands/crawl.py, also what scrapyd jobs run) and by `python -m scmap.crawl` before a
spider starts.
Problems only the crawl can find (every seed unknown to the site) are recorded by the spider as
the stat CRAWL_ERROR_STAT; both commands turn that stat into the same line and a non-zero exit.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping

from scmap import contract
from scmap.browser.contexts import BrowserSetupError, context_plan
from scmap.contract import CRAWL_ERROR_STAT
from scmap.frontier.store_url import is_redis_url, open_store, unreachable_store_message
from scmap.refresh import parse_refresh_days
from scmap.soundcloud.permalinks import split_seeds
from scmap.spiders.arguments import parse_limit, read_seeds
from scmap.spiders.session_mode import parse_mode

SEEDS_EXAMPLE = "-a seeds=artist1,artist2 (SoundCloud permalinks or profile URLs)"


class BadInput(ValueError):
    """A user error, said in one line: what is wrong and how to fix it."""


def check_seeds(text: Any) -> None:
    seeds = split_seeds(text)
    if not seeds:
        raise BadInput(f"no seeds given: name the accounts to start from, e.g. {SEEDS_EXAMPLE}")
    usable, problems = read_seeds(text)
    if not usable:
        raise BadInput(f"no usable seed ({'; '.join(problems)}): use {SEEDS_EXAMPLE}")


def check_limit(value: Any) -> None:
    try:
        parse_limit(value)
    except (TypeError, ValueError):
        raise BadInput(f"bad limit {value!r}: give a positive number or 'all', e.g. -a limit=500") from None


def check_mode(value: Any) -> None:
    try:
        parse_mode(value)
    except ValueError:
        raise BadInput(f"bad mode {value!r}: give -a mode=session (the default), -a mode=http "
                       "or -a mode=scroll") from None


def check_http_mode(arguments: Mapping[str, Any], settings: Any) -> None:
    """-a mode=http: its transport's settings usable (cookies, Chrome target, bootstrap way)."""
    if parse_mode(arguments.get("mode")) != "http":
        return
    from scmap.transport.http import http_setup_error  # curl_cffi: only for this mode

    error = http_setup_error(settings)
    if error:
        raise BadInput(f"-a mode=http: {error}")


def check_refresh(value: Any) -> None:
    try:
        parse_refresh_days(value)
    except (TypeError, ValueError):
        raise BadInput(f"bad refresh {value!r}: give a number of days >= 0, e.g. -a refresh=30") from None


def check_frontier_arguments(arguments: Mapping[str, Any], settings: Any) -> None:
    try:
        contract.crawl_rules(SimpleNamespace(**arguments), settings)
    except (TypeError, ValueError) as error:
        names = ", ".join(f"-a {name}=" for name in contract.FRONTIER_ARGUMENTS if name != "frontier_url")
        raise BadInput(f"bad frontier argument ({error}): check {names}") from None


def check_output_dir(settings: Any) -> None:
    output_dir = Path(contract.setting(settings, "OUTPUT_DIR") or "output")
    existing = next((p for p in (output_dir, *output_dir.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise BadInput(f"OUTPUT_DIR {str(output_dir)!r}: {str(existing)!r} is a file, not a directory;"
                       " choose another with -s OUTPUT_DIR=DIR")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInput(f"OUTPUT_DIR {str(output_dir)!r} cannot be created ({error.strerror}):"
                       " choose another with -s OUTPUT_DIR=DIR") from None


def check_frontier_store(arguments: Mapping[str, Any], settings: Any) -> None:
    """Open and close the store the frontier would use (only when it is the scheduler)."""
    if not contract.scheduler_hands_out_accounts(settings):
        return
    url = contract.store_url(SimpleNamespace(**arguments), settings)
    try:
        open_store(url).close()
    except Exception as error:  # any reason the store cannot be used is the same user error
        raise BadInput(unreachable_store_message(url, error)) from None


def check_browser_setup(settings: Any, spider_count: int = 1) -> None:
    """SCMAP_BROWSER_PROFILE / SCMAP_COOKIES usable (scmap.browser.contexts). A profile serves one
    spider: each spider runs its own Chromium, and Chromium refuses a profile directory already
    in use ("Failed to create a ProcessSingleton")."""
    try:
        plan = context_plan(settings)
    except BrowserSetupError as error:
        raise BadInput(str(error)) from None
    if plan.profile_dir is not None and spider_count > 1:
        raise BadInput(f"SCMAP_BROWSER_PROFILE {str(plan.profile_dir)!r} cannot serve {spider_count} "
                       "spiders at once (Chromium locks a profile directory): crawl with "
                       "SCMAP_COOKIES=cookies.txt, or one spider per profile copy (--spiders likes)")


def check_shared_budget(arguments: Mapping[str, Any], settings: Any) -> None:
    """SCMAP_SHARED_REQUEST_BUDGET lives in the frontier's Redis: it needs a redis:// store."""
    if not settings.getbool("SCMAP_SHARED_REQUEST_BUDGET"):
        return
    if not is_redis_url(contract.store_url(SimpleNamespace(**arguments), settings)):
        raise BadInput("SCMAP_SHARED_REQUEST_BUDGET is kept in the frontier's Redis: set "
                       "FRONTIER_URL=redis://host:6379/0 (or -a frontier_url=...) on every node "
                       "(or leave the shared budget off)")
    if settings.getfloat("DOWNLOAD_DELAY") <= 0:
        raise BadInput("SCMAP_SHARED_REQUEST_BUDGET spreads 1 / DOWNLOAD_DELAY calls a second over the "
                       "crawl: set DOWNLOAD_DELAY above 0 (or leave the shared budget off)")


def check_crawl(arguments: Mapping[str, Any], settings: Any, spider_count: int = 1) -> None:
    """Every check, cheapest first. Raises BadInput."""
    check_seeds(arguments.get("seeds"))
    check_limit(arguments.get("limit"))
    check_mode(arguments.get("mode"))
    check_refresh(arguments.get("refresh"))
    check_frontier_arguments(arguments, settings)
    check_output_dir(settings)
    check_browser_setup(settings, spider_count)
    check_http_mode(arguments, settings)
    check_shared_budget(arguments, settings)
    check_frontier_store(arguments, settings)


def crawl_error(stats: Any) -> str | None:
    """The line a finished crawl recorded as its failure, if any."""
    value = stats.get_value(CRAWL_ERROR_STAT) if stats is not None else None
    return str(value) if value else None


def report(line: str, settings: Any) -> None:
    """The line on stderr, and in LOG_FILE when there is one (a scrapyd job's log)."""
    import sys

    text = f"scmap: error: {line}"
    print(text, file=sys.stderr, flush=True)
    log_file = settings.get("LOG_FILE") if settings is not None else None
    if log_file:
        try:
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(text + "\n")
        except OSError:
            pass  # stderr has it
