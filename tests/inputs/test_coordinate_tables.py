"""Coordinate tables (界址点坐标表) in CSV and XLSX: columns by name, title rows, merged cells, parcels and rings."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from shapely.geometry import MultiPolygon, Polygon

from common import gk_origin as origin
from common import rect, write_text
from shgeo.errors import CRSError, InputFormatError, LocalGridError, UnsupportedFileError
from shgeo.inputs.tables import COORDINATES, POINTS, read_coordinate_table, table_kind

E0, N0 = origin(4528)
e0, n0 = origin(4549)


def csv_text(rows, header=("点号", "X", "Y"), sep=","):
    out = [sep.join(header)]
    out += [sep.join(str(c) for c in r) for r in rows]
    return "\r\n".join(out) + "\r\n"


def points(ring, start=1, swap=False):
    rows = []
    for i, (e, n) in enumerate(ring):
        x, y = (e, n) if swap else (n, e)
        rows.append((f"J{start + i}", f"{x:.3f}", f"{y:.3f}"))
    return rows


def test_gbk_csv_point_x_y(tmp_path):
    path = write_text(tmp_path / "界址点.csv", csv_text(points(rect(E0, N0, 120, 80))), "gbk")
    frame, meta = read_coordinate_table(path)
    assert len(frame) == 1
    g = frame.geometry.iloc[0]
    assert isinstance(g, Polygon) and g.area == pytest.approx(9600, abs=1e-3)
    assert meta.epsg == 4528 and meta.crs_basis == "from the zone prefix"
    assert meta.encoding == "GBK" and meta.format == "CSV 坐标表"
    assert any("closed automatically" in n for n in meta.notes)
    row = frame.iloc[0]
    assert (row.first_line, row.last_line) == (2, 5) and row.points == 4
    assert row.parcel_id is None


def test_repeated_first_point_is_fine(tmp_path):
    ring = rect(E0, N0, 120, 80)
    path = write_text(tmp_path / "t.csv", csv_text(points(ring + ring[:1])), "utf-8", bom=True)
    frame, meta = read_coordinate_table(path)
    assert frame.geometry.iloc[0].area == pytest.approx(9600, abs=1e-3)
    assert not any("closed automatically" in n for n in meta.notes)


def test_unprefixed_needs_crs(tmp_path):
    path = write_text(tmp_path / "t.csv", csv_text(points(rect(e0, n0, 50, 50))), "utf-8")
    with pytest.raises(CRSError, match="--crs"):
        read_coordinate_table(path)
    frame, meta = read_coordinate_table(path, crs="EPSG:4549")
    assert meta.epsg == 4549 and meta.crs_basis == "given by the user"
    with pytest.raises(CRSError, match="EPSG:4549"):
        read_coordinate_table(path, crs="EPSG:4528")


def test_parcels_rings_and_english_headers(tmp_path):
    rows = []
    for e, n in rect(E0, N0, 200, 200):
        rows.append(("A", "1", f"J{len(rows)+1}", f"{n:.3f}", f"{e:.3f}"))
    for e, n in rect(E0 + 50, N0 + 50, 20, 20):
        rows.append(("A", "2", f"J{len(rows)+1}", f"{n:.3f}", f"{e:.3f}"))
    for e, n in rect(E0 + 500, N0, 50, 50):
        rows.append(("B", "1", f"J{len(rows)+1}", f"{n:.3f}", f"{e:.3f}"))
    for e, n in rect(E0 + 600, N0, 50, 50):
        rows.append(("B", "2", f"J{len(rows)+1}", f"{n:.3f}", f"{e:.3f}"))
    path = write_text(tmp_path / "t.csv",
                      csv_text(rows, header=("Parcel", "Ring", "Point", "x", "y"), sep="\t"), "utf-8")
    frame, _ = read_coordinate_table(path)
    assert list(frame.parcel_id) == ["A", "B"]
    a, b = frame.geometry
    assert isinstance(a, Polygon) and len(a.interiors) == 1 and a.area == pytest.approx(40000 - 400)
    assert isinstance(b, MultiPolygon) and len(b.geoms) == 2
    assert list(frame.holes) == [1, 0] and list(frame.parts) == [1, 2]


def test_swapped_columns(tmp_path):
    path = write_text(tmp_path / "t.csv", csv_text(points(rect(E0, N0, 120, 80), swap=True)), "gbk")
    frame, meta = read_coordinate_table(path)
    assert meta.axes_swapped
    assert frame.geometry.iloc[0].bounds[0] == pytest.approx(E0, abs=1e-3)


def test_xlsx_with_title_rows_and_merged_cells(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "坐标表"
    ws.append(["某某路道路工程用地界址点坐标表"])
    ws.append(["坐标系：2000国家大地坐标系"])
    ws.append(["地块编号", "地块名称", "圈号", "点号", "X坐标(m)", "Y坐标(m)"])
    first = True
    for e, n in rect(E0, N0, 100, 60):
        ws.append(["DK01" if first else None, "道路用地" if first else None, 1 if first else None,
                   "J1", n, e])
        first = False
    first = True
    for e, n in rect(E0 + 300, N0, 40, 40):
        ws.append(["DK02" if first else None, "绿地" if first else None, 1, "J1", n, e])
        first = False
    ws.append([None, None, None, None, None, None])
    path = tmp_path / "坐标.xlsx"
    wb.save(path)
    frame, meta = read_coordinate_table(path)
    assert list(frame.parcel_id) == ["DK01", "DK02"]
    assert list(frame.parcel_name) == ["道路用地", "绿地"]
    assert frame.geometry.iloc[0].area == pytest.approx(6000, abs=1e-3)
    assert (frame.iloc[0].first_line, frame.iloc[0].last_line) == (4, 7)
    assert meta.header["sheet"] == "坐标表" and meta.format == "XLSX 坐标表"
    assert any("repeat the value above" in n for n in meta.notes)


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    wb = Workbook()
    wb.active.title = "说明"
    ws = wb.create_sheet("界址点")
    ws.append(["点号", "北坐标", "东坐标"])
    for i, (e, n) in enumerate(rect(E0, N0, 10, 10)):
        ws.append([f"J{i+1}", n, e])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    frame, _ = read_coordinate_table(path, sheet="界址点")
    assert frame.geometry.iloc[0].area == pytest.approx(100, abs=1e-3)
    with pytest.raises(InputFormatError, match="no sheet named"):
        read_coordinate_table(path, sheet="坐标")
    with pytest.raises(InputFormatError, match="no header row"):
        read_coordinate_table(path, sheet="说明")


def test_columns_override(tmp_path):
    text = csv_text([(f"{n:.3f}", f"{e:.3f}") for e, n in rect(E0, N0, 10, 10)], header=("纵", "横"))
    path = write_text(tmp_path / "t.csv", text, "utf-8")
    with pytest.raises(InputFormatError, match="no header row"):
        read_coordinate_table(path)
    frame, _ = read_coordinate_table(path, columns={"x": "纵", "y": "横"})
    assert frame.geometry.iloc[0].area == pytest.approx(100, abs=1e-3)


def test_row_faults(tmp_path):
    rows = points(rect(E0, N0, 10, 10))
    rows[2] = ("J3", rows[2][1], "")
    path = write_text(tmp_path / "t.csv", csv_text(rows), "utf-8")
    with pytest.raises(InputFormatError, match="no X or no Y") as ei:
        read_coordinate_table(path)
    assert ei.value.line == 4
    rows[2] = ("J3", "3453993.1x4", "40633432.299")
    path = write_text(tmp_path / "t.csv", csv_text(rows), "utf-8")
    with pytest.raises(InputFormatError, match="not numbers") as ei:
        read_coordinate_table(path)
    assert ei.value.line == 4
    path = write_text(tmp_path / "t2.csv", csv_text(points(rect(E0, N0, 10, 10))[:2]), "utf-8")
    with pytest.raises(InputFormatError, match="distinct points"):
        read_coordinate_table(path)
    path = write_text(tmp_path / "t3.csv", csv_text(points(rect(E0, N0, 10, 10))), "utf-8")
    with pytest.raises(InputFormatError, match="not closed"):
        read_coordinate_table(path, close_rings=False)


def test_local_grid_and_unsupported(tmp_path):
    rows = [("1", "-12000.5", "30000.0"), ("2", "-12000.5", "30100.0"), ("3", "-11900.5", "30100.0")]
    path = write_text(tmp_path / "t.csv", csv_text(rows), "utf-8")
    with pytest.raises(LocalGridError):
        read_coordinate_table(path)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnsupportedFileError, match="xlsx"):
        read_coordinate_table(xls)


def test_table_kind_tells_footprints_from_boundary_points(tmp_path):
    cases = {
        "wkt.csv": ("id,wkt\n1,POINT (121.4 31.2)\n", POINTS),
        "lonlat.csv": ("项目编号,经度,纬度\nA,121.4,31.2\n", POINTS),
        "xy_degrees.csv": ("id,x,y\n1,121.4,31.2\n", POINTS),
        "xy_metres.csv": (f"id,x,y\n1,{N0:.3f},{E0:.3f}\n", COORDINATES),
        "points.csv": (f"点号,X,Y\nJ1,{N0:.3f},{E0:.3f}\n", COORDINATES),
        "survey_names.csv": (f"北坐标,东坐标\n{N0:.3f},{E0:.3f}\n", COORDINATES),
        "attributes.csv": ("项目编号,活动类别\nA,6\n", None),
    }
    for name, (text, kind) in cases.items():
        path = write_text(tmp_path / name, text, "gbk")
        assert table_kind(path) == kind, name
    assert table_kind(write_text(tmp_path / "odd.csv", "id,形状\n1,POINT (121.4 31.2)\n", "utf-8"),
                      wkt_field="形状") == POINTS
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["项目编号", "活动类别"])
    wb.save(tmp_path / "attrs.xlsx")
    assert table_kind(tmp_path / "attrs.xlsx") is None
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    assert table_kind(tmp_path / "broken.xlsx") is None
