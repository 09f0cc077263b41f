"""Screening pipeline: footprints in, per project the spatial facts, overlaps, findings and route out.

:func:`screen` is the one call a notebook needs::

    import shgeo
    result = shgeo.screen("data/sample/projects")       # sample layer pack by default
    result.summary                                     # one row per project (pandas)
    result["P01"].findings                             # the decision interface's findings
    result["P01"].map()                                # folium map, renders inline in Jupyter
    result.save("shgeo-out")                           # report.json/html + map.html per project

The steps are the data flow of DESIGN.md: read footprints (:mod:`shgeo.footprints`)
→ project attributes (:mod:`shgeo.attributes`) → overlay against the layer
library (:mod:`shgeo.overlay`) → route (:mod:`shgeo.decision`) → report and
maps (:mod:`shgeo.report`, :mod:`shgeo.report_html`, :mod:`shgeo.maps`).
A project that cannot be screened (unreadable file, bad attribute value,
overlay failure) is kept with its reason in :attr:`ProjectResult.error`; the
others go on.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._version import __version__
from .attributes import (
    NAME_FIELDS,
    find_id_field,
    project_attributes,
    read_attribute_table,
)
from .crs import GEOGRAPHIC_CRS, WORKING_CRS, check_in_shanghai, parse_crs
from .errors import CRSError, ExtentError, FootprintError, QueryError, ShgeoError
from .footprints import _LAT_NAMES, _LON_NAMES, _WKT_NAMES

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from .layers import LayerLibrary

__all__ = ["screen", "ScreenResult", "ProjectResult", "discover_inputs", "INPUT_SUFFIXES", "OUTPUT_MARKER"]

log = logging.getLogger(__name__)

#: File suffixes taken from input folders (``.zip`` only when it holds a dataset, ``.csv`` only with coordinates;
#: ``.json`` is read as GeoJSON).
INPUT_SUFFIXES = (".shp", ".zip", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".csv")

#: A folder holding this file is a shgeo output folder: input discovery never reads it back.
OUTPUT_MARKER = ".shgeo-output"

#: CSV columns the footprint reader takes as WKT or lon/lat (its own lists, so discovery and reading agree).
_CSV_GEOMETRY_COLUMNS = frozenset(n.lower() for n in (*_WKT_NAMES, *_LON_NAMES, *_LAT_NAMES))
_ZIP_DATASETS = (".shp", ".gpkg", ".geojson", ".json", ".kml")
#: files that belong to a dataset read through another file (shapefile sidecars, metadata)
_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd", ".gpkg-wal", ".gpkg-shm")


# --------------------------------------------------------------------------- results


@dataclass
class ProjectResult:
    """One project's screening: facts, overlaps, findings; or why it could not be screened."""

    project_id: str
    name: str | None = None
    source: str | None = None
    #: one-row GeoDataFrame in WORKING_CRS (None if the file could not be read)
    footprint: gpd.GeoDataFrame | None = field(default=None, repr=False)
    #: the ``project`` block sent to the rules (declared attributes only)
    attributes: dict[str, Any] = field(default_factory=dict)
    #: the ``spatial`` block plus ``details``
    facts: dict[str, Any] = field(default_factory=dict, repr=False)
    #: overlap pieces and near misses (GeoDataFrame, WORKING_CRS; ``geometry`` None for near misses)
    overlaps: gpd.GeoDataFrame | None = field(default=None, repr=False)
    findings: list[dict[str, Any]] = field(default_factory=list, repr=False)
    overall: str | None = None
    #: ``AvoidanceResult.to_dict()`` when asked (lines only), else None
    avoidance: dict[str, Any] | None = field(default=None, repr=False)
    #: proposal and alternative routes (GeoDataFrame with ``role``) when avoidance ran
    routes: gpd.GeoDataFrame | None = field(default=None, repr=False)
    #: why the project could not be screened (None when it was)
    error: str | None = None
    #: hash of the inputs, attributes and layer checksums (re-runs skip unchanged projects)
    fingerprint: str | None = field(default=None, repr=False)
    #: the report.json content (built by :mod:`shgeo.report`)
    report: dict[str, Any] | None = field(default=None, repr=False)
    _library: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True if the project was screened."""
        return self.error is None

    @property
    def spatial(self) -> dict[str, Any]:
        """The ``spatial`` block of the decision interface (no ``details``)."""
        return {k: v for k, v in self.facts.items() if k != "details"}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report.json text of this project."""
        if self.report is None:
            raise ShgeoError(f"project {self.project_id!r} was not screened: {self.error}")
        return json.dumps(self.report, ensure_ascii=False, indent=indent)

    def map(self, *, tiles: str | None = None) -> folium.Map:
        """A folium map of the footprint, its overlaps and the layers around it (EPSG:4326 for display)."""
        from .maps import project_map

        if self.footprint is None:
            raise ShgeoError(f"project {self.project_id!r} was not screened: {self.error}")
        return project_map(self, self._library, tiles=tiles)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.map()._repr_html_()


