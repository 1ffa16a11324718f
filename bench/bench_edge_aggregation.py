"""Benchmark: the read + dedup + count stage two ways, each in its own child (wall, CPU, peak RSS
from os.wait4), on a crawl bench_build_map.py generated:

- ``pyarrow``: analysis.read_edges.count_edges (a scan per type, key columns split by source id
  into buckets spilled to disk, each bucket deduplicated by one Arrow sort);
- ``duckdb``: one SQL query (DISTINCT over the edge key, then GROUP BY the account pair) with
  DuckDB's out-of-core operators, ``--duckdb-memory`` as its memory limit, spilling to a temp dir.

    .venv/bin/python bench/bench_edge_aggregation.py --data /tmp/scmap-bench/100k-v3

Prints both, whether their pair counts agree, and the ratios duckdb / pyarrow.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_graph_export import CHILD_CPU_SECONDS, child  # noqa: E402

DUCKDB_QUERY = """
SELECT interaction, src_id, dst_id, count(*)::INTEGER AS count
FROM (SELECT DISTINCT interaction, src_id, dst_id, object_kind, object_id, created_at
      FROM read_parquet('{edges}/*/*.parquet', hive_partitioning = true)
      WHERE src_id IS NOT NULL AND dst_id IS NOT NULL)
GROUP BY ALL
"""


def run_pyarrow(data: Path) -> dict:
    from analysis.read_edges import count_edges

    counts = count_edges(data / "edges")
    return {name: {"pairs": len(pairs["src_id"]), "edges": int(pairs["count"].sum()),
                   "checksum": int((pairs["src_id"] * 31 + pairs["dst_id"] * pairs["count"]).sum() % (1 << 61))}
            for name, pairs in counts.by_interaction.items()}


def run_duckdb(data: Path, memory: str) -> dict:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="scmap-duckdb-") as spill:
        connection = duckdb.connect(config={"memory_limit": memory, "temp_directory": spill,
                                            "preserve_insertion_order": False})
        reader = connection.sql(DUCKDB_QUERY.format(edges=data / "edges")).to_arrow_reader(1 << 20)
        parts: dict[str, list] = {}
        for batch in reader:  # per type: the numpy pair arrays count_edges returns
            types = batch.column(0).to_numpy(zero_copy_only=False)
            for name in np.unique(types):
                rows = types == name
                parts.setdefault(str(name), []).append(tuple(batch.column(i).to_numpy()[rows] for i in (1, 2, 3)))
    result = {}
    for name, chunks in parts.items():
        src, dst, count = (np.concatenate([c[i] for c in chunks]) for i in range(3))
        result[name] = {"pairs": len(src), "edges": int(count.sum()),
                        "checksum": int((src * 31 + dst * count.astype(np.int64)).sum() % (1 << 61))}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a crawl directory holding edges/")
    parser.add_argument("--duckdb-memory", default="2GB", help="DuckDB's memory_limit (default %(default)s)")
    parser.add_argument("--only", choices=["pyarrow", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        result = run_pyarrow(args.data) if args.only == "pyarrow" else run_duckdb(args.data, args.duckdb_memory)
        print(json.dumps(result))
        return 0
    figures = {}
    for way in ("pyarrow", "duckdb"):
        wall, rss, line = child([sys.executable, __file__, "--data", str(args.data), "--only", way,
                                 "--duckdb-memory", args.duckdb_memory])
        cpu, result = CHILD_CPU_SECONDS["value"], json.loads(line)
        figures[way] = {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mib": round(rss),
                        "pairs": sum(r["pairs"] for r in result.values()),
                        "distinct_edges": sum(r["edges"] for r in result.values()), "result": result}
        print(f"{way:8} wall {wall:7.1f} s  CPU {cpu:7.1f} s  peak RSS {rss:7.0f} MiB  "
              f"pairs {figures[way]['pairs']:,}  distinct edges {figures[way]['distinct_edges']:,}", flush=True)
    agree = figures["pyarrow"]["result"] == figures["duckdb"]["result"]
    print(f"same pair counts: {agree}")
    print(f"duckdb / pyarrow: wall {figures['duckdb']['wall_seconds'] / figures['pyarrow']['wall_seconds']:.2f}x, "
          f"CPU {figures['duckdb']['cpu_seconds'] / figures['pyarrow']['cpu_seconds']:.2f}x, "
          f"peak RSS {figures['duckdb']['peak_rss_mib'] / figures['pyarrow']['peak_rss_mib']:.2f}x")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
