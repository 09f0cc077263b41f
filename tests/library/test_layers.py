"""The layer library: each check on small bad files, normalisation, provenance, the sample pack."""

from __future__ import annotations

import json
import re
import textwrap
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from shgeo.crs import SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG, WORKING_CRS
from shgeo.errors import LayerError, ShgeoError
from shgeo.library.kinds import KINDS, STATUTORY
from shgeo.library.layers import LayerLibrary, UnknownKindError, load_library
from shgeo.library.villages import CONTROL_VILLAGES

# a few small polygons in 浦东 / 崇明 (lon/lat, CGCS2000)
A = box(121.50, 31.20, 121.52, 31.22)
B = box(121.60, 31.25, 121.62, 31.27)
C = box(121.40, 31.60, 121.42, 31.62)
BOWTIE = Polygon([(121.40, 31.10), (121.42, 31.12), (121.42, 31.10), (121.40, 31.12)])
# a square with a zero-width spike: make_valid gives a GeometryCollection(Polygon, LineString)
SPIKE = Polygon([(121.30, 31.00), (121.32, 31.00), (121.32, 31.02), (121.32, 31.05), (121.32, 31.02),
                 (121.30, 31.02)])
FLAT = Polygon([(121.3, 31.3), (121.31, 31.3), (121.32, 31.3)])  # collinear: no area at all


def _gdf(geoms, crs: object = 4490, **cols) -> gpd.GeoDataFrame:
    n = len(geoms)
    data = {"name": [f"n{i}" for i in range(n)], "code": [f"c{i}" for i in range(n)],
            "category": ["自然保护区"] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def _manifest(tmp_path: Path, body: str, head: str = "") -> Path:
    """A manifest of *body*; unless *head* has a [manifest] table, the statutory kinds the body does not
    give are declared missing (as a manifest must)."""
    body = textwrap.dedent(body)
    if "[manifest]" not in head + body:
        given = set(re.findall(r'^kind = "(\w+)"', body, flags=re.M))
        missing = [k for k in STATUTORY if k not in given]
        head = textwrap.dedent(head) + (f"[manifest]\nmissing = {json.dumps(missing)}\n"
                                        'missing_reason = "test library"\n' if missing else "")
    path = tmp_path / "manifest.toml"
    path.write_text(textwrap.dedent(head) + "\n" + body, encoding="utf-8")
    return path


def _layer_toml(kind: str, path: str, extra: str = "", edition: str = "2025-01-01") -> str:
    return (f'[[layers]]\nkind = "{kind}"\npath = "{path}"\n{extra}\n'
            f'[layers.provenance]\nsource = "test"\nedition = "{edition}"\n')


def _load_one(tmp_path, gdf, kind="redline", extra="", fname="layer.gpkg", **to_file):
    gdf.to_file(tmp_path / fname, **to_file)
    return load_library(_manifest(tmp_path, _layer_toml(kind, fname, extra)))


# ---------------------------------------------------------------- from_frames / API


def test_from_frames_builds_a_working_library():
    lib = LayerLibrary.from_frames({"redline": _gdf([A, B]), "district": _gdf([C], name=["崇明区"],
                                                                             code=["310151"])})
    assert lib.crs == WORKING_CRS
    assert lib.kinds == ["redline", "district"]
    assert "redline" in lib and lib.has("district") and "sea" not in lib
    red = lib.layer("redline")
    assert list(red.columns[:4]) == ["feature_id", "name", "code", "category"]
    assert list(red["feature_id"]) == ["0", "1"]
    assert red.crs == WORKING_CRS and red.geometry.is_valid.all()
    # areas in m² in the working CRS (A is ~2 km × 2.2 km)
    assert 4.0e6 < red.geometry.iloc[0].area < 5.0e6
    tree = lib.tree("redline")
    assert tree is lib.tree("redline")  # built once
    hits = tree.query(red.geometry.iloc[1].centroid, predicate="intersects")
    assert list(hits) == [1]
    (src_red, src_d) = lib.sources
    assert src_red.path == Path("<in-memory>") and src_red.feature_count == 2
    assert src_red.source_crs == "EPSG:4490" and not src_red.sample and not lib.is_sample
    assert len(next(iter(src_red.sha256.values()))) == 64
    assert LayerLibrary.from_frames({"redline": _gdf([A])}, sample=True).is_sample


def test_from_frames_keeps_given_feature_ids_and_projected_input():
    gdf = _gdf([A, B], feature_id=["HX-1", "HX-2"]).to_crs(4549)  # CGCS2000 3° GK CM 120°E
    lib = LayerLibrary.from_frames({"redline": gdf})
    assert list(lib.layer("redline")["feature_id"]) == ["HX-1", "HX-2"]
    assert lib.sources[0].source_crs == "EPSG:4549"
    w, s, e, n = lib.sources[0].bounds_lonlat
    assert w == pytest.approx(121.50, abs=1e-3) and n == pytest.approx(31.27, abs=1e-3)


def test_unknown_and_absent_kinds_raise_keyerror_like_errors():
    lib = LayerLibrary.from_frames({"redline": _gdf([A])})
    with pytest.raises(UnknownKindError, match="'sea' is not loaded.*loaded: redline") as info:
        lib.layer("sea")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ShgeoError)
    with pytest.raises(KeyError, match="valid kinds"):
        lib.tree("redlines")
    with pytest.raises(LayerError, match="unknown layer kind 'seas'"):
        LayerLibrary.from_frames({"seas": _gdf([A])})


