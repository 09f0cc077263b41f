"""Benchmark of the avoidance analysis: a 30 km line at 20 m cells on the sample pack.

Cases (all on the embedded sample layer pack, working CRS):

* ``north-south``: a 30 km overhead-line proposal running north from
  30.87°N at 121.15°E across the 黄浦江上游 red-line strip;
* ``diagonal``: the same length at 45° (the corridor's bounding box, which
  is what is rasterised and searched, is largest for a diagonal line);
* ``raster-file``: :func:`build_constraint_raster` writing the diagonal
  case's extent to a COG window by window;
* ``raster-city``: the same for the whole of Shanghai's land and sea extent
  at ``--city-res`` (default 10 m, ~187 million cells): memory must stay at
  one window plus GDAL's bounded block cache.

Reported per case: wall time, grid size, peak RSS of the process during the
case (Linux ``VmHWM``, reset before each case) and the peak of Python/numpy
allocations (``tracemalloc``).

Usage::

    python benchmarks/bench_avoidance.py                # 30 km, 20 m, 2 km corridor
    python benchmarks/bench_avoidance.py --length-km 10 --res 10
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import pyproj
from shapely.geometry import LineString

from _memory import peak_mib, reset_peak
from shgeo.avoidance import analyse_line
from shgeo.crs import GEOGRAPHIC_CRS, SHANGHAI_BOUNDS, WORKING_CRS
from shgeo.library.layers import load_library
from shgeo.avoidance.raster import build_constraint_raster




def _measure(name: str, fn):
    gc.collect()
    reset_peak()
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row = {"case": name, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
           "peak_rss_mib": round(peak_mib(), 1), "peak_alloc_mib": round(traced_peak / 2**20, 1)}
    return row, value


def _line(start_lonlat: tuple[float, float], length_m: float, bearing_deg: float) -> LineString:
    to_working = pyproj.Transformer.from_crs(GEOGRAPHIC_CRS, WORKING_CRS, always_xy=True)
    x0, y0 = to_working.transform(*start_lonlat)
    dx, dy = math.sin(math.radians(bearing_deg)), math.cos(math.radians(bearing_deg))
    return LineString([(x0, y0), (x0 + dx * length_m, y0 + dy * length_m)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length-km", type=float, default=30.0)
    parser.add_argument("--res", type=float, default=20.0, help="cell size, m")
    parser.add_argument("--corridor", type=float, default=2000.0, help="corridor half-width, m")
    parser.add_argument("--city-res", type=float, default=10.0, help="cell size of the whole-city raster, m "
                        "(0: skip)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()

    library = load_library()
    length = args.length_km * 1000
    rows = []
    cases = {"north-south": _line((121.15, 30.87), length, 0.0),
             "diagonal": _line((121.05, 30.88), length, 45.0)}
    for name, proposal in cases.items():
        row, result = _measure(name, lambda p=proposal: analyse_line(p, library, crs=WORKING_CRS,
                                                                      corridor_m=args.corridor, res_m=args.res))
        pad = args.corridor + 2 * args.res
        w, s, e, n = proposal.bounds
        row["cells"] = round((e - w + 2 * pad) / args.res) * round((n - s + 2 * pad) / args.res)
        row["avoidable"] = result.avoidable
        row["route_kind"] = result.alternative_kind
        row["proposal_redline_m"] = round(result.proposal_figures["redline_length_m"], 1)
        alt = result.alternative_figures or {}
        row["alternative_redline_m"] = round(alt.get("redline_length_m", float("nan")), 1)
        row["detour_factor"] = round(alt.get("detour_factor", float("nan")), 3)
        row["verdict_zh"] = result.verdict_zh
        rows.append(row)

    with tempfile.TemporaryDirectory() as tmp:
        diagonal = cases["diagonal"].buffer(args.corridor).bounds
        row, raster = _measure("raster-file", lambda: build_constraint_raster(
            library, diagonal, args.res, Path(tmp) / "c.tif", block_size=1024))
        row["cells"] = raster.grid.width * raster.grid.height
        row["file_kib"] = round((Path(tmp) / "c.tif").stat().st_size / 1024, 1)
        rows.append(row)
        if args.city_res > 0:
            row, raster = _measure("raster-city", lambda: build_constraint_raster(
                library, SHANGHAI_BOUNDS, args.city_res, Path(tmp) / "city.tif", bounds_crs="EPSG:4490"))
            row["cells"] = raster.grid.width * raster.grid.height
            row["file_kib"] = round((Path(tmp) / "city.tif").stat().st_size / 1024, 1)
            rows.append(row)

    header = (f"avoidance benchmark: {args.length_km:g} km line, {args.res:g} m cells, "
              f"{args.corridor:g} m corridor each side, {os.cpu_count()} CPUs")
    print(header)
    for row in rows:
        print("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    if args.json:
        args.json.write_text(json.dumps({"header": header, "rows": rows}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
