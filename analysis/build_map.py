"""``python -m analysis.build_map``: crawl Parquet -> scene map (``--recipe article``: the seed
article's method, sparse; ``--recipe scenes``: the recipe that keeps scenes together best).

A thin command line over :mod:`analysis.api`: read_edges (dedup + counts) -> interaction_matrix
(weights, filters, the recipe's weighting) -> pca (PCA-2 and PCA-50) -> tsne -> clusters (scene
labels) -> outputs (coords.parquet, pca.png, map.png, map.html, report.json) and, with --truth,
quality.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import api
from analysis.account_labels import LabelCollector
from analysis.clusters import UNCLUSTERED
from analysis.coords import write_coords
from analysis.errors import MapBuildError
from analysis.html_map import MapPage, Scene, write_map_html
from analysis.interaction_matrix import InteractionMatrix, parse_weights
from analysis.neighbours import strongest_neighbours
from analysis.progress import StageTimer
from analysis.quality import load_scene_sets, map_quality
from analysis.read_accounts import collect_account_labels
from analysis.read_edges import collect_edge_labels, count_edges
from analysis.recipes import DEFAULT_RECIPE, RECIPES, Recipe, get_recipe
from analysis.report import summary_lines, write_report
from analysis.static_plots import plot_map, plot_pca
from analysis.tsne import gradient_method, usable_perplexity

log = logging.getLogger("analysis")
NEIGHBOURS_SHOWN = 8


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


def recipe_of(options: MapOptions) -> Recipe:
    """The named recipe with the options' overrides applied."""
    return get_recipe(options.recipe).with_changes(
        weights=options.weights, min_total=options.min_total, max_share=options.max_share,
        normalize=options.normalize, pca_components=options.pca_components, perplexity=options.perplexity)


def build_map(options: MapOptions) -> dict:
    """Run every stage; returns the report (also written to ``out/report.json``)."""
    recipe = recipe_of(options)
    timer = StageTimer()

    with timer.stage("read edges"):
        edge_counts = count_edges(options.edges)
    if edge_counts.unique_edges == 0:
        raise MapBuildError(f"edge dataset {options.edges} holds no edges with account ids")

    with timer.stage("score matrix + filters"):
        stages = api.build_matrix_stages(edge_counts, recipe, consume=True, track_kinds=True)
    shares, steps = stages.shares, stages.steps

    with timer.stage(f"PCA ({stages.reduced_input.shape[0]:,} x {stages.reduced_input.shape[1]:,} sparse)"):
        pca = api.reduce_with_details(stages.reduced_input, recipe, options.seed)
    del stages
    pca_xy = pca.coordinates[:, :2]

    with timer.stage(f"t-SNE ({len(pca.coordinates):,} points)"):
        map_xy = api.embed(pca.coordinates, recipe, options.seed, options.jobs, options.tsne_gradient)

    ids = shares.row_ids
    with timer.stage("labels"):
        # One extra: an account's own column (self-likes) is not a neighbour and is skipped.
        neighbour_columns, neighbour_shares, neighbour_kinds = strongest_neighbours(
            shares.scores, NEIGHBOURS_SHOWN + 1, shares.kinds)
        neighbour_ids = np.unique(shares.column_ids[neighbour_columns[neighbour_columns >= 0]])
        labels = LabelCollector()
        crawled_accounts = collect_account_labels(options.accounts, labels)
        wanted = np.union1d(ids, neighbour_ids)
        collect_edge_labels(options.edges, wanted, labels)
        missing_permalink = np.setdiff1d(wanted, np.fromiter(labels.ids_with("permalink"), np.int64))
        if len(missing_permalink):
            collect_edge_labels(options.edges, np.array([], np.int64), labels, source_permalinks_for=missing_permalink)
        mapped = labels.labels(pd.Index(ids))
        names = mapped["username"].tolist()
        followers = mapped["followers_count"].to_numpy(dtype="float64", na_value=np.nan)

    with timer.stage("scene clusters"):
        clusters = api.find_scenes(map_xy, seed=options.seed) if options.clusters else np.full(len(ids), UNCLUSTERED)
        scenes = api.describe_scenes(clusters, shares, names, followers)
        cluster_labels = dict(zip(scenes["scene"], scenes["label"]))

    quality = None
    if options.truth is not None:
        with timer.stage("quality"):
            quality = map_quality(ids, map_xy, pca_xy, pca.coordinates, load_scene_sets(options.truth), options.seed)

    with timer.stage("write outputs"):
        options.out.mkdir(parents=True, exist_ok=True)
        coords = mapped.reset_index()
        coords["x"], coords["y"] = map_xy[:, 0], map_xy[:, 1]
        coords["pca_x"], coords["pca_y"] = pca_xy[:, 0], pca_xy[:, 1]
        coords["cluster"] = clusters
        coords["cluster_label"] = [cluster_labels.get(c) for c in clusters]
        write_coords(options.out / "coords.parquet", coords)
        explained = pca.explained_variance_ratio
        plot_pca(options.out / "pca.png", pca_xy, names, followers, (explained[0], explained[1]))
        plot_map(options.out / "map.png", map_xy, names, followers, clusters if options.clusters else None, cluster_labels,
                 dict(zip(scenes["scene"], scenes["colour"])))
        write_map_html(options.out / "map.html", _map_page(options, shares, mapped, map_xy, clusters, scenes,
                                                            neighbour_columns, neighbour_shares, neighbour_kinds, labels))

    report = {
        "recipe": recipe.name,
        "parameters": {**recipe.parameters(), "seed": options.seed, "clusters": options.clusters,
                       "edges": _paths_text(options.edges), "accounts": _paths_text(options.accounts),
                       "out": str(options.out), "truth": None if options.truth is None else str(options.truth),
                       "profile_url": options.profile_url, "jobs": options.jobs,
                       "tsne_gradient": options.tsne_gradient, "tsne_method": "openTSNE",
                       "pca_solver": pca.solver},
        "edges": {"read": edge_counts.edges_read, "distinct": edge_counts.unique_edges,
                  "duplicates": edge_counts.edges_read - edge_counts.rows_without_ids - edge_counts.unique_edges,
                  "without_ids": edge_counts.rows_without_ids, "per_interaction": edge_counts.per_interaction},
        "crawled_accounts_in_accounts_dataset": crawled_accounts,
        "matrix_steps": steps,
        "pca": {"components": int(pca.coordinates.shape[1]), "solver": pca.solver, "centred": True,
                "explained_variance_ratio": [float(v) for v in explained]},
        "tsne": {"perplexity_used": usable_perplexity(recipe.perplexity, len(ids)), "metric": recipe.metric,
                 "gradient": gradient_method(len(ids), options.tsne_gradient)},
        "clusters": [{"cluster": int(row.scene), "label": row.label, "size": int(row.size), "colour": row.colour,
                      "central": [names[i] for i in row.central]} for row in scenes.itertuples()],
        "quality": quality,
        "timings_seconds": timer.seconds,
        "cpu_seconds": timer.cpu_seconds,
        "peak_rss_mib_after_stage": timer.peak_rss_mib,
        "outputs": {name: str(options.out / name) for name in
                    ("coords.parquet", "pca.png", "map.png", "map.html", "report.json")},
    }
    report["timings_seconds"]["total"] = round(timer.total(), 3)
    write_report(options.out / "report.json", report)
    return report


