"""Avoidance analysis for linear works: could the line have avoided the red line?

A linear facility may cross the ecological protection red line only when it
must and cannot avoid it (「必须且无法避让」; the rules in :mod:`shgeo.rules.redline`
cite the clause).  :func:`analyse_line` gives
the evidence: within a corridor around the proposal (default 2 km each
side) it looks for a route between the same two end points across the
constraint raster (:mod:`shgeo.avoidance.raster`) with scikit-image's
``graph.MCP_Geometric`` (8-connected least-cost path), smooths it into a
line, and measures the proposal and the alternative **exactly** against the
vector layers (not the raster): total length, length inside the red line,
core zones, level-1 water-source zones (and protected areas and sea when the
library has them), and the detour factor (route length ÷ proposal length).

How the alternative is chosen
-----------------------------
Routing uses ``all_touched`` rasterisation (a cell touched by a zone counts
as in it), so a route through clear cells never enters a zone; core zones and
level-1 water-source zones are impassable by default (see the class table).

1. **least-cost avoiding route** — the cost surface with every cell the red
   line touches made impassable (whatever class the cell has: a core zone
   inside the red line that the caller made passable is still red line).
   If its detour factor is within ``max_detour``, it is the alternative and
   the line is *avoidable*.
2. otherwise the **shortest avoiding route** — every passable cell costs the
   same, the red line impassable: if any route avoids the red line within
   ``max_detour`` this one does (up to the raster's approximation: an
   8-connected path can be up to ~8 % longer than the line it stands for,
   less after smoothing).  If it does, it is the alternative.
3. otherwise *not avoidable*; the alternative shown is the **least-cost
   route** with the red line at its (finite) cost — the route that crosses
   it the least for the given costs — and the shortest avoiding route's
   detour factor is reported when one exists in the corridor.

``avoidable`` therefore means: a route with zero red-line length (measured on
the vectors) exists within ``max_detour`` × the proposal's length, inside the
corridor, on the raster at ``res_m`` — not more, and the report says so.
Smoothing (simplify at the cell size, then Chaikin corner cutting) is kept
only where it adds no length inside the red line, core or water-source
zones.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pyproj
import rasterio.features
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from skimage.graph import MCP_Geometric

from ..crs import GEOGRAPHIC_CRS, WORKING_CRS, check_in_shanghai, parse_crs
from ..errors import CRSError, FootprintError, LayerError, QueryError, ShgeoError
from .raster import CLASS_TABLE, Grid, class_table, cost_from_classes, rasterise_classes, resolve_costs

__all__ = ["AvoidanceResult", "analyse_line", "analyse_footprint", "MEASURED_KINDS"]

log = logging.getLogger(__name__)

#: kinds every route is measured against (length inside, m), in report order
MEASURED_KINDS: Final = ("redline", "core_zone", "water_source_l1", "protected_area", "sea")

#: kinds a smoothing step may not add length in
_GUARDED_KINDS: Final = ("redline", "core_zone", "water_source_l1")

#: lengths below this (m) are floating-point noise from touching boundaries
_LENGTH_EPS_M: Final = 1e-6

_ROUTE_KINDS: Final = {
    "least_cost_avoiding": "least-cost route with the red line impassable",
    "shortest_avoiding": "shortest route with the red line impassable (all passable cells cost the same)",
    "least_cost": "least-cost route with the red line at its finite cost (crosses it the least for these costs)",
    "proposal": "the proposal itself: it does not enter the red line, so no route search was needed",
}

_SAMPLE_CAVEAT: Final = "SAMPLE DATA — not for official screening (样例数据——不得用于正式审查)"

_CLASS_NAMES: Final = {c.value: c.name for c in CLASS_TABLE}


# --------------------------------------------------------------------------- result


@dataclass
class AvoidanceResult:
    """Outcome of :func:`analyse_line`; lengths in metres, geometries in the working CRS."""

    proposal: LineString
    alternative: LineString | None
    corridor: shapely.Polygon
    proposal_figures: dict[str, float]
    alternative_figures: dict[str, float] | None
    #: how the alternative was found: a key of the module's route kinds, or None when none exists
    alternative_kind: str | None
    avoidable: bool
    max_detour: float
    corridor_m: float
    cell_size_m: float
    near_m: float
    costs: dict[str, float]
    #: detour factor of the shortest route with zero red-line length (None: none in the corridor)
    shortest_avoiding_detour: float | None
    shortest_avoiding_length_m: float | None
    #: "start" / "end" when that end point lies inside the red line (no route can avoid it then)
    endpoints_in_redline: list[str] = field(default_factory=list)
    is_sample: bool = False
    missing_kinds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def best_alternative_length_m(self) -> float | None:
        """Length of the alternative route (m), or None when there is none."""
        return None if self.alternative_figures is None else self.alternative_figures["length_m"]

    @property
    def verdict_zh(self) -> str:
        """The verdict in one Chinese sentence."""
        limit = f"{self.max_detour:g}"
        if self.proposal_figures["redline_length_m"] <= _LENGTH_EPS_M:
            return "拟建线路不进入生态保护红线，无需避让论证"
        if self.avoidable and self.alternative_figures is not None:
            return f"存在避让红线的替代路径（绕行系数{self.alternative_figures['detour_factor']:.2f}）"
        return f"在{limit}倍绕行系数内不存在避让红线的替代路径"

    @property
    def detail_zh(self) -> str:
        """What the verdict rests on, in Chinese (the corridor, the shortest avoiding route)."""
        corridor = f"分析范围：拟建线路两侧各{self.corridor_m:g}米走廊，栅格{self.cell_size_m:g}米"
        if self.avoidable:
            return corridor
        if self.endpoints_in_redline:
            ends = "、".join({"start": "起点", "end": "终点"}[e] for e in self.endpoints_in_redline)
            return f"{corridor}；{ends}位于生态保护红线内，任何路径均须进入红线"
        if self.alternative is None:
            return f"{corridor}；走廊内不存在可通行路径（核心保护区或饮用水水源一级保护区阻断）"
        if self.shortest_avoiding_detour is None:
            return f"{corridor}；走廊内不存在完全避让生态保护红线的路径"
        return f"{corridor}；最短避让路径绕行系数{self.shortest_avoiding_detour:.2f}，超过{self.max_detour:g}"

    @property
    def routes(self) -> gpd.GeoDataFrame:
        """Proposal and alternative as rows (``role``), with their figures as columns, in the working CRS."""
        rows = [{"role": "proposal", "method": "as proposed", **self.proposal_figures, "geometry": self.proposal}]
        if self.alternative is not None and self.alternative_figures is not None:
            rows.append({"role": "alternative", "method": self.alternative_kind, **self.alternative_figures,
                         "geometry": self.alternative})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready block for ``report.json["avoidance"]`` (lengths in m, geometries as lon/lat GeoJSON)."""
        alternative = None
        if self.alternative is not None and self.alternative_figures is not None:
            alternative = {"route_kind": self.alternative_kind,
                           "route_kind_description": _ROUTE_KINDS[self.alternative_kind or ""],
                           **_round_figures(self.alternative_figures),
                           "geometry": _lonlat_geojson(self.alternative)}
        block: dict[str, Any] = {
            "avoidable": self.avoidable,
            "verdict_zh": self.verdict_zh,
            "detail_zh": self.detail_zh,
            "max_detour": self.max_detour,
            "best_alternative_length_m": _round(self.best_alternative_length_m),
            "redline_length_m": {
                "proposal": _round(self.proposal_figures["redline_length_m"]),
                "alternative": None if self.alternative_figures is None
                else _round(self.alternative_figures["redline_length_m"]),
            },
            "shortest_avoiding_length_m": _round(self.shortest_avoiding_length_m),
            "shortest_avoiding_detour_factor": _round(self.shortest_avoiding_detour, 3),
            "endpoints_in_redline": list(self.endpoints_in_redline),
            "proposal": {**_round_figures(self.proposal_figures), "geometry": _lonlat_geojson(self.proposal)},
            "alternative": alternative,
            "corridor_m": self.corridor_m,
            "cell_size_m": self.cell_size_m,
            "near_m": self.near_m,
            "costs": {k: "impassable" if math.isinf(v) else v for k, v in self.costs.items()},
            "class_table": class_table(),
            "method": (
                "least-cost path (scikit-image graph.MCP_Geometric, 8-connected) over a constraint raster "
                f"of {self.cell_size_m:g} m cells within {self.corridor_m:g} m of the proposal; red line "
                "impassable for the avoiding routes; routes smoothed (simplify at cell size, Chaikin) "
                "without adding length in any zone; lengths measured exactly on the vector layers in the "
                "working CRS; detour factor = route length / proposal length"
            ),
            "crs": WORKING_CRS.name,
            "geometry_crs": "EPSG:4490",
            "missing_kinds": list(self.missing_kinds),
            "notes": list(self.notes),
            "sample_data": self.is_sample,
        }
        if self.is_sample:
            block["caveat"] = _SAMPLE_CAVEAT
        return block


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _round_figures(figures: Mapping[str, float]) -> dict[str, float]:
    return {k: _round(v, 3 if k == "detour_factor" else 2) for k, v in figures.items()}


