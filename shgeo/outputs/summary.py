"""summary.csv and summary.gpkg: one row per project of a screening run."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import pandas as pd

from ..crs import GEOGRAPHIC_CRS, WORKING_CRS
from ..library.kinds import KINDS
from .report import json_number

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord, ScreenRecord

__all__ = ["summary_row", "summary_rows", "summary_csv", "summary_gpkg", "SUMMARY_COLUMNS"]

#: Columns of summary.csv, in order.
SUMMARY_COLUMNS: Final = (
    "project_id", "name", "status", "reason", "overall", "outcomes", "level", "domain", "clauses",
    "questions", "redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
    "districts", "land", "sea", "island", "area_m2", "length_m", "overlaps", "avoidable", "sample_data",
    "as_of", "source", "report",
)


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
    hits = project.overlaps
    if hits is None:
        return 0
    return int((hits["relation"] == "overlap").sum()) if "relation" in hits.columns else len(hits)


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
        writer.writerow({k: row.get(k, "") for k in SUMMARY_COLUMNS})
    return buf.getvalue().encode("utf-8-sig")


def summary_gpkg(result: ScreenRecord, rows: list[dict[str, Any]]) -> Callable[[Path], None]:
    by_id = {r["project_id"]: r for r in rows}
    geoms, recs = [], []
    for p in result.projects:
        if p.footprint is None:
            continue
        rec = {k: ("" if v is None else v) for k, v in by_id[p.project_id].items()}
        rec = {k: (str(v) if isinstance(v, bool) else v) for k, v in rec.items()}
        recs.append(rec)
        geoms.append(p.footprint.geometry.iloc[0])
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
        projects.to_file(tmp, layer="projects", driver="GPKG",
                         **({} if len(projects) else {"geometry_type": "Polygon"}))
        if len(pieces):
            pieces.to_file(tmp, layer="overlaps", driver="GPKG", mode="a")
        else:
            empty = gpd.GeoDataFrame({"project_id": pd.Series([], dtype=str), "kind": pd.Series([], dtype=str)},
                                     geometry=gpd.GeoSeries([], crs=GEOGRAPHIC_CRS))
            empty.to_file(tmp, layer="overlaps", driver="GPKG", mode="a", geometry_type="Polygon")

    return write
