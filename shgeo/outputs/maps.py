"""Folium maps of screened projects, for notebooks (``ProjectResult.map()``, ``ScreenResult.map()``).

A map shows the footprint, its overlap pieces, the avoidance alternative when
there is one, and the library's layers clipped to the project's surroundings,
one toggle per layer kind (LayerControl) with a legend in Chinese, a scale
bar, fitted to the project.  The map.html files of an output folder are
written without folium, from a prepared template (:mod:`shgeo.outputs.map_page`);
both draw what :mod:`shgeo.outputs.display` describes.

Offline: Leaflet 1.9.4 is inlined into the page (:mod:`shgeo.outputs.assets`);
folium's other default assets (jQuery, Bootstrap, Font Awesome) are not used,
so the page makes no request unless a tile layer is asked for (``tiles="osm"``
or an http(s) URL template).  Every value shown in a popup is HTML-escaped in
Python before it reaches the page (folium's GeoJsonPopup inserts values as
HTML).  Large footprints and overlaps are simplified for display only.
"""

from __future__ import annotations

import html
import logging
import warnings
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from ..crs import WORKING_CRS
from ..library.kinds import KINDS
from .assets import inline_leaflet_html
from . import display
from .display import KIND_STYLES

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from ..records import ProjectRecord, ScreenRecord

__all__ = ["project_map", "batch_map", "KIND_STYLES", "offline_map"]

log = logging.getLogger(__name__)

_SAMPLE_BANNER_HTML = (
    "<div id='shgeo-sample-banner' style='position:absolute;top:10px;left:50%;transform:translateX(-50%);"
    "z-index:1000;background:#b30000;color:#fff;font:bold 13px/1.4 sans-serif;padding:4px 12px;"
    f"border-radius:4px;pointer-events:none'>{html.escape(display.SAMPLE_BANNER_TEXT)}</div>"
)


def offline_map(**kwargs: Any) -> folium.Map:
    """A folium.Map with Leaflet inlined and no other default assets (no network needed)."""
    import folium
    from branca.element import Element

    class _OfflineMap(folium.Map):
        default_js: list = []
        default_css: list = []

    m = _OfflineMap(**kwargs)
    m.get_root().header.add_child(Element(inline_leaflet_html()), name="shgeo_leaflet", index=0)
    return m


def _tile_layer(m: folium.Map, tiles: str | None) -> None:
    import folium

    source = display.tile_source(tiles)
    if source is None:
        return
    folium.TileLayer(tiles=source["url"], attr=source["attribution"], name="底图", control=True).add_to(m)


def _popup(rows: list[tuple[str, Any]]) -> str:
    """A small HTML table; every label and value escaped here (folium inserts it as HTML)."""
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows if v not in (None, "", []))
    return f"<table class='shgeo-popup'>{cells}</table>"


def _frame(geoms: list[shapely.Geometry], popups: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"_popup": popups}, geometry=gpd.GeoSeries(display.display_geometries(geoms), crs=WORKING_CRS))


def _add_geojson(group: Any, gdf: gpd.GeoDataFrame, style: dict[str, Any]) -> None:
    import folium

    if len(gdf) == 0:
        return
    gdf = gdf[["_popup", "geometry"]].to_crs(4326)
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
    """Features of *kind* within *box*, clipped to it and simplified (metres, WORKING_CRS)."""
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
        popups.append(_popup([("图层", label), ("名称", row.get("name")), ("编码", row.get("code")),
                              ("类别", row.get("category")), ("要素编号", row.get("feature_id")),
                              ("面积", display.fmt_area(area))]))
    return gpd.GeoDataFrame({"_popup": popups}, geometry=gpd.GeoSeries(geoms[keep], crs=WORKING_CRS))


