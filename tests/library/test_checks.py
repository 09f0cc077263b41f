"""Every check screening needs, run on every layer at once: one pass lists all problems of all layers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest

import shgeo
from click.testing import CliRunner
from shapely.geometry import box

from shgeo.cli.main import cli
from shgeo.errors import LayerCheckError, LayerError
from shgeo.library.kinds import STATUTORY
from shgeo.library.layers import LayerLibrary, check_library, load_library
from shgeo.library.villages import CONTROL_VILLAGES

# small squares in 浦东 / 崇明 (lon/lat, CGCS2000)
A = box(121.50, 31.20, 121.52, 31.22)
B = box(121.60, 31.25, 121.62, 31.27)
C = box(121.40, 31.60, 121.42, 31.62)


def _write(tmp_path: Path, layers: dict[str, tuple[gpd.GeoDataFrame, str]], head: str | None = None) -> Path:
    """Write each frame to <name>.gpkg and a manifest naming them; kinds not given are declared missing."""
    body = []
    for name, (gdf, entry) in layers.items():
        gdf.to_file(tmp_path / f"{name}.gpkg")
        body.append(f'[[layers]]\npath = "{name}.gpkg"\n{textwrap.dedent(entry)}\n'
                    '[layers.provenance]\nedition = "2025-01-01"\n')
    given = {line.split('"')[1] for e in layers.values() for line in e[1].splitlines() if line.startswith("kind")}
    if head is None:
        missing = [k for k in STATUTORY if k not in given]
        head = f'[manifest]\nmissing = {json.dumps(missing)}\nmissing_reason = "test"\n' if missing else ""
    path = tmp_path / "manifest.toml"
    path.write_text(head + "\n" + "\n".join(body), encoding="utf-8")
    return path


def _gdf(geoms, crs=4490, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


def test_every_problem_of_every_layer_in_one_pass(tmp_path):
    """Villages with short codes, a district code not in Shanghai, a duplicated district code, a red line
    without CRS, a water zone the regulation does not name: all five reported at once."""
    villages = _gdf([A, B], name=["惠丰村", "民生村"], code=[185, 310151202215])
    districts = _gdf([A, B, C], name=["浦东新区", "浦东新区", "某区"], code=["310115", "310115", "320583"])
    red = _gdf([A], name=["红线"])
    red.to_file(tmp_path / "red.shp")
    (tmp_path / "red.prj").unlink()
    water = _gdf([C], category=["太湖"])
    manifest = _write(tmp_path, {
        "villages": (villages, 'kind = "groundwater_village"\nname_field = "name"\ncode_field = "code"'),
        "districts": (districts, 'kind = "district"\nname_field = "name"\ncode_field = "code"'),
        "water": (water, 'kind = "water_source_l1"\ncategory_field = "category"'),
    })
    text = manifest.read_text(encoding="utf-8")
    text = text.replace('missing = ["redline", ', 'missing = [')
    manifest.write_text(text + '\n[[layers]]\nkind = "redline"\npath = "red.shp"\nname_field = "name"\n',
                        encoding="utf-8")

    problems = [str(e) for e in check_library(manifest).errors]
    joined = "\n".join(problems)
    assert "'185'" in joined and "not 12-digit statistical codes" in joined
    assert "320583" in joined and "not codes of Shanghai's 16 districts" in joined
    assert "duplicate codes" in joined and "310115: features 1, 2" in joined
    assert "red.shp" in joined and "no CRS" in joined
    assert "'太湖'" in joined and "东风西沙, 陈行, 青草沙, 黄浦江上游" in joined
    assert len(problems) == 5
    # loading stops at the two that make layers unusable (no CRS, codes that collide); the three the rules
    # cannot read leave the layers measurable, and screening refuses them before any project is read
    with pytest.raises(LayerCheckError) as info:
        load_library(manifest)
    assert len(info.value.problems) == 2 and "no CRS" in str(info.value) and "duplicate codes" in str(info.value)
    assert isinstance(info.value, LayerError)  # callers catching LayerError keep working

    result = CliRunner().invoke(cli, ["layers", "--manifest", str(manifest)])
    assert result.exit_code == 2
    assert "5 problem(s) would make screening fail" in result.stderr
    assert result.output.count("FAILED") == 4 and "Traceback" not in result.output


def test_a_layer_that_passes_is_listed_beside_failed_ones(tmp_path):
    manifest = _write(tmp_path, {
        "red": (_gdf([A], name=["红线"]), 'kind = "redline"'),
        "villages": (_gdf([A], code=["12"]), 'kind = "groundwater_village"\ncode_field = "code"'),
    })
    check = check_library(manifest)
    assert not check.ok and len(check.errors) == 1
    # a code the rules cannot read leaves the layer measurable (overlay works) but screening is refused
    assert check.library.kinds == ["redline", "groundwater_village"]
    assert len(check.library.screening_problems) == 1 and "12-digit" in check.library.screening_problems[0]
    with pytest.raises(LayerCheckError, match="12-digit"):
        shgeo.screen(_gdf([A], id=["P1"]), check.library, id_field="id")
    assert [s.failed for s in check.sources] == [False, False] and check.sources[1].screening_errors


def test_empty_layer_is_an_error(tmp_path):
    empty = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4490))
    manifest = _write(tmp_path, {"red": (empty, 'kind = "redline"')})
    with pytest.raises(LayerError, match="the layer is empty"):
        load_library(manifest)


def test_an_unconfirmed_proposal_is_refused(tmp_path):
    manifest = _write(tmp_path, {"red": (_gdf([A], name=["红线"]), 'kind = "redline"')})
    text = manifest.read_text(encoding="utf-8").replace("[manifest]\n", "[manifest]\nconfirmed = false\n")
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(LayerError, match="not confirmed"):
        load_library(manifest)
    manifest.write_text(text.replace("confirmed = false", "confirmed = true"), encoding="utf-8")
    assert load_library(manifest).kinds == ["redline"]


def test_district_codes_in_long_form_and_names_from_the_reference(tmp_path):
    districts = _gdf([A, C], XZQDM=["310115000000", "310151000"])
    lib = load_library(_write(tmp_path, {"d": (districts, 'kind = "district"\ncode_field = "XZQDM"')}))
    layer = lib.layer("district")
    assert list(layer["code"]) == ["310115", "310151"]
    assert list(layer["name"]) == ["浦东新区", "崇明区"]
    problems = " ".join(lib.sources[0].problems)
    assert "long form" in problems and "taken from the reference by code" in problems


def test_district_names_other_than_the_reference_are_a_warning(tmp_path):
    districts = _gdf([A], name=["浦东"], code=["310115"])
    lib = load_library(_write(tmp_path, {"d": (districts, 'kind = "district"\nname_field = "name"\n'
                                                          'code_field = "code"')}))
    assert lib.layer("district")["name"].iloc[0] == "浦东"
    assert any("310115 '浦东' (reference 浦东新区)" in p for p in lib.sources[0].problems)


def test_water_zones_read_from_longer_names(tmp_path):
    water = _gdf([A, B, C], MC=["青草沙饮用水水源一级保护区", "黄浦江上游（金泽）", "陈行水库"])
    lib = load_library(_write(tmp_path, {"w": (water, 'kind = "water_source_l1"\nname_field = "MC"')}))
    layer = lib.layer("water_source_l1")
    assert list(layer["category"]) == ["青草沙", "黄浦江上游", "陈行"]
    assert list(layer["name"]) == ["青草沙饮用水水源一级保护区", "黄浦江上游（金泽）", "陈行水库"]
    # a text naming two zones is not guessed
    two = _gdf([A], MC=["青草沙与陈行之间"])
    lib = load_library(_write(tmp_path, {"w2": (two, 'kind = "water_source_l1"\nname_field = "MC"')}))
    assert any("'青草沙与陈行之间'" in p for p in lib.screening_problems)
    with pytest.raises(LayerError, match="'青草沙与陈行之间'"):  # measurable, but never screened against
        shgeo.screen(_gdf([A], id=["P1"]), lib, id_field="id")


def test_protected_area_categories_outside_the_types_are_a_warning(tmp_path):
    pa = _gdf([A], name=["某地"], category=["城市绿地"])
    lib = load_library(_write(tmp_path, {"pa": (pa, 'kind = "protected_area"\nname_field = "name"\n'
                                                    'category_field = "category"')}))
    assert any("城市绿地" in p and "not types of nature protected area" in p for p in lib.sources[0].problems)


def test_a_layer_without_names_is_listed_by_feature_id(tmp_path):
    """The foreign layer set of the report: only an integer feature_id; a red line needs no name."""
    red = _gdf([A, B], feature_id=[1, 2])
    lib = load_library(_write(tmp_path, {"red": (red, 'kind = "redline"')}))
    assert list(lib.layer("redline")["feature_id"]) == ["1", "2"]
    assert any("no name field" in p for p in lib.sources[0].problems)


def test_crs_defined_elsewhere_is_named(tmp_path):
    """UTM 50N is defined for 114–120°E: Shanghai lies in zone 51; the features still fall in Shanghai."""
    red = _gdf([A], name=["红线"]).to_crs(32650)
    lib = load_library(_write(tmp_path, {"red": (red, 'kind = "redline"')}))
    assert any("is defined for" in p and "not Shanghai" in p for p in lib.sources[0].problems)


def test_from_frames_runs_the_same_reference_checks():
    bad = LayerLibrary.from_frames({"groundwater_village": _gdf([A], name=["村"], code=["185"])})
    assert any("not 12-digit" in p for p in bad.screening_problems)
    lib = LayerLibrary.from_frames({"groundwater_village": _gdf([A], name=["村"],
                                                                code=[CONTROL_VILLAGES[0].code])})
    assert lib.missing[0]["reason"] == "not given to LayerLibrary.from_frames"
