"""The files Shanghai projects arrive in, end to end: 界址点 txt, DXF, coordinate tables, zone-prefixed Gauss-Krüger.

Every input file is written by the test (GBK where the real ones are GBK).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from common import gk_project, rect, txt_document, txt_parcel, write_coordinate_xlsx, write_dxf, write_text
from shgeo.inputs.batch import read_inputs, unique_ids
from shgeo.inputs.discovery import discover_inputs
from shgeo.inputs.footprints import read_footprints
from shgeo.library.layers import load_library
from shgeo.screening import screen

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "data" / "sample" / "shanghai_sample.gpkg"
AS_OF = "2025-06-01"


@pytest.fixture(scope="module")
def library():
    return load_library()


def _across_redline() -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """A 400 m × 300 m parcel with a hole, across the edge of a sample red-line polygon on land (EPSG:4528)."""
    red = gpd.read_file(PACK, layer="redline").set_index("code").geometry["SH-HX-007"]
    sea = gpd.read_file(PACK, layer="sea").union_all()
    edge = red.boundary.difference(sea.buffer(0.01))
    p = edge.interpolate(0.5, normalized=True) if edge.geom_type != "MultiLineString" else \
        max(edge.geoms, key=lambda g: g.length).interpolate(0.5, normalized=True)
    e, n = gk_project(p.x, p.y, 4528)
    return rect(e - 200, n - 150, 400, 300), rect(e - 20, n - 20, 40, 30)


def _inputs(tmp_path: Path) -> dict[str, Path]:
    ring, hole = _across_redline()
    folder = tmp_path / "in"
    folder.mkdir()
    return {
        "txt": write_text(folder / "红线.txt", txt_document([txt_parcel([ring, hole], pid="DK01", name="一号地块")]),
                          "gbk"),
        "dxf": write_dxf(folder / "图纸.dxf", [ring, hole]),
        "xlsx": write_coordinate_xlsx(folder / "坐标表.xlsx", {"DK01": [ring, hole]}),
        "gpkg": _gpkg(folder / "same.gpkg", Polygon(ring, [hole]), 4528),
    }


def _gpkg(path: Path, geom, epsg: int) -> Path:
    gpd.GeoDataFrame({"项目编号": ["G1"]}, geometry=[geom], crs=epsg).to_file(path)
    return path


def test_the_same_footprint_in_every_format_gives_the_same_facts(tmp_path, library):
    """Done when: txt, DXF, XLSX and GeoPackage of one footprint yield the same facts to within 0.01 % of area."""
    files = _inputs(tmp_path)
    results = {kind: screen(path, library, as_of=AS_OF) for kind, path in files.items()}
    projects = {kind: r.projects[0] for kind, r in results.items()}
    assert all(p.ok for p in projects.values()), {k: p.error for k, p in projects.items()}
    reference = projects["gpkg"]
    assert reference.facts["redline"] is True and 0 < _kind_area(reference, "redline") < _area(reference)
    for kind, p in projects.items():
        assert {k: v for k, v in p.facts.items() if k != "details"} == \
            {k: v for k, v in reference.facts.items() if k != "details"}, kind
        assert _area(p) == pytest.approx(_area(reference), rel=1e-4), kind
        assert _kind_area(p, "redline") == pytest.approx(_kind_area(reference, "redline"), rel=1e-4), kind
        assert p.overall == reference.overall and [f["outcome"] for f in p.findings] == \
            [f["outcome"] for f in reference.findings], kind


def _area(project) -> float:
    return float(project.facts["details"]["area_m2"])


def _kind_area(project, kind: str) -> float:
    hits = project.overlaps
    return float(hits.loc[(hits["kind"] == kind) & (hits["relation"] == "overlap"), "area_m2"].sum())


def test_a_survey_file_is_one_project_and_lists_its_parcels(tmp_path):
    e, n = gk_project(121.455, 31.175, 4528)
    parcels = [txt_parcel([rect(e, n, 100, 100)], pid="DK01", name="一号地块"),
               txt_parcel([rect(e + 300, n, 100, 100)], pid="DK02", name="二号地块", area="1.0500")]
    path = write_text(tmp_path / "报批.txt", txt_document(parcels), "gbk")
    [item] = read_inputs(path, crs=None, id_field=None, per_file=False, layer=None, encoding=None, exclude=[])
    frame = item.frame
    assert list(frame["footprint_id"]) == ["报批"] and frame.geometry.iloc[0].geom_type == "MultiPolygon"
    attrs = frame.attrs
    assert attrs["source_format"] == "界址点坐标交换格式" and attrs["source_crs"] == "EPSG:4528"
    assert attrs["crs_basis"] == "from the file" and attrs["encoding"] == "GBK"
    listed = attrs["parcels"]["报批"]
    assert [(p["id"], p["name"]) for p in listed] == [("DK01", "一号地块"), ("DK02", "二号地块")]
    assert listed[1]["declared_area_ha"] == 1.05 and listed[1]["computed_area_ha"] == pytest.approx(1.0, abs=1e-6)
    assert listed[0]["area_difference"] == pytest.approx(0, abs=1e-4) and listed[1]["lines"] == [19, 24]
    assert any("parcel 'DK02'" in p and "4.8% off" in p for p in attrs["problems"])

    split = read_inputs(path, crs=None, id_field=None, per_file=False, layer=None, encoding=None, exclude=[],
                        per_parcel=True)[0].frame
    assert list(split["footprint_id"]) == ["DK01", "DK02"] and list(split["name"]) == ["一号地块", "二号地块"]
    assert [[p["id"] for p in split.attrs["parcels"][pid]] for pid in ("DK01", "DK02")] == [["DK01"], ["DK02"]]


def test_parcels_follow_their_projects_when_ids_collide(tmp_path):
    e, n = gk_project(121.455, 31.175, 4528)
    for name in ("a", "b"):
        write_text(tmp_path / f"{name}.txt", txt_document([txt_parcel([rect(e, n, 100, 100)], pid="DK01")]), "gbk")
    inputs = read_inputs(tmp_path, crs=None, id_field=None, per_file=False, layer=None, encoding=None, exclude=[],
                         per_parcel=True)
    unique_ids(inputs)
    assert [list(i.frame["footprint_id"]) for i in inputs] == [["a-DK01"], ["b-DK01"]]
    assert [list(i.frame.attrs["parcels"]) for i in inputs] == [["a-DK01"], ["b-DK01"]]


def test_a_parcel_outside_shanghai_fails_the_whole_file_project_but_only_itself_when_split(tmp_path, library):
    e, n = gk_project(121.455, 31.175, 4528)
    far_e, far_n = gk_project(120.2, 30.3, 4528)  # 杭州, same zone
    path = write_text(tmp_path / "two.txt", txt_document([txt_parcel([rect(e, n, 100, 100)], pid="IN"),
                                                          txt_parcel([rect(far_e, far_n, 100, 100)], pid="FAR")]))
    from shgeo.errors import FootprintError

    with pytest.raises(FootprintError, match="outside Shanghai.*'FAR'"):  # the only input: nothing to screen
        screen(path, library, as_of=AS_OF)
    split = screen(path, library, as_of=AS_OF, per_parcel=True)
    assert split["IN"].ok and not split["FAR"].ok and "Shanghai" in split["FAR"].error


def test_faults_name_the_parcel_and_line_and_the_other_files_go_on(tmp_path, library):
    e, n = gk_project(121.455, 31.175, 4528)
    _gpkg(tmp_path / "good.gpkg", shapely.box(121.455, 31.175, 121.459, 31.178), 4490)
    write_text(tmp_path / "open.txt", txt_document([txt_parcel([rect(e, n, 100, 100)], pid="DK07", close=False)]))
    write_text(tmp_path / "count.txt", txt_document([txt_parcel([rect(e, n, 100, 100)], pid="DK08", count=9)]))
    (tmp_path / "drawing.dwg").write_bytes(b"AC1032" + bytes(64))
    result = screen(tmp_path, library, as_of=AS_OF)
    assert result["G1"].ok
    assert "line 17, parcel 'DK07'" in result["open"].error and "not closed" in result["open"].error
    assert "line 13, parcel 'DK08'" in result["count"].error and "界址点数 says 9" in result["count"].error
    assert "save it as DXF" in result["drawing"].error


def test_dxf_per_feature_and_layers(tmp_path, library):
    e, n = gk_project(121.455, 31.175, 4528)
    path = write_dxf(tmp_path / "two.dxf", [rect(e, n, 100, 100), rect(e + 300, n, 100, 100)])
    whole = screen(path, library, as_of=AS_OF)
    assert whole.ids == ["two"] and whole["two"].ok
    split = screen(path, library, as_of=AS_OF, per_parcel=True)
    assert len(split) == 2 and all(p.ok for p in split)
    gdf = read_footprints(path, layer="用地红线")
    assert list(gdf["layer"]) == ["用地红线"] * 2 and gdf.attrs["crs_basis"] == "from the zone prefix"
    assert any("CGCS2000 was assumed" in p for p in gdf.attrs["problems"])


def test_zone_prefixed_shapefile_without_prj_names_its_zone(tmp_path):
    e, n = gk_project(121.455, 31.175, 4528)
    src = gpd.GeoDataFrame({"code": ["P1"]}, geometry=[Polygon(rect(e, n, 100, 100))])
    with pytest.warns(UserWarning):  # pyogrio warns about writing without a CRS: meant
        src.to_file(tmp_path / "gk.shp")
    gdf = read_footprints(tmp_path / "gk.shp")
    assert gdf.attrs["source_crs"] == "EPSG:4528" and gdf.attrs["crs_basis"] == "from the zone prefix"
    assert gdf.geometry.iloc[0].area == pytest.approx(10_000, rel=2e-3)
    from shgeo.errors import CRSError

    with pytest.raises(CRSError, match=r"use EPSG:4528 \(zone-prefixed\)"):
        read_footprints(tmp_path / "gk.shp", crs="EPSG:4549")
    given = read_footprints(tmp_path / "gk.shp", crs="EPSG:4528")
    assert given.attrs["crs_basis"] == "given by the user"


def test_crs_basis_of_gis_files(tmp_path):
    _gpkg(tmp_path / "d.gpkg", shapely.box(121.455, 31.175, 121.459, 31.178), 4490)
    assert read_footprints(tmp_path / "d.gpkg").attrs["crs_basis"] == "declared"
    (tmp_path / "ll.csv").write_text("项目编号,经度,纬度\nA,121.457,31.176\n", encoding="gbk")
    gdf = read_footprints(tmp_path / "ll.csv", crs="EPSG:4490")
    assert gdf.attrs["crs_basis"] == "given by the user" and gdf.attrs["encoding"] == "GBK"
    assert gdf.attrs["source_format"] == "CSV" and gdf.attrs["parcels"] == []


def test_coordinate_table_csv_is_screened(tmp_path, library):
    e, n = gk_project(121.455, 31.175, 4528)
    rows = ["点号,X,Y"] + [f"J{i},{y:.3f},{x:.3f}" for i, (x, y) in enumerate(rect(e, n, 120, 80), start=1)]
    path = write_text(tmp_path / "界址点.csv", "\r\n".join(rows) + "\r\n", "gbk")
    result = screen(path, library, as_of=AS_OF)
    assert result.ids == ["界址点"] and result["界址点"].ok


def test_one_bad_csv_row_fails_only_its_project(tmp_path, library):
    """An empty WKT cell or lon = 'abc' fails that row's project, named by its id and the bad value."""
    wkt = tmp_path / "wkt.csv"
    wkt.write_text('项目编号,wkt\nA,"POINT (121.457 31.176)"\nB,\nC,"POLYGON ((121.4"\n', encoding="utf-8")
    result = screen(wkt, library, crs="EPSG:4490", as_of=AS_OF)
    assert result.ids == ["A", "B", "C"] and result["A"].ok
    assert "row 'B'" in result["B"].error and "wkt is empty" in result["B"].error
    assert "wkt = 'POLYGON ((121.4' is not WKT" in result["C"].error
    lonlat = tmp_path / "ll.csv"
    lonlat.write_text("项目编号,lon,lat\nA,121.457,31.176\nB,abc,31.2\n", encoding="utf-8")
    result = screen(lonlat, library, crs="EPSG:4490", as_of=AS_OF)
    assert result["A"].ok and "lon = 'abc' is not a number" in result["B"].error
    assert "row 2" not in result["B"].error and "line" not in result["B"].error


