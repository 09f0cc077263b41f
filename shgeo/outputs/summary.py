"""summary.csv, summary.xlsx and summary.gpkg: one row per project of a screening run.

Text cells that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) get a leading ``'``, as
OWASP advises against CSV injection; numbers are left as they are.
summary.xlsx has the same rows with Chinese headings (the column keys in a
second header row), text cells, and a frozen header.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd
import pandas as pd

from ..crs import GEOGRAPHIC_CRS, WORKING_CRS
from ..library.kinds import KINDS
from .report import json_number
from .report_html import FIGURE_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord, ScreenRecord

__all__ = ["summary_row", "summary_rows", "summary_csv", "summary_xlsx", "summary_gpkg", "neutralise",
           "SUMMARY_COLUMNS", "SUMMARY_HEADINGS_ZH"]

log = logging.getLogger(__name__)

#: ``<kind>_area_m2``, ``<kind>_length_m``, ``<kind>_share`` of each statutory kind (facts.details.by_kind)
KIND_FIGURE_COLUMNS: Final = tuple(f"{k}_{m}" for k in FIGURE_KINDS for m in ("area_m2", "length_m", "share"))

#: Columns of summary.csv, in order.
SUMMARY_COLUMNS: Final = (
    "project_id", "name", "status", "reason", "overall", "outcomes", "level", "domain", "clauses",
    "questions", "redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
    "districts", "land", "sea", "island", "area_m2", "length_m", "overlaps", *KIND_FIGURE_COLUMNS, "flags",
    "outside_share", "avoidable", "sample_data", "as_of", "source", "report",
)

_KIND_HEAD_ZH: Final = {"redline": "红线", "core_zone": "核心保护区", "protected_area": "自然保护地",
                        "water_source_l1": "水源一级区", "groundwater_village": "管控村"}
_MEASURE_ZH: Final = {"area_m2": "重叠面积（m²）", "length_m": "重叠长度（m）", "share": "占项目比例"}

#: Chinese headings of summary.xlsx, per column.
SUMMARY_HEADINGS_ZH: Final = {
    "project_id": "项目编号", "name": "项目名称", "status": "筛查状态", "reason": "未能筛查原因", "overall": "筛查结论",
    "outcomes": "各文件结论", "level": "审批层级", "domain": "领域", "clauses": "条款", "questions": "待补充事项数",
    "redline": "涉及生态保护红线", "core_zone": "涉及核心保护区", "protected_area": "涉及自然保护地",
    "water_source_l1": "涉及水源一级保护区", "groundwater_village": "涉及管控类区域（村）", "districts": "涉及区",
    "land": "涉及陆域", "sea": "涉及海域", "island": "涉及无居民海岛", "area_m2": "项目面积（m²）",
    "length_m": "项目长度（m）", "overlaps": "重叠要素数",
    **{f"{k}_{m}": f"{_KIND_HEAD_ZH[k]}{_MEASURE_ZH[m]}" for k in FIGURE_KINDS for m in _MEASURE_ZH},
    "flags": "提示", "outside_share": "域外比例", "avoidable": "可避让", "sample_data": "样例数据",
    "as_of": "适用日期", "source": "来源文件", "report": "报告",
}

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise(value: Any) -> Any:
    """*value* with a leading ``'`` if it is text a spreadsheet would take for a formula (numbers excepted)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _join(values: Any) -> str:
    if values is None:
        return ""
    if isinstance(values, (list, tuple, set)):
        return ";".join(str(v) for v in values)
    return str(values)