_TO_GEO = pyproj.Transformer.from_crs(WORKING_CRS, GEOGRAPHIC_CRS, always_xy=True)


def _lonlat_geojson(line: LineString) -> dict[str, Any]:
    coords = np.asarray(line.coords)
    lon, lat = _TO_GEO.transform(coords[:, 0], coords[:, 1])
    return {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in zip(lon, lat)]}


# --------------------------------------------------------------------------- input


def _as_line(line: object, crs: object) -> LineString:
    """The proposal as one LineString in the working CRS (from a line, or a start and end point)."""
    if isinstance(line, (gpd.GeoDataFrame, gpd.GeoSeries)):
        series = line.geometry if isinstance(line, gpd.GeoDataFrame) else line
        if series.crs is None:
            raise CRSError("the proposed line has no CRS", hint="set one (gdf.set_crs) or pass crs=")
        series = series.to_crs(WORKING_CRS)
        geoms = [g for g in series if g is not None and not g.is_empty]
        if len(geoms) != 1:
            raise FootprintError(f"expected one proposed line, got {len(geoms)} geometries",
                                 hint="analyse each line on its own")
        geom, crs = geoms[0], WORKING_CRS
    elif isinstance(line, (tuple, list)) and len(line) == 2 and not isinstance(line[0], (int, float)):
        start, end = (Point(p) if not isinstance(p, Point) else p for p in line)
        geom = LineString([start, end])
    else:
        geom = line
    if isinstance(geom, MultiLineString):
        merged = shapely.line_merge(geom)
        if not isinstance(merged, LineString):
            raise FootprintError(f"the proposed line has {len(geom.geoms)} parts that do not join end to end",
                                 hint="give one continuous line, or a start and an end point")
        geom = merged
    if not isinstance(geom, LineString):
        raise FootprintError(f"expected a LineString or a (start, end) pair, got {type(geom).__name__}",
                             hint="avoidance analysis is for linear works")
    if geom.is_empty or geom.length == 0:
        raise FootprintError("the proposed line is empty or has zero length")
    if Point(geom.coords[0]).equals(Point(geom.coords[-1])):
        raise FootprintError("the proposed line is closed (it ends where it starts): an alternative between "
                             "its end points would have no length", hint="analyse it as open sections")
    geom = shapely.force_2d(geom)
    if crs is None:
        raise CRSError("the proposed line has no CRS",
                       hint="pass crs= (e.g. crs='EPSG:4490' for lon/lat, or shgeo.WORKING_CRS for metres), "
                            "or give a GeoDataFrame/GeoSeries with its CRS; shgeo never assumes one")
    parsed = parse_crs(crs)
    if isinstance(parsed, str):
        raise CRSError(f"{parsed} coordinates must be converted first (shgeo.inputs.chinacoords.to_wgs84)")
    if not parsed.equals(WORKING_CRS):
        t = pyproj.Transformer.from_crs(parsed, WORKING_CRS, always_xy=True)
        geom = shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    coords = shapely.get_coordinates(geom)
    lon, lat = _TO_GEO.transform(coords[:, 0], coords[:, 1])
    check_in_shanghai(lon, lat, source_crs=None if crs is None else parse_crs(crs),
                      feature="proposed line")
    return geom