def test_source_columns_kept_and_clashes_renamed():
    gdf = _gdf([A], zone=["青草沙"], feature_id=["x"], category=["青草沙"])
    gdf["geometry_note"] = ["n"]
    lib = LayerLibrary.from_frames({"water_source_l1": gdf})
    layer = lib.layer("water_source_l1")
    assert list(layer.columns) == ["feature_id", "name", "code", "category", "zone", "geometry_note", "geometry"]


# ---------------------------------------------------------------- CRS


def test_layer_without_crs_is_refused(tmp_path):
    gdf = _gdf([A])
    gdf.to_file(tmp_path / "nocrs.shp")
    (tmp_path / "nocrs.prj").unlink()
    with pytest.raises(LayerError, match="no CRS") as info:
        load_library(_manifest(tmp_path, _layer_toml("redline", "nocrs.shp")))
    err = info.value
    assert err.kind == "redline" and err.path == tmp_path / "nocrs.shp"
    assert "crs = 'EPSG:4490'" in str(err)


def test_layer_without_crs_uses_the_manifest_crs(tmp_path):
    _gdf([A]).to_file(tmp_path / "nocrs.shp")
    (tmp_path / "nocrs.prj").unlink()
    lib = load_library(_manifest(tmp_path, _layer_toml("redline", "nocrs.shp", 'crs = "EPSG:4490"')))
    assert lib.sources[0].source_crs == "EPSG:4490 (from manifest)"


def test_the_files_own_crs_wins_over_the_manifest(tmp_path):
    lib = _load_one(tmp_path, _gdf([A]), extra='crs = "EPSG:4326"')
    (src,) = lib.sources
    assert src.source_crs == "EPSG:4490"
    assert any("differs from the file's own CRS" in p for p in src.problems)


def test_gcj02_declared_by_the_manifest_is_converted(tmp_path):
    gdf = _gdf([A], crs=4326)  # a web map's GeoJSON: GCJ-02 numbers labelled EPSG:4326
    gdf.to_file(tmp_path / "web.geojson", driver="GeoJSON")
    lib = load_library(_manifest(tmp_path, _layer_toml("redline", "web.geojson", 'crs = "gcj02"')))
    (src,) = lib.sources
    assert "gcj02" in src.source_crs and any("converted to WGS84" in p for p in src.problems)
    # GCJ-02 sits a few hundred metres north-east of WGS84 in Shanghai; converting moves it back
    x0 = gpd.GeoSeries([A], crs=4326).to_crs(WORKING_CRS).iloc[0].centroid
    x1 = lib.layer("redline").geometry.iloc[0].centroid
    assert 200 < x0.distance(x1) < 1000


# ---------------------------------------------------------------- geometry checks


def test_bowtie_is_repaired_and_reported(tmp_path):
    lib = _load_one(tmp_path, _gdf([A, BOWTIE]))
    layer = lib.layer("redline")
    assert len(layer) == 2 and layer.geometry.is_valid.all()
    fixed = layer.geometry.iloc[1]
    assert fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2
    (problem,) = [p for p in lib.sources[0].problems if "make_valid" in p]
    assert "repaired 1 invalid geometry" in problem and "Self-intersection" in problem


