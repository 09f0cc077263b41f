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
import math
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .crs import (
    GEOGRAPHIC_CRS,
    SHANGHAI_BOUNDS,
    SHANGHAI_MARGIN_DEG,
    WORKING_CRS,
    check_in_shanghai,
)
from .errors import CRSError, ExtentError, LayerError
from .footprints import LINE, POINT, POLYGON, geometry_class, prepare_footprints

__all__ = ["overlay", "OverlayResult", "PreparedLayers", "prepare_layers", "subdivide", "HIT_COLUMNS",
           "SPATIAL_KEYS", "POSSIBLE_BOUNDARY_MISMATCH"]

log = logging.getLogger(__name__)

#: Flag set on overlaps too small to be more than digitising noise.
POSSIBLE_BOUNDARY_MISMATCH: Final = "possible_boundary_mismatch"

#: Columns of :attr:`OverlayResult.hits`, in order.
HIT_COLUMNS: Final = ("footprint_id", "kind", "feature_id", "name", "code", "category", "relation",
                      "area_m2", "length_m", "share", "distance_m", "flags", "geometry")

#: Keys of the decision interface's ``spatial`` block (DESIGN.md).
SPATIAL_KEYS: Final = ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
                       "districts", "redline_districts", "land", "sea", "island")

#: Default maximum vertices per indexed piece.  benchmarks/bench_overlay.py at 100k footprints
#: (2 threads): 64 → fastest overlay() but costlier dissolving of hits geometry; 128 → best
#: overlay + hits together with modest memory; 256 (PostGIS's default) → slower on one thread.
DEFAULT_MAX_VERTICES: Final = 128
_MAX_DEPTH: Final = 24
_CHUNK: Final = 2048
_QUAD_SEGS: Final = 16

_BOOL_KINDS: Final = {"redline": "redline", "core_zone": "core_zone"}
_LIST_KINDS: Final = {  # fact key: (kind, attribute listed, fallback attribute)
    "protected_area": ("protected_area", "category", "name"),
    "water_source_l1": ("water_source_l1", "category", "name"),
    "groundwater_village": ("groundwater_village", "code", "name"),
    "districts": ("district", "name", "code"),
}
_SPLIT_KINDS: Final = {"land": "district", "sea": "sea", "island": "island"}
_LIST_OF_KIND: Final = {k: (attr, fallback) for k, attr, fallback in _LIST_KINDS.values()}
_EXPECTED_KINDS: Final = ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
                          "district", "sea", "island")
_CLASS_NAME: Final = {POLYGON: "polygon", LINE: "line", POINT: "point"}
_MODE_NAME: Final = {POLYGON: "area", LINE: "length", POINT: "point"}
_NO_ROWS: Final = np.empty(0, dtype=np.int64)
#: DE-9IM: the interiors intersect (what "a hit, not just touching" means for every geometry type)
_INTERIORS_MEET: Final = "T********"


# --------------------------------------------------------------------------- pieces


def subdivide(geoms: np.ndarray, max_vertices: int = DEFAULT_MAX_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    """Split polygons into pieces of at most *max_vertices* vertices.

    Recursive quadrant split at the middle of each part's bounding box (the
    ``ST_Subdivide`` idea), vectorised over all parts at each level.  Returns
    ``(pieces, source_index)``: Polygon pieces and the index in *geoms* each
    came from.  The pieces of one geometry tile it: they do not overlap and
    their areas sum to its area (to floating-point rounding).
    """
    if max_vertices < 8:
        raise ValueError(f"max_vertices must be at least 8, got {max_vertices}")
    geoms = np.asarray(geoms, dtype=object)
    missing = np.flatnonzero(pd.isna(geoms))
    if len(missing):
        raise _BadGeometry(int(missing[0]), "geometry is missing (None)")
    todo, src = _flat_parts(geoms, np.arange(len(geoms)))
    nonempty = ~shapely.is_empty(todo)
    todo, src = todo[nonempty], src[nonempty]
    bad = np.flatnonzero(shapely.get_type_id(todo) != 3)
    if len(bad):
        k = bad[0]
        raise _BadGeometry(int(src[k]), f"has a non-polygonal part ({todo[k].geom_type}); "
                           "only Polygon / MultiPolygon parts (nested in collections or not) can be indexed")
    out_g: list[np.ndarray] = []
    out_i: list[np.ndarray] = []
    for _ in range(_MAX_DEPTH):
        small = shapely.get_num_coordinates(todo) <= max_vertices
        out_g.append(todo[small])
        out_i.append(src[small])
        todo, src = todo[~small], src[~small]
        if len(todo) == 0:
            break
        b = shapely.bounds(todo)
        xmid = (b[:, 0] + b[:, 2]) / 2.0
        ymid = (b[:, 1] + b[:, 3]) / 2.0
        pad = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) + 1.0
        x0, y0, x1, y1 = b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad
        boxes = np.concatenate([
            shapely.box(x0, y0, xmid, ymid), shapely.box(xmid, y0, x1, ymid),
            shapely.box(x0, ymid, xmid, y1), shapely.box(xmid, ymid, x1, y1),
        ])
        # rectangle clipping is ~10x faster than a general overlay; the rare invalid
        # output (GEOS documents it may happen) is redone with an exact intersection
        whole = np.tile(todo, 4)
        bb = shapely.bounds(boxes)
        cut = _clip(whole, bb)
        bad = ~shapely.is_valid(cut)
        if bad.any():
            cut[bad] = shapely.intersection(whole[bad], boxes[bad])
        parts, psrc = _flat_parts(cut, np.tile(src, 4))
        # points and lines here are zero-area artefacts of the cut along the box edges
        ok = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
        todo, src = parts[ok], psrc[ok]
    else:
        out_g.append(todo)
        out_i.append(src)
        log.warning("subdivide: %d piece(s) still above %d vertices after %d levels", len(todo),
                    max_vertices, _MAX_DEPTH)
    return np.concatenate(out_g), np.concatenate(out_i)


class _BadGeometry(ValueError):
    """A geometry :func:`subdivide` cannot index (``index``: its position in the input)."""

    def __init__(self, index: int, reason: str) -> None:
        self.index = index
        self.reason = reason
        super().__init__(f"geometry {index}: {reason}")


