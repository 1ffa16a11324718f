"""Label choice: for every account, the newest value seen of each of its label fields.

An account is its numeric id; its display name and permalink can change between crawls
(renames), so each field is taken from the newest observation (by ``scraped_at``) that has
a value for it. Observations come from the accounts dataset (crawled profiles) and from
edges (the target's mini user object). Ties on ``scraped_at`` go to the smallest value, so
the choice never depends on the order files were read in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FIELD_TYPES = {"permalink": pa.string(), "username": pa.string(), "followers_count": pa.int64()}
LABEL_FIELDS = tuple(FIELD_TYPES)
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_OLDEST = pa.scalar(0, _TIMESTAMP)  # an observation without scraped_at loses every tie


def newest_value_per_id(observations: pa.Table, field: str) -> pa.Table:
    """Table ``id, value, scraped_at``: per id, the newest non-null value of ``field``."""
    present = observations.filter(pc.and_(pc.is_valid(observations["id"]), pc.is_valid(observations[field])))
    table = pa.table({"id": present["id"].cast(pa.int64()), "value": present[field].cast(FIELD_TYPES[field]),
                      "scraped_at": pc.fill_null(present["scraped_at"].cast(_TIMESTAMP), _OLDEST)})
    # Popular accounts repeat the same (id, value) in thousands of edges: collapse those first
    # (a cheap hash grouping), so the sort below only sees distinct values.
    collapsed = table.group_by(["id", "value"]).aggregate([("scraped_at", "max")])
    table = pa.table({"id": collapsed["id"], "value": collapsed["value"], "scraped_at": collapsed["scraped_at_max"]})
    # Most ids now have one row (one value seen): they are done. Only ids with several values
    # (renames) need the ordered choice below, a sort by time and value: at 1M accounts sorting
    # every row by its string value was most of the label stage.
    several = _repeated(table["id"].to_numpy())
    if not several.any():
        return table
    contested = table.filter(several)
    # Ordered aggregation: after sorting oldest-first (ties: largest value first), "last" is the winner.
    ordered = contested.sort_by([("scraped_at", "ascending"), ("value", "descending")])
    newest = pa.TableGroupBy(ordered, "id", use_threads=False).aggregate([("value", "last"), ("scraped_at", "last")])
    return pa.concat_tables([table.filter(~several), newest.rename_columns(["id", "value", "scraped_at"])])


def _repeated(ids: np.ndarray) -> np.ndarray:
    """Mask of the entries whose id occurs more than once."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    same_as_next = ordered[1:] == ordered[:-1]
    repeated_in_order = np.zeros(len(ids), dtype=bool)
    repeated_in_order[1:] |= same_as_next
    repeated_in_order[:-1] |= same_as_next
    repeated = np.empty(len(ids), dtype=bool)
    repeated[order] = repeated_in_order
    return repeated


class LabelCollector:
    """Folds observation batches into the newest value per (id, field), in bounded memory:
    each batch is reduced on arrival, and the reduced batches are merged whenever they add
    up to ``compact_rows`` rows or twice the last merge's result, whichever is more (merging on
    every batch would cost O(ids) per batch: at 1M accounts, with 2M ids wanted, a fixed
    threshold under the ids merged after every batch and the stage took over 10 minutes)."""

    def __init__(self, compact_rows: int = 2_000_000) -> None:
        self._pending: dict[str, list[pa.Table]] = {field: [] for field in LABEL_FIELDS}
        self._compact_rows = compact_rows
        self._merged_rows = {field: 0 for field in LABEL_FIELDS}

    def add(self, observations: pa.Table | pd.DataFrame) -> None:
        """``observations`` has ``id``, ``scraped_at`` and any of the label fields."""
        if isinstance(observations, pd.DataFrame):
            observations = pa.Table.from_pandas(observations, preserve_index=False)
        for field in LABEL_FIELDS:
            if field not in observations.column_names or observations.num_rows == 0:
                continue
            pending = self._pending[field]
            pending.append(newest_value_per_id(observations, field))
            if sum(table.num_rows for table in pending) > max(self._compact_rows, 2 * self._merged_rows[field]):
                self._compact(field)

    def _compact(self, field: str) -> pa.Table | None:
        pending = self._pending[field]
        if not pending:
            return None
        if len(pending) > 1:
            merged = pa.concat_tables(pending).rename_columns(["id", field, "scraped_at"])
            pending[:] = [newest_value_per_id(merged, field)]
            self._merged_rows[field] = pending[0].num_rows
        return pending[0]

    def ids_with(self, field: str) -> set[int]:
        known = self._compact(field)
        return set() if known is None else set(known["id"].to_pylist())

    def labels(self, ids: pd.Index) -> pd.DataFrame:
        """One row per id in ``ids`` (in that order): permalink, username, followers_count."""
        result = pd.DataFrame(index=pd.Index(ids, name="id", dtype="int64"))
        for field in LABEL_FIELDS:
            known = self._compact(field)
            if known is None:
                result[field] = None
                continue
            values = pd.Series(known["value"].to_pandas().to_numpy(), index=known["id"].to_numpy())
            result[field] = values.reindex(result.index).to_numpy()
        result["followers_count"] = pd.array(pd.to_numeric(result["followers_count"]), dtype="Int64")
        result["permalink"] = result["permalink"].astype("string")
        result["username"] = result["username"].astype("string")
        # Every account gets a readable label: display name, else permalink, else the id.
        ids_as_text = pd.Series(result.index.astype(str), index=result.index, dtype="string")
        result["username"] = result["username"].fillna(result["permalink"].fillna(ids_as_text))
        return result
