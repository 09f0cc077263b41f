"""Input formats: which reader reads a footprint file, and the CRS of what it read.

:func:`read_source` reads any footprint file into its own CRS and says what
it learned (:class:`~shgeo.inputs.sources.SourceMeta`):

* ``.txt`` holding a ``[地块坐标]`` section — the 界址点坐标交换格式
  (:mod:`.boundary_txt`); other ``.txt``/``.csv``/``.tsv`` are tables;
* ``.dxf`` — CAD drawings (:mod:`.dxf`); ``.dwg`` is refused ("save it as DXF");
* ``.xlsx`` and CSV of boundary points — coordinate tables (:mod:`.tables`);
* CSV of WKT or lon/lat (:mod:`.tables`);
* everything else through GDAL (:mod:`.vector`): Shapefile (also zipped),
  GeoPackage, GeoJSON, KML/KMZ, FileGDB …

The CRS of GIS files: the one the file declares (checked against the zone
prefix of its eastings for Gauss-Krüger CRSs: EPSG:4549 declared for
prefixed eastings is an error naming EPSG:4528), else the one the user
gives (checked the same way), else — for zone-prefixed Gauss-Krüger
eastings — the CGCS2000 CRS of that zone, with a note.  Otherwise the file
is refused.  The survey formats resolve their own (:mod:`.survey_crs`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import shapely

from ..crs import parse_crs
from ..errors import CRSError, FootprintError, LayerError, UnsupportedFileError, option
from . import gauss_kruger as gk
from .boundary_txt import looks_like_boundary_txt, read_boundary_txt
from .dxf import is_dwg, read_dxf
from .sources import CRS_DECLARED, CRS_FROM_PREFIX, CRS_GIVEN, ReadResult, SourceMeta
from .tables import COORDINATES, read_coordinate_table, read_csv_footprints, table_kind
from .vector import read_vector

__all__ = ["read_source", "is_survey_file", "prefixed_gk_zone", "SPREADSHEET_SUFFIXES", "TEXT_TABLE_SUFFIXES"]

log = logging.getLogger(__name__)

#: Spreadsheets: read as coordinate tables (.xlsx/.xlsm) or refused with a hint (.xls/.et/.ods).
SPREADSHEET_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
#: Text tables: CSV of WKT or lon/lat, or coordinate tables (a .txt may also be the exchange format).
TEXT_TABLE_SUFFIXES: Final = (".csv", ".tsv", ".txt")

_GEOJSON_TYPES: Final = frozenset({"FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
                                   "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"})


def _survey_crs(crs: object, path: Path) -> object:
    """The user's CRS as the survey readers take it: ``None`` for lon/lat (it cannot describe metres)."""
    if crs is None:
        return None
    given = parse_crs(crs, path=path)
    if isinstance(given, str) or given.is_geographic:
        log.info("%s: the CRS given (%s) is lon/lat and cannot describe survey metres; not used", path,
                 given if isinstance(given, str) else given.name)
        return None
    return given


def _survey(reader: Callable[..., ReadResult], path: Path, crs: object, **options: object) -> ReadResult:
    """Run a survey-format reader with the user's CRS when it can describe metres."""
    usable = _survey_crs(crs, path)
    try:
        return reader(path, crs=usable, **options)
    except CRSError as exc:
        if crs is None or usable is not None or "give" not in (exc.hint or ""):
            raise
        raise type(exc)(exc.reason, path=exc.path, line=exc.line, layer=exc.layer, feature=exc.feature,
                        feature_kind=exc.feature_kind,
                        hint=f"{exc.hint} (the CRS given, {crs}, is lon/lat: it cannot describe these metres)") \
            from None