def _flat_parts(geoms: np.ndarray, src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part geometries of *geoms* (collections flattened however deeply nested), with their *src*."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    src = src[idx]
    multi = shapely.get_type_id(parts) >= 4  # Multi* and GeometryCollection
    while multi.any():
        sub, sidx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        src = np.concatenate([src[~multi], src[multi][sidx]])
        multi = shapely.get_type_id(parts) >= 4
    return parts, src


def _clip(geoms: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """``clip_by_rect`` of each geometry by its own rectangle (grouped by rectangle: it takes scalars)."""
    out = np.empty(len(geoms), dtype=object)
    for k in range(len(geoms)):
        out[k] = shapely.clip_by_rect(geoms[k], *bounds[k])
    return out


@dataclass
class PreparedLayers:
    """A layer library's features, split into indexed pieces (built once, reused by every overlay)."""

    kinds: list[str]
    #: one row per feature of every kind: kind, feature_id, name, code, category (global feature index = row)
    features: pd.DataFrame
    #: full feature geometries, never prepared (shared by worker threads; used for the rare boundary cases)
    feature_geoms: np.ndarray
    pieces: np.ndarray
    piece_feature: np.ndarray
    piece_area: np.ndarray
    piece_bounds: np.ndarray
    tree: shapely.STRtree
    #: per kind: (STRtree over that kind's pieces, global piece indices)
    kind_trees: dict[str, tuple[shapely.STRtree, np.ndarray]]
    max_vertices: int
    kind_code: dict[str, int] = field(default_factory=dict)
    #: kind code (index into ``kinds``) of each feature
    feature_kind: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    _copies: list[np.ndarray] = field(default_factory=list)
    #: held while an overlay uses the prepared copies (they must not be shared between threads)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def n_pieces(self) -> int:
        """Number of indexed pieces."""
        return len(self.pieces)

    def worker_pieces(self, workers: int) -> list[np.ndarray]:
        """One prepared copy of :attr:`pieces` per worker thread.

        GEOS prepared geometries are not thread-safe (lazily built indexes and
        mutable segment-intersection state, libgeos/geos#825), so each worker
        thread evaluates predicates on its own copy, and :attr:`pieces` itself
        (shared, and handed out in results) is never prepared.  Copies are
        exact (WKB round trip) and kept for reuse.
        """
        while len(self._copies) < workers:
            copy = shapely.from_wkb(shapely.to_wkb(self.pieces))
            shapely.prepare(copy)
            self._copies.append(copy)
        return self._copies[:workers]


def prepare_layers(library: Any, *, max_vertices: int = DEFAULT_MAX_VERTICES) -> PreparedLayers:
    """Split every layer of *library* into indexed pieces (see :func:`subdivide`).

    *library* is a :class:`shgeo.layers.LayerLibrary` (``kinds``, ``layer(kind)``
    in WORKING_CRS).  The result is cached per library object and piece size.
    """
    try:
        per_library = _CACHE.setdefault(library, {})
    except TypeError:  # not weak-referenceable or not hashable: no caching
        per_library = {}
    cached = per_library.get(max_vertices)
    if cached is not None:
        return cached
    frames = []
    geoms = []
    for kind in library.kinds:
        layer = library.layer(kind)
        if layer.crs is None:
            raise LayerError("layer has no CRS", kind=kind,
                             hint="load layers through shgeo.layers.LayerLibrary (it sets the working CRS)")
        if not pyproj.CRS(layer.crs).equals(WORKING_CRS):
            raise LayerError("layer is not in the working CRS", kind=kind,
                             hint="load layers through shgeo.layers.LayerLibrary")
        df = pd.DataFrame({
            "kind": kind,
            "feature_id": layer["feature_id"].astype(str).to_numpy() if "feature_id" in layer
            else np.arange(1, len(layer) + 1).astype(str),
        })
        for col in ("name", "code", "category"):
            df[col] = layer[col].to_numpy(dtype=object) if col in layer else None
        frames.append(df)
        geoms.append(np.asarray(layer.geometry.array, dtype=object))
    features = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["kind", "feature_id", "name", "code", "category"])
    for col in ("name", "code", "category"):
        values = features[col].to_numpy(dtype=object, copy=True)
        values[pd.isna(values)] = None
        features[col] = pd.Series(values, index=features.index, dtype=object)
    feature_geoms = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    try:
        pieces, piece_feature = subdivide(feature_geoms, max_vertices)
    except _BadGeometry as exc:
        row = features.iloc[exc.index]
        raise LayerError(f"feature geometry {exc.reason}", kind=row["kind"], feature=row["feature_id"],
                         hint="layers must hold valid Polygon/MultiPolygon features; load them through "
                         "shgeo.layers.LayerLibrary") from None
    kinds = list(library.kinds)
    kind_of_feature = features["kind"].map({k: i for i, k in enumerate(kinds)}).to_numpy()
    piece_kind = kind_of_feature[piece_feature] if len(pieces) else np.empty(0, dtype=int)
    kind_trees = {}
    for i, kind in enumerate(kinds):
        sel = np.flatnonzero(piece_kind == i)
        kind_trees[kind] = (shapely.STRtree(pieces[sel]), sel)
    tree = shapely.STRtree(pieces)
    for t in [tree, *(kt for kt, _ in kind_trees.values())]:
        t.query(shapely.box(0.0, 0.0, 1.0, 1.0))  # GEOS builds a tree on first query: do it before threads share it
    prepared = PreparedLayers(
        kinds=kinds, features=features, feature_geoms=feature_geoms, pieces=pieces,
        piece_feature=piece_feature.astype(np.int64), piece_area=shapely.area(pieces),
        piece_bounds=shapely.bounds(pieces),
        tree=tree, kind_trees=kind_trees, max_vertices=max_vertices,
        kind_code={k: i for i, k in enumerate(kinds)}, feature_kind=kind_of_feature.astype(np.int64),
    )
    log.info("prepared %d features of %d kinds as %d pieces (≤%d vertices)", len(features), len(kinds),
             len(pieces), max_vertices)
    per_library[max_vertices] = prepared
    return prepared


#: library → {max_vertices: PreparedLayers}; entries go when the library is garbage-collected
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- engine


@dataclass
class _Options:
    search_radius_m: float
    sliver_area_m2: float
    sliver_length_m: float


@dataclass
class _Footprints:
    """Measuring arrays for a set of footprints (working CRS)."""

    geom: np.ndarray  # geometry tested against layers (disc for points with radius, band for wide lines)
    line: np.ndarray  # the centre line of lines (None otherwise)
    cls: np.ndarray  # POLYGON / LINE / POINT of the original geometry
    mode: np.ndarray  # how overlaps are measured: POLYGON (area), LINE (length), POINT (inside)
    area: np.ndarray
    length: np.ndarray

    def take(self, sl: slice) -> _Footprints:
        return _Footprints(*(getattr(self, f)[sl] for f in ("geom", "line", "cls", "mode", "area", "length")))


def _footprint_arrays(geoms: np.ndarray, line_width_m: float | None, point_radius_m: float | None) -> _Footprints:
    cls = geometry_class(geoms)
    geom = geoms.copy()
    mode = cls.copy()
    line = np.where(cls == LINE, geoms, None)
    if line_width_m is not None:
        line_width_m = _number("line_width_m", line_width_m, "m", positive=True)
        sel = cls == LINE
        geom[sel] = shapely.buffer(geoms[sel], line_width_m / 2.0, cap_style="flat", quad_segs=_QUAD_SEGS)
        mode[sel] = POLYGON
    if point_radius_m is not None:
        point_radius_m = _number("point_radius_m", point_radius_m, "m", positive=True)
        sel = cls == POINT
        geom[sel] = shapely.buffer(geoms[sel], point_radius_m, quad_segs=_QUAD_SEGS)
        mode[sel] = POLYGON
    # each footprint is used by one worker thread only, and prepared; a geometry object that occurs
    # twice (e.g. concatenated frames) is copied so no prepared object is shared between threads
    seen: set[int] = set()
    for k in np.flatnonzero(shapely.is_prepared(geom)):  # the caller's own preparation: leave it alone
        seen.add(id(geom[k]))
    dup = [k for k, g in enumerate(geom.tolist()) if id(g) in seen or seen.add(id(g))]
    if dup:
        geom[dup] = shapely.from_wkb(shapely.to_wkb(geom[dup]))
    shapely.prepare(geom)
    return _Footprints(geom=geom, line=line, cls=cls, mode=mode, area=shapely.area(geom),
                       length=np.where(cls == LINE, shapely.length(geoms), 0.0))


def _pair_measures(fp: _Footprints, lay: PreparedLayers, pieces: np.ndarray, i: np.ndarray, p: np.ndarray):
    """Exact measures of candidate pairs (footprint i, piece p).

    Returns area, length, hit (interior meets interior), maybe (needs a check
    against the whole feature: on a piece boundary only) and the pair geometry.
    """
    n = len(i)
    area = np.zeros(n)
    length = np.zeros(n)
    hit = np.zeros(n, dtype=bool)
    maybe = np.zeros(n, dtype=bool)
    geom = np.empty(n, dtype=object)
    mode = fp.mode[i]

    a = np.flatnonzero(mode == POLYGON)
    if len(a):
        ia, pa = i[a], p[a]
        inside = shapely.contains_properly(pieces[pa], fp.geom[ia])  # footprint inside the piece
        inn, out = a[inside], a[~inside]
        area[inn] = fp.area[i[inn]]
        geom[inn] = fp.geom[i[inn]]
        covers = shapely.contains_properly(fp.geom[i[out]], pieces[p[out]])  # piece inside the footprint
        cov, out = out[covers], out[~covers]
        area[cov] = lay.piece_area[p[cov]]
        geom[cov] = lay.pieces[p[cov]]  # the shared, unprepared piece
        inter = shapely.intersection(fp.geom[i[out]], pieces[p[out]])
        area[out] = shapely.area(inter)
        geom[out] = inter
        hit[a] = area[a] > 0
        wide = a[fp.cls[ia] == LINE]  # wide lines: also their centre-line length
        if len(wide):
            length[wide] = shapely.length(shapely.intersection(fp.line[i[wide]], pieces[p[wide]]))

    li = np.flatnonzero(mode == LINE)
    if len(li):
        il, pl = i[li], p[li]
        inter = shapely.intersection(fp.geom[il], pieces[pl])
        length[li] = shapely.length(inter)
        geom[li] = inter
        pos = length[li] > 0
        interior = pos & ~shapely.touches(pieces[pl], fp.geom[il])
        hit[li] = interior
        maybe[li] = pos & ~interior

    pt = np.flatnonzero(mode == POINT)
    if len(pt):
        ip, pp = i[pt], p[pt]
        inside = shapely.relate_pattern(fp.geom[ip], pieces[pp], _INTERIORS_MEET)  # a point in the interior
        hit[pt] = inside
        maybe[pt] = ~inside
        geom[pt] = np.where(inside, fp.geom[ip], None)
    return area, length, hit, maybe, geom


def _single_count_lengths(fp: _Footprints, lay: PreparedLayers, pieces: np.ndarray, i: np.ndarray, p: np.ndarray,
                          length: np.ndarray, maybe: np.ndarray, inv: np.ndarray, gi: np.ndarray, gf: np.ndarray,
                          g_length: np.ndarray) -> np.ndarray:
    """Per-(footprint, feature) line lengths with cut edges counted once.

    The pieces of a feature are closed and share their cut edges, so a line (or
    a wide line's centre line) running along a cut lies in both neighbours and
    the per-piece sum counts it twice.  Groups with two or more pairs of
    positive length of which one runs along its piece's boundary (DE-9IM
    ``*1*******``; a boundary-only ``maybe`` pair always does) are re-measured
    against the whole feature.  Rare: it takes a segment exactly on a cut.
    """
    pos = length > 0
    if not pos.any():
        return g_length
    n_pos = np.bincount(inv[pos], minlength=len(g_length))
    cand = np.flatnonzero(pos & (n_pos[inv] >= 2) & (fp.cls[i] == LINE))
    if len(cand) == 0:
        return g_length
    along = maybe[cand].copy()
    rest = cand[~along]
    if len(rest):
        along[~along] = shapely.relate_pattern(fp.line[i[rest]], pieces[p[rest]], "*1*******")
    groups = np.unique(inv[cand[along]])
    if len(groups) == 0:
        return g_length
    g_length = g_length.copy()
    # whole features are never prepared (shared by the threads); rare, so unindexed is fine
    g_length[groups] = shapely.length(shapely.intersection(fp.line[gi[groups]], lay.feature_geoms[gf[groups]]))
    return g_length


def _group_union(geoms: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Union of *geoms* per group (0..n_groups-1); single-member groups are passed through."""
    out = np.empty(n_groups, dtype=object)
    valid = ~pd.isna(geoms) & ~shapely.is_empty(geoms)
    geoms, group = geoms[valid], group[valid]
    counts = np.bincount(group, minlength=n_groups)
    single = counts[group] == 1
    out[group[single]] = geoms[single]
    multi = ~single
    if multi.any():
        g, m = group[multi], geoms[multi]
        order = np.argsort(g, kind="stable")
        g, m = g[order], m[order]
        ug, start, cnt = np.unique(g, return_index=True, return_counts=True)
        rank = np.arange(len(g)) - np.repeat(start, cnt)
        table = np.full((len(ug), cnt.max()), None, dtype=object)
        table[np.repeat(np.arange(len(ug)), cnt), rank] = m
        out[ug] = shapely.union_all(table, axis=1)
    return out


def _overlay_chunk(fp: _Footprints, lay: PreparedLayers, pieces: np.ndarray, opt: _Options) -> dict[str, np.ndarray]:
    """Overlaps and near misses of one chunk of footprints (indices local to the chunk).

    *pieces*: this worker thread's prepared copy of ``lay.pieces``.
    """
    nf = len(lay.features)
    i, p = lay.tree.query(fp.geom, predicate="intersects")
    area, length, hit, maybe, pgeom = _pair_measures(fp, lay, pieces, i, p)
    g = lay.piece_feature[p]
    key = i.astype(np.int64) * max(nf, 1) + g
    ukey, inv = np.unique(key, return_inverse=True)
    n_groups = len(ukey)
    gi, gf = ukey // max(nf, 1), ukey % max(nf, 1)
    g_area = np.bincount(inv, weights=area, minlength=n_groups)
    g_length = _single_count_lengths(fp, lay, pieces, i, p, length, maybe, inv, gi, gf,
                                     np.bincount(inv, weights=length, minlength=n_groups))
    g_hit = np.bincount(inv, weights=hit, minlength=n_groups) > 0
    g_maybe = (np.bincount(inv, weights=maybe, minlength=n_groups) > 0) & ~g_hit
    if g_maybe.any():  # on a piece boundary only: decide against the whole feature
        idx = np.flatnonzero(g_maybe)
        feats = lay.feature_geoms[gf[idx]]  # not prepared: shared by threads, and rarely needed
        g_hit[idx] = shapely.relate_pattern(fp.geom[gi[idx]], feats, _INTERIORS_MEET)
    # The overlap geometry: the footprint itself where the pieces cover all of it, the pair piece where
    # one piece holds the overlap, else the union of the pair pieces — deferred (OverlayResult.hits
    # dissolves them on first access) unless the sliver test needs its exact perimeter now.
    whole = np.where(fp.mode[gi] == LINE, g_length >= fp.length[gi] * (1 - 1e-12),
                     g_area >= fp.area[gi] * (1 - 1e-12)) | (fp.mode[gi] == POINT)
    use = (hit | maybe) & ~whole[inv] & ~pd.isna(pgeom)
    n_use = np.bincount(inv[use], minlength=n_groups)
    g_geom = np.full(n_groups, None, dtype=object)
    single = use & (n_use[inv] == 1)
    g_geom[inv[single]] = pgeom[single]
    g_geom[whole] = fp.geom[gi[whole]]
    multi = np.flatnonzero(use & (n_use[inv] > 1))
    g_perim = np.bincount(inv[multi], weights=shapely.length(pgeom[multi]), minlength=n_groups)
    deferred = n_use > 1

    sel = np.flatnonzero(g_hit)
    gi, gf, g_area, g_length, g_geom = gi[sel], gf[sel], g_area[sel], g_length[sel], g_geom[sel]
    g_perim, deferred = g_perim[sel], deferred[sel]
    gmode = fp.mode[gi]
    share = np.where(fp.cls[gi] == LINE, _ratio(g_length, fp.length[gi]),
                     np.where(gmode == POINT, 1.0, _ratio(g_area, fp.area[gi])))
    multipoint = np.flatnonzero((gmode == POINT) & (shapely.get_num_geometries(fp.geom[gi]) > 1))
    if len(multipoint):  # share of a MultiPoint: the fraction of its points inside the feature
        parts, idx = shapely.get_parts(fp.geom[gi[multipoint]], return_index=True)
        inside = shapely.relate_pattern(parts, lay.feature_geoms[gf[multipoint]][idx], _INTERIORS_MEET)
        share[multipoint] = np.bincount(idx, weights=inside) / np.bincount(idx)
    share = np.clip(share, 0.0, 1.0)
    sliver = np.where(fp.cls[gi] == LINE, g_length < opt.sliver_length_m, False)
    poly = gmode == POLYGON
    perim = np.zeros(len(sel))
    exact = poly & ~deferred
    perim[exact] = shapely.length(g_geom[exact])
    perim[deferred] = g_perim[deferred]  # an upper bound: the pieces' cut edges count too
    maybe_thin = poly & (share < 1.0 - 1e-9) & (2.0 * g_area < opt.sliver_length_m * perim)
    row_of_group = np.full(n_groups, -1, dtype=np.int64)
    row_of_group[sel] = np.arange(len(sel))
    pair_row = row_of_group[inv[multi]]
    now = maybe_thin & deferred  # dissolve these now for their exact perimeter
    if now.any():
        pick = now[np.maximum(pair_row, 0)] & (pair_row >= 0)
        rows = np.flatnonzero(now)
        g_geom[rows] = _group_union(pgeom[multi[pick]], np.searchsorted(rows, pair_row[pick]), len(rows))
        perim[rows] = shapely.length(g_geom[rows])
        deferred[rows] = False
    thin = maybe_thin & (2.0 * g_area < opt.sliver_length_m * perim)
    sliver |= (poly & (g_area < opt.sliver_area_m2)) | thin
    flags = np.where(sliver, POSSIBLE_BOUNDARY_MISMATCH, "")
    keep = (pair_row >= 0) & deferred[np.maximum(pair_row, 0)]
    defer_row, defer_geom = pair_row[keep], pgeom[multi[keep]]

    # near misses: per kind, footprints without an overlap of that kind
    hit_kind = lay.feature_kind[gf]
    n_local = len(fp.geom)
    near_i, near_f, near_d = [], [], []
    if opt.search_radius_m > 0:
        fb = shapely.bounds(fp.geom)
        r = opt.search_radius_m
        boxes = shapely.box(fb[:, 0] - r, fb[:, 1] - r, fb[:, 2] + r, fb[:, 3] + r)
        for code, kind in enumerate(lay.kinds):
            ktree, kpieces = lay.kind_trees[kind]
            if len(kpieces) == 0:
                continue
            has = np.zeros(n_local, dtype=bool)
            has[gi[hit_kind == code]] = True
            todo = np.flatnonzero(~has)
            if len(todo):
                ni_k, nf_k, nd_k = _nearest(fp.geom, fb, boxes, todo, ktree, kpieces, lay, r)
                near_i.append(ni_k)
                near_f.append(nf_k)
                near_d.append(nd_k)
    ni = np.concatenate(near_i) if near_i else np.empty(0, dtype=np.int64)
    nfeat = np.concatenate(near_f) if near_f else np.empty(0, dtype=np.int64)
    nd = np.concatenate(near_d) if near_d else np.empty(0)
    n_near = len(ni)
    return {
        "fp": np.concatenate([gi, ni]).astype(np.int64),
        "feature": np.concatenate([gf, nfeat]).astype(np.int64),
        "overlap": np.concatenate([np.ones(len(gi), bool), np.zeros(n_near, bool)]),
        "area_m2": np.concatenate([np.where(gmode == POLYGON, g_area, 0.0), np.zeros(n_near)]),
        "length_m": np.concatenate([g_length, np.zeros(n_near)]),
        "share": np.concatenate([share, np.zeros(n_near)]),
        "distance_m": np.concatenate([np.zeros(len(gi)), nd]),
        "flags": np.concatenate([flags.astype(object), np.full(n_near, "", dtype=object)]),
        "geometry": np.concatenate([g_geom, np.full(n_near, None, dtype=object)]),
        "defer_row": defer_row,
        "defer_geom": defer_geom,
    }


def _first_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Index of the smallest *value* in each *group* (ties: first)."""
    order = np.lexsort((value, group))
    g = group[order]
    return order[np.r_[True, g[1:] != g[:-1]]] if len(g) else order


def _nearest(geoms: np.ndarray, bounds: np.ndarray, boxes: np.ndarray, todo: np.ndarray, tree: shapely.STRtree, kpieces: np.ndarray,
             lay: PreparedLayers, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest feature within *radius* of each footprint in *todo*: (footprint, feature, distance m).

    Envelope candidates from the tree; exact distances only where the envelope
    distance (a lower bound) could still beat the best distance found so far.
    """
    b = bounds[todo]
    qi, qp = tree.query(boxes[todo])
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0))
    if len(qi) == 0:
        return empty
    gp = kpieces[qp]
    pb = lay.piece_bounds[gp]
    fbq = b[qi]
    dx = np.maximum(np.maximum(pb[:, 0] - fbq[:, 2], fbq[:, 0] - pb[:, 2]), 0.0)
    dy = np.maximum(np.maximum(pb[:, 1] - fbq[:, 3], fbq[:, 1] - pb[:, 3]), 0.0)
    lower = np.hypot(dx, dy)
    ok = lower <= radius
    qi, gp, lower = qi[ok], gp[ok], lower[ok]
    if len(qi) == 0:
        return empty
    dist = np.full(len(qi), np.inf)
    first = _first_per_group(qi, lower)
    dist[first] = shapely.distance(geoms[todo[qi[first]]], lay.pieces[gp[first]])
    best = np.full(len(todo), np.inf)
    best[qi[first]] = dist[first]
    more = np.flatnonzero((lower < best[qi]) & np.isinf(dist))
    if len(more):
        dist[more] = shapely.distance(geoms[todo[qi[more]]], lay.pieces[gp[more]])
    win = _first_per_group(qi, dist)
    win = win[dist[win] <= radius]
    return todo[qi[win]], lay.piece_feature[gp[win]], dist[win]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / b, 0.0)


def _redline_districts(fp_pos: np.ndarray, geoms: np.ndarray, modes: np.ndarray, lay: PreparedLayers,
                       ) -> list[tuple[int, int]]:
    """(footprint position, district feature) pairs where red-line overlap geometry lies in a district."""
    if "district" not in lay.kind_trees or len(geoms) == 0:
        return []
    dtree, dpieces = lay.kind_trees["district"]
    qi, qp = dtree.query(geoms, predicate="intersects")
    if len(qi) == 0:
        return []
    pieces = lay.pieces[dpieces[qp]]
    m = modes[qi]
    inter = shapely.intersection(geoms[qi], pieces)
    ok = np.where(m == POLYGON, shapely.area(inter) > 0,
                  np.where(m == LINE, shapely.length(inter) > 0, shapely.relate_pattern(geoms[qi], pieces, _INTERIORS_MEET)))
    feats = lay.piece_feature[dpieces[qp]]
    return sorted(set(zip(fp_pos[qi[ok]].tolist(), feats[ok].tolist())))


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


def _number(name: str, value: Any, unit: str, *, positive: bool = False) -> float:
    """*value* as a finite float ≥ 0 (> 0 if *positive*), else ValueError naming the option.

    NaN would compare False everywhere and silently switch off near misses or sliver flags.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number ({unit}), got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{name} must be a finite number {'> 0' if positive else '≥ 0'} ({unit}), got {value!r}")
    return number


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
    geometry prepared by :func:`shgeo.footprints.prepare_footprints` (an empty
    one raises :class:`~shgeo.errors.FootprintError`).  *library*: a
    :class:`shgeo.layers.LayerLibrary`.

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
    search_radius_m = _number("search_radius_m", search_radius_m, "m")
    sliver_area_m2 = _number("sliver_area_m2", sliver_area_m2, "m²")
    sliver_length_m = _number("sliver_length_m", sliver_length_m, "m")
    if line_width_m is not None:
        line_width_m = _number("line_width_m", line_width_m, "m", positive=True)
    if point_radius_m is not None:
        point_radius_m = _number("point_radius_m", point_radius_m, "m", positive=True)
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
    fp = _footprint_arrays(geoms, line_width_m, point_radius_m)
    opt = _Options(float(search_radius_m), float(sliver_area_m2), float(sliver_length_m))
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
    empty = _overlay_chunk(fp.take(slice(0, 0)), lay, lay.pieces[:0], opt)
    cols = {k: np.concatenate([empty[k], *(pt[k] for pt in parts)]) for k in empty}
    result = OverlayResult._build(fps, fp, lay, cols, threads=workers, options=opt)
    shapely.destroy_prepared(fp.geom)  # the caller's geometry objects are returned as they came
    return result


def _run_chunks(fp: _Footprints, lay: PreparedLayers, opt: _Options, slices: list[slice], workers: int) -> list[dict]:
    """Run :func:`_overlay_chunk` over *slices* on *workers* threads, each with its own prepared pieces."""
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
                parts[k] = _overlay_chunk(fp.take(slices[k]), lay, copies[w], opt)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shgeo-overlay") as ex:
            for fut in [ex.submit(work, w) for w in range(workers)]:
                fut.result()
    else:
        parts = [_overlay_chunk(fp.take(s), lay, copies[0], opt) for s in slices]
    return parts


# --------------------------------------------------------------------------- result


class OverlayResult:
    """What the overlay found: ``hits`` (tidy rows), ``facts`` per footprint, ``summary`` table.

    ``hits``: one row per (footprint, kind, feature) overlap, and per (footprint,
    kind) the nearest feature not overlapped within the search radius
    (relation ``"near"``); columns :data:`HIT_COLUMNS`; geometry is the overlap
    (WORKING_CRS), None for near misses.  Rows are ordered by footprint (input
    order), kind (library order), relation, feature.
    """

    footprints: gpd.GeoDataFrame
    kinds: list[str]

    @classmethod
    def _build(cls, fps: gpd.GeoDataFrame, fp: _Footprints, lay: PreparedLayers, cols: dict, *,
               threads: int, options: _Options) -> OverlayResult:
        self = cls()
        self._threads = max(1, threads)
        self._options = options
        self.footprints = fps
        self.kinds = list(lay.kinds)
        ids = fps["footprint_id"].astype(str).to_numpy(dtype=object)
        self._ids = ids
        self._fp = fp
        feat = lay.features
        f = cols["feature"]
        kind_code = lay.feature_kind[f]
        order = np.lexsort((f, ~cols["overlap"], kind_code, cols["fp"]))
        f = f[order]
        data = {
            "footprint_id": ids[cols["fp"][order]],
            "kind": feat["kind"].to_numpy(dtype=object)[f],
            "feature_id": feat["feature_id"].to_numpy(dtype=object)[f],
            "name": feat["name"].to_numpy(dtype=object)[f],
            "code": feat["code"].to_numpy(dtype=object)[f],
            "category": feat["category"].to_numpy(dtype=object)[f],
            "relation": np.where(cols["overlap"][order], "overlap", "near").astype(object),
            "area_m2": cols["area_m2"][order],
            "length_m": cols["length_m"][order],
            "share": cols["share"][order],
            "distance_m": cols["distance_m"][order],
            "flags": cols["flags"][order],
        }
        self._table = pd.DataFrame(data)
        self._geometry = cols["geometry"][order]
        sorted_row = np.empty(len(order), dtype=np.int64)
        sorted_row[order] = np.arange(len(order))
        self._pending = (sorted_row[cols["defer_row"]], cols["defer_geom"])
        self._fp_pos = cols["fp"][order]
        self._feature = f
        self._lay = lay
        self._redline_districts = self._compute_redline_districts()
        return self

    @cached_property
    def hits(self) -> gpd.GeoDataFrame:
        """One row per overlap or near miss (columns :data:`HIT_COLUMNS`, WORKING_CRS).

        Overlap geometries spread over several indexed pieces are dissolved here,
        on first access (measures never depend on it: they are summed per piece).
        """
        geometry = self._geometry.copy()
        rows, geoms = self._pending
        if len(rows):
            uniq, group = np.unique(rows, return_inverse=True)
            n_batches = min(self._threads, max(1, len(uniq) // 256))
            edges = np.linspace(0, len(uniq), n_batches + 1).astype(int)

            def dissolve(b: int) -> None:
                sel = (group >= edges[b]) & (group < edges[b + 1])
                geometry[uniq[edges[b]:edges[b + 1]]] = _group_union(geoms[sel], group[sel] - edges[b],
                                                                     edges[b + 1] - edges[b])

            if n_batches > 1:  # shapely releases the GIL: dissolve on the worker threads too
                with ThreadPoolExecutor(max_workers=n_batches) as ex:
                    list(ex.map(dissolve, range(n_batches)))
            else:
                dissolve(0)
        return gpd.GeoDataFrame(self._table, geometry=gpd.GeoSeries(geometry, index=self._table.index,
                                                                      crs=WORKING_CRS), crs=WORKING_CRS)

    # -- facts -----------------------------------------------------------------

    def _compute_redline_districts(self) -> dict[int, list[str]]:
        """footprint position → names of the districts its red-line overlap lies in."""
        lay, t = self._lay, self._table
        if "redline" not in lay.kind_code or "district" not in lay.kind_code:
            return {}
        over = (t["relation"] == "overlap").to_numpy()
        kind = t["kind"].to_numpy()
        red = np.flatnonzero(over & (kind == "redline"))
        if len(red) == 0:
            return {}
        out: dict[int, set[int]] = {}
        # a footprint wholly inside one district: its red-line overlap is in that district
        dist = np.flatnonzero(over & (kind == "district"))
        full_rows = dist[t["share"].to_numpy()[dist] >= 1.0 - 1e-9]
        full = dict(zip(self._fp_pos[full_rows].tolist(), self._feature[full_rows].tolist()))
        red_pos = self._fp_pos[red]
        in_full = np.array([p in full for p in red_pos.tolist()], dtype=bool)
        for p in red_pos[in_full].tolist():
            out.setdefault(p, set()).add(full[p])
        rest = red[~in_full]
        if len(rest):
            pos = self._fp_pos[rest]
            mode = self._fp.mode[pos]
            geom = np.where(mode == POINT, self._fp.geom[pos], self._geometry[rest])
            # deferred overlaps: their pieces (a partition of the overlap) stand in for the union
            rows, pieces = self._pending
            is_rest = np.isin(rows, rest)
            row_to_pos = dict(zip(rest.tolist(), pos.tolist()))
            ppos = np.array([row_to_pos[r] for r in rows[is_rest].tolist()], dtype=np.int64)
            have = ~pd.isna(geom)
            all_pos = np.concatenate([pos[have], ppos])
            all_geom = np.concatenate([geom[have], pieces[is_rest]])
            all_mode = self._fp.mode[all_pos]
            for p, d in _redline_districts(all_pos, all_geom, all_mode, lay):
                out.setdefault(p, set()).add(d)
        names = lay.features["name"].to_numpy(dtype=object)
        codes = lay.features["code"].to_numpy(dtype=object)
        fids = lay.features["feature_id"].to_numpy(dtype=object)
        # the same label as the ``districts`` list: name, else code, else feature_id
        label = {d: next((str(v) for v in (names[d], codes[d]) if v is not None and str(v) != ""), str(fids[d]))
                 for ds in out.values() for d in ds}
        return {p: sorted({label[d] for d in ds}) for p, ds in out.items()}

    @cached_property
    def _land_beside_islands(self) -> dict[int, float | bool]:
        """footprint position → land measure, for footprints overlapping both a district and an island.

        Land is (footprint ∩ districts) − islands: m² for polygons (and discs), m of
        the (centre) line for lines; for points, True where a point lies in a
        district's interior and not in an island's.  Islands may lie inside a
        district outline or outside every district.  Only overlapped features
        count, as closed polygons like every overlap measure (a stretch of line
        along the coast of an overlapped island is island, as in ``island_m``).
        Computed for all such footprints at once.
        """
        lay, t = self._lay, self._table
        if "district" not in lay.kind_code or "island" not in lay.kind_code:
            return {}
        over = (t["relation"] == "overlap").to_numpy()
        kind = t["kind"].to_numpy()
        d_rows = np.flatnonzero(over & (kind == "district"))
        i_rows = np.flatnonzero(over & (kind == "island"))
        both = np.intersect1d(self._fp_pos[d_rows], self._fp_pos[i_rows])
        if len(both) == 0:
            return {}
        fp, nf = self._fp, max(len(lay.features), 1)
        hit_keys = self._fp_pos[np.r_[d_rows, i_rows]] * nf + self._feature[np.r_[d_rows, i_rows]]
        out: dict[int, float | bool] = {}

        pts = both[fp.mode[both] == POINT]
        if len(pts):  # per point: in a hit district's interior and in no hit island's interior
            parts, pidx = shapely.get_parts(fp.geom[pts], return_index=True)
            rows = np.r_[d_rows, i_rows]
            rows = rows[np.isin(self._fp_pos[rows], pts)]
            part_of = pd.DataFrame({"fp": pts[pidx], "part": np.arange(len(parts))})
            hit = pd.DataFrame({"fp": self._fp_pos[rows], "feature": self._feature[rows],
                                "island": lay.feature_kind[self._feature[rows]] == lay.kind_code["island"]})
            pairs = part_of.merge(hit, on="fp")
            inside = shapely.relate_pattern(parts[pairs["part"].to_numpy()],
                                            lay.feature_geoms[pairs["feature"].to_numpy()], _INTERIORS_MEET)
            pairs["in_district"] = inside & ~pairs["island"].to_numpy()
            pairs["in_island"] = inside & pairs["island"].to_numpy()
            per_part = pairs.groupby(["fp", "part"])[["in_district", "in_island"]].any()
            land = (per_part["in_district"] & ~per_part["in_island"]).groupby(level="fp").any()
            out.update({int(k): bool(v) for k, v in land.items()})

        rest = both[fp.mode[both] != POINT]
        if len(rest):
            is_line = fp.cls[rest] == LINE
            geom = np.where(is_line, fp.line[rest], fp.geom[rest])  # lines: measured along the centre line
            n = len(rest)

            def hit_pieces(kind: str) -> tuple[np.ndarray, np.ndarray]:
                ktree, kpieces = lay.kind_trees[kind]
                q, kp = ktree.query(geom, predicate="intersects")
                gp = kpieces[kp]
                keep = np.isin(rest[q] * nf + lay.piece_feature[gp], hit_keys)
                return q[keep], gp[keep]

            q, gp = hit_pieces("district")
            districts = _group_union(shapely.intersection(geom[q], lay.pieces[gp]), q, n)
            q, gp = hit_pieces("island")
            islands = _group_union(lay.pieces[gp], q, n)  # the island pieces dissolve into the islands
            districts = np.where(pd.isna(districts), shapely.Polygon(), districts)
            islands = np.where(pd.isna(islands), shapely.Polygon(), islands)
            land = shapely.difference(districts, islands)
            value = np.where(is_line, shapely.length(land), shapely.area(land))
            out.update(zip(rest.tolist(), value.tolist()))
        return out

    @cached_property
    def _rows_by_fp(self) -> dict[int, range]:
        pos = self._fp_pos
        if len(pos) == 0:
            return {}
        starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
        ends = np.r_[starts[1:], len(pos)]
        return {p: range(s, e) for p, s, e in zip(pos[starts].tolist(), starts.tolist(), ends.tolist())}

    @cached_property
    def _pos_of_id(self) -> dict[str, int]:
        return {fid: k for k, fid in enumerate(self._ids)}

    @cached_property
    def _cols(self) -> dict[str, list]:
        """The hit columns as Python lists (fast per-row access when building facts)."""
        h = self._table
        cols = {c: h[c].tolist() for c in ("relation", "kind", "feature_id", "name", "code", "category", "flags",
                                            "area_m2", "length_m", "share")}
        for c in ("name", "code", "category"):
            cols[c] = [None if v is None or v != v else str(v) for v in cols[c]]
        cols["feature_id"] = [str(v) for v in cols["feature_id"]]
        return cols

    @cached_property
    def _fp_lists(self) -> tuple[list, list, list, list]:
        fp = self._fp
        return fp.cls.tolist(), fp.mode.tolist(), fp.area.tolist(), fp.length.tolist()

    def _facts_of(self, footprint_id: str) -> dict:
        try:
            pos = self._pos_of_id[str(footprint_id)]
        except KeyError:
            raise KeyError(f"no footprint {footprint_id!r} in this overlay result") from None
        return self._facts_at(pos)

    def _facts_at(self, pos: int) -> dict:
        c = self._cols
        kinds = self._kind_set
        rel, kind_col, share_col = c["relation"], c["kind"], c["share"]
        cls_l, mode_l, area_l, length_l = self._fp_lists
        cls, mode = cls_l[pos], mode_l[pos]
        measure = c["length_m"] if cls == LINE else c["area_m2"]
        found: dict[str, set] = {}
        sums = {"district": 0.0, "sea": 0.0, "island": 0.0}
        shares: dict[str, float] = {}
        flags: set[str] = set()
        for r in self._rows_by_fp.get(pos, ()):
            if rel[r] != "overlap":
                continue
            k = kind_col[r]
            found.setdefault(k, set())
            if c["flags"][r]:
                flags.add(c["flags"][r])
            if k in sums:
                sums[k] += measure[r]
            spec = _LIST_OF_KIND.get(k)
            if spec is not None:  # never drop a hit: an unnamed feature is listed by its feature_id
                found[k].add(c[spec[0]][r] or c[spec[1]][r] or c["feature_id"][r])
            if k == "district":
                label = c["name"][r] or c["code"][r] or c["feature_id"][r]
                shares[label] = shares.get(label, 0.0) + share_col[r]
        facts: dict[str, Any] = {}
        for key, k in _BOOL_KINDS.items():
            facts[key] = (k in found) if k in kinds else None
        for key, (k, _, _) in _LIST_KINDS.items():
            facts[key] = sorted(found.get(k, ())) if k in kinds else None
        facts["redline_districts"] = (self._redline_districts.get(pos, []) if "redline" in kinds
                                      and "district" in kinds else None)
        for key, k in _SPLIT_KINDS.items():
            facts[key] = (k in found) if k in kinds else None
        land = sums["district"]
        if facts["land"] and facts["island"]:
            # the district outlines include the uninhabited islands: land is what lies in a
            # district but not on an island (beyond digitising noise), measured exactly
            land = self._land_beside_islands[pos]
            if mode == POINT:
                facts["land"] = bool(land)
            else:
                tol = self._options.sliver_length_m if cls == LINE else self._options.sliver_area_m2
                facts["land"] = land > tol
        flag_list = sorted(flags)
        repair = self._repairs.get(self._ids[pos])
        if repair:
            flag_list.append("repaired_geometry")
        details: dict[str, Any] = {
            "geometry_type": _CLASS_NAME[cls],
            "measured_as": _MODE_NAME[mode],
            "area_m2": area_l[pos] if mode == POLYGON else 0.0,
            "length_m": length_l[pos],
            "district_shares": shares,
            "outside_districts_share": (max(0.0, 1.0 - sum(shares.values())) if "district" in kinds else None),
            "flags": flag_list,
            "missing_kinds": list(self._missing),
        }
        if repair:
            details["repair"] = repair
        if mode != POINT:
            unit = "_m" if cls == LINE else "_m2"
            for key, k in _SPLIT_KINDS.items():
                details[key + unit] = sums[k] if k in kinds else None
            if "district" in kinds and "island" in kinds:
                details["land" + unit] = float(land) if "island" in found else sums["district"]
        facts["details"] = details
        return facts

    @cached_property
    def _kind_set(self) -> frozenset[str]:
        return frozenset(self.kinds)

    @cached_property
    def _missing(self) -> list[str]:
        return [k for k in _EXPECTED_KINDS if k not in self._kind_set]

    @cached_property
    def _repairs(self) -> dict[str, str]:
        return dict(self.footprints.attrs.get("repairs", {}))

    @cached_property
    def facts(self) -> dict[str, dict]:
        """footprint_id → the ``spatial`` block plus ``details``.

        ``details``: geometry_type, measured_as, area_m2, length_m,
        district_shares {name: share}, outside_districts_share, land/sea/island
        measures (``_m2``, or ``_m`` for lines), flags, missing_kinds.  Keys of
        kinds absent from the library are None (unknown), never False.  Built
        on first access.
        """
        return {fid: self._facts_at(k) for k, fid in enumerate(self._ids)}

    def spatial(self, footprint_id: str) -> dict:
        """The decision interface's ``spatial`` block for one footprint (JSON-ready)."""
        facts = self._facts_of(footprint_id)
        return {k: facts[k] for k in SPATIAL_KEYS}

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per footprint: footprint_id and the ``spatial`` block (lists as ';'-joined text)."""
        rows = []
        for fid in self._ids:
            sp = self.spatial(fid)
            rows.append({"footprint_id": fid, **{k: ";".join(v) if isinstance(v, list) else v
                                                  for k, v in sp.items()}})
        return pd.DataFrame(rows, columns=["footprint_id", *SPATIAL_KEYS])

    def __repr__(self) -> str:
        n_over = int((self._table["relation"] == "overlap").sum())
        return (f"<OverlayResult {len(self._ids)} footprints, {n_over} overlaps, "
                f"{len(self._table) - n_over} near misses, kinds={self.kinds}>")
