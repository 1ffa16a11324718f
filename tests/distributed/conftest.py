from tests.distributed.redis_server import redis_url  # noqa: F401  (fixture)
from tests.distributed.store_fixtures import (  # noqa: F401  (fixtures)
    frontier_store, frontier_store_url, open_frontier_store, store_kind)