def _not_geojson(path: Path) -> FootprintError | None:
    """Why a .json/.geojson that GDAL could not open is not GeoJSON (None if it looks like GeoJSON)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return FootprintError("the file is not GeoJSON: it is not UTF-8 JSON text", path=path,
                              hint="export the footprints as GeoJSON (RFC 7946), or give the file its real suffix")
    try:
        doc = json.loads(text)
    except RecursionError:
        return FootprintError("the file is not GeoJSON: its JSON is nested too deeply to read", path=path,
                              hint="export the footprints as GeoJSON (RFC 7946)")
    except json.JSONDecodeError as exc:
        return FootprintError(f"the file is not GeoJSON: it is not valid JSON ({exc.msg}, line {exc.lineno})",
                              path=path, line=exc.lineno, hint="fix the JSON or export the footprints again")
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind not in _GEOJSON_TYPES:
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        return FootprintError(
            f"the file is JSON but not GeoJSON: its top level has no \"type\": \"FeatureCollection\" "
            f"(found: {keys})", path=path,
            hint="give a GeoJSON FeatureCollection (RFC 7946); a shgeo query for `shgeo route` is not a footprint")
    return None


def _read_gis(path: Path, *, layer: str | None, crs: object, encoding: str | None) -> tuple[ReadResult, bool]:
    """Read a file through GDAL: ``((frame, meta), is_gis)``; a drawing GDAL recognises goes to :func:`read_dxf`."""
    try:
        gdf = read_vector(path, layer=layer, encoding=encoding)
    except LayerError as exc:
        if path.suffix.lower() in (".json", ".geojson") and path.is_file():
            better = _not_geojson(path)
            if better is not None:
                raise better from None
        raise FootprintError(exc.reason, path=exc.path, layer=exc.layer, hint=exc.hint) from None
    driver = gdf.attrs.get("driver") or "GDAL"
    if driver == "DXF":  # a drawing whatever its suffix: read as one (GDAL's reader knows no holes, bulges …)
        return _survey(read_dxf, path, crs, layers=_dxf_layers(layer), encoding=encoding), False
    meta = SourceMeta(path=path, format=driver, encoding=gdf.attrs.get("encoding"))
    meta.notes.extend(gdf.attrs.get("problems", []))
    meta.unread_fields.extend(gdf.attrs.get("unread_fields", []))
    meta.header["layer"] = gdf.attrs.get("layer") or ""
    if path.suffix.lower() in (".kml", ".kmz") and gdf.active_geometry_name is not None and gdf.crs is None:
        gdf = gdf.set_crs(4326)  # KML is WGS84 lon/lat by definition
    if gdf.active_geometry_name is None:
        raise FootprintError("the file has no geometry column", path=path, layer=gdf.attrs.get("layer"),
                             hint="point at a layer with geometries")
    return ReadResult(gdf, meta), True


def _first_coordinates(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = geoms[~shapely.is_missing(geoms)]
    return shapely.get_coordinates(present) if len(present) else np.empty((0, 2))


def prefixed_gk_zone(gdf: gpd.GeoDataFrame) -> gk.Zone | None:
    """The zone when every x/y of *gdf* is a zone-prefixed Gauss-Krüger easting/northing pair, else None."""
    return _prefixed_gk(_first_coordinates(gdf))


def _prefixed_gk(xy: np.ndarray) -> gk.Zone | None:
    if len(xy) == 0 or not np.isfinite(xy).all():
        return None
    x, y = xy[:, 0], xy[:, 1]
    if not ((x >= 13e6) & (x < 46e6)).all() or not ((y >= 1e6) & (y < 1e7)).all():
        return None
    try:
        return gk.detect_zone_prefix(x)
    except CRSError:
        return None


def _gis_crs(gdf: gpd.GeoDataFrame, meta: SourceMeta, crs: object, layer: str | None) -> gpd.GeoDataFrame:
    """Decide the CRS of a GIS file's features (see the module docstring); set it on the frame and in *meta*."""
    path = meta.path
    given = parse_crs(crs, path=path) if crs is not None else None
    xy = _first_coordinates(gdf)
    if gdf.crs is not None:
        meta.crs_basis = CRS_DECLARED
        if isinstance(given, str) and not gdf.crs.is_geographic:
            raise CRSError(f"crs={given!r} names web-map lon/lat, but the file declares the projected CRS "
                           f"{gdf.crs.name}", path=path, layer=layer,
                           hint=f"drop {option('crs')}, or export the web-map coordinates as lon/lat")
        if isinstance(given, str):
            meta.web_map, meta.crs_basis = given, CRS_GIVEN  # lon/lat declared, web-map named: gcj02 is lon/lat
        elif given is not None and not given.equals(gdf.crs):
            # crs= is for files that declare none (a batch may mix both)
            meta.unused_crs = f"crs={given.name!r} was not used: the file declares {gdf.crs.name}"
            log.warning("%s: the file declares %s; crs=%s not used (the file's own CRS wins)", path, gdf.crs.name,
                        given.name)
        gk.check_crs_fits_eastings(gdf.crs, xy[:, 0], path=path, layer=layer, declared_by="the file's CRS")
    elif isinstance(given, str):
        meta.web_map, meta.crs_basis = given, CRS_GIVEN
    elif given is not None:
        gk.check_crs_fits_eastings(given, xy[:, 0], path=path, layer=layer, declared_by="the CRS given")
        gdf = gdf.set_crs(given)
        meta.crs_basis = CRS_GIVEN
    else:
        zone = _prefixed_gk(xy)
        if zone is None:
            raise CRSError(
                "the file has no CRS (no .prj / no CRS in the file)", path=path, layer=layer,
                hint=f"give it with {option('crs')}, e.g. EPSG:4490 (CGCS2000 lon/lat), EPSG:4549 (3° zone 40 "
                "without the zone prefix), or gcj02 for AMap coordinates")
        epsg = zone.epsg(prefixed=True)
        gdf = gdf.set_crs(epsg)
        meta.crs_basis = CRS_FROM_PREFIX
        meta.zone, meta.zone_prefixed = zone, True
        meta.note(f"the file has no CRS; its eastings carry the zone prefix {zone.number} ({zone.describe()}), so "
                  f"EPSG:{epsg} was used with CGCS2000 assumed — the datum cannot be told from the coordinates")
    meta.crs = gdf.crs
    meta.epsg = gdf.crs.to_epsg() if gdf.crs is not None else None
    return gdf


