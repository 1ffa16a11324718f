"""The headers of an http-transport call: the impersonated Chrome's own, shaped like the
browser's fetch() from a soundcloud.com page (docs/soundcloud-web.md 1.2).

curl_cffi's Chrome targets send that Chrome's User-Agent, its client hints (`sec-ch-ua`,
`sec-ch-ua-mobile`, `sec-ch-ua-platform`), Accept-Encoding and Accept-Language by themselves,
matching the target's TLS and HTTP/2 fingerprint, but shaped as a document navigation
(`Sec-Fetch-Mode: navigate`, `Upgrade-Insecure-Requests`...). So:
- what Scrapy put on the request for those names (USER_AGENT = scmap's honest name,
  DefaultHeadersMiddleware's Accept-Language, HttpCompressionMiddleware's Accept-Encoding) is
  dropped: it would contradict the fingerprint, and curl only decodes what it asked for itself;
- an api-v2 call gets the XHR headers (Accept, Sec-Fetch-*, Referer, Origin when cross-origin)
  and the navigation-only ones are switched off (a None value: curl sends no such header);
- with a `datadome` cookie, its value also goes in `x-datadome-clientid`, as the page's
  DataDome tag adds it to the site's own XHRs (docs/real-site.md, "The bot wall").
"""

from __future__ import annotations

from typing import Mapping
from urllib.parse import urlsplit

API_ACCEPT = "application/json, text/javascript, */*; q=0.01"
DATADOME_COOKIE = "datadome"
DATADOME_CLIENT_ID_HEADER = "x-datadome-clientid"
# Sent by the impersonated browser itself (curl_cffi's target), never taken from the request.
BROWSER_OWNED = frozenset({
    "user-agent", "accept-encoding", "accept-language", "sec-ch-ua", "sec-ch-ua-mobile",
    "sec-ch-ua-platform", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user",
    "upgrade-insecure-requests", "cookie", DATADOME_CLIENT_ID_HEADER,
})
# curl_cffi's Chrome defaults that only a navigation sends; fetch() never does.
NAVIGATION_ONLY = ("Upgrade-Insecure-Requests", "Sec-Fetch-User", "Cache-Control")

API, DOCUMENT, SCRIPT = "api", "document", "script"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def fetch_site(url: str, web_url: str) -> str:
    """`Sec-Fetch-Site` of a call from a page of `web_url`: same-origin, same-site, cross-site.
    (Same site here = the page's host or a subdomain of it: api-v2.soundcloud.com.)"""
    scheme, host, port = _origin(url)
    web_scheme, web_host, web_port = _origin(web_url)
    if (scheme, host, port) == (web_scheme, web_host, web_port):
        return "same-origin"
    if scheme == web_scheme and (host == web_host or host.endswith("." + web_host.removeprefix("www."))):
        return "same-site"
    return "cross-site"


def call_headers(kind: str, url: str, web_url: str, request_headers: Mapping[str, str],
                 cookie: str | None = None) -> dict[str, str | None]:
    """The headers to give curl_cffi for one call (`kind`: API, DOCUMENT or SCRIPT); None
    switches off a header the target would add by itself."""
    headers: dict[str, str | None] = {name: value for name, value in request_headers.items()
                                      if name.lower() not in BROWSER_OWNED}
    if cookie:
        headers["Cookie"] = cookie
    if kind == DOCUMENT:  # curl's Chrome target is a navigation already (its own Accept too)
        for name in [name for name in headers if name.lower() == "accept"]:
            del headers[name]
        return headers
    for name in NAVIGATION_ONLY:
        headers[name] = None
    site = fetch_site(url, web_url)
    headers.update({"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "cors",
                    "Sec-Fetch-Dest": "script" if kind == SCRIPT else "empty"})
    if kind == API:
        headers.update({"Accept": API_ACCEPT, "Referer": web_url.rstrip("/") + "/"})
        if site != "same-origin":
            headers["Origin"] = web_url.rstrip("/")
        datadome = cookie_value(cookie, DATADOME_COOKIE)
        if datadome:
            headers[DATADOME_CLIENT_ID_HEADER] = datadome
    else:
        headers["Accept"] = "*/*"
    return headers


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    for pair in (cookie_header or "").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return None
