"""Generations (the seed article's part 2): when each mapped account emerged, and its cohort.

The article dated an account by the 15 % quantile of its upload dates. A crawl that wrote the
objects dataset (analysis/read_objects.py) has them: the upload dates of the account's own tracks
among the objects the lists carried give ``emerged_from = "uploads"``
(:func:`prefer_upload_dates`). Accounts without such a track, and crawls without objects, fall
back to the edges (edges carry the interaction's ``created_at``, docs/architecture.md): a track's
date is approximated by the first interaction seen on it (a track is liked, reposted or commented only
after it is uploaded, so this is an upper bound: later than the upload when the crawl saw only
recent lists). An account's emergence is then the 15 % quantile of its tracks' first-seen dates
(``emerged_from = "tracks"``); an account none of whose tracks was seen gets its own first dated
interaction (``"own_activity"``); with neither it has no date (``NaT``, generation null).

``emergence_dates`` and ``generation_of`` are plain pandas; ``emergence_from_edges`` reads the
edge dataset (all of it: an account's emergence does not depend on the time slice shown).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from analysis.atomic_write import write_atomically
from analysis.datasets import scan_error
from analysis.read_edges import open_edges
from analysis.spill import SpilledParts

EMERGENCE_QUANTILE = 0.15
GENERATION_PERIODS = ("year", "quarter")


# Rows of track dates per spilled part (analysis/spill.py): the part count follows the dataset's size.
ROWS_PER_PART = 20_000_000
_COMPACT_ROWS = 4_000_000


def _minimum_per_key(dataset: ds.Dataset, row_filter: ds.Expression, keys: list[str]) -> pd.DataFrame:
    """min(created_at) per ``keys`` over the filtered rows, reduced batch by batch; the reductions
    are merged whenever they add up to _COMPACT_ROWS, so memory follows the distinct keys."""
    parts, pending_rows = [], 0
    for batch in dataset.scanner(columns=[*keys, "created_at"], filter=row_filter, batch_size=1 << 20).to_batches():
        if batch.num_rows:
            parts.append(pa.Table.from_batches([batch]).group_by(keys).aggregate([("created_at", "min")])
                         .rename_columns([*keys, "created_at"]))
            pending_rows += parts[-1].num_rows
            if pending_rows > _COMPACT_ROWS and len(parts) > 1:
                parts = [_merge_minimums(parts, keys)]
                pending_rows = parts[0].num_rows
    if not parts:
        return pd.DataFrame({**{k: pd.Series(dtype="int64") for k in keys},
                             "created_at": pd.Series(dtype="datetime64[us, UTC]")})
    return _merge_minimums(parts, keys).to_pandas()


def _merge_minimums(parts: list[pa.Table], keys: list[str]) -> pa.Table:
    merged = pa.concat_tables(parts).group_by(keys).aggregate([("created_at", "min")])
    return merged.rename_columns([*keys, "created_at"])


def emergence_from_edges(edges_dir: Path, ids: np.ndarray, quantile: float = EMERGENCE_QUANTILE) -> pd.DataFrame:
    """``emergence_dates`` for ``ids`` from what the edge dataset holds.

    Streamed: each batch's (owner, track, first date) rows are split by owner into parts
    spilled to disk (analysis/spill.py); each part gives its owners' quantiles alone, so memory
    follows one part and the ids, not every track seen (1M accounts: ~100 M)."""
    dataset = open_edges(edges_dir)
    wanted = pa.array(np.asarray(ids, dtype=np.int64))
    dated = ds.field("created_at").is_valid()
    track_filter = dated & ds.field("dst_id").isin(wanted) & (ds.field("object_kind") == "track")
    by_tracks = []
    try:
        own = _minimum_per_key(dataset, dated & ds.field("src_id").isin(wanted), ["src_id"])
        n_parts = math.ceil(dataset.count_rows() / ROWS_PER_PART)
        with SpilledParts({"id": np.int64, "object_id": np.int64, "first_seen": np.int64}, n_parts) as spilled:
            for batch in dataset.scanner(columns=["dst_id", "object_id", "created_at"], filter=track_filter,
                                         batch_size=1 << 20).to_batches():
                if batch.num_rows:
                    first = pa.Table.from_batches([batch]).group_by(["dst_id", "object_id"]).aggregate(
                        [("created_at", "min")])
                    owner = first["dst_id"].to_numpy()
                    spilled.add(owner, {"id": owner, "object_id": first["object_id"].to_numpy(),
                                        "first_seen": first["created_at_min"].cast(pa.int64()).to_numpy()})
            for part in spilled.parts():
                firsts = pa.table(part).group_by(["id", "object_id"]).aggregate([("first_seen", "min")])
                by_tracks.append(_track_quantiles(firsts["id"].to_numpy(), firsts["first_seen_min"].to_numpy(), quantile))
    except (pa.ArrowException, OSError) as error:
        raise scan_error(edges_dir, "edge", error) from None
    from_tracks = pd.concat(by_tracks) if by_tracks else pd.Series(dtype="float64")
    return _emergence(ids, from_tracks, own.set_index("src_id")["created_at"])


def emergence_dates(ids: np.ndarray, track_dates: pd.DataFrame, own_first: pd.Series,
                    quantile: float = EMERGENCE_QUANTILE) -> pd.DataFrame:
    """Per id: ``emerged_at`` and ``emerged_from``.

    ``track_dates``: one row per (account ``id``, track) with its date ``first_seen`` (an upload
    date where one is known, else the first interaction seen on it); ``own_first``: id -> the
    account's own first dated interaction, used when none of its tracks has a date."""
    microseconds = track_dates["first_seen"].astype("datetime64[us, UTC]").astype("int64").to_numpy()
    return _emergence(ids, _track_quantiles(track_dates["id"].to_numpy(), microseconds, quantile), own_first)


