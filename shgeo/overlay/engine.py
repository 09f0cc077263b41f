"""The overlay engine: exact spatial facts for every footprint against every layer kind.

How it works (all in :data:`shgeo.crs.WORKING_CRS`, an equal-area projection,
so m² are exact and m are within 0.0004 % of geodesic lengths):

1. **Pieces.**  Every layer polygon is split into pieces of at most
   ``max_vertices`` vertices by recursive quadrant splitting (the PostGIS
   ``ST_Subdivide`` idea).  The pieces tile each feature exactly (each is the
   feature clipped to a box, the boxes sharing edges; a clip GEOS returns
   invalid is redone with an exact intersection), so overlap areas summed over
   pieces equal the overlap with the whole feature (to ~1e-13).  One STRtree
   holds the pieces of all kinds; each piece maps back to its (kind, feature).
   Pieces are prepared geometries.  This is done once per library and cached.
2. **Candidates.**  One bulk ``STRtree.query(footprints, predicate="intersects")``.
3. **Exact measures, true pairs only.**  A polygon footprint that lies wholly
   inside a piece (``contains_properly``) overlaps by the footprint itself, and
   a piece wholly inside the footprint by the piece itself: no intersection is
   computed.  The remaining pairs get one vectorised ``shapely.intersection``.  Lines are measured by length, points by
   point-in-polygon (or as a disc with ``point_radius_m``).  A line running along a cut edge lies in both
   (closed) neighbouring pieces: such (footprint, feature) groups are re-measured against the whole feature.
4. **Per feature.**  Pair measures are summed per (footprint, feature).  The
   overlap geometry is the footprint itself when the pieces cover all of it,
   the pair piece when one piece holds the overlap, else the union of the pair
   pieces, dissolved on first access of :attr:`OverlayResult.hits` (measures
   never depend on it).  Touching along an edge or at a point (area 0 /
   length 0 / interiors disjoint) is not a hit.  Small overlaps
   (< ``sliver_area_m2``, < ``sliver_length_m`` for lines, or a strip thinner
   than ``sliver_length_m`` on average, i.e. 2·area/perimeter) are kept and
   flagged ``possible_boundary_mismatch``.
5. **Near misses.**  For each kind a footprint does not overlap, the nearest
   feature within ``search_radius_m`` (relation ``"near"``): envelope
   candidates, exact distances only where the envelope distance could still win.
6. **Facts.**  The decision interface's ``spatial`` block per footprint,
   district shares, the land / sea / island split (land = footprint ∩
   districts − islands, exact where a footprint meets both) and
   ``redline_districts`` (the red-line overlap pieces intersected with the districts).

Footprints are processed in chunks on a thread pool (default two threads):
shapely releases the GIL in its vectorised functions and tree queries, so two
threads use two cores.  GEOS prepared geometries are not thread-safe
(libgeos/geos#825), so every worker thread has its own prepared copy of the
pieces, the trees are built before they are shared, and one library's
prepared pieces serve one overlay call at a time.
The engine has no Python loop over footprints or layer features: measures,
near misses and flags are vectorised shapely calls per chunk.  The ``facts``
dicts are built per footprint in Python (on first access), from the hit rows;
the rare geometric cases they need (the land / island split, ``redline_districts``)
are computed once for all footprints that need them.

Fail closed: footprints without a CRS or outside Shanghai (a mislabelled CRS
would otherwise give all-False facts), layers without the working CRS or with
non-polygonal parts, and non-finite or negative options are refused.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..crs import GEOGRAPHIC_CRS, SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG, WORKING_CRS, check_in_shanghai
from ..errors import CRSError, ExtentError
from ..inputs.footprints import prepare_footprints
from .measures import FootprintArrays, MeasureOptions, footprint_arrays, option_number, overlay_chunk
from .pieces import DEFAULT_MAX_VERTICES, PreparedLayers, prepare_layers
from .result import OverlayResult

__all__ = ["overlay"]

log = logging.getLogger(__name__)

_CHUNK: Final = 2048

_EDGE_POINTS: Final = 65
_LOCAL = threading.local()


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WORKING_CRS metres → EPSG:4490 lon/lat (one transformer per thread)."""
    t = getattr(_LOCAL, "to_lonlat", None)
    if t is None:
        t = _LOCAL.to_lonlat = pyproj.Transformer.from_crs(WORKING_CRS, GEOGRAPHIC_CRS, always_xy=True)
    return t.transform(x, y)


