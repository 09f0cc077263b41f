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
   Every worker thread has its own prepared copy of the pieces and of the
   whole features.  This is done once per library and cached.
2. **Streaming.**  Footprints are processed in chunks on a thread pool
   (default two threads; at least eight chunks per thread when the footprints
   are few, since one long buffered line can cost as much as a thousand small
   polygons): each chunk is checked and repaired
   (:func:`shgeo.inputs.footprints.prepare_geometries`), transformed to the
   working CRS, measured and reduced to compact rows; nothing of the whole
   input is copied.  shapely and pyproj release the GIL, so two threads use
   two cores.  A GeometryCollection is measured as its parts (polygons by
   area, lines by length, points by presence), each part as a footprint of
   its own, and the rows are merged back per footprint.
3. **Candidates.**  One bulk ``STRtree.query(footprints)`` by envelope, then
   ``intersects`` on the thread's prepared pieces, piece by piece.
4. **Exact measures, true pairs only.**  A footprint in the interior of a
   piece, or meeting several pieces of one feature while lying in the
   feature's interior (``contains_properly`` on the prepared whole feature),
   overlaps by the footprint itself; a piece inside the footprint by the piece
   itself: no intersection is computed.  The remaining pairs — footprints
   across a feature's boundary — get one vectorised ``shapely.intersection``.
   Lines are measured by length, points by point-in-polygon (or as a disc
   with ``point_radius_m``).  A line running along a cut edge lies in both
   (closed) neighbouring pieces: such (footprint, feature) groups are
   re-measured against the whole feature.
5. **Per feature.**  Pair measures are summed per (footprint, feature).  The
   overlap geometry is the footprint itself when the feature covers all of it,
   the pair piece when one piece holds the overlap, else the union of the pair
   pieces, dissolved on the worker thread (measures never depend on it; the
   pieces are not kept; computed overlaps are kept as exact compact copies,
   two ordinates per vertex and no spare capacity).  Touching along an edge
   or at a point (area 0 / length 0 / interiors disjoint) is not a hit; it is
   a near miss at distance 0, flagged ``on_boundary``.  Small overlaps
   (< ``sliver_area_m2``, < ``sliver_length_m`` for lines, or a strip thinner
   than ``sliver_length_m`` on average, i.e. 2·area/perimeter) are kept and
   flagged ``possible_boundary_mismatch``.
6. **Near misses.**  For each kind a footprint does not overlap, the nearest
   feature within ``search_radius_m`` (relation ``"near"``): envelope
   candidates, exact distances only where the envelope distance could still win
   and the prepared piece lies within the best distance so far.
7. **Shanghai's extent.**  With ``district`` and ``sea`` layers, the share of
   each footprint outside their union (with islands; ``extent_tolerance_m``
   of slack) is measured: a footprint whose district, sea and island overlaps
   add up to its own measure is inside at no cost; the others are measured
   against the extent pieces near them.  Wholly outside is an error naming
   where the footprint lies; partly outside is screened and flagged.
8. **Facts.**  The decision interface's ``spatial`` block per footprint,
   district shares, the land / sea / island split (land = footprint ∩
   districts − islands, exact where a footprint meets both),
   ``redline_districts`` and per-kind figures, built on first access.

GEOS prepared geometries are not thread-safe (libgeos/geos#825), so every
worker thread has its own prepared copy of the pieces and features, the trees
are built before they are shared, and one library's prepared copies serve
one overlay call at a time.  The engine has no Python loop over footprints
or layer features.

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

from ..crs import GEOGRAPHIC_CRS, SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG, WORKING_CRS, check_in_shanghai, transformer
from ..errors import CRSError, ExtentError, FootprintError
from ..inputs.footprints import footprint_ids, prepare_geometries
from .extent import EXTENT_TOLERANCE_M, gcj02_exposure, outside_shares, where_outside
from .measures import MeasureOptions, footprint_arrays, option_number, overlay_chunk, split_units
from .pieces import DEFAULT_MAX_VERTICES, PreparedLayers, WorkerGeometry, prepare_layers
from .result import OverlayResult

__all__ = ["overlay"]

log = logging.getLogger(__name__)

#: Footprints per chunk at most: small enough to bound memory, large enough that the per-call overhead vanishes.
_CHUNK: Final = 4096
#: ... and at least (below this the per-chunk set-up starts to show: tree queries per kind, the extent and
#: GCJ-02 checks, about 10 ms a chunk against the sample pack's nine kinds).
_MIN_CHUNK: Final = 512
#: Chunks per worker thread, when the footprints are few: footprints differ in cost by orders of magnitude
#: (a 30 km buffered line against a point), so many small chunks, taken in turn, keep every thread busy
#: to the end instead of one thread finishing a heavy chunk alone.
_CHUNKS_PER_WORKER: Final = 8

_EDGE_POINTS: Final = 65


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WORKING_CRS metres → EPSG:4490 lon/lat."""
    return transformer(WORKING_CRS, GEOGRAPHIC_CRS).transform(x, y)


def _to_working(geoms: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    if crs.equals(WORKING_CRS):
        return geoms
    t = transformer(crs, WORKING_CRS)
    with np.errstate(all="ignore"):  # non-finite results fail the extent check
        return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _check_extent(geoms: np.ndarray, ids: np.ndarray, source_crs: pyproj.CRS, source: Any) -> None:
    """Raise :class:`~shgeo.errors.ExtentError` unless every footprint (WORKING_CRS) lies in Shanghai's box.

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
    names = [str(x) for x in ids[bad]]
    feature = names[0] if len(names) == 1 else (
        ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else ""))
    sel = np.concatenate([bad + k * n for k in range(4)])
    check_in_shanghai(lon[sel], lat[sel], source_crs=source_crs, path=source, feature=feature)
    raise ExtentError(f"{len(bad)} footprint(s) outside Shanghai", path=source, feature=feature)  # not reached


