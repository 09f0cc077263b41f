"""map.html of each project, written from a prepared template (no folium object per project).

:class:`MapContext` prepares the library's layers for display once per batch:
each feature simplified (1 m, topology kept), cut into pieces of at most 256
vertices, reprojected to lon/lat (EPSG:4326, Leaflet's CRS) and indexed.  A
project's map then carries only what lies near it: the pieces within a
square around the footprint, clipped to it and merged back per feature (no
seams).  The footprint, its overlap pieces and avoidance routes are
simplified for display only when they are large (a footprint of a million
vertices does not make a map of tens of megabytes); every number shown in a
popup was measured on the exact geometry.

The page is ``templates/map.html.j2``: the data as JSON in a
``<script type="application/json">`` element ("<", ">" and "&" escaped, so
no value can end it), drawn by ``static/shgeo-map.js``, which puts every
text into the page as text, never as HTML.  Leaflet and that script are
linked from ``../_assets/`` or inlined (see :mod:`shgeo.outputs.assets`).
The folium maps of notebooks are :mod:`shgeo.outputs.maps`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

import markupsafe
import numpy as np
import pyproj
import shapely

from ..crs import WORKING_CRS
from ..library.kinds import KINDS
from ..overlay.pieces import subdivide
from .assets import ASSETS_DIR, inline_assets
from .display import (
    CONTEXT_M,
    FOOTPRINT_STYLE,
    KIND_STYLES,
    OVERLAP_STYLE,
    ROUTE_STYLES,
    SAMPLE_BANNER_TEXT,
    display_geometries,
    fmt_area,
    footprint_rows,
    overlap_rows,
    route_rows,
    tile_source,
)
from .report_html import environment

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord

__all__ = ["MapContext", "MapJob", "map_job", "render_map_page"]

#: simplification of the context layers for display (metres, WORKING_CRS)
DISPLAY_TOLERANCE_M: Final = 1.0
_PIECE_VERTICES: Final = 256


@lru_cache(maxsize=1)
def _to_lonlat_transformer() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:4326", always_xy=True)


def to_lonlat(geoms: np.ndarray) -> np.ndarray:
    """WORKING_CRS geometries to lon/lat (EPSG:4326), coordinates rounded to 1e-7° (about 1 cm)."""
    transformer = _to_lonlat_transformer()

    def project(xy: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), 7)

    return shapely.transform(np.asarray(geoms, dtype=object), project)


class MapContext:
    """The library's layers prepared for display, once per batch (picklable: worker processes get a copy)."""

    def __init__(self, library: Any) -> None:
        kinds = list(getattr(library, "kinds", [])) if library is not None else []
        order = list(KIND_STYLES)
        kinds.sort(key=lambda k: order.index(k) if k in order else len(order))
        self.kinds = kinds
        self.sample = bool(getattr(library, "is_sample", False))
        pieces, piece_feature, popups, tooltips, feature_kind = [], [], [], [], []
        offset = 0
        for k, kind in enumerate(kinds):
            layer = library.layer(kind)
            geoms = np.asarray(layer.geometry.array, dtype=object)
            if len(geoms) == 0:
                continue
            areas = shapely.area(geoms)
            label = KINDS[kind].label_zh if kind in KINDS else kind
            for row, area in zip(layer[[c for c in ("name", "code", "category", "feature_id") if c in layer.columns]]
                                 .to_dict("records"), areas.tolist()):
                popups.append(_rows([("图层", label), ("名称", row.get("name")), ("编码", row.get("code")),
                                     ("类别", row.get("category")), ("要素编号", row.get("feature_id")),
                                     ("面积", fmt_area(area) if area > 0 else None)]))
                tooltips.append(_text(row.get("name")) or _text(row.get("code")) or label)
                feature_kind.append(k)
            simple = shapely.simplify(geoms, DISPLAY_TOLERANCE_M, preserve_topology=True)
            polygonal = np.isin(shapely.get_type_id(simple), (3, 6))
            if polygonal.any():
                parts, src = subdivide(simple[polygonal], _PIECE_VERTICES)
                pieces.append(parts)
                piece_feature.append(offset + np.flatnonzero(polygonal)[src])
            if (~polygonal).any():
                other = np.flatnonzero(~polygonal & ~shapely.is_empty(simple))
                pieces.append(simple[other])
                piece_feature.append(offset + other)
            offset += len(geoms)
        self.pieces = to_lonlat(np.concatenate(pieces)) if pieces else np.empty(0, dtype=object)
        self.piece_feature = np.concatenate(piece_feature) if piece_feature else np.empty(0, dtype=np.int64)
        self.feature_kind = np.asarray(feature_kind, dtype=np.int64)
        self.popups = popups
        self.tooltips = tooltips
        #: the GeoJSON ``properties`` of each feature, serialised once
        self.properties = [_properties(p, t) for p, t in zip(popups, tooltips)]
        self._tree: shapely.STRtree | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tree"] = None  # rebuilt where it is used
        return state

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.pieces)
        return self._tree

    def near(self, bounds: tuple[float, float, float, float], tolerance_deg: float = 0.0
             ) -> list[tuple[int, list[tuple[shapely.Geometry, int]]]]:
        """Per kind (index into :attr:`kinds`), the features within lon/lat *bounds*, clipped to them."""
        found = self.near_many(np.asarray([bounds], dtype=float), np.asarray([tolerance_deg]))[0]
        merged: dict[int, list[tuple[shapely.Geometry, int]]] = {}
        for geom, f in found:
            merged.setdefault(int(self.feature_kind[f]), []).append((geom, f))
        return sorted(merged.items())

    def near_many(self, bounds: np.ndarray, tolerance_deg: np.ndarray) -> list[list[tuple[shapely.Geometry, int]]]:
        """For each row ``(west, south, east, north)`` of *bounds*: the features within it, clipped to it and
        simplified at its *tolerance_deg* (0: not simplified), as ``(geometry, feature)`` in feature order."""
        out: list[list[tuple[shapely.Geometry, int]]] = [[] for _ in range(len(bounds))]
        if len(bounds) == 0 or len(self.pieces) == 0:
            return out
        rows, idx = self.tree.query(shapely.box(bounds[:, 0], bounds[:, 1], bounds[:, 2], bounds[:, 3]))
        order = np.lexsort((idx, rows))
        rows, idx = rows[order], idx[order]
        cuts = np.searchsorted(rows, np.arange(len(bounds) + 1)).tolist()
        clipped = np.empty(len(idx), dtype=object)
        for r, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
            if b > a:
                west, south, east, north = bounds[r].tolist()
                clipped[a:b] = shapely.clip_by_rect(self.pieces[idx[a:b]], west, south, east, north)
        keep = ~shapely.is_empty(clipped)
        rows, idx, clipped = rows[keep], idx[keep], clipped[keep]
        if len(rows) == 0:
            return out
        # the pieces of each feature of each row, together (pieces in their order)
        features = self.piece_feature[idx]
        order = np.lexsort((idx, features, rows))
        rows, features, clipped = rows[order], features[order], clipped[order]
        starts = np.flatnonzero(np.r_[True, (rows[1:] != rows[:-1]) | (features[1:] != features[:-1])])
        stops = np.r_[starts[1:], len(rows)]
        geoms = clipped[starts]
        for k in np.flatnonzero(stops - starts > 1).tolist():
            geoms[k] = _merge(clipped[starts[k]:stops[k]])
        tolerance = np.asarray(tolerance_deg, dtype=float)[rows[starts]]
        coarse = tolerance > 0
        if coarse.any():
            geoms[coarse] = shapely.simplify(geoms[coarse], tolerance[coarse], preserve_topology=True)
        for r, f, geom in zip(rows[starts].tolist(), features[starts].tolist(), geoms.tolist()):
            out[r].append((geom, f))
        return out


