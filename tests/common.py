"""Canonical test geometries and small layer libraries for the footprint and overlay tests.

Coordinates are in the working CRS (metres, origin at 31.2°N 121.5°E), so
every geometry here lies in central Shanghai.  Layers are built with
``LayerLibrary.from_frames``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from shgeo.crs import WORKING_CRS

__all__ = [
    "empty_polygon", "empty_point", "point", "point_z", "line", "line_z", "polygon", "polygon_z",
    "polygon_with_hole", "multipolygon", "bowtie", "spike", "all_types", "frame", "footprints", "library",
    "grid_layers", "SURVEY_LON", "SURVEY_LAT", "TXT_HEADER", "gk_project", "gk_origin", "rect", "txt_parcel",
    "txt_document", "write_text", "write_dxf", "write_coordinate_xlsx",
]

point = Point(100.0, 200.0)
point_z = Point(100.0, 200.0, 5.0)
empty_point = Point()
line = LineString([(0.0, 0.0), (1000.0, 0.0)])
line_z = LineString([(0.0, 0.0, 1.0), (1000.0, 0.0, 2.0)])
polygon = box(0.0, 0.0, 100.0, 100.0)
polygon_z = Polygon([(0, 0, 3), (100, 0, 3), (100, 100, 3), (0, 100, 3)])
empty_polygon = Polygon()
polygon_with_hole = Polygon(box(0, 0, 300, 300).exterior.coords, [box(100, 100, 200, 200).exterior.coords[::-1]])
multipolygon = MultiPolygon([box(0, 0, 100, 100), box(200, 0, 300, 100)])
#: self-intersecting ring: make_valid turns it into two triangles of 2,500 m² each
bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
#: a square with a zero-width spike (invalid)
spike = Polygon([(0, 0), (100, 0), (100, 50), (150, 50), (100, 50), (100, 100), (0, 100)])

all_types = [point, point_z, line, line_z, polygon, polygon_z, polygon_with_hole, multipolygon, bowtie]


def frame(geoms, ids=None, crs=WORKING_CRS, **columns) -> gpd.GeoDataFrame:
    """A GeoDataFrame of *geoms* (default ids '1'..'n')."""
    geoms = list(geoms)
    ids = [str(k) for k in range(1, len(geoms) + 1)] if ids is None else [str(i) for i in ids]
    return gpd.GeoDataFrame({"footprint_id": ids, **columns}, geometry=gpd.GeoSeries(geoms), crs=crs)


footprints = frame


def library(layers: dict[str, list[tuple]]):
    """A LayerLibrary from ``{kind: [(feature_id, name, code, category, geometry), ...]}`` (working CRS)."""
    from shgeo.library.layers import LayerLibrary

    frames = {}
    for kind, rows in layers.items():
        df = pd.DataFrame(rows, columns=["feature_id", "name", "code", "category", "geometry"])
        frames[kind] = gpd.GeoDataFrame(df, geometry="geometry", crs=WORKING_CRS)
    return LayerLibrary.from_frames(frames, sample=False)


def grid_layers() -> dict[str, list[tuple]]:
    """A small world: two districts side by side, sea east of them, an island, a red line across the border.

    * 区A: x 0–1000, 区B: x 1000–2000 (y 0–1000); sea: x 2000–3000; island: 2400–2600 × 400–600
    * red line R1: x 800–1200, y 0–500 (straddles the district border)
    * core zone C1: 1500–1600 × 100–200; protected area P1 (自然保护区) = 1400–1700 × 0–300
    * water source W1 (青草沙): 100–300 × 600–900; village V1 (code 310151101001): 400–600 × 600–800
    """
    return {
        "district": [("310101", "区A", "310101", None, box(0, 0, 1000, 1000)),
                     ("310104", "区B", "310104", None, box(1000, 0, 2000, 1000))],
        "sea": [("S1", "东海", None, None, box(2000, -1000, 3000, 2000).difference(box(2400, 400, 2600, 600)))],
        "island": [("I1", "某岛", None, None, box(2400, 400, 2600, 600))],
        "redline": [("R1", "红线一", "R-1", "生态保护红线", box(800, 0, 1200, 500))],
        "core_zone": [("C1", "核心区", None, None, box(1500, 100, 1600, 200))],
        "protected_area": [("P1", "某自然保护区", None, "自然保护区", box(1400, 0, 1700, 300))],
        "water_source_l1": [("W1", "青草沙水源地", None, "青草沙", box(100, 600, 300, 900))],
        "groundwater_village": [("V1", "某村", "310151101001", None, box(400, 600, 600, 800))],
    }


def random_polygons(rng: np.random.Generator, n: int, *, extent: float = 3000.0, size: tuple = (5.0, 400.0)):
    """*n* random valid polygons (jittered circles, some with holes) inside ``[0, extent]²``."""
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(0, extent, 2)
        r = rng.uniform(*size)
        k = int(rng.integers(3, 24))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.4, 1.0, k)
        poly = shapely.make_valid(Polygon(np.column_stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)])))
        out.append(poly)
    return out


#: a polygon far from the synthetic test areas (stands in for "this kind exists, elsewhere")
FAR = box(30_000, 30_000, 30_100, 30_100)


def raster_library(sample: bool = False, **layers):
    """A library of the raster kinds; kinds not given hold one polygon far away; ``None`` leaves a kind out."""
    frames = {}
    for kind in ("redline", "core_zone", "water_source_l1", "protected_area", "sea"):
        geoms = layers.get(kind, [FAR])
        if geoms is None:
            continue
        frames[kind] = gpd.GeoDataFrame(
            {"name": [f"{kind} {i}" for i in range(len(geoms))],
             "category": ["自然保护区" if kind == "protected_area" else "青草沙"] * len(geoms)},
            geometry=gpd.GeoSeries(list(geoms)), crs=WORKING_CRS)
    from shgeo.library.layers import LayerLibrary

    return LayerLibrary.from_frames(frames, sample=sample)


# --------------------------------------------------------------------------- survey files (txt, DXF, tables)
#
# Coordinates are real Shanghai positions computed with pyproj: 121.4°E 31.2°N is
# E 40 633 432.299, N 3 453 993.144 in EPSG:4528 (CGCS2000 3° zone 40 with the zone prefix).

SURVEY_LON, SURVEY_LAT = 121.4, 31.2  # central Shanghai (徐汇 / 长宁)

#: [属性描述] of a CGCS2000 3° zone 40 exchange file, as 勘测定界 writers fill it in
TXT_HEADER = {
    "格式版本号": "1.01",
    "数据产生单位": "上海市测绘院",
    "数据产生日期": "2024-05-01",
    "坐标系": "2000国家大地坐标系",
    "几度分带": "3",
    "投影类型": "高斯克吕格",
    "计量单位": "米",
    "带号": "40",
    "精度": "0.001",
    "转换参数": ",,,,,,",
}


def gk_project(lon: float, lat: float, epsg: int) -> tuple[float, float]:
    """(easting, northing) of a CGCS2000 lon/lat in Gauss-Krüger *epsg*."""
    import pyproj

    return pyproj.Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)


def gk_origin(epsg: int = 4528) -> tuple[float, float]:
    return gk_project(SURVEY_LON, SURVEY_LAT, epsg)


def rect(e0: float, n0: float, w: float, h: float) -> list[tuple[float, float]]:
    """Counter-clockwise rectangle (easting, northing), not closed."""
    return [(e0, n0), (e0 + w, n0), (e0 + w, n0 + h), (e0, n0 + h)]


def txt_parcel(rings, *, pid: str = "DK01", name: str = "地块一", area: str | None = None, kind: str = "面",
               count: int | None = None, close: bool = True, swap: bool = False,
               extra_fields=("住宅用地", "0701"), tail=()) -> list[str]:
    """Lines of one parcel of an exchange txt: the header, then 点号,圈号,X(north),Y(east) lines."""
    body = []
    k = 1
    for qh, ring in enumerate(rings, start=1):
        pts = list(ring) + ([ring[0]] if close and kind == "面" else [])
        first_k = k
        for i, (e, n) in enumerate(pts):
            if close and kind == "面" and i == len(pts) - 1:
                label = f"J{first_k}"
            else:
                label = f"J{k}"
                k += 1
            x, y = (e, n) if swap else (n, e)
            body.append(f"{label},{qh},{x:.3f},{y:.3f}")
    if area is None and kind == "面":
        poly = Polygon(rings[0], list(rings[1:])) if len(rings) > 1 else Polygon(rings[0])
        area = f"{poly.area / 10000:.4f}"
    n = len(body) if count is None else count
    fields = [str(n), area or "", pid, name, kind, ""] + list(extra_fields) + list(tail) + ["@"]
    return [",".join(fields)] + body


def txt_document(parcels, header: dict[str, str] | None = None, *, sections_before=()) -> str:
    """An exchange txt: [属性描述] (default :data:`TXT_HEADER`) and [地块坐标] with *parcels*, CRLF line ends."""
    h = TXT_HEADER if header is None else header
    lines = list(sections_before)
    lines.append("[属性描述]")
    lines += [f"{k}={v}" for k, v in h.items()]
    lines.append("[地块坐标]")
    for p in parcels:
        lines += p
    return "\r\n".join(lines) + "\r\n"


def write_text(path, text: str, encoding: str = "gbk", bom: bool = False):
    """Write *text* as *encoding* bytes (GBK by default, as 勘测定界 files are)."""
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_dxf(path, rings, *, layer: str = "用地红线", version: str = "R2000", encoding: str | None = "gbk"):
    """A DXF drawing with one closed polyline per ring (easting, northing) on *layer* (GBK text for R2004 and older)."""
    import ezdxf

    doc = ezdxf.new(version)
    if encoding and version in ("R12", "R2000", "R2004"):
        doc.encoding = encoding
    doc.layers.add(layer)
    msp = doc.modelspace()
    for ring in rings:
        if version == "R12":
            msp.add_polyline2d(list(ring), close=True, dxfattribs={"layer": layer})
        else:
            msp.add_lwpolyline(list(ring), close=True, dxfattribs={"layer": layer})
    doc.saveas(path)
    return path


def write_coordinate_xlsx(path, parcels: dict[str, list], *, title: str | None = "界址点坐标表",
                          sheet: str = "坐标表"):
    """An XLSX coordinate table: title row, header 地块编号/圈号/点号/X坐标(m)/Y坐标(m), one row per point.

    *parcels*: 地块编号 → rings (each a list of (easting, northing), listed once, not closed).
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(["地块编号", "圈号", "点号", "X坐标(m)", "Y坐标(m)"])
    for pid, rings in parcels.items():
        k = 1
        for qh, ring in enumerate(rings, start=1):
            for e, n in ring:
                ws.append([pid, qh, f"J{k}", round(n, 3), round(e, 3)])
                k += 1
    wb.save(path)
    return path