def _input_crs(footprints: gpd.GeoDataFrame, n: int) -> np.ndarray:
    """Per footprint, the CRS its coordinates were given in (text), or None when unknown.

    A ``source_crs`` column wins, then ``attrs["source_crs"]`` (as :func:`shgeo.read_footprints`
    records it), then the frame's own CRS.
    """
    if "source_crs" in footprints.columns:
        values = footprints["source_crs"].to_numpy(dtype=object).copy()
        values[pd.isna(values)] = None
        return values
    text = footprints.attrs.get("source_crs")
    if text is None and footprints.crs is not None and pyproj.CRS(footprints.crs).is_geographic:
        text = pyproj.CRS(footprints.crs).to_wkt()  # only lon/lat matters (a GCJ-02 doubt); no database search
    return np.full(n, text, dtype=object)


def overlay(
    footprints: gpd.GeoDataFrame,
    library: Any,
    *,
    id_field: str | None = None,
    search_radius_m: float = 1000.0,
    sliver_area_m2: float = 1.0,
    sliver_length_m: float = 0.5,
    line_width_m: float | None = None,
    point_radius_m: float | None = None,
    extent_tolerance_m: float = EXTENT_TOLERANCE_M,
    threads: int | None = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
) -> OverlayResult:
    """Overlay *footprints* on every layer of *library*; return an :class:`OverlayResult`.

    *footprints*: any GeoDataFrame with a CRS (transformed to WORKING_CRS chunk by
    chunk; the frame is not modified).  Ids: the column *id_field*, else a
    ``footprint_id`` column (as from :func:`shgeo.read_footprints`), else the
    index; they must be unique and non-empty.  Geometry is checked and
    repaired as :func:`shgeo.inputs.footprints.prepare_geometries` does (an
    empty one raises :class:`~shgeo.errors.FootprintError`).  *library*: a
    :class:`shgeo.library.layers.LayerLibrary`.

    Polygons are measured by area (m²); lines by length (m) — with
    *line_width_m*, also as a flat-ended band of that width for area (a hit is
    then an area overlap); points by point-in-polygon, or with
    *point_radius_m* as a disc (16 segments per quarter) measured by area; a
    GeometryCollection part by part, each by its own dimension (flag
    ``mixed_geometry``).  Touching is not a hit: the interiors must meet (a
    line lying exactly on a feature's edge is not in it); it is a near miss at
    distance 0 flagged ``on_boundary``.  Overlaps under *sliver_area_m2* (m²),
    line overlaps under *sliver_length_m* (m), and polygon overlaps thinner
    than *sliver_length_m* on average (2·area/perimeter, unless the overlap is
    the whole footprint) are kept and flagged ``possible_boundary_mismatch``
    (defaults 1 m², 0.5 m).  Near misses: per kind not
    overlapped, the nearest feature within *search_radius_m* (m; 0 disables).
    *extent_tolerance_m*: slack (m) around the union of the ``district``,
    ``sea`` and ``island`` layers within which a footprint counts as inside
    Shanghai (default :data:`shgeo.overlay.extent.EXTENT_TOLERANCE_M`).
    *threads*: worker threads (default up to 2, bounded by the CPUs);
    *max_vertices*: piece size of the layer index (see :data:`DEFAULT_MAX_VERTICES`).

    Numeric options must be finite and ≥ 0 (*line_width_m*, *point_radius_m* > 0):
    ValueError naming the option.  Footprints without a CRS raise
    :class:`~shgeo.errors.CRSError`; footprints whose bounding-box corners fall
    outside Shanghai (in EPSG:4490), or that lie wholly outside the union of
    the district and sea layers, raise :class:`~shgeo.errors.ExtentError`
    naming them and where they lie.
    """
    search_radius_m = option_number("search_radius_m", search_radius_m, "m")
    sliver_area_m2 = option_number("sliver_area_m2", sliver_area_m2, "m²")
    sliver_length_m = option_number("sliver_length_m", sliver_length_m, "m")
    extent_tolerance_m = option_number("extent_tolerance_m", extent_tolerance_m, "m")
    if line_width_m is not None:
        line_width_m = option_number("line_width_m", line_width_m, "m", positive=True)
    if point_radius_m is not None:
        point_radius_m = option_number("point_radius_m", point_radius_m, "m", positive=True)
    source = footprints.attrs.get("source")
    if not isinstance(footprints, gpd.GeoDataFrame) or footprints.active_geometry_name is None:
        raise FootprintError("footprints must be a GeoDataFrame with an active geometry column", path=source,
                             hint="build one with geopandas, or read the file with shgeo.read_footprints")
    if footprints.crs is None:
        raise CRSError("footprints have no CRS", path=source,
                       hint="declare the CRS their coordinates are in (GeoDataFrame.set_crs, e.g. 4490 for "
                       "CGCS2000 lon/lat) or read them with shgeo.read_footprints")
    ids = footprint_ids(footprints, id_field, path=source)
    source_crs = pyproj.CRS(footprints.crs)
    input_crs = _input_crs(footprints, len(footprints))
    geoms = np.asarray(footprints.geometry.array, dtype=object)
    lay = prepare_layers(library, max_vertices=max_vertices)
    opt = MeasureOptions(float(search_radius_m), float(sliver_area_m2), float(sliver_length_m),
                         line_width_m, point_radius_m, float(extent_tolerance_m))
    n = len(geoms)
    workers = threads if threads is not None else min(2, os.cpu_count() or 1)
    size = _chunk_size(n, int(workers))
    bounds = list(range(0, n, size)) + [n]
    slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    workers = max(1, min(int(workers), max(1, len(slices))))

    def chunk(s: slice, prep: WorkerGeometry) -> dict:
        g, repairs, mixed = prepare_geometries(geoms[s], ids[s], path=source)
        g = _to_working(g, source_crs)
        _check_extent(g, ids[s], source_crs, source)
        units, unit_fp = split_units(g, mixed)
        fa = footprint_arrays(units, line_width_m, point_radius_m)
        part = overlay_chunk(fa, lay, prep, opt)
        part["outside"] = outside_shares(fa, lay, part, opt.extent_tolerance_m)
        part["gcj02"] = gcj02_exposure(fa, unit_fp, input_crs[s], lay)
        part.update(fa=fa, unit_fp=unit_fp + s.start, repairs=repairs, mixed=np.flatnonzero(mixed) + s.start)
        return part

    with lay.lock:
        parts = _run_chunks(chunk, lay, slices, workers)
    _refuse_outside(parts, ids, lay, source)
    return OverlayResult.from_parts(ids, parts, lay, options=opt,
                                    repairs=dict(footprints.attrs.get("repairs", {})), source=source)


