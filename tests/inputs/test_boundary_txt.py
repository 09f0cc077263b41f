"""The 界址点坐标交换格式 txt: encodings, header variants, CRS from the header, rings, and every fault named by line."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon, Polygon

from common import TXT_HEADER, gk_origin, gk_project, rect, txt_document, txt_parcel, write_text
from shgeo.errors import CRSError, InputFormatError, LocalGridError
from shgeo.inputs.boundary_txt import looks_like_boundary_txt, read_boundary_txt
from shgeo.inputs.parcels import STANDARD_COLUMNS, declared_area_problems

E0, N0 = gk_origin(4528)  # 121.4E 31.2N, zone-prefixed


@pytest.fixture
def write_txt(tmp_path):
    """Write an exchange txt (GBK unless said otherwise) to a new file of *tmp_path*."""
    counter = {"n": 0}

    def _write(text: str, encoding: str = "gbk", bom: bool = False, name: str | None = None):
        counter["n"] += 1
        return write_text(tmp_path / (name or f"boundary{counter['n']}.txt"), text, encoding, bom)

    return _write


def header(**changes):
    h = dict(TXT_HEADER)
    for k, v in changes.items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v
    return h


# --------------------------------------------------------------------------- happy paths


def test_gbk_file_with_prefix(write_txt):
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 200, 150)], pid="DK01", name="地块一")]))
    frame, meta = read_boundary_txt(path)
    assert list(frame.columns[: len(STANDARD_COLUMNS)]) == STANDARD_COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row.parcel_id == "DK01" and row.parcel_name == "地块一"
    assert row.declared_area_ha == pytest.approx(3.0)
    assert row.kind == "polygon" and row.record_type == "面"
    assert row.land_use == "住宅用地" and row.land_class_code == "0701"
    assert row.geometry.area == pytest.approx(30000.0, abs=1e-3)
    assert (row.first_line, row.last_line) == (13, 18)  # 11 header lines + [地块坐标]
    assert row.declared_points == 5
    assert frame.crs.to_epsg() == 4528
    assert meta.epsg == 4528 and meta.crs_basis == "from the file"
    assert meta.zone.number == 40 and meta.zone_prefixed is True
    assert meta.encoding == "GBK" and not meta.axes_swapped and meta.format == "界址点坐标交换格式"
    assert meta.header["数据产生单位"] == "上海市测绘院"
    # geometry x is the easting
    assert row.geometry.bounds[0] == pytest.approx(E0, abs=1e-3)
    assert row.geometry.bounds[1] == pytest.approx(N0, abs=1e-3)


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("gb18030", False),
                                          ("utf-16", False)])
def test_encodings(write_txt, encoding, bom):
    text = txt_document([txt_parcel([rect(E0, N0, 100, 100)], name="浦东新区地块")])
    path = write_txt(text, encoding=encoding, bom=bom)
    frame, meta = read_boundary_txt(path)
    assert frame.iloc[0].parcel_name == "浦东新区地块"
    assert frame.iloc[0].geometry.area == pytest.approx(10000.0, abs=1e-3)
    assert meta.header["坐标系"] == "2000国家大地坐标系"


def test_unprefixed_zone_40_and_41(write_txt):
    e, n = gk_origin(4549)
    frame, meta = read_boundary_txt(write_txt(txt_document([txt_parcel([rect(e, n, 50, 50)])])))
    assert meta.epsg == 4549 and meta.zone_prefixed is False and meta.crs_basis == "from the file"
    e, n = gk_project(121.8, 31.1, 4550)
    frame, meta = read_boundary_txt(
        write_txt(txt_document([txt_parcel([rect(e, n, 50, 50)])], header(带号="41"))))
    assert meta.epsg == 4550
    assert not any("outside Shanghai" in n for n in meta.notes)


def test_six_degree_zone_21(write_txt):
    e, n = gk_project(121.4, 31.2, 4499)
    _, meta = read_boundary_txt(
        write_txt(txt_document([txt_parcel([rect(e, n, 50, 50)])], header(几度分带="6", 带号="21"))))
    assert meta.epsg == 4499
    e, n = gk_project(121.4, 31.2, 4510)
    _, meta = read_boundary_txt(
        write_txt(txt_document([txt_parcel([rect(e, n, 50, 50)])], header(几度分带="6", 带号="21"))))
    assert meta.epsg == 4510


def test_zone_in_header_written_as_central_meridian(write_txt):
    e, n = gk_origin(4549)
    _, meta = read_boundary_txt(
        write_txt(txt_document([txt_parcel([rect(e, n, 50, 50)])], header(带号="120"))))
    assert meta.epsg == 4549
    assert any("central meridian" in x for x in meta.notes)


def test_swapped_axes_detected(write_txt):
    ring = rect(E0, N0, 200, 150)
    normal, _ = read_boundary_txt(write_txt(txt_document([txt_parcel([ring])])))
    swapped, meta = read_boundary_txt(write_txt(txt_document([txt_parcel([ring], swap=True)])))
    assert meta.axes_swapped is True
    assert any("swapped" in n for n in meta.notes)
    assert swapped.geometry.iloc[0].equals(normal.geometry.iloc[0])


def test_hole(write_txt):
    outer, hole = rect(E0, N0, 200, 150), rect(E0 + 50, N0 + 50, 20, 30)
    frame, _ = read_boundary_txt(write_txt(txt_document([txt_parcel([outer, hole])])))
    g = frame.geometry.iloc[0]
    assert isinstance(g, Polygon) and len(g.interiors) == 1
    assert g.area == pytest.approx(30000 - 600, abs=1e-3)
    assert frame.iloc[0].holes == 1 and frame.iloc[0].parts == 1
    assert g.exterior.is_ccw and not g.interiors[0].is_ccw


def test_second_part(write_txt):
    a, b = rect(E0, N0, 100, 100), rect(E0 + 300, N0, 50, 40)
    frame, _ = read_boundary_txt(write_txt(txt_document([txt_parcel([a, b])])))
    g = frame.geometry.iloc[0]
    assert isinstance(g, MultiPolygon) and len(g.geoms) == 2
    assert g.area == pytest.approx(10000 + 2000, abs=1e-3)
    assert frame.iloc[0].parts == 2 and frame.iloc[0].holes == 0


def test_island_in_hole_and_holes_in_any_order(write_txt):
    outer = rect(E0, N0, 300, 300)
    hole = rect(E0 + 50, N0 + 50, 200, 200)
    island = rect(E0 + 100, N0 + 100, 50, 50)
    frame, meta = read_boundary_txt(write_txt(txt_document([txt_parcel([hole, outer, island])])))
    g = frame.geometry.iloc[0]
    assert isinstance(g, MultiPolygon) and len(g.geoms) == 2
    assert g.area == pytest.approx(90000 - 40000 + 2500, abs=1e-3)
    assert any("first ring (圈号 1) lies inside" in n for n in meta.notes)


def test_several_parcels_and_types(write_txt):
    p1 = txt_parcel([rect(E0, N0, 100, 100)], pid="1", name="地块1")
    p2 = txt_parcel([[(E0, N0 + 500), (E0 + 80, N0 + 520), (E0 + 160, N0 + 500)]], pid="2",
                      name="道路中线", kind="线", area="")
    p3 = txt_parcel([[(E0 + 10, N0 + 900), (E0 + 20, N0 + 910)]], pid="3", name="桩点", kind="点",
                      area="")
    frame, _ = read_boundary_txt(write_txt(txt_document([p1, p2, p3])))
    assert list(frame.kind) == ["polygon", "line", "point"]
    assert frame.geometry.iloc[1].geom_type == "LineString"
    assert isinstance(frame.geometry.iloc[2], MultiPoint)
    assert math.isnan(frame.iloc[1].declared_area_ha)
    assert frame.iloc[1].first_line == frame.iloc[0].last_line + 1
    two_lines = txt_parcel([[(E0, N0), (E0 + 10, N0)], [(E0, N0 + 5), (E0 + 10, N0 + 5)]], kind="线", area="")
    frame, _ = read_boundary_txt(write_txt(txt_document([two_lines])))
    assert isinstance(frame.geometry.iloc[0], MultiLineString)


def test_header_variants(write_txt):
    # extra field before @, area with unit, full-width comma, extra section, no 格式版本号
    lines = txt_parcel([rect(E0, N0, 100, 100)], area="1.0000公顷", tail=("地上",))
    lines[1] = lines[1].replace(",", "，", 1)
    h = header(格式版本号=None)
    text = txt_document([lines], h, sections_before=["[项目信息]", "项目名称=某某路拓宽工程"])
    frame, meta = read_boundary_txt(write_txt(text))
    assert frame.iloc[0].declared_area_ha == pytest.approx(1.0)
    assert frame.iloc[0].extra == "地上"
    assert any("full-width" in n for n in meta.notes)


def test_identity_transformation_parameters_are_fine(write_txt):
    for params in ("", ",,,,,,", "0,0,0,0,0,0,0", "0,0,0,0,0,0,1"):
        _, meta = read_boundary_txt(
            write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(转换参数=params))))
        assert meta.epsg == 4528


def test_closing_point_count_convention(write_txt):
    # some writers count the points of each ring without the repeated closing point
    lines = txt_parcel([rect(E0, N0, 100, 100), rect(E0 + 10, N0 + 10, 10, 10)], count=8)
    frame, meta = read_boundary_txt(write_txt(txt_document([lines])))
    assert frame.iloc[0].declared_points == 8
    assert any("closing point" in n for n in meta.notes)


def test_prefix_without_datum_assumes_cgcs2000(write_txt):
    _, meta = read_boundary_txt(
        write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(坐标系=None))))
    assert meta.epsg == 4528 and meta.crs_basis == "from the zone prefix"
    assert any("assumed" in n for n in meta.notes)


def test_outside_shanghai_is_left_to_the_extent_check(write_txt):
    """A wrong 带号/zone moves a parcel hundreds of km: the reader keeps the file's CRS, read_footprints refuses it."""
    from shgeo.errors import ExtentError
    from shgeo.inputs.footprints import read_footprints

    e, n = gk_project(114.5, 38.0, 4547)  # CM 114E -> zone 38
    path = write_txt(txt_document([txt_parcel([rect(e, n, 10, 10)], pid="石家庄")], header(带号="38")))
    assert read_boundary_txt(path).meta.epsg == 4547
    with pytest.raises(ExtentError, match="outside Shanghai.*'石家庄'"):
        read_footprints(path)


