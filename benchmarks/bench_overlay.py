"""Benchmark of the overlay engine against naive geopandas.overlay and DuckDB spatial.

Generated, seeded workload in the working CRS (metres, Shanghai-sized extent):

* red line: a few polygons of 20k–100k vertices and hundreds of 200–2,000;
* core zones, protected areas, water-source zones, villages (hundreds of small
  polygons), 16 districts tiling the land, a sea polygon and islands;
* footprints of 50 m – 2 km: 85 % polygons, 10 % lines, 5 % points.

Runs, in one process on the same data: shgeo's overlay at each ``--sizes``
(default 10k and 100k footprints), naive ``geopandas.overlay`` per kind at
``--naive-size`` (default 10k), and DuckDB spatial on the same subdivided
pieces if ``duckdb`` and ``duckdb-ext-spatial`` are installed (the extension is
loaded from the package's file: ``INSTALL spatial`` needs the network).

Reported: footprints/s, ratios, peak RSS per phase (Linux VmHWM, reset between
phases), CPU utilisation (process CPU time / wall time: ~2.0 means both cores).

Usage::

    python benchmarks/bench_overlay.py                   # full run (10k, 100k; naive at 10k)
    python benchmarks/bench_overlay.py --sizes 2000 --naive-size 1000 --scale 0.2   # quick
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from _memory import peak_mib, reset_peak
from shgeo.crs import WORKING_CRS
from shgeo.library.published import DISTRICTS, WATER_ZONES
from shgeo.overlay import DEFAULT_MAX_VERTICES, overlay, prepare_layers

EXTENT = (-60_000.0, -60_000.0, 60_000.0, 80_000.0)  # working-CRS metres around Shanghai's centre


# --------------------------------------------------------------------------- workload


def _blob(rng: np.random.Generator, cx: float, cy: float, r: float, n: int) -> shapely.Polygon:
    """A star-shaped (hence simple) wiggly polygon with *n* vertices and mean radius *r*."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = np.ones(n)
    for k in range(1, 7):
        rad += rng.uniform(0, 0.25 / k) * np.sin(k * ang + rng.uniform(0, 2 * np.pi))
    walk = np.cumsum(rng.normal(0, 1, n))  # correlated (coastline-like) roughness, closed loop
    walk -= np.linspace(0, walk[-1], n)
    rad += 0.03 * walk / (walk.std() or 1.0)
    rad = r * np.clip(rad, 0.2, None)
    return shapely.Polygon(np.column_stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))


