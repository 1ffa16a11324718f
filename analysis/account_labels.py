"""Label choice: for every account, the newest value seen of each of its label fields.

An account is its numeric id; its display name and permalink can change between crawls
(renames), so each field is taken from the newest observation (by ``scraped_at``) that
has a value for it. Observations come from the accounts dataset (crawled profiles) and
from edges (the target's mini user object).
"""

from __future__ import annotations

import pandas as pd

LABEL_FIELDS = ("permalink", "username", "followers_count")
_EMPTY = pd.DataFrame(
    {"id": pd.Series(dtype="int64"), "value": pd.Series(dtype="object"),
     "scraped_at": pd.Series(dtype="datetime64[us, UTC]")}
)


def newest_value_per_id(observations: pd.DataFrame, field: str) -> pd.DataFrame:
    """Rows ``id, value, scraped_at``: per id, the newest non-null ``field`` value.

    Ties on ``scraped_at`` are broken by the value itself so the choice is reproducible.
    """
    present = observations.loc[observations[field].notna(), ["id", field, "scraped_at"]]
    if present.empty:
        return _EMPTY.copy()
    present = present.rename(columns={field: "value"})
    ordered = present.sort_values(["id", "scraped_at", "value"], ascending=[True, False, True],
                                  na_position="last", kind="stable")
    return ordered.drop_duplicates("id", keep="first").reset_index(drop=True)


class LabelCollector:
    """Folds observation batches into the newest value per (id, field), in bounded memory."""

    def __init__(self) -> None:
        self._newest: dict[str, pd.DataFrame] = {field: _EMPTY.copy() for field in LABEL_FIELDS}

    def add(self, observations: pd.DataFrame) -> None:
        """``observations`` has ``id``, ``scraped_at`` and any of the label fields."""
        for field in LABEL_FIELDS:
            if field not in observations.columns:
                continue
            batch = newest_value_per_id(observations, field)
            if batch.empty:
                continue
            merged = pd.concat([self._newest[field], batch], ignore_index=True) if len(self._newest[field]) else batch
            self._newest[field] = newest_value_per_id(merged.rename(columns={"value": field}), field)

    def ids_with(self, field: str) -> set[int]:
        return set(self._newest[field]["id"].tolist())

    def labels(self, ids: pd.Index) -> pd.DataFrame:
        """One row per id in ``ids`` (in that order): permalink, username, followers_count."""
        result = pd.DataFrame(index=pd.Index(ids, name="id"))
        for field in LABEL_FIELDS:
            values = self._newest[field].set_index("id")["value"]
            result[field] = values.reindex(result.index).to_numpy()
        result["followers_count"] = pd.array(result["followers_count"], dtype="Int64")
        # Every account gets a readable label: display name, else permalink, else the id.
        result["permalink"] = result["permalink"].astype("string")
        result["username"] = result["username"].astype("string")
        fallback = result["permalink"].fillna(pd.Series(result.index.astype(str), index=result.index, dtype="string"))
        result["username"] = result["username"].fillna(fallback)
        return result
