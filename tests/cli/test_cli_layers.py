"""``shgeo layers``: the table on success, exit 2 with a one-line message on failure."""

from __future__ import annotations

import textwrap

import geopandas as gpd
import pytest
import shgeo
from click.testing import CliRunner
from shapely.geometry import box

from shgeo.cli.main import cli, main
from shgeo.errors import LayerError


def _manifest(tmp_path, path="red.gpkg", kind="redline"):
    m = tmp_path / "manifest.toml"
    m.write_text(textwrap.dedent(f"""
        [manifest]
        name = "tmp pack"
        missing = ["core_zone", "protected_area", "water_source_l1", "groundwater_village", "district", "sea",
                   "island"]
        missing_reason = "a test pack of one layer"
        [[layers]]
        kind = "{kind}"
        path = "{path}"
        [layers.provenance]
        edition = "2025-04-10"
        source = "test"
    """), encoding="utf-8")
    return m


def _red(tmp_path, name="red.gpkg"):
    gdf = gpd.GeoDataFrame({"name": ["东滩"]}, geometry=[box(121.9, 31.45, 121.95, 31.5)], crs=4490)
    gdf.to_file(tmp_path / name)


def test_sample_pack_lists_every_kind_with_a_banner():
    result = CliRunner().invoke(cli, ["layers"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "SAMPLE DATA" in out
    for kind in ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
                 "district", "sea", "island"):
        assert kind in out
    assert "2026-11-22" in out and "2024-12-12" in out and "sha256" in out  # editions as the manifest gives them


def test_own_manifest_has_no_sample_banner(tmp_path):
    _red(tmp_path)
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(_manifest(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "SAMPLE DATA" not in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("redline"))
    assert "EPSG:4490" in row and "2025-04-10" in row and " no " in row and row.endswith("ok")
    assert "1 kind(s), 1 layer(s) loaded: redline" in result.output
    assert "licence: not stated in the manifest" in result.output
    # the kinds left out are listed with the reason and what they leave open
    assert "- island (无居民海岛): a test pack of one layer" in result.output
    assert "leaves open: whether it touches an uninhabited island" in result.output


def test_broken_layer_exits_2_naming_file_and_problem(tmp_path):
    _red(tmp_path)
    gpd.read_file(tmp_path / "red.gpkg").to_file(tmp_path / "red.shp")
    (tmp_path / "red.shx").unlink()
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(_manifest(tmp_path, "red.shp"))])
    assert result.exit_code == 2
    assert "red.shp" in result.output and "red.shx" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("kind", "match"), [("redlines", "unknown kind"), ("redline", "file not found")])
def test_bad_manifest_exits_2(tmp_path, kind, match):
    m = _manifest(tmp_path, "absent.gpkg", kind=kind)
    assert main(["layers", "--manifest", str(m)]) == 2
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(m)])
    assert result.exit_code == 2
    assert match in result.output and ("manifest.toml" in result.output or "absent.gpkg" in result.output)
    assert "Traceback" not in result.output


def test_undeclared_missing_kinds_fail_and_are_named(tmp_path):
    """A manifest that neither gives the red line nor says it leaves it out is refused: leaving a
    statutory kind out is a decision, with a reason."""
    import shutil

    from shgeo.library.layers import default_manifest_path, load_library

    shutil.copy(default_manifest_path().parent / "shanghai_sample.gpkg", tmp_path)
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        '[[layers]]\nkind = "district"\npath = "shanghai_sample.gpkg"\nlayer = "district"\n'
        'name_field = "name"\ncode_field = "code"\n'
        '[layers.provenance]\nsource = "t"\nedition = "2025-01-01"\nlicence = "t"\nsample = true\n',
        encoding="utf-8")
    lib = load_library(manifest)  # the districts can be measured; screening is refused, naming the kinds
    assert "neither given by a layer nor listed as missing: redline" in lib.screening_problems[0]
    with pytest.raises(LayerError, match="neither given by a layer nor listed as missing: redline"):
        shgeo.screen(gpd.GeoDataFrame({"id": ["P1"]}, geometry=[box(121.45, 31.17, 121.46, 31.18)], crs=4490),
                     lib, id_field="id")
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(manifest)])
    assert result.exit_code == 2
    assert "neither given by a layer nor listed as missing: redline (生态保护红线)" in result.stderr
    assert 'missing = ["redline", "core_zone"' in result.stderr  # the fix, ready to paste
    assert "district" in result.output and "Traceback" not in result.output  # the layers that load are listed
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text('[manifest]\nmissing = ["redline", "core_zone", "protected_area", "water_source_l1", '
                        '"groundwater_village", "sea", "island"]\nmissing_reason = "districts only"\n' + text,
                        encoding="utf-8")
    lib = load_library(manifest)
    assert "redline" in lib.missing_statutory and "district" not in lib.missing_statutory
    assert lib.missing[0]["kind"] == "redline" and lib.missing[0]["reason"] == "districts only"
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "- redline (生态保护红线): districts only" in result.output