@dataclass
class ScreenResult:
    """All projects of one screening run, in input order."""

    projects: list[ProjectResult]
    library: Any
    as_of: _dt.date
    avoidance: bool = False

    def __iter__(self) -> Iterator[ProjectResult]:
        return iter(self.projects)

    def __repr__(self) -> str:
        ok = sum(p.ok for p in self.projects)
        sample = ", SAMPLE DATA" if self.sample_data else ""
        return f"<ScreenResult: {len(self.projects)} projects, {ok} screened, as_of {self.as_of}{sample}>"

    def __len__(self) -> int:
        return len(self.projects)

    def __getitem__(self, key: str | int) -> ProjectResult:
        if isinstance(key, int):
            return self.projects[key]
        for project in self.projects:
            if project.project_id == key:
                return project
        raise KeyError(f"no project {key!r}; projects: {', '.join(p.project_id for p in self.projects[:20])}")

    @property
    def ids(self) -> list[str]:
        """Project ids in input order."""
        return [p.project_id for p in self.projects]

    @property
    def sample_data(self) -> bool:
        """True if the layers include sample data (reports carry the SAMPLE DATA banner)."""
        return bool(getattr(self.library, "is_sample", False))

    @property
    def summary(self) -> pd.DataFrame:
        """One row per project: outcome, level, domain, the spatial facts, reason if not screened."""
        from .report import summary_rows

        return pd.DataFrame(summary_rows(self))

    @property
    def overlaps(self) -> gpd.GeoDataFrame:
        """Every project's overlap pieces and near misses in one GeoDataFrame (WORKING_CRS)."""
        frames = [p.overlaps.assign(project_id=p.project_id) for p in self.projects
                  if p.overlaps is not None and len(p.overlaps)]
        if not frames:
            return gpd.GeoDataFrame({"project_id": []}, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WORKING_CRS)

    @property
    def footprints(self) -> gpd.GeoDataFrame:
        """The screened footprints with ``project_id``, ``name`` and ``overall`` (WORKING_CRS)."""
        rows = [(p.project_id, p.name, p.overall, p.footprint.geometry.iloc[0])
                for p in self.projects if p.footprint is not None]
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=["project_id", "name", "overall", "geometry"]),
                                geometry="geometry", crs=WORKING_CRS)

    def to_json(self, *, indent: int | None = 2) -> str:
        """All reports as one JSON document: ``{"as_of", "sample_data", "projects": [report…], "failed": […]}``."""
        doc = {
            "as_of": self.as_of.isoformat(),
            "sample_data": self.sample_data,
            "shgeo_version": __version__,
            "projects": [p.report for p in self.projects if p.ok],
            "failed": [{"project_id": p.project_id, "source": p.source, "reason": p.error}
                       for p in self.projects if not p.ok],
        }
        return json.dumps(doc, ensure_ascii=False, indent=indent)

    def map(self, project_id: str | None = None, *, tiles: str | None = None) -> folium.Map:
        """A folium map of one project, or of all screened projects when *project_id* is None."""
        from .maps import batch_map

        if project_id is not None:
            return self[project_id].map(tiles=tiles)
        return batch_map(self, tiles=tiles)

    def save(self, out: str | Path, *, tiles: str | None = None, force: bool = False) -> Path:
        """Write every report, map, ``summary.csv``, ``summary.gpkg`` and ``index.html`` into *out*.

        Projects whose report.json carries the same fingerprint are not rewritten
        unless *force*.  Returns the path of ``index.html``.
        """
        from .report import save_outputs

        return save_outputs(self, Path(out), tiles=tiles, force=force).index

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary.to_html()