def _legend(entries: list[tuple[str, dict[str, Any]]]) -> str:
    items = []
    for label, style in entries:
        fill = style.get("fillColor", "transparent") if style.get("fill", True) else "transparent"
        dash = "dashed" if style.get("dashArray") else "solid"
        items.append(
            f"<div><span style='display:inline-block;width:14px;height:10px;margin-right:6px;"
            f"background:{fill};border:2px {dash} {style.get('color', '#000')};opacity:0.9'></span>"
            f"{html.escape(label)}</div>")
    return ("<div id='shgeo-legend' style='position:absolute;bottom:28px;right:10px;z-index:1000;"
            "background:rgba(255,255,255,0.92);padding:6px 10px;border-radius:4px;font:12px/1.5 sans-serif;"
            "box-shadow:0 1px 4px rgba(0,0,0,0.3)'><b>图例</b>" + "".join(items) + "</div>")


def _build(projects: list[ProjectRecord], library: Any, *, tiles: str | None, title: str) -> folium.Map:
    import folium
    from branca.element import Element

    drawn = [p for p in projects if p.geometry is not None]
    if not drawn:
        raise ValueError("nothing to draw: no screened footprint")
    fp = _frame([p.geometry for p in drawn], [_popup(display.footprint_rows(p)) for p in drawn])
    routes = [r for p in drawn for r in display.route_rows(p)]
    extent = list(fp.geometry) + [g for _, g, _ in routes]
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray(extent, dtype=object))
    # context is clipped to a square around the project, wide enough that a window of any
    # usual aspect ratio (up to 3:1) fitted to the project shows no clip edge
    half = 1.5 * max(xmax - xmin, ymax - ymin) + display.CONTEXT_M
    cx, cy = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    box = shapely.box(cx - half, cy - half, cx + half, cy + half)
    tolerance = max(1.0, (2 * half) / 4000.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
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
        pieces = [(g, _popup(rows)) for p in drawn for g, rows, _ in display.overlap_rows(p)]
        if pieces:
            group = folium.FeatureGroup(name="重叠部分", show=True)
            _add_geojson(group, _frame([g for g, _ in pieces], [t for _, t in pieces]), display.OVERLAP_STYLE)
            group.add_to(m)
            legend.append(("重叠部分", display.OVERLAP_STYLE))
        group = folium.FeatureGroup(name="项目范围", show=True)
        _add_geojson(group, fp, display.FOOTPRINT_STYLE)
        group.add_to(m)
        legend.append(("项目范围", display.FOOTPRINT_STYLE))
        for role, label in (("proposal", "原方案路径"), ("alternative", "避让替代路径")):
            mine = [(g, _popup(rows)) for r, g, rows in routes if r == role]
            if mine:
                group = folium.FeatureGroup(name=label, show=True)
                _add_geojson(group, _frame([g for g, _ in mine], [t for _, t in mine]), display.ROUTE_STYLES[role])
                group.add_to(m)
                legend.append((label, display.ROUTE_STYLES[role]))
        folium.LayerControl(collapsed=False).add_to(m)
        m.get_root().html.add_child(Element(_legend(legend)), name="shgeo_legend")
        if getattr(library, "is_sample", False):
            m.get_root().html.add_child(Element(_SAMPLE_BANNER_HTML), name="shgeo_sample_banner")
        # fitted to the project, with a margin of its surroundings (a quarter of its extent, at least 150 m)
        margin = max(150.0, 0.25 * max(xmax - xmin, ymax - ymin))
        view = shapely.box(xmin - margin, ymin - margin, xmax + margin, ymax + margin)
        west, south, east, north = gpd.GeoSeries([view], crs=WORKING_CRS).to_crs(4326).total_bounds
        m.fit_bounds([[south, west], [north, east]], max_zoom=17)
    for w in caught:
        log.warning("building the map %r: %s (%s)", title, w.message, w.category.__name__)
    return m


def project_map(project: ProjectRecord, library: Any, *, tiles: str | None = None) -> folium.Map:
    """The folium map of one screened project (works offline; see the module docstring)."""
    return _build([project], library, tiles=tiles, title=f"{project.project_id} 项目筛查地图")


def batch_map(result: ScreenRecord, *, tiles: str | None = None) -> folium.Map:
    """One map of every screened project of *result*."""
    return _build([p for p in result.projects if p.geometry is not None], result.library, tiles=tiles,
                  title="项目筛查地图")
