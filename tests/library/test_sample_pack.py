"""Integrity of the embedded Shanghai sample layer pack (data/sample/).

Reads the GeoPackage directly with pyogrio/geopandas; when ``shgeo.load_library``
exists, the pack is also checked through it.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from shgeo.crs import SHANGHAI_BOUNDS, WORKING_CRS
from shgeo.library.kinds import KINDS

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "data" / "sample"
GPKG = PACK / "shanghai_sample.gpkg"
MANIFEST = PACK / "manifest.toml"
VILLAGES_CSV = REPO / "shgeo" / "library" / "reference" / "control_villages.csv"

PACK_KINDS = ["redline", "core_zone", "protected_area", "water_source_l1",
              "groundwater_village", "district", "sea", "island"]
DISTRICT_CODES = ["310101", "310104", "310105", "310106", "310107", "310109", "310110",
                  "310112", "310113", "310114", "310115", "310116", "310117", "310118",
                  "310120", "310151"]
WATER_ZONES = {"东风西沙", "陈行", "青草沙", "黄浦江上游"}
RESERVES = {"崇明东滩鸟类国家级自然保护区", "上海九段沙湿地国家级自然保护区",
            "上海市长江口中华鲟自然保护区", "金山三岛海洋生态自然保护区"}
ISLANDS = {"大金山岛", "小金山岛", "浮山岛", "佘山岛"}


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {kind: gpd.read_file(GPKG, layer=kind, engine="pyogrio") for kind in PACK_KINDS}


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return gdf.geometry.to_crs(WORKING_CRS)


def test_all_kinds_present_as_layers():
    names = {name for name, _ in pyogrio.list_layers(GPKG)}
    assert set(PACK_KINDS) <= names
    assert set(PACK_KINDS) <= set(KINDS)


def test_manifest_lists_every_layer_with_provenance():
    data = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    assert data["manifest"]["sample"] is True
    kinds = [entry["kind"] for entry in data["layers"]]
    assert sorted(kinds) == sorted(PACK_KINDS)
    for entry in data["layers"]:
        assert (PACK / entry["path"]).exists()
        assert entry["layer"] == entry["kind"]
        prov = entry["provenance"]
        assert {"source", "edition", "licence", "sample", "notes"} <= set(prov)
        assert prov["sample"] is True
    licences = {e["kind"]: e["provenance"]["licence"] for e in data["layers"]}
    assert "ODbL" in licences["sea"]
    sea_notes = next(e for e in data["layers"] if e["kind"] == "sea")["provenance"]["notes"]
    assert "HAND-MADE" in sea_notes and "上海市管辖海域" in sea_notes
    assert "MIT" in licences["district"]


def test_sources_md_carries_warning_and_osm_attribution():
    text = (PACK / "SOURCES.md").read_text(encoding="utf-8")
    assert "**SAMPLE DATA — not for official screening**" in text
    assert "© OpenStreetMap contributors" in text and "ODbL" in text


def test_crs_is_cgcs2000_lonlat(layers):
    for kind, gdf in layers.items():
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4490, kind


def test_geometries_valid_polygonal_non_empty(layers):
    for kind, gdf in layers.items():
        assert len(gdf) > 0, kind
        assert gdf.geometry.notna().all(), kind
        assert not gdf.geometry.is_empty.any(), kind
        assert gdf.geometry.is_valid.all(), kind
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}, kind


def test_everything_inside_shanghai_bounds(layers):
    west, south, east, north = SHANGHAI_BOUNDS
    for kind, gdf in layers.items():
        minx, miny, maxx, maxy = gdf.total_bounds
        assert west <= minx and south <= miny and maxx <= east and maxy <= north, kind


def test_sixteen_districts_with_unique_codes(layers):
    d = layers["district"]
    assert len(d) == 16
    assert sorted(d["code"]) == DISTRICT_CODES
    assert d["code"].is_unique and d["name"].is_unique
    assert set(d.loc[d["code"] == "310151", "name"]) == {"崇明区"}
    assert set(d.loc[d["code"] == "310101", "name"]) == {"黄浦区"}
    # districts do not overlap (more than slivers)
    g = _metric(d)
    overlap = sum(g.iloc[i].intersection(g.iloc[j]).area
                  for i in range(len(g)) for j in range(i + 1, len(g)))
    assert overlap < 1e4  # m²


def test_five_water_parts_four_zones(layers):
    w = layers["water_source_l1"]
    assert len(w) == 5
    assert set(w["category"]) == WATER_ZONES
    assert (w["category"] == "黄浦江上游").sum() == 2
    hp = " ".join(w.loc[w["category"] == "黄浦江上游", "name"])
    assert "金泽" in hp and "松浦大桥" in hp
    qcs = _metric(w[w["category"] == "青草沙"]).area.sum() / 1e6
    assert 60 <= qcs <= 90  # published ~66 km² water, ~79 km² level-1 zone


def test_villages_match_reference_csv(layers):
    with open(VILLAGES_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16
    v = layers["groundwater_village"]
    assert len(v) == 16
    assert sorted(v["code"]) == sorted(r["code"] for r in rows)
    assert v["code"].is_unique
    by_code = {r["code"]: r for r in rows}
    for _, row in v.iterrows():
        ref = by_code[row["code"]]
        assert row["name"] == ref["village"]
        assert row["district"] == ref["district"] and row["town"] == ref["town"]
    # the known traps
    assert "310151202215" in set(v["code"])  # 横沙乡民生村, not 新河镇 310151103213
    assert "310151103213" not in set(v["code"])
    assert set(v.loc[v["code"] == "310114501213", "town"]) == {"徐行镇"}


def test_villages_inside_their_district(layers):
    d = layers["district"].set_index("name")
    dm = d.geometry.to_crs(WORKING_CRS)
    v = layers["groundwater_village"]
    vm = _metric(v)
    for (_, row), g in zip(v.iterrows(), vm):
        assert g.difference(dm[row["district"]]).area < 1.0, row["name"]
        assert 0.5e6 <= g.area <= 3.5e6, row["name"]


def test_core_zones_and_water_parts_within_redline(layers):
    red = shapely.union_all(_metric(layers["redline"]).values)
    for kind in ("core_zone", "water_source_l1", "protected_area"):
        gdf = layers[kind]
        for (_, row), g in zip(gdf.iterrows(), _metric(gdf)):
            if kind == "protected_area" and row["category"] != "自然保护区":
                continue
            assert g.difference(red).area < 1.0, (kind, row["name"])


def test_core_zone_inside_its_reserve(layers):
    pa = layers["protected_area"]
    assert RESERVES <= set(pa.loc[pa["category"] == "自然保护区", "name"])
    assert {"自然公园"} <= set(pa["category"])
    res = dict(zip(pa["name"], _metric(pa)))
    cz = layers["core_zone"]
    assert len(cz) >= 4
    for (_, row), g in zip(cz.iterrows(), _metric(cz)):
        assert g.difference(res[row["parent"]]).area < 1.0, row["name"]


def test_redline_codes_and_cross_district(layers):
    red = layers["redline"]
    assert red["code"].is_unique and red["code"].str.startswith("SH-HX-").all()
    d = layers["district"]
    crossing = [c for c, g in zip(red["code"], red.geometry) if d.intersects(g).sum() >= 2]
    assert crossing  # some red-line polygons straddle district borders
    sea = layers["sea"].geometry.union_all()
    assert any(g.intersects(sea) for g in red.geometry)  # and some lie partly at sea


def test_islands_named_and_small(layers):
    isl = layers["island"]
    assert set(isl["name"]) == ISLANDS
    assert (_metric(isl).area < 1e6).all()


def test_hand_made_features_record_provenance(layers):
    for kind in ("redline", "core_zone", "protected_area", "water_source_l1",
                 "groundwater_village", "island"):
        gdf = layers[kind]
        for col in ("approximates", "method", "source"):
            assert col in gdf.columns, (kind, col)
            assert gdf[col].notna().all() and (gdf[col].str.len() > 0).all(), (kind, col)


#: published positions of islands on either side of Shanghai's sea limits (lon, lat)
SHANGHAI_ISLES = {"大金山岛": (121.4209, 30.6917), "小金山岛": (121.4029, 30.7064), "浮山岛": (121.4228, 30.6834),
                  "佘山岛": (122.2433, 31.4217), "鸡骨礁": (122 + 23 / 60, 31 + 11 / 60)}
#: islands of 嵊泗县 (Zhejiang): 大戢山 published, the others where the AMap 嵊泗 outline has them
ZHEJIANG_ISLES = {"滩浒山": (121.628, 30.613), "大戢山": (122 + 10 / 60 + 25 / 3600, 30 + 48 / 60 + 35 / 3600),
                  "泗礁山": (122.453, 30.719), "花鸟山": (122.679, 30.852)}
#: territorial-sea base points near Shanghai (declaration of 15 May 1996)
BASE_POINTS = [(121 + 38.4 / 60, 33 + 0.9 / 60), (122 + 14.6 / 60, 31 + 25.3 / 60), (123 + 9.4 / 60, 30 + 44.1 / 60),
               (123 + 9.7 / 60, 30 + 43.5 / 60), (122 + 56.7 / 60, 30 + 10.1 / 60)]


def _metric_points(points: dict) -> dict:
    names = list(points)
    xy = gpd.GeoSeries(gpd.points_from_xy(*zip(*points.values())), crs=4490).to_crs(WORKING_CRS)
    return dict(zip(names, xy))


def test_sea_keeps_clear_of_zhejiang_islands(layers):
    sea = _metric(layers["sea"]).union_all()
    for name, p in _metric_points(ZHEJIANG_ISLES).items():
        assert sea.distance(p) > 1000.0, name


def test_shanghai_islands_lie_inside_shanghais_extent(layers):
    extent = shapely.union_all([_metric(layers[k]).union_all() for k in ("district", "sea", "island")])
    for name, p in _metric_points(SHANGHAI_ISLES).items():
        assert extent.contains(p.buffer(1000.0)), name


def test_sea_stays_within_the_territorial_sea(layers):
    """Landward of the outer limit: 12 nautical miles beyond the straight baseline (plus 100 m)."""
    base = list(_metric_points(dict(enumerate(BASE_POINTS))).values())
    (x0, y0), (x1, y1) = (base[0].x, base[0].y), (base[-1].x, base[-1].y)
    landward = shapely.Polygon([(p.x, p.y) for p in base] + [(x1 - 500e3, y1), (x0 - 500e3, y0)])
    limit = shapely.union_all([landward, shapely.LineString(base).buffer(12 * 1852.0 + 100.0)])
    assert _metric(layers["sea"]).union_all().difference(limit).area < 1.0


def test_statutory_zones_lie_inside_shanghais_extent(layers):
    """No sample zone reaches beyond the districts, sea and islands (the overlay's 100 m slack aside)."""
    extent = shapely.union_all([_metric(layers[k]).union_all() for k in ("district", "sea", "island")]).buffer(100.0)
    for kind in ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village"):
        for name, g in zip(layers[kind]["name"], _metric(layers[kind])):
            assert g.difference(extent).area < 1.0, (kind, name)


def test_pack_size_under_5_mib():
    total = sum(p.stat().st_size for p in PACK.rglob("*") if p.is_file()
                and "__pycache__" not in p.parts)
    assert total < 5 * 1024 * 1024


def test_through_load_library():
    from shgeo import load_library

    lib = load_library()
    assert set(PACK_KINDS) <= set(lib.kinds)
    assert lib.is_sample
    assert len(lib.layer("district")) == 16
    assert len(lib.layer("water_source_l1")) == 5
    assert len(lib.layer("groundwater_village")) == 16
    assert set(lib.layer("water_source_l1")["category"]) == WATER_ZONES


def test_sources_states_the_terms_of_every_layer():
    """SOURCES.md names every sample layer with its redistribution terms; AMap outlines are called unclear."""
    import tomllib

    from shgeo.library.layers import default_manifest_path

    pack = default_manifest_path().parent
    sources = (pack / "SOURCES.md").read_text(encoding="utf-8")
    table = sources.split("## Redistribution terms per layer", 1)[1].split("\n## ", 1)[0]
    data = tomllib.loads((pack / "manifest.toml").read_text(encoding="utf-8"))
    for entry in data["layers"]:
        assert f"| `{entry['kind']}` |" in table, entry["kind"]
        assert entry["provenance"]["licence"]
    for kind in ("district", "island"):
        row = next(line for line in table.splitlines() if line.startswith(f"| `{kind}` |"))
        assert "no clear redistribution grant" in row
        licence = next(e for e in data["layers"] if e["kind"] == kind)["provenance"]["licence"]
        assert "no clear redistribution grant" in licence
