"""Requests made from inside a rendered page with `fetch()`: the browser's own cookies, TLS and
headers, like the site's own calls (Playwright's context.request is not the browser's network
stack). They bypass Scrapy's downloader, so DOWNLOAD_DELAY / AutoThrottle do not pace them:
callers keep them few (a list's continuation, at most `limit` resolves).

One script for every such fetch (list pages, /resolve, the JS bundle): never throws into
Playwright; each answer is `{status, retryAfter, text}` or `{status: 0, error}` ("timeout").
"""

from __future__ import annotations

from typing import Any

FETCH_JS = """async ([urls, concurrency, timeoutMs]) => {
  const doFetch = (window.__scmapFetch || window.fetch).bind(window);
  const results = new Array(urls.length);
  let next = 0;
  async function one(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await doFetch(url, {credentials: "include", signal: controller.signal,
                                           headers: {"Accept": "application/json, text/javascript, */*; q=0.01"}});
      const text = await response.text();
      return {status: response.status, retryAfter: response.headers.get("Retry-After"), text};
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

# On takeover the page's own loader is muted for api URLs (its requests never settle), so it
# does not keep retrying while we honour a Retry-After: one polite client per page, not two.
# Our fetches go through the saved real fetch (window.__scmapFetch).
MUTE_PAGE_LOADER_JS = """(apiUrl) => {
  if (window.__scmapFetch) return;
  const realFetch = window.fetch.bind(window);
  window.__scmapFetch = realFetch;
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    return url.startsWith(apiUrl) ? new Promise(() => {}) : realFetch(input, init);
  };
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__scmapMuted = String(url).startsWith(apiUrl);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    return this.__scmapMuted ? undefined : send.apply(this, arguments);
  };
}"""


async def fetch_in_page(page: Any, urls: list[str], timeout: float, concurrency: int = 1) -> list[dict[str, Any]]:
    """One answer dict per URL, in order, `concurrency` at a time. Raises only if the page is
    gone (Playwright's error): a network fault or timeout is an answer with status 0."""
    if not urls:
        return []
    answers = await page.evaluate(FETCH_JS, [urls, concurrency, int(timeout * 1000)])
    return [answer if isinstance(answer, dict) else {} for answer in answers or []]


async def fetch_one_in_page(page: Any, url: str, timeout: float) -> dict[str, Any]:
    answers = await fetch_in_page(page, [url], timeout)
    return answers[0] if answers else {"status": 0, "error": "no answer"}
