"""The scenes recipe against the article's on the held-out worlds (tests/analysis/quality_worlds.py),
at a small size: it must keep true scenes together clearly better on every kind of world."""

from __future__ import annotations

import pytest

from quality_worlds import KINDS, compare_recipes


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return compare_recipes(tmp_path_factory.mktemp("quality-worlds"), sources=600).set_index(["world", "recipe"])


@pytest.mark.parametrize("kind", KINDS)
def test_scenes_keeps_true_neighbours_together_better_than_the_article(table, kind) -> None:
    article, scenes = table.loc[(kind, "article")], table.loc[(kind, "scenes")]
    assert article["accounts"] == scenes["accounts"]  # the same accounts mapped: a fair comparison
    assert scenes["knn_agreement"] >= article["knn_agreement"] + 0.05, (kind, article.to_dict(), scenes.to_dict())
    assert scenes["knn_agreement"] > 5 * scenes["chance"]


def test_the_gain_is_largest_where_the_article_is_weakest(table) -> None:
    agreement = table["knn_agreement"].unstack()
    weakest = agreement["article"].idxmin()
    assert agreement.loc[weakest, "scenes"] - agreement.loc[weakest, "article"] > 0.15