def test_a_json_that_is_not_geojson_says_so(tmp_path):
    from shgeo.errors import FootprintError

    path = tmp_path / "query.json"
    path.write_text('{"spatial": {"redline": true}, "project": {}}', encoding="utf-8")
    with pytest.raises(FootprintError, match="JSON but not GeoJSON"):
        read_footprints(path)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FootprintError, match="not valid JSON"):
        read_footprints(tmp_path / "broken.json")
    deep = tmp_path / "deep.geojson"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(FootprintError, match="not GeoJSON"):
        read_footprints(deep)


def test_folder_discovery_takes_the_survey_files_and_names_what_it_skips(tmp_path, caplog):
    e, n = gk_project(121.455, 31.175, 4528)
    write_text(tmp_path / "红线.txt", txt_document([txt_parcel([rect(e, n, 100, 100)])]))
    (tmp_path / "说明.txt").write_text("项目说明：见附件", encoding="gbk")
    write_dxf(tmp_path / "图纸.dxf", [rect(e, n, 100, 100)])
    (tmp_path / "图纸.dwg").write_bytes(b"AC1032" + bytes(16))
    (tmp_path / "旧图.dwg").write_bytes(b"AC1027" + bytes(16))
    write_coordinate_xlsx(tmp_path / "坐标.xlsx", {"DK01": [rect(e, n, 100, 100)]})
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["项目编号", "活动类别"])
    wb.save(tmp_path / "属性.xlsx")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "query.json").write_text('{"spatial": {}}', encoding="utf-8")
    with caplog.at_level("WARNING", logger="shgeo.inputs.discovery"):
        found = {p.name for p in discover_inputs([tmp_path])}
    assert found == {"坐标.xlsx", "图纸.dxf", "旧图.dwg", "红线.txt"}
    for skipped in ("说明.txt (text that is not a 界址点坐标交换格式 file)", "属性.xlsx (workbook without X/Y columns)",
                    "old.xls (.xls workbook: save it as .xlsx", "图纸.dwg (DWG drawing; the DXF beside it is read)",
                    "query.json (JSON that is not GeoJSON)"):
        assert skipped in caplog.text