def test_declared_area_check(write_txt):
    ok = txt_parcel([rect(E0, N0, 100, 100)], pid="A", area="1.0050")
    bad = txt_parcel([rect(E0 + 500, N0, 100, 100)], pid="B", area="1.0500")
    frame, _ = read_boundary_txt(write_txt(txt_document([ok, bad])))
    warnings = declared_area_problems(frame)
    assert len(warnings) == 1
    assert "'B'" in warnings[0] and "4.8% off" in warnings[0] and "1.05 ha declared" in warnings[0]


# --------------------------------------------------------------------------- CRS refusals


@pytest.mark.parametrize("datum,word", [("1980西安坐标系", "1980西安"), ("80国家大地坐标系", "Xian 1980"),
                                        ("1954北京坐标系", "1954北京"), ("北京54", "Beijing 1954")])
def test_old_datums_refused(write_txt, datum, word):
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(坐标系=datum)))
    with pytest.raises(CRSError, match=word) as ei:
        read_boundary_txt(path)
    assert ei.value.line == 5 and "crs=" in ei.value.hint


def test_old_datum_accepted_when_caller_gives_crs(write_txt):
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(坐标系="1980西安坐标系")))
    frame, meta = read_boundary_txt(path, crs="EPSG:2364")
    assert meta.epsg == 2364 and meta.crs_basis == "given by the user"
    assert any("1980西安" in n for n in meta.notes)


