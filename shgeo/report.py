"""Screening outputs: report.json per project, summary.csv, summary.gpkg, and the write rules.

Layout of an output folder::

    <out>/index.html            every project, linked (Chinese)
    <out>/summary.csv           one row per project, UTF-8 with BOM (Excel shows Chinese)
    <out>/summary.gpkg          layer "projects" (footprints + outcome fields), layer "overlaps" (pieces), EPSG:4490
    <out>/<id>/report.json      the keys below
    <out>/<id>/report.html      the report in Chinese
    <out>/<id>/map.html         the offline folium map

report.json keys: ``project_id``, ``name``, ``source``, ``sample_data``, ``as_of``,
``shgeo_version``, ``facts`` (the decision interface's ``spatial`` block plus
``details``), ``project`` (the attributes sent to the rules), ``overlaps`` (one
entry per hit: ``kind``, ``name``, ``code``, ``area_m2``, ``length_m``,
``share``, ``distance_m`` …), ``findings`` and ``overall`` (the decision
interface's answer), ``layers`` (``kind``, ``path``, ``sha256``, ``edition``,
``sample`` …), ``manifest``, ``avoidance`` (when asked), ``fingerprint``.

A project that is not screened on a re-run loses the report.json, report.html
and map.html an earlier run wrote for it, so nothing reading ``<id>/report.json``
sees an outdated answer.  The folder carries a ``.shgeo-output`` marker: input
discovery never reads an output folder back as footprints.

Every file is written atomically (a temporary file in the same folder, then
``os.replace``), so an interrupted run never leaves a half-written report.
A project whose report.json holds the same ``fingerprint`` (inputs,
attributes, layer checksums, date, shgeo version) and the same map tiles is
not rewritten on a re-run unless ``force``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ._version import __version__
from .crs import GEOGRAPHIC_CRS, WORKING_CRS
from .kinds import KINDS

if TYPE_CHECKING:  # pragma: no cover
    from .screening import ProjectResult, ScreenResult

__all__ = [
    "build_report",
    "summary_rows",
    "save_outputs",
    "SaveResult",
    "safe_name",
    "unique_names",
    "atomic_write",
    "existing_report",
    "OVERLAP_KEYS",
    "SUMMARY_COLUMNS",
]

log = logging.getLogger(__name__)

#: Keys of each entry of report.json's ``overlaps``.
OVERLAP_KEYS = ("kind", "feature_id", "name", "code", "category", "relation", "area_m2", "length_m", "share",
                "distance_m", "flags")

#: Columns of summary.csv, in order.
SUMMARY_COLUMNS = (
    "project_id", "name", "status", "reason", "overall", "outcomes", "level", "domain", "clauses",
    "questions", "redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village",
    "districts", "land", "sea", "island", "area_m2", "length_m", "overlaps", "avoidable", "sample_data",
    "as_of", "source", "report",
)

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_OUTPUT_FILES = {"index.html", "summary.csv", "summary.gpkg"}
_MAX_NAME = 80


# --------------------------------------------------------------------------- file names and writes


def safe_name(project_id: str) -> str:
    """A file-name-safe folder name for *project_id*.

    Letters (any script, so 中文 ids stay readable), digits, spaces, ``.``,
    ``-`` and ``_`` are kept; everything else (``/``, ``\\``, ``:``, ``*``,
    control characters …) becomes ``_``.  Leading dots, ``..``, Windows reserved names
    (CON, NUL, COM1 …, with or without extension) and trailing dots or
    spaces are neutralised; names are at most 80 characters.
    """
    text = unicodedata.normalize("NFC", str(project_id))
    text = "".join(ch if (ch.isalnum() or ch in "-_. ") else "_" for ch in text)
    text = re.sub(r" +", " ", text)
    text = re.sub(r"_+", "_", text).strip(" .")
    text = text.lstrip(".")
    if not text or set(text) <= {"_", "."}:
        text = "project"
    if text.split(".")[0].lower() in _RESERVED:
        text = "_" + text
    return text[:_MAX_NAME].rstrip(" .") or "project"


def unique_names(project_ids: Iterable[str]) -> dict[str, str]:
    """Map each project id to a distinct safe folder name (case-insensitive; ``-2``, ``-3`` … on collisions)."""
    out: dict[str, str] = {}
    used = set(_OUTPUT_FILES)
    for pid in project_ids:
        base = safe_name(pid)
        name, n = base, 2
        while name.lower() in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name.lower())
        out[pid] = name
    return out


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes | str | Callable[[Path], None]) -> None:
    """Write *data* to *path* through a temporary file in the same folder and ``os.replace``.

    *data* may be bytes, text (UTF-8) or a function that writes the temporary path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            tmp.unlink()
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- report.json


