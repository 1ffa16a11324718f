"""Requests made from inside a rendered page with `fetch()`: the browser's own cookies, TLS and
headers, like the site's own calls (Playwright's context.request is not the browser's network
stack). They bypass Scrapy's downloader, so DOWNLOAD_DELAY / AutoThrottle do not pace them:
the process's request budget (scmap.pacing) does, here, for every one of them, and a 429
answer pauses every page of the process for its Retry-After.

One script for every such fetch (list pages, /resolve, the JS bundle, session mode's calls):
never throws into Playwright; each answer is `{status, retryAfter, text}` or `{status: 0, error}`
("timeout"), plus `waited` (seconds the budget held it). With `keep`, a JSON answer is cut
down to those keys (at every depth) inside the page, before it crosses to Python; a body that
does not parse comes back as it was, so Python sees the truncation.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scmap.pacing import RequestBudget, current_budget, retry_after_seconds

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
                        keep: list[str] | None = None, budget: RequestBudget | None = None,
                        ) -> list[dict[str, Any]]:
    """One answer dict per URL, in order, `concurrency` at a time, each sent when the request
    budget (`budget`, else the process's) lets it. Raises only if the page is gone
    (Playwright's error): a network fault or timeout is an answer with status 0."""
    if not urls:
        return []
    budget = budget if budget is not None else current_budget()
    timeout_ms = int(timeout * 1000)
    if budget is None:  # no crawl in this process (a tool, a unit test): nothing to pace
        answers = await page.evaluate(FETCH_JS, [urls, concurrency, timeout_ms, keep])
        return [answer if isinstance(answer, dict) else {} for answer in answers or []]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(url: str) -> dict[str, Any]:
        async with gate:
            waited = await budget.acquire()
            answers = await page.evaluate(FETCH_JS, [[url], 1, timeout_ms, keep])
        answer = answers[0] if answers and isinstance(answers[0], dict) else {}
        answer["waited"] = waited
        if int(answer.get("status") or 0) == 429:  # everyone waits, not only this page
            budget.pause(retry_after_seconds(answer.get("retryAfter"), 1, budget.max_pause),
                         f"429 from {url.split('?', 1)[0]}")
        return answer

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_one_in_page(page: Any, url: str, timeout: float, keep: list[str] | None = None,
                            budget: RequestBudget | None = None) -> dict[str, Any]:
    answers = await fetch_in_page(page, [url], timeout, keep=keep, budget=budget)
    return answers[0] if answers else {"status": 0, "error": "no answer"}