def _merge(pieces: np.ndarray) -> shapely.Geometry:
    """The pieces of one feature as one geometry (they tile it: a coverage union, else a full union)."""
    types = shapely.get_type_id(pieces)
    if ((types == 3) | (types == 6)).all():
        try:
            return shapely.coverage_union_all(pieces)
        except shapely.errors.GEOSException:
            pass
    return shapely.union_all(pieces)


def _script_safe(text: str) -> str:
    """JSON text that cannot end or open an element inside ``<script>`` ("<", ">", "&" as JSON escapes)."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _rows(pairs: list[tuple[str, Any]]) -> list[list[str]]:
    return [[label, str(value)] for label, value in pairs if value not in (None, "", []) and _text(value)]


@dataclass
class MapJob:
    """What one project's map shows (plain data, WORKING_CRS geometry): built from a record, drawn anywhere."""

    project_id: str
    footprint: shapely.Geometry
    footprint_popup: list[list[str]]
    footprint_tooltip: str
    overlaps: list[tuple[shapely.Geometry, list[list[str]], str]] = field(default_factory=list)
    routes: list[tuple[str, shapely.Geometry, list[list[str]]]] = field(default_factory=list)


def map_job(project: ProjectRecord) -> MapJob:
    """The :class:`MapJob` of one screened project."""
    overlaps = [(geom, _rows(rows), tooltip) for geom, rows, tooltip in overlap_rows(project)]
    routes = [(role, geom, _rows(rows)) for role, geom, rows in route_rows(project)]
    return MapJob(project_id=project.project_id, footprint=project.geometry,
                  footprint_popup=_rows(footprint_rows(project)),
                  footprint_tooltip=project.name or project.project_id, overlaps=overlaps, routes=routes)


