"""Exact measures of footprints against layer pieces, one chunk of footprints at a time.

Candidate pairs come from one bulk ``STRtree.query`` and prepared predicates; polygon footprints inside
a piece (or pieces inside a footprint) are measured without an intersection;
the remaining pairs get one vectorised ``shapely.intersection``.  Lines are
measured by length, points by point-in-polygon.  Near misses: the nearest
feature of each kind not overlapped, within the search radius.  All in
:data:`shgeo.crs.WORKING_CRS` (m, m²).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import math

import numpy as np
import pandas as pd
import shapely

from ..inputs.footprints import LINE, POINT, POLYGON, geometry_class
from .pieces import INTERIORS_MEET, PreparedLayers, WorkerGeometry, clip_by_rects, group_union

__all__ = ["MeasureOptions", "FootprintArrays", "footprint_arrays", "overlay_chunk", "redline_district_pairs",
           "option_number", "split_units", "POSSIBLE_BOUNDARY_MISMATCH", "ON_BOUNDARY"]

#: Flag set on overlaps too small to be more than digitising noise.
POSSIBLE_BOUNDARY_MISMATCH: Final = "possible_boundary_mismatch"

_QUAD_SEGS: Final = 16

#: Features of at most this many vertices are intersected whole where a footprint crosses their
#: boundary and the cuts between their pieces (cheaper than one intersection per piece plus dissolving).
_SMALL_FEATURE: Final = 1024



#: Flag set on a near miss at distance 0: the footprint touches the feature without entering it.
ON_BOUNDARY: Final = "on_boundary"

# one string object per value, shared by every row (not one per row)
_FLAG_TEXT: Final = np.array(["", POSSIBLE_BOUNDARY_MISMATCH], dtype=object)
_NEAR_FLAG_TEXT: Final = np.array(["", ON_BOUNDARY], dtype=object)


@dataclass
class MeasureOptions:
    search_radius_m: float
    sliver_area_m2: float
    sliver_length_m: float
    line_width_m: float | None = None
    point_radius_m: float | None = None
    extent_tolerance_m: float = 0.0


def split_units(geoms: np.ndarray, mixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Measuring units: each footprint, or each part of a mixed GeometryCollection; and the footprint of each."""
    if not mixed.any():
        return geoms, np.arange(len(geoms), dtype=np.int64)
    parts, idx = shapely.get_parts(geoms[mixed], return_index=True)
    units = np.concatenate([geoms[~mixed], parts])
    unit_fp = np.concatenate([np.flatnonzero(~mixed), np.flatnonzero(mixed)[idx]]).astype(np.int64)
    order = np.argsort(unit_fp, kind="stable")  # units in footprint order; a collection's parts stay in order
    return units[order], unit_fp[order]


@dataclass
class FootprintArrays:
    """Measuring arrays for a set of footprints (working CRS)."""

    geom: np.ndarray  # geometry tested against layers (disc for points with radius, band for wide lines)
    line: np.ndarray  # the centre line of lines (None otherwise)
    cls: np.ndarray  # POLYGON / LINE / POINT of the original geometry
    mode: np.ndarray  # how overlaps are measured: POLYGON (area), LINE (length), POINT (inside)
    area: np.ndarray
    length: np.ndarray
    n_parts: np.ndarray  # number of parts (a MultiPoint's share is the fraction of its points inside)
    bounds: np.ndarray  # (n, 4) envelopes of ``geom``
    base: np.ndarray  # the footprint geometry as given (points and lines before any radius or width)

    def take(self, sl: slice | np.ndarray) -> FootprintArrays:
        return FootprintArrays(*(getattr(self, f)[sl] for f in _FP_FIELDS))

    @staticmethod
    def concat(parts: list[FootprintArrays]) -> FootprintArrays:
        return FootprintArrays(*(np.concatenate([getattr(a, f) for a in parts]) for f in _FP_FIELDS))


_FP_FIELDS: Final = ("geom", "line", "cls", "mode", "area", "length", "n_parts", "bounds", "base")


