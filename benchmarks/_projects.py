"""Generated, seeded project footprints inside Shanghai's land for the screening benchmarks.

Centres are drawn uniformly over the sample pack's district outlines less its
sea polygon (so every project lies in Shanghai); the shapes are those of the overlay
benchmark (85 % polygons of 50 m – 2 km, 10 % lines, 5 % points).
Written as a GeoPackage in CGCS2000 (EPSG:4490) with 项目编号 and 项目名称.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity

from bench_overlay import make_footprints

__all__ = ["make_projects", "write_projects"]


def _land(library) -> shapely.Geometry:
    land = shapely.union_all(np.asarray(library.layer("district").geometry.array))
    if library.has("sea"):
        land = shapely.difference(land, shapely.union_all(np.asarray(library.layer("sea").geometry.array)))
    return shapely.buffer(land, -300.0)  # centres at least 300 m inside


def make_projects(n: int, library, seed: int = 7) -> gpd.GeoDataFrame:
    """*n* footprints whose centres lie on Shanghai's land (WORKING_CRS)."""
    rng = np.random.default_rng(seed)
    land = _land(library)
    shapely.prepare(land)
    x0, y0, x1, y1 = land.bounds
    cx, cy = np.empty(0), np.empty(0)
    while len(cx) < n:
        x, y = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        inside = shapely.contains_xy(land, x, y)
        cx, cy = np.r_[cx, x[inside]], np.r_[cy, y[inside]]
    cx, cy = cx[:n], cy[:n]
    # the shapes of the overlay benchmark's workload, each moved to a centre on land
    shapes = make_footprints(n, seed)
    at = shapely.centroid(np.asarray(shapes.geometry.array))
    dx, dy = cx - shapely.get_x(at), cy - shapely.get_y(at)
    geoms = np.asarray([shapely.affinity.translate(g, float(a), float(b)) for g, a, b in
                        zip(shapes.geometry.array, dx, dy)], dtype=object)
    ids = [f"G{i:06d}" for i in range(n)]
    return gpd.GeoDataFrame({"项目编号": ids, "项目名称": [f"生成项目 {i}" for i in range(n)]},
                            geometry=gpd.GeoSeries(geoms), crs=shapes.crs)


def write_projects(path: Path, n: int, library, seed: int = 7) -> Path:
    """Write :func:`make_projects` to *path* (GeoPackage, EPSG:4490); returns *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_projects(n, library, seed).to_crs("EPSG:4490").to_file(path, layer="projects", driver="GPKG")
    return path
