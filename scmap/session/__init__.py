"""Reading lists inside a live browser session (`-a mode=session`, docs/session-mode.md).

One rendered soundcloud.com page per browser context stays open (cookie banner accepted once,
the page's own client_id and app version read once); each account's list is read by calling
the api-v2 endpoints the web client calls, with `fetch()` from inside that page, so every call
has the browser's own network stack, cookies, origin and headers.

- pool.py     the process's Chromium, its contexts and their session pages (rotation, blocking)
- reader.py   one account: its user object, then its list pages (paced, retried)
"""