def footprint_arrays(geoms: np.ndarray, line_width_m: float | None, point_radius_m: float | None) -> FootprintArrays:
    """Measuring arrays of prepared footprint geometries (WORKING_CRS); the geometries are not modified."""
    cls = geometry_class(geoms)
    geom = geoms.copy()
    mode = cls.copy()
    line = np.where(cls == LINE, geoms, None)
    if line_width_m is not None:
        sel = cls == LINE
        geom[sel] = shapely.buffer(geoms[sel], line_width_m / 2.0, cap_style="flat", quad_segs=_QUAD_SEGS)
        mode[sel] = POLYGON
    if point_radius_m is not None:
        sel = cls == POINT
        geom[sel] = shapely.buffer(geoms[sel], point_radius_m, quad_segs=_QUAD_SEGS)
        mode[sel] = POLYGON
    return FootprintArrays(geom=geom, line=line, cls=cls, mode=mode, area=shapely.area(geom),
                           length=np.where(cls == LINE, shapely.length(geoms), 0.0),
                           n_parts=shapely.get_num_geometries(geom), bounds=shapely.bounds(geom), base=geoms)


def _pair_measures(fp: FootprintArrays, lay: PreparedLayers, prep: WorkerGeometry, i: np.ndarray, p: np.ndarray):
    """Exact measures of candidate pairs (footprint i, piece p).

    *i*, *p*: pairs that meet (closed sets).  Returns the measured pairs, as
    ``(i, p, area, length, hit, maybe, geom, fresh)``:
    hit (interior meets interior), maybe (meets on a piece boundary only:
    decided against the whole feature); fresh (geom was computed here, not
    the footprint or the piece itself).  Predicates run on this thread's
    prepared pieces and features.  A footprint in the interior of a piece, or
    meeting several pieces of a feature while lying in the feature's interior,
    is measured whole (one pair stands for the group); an intersection is
    computed only where a footprint crosses a feature's boundary.
    """
    mode = fp.mode[i]
    simple = (mode != POINT) | (fp.n_parts[i] == 1)  # MultiPoints: per point, below
    f = lay.piece_feature[p]
    _, inv, cnt = np.unique(i.astype(np.int64) * max(len(lay.features), 1) + f, return_inverse=True,
                            return_counts=True)
    # in a piece's interior a footprint meets no other piece of that feature: only lone pairs can be inside
    inside = np.zeros(len(i), dtype=bool)
    s = np.flatnonzero(simple & (cnt[inv] == 1))
    inside[s] = shapely.contains_properly(prep.pieces[p[s]], fp.geom[i[s]])
    g_whole = np.bincount(inv, weights=inside, minlength=len(cnt)) > 0
    cross = np.flatnonzero(simple & (cnt[inv] > 1))
    if len(cross):  # across cuts between pieces: inside the whole feature?
        first = cross[np.unique(inv[cross], return_index=True)[1]]
        first = first[np.argsort(f[first], kind="stable")]  # feature by feature: its prepared index stays in cache
        ok = shapely.contains_properly(prep.features[f[first]], fp.geom[i[first]])
        g_whole[inv[first[ok]]] = True
    lead = np.zeros(len(i), dtype=bool)
    lead[np.unique(inv, return_index=True)[1]] = True
    whole = g_whole[inv]
    # across the boundary of a small feature and its cuts: one intersection with the whole feature
    # replaces one per piece and the dissolving of their overlaps
    g_feat = np.empty(len(cnt), dtype=np.int64)
    g_feat[inv] = f
    g_mode = np.empty(len(cnt), dtype=mode.dtype)
    g_mode[inv] = mode
    g_small = (cnt > 1) & ~g_whole & (g_mode == POLYGON) & (lay.feature_vertices[g_feat] <= _SMALL_FEATURE)
    small = g_small[inv]
    keep = (~whole & ~small) | lead
    i, p, whole, small = i[keep], p[keep], whole[keep], small[keep]
    several = (cnt[inv] > 1)[keep]  # the footprint meets other pieces of the same feature too
    mode = fp.mode[i]
    n = len(i)
    area = np.zeros(n)
    length = np.zeros(n)
    hit = whole.copy()
    maybe = np.zeros(n, dtype=bool)
    geom = np.empty(n, dtype=object)
    fresh = np.zeros(n, dtype=bool)
    w = np.flatnonzero(whole)
    iw = i[w]
    area[w] = np.where(mode[w] == POLYGON, fp.area[iw], 0.0)
    length[w] = fp.length[iw]
    geom[w] = fp.geom[iw]

    sm = np.flatnonzero(small)
    if len(sm):
        ism, fsm = i[sm], lay.piece_feature[p[sm]]
        inter = shapely.intersection(fp.geom[ism], lay.feature_geoms[fsm])  # shared, never prepared: read-only
        area[sm] = shapely.area(inter)
        geom[sm] = inter
        fresh[sm] = True
        hit[sm] = area[sm] > 0
        wide = sm[fp.cls[ism] == LINE]
        if len(wide):
            length[wide] = shapely.length(shapely.intersection(fp.line[i[wide]], lay.feature_geoms[lay.piece_feature[p[wide]]]))

    a = np.flatnonzero((mode == POLYGON) & ~whole & ~small)
    if len(a):
        ia, pa = i[a], p[a]
        pb, fb = lay.piece_bounds[pa], fp.bounds[ia]
        maybe_in = (pb[:, 0] >= fb[:, 0]) & (pb[:, 1] >= fb[:, 1]) & (pb[:, 2] <= fb[:, 2]) & (pb[:, 3] <= fb[:, 3])
        cov = np.zeros(len(a), dtype=bool)
        m = np.flatnonzero(maybe_in)
        cov[m] = shapely.contains_properly(fp.geom[ia[m]], lay.pieces[pa[m]])  # piece inside the footprint
        c, o = a[cov], a[~cov]
        area[c] = lay.piece_area[p[c]]
        geom[c] = lay.pieces[p[c]]  # the shared, unprepared piece
        # across a cut: where the piece covers the footprint clipped to the piece's cell, that clip is
        # the overlap (the feature's boundary does not cross the footprint in this cell); a rectangle
        # clip of a small polygon costs a fraction of an intersection
        s = o[several[o]]
        if len(s):
            clip = clip_by_rects(fp.geom[i[s]], lay.piece_cells[p[s]])
            inner = shapely.covers(prep.pieces[p[s]], clip) & shapely.is_valid(clip)
            area[s[inner]] = shapely.area(clip[inner])
            geom[s[inner]] = clip[inner]
            fresh[s[inner]] = True
            o = np.setdiff1d(o, s[inner], assume_unique=True)
        inter = shapely.intersection(fp.geom[i[o]], lay.pieces[p[o]])
        area[o] = shapely.area(inter)
        geom[o] = inter
        fresh[o] = True
        hit[a] = area[a] > 0
        wide = a[fp.cls[ia] == LINE]  # wide lines: also their centre-line length
        if len(wide):
            length[wide] = shapely.length(shapely.intersection(fp.line[i[wide]], lay.pieces[p[wide]]))

    li = np.flatnonzero((mode == LINE) & ~whole)
    if len(li):
        il, pl = i[li], p[li]
        inter = shapely.intersection(fp.geom[il], lay.pieces[pl])
        length[li] = shapely.length(inter)
        geom[li] = inter
        fresh[li] = True
        pos = length[li] > 0
        interior = pos & ~shapely.touches(prep.pieces[pl], fp.geom[il])
        hit[li] = interior
        maybe[li] = pos & ~interior

    pt = np.flatnonzero((mode == POINT) & ~whole)
    if len(pt):
        ip, pp = i[pt], p[pt]
        inside = shapely.relate_pattern(fp.geom[ip], lay.pieces[pp], INTERIORS_MEET)  # a point in the interior
        hit[pt] = inside
        maybe[pt] = ~inside
        geom[pt] = np.where(inside, fp.geom[ip], None)
    return i, p, area, length, hit, maybe, geom, fresh