def _num(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, digits)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _jsonable(value: Any) -> Any:
    """Make numpy/pandas scalars, sets and paths JSON-ready (recursively)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _overlap_entries(hits: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    if hits is None or len(hits) == 0:
        return []
    entries = []
    for row in hits.itertuples(index=False):
        get = row._asdict().get
        entries.append({
            "kind": get("kind"),
            "kind_zh": KINDS[get("kind")].label_zh if get("kind") in KINDS else None,
            "feature_id": _text(get("feature_id")),
            "name": _text(get("name")),
            "code": _text(get("code")),
            "category": _text(get("category")),
            "relation": get("relation"),
            "area_m2": _num(get("area_m2"), 2),
            "length_m": _num(get("length_m"), 2),
            "share": _num(get("share"), 6),
            "distance_m": _num(get("distance_m"), 2),
            "flags": [f for f in (_text(get("flags")) or "").split(";") if f],
        })
    return entries


def _main_digest(source: Any) -> str | None:
    """SHA-256 (hex) of the file at the layer's ``path``; for a single digest, that one."""
    digests = source.sha256
    if not isinstance(digests, dict):
        return digests
    name = Path(str(source.path)).name
    if name in digests:
        return digests[name]
    return next(iter(digests.values()), None) if len(digests) == 1 else None


def _layer_entries(library: Any) -> list[dict[str, Any]]:
    """``layers`` of report.json: ``sha256`` is the hex digest of ``path``; ``sha256_files``
    has every file read for the layer (shapefile sidecars, …)."""
    return [{
        "kind": s.kind,
        "path": str(s.path),
        "layer": getattr(s, "layer", None),
        "sha256": _main_digest(s),
        "sha256_files": dict(s.sha256) if isinstance(s.sha256, dict) else {Path(str(s.path)).name: s.sha256},
        "edition": _text(getattr(s, "edition", None)),
        "sample": bool(getattr(s, "sample", False)),
        "source": _text(getattr(s, "source", None)),
        "licence": _text(getattr(s, "licence", None)),
        "feature_count": getattr(s, "feature_count", None),
    } for s in getattr(library, "sources", [])]


def build_report(project: ProjectResult, result: ScreenResult) -> dict[str, Any]:
    """The report.json content of one screened project (JSON-ready dict)."""
    library = result.library
    report: dict[str, Any] = {
        "project_id": project.project_id,
        "name": project.name,
        "source": project.source,
        "sample_data": result.sample_data,
        "as_of": result.as_of.isoformat(),
        "shgeo_version": __version__,
        "overall": project.overall,
        "facts": _jsonable(project.facts),
        "project": _jsonable(project.attributes),
        "overlaps": _overlap_entries(project.overlaps),
        "findings": _jsonable(project.findings),
        "layers": _jsonable(_layer_entries(library)),
        "manifest": {"path": _text(getattr(library, "manifest_path", None)),
                     "sha256": getattr(library, "manifest_sha256", None)},
        "fingerprint": project.fingerprint,
    }
    if result.avoidance:
        report["avoidance"] = _jsonable(project.avoidance)
    return report


def existing_report(out: Path, project: ProjectResult, folder: str | None = None) -> dict[str, Any] | None:
    """The report.json an earlier run wrote for *project* into *out*, or None."""
    from_name = folder or safe_name(project.project_id)
    path = out / from_name / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("project_id") == project.project_id else None


# --------------------------------------------------------------------------- summary


def _join(values: Any) -> str:
    if values is None:
        return ""
    if isinstance(values, (list, tuple, set)):
        return ";".join(str(v) for v in values)
    return str(values)


def summary_row(project: ProjectResult, result: ScreenResult, report_path: str = "") -> dict[str, Any]:
    """One summary.csv row (also used for ScreenResult.summary)."""
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
        "area_m2": _num(details.get("area_m2"), 1) if details.get("area_m2") is not None else "",
        "length_m": _num(details.get("length_m"), 1) if details.get("length_m") is not None else "",
        "overlaps": _overlap_count(project),
        "avoidable": avoid.get("avoidable", "") if isinstance(avoid, dict) else "",
        "sample_data": result.sample_data,
        "as_of": result.as_of.isoformat(),
        "source": project.source or "",
        "report": report_path,
    }


def _overlap_count(project: ProjectResult) -> int | str:
    """Overlaps (not near misses) of a screened project; empty for one not screened (unknown, not 0)."""
    if not project.ok:
        return ""
    hits = project.overlaps
    if hits is None:
        return 0
    return int((hits["relation"] == "overlap").sum()) if "relation" in hits.columns else len(hits)


