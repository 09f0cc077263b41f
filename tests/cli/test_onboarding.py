"""From a folder of official-style layers to a checked manifest and a first screen, confirming only.

The folder (``tests/official_layers.py``): GBK shapefiles without ``.cpg`` in EPSG:4549 with Chinese
field names, a FileGDB with two layers, no island layer.  ``shgeo layers init`` proposes the manifest;
the only edit is ``confirmed = true``; ``shgeo layers`` then passes and ``shgeo screen`` runs, every
report saying which kind is missing and how the layers differ from the published figures.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import official_layers
from shgeo.cli.main import cli

PROJECTS = Path(__file__).resolve().parents[2] / "data" / "sample" / "projects"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory):
    folder = official_layers.build(tmp_path_factory.mktemp("official") / "官方图层")
    manifest = folder.parent / "manifest.toml"
    result = CliRunner().invoke(cli, ["layers", "init", str(folder), "--out", str(manifest)])
    assert result.exit_code == 0, result.output
    return folder, manifest, result.output


def test_init_proposes_every_dataset_with_reasons(onboarded):
    folder, manifest, output = onboarded
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    kinds = {(Path(e["path"]).name, e.get("layer")): e for e in data["layers"]}
    assert {e["kind"] for e in kinds.values()} == {"redline", "core_zone", "protected_area", "water_source_l1",
                                                   "groundwater_village", "district", "sea"}
    assert kinds[("自然保护地.gdb", "饮用水水源一级保护区")]["kind"] == "water_source_l1"
    assert kinds[("自然保护地.gdb", "自然保护地")]["category_field"] == "保护地类型"
    assert kinds[("地下水污染防治管控村.shp", None)]["code_field"] == "村代码"
    assert kinds[("区界.shp", None)]["code_field"] == "行政区代码"
    assert kinds[("生态保护红线.shp", None)]["encoding"] == "GBK"
    assert [m["kind"] for m in data["manifest"]["missing"]] == ["island"]
    assert data["manifest"]["confirmed"] is False
    text = manifest.read_text(encoding="utf-8")
    assert "CRS as the file declares it: EPSG:4549 (inside Shanghai)" in text
    assert "no .cpg and its text is not UTF-8 but decodes as GBK" in text
    assert "no dataset recognised as: island" in output


def test_the_proposal_is_refused_until_confirmed_then_passes(onboarded, tmp_path):
    folder, manifest, _ = onboarded
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(manifest)])
    assert result.exit_code == 2 and "not confirmed" in result.stderr
    confirmed = folder.parent / "confirmed.toml"
    confirmed.write_text(manifest.read_text(encoding="utf-8").replace("confirmed = false", "confirmed = true"),
                         encoding="utf-8")
    result = CliRunner().invoke(cli, ["layers", "--manifest", str(confirmed)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "7 kind(s), 7 layer(s) loaded" in result.output
    assert "- island (无居民海岛)" in result.output and "FAILED" not in result.output
    # the sample geometry is not the official red line: the published figure says so, as a warning
    assert "below the published total area of the ecological protection red line: 2,527.30 km²" in result.output

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["screen", str(PROJECTS), "--manifest", str(confirmed), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(next(out.glob("*/report.json")).read_text(encoding="utf-8"))
    assert [m["kind"] for m in report["manifest"]["missing"]] == ["island"]
    assert report["facts"]["island"] is None  # unknown, never "no"
    red = next(entry for entry in report["layers"] if entry["kind"] == "redline")
    assert red["official"] and red["plausibility"][0]["published"] == 2527.30
    html = next(out.glob("*/report.html")).read_text(encoding="utf-8")
    assert 'id="missing-island"' in html and "无法判断是否涉及无居民海岛" in html
    assert "生态保护红线总面积实测" in html
