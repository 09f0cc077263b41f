"""CAD drawings (DXF): arcs densified on the true curve, hatches, nesting per layer, GBK code pages, CRS, DWG."""

from __future__ import annotations

import math

import ezdxf
import numpy as np
import pytest
from ezdxf.math import bulge_center, bulge_radius
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from common import gk_origin as origin
from common import rect
from shgeo.errors import CRSError, InputFormatError, LocalGridError, UnsupportedFileError
from shgeo.inputs.dxf import arc_points, bulge_points, list_dxf_layers, polyline_points, read_dxf

E0, N0 = origin(4528)
e0, n0 = origin(4549)
RED = "用地红线"


def new_doc(version="R2000", encoding=None):
    doc = ezdxf.new(version)
    if encoding:
        doc.encoding = encoding
    for name in (RED, "建筑", "道路中线"):
        doc.layers.add(name)
    return doc


def add_rect(msp, e, n, w, h, layer=RED, version="R2000"):
    pts = rect(e, n, w, h)
    if version == "R12":
        return msp.add_polyline2d(pts, close=True, dxfattribs={"layer": layer})
    return msp.add_lwpolyline(pts, close=True, dxfattribs={"layer": layer})


def by_layer(frame, layer):
    return frame[frame.layer == layer]


# --------------------------------------------------------------------------- curves


def test_arc_points_respect_chord_error():
    pts = arc_points((0.0, 0.0), 500.0, 0.0, math.pi / 2, tol=0.01)
    r = np.hypot(pts[:, 0], pts[:, 1])
    assert np.allclose(r, 500.0)
    step = np.diff(np.arctan2(pts[:, 1], pts[:, 0])).max()
    assert 500.0 * (1 - math.cos(step / 2)) <= 0.01 + 1e-12
    assert len(pts) > 2
    tiny = arc_points((0, 0), 0.001, 0, 2 * math.pi, tol=0.01)
    assert len(tiny) == 5  # a circle smaller than the tolerance still keeps 4 segments


@settings(max_examples=200, deadline=None)
@given(
    x1=st.floats(-1e3, 1e3), y1=st.floats(-1e3, 1e3),
    dx=st.floats(-500, 500), dy=st.floats(-500, 500),
    bulge=st.floats(-3.0, 3.0).filter(lambda b: abs(b) > 1e-3),
    tol=st.sampled_from([0.001, 0.01, 0.1]),
)
def test_bulge_points_on_the_true_arc(x1, y1, dx, dy, bulge, tol):
    if math.hypot(dx, dy) < 1e-3:
        return
    p1, p2 = (x1, y1), (x1 + dx, y1 + dy)
    pts = bulge_points(p1, p2, bulge, tol)
    assert tuple(pts[0]) == p1 and tuple(pts[-1]) == p2
    c = bulge_center(p1, p2, bulge)
    r = bulge_radius(p1, p2, bulge)
    dist = np.hypot(pts[:, 0] - c.x, pts[:, 1] - c.y)
    assert np.allclose(dist, r, rtol=1e-9, atol=1e-6)
    # sagitta of every chord within the tolerance
    chords = np.hypot(*np.diff(pts, axis=0).T)
    sagitta = r - np.sqrt(np.maximum(r * r - (chords / 2) ** 2, 0))
    assert sagitta.max() <= tol * (1 + 1e-6) + 1e-9 or r <= tol
    # the arc turns the way the bulge says: positive = counter-clockwise
    cross = (pts[1, 0] - pts[0, 0]) * (p2[1] - p1[1]) - (pts[1, 1] - pts[0, 1]) * (p2[0] - p1[0])
    if len(pts) > 2:
        assert (cross > 0) == (bulge > 0) or abs(cross) < 1e-9


def test_polyline_points_closed():
    pts = polyline_points([(0, 0, 0), (10, 0, 0), (10, 10, 0)], closed=True)
    assert pts.tolist() == [[0, 0], [10, 0], [10, 10], [0, 0]]


# --------------------------------------------------------------------------- reading