# --------------------------------------------------------------------------- inputs


def _csv_has_coordinates(path: Path, extra: Iterable[str] = ()) -> bool:
    """True if the CSV's header has a column the footprint reader takes as WKT or lon/lat (or one of *extra*)."""
    import csv

    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as fh:
                header = next(csv.reader(fh), [])
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    names = {h.strip().lower() for h in header}
    wanted = _CSV_GEOMETRY_COLUMNS | {e.strip().lower() for e in extra}
    return bool(names & wanted)


def _zip_has_dataset(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.lower().endswith(_ZIP_DATASETS) for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return True  # let the reader say what is wrong with it


def discover_inputs(inputs: Iterable[str | Path], *, exclude: Iterable[str | Path] = (),
                    csv_fields: Iterable[str] = ()) -> list[Path]:
    """Expand files and folders into the footprint files to read (sorted within each folder).

    Folders are searched recursively for :data:`INPUT_SUFFIXES`; hidden entries
    are skipped, ``.zip`` files count only if they hold a dataset and ``.csv``
    files only if they have coordinate or WKT columns (the reader's names, or
    *csv_fields*; an attribute table beside the footprints is not a footprint
    file).  Folders marked with :data:`OUTPUT_MARKER` (shgeo's own outputs)
    are skipped; other files not read are listed in a warning (shapefile
    sidecars aside).  A path that does not exist raises :class:`FootprintError`.
    """
    excluded = {Path(p).resolve() for p in exclude}
    csv_fields = tuple(csv_fields)
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise FootprintError("input not found", path=path, hint="check the path")
        if path.is_dir() and path.suffix.lower() != ".gdb":
            outputs = sorted(m.parent for m in path.rglob(OUTPUT_MARKER) if m.is_file())
            for folder in outputs:
                log.warning("%s: a shgeo output folder (it holds %s); its files are not read as footprints",
                            folder, OUTPUT_MARKER)
            not_read: list[str] = []
            for sub in sorted(path.rglob("*")):
                rel = sub.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if any(part.lower().endswith(".gdb") for part in rel.parts[:-1]):
                    continue
                if any(folder == sub or folder in sub.parents for folder in outputs):
                    continue
                if sub.resolve() in excluded or not (sub.is_file() or sub.suffix.lower() == ".gdb"):
                    continue
                suffix = sub.suffix.lower()
                if suffix == ".gdb" and sub.is_dir():
                    found.append(sub)
                elif suffix not in INPUT_SUFFIXES:
                    if suffix == ".md" or sub.name.lower().startswith("readme"):
                        log.info("%s: documentation, not read as footprints", sub)
                    elif not sub.name.lower().endswith(_SIDECARS):
                        not_read.append(str(rel))
                elif suffix == ".zip" and not _zip_has_dataset(sub):
                    not_read.append(f"{rel} (no dataset inside)")
                elif suffix == ".csv" and not _csv_has_coordinates(sub, csv_fields):
                    not_read.append(f"{rel} (CSV without WKT or lon/lat columns)")
                else:
                    found.append(sub)
            if not_read:
                log.warning("%s: %d file(s) not read as footprints: %s%s", path, len(not_read),
                            ", ".join(not_read[:20]), " …" if len(not_read) > 20 else "")
        else:
            found.append(path)
    unique: list[Path] = []
    seen: set[Path] = set()
    for path in found:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def _prepare_frame(gdf: gpd.GeoDataFrame, crs: object, id_field: str | None) -> gpd.GeoDataFrame:
    """Bring a user's GeoDataFrame to WORKING_CRS with a unique ``footprint_id`` (the reader's checks)."""
    gdf = gdf.reset_index(drop=True).copy()
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    id_col = find_id_field(gdf.columns, id_field)
    if id_field is not None and id_col is None:
        raise FootprintError(f"no field {id_field!r} in the GeoDataFrame", hint="pass an existing id_field")
    if id_col is not None:
        problem = _id_problem(gdf[id_col])
        if problem and id_field is not None:
            raise FootprintError(f"id_field {id_field!r}: {problem}", path="<GeoDataFrame>",
                                 hint="fill in unique ids or pass another id_field")
        if problem:
            log.warning("<GeoDataFrame>: column %r is not a unique id (%s); using row numbers", id_col, problem)
            id_col = None
            if "footprint_id" in gdf.columns:
                gdf = gdf.rename(columns={"footprint_id": "footprint_id_source"})
    if id_col is not None and id_col != "footprint_id":
        gdf.insert(0, "footprint_id", gdf[id_col].map(_id_text))
    elif id_col is None:
        gdf.insert(0, "footprint_id", [str(i) for i in range(1, len(gdf) + 1)])
    else:
        gdf["footprint_id"] = gdf["footprint_id"].map(_id_text)
    out = _carry_repairs(_to_working(gdf, crs))
    out.attrs["source"] = "<GeoDataFrame>"
    return out


def _id_problem(values: pd.Series) -> str | None:
    """Why *values* cannot be project ids (empty or repeated), or None."""
    texts = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else _id_text(v))
    empty = np.flatnonzero((texts == "").to_numpy()) + 1
    if len(empty):
        return f"empty on row(s) {list(map(int, empty[:10]))}"
    dup = sorted(set(texts[texts.duplicated()]))
    if dup:
        return f"repeated value(s) {dup[:10]}"
    return None


