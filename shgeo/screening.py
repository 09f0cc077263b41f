"""Screening pipeline: footprints in, per project the spatial facts, overlaps, findings and route out.

:func:`screen` is the one call a notebook needs::

    import shgeo
    result = shgeo.screen("data/sample/projects")       # sample layer pack by default
    result.summary                                     # one row per project (pandas)
    result["P01"].findings                             # the decision interface's findings
    result["P01"].map()                                # folium map, renders inline in Jupyter
    result.save("shgeo-out")                           # report.json/html + map.html per project

The steps are the data flow of DESIGN.md, one stage package each: read
footprints and attributes (:mod:`shgeo.inputs`) → overlay against the layer
library (:mod:`shgeo.library`, :mod:`shgeo.overlay`) → route
(:mod:`shgeo.rules`) → report and maps (:mod:`shgeo.outputs`).  This module
only calls them in order.
A project that cannot be screened (unreadable file, bad attribute value,
overlay failure) is kept with its reason in :attr:`ProjectResult.error`; the
others go on.
"""

from __future__ import annotations

import datetime as _dt
import logging
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from .avoidance.routing import analyse_footprint
from .crs import WORKING_CRS
from .errors import LayerCheckError, QueryError, ShgeoError
from .inputs.attributes import NAME_FIELDS, attribute_sources, project_attributes
from .inputs.batch import read_inputs, unique_ids
from .library.layers import LayerLibrary, load_library
from .outputs.report import build_report, existing_report
from .overlay import OverlayResult, overlay
from .provenance import layer_fingerprint, project_fingerprint
from .results import ProjectResult, ScreenResult
from .rules.decision import route, validate_query

__all__ = ["screen"]

log = logging.getLogger(__name__)


def _load_library(library: LayerLibrary | str | Path | None) -> LayerLibrary:
    """The library to screen against; one that would make projects fail or answer wrongly is refused up front."""
    lib = library if isinstance(library, LayerLibrary) else load_library(library)
    if lib.screening_problems:
        raise LayerCheckError(lib.screening_problems, path=lib.manifest_path)
    return lib


def _parse_as_of(as_of: _dt.date | str | None) -> _dt.date:
    if as_of is None:
        return _dt.date.today()
    if isinstance(as_of, _dt.datetime):
        return as_of.date()
    if isinstance(as_of, _dt.date):
        return as_of
    try:
        return _dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise QueryError(f"as_of {as_of!r} is not a date; use YYYY-MM-DD", key="as_of") from None


def _dedupe_failed(projects: list[ProjectResult]) -> None:
    """Give projects that could not be read an id no screened project uses (``-2``, ``-3`` …)."""
    used = {p.project_id for p in projects if p.footprint is not None}
    for p in projects:
        if p.footprint is not None:
            continue
        base, n = p.project_id, 2
        while p.project_id in used:
            p.project_id, n = f"{base}-{n}", n + 1
        used.add(p.project_id)


def _run_overlay(frame: gpd.GeoDataFrame, library: LayerLibrary, options: dict[str, Any]
                 ) -> tuple[OverlayResult | dict[str, OverlayResult] | None, dict[str, str]]:
    """Overlay all footprints at once; if that fails, one by one so one bad footprint does not stop the rest."""
    try:
        return overlay(frame, library, **options), {}
    except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
        if len(frame) == 1:
            return None, {frame["footprint_id"].iloc[0]: f"overlay failed: {exc}"}
        log.warning("overlay of %d footprints failed (%s); retrying one by one", len(frame), exc)
    results: dict[str, OverlayResult] = {}
    failed: dict[str, str] = {}
    for i in range(len(frame)):
        one = frame.iloc[[i]]
        pid = one["footprint_id"].iloc[0]
        try:
            results[pid] = overlay(one, library, **options)
        except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
            failed[pid] = f"overlay failed: {exc}"
    return results, failed