def _track_quantiles(owners: np.ndarray, microseconds: np.ndarray, quantile: float) -> pd.Series:
    """owner -> the ``quantile`` of its tracks' dates (microseconds since the epoch)."""
    return pd.Series(microseconds).groupby(owners).quantile(quantile, interpolation="linear")


def _emergence(ids: np.ndarray, by_tracks: pd.Series, own_first: pd.Series) -> pd.DataFrame:
    index = pd.Index(np.asarray(ids, dtype=np.int64), name="id")
    from_tracks = pd.to_datetime(by_tracks.round().astype("int64"), unit="us", utc=True).reindex(index)
    fallback = own_first.astype("datetime64[us, UTC]").reindex(index)
    emerged = from_tracks.where(from_tracks.notna(), fallback)
    source = np.where(from_tracks.notna(), "tracks", np.where(fallback.notna(), "own_activity", None))
    return pd.DataFrame({"id": index.to_numpy(), "emerged_at": emerged.astype("datetime64[us, UTC]").to_numpy(),
                         "emerged_from": source})


def generation_of(emerged_at: pd.Series, period: str = "year") -> pd.Series:
    """The cohort label: ``2019`` (year) or ``2019Q3`` (quarter); null without a date."""
    if period not in GENERATION_PERIODS:
        raise ValueError(f"generation period must be one of {GENERATION_PERIODS}")
    stamps = pd.to_datetime(emerged_at, utc=True)
    labels = stamps.dt.tz_convert(None).dt.to_period("Y" if period == "year" else "Q").astype(str)
    return labels.where(stamps.notna(), None).astype(object)


def plot_generations(path: Path, xy: np.ndarray, emerged_at: pd.Series, title: str = "") -> None:
    """The map coloured by emergence year (a continuous scale: generations are ordered)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stamps = pd.to_datetime(pd.Series(emerged_at).reset_index(drop=True), utc=True)
    years = (stamps.dt.year + (stamps.dt.day_of_year - 1) / 365.25).to_numpy(dtype=float, na_value=np.nan)
    figure, axes = plt.subplots(figsize=(9, 8), dpi=110)
    dated = ~np.isnan(years)
    size = float(np.clip(4000 / max(len(xy), 1), 0.5, 14))
    axes.scatter(xy[~dated, 0], xy[~dated, 1], s=size, c="#c8c8c8", linewidths=0, label="no date")
    if dated.any():
        points = axes.scatter(xy[dated, 0], xy[dated, 1], s=size, c=years[dated], cmap="viridis", linewidths=0)
        figure.colorbar(points, ax=axes, label="emerged (15 % quantile of its tracks' dates)")
    axes.set_title(title or "accounts by generation")
    axes.set_xticks([])
    axes.set_yticks([])
    write_atomically(path, lambda temp: figure.savefig(temp, format="png", bbox_inches="tight"))
    plt.close(figure)


def emerged_from_counts(frame: pd.DataFrame) -> dict[str, int]:
    """The report's count of accounts per source of their emergence date ("none": no date)."""
    return frame["emerged_from"].value_counts(dropna=False).rename(lambda v: "none" if pd.isna(v) else v).to_dict()


def prefer_upload_dates(emergence: pd.DataFrame, objects: pd.DataFrame | None,
                        quantile: float = EMERGENCE_QUANTILE) -> pd.DataFrame:
    """``emergence`` (from :func:`emergence_from_edges`) with ``emerged_at`` replaced, for every
    account that owns a dated track among ``objects``, by the ``quantile`` of those tracks' upload
    dates (``emerged_from = "uploads"``); the others keep their fallback. ``objects``: rows with
    ``kind``, ``owner_id``, ``created_at`` (analysis/read_objects.py), or None."""
    if objects is None:
        return emergence
    own = objects[(objects["kind"] == "track") & objects["created_at"].notna() & objects["owner_id"].notna()
                  & objects["owner_id"].isin(emergence["id"])]
    uploads = emergence_dates(emergence["id"].to_numpy(), pd.DataFrame(
        {"id": own["owner_id"].astype("int64").to_numpy(), "first_seen": own["created_at"]}),
        pd.Series(dtype="datetime64[us, UTC]"), quantile)
    dated = uploads["emerged_from"].notna().to_numpy()
    result = emergence.copy()
    result.loc[dated, "emerged_at"] = uploads.loc[dated, "emerged_at"].to_numpy()
    result.loc[dated, "emerged_from"] = "uploads"
    result["emerged_at"] = result["emerged_at"].astype("datetime64[us, UTC]")
    return result
