"""Where a footprint lies relative to Shanghai: its share outside the city, and its exposure to a GCJ-02 mix-up.

Shanghai's real extent is the union of the library's ``district``, ``sea`` and
``island`` layers (islands lie outside some district outlines and are holes in
no sea polygon of their own), widened by a tolerance.  It replaces the
bounding-box test wherever the library has both a district and a sea layer;
without them the share outside is unknown (None).  All in
:data:`shgeo.crs.WORKING_CRS`.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import pandas as pd
import pyproj
import shapely

from ..crs import GEOGRAPHIC_CRS, WEB_MAP_CRS, WORKING_CRS, transformer
from ..inputs.chinacoords import wgs84_to_gcj02
from ..inputs.footprints import LINE, POINT
from .measures import FootprintArrays
from .pieces import PreparedLayers, clip_by_rects, group_union

__all__ = ["EXTENT_TOLERANCE_M", "EXTENT_KINDS", "ZONE_KINDS", "outside_shares", "extent_codes", "where_outside",
           "gcj02_exposure", "is_geographic_wgs84"]

#: Slack (m) around the union of the district, sea and island layers.  The sample pack's district
#: outlines lie within about 0.1 km of OSM-derived borders (data/sample/SOURCES.md), so a footprint
#: within 100 m of them is not called outside Shanghai on their account.
EXTENT_TOLERANCE_M: Final = 100.0

#: Layer kinds whose union is Shanghai's extent (district and sea must both be loaded).
EXTENT_KINDS: Final = ("district", "sea", "island")

#: The statutory zones a GCJ-02 offset could move a footprint into or out of.
ZONE_KINDS: Final = ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village")

_COMPASS: Final = ("east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east")


def outside_shares(fa: FootprintArrays, lay: PreparedLayers, rows: dict, tol: float) -> np.ndarray:
    """Share (0–1) of each unit outside Shanghai's extent widened by *tol* m; NaN when the library lacks it.

    Area share for polygons, length share for lines (the centre line of wide
    lines), fraction of points for (multi)points (also with a radius).  *rows*:
    the chunk's measured rows (:func:`shgeo.overlay.measures.overlay_chunk`).
    A unit whose overlaps with the district, sea and island features add up to
    its own measure is inside; the others are measured against the union of the
    extent pieces near them, widened by *tol*.
    """
    n = len(fa.geom)
    codes = extent_codes(lay)
    if codes is None:
        return np.full(n, np.nan)
    out = np.zeros(n)
    sel = rows["overlap"] & np.isin(lay.feature_kind[rows["feature"]], codes)
    unit = rows["fp"][sel]
    line = fa.cls == LINE
    total = np.bincount(unit, weights=np.where(line[unit], rows["length_m"][sel], rows["area_m2"][sel]), minlength=n)
    own = np.where(line, fa.length, fa.area)
    inside = (fa.cls != POINT) & (own > 0) & (np.abs(total - own) <= 1e-9 * own)
    rest = np.flatnonzero(~inside)
    if len(rest) == 0:
        return out
    base, cls = fa.base[rest], fa.cls[rest]
    pts = cls == POINT
    if pts.any():
        parts, idx = shapely.get_parts(base[pts], return_index=True)
        ok = np.bincount(_extent_pairs(parts, lay, codes, tol)[0], minlength=len(parts)) > 0
        out[rest[pts]] = 1.0 - np.bincount(idx, weights=ok, minlength=int(pts.sum())) / np.bincount(
            idx, minlength=int(pts.sum()))
    other = np.flatnonzero(~pts)
    if len(other):
        g = base[other]
        i, p = _extent_pairs(g, lay, codes, tol)
        b = shapely.bounds(g)[i] + np.array([-1.0, -1.0, 1.0, 1.0]) * (tol + 1.0)
        local = group_union(clip_by_rects(lay.pieces[p], b), i, len(g))  # the extent near each footprint
        local = np.where(pd.isna(local), shapely.Polygon(), local)
        left = shapely.difference(g, local)
        sticks_out = ~shapely.is_empty(left)
        if tol > 0 and sticks_out.any():  # what lies within tol of the extent is not outside
            left[sticks_out] = shapely.difference(left[sticks_out], shapely.buffer(local[sticks_out], tol))
        is_line = cls[other] == LINE
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(is_line, shapely.length(left) / shapely.length(g), shapely.area(left) / shapely.area(g))
        out[rest[other]] = np.clip(np.nan_to_num(share), 0.0, 1.0)
    return out


def extent_codes(lay: PreparedLayers) -> np.ndarray | None:
    """Kind codes of the extent layers, or None unless both district and sea are loaded."""
    if "district" not in lay.kind_code or "sea" not in lay.kind_code:
        return None
    return np.array([lay.kind_code[k] for k in EXTENT_KINDS if k in lay.kind_code])


def _extent_pairs(geoms: np.ndarray, lay: PreparedLayers, codes: np.ndarray, tol: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(geometry, piece) pairs: extent pieces within *tol* of each geometry."""
    if tol > 0:
        i, p = lay.tree.query(geoms, predicate="dwithin", distance=tol)
    else:
        i, p = lay.tree.query(geoms, predicate="intersects")
    keep = np.isin(lay.feature_kind[lay.piece_feature[p]], codes)
    return i[keep], p[keep]


