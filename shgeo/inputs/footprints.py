"""Project footprints: read them from any common format and prepare their geometry.

:func:`read_footprints` reads any format :mod:`shgeo.inputs.formats` knows
(GIS files, CSV, the 界址点坐标交换格式 txt, DXF, coordinate tables), checks the
CRS (a file without one is refused unless the caller names one or its
eastings carry a Gauss-Krüger zone prefix; web-map GCJ-02/BD-09 only when
named), checks that everything lands inside Shanghai, and returns the
footprints in :data:`shgeo.crs.WORKING_CRS` with a unique string
``footprint_id`` and what was learned about the file in ``attrs``.

:func:`prepare_footprints` is the geometry half, shared with
:func:`shgeo.overlay.overlay`: Z/M dropped, invalid geometries repaired with
``shapely.make_valid`` (and reported), empty or missing geometries refused
with :class:`~shgeo.errors.FootprintError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..crs import (
    GEOGRAPHIC_CRS,
    SHANGHAI_BOUNDS,
    SHANGHAI_MARGIN_DEG,
    WORKING_CRS,
    check_in_shanghai,
)
from ..errors import ExtentError, FootprintError, option
from .attributes import cut_field_names, find_id_field
from .chinacoords import to_wgs84
from .formats import prefixed_gk_zone, read_source
from .ids import id_text
from .parcels import declared_area_problems, parcel_records
from .sources import SURVEY_FORMATS, SourceMeta
from .tables import PROBLEM_COLUMN

__all__ = ["read_footprints", "read_raw_footprints", "RawFootprints", "to_working_crs", "prepare_footprints",
           "geometry_class", "POLYGON", "LINE", "POINT"]

log = logging.getLogger(__name__)

#: Geometry classes of a footprint (values of :func:`geometry_class`).
POLYGON: Final = 0
LINE: Final = 1
POINT: Final = 2

# shapely type ids: 0 Point, 1 LineString, 2 LinearRing, 3 Polygon, 4 MultiPoint,
# 5 MultiLineString, 6 MultiPolygon, 7 GeometryCollection
_DIM_OF_TYPE: Final = np.array([0, 1, 1, 2, 0, 1, 2, -1])

_ID_COLUMN: Final = "footprint_id"


def geometry_class(geoms: np.ndarray) -> np.ndarray:
    """Return POLYGON / LINE / POINT (0/1/2) for each prepared footprint geometry."""
    dim = shapely.get_dimensions(geoms)
    return np.select([dim == 2, dim == 1], [POLYGON, LINE], POINT).astype(np.int8)


def _highest_dimension_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep only the highest-dimension parts of GeometryCollections; flag the ones changed."""
    changed = np.zeros(len(geoms), dtype=bool)
    is_coll = shapely.get_type_id(geoms) == 7
    if not is_coll.any():
        return geoms, changed
    out = geoms.copy()
    for k in np.flatnonzero(is_coll):
        parts = shapely.get_parts(geoms[k])
        parts = parts[~shapely.is_empty(parts)]
        if len(parts) == 0:
            out[k] = shapely.from_wkt("POLYGON EMPTY")
            continue
        dims = shapely.get_dimensions(parts)
        keep = parts[dims == dims.max()]
        changed[k] = len(keep) < len(parts)
        out[k] = shapely.union_all(keep) if len(keep) > 1 else keep[0]
    return out, changed


