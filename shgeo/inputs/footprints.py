"""Project footprints: read them from any common format and prepare their geometry.

:func:`read_footprints` reads Shapefile (also zipped), GeoPackage, GeoJSON,
KML/KMZ and CSV (a WKT column, or lon/lat columns), checks the CRS (a file
without one is refused unless the caller names one; web-map GCJ-02/BD-09 only
when named), checks that everything lands inside Shanghai, and returns the
footprints in :data:`shgeo.crs.WORKING_CRS` with a unique string
``footprint_id``.

:func:`prepare_geometries` is the geometry half, shared with
:func:`shgeo.overlay.overlay`: Z/M dropped, invalid geometries repaired with
``shapely.make_valid`` (and reported), GeometryCollections kept part by part
(merged per dimension), empty or missing geometries refused with
:class:`~shgeo.errors.FootprintError`; :func:`prepare_footprints` applies it
to a frame, :func:`footprint_ids` takes the ids from a column or the index.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

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
    parse_crs,
)
from ..errors import CRSError, ExtentError, FootprintError
from .chinacoords import to_wgs84
from .ids import id_problem, id_text
from .tables import read_csv_footprints
from .vector import read_vector

__all__ = ["read_footprints", "prepare_footprints", "prepare_geometries", "footprint_ids", "geometry_class",
           "POLYGON", "LINE", "POINT"]

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


def _parts_by_dimension(geom: shapely.Geometry) -> list[shapely.Geometry]:
    """The non-empty parts of a (nested) GeometryCollection merged per dimension: polygons, lines, points."""
    parts = [geom]
    while any(shapely.get_type_id(q) >= 4 for q in parts):
        parts = [r for q in parts for r in (shapely.get_parts(q) if shapely.get_type_id(q) >= 4 else [q])]
    parts = [q for q in parts if not q.is_empty]
    out = []
    for dim in (2, 1, 0):
        same = [q for q in parts if shapely.get_dimensions(q) == dim]
        if same:
            out.append(shapely.union_all(same) if len(same) > 1 else same[0])
    return out


def _normalise_collections(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GeometryCollections as their parts merged per dimension; flag those that mix dimensions.

    A collection of one dimension becomes that geometry (e.g. a MultiPolygon); one that mixes
    dimensions stays a GeometryCollection of at most three parts (polygonal, lineal, points),
    every part kept: each is screened by its own dimension.
    """
    mixed = np.zeros(len(geoms), dtype=bool)
    is_coll = shapely.get_type_id(geoms) == 7
    if not is_coll.any():
        return geoms, mixed
    out = geoms.copy()
    for k in np.flatnonzero(is_coll):
        parts = _parts_by_dimension(geoms[k])
        if not parts:
            out[k] = shapely.from_wkt("POLYGON EMPTY")
        elif len(parts) == 1:
            out[k] = parts[0]
        else:
            out[k] = shapely.geometrycollections(parts)
            mixed[k] = True
    return out, mixed


def footprint_ids(gdf: gpd.GeoDataFrame, id_field: str | None = None, *, path: str | Path | None = None,
                  layer: str | None = None) -> np.ndarray:
    """The footprint ids of *gdf* as text: the column *id_field*, else ``footprint_id``, else the index.

    Raises :class:`FootprintError` naming the column when an id is missing, empty or repeated.
    """
    if id_field is not None:
        if id_field not in gdf.columns:
            raise FootprintError(f"no column {id_field!r}; columns: {[c for c in gdf.columns if c != gdf.geometry.name]}",
                                 path=path, layer=layer, hint="pass an existing id_field, or none to use the index")
        values, what = gdf[id_field], f"id_field {id_field!r}"
    elif _ID_COLUMN in gdf.columns:
        values, what = gdf[_ID_COLUMN], "footprint_id"
    else:
        values, what = gdf.index.to_series(), "the index"
    if pd.api.types.is_integer_dtype(values.dtype):  # the common case, vectorised: no empty values possible
        ids = values.astype(str).to_numpy(dtype=object)
        problem = None if len(np.unique(ids)) == len(ids) else id_problem(values)
    else:
        problem = id_problem(values)
        ids = values.map(id_text).to_numpy(dtype=object) if problem is None else None
    if problem:
        raise FootprintError(f"{what} cannot serve as footprint ids: {problem}", path=path, layer=layer,
                             hint="give unique, non-empty ids (id_field= names a column; otherwise the index is used)")
    return ids


