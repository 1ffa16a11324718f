"""Test and benchmark helper: scoring a map's scene words and emergence dates against a world's truth
(bench/bench_scene_words.py prints these figures; tests/analysis/test_scene_words_end_to_end.py
asserts them on a small world)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.scene_words import WORDS_IN_LABEL, fold

SCENE_MIN_ACCOUNTS = 30
YEAR_US = 365.25 * 86400e6


def scene_word_hits(coords: pd.DataFrame, truth: pd.DataFrame, planted: dict[str, list[str]],
                    min_accounts: int = SCENE_MIN_ACCOUNTS) -> list[tuple[int, int, str, list[str], bool]]:
    """Per found scene of ``min_accounts``+ accounts: (cluster, size, the true scene most of its
    accounts belong to, its top words, whether they hold a planted word of that scene). A true
    scene named "a + b" (two groups that became one) has both groups' words."""
    frame = coords[coords["cluster"] >= 0].merge(truth[["id", "scene"]].drop_duplicates("id"), on="id", how="left")
    rows = []
    for cluster, members in frame.groupby("cluster"):
        if len(members) < min_accounts:
            continue
        majority = members["scene"].mode().iloc[0] if members["scene"].notna().any() else ""
        words = list(members["cluster_tags"].iloc[0])[:WORDS_IN_LABEL]
        wanted = {fold(w) for part in str(majority).split(" + ") for w in planted.get(part, [part])}
        rows.append((int(cluster), len(members), majority, words, bool(wanted & {fold(w) for w in words})))
    return rows


def upload_quantiles(tracks: pd.DataFrame, quantile: float = 0.15) -> pd.Series:
    """user id -> the ``quantile`` of ALL the account's upload dates in the world (µs)."""
    stamps = tracks["created_at"].astype("datetime64[us, UTC]").astype("int64")
    return stamps.groupby(tracks["user_id"].to_numpy()).quantile(quantile)


def median_error_years(emerged_at: pd.Series, truth_us: pd.Series) -> float:
    """Median |emerged_at - truth| in years over the ids (index) both know."""
    common = emerged_at.dropna().index.intersection(truth_us.index)
    stamps = emerged_at.loc[common].astype("datetime64[us, UTC]").astype("int64")
    return float(np.median(np.abs(stamps - truth_us.loc[common]) / YEAR_US))