def _carry_repairs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Put ``attrs["repairs"]`` (keyed by the id at reading) into a ``_repair`` column: it follows renames and concat."""
    repairs = dict(gdf.attrs.get("repairs", {}) or {})
    attrs = dict(gdf.attrs)
    out = gdf.assign(_repair=[repairs.get(str(i)) for i in gdf["footprint_id"]])
    out.attrs = attrs
    return out


def _to_working(gdf: gpd.GeoDataFrame, crs: object, path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Check and repair footprints that have ``footprint_id`` and bring them to WORKING_CRS.

    The frame's own CRS wins over *crs*; ``"gcj02"``/``"bd09"`` name web-map
    lon/lat; coordinates must fall in Shanghai.
    """
    from .footprints import prepare_footprints

    gdf = prepare_footprints(gdf, path=path)
    given = parse_crs(crs, path=path) if crs is not None else None
    if isinstance(given, str):
        from .chinacoords import to_wgs84

        gdf = gdf.set_geometry(gpd.GeoSeries(to_wgs84(np.asarray(gdf.geometry.array), given),
                                             index=gdf.index, crs=4326))
    elif gdf.crs is None:
        if given is None:
            raise CRSError("no CRS", path=path, hint="set gdf.crs or pass crs='EPSG:4490'")
        gdf = gdf.set_crs(given)
    lonlat = gdf.to_crs(GEOGRAPHIC_CRS)
    coords = shapely.get_coordinates(np.asarray(lonlat.geometry.array))
    check_in_shanghai(coords[:, 0], coords[:, 1], source_crs=gdf.crs, path=path,
                      feature=gdf["footprint_id"].iloc[0] if len(gdf) == 1 else None)
    out = gdf.to_crs(WORKING_CRS)
    out.attrs = {"source": str(path) if path else None, "repairs": gdf.attrs.get("repairs", {})}
    return out


