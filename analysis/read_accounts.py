"""The accounts dataset (crawled profiles): label observations for the label choice."""

from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.compute as pc

from analysis.account_labels import LabelCollector
from analysis.datasets import ACCOUNT_SCHEMA, DatasetPaths, open_dataset, scan_error
from analysis.errors import MapBuildError

log = logging.getLogger("analysis")


def collect_account_labels(accounts_dir: DatasetPaths, labels: LabelCollector) -> int:
    """Fold every profile row into ``labels``; returns the number of distinct crawled accounts.

    The accounts dataset only improves labels (the edges carry names too), so a missing
    one is a warning, not an error.
    """
    try:
        dataset = open_dataset(accounts_dir, "accounts", ACCOUNT_SCHEMA)
    except MapBuildError as error:
        log.warning("%s; labels come from the edges only", error)
        return 0
    ids = set()
    try:
        for batch in dataset.scanner(columns=list(ACCOUNT_SCHEMA.names), batch_size=1 << 20).to_batches():
            if batch.num_rows:
                ids.update(pc.unique(batch.column("id").drop_null()).to_pylist())
                labels.add(pa.Table.from_batches([batch]))
    except (pa.ArrowException, OSError) as error:
        raise scan_error(accounts_dir, "accounts", error) from None
    return len(ids)