def test_a_crs_given_is_for_files_that_state_none(write_txt):
    """A txt stating 2000国家大地坐标系 keeps its own CRS (the notes say the one given was not used); a txt
    stating none takes the one given, checked against the zone prefix."""
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])]))
    _, meta = read_boundary_txt(path, crs="EPSG:4549")
    assert meta.epsg == 4528 and meta.crs_basis == "from the file"
    assert any("EPSG:4549" not in n and "was not used" in n for n in meta.notes)
    assert read_boundary_txt(path, crs="EPSG:4528").meta.notes == []
    silent = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(坐标系=None)))
    with pytest.raises(CRSError, match=r"use EPSG:4528 \(zone-prefixed\)"):
        read_boundary_txt(silent, crs="EPSG:4549")
    assert read_boundary_txt(silent, crs="EPSG:2364").meta.crs_basis == "given by the user"


def test_transformation_parameters_refused(write_txt):
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])],
                                  header(转换参数="-12.3,45.6,7.8,0.1,-0.2,0.3,1.000002")))
    with pytest.raises(CRSError, match="转换参数") as ei:
        read_boundary_txt(path)
    assert "local system" in str(ei.value) and ei.value.line == 11


def test_local_named_system_refused(write_txt):
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(坐标系="上海城市坐标系")))
    with pytest.raises(LocalGridError):
        read_boundary_txt(path)


