"""What map.html shows, built from a map's results: points, scene legend, neighbours with their
interaction types, and the extra colourings (generation). Used by build_map for one map and by
sliced_map for one page per slice (analysis/html_map.py writes them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.account_labels import LabelCollector
from analysis.html_map import Colouring, MapPage, Scene
from analysis.interaction_matrix import InteractionMatrix
from analysis.neighbours import strongest_neighbours
from analysis.palette import cluster_colours
from analysis.scene_words import WORDS_IN_LABEL

NEIGHBOURS_SHOWN = 8


def neighbours_of(shares: InteractionMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's strongest columns, their shares and interaction-type bits. One extra: an
    account's own column (self-likes) is not a neighbour and is skipped by :func:`map_page`."""
    return strongest_neighbours(shares.scores, NEIGHBOURS_SHOWN + 1, shares.kinds)


def neighbour_ids(shares: InteractionMatrix, neighbour_columns: np.ndarray) -> np.ndarray:
    return np.unique(shares.column_ids[neighbour_columns[neighbour_columns >= 0]])


def map_page(shares: InteractionMatrix, mapped: pd.DataFrame, map_xy: np.ndarray, clusters: np.ndarray,
             scenes: pd.DataFrame, neighbours: tuple[np.ndarray, np.ndarray, np.ndarray], labels: LabelCollector,
             profile_url: str, colourings: list[Colouring] | None = None, fields: dict[str, list] | None = None,
             tying: dict[int, list[int]] | None = None, objects: pd.DataFrame | None = None) -> MapPage:
    """Neighbours that are on the map link to their point; the others get a small name table.
    ``mapped``: labels of ``shares.row_ids`` in that order; ``scenes``: api.describe_scenes (with
    ``tags`` and ``central_label``, the label before the words, when the crawl has objects). ``tying``: link code (row * columns + column) -> rows of
    ``objects`` (analysis/object_links.py) that tie the two accounts."""
    neighbour_columns, neighbour_shares, neighbour_kinds = neighbours
    position_of = {account: row for row, account in enumerate(shares.row_ids.tolist())}
    other_ids = sorted({int(shares.column_ids[c]) for c in neighbour_columns[neighbour_columns >= 0].tolist()}
                       - position_of.keys())
    other_index = {account: index for index, account in enumerate(other_ids)}
    others = labels.labels(pd.Index(other_ids, dtype="int64"))
    rows, row_columns = [], []
    for own_id, columns, values, kinds in zip(shares.row_ids.tolist(), neighbour_columns, neighbour_shares,
                                              neighbour_kinds):
        row, kept = [], []
        for column, share, bits in zip(columns.tolist(), values.tolist(), kinds.tolist()):
            if column < 0:
                break
            account = int(shares.column_ids[column])
            if account != own_id:
                row.append((position_of[account] if account in position_of else -1 - other_index[account], share, bits))
                kept.append(column)
        rows.append(row[:NEIGHBOURS_SHOWN])
        row_columns.append(kept[:NEIGHBOURS_SHOWN])
    tying_rows, object_rows = (None, None) if tying is None or objects is None else tying_lists(
        row_columns, len(shares.column_ids), tying, objects, labels)
    profile_url = profile_url if profile_url.endswith("/") else profile_url + "/"
    return MapPage(
        x=map_xy[:, 0], y=map_xy[:, 1], names=mapped["username"].tolist(),
        permalinks=mapped["permalink"].fillna("").tolist(),
        followers=[None if pd.isna(f) else int(f) for f in mapped["followers_count"]],
        clusters=clusters, neighbours=rows, kind_names=list(shares.kind_names),
        # The page shows a scene as "tags — label" (Scene's contract): the label without the words.
        scenes=[Scene(int(row.scene), getattr(row, "central_label", row.label), int(row.size), list(row.central),
                      row.colour, list(getattr(row, "tags", None) or [])[:WORDS_IN_LABEL])
                for row in scenes.itertuples()],
        other_names=others["username"].tolist(), other_permalinks=others["permalink"].fillna("").tolist(),
        profile_url=profile_url, colourings=list(colourings or []), ids=[int(i) for i in shares.row_ids],
        fields=dict(fields or {}), tying=tying_rows, objects=object_rows,
    )