def test_repair_keeps_only_the_polygonal_part_and_counts_it():
    lib = LayerLibrary.from_frames({"redline": _gdf([SPIKE, A])})
    geom = lib.layer("redline").geometry.iloc[0]
    assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid
    problems = lib.sources[0].problems
    assert any("kept only the polygonal part of 1" in p for p in problems)


def test_polygon_collapsing_to_nothing_is_dropped_and_counted():
    lib = LayerLibrary.from_frames({"redline": _gdf([A, FLAT])})
    assert list(lib.layer("redline")["feature_id"]) == ["0"]
    assert any("dropped 1 feature(s) whose repair left no area" in p and ": 1" in p
               for p in lib.sources[0].problems)


def test_empty_and_missing_geometries_are_dropped_and_counted():
    lib = LayerLibrary.from_frames({"redline": _gdf([A, Polygon(), None, B])})
    assert list(lib.layer("redline")["feature_id"]) == ["0", "3"]
    assert lib.sources[0].feature_count == 2
    assert any("dropped 2 feature(s) with empty or missing geometry: 1, 2" in p for p in lib.sources[0].problems)


def test_a_layer_with_no_geometry_left_is_an_error():
    with pytest.raises(LayerError, match="no features with geometry"):
        LayerLibrary.from_frames({"redline": _gdf([Polygon(), None])})


@pytest.mark.parametrize("geom", [Point(121.5, 31.2), LineString([(121.5, 31.2), (121.6, 31.3)])])
def test_wrong_geometry_type_is_refused(tmp_path, geom):
    with pytest.raises(LayerError, match="geometry type not allowed for kind core_zone") as info:
        _load_one(tmp_path, _gdf([geom]), kind="core_zone")
    assert "layer.gpkg" in str(info.value) and "Polygon" in str(info.value)


def test_z_is_dropped():
    poly_z = shapely.force_3d(A, 5.0)
    lib = LayerLibrary.from_frames({"redline": _gdf([poly_z, MultiPolygon([B])])})
    assert not lib.layer("redline").geometry.has_z.any()
    assert any("Z coordinates dropped" in p for p in lib.sources[0].problems)


# ---------------------------------------------------------------- extent


def test_extent_outside_shanghai_is_refused(tmp_path):
    beijing = box(116.3, 39.9, 116.4, 40.0)
    with pytest.raises(LayerError, match="1 of 2 feature.*outside Shanghai") as info:
        _load_one(tmp_path, _gdf([A, beijing]))
    assert "feature '2'" in str(info.value)


def test_swapped_axes_are_named(tmp_path):
    swapped = shapely.transform(A, lambda c: c[:, ::-1])
    with pytest.raises(LayerError, match="swapped"):
        LayerLibrary.from_frames({"redline": _gdf([swapped])})


def test_wrong_gauss_kruger_zone_is_refused():
    metres = _gdf([A]).to_crs(4549)  # CM 120°E …
    metres = metres.set_crs(4550, allow_override=True)  # … declared as CM 123°E
    with pytest.raises(LayerError, match="outside Shanghai"):
        LayerLibrary.from_frames({"redline": metres})


# ---------------------------------------------------------------- fields and codes


def test_missing_field_is_named_with_the_available_ones(tmp_path):
    with pytest.raises(LayerError, match="name_field 'MC' is not a field.*name, code, category") as info:
        _load_one(tmp_path, _gdf([A]), extra='name_field = "MC"')
    assert info.value.kind == "redline"


def test_required_field_without_field_name_is_an_error(tmp_path):
    gdf = _gdf([A]).drop(columns=["category"])
    with pytest.raises(LayerError, match="needs a category"):
        _load_one(tmp_path, gdf, kind="protected_area")


def test_required_values_must_be_filled(tmp_path):
    gdf = _gdf([A, B], category=["自然保护区", None])
    with pytest.raises(LayerError, match="1 feature\\(s\\) have no category.*: 2"):
        _load_one(tmp_path, gdf, kind="protected_area")