def summary_row(project: ProjectRecord, result: ScreenRecord, report_path: str = "") -> dict[str, Any]:
    """One summary.csv row (also used for ScreenRecord.summary)."""
    facts = project.facts or {}
    details = facts.get("details", {}) or {}
    findings = project.findings or []
    levels = sorted({f["level"] for f in findings if f.get("level")})
    domains = sorted({d for f in findings for d in (f.get("domain") or [])})
    avoid = project.avoidance or {}
    by_kind = details.get("by_kind") or {}
    figures: dict[str, Any] = {}
    for kind in FIGURE_KINDS:
        entry = by_kind.get(kind) if isinstance(by_kind, dict) else None
        entry = entry if isinstance(entry, dict) else {}
        for measure, digits in (("area_m2", 2), ("length_m", 2), ("share", 6)):
            value = json_number(entry.get(measure), digits)
            figures[f"{kind}_{measure}"] = "" if value is None else value
    outside = facts.get("outside_share", details.get("outside_share"))
    return {
        "project_id": project.project_id,
        "name": project.name or "",
        "status": "screened" if project.ok else "not_screened",
        "reason": project.error or "",
        "overall": project.overall or "",
        "outcomes": ";".join(f"{f.get('regulation')}:{f.get('outcome')}" for f in findings),
        "level": ";".join(levels),
        "domain": ";".join(domains),
        "clauses": ";".join(c for f in findings for c in (f.get("clauses") or [])),
        "questions": sum(len(f.get("questions") or []) for f in findings) if project.ok else "",
        "redline": facts.get("redline", ""),
        "core_zone": facts.get("core_zone", ""),
        "protected_area": _join(facts.get("protected_area")),
        "water_source_l1": _join(facts.get("water_source_l1")),
        "groundwater_village": _join(facts.get("groundwater_village")),
        "districts": _join(facts.get("districts")),
        "land": facts.get("land", ""),
        "sea": facts.get("sea", ""),
        "island": facts.get("island", ""),
        "area_m2": json_number(details.get("area_m2"), 1) if details.get("area_m2") is not None else "",
        "length_m": json_number(details.get("length_m"), 1) if details.get("length_m") is not None else "",
        "overlaps": _overlap_count(project),
        **figures,
        "flags": _join(details.get("flags")),
        "outside_share": "" if json_number(outside, 6) is None else json_number(outside, 6),
        "avoidable": avoid.get("avoidable", "") if isinstance(avoid, dict) else "",
        "sample_data": result.sample_data,
        "as_of": result.as_of.isoformat(),
        "source": project.source or "",
        "report": report_path,
    }


def _overlap_count(project: ProjectRecord) -> int | str:
    """Overlaps (not near misses) of a screened project; empty for one not screened (unknown, not 0)."""
    if not project.ok:
        return ""
    rows = project.hit_rows
    if rows is None:
        return 0
    return sum(1 for r in rows.column("relation") if r in (None, "overlap"))


def summary_rows(result: ScreenRecord, folders: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """summary.csv rows for every project of *result*."""
    rows = []
    for p in result.projects:
        path = f"{folders[p.project_id]}/report.json" if folders and p.ok else ""
        rows.append(summary_row(p, result, path))
    return rows


def summary_csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(SUMMARY_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(row.get(k, "")) for k in SUMMARY_COLUMNS})
    return buf.getvalue().encode("utf-8-sig")