def _hits_of(ov: OverlayResult, pid: str) -> gpd.GeoDataFrame:
    hits = ov.hits
    return hits[hits["footprint_id"] == pid].reset_index(drop=True)


def _reusable_avoidance(out: Path | None, project: ProjectResult) -> dict[str, Any] | None:
    """The avoidance block of an earlier report with the same fingerprint (skips the costly path search)."""
    if out is None:
        return None
    old = existing_report(out, project)
    if old is not None and old.get("fingerprint") == project.fingerprint and old.get("avoidance"):
        return old["avoidance"]
    return None


def screen(
    footprints: gpd.GeoDataFrame | str | Path | Iterable[str | Path],
    library: LayerLibrary | str | Path | None = None,
    attributes: Mapping[str, Any] | pd.DataFrame | str | Path | None = None,
    *,
    as_of: _dt.date | str | None = None,
    id_field: str | None = None,
    per_file: bool = False,
    crs: object = None,
    layer: str | None = None,
    encoding: str | None = None,
    wkt_field: str | None = None,
    lon_field: str | None = None,
    lat_field: str | None = None,
    avoidance: bool = False,
    avoidance_options: Mapping[str, Any] | None = None,
    overlay_options: Mapping[str, Any] | None = None,
    reuse_from: str | Path | None = None,
    progress: bool | None = None,
) -> ScreenResult:
    """Screen project footprints against the layer library and route each under the two regulations.

    *footprints*: a GeoDataFrame (any CRS; *crs* if it has none), or file(s)
    and folder(s) of Shapefiles (also zipped), GeoPackages, GeoJSON, KML/KMZ,
    CSV with WKT or lon/lat (*wkt_field*, *lon_field*, *lat_field*; *layer* of a
    multi-layer file; *encoding* of DBFs without .cpg and CSV).  One project per feature, or per file with
    *per_file* (features dissolved).  Ids come from *id_field*, else a column
    named 项目编号 / project_id / id …, else the row number.
    *library*: a :class:`~shgeo.library.layers.LayerLibrary`, a manifest path, or None
    for the sample pack.  *attributes*: a mapping applied to every project, a
    mapping ``{project_id: {...}}``, a DataFrame or CSV joined on the id (see
    :mod:`shgeo.inputs.attributes`); fields of the footprint file are read too.
    *as_of*: the date the rules are applied at (default today).  *avoidance*:
    run the least-cost avoidance analysis for linear projects.
    *reuse_from*: an earlier output folder whose avoidance results are reused
    for unchanged projects.  *progress*: a progress bar (default: only on a terminal).
    """
    lib = _load_library(library)
    missing = getattr(lib, "missing_statutory", [])
    if missing:
        log.warning("the layer library has no %s layer: those facts stay unknown and the findings "
                    "that need them answer needs_information", ", ".join(missing))
    day = _parse_as_of(as_of)
    defaults, table, table_errors = attribute_sources(attributes, id_field)
    exclude = [Path(attributes)] if isinstance(attributes, (str, Path)) else []
    inputs = read_inputs(footprints, crs=crs, id_field=id_field, per_file=per_file, layer=layer,
                          encoding=encoding, exclude=exclude, wkt_field=wkt_field, lon_field=lon_field,
                          lat_field=lat_field)
    unique_ids(inputs)
    layers_fp = layer_fingerprint(lib)
    options_fp = {"overlay": dict(overlay_options or {}),
                  "avoidance": dict(avoidance_options or {}) if avoidance else None}
    repairs: dict[str, str] = {}

    projects: list[ProjectResult] = []
    good: list[gpd.GeoDataFrame] = []
    for item in inputs:
        if item.frame is None:
            projects.append(ProjectResult(project_id=Path(item.source).stem, source=item.source,
                                          error=item.error, library=lib))
            continue
        ordered: list[tuple[int, ProjectResult]] = [
            (row, ProjectResult(project_id=fid, source=item.source, error=reason, library=lib))
            for fid, reason, row in item.failures]
        frame = item.frame
        lowered = {str(c).lower(): c for c in frame.columns}
        name_col = next((lowered[n.lower()] for n in NAME_FIELDS if n.lower() in lowered), None)
        field_cols = [c for c in frame.columns if c not in ("footprint_id", "_row", "_repair", frame.geometry.name)]
        keep = []
        for i in range(len(frame)):
            row = frame.iloc[i]
            pid = row["footprint_id"]
            name = row[name_col] if name_col is not None and pd.notna(row[name_col]) else None
            project = ProjectResult(project_id=pid, name=None if name is None else str(name),
                                    source=item.source, footprint=frame.iloc[[i]][["footprint_id", "geometry"]],
                                    library=lib)
            repair = row["_repair"] if "_repair" in frame.columns and isinstance(row["_repair"], str) else None
            if repair:
                repairs[pid] = repair
            try:
                if pid in table_errors:
                    raise table_errors[pid]
                project.attributes = project_attributes({c: row[c] for c in field_cols}, table.get(pid), defaults)
            except QueryError as exc:
                project.error = f"bad project attribute: {exc}"
            project.fingerprint = project_fingerprint(row.geometry, pid, project.name, project.attributes, layers_fp, day,
                                               avoidance, options_fp, repair)
            ordered.append((int(row["_row"]) if "_row" in frame.columns else i, project))
            if project.ok:
                keep.append(i)
        projects.extend(p for _, p in sorted(ordered, key=lambda pair: pair[0]))
        good.append(frame.iloc[keep])
    _dedupe_failed(projects)
    unmatched = (set(table) | set(table_errors)) - {p.project_id for p in projects}
    if unmatched:
        log.warning("attribute rows match no project id: %s", ", ".join(sorted(unmatched)[:20]))

    by_id = {p.project_id: p for p in projects}
    frames = [g[["footprint_id", "geometry"]] for g in good if len(g)]
    if frames:
        all_fp = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
        # pd.concat drops attrs: the repairs, keyed by the final project ids, go back for the overlay's flags
        all_fp.attrs = {"source": None, "repairs": {pid: r for pid, r in repairs.items()
                                                    if pid in set(all_fp["footprint_id"])}}
        ov, failed = _run_overlay(all_fp, lib, dict(overlay_options or {}))
        for pid, reason in failed.items():
            by_id[pid].error = reason
    else:
        ov, failed = None, {}

    from tqdm.auto import tqdm

    todo = [p for p in projects if p.ok]
    disable = None if progress is None else not progress  # None: tqdm shows it on a terminal only
    for project in tqdm(todo, desc="screening", unit="project", disable=disable, file=sys.stderr):
        pid = project.project_id
        result = ov.get(pid) if isinstance(ov, dict) else ov
        try:
            project.facts = result.facts[pid]
            project.overlaps = _hits_of(result, pid)
            query = validate_query({"spatial": result.spatial(pid), "project": project.attributes})
            answer = route(query, as_of=day)
        except (ShgeoError, ValueError, KeyError) as exc:
            project.error = f"cannot route: {exc}"
            log.error("project %s: %s", pid, project.error)
            continue
        project.findings = answer.get("findings", [])
        project.overall = answer.get("overall")
        if avoidance:
            reused = _reusable_avoidance(Path(reuse_from) if reuse_from else None, project)
            if reused is not None:
                project.avoidance = reused
            else:
                project.avoidance, project.routes = analyse_footprint(project.footprint.geometry.iloc[0], lib,
                                                                      **dict(avoidance_options or {}))
                if project.avoidance.get("error"):
                    log.error("project %s: avoidance analysis failed: %s", pid, project.avoidance["error"])
    result = ScreenResult(projects=projects, library=lib, as_of=day, avoidance=avoidance)
    for project in result.projects:
        if project.ok:
            project.report = build_report(project, result)
    return result

