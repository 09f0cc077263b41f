"""What every map shows, whichever way it is drawn: styles, popup rows, tiles, display simplification.

Shared by the map pages of an output folder (:mod:`shgeo.outputs.map_page`)
and the folium maps of notebooks (:mod:`shgeo.outputs.maps`).  Popup rows are
``(label, value)`` pairs of plain text; each renderer escapes them its own way.
Geometry is in WORKING_CRS here.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from ..crs import WORKING_CRS
from ..errors import ShgeoError
from ..library.kinds import KINDS
from .report_html import FLAG_ZH, OVERALL_ZH

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord

__all__ = [
    "KIND_STYLES", "FOOTPRINT_STYLE", "OVERLAP_STYLE", "ROUTE_STYLES", "CONTEXT_M", "SAMPLE_BANNER_TEXT",
    "OSM_TILES", "check_tiles", "tile_source", "display_geometries", "fmt_area", "footprint_rows",
    "overlap_rows", "route_rows",
]

log = logging.getLogger(__name__)

#: Leaflet path styles per layer kind (drawing order: as listed).
KIND_STYLES: Final[dict[str, dict[str, Any]]] = {
    "sea": {"color": "#74a9cf", "weight": 0, "fillColor": "#a6cee3", "fillOpacity": 0.35},
    "district": {"color": "#636363", "weight": 1.5, "dashArray": "6 4", "fill": False},
    "construction_land": {"color": "#969696", "weight": 1, "fillColor": "#bdbdbd", "fillOpacity": 0.3},
    "island": {"color": "#8c510a", "weight": 1, "fillColor": "#d8b365", "fillOpacity": 0.5},
    "protected_area": {"color": "#1a9641", "weight": 1, "fillColor": "#a6d96a", "fillOpacity": 0.3},
    "redline": {"color": "#d7191c", "weight": 1.5, "fillColor": "#fc8d59", "fillOpacity": 0.3},
    "water_source_l1": {"color": "#2b83ba", "weight": 1.5, "fillColor": "#2b83ba", "fillOpacity": 0.35},
    "groundwater_village": {"color": "#7b3294", "weight": 1.5, "fillColor": "#c2a5cf", "fillOpacity": 0.35},
    "core_zone": {"color": "#67000d", "weight": 2, "fillColor": "#a50f15", "fillOpacity": 0.45},
}
FOOTPRINT_STYLE: Final = {"color": "#000000", "weight": 3, "fillColor": "#ffff33", "fillOpacity": 0.2}
OVERLAP_STYLE: Final = {"color": "#e7298a", "weight": 4, "fillColor": "#e7298a", "fillOpacity": 0.55}
ROUTE_STYLES: Final = {
    "proposal": {"color": "#000000", "weight": 3, "dashArray": "2 6"},
    "alternative": {"color": "#00a651", "weight": 4, "dashArray": "10 6"},
}
#: metres around a project drawn on its map (at least; larger projects get half their extent)
CONTEXT_M: Final = 1500.0
SAMPLE_BANNER_TEXT: Final = "样例数据——不得用于正式审查 / SAMPLE DATA — not for official screening"
OSM_TILES: Final = {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "attribution": "&copy; OpenStreetMap contributors"}
_GCJ_HOSTS: Final = ("amap", "autonavi", "gaode", "baidu", "bdimg", "bdstatic", "map.qq", "gtimg", "tencent")
#: an http(s) URL template: no spaces, quotes, angle brackets or backslashes
_TILE_URL: Final = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?/[^\s\"'<>\\`]*$")
#: footprints and overlaps with more vertices than this are simplified for display
_DISPLAY_VERTICES: Final = 2_000
_MAX_DISPLAY_VERTICES: Final = 20_000


def check_tiles(tiles: str | None) -> str | None:
    """The tiles option normalised: None (no tiles: ``None``, ``""``, ``"none"``), ``"osm"``, or an
    http/https URL template with ``{z}``, ``{x}`` and ``{y}``; anything else raises :class:`ShgeoError`."""
    if tiles is None:
        return None
    text = str(tiles).strip()
    if text.lower() in ("", "none"):
        return None
    if text.lower() == "osm":
        return "osm"
    if not _TILE_URL.match(text) or not all(p in text for p in ("{z}", "{x}", "{y}")):
        raise ShgeoError(f"tiles {text!r} is not allowed: use none, osm, or an http:// or https:// URL template "
                         "with {z}, {x} and {y} (e.g. https://tile.example.org/{z}/{x}/{y}.png)")
    return text


@lru_cache(maxsize=32)
def _warn_offset(url: str) -> None:
    """Warn (once per URL) that web-map tiles in GCJ-02/BD-09 do not line up with the layers."""
    log.warning("tiles %s look like AMap/Tencent (GCJ-02) or Baidu (BD-09) tiles: they are offset by "
                "hundreds of metres from the CGCS2000/WGS84 layers drawn on them", url)


def tile_source(tiles: str | None) -> dict[str, str] | None:
    """``{"url", "attribution"}`` of the tile layer asked for (attribution HTML-escaped), or None."""
    import html

    checked = check_tiles(tiles)
    if checked is None:
        return None
    if checked == "osm":
        return dict(OSM_TILES)
    if any(host in checked.lower() for host in _GCJ_HOSTS):
        _warn_offset(checked)
    return {"url": checked, "attribution": html.escape(re.sub(r"^\w+://", "", checked).split("/")[0])}


def display_geometries(geoms: Any) -> np.ndarray:
    """*geoms* (WORKING_CRS) for drawing: those with more than 2,000 vertices simplified (topology kept)
    at a tolerance of 1/20,000 of their extent, coarser until under 20,000 vertices.  For display only."""
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
    out = arr.copy()
    if len(arr) == 0:
        return out
    for i in np.flatnonzero(shapely.get_num_coordinates(arr) > _DISPLAY_VERTICES):
        geom = arr[i]
        xmin, ymin, xmax, ymax = geom.bounds
        tolerance = max(0.1, max(xmax - xmin, ymax - ymin) / 20_000.0)
        shown = shapely.simplify(geom, tolerance, preserve_topology=True)
        while shapely.get_num_coordinates(shown) > _MAX_DISPLAY_VERTICES:
            tolerance *= 2
            shown = shapely.simplify(geom, tolerance, preserve_topology=True)
        out[i] = shown
    return out


def fmt_area(m2: float | None) -> str:
    """An area as ``1,234 m²（0.12 公顷）``."""
    if m2 is None or not np.isfinite(m2):
        return ""
    return f"{m2:,.0f} m²（{m2 / 10000:,.2f} 公顷）"


def _clean(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def footprint_rows(project: ProjectRecord) -> list[tuple[str, Any]]:
    """Popup rows of a footprint: id, name, size, districts, overall, flags, repair."""
    geom = project.geometry
    facts = project.facts or {}
    details = facts.get("details", {}) or {}
    size = (("面积", fmt_area(geom.area)) if geom.area > 0
            else ("长度", f"{geom.length:,.0f} m") if geom.length > 0 else ("类型", "点"))
    flags = [FLAG_ZH.get(f, f) for f in details.get("flags") or []]
    return [
        ("项目编号", project.project_id),
        ("项目名称", project.name),
        size,
        ("涉及区", "、".join(map(str, facts.get("districts") or []))),
        ("筛查结论", OVERALL_ZH.get(project.overall or "", project.overall or project.error or "")),
        ("提示", "；".join(flags) if flags else None),
        ("几何修复", details.get("repair")),
    ]


def overlap_rows(project: ProjectRecord) -> list[tuple[shapely.Geometry, list[tuple[str, Any]], str]]:
    """(geometry, popup rows, tooltip) of each overlap piece of a project (near misses have no piece)."""
    rows = project.hit_rows
    if rows is None or len(rows) == 0:
        return []
    cols = {c: rows.column(c) for c in ("geometry", "relation", "kind", "name", "code", "area_m2", "length_m",
                                        "share")}
    out = []
    for i in range(len(rows)):
        geom = cols["geometry"][i]
        if geom is None or geom.is_empty or cols["relation"][i] not in (None, "overlap"):
            continue
        kind = cols["kind"][i]
        label = KINDS[kind].label_zh if kind in KINDS else kind
        share, length, area = _clean(cols["share"][i]), _clean(cols["length_m"][i]), _clean(cols["area_m2"][i])
        name = _clean(cols["name"][i])
        out.append((geom, [
            ("项目编号", project.project_id),
            ("重叠图层", label),
            ("名称", name),
            ("编码", _clean(cols["code"][i])),
            ("重叠面积", fmt_area(area) if area else None),
            ("重叠长度", f"{length:,.1f} m" if length else None),
            ("占项目比例", f"{share * 100:.1f}%" if share is not None else None),
        ], f"{label} {name}" if name is not None else str(label)))
    return out


def _routes_from_report(block: dict[str, Any] | None) -> gpd.GeoDataFrame | None:
    """Proposal/alternative rebuilt from a report's avoidance block (GeoJSON in its ``geometry_crs``)."""
    if not isinstance(block, dict):
        return None
    rows = []
    for role in ("proposal", "alternative"):
        part = block.get(role)
        if isinstance(part, dict) and isinstance(part.get("geometry"), dict):
            rows.append({"role": role, **{k: v for k, v in part.items() if k != "geometry"},
                         "geometry": shapely.geometry.shape(part["geometry"])})
    if not rows:
        return None
    crs = block.get("geometry_crs") or "EPSG:4490"
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs(WORKING_CRS)


def route_rows(project: ProjectRecord) -> list[tuple[str, shapely.Geometry, list[tuple[str, Any]]]]:
    """(role, geometry, popup rows) of the avoidance proposal and alternative, when there are any."""
    routes = project.routes if project.routes is not None else _routes_from_report(project.avoidance)
    if routes is None or len(routes) == 0 or "role" not in routes.columns:
        return []
    routes = routes.to_crs(WORKING_CRS)
    out = []
    for row in routes.itertuples(index=False):
        get = row._asdict().get
        role = get("role")
        if role not in ROUTE_STYLES:
            continue
        out.append((role, get("geometry"), [
            ("路径", "原方案路径" if role == "proposal" else "避让替代路径"),
            ("总长度", f"{get('geometry').length:,.0f} m"),
            ("红线内长度",
             f"{get('redline_length_m'):,.0f} m" if _clean(get("redline_length_m")) is not None else None),
            ("绕行系数", f"{get('detour_factor'):.2f}" if _clean(get("detour_factor")) is not None else None),
        ]))
    return out
