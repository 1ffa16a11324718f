"""Labels from the edges, read file by file and batch by batch, choose exactly what folding every
edge row through the collector at once chooses: newest scraped_at, ties to the smallest value,
nulls skipped; targets' fields and sources' permalinks."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.account_labels import LabelCollector
from analysis.read_edges import collect_edge_labels
from analysis.errors import MapBuildError
from tests.analysis.edge_dataset import write_edges


def renaming_edges(seed: int, rows: int = 4_000) -> pd.DataFrame:
    """Targets renamed between crawls, same-time ties with different names, missing fields and
    missing scraped_at, spread over several files per type."""
    rng = np.random.default_rng(seed)
    dst = rng.integers(1, 300, rows)
    days = rng.integers(0, 4, rows)  # few distinct times: many ties
    frame = pd.DataFrame({
        "src_id": rng.integers(1000, 1100, rows), "dst_id": dst,
        "interaction": rng.choice(["likes", "reposts", "follows"], rows),
        "dst_permalink": [f"slug-{d}-{rng.integers(0, 3)}" for d in dst],
        "dst_username": [f"Name {d} v{rng.integers(0, 3)}" for d in dst],
        "dst_followers_count": rng.integers(0, 50, rows),
        "scraped_at": pd.to_datetime("2025-01-01", utc=True) + pd.to_timedelta(days, unit="D"),
        "src_permalink": [f"src-{s}" for s in rng.integers(0, 5, rows)],
    })
    for column, share in (("dst_username", 0.2), ("dst_permalink", 0.1), ("dst_followers_count", 0.3)):
        frame[column] = frame[column].astype(object).where(rng.random(rows) > share, None)
    frame["scraped_at"] = frame["scraped_at"].where(rng.random(rows) > 0.05, pd.NaT)
    return frame


@pytest.mark.parametrize("seed", [0, 1])
def test_edge_labels_choose_what_the_collector_chooses(tmp_path: Path, seed: int) -> None:
    frame = renaming_edges(seed)
    edges = write_edges(tmp_path / "edges", frame, files_per_type=3)
    ids = np.arange(0, 320, dtype=np.int64)  # some never named, some unwanted left out below
    wanted = ids[ids % 7 != 0]
    sources = np.unique(frame["src_id"])[::2]

    aggregated = LabelCollector()
    collect_edge_labels(edges, wanted, aggregated, source_permalinks_for=sources)

    reference = LabelCollector(compact_rows=10**9)
    as_targets = frame[frame["dst_id"].isin(wanted)]
    reference.add(as_targets.rename(columns={"dst_id": "id", "dst_permalink": "permalink", "dst_username": "username",
                                             "dst_followers_count": "followers_count"})
                  [["id", "permalink", "username", "followers_count", "scraped_at"]])
    as_sources = frame[frame["src_id"].isin(sources)]
    reference.add(as_sources.rename(columns={"src_id": "id", "src_permalink": "permalink"})
                  [["id", "permalink", "scraped_at"]])

    everyone = pd.Index(np.concatenate([ids, sources]))
    expected, got = reference.labels(everyone), aggregated.labels(everyone)
    pd.testing.assert_frame_equal(got, expected)
    assert got.loc[wanted[wanted >= 1][:50], "username"].str.startswith("Name").any()  # the data named them
    assert aggregated.ids_with("permalink") == reference.ids_with("permalink")


def test_a_corrupt_edge_file_is_a_one_line_error(tmp_path: Path) -> None:
    edges = write_edges(tmp_path / "edges", renaming_edges(0, rows=100))
    next(edges.rglob("*.parquet")).write_bytes(b"PAR1 not really parquet PAR1")
    with pytest.raises(MapBuildError, match="cannot (read|open) edge dataset"):
        collect_edge_labels(edges, np.arange(300), LabelCollector())