def _dxf_layers(layer: str | None) -> list[str] | None:
    if layer is None:
        return None
    return [name.strip() for name in layer.split(",") if name.strip()]


def is_survey_file(path: str | Path, *, wkt_field: str | None = None, lon_field: str | None = None,
                   lat_field: str | None = None) -> bool:
    """True for the survey formats (exchange txt, DXF/DWG, coordinate tables): one project per file by default."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".dxf", ".dwg") or suffix in SPREADSHEET_SUFFIXES:
        return True
    if suffix == ".txt" and looks_like_boundary_txt(path):
        return True
    if suffix in TEXT_TABLE_SUFFIXES and path.is_file():
        return table_kind(path, wkt_field=wkt_field, lon_field=lon_field, lat_field=lat_field) == COORDINATES
    return False


def read_source(path: str | Path, *, layer: str | None = None, crs: object = None, encoding: str | None = None,
                wkt_field: str | None = None, lon_field: str | None = None,
                lat_field: str | None = None) -> ReadResult:
    """Read a footprint file in its own CRS: ``(frame, meta)``, the frame's CRS set (or ``meta.web_map``).

    *layer*: the layer of a GeoPackage/FileGDB/KML, the sheet of an XLSX, the
    CAD layer(s) of a DXF (several separated by commas).  *crs*: the CRS of
    files that declare none (see the module docstring).  *encoding*: of DBFs,
    CSV and txt (detected when not given).  Survey frames have the columns of
    :data:`shgeo.inputs.parcels.STANDARD_COLUMNS`; footprint CSV rows whose
    geometry could not be read carry ``_problem``.
    """
    path = Path(path)
    if not path.exists():
        raise FootprintError("file not found", path=path, hint="check the path")
    suffix = path.suffix.lower()
    if is_dwg(path):
        raise UnsupportedFileError("this is a DWG drawing, which shgeo cannot read", path=path,
                                   hint="open it in CAD and save it as DXF (另存为 DXF, R2000 or newer)")
    if suffix == ".dxf":
        return _survey(read_dxf, path, crs, layers=_dxf_layers(layer), encoding=encoding)
    if suffix == ".txt" and looks_like_boundary_txt(path):
        return _survey(read_boundary_txt, path, crs, encoding=encoding)
    if suffix in SPREADSHEET_SUFFIXES:
        return _survey(read_coordinate_table, path, crs, sheet=layer, encoding=encoding)
    if suffix in TEXT_TABLE_SUFFIXES:
        kind = table_kind(path, wkt_field=wkt_field, lon_field=lon_field, lat_field=lat_field, encoding=encoding)
        if kind == COORDINATES:
            return _survey(read_coordinate_table, path, crs, encoding=encoding)
        frame, meta = read_csv_footprints(path, encoding=encoding, wkt_field=wkt_field, lon_field=lon_field,
                                          lat_field=lat_field)
    else:
        read, gis = _read_gis(path, layer=layer, crs=crs, encoding=encoding)
        if not gis:
            return read
        frame, meta = read
    return ReadResult(_gis_crs(frame, meta, crs, layer), meta)
