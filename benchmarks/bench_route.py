"""Benchmark of ``shgeo.route()`` (the decision interface) against the implementation before it.

Generated, seeded workload of queries as a batch screening makes them: the
spatial block complete (red line in ~70 %, sea in ~30 %, a level-1 zone or a
control village in ~15 %, one or two districts); the project block
**complete** (every fact declared), **incomplete** (each fact left out with
probability 0.5) or **sparse** (each fact declared with probability 0.1: the
answer is mostly questions). Every query is distinct from the others in the workload
(duplicates are dropped), so nothing is answered from a cache of whole queries.

Both implementations run in fresh subprocesses on the same query file, in the
same run, interleaved (current, baseline, current): the current code from this
tree, the baseline from ``git archive`` of ``--baseline`` (default: the commit
where this branch left ``main``) unpacked to a temporary folder. The rules are
compiled before timing (one call outside the workload); each process routes
every query of the workload once (so memoised sub-results help a query only
when an earlier, different query produced them), timed in wall time and
process CPU time; best of ``--repeat`` processes. The load average is
recorded before and after: the machine is shared, so absolute calls/s move with
the load; the ratio, measured side by side, is what to read.

Usage::

    python benchmarks/bench_route.py                        # 10,000 queries per workload, best of 3
    python benchmarks/bench_route.py --queries 2000 --repeat 1               # quick
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from shgeo.rules.decision import PROJECT_KEYS
from shgeo.rules.groundwater import UNIT_ROLES, WORKS

ROOT = Path(__file__).resolve().parents[1]

DISTRICTS = ["崇明区", "宝山区", "浦东新区", "金山区", "奉贤区", "青浦区", "松江区", "嘉定区"]
#: The project facts a query may declare (cross_district apart: derived from the districts).
PROJECT_BOOLS = tuple(k for k, kind in PROJECT_KEYS.items() if kind == "bool" and k != "cross_district")
VILLAGES = ["310151101201", "310151101202", "310120101201", "310114501213"]

#: Runs inside the subprocess: import route from the tree on sys.path[0], time it over the queries.
DRIVER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import shgeo
from shgeo.rules.decision import route
assert shgeo.__file__.startswith(sys.argv[1]), shgeo.__file__
queries = json.load(open(sys.argv[2], encoding="utf-8"))
route({"spatial": {}}, as_of="2025-06-01")     # compile the rules (not a query of the workload)
w, c = time.perf_counter(), time.process_time()
for q in queries:                              # one pass: every query met once
    route(q, as_of="2025-06-01")
print(json.dumps({"n": len(queries), "wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c,
                  "module": shgeo.__file__}))
"""


def make_queries(n: int, declared: float, seed: int) -> list[dict]:
    """``n`` distinct, seeded queries (see the module docstring)."""
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        redline = rng.random() < 0.7
        districts = rng.sample(DISTRICTS, rng.choice((1, 1, 2)))
        spatial = {
            "redline": redline, "core_zone": redline and rng.random() < 0.08, "land": True,
            "sea": rng.random() < 0.3, "island": rng.random() < 0.03,
            "protected_area": rng.sample(["自然保护区", "风景名胜区", "自然公园"], rng.choice((0, 0, 0, 1))),
            "water_source_l1": rng.sample(["青草沙", "陈行", "黄浦江上游"], 1) if rng.random() < 0.15 else [],
            "groundwater_village": rng.sample(VILLAGES, 1) if rng.random() < 0.15 else [],
            "districts": districts,
            "redline_districts": districts[:rng.randint(1, len(districts))] if redline else [],
        }
        project: dict = {}
        for key in PROJECT_BOOLS:
            if rng.random() < declared:
                project[key] = rng.random() < 0.3
        if rng.random() < declared:
            project["activity"] = rng.choice(["1", "2", "5", "6", "8", "development", "other"])
        if rng.random() < declared:
            project["works"] = rng.choice(WORKS)
        if rng.random() < declared:
            project["unit_roles"] = rng.sample(UNIT_ROLES, rng.choice((0, 1, 1, 2)))
        query = {"spatial": spatial, "project": project}
        key = json.dumps(query, sort_keys=True, ensure_ascii=False)
        if key not in seen:
            seen.add(key)
            out.append(query)
    return out


def baseline_tree(commit: str, into: Path) -> Path:
    """``shgeo/`` of ``commit`` unpacked under ``into`` (``git archive``; the repository is not touched)."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "shgeo"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(tree: Path, queries_file: Path, repeat: int) -> dict:
    """The best of ``repeat`` fresh processes, each routing every query of the file once."""
    best = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", DRIVER, str(tree), str(queries_file)],
                              capture_output=True, text=True, check=True)
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or got["wall_s"] < best["wall_s"]:
            best = got
    return best


def _reference(n: int = 3000) -> tuple[float, float]:
    """µs per ``sum(range(1000))`` (wall, CPU), best of 3: how fast this machine runs Python right now."""
    best = (float("inf"), float("inf"))
    for _ in range(3):
        w, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            sum(range(1000))
        best = min(best, ((time.perf_counter() - w) / n * 1e6, (time.process_time() - c) / n * 1e6))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000, help="distinct queries per workload")
    parser.add_argument("--baseline-queries", type=int, default=None,
                        help="queries per workload for the baseline (the first N of the same workload; "
                             "default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--baseline", default=None,
                        help="commit of the baseline (default: merge-base of HEAD and main)")
    args = parser.parse_args(argv)

    commit = args.baseline or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                             capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    print(f"route() benchmark: current {head} (working tree) vs baseline {commit[:12]}; "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="shgeo-route-bench-") as tmp:
        tmp = Path(tmp)
        old = baseline_tree(commit, tmp / "baseline")
        for seed, (name, declared) in enumerate((("complete", 1.0), ("incomplete", 0.5), ("sparse", 0.1))):
            queries = make_queries(args.queries, declared, args.seed + seed)
            path, old_path = tmp / f"{name}.json", tmp / f"{name}-baseline.json"
            path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
            old_path.write_text(json.dumps(queries[:args.baseline_queries or len(queries)], ensure_ascii=False),
                                encoding="utf-8")
            t0 = time.perf_counter()
            first = run(ROOT, path, args.repeat)
            base = run(old, old_path, args.repeat)
            second = run(ROOT, path, args.repeat)
            cur = min((first, second), key=lambda r: r["wall_s"])
            rows.append((name, cur, base, time.perf_counter() - t0))
    load_after = os.getloadavg()
    reference = _reference()

    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; "
          f"after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"reference loop sum(range(1000)): {reference[0]:.1f} µs wall, {reference[1]:.1f} µs CPU")
    print(f"{'workload':<11} {'current calls/s':>16} {'(CPU)':>9} {'baseline calls/s':>17} {'(CPU)':>9} "
          f"{'ratio':>8} {'(CPU)':>8}")
    for name, cur, base, _ in rows:
        c_wall, c_cpu = cur["n"] / cur["wall_s"], cur["n"] / cur["cpu_s"]
        b_wall, b_cpu = base["n"] / base["wall_s"], base["n"] / base["cpu_s"]
        print(f"{name:<11} {c_wall:>16,.0f} {c_cpu:>9,.0f} {b_wall:>17,.0f} {b_cpu:>9,.0f} "
              f"{c_wall / b_wall:>7,.1f}x {c_cpu / b_cpu:>7,.1f}x")
    print(f"(current: {rows[0][1]['n']:,} distinct queries per workload, baseline: the first {rows[0][2]['n']:,}; "
          f"one pass per process, best of {args.repeat} processes; compiling the rules is not timed)")


if __name__ == "__main__":
    main()