def _meeting_pairs(geoms: np.ndarray, lay: PreparedLayers, prepared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(footprint, piece) pairs whose closed sets meet, sorted by footprint then piece.

    Envelope candidates from the tree, then the intersects predicate on this
    thread's prepared pieces, taken piece by piece (each prepared piece is then
    reused while it is in the CPU's cache; preparing every footprint instead,
    as a predicate query of the tree does, costs half as much again).
    """
    i, p = lay.tree.query(geoms)
    order = np.argsort(p, kind="stable")
    i, p = i[order], p[order]
    meet = shapely.intersects(prepared[p], geoms[i])
    i, p = i[meet], p[meet]
    order = np.lexsort((p, i))
    return i[order], p[order]


def _single_count_lengths(fp: FootprintArrays, lay: PreparedLayers, pieces: np.ndarray, i: np.ndarray, p: np.ndarray,
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


def overlay_chunk(fp: FootprintArrays, lay: PreparedLayers, prep: WorkerGeometry,
                  opt: MeasureOptions) -> dict[str, np.ndarray]:
    """Overlaps and near misses of one chunk of footprints (indices local to the chunk).

    *prep*: this worker thread's prepared copies of the pieces and features.
    """
    nf = len(lay.features)
    i, p = _meeting_pairs(fp.geom, lay, prep.pieces)
    i, p, area, length, hit, maybe, pgeom, pfresh = _pair_measures(fp, lay, prep, i, p)
    pieces = prep.pieces
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
        g_hit[idx] = shapely.relate_pattern(fp.geom[gi[idx]], feats, INTERIORS_MEET)
    touch_i, touch_f = gi[~g_hit], gf[~g_hit]  # closed sets meet, interiors do not: contact at distance 0
    # The overlap geometry: the footprint itself where the pieces cover all of it, the pair piece where
    # one piece holds the overlap, else the union of the pair pieces, dissolved here on the worker thread
    # (the pieces go with the chunk; only the overlap is kept).
    whole = np.where(fp.mode[gi] == LINE, g_length >= fp.length[gi] * (1 - 1e-12),
                     g_area >= fp.area[gi] * (1 - 1e-12)) | (fp.mode[gi] == POINT)
    use = (hit | maybe) & ~whole[inv] & ~pd.isna(pgeom)
    n_use = np.bincount(inv[use], minlength=n_groups)
    g_geom = np.full(n_groups, None, dtype=object)
    g_fresh = np.zeros(n_groups, dtype=bool)
    single = use & (n_use[inv] == 1)
    g_geom[inv[single]] = pgeom[single]
    g_fresh[inv[single]] = pfresh[single]
    g_geom[whole] = fp.geom[gi[whole]]
    g_fresh[whole] = False
    multi = np.flatnonzero(use & (n_use[inv] > 1) & g_hit[inv])
    if len(multi):
        groups, dense = np.unique(inv[multi], return_inverse=True)
        g_geom[groups] = group_union(pgeom[multi], dense, len(groups))
        g_fresh[groups] = True

    sel = np.flatnonzero(g_hit)
    gi, gf, g_area, g_length, g_geom = gi[sel], gf[sel], g_area[sel], g_length[sel], g_geom[sel]
    g_geom = _compacted(g_geom, g_fresh[sel])
    gmode = fp.mode[gi]
    share = np.where(fp.cls[gi] == LINE, _ratio(g_length, fp.length[gi]),
                     np.where(gmode == POINT, 1.0, _ratio(g_area, fp.area[gi])))
    multipoint = np.flatnonzero((gmode == POINT) & (shapely.get_num_geometries(fp.geom[gi]) > 1))
    if len(multipoint):  # share of a MultiPoint: the fraction of its points inside the feature
        parts, idx = shapely.get_parts(fp.geom[gi[multipoint]], return_index=True)
        inside = shapely.relate_pattern(parts, lay.feature_geoms[gf[multipoint]][idx], INTERIORS_MEET)
        share[multipoint] = np.bincount(idx, weights=inside) / np.bincount(idx)
    share = np.clip(share, 0.0, 1.0)
    sliver = np.where(fp.cls[gi] == LINE, g_length < opt.sliver_length_m, False)
    poly = gmode == POLYGON
    perim = np.zeros(len(sel))
    perim[poly] = shapely.length(g_geom[poly])
    thin = poly & (share < 1.0 - 1e-9) & (2.0 * g_area < opt.sliver_length_m * perim)
    sliver |= (poly & (g_area < opt.sliver_area_m2)) | thin
    flags = _FLAG_TEXT[sliver.astype(np.int64)]

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
                ni_k, nf_k, nd_k = _nearest(fp.geom, fb, boxes, todo, ktree, kpieces, lay, prep.pieces, r)
                near_i.append(ni_k)
                near_f.append(nf_k)
                near_d.append(nd_k)
    elif len(touch_i):  # no near-miss search: contact at distance 0 is still reported
        hit_keys = gi * len(lay.kinds) + hit_kind
        tkeys = touch_i * len(lay.kinds) + lay.feature_kind[touch_f]
        t = np.flatnonzero(~np.isin(tkeys, hit_keys))
        t = t[np.unique(tkeys[t], return_index=True)[1]]
        near_i.append(touch_i[t])
        near_f.append(touch_f[t])
        near_d.append(np.zeros(len(t)))
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
        "flags": np.concatenate([flags, _NEAR_FLAG_TEXT[(nd == 0.0).astype(np.int64)]]),
        "geometry": np.concatenate([g_geom, np.full(n_near, None, dtype=object)]),
    }


def _compacted(geoms: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    """*geoms* with the *fresh* ones (results of GEOS operations) replaced by exact, compact copies.

    Intersection and union results keep three ordinates and spare capacity per
    vertex (53 bytes per vertex with their objects, against 33 for a copy read
    from WKB); the overlap geometry is kept as long as the result, so the kept
    copies are made here, once, on the worker thread.  The coordinates are
    bit for bit the same.
    """
    k = np.flatnonzero(fresh & ~pd.isna(geoms))
    if len(k) == 0:
        return geoms
    out = geoms.copy()
    out[k] = shapely.from_wkb(shapely.to_wkb(geoms[k]))
    return out


def _first_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Index of the smallest *value* in each *group* (ties: first)."""
    order = np.lexsort((value, group))
    g = group[order]
    return order[np.r_[True, g[1:] != g[:-1]]] if len(g) else order


