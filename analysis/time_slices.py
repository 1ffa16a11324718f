"""Maps of time windows, and a series of them aligned so an account keeps its place.

- ``window_filter``: the edge rows of a window [since, until). Likes, comments and reposts carry
  ``created_at``; follows do not (the followings API gives no date: docs/architecture.md), so
  ``follows="exclude"`` (the default) leaves them out of every window and ``"include"`` counts
  every undated follow in every window. Excluding is the default because a follow of unknown date
  may be years younger than the window: counted everywhere, the follow graph (the slowest-changing
  part) would make all slices alike and hide the very changes slices are for.
- ``slice_windows``: calendar years or quarters covering the dated edges.
- ``initial_positions`` + ``align_to``: slice k's t-SNE starts from slice k-1's map (accounts seen
  before at their old place, new ones at the mean old place of their nearest neighbours in this
  slice's PCA space) and the result is moved (rotation, uniform scale, shift; the shape is kept) onto
  the previous map over the shared accounts. ``alignment="procrustes"`` only moves independent maps,
  ``"none"`` leaves them as t-SNE drew them (both for comparison).
- ``median_displacement``: how far the accounts present in two consecutive slices moved, in units
  of the earlier map's RMS radius (root mean squared distance of its points to their centre).

Plain numpy / pandas / pyarrow in and out; the stages it runs are the map's own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from scipy.linalg import orthogonal_procrustes
from sklearn.neighbors import NearestNeighbors

from analysis.errors import MapBuildError

FOLLOWS_IN_SLICES = ("exclude", "include")
PERIODS = ("year", "quarter")
ALIGNMENTS = ("init", "procrustes", "none")
NEW_ACCOUNT_NEIGHBOURS = 10


def parse_date(text: str, flag: str) -> pd.Timestamp:
    """``2021``, ``2021-06`` or ``2021-06-15`` (UTC) -> Timestamp; MapBuildError otherwise."""
    try:
        stamp = pd.Timestamp(text.strip() if len(text.strip()) > 4 else f"{text.strip()}-01-01")
    except (ValueError, TypeError):
        raise MapBuildError(f"bad {flag} {text!r}: expected a date like 2021-06-15") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def window_filter(since: pd.Timestamp | None, until: pd.Timestamp | None, follows: str = "exclude") -> ds.Expression:
    """Rows dated in [since, until); with ``follows="include"`` also every follow without a date."""
    if follows not in FOLLOWS_IN_SLICES:
        raise MapBuildError(f"follows in slices must be one of {', '.join(FOLLOWS_IN_SLICES)}")
    created = ds.field("created_at")
    dated = created.is_valid()
    if since is not None:
        dated = dated & (created >= pa.scalar(since.to_pydatetime(), pa.timestamp("us", tz="UTC")))
    if until is not None:
        dated = dated & (created < pa.scalar(until.to_pydatetime(), pa.timestamp("us", tz="UTC")))
    if follows == "include":
        return dated | ((ds.field("interaction") == "follows") & ~created.is_valid())
    return dated


def dated_range(dataset: ds.Dataset) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Earliest and latest ``created_at`` in the dataset (None when nothing is dated)."""
    low = high = None
    for batch in dataset.scanner(columns=["created_at"], filter=ds.field("created_at").is_valid(),
                                 batch_size=1 << 20).to_batches():
        if batch.num_rows:
            bounds = pc.min_max(batch.column("created_at"))
            lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
    return None if low is None else (pd.Timestamp(low), pd.Timestamp(high))


@dataclass(frozen=True)
class Window:
    label: str
    since: pd.Timestamp
    until: pd.Timestamp


def slice_windows(first: pd.Timestamp, last: pd.Timestamp, period: str) -> list[Window]:
    """Calendar years (``2021``) or quarters (``2021Q3``) from the one holding ``first`` to the one
    holding ``last``."""
    if period not in PERIODS:
        raise MapBuildError(f"--slices must be one of {', '.join(PERIODS)}")
    freq = "Y" if period == "year" else "Q"
    periods = pd.period_range(first.tz_convert(None).to_period(freq), last.tz_convert(None).to_period(freq), freq=freq)
    return [Window(str(p), p.start_time.tz_localize("UTC"), (p + 1).start_time.tz_localize("UTC")) for p in periods]


def clip_windows(windows: list[Window], since: pd.Timestamp | None, until: pd.Timestamp | None) -> list[Window]:
    """The windows cut to [since, until) (``--since`` / ``--until`` with ``--slices``); empty ones dropped."""
    clipped = []
    for window in windows:
        start = max(window.since, since) if since is not None else window.since
        end = min(window.until, until) if until is not None else window.until
        if start < end:
            clipped.append(Window(window.label, start, end))
    return clipped


