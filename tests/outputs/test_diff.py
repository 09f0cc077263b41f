"""Comparing two screening runs: outcome, level, clauses and occupied area per project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shgeo.errors import ShgeoError
from shgeo.outputs.diff import changes_csv, changes_table, compare_runs, layer_changes, read_run, render_diff_html


def _report(pid, overall="procedures_apply", outcome="recognition_required", level="district", clauses=("二(四)",),
            area=1000.0, name=None, edition="2025-01-01"):
    return {"project_id": pid, "name": name or f"项目{pid}", "overall": overall,
            "findings": [{"regulation": "沪府办发〔2025〕8号", "outcome": outcome, "level": level,
                          "clauses": list(clauses)}],
            "overlaps": [{"kind": "redline", "relation": "overlap", "area_m2": area, "length_m": 0.0},
                         {"kind": "district", "relation": "near", "area_m2": None, "length_m": None}],
            "layers": [{"kind": "redline", "path": "/x/red.shp", "edition": edition, "sha256": "ab" * 32}]}


def _run(folder: Path, reports, failed=()) -> Path:
    folder.mkdir()
    for r in reports:
        (folder / r["project_id"]).mkdir()
        (folder / r["project_id"] / "report.json").write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    rows = ["project_id,name,status,reason"] + [f"{pid},,failed,bad geometry" for pid in failed]
    (folder / "summary.csv").write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_every_kind_of_change_is_listed(tmp_path):
    old = _run(tmp_path / "old", [_report("A"), _report("B"), _report("C"), _report("D", area=500.0),
                                  _report("E")], failed=["F"])
    new = _run(tmp_path / "new", [_report("A"),
                                  _report("B", overall="prohibited_in_principle", outcome="prohibited_in_principle",
                                          level=None, clauses=("一",)),
                                  _report("D", area=500.004), _report("F"), _report("G", edition="2025-06-30"),
                                  _report("E", level="municipal", area=1200.0)],
                failed=["C"])
    changes = compare_runs(read_run(old), read_run(new))
    table = changes_table(changes)
    got = {(r.project_id, r.change, r.item): (r.old, r.new) for r in table.itertuples()}
    assert got[("B", "overall", "overall")] == ("procedures_apply", "prohibited_in_principle")
    assert got[("B", "level", "沪府办发〔2025〕8号")] == ("district", "—")
    assert got[("B", "clauses", "沪府办发〔2025〕8号")] == ("二(四)", "一")
    assert got[("E", "area_m2", "redline")] == ("1,000.00", "1,200.00")
    assert got[("E", "level", "沪府办发〔2025〕8号")] == ("district", "municipal")
    assert got[("C", "failed", "project")][1].startswith("failed: bad geometry")
    assert got[("F", "screened_again", "project")] == ("failed", "procedures_apply")
    assert got[("G", "added", "project")] == ("—", "procedures_apply")
    assert not [k for k in got if k[0] in ("A", "D")]  # unchanged; 0.004 m² is rounding, not a change
    assert layer_changes(read_run(old), read_run(new)) == []


def test_removed_projects_and_layer_editions(tmp_path):
    old = _run(tmp_path / "old", [_report("A"), _report("B")])
    new = _run(tmp_path / "new", [_report("A", edition="2025-06-30")])
    changes = compare_runs(read_run(old), read_run(new))
    assert [(c.project_id, c.change) for c in changes] == [("B", "removed")]
    (row,) = layer_changes(read_run(old), read_run(new))
    assert row["layer"] == "redline" and "2025-01-01" in row["old"] and "2025-06-30" in row["new"]


def test_html_escapes_and_csv_neutralises_formulas(tmp_path):
    old = _run(tmp_path / "old", [_report("=HYPERLINK(1)", name="<script>x</script>")])
    new = _run(tmp_path / "new", [_report("=HYPERLINK(1)", name="<script>x</script>", overall="prohibited")])
    changes = compare_runs(read_run(old), read_run(new))
    html = render_diff_html(changes, read_run(old), read_run(new))
    assert "<script>x" not in html and "&lt;script&gt;x" in html and "筛查结论" in html
    text = changes_csv(changes).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_a_folder_without_reports_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ShgeoError, match="no report.json"):
        read_run(tmp_path / "empty")
    with pytest.raises(ShgeoError, match="not a folder"):
        read_run(tmp_path / "absent")
