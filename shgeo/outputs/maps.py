"""Offline folium maps of screened projects.

A map shows the footprint, its overlap pieces, the avoidance alternative when
there is one, and the library's layers clipped to the project's surroundings,
one toggle per layer kind (LayerControl) with a legend in Chinese, a scale
bar, fitted to the project.

Offline: Leaflet 1.9.4 (``shgeo/static``, BSD-2-Clause) is inlined into the
page, with its images as data URIs; folium's other default assets (jQuery,
Bootstrap, Font Awesome, awesome-markers) are not used, so the page makes no
request at all unless a tile layer is asked for (``tiles="osm"`` or an URL
template).  Web-map tiles of AMap/Tencent (GCJ-02) or Baidu (BD-09) would be
offset by a few hundred metres from the CGCS2000/WGS84 data: a warning says so.

Every attribute value shown in a popup is HTML-escaped in Python before it
reaches the page (folium's GeoJsonPopup inserts values as HTML), so a
feature named ``<script>…`` is shown as text.  Geometry is reprojected to
EPSG:4326 for Leaflet.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from ..crs import WORKING_CRS
from ..library.kinds import KINDS
from .report_html import OVERALL_ZH

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from ..records import ProjectRecord, ScreenRecord

__all__ = ["project_map", "project_map_html", "batch_map", "KIND_STYLES", "offline_map"]

log = logging.getLogger(__name__)

#: Leaflet path styles per layer kind (drawing order: as listed).
KIND_STYLES: dict[str, dict[str, Any]] = {
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
_FOOTPRINT_STYLE = {"color": "#000000", "weight": 3, "fillColor": "#ffff33", "fillOpacity": 0.2}
_OVERLAP_STYLE = {"color": "#e7298a", "weight": 4, "fillColor": "#e7298a", "fillOpacity": 0.55}
_ROUTE_STYLES = {
    "proposal": {"color": "#000000", "weight": 3, "dashArray": "2 6"},
    "alternative": {"color": "#00a651", "weight": 4, "dashArray": "10 6"},
}
_GCJ_HOSTS = ("amap", "autonavi", "gaode", "baidu", "bdimg", "bdstatic", "map.qq", "gtimg", "tencent")

_SAMPLE_BANNER_HTML = (
    "<div id='shgeo-sample-banner' style='position:absolute;top:10px;left:50%;transform:translateX(-50%);"
    "z-index:1000;background:#b30000;color:#fff;font:bold 13px/1.4 sans-serif;padding:4px 12px;"
    "border-radius:4px;pointer-events:none'>样例数据——不得用于正式审查 / SAMPLE DATA — not for official screening</div>"
)

#: metres around a project drawn on its map (at least; larger projects get half their extent)
_CONTEXT_M = 1500.0


# --------------------------------------------------------------------------- offline assets


def _static(name: str) -> bytes:
    return (resources.files("shgeo.outputs") / "static" / name).read_bytes()


@lru_cache(maxsize=1)
def _inline_assets() -> str:
    """Leaflet's CSS (images as data URIs) and JS, ready to go into the page's <head>."""
    css = _static("leaflet.css").decode("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        png = base64.b64encode(_static(match.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    css = re.sub(r"url\(images/([\w-]+\.png)\)", data_uri, css)
    js = _static("leaflet.js").decode("utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    # a literal "</script" inside the script would end it early
    js = js.replace("</script", "<\\/script")
    return f"<style>{css}</style>\n<script>{js}</script>\n"


def offline_map(**kwargs: Any) -> folium.Map:
    """A folium.Map with Leaflet inlined and no other default assets (no network needed)."""
    import folium
    from branca.element import Element

    class _OfflineMap(folium.Map):
        default_js: list = []
        default_css: list = []

    m = _OfflineMap(**kwargs)
    m.get_root().header.add_child(Element(_inline_assets()), name="shgeo_leaflet", index=0)
    return m


@lru_cache(maxsize=32)
def _warn_offset(url: str) -> None:
    """Warn (once per URL) that web-map tiles in GCJ-02/BD-09 do not line up with the layers."""
    log.warning("tiles %s look like AMap/Tencent (GCJ-02) or Baidu (BD-09) tiles: they are offset by "
                "hundreds of metres from the CGCS2000/WGS84 layers drawn on them", url)


def _tile_layer(m: folium.Map, tiles: str | None) -> None:
    import folium

    if tiles is None or str(tiles).lower() in ("", "none"):
        return
    if str(tiles).lower() == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
        return
    url = str(tiles)
    if any(host in url.lower() for host in _GCJ_HOSTS):
        _warn_offset(url)
    host = re.sub(r"^\w+://", "", url).split("/")[0]
    folium.TileLayer(tiles=url, attr=html.escape(host), name="底图", control=True).add_to(m)


# --------------------------------------------------------------------------- features


def _fmt_area(m2: float | None) -> str:
    if m2 is None or not np.isfinite(m2):
        return ""
    return f"{m2:,.0f} m²（{m2 / 10000:,.2f} 公顷）"


def _popup(rows: list[tuple[str, Any]]) -> str:
    """A small HTML table; every label and value escaped here (folium inserts it as HTML)."""
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows if v not in (None, "", [])
    )
    return f"<table class='shgeo-popup'>{cells}</table>"


def _clean(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _to_lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        gdf = gdf.set_crs(WORKING_CRS)
    return gdf.to_crs(4326)


def _add_geojson(group: Any, gdf: gpd.GeoDataFrame, style: dict[str, Any]) -> None:
    import folium

    if len(gdf) == 0:
        return
    gdf = _to_lonlat(gdf[["_popup", "geometry"]])
    folium.GeoJson(
        gdf.__geo_interface__,
        style_function=lambda _f, s=style: s,
        highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.6},
        popup=folium.GeoJsonPopup(fields=["_popup"], labels=False),
        # points as circles: Leaflet's default marker icon would be a file next to the page
        marker=folium.CircleMarker(radius=7, fill=True),
        smooth_factor=0.5,
    ).add_to(group)


def _context(library: Any, kind: str, box: shapely.Geometry, tolerance: float) -> gpd.GeoDataFrame:
    """Features of *kind* within *box*, clipped to it and simplified (metres, WORKING_CRS).

    Popups give the whole feature's name, code, category and area (m², ha).
    """
    layer = library.layer(kind)
    idx = np.sort(library.tree(kind).query(box, predicate="intersects"))
    whole = np.asarray(layer.geometry.array, dtype=object)[idx]
    xmin, ymin, xmax, ymax = box.bounds
    geoms = shapely.simplify(shapely.clip_by_rect(whole, xmin, ymin, xmax, ymax), tolerance, preserve_topology=True)
    keep = ~shapely.is_empty(geoms) if len(idx) else np.zeros(0, dtype=bool)
    label = KINDS[kind].label_zh if kind in KINDS else kind
    popups = []
    for pos, area in zip(idx[keep], shapely.area(whole[keep])):
        row = layer.iloc[pos]
        popups.append(_popup([
            ("图层", label),
            ("名称", _clean(row.get("name"))),
            ("编码", _clean(row.get("code"))),
            ("类别", _clean(row.get("category"))),
            ("要素编号", _clean(row.get("feature_id"))),
            ("面积", _fmt_area(area)),
        ]))
    return gpd.GeoDataFrame({"_popup": popups}, geometry=gpd.GeoSeries(geoms[keep], crs=WORKING_CRS))


def _footprint_frame(projects: list[ProjectRecord]) -> gpd.GeoDataFrame:

    rows, geoms = [], []
    for p in projects:
        if p.footprint is None:
            continue
        geom = p.footprint.geometry.iloc[0]
        details = (p.facts or {}).get("details", {}) or {}
        size = (("面积", _fmt_area(geom.area)) if geom.area > 0
                else ("长度", f"{geom.length:,.0f} m") if geom.length > 0 else ("类型", "点"))
        rows.append(_popup([
            ("项目编号", p.project_id),
            ("项目名称", p.name),
            size,
            ("涉及区", "、".join(map(str, (p.facts or {}).get("districts") or []))),
            ("筛查结论", OVERALL_ZH.get(p.overall or "", p.overall or p.error or "")),
            ("几何修复", details.get("repair")),
        ]))
        geoms.append(geom)
    return gpd.GeoDataFrame({"_popup": rows}, geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS))


def _overlap_frame(projects: list[ProjectRecord]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for p in projects:
        hits = p.overlaps
        if hits is None or len(hits) == 0:
            continue
        for row in hits.itertuples(index=False):
            get = row._asdict().get
            geom = get("geometry")
            if geom is None or geom.is_empty or get("relation") not in (None, "overlap"):
                continue
            share = _clean(get("share"))
            length = _clean(get("length_m"))
            rows.append(_popup([
                ("项目编号", p.project_id),
                ("重叠图层", KINDS[get("kind")].label_zh if get("kind") in KINDS else get("kind")),
                ("名称", _clean(get("name"))),
                ("编码", _clean(get("code"))),
                ("重叠面积", _fmt_area(_clean(get("area_m2")) or 0.0) if (_clean(get("area_m2")) or 0) > 0 else None),
                ("重叠长度", f"{length:,.1f} m" if length else None),
                ("占项目比例", f"{share * 100:.1f}%" if share is not None else None),
            ]))
            geoms.append(geom)
    return gpd.GeoDataFrame({"_popup": rows}, geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS))


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


def _route_frame(project: ProjectRecord, role: str) -> gpd.GeoDataFrame:
    routes = project.routes if project.routes is not None else _routes_from_report(project.avoidance)
    empty = gpd.GeoDataFrame({"_popup": []}, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
    if routes is None or len(routes) == 0 or "role" not in routes.columns:
        return empty
    sub = routes[routes["role"] == role].to_crs(WORKING_CRS)
    if len(sub) == 0:
        return empty
    label = "原方案路径" if role == "proposal" else "避让替代路径"
    popups = []
    for row in sub.itertuples(index=False):
        get = row._asdict().get
        popups.append(_popup([
            ("路径", label),
            ("总长度", f"{get('geometry').length:,.0f} m"),
            ("红线内长度",
             f"{get('redline_length_m'):,.0f} m" if _clean(get("redline_length_m")) is not None else None),
            ("绕行系数", f"{get('detour_factor'):.2f}" if _clean(get("detour_factor")) is not None else None),
        ]))
    return gpd.GeoDataFrame({"_popup": popups}, geometry=gpd.GeoSeries(list(sub.geometry), crs=WORKING_CRS))


def _legend(entries: list[tuple[str, dict[str, Any]]]) -> str:
    items = []
    for label, style in entries:
        fill = style.get("fillColor", "transparent") if style.get("fill", True) else "transparent"
        border = style.get("color", "#000")
        dash = "dashed" if style.get("dashArray") else "solid"
        items.append(
            f"<div><span style='display:inline-block;width:14px;height:10px;margin-right:6px;"
            f"background:{fill};border:2px {dash} {border};opacity:0.9'></span>{html.escape(label)}</div>")
    return (
        "<div id='shgeo-legend' style='position:absolute;bottom:28px;right:10px;z-index:1000;"
        "background:rgba(255,255,255,0.92);padding:6px 10px;border-radius:4px;font:12px/1.5 sans-serif;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.3)'><b>图例</b>" + "".join(items) + "</div>"
    )


def _build(projects: list[ProjectRecord], library: Any, *, tiles: str | None, title: str) -> folium.Map:
    import folium
    from branca.element import Element

    fp = _footprint_frame(projects)
    if len(fp) == 0:
        raise ValueError("nothing to draw: no screened footprint")
    routes = [(_route_frame(p, "proposal"), _route_frame(p, "alternative")) for p in projects]
    extent_geoms = list(fp.geometry) + [g for pr, alt in routes for g in list(alt.geometry)]
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray(extent_geoms, dtype=object))
    # context is clipped to a square around the project, wide enough that a window of any
    # usual aspect ratio (up to 3:1) fitted to the project shows no clip edge
    half = 1.5 * max(xmax - xmin, ymax - ymin) + _CONTEXT_M
    cx, cy = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    box = shapely.box(cx - half, cy - half, cx + half, cy + half)
    tolerance = max(1.0, (box.bounds[2] - box.bounds[0]) / 4000.0)

    m = offline_map(location=[31.2, 121.5], zoom_start=11, tiles=None, control_scale=True,
                    prefer_canvas=False, max_zoom=19)
    m.get_root().header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="shgeo_title")
    _tile_layer(m, tiles)
    legend: list[tuple[str, dict[str, Any]]] = []
    kinds = list(getattr(library, "kinds", [])) if library is not None else []
    for kind in sorted(kinds, key=lambda k: list(KIND_STYLES).index(k) if k in KIND_STYLES else 99):
        ctx = _context(library, kind, box, tolerance)
        if len(ctx) == 0:
            continue
        style = KIND_STYLES.get(kind, {"color": "#555", "weight": 1, "fillOpacity": 0.2})
        label = KINDS[kind].label_zh if kind in KINDS else kind
        group = folium.FeatureGroup(name=html.escape(label), show=True)
        _add_geojson(group, ctx, style)
        group.add_to(m)
        legend.append((label, style))

    ov = _overlap_frame(projects)
    if len(ov):
        group = folium.FeatureGroup(name="重叠部分", show=True)
        _add_geojson(group, ov, _OVERLAP_STYLE)
        group.add_to(m)
        legend.append(("重叠部分", _OVERLAP_STYLE))
    group = folium.FeatureGroup(name="项目范围", show=True)
    _add_geojson(group, fp, _FOOTPRINT_STYLE)
    group.add_to(m)
    legend.append(("项目范围", _FOOTPRINT_STYLE))
    for role, label, idx in (("proposal", "原方案路径", 0), ("alternative", "避让替代路径", 1)):
        frames = [r[idx] for r in routes if len(r[idx])]
        if frames:
            group = folium.FeatureGroup(name=label, show=True)
            for frame in frames:
                _add_geojson(group, frame, _ROUTE_STYLES[role])
            group.add_to(m)
            legend.append((label, _ROUTE_STYLES[role]))

    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(Element(_legend(legend)), name="shgeo_legend")
    if getattr(library, "is_sample", False):
        m.get_root().html.add_child(Element(_SAMPLE_BANNER_HTML), name="shgeo_sample_banner")
    # fitted to the project, with a margin of its surroundings (a quarter of its extent, at least 150 m)
    margin = max(150.0, 0.25 * max(xmax - xmin, ymax - ymin))
    view = shapely.box(xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    west, south, east, north = _to_lonlat(gpd.GeoDataFrame(geometry=gpd.GeoSeries([view], crs=WORKING_CRS))
                                          ).total_bounds
    m.fit_bounds([[south, west], [north, east]], max_zoom=17)
    return m


def project_map(project: ProjectRecord, library: Any, *, tiles: str | None = None) -> folium.Map:
    """The folium map of one screened project (works offline; see the module docstring)."""
    return _build([project], library, tiles=tiles, title=f"{project.project_id} 项目筛查地图")


def project_map_html(project: ProjectRecord, library: Any, *, tiles: str | None = None) -> str:
    """The standalone map.html text of one project."""
    return project_map(project, library, tiles=tiles).get_root().render()


def batch_map(result: ScreenRecord, *, tiles: str | None = None) -> folium.Map:
    """One map of every screened project of *result*."""
    return _build([p for p in result.projects if p.footprint is not None], result.library, tiles=tiles,
                  title="项目筛查地图")
