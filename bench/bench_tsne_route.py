"""Benchmark: the large-map t-SNE settings (uniform 15-neighbour affinities, a coarser FFT grid,
Z-ordered points) against the standard run (perplexity 30), per map size: where they pay
(analysis/tsne.py LARGE_MAP_FROM_POINTS).

    .venv/bin/python bench/bench_tsne_route.py --data /tmp/scmap-bench/1m-v3 --sizes 50000,100000,200000
    .venv/bin/python bench/bench_tsne_route.py --neighbours     # Annoy trees: time and recall

``--data``: a dataset written by bench/bench_build_map.py (edges/ and truth.parquet, planted
scenes). Its PCA-50 coordinates (the article recipe, as build_map makes them) are computed once
and cached beside it; each size is a seeded sample of those rows, embedded both ways in this
process. Per size and settings: wall and CPU seconds (all threads) and the 10-NN planted-scene
agreement of the map, with the ratio large-map / standard.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import api  # noqa: E402
from analysis.edge_scores import score_edges  # noqa: E402


def pca_rows(data: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ids, PCA-50 coordinates) of the mapped accounts, cached as data/pca50.npz."""
    cache = data / "pca50.npz"
    if not cache.exists():
        began = time.perf_counter()
        recipe = api.get_recipe("article")
        stages = api.build_matrix_stages(score_edges(data / "edges", recipe.weights).matrix, recipe)
        pca = api.reduce_with_details(stages.reduced_input, recipe)
        np.savez(cache, ids=stages.shares.row_ids, points=pca.coordinates)
        print(f"PCA-50 of {len(pca.coordinates):,} accounts in {time.perf_counter() - began:.0f} s", flush=True)
    cached = np.load(cache)
    return cached["ids"], cached["points"]


def timed(route: str, points: np.ndarray) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    xy = api.embed(points, "article", 42, large_data=route)
    return xy, time.perf_counter() - wall, time.process_time() - cpu


def neighbour_search(n: int = 150_000, dims: int = 50, k: int = 90) -> None:
    """Annoy (openTSNE's neighbour search) with FIt-SNE's 50 trees against fewer, on a seeded
    mixture of 600 clusters in 50-D: wall and CPU seconds, and the share of the exact k nearest
    neighbours found (on 1,000 queries)."""
    from openTSNE.nearest_neighbors import Annoy
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(600, dims)) * 3
    points = centres[rng.integers(0, 600, n)] + rng.normal(size=(n, dims)) * rng.uniform(0.5, 2, (n, 1))
    queries = rng.choice(n, 1000, replace=False)
    exact = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points[queries], return_distance=False)[:, 1:]
    print(f"| trees | wall s | CPU s | recall of {k} neighbours |\n|---|---|---|---|")
    baseline = None
    for trees in (50, 15, 8):
        wall, cpu = time.perf_counter(), time.process_time()
        found, _ = Annoy(points, k, metric="euclidean", n_jobs=-1, random_state=1,
                         knn_kwargs={"n_trees": trees}).build()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        baseline = baseline or cpu
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(found[queries], exact)])
        print(f"| {trees} | {wall:.1f} | {cpu:.1f} ({cpu / baseline:.2f}x) | {recall:.3f} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--sizes", default="50000,100000,200000")
    parser.add_argument("--neighbours", action="store_true", help="only time Annoy's trees against recall")
    args = parser.parse_args()
    if args.neighbours:
        neighbour_search()
        return 0
    if args.data is None:
        parser.error("--data is required (a dataset of bench/bench_build_map.py)")
    ids, points = pca_rows(args.data)
    truth = api.load_truth(args.data / "truth.parquet")
    print("| points | standard: wall s | CPU s | 10-NN agreement | large-map: wall s | CPU s | 10-NN agreement "
          "| CPU large-map / standard |\n|---|---|---|---|---|---|---|---|", flush=True)
    for size in (int(text) for text in args.sizes.split(",")):
        rows = np.sort(np.random.default_rng(7).choice(len(points), size=min(size, len(points)), replace=False))
        figures = []
        for route in ("off", "on"):
            xy, wall, cpu = timed(route, points[rows])
            figures.append((wall, cpu, api.score(ids[rows], xy, truth)["neighbour_scene_agreement"]))
        (wall_f, cpu_f, agree_f), (wall_l, cpu_l, agree_l) = figures
        print(f"| {len(rows):,} | {wall_f:,.0f} | {cpu_f:,.0f} | {agree_f:.3f} | {wall_l:,.0f} | {cpu_l:,.0f} "
              f"| {agree_l:.3f} | {cpu_l / cpu_f:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
