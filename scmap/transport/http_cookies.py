"""The http transport's cookies: those of the client the site trusts (SCMAP_COOKIES, or the
bootstrap page's browser context, DataDome's `datadome` among them), kept in a cookie jar that
also learns what the site sets later (DataDome renews its cookie), so every api-v2 call carries
the current ones. Scrapy's own CookieJar does the RFC work (domains, paths, expiry).
"""

from __future__ import annotations

import http.cookiejar
from typing import Any, Iterable

from scrapy import Request
from scrapy.http import Response
from scrapy.http.cookies import CookieJar


def _jar_cookie(cookie: dict[str, Any]) -> http.cookiejar.Cookie:
    """A Playwright cookie dict (scmap.browser.cookies, `context.cookies()`) as a jar cookie."""
    domain = str(cookie["domain"])
    expires = cookie.get("expires")
    expires = int(expires) if expires is not None and float(expires) >= 0 else None  # -1: session
    return http.cookiejar.Cookie(
        version=0, name=str(cookie["name"]), value=str(cookie.get("value") or ""), port=None,
        port_specified=False, domain=domain, domain_specified=domain.startswith("."),
        domain_initial_dot=domain.startswith("."), path=str(cookie.get("path") or "/"),
        path_specified=True, secure=bool(cookie.get("secure")), expires=expires,
        discard=expires is None, comment=None, comment_url=None,
        rest={"HttpOnly": ""} if cookie.get("httpOnly") else {})


class ApiCookies:
    def __init__(self, cookies: Iterable[dict[str, Any]] = ()) -> None:
        # A cookie without a leading dot is the browser's host-only cookie (Playwright's rule),
        # not the lax Netscape reading that would send soundcloud.com's to api-v2 too.
        self._jar = CookieJar(policy=http.cookiejar.DefaultCookiePolicy(
            strict_ns_domain=http.cookiejar.DefaultCookiePolicy.DomainStrictNonDomain))
        for cookie in cookies:
            self._jar.set_cookie(_jar_cookie(cookie))

    def __len__(self) -> int:
        return len(self._jar)

    def header_for(self, request: Request) -> str | None:
        """The Cookie header for `request`: the jar's cookies for its URL, plus any other the
        request already carries (Scrapy's CookiesMiddleware); the jar's win on a shared name."""
        probe = Request(request.url)
        self._jar.add_cookie_header(probe)
        ours = (probe.headers.get("Cookie") or b"").decode("latin-1")
        names = {pair.split("=", 1)[0].strip() for pair in ours.split(";") if pair.strip()}
        theirs = [pair.strip() for pair in (request.headers.get("Cookie") or b"").decode("latin-1").split(";")
                  if pair.strip() and pair.split("=", 1)[0].strip() not in names]
        return "; ".join([pair for pair in [ours, *theirs] if pair]) or None

    def learn(self, response: Response, request: Request) -> None:
        """Keep what the site set (Set-Cookie) for the next calls."""
        self._jar.extract_cookies(response, request)
