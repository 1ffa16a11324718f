"""How scmap's requests reach the site: transports behind ONE Scrapy download handler
(handler.py, docs/architecture.md "Transports").

A request names its transport in `request.meta[TRANSPORT_META_KEY]`:

- `"page"` (PAGE): session mode's api-v2 calls, run as `fetch()` inside a live page of
  scrapy-playwright's own browser (page.py);
- `"http"` (HTTP): the impersonating transport of `-a mode=http` (scmap/transport/http.py);
- absent: scrapy-playwright as usual (a rendered page with `meta["playwright"]`, else plain HTTP).

Every transport returns an ordinary Scrapy Response (real status, headers, body), so Scrapy's
downloader middlewares (retry, cache, throttle, scmap's own in middlewares.py) see every call.
"""

TRANSPORT_META_KEY = "scmap_transport"
PAGE = "page"
HTTP = "http"
# api-v2 is one download slot (DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN, AutoThrottle).
API_SLOT = "api-v2"
# Keys a JSON answer is cut down to inside the page before it crosses to Python (optional).
KEEP_KEYS_META_KEY = "scmap_keep_keys"


def is_api_request(request: object) -> bool:
    """An api-v2 call sent through Scrapy's downloader (any transport)."""
    return getattr(request, "meta", {}).get("download_slot") == API_SLOT