# --------------------------------------------------------------------------- measuring


class _Measurer:
    """Exact lengths of routes inside each measured kind (vector layers clipped to the study area)."""

    def __init__(self, library: Any, area: shapely.Polygon) -> None:
        self.zones: dict[str, shapely.Geometry] = {}
        for kind in MEASURED_KINDS:
            if not library.has(kind):
                continue
            geoms = np.asarray(library.layer(kind).geometry.values, dtype=object)
            geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            hits = shapely.STRtree(geoms).query(area, predicate="intersects")
            pieces = shapely.get_parts(shapely.intersection(geoms[hits], area))
            pieces = pieces[shapely.get_type_id(pieces) == 3]  # polygons only (drop touching edges/points)
            zone = shapely.union_all(pieces) if len(pieces) else shapely.Polygon()
            shapely.prepare(zone)
            self.zones[kind] = zone

    def lengths(self, line: LineString) -> dict[str, float]:
        return {kind: float(shapely.intersection(line, zone).length) if not zone.is_empty else 0.0
                for kind, zone in self.zones.items()}

    def figures(self, line: LineString, reference_length: float) -> dict[str, float]:
        inside = self.lengths(line)
        figures = {"length_m": float(line.length)}
        for kind in MEASURED_KINDS:
            if kind in inside:
                figures[f"{kind}_length_m"] = inside[kind]
        figures["detour_factor"] = float(line.length) / reference_length
        return figures


