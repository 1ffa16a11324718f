"""Spider arguments over FRONTIER_* settings; the store URL; seeds and weights parsing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from scmap import settings as project_settings
from scmap.contract import crawl_rules as rules_for, parse_weights as parse_weights_over, seed_permalinks
from scmap.contract import store_url as store_url_for

DEFAULT_WEIGHTS = project_settings.FRONTIER_WEIGHTS


def parse_weights(value):
    return parse_weights_over(value, DEFAULT_WEIGHTS)


def parse_seeds(value):
    return seed_permalinks(SimpleNamespace(seeds=value))


def test_spider_arguments_win_over_settings_which_win_over_defaults():
    settings = Settings({"FRONTIER_BFS_ACCOUNTS": 10, "FRONTIER_MIN_FOLLOWERS": 5, "FRONTIER_WEIGHTS": {"likes": 2}})
    spider = SimpleNamespace(bfs_accounts="4", max_accounts=None, min_followers=None, weights=None)
    rules = rules_for(spider, settings)
    assert (rules.bfs_accounts, rules.max_accounts, rules.min_followers) == (4, 2250, 5)
    assert rules.weight("likes") == 2 and rules.weight("follows") == DEFAULT_WEIGHTS["follows"]
    assert rules_for(SimpleNamespace(bfs_accounts=0), Settings()).bfs_accounts == 0  # 0 is a value


@pytest.mark.parametrize("text", ['{"comments": 5}', "comments=5", {"comments": "5"}])
def test_weights_accept_json_pairs_or_dicts(text):
    weights = parse_weights(text)
    assert weights["comments"] == 5 and weights["likes"] == DEFAULT_WEIGHTS["likes"]


def test_seeds_from_text_or_list():
    assert parse_seeds(" a, b/ ,,c") == ["a", "b", "c"]
    assert parse_seeds(["x", " y "]) == ["x", "y"]
    assert parse_seeds(None) == []


def test_store_url_defaults_under_output_dir():
    assert store_url_for(SimpleNamespace(), Settings({"OUTPUT_DIR": "/data/out"})) == "/data/out/frontier.sqlite"
    assert store_url_for(SimpleNamespace(frontier_url="sqlite:///x.db"), Settings({"FRONTIER_URL": "y"})) == \
        "sqlite:///x.db"