def make_layers(seed: int = 1, scale: float = 1.0) -> dict[str, gpd.GeoDataFrame]:
    """The generated layer set (kind → GeoDataFrame with feature_id, name, code, category, geometry)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = EXTENT
    land = shapely.box(x0, y0, 40_000, y1)

    def pts(n):
        return rng.uniform(x0 + 5_000, 38_000, n), rng.uniform(y0 + 5_000, y1 - 5_000, n)

    rows: dict[str, list] = {k: [] for k in ("redline", "core_zone", "protected_area", "water_source_l1",
                                             "groundwater_village", "district", "sea", "island")}
    n_big, n_mid = max(1, round(4 * scale)), max(5, round(300 * scale))
    xs, ys = pts(n_big)
    for k in range(n_big):
        rows["redline"].append(_blob(rng, xs[k], ys[k], rng.uniform(5_000, 12_000), int(rng.integers(20_000, 100_001))))
    xs, ys = pts(n_mid)
    for k in range(n_mid):
        rows["redline"].append(_blob(rng, xs[k], ys[k], rng.uniform(200, 3_000), int(rng.integers(200, 2_001))))
    for kind, n, rr, nv in (("core_zone", 20, (500, 4_000), (200, 3_000)),
                            ("protected_area", 40, (1_000, 8_000), (500, 5_000)),
                            ("water_source_l1", 5, (1_000, 5_000), (1_000, 8_000)),
                            ("groundwater_village", 400, (300, 1_500), (30, 300))):
        n = max(2, round(n * scale))
        xs, ys = pts(n)
        for k in range(n):
            rows[kind].append(_blob(rng, xs[k], ys[k], rng.uniform(*rr), int(rng.integers(*nv))))
    seeds = shapely.multipoints(np.column_stack(pts(16)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=land))
    cells = shapely.intersection(cells, land)
    # wiggle-free but realistic vertex counts: densify the district borders to ~10 m
    rows["district"] = list(shapely.segmentize(cells, 10.0))
    islands = [_blob(rng, rng.uniform(45_000, 58_000), rng.uniform(-40_000, 60_000), rng.uniform(100, 800), 300)
               for _ in range(12)]
    rows["island"] = islands
    rows["sea"] = [shapely.difference(shapely.box(40_000, y0, x1, y1), shapely.union_all(islands))]
    frames = {}
    for kind, geoms in rows.items():
        n = len(geoms)
        frames[kind] = gpd.GeoDataFrame({
            "feature_id": [f"{kind}-{k}" for k in range(n)],
            "name": [f"{kind} {k}" for k in range(n)],
            "code": [f"{310000000000 + k}" for k in range(n)],
            "category": [["自然保护区", "风景名胜区", "自然公园", "青草沙", "陈行"][k % 5] for k in range(n)],
        }, geometry=gpd.GeoSeries(geoms), crs=WORKING_CRS)
    # the codes and zone names the layer checks require (the 16 district codes, the four zones)
    frames["district"]["code"] = sorted(DISTRICTS)[:len(frames["district"])]
    frames["water_source_l1"]["category"] = [WATER_ZONES[k % 4] for k in range(len(frames["water_source_l1"]))]
    return frames


def make_footprints(n: int, seed: int = 2) -> gpd.GeoDataFrame:
    """*n* footprints of 50 m – 2 km: 85 % polygons, 10 % lines, 5 % points."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = EXTENT
    cx, cy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    size = np.exp(rng.uniform(np.log(50), np.log(2_000), n))
    kind = rng.choice(3, n, p=[0.85, 0.10, 0.05])
    geoms = np.empty(n, dtype=object)
    poly = np.flatnonzero(kind == 0)
    # rectangles rotated at random, with a few extra vertices (parcel-like)
    k = 8
    # star-shaped about the centre with angular gaps < π, hence simple (valid)
    ang = (np.arange(k) + rng.uniform(0, 0.8, (len(poly), k))) * (2 * np.pi / k) + rng.uniform(0, 2 * np.pi, (len(poly), 1))
    rad = size[poly, None] / 2 * rng.uniform(0.6, 1.0, (len(poly), k))
    xy = np.stack([cx[poly, None] + rad * np.cos(ang), cy[poly, None] + rad * np.sin(ang)], axis=-1)
    geoms[poly] = shapely.polygons(xy)
    line = np.flatnonzero(kind == 1)
    m = 6
    steps = rng.normal(0, 1, (len(line), m, 2)) * (size[line, None, None] / m)
    xy = np.cumsum(steps, axis=1) + np.stack([cx[line], cy[line]], axis=-1)[:, None, :]
    geoms[line] = shapely.linestrings(xy)
    pt = np.flatnonzero(kind == 2)
    geoms[pt] = shapely.points(cx[pt], cy[pt])
    return gpd.GeoDataFrame({"footprint_id": [str(i) for i in range(n)]}, geometry=gpd.GeoSeries(geoms),
                            crs=WORKING_CRS)


# --------------------------------------------------------------------------- measuring




def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (0, 0 if unavailable)."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    hz = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields) - idle) / hz, sum(fields) / hz


def _timed(fn):
    gc.collect()
    reset_peak()
    b0, _ = _machine_busy()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    b1, _ = _machine_busy()
    others = max(0.0, (b1 - b0) - cpu) / wall if wall and b1 else 0.0
    return out, {"wall_s": wall, "cpu_s": cpu, "cpu_util": cpu / wall if wall else 0.0,
                 "peak_rss_mib": peak_mib(), "other_load_cores": others}


def _naive(fps: gpd.GeoDataFrame, frames: dict[str, gpd.GeoDataFrame]) -> int:
    """What a user would write: geopandas.overlay per kind (per geometry family, as overlay requires)."""
    n = 0
    fam = shapely.get_dimensions(np.asarray(fps.geometry.array))
    for kind, layer in frames.items():
        for dim in (2, 1, 0):
            part = fps[fam == dim]
            if len(part):
                res = gpd.overlay(part, layer[["feature_id", "geometry"]], how="intersection", keep_geom_type=True)
                n += len(res)
    return n


