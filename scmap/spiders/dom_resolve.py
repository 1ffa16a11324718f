"""DOM fallback with real ids: resolve the rendered entries' hrefs through the site's api-v2.

The rendered DOM carries hrefs (`/{artist}/{track}`, `/{artist}/sets/{playlist}`, `/{user}`)
and names, no numeric ids. The page's own API resolves them: `GET {api}/resolve?url={web}{path}
&client_id=...` answers the full track / playlist / user object (docs/soundcloud-web.md 1), which
is what the list JSON would have carried; the edges are then built by the same mappers as the
JSON path (scmap.soundcloud.edges). Fetched with `fetch()` inside the page (the browser's
cookies, TLS and headers), at most `len(paths)` (<= limit) resolves, a few at a time.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from scmap.soundcloud.client_id import bundle_script_urls, client_id_from_bundle
from scmap.soundcloud.dom import DomEntry
from scmap.soundcloud.edges import EDGE_MAPPERS, Edge, Source, Unmappable

logger = logging.getLogger(__name__)

RESOLVE_CONCURRENCY = 4

# Fetch `urls` inside the page, `concurrency` at a time; never throws into Playwright.
_RESOLVE_JS = """async ([urls, concurrency, timeoutMs]) => {
  const doFetch = (window.__scmapFetch || window.fetch).bind(window);
  const results = new Array(urls.length);
  let next = 0;
  async function one(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await doFetch(url, {credentials: "include", signal: controller.signal,
                                           headers: {"Accept": "application/json, text/javascript, */*; q=0.01"}});
      return {status: response.status, text: await response.text()};
    } catch (error) {
      return {status: 0, error: String(error && error.name === "AbortError" ? "timeout" : error)};
    } finally {
      clearTimeout(timer);
    }
  }
  async function worker() {
    while (next < urls.length) { const i = next++; results[i] = await one(urls[i]); }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(concurrency, urls.length))}, worker));
  return results;
}"""


@dataclass
class DomRead:
    """The fallback's entries (list order, cut at the limit) and what resolving gave."""

    entries: list[DomEntry]
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)  # object_path -> API object
    errors: Counter[str] = field(default_factory=Counter)  # stat name -> count
    client_id: str | None = None


def resolve_url(api_url: str, web_url: str, path: str, client_id: str) -> str:
    return f"{api_url}/resolve?url={quote(web_url + path, safe='')}&client_id={quote(client_id)}"


def paths_to_resolve(entries: list[DomEntry]) -> list[str]:
    """Unique hrefs of the entries the markup gave no ids for, in list order."""
    paths: list[str] = []
    for entry in entries:
        if (entry.dst_id is None or entry.object_id is None) and entry.object_path \
                and entry.object_path not in paths:
            paths.append(entry.object_path)
    return paths


async def client_id_from_page_bundle(page: Any, html: str, timeout: float) -> str | None:
    """The client id written in the page's JS bundle (last bundle first), fetched in the page."""
    urls = bundle_script_urls(html)[:3]
    if not urls:
        return None
    answers = await page.evaluate(_RESOLVE_JS, [urls, 1, int(timeout * 1000)])
    for answer in answers or []:
        if isinstance(answer, dict) and answer.get("status") == 200:
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
        answers = await page.evaluate(_RESOLVE_JS, [urls, concurrency, int(timeout * 1000)])
    except Exception as error:  # a dead page: nothing resolved, the caller goes on
        logger.warning("resolving %d DOM entries failed: %r", len(paths), error)
        errors["resolve_errors/page"] += len(paths)
        return {}, errors
    resolved: dict[str, dict[str, Any]] = {}
    for path, answer in zip(paths, answers or []):
        answer = answer if isinstance(answer, dict) else {}
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


def _item_for(interaction: str, entry: DomEntry, obj: dict[str, Any]) -> dict[str, Any]:
    """The list item the JSON path would have had for this entry (same mapper afterwards)."""
    kind = obj.get("kind")
    if interaction == "follows":
        if kind not in (None, "user"):
            raise Unmappable("resolved_wrong_kind", f"{entry.object_path} is a {kind}")
        return obj
    if kind not in ("track", "playlist") or (interaction == "comments" and kind != "track"):
        raise Unmappable("resolved_wrong_kind", f"{entry.object_path} is a {kind}")
    item: dict[str, Any] = {"created_at": entry.created_at, kind: obj}
    if interaction == "reposts":
        item["type"] = f"{kind}-repost"
    return item


def edges_from_dom(interaction: str, read: DomRead, source: Source) -> tuple[list[Edge], Counter[str]]:
    """Edges of the DOM entries, in list order: ids from the markup where it had them, else from
    the resolved objects; entries without either are counted, not guessed."""
    mapper = EDGE_MAPPERS[interaction]
    edges: list[Edge] = []
    skipped: Counter[str] = Counter()
    for entry in read.entries:
        if entry.dst_id is not None and entry.object_id is not None:
            edges.append({
                "src_id": source.id, "src_permalink": source.permalink, "dst_id": entry.dst_id,
                "dst_permalink": entry.dst_permalink, "dst_username": entry.dst_username,
                "dst_followers_count": None, "interaction": interaction,
                "object_kind": entry.object_kind, "object_id": entry.object_id,
                "created_at": entry.created_at,
            })
            continue
        obj = read.resolved.get(entry.object_path or "")
        if obj is None:
            skipped["unresolved"] += 1
            continue
        try:
            edges.append(mapper(_item_for(interaction, entry, obj), source))
        except Unmappable as error:
            skipped[error.reason] += 1
    return edges, skipped
