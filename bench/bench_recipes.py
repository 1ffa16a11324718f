"""Benchmark: map quality and time of each recipe on the held-out worlds whose true scenes are
known (tests/analysis/quality_worlds.py: planted, overlapping, popular core, uneven activity).

    .venv/bin/python bench/bench_recipes.py                  # 600 crawled accounts per world (the CI size)
    .venv/bin/python bench/bench_recipes.py --sources 1500 --seeds 0,1

Prints, per world and recipe: 10-NN agreement with the true scenes (and its chance level),
trustworthiness (against the recipe's own PCA space), seconds from counts to map, then per
world the gain of scenes over article and the time ratio scenes / article (same process).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "analysis")]

from quality_worlds import compare_recipes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=600, help="crawled accounts per world (default %(default)s)")
    parser.add_argument("--seeds", default="0", help="world seeds, comma-separated (default %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "scmap-quality-worlds")
    args = parser.parse_args()
    import pandas as pd

    tables = [compare_recipes(args.data_dir, sources=args.sources, seed=int(seed)).assign(seed=int(seed))
              for seed in args.seeds.split(",")]
    table = pd.concat(tables, ignore_index=True)
    mean = table.groupby(["world", "recipe"], sort=False)[["accounts", "knn_agreement", "chance", "trustworthiness",
                                                           "seconds"]].mean().round(3)
    print(f"held-out worlds, {args.sources} crawled accounts, seeds {args.seeds}: mean over seeds")
    print(mean.to_string())
    wide = mean.unstack("recipe")
    summary = pd.DataFrame({"article": wide[("knn_agreement", "article")], "scenes": wide[("knn_agreement", "scenes")]})
    summary["gain"] = (summary["scenes"] - summary["article"]).round(3)
    summary["time_scenes_over_article"] = (wide[("seconds", "scenes")] / wide[("seconds", "article")]).round(2)
    print("\n10-NN agreement with the true scenes")
    print(summary.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
