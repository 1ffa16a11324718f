"""Benchmark: --export gexf,graphml (analysis/graph_export.py) at map scale. Prints, per format,
wall time, file size and peak RSS, each in its own child process (peak RSS from os.wait4), and
the ratio to a baseline run the same way: the same edges written as a plain CSV edge list by pandas.
``networkx-gexf`` / ``networkx-graphml``: the previous export (a networkx graph, networkx's writers).

    .venv/bin/python bench/bench_graph_export.py                     # 100,000 mapped accounts
    .venv/bin/python bench/bench_graph_export.py --accounts 5000     # quick check

Synthetic map: each mapped account's normalised row has --pairs interactions (half with other
mapped accounts, in planted scenes, popularity-skewed, the rest with unmapped accounts), raw
scores 1-30; graph_edges then applies the real threshold and per-account cap.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402

from analysis.graph_export import build_graph, export_graph, graph_edges, iter_graph_edges  # noqa: E402

STAGES = ("csv", "gexf", "graphml", "networkx-gexf", "networkx-graphml")


def synthetic_map(accounts: int, pairs: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    columns = accounts * 10
    row_ids = np.arange(accounts, dtype=np.int64) * 7 + 1000
    column_ids = np.concatenate([row_ids, np.arange(columns - accounts, dtype=np.int64) * 7 + 10_000_000_000])
    scenes = max(8, accounts // 250)
    scene = rng.integers(0, scenes, accounts)
    popularity = rng.pareto(1.2, accounts) + 1
    rows = np.repeat(np.arange(accounts), pairs)
    mapped = rng.random(len(rows)) < 0.5
    order = np.lexsort((rng.random(accounts), scene))
    starts = np.searchsorted(scene[order], np.arange(scenes))
    sizes = np.bincount(scene, minlength=scenes)
    cum = [np.cumsum(popularity[order[s:s + n]]) / popularity[order[s:s + n]].sum() for s, n in zip(starts, sizes)]
    target = np.empty(len(rows), np.int64)
    own = scene[rows[mapped]]
    u = rng.random(mapped.sum())
    pick = np.array([np.searchsorted(cum[s], x) for s, x in zip(own, u)]) if accounts <= 20_000 else None
    if pick is None:  # vectorised per scene for the big run
        pick = np.empty(len(own), np.int64)
        for s in range(scenes):
            here = own == s
            pick[here] = np.minimum(np.searchsorted(cum[s], u[here]), sizes[s] - 1)
    target[mapped] = order[starts[own] + np.minimum(pick, sizes[own] - 1)]
    target[~mapped] = rng.integers(accounts, columns, (~mapped).sum())
    scores = rng.choice([1, 1, 1, 2, 3, 4, 6, 9, 15, 30], len(rows)).astype(np.float64)
    matrix = sp.csr_matrix((scores, (rows, target)), shape=(accounts, columns))
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    matrix.data /= np.repeat(totals, np.diff(matrix.indptr))
    nodes = pd.DataFrame({"id": row_ids, "username": [f"User {i}" for i in row_ids],
                          "permalink": [f"user-{i}" for i in row_ids], "followers_count": rng.integers(250, 10**6, accounts),
                          "cluster_label": [f"scene {s}" for s in scene], "x": rng.normal(size=accounts),
                          "y": rng.normal(size=accounts), "generation": rng.integers(2012, 2026, accounts).astype(str)})
    return matrix, row_ids, column_ids, totals, nodes


def run_stage(args: argparse.Namespace) -> int:
    """One way of writing the graph: ``csv`` (the baseline), ``gexf`` / ``graphml`` (the streamed
    export build_map runs: edges selected and written a block of rows at a time) or
    ``networkx-*`` (the previous export: the whole edge table, a networkx graph, networkx's writer)."""
    started = time.perf_counter()
    matrix, row_ids, column_ids, totals, nodes = synthetic_map(args.accounts, args.pairs)
    prepared = time.perf_counter()
    out = Path(args.out)
    if args.stage in ("gexf", "graphml"):  # selection and writing interleave: timed together
        path = export_graph(out, "graph", nodes, iter_graph_edges(matrix, row_ids, column_ids, totals), [args.stage])[0]
        selected = prepared
        edges = sum(1 for line in path.open() if "<edge " in line)
    else:
        frame = graph_edges(matrix, row_ids, column_ids, totals)
        edges = len(frame)
        del matrix
        selected = time.perf_counter()
        if args.stage == "csv":
            path = out / "graph.csv"
            frame.to_csv(path, index=False)
        else:
            fmt = args.stage.split("-")[1]
            path = out / f"graph-networkx.{fmt}"
            (nx.write_gexf if fmt == "gexf" else nx.write_graphml)(build_graph(nodes, frame), path)
    done = time.perf_counter()
    print(f"STAGE {args.stage} edges={edges} synth={prepared - started:.1f} select={selected - prepared:.1f} "
          f"write={done - selected:.1f} bytes={path.stat().st_size}", flush=True)
    return 0


CHILD_CPU_SECONDS = {"value": 0.0}


def child(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, last stdout line) of one child; its CPU seconds in CHILD_CPU_SECONDS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {command}")
    CHILD_CPU_SECONDS["value"] = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="mapped accounts (default 100,000)")
    parser.add_argument("--pairs", type=int, default=300, help="interaction pairs per account (default 300)")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--stages", default=",".join(STAGES), help="which ways to run (default: all)")
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        return run_stage(args)
    with tempfile.TemporaryDirectory() as out:
        results = {}
        for stage in args.stages.split(","):
            seconds, rss, line = child([sys.executable, __file__, "--accounts", str(args.accounts),
                                        "--pairs", str(args.pairs), "--stage", stage, "--out", out])
            fields = dict(item.split("=") for item in line.split()[2:])
            results[stage] = (seconds, rss, fields)
            print(f"{stage:8} edges {int(fields['edges']):>10,}  write {float(fields['write']):7.1f} s  "
                  f"(synthetic map {fields['synth']} s, edge selection {fields['select']} s)  "
                  f"file {int(fields['bytes']) / 2**20:8.1f} MiB  peak RSS {rss:8.0f} MiB  child wall {seconds:6.1f} s")
        base_write, base_rss = float(results["csv"][2]["write"]), results["csv"][1]
        for stage in [s for s in results if s != "csv"]:
            write = float(results[stage][2]["write"])
            print(f"{stage}: {write / max(base_write, 1e-9):.1f}x the CSV baseline's write time, "
                  f"{results[stage][1] / base_rss:.2f}x its peak RSS, "
                  f"{int(results[stage][2]['bytes']) / int(results['csv'][2]['bytes']):.1f}x its file size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
