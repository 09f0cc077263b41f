"""Build data/sample/projects/: the sample projects of the README's first command.

``sample_projects.gpkg``: twelve illustrative project footprints (EPSG:4490,
CGCS2000 lon/lat) placed against the sample layer pack so that each one
reaches a different route under 沪府办发〔2025〕8号 and 沪环规〔2025〕1号, with the
attribute table a planner would fill in (Chinese field names, 是/否 values).

Three more projects in the files Shanghai projects arrive in, CGCS2000
Gauss-Krüger with the zone prefix, no attributes (the route needs them: the
report asks):

* ``SP13.txt`` — a 界址点坐标交换格式 file in GBK (two parcels, one with a hole),
  3° zone 40 (EPSG:4528), in the 黄浦江上游 red line;
* ``SP14.dxf`` — a CAD drawing (DXF R2000, code page ANSI_936/GBK, layer 用地红线),
  zone 40, in the 横桥村 groundwater control village;
* ``SP15.xlsx`` — a coordinate table (title row, 地块编号/圈号/点号/X/Y),
  3° zone 41 (EPSG:4529), in 浦东 clear of every zone.

They are made up: SAMPLE DATA — not for official screening.

Run from the repository root:  python scripts/build_sample_projects.py
The expected outcome of each project is checked by tests/test_screen.py.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import geopandas as gpd
import pyproj
import shapely
from openpyxl import Workbook
from shapely.geometry import LineString, Polygon, box

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "sample" / "projects" / "sample_projects.gpkg"
PACK = ROOT / "data" / "sample" / "shanghai_sample.gpkg"


def _layer(kind: str) -> gpd.GeoDataFrame:
    return gpd.read_file(PACK, layer=kind)


# Footprints are placed relative to the sample layers (read once), so that each
# project keeps hitting what it is there to show if the sample pack is redrawn.
_SEA = _layer("sea").union_all()
_WATER = _layer("water_source_l1").union_all()
_CORE = _layer("core_zone").union_all()
_RED = _layer("redline").set_index("code").geometry
_DISTRICTS = _layer("district").set_index("name").geometry


def _red_land(code: str) -> shapely.Geometry:
    """Land part of one sample red-line polygon, away from water-source and core zones."""
    return _RED[code].difference(_SEA).difference(_WATER.buffer(0.002)).difference(_CORE.buffer(0.002))


def _in(area: shapely.Geometry, half: float) -> shapely.Geometry:
    """A square of half-side *half* degrees at a point well inside *area*, clipped to it."""
    inner = area.buffer(-half)
    point = (inner if not inner.is_empty else area).representative_point()
    return box(point.x - half, point.y - half, point.x + half, point.y + half).intersection(area)


def _strip_in(area: shapely.Geometry, length: float, half_width: float = 0.00015) -> shapely.Geometry:
    """An east–west strip about *length* degrees long (a seawall, a road) inside *area*."""
    inner = area.buffer(-2 * half_width)
    point = inner.representative_point()
    line = LineString([(point.x - length / 2, point.y), (point.x + length / 2, point.y)]).intersection(inner)
    parts = list(getattr(line, "geoms", [line]))
    piece = min(parts, key=lambda g: g.distance(point))
    return piece.buffer(half_width, cap_style="flat").intersection(area)


def _across_border(code: str, a: str, b: str, length: float = 0.014) -> shapely.Geometry:
    """An east–west strip across the border of districts *a* and *b* inside red line *code* (land)."""
    area = _red_land(code)
    border = _DISTRICTS[a].boundary.intersection(_DISTRICTS[b].boundary).intersection(area.buffer(-0.0005))
    mid = border.interpolate(0.5, normalized=True)
    line = LineString([(mid.x - length / 2, mid.y), (mid.x + length / 2, mid.y)])
    return line.buffer(0.00015, cap_style="flat").intersection(area)


def _feature(kind: str, code: str) -> shapely.Geometry:
    layer = _layer(kind)
    return layer.loc[layer["code"] == code].geometry.iloc[0]

Y, N = "是", "否"

#: fields of the attribute table, in order (see shgeo.attributes.FIELD_ALIASES)
FIELDS = ["项目编号", "项目名称", "建设单位", "活动类别", "是否符合附件条件", "是否国家重大项目",
          "是否符合通知项目范围",
          "是否新增建设用地", "是否用海用岛", "是否有具体建设活动", "是否办理规划许可", "是否既有设施修缮",
          "是否新建架空线", "是否开挖施工", "是否地下工程出口通风口", "是否临时用地", "是否专项规划阶段已认定",
          "是否新增填海造地", "是否新增围海", "是否新增用岛", "是否低影响利用", "建设性质", "是否与供水有关",
          "单位角色", "是否可能造成地下水污染", "是否已造成污染", "确认办理路径", "备注"]


def _row(pid, name, owner, geom, note, **values):
    row = {f: None for f in FIELDS}
    row.update({"项目编号": pid, "项目名称": name, "建设单位": owner, "备注": note, "geometry": geom})
    row.update(values)
    return row


def _sea_cable() -> LineString:
    """From the shore at 南汇东滩 straight out to sea across the red line."""
    land = _red_land("SH-HX-009")
    y = land.representative_point().y
    return LineString([(land.bounds[0] - 0.01, y), (_RED["SH-HX-009"].bounds[2] + 0.04, y)])


def _island_trail() -> LineString:
    """A short trail across the middle of 佘山岛."""
    island = _layer("island").set_index("name").geometry["佘山岛"]
    p = island.buffer(-0.0005).representative_point()
    return LineString([(p.x - 0.0012, p.y - 0.0002), (p.x + 0.0012, p.y + 0.0002)]).intersection(island.buffer(-0.0002))


def _through_water_zone() -> LineString:
    """A north–south pipeline through the 松浦大桥 intake's level-1 zone."""
    zone = _feature("water_source_l1", "SY-HPJ-2")
    p = zone.representative_point()
    return LineString([(p.x, p.y - 0.015), (p.x + 0.002, p.y + 0.015)])


