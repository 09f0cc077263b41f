"""Every value that comes from layers, attributes or input files is shown as text in every output.

Layer names, codes and categories are third-party input (official layers are
files someone else made), like project ids, names, file names and attribute
values: in report.html, index.html, the map pages (popups and tooltips) and
summary.csv/xlsx nothing of theirs may become markup, script or a formula.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import box

from common import grid_layers, library as make_library
from shgeo.crs import WORKING_CRS
from shgeo.outputs.writer import save_outputs
from shgeo.screening import screen

XSS = '<img src=x onerror="alert(1)">'
FORMULA = '=HYPERLINK("http://evil.example","x")'
PAYLOADS = {
    "layer name": XSS + "名称",
    "layer code": "@SUM(1+1)" + XSS,
    "layer category": "+cmd|' /C calc'!A0",
    "project id": "-2+3" + XSS.replace("<", "&lt;<"),
    "project name": FORMULA + XSS,
    "file name": "<b onmouseover=alert(2)>",
    "attribute value": "\t=1+1<svg onload=alert(3)>",
}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    layers = grid_layers()
    layers["redline"] = [("R1", PAYLOADS["layer name"], PAYLOADS["layer code"], PAYLOADS["layer category"],
                          box(800, 0, 1200, 500))]
    layers["protected_area"] = [("P1", XSS, XSS, XSS, box(1400, 0, 1700, 300))]
    lib = make_library(layers)
    folder = tmp_path_factory.mktemp("in")
    src = folder / f"{PAYLOADS['file name']}.gpkg"
    gpd.GeoDataFrame(
        {"项目编号": [PAYLOADS["project id"], "OK", "BAD"], "项目名称": [PAYLOADS["project name"], XSS, "坏"],
         "是否新建架空线": ["是", "否", PAYLOADS["attribute value"]]},
        geometry=[box(900, 100, 1000, 200), box(1450, 50, 1550, 150), box(100, 100, 150, 150)], crs=WORKING_CRS,
    ).to_file(src, layer="projects")
    result = screen(folder, lib, as_of="2025-06-01")
    assert not result["BAD"].ok, "the bad attribute value fails its project"
    target = tmp_path_factory.mktemp("out") / "out"
    save_outputs(result, target)
    return target


def _pages(out: Path) -> dict[str, str]:
    pages = {"index.html": (out / "index.html").read_text(encoding="utf-8")}
    for path in out.glob("*/*.html"):
        if not path.parent.name.startswith("_"):
            pages[f"{path.parent.name}/{path.name}"] = path.read_text(encoding="utf-8")
    return pages


def test_html_pages_show_values_as_text(out):
    pages = _pages(out)
    assert len(pages) == 5  # index + two screened projects × (report, map)
    for name, text in pages.items():
        for tag in ("<img", "<svg", "<b onmouseover"):
            assert tag not in text, (name, tag)
        assert not re.search(r"<script(?![^>]*(src=\"\.\./_assets/|type=\"application/json\"))", text), name
    reports = [t for n, t in pages.items() if n.endswith("report.html")]
    assert any("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;名称" in t for t in reports)  # layer name, as text
    assert "&lt;b onmouseover=alert(2)&gt;" in pages["index.html"] or "&lt;b onmouseover=alert(2)&gt;" in reports[0]
    assert "&lt;svg onload=alert(3)&gt;" in pages["index.html"]  # the bad attribute value, in the reason


def test_map_popups_and_tooltips_carry_values_as_data(out):
    for name, text in _pages(out).items():
        if not name.endswith("map.html"):
            continue
        raw = re.search(r'id="shgeo-map-data">(.*?)</script>', text, flags=re.S).group(1)
        assert "<" not in raw and ">" not in raw and "&" not in raw.replace("\\u0026", "")
        texts = _strings(json.loads(raw))
        assert any(XSS in t for t in texts)  # shown by the page script with textContent (see the browser test)
    script = (out / "_assets" / "shgeo-map.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "textContent" in script


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _formula_like(value: str) -> bool:
    return value[:1] in ("=", "+", "-", "@", "\t", "\r")


def test_summary_csv_neutralises_formulas(out):
    rows = list(csv.reader((out / "summary.csv").read_text(encoding="utf-8-sig").splitlines()))
    cells = [c for row in rows for c in row]
    for value in PAYLOADS.values():
        if _formula_like(value):
            assert value not in cells
    assert "'" + PAYLOADS["project name"] in cells
    assert "'" + PAYLOADS["project id"] in cells
    for cell in cells:
        if _formula_like(cell):
            float(cell)  # only numbers may start so


def test_summary_xlsx_cells_are_text_never_formulas(out):
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    ws = wb.active
    assert ws.freeze_panes == "C3"
    assert ws["A1"].value == "项目编号" and ws["A2"].value == "project_id"
    values = []
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                values.append(cell.value)
                assert not _formula_like(cell.value), cell.value
    assert "'" + PAYLOADS["project name"] in values
    keys = [c.value for c in ws[2]]
    rows = {r[0]: dict(zip(keys, r)) for r in ws.iter_rows(min_row=3, values_only=True)}
    assert XSS in str(rows["OK"]["protected_area"]), "a layer's text (the protected area's category), as plain text"