# --------------------------------------------------------------------------- routing


def _least_cost_cells(cost: np.ndarray, start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]] | None:
    """Cells (row, col) of the least-cost 8-connected path, or None when the end cannot be reached."""
    mcp = MCP_Geometric(cost, fully_connected=True)
    cumulative, _ = mcp.find_costs([start], [end])
    if not np.isfinite(cumulative[end]):
        return None
    return [tuple(int(v) for v in rc) for rc in mcp.traceback(end)]


def _cells_to_line(cells: list[tuple[int, int]], grid: Grid, start: Point, end: Point) -> LineString:
    rows = np.array([r for r, _ in cells], dtype=float)
    cols = np.array([c for _, c in cells], dtype=float)
    xs = grid.west + (cols + 0.5) * grid.res_m
    ys = grid.north - (rows + 0.5) * grid.res_m
    coords = np.column_stack([np.r_[start.x, xs, end.x], np.r_[start.y, ys, end.y]])
    keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]
    coords = coords[keep]
    if len(coords) < 2:
        coords = np.array([[start.x, start.y], [end.x, end.y]])
    return LineString(coords)


def _chaikin(line: LineString, iterations: int) -> LineString:
    """Chaikin corner cutting, end points kept."""
    coords = np.asarray(line.coords)
    for _ in range(iterations):
        if len(coords) < 3:
            break
        a, b = coords[:-1], coords[1:]
        q, r = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
        coords = np.vstack([coords[:1], np.column_stack([q, r]).reshape(-1, 2)[1:-1], coords[-1:]])
    return LineString(coords)


def _smooth(raw: LineString, res_m: float, measurer: _Measurer, chaikin_iterations: int) -> LineString:
    """The smoothest candidate that adds no length inside a guarded zone (else the raw path)."""
    limits = measurer.lengths(raw)
    simplified = raw.simplify(res_m, preserve_topology=False)
    candidates = [_chaikin(simplified, chaikin_iterations), simplified,
                  raw.simplify(res_m / 2, preserve_topology=False)]
    for candidate in candidates:
        inside = measurer.lengths(candidate)
        if all(inside.get(k, 0.0) <= limits.get(k, 0.0) + _LENGTH_EPS_M for k in _GUARDED_KINDS):
            return candidate
    return raw


def _corridor_grid(corridor: shapely.Polygon, res_m: float) -> Grid:
    pad = 2 * res_m
    west, south, east, north = corridor.bounds
    w = math.floor((west - pad) / res_m) * res_m
    n = math.ceil((north + pad) / res_m) * res_m
    e = math.ceil((east + pad) / res_m) * res_m
    s = math.floor((south - pad) / res_m) * res_m
    return Grid(west=w, north=n, res_m=float(res_m), width=round((e - w) / res_m), height=round((n - s) / res_m))


def _cell_of(grid: Grid, point: Point) -> tuple[int, int]:
    col = int(math.floor((point.x - grid.west) / grid.res_m))
    row = int(math.floor((grid.north - point.y) / grid.res_m))
    return (min(max(row, 0), grid.height - 1), min(max(col, 0), grid.width - 1))


