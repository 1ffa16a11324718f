"""Store fixtures parametrised over SQLite and Redis (a real redis-server on a free loopback
port, started once per session with a password), for tests that take `frontier_store`,
`open_frontier_store` or `frontier_store_url`."""

from tests.frontier.redis_server import redis_url  # noqa: F401  (fixture)
from tests.frontier.store_fixtures import (  # noqa: F401  (fixtures)
    frontier_store, frontier_store_url, open_frontier_store, store_kind)
