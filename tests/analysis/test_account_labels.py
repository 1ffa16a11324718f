"""Label choice: newest display name / permalink / followers by scraped_at, with fallbacks."""

import pandas as pd

from analysis.account_labels import LabelCollector


def observation(id_, scraped, permalink=None, username=None, followers=None) -> dict:
    return {"id": id_, "permalink": permalink, "username": username, "followers_count": followers,
            "scraped_at": pd.Timestamp(scraped, tz="UTC")}


def test_newest_name_wins_whatever_the_reading_order() -> None:
    rows = [observation(1, "2025-03-01", "new-slug", "New Name", 900),
            observation(1, "2025-01-01", "old-slug", "Old Name", 500),
            observation(1, "2025-02-01", "mid-slug", "Mid Name", 700)]
    for order, compact_rows in (([0, 1, 2], 0), ([2, 1, 0], 1), ([1, 0, 2], 100)):
        labels = LabelCollector(compact_rows=compact_rows)
        for index in order:  # one batch per observation: exercises the folding too
            labels.add(pd.DataFrame([rows[index]]))
        row = labels.labels(pd.Index([1])).loc[1]
        assert (row["username"], row["permalink"], row["followers_count"]) == ("New Name", "new-slug", 900)


def test_a_newer_observation_without_a_name_keeps_the_older_name() -> None:
    labels = LabelCollector()
    labels.add(pd.DataFrame([observation(1, "2025-01-01", "slug", "Named"),
                             observation(1, "2025-06-01", "slug-2", None)]))
    row = labels.labels(pd.Index([1])).loc[1]
    assert row["username"] == "Named" and row["permalink"] == "slug-2"


def test_fallbacks_permalink_then_id() -> None:
    labels = LabelCollector()
    labels.add(pd.DataFrame([observation(1, "2025-01-01", "only-slug", None)]))
    result = labels.labels(pd.Index([1, 2]))
    assert result.loc[1, "username"] == "only-slug"
    assert result.loc[2, "username"] == "2" and pd.isna(result.loc[2, "followers_count"])