def _check_extent(geoms: np.ndarray, ids: pd.Series, source_crs: pyproj.CRS, source: Any) -> None:
    """Raise :class:`~shgeo.errors.ExtentError` unless every footprint (WORKING_CRS) lies in Shanghai.

    A footprint outside every layer would get all-False facts — a false "clear" — so a
    mislabelled CRS must fail here.  Fast path: the densified outline of the bounding box of
    all footprints, in lon/lat (EPSG:4490); only if that leaves Shanghai are the corners of
    each footprint's own bounding box checked, to name the footprints that are outside.
    """
    if len(geoms) == 0:
        return
    b = shapely.bounds(geoms)
    t = np.linspace(0.0, 1.0, _EDGE_POINTS)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN / inf coordinates fail the check below
        x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        ex = np.concatenate([x0 + (x1 - x0) * t, np.full_like(t, x1), x1 - (x1 - x0) * t, np.full_like(t, x0)])
        ey = np.concatenate([np.full_like(t, y0), y0 + (y1 - y0) * t, np.full_like(t, y1), y1 - (y1 - y0) * t])
    lon, lat = _to_lonlat(ex, ey)
    try:
        check_in_shanghai(lon, lat)
        return
    except ExtentError:
        pass
    cx = np.concatenate([b[:, 0], b[:, 2], b[:, 2], b[:, 0]])
    cy = np.concatenate([b[:, 1], b[:, 1], b[:, 3], b[:, 3]])
    lon, lat = _to_lonlat(cx, cy)
    n = len(geoms)
    west, south, east, north = SHANGHAI_BOUNDS
    m = SHANGHAI_MARGIN_DEG
    with np.errstate(invalid="ignore"):
        ok = (np.isfinite(lon) & np.isfinite(lat) & (lon >= west - m) & (lon <= east + m)
              & (lat >= south - m) & (lat <= north + m)).reshape(4, n).all(axis=0)
    bad = np.flatnonzero(~ok)
    if len(bad) == 0:  # only the box around them crossed the margin, every footprint is inside
        return
    names = ids.astype(str).to_numpy()[bad].tolist()
    feature = names[0] if len(names) == 1 else (
        ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else ""))
    sel = np.concatenate([bad + k * n for k in range(4)])
    check_in_shanghai(lon[sel], lat[sel], source_crs=source_crs, path=source, feature=feature)
    raise ExtentError(f"{len(bad)} footprint(s) outside Shanghai", path=source, feature=feature)  # not reached


