"""Benchmark of whole screening runs: ``shgeo screen`` with every output, and ``shgeo.screen()`` without saving.

Generated, seeded projects inside Shanghai's land (``_projects.py``: 85 %
polygons of 50 m – 2 km, 10 % lines, 5 % points) against the sample pack.
Every run is a separate process (the CLI as a user runs it; the API in a
small script that times ``shgeo.screen()`` on a GeoDataFrame already read),
measured for wall time, CPU time of the process tree, peak resident memory of
the whole process tree (sampled every 0.1 s, worker processes included) and
the CPU other processes took meanwhile (the machine is shared).

Side by side in the same run, when ``--baseline-python`` names the Python of
a virtual environment with the previous implementation installed (e.g. made
with ``git worktree add /tmp/old main``): the same commands with that
Python, at ``--baseline-n`` projects (the old code needs minutes per
thousand).  ``--check`` compares the report.json of both at ``--baseline-n``:
facts, findings, overall and overlaps must be equal (keys the new code adds are
listed, not compared).  ``--dask`` adds ``--workers 1`` and ``--workers 2``
runs (a dask LocalCluster) and checks their outputs equal the single-process run.

Usage::

    python benchmarks/bench_screen.py --n 10000 --baseline-python /tmp/old/.venv/bin/python --baseline-n 1000 \\
        --check --dask
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

API_SCRIPT = """
import sys, time, json
import geopandas as gpd
import shgeo
lib = shgeo.load_library()
gdf = gpd.read_file(sys.argv[1])
shgeo.screen(gdf.iloc[:20], lib, as_of="2025-06-01", progress=False)   # warm: layers prepared once
t0, c0 = time.perf_counter(), time.process_time()
res = shgeo.screen(gdf, lib, as_of="2025-06-01", progress=False)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"projects": len(res), "screened": sum(p.ok for p in res), "screen_s": wall, "screen_cpu_s": cpu}))
"""

PARTS_SCRIPT = """
import sys, time, json
import geopandas as gpd
import shgeo
from shgeo.overlay.result import SPATIAL_KEYS
lib = shgeo.load_library()
gdf = gpd.read_file(sys.argv[1])
shgeo.screen(gdf.iloc[:20], lib, as_of="2025-06-01", progress=False)
fp = shgeo.read_footprints(sys.argv[1])
t0 = time.perf_counter(); ov = shgeo.overlay(fp, lib); facts = ov.facts; hits = ov.hits; t_overlay = time.perf_counter() - t0
queries = [{"spatial": {k: f[k] for k in SPATIAL_KEYS if k in f}, "project": {}} for f in facts.values()]
t0 = time.perf_counter()
for q in queries:
    shgeo.route(q, as_of="2025-06-01")
t_route = time.perf_counter() - t0
t0 = time.perf_counter(); res = shgeo.screen(gdf, lib, as_of="2025-06-01", progress=False); t_screen = time.perf_counter() - t0
t0 = time.perf_counter(); reports = [p.report for p in res if p.ok]; t_reports = time.perf_counter() - t0
print(json.dumps({"projects": len(res), "overlay_s": t_overlay, "route_s": t_route, "screen_s": t_screen,
                  "loop_s": t_screen - t_overlay - t_route, "reports_s": t_reports}))
"""


def _tree(pid: int, cpu_seen: dict[int, float]) -> float:
    """Resident memory of *pid* and all its descendants (MiB), from /proc; records each one's CPU seconds."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    hz = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(entry)
        children.setdefault(int(fields[1]), []).append(p)
        rss[p] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        cpu[p] = (int(fields[11]) + int(fields[12])) / hz
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        cpu_seen[p] = max(cpu_seen.get(p, 0.0), cpu.get(p, 0.0))
        todo.extend(children.get(p, []))
    return total / 2**20


def _machine_busy() -> float:
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], label: str, **extra) -> dict:
    """Run *cmd* (cwd /tmp, so no source tree shadows the installed package) and measure it."""
    load0 = os.getloadavg()
    busy0 = _machine_busy()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd="/tmp", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    cpu_seen: dict[int, float] = {}
    while proc.poll() is None:
        peak = max(peak, _tree(proc.pid, cpu_seen))
        time.sleep(0.1)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    tree_cpu = sum(cpu_seen.values())  # CPU seconds of the process tree (sampled; the last 0.1 s may be missed)
    busy = _machine_busy() - busy0
    rec = {"label": label, "cmd": " ".join(cmd), "rc": proc.returncode, "wall_s": round(wall, 2),
           "tree_cpu_s": round(tree_cpu, 2), "peak_tree_rss_mib": round(peak, 1),
           "loadavg_start": [round(x, 2) for x in load0], "loadavg_end": [round(x, 2) for x in os.getloadavg()],
           "other_processes_cores": round(max(0.0, busy - tree_cpu) / wall, 2), **extra}
    if proc.returncode != 0:
        rec["stderr"] = err[-2000:]
    try:
        rec["result"] = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pass
    return rec


