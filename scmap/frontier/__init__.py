"""The crawl frontier: which account each spider visits next.

Seed-then-popularity order (docs/frontier.md): breadth-first from the seeds for the first
`bfs_accounts` visits, then always the unvisited account with the highest weighted number of
interactions received from visited accounts; accounts under `min_followers` are skipped.

- ordering.py      the phase / cap rules (pure functions)
- store.py         the FrontierStore protocol and its dataclasses
- sqlite_store.py  the embedded implementation (one SQLite file shared by all spiders)
- scheduler.py     the Scrapy scheduler (SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler")
- progress.py      periodic log lines and Scrapy stats
"""