def _properties(popup: list[list[str]], tooltip: str | None) -> str:
    return json.dumps({"popup": popup, "tooltip": tooltip}, ensure_ascii=False)


def _feature(geojson: str, properties: str) -> str:
    return f'{{"type":"Feature","geometry":{geojson},"properties":{properties}}}'


@lru_cache(maxsize=4)
def _page_parts(inline: bool) -> tuple[str, str, str]:
    """map.html.j2 rendered once around two markers: (before the title, between title and data, after)."""
    page = environment().get_template("map.html.j2").render(
        title=_TITLE_MARK, data=_DATA_MARK, inline=inline_assets() if inline else None, assets=f"../{ASSETS_DIR}")
    head, rest = page.split(_TITLE_MARK)
    middle, tail = rest.split(_DATA_MARK)
    return head, middle, tail


_TITLE_MARK: Final = "\x00shgeo-title\x00"
_DATA_MARK: Final = "\x00shgeo-data\x00"


@lru_cache(maxsize=64)
def _layer_head(label: str, style_json: str) -> str:
    return (f'{{"label":{json.dumps(label, ensure_ascii=False)},"style":{style_json},'
            '"features":{"type":"FeatureCollection","features":[')


def _layer(label: str, style: dict[str, Any], features: list[str]) -> str:
    return _layer_head(label, json.dumps(style)) + ",".join(features) + "]}}"


def render_map_page(job: MapJob, context: MapContext, *, tiles: str | None = None, inline: bool = False) -> str:
    """The map.html text of one project (see the module docstring)."""
    return render_map_pages([job], context, tiles=tiles, inline=inline)[0]


