"""Generated, seeded project footprints inside Shanghai's land for the screening benchmarks.

Centres are drawn uniformly over the sample pack's district outlines less its
sea polygon (so every project lies in Shanghai); 85 % polygons of 50 m – 2 km
(rotated, parcel-like, 8 vertices), 10 % lines (6 segments), 5 % points.
Written as a GeoPackage in CGCS2000 (EPSG:4490) with 项目编号 and 项目名称.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from shgeo.crs import WORKING_CRS

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
    size = np.exp(rng.uniform(np.log(50), np.log(2_000), n))
    kind = rng.choice(3, n, p=[0.85, 0.10, 0.05])
    geoms = np.empty(n, dtype=object)
    poly = np.flatnonzero(kind == 0)
    k = 8
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
    ids = [f"G{i:06d}" for i in range(n)]
    return gpd.GeoDataFrame({"项目编号": ids, "项目名称": [f"生成项目 {i}" for i in range(n)]},
                            geometry=gpd.GeoSeries(geoms), crs=WORKING_CRS)


def write_projects(path: Path, n: int, library, seed: int = 7) -> Path:
    """Write :func:`make_projects` to *path* (GeoPackage, EPSG:4490); returns *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_projects(n, library, seed).to_crs("EPSG:4490").to_file(path, layer="projects", driver="GPKG")
    return path