_XML_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _column_letters(n: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [get_column_letter(k) for k in range(1, n + 1)]


def _xlsx_rows(rows: list[dict[str, Any]], first: int) -> str:
    """The ``<row>`` elements of *rows* from row number *first*: numbers as numbers, the rest inline text."""
    letters = _column_letters(len(SUMMARY_COLUMNS))
    out = []
    for r, row in enumerate(rows, start=first):
        cells = []
        for letter, column in zip(letters, SUMMARY_COLUMNS):
            value = row.get(column, "")
            if isinstance(value, bool):
                value = "是" if value else "否"
            elif isinstance(value, (int, float)):
                if value == value and value not in (float("inf"), float("-inf")):
                    cells.append(f'<c r="{letter}{r}"><v>{value!r}</v></c>')
                continue
            text = _XML_ILLEGAL.sub("\ufffd", neutralise("" if value is None else str(value)))
            if text:
                cells.append(f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">{xml_escape(text)}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out)


def summary_xlsx(rows: list[dict[str, Any]]) -> Callable[[Path], None]:
    """summary.xlsx: Chinese headings with the column keys below them (bold, frozen with the first two
    columns), then one row per project: text cells (inline strings, never formulas), numbers as numbers.

    openpyxl makes the workbook (styles, headings, panes, widths); the project rows are streamed into
    its sheet as XML, which keeps ten thousand rows to a fraction of a second.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def write(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "汇总"
        bold = Font(bold=True)
        for line in ([SUMMARY_HEADINGS_ZH.get(c, c) for c in SUMMARY_COLUMNS], list(SUMMARY_COLUMNS)):
            ws.append(line)
            for cell in ws[ws.max_row]:
                cell.font = bold
        for letter, column in zip(_column_letters(len(SUMMARY_COLUMNS)), SUMMARY_COLUMNS):
            ws.column_dimensions[letter].width = 28 if column in ("name", "reason", "source", "clauses") else 14
        ws.freeze_panes = "C3"
        wb.save(tmp)
        _append_rows(tmp, _xlsx_rows(rows, first=3), last_row=2 + len(rows))

    return write


def _append_rows(path: Path, rows_xml: str, last_row: int) -> None:
    """Put *rows_xml* at the end of the first sheet's ``sheetData`` in the workbook at *path*."""
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info, data in entries:
            if info.filename == sheet:
                text = data.decode("utf-8")
                text = re.sub(r'<dimension ref="A1:([A-Z]+)\d+"\s*/>',
                              lambda m: f'<dimension ref="A1:{m.group(1)}{last_row}"/>', text, count=1)
                text = text.replace("</sheetData>", rows_xml + "</sheetData>", 1)
                data = text.encode("utf-8")
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def summary_gpkg(result: ScreenRecord, rows: list[dict[str, Any]]) -> Callable[[Path], None]:
    by_id = {r["project_id"]: r for r in rows}
    geoms, recs = [], []
    for p in result.projects:
        if p.geometry is None:
            continue
        rec = {k: ("" if v is None else v) for k, v in by_id[p.project_id].items()}
        rec = {k: (str(v) if isinstance(v, bool) else v) for k, v in rec.items()}
        recs.append(rec)
        geoms.append(p.geometry)
    projects = gpd.GeoDataFrame(pd.DataFrame(recs, columns=list(SUMMARY_COLUMNS)),
                                geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS)).to_crs(GEOGRAPHIC_CRS)
    pieces = result.overlaps
    if len(pieces):
        pieces = pieces[pieces.geometry.notna() & ~pieces.geometry.is_empty]
        keep = ["project_id", *[c for c in ("kind", "feature_id", "name", "code", "category", "relation",
                                            "area_m2", "length_m", "share", "distance_m", "flags")
                                if c in pieces.columns]]
        pieces = gpd.GeoDataFrame(pieces[keep].astype({c: str for c in ("feature_id", "name", "code", "category")
                                                         if c in keep}),
                                  geometry=pieces.geometry, crs=WORKING_CRS).to_crs(GEOGRAPHIC_CRS)
        pieces.insert(2, "kind_zh", pieces["kind"].map(lambda k: KINDS[k].label_zh if k in KINDS else k))

    def write(tmp: Path) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            projects.to_file(tmp, layer="projects", driver="GPKG",
                             **({} if len(projects) else {"geometry_type": "Polygon"}))
            if len(pieces):
                pieces.to_file(tmp, layer="overlaps", driver="GPKG", mode="a")
            else:
                empty = gpd.GeoDataFrame({"project_id": pd.Series([], dtype=str), "kind": pd.Series([], dtype=str)},
                                         geometry=gpd.GeoSeries([], crs=GEOGRAPHIC_CRS))
                empty.to_file(tmp, layer="overlaps", driver="GPKG", mode="a", geometry_type="Polygon")
        for w in caught:
            log.warning("writing summary.gpkg: %s (%s)", w.message, w.category.__name__)

    return write
