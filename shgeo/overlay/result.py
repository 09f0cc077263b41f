"""What the overlay found: :class:`OverlayResult` — tidy hits, the spatial facts per footprint.

Built by :func:`shgeo.overlay.overlay`; measures and overlap geometry are final
when it is built (overlaps spread over several pieces were dissolved chunk by
chunk), and the ``facts`` dicts are built per footprint on first access.  All
geometry in :data:`shgeo.crs.WORKING_CRS`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import WORKING_CRS
from ..inputs.footprints import LINE, POINT, POLYGON
from .measures import (ON_BOUNDARY, POSSIBLE_BOUNDARY_MISMATCH, FootprintArrays, MeasureOptions,
                       footprint_arrays, redline_district_pairs)
from .pieces import INTERIORS_MEET, PreparedLayers, group_union

__all__ = ["OverlayResult", "HIT_COLUMNS", "SPATIAL_KEYS", "FLAGS"]

#: Columns of :attr:`OverlayResult.hits`, in order.
HIT_COLUMNS: Final = ("footprint_id", "kind", "feature_id", "name", "code", "category", "relation",
                      "area_m2", "length_m", "share", "distance_m", "flags", "geometry")

#: Keys of the decision interface's ``spatial`` block (DESIGN.md), with ``outside_share`` (the share of the
#: footprint outside Shanghai's extent: 0–1).
SPATIAL_KEYS: Final = ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
                       "districts", "redline_districts", "land", "sea", "island", "outside_share")

#: Flags of ``facts.details.flags`` (a closed set; see also POSSIBLE_BOUNDARY_MISMATCH and ON_BOUNDARY).
REPAIRED_GEOMETRY: Final = "repaired_geometry"
PARTLY_OUTSIDE: Final = "partly_outside"
GCJ02_AMBIGUOUS: Final = "gcj02_ambiguous"
MIXED_GEOMETRY: Final = "mixed_geometry"
FLAGS: Final = (POSSIBLE_BOUNDARY_MISMATCH, REPAIRED_GEOMETRY, ON_BOUNDARY, PARTLY_OUTSIDE, GCJ02_AMBIGUOUS,
                MIXED_GEOMETRY)


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
_ROW_DTYPES: Final = {"fp": np.int64, "feature": np.int64, "overlap": bool, "area_m2": float, "length_m": float,
                      "share": float, "distance_m": float, "flags": object, "geometry": object}
_RELATION_TEXT: Final = np.array(["near", "overlap"], dtype=object)  # one string object per value, not per row
_MODE_NAME: Final = {POLYGON: "area", LINE: "length", POINT: "point"}



class OverlayResult:
    """What the overlay found: ``hits`` (tidy rows), ``facts`` per footprint, ``summary`` table.

    ``hits``: one row per (footprint, kind, feature) overlap, and per (footprint,
    kind) the nearest feature not overlapped within the search radius
    (relation ``"near"``); columns :data:`HIT_COLUMNS`; geometry is the overlap
    (WORKING_CRS), None for near misses.  Rows are ordered by footprint (input
    order), kind (library order), relation, feature.
    """

    kinds: list[str]

    @classmethod
    def from_parts(cls, ids: np.ndarray, parts: list[dict], lay: PreparedLayers, *,
                   options: MeasureOptions, repairs: dict[str, str], source: Any = None) -> OverlayResult:
        """Assemble the chunks measured by :func:`shgeo.overlay.overlay` (rows keyed by unit, in chunk order)."""
        self = cls()
        self._options = options
        self.source = source
        self.kinds = list(lay.kinds)
        self._ids = np.asarray(ids, dtype=object)
        # the chunks' arrays are taken out of *parts* as they are joined, so that at a million footprints
        # each is held once, not twice
        if parts:
            fp = FootprintArrays.concat([pt.pop("fa") for pt in parts])
        else:
            fp = footprint_arrays(np.empty(0, dtype=object), None, None)
        unit_fp = np.concatenate([pt["unit_fp"] for pt in parts]) if parts else np.empty(0, dtype=np.int64)
        self._fp = fp
        self._unit_fp = unit_fp
        self._unit_start = np.searchsorted(unit_fp, np.arange(len(self._ids) + 1))
        self._outside = np.concatenate([pt["outside"] for pt in parts]) if parts else np.empty(0)
        self._gcj02 = np.concatenate([pt["gcj02"] for pt in parts]) if parts else np.empty(0, dtype=bool)
        self._mixed = set(np.concatenate([pt["mixed"] for pt in parts]).tolist()) if parts else set()
        self._repairs = dict(repairs)
        for pt in parts:
            self._repairs.update(pt["repairs"])
        starts = np.concatenate([[0], np.cumsum([len(pt["unit_fp"]) for pt in parts])]).astype(np.int64)
        for pt, start in zip(parts, starts):
            pt["fp"] = pt["fp"] + start
        cols = {k: (np.concatenate([pt.pop(k) for pt in parts]) if parts else np.empty(0, dtype=dt))
                for k, dt in _ROW_DTYPES.items()}
        self._unit_ids = self._ids[unit_fp] if len(unit_fp) else np.empty(0, dtype=object)
        feat = lay.features
        f = cols["feature"]
        kind_code = lay.feature_kind[f]
        order = np.lexsort((f, ~cols["overlap"], kind_code, cols["fp"]))
        f = f[order]
        fp_pos = cols.pop("fp")[order]
        data = {
            "footprint_id": self._unit_ids[fp_pos],
            "kind": feat["kind"].to_numpy(dtype=object)[f],
            "feature_id": feat["feature_id"].to_numpy(dtype=object)[f],
            "name": feat["name"].to_numpy(dtype=object)[f],
            "code": feat["code"].to_numpy(dtype=object)[f],
            "category": feat["category"].to_numpy(dtype=object)[f],
            "relation": _RELATION_TEXT[cols.pop("overlap")[order].astype(np.int64)],
            **{k: cols.pop(k)[order] for k in ("area_m2", "length_m", "share", "distance_m", "flags")},
        }
        self._table = pd.DataFrame(data, copy=False)
        self._geometry = cols.pop("geometry")[order]
        self._fp_pos = fp_pos
        self._feature = f
        self._lay = lay
        return self

    @cached_property
    def hits(self) -> gpd.GeoDataFrame:
        """One row per overlap or near miss (columns :data:`HIT_COLUMNS`, WORKING_CRS).

        The geometry is the overlap (the footprint's part in the feature, spread
        over several indexed pieces dissolved into one), None for near misses.
        """
        geometry = self._geometry.copy()
        table = self._table
        if self._mixed:
            table, geometry = self._merge_mixed_rows(geometry)
        return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometry, index=table.index,
                                                                crs=WORKING_CRS), crs=WORKING_CRS)

    def _merge_mixed_rows(self, geometry: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        """One row per (footprint, kind, feature) for GeometryCollections measured part by part.

        area_m2 sums the polygonal parts, length_m the lines; share is that of the
        highest-dimension part that meets the feature; geometry is the union of
        the parts' overlaps.  Near rows of a kind the footprint overlaps go; of
        several near rows of one kind, the nearest stays.
        """
        t = self._table
        mixed_rows = np.isin(self._unit_fp[self._fp_pos], list(self._mixed))
        if not mixed_rows.any():
            return t, geometry
        keep = t[~mixed_rows]
        sub = t[mixed_rows].assign(_dim=self._fp.cls[self._fp_pos[mixed_rows]], _geom=geometry[mixed_rows],
                                   _fp=self._unit_fp[self._fp_pos[mixed_rows]])
        merged = []
        for (_, kind), grp in sub.groupby(["_fp", "kind"], sort=False):
            over = grp[grp["relation"] == "overlap"]
            if len(over):
                for _, frow in over.groupby("feature_id", sort=False):
                    top = frow.sort_values("_dim").iloc[0]  # POLYGON < LINE < POINT
                    row = top.copy()
                    row["area_m2"] = frow["area_m2"].sum()
                    row["length_m"] = frow["length_m"].sum()
                    row["flags"] = ";".join(sorted({f for v in frow["flags"] for f in str(v).split(";") if f}))
                    geoms = [g for g in frow["_geom"] if g is not None]
                    row["_geom"] = shapely.union_all(geoms) if len(geoms) > 1 else (geoms[0] if geoms else None)
                    merged.append(row)
            else:
                merged.append(grp.sort_values("distance_m").iloc[0])
        out = pd.concat([keep.assign(_geom=geometry[~mixed_rows], _fp=self._unit_fp[self._fp_pos[~mixed_rows]],
                                     _kc=0),
                         pd.DataFrame(merged)], ignore_index=True)
        kind_rank = {k: i for i, k in enumerate(self.kinds)}
        out["_kc"] = out["kind"].map(kind_rank)
        out["_rel"] = (out["relation"] != "overlap").astype(int)
        out = out.sort_values(["_fp", "_kc", "_rel", "feature_id"], kind="stable").reset_index(drop=True)
        geometry = out["_geom"].to_numpy(dtype=object)
        return out[list(HIT_COLUMNS[:-1])], geometry

    # -- facts -----------------------------------------------------------------

    @cached_property
    def _redline_districts(self) -> dict[int, list[str]]:
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
            have = ~pd.isna(geom)
            for p, d in redline_district_pairs(pos[have], geom[have], mode[have], lay):
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
                                            lay.feature_geoms[pairs["feature"].to_numpy()], INTERIORS_MEET)
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
            districts = group_union(shapely.intersection(geom[q], lay.pieces[gp]), q, n)
            q, gp = hit_pieces("island")
            islands = group_union(lay.pieces[gp], q, n)  # the island pieces dissolve into the islands
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

    def _facts_at(self, k: int) -> dict:
        """Facts of footprint *k*: its one unit's, or its parts' combined (GeometryCollections)."""
        units = range(int(self._unit_start[k]), int(self._unit_start[k + 1]))
        parts = [self._unit_facts(u) for u in units]
        facts = parts[0] if len(parts) == 1 else _combine_parts(parts)
        details = facts["details"]
        flags = set(details["flags"])
        top = units[0]  # units are ordered polygon, line, point: the first is the highest dimension
        outside = float(self._outside[top]) if len(units) and not np.isnan(self._outside[top]) else None
        if outside is not None and len(units) > 1:
            outside = float(np.max(self._outside[units.start:units.stop]))  # any part outside counts
        facts["outside_share"] = outside
        if outside:
            flags.add(PARTLY_OUTSIDE)
        if bool(self._gcj02[units.start:units.stop].any()):
            flags.add(GCJ02_AMBIGUOUS)
        if k in self._mixed:
            flags.add(MIXED_GEOMETRY)
        repair = self._repairs.get(str(self._ids[k]))
        if repair:
            flags.add(REPAIRED_GEOMETRY)
            details["repair"] = repair
        details["flags"] = sorted(flags)
        details["outside_share"] = outside
        details["by_kind"] = self._by_kind(list(units))
        return facts

    def _unit_facts(self, pos: int) -> dict:
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
                if c["flags"][r] == ON_BOUNDARY:
                    flags.add(ON_BOUNDARY)
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
        details: dict[str, Any] = {
            "geometry_type": _CLASS_NAME[cls],
            "measured_as": _MODE_NAME[mode],
            "area_m2": area_l[pos] if mode == POLYGON else 0.0,
            "length_m": length_l[pos],
            "district_shares": shares,
            "outside_districts_share": (max(0.0, 1.0 - sum(shares.values())) if "district" in kinds else None),
            "flags": sorted(flags),
            "missing_kinds": list(self._missing),
        }
        if cls == POINT:
            details["points"] = int(self._fp.n_parts[pos]) if mode == POINT else int(
                shapely.get_num_geometries(self._fp.base[pos]))
        if mode != POINT:
            unit = "_m" if cls == LINE else "_m2"
            for key, k in _SPLIT_KINDS.items():
                details[key + unit] = sums[k] if k in kinds else None
            if "district" in kinds and "island" in kinds:
                details["land" + unit] = float(land) if "island" in found else sums["district"]
        facts["details"] = details
        return facts

    def _by_kind(self, units: list[int]) -> dict[str, dict]:
        """Per kind overlapped: occupied area (m²) / length (m) and share, per feature and dissolved per kind."""
        out: dict[str, dict] = {}
        for u in units:
            part = self._unit_by_kind(u)
            for kind, entry in part.items():
                have = out.get(kind)
                if have is None:
                    out[kind] = entry
                    continue
                # another part of a GeometryCollection: areas and lengths add up (parts of different
                # dimension); the share stays that of the highest-dimension part (the first)
                have["area_m2"] += entry["area_m2"]
                have["length_m"] += entry["length_m"]
                feats = {f["feature_id"]: f for f in have["features"]}
                for f in entry["features"]:
                    if f["feature_id"] in feats:
                        feats[f["feature_id"]]["area_m2"] += f["area_m2"]
                        feats[f["feature_id"]]["length_m"] += f["length_m"]
                    else:
                        have["features"].append(f)
        return out

    def _unit_by_kind(self, pos: int) -> dict[str, dict]:
        c = self._cols
        out: dict[str, dict] = {}
        rows: dict[str, list[int]] = {}
        for r in self._rows_by_fp.get(pos, ()):
            if c["relation"][r] == "overlap":
                rows.setdefault(c["kind"][r], []).append(r)
        for kind, rs in rows.items():
            features = [{"feature_id": c["feature_id"][r], "name": c["name"][r], "code": c["code"][r],
                         "area_m2": float(c["area_m2"][r]), "length_m": float(c["length_m"][r]),
                         "share": float(c["share"][r])} for r in rs]
            total = self._dissolved_totals.get((pos, kind))
            if total is None:  # one feature, or features that do not overlap: the measures add up
                total = {"area_m2": sum(f["area_m2"] for f in features), "length_m": sum(f["length_m"] for f in features),
                         "share": min(1.0, sum(f["share"] for f in features))}
            out[kind] = {**total, "features": features}
        return out

    @cached_property
    def _dissolved_totals(self) -> dict[tuple[int, str], dict[str, float]]:
        """(unit, kind) → area, length and share inside the union of the overlapping features of that kind.

        Only where a unit overlaps two or more features of one kind that overlap each other:
        the unit is intersected with the pieces of those features it meets, and the
        intersections are dissolved before they are measured (computed for all at once).
        """
        c, fp, lay = self._cols, self._fp, self._lay
        groups: dict[tuple[int, str], list[int]] = {}
        rel, kind = c["relation"], c["kind"]
        for r, pos in enumerate(self._fp_pos.tolist()):
            if rel[r] == "overlap":
                groups.setdefault((pos, kind[r]), []).append(int(self._feature[r]))
        todo = [(key, feats) for key, feats in groups.items() if len(feats) > 1 and lay.overlapping(feats)]
        out: dict[tuple[int, str], dict[str, float]] = {}
        if not todo:
            return out
        nf = max(len(lay.features), 1)
        pos = np.array([key[0] for key, _ in todo], dtype=np.int64)
        wanted = np.concatenate([np.asarray(feats) + k * nf for k, (_, feats) in enumerate(todo)])
        g, q = lay.tree.query(fp.geom[pos], predicate="intersects")
        keep = np.isin(g * nf + lay.piece_feature[q], wanted)
        g, q = g[keep], q[keep]
        mode, cls = fp.mode[pos], fp.cls[pos]
        area = np.zeros(len(todo))
        length = np.zeros(len(todo))
        sel = mode[g] == POLYGON
        if sel.any():
            u = group_union(shapely.intersection(fp.geom[pos[g[sel]]], lay.pieces[q[sel]]), g[sel], len(todo))
            area = np.where(pd.isna(u), 0.0, shapely.area(u))
        sel = cls[g] == LINE
        if sel.any():
            u = group_union(shapely.intersection(fp.line[pos[g[sel]]], lay.pieces[q[sel]]), g[sel], len(todo))
            length = np.where(pd.isna(u), 0.0, shapely.length(u))
        for k, ((p, kind_name), feats) in enumerate(todo):
            if mode[k] == POINT:  # rare: a point footprint in several overlapping features of one kind
                parts = shapely.get_parts(fp.geom[p])
                inside = np.zeros(len(parts), dtype=bool)
                for f in feats:
                    inside |= shapely.relate_pattern(parts, lay.feature_geoms[f], INTERIORS_MEET)
                out[(p, kind_name)] = {"area_m2": 0.0, "length_m": 0.0, "share": float(inside.mean())}
                continue
            total = fp.length[p] if cls[k] == LINE else fp.area[p]
            share = (length[k] if cls[k] == LINE else area[k]) / total if total > 0 else 0.0
            out[(p, kind_name)] = {"area_m2": float(area[k]) if mode[k] == POLYGON else 0.0,
                                   "length_m": float(length[k]), "share": float(min(1.0, share))}
        return out

    @cached_property
    def _kind_set(self) -> frozenset[str]:
        return frozenset(self.kinds)

    @cached_property
    def _missing(self) -> list[str]:
        return [k for k in _EXPECTED_KINDS if k not in self._kind_set]

    @cached_property
    def facts(self) -> dict[str, dict]:
        """footprint_id → the ``spatial`` block plus ``details``.

        ``details``: geometry_type, measured_as, area_m2, length_m, points
        (point footprints), district_shares {name: share},
        outside_districts_share, outside_share, land/sea/island measures
        (``_m2``, or ``_m`` for lines), flags, missing_kinds, by_kind (per kind
        overlapped: area_m2, length_m, share and per feature the same; kind
        totals dissolved), parts (GeometryCollections: each part's
        geometry_type and measures).  Keys of kinds absent from the library
        are None (unknown), never False.  Built on first access.
        """
        return {str(fid): self._facts_at(k) for k, fid in enumerate(self._ids)}

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


def _combine_parts(parts: list[dict]) -> dict:
    """Facts of a GeometryCollection from those of its parts (highest dimension first).

    Booleans are true if any part's is; lists are united; measures add up by
    dimension (area of the polygonal part, length of the lines, the points);
    district shares are those of the highest-dimension part.
    """
    out: dict[str, Any] = {}
    for key in SPATIAL_KEYS:
        values = [p.get(key) for p in parts]
        if all(v is None for v in values):
            out[key] = None
        elif isinstance(values[0], list):
            out[key] = sorted({x for v in values if v for x in v})
        else:
            out[key] = any(bool(v) for v in values)
    first = parts[0]["details"]
    details: dict[str, Any] = dict(first)
    details["geometry_type"] = "mixed"
    details["measured_as"] = "by part"
    details["area_m2"] = sum(p["details"]["area_m2"] for p in parts)
    details["length_m"] = sum(p["details"]["length_m"] for p in parts)
    details["points"] = sum(p["details"].get("points", 0) for p in parts)
    details["flags"] = sorted({f for p in parts for f in p["details"]["flags"]})
    for p in parts[1:]:
        for key, value in p["details"].items():
            if key.endswith(("_m2", "_m")) and key not in ("area_m2", "length_m") and key not in details:
                details[key] = value
    details["parts"] = [{"geometry_type": p["details"]["geometry_type"], "measured_as": p["details"]["measured_as"],
                         **{k: p["details"][k] for k in ("area_m2", "length_m", "points") if k in p["details"]},
                         "hits": sorted(k for k in ("redline", "core_zone") if p.get(k))
                         + sorted(f"{k}:{x}" for k in ("protected_area", "water_source_l1", "groundwater_village")
                                  for x in (p.get(k) or []))}
                        for p in parts]
    out["details"] = details
    return out
