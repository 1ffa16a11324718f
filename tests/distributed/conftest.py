"""The scrapyd end-to-end tests start their own Redis (tests/frontier/redis_server.py)."""
