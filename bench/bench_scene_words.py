"""Benchmark: scenes named by their music, generations by upload dates, and scenes found in the
reduced space versus on the map (issue 18), on a sandbox world and a history world, from what a
real crawl of each world wrote; and what writing the objects adds to that crawl.

    .venv/bin/python bench/bench_scene_words.py                       # sandbox 800 + history 500 accounts
    .venv/bin/python bench/bench_scene_words.py --accounts 1500 --history-accounts 800 --mode scroll

Per world: the world is written and served by the sandbox (scmap.sandbox.runner), and
`python -m scmap.crawl` (the four spiders, one process, real Chromium) reads the lists of the
accounts the article's crawl would read (>= 250 followers with interactions, the most recent 500
of each list: tests/analysis/world_dataset.py's rule) on exactly those seeds, twice: with
SCMAP_WRITE_OBJECTS off (edges only, pages trimmed to the edges' keys) and on. The map is built
from the second crawl's OUTPUT_DIR (edges, accounts and the objects the spiders wrote).

Prints per world:
- crawl: wall time and CPU of each crawl, objects off then on (the sandbox is warmed by the first,
  which favours "off": the time objects add is, if anything, overstated), whether both crawls
  stored the same edges, and disk: objects/ MiB beside edges/ MiB (compacted on close);
- scene words: the share of found scenes of 30+ accounts whose top 3 words contain a planted word
  of the scene most of their accounts belong to (target >= 0.8), and each such scene's words;
- emergence: median error in years, over mapped accounts that own a track in the world, against
  the 15 % quantile of ALL the account's uploads in the world (target <= 0.5), for the upload
  dates of the crawl's objects (new) and for the edges alone (old method, the baseline), same run;
- the map's 10-NN scene agreement (analysis/quality.py; a property of the map, not of the clusters);
- clustering: adjusted Rand index against the planted scenes (primary scene; accounts no method
  puts in a scene count as their own label -1) and the share clustered, for each cluster method
  (analysis/reduced_clusters.py); and on the held-out worlds (tests/analysis/quality_worlds.py,
  the "published-map" worlds, edges written from their truth: no crawl) the same ARI per method.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "analysis")]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from object_dataset import planted_words  # noqa: E402
from scene_scoring import SCENE_MIN_ACCOUNTS, median_error_years, scene_word_hits, upload_quantiles  # noqa: E402
from world_dataset import FOLLOWER_THRESHOLD, LIMIT  # noqa: E402

# Local sandbox: no politeness delay (it is for the real site), more calls in flight.
CRAWL_SETTINGS = {
    "SCHEDULER": "scrapy.core.scheduler.Scheduler",  # exactly the seeds (the frontier has its own benches)
    "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "ROBOTSTXT_OBEY": "False",
    "CONCURRENT_REQUESTS": "32", "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "LOG_LEVEL": "INFO",
}
EDGE_KEY = ["src_id", "dst_id", "interaction", "object_kind", "object_id", "created_at"]


def crawled_seeds(world) -> list[str]:
    """The accounts the article's crawl reads: >= 250 followers and some interactions."""
    users = world.users
    crawled = users[(users["followers_count"] >= FOLLOWER_THRESHOLD) & users["id"].isin(world.interactions["src_id"])]
    return sorted(crawled["permalink"])