def _duckdb_peer(fps: gpd.GeoDataFrame, library, threads: int = 2):
    """DuckDB spatial on the same subdivided pieces: overlap measures per (footprint, feature)."""
    try:
        import importlib.util

        import duckdb
    except ImportError:
        return None, "duckdb not installed"
    spec = importlib.util.find_spec("duckdb_ext")
    ext = None
    if spec is not None:
        for base in spec.submodule_search_locations or []:
            found = sorted(Path(base).glob(f"extensions/v{duckdb.__version__}/*/spatial.duckdb_extension"))
            if found:
                ext = found[0]
    if ext is None:
        return None, "duckdb-ext-spatial not installed"
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.execute(f"LOAD '{ext}'")
    lay = prepare_layers(library)
    pieces = pd.DataFrame({"feature": lay.piece_feature, "wkb": shapely.to_wkb(lay.pieces)})
    fdf = pd.DataFrame({"fid": np.arange(len(fps)), "wkb": shapely.to_wkb(np.asarray(fps.geometry.array))})
    con.register("pieces_df", pieces)
    con.register("fps_df", fdf)
    con.execute("CREATE TABLE pieces AS SELECT feature, ST_GeomFromWKB(wkb) AS geom FROM pieces_df")
    con.execute("CREATE TABLE fps AS SELECT fid, ST_GeomFromWKB(wkb) AS geom FROM fps_df")

    def run():
        return con.execute("""
            SELECT f.fid, p.feature,
                   SUM(ST_Area(ST_Intersection(f.geom, p.geom))) AS area,
                   SUM(ST_Length(ST_Intersection(f.geom, p.geom))) AS length
            FROM fps f JOIN pieces p ON ST_Intersects(f.geom, p.geom)
            GROUP BY ALL""").fetch_df()
    return run, str(ext)