def test_names_only_shown_are_a_warning_when_missing(tmp_path):
    """A core zone's name is only shown in reports: features without one are listed, not refused."""
    lib = _load_one(tmp_path, _gdf([A, B], name=["东滩", None]), kind="core_zone")
    assert any("1 feature(s) have no name" in p for p in lib.sources[0].problems)


def test_fields_are_normalised(tmp_path):
    gdf = _gdf([A, B], MC=[" 青草沙 ", "陈行"], DM=[310151202215, 310151202212], LX=["青草沙", "陈行"])
    gdf = gdf.drop(columns=["name", "code", "category"])
    lib = _load_one(tmp_path, gdf, kind="water_source_l1",
                    extra='name_field = "MC"\ncode_field = "DM"\ncategory_field = "LX"')
    layer = lib.layer("water_source_l1")
    assert list(layer["name"]) == ["青草沙", "陈行"]
    assert list(layer["code"]) == ["310151202215", "310151202212"]
    assert list(layer["category"]) == ["青草沙", "陈行"]
    assert list(layer["feature_id"]) == ["1", "2"]  # GeoPackage FIDs
    assert "MC" in layer.columns  # source attributes kept


def test_id_field(tmp_path):
    lib = _load_one(tmp_path, _gdf([A, B], BH=["HX-7", "HX-9"]), extra='id_field = "BH"')
    assert list(lib.layer("redline")["feature_id"]) == ["HX-7", "HX-9"]
    with pytest.raises(LayerError, match="BH is not unique: HX-7"):
        _load_one(tmp_path, _gdf([A, B], BH=["HX-7", "HX-7"]), extra='id_field = "BH"', fname="dup.gpkg")


def test_duplicate_codes_are_refused_where_codes_must_be_unique(tmp_path):
    gdf = _gdf([A, B, C], code=["310115", "310115", "310151"])
    with pytest.raises(LayerError, match="duplicate codes.*310115: features 1, 2") as info:
        _load_one(tmp_path, gdf, kind="district")
    assert info.value.kind == "district"
    # a red line may repeat codes
    assert len(LayerLibrary.from_frames({"redline": gdf}).layer("redline")) == 3


def test_duplicate_codes_across_two_sources_of_one_kind():
    lib_frames = {"district": _gdf([A], code=["310115"])}
    LayerLibrary.from_frames(lib_frames)
    with pytest.raises(LayerError, match="duplicate codes"):
        LayerLibrary.from_frames({"district": _gdf([A, B], code=["310115", "310115"])})


# ---------------------------------------------------------------- files, manifests, provenance


def test_gbk_shapefile_with_cpg_and_with_explicit_encoding(tmp_path):
    gdf = _gdf([A], name=["九段沙"])
    gdf.to_file(tmp_path / "cpg.shp", encoding="GBK")
    gdf.to_file(tmp_path / "nocpg.shp", encoding="GBK")
    (tmp_path / "nocpg.cpg").unlink()
    body = _layer_toml("redline", "cpg.shp") + _layer_toml("core_zone", "nocpg.shp", 'encoding = "GB18030"')
    lib = load_library(_manifest(tmp_path, body))
    assert lib.layer("redline")["name"].iloc[0] == "九段沙"
    assert lib.layer("core_zone")["name"].iloc[0] == "九段沙"
    assert set(lib.sources[0].sha256) == {"cpg.shp", "cpg.shx", "cpg.dbf", "cpg.prj", "cpg.cpg"}


def test_zipped_shapefile_via_manifest(tmp_path):
    _gdf([A, B]).to_file(tmp_path / "red.shp")
    with zipfile.ZipFile(tmp_path / "red.zip", "w") as zf:
        for p in tmp_path.glob("red.*"):
            if p.suffix != ".zip":
                zf.write(p, f"inner/{p.name}")
    lib = load_library(_manifest(tmp_path, _layer_toml("redline", "red.zip")))
    assert len(lib.layer("redline")) == 2
    assert list(lib.sources[0].sha256) == ["red.zip"]
    lib2 = load_library(_manifest(tmp_path, _layer_toml("redline", "zip://red.zip!inner/red.shp")))
    assert lib2.sources[0].sha256 == lib.sources[0].sha256


