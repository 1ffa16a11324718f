"""Test helper: write edge / accounts DataFrames as Parquet datasets in the crawler's layout
(docs/architecture.md): edges/interaction=<type>/part-*.parquet without the partition
column inside the files, accounts/part-*.parquet, timestamps timestamp[us, UTC]."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scmap.pipelines.edge_schema import ACCOUNT_SCHEMA, EDGE_SCHEMA

# The writer's schemas (written once, scmap/pipelines/edge_schema.py), nullable so that tests
# can also write the broken rows the analysis must survive.
EDGE_FILE_SCHEMA = pa.schema([field.with_nullable(True) for field in EDGE_SCHEMA])
ACCOUNT_FILE_SCHEMA = pa.schema([field.with_nullable(True) for field in ACCOUNT_SCHEMA])
EDGE_DEFAULTS = {"src_permalink": None, "dst_permalink": None, "dst_username": None, "dst_followers_count": None,
                 "object_kind": "track", "object_id": 0, "created_at": pd.Timestamp("2024-01-01", tz="UTC"),
                 "scraped_at": pd.Timestamp("2025-01-01", tz="UTC"), "crawl_id": "c1"}


def write_edges(root: Path, edges: pd.DataFrame, files_per_type: int = 1) -> Path:
    """``edges`` has at least src_id, dst_id, interaction; other columns get defaults."""
    edges = edges.copy()
    for column, default in EDGE_DEFAULTS.items():
        if column not in edges:
            edges[column] = default
    for interaction, group in edges.groupby("interaction", sort=True):
        directory = root / f"interaction={interaction}"
        directory.mkdir(parents=True, exist_ok=True)
        for part in range(files_per_type):
            chunk = group.iloc[part::files_per_type]
            table = pa.Table.from_pandas(chunk[EDGE_FILE_SCHEMA.names], schema=EDGE_FILE_SCHEMA, preserve_index=False)
            pq.write_table(table, directory / f"part-{chunk['crawl_id'].iloc[0] if len(chunk) else 'c'}-{part:04d}.parquet")
    return root


def write_accounts(root: Path, accounts: pd.DataFrame) -> Path:
    accounts = accounts.copy()
    for column, default in {"followings_count": 0, "track_count": 0, "crawl_id": "c1",
                            "scraped_at": pd.Timestamp("2025-01-01", tz="UTC")}.items():
        if column not in accounts:
            accounts[column] = default
    root.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(accounts[ACCOUNT_FILE_SCHEMA.names], schema=ACCOUNT_FILE_SCHEMA, preserve_index=False)
    pq.write_table(table, root / "part-c1-0000.parquet")
    return root