def where_outside(geoms: np.ndarray, lay: PreparedLayers) -> list[str]:
    """Where each footprint (WORKING_CRS) lies, in words: distance and direction from the nearest district."""
    if "district" not in lay.kind_trees or len(lay.kind_trees["district"][1]) == 0:
        return ["outside Shanghai's extent"] * len(geoms)
    tree, kpieces = lay.kind_trees["district"]
    (qi, qp), dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    feature = lay.piece_feature[kpieces[qp]]
    names = lay.features["name"].to_numpy(dtype=object)
    out = ["outside Shanghai's extent"] * len(geoms)
    lines = shapely.shortest_line(lay.pieces[kpieces[qp]], geoms[qi])
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    for k, f, d, (a, b) in zip(qi.tolist(), feature.tolist(), dist.tolist(), ends):
        angle = np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])) % 360.0
        direction = _COMPASS[int(((angle + 22.5) % 360.0) // 45.0)]
        out[k] = (f"{d / 1000.0:.1f} km {direction} of {names[f] or lay.features['feature_id'].iloc[f]} "
                  "(the nearest district), outside Shanghai's districts and sea")
    return out


@functools.lru_cache(maxsize=64)
def is_geographic_wgs84(crs_text: str | None) -> bool:
    """Whether *crs_text* names geographic WGS 84 or CGCS2000 lon/lat (where GCJ-02 numbers can hide)."""
    if crs_text is None or str(crs_text).strip().lower().replace("-", "") in WEB_MAP_CRS:
        return False
    try:
        crs = pyproj.CRS.from_user_input(crs_text)
    except (pyproj.exceptions.CRSError, TypeError):
        return False
    return bool(crs.is_geographic and crs.ellipsoid is not None and crs.ellipsoid.name in ("WGS 84", "CGCS2000"))


def gcj02_exposure(fa: FootprintArrays, unit_fp: np.ndarray, input_crs: np.ndarray, lay: PreparedLayers) -> np.ndarray:
    """Per unit: True where the input was WGS 84/CGCS2000 lon/lat and a statutory zone lies within the
    GCJ-02 offset of the footprint, computed at the footprint's place (the answer would depend on
    whether the coordinates were really GCJ-02)."""
    n = len(fa.geom)
    out = np.zeros(n, dtype=bool)
    geo = np.array([is_geographic_wgs84(None if c is None else str(c)) for c in input_crs], dtype=bool)
    sel = np.flatnonzero(geo[unit_fp]) if n else np.empty(0, dtype=np.int64)
    kinds = [k for k in ZONE_KINDS if k in lay.kind_trees and len(lay.kind_trees[k][1])]
    if len(sel) == 0 or not kinds:
        return out
    offset = gcj02_offset_m(shapely.centroid(fa.base[sel]))
    for kind in kinds:
        tree, _ = lay.kind_trees[kind]
        qi, _ = tree.query(fa.base[sel], predicate="dwithin", distance=offset)
        out[sel[np.unique(qi)]] = True
    return out


def gcj02_offset_m(points: np.ndarray) -> np.ndarray:
    """Distance (m) between each WORKING_CRS point taken as WGS 84 and its GCJ-02 position."""
    xy = shapely.get_coordinates(points)
    to_ll = transformer(WORKING_CRS, GEOGRAPHIC_CRS)
    to_xy = transformer(GEOGRAPHIC_CRS, WORKING_CRS)
    lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
    glon, glat = wgs84_to_gcj02(lon, lat)
    gx, gy = to_xy.transform(glon, glat)
    return np.hypot(np.asarray(gx) - xy[:, 0], np.asarray(gy) - xy[:, 1])