def summary_rows(result: ScreenResult, folders: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """summary.csv rows for every project of *result*."""
    rows = []
    for p in result.projects:
        path = f"{folders[p.project_id]}/report.json" if folders and p.ok else ""
        rows.append(summary_row(p, result, path))
    return rows


def _summary_csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(SUMMARY_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in SUMMARY_COLUMNS})
    return buf.getvalue().encode("utf-8-sig")


def _summary_gpkg(result: ScreenResult, rows: list[dict[str, Any]]) -> Callable[[Path], None]:
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


# --------------------------------------------------------------------------- save


@dataclass
class SaveResult:
    """What :func:`save_outputs` wrote: the index, and which projects were written, reused or failed."""

    out: Path
    index: Path
    folders: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _up_to_date(folder: Path, project: ProjectResult, tiles: str | None) -> bool:
    try:
        old = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (old.get("project_id") == project.project_id
            and old.get("fingerprint") == project.fingerprint
            and old.get("_outputs", {}).get("tiles") == tiles
            and (folder / "report.html").is_file() and (folder / "map.html").is_file())


def _normal_tiles(tiles: str | None) -> str | None:
    """``None``, ``""`` and ``"none"`` all mean no tile layer (so a re-run compares like with like)."""
    if tiles is None:
        return None
    text = str(tiles).strip()
    return None if text.lower() in ("", "none") else text


def _remove_stale(folder: Path, project: ProjectResult) -> None:
    """Remove the outputs an earlier run wrote for *project*, which was not screened this time."""
    report = folder / "report.json"
    if report.is_file():
        try:
            old = json.loads(report.read_text(encoding="utf-8"))
            mine = not isinstance(old, dict) or old.get("project_id") == project.project_id
        except (OSError, ValueError):
            mine = True
        if not mine:
            return
    removed = []
    for name in ("report.json", "report.html", "map.html"):  # report.json first: it marks the folder complete
        path = folder / name
        if path.is_file():
            path.unlink()
            removed.append(name)
    if removed:
        log.warning("project %s was not screened: removed the earlier %s in %s", project.project_id,
                    ", ".join(removed), folder)
    try:
        folder.rmdir()  # only if nothing else is left in it
    except OSError:
        pass


def save_outputs(result: ScreenResult, out: Path, *, tiles: str | None = None, force: bool = False,
                 progress: bool | None = None) -> SaveResult:
    """Write per-project reports and maps and the batch summary into *out* (see the module docstring)."""
    import sys

    from tqdm.auto import tqdm

    from .maps import project_map_html
    from .report_html import render_index, render_report
    from .screening import OUTPUT_MARKER

    tiles = _normal_tiles(tiles)
    out.mkdir(parents=True, exist_ok=True)
    marker = out / OUTPUT_MARKER
    if not marker.is_file():
        atomic_write(marker, "shgeo screen output folder: not read back as footprints\n")
    folders = unique_names(p.project_id for p in result.projects)
    saved = SaveResult(out=out, index=out / "index.html", folders=folders)
    disable = None if progress is None else not progress  # None: tqdm shows it on a terminal only
    for project in tqdm(result.projects, desc="writing", unit="project", disable=disable, file=sys.stderr):
        if not project.ok:
            saved.failed[project.project_id] = project.error or ""
            _remove_stale(out / folders[project.project_id], project)
            continue
        folder = out / folders[project.project_id]
        if not force and _up_to_date(folder, project, tiles):
            saved.reused.append(project.project_id)
            continue
        try:
            report = dict(project.report or {})
            report["_outputs"] = {"tiles": tiles, "folder": folders[project.project_id]}
            map_html = project_map_html(project, result.library, tiles=tiles)
            report_html = render_report(report)
            atomic_write(folder / "map.html", map_html)
            atomic_write(folder / "report.html", report_html)
            # report.json last: its fingerprint marks the folder complete
            atomic_write(folder / "report.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        except Exception as exc:  # noqa: BLE001 - one bad project is reported, the rest go on
            log.exception("project %s: writing the outputs failed", project.project_id)
            project.error = f"writing the outputs failed: {exc}"
            saved.failed[project.project_id] = project.error
            _remove_stale(folder, project)
            continue
        saved.written.append(project.project_id)
    rows = summary_rows(result, folders)
    atomic_write(out / "summary.csv", _summary_csv(rows))
    atomic_write(out / "summary.gpkg", _summary_gpkg(result, rows))
    atomic_write(saved.index, render_index(result, rows, folders))
    log.info("wrote %s (%d written, %d unchanged, %d not screened)", saved.index, len(saved.written),
             len(saved.reused), len(saved.failed))
    return saved
