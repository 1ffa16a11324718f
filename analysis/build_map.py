"""``python -m analysis.build_map``: crawl Parquet -> scene map (the seed article's method, sparse).

Stages (one module each): read_edges (dedup + counts) -> interaction_matrix (weights, filters,
normalisation) -> pca (PCA-2 and PCA-50) -> tsne -> clusters (scene labels) -> outputs
(coords.parquet, pca.png, map.png, map.html, report.json) and, with --truth, quality.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.account_labels import LabelCollector
from analysis.clusters import UNCLUSTERED, centrality_within_cluster, find_neighbourhoods, name_clusters
from analysis.coords import write_coords
from analysis.errors import MapBuildError
from analysis.html_map import MapPage, write_map_html
from analysis.interaction_matrix import (DEFAULT_WEIGHTS, InteractionMatrix, build_score_matrix, drop_dominated,
                                         drop_low_total, normalize_rows, parse_weights)
from analysis.neighbours import strongest_neighbours
from analysis.pca import reduce_with_pca
from analysis.progress import StageTimer
from analysis.quality import load_scene_sets, map_quality
from analysis.read_accounts import collect_account_labels
from analysis.read_edges import collect_edge_labels, count_edges
from analysis.report import summary_lines, write_report
from analysis.static_plots import plot_map, plot_pca
from analysis.tsne import embed_with_tsne, gradient_method, usable_perplexity

log = logging.getLogger("analysis")
NEIGHBOURS_SHOWN = 8


@dataclass
class MapOptions:
    edges: Path = Path("output/edges")
    accounts: Path = Path("output/accounts")
    out: Path = Path("output/map")
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    min_total: float = 50.0
    max_share: float = 0.4
    normalize: bool = True
    pca_components: int = 50
    perplexity: float = 30.0
    seed: int = 42
    clusters: bool = True
    truth: Path | None = None
    profile_url: str = "https://soundcloud.com/"
    jobs: int | None = None
    tsne_gradient: str = "auto"


def _step(matrix: InteractionMatrix, name: str) -> dict:
    return {"step": name, "rows": int(matrix.shape[0]), "columns": int(matrix.shape[1]),
            "nonzeros": int(matrix.scores.nnz)}


def _require_rows(matrix: InteractionMatrix, after: str) -> None:
    if matrix.shape[0] == 0:
        raise MapBuildError(f"no accounts left after {after}: nothing to map (relax the filter)")


def build_map(options: MapOptions) -> dict:
    """Run every stage; returns the report (also written to ``out/report.json``)."""
    timer = StageTimer()
    steps = []

    with timer.stage("read edges"):
        edge_counts = count_edges(options.edges)
    if edge_counts.unique_edges == 0:
        raise MapBuildError(f"edge dataset {options.edges} holds no edges with account ids")

    with timer.stage("score matrix + filters"):
        matrix = build_score_matrix(edge_counts.by_interaction, options.weights, consume=True)
        steps.append(_step(matrix, "crawled (sources)"))
        _require_rows(matrix, "weighting (every interaction type has weight 0?)")
        matrix = drop_low_total(matrix, options.min_total)
        steps.append(_step(matrix, f"score sum >= {options.min_total:g}"))
        _require_rows(matrix, f"--min-total {options.min_total:g}")
        # The share filter reads max / sum, so it runs before normalising: one copy fewer.
        matrix = drop_dominated(matrix, options.max_share)
        steps.append(_step(matrix, f"largest share <= {options.max_share:g}"))
        _require_rows(matrix, f"--max-share {options.max_share:g}")
        if options.normalize:
            shares = reduced_input = normalize_rows(matrix, in_place=True)
        else:  # --no-normalize, for comparison only: raw scores into PCA
            reduced_input, shares = matrix, normalize_rows(matrix)
        del matrix

    with timer.stage(f"PCA ({shares.shape[0]:,} x {shares.shape[1]:,} sparse)"):
        pca = reduce_with_pca(reduced_input.scores, options.pca_components, options.seed)
    del reduced_input
    pca_xy = pca.coordinates[:, :2]

    with timer.stage(f"t-SNE ({len(pca.coordinates):,} points)"):
        map_xy = embed_with_tsne(pca.coordinates, options.perplexity, options.seed, options.jobs,
                                 options.tsne_gradient)

    ids = shares.row_ids
    with timer.stage("labels"):
        # One extra: an account's own column (self-likes) is not a neighbour and is skipped.
        neighbour_columns, neighbour_shares = strongest_neighbours(shares.scores, NEIGHBOURS_SHOWN + 1)
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
        if options.clusters:
            clusters = find_neighbourhoods(map_xy, seed=options.seed)
            centrality = centrality_within_cluster(shares.scores, ids, shares.column_ids, clusters)
            cluster_labels = name_clusters(clusters, centrality, names, followers)
        else:
            clusters, cluster_labels = np.full(len(ids), UNCLUSTERED), {}

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
        plot_map(options.out / "map.png", map_xy, names, followers, clusters if options.clusters else None, cluster_labels)
        write_map_html(options.out / "map.html", _map_page(options, shares, mapped, map_xy, clusters, cluster_labels,
                                                            neighbour_columns, neighbour_shares, labels))

    report = {
        "parameters": {**{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()},
                       "tsne_method": "openTSNE"},
        "edges": {"read": edge_counts.edges_read, "distinct": edge_counts.unique_edges,
                  "duplicates": edge_counts.edges_read - edge_counts.rows_without_ids - edge_counts.unique_edges,
                  "without_ids": edge_counts.rows_without_ids, "per_interaction": edge_counts.per_interaction},
        "crawled_accounts_in_accounts_dataset": crawled_accounts,
        "matrix_steps": steps,
        "pca": {"components": int(pca.coordinates.shape[1]), "solver": pca.solver, "centred": True,
                "explained_variance_ratio": [float(v) for v in explained]},
        "tsne": {"perplexity_used": usable_perplexity(options.perplexity, len(ids)),
                 "gradient": gradient_method(len(ids), options.tsne_gradient)},
        "clusters": [{"cluster": c, "label": label, "size": int((clusters == c).sum())}
                     for c, label in cluster_labels.items()],
        "quality": quality,
        "timings_seconds": timer.seconds,
        "peak_rss_mib_after_stage": timer.peak_rss_mib,
        "outputs": {name: str(options.out / name) for name in
                    ("coords.parquet", "pca.png", "map.png", "map.html", "report.json")},
    }
    report["timings_seconds"]["total"] = round(timer.total(), 3)
    write_report(options.out / "report.json", report)
    return report


def _map_page(options: MapOptions, shares: InteractionMatrix, mapped: pd.DataFrame, map_xy: np.ndarray,
              clusters: np.ndarray, cluster_labels: dict[int, str], neighbour_columns: np.ndarray,
              neighbour_shares: np.ndarray, labels: LabelCollector) -> MapPage:
    """Neighbours that are on the map link to their point; the others get a small name table."""
    position_of = {account: row for row, account in enumerate(shares.row_ids.tolist())}
    other_ids = sorted({int(shares.column_ids[c]) for c in neighbour_columns[neighbour_columns >= 0].tolist()}
                       - position_of.keys())
    other_index = {account: index for index, account in enumerate(other_ids)}
    others = labels.labels(pd.Index(other_ids, dtype="int64"))
    neighbours = []
    for own_id, columns, values in zip(shares.row_ids.tolist(), neighbour_columns, neighbour_shares):
        row = []
        for column, share in zip(columns.tolist(), values.tolist()):
            if column < 0:
                break
            account = int(shares.column_ids[column])
            if account != own_id:
                row.append((position_of[account] if account in position_of else -1 - other_index[account], share))
        neighbours.append(row[:NEIGHBOURS_SHOWN])
    profile_url = options.profile_url if options.profile_url.endswith("/") else options.profile_url + "/"
    return MapPage(
        x=map_xy[:, 0], y=map_xy[:, 1], names=mapped["username"].tolist(),
        permalinks=mapped["permalink"].fillna("").tolist(),
        followers=[None if pd.isna(f) else int(f) for f in mapped["followers_count"]],
        clusters=clusters, cluster_labels=cluster_labels, neighbours=neighbours,
        other_names=others["username"].tolist(), other_permalinks=others["permalink"].fillna("").tolist(),
        profile_url=profile_url,
    )


def parse_args(argv: list[str] | None) -> MapOptions:
    parser = argparse.ArgumentParser(prog="python -m analysis.build_map", description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, help="crawl output directory holding edges/ and accounts/ (default output/)")
    parser.add_argument("--edges", type=Path, help="edge dataset (default INPUT/edges)")
    parser.add_argument("--accounts", type=Path, help="accounts dataset (default INPUT/accounts)")
    parser.add_argument("--out", type=Path, help="output directory (default INPUT/map)")
    parser.add_argument("--weights", default="likes=1,comments=3,reposts=3,follows=3",
                        help="score weight per interaction type (default: %(default)s)")
    parser.add_argument("--min-total", type=float, default=50.0, help="drop accounts whose score sum is under this (default 50)")
    parser.add_argument("--max-share", type=float, default=0.4,
                        help="drop accounts whose largest normalised score is over this (default 0.4)")
    parser.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=True,
                        help="divide each account's scores by their sum before PCA (default on; off only to compare)")
    parser.add_argument("--pca-components", type=int, default=50, help="PCA dimensions fed to t-SNE (default 50)")
    parser.add_argument("--perplexity", type=float, default=30.0, help="t-SNE perplexity (default 30)")
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
    if not 0 < args.max_share <= 1:
        parser.error("--max-share must be in (0, 1]")
    if args.min_total < 0 or args.perplexity <= 0 or args.pca_components < 2:
        parser.error("--min-total must be >= 0, --perplexity > 0, --pca-components >= 2")
    root = args.input or Path("output")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s build_map %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    return MapOptions(
        edges=args.edges or root / "edges", accounts=args.accounts or root / "accounts",
        out=args.out or root / "map", weights=parse_weights(args.weights), min_total=args.min_total,
        max_share=args.max_share, normalize=args.normalize, pca_components=args.pca_components,
        perplexity=args.perplexity, seed=args.seed, clusters=args.clusters, truth=args.truth,
        profile_url=args.profile_url, jobs=args.jobs,
        tsne_gradient=args.tsne_gradient)


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
