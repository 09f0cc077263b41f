"""``shgeo layers init``'s survey: a kind and fields proposed for each dataset, with reasons; nothing guessed."""

from __future__ import annotations

import tomllib

import geopandas as gpd
from shapely.geometry import LineString, box

from shgeo.library.survey import proposed_manifest, survey_folder
from shgeo.library.villages import CONTROL_VILLAGES

A = box(121.50, 31.20, 121.52, 31.22)
B = box(121.60, 31.25, 121.62, 31.27)


def _one(tmp_path, name, gdf, **kw):
    gdf.to_file(tmp_path / name, **kw)
    (p,) = [p for p in survey_folder(tmp_path) if p.dataset.path.name == name]
    return p


def test_kind_from_the_file_name_with_the_reason(tmp_path):
    p = _one(tmp_path, "生态保护红线.gpkg", gpd.GeoDataFrame({"HXMC": ["a"]}, geometry=[A], crs=4490))
    assert p.kind == "redline"
    assert any("'生态保护红线'" in r for r in p.reasons)


def test_kind_from_values_when_the_names_say_nothing(tmp_path):
    codes = [v.code for v in CONTROL_VILLAGES[:2]]
    p = _one(tmp_path, "layer1.gpkg", gpd.GeoDataFrame({"DM": codes, "MC": ["a", "b"]}, geometry=[A, B], crs=4490))
    assert p.kind == "groundwater_village"
    assert p.fields["code"] == "DM" and "12-digit village codes" in p.field_reasons["code"]
    assert p.fields["name"] == "MC"


def test_ambiguous_names_are_not_placed(tmp_path):
    p = _one(tmp_path, "红线与海岛.gpkg", gpd.GeoDataFrame({"x": [1]}, geometry=[A], crs=4490))
    assert p.kind is None and set(p.candidates) == {"redline", "island"}
    assert "equally likely" in p.reasons[0]


def test_lines_are_not_placed_even_with_a_kind_in_the_name(tmp_path):
    line = LineString([(121.5, 31.2), (121.6, 31.3)])
    p = _one(tmp_path, "海岸线.gpkg", gpd.GeoDataFrame({"x": [1]}, geometry=[line], crs=4490))
    assert p.kind is None and p.candidates == ["sea"]
    assert "every kind needs polygons" in p.reasons[0] and "coastline" in p.reasons[0]


def test_unknown_dataset_is_listed(tmp_path):
    p = _one(tmp_path, "data.gpkg", gpd.GeoDataFrame({"x": [1]}, geometry=[A], crs=4490))
    assert p.kind is None and "names a kind" in p.reasons[0]
    text = proposed_manifest([p], tmp_path, tmp_path / "manifest.toml")
    assert "# data.gpkg: no word" in text


def test_no_crs_is_left_for_the_user(tmp_path):
    gpd.GeoDataFrame({"名称": ["a"]}, geometry=[A], crs=4490).to_file(tmp_path / "核心保护区.shp", encoding="GBK")
    (tmp_path / "核心保护区.prj").unlink()
    (tmp_path / "核心保护区.cpg").unlink()
    (p,) = survey_folder(tmp_path)
    assert p.kind == "core_zone" and p.dataset.crs is None
    assert p.dataset.encoding == "GBK" and p.fields["name"] == "名称"  # field names decoded as GBK
    assert any("declares no CRS" in n for n in p.notes)
    text = proposed_manifest([p], tmp_path, tmp_path / "manifest.toml")
    assert '# crs = "EPSG:…"' in text and 'encoding = "GBK"' in text


def test_the_control_villages_are_selected_from_a_full_village_layer(tmp_path):
    codes = [v.code for v in CONTROL_VILLAGES] + ["310151202299", "310151202298"]
    geoms = [box(121.5 + i * 0.01, 31.2, 121.505 + i * 0.01, 31.205) for i in range(len(codes))]
    p = _one(tmp_path, "行政村.gpkg", gpd.GeoDataFrame({"CODE": codes}, geometry=geoms, crs=4490))
    assert p.kind == "groundwater_village" and p.select_control_villages
    text = proposed_manifest([p], tmp_path, tmp_path / "manifest.toml")
    assert 'select = { control_villages = true, by = "code" }' in text


def test_the_proposal_is_valid_toml_and_unconfirmed(tmp_path):
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[A], crs=4490).to_file(tmp_path / "redline.gpkg")
    text = proposed_manifest(survey_folder(tmp_path), tmp_path, tmp_path / "m.toml")
    data = tomllib.loads(text)
    assert data["manifest"]["confirmed"] is False
    assert {m["kind"] for m in data["manifest"]["missing"]} == {
        "core_zone", "protected_area", "water_source_l1", "groundwater_village", "district", "sea", "island"}
    assert data["layers"][0]["kind"] == "redline" and data["layers"][0]["provenance"]["official"] is True


def test_a_zipped_gbk_shapefile_is_proposed_without_a_layer_name(tmp_path):
    import zipfile

    from shgeo.library.layers import load_library

    src = tmp_path / "src"
    src.mkdir()
    gpd.GeoDataFrame({"名称": ["东滩"]}, geometry=[A], crs=4490).to_crs(4549).to_file(src / "生态保护红线.shp",
                                                                                   encoding="GBK")
    folder = tmp_path / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "红线.zip", "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(src / f"生态保护红线{ext}", f"生态保护红线{ext}")
    (p,) = survey_folder(folder)
    assert p.kind == "redline" and p.dataset.layer is None and p.dataset.encoding == "GBK"
    text = proposed_manifest([p], folder, folder / "m.toml").replace("confirmed = false", "confirmed = true")
    (folder / "m.toml").write_text(text, encoding="utf-8")
    assert list(load_library(folder / "m.toml").layer("redline")["name"]) == ["东滩"]


def test_a_utf8_dbf_with_a_wide_field_is_not_taken_for_gbk(tmp_path):
    """A field 200 bytes wide puts a byte ≥ 0x80 in the DBF's field descriptor: only names and records are
    text, so the UTF-8 DBF (no .cpg) is read as GDAL reads it (no encoding proposed), and a GBK one as GBK."""
    for enc, expected in (("utf-8", None), ("gbk", "GBK")):
        folder = tmp_path / enc
        folder.mkdir()
        gpd.GeoDataFrame({"名称": ["东滩"], "备注": ["说明" + "a" * 190]}, geometry=[A], crs=4490).to_file(
            folder / "生态保护红线.shp", encoding=enc)
        (folder / "生态保护红线.cpg").unlink()
        (p,) = survey_folder(folder)
        assert p.dataset.encoding == expected