def render_map_pages(jobs: list[MapJob], context: MapContext, *, tiles: str | None = None,
                     inline: bool = False) -> list[str]:
    """The map.html texts of several projects (as :func:`render_map_page`, the geometry work done for all
    of them at once)."""
    if not jobs:
        return []
    # the extent of each project (footprint and routes), its context square and its view
    extent = [(job.footprint, *(g for _, g, _ in job.routes)) for job in jobs]
    sizes = np.asarray([len(e) for e in extent])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    b = shapely.bounds(np.asarray([g for e in extent for g in e], dtype=object))
    xmin, ymin = np.fmin.reduceat(b[:, 0], starts), np.fmin.reduceat(b[:, 1], starts)
    xmax, ymax = np.fmax.reduceat(b[:, 2], starts), np.fmax.reduceat(b[:, 3], starts)
    size = np.maximum(xmax - xmin, ymax - ymin)
    # context: a square around the project, wide enough that a window of any usual aspect ratio
    # (up to 3:1) fitted to the project shows no clip edge
    half = 1.5 * size + CONTEXT_M
    cx, cy = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    margin = np.maximum(150.0, 0.25 * size)  # the view: the project and a margin of its surroundings
    squares = shapely.box(cx - half, cy - half, cx + half, cy + half)
    views = shapely.box(xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    own = [[job.footprint, *(g for g, _, _ in job.overlaps), *(g for _, g, _ in job.routes)] for job in jobs]
    shown = to_lonlat(np.concatenate([squares, views, display_geometries([g for o in own for g in o])]))
    n = len(jobs)
    geojson = shapely.to_geojson(shown[2 * n:]).tolist()
    tolerance_m = np.maximum(DISPLAY_TOLERANCE_M, 2 * half / 4000.0)
    tolerance_deg = np.where(tolerance_m > DISPLAY_TOLERANCE_M, tolerance_m / 111_000.0, 0.0)
    near = context.near_many(shapely.bounds(shown[:n]), tolerance_deg)
    near_json = iter(shapely.to_geojson(np.asarray([g for found in near for g, _ in found], dtype=object)).tolist())
    view_bounds = shapely.bounds(shown[n:2 * n]).tolist()

    source = tile_source(tiles)
    tail = (f'"tiles":{json.dumps(source, ensure_ascii=False)},'
            f'"banner":{json.dumps(SAMPLE_BANNER_TEXT if context.sample else None, ensure_ascii=False)}}}')
    head, middle, end = _page_parts(inline)
    pages = []
    offset = 0
    for job, mine_n, found, view in zip(jobs, map(len, own), near, view_bounds):
        mine = geojson[offset:offset + mine_n]
        offset += mine_n
        layers: list[str] = []
        by_kind: dict[int, list[str]] = {}
        for (_, f), geom_json in zip(found, near_json):
            by_kind.setdefault(int(context.feature_kind[f]), []).append(_feature(geom_json, context.properties[f]))
        for k in sorted(by_kind):
            kind = context.kinds[k]
            label = KINDS[kind].label_zh if kind in KINDS else kind
            style = KIND_STYLES.get(kind, {"color": "#555", "weight": 1, "fillOpacity": 0.2})
            layers.append(_layer(label, style, by_kind[k]))
        n_over = len(job.overlaps)
        if n_over:
            feats = [_feature(gj, _properties(rows, tip))
                     for gj, (_, rows, tip) in zip(mine[1:1 + n_over], job.overlaps)]
            layers.append(_layer("重叠部分", OVERLAP_STYLE, feats))
        layers.append(_layer("项目范围", FOOTPRINT_STYLE,
                             [_feature(mine[0], _properties(job.footprint_popup, job.footprint_tooltip))]))
        route_json = mine[1 + n_over:]
        for role, label in (("proposal", "原方案路径"), ("alternative", "避让替代路径")):
            feats = [_feature(gj, _properties(rows, label)) for gj, (r, _, rows) in zip(route_json, job.routes)
                     if r == role]
            if feats:
                layers.append(_layer(label, ROUTE_STYLES[role], feats))
        data = ('{"layers":[' + ",".join(layers) + "]," + f'"bounds":{json.dumps([round(v, 7) for v in view])},'
                + tail)
        pages.append(head + str(markupsafe.escape(f"{job.project_id} 项目筛查地图")) + middle + _script_safe(data)
                     + end)
    return pages