LINEAR = dict(活动类别="6", 是否符合附件条件=Y, 是否国家重大项目=N, 是否专项规划阶段已认定=N, 是否临时用地=N)

PROJECTS = [
    _row("SP01", "青浦—松江110千伏架空输电线路新建工程", "国网上海市电力公司",
         LineString([(121.10, 30.93), (121.10, 31.07)]),
         "新建架空线穿越黄浦江上游水源涵养生态保护红线",
         **LINEAR, 是否新增建设用地=N, 是否用海用岛=N, 是否有具体建设活动=Y, 是否办理规划许可=Y,
         是否既有设施修缮=N, 是否新建架空线=Y, 是否开挖施工=N, 是否地下工程出口通风口=N, 建设性质="新建"),
    _row("SP02", "杭州湾北岸金山段海塘维修加固工程", "金山区水务局",
         _strip_in(_red_land("SH-HX-011"), 0.02),
         "既有海塘修缮，不办理规划许可",
         **LINEAR, 是否新增建设用地=N, 是否用海用岛=N, 是否有具体建设活动=Y, 是否办理规划许可=N,
         是否既有设施修缮=Y, 是否新建架空线=N, 是否开挖施工=N, 是否地下工程出口通风口=N, 建设性质="改建"),
    _row("SP03", "南汇东滩海底通信光缆登陆段工程", "中国电信上海公司",
         _sea_cable(),
         "海底光缆穿越南汇东滩湿地生态保护红线，需办理海域使用权",
         **LINEAR, 是否新增建设用地=N, 是否用海用岛=Y, 是否有具体建设活动=Y, 是否新增填海造地=N, 是否新增围海=N,
         是否新增用岛=N, 建设性质="新建"),
    _row("SP04", "南汇东滩国家重大交通枢纽填海工程", "上海国际港务（集团）股份有限公司",
         _in(_RED["SH-HX-009"].intersection(_SEA), 0.006),
         "国家重大项目，新增填海造地",
         活动类别="development", 是否国家重大项目=Y, 是否符合通知项目范围=Y, 是否新增建设用地=N, 是否用海用岛=Y,
         是否有具体建设活动=Y, 是否新增填海造地=Y, 是否新增围海=N, 是否新增用岛=N, 是否临时用地=N,
         是否专项规划阶段已认定=N, 建设性质="新建"),
    _row("SP05", "佘山岛生态巡护步道工程", "上海市海洋局",
         _island_trail(),
         "无居民海岛上的巡护步道，低影响利用",
         活动类别="5", 是否符合附件条件=Y, 是否国家重大项目=N, 是否新增建设用地=N, 是否用海用岛=Y,
         是否有具体建设活动=Y, 是否新增填海造地=N, 是否新增围海=N, 是否新增用岛=Y, 是否低影响利用=Y,
         是否临时用地=N, 是否专项规划阶段已认定=N, 建设性质="新建"),
    _row("SP06", "嘉定陆渡村精细化工厂房扩建项目", "上海某精细化工有限公司",
         _in(_feature("groundwater_village", "310114501213"), 0.002),
         "地下水污染防治管控类区域内的工业项目",
         建设性质="扩建", 是否与供水有关=N, 单位角色="企业;土壤污染重点监管单位", 是否可能造成地下水污染=Y,
         是否已造成污染=N),
    _row("SP07", "松浦大桥取水口附近成品油输送管道工程", "中石化上海分公司",
         _through_water_zone(),
         "管道穿越黄浦江上游饮用水水源一级保护区",
         **LINEAR, 是否新增建设用地=N, 是否用海用岛=N, 是否有具体建设活动=Y, 是否办理规划许可=Y,
         是否既有设施修缮=N, 是否新建架空线=N, 是否开挖施工=Y, 是否地下工程出口通风口=N,
         建设性质="新建", 是否与供水有关=N),
    _row("SP08", "泖港—练塘公路提升改造工程", "上海市道路运输事业发展中心",
         _across_border("SH-HX-007", "青浦区", "松江区"),
         "既有公路提升改造，跨青浦区、松江区；经主管部门确认按二(六)由市级行业主管部门申请",
         **LINEAR, 确认办理路径="二(六)", 是否新增建设用地=N, 是否用海用岛=N, 是否有具体建设活动=Y, 是否办理规划许可=Y,
         是否既有设施修缮=Y, 是否新建架空线=N, 是否开挖施工=N, 是否地下工程出口通风口=N, 建设性质="改建"),
    _row("SP09", "徐汇滨江文化中心新建工程", "徐汇区文化旅游局",
         box(121.455, 31.175, 121.459, 31.178),
         "不涉及红线和地下水重点区",
         活动类别="development", 建设性质="新建", 是否与供水有关=N),
    _row("SP10", "崇明东滩核心区候鸟观测站新建工程", "崇明东滩鸟类国家级自然保护区管理处",
         _in(_feature("core_zone", "ZR-310151-01-C"), 0.001),
         "位于自然保护区核心保护区内",
         活动类别="1", 是否符合附件条件=Y, 是否国家重大项目=N, 是否新增建设用地=N, 是否用海用岛=N,
         是否有具体建设活动=Y, 是否办理规划许可=N, 是否既有设施修缮=N, 建设性质="新建"),
    _row("SP11", "崇明北沿滩涂湿地鸟类调查监测", "上海市林业总站",
         _in(_red_land("SH-HX-008"), 0.004),
         "调查监测，无具体建设活动",
         活动类别="1", 是否符合附件条件=Y, 是否国家重大项目=N, 是否新增建设用地=N, 是否用海用岛=N,
         是否有具体建设活动=N, 建设性质="无"),
    _row("SP12", "青草沙水库周边生态停车场", "长兴岛开发建设管理委员会",
         _in(_red_land("SH-HX-004"), 0.0015),
         "属性未填写完整：需补充信息",
         活动类别="5"),
]


