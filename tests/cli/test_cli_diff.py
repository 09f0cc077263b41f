"""``shgeo diff`` on two real runs: the sample pack, then the same pack with one red-line polygon left out."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from shgeo.cli.main import cli, main
from shgeo.library.layers import default_manifest_path

PROJECTS = Path(__file__).resolve().parents[2] / "data" / "sample" / "projects"

pytestmark = pytest.mark.slow


def test_diff_lists_what_a_red_line_adjustment_changed(tmp_path):
    pack = default_manifest_path().parent
    shutil.copy(pack / "shanghai_sample.gpkg", tmp_path)
    text = (pack / "manifest.toml").read_text(encoding="utf-8")
    # the adjusted edition: the red line without SH-HX-007 (青浦/松江)
    kept = [f"SH-HX-{i:03d}" for i in range(1, 12) if i != 7]
    text = re.sub(r'(kind = "redline"\npath = "shanghai_sample.gpkg"\nlayer = "redline"\nname_field = "name"\n'
                  r'code_field = "code"\n)', lambda m: m.group(1) + f"select = {{ codes = {kept!r} }}\n".replace("'", '"'),
                  text)
    text = text.replace('edition = "2026-11-22"', 'edition = "2026-12-01"', 1)
    manifest = tmp_path / "adjusted.toml"
    manifest.write_text(text, encoding="utf-8")
    runner = CliRunner()
    for out, args in (("old", []), ("new", ["--manifest", str(manifest)])):
        result = runner.invoke(cli, ["screen", str(PROJECTS), "--out", str(tmp_path / out), *args])
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["diff", str(tmp_path / "old"), str(tmp_path / "new"),
                                 "--csv", str(tmp_path / "d.csv"), "--html", str(tmp_path / "d.html")])
    assert result.exit_code == 0, result.output
    assert "layer redline:" in result.output and "2026-12-01" in result.output
    rows = list(csv.DictReader((tmp_path / "d.csv").open(encoding="utf-8-sig")))
    changed = {r["project_id"] for r in rows}
    assert "SP01" in changed  # the 青浦—松江 line crossed SH-HX-007
    assert any(r["project_id"] == "SP01" and r["change"] == "length_m" and r["item"] == "redline" for r in rows)
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "SP01" in html and "两次筛查结果比较" in html
    # a run compared with itself: nothing changed
    result = runner.invoke(cli, ["diff", str(tmp_path / "old"), str(tmp_path / "old")])
    assert result.exit_code == 0 and "no project changed" in result.output
    assert main(["diff", str(tmp_path / "old"), str(tmp_path / "absent")]) == 2
