"""Benchmark: build_map --slices year against one map of the whole crawl (the baseline), both in
child processes on bench_build_map.py's synthetic crawl (dates spread over 2014-2025). Prints wall
time and peak RSS (os.wait4) of each, the ratio, and per slice: accounts, edges, median movement.

    .venv/bin/python bench/bench_time_slices.py                  # article scale (2,250 crawled)
    .venv/bin/python bench/bench_time_slices.py --scale small    # quick check
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build_map import SCALES, generate, run_measured  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[s for s in SCALES if s in ("small", "article", "100k")], default="article")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "scmap-bench")
    args = parser.parse_args()
    data = args.data_dir / f"{args.scale}-v3"  # shared with bench_build_map.py
    if not (data / "done").exists():
        print(f"generating {args.scale} dataset in {data} ...", flush=True)
        began = time.perf_counter()
        generate(data, **SCALES[args.scale])
        print(f"  generated in {time.perf_counter() - began:.0f} s", flush=True)
    python = sys.executable
    runs = {}
    for name, extra in (("whole crawl, one map", []), ("--slices year", ["--slices", "year"])):
        out = data / ("map-slices" if extra else "map-whole")
        wall, peak, code = run_measured([python, "-m", "analysis.build_map", "--input", str(data), "--out", str(out),
                                         "--no-clusters", "--quiet", *extra])
        if code != 0:
            print(f"{name}: build_map failed with exit code {code}")
            return 1
        runs[name] = (wall, peak, json.loads((out / "report.json").read_text()))
        print(f"{name:22} wall {wall:7.1f} s   peak RSS {peak:6.0f} MiB", flush=True)
    whole_wall, whole_peak, _ = runs["whole crawl, one map"]
    slices_wall, slices_peak, report = runs["--slices year"]
    print(f"--slices year: {slices_wall / whole_wall:.1f}x the one map's wall time, "
          f"{slices_peak / whole_peak:.2f}x its peak RSS")
    for entry in report["slices"]:
        moved = entry.get("median_displacement")
        print(f"  {entry['slice']}: {entry['accounts']:>6,} accounts {entry['edges']['distinct']:>10,} edges"
              + ("" if moved is None else f"  moved {moved:.3f}"))
    print(f"  skipped: {[e['slice'] for e in report['skipped_slices']]}")
    print("  stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in report["timings_seconds"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
