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

The overlay and routing of a batch is one function over a frame of
footprints, :func:`screen_partition`; :func:`screen` runs it over the whole
batch in this process, or over dask-geopandas partitions on a dask cluster
when given a ``client`` (:mod:`shgeo.cluster`).  Both give the same records.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .avoidance.routing import analyse_footprint
from .cluster import run_partitions
from .crs import WORKING_CRS
from .errors import LayerCheckError, QueryError, ShgeoError
from .inputs.attributes import NAME_FIELDS, attribute_sources, project_attributes
from .inputs.batch import InputFile, read_inputs, unique_ids
from .library.layers import LayerLibrary, load_library
from .outputs.report import existing_report
from .overlay import OverlayResult, overlay
from .overlay.result import SPATIAL_KEYS
from .provenance import geometry_keys, layer_fingerprint, project_fingerprint, run_fingerprint
from .records import HitRows, HitTable
from .results import ProjectResult, ScreenResult
from .rules.decision import route

__all__ = ["screen", "screen_partition", "PartitionResult"]

log = logging.getLogger(__name__)

#: columns of the frame :func:`screen_partition` takes
PARTITION_COLUMNS = ("footprint_id", "_repair", "_attributes", "_source_crs", "geometry")
#: footprints per call of :func:`screen_partition` in this process (the progress bar moves per chunk)
_LOCAL_CHUNK = 2000


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
    used = {p.project_id for p in projects if p.geometry is not None}
    for p in projects:
        if p.geometry is not None:
            continue
        base, n = p.project_id, 2
        while p.project_id in used:
            p.project_id, n = f"{base}-{n}", n + 1
        used.add(p.project_id)


# --------------------------------------------------------------------------- one partition


@dataclass
class PartitionResult:
    """What screening one frame of footprints produced (plain data: it travels back from dask workers).

    ``hits``: the overlay's hit table (WORKING_CRS), rows grouped by footprint;
    ``rows``: footprint_id → (start, stop) in ``hits``; ``facts``, ``answers``
    (findings, overall) and ``errors`` keyed by footprint_id.
    """

    hits: HitTable | None = None
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, tuple[list[dict[str, Any]], str | None]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _run_overlay(frame: gpd.GeoDataFrame, library: LayerLibrary, options: dict[str, Any]
                 ) -> tuple[list[OverlayResult], dict[str, str]]:
    """Overlay all footprints at once; if that fails, one by one so one bad footprint does not stop the rest."""
    try:
        return [overlay(frame, library, **options)], {}
    except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
        if len(frame) == 1:
            return [], {frame["footprint_id"].iloc[0]: f"overlay failed: {exc}"}
        log.warning("overlay of %d footprints failed (%s); retrying one by one", len(frame), exc)
    results: list[OverlayResult] = []
    failed: dict[str, str] = {}
    for i in range(len(frame)):
        one = frame.iloc[[i]]
        one.attrs = dict(frame.attrs)
        pid = one["footprint_id"].iloc[0]
        try:
            results.append(overlay(one, library, **options))
        except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
            failed[pid] = f"overlay failed: {exc}"
    return results, failed