def _nearest(geoms: np.ndarray, bounds: np.ndarray, boxes: np.ndarray, todo: np.ndarray, tree: shapely.STRtree, kpieces: np.ndarray,
             lay: PreparedLayers, prepared: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest feature within *radius* of each footprint in *todo*: (footprint, feature, distance m).

    Envelope candidates from the tree; an exact distance for the nearest
    envelope of each footprint, then only where the envelope distance (a lower
    bound) could still beat that and the prepared piece (*prepared*, this
    thread's copies) lies within it.
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
    if len(more):  # an exact distance only where the prepared piece lies within the best so far
        near = shapely.dwithin(prepared[gp[more]], geoms[todo[qi[more]]], np.minimum(best[qi[more]], radius))
        more = more[near]
        dist[more] = shapely.distance(geoms[todo[qi[more]]], lay.pieces[gp[more]])
    win = _first_per_group(qi, dist)
    win = win[dist[win] <= radius]
    return todo[qi[win]], lay.piece_feature[gp[win]], dist[win]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / b, 0.0)


def redline_district_pairs(fp_pos: np.ndarray, geoms: np.ndarray, modes: np.ndarray, lay: PreparedLayers,
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
                  np.where(m == LINE, shapely.length(inter) > 0, shapely.relate_pattern(geoms[qi], pieces, INTERIORS_MEET)))
    feats = lay.piece_feature[dpieces[qp]]
    return sorted(set(zip(fp_pos[qi[ok]].tolist(), feats[ok].tolist())))


def option_number(name: str, value: Any, unit: str, *, positive: bool = False) -> float:
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
