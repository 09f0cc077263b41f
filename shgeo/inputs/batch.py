"""Read a batch of footprint inputs into one frame per file, one bad feature never sinking the rest.

:func:`read_inputs` takes a GeoDataFrame, or files and folders (expanded by
:func:`shgeo.inputs.discovery.discover_inputs`), and returns one
:class:`InputFile` per file: its footprints in :data:`shgeo.crs.WORKING_CRS`
with a unique ``footprint_id``, or why it could not be read.  A file whose
only problem is some features (empty, outside Shanghai, a bad CSV cell) is
re-read feature by feature so that the others are screened.  A survey file
(exchange txt, DXF, coordinate table) is one project, its parcels the parts,
unless split per parcel.  :func:`unique_ids` makes ids unique across files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import GEOGRAPHIC_CRS, WORKING_CRS, check_in_shanghai, parse_crs
from ..errors import CRSError, ExtentError, FootprintError, ShgeoError, option
from .attributes import find_id_field
from .chinacoords import to_wgs84
from .discovery import INPUT_SUFFIXES, discover_inputs
from .footprints import prepare_footprints, read_footprints, read_raw_footprints, to_working_crs
from .formats import is_survey_file
from .ids import id_problem, id_text
from .sources import SURVEY_FORMATS
from .tables import PROBLEM_COLUMN

__all__ = ["InputFile", "read_inputs", "prepare_frame", "unique_ids"]

log = logging.getLogger(__name__)


def prepare_frame(gdf: gpd.GeoDataFrame, crs: object, id_field: str | None) -> gpd.GeoDataFrame:
    """Bring a user's GeoDataFrame to WORKING_CRS with a unique ``footprint_id`` (the reader's checks).

    Ids: the column *id_field*, else a recognised id column (项目编号, project_id …), else the index
    (row numbers if the index is not unique).  ``attrs["source_crs"]`` names the CRS the coordinates came in.
    """
    index_ids = [id_text(v) for v in gdf.index]
    source_crs = str(crs) if crs is not None and gdf.crs is None else (
        f"EPSG:{gdf.crs.to_epsg()}" if gdf.crs is not None and gdf.crs.to_epsg() else None)
    gdf = gdf.reset_index(drop=True).copy()
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    id_col = find_id_field(gdf.columns, id_field)
    if id_field is not None and id_col is None:
        raise FootprintError(f"no field {id_field!r} in the GeoDataFrame", hint="pass an existing id_field")
    if id_col is not None:
        problem = id_problem(gdf[id_col])
        if problem and id_field is not None:
            raise FootprintError(f"id_field {id_field!r}: {problem}", path="<GeoDataFrame>",
                                 hint="fill in unique ids or pass another id_field")
        if problem:
            log.warning("<GeoDataFrame>: column %r is not a unique id (%s); using row numbers", id_col, problem)
            id_col = None
            if "footprint_id" in gdf.columns:
                gdf = gdf.rename(columns={"footprint_id": "footprint_id_source"})
    if id_col is not None and id_col != "footprint_id":
        ids = gdf[id_col].map(id_text)
        if "footprint_id" in gdf.columns:  # e.g. a frame from read_footprints: its ids are these, or kept aside
            if gdf["footprint_id"].map(id_text).equals(ids):
                gdf = gdf.drop(columns="footprint_id")
            else:
                gdf = gdf.rename(columns={"footprint_id": "footprint_id_source"})
        gdf.insert(0, "footprint_id", ids)
    elif id_col is None:
        unique = id_problem(pd.Series(index_ids, dtype=object)) is None
        gdf.insert(0, "footprint_id", index_ids if unique else [str(i) for i in range(1, len(gdf) + 1)])
    else:
        gdf["footprint_id"] = gdf["footprint_id"].map(id_text)
    out = _carry_repairs(_to_working(gdf, crs))
    out.attrs["source"] = "<GeoDataFrame>"
    out.attrs["source_crs"] = source_crs
    return out




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
    gdf = prepare_footprints(gdf, path=path)
    given = parse_crs(crs, path=path) if crs is not None else None
    if isinstance(given, str):
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


def _read_per_feature(path: Path, *, layer: str | None, crs: object, encoding: str | None, id_field: str | None,
                      csv_fields: dict[str, str | None]) -> tuple[gpd.GeoDataFrame | None, list[tuple[str, str, int]],
                                                               dict[str, Any]]:
    """Read *path* feature by feature, so one bad feature (empty, outside Shanghai, a bad CSV cell) does not sink
    the file.

    Returns the good footprints (WORKING_CRS, with their row in ``_row``),
    ``(footprint_id, reason, row)`` for the bad ones, and the file's attrs.
    """
    raw = read_raw_footprints(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field, **csv_fields)
    frame = raw.frame
    attrs = raw.attrs(layer, {})
    if len(frame) < 2:
        return None, [], attrs
    ids = frame["footprint_id"].astype(str)
    if id_field is None and not raw.survey:
        named = _recognised_ids(frame.drop(columns=["footprint_id"]))
        if named is not None:
            ids = named
            frame = frame.assign(footprint_id=ids.to_numpy())
    problems = frame[PROBLEM_COLUMN] if PROBLEM_COLUMN in frame.columns else pd.Series([None] * len(frame))
    frame = frame.drop(columns=[PROBLEM_COLUMN], errors="ignore")
    good, bad = [], []
    for i in range(len(frame)):
        fid = ids.iloc[i]
        if isinstance(problems.iloc[i], str):
            bad.append((fid, f"row {fid!r}: {problems.iloc[i]}", i))
            continue
        one = frame.iloc[[i]].copy()
        if one.geometry.name != "geometry":
            one = one.rename_geometry("geometry")
        one["_row"] = i
        try:
            prepared = prepare_footprints(one, path=path, layer=layer)
            moved = to_working_crs(prepared, raw.meta, path=path, layer=layer, ids=np.array([fid], dtype=object))
            moved.attrs = {"repairs": prepared.attrs.get("repairs", {})}
            good.append(_carry_repairs(moved))
        except (ShgeoError, ValueError, shapely.errors.GEOSException) as exc:
            bad.append((fid, str(exc), i))
    if not good:
        return None, bad, attrs
    out = gpd.GeoDataFrame(pd.concat(good, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
    return out, bad, attrs


def _recognised_ids(frame: gpd.GeoDataFrame) -> pd.Series | None:
    """A recognised id column (项目编号, project_id …) when it is complete and unique, as text."""
    col = find_id_field([c for c in frame.columns if c != frame.geometry.name])
    if col is None or frame[col].isna().any():
        return None
    named = frame[col].map(id_text)
    if named.duplicated().any() or (named == "").any():
        return None
    return named


def _apply_id_field(gdf: gpd.GeoDataFrame, id_field: str | None) -> gpd.GeoDataFrame:
    """Use a recognised id column (项目编号, project_id …) when the user named none and it is unique."""
    if id_field is not None:
        return gdf
    col = find_id_field([c for c in gdf.columns if c not in ("footprint_id", "_repair", gdf.geometry.name)])
    if col is None:
        return gdf
    ids = gdf[col]
    if ids.isna().any() or ids.map(id_text).duplicated().any() or (ids.map(id_text) == "").any():
        log.warning("%s: column %r is not a unique id; using row numbers", gdf.attrs.get("source"), col)
        return gdf
    gdf = gdf.copy()
    gdf["footprint_id"] = ids.map(id_text)
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
class InputFile:
    """One input file: its projects' footprints (WORKING_CRS), or why it could not be read.

    ``frame.attrs`` holds what :func:`~shgeo.inputs.footprints.read_footprints`
    says about the file (``source_format``, ``source_crs``, ``crs_basis``,
    ``encoding``, ``problems``, ``unread_fields``) and ``parcels``: project
    id → the parcels (survey formats) that make up that project.
    """

    frame: gpd.GeoDataFrame | None
    source: str
    error: str | None = None
    #: features of the file that could not be read: (footprint_id, reason, row)
    failures: list[tuple[str, str, int]] = field(default_factory=list)

    def project_input(self, project_id: str | None) -> dict[str, Any]:
        """What the reader says about this file, for one of its projects (report.json's ``input`` block).

        ``path``, ``format``, ``crs``, ``crs_basis``, ``encoding``, ``layer``,
        ``parcels`` (the parcels making up *project_id*), ``unread_fields`` and
        ``notes`` (the reader's notes and warnings).
        """
        attrs = dict(self.frame.attrs) if self.frame is not None else {}
        parcels = attrs.get("parcels") or {}
        mine = parcels.get(project_id, []) if isinstance(parcels, dict) else list(parcels)
        return {
            "path": self.source,
            "format": attrs.get("source_format"),
            "crs": attrs.get("source_crs"),
            "crs_basis": attrs.get("crs_basis"),
            "encoding": attrs.get("encoding"),
            "layer": attrs.get("layer"),
            "parcels": [{k: v for k, v in p.items() if k != "footprint_id"} for p in mine],
            "unread_fields": list(attrs.get("unread_fields") or []),
            "notes": [str(n) for n in attrs.get("problems") or []],
        }


def _one_feature_error(exc: Exception) -> bool:
    """True for an error of some features (outside Shanghai, empty geometry, a bad CSV cell), which reading feature
    by feature can isolate; False for one of the whole file (no CRS, the id field missing, empty or repeated)."""
    if isinstance(exc, ExtentError) or getattr(exc, "feature", None) is not None:
        return True
    if getattr(exc, "feature_kind", None) == "row":  # rows of a footprint CSV whose geometry cannot be read
        return True
    if isinstance(exc, CRSError):
        return False
    reason = getattr(exc, "reason", "")
    return isinstance(exc, FootprintError) and ("no geometry" in reason or "empty after repair" in reason)


def _parcels_by_project(gdf: gpd.GeoDataFrame, parcels: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_fid: dict[str, list[dict[str, Any]]] = {}
    for parcel in parcels:
        by_fid.setdefault(str(parcel.get("footprint_id")), []).append(parcel)
    return {str(fid): by_fid.get(str(fid), []) for fid in gdf["footprint_id"]}


def _project_frame(gdf: gpd.GeoDataFrame, attrs: dict[str, Any], path: Path, *, per_file: bool,
                   per_parcel: bool) -> gpd.GeoDataFrame:
    """The projects of one file: a feature each; the whole file for --per-file and (unless split) survey files."""
    parcels = list(attrs.get("parcels") or [])
    survey = attrs.get("source_format") in SURVEY_FORMATS
    if survey and "parcel_name" in gdf.columns and "name" not in gdf.columns:
        gdf = gdf.assign(name=gdf["parcel_name"])  # the report names a parcel's project by 地块名称
    if per_file or (survey and not per_parcel):
        gdf = _dissolve_file(gdf, path.stem)
        by_project = {path.stem: parcels}
    else:
        by_project = _parcels_by_project(gdf, parcels)
    gdf.attrs = {**attrs, "parcels": by_project}
    return gdf


def read_inputs(footprints: gpd.GeoDataFrame | str | Path | Iterable[str | Path], *, crs: object, id_field: str | None,
                per_file: bool, layer: str | None, encoding: str | None, exclude: Iterable[Path],
                wkt_field: str | None = None, lon_field: str | None = None, lat_field: str | None = None,
                per_parcel: bool = False) -> list[InputFile]:
    """Read footprint files (or a GeoDataFrame) into one :class:`InputFile` each; one bad file never stops the rest.

    One project per feature; per file with *per_file* (features dissolved).  A
    survey file (exchange txt, DXF, coordinate table) is one project, its
    parcels the parts, unless *per_parcel* splits it into a project per parcel
    (DXF: per closed shape).  A feature that fails alone (outside Shanghai, an
    empty geometry, a bad CSV cell) fails only its project, except in a
    project made of a whole file: then the file fails, never a part of it
    silently dropped.
    """
    if isinstance(footprints, gpd.GeoDataFrame):
        return [InputFile(prepare_frame(footprints, crs, id_field), "<GeoDataFrame>")]
    items = [footprints] if isinstance(footprints, (str, Path)) else list(footprints)
    paths = discover_inputs(items, exclude=exclude, csv_fields=[f for f in (wkt_field, lon_field, lat_field) if f])
    if not paths:
        raise FootprintError(f"no footprint files found in {', '.join(map(str, items))}",
                             hint=f"supported: {', '.join(INPUT_SUFFIXES)} (CSV with WKT, lon/lat or 点号/X/Y "
                             "columns; .txt in the 界址点坐标交换格式; .xlsx coordinate tables)")
    csv_fields = {"wkt_field": wkt_field, "lon_field": lon_field, "lat_field": lat_field}
    inputs: list[InputFile] = []
    for path in paths:
        failures: list[tuple[str, str, int]] = []
        try:
            try:
                gdf = read_footprints(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field, **csv_fields)
                attrs = dict(gdf.attrs)
                if id_field is not None:
                    problem = id_problem(gdf["footprint_id"])
                    if problem:
                        raise FootprintError(f"id_field {id_field!r}: {problem}", path=path, layer=layer,
                                             hint=f"fill in unique ids or name another field with "
                                             f"{option('id_field')}")
                gdf = _carry_repairs(gdf)
                if attrs.get("source_format") not in SURVEY_FORMATS:
                    gdf = _apply_id_field(gdf, id_field)
            except (FootprintError, CRSError) as exc:
                # only an error of some features is worth reading the rest one by one; an id-field or
                # CRS problem of the file fails the file (never row numbers in place of the ids asked for),
                # and so does any error in a project made of the whole file
                whole_file = per_file or path.suffix.lower() == ".kmz" or (
                    is_survey_file(path, **csv_fields) and not per_parcel)
                if whole_file or not _one_feature_error(exc):
                    raise
                gdf, failures, attrs = _read_per_feature(path, layer=layer, crs=crs, encoding=encoding,
                                                         id_field=id_field, csv_fields=csv_fields)
                if gdf is None:
                    raise exc from None
                for fid, reason, _ in failures:
                    log.error("%s: feature %s: %s", path, fid, reason)
            inputs.append(InputFile(_project_frame(gdf, attrs, path, per_file=per_file, per_parcel=per_parcel),
                                    str(path), failures=failures))
        except (ShgeoError, OSError, ValueError) as exc:
            log.error("%s: cannot read: %s", path, exc)
            inputs.append(InputFile(None, str(path), error=str(exc)))
        except shapely.errors.GEOSException as exc:
            reason = f"{path}: a geometry cannot be built ({exc}) — repair the file's geometries in a GIS"
            log.error("%s", reason)
            inputs.append(InputFile(None, str(path), error=reason))
        except Exception as exc:  # a file broken in a way no reader foresaw: it fails, the batch goes on
            log.debug("%s: unexpected error while reading", path, exc_info=True)
            reason = f"{path}: cannot read this file (unexpected {type(exc).__name__}: {exc})"
            log.error("%s", reason)
            inputs.append(InputFile(None, str(path), error=reason))
    if all(i.frame is None for i in inputs):
        if len(inputs) == 1:
            raise FootprintError(inputs[0].error or "unreadable", path=None)
        raise FootprintError("no input could be read: " + "; ".join(f"{i.source}: {i.error}" for i in inputs))
    return inputs


def _renamed(item: InputFile, ids: list[str]) -> None:
    """Give the projects of *item* new ids, their parcels following them."""
    attrs = dict(item.frame.attrs)
    parcels = attrs.get("parcels")
    if isinstance(parcels, dict):
        attrs["parcels"] = {new: parcels.get(old, []) for old, new in zip(item.frame["footprint_id"], ids)}
    item.frame = item.frame.assign(footprint_id=ids)
    item.frame.attrs = attrs


def unique_ids(inputs: list[InputFile]) -> None:
    """Make project ids unique across files: a colliding id gets its file's stem as a prefix (a project named by
    its file's stem: the file name, ``红线.txt`` beside ``红线.dxf``)."""
    seen: dict[str, int] = {}
    for item in inputs:
        if item.frame is not None:
            for pid in item.frame["footprint_id"]:
                seen[pid] = seen.get(pid, 0) + 1
    for item in inputs:
        if item.frame is None:
            continue
        source = Path(item.source)
        # a colliding id gets its file's stem in front; a whole-file project (named by its stem) its file name
        _renamed(item, [p if seen[p] == 1 else source.name if p == source.stem else f"{source.stem}-{p}"
                        for p in item.frame["footprint_id"]])
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
        _renamed(item, fixed)