# --------------------------------------------------------------------------- survey files


def _gk(geom: shapely.Geometry, epsg: int) -> list[list[tuple[float, float]]]:
    """The rings (exterior first, not closed) of a lon/lat polygon in Gauss-Krüger *epsg*, to the millimetre."""
    to_gk = pyproj.Transformer.from_crs(4490, epsg, always_xy=True)
    rings = [geom.exterior, *geom.interiors]
    return [[(round(x, 3), round(y, 3)) for x, y in zip(*to_gk.transform(*ring.xy))][:-1] for ring in rings]


def _square_with_hole(area: shapely.Geometry, half: float) -> Polygon:
    outer = _in(area, half)
    hole = outer.centroid.buffer(half / 4, quad_segs=1)  # a diamond: a pond kept out of the parcel
    return Polygon(outer.exterior.coords, [hole.exterior.coords])


def _txt_parcel(pid: str, name: str, use: str, rings: list[list[tuple[float, float]]]) -> list[str]:
    """One parcel of an exchange txt: header, then 点号,圈号,X(north),Y(east), each ring closed."""
    lines, k = [], 1
    for qh, ring in enumerate(rings, start=1):
        first = k
        for e, n in ring:
            lines.append(f"J{k},{qh},{n:.3f},{e:.3f}")
            k += 1
        lines.append(f"J{first},{qh},{ring[0][1]:.3f},{ring[0][0]:.3f}")
    area = Polygon(rings[0], rings[1:]).area / 10_000
    return [f"{len(lines)},{area:.4f},{pid},{name},面,,{use},,@"] + lines