def _library(frames):
    from shgeo.library.layers import LayerLibrary

    return LayerLibrary.from_frames(frames, sample=False, name="bench")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="footprint counts for shgeo")
    ap.add_argument("--naive-size", type=int, default=10_000, help="footprints for geopandas.overlay (0: skip)")
    ap.add_argument("--duckdb-size", type=int, default=100_000, help="footprints for DuckDB (0: skip)")
    ap.add_argument("--scale", type=float, default=1.0, help="scale the number of layer features")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-vertices", type=int, default=DEFAULT_MAX_VERTICES)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (best reported; the machine may be shared)")
    ap.add_argument("--json", type=Path, help="write the results here as JSON")
    args = ap.parse_args(argv)

    out: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                             "shapely": shapely.__version__, "geos": shapely.geos_version_string}}
    frames, t = _timed(lambda: make_layers(args.seed, args.scale))
    nverts = {k: int(shapely.get_num_coordinates(np.asarray(f.geometry.array)).sum()) for k, f in frames.items()}
    print(f"layers generated in {t['wall_s']:.1f} s: " + ", ".join(
        f"{k} {len(f)} features/{nverts[k]:,} vertices" for k, f in frames.items()))
    library = _library(frames)
    def _prepare():
        lay = prepare_layers(library, max_vertices=args.max_vertices)
        lay.worker_pieces(args.threads)
        return lay

    lay, t = _timed(_prepare)
    print(f"prepare_layers: {lay.n_pieces:,} pieces (≤{args.max_vertices} vertices) in {t['wall_s']:.1f} s")
    out["layers"] = {"features": {k: len(f) for k, f in frames.items()}, "vertices": nverts,
                     "pieces": lay.n_pieces, "prepare_s": t["wall_s"]}
    warm = make_footprints(2_000, seed=args.seed + 7)
    _, t = _timed(lambda: overlay(warm, library, threads=args.threads, max_vertices=args.max_vertices))
    print(f"warm-up run (2,000 other footprints): {t['wall_s']:.2f} s")
    runs = {}
    for n in args.sizes:
        fps = make_footprints(n, seed=args.seed + 1)
        trials = []
        for _ in range(args.repeat):
            res, t = _timed(lambda: overlay(fps, library, threads=args.threads, max_vertices=args.max_vertices))
            _, th = _timed(lambda: res.hits)
            _, tf = _timed(lambda: res.facts)
            t.update(footprints_per_s=n / t["wall_s"], hits_s=th["wall_s"], facts_s=tf["wall_s"],
                     overlaps=int((res.hits["relation"] == "overlap").sum()),
                     near=int((res.hits["relation"] == "near").sum()))
            trials.append(t)
            del res
        t = max(trials, key=lambda r: r["footprints_per_s"])
        t["trials_footprints_per_s"] = [round(r["footprints_per_s"]) for r in trials]
        runs[n] = t
        print(f"shgeo overlay n={n:,}: {t['wall_s']:.2f} s, {t['footprints_per_s']:,.0f} footprints/s "
              f"(best of {args.repeat}: {t['trials_footprints_per_s']}), "
              f"CPU {t['cpu_s']:.2f} s (util {t['cpu_util']:.2f}; other processes {t['other_load_cores']:.2f} cores), "
              f"peak RSS {t['peak_rss_mib']:,.0f} MiB, {t['overlaps']:,} overlaps + {t['near']:,} near; "
              f"then hits geometry {t['hits_s']:.2f} s, facts dicts {t['facts_s']:.2f} s")
    out["shgeo"] = runs
    if len(args.sizes) >= 2:
        a, b = args.sizes[0], args.sizes[-1]
        out["scaling"] = runs[b]["footprints_per_s"] / runs[a]["footprints_per_s"]
        print(f"throughput at {b:,} / at {a:,}: {out['scaling']:.2f}")
    if args.threads > 1:
        n = args.sizes[0]
        fps = make_footprints(n, seed=args.seed + 1)
        _, t1 = _timed(lambda: overlay(fps, library, threads=1, max_vertices=args.max_vertices))
        out["one_thread"] = {"n": n, **t1, "footprints_per_s": n / t1["wall_s"]}
        print(f"shgeo overlay n={n:,} one thread: {n / t1['wall_s']:,.0f} footprints/s, CPU {t1['cpu_s']:.2f} s "
              f"(two threads speed-up {t1['wall_s'] / runs[n]['wall_s']:.2f}x)")
    if args.duckdb_size:
        n = args.duckdb_size
        fps = make_footprints(n, seed=args.seed + 1)
        run, info = _duckdb_peer(fps, library, threads=args.threads)
        if run is None:
            print(f"duckdb: skipped ({info})")
        else:
            res, t = _timed(run)
            t["footprints_per_s"] = n / t["wall_s"]
            out["duckdb"] = {"n": n, **t, "pairs": len(res), "extension": info}
            print(f"duckdb spatial n={n:,} (same pieces, overlaps only, no near misses): {t['wall_s']:.2f} s, "
                  f"{t['footprints_per_s']:,.0f} footprints/s, CPU util {t['cpu_util']:.2f} "
                  f"(other processes {t['other_load_cores']:.2f} cores)")
            if n in runs:
                print(f"  shgeo / duckdb: {runs[n]['footprints_per_s'] / t['footprints_per_s']:.2f}x")
            # cross-check: the same total overlap area and length as shgeo
            mine = overlay(fps, library, threads=args.threads, max_vertices=args.max_vertices).hits
            mine = mine[mine["relation"] == "overlap"]
            is_line = shapely.get_dimensions(np.asarray(fps.geometry.array)) == 1
            duck_len = res.loc[is_line[res["fid"].to_numpy()], "length"].sum()
            out["duckdb"]["total_area_m2"] = {"duckdb": float(res["area"].sum()), "shgeo": float(mine["area_m2"].sum())}
            out["duckdb"]["total_line_length_m"] = {"duckdb": float(duck_len), "shgeo": float(mine["length_m"].sum())}
            print(f"  totals: area duckdb {res['area'].sum():,.1f} m² vs shgeo {mine['area_m2'].sum():,.1f} m²; "
                  f"line length duckdb {duck_len:,.1f} m vs shgeo {mine['length_m'].sum():,.1f} m")
    if args.naive_size:
        n = args.naive_size
        fps = make_footprints(n, seed=args.seed + 1)
        cnt, t = _timed(lambda: _naive(fps, frames))
        t["footprints_per_s"] = n / t["wall_s"]
        out["naive_geopandas"] = {"n": n, **t, "rows": cnt}
        print(f"naive geopandas.overlay n={n:,}: {t['wall_s']:.1f} s, {t['footprints_per_s']:,.0f} footprints/s, "
              f"CPU util {t['cpu_util']:.2f} (other processes {t['other_load_cores']:.2f} cores), "
              f"peak RSS {t['peak_rss_mib']:,.0f} MiB")
        if n in runs:
            print(f"  shgeo / naive: {runs[n]['footprints_per_s'] / t['footprints_per_s']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return out


if __name__ == "__main__":
    main()
