"""Reading footprints: every format, encoding and CRS path, with small files made here."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from common import bowtie, empty_polygon, frame, polygon, polygon_z
from shgeo.inputs.chinacoords import wgs84_to_gcj02, wgs84_to_bd09
from shgeo.crs import WORKING_CRS
from shgeo.errors import CRSError, ExtentError, FootprintError
from shgeo.inputs.footprints import prepare_footprints, read_footprints

LON, LAT = 121.47, 31.23  # 人民广场


def _square(lon=LON, lat=LAT, d=0.005):
    return box(lon - d, lat - d, lon + d, lat + d)


def _lonlat_frame(geoms=None, **cols):
    geoms = geoms if geoms is not None else [_square(), _square(121.2, 31.0)]
    n = len(geoms)
    data = {"pid": [f"P{k}" for k in range(1, n + 1)], "名称": ["项目甲", "项目乙", "项目丙"][:n], **cols}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms), crs=4490)


def _reference(gdf_lonlat):
    return np.asarray(gdf_lonlat.to_crs(WORKING_CRS).geometry.array)


def _close(a, b, tol_m=0.01):
    return all(shapely.hausdorff_distance(x, y) < tol_m for x, y in zip(a, b))


def test_geojson_in_working_crs_with_row_ids(tmp_path):
    src = _lonlat_frame()
    path = tmp_path / "fp.geojson"
    src.to_crs(4326).to_file(path, driver="GeoJSON")
    gdf = read_footprints(path)
    assert gdf.crs.equals(WORKING_CRS)
    assert list(gdf["footprint_id"]) == ["1", "2"]
    assert list(gdf["名称"]) == ["项目甲", "项目乙"]
    assert gdf.attrs["source"] == str(path)
    assert _close(gdf.geometry.array, _reference(src))


def test_id_field_and_duplicates(tmp_path):
    path = tmp_path / "fp.gpkg"
    _lonlat_frame().to_file(path, layer="projects")
    gdf = read_footprints(path, id_field="pid")
    assert list(gdf["footprint_id"]) == ["P1", "P2"]
    dup = _lonlat_frame(pid=["X", "X"])
    dup.to_file(tmp_path / "dup.gpkg", layer="projects")
    with pytest.raises(FootprintError, match="duplicate.*'X'"):
        read_footprints(tmp_path / "dup.gpkg", id_field="pid")
    with pytest.raises(FootprintError, match="no field 'nope'"):
        read_footprints(path, id_field="nope")


def test_geopackage_picks_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    _lonlat_frame().to_file(path, layer="a")
    _lonlat_frame([_square(121.6, 31.3)]).to_file(path, layer="b")
    gdf = read_footprints(path, layer="b")
    assert len(gdf) == 1
    assert gdf.attrs["layer"] == "b"


def test_gbk_shapefile_with_cpg_and_zipped(tmp_path):
    path = tmp_path / "gbk.shp"
    _lonlat_frame().to_file(path, encoding="GBK")
    assert (tmp_path / "gbk.cpg").exists()
    assert "项目甲".encode("gbk") in (tmp_path / "gbk.dbf").read_bytes()
    gdf = read_footprints(path)
    assert list(gdf["名称"]) == ["项目甲", "项目乙"]
    archive = tmp_path / "gbk.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in tmp_path.glob("gbk.*"):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    z = read_footprints(archive, id_field="pid")
    assert list(z["名称"]) == ["项目甲", "项目乙"]
    assert list(z["footprint_id"]) == ["P1", "P2"]


def test_gbk_dbf_without_cpg_needs_explicit_encoding(tmp_path):
    path = tmp_path / "nocpg.shp"
    _lonlat_frame().to_file(path, encoding="GBK")
    (tmp_path / "nocpg.cpg").unlink()
    gdf = read_footprints(path, encoding="GBK")
    assert list(gdf["名称"]) == ["项目甲", "项目乙"]


def test_kml_and_kmz(tmp_path):
    path = tmp_path / "fp.kml"
    _lonlat_frame().to_crs(4326).to_file(path, driver="KML")
    gdf = read_footprints(path)
    assert len(gdf) == 2 and gdf.crs.equals(WORKING_CRS)
    kmz = tmp_path / "fp.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.write(path, "doc.kml")
    gdz = read_footprints(kmz)
    assert _close(gdz.geometry.array, gdf.geometry.array)


def test_csv_wkt_and_lonlat(tmp_path):
    src = _lonlat_frame()
    wkt = tmp_path / "wkt.csv"
    pd.DataFrame({"id": ["a", "b"], "wkt": shapely.to_wkt(np.asarray(src.geometry.array))}).to_csv(wkt, index=False)
    gdf = read_footprints(wkt, crs="EPSG:4490", id_field="id")
    assert list(gdf["footprint_id"]) == ["a", "b"]
    assert _close(gdf.geometry.array, _reference(src))
    ll = tmp_path / "ll.csv"
    pd.DataFrame({"编号": ["1", "2"], "经度": [121.47, 121.2], "纬度": [31.23, 31.0]}).to_csv(
        ll, index=False, encoding="gbk")
    pts = read_footprints(ll, crs=4326, encoding="GBK", id_field="编号")
    assert list(pts.geom_type) == ["Point", "Point"]
    explicit = tmp_path / "xy.csv"
    pd.DataFrame({"E": [121.47], "N": [31.23]}).to_csv(explicit, index=False)
    one = read_footprints(explicit, crs=4326, lon_field="E", lat_field="N")
    assert one.geometry.iloc[0].distance(pts.geometry.iloc[0]) < 1e-6
    with pytest.raises(FootprintError, match="neither a WKT column nor lon/lat"):
        read_footprints(explicit, crs=4326)


@pytest.mark.parametrize("system, forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_web_map_coordinates_round_trip(tmp_path, system, forward):
    truth = Polygon([(121.40, 31.20), (121.43, 31.20), (121.43, 31.24), (121.40, 31.22)])
    shifted = shapely.transform(truth, lambda xy: np.column_stack(forward(xy[:, 0], xy[:, 1])))
    path = tmp_path / f"{system}.csv"
    pd.DataFrame({"wkt": [shifted.wkt]}).to_csv(path, index=False)
    gdf = read_footprints(path, crs=system)
    expected = gpd.GeoSeries([truth], crs=4326).to_crs(WORKING_CRS).iloc[0]
    assert shapely.hausdorff_distance(gdf.geometry.iloc[0], expected) < 0.5
    assert gdf.attrs["source_crs"] == system
    # without the flag the same file (read as WGS84) is ~500 m off: never guessed
    plain = read_footprints(path, crs=4326)
    assert shapely.hausdorff_distance(plain.geometry.iloc[0], expected) > 100


def test_file_without_crs_is_refused_unless_named(tmp_path):
    path = tmp_path / "noprj.shp"
    _lonlat_frame().to_file(path)
    (tmp_path / "noprj.prj").unlink()
    with pytest.raises(CRSError, match="noprj.shp.*no CRS.*crs="):
        read_footprints(path)
    gdf = read_footprints(path, crs="EPSG:4490")
    assert gdf.attrs["source_crs"] == "EPSG:4490"


def test_swapped_axes_named(tmp_path):
    src = _lonlat_frame()
    swapped = src.set_geometry(shapely.transform(np.asarray(src.geometry.array), lambda xy: xy[:, ::-1]))
    path = tmp_path / "swapped.geojson"
    swapped.to_file(path, driver="GeoJSON")
    with pytest.raises(ExtentError, match="swapped"):
        read_footprints(path)


@pytest.mark.parametrize("epsg", [4549, 4528])
def test_gauss_kruger_zones(tmp_path, epsg):
    src = _lonlat_frame()
    path = tmp_path / f"gk{epsg}.gpkg"
    src.to_crs(epsg).to_file(path)
    gdf = read_footprints(path)
    assert gdf.attrs["source_crs"] == f"EPSG:{epsg}"
    assert _close(gdf.geometry.array, _reference(src), tol_m=0.001)


def test_wrong_gauss_kruger_zone_named(tmp_path):
    src = _lonlat_frame().to_crs(4549)
    path = tmp_path / "gk.gpkg"
    src.set_crs(4550, allow_override=True).to_file(path)
    with pytest.raises(ExtentError, match="Gauss-Kr"):
        read_footprints(path)


@pytest.mark.parametrize("written, declared, right", [(4528, 4513, 4528), (4528, 4549, 4528), (4549, 4528, 4549),
                                                      (4529, 4550, 4529)])
def test_declared_gauss_kruger_crs_that_contradicts_the_zone_prefix_names_the_right_code(tmp_path, written, declared,
                                                                                          right):
    """A zone-prefixed easting names its zone: a declared CRS that disagrees is an error naming the one that fits."""
    src = _lonlat_frame([_square(121.47 if written in (4528, 4549) else 121.8, 31.23)]).to_crs(written)
    path = tmp_path / "gk.gpkg"
    src.set_crs(declared, allow_override=True).to_file(path)
    with pytest.raises(CRSError, match=f"use EPSG:{right} \\((zone-prefixed|no zone prefix)\\)"):
        read_footprints(path)


def test_metres_read_as_degrees_named(tmp_path):
    src = _lonlat_frame().to_crs(4549)
    path = tmp_path / "m.csv"
    pd.DataFrame({"wkt": shapely.to_wkt(np.asarray(src.geometry.array))}).to_csv(path, index=False)
    with pytest.raises(ExtentError, match="metres"):
        read_footprints(path, crs=4490)


def test_outside_shanghai_names_footprint(tmp_path):
    path = tmp_path / "far.csv"
    pd.DataFrame({"id": ["in", "beijing"], "lon": [121.47, 116.4], "lat": [31.23, 39.9]}).to_csv(path, index=False)
    with pytest.raises(ExtentError, match="'beijing'"):
        read_footprints(path, crs=4326, id_field="id")


def test_empty_geometry_is_an_error_naming_the_footprint(tmp_path):
    path = tmp_path / "empty.csv"
    pd.DataFrame({"id": ["ok", "blank"], "wkt": [_square().wkt, "POLYGON EMPTY"]}).to_csv(path, index=False)
    with pytest.raises(FootprintError, match="'blank'"):
        read_footprints(path, crs=4490, id_field="id")


def test_prepare_drops_z_and_repairs_with_report():
    gdf = prepare_footprints(frame([polygon_z, bowtie]))
    assert not shapely.has_z(np.asarray(gdf.geometry.array)).any()
    fixed = gdf.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert fixed.area == pytest.approx(5000.0)
    assert "make_valid" in gdf.attrs["repairs"]["2"]
    assert "1" not in gdf.attrs["repairs"]


def test_prepare_refuses_empty_and_missing():
    with pytest.raises(FootprintError, match="'2'"):
        prepare_footprints(frame([polygon, empty_polygon]))
    with pytest.raises(FootprintError, match="'b'"):
        prepare_footprints(frame([polygon, None], ids=["a", "b"]))
    with pytest.raises(FootprintError, match="footprint_id"):
        prepare_footprints(gpd.GeoDataFrame(geometry=[polygon], crs=WORKING_CRS))


def test_collection_keeps_highest_dimension():
    coll = shapely.GeometryCollection([polygon, Point(500, 500)])
    gdf = prepare_footprints(frame([coll]))
    assert gdf.geometry.iloc[0].geom_type == "Polygon"
    assert "lower-dimension" in gdf.attrs["repairs"]["1"]


def test_unknown_crs_lists_forms(tmp_path):
    path = tmp_path / "x.csv"
    pd.DataFrame({"lon": [121.47], "lat": [31.23]}).to_csv(path, index=False)
    with pytest.raises(CRSError, match="gcj02"):
        read_footprints(path, crs="wgs-84-ish")


def test_equal_area_measures_match_geodesic(tmp_path):
    """Areas/lengths in WORKING_CRS agree with pyproj.Geod to 0.01 % anywhere in Shanghai."""
    geod = pyproj.Geod(ellps="GRS80")  # CGCS2000's ellipsoid (flattening differs by 1e-11)
    rings = [_square(lon, lat, 0.02) for lon, lat in ((121.47, 31.23), (120.9, 30.7), (121.95, 31.85),
                                                       (122.24, 31.42), (121.0, 31.6))]
    line = shapely.LineString([(120.9, 30.75), (121.9, 31.8)])
    path = tmp_path / "m.csv"
    pd.DataFrame({"wkt": [g.wkt for g in rings + [line]]}).to_csv(path, index=False)
    gdf = read_footprints(path, crs=4490)
    for g, ref in zip(gdf.geometry.iloc[:-1], rings):
        area, _ = geod.geometry_area_perimeter(ref)
        assert g.area == pytest.approx(abs(area), rel=1e-4)
    assert gdf.geometry.iloc[-1].length == pytest.approx(geod.geometry_length(line), rel=1e-4)


def test_file_crs_wins_over_crs_argument(tmp_path, caplog):
    src = _lonlat_frame()
    path = tmp_path / "declared.gpkg"
    src.to_crs(4549).to_file(path)
    with caplog.at_level("WARNING", logger="shgeo.inputs.footprints"):
        gdf = read_footprints(path, crs=4490)
    assert gdf.attrs["source_crs"] == "EPSG:4549"
    assert "file's own CRS wins" in caplog.text
    assert _close(gdf.geometry.array, _reference(src), tol_m=0.001)


def test_an_empty_file_is_an_error_not_zero_projects(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(FootprintError, match="no features"):
        read_footprints(path)


def test_gk_metres_in_a_geojson_say_why_the_given_crs_was_not_used(tmp_path):
    """GDAL labels every GeoJSON EPSG:4326: the extent error says crs= was not used, and why."""
    path = tmp_path / "gk.geojson"
    metres = gpd.GeoDataFrame(geometry=[box(121.45, 31.17, 121.46, 31.18)], crs=4326).to_crs(4549)
    path.write_text(metres.set_crs(4326, allow_override=True).to_json(), encoding="utf-8")
    with pytest.raises(ExtentError, match="crs='CGCS2000 / 3-degree Gauss-Kruger CM 120E' was not used"):
        read_footprints(path, crs="EPSG:4549")


def test_csv_problems_are_messages_not_tracebacks(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,wkt\n1,POINT (121.47 31.23)\n2,POINT (121.5\n", encoding="utf-8")
    with pytest.raises(FootprintError, match=r"row '2': no readable geometry: wkt = 'POINT \(121.5' is not WKT"):
        read_footprints(path, crs="EPSG:4326")
    with pytest.raises(FootprintError, match="unknown text encoding"):
        read_footprints(path, crs="EPSG:4326", encoding="no-such-codec")
