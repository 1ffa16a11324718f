"""The doctor's checks: pure functions from what a browser saw on the site (probe.py) to a
verdict, a detail and what to do. Each names the drift it finds (docs/real-site.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from scmap.soundcloud.challenge import recognise_challenge
from scmap.soundcloud.client_id import client_id_from_url
from scmap.soundcloud.collections import CollectionError, cursor_of, parse_collection
from scmap.soundcloud.edges import Source, edges_from_items
from scmap.soundcloud.hydration import parse_hydration

OK, FAIL = "ok", "FAIL"
WAYS_THROUGH = ("log in once with a profile (`python -m scmap.browser login --profile DIR`, then "
                "SCMAP_BROWSER_PROFILE=DIR) or give your browser's cookies (SCMAP_COOKIES=cookies.txt); "
                "slow down; a home connection is challenged less than a datacenter")
# Another top-level array assigned on window.__sc_*: a renamed hydration.
_OTHER_SC_ARRAY = re.compile(r"window\.(__sc_\w+)\s*=\s*\[")
# What each list's items must carry for the edges to be complete (follows have no time).
TIMED_INTERACTIONS = ("likes", "comments", "reposts")


@dataclass
class ApiCall:
    url: str
    path: str  # relative to the API URL, without the query
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class PageVisit:
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    html: str = ""  # what the server sent (before JavaScript)
    api_calls: list[ApiCall] = field(default_factory=list)
    banner_shown: bool = False
    banner_accepted: bool = False
    error: str | None = None


@dataclass
class Check:
    name: str
    result: str  # OK / FAIL
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.result == OK


def ok(name: str, detail: str) -> Check:
    return Check(name, OK, detail)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, FAIL, detail, fix)


def check_page(visit: PageVisit) -> Check:
    name = "page loads"
    if visit.error:
        return fail(name, f"{visit.url}: {visit.error}", "check the address (SOUNDCLOUD_WEB_URL / --web-url) and the network")
    if visit.status == 200:
        return ok(name, f"200 {visit.url}")
    if recognise_challenge(visit.status or 0, visit.headers, visit.html):
        return fail(name, f"{visit.status} {visit.url}: a DataDome challenge", "see `bot wall`")
    if visit.status in (404, 410):
        return fail(name, f"{visit.status} {visit.url}: no such account", "pass an existing account with --account")
    return fail(name, f"{visit.status} {visit.url}", "retry later; if it stays, the site may be down or blocking this address")


def check_challenge(visits: list[PageVisit]) -> Check:
    name = "bot wall"
    for visit in visits:
        found = recognise_challenge(visit.status or 0, visit.headers, visit.html)
        if found:
            return fail(name, f"{found.kind} ({found.shape}) on {visit.url}", WAYS_THROUGH)
        for call in visit.api_calls:
            found = recognise_challenge(call.status, call.headers, call.body)
            if found:
                return fail(name, f"{found.kind} ({found.shape}) on api {call.path}", WAYS_THROUGH)
    return ok(name, "no challenge")


def check_consent(visit: PageVisit) -> Check:
    name = "consent banner"
    if visit.banner_shown and not visit.banner_accepted:
        return fail(name, "shown, but its accept button did not work",
                    "the OneTrust banner changed: update COOKIE_ACCEPT_SELECTOR (scmap/spiders/list_page.py)")
    if visit.banner_accepted:
        return ok(name, "shown and accepted")
    return ok(name, "not shown (no banner in this region, or consent already given)")


def check_hydration(html: str) -> tuple[Check, Any]:
    name = "hydration"
    hydration = parse_hydration(html)
    if hydration.entries:
        if not hydration.user:
            return fail(name, f"window.__sc_hydration has no `user` entry (entries: {', '.join(sorted(hydration.entries))})",
                        "the profile's user moved inside the hydration: update scmap/soundcloud/hydration.py"), hydration
        return ok(name, f"window.__sc_hydration (current format), {len(hydration.entries)} entries, "
                        f"user id {hydration.user.get('id')}"), hydration
    if hydration.user:
        return ok(name, f"old rehydration-module format, user id {hydration.user.get('id')}"), hydration
    others = sorted(set(_OTHER_SC_ARRAY.findall(html)) - {"__sc_hydration"})
    if others:
        return fail(name, f"hydration renamed: no window.__sc_hydration, but window.{others[0]} = [...]",
                    f"teach scmap/soundcloud/hydration.py the new name ({others[0]}); until then accounts "
                    "are keyed from the API URLs only"), hydration
    return fail(name, "no hydration found (neither window.__sc_hydration nor the old format)",
                "the page format changed: look at a saved page and update scmap/soundcloud/hydration.py"), hydration


def check_client_id(hydration: Any, bundle_client_id: str | None, calls: list[ApiCall]) -> Check:
    name = "client_id"
    if getattr(hydration, "client_id", None):
        return ok(name, "from hydration apiClient")
    if bundle_client_id:
        return ok(name, "from the JS bundle")
    for call in calls:
        if client_id_from_url(call.url):
            return ok(name, "from the page's own api-v2 calls")
    return fail(name, "not in hydration, bundle nor the page's calls",
                "the DOM fallback cannot resolve ids; see scmap/soundcloud/client_id.py")


def _list_like(call: ApiCall) -> bool:
    try:
        parse_collection(call.body)
    except CollectionError:
        return False
    return True


def check_list(interaction: str, route: str, page_path: str, visit: PageVisit, spider_file: str) -> Check:
    """The page's first list call for `interaction`: route, status, envelope, cursor, items."""
    name = f"list: {interaction}"
    pattern = re.compile(route)
    matching = [call for call in visit.api_calls if pattern.search(call.path)]
    if not matching:
        others = [call.path for call in visit.api_calls if _list_like(call)]
        if others:
            return fail(name, f"list route moved: the page fetched its list from {others[0]}, which does not "
                              f"match {route}", f"update api_route in {spider_file}")
        seen = ", ".join(sorted({call.path for call in visit.api_calls})[:4]) or "none"
        return fail(name, f"the /{page_path} page made no list call (api-v2 calls seen: {seen})",
                    "a challenge, a page that no longer loads its list, or a moved API host (SOUNDCLOUD_API_URL)")
    call = matching[0]
    if call.status != 200:
        found = recognise_challenge(call.status, call.headers, call.body)
        return fail(name, f"{call.status} on {call.path}" + (" (DataDome challenge)" if found else ""),
                    WAYS_THROUGH if found else "retry later; 401 means the client_id went stale")
    try:
        data = json.loads(call.body)
        page = parse_collection(call.body)
    except (CollectionError, ValueError) as error:
        return fail(name, f"envelope changed on {call.path}: {error}", "update scmap/soundcloud/collections.py")
    if "next_href" not in data:
        return fail(name, f"envelope changed on {call.path}: no `next_href` key",
                    "pagination changed: update scmap/soundcloud/collections.py")
    if page.next_href is not None and cursor_of(page.next_href) is None:
        return fail(name, f"next_href without an offset cursor: {page.next_href[:120]}",
                    "pagination changed: update scmap/soundcloud/collections.py")
    items = page.collection
    if interaction in TIMED_INTERACTIONS and items:
        missing = sum(1 for item in items if "created_at" not in item)
        if missing:
            return fail(name, f"field dropped: created_at missing in {missing}/{len(items)} items",
                        "edges would have no time: find the new field and update scmap/soundcloud/edges.py")
    edges, skipped = edges_from_items(interaction, items, Source(id=0, permalink="doctor"))
    if skipped and not edges:
        return fail(name, f"items no longer map to edges ({', '.join(f'{k} x{v}' for k, v in skipped.items())})",
                    "the item shape changed: update scmap/soundcloud/edges.py")
    cursor = "last page" if page.next_href is None else "offset cursor"
    note = f", {sum(skipped.values())} unmappable" if skipped else ""
    return ok(name, f"{call.path}: {len(items)} items -> {len(edges)} edges{note}, {cursor}")