def overlay(
    footprints: gpd.GeoDataFrame,
    library: Any,
    *,
    search_radius_m: float = 1000.0,
    sliver_area_m2: float = 1.0,
    sliver_length_m: float = 0.5,
    line_width_m: float | None = None,
    point_radius_m: float | None = None,
    threads: int | None = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
) -> OverlayResult:
    """Overlay *footprints* on every layer of *library*; return an :class:`OverlayResult`.

    *footprints*: GeoDataFrame with ``footprint_id`` (as from
    :func:`shgeo.read_footprints`), in any CRS (transformed to WORKING_CRS);
    geometry prepared by :func:`shgeo.inputs.footprints.prepare_footprints` (an empty
    one raises :class:`~shgeo.errors.FootprintError`).  *library*: a
    :class:`shgeo.library.layers.LayerLibrary`.

    Polygons are measured by area (m²); lines by length (m) — with
    *line_width_m*, also as a flat-ended band of that width for area (a hit is
    then an area overlap); points by point-in-polygon, or with
    *point_radius_m* as a disc (16 segments per quarter) measured by area.
    Touching is not a hit: the interiors must meet (a line lying exactly on a
    feature's edge is not in it).  Overlaps under *sliver_area_m2* (m²),
    line overlaps under *sliver_length_m* (m), and polygon overlaps thinner
    than *sliver_length_m* on average (2·area/perimeter, unless the overlap is
    the whole footprint) are kept and flagged ``possible_boundary_mismatch``
    (defaults from issue 3: 1 m², 0.5 m).  Near misses: per kind not
    overlapped, the nearest feature within *search_radius_m* (m; 0 disables).
    *threads*: worker threads (default up to 2, bounded by the CPUs);
    *max_vertices*: piece size of the layer index (see :data:`DEFAULT_MAX_VERTICES`).

    Numeric options must be finite and ≥ 0 (*line_width_m*, *point_radius_m* > 0):
    ValueError naming the option.  Footprints without a CRS raise
    :class:`~shgeo.errors.CRSError`; footprints whose bounding-box corners fall
    outside Shanghai (in EPSG:4490) raise :class:`~shgeo.errors.ExtentError`
    naming them — usually a mislabelled CRS, which would otherwise give
    all-False facts.
    """
    search_radius_m = option_number("search_radius_m", search_radius_m, "m")
    sliver_area_m2 = option_number("sliver_area_m2", sliver_area_m2, "m²")
    sliver_length_m = option_number("sliver_length_m", sliver_length_m, "m")
    if line_width_m is not None:
        line_width_m = option_number("line_width_m", line_width_m, "m", positive=True)
    if point_radius_m is not None:
        point_radius_m = option_number("point_radius_m", point_radius_m, "m", positive=True)
    source = footprints.attrs.get("source")
    if footprints.crs is None:
        raise CRSError("footprints have no CRS", path=source,
                       hint="declare the CRS their coordinates are in (GeoDataFrame.set_crs, e.g. 4490 for "
                       "CGCS2000 lon/lat) or read them with shgeo.read_footprints")
    fps = prepare_footprints(footprints, path=source)
    source_crs = pyproj.CRS(fps.crs)
    if not source_crs.equals(WORKING_CRS):
        fps = fps.to_crs(WORKING_CRS)
    geoms = np.asarray(fps.geometry.array, dtype=object)
    _check_extent(geoms, fps["footprint_id"], source_crs, source)
    lay = prepare_layers(library, max_vertices=max_vertices)
    fp = footprint_arrays(geoms, line_width_m, point_radius_m)
    opt = MeasureOptions(float(search_radius_m), float(sliver_area_m2), float(sliver_length_m))
    n = len(geoms)
    workers = threads if threads is not None else min(2, os.cpu_count() or 1)
    bounds = list(range(0, n, _CHUNK)) + [n]
    slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    workers = max(1, min(workers, len(slices)))
    with lay.lock:
        parts = _run_chunks(fp, lay, opt, slices, workers)
    offset = 0
    for s, part in zip(slices, parts):
        part["fp"] += s.start
        part["defer_row"] = part["defer_row"] + offset
        offset += len(part["fp"])
    empty = overlay_chunk(fp.take(slice(0, 0)), lay, lay.worker_pieces(1)[0], opt)
    cols = {k: np.concatenate([empty[k], *(pt[k] for pt in parts)]) for k in empty}
    result = OverlayResult.from_measures(fps, fp, lay, cols, threads=workers, options=opt)
    return result


def _run_chunks(fp: FootprintArrays, lay: PreparedLayers, opt: MeasureOptions, slices: list[slice], workers: int) -> list[dict]:
    """Run :func:`overlay_chunk` over *slices* on *workers* threads, each with its own prepared pieces."""
    copies = lay.worker_pieces(workers)
    parts: list[dict] = [{} for _ in slices]
    if workers > 1:
        todo = iter(range(len(slices)))
        lock = threading.Lock()

        def work(w: int) -> None:
            while True:
                with lock:
                    k = next(todo, None)
                if k is None:
                    return
                parts[k] = overlay_chunk(fp.take(slices[k]), lay, copies[w], opt)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shgeo-overlay") as ex:
            for fut in [ex.submit(work, w) for w in range(workers)]:
                fut.result()
    else:
        parts = [overlay_chunk(fp.take(s), lay, copies[0], opt) for s in slices]
    return parts