def test_local_grid_coordinates_refused(write_txt):
    ring = [(-20000.0, 30000.0), (-19900.0, 30000.0), (-19900.0, 30100.0), (-20000.0, 30100.0)]
    path = write_txt(txt_document([txt_parcel([ring])], header(坐标系=None, 带号=None)))
    with pytest.raises(LocalGridError, match="上海城市坐标系"):
        read_boundary_txt(path)


def test_zone_prefix_wins_over_a_header_that_disagrees(write_txt):
    """The coordinates describe themselves: 带号 or 几度分带 that contradict the prefix give a note, not an error."""
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(带号="41")))
    _, meta = read_boundary_txt(path)
    assert meta.epsg == 4528
    assert any("带号=41" in n and "disagrees with the zone prefix 40" in n and "line 9" in n for n in meta.notes)
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(几度分带="6")))
    _, meta = read_boundary_txt(path)
    assert meta.epsg == 4528 and any("几度分带=6" in n for n in meta.notes)
    e, n = gk_project(121.4, 31.2, 4499)  # 6° zone 21 values under a 3° zone 40 header
    path = write_txt(txt_document([txt_parcel([rect(e, n, 10, 10)])]))
    _, meta = read_boundary_txt(path)
    assert meta.epsg == 4499 and any("带号=40" in n for n in meta.notes)


def test_no_prefix_and_no_zone_needs_a_crs(write_txt):
    e, n = gk_origin(4549)
    path = write_txt(txt_document([txt_parcel([rect(e, n, 10, 10)])], header(带号=None)))
    with pytest.raises(CRSError, match="no 带号") as ei:
        read_boundary_txt(path)
    assert "--crs" in ei.value.hint
    assert read_boundary_txt(path, crs=4549).meta.epsg == 4549


def test_mixed_prefix_refused(write_txt):
    e, n = gk_origin(4549)
    lines = txt_parcel([rect(E0, N0, 10, 10)], pid="1") + txt_parcel([rect(e, n, 10, 10)], pid="2")
    with pytest.raises(CRSError, match="some eastings carry a zone prefix"):
        read_boundary_txt(write_txt(txt_document([lines])))


def test_geographic_units_refused(write_txt):
    path = write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])], header(计量单位="度")))
    with pytest.raises(CRSError, match="geographic"):
        read_boundary_txt(path)


# --------------------------------------------------------------------------- faults


def _err(write_txt, text, **kw) -> InputFormatError:
    with pytest.raises(InputFormatError) as ei:
        read_boundary_txt(write_txt(text), **kw)
    return ei.value


