"""`python -m scmap.crawl`: arguments reach the spiders only when given."""

import pytest

from scmap.crawl import main, parse_arguments, spider_arguments


def test_only_given_arguments_are_passed_to_the_spiders():
    options = parse_arguments(["--seeds", "a,b", "--max-accounts", "40", "--accounts-in-flight", "2"])
    assert spider_arguments(options) == {"seeds": "a,b", "max_accounts": 40, "accounts_in_flight": 2}


def test_unknown_spider_names_are_refused_before_crawling():
    with pytest.raises(SystemExit, match="unknown spiders"):
        main(["--seeds", "a", "--spiders", "likes,shares"])
