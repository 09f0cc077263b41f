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
        west, south, east, north = bounds
        idx = np.sort(self.tree.query(shapely.box(west, south, east, north)))
        if len(idx) == 0:
            return []
        clipped = shapely.clip_by_rect(self.pieces[idx], west, south, east, north)
        keep = ~shapely.is_empty(clipped)
        idx, clipped = idx[keep], clipped[keep]
        features = self.piece_feature[idx]
        order = np.argsort(features, kind="stable")
        features, clipped = features[order], clipped[order]
        starts = np.flatnonzero(np.r_[True, features[1:] != features[:-1]]) if len(features) else []
        stops = list(starts[1:]) + [len(features)] if len(features) else []
        merged: dict[int, list[tuple[shapely.Geometry, int]]] = {}
        for s, e in zip(starts, stops):
            f = int(features[s])
            geom = clipped[s] if e - s == 1 else _merge(clipped[s:e])
            if tolerance_deg > 0:
                geom = shapely.simplify(geom, tolerance_deg, preserve_topology=True)
            merged.setdefault(int(self.feature_kind[f]), []).append((geom, f))
        return sorted(merged.items())


def _merge(pieces: np.ndarray) -> shapely.Geometry:
    """The pieces of one feature as one geometry (they tile it: a coverage union, else a full union)."""
    if np.all(np.isin(shapely.get_type_id(pieces), (3, 6))):
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


def _collection(features: list[str]) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _layer(label: str, style: dict[str, Any], features: list[str]) -> str:
    return (f'{{"label":{json.dumps(label, ensure_ascii=False)},"style":{json.dumps(style)},'
            f'"features":{_collection(features)}}}')


def render_map_page(job: MapJob, context: MapContext, *, tiles: str | None = None, inline: bool = False) -> str:
    """The map.html text of one project (see the module docstring)."""
    routes = [g for _, g, _ in job.routes]
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray([job.footprint, *routes], dtype=object))
    size = max(xmax - xmin, ymax - ymin)
    # context: a square around the project, wide enough that a window of any usual aspect ratio
    # (up to 3:1) fitted to the project shows no clip edge
    half = 1.5 * size + CONTEXT_M
    cx, cy = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    margin = max(150.0, 0.25 * size)  # the view: the project and a margin of its surroundings
    own = display_geometries([job.footprint, *(g for g, _, _ in job.overlaps), *routes])
    shown = to_lonlat(np.concatenate([
        np.asarray([shapely.box(cx - half, cy - half, cx + half, cy + half),
                    shapely.box(xmin - margin, ymin - margin, xmax + margin, ymax + margin)], dtype=object), own]))
    geojson = shapely.to_geojson(shown[2:]).tolist()
    tolerance_m = max(DISPLAY_TOLERANCE_M, 2 * half / 4000.0)
    tolerance_deg = tolerance_m / 111_000.0 if tolerance_m > DISPLAY_TOLERANCE_M else 0.0

    layers: list[str] = []
    for k, found in context.near(tuple(shapely.bounds(shown[0]).tolist()), tolerance_deg):
        kind = context.kinds[k]
        text = shapely.to_geojson(np.asarray([g for g, _ in found], dtype=object)).tolist()
        feats = [_feature(gj, context.properties[f]) for gj, (_, f) in zip(text, found)]
        label = KINDS[kind].label_zh if kind in KINDS else kind
        layers.append(_layer(label, KIND_STYLES.get(kind, {"color": "#555", "weight": 1, "fillOpacity": 0.2}), feats))
    n_over = len(job.overlaps)
    if n_over:
        feats = [_feature(gj, _properties(rows, tip)) for gj, (_, rows, tip) in zip(geojson[1:1 + n_over], job.overlaps)]
        layers.append(_layer("重叠部分", OVERLAP_STYLE, feats))
    layers.append(_layer("项目范围", FOOTPRINT_STYLE,
                         [_feature(geojson[0], _properties(job.footprint_popup, job.footprint_tooltip))]))
    route_json = geojson[1 + n_over:]
    for role, label in (("proposal", "原方案路径"), ("alternative", "避让替代路径")):
        feats = [_feature(gj, _properties(rows, label)) for gj, (r, _, rows) in zip(route_json, job.routes) if r == role]
        if feats:
            layers.append(_layer(label, ROUTE_STYLES[role], feats))
    view = [round(v, 7) for v in shapely.bounds(shown[1]).tolist()]
    source = tile_source(tiles)
    data = ('{"layers":[' + ",".join(layers) + "]," + f'"bounds":{json.dumps(view)},'
            f'"tiles":{json.dumps(source, ensure_ascii=False)},'
            f'"banner":{json.dumps(SAMPLE_BANNER_TEXT if context.sample else None, ensure_ascii=False)}}}')
    return environment().get_template("map.html.j2").render(
        title=f"{job.project_id} 项目筛查地图", data=_script_safe(data),
        inline=inline_assets() if inline else None, assets=f"../{ASSETS_DIR}")
