"""Write a screening run into an output folder: per project report.json, report.html, map.html;
for the batch summary.csv, summary.gpkg and index.html.

Layout of an output folder::

    <out>/index.html            every project, linked (Chinese)
    <out>/summary.csv           one row per project, UTF-8 with BOM (Excel shows Chinese)
    <out>/summary.gpkg          layer "projects" (footprints + outcome fields), layer "overlaps" (pieces), EPSG:4490
    <out>/<id>/report.json      see :mod:`shgeo.outputs.report`
    <out>/<id>/report.html      the report in Chinese
    <out>/<id>/map.html         the offline folium map

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

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from ..inputs.discovery import OUTPUT_MARKER
from .folder import atomic_write, unique_names
from .maps import project_map_html
from .report_html import render_index, render_report
from .summary import summary_csv, summary_gpkg, summary_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord, ScreenRecord

__all__ = ["save_outputs", "SaveResult"]

log = logging.getLogger(__name__)


@dataclass
class SaveResult:
    """What :func:`save_outputs` wrote: the index, and which projects were written, reused or failed."""

    out: Path
    index: Path
    folders: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _up_to_date(folder: Path, project: ProjectRecord, tiles: str | None) -> bool:
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


def _remove_stale(folder: Path, project: ProjectRecord) -> None:
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


def save_outputs(result: ScreenRecord, out: Path, *, tiles: str | None = None, force: bool = False,
                 progress: bool | None = None) -> SaveResult:
    """Write per-project reports and maps and the batch summary into *out* (see the module docstring)."""
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
    atomic_write(out / "summary.csv", summary_csv(rows))
    atomic_write(out / "summary.gpkg", summary_gpkg(result, rows))
    atomic_write(saved.index, render_index(result, rows, folders))
    log.info("wrote %s (%d written, %d unchanged, %d not screened)", saved.index, len(saved.written),
             len(saved.reused), len(saved.failed))
    return saved
