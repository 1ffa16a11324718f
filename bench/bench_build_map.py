"""Benchmark: python -m analysis.build_map on synthetic crawl output, against the article's
dense method. Prints wall and CPU time per stage and peak RSS (each run in its own subprocess,
peak RSS from os.wait4's rusage of exactly that child).

    .venv/bin/python bench/bench_build_map.py --scale article      # 2,250 accounts, ~122,000 columns
    .venv/bin/python bench/bench_build_map.py --scale 100k         # 100,000 crawled, ~22 M edges (quick)
    .venv/bin/python bench/bench_build_map.py --scale 1m --recipes article --export    # ~219 M edges
    .venv/bin/python bench/bench_build_map.py --scale 300k-caps --recipes article      # ~400 M edges
    .venv/bin/python bench/bench_build_map.py --scale small        # quick check

Each recipe (``--recipes article,scenes``) runs in its own child; the figures include the
time ratio scenes / article and, from the map page each run wrote, its size and, with
``--page``, its time to first paint and time per zoom step in real Chromium.

Synthetic data (SCALES): planted scenes; each active crawled account has a scale's number of
interactions of each type, half in its own scene (popularity-skewed), some to globally popular accounts, the rest
spread over the long tail; ~12% barely active accounts and ~8% self-likers (for the two
filters); 3% of edges duplicated (as a re-crawl would). Dataset cached under --data-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
# sources: crawled accounts; columns: every account touched; per_type: (low, high) interactions of
# each type per active crawled account, drawn uniformly (the crawl caps lists at 500 per type).
SCALES = {
    "small": {"sources": 400, "columns": 8_000, "per_type": (200, 200)},
    "article": {"sources": 2_250, "columns": 122_000, "per_type": (500, 500)},
    "100k": {"sources": 100_000, "columns": 200_000, "per_type": (20, 100)},        # 1m's shape, 1/10
    "100k-caps": {"sources": 100_000, "columns": 2_000_000, "per_type": (500, 500)},  # ~181 M edges
    "300k-caps": {"sources": 300_000, "columns": 3_000_000, "per_type": (260, 500)},  # ~400 M edges
    "1m": {"sources": 1_000_000, "columns": 2_000_000, "per_type": (20, 100)},        # ~200 M edges
}
TYPES = {"likes": "track", "comments": "track", "reposts": "track", "follows": "user"}
TS = pa.timestamp("us", tz="UTC")
ROWS_PER_FILE = 2_000_000  # about the writer's compacted part files


def generate(out: Path, sources: int, columns: int, per_type: tuple[int, int], seed: int = 7) -> None:
    """Write edges/ and accounts/ in the crawler's layout (docs/architecture.md), a chunk of
    crawled accounts at a time, fully vectorised (1m: ~200 M edges)."""
    rng = np.random.default_rng(seed)
    n_scenes = max(8, sources // 250)
    scene_of = rng.integers(0, n_scenes, columns)
    popularity = rng.pareto(1.2, columns) + 1  # heavy tail: a few accounts get most interactions
    # Every scene's members, popularity-weighted, as one sorted array: scene s's cumulative shares
    # are offset by s, so one searchsorted of (s + u) picks a member of scene s for every row.
    by_scene = np.argsort(scene_of, kind="stable")
    scene_sorted = scene_of[by_scene]
    weight = popularity[by_scene]
    group_sum = np.bincount(scene_sorted, weights=weight, minlength=n_scenes)
    running = np.cumsum(weight) - np.concatenate([[0], np.cumsum(group_sum)[:-1]])[scene_sorted]
    scene_cdf = scene_sorted + running / group_sum[scene_sorted]
    global_cdf = np.cumsum(popularity) / popularity.sum()
    ids = np.arange(1, columns + 1, dtype=np.int64) * 7 + 1_000  # non-contiguous ids
    permalinks = pa.array([f"user-{i}" for i in ids])
    usernames = pa.array([f"User {i}" for i in ids])
    followers = rng.integers(250, 200_000, columns)
    inactive = rng.random(sources) < 0.12
    self_liker = np.zeros(columns, bool)
    self_liker[:sources] = rng.random(sources) < 0.08
    scraped = np.datetime64("2025-06-01T00:00:00", "us").astype(np.int64)
    for typ in TYPES:
        (out / "edges" / f"interaction={typ}").mkdir(parents=True, exist_ok=True)
    sources_per_file = max(1, ROWS_PER_FILE // per_type[1])
    for start in range(0, sources, sources_per_file):
        block = np.arange(start, min(sources, start + sources_per_file))
        for typ, kind in TYPES.items():
            # ~12% barely active accounts (the --min-total filter drops them).
            per_source = np.where(inactive[block], rng.integers(0, 8, len(block)),
                                  rng.integers(per_type[0], per_type[1] + 1, len(block)))
            src = np.repeat(block, per_source)
            choice = rng.random(len(src))
            dst = rng.integers(0, columns, len(src))                      # 30 %: the long tail
            popular = (choice >= 0.3) & (choice < 0.5)                     # 20 %: the popular accounts
            dst[popular] = np.searchsorted(global_cdf, rng.random(popular.sum()))
            in_scene = choice >= 0.5                                       # 50 %: the own scene
            own = scene_of[src[in_scene]]
            picked = np.searchsorted(scene_cdf, own + rng.random(len(own)))
            dst[in_scene] = by_scene[np.minimum(picked, columns - 1)]
            dst = np.minimum(dst, columns - 1)
            if typ == "likes":  # ~8% self-likers (the --max-share filter drops them)
                selfish = self_liker[src] & (rng.random(len(src)) < 0.6)
                dst[selfish] = src[selfish]
            object_id = ids[dst] if kind == "user" else ids[dst] * 100 + rng.integers(0, 30, len(src))
            created = rng.integers(1_400_000_000, 1_750_000_000, len(src)) * 1_000_000
            duplicate = rng.random(len(src)) < 0.03  # a re-crawl writes some edges twice
            take = np.concatenate([np.arange(len(src)), np.flatnonzero(duplicate)])
            src, dst, object_id, created = src[take], dst[take], object_id[take], created[take]
            src_index, dst_index = pa.array(src), pa.array(dst)
            table = pa.table({
                "src_id": ids[src], "src_permalink": permalinks.take(src_index),
                "dst_id": ids[dst], "dst_permalink": permalinks.take(dst_index),
                "dst_username": usernames.take(dst_index), "dst_followers_count": followers[dst],
                "object_kind": pa.array(np.full(len(src), kind)), "object_id": object_id,
                "created_at": pa.array(created, TS), "scraped_at": pa.array(np.full(len(src), scraped), TS),
                "crawl_id": pa.array(np.full(len(src), "bench")),
            })
            pq.write_table(table, out / "edges" / f"interaction={typ}" / f"part-bench-{start:07d}.parquet")
        print(f"  {min(sources, start + sources_per_file):,} / {sources:,} crawled accounts written", flush=True)
    (out / "accounts").mkdir(parents=True, exist_ok=True)
    crawled = np.arange(sources)
    pq.write_table(pa.table({
        "id": ids[crawled], "permalink": permalinks.take(pa.array(crawled)), "username": usernames.take(pa.array(crawled)),
        "followers_count": followers[crawled], "followings_count": np.zeros(sources, np.int64),
        "track_count": np.zeros(sources, np.int64), "scraped_at": pa.array(np.full(sources, scraped), TS),
        "crawl_id": pa.array(np.full(sources, "bench")),
    }), out / "accounts" / "part-bench-0000000.parquet")
    pq.write_table(pa.table({"id": ids, "scene": pa.array([f"scene-{s}" for s in scene_of])}), out / "truth.parquet")
    (out / "done").write_text("ok")


def dense_baseline(data: Path) -> None:
    """The article's way: one dense pandas table (crawled accounts x all accounts) per type,
    summed into a dense score table, dense filters, scikit-learn PCA and Barnes-Hut t-SNE.
    Kinder than the article: it holds one type's table at a time, not all four."""
    import pandas as pd
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    began = time.perf_counter()
    edges = pd.read_parquet(data / "edges", columns=["src_id", "dst_id", "object_kind", "object_id", "created_at",
                                                    "interaction"])
    edges = edges.drop_duplicates()
    rows = np.sort(edges["src_id"].unique())
    columns = np.sort(edges["dst_id"].unique())
    weights = {"likes": 1.0, "comments": 3.0, "reposts": 3.0, "follows": 3.0}
    scores = pd.DataFrame(0.0, index=rows, columns=columns)
    for typ, weight in weights.items():
        of_type = edges[edges["interaction"] == typ]
        table = np.zeros((len(rows), len(columns)))
        np.add.at(table, (np.searchsorted(rows, of_type["src_id"]), np.searchsorted(columns, of_type["dst_id"])), 1)
        scores += pd.DataFrame(table, index=rows, columns=columns) * weight
        del table
    print(f"  baseline tables: {time.perf_counter() - began:.1f} s", flush=True)
    scores = scores[scores.sum(axis=1) >= 50]
    scores = scores.div(scores.sum(axis=1), axis=0)
    scores = scores[scores.max(axis=1) <= 0.4]
    PCA(n_components=2, random_state=42).fit_transform(scores.to_numpy())
    reduced = PCA(n_components=50, random_state=42).fit_transform(scores.to_numpy())
    print(f"  baseline PCA: {time.perf_counter() - began:.1f} s", flush=True)
    TSNE(n_components=2, perplexity=30, init="pca", random_state=42).fit_transform(reduced)
    print(f"  baseline total: {time.perf_counter() - began:.1f} s ({len(scores):,} rows mapped)", flush=True)


