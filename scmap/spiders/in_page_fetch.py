"""Requests made from inside a rendered page with `fetch()` (scroll mode: the takeover of a
list the page's own loader gave up on, the DOM fallback's /resolve calls, the JS bundle): the
browser's own cookies, TLS and headers, like the site's own calls. Session mode's calls are
Scrapy Requests run by the page transport (scmap/transport/page.py) instead.

They are not Scrapy Requests, so they honour the process's Retry-After pause themselves
(scmap.transport.retry_after.PROCESS_PAUSE) and a 429 here starts one for every page.
One script for every such fetch: never throws into Playwright; each answer is
`{status, retryAfter, text}` or `{status: 0, error}` ("timeout"). With `keep`, a JSON answer is
cut down to those keys (at every depth) inside the page, before it crosses to Python.
"""

from __future__ import annotations

from typing import Any

from scmap.transport.retry_after import PROCESS_PAUSE, retry_after_seconds

FETCH_JS = """async ([urls, concurrency, timeoutMs, keep]) => {
  const doFetch = (window.__scmapFetch || window.fetch).bind(window);
  const wanted = keep ? new Set(keep) : null;
  const trim = (value) => Array.isArray(value) ? value.map(trim)
    : (value && typeof value === "object")
      ? Object.fromEntries(Object.entries(value).filter(([key]) => wanted.has(key)).map(([key, inner]) => [key, trim(inner)]))
      : value;
  const results = new Array(urls.length);
  let next = 0;
  async function one(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await doFetch(url, {credentials: "include", signal: controller.signal,
                                           headers: {"Accept": "application/json, text/javascript, */*; q=0.01"}});
      let text = await response.text();
      if (wanted && response.status === 200) {
        try { text = JSON.stringify(trim(JSON.parse(text))); } catch (error) { /* Python sees the raw body */ }
      }
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


async def fetch_in_page(page: Any, urls: list[str], timeout: float, concurrency: int = 1,
                        keep: list[str] | None = None, max_retry_after: float | None = None,
                        ) -> list[dict[str, Any]]:
    """One answer dict per URL, in order, `concurrency` at a time, after any Retry-After pause
    of the process. Raises only if the page is gone (Playwright's error): a network fault or
    timeout is an answer with status 0. A 429 pauses every page (capped by `max_retry_after`)."""
    if not urls:
        return []
    await PROCESS_PAUSE.wait()
    answers = await page.evaluate(FETCH_JS, [urls, concurrency, int(timeout * 1000), keep])
    answers = [answer if isinstance(answer, dict) else {} for answer in answers or []]
    for url, answer in zip(urls, answers):
        if int(answer.get("status") or 0) == 429 and max_retry_after is not None:
            PROCESS_PAUSE.pause(retry_after_seconds(answer.get("retryAfter"), max_retry_after),
                                f"429 from {url.split('?', 1)[0]}")
    return answers


async def fetch_one_in_page(page: Any, url: str, timeout: float, keep: list[str] | None = None,
                            max_retry_after: float | None = None) -> dict[str, Any]:
    answers = await fetch_in_page(page, [url], timeout, keep=keep, max_retry_after=max_retry_after)
    return answers[0] if answers else {"status": 0, "error": "no answer"}