def tying_lists(row_columns: list[list[int]], n_columns: int, tying: dict[int, list[int]], objects: pd.DataFrame,
                labels: LabelCollector) -> tuple[list[list[list[int]]], list[tuple[str, str]]]:
    """MapPage.tying and MapPage.objects: per point, per shown neighbour, indices into a list of
    (title, URL path) of only the objects referenced. A track's path is ``owner/permalink``, a
    playlist's ``owner/sets/permalink`` (the site's URLs, docs/soundcloud-web.md)."""
    index_of: dict[int, int] = {}
    result = []
    for row, columns in enumerate(row_columns):
        result.append([[index_of.setdefault(o, len(index_of)) for o in tying.get(row * n_columns + column, [])]
                       for column in columns])
    referenced = objects.iloc[list(index_of)]
    owners = labels.labels(pd.Index(referenced["owner_id"].dropna().astype("int64").unique(), dtype="int64"))["permalink"]
    paths = []
    for owner, kind, permalink in zip(referenced["owner_id"].tolist(), referenced["kind"].tolist(),
                                      referenced["permalink"].tolist()):
        owner_permalink = owners.get(owner)
        if pd.isna(owner_permalink) or not isinstance(permalink, str):
            paths.append("")
        else:
            paths.append(f"{owner_permalink}/sets/{permalink}" if kind == "playlist" else f"{owner_permalink}/{permalink}")
    titles = ["" if pd.isna(t) else str(t) for t in referenced["title"].tolist()]
    return result, list(zip(titles, paths))


def generation_colouring(generations: pd.Series, cohorts: list[str] | None = None) -> Colouring:
    """"generation": one category per cohort (analysis/generations.py: "2019" or "2019Q3"; oldest
    dark, newest light, as in generations.png), accounts without a date grey. ``cohorts``: the
    categories to offer (every slice of a sliced page offers the same)."""
    import matplotlib

    cohorts = sorted({str(g) for g in generations.dropna()} if cohorts is None else set(cohorts))
    colormap = matplotlib.colormaps["viridis"]
    colours = [matplotlib.colors.to_hex(colormap(i / max(len(cohorts) - 1, 1))) for i in range(len(cohorts))]
    index = {cohort: position for position, cohort in enumerate(cohorts)}
    values = [-1 if g is None or pd.isna(g) else index.get(str(g), -1) for g in generations]
    return Colouring("generation", list(zip(cohorts, colours)), values)


def carry_scene_colours(previous: dict[int, set[int]], previous_colours: dict[int, str],
                        current: dict[int, set[int]], current_colours: dict[int, str]) -> dict[int, str]:
    """Scene colours that follow a scene from one slice to the next: a scene takes the colour of
    the previous slice's scene holding most of its members, when that is at least half of its
    members seen before and no larger scene of this slice took that colour first (a split keeps
    the colour on its larger part). Other scenes keep their own colour unless it is taken.
    ``previous`` / ``current``: scene -> member account ids, largest scene first."""
    colours: dict[int, str] = {}
    taken: set[str] = set()
    seen_before = set().union(*previous.values()) if previous else set()
    for scene, members in current.items():
        known = members & seen_before
        best, overlap = None, 0
        for old, old_members in previous.items():
            shared = len(known & old_members)
            if shared > overlap:
                best, overlap = old, shared
        inherited = previous_colours.get(best) if best is not None and 2 * overlap >= max(len(known), 1) else None
        if inherited is not None and inherited not in taken:
            colours[scene] = inherited
            taken.add(inherited)
    for scene in current:
        if scene in colours:
            continue
        own = current_colours[scene]
        if own in taken:
            own = next((c for c in cluster_colours(24) if c not in taken), own)
        colours[scene] = own
        taken.add(own)
    return colours