def analyse_line(
    line: object,
    library: Any,
    *,
    corridor_m: float = 2000.0,
    res_m: float = 20.0,
    max_detour: float = 1.5,
    costs: Mapping[str, float | str | None] | None = None,
    crs: object = None,
    near_m: float = 200.0,
    optional_kinds: Iterable[str] = (),
    chaikin_iterations: int = 2,
    max_cells: int = 25_000_000,
) -> AvoidanceResult:
    """Look for a route between the proposal's end points that avoids the red line.

    *line* is a LineString (in *crs*, default the working CRS), a one-row
    GeoDataFrame/GeoSeries with a CRS, or a ``(start, end)`` pair of points
    (then the proposal is the straight line between them).  The search stays
    within *corridor_m* metres of the proposal on *res_m*-metre cells;
    *max_detour* bounds the alternative's length as a multiple of the
    proposal's.  *costs* override the class costs (:func:`shgeo.avoidance.raster.resolve_costs`).
    Kinds the raster needs must be in *library* unless named in *optional_kinds*.
    """
    for key, value in (("corridor_m", corridor_m), ("res_m", res_m)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise QueryError(f"{value!r} must be a positive number of metres", key=key)
    if not (isinstance(max_detour, (int, float)) and max_detour >= 1):
        raise QueryError(f"{max_detour!r} must be a number ≥ 1", key="max_detour")
    if not (isinstance(near_m, (int, float)) and math.isfinite(near_m) and near_m >= 0):
        raise QueryError(f"{near_m!r} must be a number of metres ≥ 0", key="near_m")
    if "redline" in set(optional_kinds) or not library.has("redline"):
        raise LayerError("an avoidance analysis needs the red-line layer", kind="redline",
                         hint="load a library whose manifest has a redline layer")
    resolved = resolve_costs(costs)
    proposal = _as_line(line, crs)
    start, end = Point(proposal.coords[0]), Point(proposal.coords[-1])
    corridor = proposal.buffer(corridor_m)
    grid = _corridor_grid(corridor, res_m)
    log.info("avoidance: %.0f m line, %d × %d cells at %g m", proposal.length, grid.width, grid.height, res_m)
    # all_touched: a route through the cells of a class never enters a stricter zone
    classes = rasterise_classes(library, grid, near_m=near_m, all_touched=True, optional_kinds=optional_kinds,
                                max_cells=max_cells)
    missing = [k for k in dict.fromkeys(optional_kinds) if not library.has(k)]
    measurer = _Measurer(library, shapely.box(*grid.bounds))
    inside = rasterio.features.geometry_mask([corridor], out_shape=grid.shape, transform=grid.transform,
                                             all_touched=True, invert=True)
    cost = cost_from_classes(classes, resolved)
    cost[~inside] = np.inf
    finite_max = max(v for v in resolved.values() if math.isfinite(v))
    start_cell, end_cell = _cell_of(grid, start), _cell_of(grid, end)
    notes: list[str] = []
    for name, cell in (("start", start_cell), ("end", end_cell)):
        if not math.isfinite(cost[cell]):
            notes.append(f"the {name} point lies in an impassable cell ({_CLASS_NAMES[int(classes[cell])]}); "
                         "the route may leave it but cross no other impassable cell")
            cost[cell] = finite_max
    # the red line itself, not its class: where a core or water zone (higher precedence) lies in the
    # red line and the caller made that zone passable, its cells are still red line
    avoid_cost = cost.copy()
    redline_zone = measurer.zones.get("redline")
    if redline_zone is not None and not redline_zone.is_empty:
        in_redline = rasterio.features.geometry_mask([redline_zone], out_shape=grid.shape,
                                                     transform=grid.transform, all_touched=True, invert=True)
        avoid_cost[in_redline] = np.inf
    for cell in (start_cell, end_cell):
        avoid_cost[cell] = cost[cell]

    prop_figs = measurer.figures(proposal, proposal.length)
    ends_in_redline = [name for name, p in (("start", start), ("end", end))
                       if redline_zone is not None and redline_zone.contains(p)]

    def route(surface: np.ndarray) -> tuple[LineString, dict[str, float]] | None:
        cells = _least_cost_cells(surface, start_cell, end_cell)
        if cells is None:
            return None
        smooth = _smooth(_cells_to_line(cells, grid, start, end), res_m, measurer, chaikin_iterations)
        return smooth, measurer.figures(smooth, proposal.length)

    def avoids(found: tuple[LineString, dict[str, float]] | None) -> bool:
        return found is not None and found[1]["redline_length_m"] <= _LENGTH_EPS_M

    def within(found: tuple[LineString, dict[str, float]]) -> bool:
        return found[1]["detour_factor"] <= max_detour

    chosen, kind, avoidable = None, None, False
    shortest_len = shortest_detour = None
    if all(prop_figs.get(f"{k}_length_m", 0.0) <= _LENGTH_EPS_M
           for k in ("redline", "core_zone", "water_source_l1")):
        # the proposal avoids the red line and every impassable zone: it is its own alternative
        chosen, kind, avoidable = (proposal, prop_figs), "proposal", True
        notes.append("the proposal does not enter the red line: it is itself an avoiding route")
    else:
        chosen, kind, avoidable, shortest_len, shortest_detour = _search(route, avoid_cost, cost, avoids, within)
    if avoidable and chosen is not None:
        shortest_len = shortest_len if shortest_len is not None else chosen[1]["length_m"]
        shortest_detour = shortest_detour if shortest_detour is not None else chosen[1]["detour_factor"]
    if avoidable and chosen is not None:
        log.info("avoidable: %s route of %.0f m (detour %.2f)", kind, chosen[1]["length_m"],
                 chosen[1]["detour_factor"])
    return AvoidanceResult(
        proposal=proposal,
        alternative=None if chosen is None else chosen[0],
        corridor=corridor,
        proposal_figures=prop_figs,
        alternative_figures=None if chosen is None else chosen[1],
        alternative_kind=kind,
        avoidable=avoidable,
        max_detour=float(max_detour),
        corridor_m=float(corridor_m),
        cell_size_m=float(res_m),
        near_m=float(near_m),
        costs=resolved,
        shortest_avoiding_detour=shortest_detour,
        shortest_avoiding_length_m=shortest_len,
        endpoints_in_redline=ends_in_redline,
        is_sample=bool(getattr(library, "is_sample", False)),
        missing_kinds=missing,
        notes=notes,
    )


def _search(route: Callable, avoid_cost: np.ndarray, cost: np.ndarray, avoids: Callable,
            within: Callable) -> tuple[Any, str | None, bool, float | None, float | None]:
    """The three searches, in order: least-cost avoiding, shortest avoiding, least-cost crossing.

    Returns (chosen, kind, avoidable, shortest_avoiding_length_m, shortest_avoiding_detour).
    """
    chosen, kind, avoidable = None, None, False
    shortest_len = shortest_detour = None
    least_avoiding = route(avoid_cost)
    if avoids(least_avoiding) and within(least_avoiding):
        chosen, kind, avoidable = least_avoiding, "least_cost_avoiding", True
    else:
        shortest = route(np.where(np.isfinite(avoid_cost), 1.0, np.inf))
        candidates = [f for f in (least_avoiding, shortest) if avoids(f)]
        if candidates:
            best = min(candidates, key=lambda f: f[1]["length_m"])
            shortest_len, shortest_detour = best[1]["length_m"], best[1]["detour_factor"]
            if within(best):
                chosen, kind, avoidable = best, "shortest_avoiding", True
        if chosen is None:
            least = route(cost)
            if least is not None:
                chosen, kind = least, "least_cost"
    return chosen, kind, avoidable, shortest_len, shortest_detour


def analyse_footprint(geom: shapely.Geometry, library: Any, **options: Any
                      ) -> tuple[dict[str, Any], gpd.GeoDataFrame | None]:
    """Avoidance for one screened footprint (WORKING_CRS): ``(report block, routes or None)``.

    Only linear works are analysed; for any other geometry the block says so.
    An analysis that fails gives a block with its ``error`` (logged), never a
    verdict.
    """
    if geom.geom_type not in ("LineString", "MultiLineString", "LinearRing"):
        return {"applicable": False,
                "reason": "避让分析只适用于线状工程 / avoidance analysis applies to linear works only"}, None
    line = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    try:
        res = analyse_line(line, library, crs=WORKING_CRS, **options)
    except (ShgeoError, ValueError, MemoryError) as exc:
        return {"applicable": True, "error": str(exc)}, None
    block = res.to_dict()
    block.setdefault("applicable", True)
    verdict = getattr(res, "verdict_zh", None)
    if verdict and "verdict_zh" not in block:
        block["verdict_zh"] = verdict
    routes = getattr(res, "routes", None)
    if routes is not None and len(routes):
        return block, routes if routes.crs is not None else routes.set_crs(WORKING_CRS)
    return block, None
