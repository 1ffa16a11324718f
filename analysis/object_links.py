"""Edges joined with the objects dataset by object id, in one bounded scan of the edges of the
mapped accounts: which words each account's tracks and playlists carry (made: it owns the object;
interacted: an edge of its goes to the object), and which objects tie an account to each of its
strongest neighbours (for map.html's links)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import scipy.sparse as sp

from analysis.datasets import DatasetPaths, as_paths, scan_error
from analysis.read_edges import open_edges
from analysis.scene_words import SceneWords, TermCounter, object_keys, object_terms, scene_words

TYING_SHOWN = 5            # objects listed per link, most recent interaction first
_REDUCE_ROWS = 2_000_000   # tying candidates held before they are cut to TYING_SHOWN per link


@dataclass
class ObjectLinks:
    """``per_account``: accounts x words counts; ``tying``: link code (row * columns + column of the
    shares matrix) -> positions in the objects frame, most recent interaction first."""

    per_account: sp.csr_matrix
    tying: dict[int, list[int]]


def link_objects(edges: DatasetPaths, ids: np.ndarray, column_ids: np.ndarray, objects: pd.DataFrame,
                 counter: TermCounter, link_codes: np.ndarray) -> ObjectLinks:
    """``ids``: the mapped accounts (sorted, the rows); ``column_ids``: the shares matrix's columns
    (sorted); ``link_codes``: the links to explain, ``row * len(column_ids) + column``."""
    ids = np.asarray(ids, dtype=np.int64)
    object_key = object_keys(objects["kind"].to_numpy(), objects["object_id"].to_numpy())
    key_order = np.argsort(object_key, kind="stable")
    sorted_keys = object_key[key_order]
    owners = objects["owner_id"].to_numpy(dtype="float64", na_value=np.nan)
    made = np.isin(owners, ids)
    counter.add(np.searchsorted(ids, owners[made].astype(np.int64)), object_key[made])

    link_codes = np.unique(np.asarray(link_codes, dtype=np.int64))
    candidates: list[pd.DataFrame] = []
    held = 0
    dataset = open_edges(edges)
    wanted = (ds.field("src_id").isin(pa.array(ids)) & ds.field("object_kind").isin(["track", "playlist"])
              & ds.field("object_id").is_valid())
    try:
        batches = dataset.scanner(columns=["src_id", "dst_id", "object_kind", "object_id", "created_at"],
                                  filter=wanted, batch_size=1 << 20).to_batches()
        for batch in batches:
            if not batch.num_rows:
                continue
            frame = batch.to_pandas()
            rows = np.searchsorted(ids, frame["src_id"].to_numpy())
            keys = object_keys(frame["object_kind"].to_numpy(), frame["object_id"].to_numpy())
            distinct = pd.DataFrame({"row": rows, "key": keys}).drop_duplicates()
            counter.add(distinct["row"].to_numpy(), distinct["key"].to_numpy())
            found = _link_candidates(frame, rows, keys, column_ids, link_codes, sorted_keys, key_order)
            if len(found):
                candidates.append(found)
                held += len(found)
                if held > _REDUCE_ROWS:
                    candidates = [_most_recent(pd.concat(candidates, ignore_index=True))]
                    held = len(candidates[0])
    except (pa.ArrowException, OSError) as error:
        raise scan_error(as_paths(edges)[0], "edge", error) from None
    tying: dict[int, list[int]] = {}
    if candidates:
        best = _most_recent(pd.concat(candidates, ignore_index=True))
        for code, group in best.groupby("code", sort=False):
            tying[int(code)] = group["object"].tolist()
    return ObjectLinks(counter.counts.tocsr(), tying)


def _link_candidates(frame: pd.DataFrame, rows: np.ndarray, keys: np.ndarray, column_ids: np.ndarray,
                     link_codes: np.ndarray, sorted_keys: np.ndarray, key_order: np.ndarray) -> pd.DataFrame:
    """The batch's edges that lie on a link to explain and go to an object we know."""
    dst = frame["dst_id"].to_numpy(dtype="float64", na_value=-1).astype(np.int64)
    columns = np.searchsorted(column_ids, dst).clip(0, max(len(column_ids) - 1, 0))
    on_column = len(column_ids) > 0 and (column_ids[columns] == dst)
    codes = rows.astype(np.int64) * len(column_ids) + columns
    position = np.searchsorted(sorted_keys, keys).clip(0, max(len(sorted_keys) - 1, 0))
    known = (sorted_keys[position] == keys) if len(sorted_keys) else np.zeros(len(keys), bool)
    keep = on_column & known & np.isin(codes, link_codes)
    created = frame["created_at"].astype("datetime64[us, UTC]").astype("int64").to_numpy()
    return pd.DataFrame({"code": codes[keep], "object": key_order[position[keep]], "at": created[keep]})


def _most_recent(candidates: pd.DataFrame) -> pd.DataFrame:
    """At most TYING_SHOWN distinct objects per link, the most recent interaction first."""
    ordered = candidates.sort_values(["code", "at", "object"], ascending=[True, False, True])
    ordered = ordered.drop_duplicates(["code", "object"])
    return ordered.groupby("code", sort=False).head(TYING_SHOWN)


def music_of_scenes(edges: DatasetPaths, objects: pd.DataFrame, ids: np.ndarray, column_ids: np.ndarray,
                    neighbour_columns: np.ndarray, clusters: np.ndarray, names: list[str]) -> tuple[SceneWords,
                                                                                                     ObjectLinks]:
    """Scene and account words (analysis/scene_words.py) and the objects tying each account to its
    strongest neighbours (``neighbour_columns``: per row, columns of the shares matrix, -1 padded)."""
    pairs, vocabulary = object_terms(objects)
    counter = TermCounter(pairs, len(ids), len(vocabulary.keys))
    rows = np.repeat(np.arange(len(ids), dtype=np.int64), neighbour_columns.shape[1])
    columns = neighbour_columns.ravel().astype(np.int64)
    links = link_objects(edges, ids, column_ids, objects, counter,
                         rows[columns >= 0] * len(column_ids) + columns[columns >= 0])
    return scene_words(clusters, links.per_account, vocabulary, names), links