def test_lwpolyline_prefixed_zone_from_prefix(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    add_rect(msp, E0, N0, 200, 150)
    path = tmp_path / "红线.dxf"
    doc.saveas(path)
    frame, meta = read_dxf(path)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row.layer == RED and row.kind == "polygon" and row.entity_type == "LWPOLYLINE"
    assert row.geometry.area == pytest.approx(30000, abs=1e-3)
    assert meta.epsg == 4528 and meta.crs_basis == "from the zone prefix"
    assert any("CGCS2000 was assumed" in n for n in meta.notes)
    assert any("read every layer with boundaries (用地红线)" in n for n in meta.notes)
    assert frame.crs.to_epsg() == 4528 and meta.format == "DXF"


def test_bulges_are_densified(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    # square whose east side is a semicircle bulging outwards (bulge 1 = 180° ccw)
    msp.add_lwpolyline([(E0, N0, 0), (E0 + 100, N0, 1.0), (E0 + 100, N0 + 100, 0), (E0, N0 + 100, 0)],
                       format="xyb", close=True, dxfattribs={"layer": RED})
    path = tmp_path / "arc.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path, max_chord_error=0.01)
    g = frame.geometry.iloc[0]
    exact = 10000 + math.pi * 50 ** 2 / 2
    assert exact - math.pi * 50 * 0.01 <= g.area <= exact
    assert E0 + 150 - 0.01 <= g.bounds[2] <= E0 + 150  # within the chord error of the apex
    arc = np.array(g.exterior.coords)
    on_arc = arc[arc[:, 0] > E0 + 100 + 1e-9]
    assert np.allclose(np.hypot(on_arc[:, 0] - (E0 + 100), on_arc[:, 1] - (N0 + 50)), 50, atol=1e-6)
    coarse, _ = read_dxf(path, max_chord_error=1.0)
    assert len(coarse.geometry.iloc[0].exterior.coords) < len(arc)


def test_mirrored_polyline_uses_ocs(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    # extrusion (0,0,-1): OCS x = -WCS x, so the mirror image of test_bulges_are_densified's
    # shape needs bulge -1 (orientation flips) to bulge outwards (east) in WCS
    msp.add_lwpolyline([(-E0, N0, 0), (-(E0 + 100), N0, -1.0), (-(E0 + 100), N0 + 100, 0), (-E0, N0 + 100, 0)],
                       format="xyb", close=True, dxfattribs={"layer": RED, "extrusion": (0, 0, -1)})
    path = tmp_path / "mirror.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path)
    g = frame.geometry.iloc[0]
    assert g.bounds[0] == pytest.approx(E0, abs=1e-6)
    assert E0 + 150 - 0.01 <= g.bounds[2] <= E0 + 150
    exact = 10000 + math.pi * 1250
    assert exact - math.pi * 50 * 0.01 <= g.area <= exact


def test_circle_and_arc(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    msp.add_circle((E0 + 500, N0 + 500), 30, dxfattribs={"layer": RED})
    msp.add_arc((E0, N0), 40, 0, 90, dxfattribs={"layer": "道路中线"})
    path = tmp_path / "c.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path, layers=[RED, "道路中线"])
    circle = by_layer(frame, RED).geometry.iloc[0]
    assert math.pi * 900 - 2 * math.pi * 30 * 0.01 <= circle.area <= math.pi * 900
    arc = by_layer(frame, "道路中线").iloc[0]
    assert arc.kind == "line" and arc.geometry.length == pytest.approx(math.pi * 40 / 2, rel=1e-4)


def test_hatch_paths(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    hatch = msp.add_hatch(dxfattribs={"layer": RED})
    # stadium: 100 x 40 rectangle with semicircular ends; west arc written clockwise
    ep = hatch.paths.add_edge_path()
    ep.add_line((E0, N0), (E0 + 100, N0))
    ep.add_arc((E0 + 100, N0 + 20), 20, -90, 90, ccw=True)
    ep.add_line((E0 + 100, N0 + 40), (E0, N0 + 40))
    ep.add_arc((E0, N0 + 20), 20, 90, 270, ccw=False)
    hatch.paths.add_polyline_path([(x, y, 0) for x, y in rect(E0 + 500, N0, 30, 30)], is_closed=True)
    path = tmp_path / "h.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path)
    areas = sorted(frame.geometry.area)
    assert areas[0] == pytest.approx(900, abs=1e-6)
    exact = 4000 + math.pi * 400
    assert exact - 2 * math.pi * 20 * 0.01 <= areas[1] <= exact
    stadium = frame.geometry[frame.geometry.area > 1000].iloc[0]
    assert E0 - 20 <= stadium.bounds[0] <= E0 - 20 + 0.01
    assert E0 + 120 - 0.01 <= stadium.bounds[2] <= E0 + 120


def test_nesting_per_layer(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    outer = add_rect(msp, E0, N0, 300, 300)
    hole = add_rect(msp, E0 + 50, N0 + 50, 200, 200)
    island = add_rect(msp, E0 + 100, N0 + 100, 50, 50)
    add_rect(msp, E0 + 10, N0 + 10, 20, 20, layer="建筑")  # other layer: not a hole
    path = tmp_path / "n.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path)
    red = by_layer(frame, RED)
    assert len(red) == 2
    big = red[red.geometry.area > 10000].iloc[0]
    assert big.holes == 1 and big.geometry.area == pytest.approx(90000 - 40000)
    assert big.parcel_id == outer.dxf.handle
    assert big.handles == f"{outer.dxf.handle},{hole.dxf.handle}"
    small = red[red.geometry.area < 10000].iloc[0]
    assert small.parcel_id == island.dxf.handle and small.geometry.area == pytest.approx(2500)
    building = by_layer(frame, "建筑").iloc[0]
    assert building.geometry.area == pytest.approx(400)


def test_hatch_over_its_boundary_is_kept_once(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    add_rect(msp, E0, N0, 100, 100)
    hatch = msp.add_hatch(dxfattribs={"layer": RED})
    hatch.paths.add_polyline_path([(x, y, 0) for x, y in rect(E0, N0, 100, 100)], is_closed=True)
    path = tmp_path / "d.dxf"
    doc.saveas(path)
    frame, meta = read_dxf(path)
    assert len(frame) == 1 and frame.geometry.iloc[0].area == pytest.approx(10000)
    assert any("duplicates" in n for n in meta.notes)


def test_open_shapes_and_closed_by_coordinates(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    msp.add_lwpolyline([(E0, N0), (E0 + 100, N0 + 10), (E0 + 200, N0)], dxfattribs={"layer": "道路中线"})
    msp.add_line((E0, N0 + 50), (E0 + 50, N0 + 50), dxfattribs={"layer": "道路中线"})
    ring = rect(E0, N0 + 100, 40, 40)
    msp.add_lwpolyline(ring + ring[:1], dxfattribs={"layer": RED})  # not flagged closed
    msp.add_text("J1", dxfattribs={"layer": RED}).set_placement((E0, N0))
    path = tmp_path / "o.dxf"
    doc.saveas(path)
    # no layer named: the closed shapes only (open lines are grid, leaders, dimensions as often as not) …
    frame, meta = read_dxf(path)
    assert list(frame.kind) == ["polygon"] and frame.geometry.iloc[0].area == pytest.approx(1600)
    assert any("TEXT×1" in n for n in meta.notes)
    assert any("2 open line(s) on layer(s) 道路中线 were not read" in n for n in meta.notes)
    # … a named layer: everything on it
    frame, _ = read_dxf(path, layers=["道路中线", RED])
    assert sorted(frame.kind) == ["line", "line", "polygon"]
    assert frame[frame.kind == "line"].geometry.length.sum() == pytest.approx(2 * 100.4987 + 50, abs=1e-3)


def test_a_drawing_of_lines_only_reads_its_lines(tmp_path):
    doc = new_doc()
    doc.modelspace().add_lwpolyline([(E0, N0), (E0 + 100, N0 + 10), (E0 + 200, N0)], dxfattribs={"layer": "道路中线"})
    path = tmp_path / "road.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path)
    assert list(frame.kind) == ["line"]


def test_layer_selection(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    add_rect(msp, E0, N0, 100, 100)
    add_rect(msp, E0 + 500, N0, 10, 10, layer="建筑")
    path = tmp_path / "l.dxf"
    doc.saveas(path)
    frame, _ = read_dxf(path, layers=[RED])
    assert list(frame.layer) == [RED]
    frame, _ = read_dxf(path, layers="建筑")
    assert list(frame.layer) == ["建筑"]
    with pytest.raises(InputFormatError, match="no layer named") as ei:
        read_dxf(path, layers=["红线"])
    assert RED in ei.value.hint
    layers = list_dxf_layers(path)
    assert layers[RED] == {"LWPOLYLINE": 1} and layers["道路中线"] == {}
    with pytest.raises(InputFormatError, match="no polylines"):
        read_dxf(path, layers=["道路中线"])
    assert list(read_dxf(path, layers=["用地红线", "建筑"]).frame.layer) == [RED, "建筑"]


@pytest.mark.parametrize("version", ["R12", "R2000", "R2004"])
def test_gbk_drawings_written_by_ezdxf(tmp_path, version):
    doc = new_doc(version, encoding="gbk")
    add_rect(doc.modelspace(), E0, N0, 100, 100, version=version)
    path = tmp_path / f"gbk_{version}.dxf"
    doc.saveas(path)
    raw = path.read_bytes()
    assert b"ANSI_936" in raw and RED.encode("gbk") in raw
    frame, meta = read_dxf(path)
    assert list(frame.layer) == [RED] and meta.encoding == "GBK"
    assert meta.header["$DWGCODEPAGE"] == "ANSI_936"


def test_utf8_r2010_and_unicode_escapes(tmp_path):
    doc = new_doc("R2010")
    add_rect(doc.modelspace(), E0, N0, 100, 100)
    path = tmp_path / "u.dxf"
    doc.saveas(path)
    assert RED.encode("utf-8") in path.read_bytes()
    frame, meta = read_dxf(path)
    assert list(frame.layer) == [RED] and meta.encoding == "UTF-8"
    # R2000 in the default code page: ezdxf writes \U+7528... escapes
    doc = new_doc("R2000")
    add_rect(doc.modelspace(), E0, N0, 100, 100)
    path = tmp_path / "esc.dxf"
    doc.saveas(path)
    assert b"\\U+7528" in path.read_bytes()
    frame, _ = read_dxf(path)
    assert list(frame.layer) == [RED]
    assert RED in list_dxf_layers(path)


def _hand_r12(codepage: str | None, layer: str, ring) -> str:
    """A minimal DXF R12 as a CAD program of the 1990s would write it."""
    out = ["0", "SECTION", "2", "HEADER", "9", "$ACADVER", "1", "AC1009"]
    if codepage:
        out += ["9", "$DWGCODEPAGE", "3", codepage]
    out += ["0", "ENDSEC", "0", "SECTION", "2", "TABLES", "0", "TABLE", "2", "LAYER", "70", "1",
            "0", "LAYER", "2", layer, "70", "0", "62", "1", "6", "CONTINUOUS", "0", "ENDTAB",
            "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES",
            "0", "POLYLINE", "8", layer, "66", "1", "70", "1", "10", "0.0", "20", "0.0", "30", "0.0"]
    for x, y in ring:
        out += ["0", "VERTEX", "8", layer, "10", f"{x:.3f}", "20", f"{y:.3f}", "30", "0.0"]
    out += ["0", "SEQEND", "8", layer, "0", "ENDSEC", "0", "EOF"]
    width = [f"{int(v):>3}" if i % 2 == 0 else v for i, v in enumerate(out)]
    return "\r\n".join(width) + "\r\n"


@pytest.mark.parametrize("codepage,note", [("ANSI_936", False), ("ANSI_1252", True), (None, True)])
def test_hand_written_gbk_r12(tmp_path, codepage, note):
    path = tmp_path / "hand.dxf"
    path.write_bytes(_hand_r12(codepage, "宗地界线", rect(E0, N0, 60, 50)).encode("gbk"))
    frame, meta = read_dxf(path)
    assert list(frame.layer) == ["宗地界线"]
    assert frame.geometry.iloc[0].area == pytest.approx(3000)
    assert meta.encoding == "GBK"
    assert any("read as GBK" in n for n in meta.notes) == note


def test_encoding_override(tmp_path):
    path = tmp_path / "hand.dxf"
    path.write_bytes(_hand_r12("ANSI_1252", "宗地界线", rect(E0, N0, 60, 50)).encode("gbk"))
    frame, _ = read_dxf(path, encoding="gbk")
    assert list(frame.layer) == ["宗地界线"]


def test_dwg_and_non_dxf_refused(tmp_path):
    dwg = tmp_path / "图纸.dwg"
    dwg.write_bytes(b"AC1032\x00\x00\x00\x00\x00\x00")
    with pytest.raises(UnsupportedFileError, match="DWG") as ei:
        read_dxf(dwg)
    assert "DXF" in ei.value.hint
    renamed = tmp_path / "really_dwg.dxf"
    renamed.write_bytes(b"AC1027\x00\x00\x00\x00\x00\x00")
    with pytest.raises(UnsupportedFileError, match="DWG"):
        read_dxf(renamed)
    junk = tmp_path / "junk.dxf"
    junk.write_text("hello")
    with pytest.raises(UnsupportedFileError, match="not a DXF"):
        read_dxf(junk)
    assert isinstance(UnsupportedFileError("x"), ValueError)


def test_crs_rules(tmp_path):
    doc = new_doc()
    add_rect(doc.modelspace(), e0, n0, 100, 100)
    plain = tmp_path / "plain.dxf"
    doc.saveas(plain)
    with pytest.raises(CRSError, match="--crs EPSG:4549") as ei:
        read_dxf(plain)
    assert "crs='EPSG:4549' in Python" in ei.value.hint
    frame, meta = read_dxf(plain, crs="EPSG:4549")
    assert meta.epsg == 4549 and meta.crs_basis == "given by the user"
    doc = new_doc()
    add_rect(doc.modelspace(), E0, N0, 100, 100)
    prefixed = tmp_path / "prefixed.dxf"
    doc.saveas(prefixed)
    with pytest.raises(CRSError, match=r"use EPSG:4528 \(zone-prefixed\)"):
        read_dxf(prefixed, crs="EPSG:4549")


def test_local_city_grid_refused(tmp_path):
    doc = new_doc()
    poly = add_rect(doc.modelspace(), -20000.0, 30000.0, 100, 100)
    path = tmp_path / "city.dxf"
    doc.saveas(path)
    with pytest.raises(LocalGridError, match="上海城市坐标系") as ei:
        read_dxf(path)
    with pytest.raises(LocalGridError):
        read_dxf(path, crs="EPSG:4549")
    assert ei.value.path == path
    del poly


def test_swapped_drawing(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    msp.add_lwpolyline([(n, e) for e, n in rect(E0, N0, 100, 50)], close=True, dxfattribs={"layer": RED})
    path = tmp_path / "sw.dxf"
    doc.saveas(path)
    frame, meta = read_dxf(path)
    assert meta.axes_swapped and any("swapped" in n for n in meta.notes)
    assert frame.geometry.iloc[0].equals(Polygon(rect(E0, N0, 100, 50)))


def test_bad_shapes_name_the_entity(tmp_path):
    doc = new_doc()
    msp = doc.modelspace()
    bow = msp.add_lwpolyline([(E0, N0), (E0 + 100, N0 + 100), (E0 + 100, N0), (E0, N0 + 100)], close=True,
                             dxfattribs={"layer": RED})
    path = tmp_path / "bow.dxf"
    doc.saveas(path)
    with pytest.raises(InputFormatError, match="not a simple ring") as ei:
        read_dxf(path)
    assert ei.value.layer == RED and bow.dxf.handle in str(ei.value.feature)
    doc = new_doc()
    msp = doc.modelspace()
    add_rect(msp, E0, N0, 100, 100)
    bad = msp.add_lwpolyline(rect(e0, n0, 10, 10), close=True, dxfattribs={"layer": "建筑"})
    path = tmp_path / "mixed.dxf"
    doc.saveas(path)
    with pytest.raises(CRSError, match="zone prefix") as ei:
        read_dxf(path)
    assert ei.value.layer == "建筑" and bad.dxf.handle in ei.value.feature


def test_units_note(tmp_path):
    doc = new_doc()
    doc.header["$INSUNITS"] = 4
    add_rect(doc.modelspace(), E0, N0, 100, 100)
    path = tmp_path / "mm.dxf"
    doc.saveas(path)
    _, meta = read_dxf(path)
    assert any("millimetres" in n for n in meta.notes)


def test_r12_polyline_with_bulge_gbk(tmp_path):
    doc = new_doc("R12", encoding="gbk")
    doc.modelspace().add_polyline2d(
        [(E0, N0, 0), (E0 + 100, N0, 1.0), (E0 + 100, N0 + 100, 0), (E0, N0 + 100, 0)],
        format="xyb", close=True, dxfattribs={"layer": RED})
    path = tmp_path / "r12arc.dxf"
    doc.saveas(path)
    frame, meta = read_dxf(path)
    row = frame.iloc[0]
    assert row.entity_type == "POLYLINE" and row.layer == RED and meta.encoding == "GBK"
    exact = 10000 + math.pi * 50 ** 2 / 2
    assert exact - math.pi * 50 * 0.01 <= row.geometry.area <= exact
