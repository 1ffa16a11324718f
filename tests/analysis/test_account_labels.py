"""Label choice: newest display name / permalink / followers by scraped_at, with fallbacks."""

import numpy as np
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


def test_merges_stay_few_when_the_ids_outnumber_the_threshold(monkeypatch) -> None:
    """With more distinct ids than ``compact_rows`` (1M accounts: 2M ids wanted), a fixed
    threshold merged after every batch; merging at twice the last result keeps merges
    logarithmic, with the same labels."""
    import analysis.account_labels as account_labels

    calls = []
    real = account_labels.newest_value_per_id
    monkeypatch.setattr(account_labels, "newest_value_per_id", lambda table, field: calls.append(field) or real(table, field))
    batches = [pd.DataFrame({"id": np.arange(50 * b, 50 * b + 50) % 4_000, "username": [f"n{b}-{i}" for i in range(50)],
                             "scraped_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(seconds=b)})
               for b in range(200)]
    collector = LabelCollector(compact_rows=10)
    for batch in batches:
        collector.add(batch)
    merges = len(calls) - len(batches)  # one reduction per batch (one field given), the rest are merges
    assert 0 < merges <= 12
    result = collector.labels(pd.Index(np.arange(4_000)))
    reference = LabelCollector(compact_rows=10**9)
    for batch in batches:
        reference.add(batch)
    assert result.equals(reference.labels(pd.Index(np.arange(4_000))))
    assert result.loc[0, "username"] == "n160-0"  # id 0 is in batches 0, 80 and 160: the newest wins


def test_same_time_ties_go_to_the_smallest_value_beside_uncontested_ids() -> None:
    """Only ids with several values are sorted (the rest are done after the collapse): the tie
    rule must hold for those, and the others must keep their one value."""
    rows = [observation(1, "2025-03-01", "b-slug", "Bee", 5), observation(1, "2025-03-01", "a-slug", "Ay", 9),
            observation(2, "2025-01-01", "only", "Only", 3), observation(1, "2025-01-01", "0-old", "Old", 1)]
    for order in ([0, 1, 2, 3], [3, 2, 1, 0]):
        for per_batch in (True, False):
            labels = LabelCollector(compact_rows=0)
            if per_batch:
                for index in order:
                    labels.add(pd.DataFrame([rows[index]]))
            else:
                labels.add(pd.DataFrame([rows[index] for index in order]))
            got = labels.labels(pd.Index([1, 2]))
            assert (got.loc[1, "permalink"], got.loc[1, "username"], got.loc[1, "followers_count"]) == ("a-slug", "Ay", 5)
            assert (got.loc[2, "permalink"], got.loc[2, "username"]) == ("only", "Only")