def test_missing_shx_via_manifest_names_the_file(tmp_path):
    _gdf([A]).to_file(tmp_path / "red.shp")
    (tmp_path / "red.shx").unlink()
    with pytest.raises(LayerError, match=r"red\.shp.*\(redline\).*red\.shx") as info:
        load_library(_manifest(tmp_path, _layer_toml("redline", "red.shp")))
    assert info.value.kind == "redline"


def test_several_layers_of_one_kind_are_concatenated_with_prefixed_ids(tmp_path):
    path = tmp_path / "pack.gpkg"
    _gdf([A]).to_file(path, layer="north")
    _gdf([B, C]).to_file(path, layer="south")
    body = _layer_toml("redline", "pack.gpkg", 'layer = "north"') + _layer_toml("redline", "pack.gpkg",
                                                                                 'layer = "south"')
    lib = load_library(_manifest(tmp_path, body))
    assert lib.kinds == ["redline"]
    assert list(lib.layer("redline")["feature_id"]) == ["north:1", "south:1", "south:2"]
    assert len(lib.sources_for("redline")) == 2
    assert len(lib.tree("redline")) == 3


def test_provenance_and_sample_flag(tmp_path):
    _gdf([A]).to_file(tmp_path / "a.gpkg")
    others = json.dumps([k for k in STATUTORY if k != "redline"])
    body = (f'[manifest]\nname = "pack"\nsample = true\nmissing = {others}\nmissing_reason = "test"\n'
            + _layer_toml("redline", "a.gpkg", edition="2025-04-10"))
    lib = load_library(_manifest(tmp_path, body))
    (src,) = lib.sources
    assert src.sample and lib.is_sample and src.edition == "2025-04-10" and src.source == "test"
    assert lib.manifest_path == tmp_path / "manifest.toml" and len(lib.manifest_sha256) == 64
    assert "SAMPLE" in repr(lib)


def test_missing_edition_is_a_problem_not_an_error(tmp_path):
    _gdf([A]).to_file(tmp_path / "a.gpkg")
    lib = load_library(_manifest(tmp_path, '[[layers]]\nkind = "redline"\npath = "a.gpkg"\n'))
    assert any("no edition" in p for p in lib.sources[0].problems)


# ---------------------------------------------------------------- selection


def _villages(tmp_path: Path) -> Path:
    rows = [(v.district, v.town, v.village, v.code) for v in CONTROL_VILLAGES]
    rows += [("崇明区", "新河镇", "民生村", "310151103213"), ("崇明区", "港西镇", "新北村", "310151108201")]
    geoms = [box(121.3 + i * 0.01, 31.3, 121.305 + i * 0.01, 31.305) for i in range(len(rows))]
    gdf = gpd.GeoDataFrame({"QU": [r[0] for r in rows], "ZHEN": [r[1] for r in rows],
                            "CUN": [r[2] for r in rows], "DM": [r[3] for r in rows]}, geometry=geoms, crs=4490)
    gdf.to_file(tmp_path / "cun.shp", encoding="GBK")
    return tmp_path / "cun.shp"


def test_select_codes(tmp_path):
    _villages(tmp_path)
    extra = 'code_field = "DM"\nname_field = "CUN"\nselect = { codes = ["310151202215", "310151103213"] }'
    lib = load_library(_manifest(tmp_path, _layer_toml("groundwater_village", "cun.shp", extra)))
    assert list(lib.layer("groundwater_village")["code"]) == ["310151202215", "310151103213"]
    assert lib.sources[0].selection == "2 code(s)"
    extra = 'code_field = "DM"\nname_field = "CUN"\nselect = { codes = ["310151202215", "999"] }'
    with pytest.raises(LayerError, match="no feature has DM = 999"):
        load_library(_manifest(tmp_path, _layer_toml("groundwater_village", "cun.shp", extra)))


def test_select_field_values(tmp_path):
    _villages(tmp_path)
    extra = 'select = { field = "ZHEN", values = ["庙镇"] }\nname_field = "CUN"'
    lib = load_library(_manifest(tmp_path, _layer_toml("island", "cun.shp", extra)))
    assert len(lib.layer("island")) == 7


