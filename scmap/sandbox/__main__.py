"""python -m scmap.sandbox world|serve ...

  world  --seed N --accounts N --out DIR [--describe] [--history]   write a world (Parquet + world.json)
  serve  ...                                           run the sandbox site (see `serve --help`)
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _world_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("world", help="generate a world and write it as Parquet + world.json",
                       description="Generate a deterministic sandbox world and write it to --out.")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1); same seed -> same files")
    p.add_argument("--accounts", type=int, default=3000, help="number of accounts (default 3000, at least 30)")
    p.add_argument("--out", required=True, help="output directory (created if missing)")
    p.add_argument("--describe", action="store_true", help="also print a Markdown summary of the world")
    p.add_argument("--history", action="store_true",
                   help="a world with a planted history (scenes form, drift apart, merge; per-year truth in "
                        "history.parquet), see world_history.py; at least 100 accounts")
    return p


def _run_world(args: argparse.Namespace) -> int:
    from .world import generate_world
    from .world_describe import describe

    if args.accounts < 30:
        print(f"error: --accounts must be at least 30 (got {args.accounts})", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    if args.history:
        from .world_history import generate_history_world

        if args.accounts < 100:
            print(f"error: --history needs --accounts of at least 100 (got {args.accounts})", file=sys.stderr)
            return 2
        written = generate_history_world(args.seed, args.accounts)
        world = written.world
    else:
        world = written = generate_world(args.seed, args.accounts)
    gen = time.perf_counter() - t0
    try:
        written.write(args.out)
    except OSError as e:
        print(f"error: cannot write the world to {args.out}: {e}", file=sys.stderr)
        return 1
    total = time.perf_counter() - t0
    print(json.dumps({"out": str(args.out), "seed": args.seed, "accounts": args.accounts,
                      "counts": world.meta["counts"], "generate_seconds": round(gen, 2),
                      "total_seconds": round(total, 2)}))
    if args.describe:
        print()
        print(describe(world, gen), end="")
    return 0


def _run_serve(argv: list[str]) -> int:
    try:
        from .site import add_serve_arguments, run_serve
    except ImportError as e:
        print(f"error: the sandbox site is not available ({e})", file=sys.stderr)
        return 2
    p = argparse.ArgumentParser(prog="python -m scmap.sandbox serve", description="Run the sandbox site.")
    add_serve_arguments(p)
    return run_serve(p.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":  # its options live in site.py, imported only when needed
        return _run_serve(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m scmap.sandbox", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _world_parser(sub)
    sub.add_parser("serve", help="run the sandbox site (options: serve --help)", add_help=False)
    args = parser.parse_args(argv)
    if args.command == "world":
        return _run_world(args)
    return _run_serve([])


if __name__ == "__main__":
    sys.exit(main())