def _hit_table(results: list[OverlayResult]) -> tuple[HitTable | None, dict[str, tuple[int, int]]]:
    """The hits of every overlay result in one table, and each footprint's row range in it."""
    frames = [r.hits for r in results]
    if not frames:
        return None, {}
    hits = frames[0] if len(frames) == 1 else gpd.GeoDataFrame(pd.concat(frames, ignore_index=True),
                                                                crs=WORKING_CRS)
    ids = hits["footprint_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    stops = np.r_[starts[1:], len(ids)]
    return HitTable(hits), {ids[s]: (int(s), int(e)) for s, e in zip(starts.tolist(), stops.tolist())}


def screen_partition(frame: gpd.GeoDataFrame, library: LayerLibrary, *, as_of: _dt.date,
                     overlay_options: Mapping[str, Any] | None = None) -> PartitionResult:
    """Overlay and route the footprints of *frame* (columns :data:`PARTITION_COLUMNS`, WORKING_CRS).

    ``_attributes`` holds each project's ``project`` block as JSON text, ``_repair`` what was
    repaired in its geometry (or None).  Runs in this process or on a dask worker.
    """
    out = PartitionResult()
    if len(frame) == 0:
        return out
    ids = frame["footprint_id"].tolist()
    repairs = {pid: r for pid, r in zip(ids, frame["_repair"].tolist()) if isinstance(r, str) and r}
    # the CRS each footprint came in goes with it: the overlay flags WGS 84 lon/lat near a zone (GCJ-02 doubt)
    source_crs = frame["_source_crs"].tolist() if "_source_crs" in frame.columns else [None] * len(ids)
    fps = gpd.GeoDataFrame({"footprint_id": ids, "source_crs": pd.Series(source_crs, dtype=object)},
                           geometry=gpd.GeoSeries(list(frame.geometry.array), crs=WORKING_CRS))
    # the repairs go in attrs for the overlay's flags (attrs do not survive partitioning)
    fps.attrs = {"source": None, "repairs": repairs}
    results, out.errors = _run_overlay(fps, library, dict(overlay_options or {}))
    out.hits, out.rows = _hit_table(results)
    facts: dict[str, dict[str, Any]] = {}
    for result in results:
        facts.update(result.facts)
    for pid, attrs in zip(ids, frame["_attributes"].tolist()):
        attrs = json.loads(attrs)
        if pid in out.errors:
            continue
        try:
            fact = facts[pid]
            out.facts[pid] = fact
            # district names and protected-area categories as the library's layers give them
            answer = route({"spatial": {k: fact[k] for k in SPATIAL_KEYS if k in fact}, "project": attrs},
                           as_of=as_of, check_names=False)
        except (ShgeoError, ValueError, KeyError) as exc:
            out.errors[pid] = f"cannot route: {exc}"
            log.error("project %s: %s", pid, out.errors[pid])
            continue
        out.answers[pid] = (answer.get("findings", []), answer.get("overall"))
    return out


# --------------------------------------------------------------------------- the batch


def _projects_of(item: InputFile, lib: LayerLibrary, defaults: dict[str, Any], table: dict[str, Any],
                 table_errors: dict[str, QueryError], fingerprint_of: Any) -> list[ProjectResult]:
    """The projects of one input file, in the file's row order (failed features in their place)."""
    ordered: list[tuple[int, ProjectResult]] = [
        (row, ProjectResult(project_id=fid, source=item.source, error=reason, library=lib,
                            input=item.project_input(fid)))
        for fid, reason, row in item.failures]
    frame = item.frame
    lowered = {str(c).lower(): c for c in frame.columns}
    name_col = next((lowered[n.lower()] for n in NAME_FIELDS if n.lower() in lowered), None)
    geom_col = frame.geometry.name
    field_cols = [c for c in frame.columns if c not in ("footprint_id", "_row", "_repair", geom_col)]
    n = len(frame)
    ids = frame["footprint_id"].tolist()
    geoms = list(np.asarray(frame.geometry.array, dtype=object))
    keys = geometry_keys(geoms)
    names = frame[name_col].tolist() if name_col is not None else [None] * n
    repairs = frame["_repair"].tolist() if "_repair" in frame.columns else [None] * n
    rows = frame["_row"].tolist() if "_row" in frame.columns else list(range(n))
    values = list(zip(*(frame[c].tolist() for c in field_cols))) if field_cols else [()] * n
    for i in range(n):
        pid, name = ids[i], names[i]
        name = None if name is None or (isinstance(name, float) and name != name) else str(name)
        repair = repairs[i] if isinstance(repairs[i], str) and repairs[i] else None
        project = ProjectResult(project_id=pid, name=name, source=item.source, geometry=geoms[i], library=lib,
                                input=item.project_input(pid), repair=repair)
        try:
            if pid in table_errors:
                raise table_errors[pid]
            project.attributes = project_attributes(dict(zip(field_cols, values[i])), table.get(pid), defaults)
        except QueryError as exc:
            project.error = f"bad project attribute: {exc}"
        project.fingerprint = fingerprint_of(keys[i], pid, project.name, project.attributes, repair)
        ordered.append((int(rows[i]), project))
    return [p for _, p in sorted(ordered, key=lambda pair: pair[0])]


def _reusable_avoidance(out: Path | None, project: ProjectResult) -> dict[str, Any] | None:
    """The avoidance block of an earlier report with the same fingerprint (skips the costly path search)."""
    if out is None:
        return None
    old = existing_report(out, project)
    if old is not None and old.get("fingerprint") == project.fingerprint and old.get("avoidance"):
        return old["avoidance"]
    return None


def _run_local(frame: gpd.GeoDataFrame, lib: LayerLibrary, progress: bool | None, **kwargs: Any
               ) -> list[PartitionResult]:
    """:func:`screen_partition` over chunks of *frame* in this process, with a progress bar on a terminal."""
    from tqdm.auto import tqdm

    disable = None if progress is None else not progress  # None: tqdm shows it on a terminal only
    parts = []
    with tqdm(total=len(frame), desc="screening", unit="project", disable=disable, file=sys.stderr) as bar:
        for start in range(0, len(frame), _LOCAL_CHUNK):
            chunk = frame.iloc[start:start + _LOCAL_CHUNK]
            parts.append(screen_partition(chunk, lib, **kwargs))
            bar.update(len(chunk))
    return parts


def _partition_frame(projects: list[ProjectResult]) -> gpd.GeoDataFrame:
    todo = [p for p in projects if p.ok]
    return gpd.GeoDataFrame(
        {"footprint_id": [p.project_id for p in todo],
         "_repair": pd.Series([p.repair for p in todo], dtype=object),
         # JSON text: a column of dicts would not survive dask's conversion of object columns to strings
         "_attributes": pd.Series([json.dumps(p.attributes, ensure_ascii=False) for p in todo], dtype=object),
         "_source_crs": pd.Series([(p.input or {}).get("crs") for p in todo], dtype=object)},
        geometry=gpd.GeoSeries([p.geometry for p in todo], crs=WORKING_CRS))


def screen(
    footprints: gpd.GeoDataFrame | str | Path | Iterable[str | Path],
    library: LayerLibrary | str | Path | None = None,
    attributes: Mapping[str, Any] | pd.DataFrame | str | Path | None = None,
    *,
    as_of: _dt.date | str | None = None,
    id_field: str | None = None,
    per_file: bool = False,
    per_parcel: bool = False,
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
    client: Any = None,
    partitions: int | None = None,
) -> ScreenResult:
    """Screen project footprints against the layer library and route each under the two regulations.

    *footprints*: a GeoDataFrame (any CRS; *crs* if it has none), or file(s)
    and folder(s) of Shapefiles (also zipped), GeoPackages, GeoJSON, KML/KMZ,
    CSV with WKT or lon/lat (*wkt_field*, *lon_field*, *lat_field*; *layer* of a
    multi-layer file; *encoding* of DBFs without .cpg and CSV), 界址点坐标交换格式
    txt, DXF, XLSX/CSV coordinate tables.  One project per feature, or per file
    with *per_file* (features dissolved); a txt, DXF or coordinate table is one
    project (its parcels the parts), or one per parcel with *per_parcel*.  Ids
    come from *id_field*, else a column named 项目编号 / project_id / id …,
    else the row number.
    *library*: a :class:`~shgeo.library.layers.LayerLibrary`, a manifest path, or None
    for the sample pack.  *attributes*: a mapping applied to every project, a
    mapping ``{project_id: {...}}``, a DataFrame or CSV joined on the id (see
    :mod:`shgeo.inputs.attributes`); fields of the footprint file are read too.
    *as_of*: the date the rules are applied at (default today).  *avoidance*:
    run the least-cost avoidance analysis for linear projects.
    *reuse_from*: an earlier output folder whose avoidance results are reused
    for unchanged projects.  *progress*: a progress bar (default: only on a terminal).
    *client*: a ``dask.distributed.Client``: the overlay and routing run on its
    workers over *partitions* dask-geopandas partitions of the footprints (default:
    a few per worker), the layer library sent once to each worker; the result is
    the same as without a client.
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
                          lat_field=lat_field, per_parcel=per_parcel)
    unique_ids(inputs)
    run_fp = run_fingerprint(layer_fingerprint(lib), day, avoidance,
                             {"overlay": dict(overlay_options or {}),
                              "avoidance": dict(avoidance_options or {}) if avoidance else None})

    def fingerprint_of(geom: str, pid: str, name: str | None, attrs: dict[str, Any], repair: str | None) -> str:
        return project_fingerprint(geom, pid, name, attrs, run_fp, repair)

    projects: list[ProjectResult] = []
    for item in inputs:
        if item.frame is None:
            projects.append(ProjectResult(project_id=Path(item.source).stem, source=item.source,
                                          error=item.error, library=lib, input=item.project_input(None)))
            continue
        projects.extend(_projects_of(item, lib, defaults, table, table_errors, fingerprint_of))
    _dedupe_failed(projects)
    unmatched = (set(table) | set(table_errors)) - {p.project_id for p in projects}
    if unmatched:
        log.warning("attribute rows match no project id: %s", ", ".join(sorted(unmatched)[:20]))

    frame = _partition_frame(projects)
    kwargs = {"as_of": day, "overlay_options": dict(overlay_options or {})}
    if client is not None:
        parts = run_partitions(client, frame, lib, screen_partition, partitions=partitions, progress=progress,
                               **kwargs)
    else:
        parts = _run_local(frame, lib, progress, **kwargs)
    _apply(projects, parts)

    if avoidance:
        from tqdm.auto import tqdm

        disable = None if progress is None else not progress  # None: tqdm shows it on a terminal only
        for project in tqdm([p for p in projects if p.ok], desc="avoidance", unit="project", disable=disable,
                            file=sys.stderr):
            reused = _reusable_avoidance(Path(reuse_from) if reuse_from else None, project)
            if reused is not None:
                project.avoidance = reused
                continue
            project.avoidance, project.routes = analyse_footprint(project.geometry, lib,
                                                                  **dict(avoidance_options or {}))
            if project.avoidance.get("error"):
                log.error("project %s: avoidance analysis failed: %s", project.project_id,
                          project.avoidance["error"])
    result = ScreenResult(projects=projects, library=lib, as_of=day, avoidance=avoidance)
    result.bind_reports()  # report.json content built when first asked for (saving, to_json)
    return result


def _apply(projects: list[ProjectResult], parts: list[PartitionResult]) -> None:
    """Put what the partitions found into the project records."""
    by_id = {p.project_id: p for p in projects if p.ok}
    for part in parts:
        for pid, fact in part.facts.items():
            project = by_id[pid]
            project.facts = fact
            if part.hits is not None:
                project.hit_rows = HitRows(part.hits, *part.rows.get(pid, (0, 0)))
        for pid, (findings, overall) in part.answers.items():
            by_id[pid].findings, by_id[pid].overall = findings, overall
        for pid, reason in part.errors.items():
            by_id[pid].error = reason
