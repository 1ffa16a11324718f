"""How map.html copes with many points: file size, first paint, zoom step, in headless Chromium.

    python bench/bench_map_page.py --points 100k     # also today's JSON page (commit 344793a) on the same data
    python bench/bench_map_page.py --points 1m [--baseline]

Builds a synthetic MapPage (Gaussian scenes, names in several scripts, 8 neighbours per point,
some off the map, a generation colouring, two hover fields, and with ``--tying`` the tracks tying
each link), writes it with this tree's writer and, for the baseline, with the writer of commit
344793a (its html_map.py and templates taken with ``git archive``), opens each page in
/usr/bin/chromium (1400 x 900) and prints: bytes, write seconds, first paint (ms since
navigation start: reading and decoding the data included), everything decoded (new page),
the zoom step (one redraw at 1.3x, in and out, forced to finish with a one-pixel read back;
median and max of 2 x --zoom-steps, and the mean CPU milliseconds Chromium's processes spent per
step, which other jobs on the machine do not inflate), a redraw with every point in view (median
wall, mean CPU of 5) and search (median of five queries, the first one cold). The ratio line is baseline / this tree.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.html_map import MapPage, Scene, write_map_html  # noqa: E402
from analysis.map_page import generation_colouring  # noqa: E402
from analysis.palette import cluster_colours  # noqa: E402

BASELINE_COMMIT = "344793a"
SCALES = {"100k": 100_000, "1m": 1_000_000}
SCRIPTS = [("latin", "abcdefghijklmnopqrstuvwxyz"), ("cyrillic", "абвгдежзийклмнопрстуфхцчшщыэюя"),
           ("cjk", "音楽夜明星雨風花月海空光影心夢"), ("arabic", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
           ("kana", "あいうえおかきくけこさしすせそたちつてとなにぬねの")]
EMOJI = ["🎧", "🔥", "✨", "💿", "🌙"]


def synthetic_page(points: int, tying: bool, seed: int = 1) -> dict:
    """The parts of a MapPage as plain lists (both writers are fed the same)."""
    rng = np.random.default_rng(seed)
    scenes = max(8, int(np.sqrt(points) / 5))
    centres = rng.uniform(-100, 100, (scenes, 2))
    sizes = rng.dirichlet(np.ones(scenes) * 2) * points
    cluster = rng.choice(scenes, size=points, p=sizes / sizes.sum())
    cluster[rng.random(points) < 0.1] = -1
    xy = centres[np.maximum(cluster, 0)] + rng.normal(0, 6, (points, 2))
    names = []
    script_of = rng.integers(0, len(SCRIPTS), points)
    lengths = rng.integers(4, 16, points)
    for i in range(points):
        letters = SCRIPTS[script_of[i]][1]
        name = "".join(letters[k] for k in rng.integers(0, len(letters), lengths[i]))
        names.append(name + (" " + EMOJI[i % 5] if i % 7 == 0 else "") + f" {i}")
    permalinks = [f"user-{i:07d}-{'xyz'[i % 3]}" for i in range(points)]
    followers = rng.lognormal(5, 2, points).astype(np.int64)
    follower_list = [None if i % 23 == 0 else int(f) for i, f in enumerate(followers)]
    members = [np.flatnonzero(cluster == k) for k in range(scenes)]
    others = points // 5
    # 8 links per point: most to random members of its own scene, every fourth off the map.
    by_scene = np.argsort(cluster, kind="stable")
    first = np.searchsorted(cluster[by_scene], np.arange(-1, scenes))
    size = np.diff(np.append(first, points))
    draw = rng.integers(0, 2**31, (points, 8))
    own = np.maximum(size[cluster + 1], 1)[:, None]
    refs = np.where(size[cluster + 1][:, None] > 0, by_scene[np.minimum(first[cluster + 1][:, None] + draw % own, points - 1)], draw % points)
    refs[:, 3::4] = -1 - draw[:, 3::4] % others
    shares = (np.sort(rng.random((points, 8)), axis=1)[:, ::-1] * 0.5).tolist()
    bits = (1 + draw % 15).tolist()
    neighbours = [list(zip(r, s, b)) for r, s, b in zip(refs.tolist(), shares, bits)]
    tying_rows = None
    if tying:  # 0-2 tracks per link
        counts = rng.integers(0, 3, points * 8)
        flat = rng.integers(0, points // 2, int(counts.sum())).tolist()
        ends = np.cumsum(counts).tolist()
        per_link = [flat[e - c:e] for c, e in zip(counts.tolist(), ends)]
        tying_rows = [per_link[8 * i:8 * i + 8] for i in range(points)]
    words = [f"word{k % 50} word{(k * 7) % 50}" for k in range(scenes)]
    return {
        "x": xy[:, 0], "y": xy[:, 1], "names": names, "permalinks": permalinks, "followers": follower_list,
        "clusters": cluster, "neighbours": neighbours,
        "other_names": [f"off map {k} 名前" for k in range(others)], "other_permalinks": [f"off-{k}" for k in range(others)],
        "scenes": [(k, f"scene {k}", len(members[k]), members[k][:5].tolist(), colour, [f"word{k % 50}", "tag"])
                   for k, colour in zip(range(scenes), cluster_colours(scenes))],
        "generation": [str(2010 + (i % 15)) if i % 11 else None for i in range(points)],
        "fields": {"top words": [words[c] if c >= 0 else None for c in cluster],
                   "emerged": [2010 + (i % 15) if i % 11 else None for i in range(points)]},
        "tying": tying_rows,
        "objects": [(f"track {k} 音楽", f"user-{k:07d}/track-{k}") for k in range(points // 2)] if tying else None,
    }


def new_page(parts: dict) -> MapPage:
    import pandas as pd

    return MapPage(x=parts["x"], y=parts["y"], names=parts["names"], permalinks=parts["permalinks"],
                   followers=parts["followers"], clusters=parts["clusters"],
                   scenes=[Scene(*scene) for scene in parts["scenes"]], neighbours=parts["neighbours"],
                   other_names=parts["other_names"], other_permalinks=parts["other_permalinks"],
                   profile_url="https://soundcloud.com/", kind_names=["comments", "follows", "likes", "reposts"],
                   colourings=[generation_colouring(pd.Series(parts["generation"], dtype=object))],
                   fields=parts["fields"], tying=parts["tying"], objects=parts["objects"])


def baseline_writer(workdir: Path):
    """Commit 344793a's html_map module (its own templates beside it)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE_COMMIT, "analysis/html_map.py", "analysis/templates"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive, check=True)
    spec = importlib.util.spec_from_file_location("baseline_html_map", workdir / "analysis" / "html_map.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def old_page(module, parts: dict, colouring) -> object:
    return module.MapPage(x=parts["x"], y=parts["y"], names=parts["names"], permalinks=parts["permalinks"],
                          followers=parts["followers"], clusters=parts["clusters"],
                          scenes=[module.Scene(*scene[:5]) for scene in parts["scenes"]], neighbours=parts["neighbours"],
                          other_names=parts["other_names"], other_permalinks=parts["other_permalinks"],
                          profile_url="https://soundcloud.com/", kind_names=["comments", "follows", "likes", "reposts"],
                          colourings=[module.Colouring(colouring.name, colouring.categories, colouring.values)],
                          fields=parts["fields"])


ZOOM_STEP = """(factor) => {
  const began = performance.now();
  window.scmapMap.zoomBy(factor);
  if (window.scmapMap.flush) window.scmapMap.flush();
  else document.getElementById('map').getContext('2d').getImageData(0, 0, 1, 1);  // the JSON page: one canvas
  return performance.now() - began;
}"""
SEARCH = """(query) => { const began = performance.now(); const found = window.scmapMap.search(query).length;
  return [performance.now() - began, found]; }"""


def chromium_cpu_seconds() -> float:
    """CPU seconds used so far by every Chromium process this benchmark started (renderer, GPU /
    compositor...): unlike wall times, not inflated by other jobs sharing the machine."""
    import psutil

    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" in process.name().lower():
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(browser, path: Path, zoom_steps: int, query: str, fragment: str = "") -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri() + fragment, timeout=600_000)
    page.wait_for_function("window.scmapMap && window.scmapMap.firstPaintMs !== null", timeout=600_000, polling=20)
    first_paint = page.evaluate("window.scmapMap.firstPaintMs")
    page.wait_for_function("window.scmapMap.ready !== false", timeout=600_000, polling=20)
    ready = page.evaluate("window.scmapMap.readyMs || window.scmapMap.firstPaintMs")
    cpu = chromium_cpu_seconds()
    steps = [page.evaluate(ZOOM_STEP, 1.3) for _ in range(zoom_steps)] + [page.evaluate(ZOOM_STEP, 1 / 1.3) for _ in range(zoom_steps)]
    zoom_cpu_ms = (chromium_cpu_seconds() - cpu) * 1000 / len(steps)
    cpu = chromium_cpu_seconds()
    whole = [page.evaluate(ZOOM_STEP, 1.0) for _ in range(5)]  # back at the start: every point in view
    whole_cpu_ms = (chromium_cpu_seconds() - cpu) * 1000 / len(whole)
    searches = [page.evaluate(SEARCH, q) for q in (query, "abc", "音楽", query[:-1], "a")]
    search_ms, found = statistics.median(ms for ms, _ in searches), searches[0][1]
    figures = {"bytes": path.stat().st_size, "first_paint_ms": first_paint, "ready_ms": ready,
               "zoom_median_ms": statistics.median(steps), "zoom_max_ms": max(steps), "zoom_cpu_ms": zoom_cpu_ms,
               "whole_median_ms": statistics.median(whole), "whole_cpu_ms": whole_cpu_ms, "search_ms": search_ms,
               "search_hits": found, "renderer": page.evaluate("window.scmapMap.renderer || 'canvas2d'"),
               "points": page.evaluate("window.scmapMap.pointCount"), "errors": errors}
    page.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", default="100k", help="100k, 1m or a number")
    parser.add_argument("--zoom-steps", type=int, default=12, help="steps in, then as many out (median of both)")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=None,
                        help="also today's JSON page (default: up to 100k points)")
    parser.add_argument("--tying", action="store_true", help="also the tracks tying each link (0-2 per link)")
    parser.add_argument("--renderer", choices=["auto", "cpu", "gl"], default="auto", help="force the new page's renderer")
    parser.add_argument("--keep", type=Path, help="write the pages here instead of a temporary directory")
    args = parser.parse_args()
    points = SCALES.get(args.points.lower()) or int(args.points)
    baseline = points <= 100_000 if args.baseline is None else args.baseline
    from playwright.sync_api import sync_playwright

    began = time.perf_counter()
    parts = synthetic_page(points, args.tying)
    page = new_page(parts)
    print(f"synthetic page: {points:,} points, {len(page.scenes)} scenes, built in {time.perf_counter() - began:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as temporary:
        out = args.keep or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        pages = {}
        began = time.perf_counter()
        write_map_html(out / "map.html", page)
        pages["this tree"] = (out / "map.html", time.perf_counter() - began)
        if baseline:
            module = baseline_writer(Path(temporary))
            began = time.perf_counter()
            module.write_map_html(out / "map-344793a.html", old_page(module, parts, page.colourings[0]))
            pages[BASELINE_COMMIT] = (out / "map-344793a.html", time.perf_counter() - began)
        del parts, page
        query = "user-00012"
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"])
            for label, (path, write_s) in pages.items():
                fragment = f"#r={args.renderer}" if label == "this tree" and args.renderer != "auto" else ""
                results[label] = {"write_s": write_s, **measure(browser, path, args.zoom_steps, query, fragment)}
            browser.close()
    print(f"\n{'page':<12} {'renderer':<9} {'MB':>7} {'write s':>8} {'first paint ms':>15} {'all decoded ms':>15} "
          f"{'zoom median ms':>15} {'zoom max ms':>12} {'zoom CPU ms':>12} {'whole view ms':>14} {'whole CPU ms':>13} {'search ms':>10}")
    for label, r in results.items():
        print(f"{label:<12} {r['renderer']:<9} {r['bytes'] / 1e6:>7.1f} {r['write_s']:>8.1f} {r['first_paint_ms']:>15.0f} "
              f"{r['ready_ms']:>15.0f} {r['zoom_median_ms']:>15.1f} {r['zoom_max_ms']:>12.1f} {r['zoom_cpu_ms']:>12.1f} "
              f"{r['whole_median_ms']:>14.1f} {r['whole_cpu_ms']:>13.1f} {r['search_ms']:>10.1f}")
        if r["errors"]:
            print(f"  page errors: {r['errors']}")
    if BASELINE_COMMIT in results:
        old, new = results[BASELINE_COMMIT], results["this tree"]
        print(f"\nratio {BASELINE_COMMIT} / this tree: size {old['bytes'] / new['bytes']:.2f}, first paint "
              f"{old['first_paint_ms'] / new['first_paint_ms']:.2f}, zoom median {old['zoom_median_ms'] / new['zoom_median_ms']:.2f}, "
              f"zoom max {old['zoom_max_ms'] / new['zoom_max_ms']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
