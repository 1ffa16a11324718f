"""``python -m analysis.build_map``: crawl Parquet -> scene map (``--recipe article``: the seed
article's method, sparse; ``--recipe scenes``: the recipe that keeps scenes together best).

A thin command line over :mod:`analysis.api`: read_edges (dedup + counts) -> interaction_matrix
(weights, filters, the recipe's weighting) -> pca (PCA-2 and PCA-50) -> tsne -> clusters (scene
labels) -> outputs (coords.parquet, pca.png, map.png, map.html, report.json) and, with --truth,
quality. Generations (analysis/generations.py) and --export (analysis/graph_export.py) join the
outputs; --since/--until map one time window; --slices hands over to analysis/sliced_map.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import api
from analysis.clusters import UNCLUSTERED
from analysis.coords import write_coords
from analysis.datasets import paths_text
from analysis.edge_scores import score_edges
from analysis.errors import MapBuildError
from analysis.generations import emerged_from_counts, emergence_from_edges, generation_of, plot_generations
from analysis.graph_export import export_graph, iter_graph_edges, parse_formats
from analysis.html_map import write_map_html
from analysis.interaction_matrix import ParkedMatrix, parse_weights
from analysis.map_page import generation_colouring, map_page, neighbour_ids, neighbours_of
from analysis.generations import prefer_upload_dates
from analysis.object_links import music_of_scenes
from analysis.progress import StageTimer
from analysis.quality import map_quality
from analysis.read_objects import objects_dirs, read_objects, tag_owners
from analysis.recipes import DEFAULT_RECIPE, RECIPES, Recipe, get_recipe
from analysis.reduced_clusters import CLUSTER_METHODS, DEFAULT_CLUSTER_METHOD, find_scenes_by
from analysis.report import summary_lines, write_report
from analysis.scene_words import words_label
from analysis.sliced_map import SliceOptions, build_sliced_map, scene_sets_for_window
from analysis.sliced_map import summary_lines as slice_summary_lines
from analysis.static_plots import plot_map, plot_pca
from analysis.time_slices import ALIGNMENTS, FOLLOWS_IN_SLICES, PERIODS, parse_date, window_filter
from analysis.tsne import tsne_settings

log = logging.getLogger("analysis")
PARK_FROM_NONZEROS = 20_000_000


@dataclass
class MapOptions:
    """Where to read and write, and the recipe; the recipe's parameters can be overridden one by
    one (``None`` = the recipe's own value)."""

    edges: Path | list[Path] = Path("output/edges")
    accounts: Path | list[Path] = Path("output/accounts")
    out: Path = Path("output/map")
    recipe: str = DEFAULT_RECIPE
    weights: dict[str, float] | None = None
    min_total: float | None = None
    max_share: float | None = None
    normalize: bool | None = None
    pca_components: int | None = None
    perplexity: float | None = None
    seed: int = 42
    clusters: bool = True
    truth: Path | None = None
    profile_url: str = "https://soundcloud.com/"
    jobs: int | None = None
    tsne_gradient: str = "auto"
    tsne_large_map: str = "auto"   # the large-map t-SNE settings (analysis/tsne.py): auto, on, off
    slicing: SliceOptions = field(default_factory=SliceOptions)  # since / until / follows used without --slices too
    slices: bool = False           # one aligned map per slicing.period (analysis/sliced_map.py)
    generations: bool = True       # date each account's emergence (analysis/generations.py)
    export: list[str] = field(default_factory=list)  # graph formats (analysis/graph_export.py)
    objects: Path | list[Path] | None = None  # objects dataset(s) (default: objects/ beside each edges/)
    cluster_method: str = DEFAULT_CLUSTER_METHOD  # analysis/reduced_clusters.py


def recipe_of(options: MapOptions) -> Recipe:
    """The named recipe with the options' overrides applied."""
    return get_recipe(options.recipe).with_changes(
        weights=options.weights, min_total=options.min_total, max_share=options.max_share,
        normalize=options.normalize, pca_components=options.pca_components, perplexity=options.perplexity)


def build_map(options: MapOptions) -> dict:
    """Run every stage; returns the report (also written to ``out/report.json``)."""
    recipe = recipe_of(options)
    if options.slices:
        return build_sliced_map(options, recipe, options.slicing, options.export)
    window = None
    if options.slicing.since is not None or options.slicing.until is not None:
        window = window_filter(options.slicing.since, options.slicing.until, options.slicing.follows)
    timer = StageTimer()

    with timer.stage("read edges + scores"):
        scored = score_edges(options.edges, recipe.weights, row_filter=window)
    edge_counts = scored.counts
    if edge_counts.unique_edges == 0:
        raise MapBuildError(f"edge dataset {options.edges} holds no edges with account ids")

    with timer.stage("filters + weighting"):
        stages = api.build_matrix_stages(scored.matrix, recipe)
        del scored
    shares, totals, steps = stages.shares, stages.totals, stages.steps

    with timer.stage(f"PCA ({stages.reduced_input.shape[0]:,} x {stages.reduced_input.shape[1]:,} sparse)"):
        pca = api.reduce_with_details(stages.reduced_input, recipe, options.seed)
    del stages
    pca_xy = pca.coordinates[:, :2]

    with timer.stage(f"t-SNE ({len(pca.coordinates):,} points)"):
        # A large matrix waits on disk: t-SNE's affinities are the peak of a 1M-account build.
        parked = ParkedMatrix(shares) if shares.scores.nnz >= PARK_FROM_NONZEROS else None
        if parked is not None:
            del shares
        map_xy = api.embed(pca.coordinates, recipe, options.seed, options.jobs, options.tsne_gradient,
                           large_data=options.tsne_large_map)
        if parked is not None:
            shares = parked.restore()

    ids = shares.row_ids
    with timer.stage("read objects"):
        objects = read_objects(options.objects if options.objects is not None else objects_dirs(options.edges))

    with timer.stage("labels"):
        neighbours = neighbours_of(shares)
        wanted = np.union1d(ids, neighbour_ids(shares, neighbours[0]))
        if objects is not None:  # their names tell artist-name tags (analysis/scene_words.py)
            wanted = np.union1d(wanted, tag_owners(objects))
        labels, crawled_accounts = api.collect_labels(options.edges, options.accounts, wanted)
        mapped = labels.labels(pd.Index(ids))
        names = mapped["username"].tolist()
        followers = mapped["followers_count"].to_numpy(dtype="float64", na_value=np.nan)

    with timer.stage("scene clusters"):
        clusters = (find_scenes_by(options.cluster_method, map_xy, pca.coordinates, recipe.metric, options.seed)
                    if options.clusters else np.full(len(ids), UNCLUSTERED))
        scenes = api.describe_scenes(clusters, shares, names, followers)
        scenes["tags"] = [[] for _ in range(len(scenes))]
    hover: dict[str, list] = {}
    links = None
    if objects is not None:
        with timer.stage("scene words"):
            known = labels.labels(pd.Index(wanted))
            words, links = music_of_scenes(options.edges, objects, ids, shares.column_ids, neighbours[0], clusters,
                                           [*known["username"].dropna(), *known["permalink"].dropna()])
            scenes["tags"] = [words.scenes.get(int(scene), []) for scene in scenes["scene"]]
            scenes["central_label"] = scenes["label"]
            scenes["label"] = [words_label(tags, label) for tags, label in zip(scenes["tags"], scenes["label"])]
            hover["words"] = [" · ".join(w) for w in words.accounts]
    cluster_labels = dict(zip(scenes["scene"], scenes["label"]))

    quality = None
    if options.truth is not None:
        with timer.stage("quality"):
            # a per-year truth table (history world) gives the window's year
            truth = scene_sets_for_window(options.truth, options.slicing.since, options.slicing.until)
            quality = map_quality(ids, map_xy, pca_xy, pca.coordinates, truth, options.seed)

    if options.generations:
        with timer.stage("generations"):
            emergence = prefer_upload_dates(emergence_from_edges(options.edges, ids), objects).set_index("id")

    with timer.stage("write outputs"):
        options.out.mkdir(parents=True, exist_ok=True)
        coords = mapped.reset_index()
        coords["x"], coords["y"] = map_xy[:, 0], map_xy[:, 1]
        coords["pca_x"], coords["pca_y"] = pca_xy[:, 0], pca_xy[:, 1]
        coords["cluster"] = clusters
        coords["cluster_label"] = [cluster_labels.get(c) for c in clusters]
        if objects is not None:
            tags_of = dict(zip(scenes["scene"], scenes["tags"]))
            coords["cluster_tags"] = [tags_of.get(c, []) for c in clusters]
        if options.generations:
            coords = coords.join(emergence, on="id")
            coords["generation"] = generation_of(coords["emerged_at"])
            plot_generations(options.out / "generations.png", map_xy, coords["emerged_at"])
        write_coords(options.out / "coords.parquet", coords)
        explained = pca.explained_variance_ratio
        plot_pca(options.out / "pca.png", pca_xy, names, followers, (explained[0], explained[1]))
        plot_map(options.out / "map.png", map_xy, names, followers, clusters if options.clusters else None, cluster_labels,
                 dict(zip(scenes["scene"], scenes["colour"])))
        colourings = [generation_colouring(coords["generation"])] if options.generations else []
        if options.generations:
            hover["emerged"] = coords["generation"].tolist()
        write_map_html(options.out / "map.html", map_page(
            shares, mapped, map_xy, clusters, scenes, neighbours, labels, options.profile_url, colourings, hover,
            None if links is None else links.tying, objects))

    exported = []
    if options.export:
        with timer.stage("graph export"):
            exported = export_graph(options.out, "graph", coords,
                                    iter_graph_edges(shares.scores, shares.row_ids, shares.column_ids, totals),
                                    options.export)

    report = {
        "recipe": recipe.name,
        "parameters": {**recipe.parameters(), "seed": options.seed, "clusters": options.clusters,
                       "edges": paths_text(options.edges), "accounts": paths_text(options.accounts),
                       "out": str(options.out), "truth": None if options.truth is None else str(options.truth),
                       "profile_url": options.profile_url, "jobs": options.jobs,
                       "tsne_gradient": options.tsne_gradient, "tsne_method": "openTSNE",
                       "pca_solver": pca.solver, "cluster_method": options.cluster_method,
                       "objects": objects is not None},
        "edges": {"read": edge_counts.edges_read, "distinct": edge_counts.unique_edges,
                  "duplicates": edge_counts.edges_read - edge_counts.rows_without_ids - edge_counts.unique_edges,
                  "without_ids": edge_counts.rows_without_ids, "per_interaction": edge_counts.per_interaction},
        "crawled_accounts_in_accounts_dataset": crawled_accounts,
        "matrix_steps": steps,
        "pca": {"components": int(pca.coordinates.shape[1]), "solver": pca.solver, "centred": True,
                "explained_variance_ratio": [float(v) for v in explained]},
        "tsne": tsne_settings(len(ids), recipe.perplexity, recipe.metric, options.tsne_gradient,
                              options.tsne_large_map),
        "clusters": [{"cluster": int(row.scene), "label": row.label, "size": int(row.size), "colour": row.colour,
                      "central": [names[i] for i in row.central], "tags": list(row.tags)}
                     for row in scenes.itertuples()],
        "quality": quality,
        "timings_seconds": timer.seconds,
        "cpu_seconds": timer.cpu_seconds,
        "peak_rss_mib_after_stage": timer.peak_rss_mib,
        "peak_rss_mib_in_stage": timer.stage_peak_rss_mib,
        "outputs": {name: str(options.out / name) for name in
                    ("coords.parquet", "pca.png", "map.png", "map.html", "report.json")},
    }
    report["window"] = {"since": None if options.slicing.since is None else options.slicing.since.isoformat(),
                        "until": None if options.slicing.until is None else options.slicing.until.isoformat(),
                        "follows": options.slicing.follows} if window is not None else None
    if options.generations:
        report["generations"] = {"emerged_from": emerged_from_counts(coords)}
        report["outputs"]["generations.png"] = str(options.out / "generations.png")
    report["outputs"].update({path.name: str(path) for path in exported})
    report["timings_seconds"]["total"] = round(timer.total(), 3)
    write_report(options.out / "report.json", report)
    return report


def parse_args(argv: list[str] | None) -> MapOptions:
    parser = argparse.ArgumentParser(prog="python -m analysis.build_map", description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, nargs="+",
                        help="crawl output directory holding edges/ and accounts/ (default output/); "
                             "several crawls are read as one")
    parser.add_argument("--edges", type=Path, nargs="+", help="edge dataset(s) (default INPUT/edges)")
    parser.add_argument("--accounts", type=Path, nargs="+", help="accounts dataset(s) (default INPUT/accounts)")
    parser.add_argument("--out", type=Path, help="output directory (default: the first INPUT/map)")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE,
                        help="article: the seed article's method (default); scenes: PMI weighting + cosine "
                             "t-SNE, keeps scenes together best (docs/analysis.md). The options below "
                             "override single parameters of the recipe")
    article = RECIPES["article"]
    parser.add_argument("--weights", help=f"score weight per interaction type "
                                          f"(recipe default: {','.join(f'{k}={v:g}' for k, v in article.weights.items())})")
    parser.add_argument("--min-total", type=float, help="drop accounts whose score sum is under this (default 50)")
    parser.add_argument("--max-share", type=float,
                        help="drop accounts whose largest normalised score is over this (default 0.4)")
    parser.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=None,
                        help="article recipe: divide each account's scores by their sum before PCA "
                             "(default on; off only to compare)")
    parser.add_argument("--pca-components", type=int, help="PCA dimensions fed to t-SNE (default 50)")
    parser.add_argument("--perplexity", type=float, help="t-SNE perplexity (default 30)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same input + seed = same map (default 42)")
    parser.add_argument("--clusters", action=argparse.BooleanOptionalAction, default=True,
                        help="colour and label scene neighbourhoods (default on)")
    parser.add_argument("--cluster-method", choices=CLUSTER_METHODS, default=DEFAULT_CLUSTER_METHOD,
                        help="scenes from: map = HDBSCAN on the t-SNE map (default: best against planted scenes), "
                             "graph = Louvain communities of the PCA rows' nearest-neighbour graph, "
                             "pca-hdbscan = HDBSCAN on the PCA rows")
    parser.add_argument("--truth", type=Path, help="ground-truth table (id, scene[, scenes]) for quality figures")
    parser.add_argument("--profile-url", default="https://soundcloud.com/", help="profile base URL (default %(default)s)")
    parser.add_argument("--tsne-gradient", choices=["auto", "fft", "bh"], default="auto",
                        help="t-SNE gradient: FFT (FIt-SNE) or Barnes-Hut; auto = FFT from 10,000 points")
    parser.add_argument("--tsne-large-map", choices=["auto", "on", "off"], default="auto",
                        help="t-SNE with uniform 15-neighbour affinities and a coarser FFT grid, 6x faster at 1M "
                             "accounts; auto = from 500,000 mapped accounts unless --perplexity is given "
                             "(docs/analysis.md)")
    parser.add_argument("--jobs", type=int, help="threads for t-SNE (default: all cores from 10,000 points, else 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--since", help="map only interactions on or after this date (UTC, e.g. 2021-06-01)")
    parser.add_argument("--until", help="map only interactions before this date (UTC)")
    parser.add_argument("--slices", choices=PERIODS,
                        help="one map per calendar year or quarter, aligned (coords.parquet gets a slice column)")
    parser.add_argument("--follows-in-slices", choices=FOLLOWS_IN_SLICES, default="exclude",
                        help="follows have no date: exclude them from windows and slices (default), or count "
                             "every follow in every window")
    parser.add_argument("--slice-alignment", choices=ALIGNMENTS, default="init",
                        help="init: each slice starts from the previous map (default); procrustes: independent maps "
                             "rotated/scaled onto the previous; none: independent maps")
    parser.add_argument("--generations", action=argparse.BooleanOptionalAction, default=True,
                        help="date each account's emergence and colour generations.png by it (default on)")
    parser.add_argument("--export", default="", help="also write the account graph: gexf, graphml or gexf,graphml")
    args = parser.parse_args(argv)
    if args.max_share is not None and not 0 < args.max_share <= 1:
        parser.error("--max-share must be in (0, 1]")
    if ((args.min_total is not None and args.min_total < 0) or (args.perplexity is not None and args.perplexity <= 0)
            or (args.pca_components is not None and args.pca_components < 2)):
        parser.error("--min-total must be >= 0, --perplexity > 0, --pca-components >= 2")
    roots = args.input or [Path("output")]
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s build_map %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    return MapOptions(
        edges=_one_or_many(args.edges or [root / "edges" for root in roots]),
        accounts=_one_or_many(args.accounts or [root / "accounts" for root in roots]),
        objects=None if args.input is None else [root / "objects" for root in roots],
        out=args.out or roots[0] / "map", recipe=args.recipe,
        weights=None if args.weights is None else parse_weights(args.weights), min_total=args.min_total,
        max_share=args.max_share, normalize=args.normalize, pca_components=args.pca_components,
        perplexity=args.perplexity, seed=args.seed, clusters=args.clusters, truth=args.truth,
        profile_url=args.profile_url, jobs=args.jobs,
        tsne_gradient=args.tsne_gradient,
        # an explicit --perplexity asks for perplexity affinities, which the large-map settings replace
        tsne_large_map="off" if args.tsne_large_map == "auto" and args.perplexity is not None else args.tsne_large_map,
        slicing=_slicing(args), slices=args.slices is not None, generations=args.generations,
        export=parse_formats(args.export) if args.export else [], cluster_method=args.cluster_method)


def _slicing(args: argparse.Namespace) -> SliceOptions:
    """--since / --until / --slices / --follows-in-slices / --slice-alignment."""
    since = parse_date(args.since, "--since") if args.since else None
    until = parse_date(args.until, "--until") if args.until else None
    if since is not None and until is not None and since >= until:
        raise MapBuildError("--since must be before --until")
    return SliceOptions(period=args.slices or "year", since=since, until=until, follows=args.follows_in_slices,
                        alignment=args.slice_alignment)


def _one_or_many(paths: list[Path]) -> Path | list[Path]:
    return paths[0] if len(paths) == 1 else paths


def main(argv: list[str] | None = None) -> int:
    try:
        options = parse_args(argv)
        report = build_map(options)
    except MapBuildError as error:
        print(f"build_map: error: {error}", file=sys.stderr)
        return 2
    except MemoryError:
        print("build_map: error: out of memory", file=sys.stderr)
        return 3
    if "slices" in report:
        print("\n".join(slice_summary_lines(report)))
        print(f"map: {report['outputs']['map.html']}")
        return 0
    for line in summary_lines(report):
        print(line)
    print(f"map: {report['outputs']['map.html']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
