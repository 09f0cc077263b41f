"""Read a batch of footprint inputs into one frame per file, one bad feature never sinking the rest.

:func:`read_inputs` takes a GeoDataFrame, or files and folders (expanded by
:func:`shgeo.inputs.discovery.discover_inputs`), and returns one
:class:`InputFile` per file: its footprints in :data:`shgeo.crs.WORKING_CRS`
with a unique ``footprint_id``, or why it could not be read.  A file whose
only problem is some features (empty, outside Shanghai) is re-read feature by
feature so that the others are screened.  :func:`unique_ids` makes ids unique
across files.
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
from ..errors import CRSError, ExtentError, FootprintError, ShgeoError
from .attributes import find_id_field
from .chinacoords import to_wgs84
from .discovery import INPUT_SUFFIXES, discover_inputs
from .footprints import prepare_footprints, read_footprints
from .ids import id_problem, id_text
from .vector import read_vector

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
        gdf.insert(0, "footprint_id", gdf[id_col].map(id_text))
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


def _read_per_feature(path: Path, *, layer: str | None, crs: object, encoding: str | None,
                      id_field: str | None) -> tuple[gpd.GeoDataFrame | None, list[tuple[str, str, int]]]:
    """Read *path* feature by feature, so one bad feature (empty, outside Shanghai) does not sink the file.

    Returns the good footprints (WORKING_CRS, with their row in ``_row``) and
    ``(footprint_id, reason, row)`` for the bad ones.
    """
    raw = read_vector(path, layer=layer, encoding=encoding).reset_index(drop=True)
    if raw.geometry is None or len(raw) < 2:
        return None, []
    if id_field is not None:
        if id_field not in raw.columns:
            raise FootprintError(f"no field {id_field!r}; fields: {[c for c in raw.columns if c != raw.geometry.name]}",
                                 path=path, layer=layer, hint="pass an existing --id-field")
        problem = id_problem(raw[id_field])
        if problem:
            raise FootprintError(f"id_field {id_field!r}: {problem}", path=path, layer=layer,
                                 hint="fill in unique ids or pass another --id-field")
        ids = raw[id_field].map(id_text)
    else:
        ids = pd.Series([str(i) for i in range(1, len(raw) + 1)])
        col = None if id_field is not None else find_id_field([c for c in raw.columns if c != raw.geometry.name])
        if col is not None and raw[col].notna().all():
            named = raw[col].map(id_text)
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


def read_inputs(footprints: gpd.GeoDataFrame | str | Path | Iterable[str | Path], *, crs: object, id_field: str | None, per_file: bool,
                 layer: str | None, encoding: str | None, exclude: Iterable[Path],
                 wkt_field: str | None = None, lon_field: str | None = None,
                 lat_field: str | None = None) -> list[InputFile]:
    if isinstance(footprints, gpd.GeoDataFrame):
        return [InputFile(prepare_frame(footprints, crs, id_field), "<GeoDataFrame>")]
    items = [footprints] if isinstance(footprints, (str, Path)) else list(footprints)
    paths = discover_inputs(items, exclude=exclude, csv_fields=[f for f in (wkt_field, lon_field, lat_field) if f])
    if not paths:
        raise FootprintError(f"no footprint files found in {', '.join(map(str, items))}",
                             hint=f"supported: {', '.join(INPUT_SUFFIXES)} (CSV with WKT or lon/lat columns)")
    inputs: list[InputFile] = []
    for path in paths:
        failures: list[tuple[str, str, int]] = []
        try:
            try:
                gdf = read_footprints(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field,
                                      wkt_field=wkt_field, lon_field=lon_field, lat_field=lat_field)
                if id_field is not None:
                    problem = id_problem(gdf["footprint_id"])
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
            inputs.append(InputFile(gdf, str(path), failures=failures))
        except (ShgeoError, OSError, ValueError) as exc:
            log.error("%s: cannot read: %s", path, exc)
            inputs.append(InputFile(None, str(path), error=str(exc)))
    if all(i.frame is None for i in inputs):
        if len(inputs) == 1:
            raise FootprintError(inputs[0].error or "unreadable", path=None)
        raise FootprintError("no input could be read: " + "; ".join(f"{i.source}: {i.error}" for i in inputs))
    return inputs


def unique_ids(inputs: list[InputFile]) -> None:
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

