"""``build_map --slices year|quarter``: one map per time slice, aligned, in one output directory.

Each slice runs the chosen recipe's stages (analysis/api.py, analysis/recipes.py) on the edges
dated in its window (analysis/time_slices.py says how follows are treated): score matrix, row
filters, the recipe's weighting, PCA, then t-SNE (the recipe's metric and perplexity) started
from the previous slice's map. Slices with too few accounts are reported and skipped.

Outputs (in ``--out``): ``coords.parquet`` with one row per (slice, account) and a ``slice``
column, ``emerged_at`` / ``emerged_from`` / ``generation`` (analysis/generations.py),
``slices.png`` (small multiples, one panel per slice, an account coloured by its last scene),
``generations.png`` (the last slice coloured by generation), ``graph-<slice>.<format>`` with
``--export``, and ``report.json`` with a ``slices`` list: window, accounts, edges, matrix steps,
quality against that slice's truth, and how far accounts moved since the previous slice.
``map.html``: one offline page holding every slice, with a slider between them (scene colours
follow a scene from slice to slice; analysis/map_page.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import api
from analysis.clusters import UNCLUSTERED
from analysis.coords import write_coords
from analysis.datasets import paths_text
from analysis.errors import MapBuildError, TooFewAccounts
from analysis.generations import emerged_from_counts, emergence_from_edges, generation_of, plot_generations
from analysis.graph_export import export_graph, iter_graph_edges
from analysis.html_map import SlicedMapPage, write_map_html
from analysis.interaction_matrix import InteractionMatrix
from analysis.map_page import carry_scene_colours, generation_colouring, map_page, neighbour_ids, neighbours_of
from analysis.progress import StageTimer
from analysis.quality import load_scene_sets, map_quality, scene_sets_from_table
from analysis.edge_scores import score_edges
from analysis.read_edges import open_edges
from analysis.read_objects import objects_dirs, read_objects
from analysis.generations import prefer_upload_dates
from analysis.recipes import Recipe
from analysis.report import write_report
from analysis.time_slices import (SliceEmbedding, Window, clip_windows, dated_range, embed_slices,
                                  median_displacement, slice_windows, truth_by_slice, truth_for_window,
                                  window_filter)

log = logging.getLogger("analysis")
MIN_ACCOUNTS_PER_SLICE = 10


@dataclass
class SliceOptions:
    period: str = "year"
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    follows: str = "exclude"
    alignment: str = "init"


@dataclass
class SliceInput:
    window: Window
    shares: InteractionMatrix
    totals: np.ndarray
    pca_xy: np.ndarray
    pca_50: np.ndarray
    steps: list[dict]
    edges: dict


def slice_matrix(edges_dir: Path, window: Window, follows: str,
                 recipe: Recipe) -> tuple[api.MatrixStages | None, list[dict], dict]:
    """The recipe's matrix stages for one window (None when fewer than MIN_ACCOUNTS_PER_SLICE
    accounts pass the filters), the matrix steps and the edge counts."""
    scored = score_edges(edges_dir, recipe.weights, row_filter=window_filter(window.since, window.until, follows))
    counts = scored.counts
    edges = {"read": counts.edges_read, "distinct": counts.unique_edges, "per_interaction": counts.per_interaction}
    if counts.unique_edges == 0:
        return None, [], edges
    try:
        stages = api.build_matrix_stages(scored.matrix, recipe, min_rows=MIN_ACCOUNTS_PER_SLICE)
    except TooFewAccounts as thin:
        return None, thin.steps, edges
    return stages, stages.steps, edges


def build_sliced_map(options, recipe: Recipe, slicing: SliceOptions, export_formats: list[str] | None = None) -> dict:
    """``options``: build_map's MapOptions (edges, accounts, out, seed, clusters, truth, t-SNE
    threads); ``recipe``: the map recipe with the options' overrides applied. Returns the report
    (also written to ``out/report.json``)."""
    timer = StageTimer()
    dataset = open_edges(options.edges)
    with timer.stage("dated range"):
        bounds = dated_range(dataset)
    if bounds is None:
        raise MapBuildError(f"edge dataset {options.edges} has no dated edges: nothing to slice")
    windows = clip_windows(slice_windows(*bounds, slicing.period), slicing.since, slicing.until)
    if not windows:
        raise MapBuildError("no time slice left between --since and --until")

    inputs: list[SliceInput] = []
    skipped = []
    for window in windows:
        with timer.stage(f"slice {window.label}: matrix + PCA"):
            stages, steps, edges = slice_matrix(options.edges, window, slicing.follows, recipe)
            if stages is None:
                skipped.append({"slice": window.label, "edges": edges, "matrix_steps": steps,
                                "note": f"fewer than {MIN_ACCOUNTS_PER_SLICE} accounts left after the filters"})
                continue
            pca = api.reduce_with_details(stages.reduced_input, recipe, options.seed)
            inputs.append(SliceInput(window, stages.shares, stages.totals, pca.coordinates[:, :2], pca.coordinates,
                                     steps, edges))
            del stages
    if not inputs:
        raise MapBuildError("no time slice has enough accounts to map (widen the slices or lower --min-total)")

    def embed(points: np.ndarray, start: np.ndarray | None) -> np.ndarray:
        return api.embed(points, recipe, options.seed, options.jobs, options.tsne_gradient, initialization=start,
                         large_data=options.tsne_large_map)

    with timer.stage(f"t-SNE ({len(inputs)} slices, alignment {slicing.alignment})"):
        embedded = embed_slices([SliceEmbedding(s.window.label, s.shares.row_ids, s.pca_50) for s in inputs],
                                embed, slicing.alignment)

    all_ids = np.unique(np.concatenate([s.ids for s in embedded]))
    with timer.stage("labels"):
        neighbours = [neighbours_of(data.shares) for data in inputs]
        wanted = np.unique(np.concatenate([all_ids, *(neighbour_ids(data.shares, columns)
                                                      for data, (columns, _, _) in zip(inputs, neighbours))]))
        labels, _ = api.collect_labels(options.edges, options.accounts, wanted)
        named = labels.labels(pd.Index(all_ids))
    with timer.stage("generations"):
        if options.generations:
            objects = read_objects(options.objects if options.objects is not None else objects_dirs(options.edges),
                                   columns=["owner_id", "created_at"])
            emergence = prefer_upload_dates(emergence_from_edges(options.edges, all_ids), objects).set_index("id")
        else:
            emergence = pd.DataFrame({"emerged_at": pd.Series(dtype="datetime64[us, UTC]"),
                                      "emerged_from": pd.Series(dtype=object)}, index=pd.Index([], name="id"))

    truth_table = _read_truth(options.truth) if options.truth is not None else None
    truth_for = truth_by_slice(truth_table) if truth_table is not None else None
    frames, reports, pages, previous = [], [], [], None
    previous_members: dict[int, set[int]] = {}
    previous_colours: dict[int, str] = {}
    generations = generation_of(emergence["emerged_at"])
    cohorts = sorted(set(generations.dropna().tolist()))
    for data, result, slice_neighbours in zip(inputs, embedded, neighbours):
        mapped = named.reindex(result.ids)
        names = mapped["username"].tolist()
        followers = mapped["followers_count"].to_numpy(dtype="float64", na_value=np.nan)
        clusters = (api.find_scenes(result.xy, seed=options.seed) if options.clusters
                    else np.full(len(result.ids), UNCLUSTERED))
        scenes = api.describe_scenes(clusters, data.shares, names, followers)
        # Colours follow scenes from slice to slice (a scene's colour is kept while most of it stays).
        members = {int(c): set(result.ids[clusters == c].tolist()) for c in scenes["scene"]}
        scenes["colour"] = scenes["scene"].map(carry_scene_colours(previous_members, previous_colours, members,
                                                                   dict(zip(scenes["scene"], scenes["colour"]))))
        previous_members, previous_colours = members, dict(zip(scenes["scene"], scenes["colour"]))
        cluster_labels = dict(zip(scenes["scene"], scenes["label"]))
        frame = mapped.reset_index()
        frame["x"], frame["y"] = result.xy[:, 0], result.xy[:, 1]
        frame["pca_x"], frame["pca_y"] = data.pca_xy[:, 0], data.pca_xy[:, 1]
        frame["cluster"] = clusters
        frame["cluster_label"] = [cluster_labels.get(c) for c in clusters]
        frame["slice"] = result.label
        frames.append(frame)
        entry = {"slice": result.label, "since": data.window.since.isoformat(), "until": data.window.until.isoformat(),
                 "accounts": len(result.ids), "edges": data.edges, "matrix_steps": data.steps,
                 "started_from_previous": result.started_from_previous,
                 "clusters": [{"cluster": int(row.scene), "label": row.label, "size": int(row.size),
                               "colour": row.colour} for row in scenes.itertuples()]}
        if previous is not None:
            entry["accounts_also_in_previous"] = int(np.isin(result.ids, previous.ids).sum())
            entry["median_displacement"] = median_displacement(result.ids, result.xy, previous.ids, previous.xy)
        if truth_for is not None:
            sets = scene_sets_from_table(truth_for(result.label))
            entry["quality"] = map_quality(result.ids, result.xy, data.pca_xy, data.pca_50, sets, options.seed)
        reports.append(entry)
        colourings = ([generation_colouring(generations.reindex(result.ids), cohorts)]
                      if options.generations else [])
        pages.append(map_page(data.shares, mapped, result.xy, clusters, scenes, slice_neighbours, labels,
                              options.profile_url, colourings))
        previous = result

    coords = pd.concat(frames, ignore_index=True)
    coords = coords.join(emergence, on="id")
    coords["generation"] = coords["id"].map(generations)
    options.out.mkdir(parents=True, exist_ok=True)
    outputs = {}
    with timer.stage("write outputs"):
        write_coords(options.out / "coords.parquet", coords)
        outputs["coords.parquet"] = str(options.out / "coords.parquet")
        _plot_slices(options.out / "slices.png", coords, [r.label for r in embedded])
        outputs["slices.png"] = str(options.out / "slices.png")
        last = coords[coords["slice"] == embedded[-1].label]
        if options.generations:
            plot_generations(options.out / "generations.png", last[["x", "y"]].to_numpy(), last["emerged_at"],
                             f"slice {embedded[-1].label}: accounts by generation")
            outputs["generations.png"] = str(options.out / "generations.png")
        write_map_html(options.out / "map.html", SlicedMapPage([r.label for r in embedded], pages))
        outputs["map.html"] = str(options.out / "map.html")
        for data, result in zip(inputs, embedded):
            if export_formats:
                nodes = coords[coords["slice"] == result.label]
                edges = iter_graph_edges(data.shares.scores, data.shares.row_ids, data.shares.column_ids, data.totals)
                for path in export_graph(options.out, f"graph-{result.label}", nodes, edges, export_formats):
                    outputs[path.name] = str(path)

    report = {
        "recipe": recipe.name,
        "parameters": {**recipe.parameters(), "edges": paths_text(options.edges), "seed": options.seed,
                       "period": slicing.period,
                       "since": None if slicing.since is None else slicing.since.isoformat(),
                       "until": None if slicing.until is None else slicing.until.isoformat(),
                       "follows_in_slices": slicing.follows, "alignment": slicing.alignment,
                       "displacement_unit": "RMS radius of the previous slice's map"},
        "dated_range": [bounds[0].isoformat(), bounds[1].isoformat()],
        "slices": reports,
        "skipped_slices": skipped,
        "generations": {"emerged_from": emerged_from_counts(emergence)},
        "timings_seconds": timer.seconds,
        "peak_rss_mib_after_stage": timer.peak_rss_mib,
        "outputs": outputs,
    }
    report["timings_seconds"]["total"] = round(timer.total(), 3)
    write_report(options.out / "report.json", report)
    report["outputs"]["report.json"] = str(options.out / "report.json")
    return report


def summary_lines(report: dict) -> list[str]:
    lines = [f"slices: {len(report['slices'])} mapped, {len(report['skipped_slices'])} skipped "
             f"(alignment {report['parameters']['alignment']}, follows {report['parameters']['follows_in_slices']})"]
    for entry in report["slices"]:
        line = f"  {entry['slice']:<8} {entry['accounts']:>7,} accounts {entry['edges']['distinct']:>10,} edges"
        if entry.get("median_displacement") is not None:
            line += f"  moved (median) {entry['median_displacement']:.3f}"
        quality = entry.get("quality") or {}
        if "tsne_neighbour_scene_agreement" in quality:
            line += (f"  10-NN agreement {quality['tsne_neighbour_scene_agreement']:.3f}"
                     f" (chance {quality['chance_neighbour_scene_agreement']:.3f})")
        lines.append(line)
    return lines


def scene_sets_for_window(truth: Path, since: pd.Timestamp | None, until: pd.Timestamp | None) -> pd.Series:
    """--truth for one map: a per-year table (``year`` column) gives each account its latest year
    inside the window; any other table is read as usual."""
    try:
        columns = pq.read_schema(truth).names
    except (pa.ArrowException, OSError):
        columns = []  # load_scene_sets says what is wrong with the file
    if "year" not in columns:
        return load_scene_sets(truth)
    return scene_sets_from_table(truth_for_window(_read_truth(truth), since, until))


def _read_truth(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise MapBuildError(f"cannot read --truth {path}: {str(error).splitlines()[0]}") from None


def _plot_slices(path: Path, coords: pd.DataFrame, order: list[str]) -> None:
    """One panel per slice, same axes limits. An account keeps one colour in every panel: that of
    the scene neighbourhood it is in on the last slice it appears on, so aligned panels show the
    same scenes in the same places and splits, merges and newcomers stand out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.atomic_write import write_atomically
    from analysis.palette import cluster_colours

    rank = {label: index for index, label in enumerate(order)}
    latest = coords.assign(rank=coords["slice"].map(rank)).sort_values("rank").drop_duplicates("id", keep="last")
    clustered = latest[latest["cluster"] >= 0]
    keys = pd.Series(list(zip(clustered["rank"], clustered["cluster"])), index=clustered["id"].to_numpy())
    codes, uniques = pd.factorize(keys)
    palette = cluster_colours(len(uniques))
    colour_of = pd.Series([palette[c] for c in codes], index=keys.index)
    columns = min(4, len(order))
    rows = -(-len(order) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 4 * rows), dpi=100, squeeze=False)
    pad = 0.05 * (coords[["x", "y"]].max() - coords[["x", "y"]].min())
    for panel, label in zip(axes.ravel(), order):
        part = coords[coords["slice"] == label]
        colours = colour_of.reindex(part["id"]).fillna("#b8b8b8").tolist()
        panel.scatter(part["x"], part["y"], s=float(np.clip(2000 / max(len(part), 1), 0.5, 10)), c=colours,
                      linewidths=0)
        panel.set_xlim(coords["x"].min() - pad["x"], coords["x"].max() + pad["x"])
        panel.set_ylim(coords["y"].min() - pad["y"], coords["y"].max() + pad["y"])
        panel.set_title(f"{label} ({len(part):,} accounts)")
        panel.set_xticks([])
        panel.set_yticks([])
    for panel in axes.ravel()[len(order):]:
        panel.axis("off")
    write_atomically(path, lambda temp: figure.savefig(temp, format="png", bbox_inches="tight"))
    plt.close(figure)