def _reports(out: Path) -> dict[str, dict]:
    found = {}
    for path in out.glob("*/report.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["project_id"]] = data
    return found


def compare(new_out: Path, old_out: Path) -> dict:
    """Facts, findings, overall and overlaps of every project: equal where the old code has the key."""
    new, old = _reports(new_out), _reports(old_out)
    diffs, added = [], set()
    for pid in sorted(set(new) | set(old)):
        a, b = new.get(pid), old.get(pid)
        if a is None or b is None:
            diffs.append((pid, "missing in " + ("new" if a is None else "old")))
            continue
        for key in ("overall", "findings", "overlaps"):
            if a.get(key) != b.get(key):
                diffs.append((pid, key))
        fa, fb = a["facts"], b["facts"]
        added |= {f"facts.{k}" for k in set(fa) - set(fb)}
        added |= {f"facts.details.{k}" for k in set(fa.get("details", {})) - set(fb.get("details", {}))}
        for k in fb:
            if k == "details":
                for dk, dv in fb["details"].items():
                    if fa.get("details", {}).get(dk) != dv:
                        diffs.append((pid, f"facts.details.{dk}"))
            elif fa.get(k) != fb[k]:
                diffs.append((pid, f"facts.{k}"))
    return {"projects_new": len(new), "projects_old": len(old), "differences": len(diffs),
            "examples": diffs[:10], "keys_added": sorted(added)}


def _same_outputs(a: Path, b: Path) -> dict:
    ra, rb = _reports(a), _reports(b)
    keys = ("facts", "findings", "overall", "overlaps", "project", "fingerprint")
    diff = [pid for pid in set(ra) | set(rb) if {k: ra.get(pid, {}).get(k) for k in keys}
            != {k: rb.get(pid, {}).get(k) for k in keys}]
    csv_same = (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    return {"projects": len(ra), "differences": len(diff), "summary_csv_identical": csv_same}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--baseline-python", default=None)
    ap.add_argument("--baseline-n", type=int, default=1_000)
    ap.add_argument("--workdir", default="/tmp/bench_screen")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--skip-api", action="store_true")
    ap.add_argument("--results", default=str(HERE / "results" / "bench_screen.jsonl"))
    args = ap.parse_args()

    import shgeo
    from _projects import write_projects

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    lib = shgeo.load_library()
    big = write_projects(work / f"projects_{args.n}.gpkg", args.n, lib)
    small = write_projects(work / f"projects_{args.baseline_n}.gpkg", args.baseline_n, lib)
    new_py = sys.executable
    runs = []

    def cli(py: str, src: Path, out: Path, label: str, *extra: str) -> dict:
        shutil.rmtree(out, ignore_errors=True)
        shgeo_bin = str(Path(py).parent / "shgeo")
        n = int(src.stem.split("_")[-1])
        rec = measure([shgeo_bin, "-q", "screen", str(src), "--out", str(out), "--as-of", "2025-06-01", *extra],
                      label, projects=n)
        rec["projects_per_s"] = round(n / rec["wall_s"], 1)
        rec["cpu_ms_per_project"] = round(1000 * rec["tree_cpu_s"] / n, 2)
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        runs.append(rec)
        return rec

    def api(py: str, src: Path, label: str, script: str = API_SCRIPT) -> dict:
        rec = measure([py, "-c", script, str(src)], label)
        res = rec.get("result", {})
        if "screen_s" in res and "projects" in res:
            rec["projects_per_s"] = round(res["projects"] / res["screen_s"], 1)
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        runs.append(rec)
        return rec

    cli(new_py, big, work / "out_new_big", f"new shgeo screen, {args.n}")
    cli(new_py, small, work / "out_new_small", f"new shgeo screen, {args.baseline_n}")
    if args.baseline_python:
        cli(args.baseline_python, small, work / "out_old_small", f"old shgeo screen, {args.baseline_n}")
    if not args.skip_api:
        api(new_py, big, f"new shgeo.screen() API, {args.n}")
        api(new_py, small, f"new shgeo.screen() API, {args.baseline_n}")
        if args.baseline_python:
            api(args.baseline_python, small, f"old shgeo.screen() API, {args.baseline_n}")
        api(new_py, big, f"new parts (overlay, route, loop), {args.n}", PARTS_SCRIPT)
    if args.check and args.baseline_python:
        rec = {"label": f"new vs old report.json, {args.baseline_n}",
               **compare(work / "out_new_small", work / "out_old_small")}
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        runs.append(rec)
    if args.dask:
        for w in (1, 2):
            cli(new_py, big, work / f"out_dask{w}", f"new shgeo screen --workers {w}, {args.n}", "--workers", str(w))
        for w in (1, 2):
            rec = {"label": f"--workers {w} vs single process, {args.n}",
                   **_same_outputs(work / "out_new_big", work / f"out_dask{w}")}
            print(json.dumps(rec), flush=True)
            runs.append(rec)
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with results.open("a", encoding="utf-8") as fh:
        for rec in runs:
            fh.write(json.dumps({"at": stamp, "nproc": os.cpu_count(), **rec}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