def test_unclosed_ring(write_txt):
    lines = txt_parcel([rect(E0, N0, 100, 100)], pid="DK07", close=False)
    err = _err(write_txt, txt_document([lines]))
    assert err.feature == "DK07" and err.line == 17
    assert "圈号 1 is not closed" in str(err) and "line 17" in str(err) and "parcel 'DK07'" in str(err)
    assert "repeats the first point" in err.hint
    assert isinstance(err, ValueError) and err.path is not None
    frame, meta = read_boundary_txt(write_txt(txt_document([lines])), close_rings=True)
    assert frame.geometry.iloc[0].area == pytest.approx(10000, abs=1e-3)
    assert any("closed automatically" in n for n in meta.notes)


def test_ring_closes_on_first_point_number_but_elsewhere(write_txt):
    lines = txt_parcel([rect(E0, N0, 100, 100)])
    last = lines[-1].split(",")
    last[3] = f"{float(last[3]) + 0.5:.3f}"
    lines[-1] = ",".join(last)
    err = _err(write_txt, txt_document([lines]))
    assert "0.500 m away" in str(err) and err.line == 18


def test_too_few_points(write_txt):
    lines = txt_parcel([[(E0, N0), (E0 + 10, N0)]], area="0")
    err = _err(write_txt, txt_document([lines]))
    assert "2 distinct points" in str(err) and err.feature == "DK01"


def test_count_mismatch(write_txt):
    lines = txt_parcel([rect(E0, N0, 100, 100)], count=7)
    err = _err(write_txt, txt_document([lines]))
    assert "界址点数 says 7" in str(err) and err.line == 13 and err.feature == "DK01"


@pytest.mark.parametrize(
    "bad,match",
    [
        ("J3,1,3453993.144", "3 fields"),
        ("J3,一,3453993.144,40633432.299", "圈号"),
        ("J3,1,3453993.1x4,40633432.299", "not numbers"),
    ],
)
def test_malformed_coordinate_line(write_txt, bad, match):
    lines = txt_parcel([rect(E0, N0, 100, 100)], pid="DK02")
    lines[3] = bad
    err = _err(write_txt, txt_document([lines]))
    assert match in str(err) and err.line == 16 and err.feature == "DK02"


def test_malformed_headers(write_txt):
    lines = txt_parcel([rect(E0, N0, 100, 100)])
    lines[0] = "5,1.0,DK01,@"
    err = _err(write_txt, txt_document([lines]))
    assert "fields before '@'" in str(err) and err.line == 13
    lines[0] = "五,1.0,DK01,地块一,面,,,,@"
    assert "界址点数" in str(_err(write_txt, txt_document([lines])))
    lines[0] = "5,1.0,DK01,地块一,体,,,,@"
    assert "面, 线 or 点" in str(_err(write_txt, txt_document([lines])))
    lines[0] = "5,一公顷,DK01,地块一,面,,,,@"
    assert "地块面积" in str(_err(write_txt, txt_document([lines])))


def test_structure_faults(write_txt):
    text = "坐标系=2000国家大地坐标系\r\n[地块坐标]\r\n"
    assert "before the first section" in str(_err(write_txt, text))
    text = txt_document([]).replace("[地块坐标]\r\n", "")
    assert "no [地块坐标]" in str(_err(write_txt, text))
    assert "holds no parcel" in str(_err(write_txt, txt_document([])))
    body = txt_parcel([rect(E0, N0, 10, 10)])
    text = txt_document([body[1:2] + body])
    err = _err(write_txt, text)
    assert "before any parcel header" in str(err) and err.line == 13
    empty = ["4,1.0,DK09,空地块,面,,,,@"]
    err = _err(write_txt, txt_document([empty, body]))
    assert "no coordinate lines" in str(err) and err.feature == "DK09"
    err = _err(write_txt, txt_document([body]).replace("带号=40", "带号40"))
    assert "key=value" in str(err) and err.line == 9