def _paths_text(paths: Path | list[Path]) -> str | list[str]:
    return str(paths) if isinstance(paths, (str, Path)) else [str(p) for p in paths]


def _map_page(options: MapOptions, shares: InteractionMatrix, mapped: pd.DataFrame, map_xy: np.ndarray,
              clusters: np.ndarray, scenes: pd.DataFrame, neighbour_columns: np.ndarray,
              neighbour_shares: np.ndarray, neighbour_kinds: np.ndarray, labels: LabelCollector) -> MapPage:
    """Neighbours that are on the map link to their point; the others get a small name table."""
    position_of = {account: row for row, account in enumerate(shares.row_ids.tolist())}
    other_ids = sorted({int(shares.column_ids[c]) for c in neighbour_columns[neighbour_columns >= 0].tolist()}
                       - position_of.keys())
    other_index = {account: index for index, account in enumerate(other_ids)}
    others = labels.labels(pd.Index(other_ids, dtype="int64"))
    neighbours = []
    for own_id, columns, values, kinds in zip(shares.row_ids.tolist(), neighbour_columns, neighbour_shares,
                                              neighbour_kinds):
        row = []
        for column, share, bits in zip(columns.tolist(), values.tolist(), kinds.tolist()):
            if column < 0:
                break
            account = int(shares.column_ids[column])
            if account != own_id:
                row.append((position_of[account] if account in position_of else -1 - other_index[account], share, bits))
        neighbours.append(row[:NEIGHBOURS_SHOWN])
    profile_url = options.profile_url if options.profile_url.endswith("/") else options.profile_url + "/"
    return MapPage(
        x=map_xy[:, 0], y=map_xy[:, 1], names=mapped["username"].tolist(),
        permalinks=mapped["permalink"].fillna("").tolist(),
        followers=[None if pd.isna(f) else int(f) for f in mapped["followers_count"]],
        clusters=clusters, neighbours=neighbours, kind_names=list(shares.kind_names),
        scenes=[Scene(int(row.scene), row.label, int(row.size), list(row.central), row.colour)
                for row in scenes.itertuples()],
        other_names=others["username"].tolist(), other_permalinks=others["permalink"].fillna("").tolist(),
        profile_url=profile_url,
    )


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
    parser.add_argument("--truth", type=Path, help="ground-truth table (id, scene[, scenes]) for quality figures")
    parser.add_argument("--profile-url", default="https://soundcloud.com/", help="profile base URL (default %(default)s)")
    parser.add_argument("--tsne-gradient", choices=["auto", "fft", "bh"], default="auto",
                        help="t-SNE gradient: FFT (FIt-SNE) or Barnes-Hut; auto = FFT from 10,000 points")
    parser.add_argument("--jobs", type=int, help="threads for t-SNE (default: all cores from 10,000 points, else 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
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
        out=args.out or roots[0] / "map", recipe=args.recipe,
        weights=None if args.weights is None else parse_weights(args.weights), min_total=args.min_total,
        max_share=args.max_share, normalize=args.normalize, pca_components=args.pca_components,
        perplexity=args.perplexity, seed=args.seed, clusters=args.clusters, truth=args.truth,
        profile_url=args.profile_url, jobs=args.jobs,
        tsne_gradient=args.tsne_gradient)


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
    for line in summary_lines(report):
        print(line)
    print(f"map: {report['outputs']['map.html']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
