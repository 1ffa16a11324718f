"""The spider tests' sandbox (one small world, no faults), for the crawls the commands run."""

from tests.spiders.conftest import clean_sandbox, spider_world, truth  # noqa: F401  (fixtures)