def _write_txt(path: Path) -> None:
    land = _red_land("SH-HX-007")
    a = _square_with_hole(land, 0.0015)
    b = _in(land.difference(a.buffer(0.002)), 0.001)
    header = ["[属性描述]", "格式版本号=1.01", "数据产生单位=某某测绘有限公司（样例）", "数据产生日期=2025-05-20",
              "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米", "带号=40", "精度=0.001",
              "转换参数=,,,,,,", "[地块坐标]"]
    body = _txt_parcel("DK01", "泵站用地", "公用设施用地", _gk(a, 4528)) + \
        _txt_parcel("DK02", "管理用房用地", "公用设施用地", _gk(b, 4528))
    path.write_bytes(("\r\n".join(header + body) + "\r\n").encode("gbk"))


def _write_dxf(path: Path) -> None:
    village = _feature("groundwater_village", "310120109240")
    site = _in(village, 0.0012)
    doc = ezdxf.new("R2000")
    doc.encoding = "gbk"  # $DWGCODEPAGE ANSI_936: how Chinese CAD writes R2000 drawings
    doc.layers.add("用地红线", color=1)
    doc.layers.add("标注")
    msp = doc.modelspace()
    [ring] = _gk(site, 4528)
    msp.add_lwpolyline(ring, close=True, dxfattribs={"layer": "用地红线"})
    msp.add_text("横桥村厂房扩建用地红线（样例）", dxfattribs={"layer": "标注", "height": 5}).set_placement(ring[0])
    doc.saveas(path)


def _write_xlsx(path: Path) -> None:
    site = box(121.615, 31.205, 121.619, 31.208)  # 浦东 张江, east of 121.5°E: 3° zone 41
    wb = Workbook()
    ws = wb.active
    ws.title = "界址点坐标"
    ws.append(["浦东张江某研发楼项目用地界址点坐标表（样例数据）"])
    ws.append(["坐标系：2000国家大地坐标系，3度带，带号41"])
    ws.append(["地块编号", "地块名称", "圈号", "点号", "X坐标(m)", "Y坐标(m)"])
    [ring] = _gk(site, 4529)
    for k, (e, n) in enumerate(ring, start=1):
        first = k == 1
        ws.append(["ZJ-01" if first else None, "研发楼用地" if first else None, 1, f"J{k}", n, e])
    wb.save(path)


SURVEY_FILES = {"SP13.txt": _write_txt, "SP14.dxf": _write_dxf, "SP15.xlsx": _write_xlsx}


def build() -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(PROJECTS, columns=[*FIELDS, "geometry"], geometry="geometry", crs="EPSG:4490")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if OUT.exists():
        OUT.unlink()
    gdf.to_file(OUT, layer="projects", driver="GPKG")
    for name, write in SURVEY_FILES.items():
        write(OUT.parent / name)
    return gdf


if __name__ == "__main__":
    frame = build()
    print(f"wrote {OUT} ({len(frame)} projects) and {', '.join(SURVEY_FILES)}")
