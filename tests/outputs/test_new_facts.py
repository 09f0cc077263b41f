"""The facts of the contract shown in every output, from hand-built records (CONTRACT.md):
flags in Chinese, outside_share, the overall values not_in_force and partly_outside, the per-kind
figures (facts.details.by_kind) and the input block."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from shapely.geometry import box

from shgeo.outputs.report import build_report
from shgeo.outputs.report_html import FLAG_ZH, OVERALL_ZH, render_index, render_report
from shgeo.outputs.summary import SUMMARY_COLUMNS, summary_csv, summary_rows, summary_xlsx
from shgeo.results import ProjectResult, ScreenResult

FLAGS = ["possible_boundary_mismatch", "repaired_geometry", "on_boundary", "partly_outside", "gcj02_ambiguous",
         "mixed_geometry"]


def _project(pid: str, overall: str, **facts) -> ProjectResult:
    details = {"geometry_type": "polygon", "area_m2": 100_000.0, "length_m": 1300.0, "flags": FLAGS,
               "by_kind": {
                   "redline": {"area_m2": 12_345.6, "length_m": 0.0, "share": 0.123456,
                               "features": [{"feature_id": "R1", "name": "红线一", "code": "R-1", "area_m2": 12_345.6,
                                             "length_m": 0.0, "share": 0.123456}]},
                   "core_zone": {"area_m2": 500.0, "length_m": 0.0, "share": 0.005, "features": []},
               }}
    return ProjectResult(
        project_id=pid, name="测试项目", source="in.dxf", geometry=box(0, 0, 100, 100), overall=overall,
        facts={"redline": True, "core_zone": True, "districts": ["浦东新区"], "outside_share": 0.25,
               "details": details, **facts},
        input={"path": "in.dxf", "format": "DXF", "crs": "EPSG:4528", "crs_basis": "from the zone prefix",
               "encoding": "GBK", "notes": ["第3行坐标重复，已忽略"], "unread_fields": ["备注"],
               "parcels": [{"id": "DK01", "name": "地块一", "declared_area_ha": 1.2, "computed_area_ha": 1.1999,
                            "area_difference": 0.0001, "lines": [3, 9]}, {"id": "DK02", "name": "地块二"}]},
        fingerprint="f" * 64)


@pytest.fixture(scope="module")
def result():
    run = ScreenResult(projects=[_project("A", "partly_outside"), _project("B", "not_in_force")], library=None,
                       as_of=dt.date(2025, 6, 1))
    run.bind_reports()
    return run


def test_report_json_carries_the_input_block(result):
    report = result["A"].report
    assert report["input"]["format"] == "DXF" and report["input"]["crs_basis"] == "from the zone prefix"
    assert report["facts"]["outside_share"] == 0.25
    assert build_report(result["A"], result)["input"] == report["input"]


def test_report_html_shows_flags_figures_overall_and_input(result):
    page = render_report(result["A"].report)
    for token in FLAGS:
        assert FLAG_ZH[token] in page
    assert "--crs gcj02" in page and "GCJ-02" in page
    assert OVERALL_ZH["partly_outside"] in page
    assert "位于上海市域外的比例：25.00%" in page
    figures = page[page.index('id="by-kind"'):]
    figures = figures[:figures.index("</table>")]
    assert "生态保护红线" in figures and "12,345.6" in figures and "1.23" in figures and "12.35%" in figures
    assert figures.index("生态保护红线") < figures.index("自然保护地核心保护区")
    assert page.index('id="by-kind"') < page.index("办理路径")  # at the top
    for text in ("DXF", "EPSG:4528", "由坐标带号前缀判定", "GBK", "DK01", "地块一", "地块二", "1.2000", "第3行坐标重复",
                 "未能读取的字段", "备注"):
        assert text in page
    assert OVERALL_ZH["not_in_force"] in render_report(result["B"].report)


def test_summary_has_the_kind_columns_flags_and_outside_share(result):
    rows = summary_rows(result)
    row = rows[0]
    assert row["redline_area_m2"] == 12345.6 and row["redline_share"] == 0.123456
    assert row["core_zone_area_m2"] == 500.0 and row["water_source_l1_area_m2"] == ""
    assert row["flags"] == ";".join(FLAGS) and row["outside_share"] == 0.25
    for kind in ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village"):
        for measure in ("area_m2", "length_m", "share"):
            assert f"{kind}_{measure}" in SUMMARY_COLUMNS
    header = summary_csv(rows).decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(SUMMARY_COLUMNS)


def test_summary_xlsx_has_chinese_headings_and_numbers(result, tmp_path):
    path = tmp_path / "s.xlsx"
    summary_xlsx(summary_rows(result))(path)
    ws = openpyxl.load_workbook(path).active
    headings = [c.value for c in ws[1]]
    assert headings[:3] == ["项目编号", "项目名称", "筛查状态"] and "红线重叠面积（m²）" in headings
    keys = [c.value for c in ws[2]]
    assert keys == list(SUMMARY_COLUMNS)
    row = {k: c.value for k, c in zip(keys, ws[3])}
    assert row["redline_area_m2"] == 12345.6 and row["redline"] == "是" and row["overall"] == "partly_outside"


def test_index_shows_flags_and_the_new_overall_values(result):
    rows = summary_rows(result, {"A": "A", "B": "B"})
    page = render_index(result, rows, {"A": "A", "B": "B"})
    assert OVERALL_ZH["partly_outside"] in page and OVERALL_ZH["not_in_force"] in page
    assert FLAG_ZH["gcj02_ambiguous"] in page and "（域外 25.00%）" in page
    assert 'href="summary.xlsx"' in page


def test_no_figures_table_without_by_kind():
    """Facts without ``by_kind`` (an older overlay) never read as 'no overlap'."""
    page = render_report({"facts": {"redline": True, "details": {}}, "overlaps": [], "findings": []})
    assert 'id="by-kind"' not in page and "未与任何区域重叠" not in page
    page = render_report({"facts": {"details": {"by_kind": {}}}, "overlaps": [], "findings": []})
    assert "未与任何区域重叠" in page
