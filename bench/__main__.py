"""Run benchmarks: `python -m bench [--smoke] [name ...]`.

Every module ``bench/bench_<name>.py`` defines ``run(smoke: bool) -> list[Figure]``.
Results go to ``bench/results/<name>[-smoke].json`` (figures, unit, hardware, date) and a
summary to ``bench/results/summary[-smoke].json``; a table is printed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from dataclasses import asdict
from pathlib import Path

from bench.common import RESULTS, hardware, write_results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the benchmarks still run")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    available = sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    names = args.names or available
    summary: dict[str, object] = {"smoke": args.smoke, "hardware": hardware(), "benchmarks": {}}
    failed = []
    for name in names:
        if name not in available:
            print(f"unknown benchmark {name!r}; available: {', '.join(available)}", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            figures = module.run(smoke=args.smoke)
        except Exception:  # noqa: BLE001 - report and go on with the others
            traceback.print_exc()
            failed.append(name)
            continue
        path = write_results(name, figures, smoke=args.smoke)
        for f in figures:
            mark = "" if f.ok is None else ("  ok" if f.ok else "  MISSED")
            print(f"   {f.name:<58} {f.value:>12.3f} {f.unit:<10} {f.target}{mark}")
        summary["benchmarks"][name] = [asdict(f) for f in figures]  # type: ignore[index]
        print(f"   -> {path.relative_to(Path.cwd()) if Path.cwd() in path.parents else path}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"summary{'-smoke' if args.smoke else ''}.json").write_text(json.dumps(summary, indent=2, default=str))
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