@pytest.mark.parametrize("how", ['by = "code"', 'by = "name", district_field = "QU", town_field = "ZHEN"'])
def test_select_control_villages(tmp_path, how):
    _villages(tmp_path)
    extra = f'code_field = "DM"\nname_field = "CUN"\nselect = {{ control_villages = true, {how} }}'
    lib = load_library(_manifest(tmp_path, _layer_toml("groundwater_village", "cun.shp", extra)))
    layer = lib.layer("groundwater_village")
    assert sorted(layer["code"]) == sorted(v.code for v in CONTROL_VILLAGES)
    assert "310151103213" not in set(layer["code"])
    assert any("民生村" in p for p in lib.sources[0].problems)


def test_select_control_villages_by_name_without_town_fails_closed(tmp_path):
    _villages(tmp_path)
    extra = 'name_field = "CUN"\nselect = { control_villages = true, by = "name", district_field = "QU" }'
    with pytest.raises(LayerError, match="2 of 16 control villages not selected.*民生村.*town_field"):
        load_library(_manifest(tmp_path, _layer_toml("groundwater_village", "cun.shp", extra)))


# ---------------------------------------------------------------- the sample pack


@pytest.fixture(scope="module")
def sample():
    return load_library()


def test_sample_pack_has_every_statutory_kind(sample):
    assert sample.is_sample
    statutory = {k for k, spec in KINDS.items() if spec.statutory}
    assert statutory <= set(sample.kinds)
    for kind in sample.kinds:
        layer = sample.layer(kind)
        assert len(layer) > 0 and layer.geometry.is_valid.all() and layer.crs == WORKING_CRS
        assert layer["feature_id"].is_unique
    assert all(s.sample and s.edition for s in sample.sources)


def test_sample_pack_districts_and_villages(sample):
    districts = sample.layer("district")
    assert len(districts) == 16
    assert sorted(districts["code"]) == sorted(f"3101{n:02d}" for n in (1, 4, 5, 6, 7, 9, 10, 12, 13, 14,
                                                                        15, 16, 17, 18, 20, 51))
    villages = sample.layer("groundwater_village")
    assert sorted(villages["code"]) == sorted(v.code for v in CONTROL_VILLAGES)
    assert sample.layer("water_source_l1")["category"].nunique() == 4


def test_sample_pack_is_inside_shanghai(sample):
    to_ll = pyproj.Transformer.from_crs(WORKING_CRS, 4490, always_xy=True)
    w, s, e, n = SHANGHAI_BOUNDS
    m = SHANGHAI_MARGIN_DEG
    for kind in sample.kinds:
        minx, miny, maxx, maxy = sample.layer(kind).total_bounds
        lon, lat = to_ll.transform(np.array([minx, maxx]), np.array([miny, maxy]))
        assert w - m <= lon.min() and lon.max() <= e + m, kind
        assert s - m <= lat.min() and lat.max() <= n + m, kind


def test_a_table_without_geometry_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("name\n东滩\n", encoding="utf-8")
    with pytest.raises(LayerError, match="no geometry"):
        load_library(_manifest(tmp_path, _layer_toml("redline", "t.csv")))


def test_from_frames_needs_a_crs():
    with pytest.raises(LayerError, match="no CRS.*set_crs"):
        LayerLibrary.from_frames({"redline": _gdf([A], crs=None)})


def test_repair_keeps_the_area_where_parts_of_a_zone_overlap():
    """An invalid MultiPolygon of overlapping parts keeps their union: no hole, no false "no hit"."""
    from shapely.geometry import MultiPolygon, Point, box

    from shgeo.crs import WORKING_CRS

    zone = MultiPolygon([box(0, 0, 2000, 2000), box(1000, 1000, 3000, 3000)])
    assert not zone.is_valid
    frame = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[zone], crs=WORKING_CRS)
    lib = LayerLibrary.from_frames({"redline": frame})
    repaired = lib.layer("redline").geometry.iloc[0]
    assert repaired.is_valid
    assert repaired.area == pytest.approx(7_000_000)
    assert repaired.covers(Point(1500, 1500))  # the overlap of the two parts is still in the zone


def test_a_projected_manifest_crs_against_a_lonlat_file_is_an_error(tmp_path):
    """A GeoJSON is always labelled EPSG:4326; metres declared by the manifest must not be read as degrees."""
    with pytest.raises(LayerError, match="EPSG:4549.*EPSG:4490|declares"):
        _load_one(tmp_path, _gdf([A]), extra='crs = "EPSG:4549"')
