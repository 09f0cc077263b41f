"""Offline folium maps: inlined assets, a toggle and legend per layer kind, escaping, tiles."""

from __future__ import annotations

import json
import logging
import re

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from shgeo.crs import WORKING_CRS
from shgeo.library.layers import load_library
from shgeo.outputs.maps import project_map_html
from shgeo.screening import screen

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def result(library):
    gdf = gpd.GeoDataFrame(
        {"项目编号": ["X1", "L1"], "项目名称": [XSS, "线路"]},
        geometry=[box(121.97, 31.53, 121.975, 31.535), LineString([(121.10, 30.93), (121.10, 31.07)])],
        crs="EPSG:4490",
    )
    return screen(gdf, library, as_of="2025-06-01")


@pytest.fixture(scope="module")
def page(result, library):
    return project_map_html(result["X1"], library)


def test_map_is_offline(page):
    assert not re.search(r"<script[^>]+src=", page, flags=re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", page, flags=re.I)
    assert "cdn.jsdelivr" not in page and "code.jquery" not in page and "bootstrapcdn" not in page
    assert 'L.version="1.9.4"' in page or 't.version="1.9.4"' in page  # Leaflet inlined
    assert "tile.openstreetmap" not in page and "L.tileLayer" not in page
    assert "data:image/png;base64," in page  # leaflet's images inlined
    assert len(page.encode("utf-8")) < 1_500_000


def test_map_has_toggles_legend_scale_and_fit(page):
    assert "L.control.layers" in page and "L.control.scale" in page and "fitBounds" in page
    assert "图例" in page
    for label in ("生态保护红线", "自然保护地核心保护区", "项目范围", "重叠部分"):
        assert label in page
    for field in ("名称", "编码", "面积", "公顷", "占项目比例"):  # popups: name, code, area (JSON-escaped)
        assert field in page or json.dumps(field)[1:-1] in page


def test_attribute_values_are_escaped(page):
    assert XSS not in page
    assert "alert(1)" in page  # it is there, as text
    assert "\\u0026lt;script\\u0026gt;alert(1)" in page


def test_folium_map_object(result, library):
    import folium

    m = result["X1"].map()
    assert isinstance(m, folium.Map)
    assert "<iframe" in m._repr_html_()
    assert isinstance(result.map(), folium.Map)


def test_tiles_only_when_asked(result, library, caplog):
    osm = project_map_html(result["X1"], library, tiles="osm")
    assert "tile.openstreetmap.org" in osm
    with caplog.at_level(logging.WARNING, logger="shgeo.outputs.maps"):
        amap = project_map_html(result["X1"], library,
                                tiles="https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
    assert "autonavi" in amap
    assert any("GCJ-02" in r.getMessage() for r in caplog.records)


def test_avoidance_routes_are_drawn(result, library):
    project = result["L1"]
    line = project.footprint.geometry.iloc[0]
    project.routes = gpd.GeoDataFrame(
        {"role": ["proposal", "alternative"], "redline_length_m": [900.0, 0.0], "detour_factor": [1.0, 1.3]},
        geometry=[line, line.parallel_offset(3000)], crs=WORKING_CRS)
    try:
        html = project_map_html(project, library)
    finally:
        project.routes = None
    assert "避让替代路径" in html and "原方案路径" in html