def _read_per_feature(path: Path, *, layer: str | None, crs: object, encoding: str | None,
                      id_field: str | None) -> tuple[gpd.GeoDataFrame | None, list[tuple[str, str, int]]]:
    """Read *path* feature by feature, so one bad feature (empty, outside Shanghai) does not sink the file.

    Returns the good footprints (WORKING_CRS, with their row in ``_row``) and
    ``(footprint_id, reason, row)`` for the bad ones.
    """
    from .io import read_vector

    raw = read_vector(path, layer=layer, encoding=encoding).reset_index(drop=True)
    if raw.geometry is None or len(raw) < 2:
        return None, []
    if id_field is not None:
        if id_field not in raw.columns:
            raise FootprintError(f"no field {id_field!r}; fields: {[c for c in raw.columns if c != raw.geometry.name]}",
                                 path=path, layer=layer, hint="pass an existing --id-field")
        problem = _id_problem(raw[id_field])
        if problem:
            raise FootprintError(f"id_field {id_field!r}: {problem}", path=path, layer=layer,
                                 hint="fill in unique ids or pass another --id-field")
        ids = raw[id_field].map(_id_text)
    else:
        ids = pd.Series([str(i) for i in range(1, len(raw) + 1)])
        col = None if id_field is not None else find_id_field([c for c in raw.columns if c != raw.geometry.name])
        if col is not None and raw[col].notna().all():
            named = raw[col].map(_id_text)
            if not named.duplicated().any() and (named != "").all():
                ids = named
    good, bad = [], []
    for i in range(len(raw)):
        one = raw.iloc[[i]].copy()
        one.insert(0, "footprint_id", [ids.iloc[i]])
        if one.geometry.name != "geometry":
            one = one.rename_geometry("geometry")
        one["_row"] = i
        try:
            good.append(_carry_repairs(_to_working(one, crs, path)))
        except (ShgeoError, ValueError) as exc:
            bad.append((ids.iloc[i], str(exc), i))
    if not good:
        return None, bad
    frame = gpd.GeoDataFrame(pd.concat(good, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
    frame.attrs = {"source": str(path)}
    return frame, bad


def _id_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _apply_id_field(gdf: gpd.GeoDataFrame, id_field: str | None) -> gpd.GeoDataFrame:
    """Use a recognised id column (项目编号, project_id …) when the user named none and it is unique."""
    if id_field is not None:
        return gdf
    col = find_id_field([c for c in gdf.columns if c not in ("footprint_id", "_repair", gdf.geometry.name)])
    if col is None:
        return gdf
    ids = gdf[col]
    if ids.isna().any() or ids.map(_id_text).duplicated().any() or (ids.map(_id_text) == "").any():
        log.warning("%s: column %r is not a unique id; using row numbers", gdf.attrs.get("source"), col)
        return gdf
    gdf = gdf.copy()
    gdf["footprint_id"] = ids.map(_id_text)
    return gdf


def _dissolve_file(gdf: gpd.GeoDataFrame, pid: str) -> gpd.GeoDataFrame:
    """One project per file: union of the features; fields kept where every feature agrees."""
    row: dict[str, Any] = {"footprint_id": pid}
    if "_repair" in gdf.columns:
        repairs = [f"{fid}: {r}" for fid, r in zip(gdf["footprint_id"], gdf["_repair"]) if isinstance(r, str) and r]
        row["_repair"] = "; ".join(repairs) or None
    for col in gdf.columns:
        if col in ("footprint_id", "_repair", gdf.geometry.name):
            continue
        values = gdf[col].dropna().astype(str).unique()
        if len(values) == 1 and gdf[col].notna().all():
            row[col] = gdf[col].iloc[0]
    geom = shapely.union_all(np.asarray(gdf.geometry.array))
    out = gpd.GeoDataFrame([row], geometry=[geom], crs=gdf.crs)
    out.attrs = dict(gdf.attrs)
    return out


@dataclass
class _Input:
    frame: gpd.GeoDataFrame | None
    source: str
    error: str | None = None
    #: features of the file that could not be read: (footprint_id, reason, row)
    failures: list[tuple[str, str, int]] = field(default_factory=list)


def _one_feature_error(exc: Exception) -> bool:
    """True for an error of some features (outside Shanghai, empty geometry), which reading feature by feature
    can isolate; False for one of the whole file (no CRS, the id field missing, empty or repeated)."""
    if isinstance(exc, ExtentError) or getattr(exc, "feature", None) is not None:
        return True
    if isinstance(exc, CRSError):
        return False
    reason = getattr(exc, "reason", "")
    return isinstance(exc, FootprintError) and ("no geometry" in reason or "empty after repair" in reason)


def _read_inputs(footprints: Any, *, crs: object, id_field: str | None, per_file: bool,
                 layer: str | None, encoding: str | None, exclude: Iterable[Path],
                 wkt_field: str | None = None, lon_field: str | None = None,
                 lat_field: str | None = None) -> list[_Input]:
    from .footprints import read_footprints

    if isinstance(footprints, gpd.GeoDataFrame):
        return [_Input(_prepare_frame(footprints, crs, id_field), "<GeoDataFrame>")]
    items = [footprints] if isinstance(footprints, (str, Path)) else list(footprints)
    paths = discover_inputs(items, exclude=exclude, csv_fields=[f for f in (wkt_field, lon_field, lat_field) if f])
    if not paths:
        raise FootprintError(f"no footprint files found in {', '.join(map(str, items))}",
                             hint=f"supported: {', '.join(INPUT_SUFFIXES)} (CSV with WKT or lon/lat columns)")
    inputs: list[_Input] = []
    for path in paths:
        failures: list[tuple[str, str, int]] = []
        try:
            try:
                gdf = read_footprints(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field,
                                      wkt_field=wkt_field, lon_field=lon_field, lat_field=lat_field)
                if id_field is not None:
                    problem = _id_problem(gdf["footprint_id"])
                    if problem:
                        raise FootprintError(f"id_field {id_field!r}: {problem}", path=path, layer=layer,
                                             hint="fill in unique ids or pass another --id-field")
                gdf = _apply_id_field(_carry_repairs(gdf), id_field)
            except (FootprintError, CRSError) as exc:
                # only an error of some features is worth reading the rest one by one; an id-field or
                # CRS problem of the file fails the file (never row numbers in place of the ids asked for)
                if per_file or path.suffix.lower() in (".csv", ".kmz") or not _one_feature_error(exc):
                    raise
                gdf, failures = _read_per_feature(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field)
                if gdf is None:
                    raise exc from None
                for fid, reason, _ in failures:
                    log.error("%s: feature %s: %s", path, fid, reason)
            if per_file:
                gdf = _dissolve_file(gdf, path.stem)
            inputs.append(_Input(gdf, str(path), failures=failures))
        except (ShgeoError, OSError, ValueError) as exc:
            log.error("%s: cannot read: %s", path, exc)
            inputs.append(_Input(None, str(path), error=str(exc)))
    if all(i.frame is None for i in inputs):
        if len(inputs) == 1:
            raise FootprintError(inputs[0].error or "unreadable", path=None)
        raise FootprintError("no input could be read: " + "; ".join(f"{i.source}: {i.error}" for i in inputs))
    return inputs


def _unique_ids(inputs: list[_Input]) -> None:
    """Make project ids unique across files: a colliding id gets its file's stem as a prefix."""
    seen: dict[str, int] = {}
    for item in inputs:
        if item.frame is not None:
            for pid in item.frame["footprint_id"]:
                seen[pid] = seen.get(pid, 0) + 1
    for item in inputs:
        if item.frame is None:
            continue
        stem = Path(item.source).stem
        ids = [f"{stem}-{p}" if seen[p] > 1 else p for p in item.frame["footprint_id"]]
        item.frame = item.frame.assign(footprint_id=ids)
    used: set[str] = set()
    for item in inputs:
        if item.frame is None:
            continue
        fixed = []
        for pid in item.frame["footprint_id"]:
            base, n = pid, 2
            while pid in used:
                pid, n = f"{base}-{n}", n + 1
            used.add(pid)
            fixed.append(pid)
        item.frame = item.frame.assign(footprint_id=fixed)


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


# --------------------------------------------------------------------------- attributes


def _attribute_sources(attributes: Any, id_field: str | None
                       ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, QueryError]]:
    """Split the *attributes* argument into (defaults for all projects, table keyed by project id,
    errors of table rows keyed by project id — those projects fail, the others go on)."""
    errors: dict[str, QueryError] = {}
    if attributes is None:
        return {}, {}, errors
    if isinstance(attributes, (str, Path, pd.DataFrame)):
        # a CSV and a DataFrame are matched alike: unknown columns (项目名称 …) ignored, bad cells per project
        return {}, read_attribute_table(attributes, id_field=id_field, errors=errors), errors
    if isinstance(attributes, Mapping):
        if attributes and all(isinstance(v, Mapping) for v in attributes.values()):
            return {}, {str(k): dict(v) for k, v in attributes.items()}, errors
        return dict(attributes), {}, errors
    raise QueryError(f"attributes must be a CSV path, DataFrame or mapping, not {type(attributes).__name__}",
                     key="attributes")


# --------------------------------------------------------------------------- pipeline


def _load_library(library: Any) -> LayerLibrary:
    from .layers import LayerLibrary, load_library

    if isinstance(library, LayerLibrary):
        return library
    return load_library(library)


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


def _layer_fingerprint(library: Any) -> list[Any]:
    return [getattr(library, "manifest_sha256", None)] + [
        [s.kind, s.sha256, getattr(s, "edition", None)] for s in getattr(library, "sources", [])]


def _fingerprint(geometry: shapely.Geometry, pid: str, name: str | None, attrs: dict[str, Any],
                 layers: list[Any], as_of: _dt.date, avoidance: bool, options: Mapping[str, Any] | None = None,
                 repair: str | None = None) -> str:
    """SHA-256 of what a project's outputs depend on: geometry, id, name, attributes, layers, date,
    overlay and avoidance options, geometry repair, version."""
    doc = {
        "options": dict(options or {}),
        "repair": repair,
        "id": pid,
        "name": name,
        "geometry": shapely.to_wkb(shapely.normalize(geometry), hex=True),
        "attributes": attrs,
        "layers": layers,
        "as_of": as_of.isoformat(),
        "avoidance": avoidance,
        "shgeo": __version__,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _run_overlay(frame: gpd.GeoDataFrame, library: Any, options: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """Overlay all footprints at once; if that fails, one by one so one bad footprint does not stop the rest."""
    from .overlay import overlay

    try:
        return overlay(frame, library, **options), {}
    except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
        if len(frame) == 1:
            return None, {frame["footprint_id"].iloc[0]: f"overlay failed: {exc}"}
        log.warning("overlay of %d footprints failed (%s); retrying one by one", len(frame), exc)
    results: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for i in range(len(frame)):
        one = frame.iloc[[i]]
        pid = one["footprint_id"].iloc[0]
        try:
            results[pid] = overlay(one, library, **options)
        except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
            failed[pid] = f"overlay failed: {exc}"
    return results, failed


def _hits_of(ov: Any, pid: str) -> gpd.GeoDataFrame:
    hits = ov.hits
    return hits[hits["footprint_id"] == pid].reset_index(drop=True)


def _is_line(geom: shapely.Geometry) -> bool:
    return geom.geom_type in ("LineString", "MultiLineString", "LinearRing")


def _run_avoidance(project: ProjectResult, library: Any, options: dict[str, Any]) -> None:
    geom = project.footprint.geometry.iloc[0]
    if not _is_line(geom):
        project.avoidance = {"applicable": False,
                             "reason": "避让分析只适用于线状工程 / avoidance analysis applies to linear works only"}
        return
    from .avoidance import analyse_line

    line = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    try:
        res = analyse_line(line, library, crs=WORKING_CRS, **options)
    except (ShgeoError, ValueError, MemoryError) as exc:
        log.error("project %s: avoidance analysis failed: %s", project.project_id, exc)
        project.avoidance = {"applicable": True, "error": str(exc)}
        return
    block = res.to_dict()
    block.setdefault("applicable", True)
    verdict = getattr(res, "verdict_zh", None)
    if verdict and "verdict_zh" not in block:
        block["verdict_zh"] = verdict
    project.avoidance = block
    routes = getattr(res, "routes", None)
    if routes is not None and len(routes):
        project.routes = routes if routes.crs is not None else routes.set_crs(WORKING_CRS)


def _reusable_avoidance(out: Path | None, project: ProjectResult) -> dict[str, Any] | None:
    """The avoidance block of an earlier report with the same fingerprint (skips the costly path search)."""
    if out is None:
        return None
    from .report import existing_report

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
    *library*: a :class:`~shgeo.layers.LayerLibrary`, a manifest path, or None
    for the sample pack.  *attributes*: a mapping applied to every project, a
    mapping ``{project_id: {...}}``, a DataFrame or CSV joined on the id (see
    :mod:`shgeo.attributes`); fields of the footprint file are read too.
    *as_of*: the date the rules are applied at (default today).  *avoidance*:
    run the least-cost avoidance analysis for linear projects.
    *reuse_from*: an earlier output folder whose avoidance results are reused
    for unchanged projects.  *progress*: a progress bar (default: only on a terminal).
    """
    from .decision import route, validate_query

    lib = _load_library(library)
    missing = getattr(lib, "missing_statutory", [])
    if missing:
        log.warning("the layer library has no %s layer: those facts stay unknown and the findings "
                    "that need them answer needs_information", ", ".join(missing))
    day = _parse_as_of(as_of)
    defaults, table, table_errors = _attribute_sources(attributes, id_field)
    exclude = [Path(attributes)] if isinstance(attributes, (str, Path)) else []
    inputs = _read_inputs(footprints, crs=crs, id_field=id_field, per_file=per_file, layer=layer,
                          encoding=encoding, exclude=exclude, wkt_field=wkt_field, lon_field=lon_field,
                          lat_field=lat_field)
    _unique_ids(inputs)
    layers_fp = _layer_fingerprint(lib)
    options_fp = {"overlay": dict(overlay_options or {}),
                  "avoidance": dict(avoidance_options or {}) if avoidance else None}
    repairs: dict[str, str] = {}

    projects: list[ProjectResult] = []
    good: list[gpd.GeoDataFrame] = []
    for item in inputs:
        if item.frame is None:
            projects.append(ProjectResult(project_id=Path(item.source).stem, source=item.source,
                                          error=item.error, _library=lib))
            continue
        ordered: list[tuple[int, ProjectResult]] = [
            (row, ProjectResult(project_id=fid, source=item.source, error=reason, _library=lib))
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
                                    _library=lib)
            repair = row["_repair"] if "_repair" in frame.columns and isinstance(row["_repair"], str) else None
            if repair:
                repairs[pid] = repair
            try:
                if pid in table_errors:
                    raise table_errors[pid]
                project.attributes = project_attributes({c: row[c] for c in field_cols}, table.get(pid), defaults)
            except QueryError as exc:
                project.error = f"bad project attribute: {exc}"
            project.fingerprint = _fingerprint(row.geometry, pid, project.name, project.attributes, layers_fp, day,
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
                _run_avoidance(project, lib, dict(avoidance_options or {}))
    result = ScreenResult(projects=projects, library=lib, as_of=day, avoidance=avoidance)
    from .report import build_report

    for project in result.projects:
        if project.ok:
            project.report = build_report(project, result)
    return result

