"""The DOM fallback, in the browser: when no api-v2 JSON at all was captured for a list, read
the rendered entries (cut at the limit) and resolve their hrefs to real ids through the site's
api-v2 `/resolve`, fetched inside the page (scmap.spiders.in_page_fetch), at most `limit`
resolves, a few at a time. The mapping to edges is pure: scmap/soundcloud/dom_edges.py.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from scmap.soundcloud.client_id import bundle_script_urls, client_id_from_bundle
from scmap.soundcloud.dom import DOM_READERS
from scmap.soundcloud.dom_edges import DomRead, paths_to_resolve, resolve_url
from scmap.spiders.in_page_fetch import fetch_in_page

logger = logging.getLogger(__name__)

RESOLVE_CONCURRENCY = 4


async def read_dom(page: Any, interaction: str, limit: int | None, html: str, client_id: str | None,
                   api_url: str, web_url: str, timeout: float) -> DomRead:
    """The rendered entries and what their hrefs resolved to. Resolving never raises; its
    problems are counted in `errors` (stat names under `dom_fallback/`)."""
    entries = DOM_READERS[interaction](await page.content())
    if limit is not None:
        entries = entries[:limit]
    read = DomRead(entries=entries)
    paths = paths_to_resolve(entries)
    if not paths:
        return read
    if not client_id:
        try:
            client_id = await client_id_from_page_bundle(page, html, timeout)
        except Exception as error:
            logger.warning("client_id from the bundle failed: %r", error)
    if not client_id:
        logger.error("No client_id for resolving %d DOM entries", len(paths))
        read.errors["resolve_errors/no_client_id"] += len(paths)
        return read
    read.client_id = client_id
    read.resolved, errors = await resolve_paths(page, api_url, web_url, client_id, paths, timeout)
    read.errors.update(errors)
    read.errors["resolves"] += len(paths)
    return read


async def client_id_from_page_bundle(page: Any, html: str, timeout: float) -> str | None:
    """The client id written in the page's JS bundle (last bundle first), fetched in the page."""
    urls = bundle_script_urls(html)[:3]
    if not urls:
        return None
    for answer in await fetch_in_page(page, urls, timeout):
        if answer.get("status") == 200:
            found = client_id_from_bundle(answer.get("text") or "")
            if found:
                return found
    return None


async def resolve_paths(page: Any, api_url: str, web_url: str, client_id: str, paths: list[str],
                        timeout: float, concurrency: int = RESOLVE_CONCURRENCY,
                        ) -> tuple[dict[str, dict[str, Any]], Counter[str]]:
    """`path -> resolved object` for the paths that resolved; errors counted by kind."""
    errors: Counter[str] = Counter()
    if not paths:
        return {}, errors
    urls = [resolve_url(api_url, web_url, path, client_id) for path in paths]
    try:
        answers = await fetch_in_page(page, urls, timeout, concurrency)
    except Exception as error:  # a dead page: nothing resolved, the caller goes on
        logger.warning("resolving %d DOM entries failed: %r", len(paths), error)
        errors["resolve_errors/page"] += len(paths)
        return {}, errors
    resolved: dict[str, dict[str, Any]] = {}
    for path, answer in zip(paths, answers):
        status = int(answer.get("status") or 0)
        if status != 200:
            errors[f"resolve_errors/{'http_' + str(status) if status else 'network'}"] += 1
            logger.info("resolve %s: HTTP %s %s", path, status, answer.get("error") or "")
            continue
        try:
            value = json.loads(answer.get("text") or "")
        except ValueError:
            errors["resolve_errors/bad_json"] += 1
            continue
        if not isinstance(value, dict) or value.get("id") is None:
            errors["resolve_errors/no_object"] += 1
            continue
        resolved[path] = value
    return resolved, errors