def test_non_contiguous_ring(write_txt):
    lines = txt_parcel([rect(E0, N0, 100, 100), rect(E0 + 10, N0 + 10, 10, 10)])
    lines.append(lines[2].replace(",1,", ",1,", 1))  # a ring-1 point after ring 2
    lines[0] = lines[0].replace("10,", "11,", 1)
    err = _err(write_txt, txt_document([lines]))
    assert "圈号 1 resumes" in str(err) and err.line == 13 + len(lines) - 1


def test_overlapping_and_crossing_rings(write_txt):
    a, b = rect(E0, N0, 100, 100), rect(E0 + 50, N0 + 50, 100, 100)
    err = _err(write_txt, txt_document([txt_parcel([a, b])]))
    assert "overlap" in str(err) and err.feature == "DK01"
    bowtie = [(E0, N0), (E0 + 100, N0 + 100), (E0 + 100, N0), (E0, N0 + 100)]
    err = _err(write_txt, txt_document([txt_parcel([bowtie], area="1")]))
    assert "not a simple ring" in str(err) and err.line == 14
    dup = rect(E0, N0, 100, 100)
    err = _err(write_txt, txt_document([txt_parcel([dup, dup])]))
    assert "repeats" in str(err)
    touching = [rect(E0, N0, 100, 100), rect(E0 + 100, N0, 100, 100)]
    err = _err(write_txt, txt_document([txt_parcel(touching)]))
    assert "multipolygon" in str(err)


def test_bad_bytes(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("[属性描述]\r\n坐标系=".encode("gbk") + b"\x81\x20\xff\r\n")
    with pytest.raises(InputFormatError, match="not valid") as ei:
        read_boundary_txt(path)
    assert ei.value.line == 2


# --------------------------------------------------------------------------- round trip


def _star(cx, cy, radii):
    n = len(radii)
    return [(cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n))
            for i, r in enumerate(radii)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lon=st.floats(120.9, 122.1), lat=st.floats(30.75, 31.8),
    radii=st.lists(st.floats(20.0, 400.0), min_size=3, max_size=30),
    prefixed=st.booleans(), swap=st.booleans(), hole=st.booleans(),
    encoding=st.sampled_from(["gbk", "utf-8", "utf-8-sig"]),
)
def test_round_trip(tmp_path, lon, lat, radii, prefixed, swap, hole, encoding):
    epsg = 4528 if prefixed else 4549
    cx, cy = gk_project(lon, lat, epsg)
    outer = [(round(x, 3), round(y, 3)) for x, y in _star(cx, cy, radii)]
    rings = [outer]
    if hole:
        rings.append([(round(x, 3), round(y, 3)) for x, y in _star(cx, cy, [5.0, 6.0, 7.0, 5.5])])
    poly = Polygon(outer, rings[1:])
    if not poly.is_valid:
        return
    text = txt_document([txt_parcel(rings, swap=swap)])
    enc, bom = ("utf-8", True) if encoding == "utf-8-sig" else (encoding, False)
    path = write_text(tmp_path / "rt.txt", text, enc, bom)
    frame, meta = read_boundary_txt(path)
    g = frame.geometry.iloc[0]
    assert meta.epsg == epsg and meta.axes_swapped == swap
    assert shapely.equals_exact(shapely.normalize(g), shapely.normalize(poly), tolerance=1e-6)
    assert frame.iloc[0].declared_area_ha == pytest.approx(poly.area / 10000, abs=1e-4)
    assert declared_area_problems(frame) == []


def test_looks_like_boundary_txt(write_txt, tmp_path):
    assert looks_like_boundary_txt(write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])])))
    assert looks_like_boundary_txt(write_txt(txt_document([txt_parcel([rect(E0, N0, 10, 10)])]), "utf-16"))
    notes = tmp_path / "notes.txt"
    notes.write_text("会议纪要\n[地块坐标] 见附件\n", encoding="gbk")
    assert not looks_like_boundary_txt(notes)
    binary = tmp_path / "x.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    assert not looks_like_boundary_txt(binary)