def prepare_geometries(geoms: np.ndarray, ids: np.ndarray, *, path: str | Path | None = None,
                       layer: str | None = None) -> tuple[np.ndarray, dict[str, str], np.ndarray]:
    """Footprint geometries ready for measuring: ``(geometries, repairs, mixed)``.

    Z and M are dropped; invalid geometries are repaired with ``shapely.make_valid``
    (polygons by the ``structure`` method, so a bow-tie becomes two triangles);
    GeometryCollections keep every part, merged per dimension (``mixed`` marks
    those that mix polygons, lines and points).  *repairs*: footprint id → what
    was done.  A missing or empty geometry raises :class:`FootprintError`
    naming the footprint(s).  The CRS is not changed.
    """
    ids = np.asarray(ids, dtype=object)
    geoms = np.asarray(geoms, dtype=object)
    missing = pd.isna(geoms)
    missing[~missing] = shapely.is_empty(geoms[~missing])
    if missing.any():
        bad = ids[missing]
        raise FootprintError(
            f"{len(bad)} footprint(s) have no geometry (empty or missing): {_names(bad)}",
            path=path,
            layer=layer,
            feature=bad[0] if len(bad) == 1 else None,
            hint="draw or remove these footprints; an empty footprint cannot be screened",
        )
    repairs: dict[str, str] = {}
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
            repairs[str(fid)] = f"repaired with make_valid ({why})"
        log.warning("repaired %d invalid footprint(s) with make_valid: %s", int(invalid.sum()),
                    _names(ids[invalid]))
    geoms, mixed = _normalise_collections(geoms)
    emptied = shapely.is_empty(geoms)
    if emptied.any():
        bad = ids[emptied]
        raise FootprintError(
            f"{len(bad)} footprint(s) are empty after repair (collapsed or degenerate): {_names(bad)}",
            path=path,
            layer=layer,
            hint="redraw these footprints",
        )
    return geoms, repairs, mixed


