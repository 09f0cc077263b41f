"""Maps: the map.html pages (prepared template, linked or inlined Leaflet) and the folium maps of notebooks."""

from __future__ import annotations

import json
import logging
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from shgeo.crs import WORKING_CRS
from shgeo.errors import ShgeoError
from shgeo.library.layers import load_library
from shgeo.outputs.display import check_tiles, display_geometries
from shgeo.outputs.map_page import MapContext, map_job, render_map_page
from shgeo.screening import screen

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def context(library):
    return MapContext(library)


@pytest.fixture(scope="module")
def result(library):
    gdf = gpd.GeoDataFrame(
        {"项目编号": ["X1", "L1"], "项目名称": [XSS, "线路"]},
        geometry=[box(121.97, 31.53, 121.975, 31.535), LineString([(121.10, 30.93), (121.10, 31.07)])],
        crs="EPSG:4490",
    )
    return screen(gdf, library, as_of="2025-06-01")


def _page(project, context, **kwargs) -> str:
    return render_map_page(map_job(project), context, **kwargs)


def _data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="shgeo-map-data">(.*?)</script>', page, flags=re.S)
    assert found
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def page(result, context):
    return _page(result["X1"], context)


def test_page_links_the_shared_assets_and_nothing_online(page):
    assert '<script src="../_assets/leaflet.js">' in page and '<script src="../_assets/shgeo-map.js">' in page
    assert 'href="../_assets/leaflet.css"' in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page, flags=re.I)
    assert _data(page)["tiles"] is None
    assert len(page.encode("utf-8")) < 200_000  # Leaflet is not in every page


def test_self_contained_page_inlines_leaflet_and_its_images(result, context):
    page = _page(result["X1"], context, inline=True)
    assert not re.search(r"<script[^>]+src=", page, flags=re.I) and "<link" not in page
    assert 'version="1.9.4"' in page  # Leaflet inlined
    assert "data:image/png;base64," in page
    assert "L.control.layers" in page and "L.control.scale" in page and "fitBounds" in page


def test_page_has_a_layer_per_kind_near_the_project_with_popups(page):
    data = _data(page)
    labels = [layer["label"] for layer in data["layers"]]
    for label in ("生态保护红线", "自然保护地核心保护区", "项目范围", "重叠部分"):
        assert label in labels
    popups = [dict(row for row in f["properties"]["popup"]) for layer in data["layers"]
              for f in layer["features"]["features"]]
    assert any("名称" in p and "面积" in p and "公顷" in p["面积"] for p in popups)
    assert any("占项目比例" in p for p in popups)
    west, south, east, north = data["bounds"]
    assert west < 121.97 < 121.975 < east and south < 31.53 < 31.535 < north


def test_page_carries_only_what_lies_near_the_project(page, context):
    """The district layer is drawn around the project, not the whole city."""
    data = _data(page)
    districts = next(layer for layer in data["layers"] if layer["label"] == "区")
    shown = shapely.from_geojson([json.dumps(f["geometry"]) for f in districts["features"]["features"]])
    x0, y0, x1, y1 = shapely.total_bounds(shown)
    assert x1 - x0 < 0.2 and y1 - y0 < 0.2  # degrees: a few km, not the 100 km of Shanghai


def test_attribute_values_are_escaped(page):
    assert XSS not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # there, as data the script shows as text
    assert XSS in json.dumps(_data(page), ensure_ascii=False)


def test_tiles_only_when_asked_and_only_http_templates(result, context, caplog):
    osm = _data(_page(result["X1"], context, tiles="osm"))["tiles"]
    assert osm["url"].startswith("https://tile.openstreetmap.org/")
    from shgeo.outputs import display

    display._warn_offset.cache_clear()  # warned once per URL and process: this test may not be the first
    with caplog.at_level(logging.WARNING, logger="shgeo.outputs.display"):
        amap = _data(_page(result["X1"], context,
                           tiles="https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"))["tiles"]
    assert "autonavi" in amap["url"]
    assert any("GCJ-02" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("tiles", [
    "javascript:alert(1)//{z}/{x}/{y}", "file:///etc/{z}/{x}/{y}", "https://x.org/tiles", "ftp://x.org/{z}/{x}/{y}",
    "https://x.org/{z}/{x}/{y}.png\" onerror=\"alert(1)", "https://x.org/<b>/{z}/{x}/{y}", "data:text/html,{z}{x}{y}",
    "//x.org/{z}/{x}/{y}.png", "satellite",
])
def test_tiles_that_are_not_http_templates_are_refused(tiles):
    with pytest.raises(ShgeoError, match="http"):
        check_tiles(tiles)


@pytest.mark.parametrize("tiles,expected", [(None, None), ("", None), ("None", None), (" osm ", "osm"),
                                            ("http://x.org:8080/{z}/{x}/{y}.png", "http://x.org:8080/{z}/{x}/{y}.png")])
def test_tiles_accepted(tiles, expected):
    assert check_tiles(tiles) == expected


def test_a_million_vertex_footprint_makes_a_small_map_but_exact_numbers(library, context):
    angles = np.linspace(0, 2 * np.pi, 1_000_000, endpoint=False)
    ring = np.column_stack([3000 + 800 * np.cos(angles), -2000 + 800 * np.sin(angles)])
    circle = shapely.Polygon(ring)
    gdf = gpd.GeoDataFrame({"项目编号": ["BIG"]}, geometry=[circle], crs=WORKING_CRS)
    res = screen(gdf, library, as_of="2025-06-01")
    page = _page(res["BIG"], context)
    assert len(page.encode("utf-8")) < 2_000_000
    assert res["BIG"].facts["details"]["area_m2"] == pytest.approx(circle.area, rel=1e-12)
    shown = display_geometries([circle])[0]
    assert shapely.get_num_coordinates(shown) <= 20_000
    assert shown.symmetric_difference(circle).area < 1e-3 * circle.area


def test_small_geometries_are_drawn_as_they_are():
    geoms = [box(0, 0, 10, 10), LineString([(0, 0), (1, 1)])]
    assert all(a.equals_exact(b, 0) for a, b in zip(display_geometries(geoms), geoms))


def test_avoidance_routes_are_drawn(result, context):
    project = result["L1"]
    line = project.geometry
    project.routes = gpd.GeoDataFrame(
        {"role": ["proposal", "alternative"], "redline_length_m": [900.0, 0.0], "detour_factor": [1.0, 1.3]},
        geometry=[line, line.parallel_offset(3000)], crs=WORKING_CRS)
    try:
        labels = [layer["label"] for layer in _data(_page(project, context))["layers"]]
    finally:
        project.routes = None
    assert "避让替代路径" in labels and "原方案路径" in labels


def test_map_context_travels_to_worker_processes(context):
    import pickle

    again = pickle.loads(pickle.dumps(context))
    bounds = (121.9, 31.5, 122.0, 31.6)
    assert [(k, len(f)) for k, f in again.near(bounds)] == [(k, len(f)) for k, f in context.near(bounds)]


def test_folium_map_object(result):
    import folium

    m = result["X1"].map()
    assert isinstance(m, folium.Map)
    html = m._repr_html_()
    assert "<iframe" in html
    assert XSS not in m.get_root().render()
    assert isinstance(result.map(), folium.Map)


def test_folium_map_is_offline_and_refuses_script_tiles(result):
    page = result["X1"].map().get_root().render()
    assert not re.search(r"<script[^>]+src=", page, flags=re.I)
    assert "data:image/png;base64," in page
    with pytest.raises(ShgeoError):
        result["X1"].map(tiles="javascript:alert(1)//{z}{x}{y}")