def crawl(world_dir: Path, seeds: list[str], out: Path, mode: str, objects: bool) -> dict:
    """`python -m scmap.crawl` of exactly `seeds` into `out`: wall and CPU seconds (the crawler and
    its Chromium, as children of this process), and the edges it stored."""
    from scmap.sandbox.runner import run_sandbox

    settings = {**CRAWL_SETTINGS, "OUTPUT_DIR": str(out), "LOG_FILE": str(out.with_suffix(".log")),
                "SCMAP_WRITE_OBJECTS": str(objects)}
    with run_sandbox(world_dir) as site:
        command = [sys.executable, "-m", "scmap.crawl", "--seeds", ",".join(seeds), "--limit", str(LIMIT),
                   "--mode", mode, "-s", f"SOUNDCLOUD_WEB_URL={site.web_url}", "-s", f"SOUNDCLOUD_API_URL={site.api_url}",
                   *[arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"crawl failed ({done.returncode}), see {out.with_suffix('.log')}: {done.stderr[-2000:]}")
    edges = ds.dataset(out / "edges", partitioning="hive").to_table(columns=EDGE_KEY).to_pandas()
    return {"seconds": seconds, "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "edges": set(map(tuple, edges.astype(str).to_numpy())), "objects": objects}


def crawl_both(name: str, world, world_dir: Path, root: Path, mode: str) -> Path:
    """The crawl without objects, then with them (whose OUTPUT_DIR the map is built from)."""
    seeds = crawled_seeds(world)
    without = crawl(world_dir, seeds, root / "crawl-edges-only", mode, objects=False)
    with_objects = crawl(world_dir, seeds, root / "crawl", mode, objects=True)
    out = root / "crawl"
    objects_mib, edges_mib = _bytes(out / "objects") / 2**20, _bytes(out / "edges") / 2**20
    print(f"\n== {name}: crawl of {len(seeds):,} accounts x 4 lists (limit {LIMIT}, mode {mode})")
    for run in (without, with_objects):
        print(f"  objects {'on ' if run['objects'] else 'off'}: {run['seconds']:.1f} s wall, {run['cpu']:.1f} s CPU "
              f"(crawler + Chromium), {len(run['edges']):,} distinct edges")
    print(f"  objects add {with_objects['seconds'] / without['seconds'] - 1:+.1%} wall time, "
          f"{with_objects['cpu'] / without['cpu'] - 1:+.1%} CPU; same edges: {with_objects['edges'] == without['edges']}")
    print(f"  disk: objects/ {objects_mib:.2f} MiB beside edges/ {edges_mib:.2f} MiB (ratio {objects_mib / edges_mib:.2f}), "
          f"{ds.dataset(out / 'objects', partitioning='hive').count_rows():,} object rows")
    return out


def write_sandbox(accounts: int, seed: int, root: Path, mode: str):
    from scmap.sandbox.world import generate_world

    world = generate_world(seed=seed, accounts=accounts)
    world.write(root / "world")
    out = crawl_both(f"sandbox world, seed {seed}, {accounts:,} accounts", world, root / "world", root, mode)
    world.users[["id", "scene", "scenes"]].to_parquet(out / "truth.parquet", index=False)
    return world, out


def write_history(accounts: int, seed: int, root: Path, mode: str):
    from scmap.sandbox.world_history import YEARS, generate_history_world

    history = generate_history_world(seed=seed, accounts=accounts)
    history.world.write(root / "world")
    out = crawl_both(f"history world, seed {seed}, {accounts:,} accounts", history.world, root / "world", root, mode)
    final = history.truth(YEARS[-1])
    final[["id", "scene", "scenes"]].to_parquet(out / "truth-final.parquet", index=False)
    return history.world, out


def cluster_scores(out: Path, ids: np.ndarray, map_xy: np.ndarray, points: np.ndarray, metric: str,
                   truth: pd.Series) -> list[dict]:
    from analysis.reduced_clusters import CLUSTER_METHODS, find_scenes_by

    known = np.isin(ids, truth.index)
    rows = []
    for method in CLUSTER_METHODS:
        began = time.perf_counter()
        labels = find_scenes_by(method, map_xy, points, metric)
        seconds = time.perf_counter() - began
        rows.append({"method": method, "ari": round(adjusted_rand_score(truth.reindex(ids[known]).to_numpy(),
                                                                        labels[known]), 3),
                     "clustered": round(float((labels >= 0).mean()), 3), "scenes": int(labels.max() + 1),
                     "seconds": round(seconds, 2)})
    return rows


def _agreement(result, truth: pd.DataFrame) -> float:
    from analysis import api
    from analysis.quality import scene_sets_from_table

    return api.score(result.ids, result.xy, scene_sets_from_table(truth.drop_duplicates("id")))["neighbour_scene_agreement"]


def weighting_hit_shares(root: Path, coords: pd.DataFrame, truth: pd.DataFrame, planted: dict[str, list[str]]) -> float:
    """The same share with TF-IDF (one document per scene, idf = log(scenes / scenes with the word))
    instead of log-odds, from the same counts and with the same words left out: the alternative
    docs/analysis.md compares against."""
    import pyarrow.dataset as ds
    import scipy.sparse as sp

    from analysis.clusters import UNCLUSTERED
    from analysis.object_links import link_objects
    from analysis.read_objects import read_objects
    from analysis.scene_words import (WORDS_IN_LABEL, TermCounter, name_terms, object_terms, scene_words,
                                      shared_terms, top_terms)

    objects = read_objects(root / "objects")
    pairs, vocabulary = object_terms(objects)
    ids = coords["id"].to_numpy()
    clusters = coords["cluster"].to_numpy()
    counter = TermCounter(pairs, len(ids), len(vocabulary.keys))
    per_account = link_objects(root / "edges", ids, ids, objects, counter, np.array([], np.int64)).per_account
    edges = ds.dataset(root / "edges", partitioning="hive").to_table(columns=["dst_username", "dst_permalink"])
    names = [*pd.unique(edges["dst_username"].to_pandas().dropna()), *pd.unique(edges["dst_permalink"].to_pandas().dropna())]
    numbers = sorted(set(clusters.tolist()) - {UNCLUSTERED})
    clustered = np.flatnonzero(clusters != UNCLUSTERED)
    membership = sp.csr_matrix((np.ones(len(clustered)), (np.searchsorted(numbers, clusters[clustered]), clustered)),
                               shape=(len(numbers), len(ids)))
    scene_counts = (membership @ per_account).tocsr()
    map_counts = np.asarray(per_account.sum(axis=0)).ravel()
    excluded = shared_terms(scene_counts, map_counts) | name_terms(vocabulary, names)
    tf = sp.diags(1 / np.maximum(np.asarray(scene_counts.sum(axis=1)).ravel(), 1)) @ scene_counts
    df = np.bincount(scene_counts.tocoo().col, minlength=len(map_counts))
    tfidf = (tf @ sp.diags(np.log(len(numbers) / np.maximum(df, 1)))).tocsr()
    tfidf.eliminate_zeros()
    by_tfidf = dict(zip(numbers, top_terms(tfidf, excluded, WORDS_IN_LABEL, min_z=1e-12)))
    by_log_odds = scene_words(clusters, per_account, vocabulary, names).scenes
    shares = {}
    tagged_tfidf = coords.assign(cluster_tags=[[vocabulary.display[t] for t in by_tfidf.get(c, [])] for c in clusters])
    tagged_log_odds = coords.assign(cluster_tags=[by_log_odds.get(c, []) for c in clusters])
    for name, frame in (("tf-idf", tagged_tfidf), ("log-odds", tagged_log_odds)):
        rows = scene_word_hits(frame, truth, planted)
        shares[name] = (float(np.mean([hit for *_, hit in rows])) if rows else float("nan"), rows)
    return shares


def _bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*.parquet"))


def run_world(name: str, root: Path, world, truth_path: Path, recipe: str) -> None:
    from analysis import api
    from analysis.build_map import MapOptions, build_map
    from analysis.generations import emergence_from_edges

    out = root / f"map-{recipe}"
    began = time.perf_counter()
    report = build_map(MapOptions(edges=root / "edges", accounts=root / "accounts", out=out, recipe=recipe))
    seconds = time.perf_counter() - began
    coords = pd.read_parquet(out / "coords.parquet")
    old = emergence_from_edges(root / "edges", coords["id"].to_numpy()).set_index("id")["emerged_at"]
    truth = pd.read_parquet(truth_path)
    rows = scene_word_hits(coords, truth, planted_words(world))
    share = float(np.mean([hit for *_, hit in rows])) if rows else float("nan")
    uploads = upload_quantiles(world.tracks)
    new_error = median_error_years(coords.set_index("id")["emerged_at"], uploads)
    old_error = median_error_years(old, uploads)
    dated = len(coords.set_index("id")["emerged_at"].dropna().index.intersection(uploads.index))
    print(f"\n== {name} ({recipe}): {len(coords):,} mapped, {len(rows)} scenes of {SCENE_MIN_ACCOUNTS}+ accounts, "
          f"build_map {seconds:.1f} s, of which read objects {report['timings_seconds'].get('read objects', 0):.1f} s, "
          f"scene words {report['timings_seconds'].get('scene words', 0):.1f} s")
    print(f"scene words: share of scenes whose top 3 words hold a planted word: {share:.2f}")
    for cluster, size, majority, words, hit in rows:
        print(f"  scene {cluster:>2} ({size:>4} accounts, mostly {majority}): {', '.join(words) or '-'}"
              f"{'' if hit else '   <- miss'}")
    for name, (other_share, other_rows) in weighting_hit_shares(root, coords, truth, planted_words(world)).items():
        misses = [f"{majority}: {', '.join(words) or '-'}" for _, _, majority, words, hit in other_rows if not hit]
        print(f"  same counts, weighted by {name}: share {other_share:.2f}" + (f"; misses {misses}" if misses else ""))
    print(f"emergence: median error {new_error:.2f} years with upload dates (new), {old_error:.2f} years from the "
          f"edges alone (old), {dated:,} accounts; emerged_from {report['generations']['emerged_from']}")
    counts = api.count_interactions(root / "edges")
    result = api.make_map(counts, recipe=recipe, scenes=False)
    scene_truth = truth.drop_duplicates("id").set_index("id")["scene"]
    print(f"map 10-NN scene agreement {_agreement(result, truth):.3f} (the map's layout: the same for every "
          f"clustering way, which only groups it)")
    for row in cluster_scores(out, result.ids, result.xy, result.points, result.recipe.metric, scene_truth):
        print(f"clusters {row['method']:<12} ARI {row['ari']:.3f}  clustered {row['clustered']:.2f}  "
              f"scenes {row['scenes']:>3}  {row['seconds']:.1f} s")


def run_quality_worlds(root: Path, sources: int, recipe: str) -> None:
    from analysis import api
    from quality_worlds import KINDS, write_world

    print(f"\n== held-out worlds ({sources} crawled accounts, {recipe}): ARI per cluster method")
    for kind in KINDS:
        world = root / f"{kind}-{sources}"
        if not (world / "truth.parquet").exists():
            write_world(kind, world, sources=sources)
        result = api.make_map(api.count_interactions(world / "edges"), recipe=recipe, scenes=False)
        truth = pd.read_parquet(world / "truth.parquet").set_index("id")["scene"]
        rows = cluster_scores(world, result.ids, result.xy, result.points, result.recipe.metric, truth)
        print(f"  {kind:<13} 10-NN {_agreement(result, pd.read_parquet(world / 'truth.parquet')):.3f}  " + "  ".join(f"{r['method']} {r['ari']:.3f} ({r['clustered']:.2f} clustered)"
                                           for r in rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=800, help="sandbox world accounts (default %(default)s)")
    parser.add_argument("--history-accounts", type=int, default=500, help="history world accounts (default %(default)s)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--mode", default="session", help="the crawl's -a mode (default %(default)s)")
    parser.add_argument("--recipe", default="scenes")
    parser.add_argument("--sources", type=int, default=600, help="held-out worlds' crawled accounts (0: skip)")
    parser.add_argument("--worlds", default="sandbox,history", help="which crawled worlds (default %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the worlds are written (default: temp)")
    args = parser.parse_args()
    worlds = set(args.worlds.split(","))
    with tempfile.TemporaryDirectory() as temp:
        root = args.data_dir or Path(temp)
        if "sandbox" in worlds:
            sandbox, out = write_sandbox(args.accounts, args.seed, root / "sandbox", args.mode)
            run_world(f"sandbox world, seed {args.seed}, {args.accounts:,} accounts", out, sandbox,
                      out / "truth.parquet", args.recipe)
        if "history" in worlds:
            history, out = write_history(args.history_accounts, args.seed, root / "history", args.mode)
            run_world(f"history world, seed {args.seed}, {args.history_accounts:,} accounts", out, history,
                      out / "truth-final.parquet", args.recipe)
        if args.sources:
            run_quality_worlds(root / "quality", args.sources, args.recipe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