def prepare_footprints(
    gdf: gpd.GeoDataFrame, *, path: str | Path | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of *gdf* with footprint geometry ready for measuring.

    Z and M are dropped; invalid geometries are repaired with ``shapely.make_valid``
    (polygons by the ``structure`` method, so a bow-tie becomes two triangles);
    GeometryCollections keep their highest-dimension parts.  Every change is
    logged and listed in ``attrs["repairs"]`` (footprint_id → what was done).
    A missing or empty geometry raises :class:`FootprintError` naming the
    footprint(s). The CRS is not changed.
    """
    if _ID_COLUMN not in gdf.columns:
        raise FootprintError(
            "footprints have no 'footprint_id' column",
            path=path,
            layer=layer,
            hint="read them with shgeo.read_footprints, or add a unique string column 'footprint_id'",
        )
    ids = gdf[_ID_COLUMN].astype(str).to_numpy()
    _check_ids(ids, path=path, layer=layer, what="footprint_id")
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    missing = pd.isna(geoms) | shapely.is_empty(geoms)
    if missing.any():
        bad = ids[missing]
        raise FootprintError(
            f"{len(bad)} footprint(s) have no geometry (empty or missing): {_names(bad)}",
            path=path,
            layer=layer,
            feature=bad[0] if len(bad) == 1 else None,
            hint="draw or remove these footprints; an empty footprint cannot be screened",
        )
    repairs: dict[str, str] = dict(gdf.attrs.get("repairs", {}))
    has_zm = shapely.has_z(geoms)
    if hasattr(shapely, "has_m"):
        has_zm |= shapely.has_m(geoms)
    if has_zm.any():
        geoms = shapely.force_2d(geoms)
        log.info("dropped Z/M coordinates of %d footprint(s)", int(has_zm.sum()))
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        dims = _DIM_OF_TYPE[shapely.get_type_id(geoms[invalid])]
        fixed = np.where(
            dims == 2,
            shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False),
            shapely.make_valid(geoms[invalid]),
        )
        geoms = geoms.copy()
        geoms[invalid] = fixed
        for fid, why in zip(ids[invalid], reasons):
            repairs[fid] = f"repaired with make_valid ({why})"
        log.warning("repaired %d invalid footprint(s) with make_valid: %s", int(invalid.sum()),
                    _names(ids[invalid]))
    geoms, mixed = _highest_dimension_parts(geoms)
    for fid in ids[mixed]:
        repairs[fid] = (repairs.get(fid, "") + "; " if fid in repairs else "") + "dropped lower-dimension parts"
    emptied = shapely.is_empty(geoms)
    if emptied.any():
        bad = ids[emptied]
        raise FootprintError(
            f"{len(bad)} footprint(s) are empty after repair (collapsed or degenerate): {_names(bad)}",
            path=path,
            layer=layer,
            hint="redraw these footprints",
        )
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    out.attrs = dict(gdf.attrs)
    out.attrs["repairs"] = repairs
    return out


def _names(ids: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(repr(str(i)) for i in ids[:limit])
    return shown + (f" … ({len(ids) - limit} more)" if len(ids) > limit else "")


def _check_ids(ids: np.ndarray, *, path, layer, what: str) -> None:
    values, counts = np.unique(ids, return_counts=True)
    dup = values[counts > 1]
    if len(dup):
        raise FootprintError(
            f"duplicate {what} values: {_names(dup)}",
            path=path,
            layer=layer,
            hint="footprint ids must be unique: pick another id_field or fix the duplicates",
        )


# --------------------------------------------------------------------------- reading


def to_working_crs(gdf: gpd.GeoDataFrame, meta: SourceMeta, *, path: str | Path | None, layer: str | None,
                   ids: np.ndarray) -> gpd.GeoDataFrame:
    """Transform footprints read by :func:`read_raw_footprints` to WORKING_CRS via lon/lat, checking Shanghai's
    extent (an :class:`ExtentError` names the footprints outside and the likely cause)."""
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    source_crs = None if meta.web_map else gdf.crs
    if meta.web_map:  # web-map coordinates, named explicitly
        lonlat = to_wgs84(geoms, meta.web_map)
    elif source_crs.equals(GEOGRAPHIC_CRS) or source_crs.equals(pyproj.CRS.from_epsg(4326)):
        lonlat = geoms
    else:
        to_ll = pyproj.Transformer.from_crs(source_crs, GEOGRAPHIC_CRS, always_xy=True)
        with np.errstate(all="ignore"):
            lonlat = shapely.transform(geoms, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
    coords, index = shapely.get_coordinates(lonlat, return_index=True)
    try:
        check_in_shanghai(coords[:, 0], coords[:, 1], source_crs=source_crs, path=path, layer=layer)
    except ExtentError as exc:
        lon, lat = coords[:, 0], coords[:, 1]
        west, south, east, north = SHANGHAI_BOUNDS
        m = SHANGHAI_MARGIN_DEG
        with np.errstate(invalid="ignore"):
            outside = ~((lon >= west - m) & (lon <= east + m) & (lat >= south - m) & (lat <= north + m))
        bad = np.unique(index[outside])
        hint = exc.hint
        zone = prefixed_gk_zone(gdf) if source_crs is not None and source_crs.is_geographic else None
        if zone is not None:
            hint = (f"the coordinates are zone-prefixed Gauss-Krüger metres of {zone.describe()}: use "
                    f"EPSG:{zone.epsg(prefixed=True)} (zone-prefixed)")
        if meta.unused_crs:  # e.g. a GeoJSON (always labelled EPSG:4326 by GDAL) holding Gauss-Krüger metres
            hint = f"{hint}; {meta.unused_crs} — fix the file's CRS definition (.prj, GeoJSON 'crs') or reproject it"
        raise ExtentError(f"{exc.reason}; footprints: {_names(ids[bad])}", path=path, layer=layer,
                          feature=str(ids[bad][0]) if len(bad) == 1 else None, hint=hint) from None
    to_work = pyproj.Transformer.from_crs(GEOGRAPHIC_CRS, WORKING_CRS, always_xy=True)
    work = shapely.transform(lonlat, lambda xy: np.column_stack(to_work.transform(xy[:, 0], xy[:, 1])))
    return gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=gpd.GeoSeries(work, index=gdf.index),
                            crs=WORKING_CRS)


def _unique_text(values: pd.Series) -> np.ndarray | None:
    texts = values.map(lambda v: id_text(v) if isinstance(v, str) and v.strip() else "")
    if (texts == "").any() or texts.duplicated().any():
        return None
    return texts.to_numpy(dtype=object)


def _footprint_ids(gdf: gpd.GeoDataFrame, survey: bool, id_field: str | None, *, path: Path,
                   layer: str | None) -> np.ndarray:
    """Ids: *id_field*; for survey formats 地块编号 (or 地块名称) when unique; else the 1-based row number."""
    if id_field is not None and not (survey and id_field not in gdf.columns):
        if id_field not in gdf.columns:
            raise FootprintError(f"no field {id_field!r}; fields: {[c for c in gdf.columns if c != gdf.geometry.name]}",
                                 path=path, layer=layer, hint=f"name an existing field with {option('id_field')}")
        if gdf[id_field].isna().any():
            rows = np.flatnonzero(gdf[id_field].isna().to_numpy()) + 1
            raise FootprintError(f"id_field {id_field!r} is empty on row(s) {list(map(int, rows[:10]))}", path=path,
                                 layer=layer, hint="fill the ids or use another id field")
        ids = gdf[id_field].map(id_text).to_numpy(dtype=object)
        blank = np.flatnonzero([not str(i).strip() for i in ids]) + 1
        if len(blank):
            raise FootprintError(f"id_field {id_field!r} is empty on row(s) {list(map(int, blank[:10]))}", path=path,
                                 layer=layer, hint="fill the ids or use another id field")
        _check_ids(ids.astype(str), path=path, layer=layer, what=f"id_field {id_field!r}")
        return ids
    if survey:
        for col in ("parcel_id", "parcel_name"):
            ids = _unique_text(gdf[col])
            if ids is not None:
                return ids
    return np.array([str(k) for k in range(1, len(gdf) + 1)], dtype=object)


def _refuse_bad_rows(gdf: gpd.GeoDataFrame, ids: np.ndarray, *, path: Path, layer: str | None) -> None:
    """A footprint CSV's rows whose geometry could not be read, named by their id and the bad value."""
    problems = gdf[PROBLEM_COLUMN].to_numpy(dtype=object)
    bad = np.flatnonzero(pd.notna(problems))
    if not len(bad):
        return
    id_col = find_id_field([c for c in gdf.columns if c not in (gdf.geometry.name, PROBLEM_COLUMN)])
    names = (gdf[id_col].map(id_text).to_numpy(dtype=object) if id_col is not None else ids)
    hint = "fix the cell; the other rows are fine" if len(bad) == 1 else "fix these cells; the other rows are fine"
    if len(bad) == 1:
        raise FootprintError(f"no readable geometry: {problems[bad[0]]}", path=path, layer=layer,
                             feature=names[bad[0]], feature_kind="row", hint=hint)
    shown = "; ".join(f"{names[i]!r}: {problems[i]}" for i in bad[:10])
    more = f" … ({len(bad) - 10} more)" if len(bad) > 10 else ""
    raise FootprintError(f"{len(bad)} rows have no readable geometry: {shown}{more}", path=path, layer=layer,
                         feature_kind="row", hint=hint)


@dataclass
class RawFootprints:
    """A footprint file as read, before geometry preparation: in its own CRS, ids given, bad rows kept.

    ``frame`` has ``footprint_id`` first; rows of a footprint CSV whose
    geometry could not be read keep :data:`~shgeo.inputs.tables.PROBLEM_COLUMN`.
    ``problems``: the reader's notes and the 地块面积 warnings; ``parcels``:
    :func:`~shgeo.inputs.parcels.parcel_records` (survey formats), each with
    its ``footprint_id``.
    """

    frame: gpd.GeoDataFrame
    meta: SourceMeta
    problems: list[str]
    parcels: list[dict[str, Any]]

    @property
    def survey(self) -> bool:
        """True for the survey formats (txt, DXF, coordinate tables): one project per file by default."""
        return self.meta.format in SURVEY_FORMATS

    def attrs(self, layer: str | None, repairs: dict[str, str]) -> dict[str, Any]:
        """The ``attrs`` of :func:`read_footprints`' result."""
        problems = self.problems + ([self.meta.unused_crs] if self.meta.unused_crs else [])
        return {"source": str(self.meta.path), "source_format": self.meta.format, "source_crs": self.meta.crs_name,
                "crs_basis": self.meta.crs_basis, "encoding": self.meta.encoding,
                "layer": layer or self.meta.header.get("layer") or None, "repairs": repairs, "problems": problems,
                "unread_fields": list(self.meta.unread_fields), "parcels": self.parcels}


def read_raw_footprints(path: str | Path, *, layer: str | None = None, crs: object = None,
                        encoding: str | None = None, id_field: str | None = None, wkt_field: str | None = None,
                        lon_field: str | None = None, lat_field: str | None = None) -> RawFootprints:
    """Read a footprint file in its own CRS with ids (the first half of :func:`read_footprints`)."""
    path = Path(path)
    gdf, meta = read_source(path, layer=layer, crs=crs, encoding=encoding, wkt_field=wkt_field,
                            lon_field=lon_field, lat_field=lat_field)
    gdf = gdf.reset_index(drop=True)
    survey = meta.format in SURVEY_FORMATS
    problems = list(meta.notes)
    parcels = parcel_records(gdf) if survey else []
    if survey:
        for warning in declared_area_problems(gdf):
            log.warning("%s: %s", path, warning)
            problems.append(warning)
    if meta.format == "ESRI Shapefile":
        for name, keys in cut_field_names(c for c in gdf.columns if c != gdf.geometry.name).items():
            meta.unread_fields.append(name)
            problems.append(f"field {name!r} was not read as a project attribute: its name looks cut by the DBF's "
                            f"10-byte limit from the name of {' or '.join(keys)}; rename it (5 Chinese characters "
                            f"at most in GBK, e.g. the English key) or give the value in an attributes table")
    ids = _footprint_ids(gdf, survey, id_field, path=path, layer=layer)
    for parcel, fid in zip(parcels, ids):
        parcel["footprint_id"] = str(fid)
    if _ID_COLUMN in gdf.columns and id_field != _ID_COLUMN:
        gdf = gdf.rename(columns={_ID_COLUMN: f"{_ID_COLUMN}_source"})
    gdf.insert(0, _ID_COLUMN, ids)
    return RawFootprints(gdf, meta, problems, parcels)


def read_footprints(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: object = None,
    encoding: str | None = None,
    id_field: str | None = None,
    wkt_field: str | None = None,
    lon_field: str | None = None,
    lat_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read project footprints into :data:`~shgeo.crs.WORKING_CRS` (metres).

    *path*: Shapefile (``.shp`` or zipped ``.zip``), GeoPackage (*layer*),
    GeoJSON, KML/KMZ, FileGDB, CSV with a WKT column (*wkt_field*) or lon/lat
    columns (*lon_field*, *lat_field*; guessed from common names if not
    given), a 界址点坐标交换格式 ``.txt``, a CAD ``.dxf`` (*layer*: CAD
    layer(s), comma-separated), or a coordinate table (``.xlsx`` — *layer*
    names the sheet — or CSV of 点号/X/Y).  See :mod:`shgeo.inputs.formats`.
    *crs* is used when the file has none (any CRS pyproj knows), or names
    web-map coordinates explicitly (``"gcj02"``, ``"bd09"``); zone-prefixed
    Gauss-Krüger eastings name their own zone.  *encoding* overrides the
    detection (UTF-8 or GBK) of DBFs, CSV and txt.

    Returns a GeoDataFrame with a unique string ``footprint_id`` (from
    *id_field*; for the survey formats 地块编号 when unique; else the 1-based
    row number), the source attributes, and the geometry prepared by
    :func:`prepare_footprints`.  The survey formats give one row per parcel
    (DXF: per closed shape or line) with ``parcel_id``, ``parcel_name``,
    ``declared_area_ha``, ``kind``, ``first_line``, ``last_line`` ….
    ``attrs``: ``source`` (path), ``source_format`` (GDAL's driver name, or
    ``"界址点坐标交换格式"``, ``"DXF"``, ``"XLSX 坐标表"``, ``"CSV 坐标表"``,
    ``"CSV"``), ``source_crs`` (``"EPSG:4528"``), ``crs_basis``
    (``"declared"``, ``"from the file"``, ``"from the zone prefix"``, ``"given
    by the user"``), ``encoding``, ``layer``, ``repairs`` (footprint_id →
    repair done), ``problems`` (notes and warnings of the reader: assumptions,
    swapped axes, 地块面积 off by more than 1 % …), ``unread_fields`` and
    ``parcels`` (survey formats: per parcel ``id``, ``name``, ``kind``,
    ``declared_area_ha``, ``computed_area_ha`` on the Gauss-Krüger plane,
    ``area_difference``, ``lines``; empty for GIS files).

    Raises :class:`CRSError` (no CRS, or one that contradicts the zone
    prefix), :class:`ExtentError` (outside Shanghai, naming the likely cause),
    :class:`FootprintError` (empty geometry, duplicate ids, unreadable
    file), :class:`~shgeo.errors.InputFormatError` (a fault in a survey
    file, naming its line and parcel).
    """
    path = Path(path)
    raw = read_raw_footprints(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field, wkt_field=wkt_field,
                              lon_field=lon_field, lat_field=lat_field)
    gdf = raw.frame
    ids = gdf[_ID_COLUMN].to_numpy(dtype=object)
    if PROBLEM_COLUMN in gdf.columns:
        _refuse_bad_rows(gdf, ids, path=path, layer=layer)
        gdf = gdf.drop(columns=[PROBLEM_COLUMN])
    gdf = prepare_footprints(gdf, path=path, layer=layer)
    repairs = gdf.attrs.get("repairs", {})
    gdf = to_working_crs(gdf, raw.meta, path=path, layer=layer, ids=ids.astype(str))
    if len(gdf) == 0:
        raise FootprintError("the file has no features", path=path, layer=layer,
                             hint="point at the file or layer that holds the footprints")
    gdf.attrs = raw.attrs(layer, repairs)
    return gdf