def initial_positions(ids: np.ndarray, points: np.ndarray, previous_ids: np.ndarray, previous_xy: np.ndarray,
                      k: int = NEW_ACCOUNT_NEIGHBOURS) -> np.ndarray | None:
    """Start positions for this slice from the previous map; None when no account is shared.

    Accounts on the previous map start where they were; each new one at the mean previous place
    of its ``k`` nearest shared accounts in this slice's PCA space (its neighbourhood now), so it
    starts inside the scene it joins rather than at random."""
    position = pd.Series(np.arange(len(previous_ids)), index=previous_ids)
    previous_row = position.reindex(ids).to_numpy()
    shared = ~np.isnan(previous_row)
    if not shared.any():
        return None
    start = np.empty((len(ids), 2))
    start[shared] = previous_xy[previous_row[shared].astype(np.int64)]
    new = ~shared
    if new.any():
        k = min(k, int(shared.sum()))
        _, nearest = NearestNeighbors(n_neighbors=k).fit(points[shared]).kneighbors(points[new])
        start[new] = start[shared][nearest].mean(axis=1)
    if np.std(start[:, 0]) == 0 or np.std(start[:, 1]) == 0:
        return None  # degenerate (e.g. one shared account): t-SNE could not use it
    return start


def similarity_transform(source: np.ndarray, target: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The rotation + uniform scale + shift that best moves ``source`` points onto ``target``
    (least squares, scipy's orthogonal Procrustes); the shape of a map it is applied to is kept."""
    source_centre, target_centre = source.mean(axis=0), target.mean(axis=0)
    a, b = source - source_centre, target - target_centre
    rotation, singular_sum = orthogonal_procrustes(a, b)
    norm = float((a ** 2).sum())
    scale = singular_sum / norm if norm > 0 else 1.0
    return lambda xy: (xy - source_centre) @ rotation * scale + target_centre


def align_to(ids: np.ndarray, xy: np.ndarray, previous_ids: np.ndarray, previous_xy: np.ndarray,
             min_shared: int = 3) -> np.ndarray:
    """``xy`` moved onto the previous map over the accounts both share (unchanged if under ``min_shared``)."""
    _, here, there = np.intersect1d(ids, previous_ids, assume_unique=True, return_indices=True)
    if len(here) < min_shared:
        return xy
    return similarity_transform(xy[here], previous_xy[there])(xy)


def rms_radius(xy: np.ndarray) -> float:
    return float(np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=1).mean())) if len(xy) else float("nan")


def displacements(ids: np.ndarray, xy: np.ndarray, previous_ids: np.ndarray, previous_xy: np.ndarray,
                  among: np.ndarray | None = None) -> pd.Series:
    """Per shared account (optionally only ``among`` these ids): distance moved since the previous
    slice, in units of the previous map's RMS radius."""
    common, here, there = np.intersect1d(ids, previous_ids, assume_unique=True, return_indices=True)
    if among is not None:
        keep = np.isin(common, among)
        common, here, there = common[keep], here[keep], there[keep]
    moved = np.linalg.norm(xy[here] - previous_xy[there], axis=1) / rms_radius(previous_xy)
    return pd.Series(moved, index=common)


def median_displacement(ids, xy, previous_ids, previous_xy, among=None) -> float | None:
    moved = displacements(ids, xy, previous_ids, previous_xy, among)
    return float(moved.median()) if len(moved) else None


@dataclass
class SliceEmbedding:
    """One slice's map: account ids, PCA-50 input and the 2-D positions."""

    label: str
    ids: np.ndarray
    points: np.ndarray
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    started_from_previous: bool = False


def embed_slices(slices: list[SliceEmbedding], embed: Callable[[np.ndarray, np.ndarray | None], np.ndarray],
                 alignment: str = "init") -> list[SliceEmbedding]:
    """Fill each slice's ``xy`` in order. ``embed(points, initialization_or_None)`` is the t-SNE."""
    if alignment not in ALIGNMENTS:
        raise MapBuildError(f"--slice-alignment must be one of {', '.join(ALIGNMENTS)}")
    previous: SliceEmbedding | None = None
    for current in slices:
        start = None
        if alignment == "init" and previous is not None:
            start = initial_positions(current.ids, current.points, previous.ids, previous.xy)
        current.xy = embed(current.points, start)
        current.started_from_previous = start is not None
        if alignment != "none" and previous is not None:
            current.xy = align_to(current.ids, current.xy, previous.ids, previous.xy)
        previous = current
    return slices


def truth_for_window(table: pd.DataFrame, since: pd.Timestamp | None, until: pd.Timestamp | None) -> pd.DataFrame:
    """For a per-year truth table (``year`` column): each account's row of the latest year inside
    [since, until) (every year when open); other tables are returned as they are."""
    if "year" not in table:
        return table
    years = table["year"].astype(int)
    keep = np.ones(len(table), bool)
    if since is not None:
        keep &= years >= since.year
    if until is not None:
        keep &= years <= (until - pd.Timedelta(microseconds=1)).year
    chosen = table[keep]
    return chosen.loc[chosen["year"].astype(int).groupby(chosen["id"].to_numpy()).idxmax().to_numpy()]


def truth_by_slice(table: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """For a truth table with a ``slice`` (label) or ``year`` column: label -> that slice's rows
    (a quarter ``2021Q3`` uses year 2021's truth). Without either column every slice uses the table."""
    if "slice" in table:
        keys = table["slice"].astype(str)
        return lambda label: table[keys == label]
    if "year" in table:
        years = table["year"].astype(int)
        return lambda label: table[years == int(label[:4])]
    return lambda label: table