def _chunk_size(n: int, workers: int) -> int:
    """Footprints per chunk for *n* footprints on *workers* threads."""
    if workers <= 1:
        return _CHUNK
    return min(_CHUNK, max(_MIN_CHUNK, -(-n // (workers * _CHUNKS_PER_WORKER))))


def _refuse_outside(parts: list[dict], ids: np.ndarray, lay: PreparedLayers, source: Any) -> None:
    """Raise ExtentError naming every footprint that lies wholly outside Shanghai's districts and sea."""
    unit_fp = np.concatenate([p["unit_fp"] for p in parts]) if parts else np.empty(0, dtype=np.int64)
    outside = np.concatenate([p["outside"] for p in parts]) if parts else np.empty(0)
    if not len(outside) or not (outside >= 1.0).any():
        return
    inside_any = np.zeros(len(ids), dtype=bool)
    inside_any[unit_fp[~(outside >= 1.0)]] = True
    bad = np.flatnonzero(~inside_any)
    if len(bad) == 0:
        return
    geoms = np.concatenate([p["fa"].geom for p in parts])
    first_unit = np.searchsorted(unit_fp, bad)  # units are in footprint order
    where = where_outside(geoms[first_unit], lay)
    listed = "; ".join(f"{ids[b]!s}: {w}" for b, w in list(zip(bad, where))[:5])
    more = f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""
    raise ExtentError(f"{len(bad)} footprint(s) lie wholly outside Shanghai: {listed}{more}", path=source,
                      feature=str(ids[bad[0]]) if len(bad) == 1 else None,
                      hint="check the CRS and the coordinates; shgeo screens only footprints in Shanghai "
                           "(its districts and sea)")


def _run_chunks(work, lay: PreparedLayers, slices: list[slice], workers: int) -> list[dict]:
    """Run *work* (slice, prepared copies) over *slices* on *workers* threads; the first error (in order) wins."""
    copies = lay.worker_pieces(workers)
    parts: list[dict | None] = [None] * len(slices)
    if workers == 1:
        return [work(s, copies[0]) for s in slices]
    todo = iter(range(len(slices)))
    lock = threading.Lock()
    errors: dict[int, BaseException] = {}

    def run(w: int) -> None:
        while True:
            with lock:
                k = None if errors else next(todo, None)
            if k is None:
                return
            try:
                parts[k] = work(slices[k], copies[w])
            except BaseException as exc:  # re-raised in the caller's thread, below
                with lock:
                    errors[k] = exc
                return

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shgeo-overlay") as ex:
        for fut in [ex.submit(run, w) for w in range(workers)]:
            fut.result()
    if errors:
        raise errors[min(errors)]
    return parts  # type: ignore[return-value]