def measure_page(path: Path, zoom_steps: int = 12) -> dict:
    """Bytes, time to first paint (from navigation start, parsing the embedded data included)
    and time per zoom step (one synchronous redraw: points, links, label placement) of a map
    page in real Chromium (/usr/bin/chromium, as the tests use)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(path.as_uri(), timeout=300_000)
        page.wait_for_function("window.scmapMap && window.scmapMap.firstPaintMs !== null", timeout=300_000)
        first_paint = page.evaluate("window.scmapMap.firstPaintMs")
        steps = [page.evaluate("window.scmapMap.zoomBy(1.3)") for _ in range(zoom_steps)]
        steps += [page.evaluate("window.scmapMap.zoomBy(1 / 1.3)") for _ in range(zoom_steps)]
        points = page.evaluate("window.scmapMap.pointCount")
        browser.close()
    return {"bytes": path.stat().st_size, "points": points, "first_paint_ms": round(first_paint),
            "zoom_step_ms_mean": round(sum(steps) / len(steps), 1), "zoom_step_ms_max": round(max(steps), 1)}


LAST_CPU_SECONDS = {"value": 0.0}


def print_stage_table(report: dict, wall: float, cpu: float, peak: float) -> None:
    """Per stage: wall and CPU seconds and the peak RSS within the stage (sampled in build_map)."""
    in_stage = report.get("peak_rss_mib_in_stage", {})
    print(f"| stage | wall s | CPU s | peak RSS MiB |\n|---|---|---|---|")
    for name, seconds in report["timings_seconds"].items():
        if name == "total":
            continue
        print(f"| {name} | {seconds:,.1f} | {report['cpu_seconds'].get(name, 0):,.1f} | {in_stage.get(name, '')} |")
    print(f"| **whole run** (child process) | {wall:,.1f} | {cpu:,.1f} | {peak:,.0f} |", flush=True)
    quality = report.get("quality") or {}
    if "tsne_neighbour_scene_agreement" in quality:
        print(f"10-NN planted-scene agreement {quality['tsne_neighbour_scene_agreement']:.3f} "
              f"(chance {quality['chance_neighbour_scene_agreement']:.3f}), {report['edges']['read']:,} edges read",
              flush=True)


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit code) of one child process; its CPU seconds (user +
    system, all threads: less sensitive to a loaded machine than wall time) in LAST_CPU_SECONDS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    LAST_CPU_SECONDS["value"] = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="article")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "scmap-bench")
    parser.add_argument("--recipes", default="article,scenes", help="recipes to run, comma-separated (default %(default)s)")
    parser.add_argument("--page", action="store_true", help="also time the map page in Chromium (bytes, first paint, zoom)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the dense baseline (only run at small and article scale)")
    parser.add_argument("--export", action="store_true", help="also write --export gexf,graphml (timed as its own stage)")
    parser.add_argument("--generate-only", action="store_true", help="only generate (and cache) the synthetic crawl")
    parser.add_argument("--dense-baseline", type=Path, metavar="DATA", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dense_baseline:
        dense_baseline(args.dense_baseline)
        return 0
    scale = SCALES[args.scale]
    data = args.data_dir / f"{args.scale}-v3"
    if not (data / "done").exists():
        print(f"generating {args.scale} dataset in {data} ...", flush=True)
        began = time.perf_counter()
        generate(data, **scale)
        print(f"  generated in {time.perf_counter() - began:.0f} s", flush=True)
    if args.generate_only:
        return 0
    python = sys.executable
    figures: dict = {"scale": args.scale}
    print(f"\n== build_map ({args.scale}: {scale['sources']:,} crawled accounts, {scale['columns']:,} accounts, "
          f"{scale['per_type']} interactions per type each)", flush=True)
    for recipe in args.recipes.split(","):
        out = data / f"map-{recipe}"
        print(f"-- recipe {recipe}", flush=True)
        command = [python, "-m", "analysis.build_map", "--input", str(data), "--out", str(out),
                   "--recipe", recipe, "--truth", str(data / "truth.parquet")]
        wall, peak, code = run_measured(command + (["--export", "gexf,graphml"] if args.export else []))
        if code != 0:
            print(f"build_map --recipe {recipe} failed with exit code {code}")
            return 1
        report = json.loads((out / "report.json").read_text())
        figures[f"build_map {recipe}"] = {
            "wall_seconds": round(wall, 1), "cpu_seconds": round(LAST_CPU_SECONDS["value"], 1),
            "peak_rss_mib": round(peak), "stages_seconds": report["timings_seconds"],
            "stages_cpu_seconds": report["cpu_seconds"],
            "matrix_steps": report["matrix_steps"], "quality": report["quality"],
            "map_html_bytes": (out / "map.html").stat().st_size,
            "stages_peak_rss_mib": report.get("peak_rss_mib_in_stage"),
            "edges": report["edges"]["read"]}
        if args.export:
            figures[f"build_map {recipe}"]["export_bytes"] = {
                name: (out / name).stat().st_size for name in ("graph.gexf", "graph.graphml")}
        print_stage_table(report, wall, LAST_CPU_SECONDS["value"], peak)
        if args.page:
            figures[f"build_map {recipe}"]["page"] = measure_page(out / "map.html")
    walls = {k: v["wall_seconds"] for k, v in figures.items() if k.startswith("build_map ")}
    if "build_map article" in walls and "build_map scenes" in walls:
        figures["time_scenes_over_article"] = round(walls["build_map scenes"] / walls["build_map article"], 2)
        cpu = {k: figures[k]["cpu_seconds"] for k in ("build_map article", "build_map scenes")}
        figures["cpu_scenes_over_article"] = round(cpu["build_map scenes"] / max(cpu["build_map article"], 1e-9), 2)
    wall, peak = next(iter(walls.values())), figures[next(iter(walls))]["peak_rss_mib"]
    if args.scale in ("small", "article") and not args.no_baseline:
        print("\n== baseline: the article's way (dense pandas tables, scikit-learn PCA + Barnes-Hut t-SNE)", flush=True)
        wall_b, peak_b, code_b = run_measured([python, str(Path(__file__).resolve()), "--dense-baseline", str(data)])
        if code_b == 0:
            figures["baseline"] = {"wall_seconds": round(wall_b, 1), "peak_rss_mib": round(peak_b)}
            figures["ratios"] = {"time_baseline_over_build_map": round(wall_b / wall, 1),
                                 "memory_baseline_over_build_map": round(peak_b / peak, 1)}
        else:
            figures["baseline"] = {"failed_exit_code": code_b, "wall_seconds": round(wall_b, 1), "peak_rss_mib": round(peak_b)}
    print("\n" + json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
