"""The crawl frontier: which account each spider visits next.

Seed-then-popularity order (docs/frontier.md): breadth-first from the seeds for the first
`bfs_accounts` visits, then always the unvisited account with the highest weighted number of
interactions received from visited accounts; accounts under `min_followers` are skipped.

- ordering.py      the phase / cap / follower-skip rules (pure functions)
- store.py         the FrontierStore protocol, its dataclasses and pick statuses
- store_url.py     open_store(url): which store a URL names; Redis URLs and password masking
- owner.py         owner tokens of picks, dead local holders
- sqlite_store.py  the embedded implementation (one SQLite file shared by all spiders)
- redis_store.py   the Redis implementation for several nodes (redis_scripts.py: its Lua)
- scheduler.py     the Scrapy scheduler (SCHEDULER = "scmap.frontier.scheduler.FrontierScheduler")
- progress.py      periodic log lines and Scrapy stats

What spiders and the frontier agree on is scmap/contract.py; docs/frontier.md has the details.
"""