def prepare_footprints(
    gdf: gpd.GeoDataFrame, *, path: str | Path | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Return a copy of *gdf* with footprint geometry ready for measuring (:func:`prepare_geometries`).

    *gdf* needs a unique ``footprint_id`` column.  Every repair is logged and
    listed in ``attrs["repairs"]`` (footprint_id → what was done).  The CRS is
    not changed.
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
    geoms, found, _ = prepare_geometries(np.asarray(gdf.geometry.array, dtype=object), ids, path=path,
                                         layer=layer)
    repairs: dict[str, str] = dict(gdf.attrs.get("repairs", {}))
    repairs.update(found)
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


def _read_any(path: Path, *, layer, encoding, wkt_field, lon_field, lat_field) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv_footprints(path, encoding=encoding, wkt_field=wkt_field, lon_field=lon_field,
                                   lat_field=lat_field)

    gdf = read_vector(path, layer=layer, encoding=encoding)
    if suffix in (".kml", ".kmz") and gdf.crs is None:
        gdf = gdf.set_crs(4326)  # KML is WGS84 lon/lat by definition
    return gdf


def _to_working(
    gdf: gpd.GeoDataFrame, crs: object, *, path: Path, layer: str | None, ids: np.ndarray
) -> tuple[gpd.GeoDataFrame, str]:
    """Transform to WORKING_CRS (via lon/lat, checking Shanghai's extent); return (gdf, source CRS name)."""
    given = parse_crs(crs, path=path) if crs is not None else None
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ignored = ""
    if isinstance(given, str):  # web-map coordinates, named explicitly
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise CRSError(
                f"crs={given!r} names web-map lon/lat, but the file declares the projected CRS {gdf.crs.name}",
                path=path, layer=layer, hint="drop crs= or export the web-map coordinates as lon/lat",
            )
        lonlat = to_wgs84(geoms, given)
        source_crs, source_name = pyproj.CRS.from_epsg(4326), given
    else:
        source_crs = gdf.crs
        if source_crs is None and given is None:
            raise CRSError(
                "the file has no CRS (no .prj / no CRS in the file)",
                path=path, layer=layer,
                hint="pass crs= naming it, e.g. crs='EPSG:4490', crs='EPSG:4549', or crs='gcj02' for AMap coordinates",
            )
        if source_crs is None:
            source_crs = given
        elif given is not None and not given.equals(source_crs):
            # crs= is for files that declare none (a batch may mix both)
            ignored = f"crs={given.name!r} was not used: the file declares {source_crs.name}"
            log.warning("%s: the file declares %s; crs=%s ignored (the file's own CRS wins)",
                        path, source_crs.name, given.name)
        source_name = source_crs.to_string() if source_crs.to_epsg() is None else f"EPSG:{source_crs.to_epsg()}"
        if source_crs.equals(GEOGRAPHIC_CRS) or source_crs.equals(pyproj.CRS.from_epsg(4326)):
            lonlat = geoms
        else:
            to_ll = pyproj.Transformer.from_crs(source_crs, GEOGRAPHIC_CRS, always_xy=True)
            with np.errstate(all="ignore"):
                lonlat = shapely.transform(geoms, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
    coords, index = shapely.get_coordinates(lonlat, return_index=True)
    try:
        check_in_shanghai(coords[:, 0], coords[:, 1], source_crs=None if isinstance(given, str) else source_crs,
                          path=path, layer=layer)
    except ExtentError as exc:
        lon, lat = coords[:, 0], coords[:, 1]
        west, south, east, north = SHANGHAI_BOUNDS
        m = SHANGHAI_MARGIN_DEG
        with np.errstate(invalid="ignore"):
            outside = ~((lon >= west - m) & (lon <= east + m) & (lat >= south - m) & (lat <= north + m))
        bad = np.unique(index[outside])
        hint = exc.hint
        if ignored:  # e.g. a GeoJSON (always labelled EPSG:4326 by GDAL) holding Gauss-Krüger metres
            hint = f"{hint}; {ignored} — fix the file's CRS definition (.prj, GeoJSON 'crs') or reproject it"
        raise ExtentError(f"{exc.reason}; footprints: {_names(ids[bad])}", path=path, layer=layer,
                          hint=hint) from None
    to_work = pyproj.Transformer.from_crs(GEOGRAPHIC_CRS, WORKING_CRS, always_xy=True)
    work = shapely.transform(lonlat, lambda xy: np.column_stack(to_work.transform(xy[:, 0], xy[:, 1])))
    out = gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name),
                           geometry=gpd.GeoSeries(work, index=gdf.index), crs=WORKING_CRS)
    return out, source_name


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
    GeoJSON, KML/KMZ, or CSV with a WKT column (*wkt_field*) or lon/lat
    columns (*lon_field*, *lat_field*; guessed from common names if not given).
    *crs* is used when the file has none (any EPSG pyproj knows), or names
    web-map coordinates explicitly (``"gcj02"``, ``"bd09"``).  *encoding*
    applies to DBFs without a ``.cpg`` and to CSV.

    Returns a GeoDataFrame with a unique string ``footprint_id`` (from
    *id_field*, else the 1-based row number), the source attributes, and the
    geometry prepared by :func:`prepare_footprints`.  ``attrs``: ``source``
    (path), ``source_crs``, ``layer``, ``repairs`` (footprint_id → repair
    done), ``problems`` (non-fatal remarks of the reader, e.g. garbled text).

    Raises :class:`CRSError` (no CRS), :class:`ExtentError` (outside Shanghai,
    naming the likely cause), :class:`FootprintError` (empty geometry,
    duplicate ids, unreadable CSV).
    """
    path = Path(path)
    if not path.exists():
        raise FootprintError("file not found", path=path, hint="check the path")
    gdf = _read_any(path, layer=layer, encoding=encoding, wkt_field=wkt_field, lon_field=lon_field,
                    lat_field=lat_field)
    problems = list(gdf.attrs.get("problems", []))
    gdf = gdf.reset_index(drop=True)
    if id_field is not None:
        if id_field not in gdf.columns:
            raise FootprintError(f"no field {id_field!r}; fields: {[c for c in gdf.columns if c != gdf.geometry.name]}",
                                 path=path, layer=layer, hint="pass an existing id_field")
        if gdf[id_field].isna().any():
            rows = np.flatnonzero(gdf[id_field].isna().to_numpy()) + 1
            raise FootprintError(f"id_field {id_field!r} is empty on row(s) {list(rows[:10])}", path=path,
                                 layer=layer, hint="fill the ids or use another id_field")
        ids = gdf[id_field].map(id_text).to_numpy(dtype=object)
        blank = np.flatnonzero([not str(i).strip() for i in ids]) + 1
        if len(blank):
            raise FootprintError(f"id_field {id_field!r} is empty on row(s) {list(map(int, blank[:10]))}", path=path,
                                 layer=layer, hint="fill the ids or use another id_field")
        _check_ids(ids.astype(str), path=path, layer=layer, what=f"id_field {id_field!r}")
    else:
        ids = np.array([str(k) for k in range(1, len(gdf) + 1)], dtype=object)
    if _ID_COLUMN in gdf.columns and id_field != _ID_COLUMN:
        gdf = gdf.rename(columns={_ID_COLUMN: f"{_ID_COLUMN}_source"})
    gdf.insert(0, _ID_COLUMN, ids)
    gdf = prepare_footprints(gdf, path=path, layer=layer)
    repairs = gdf.attrs.get("repairs", {})
    gdf, source_name = _to_working(gdf, crs, path=path, layer=layer, ids=ids.astype(str))
    if len(gdf) == 0:
        raise FootprintError("the file has no features", path=path, layer=layer,
                             hint="point at the file or layer that holds the footprints")
    gdf.attrs = {"source": str(path), "source_crs": source_name, "layer": layer, "repairs": repairs,
                 "problems": problems}
    return gdf