def test_attribute_names_cut_by_the_dbf_limit_are_named_not_dropped_silently(tmp_path):
    """是否新增建设用地 is 16 bytes in GBK: a DBF keeps 是否新增建, which names no attribute — the report says so."""
    gdf = gpd.GeoDataFrame({"项目编号": ["P1"], "是否新增建设用地": ["是"], "活动类别": ["6"]},
                           geometry=[shapely.box(121.455, 31.175, 121.459, 31.178)], crs=4490)
    with pytest.warns(RuntimeWarning):  # GDAL says it cut the name: meant
        gdf.to_file(tmp_path / "cut.shp", encoding="GBK")
    (tmp_path / "cut.cpg").unlink()
    read = read_footprints(tmp_path / "cut.shp")
    assert "是否新增建" in read.columns and read.attrs["unread_fields"] == ["是否新增建"]
    assert any("'是否新增建'" in p and "new_construction_land" in p for p in read.attrs["problems"])
    assert read.attrs["encoding"] == "GBK"


def test_a_lon_lat_crs_given_is_never_applied_to_survey_metres(tmp_path):
    """--crs EPSG:4490 (meant for lon/lat files of the batch) is not used for a drawing; if the drawing needs a CRS,
    the message says why the one given does not do."""
    from shgeo.errors import CRSError

    prefixed = write_dxf(tmp_path / "prefixed.dxf", [rect(*gk_project(121.455, 31.175, 4528), 100, 100)])
    assert read_footprints(prefixed, crs="EPSG:4490").attrs["crs_basis"] == "from the zone prefix"
    plain = write_dxf(tmp_path / "plain.dxf", [rect(*gk_project(121.455, 31.175, 4549), 100, 100)])
    with pytest.raises(CRSError, match="EPSG:4490, is lon/lat"):
        read_footprints(plain, crs="EPSG:4490")
    assert read_footprints(plain, crs="EPSG:4549").attrs["crs_basis"] == "given by the user"


def test_zone_prefix_in_a_csv_of_wkt_and_in_a_coordinate_table(tmp_path):
    from shgeo.errors import CRSError

    e, n = gk_project(121.455, 31.175, 4528)
    wkt = tmp_path / "wkt.csv"
    wkt.write_text(f'项目编号,wkt\nA,"{Polygon(rect(e, n, 100, 100)).wkt}"\n', encoding="utf-8")
    gdf = read_footprints(wkt)
    assert (gdf.attrs["source_crs"], gdf.attrs["crs_basis"]) == ("EPSG:4528", "from the zone prefix")
    table = write_text(tmp_path / "pts.csv", "点号,X,Y\n" + "".join(f"J{i},{y:.3f},{x:.3f}\n" for i, (x, y)
                                                                   in enumerate(rect(e, n, 100, 100), 1)), "gbk")
    for path in (wkt, table):
        with pytest.raises(CRSError, match=r"use EPSG:4528 \(zone-prefixed\)"):
            read_footprints(path, crs="EPSG:4549")
