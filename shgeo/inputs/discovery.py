"""Input discovery: expand files and folders into the footprint files to read.

Folders are searched recursively; a ``.zip`` counts only if it holds a
dataset, a ``.csv`` only if it has WKT, lon/lat or boundary-point (点号/X/Y)
columns (an attribute table beside the footprints is not a footprint file),
a ``.txt`` only if it is a 界址点坐标交换格式 file, an ``.xlsx`` only with X/Y
columns, a ``.json`` only if it is GeoJSON; a ``.dxf`` always, a ``.dwg``
only when no ``.dxf`` of the same name lies beside it (it then fails with
the hint to save it as DXF).  shgeo's own output folders (marked with
:data:`OUTPUT_MARKER`) are never read back; every other file not read is
named in a warning, with the reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from ..errors import FootprintError
from .boundary_txt import looks_like_boundary_txt
from .tables import COORDINATES, LAT_NAMES, LON_NAMES, WKT_NAMES, table_kind

__all__ = ["discover_inputs", "INPUT_SUFFIXES", "OUTPUT_MARKER"]

log = logging.getLogger(__name__)

#: File suffixes taken from input folders (``.zip`` only when it holds a dataset, ``.csv``/``.xlsx`` only with
#: coordinates, ``.txt`` only in the 界址点坐标交换格式, ``.json`` only when it is GeoJSON).
INPUT_SUFFIXES: Final = (".shp", ".zip", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".csv", ".txt", ".dxf",
                         ".dwg", ".xlsx", ".xlsm")

#: A folder holding this file is a shgeo output folder: input discovery never reads it back.
OUTPUT_MARKER: Final = ".shgeo-output"

#: CSV columns the footprint reader takes as WKT or lon/lat (its own lists, so discovery and reading agree).
_CSV_GEOMETRY_COLUMNS: Final = frozenset(n.lower() for n in (*WKT_NAMES, *LON_NAMES, *LAT_NAMES))
_ZIP_DATASETS: Final = (".shp", ".gpkg", ".geojson", ".json", ".kml")
_GEOJSON_TYPE: Final = re.compile(r'"type"\s*:\s*"(FeatureCollection|Feature|Polygon|MultiPolygon|LineString|'
                                  r'MultiLineString|Point|MultiPoint|GeometryCollection)"')
#: spreadsheets shgeo does not read: named with the hint to save them as .xlsx
_OLD_SPREADSHEETS: Final = (".xls", ".et", ".ods")
#: files that belong to a dataset read through another file (shapefile sidecars, metadata)
_SIDECARS: Final = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd", ".gpkg-wal", ".gpkg-shm")


def _csv_has_coordinates(path: Path, extra: Iterable[str] = ()) -> bool:
    """True if the CSV has a column the footprint reader takes as WKT or lon/lat (or one of *extra*), or is a
    table of boundary points (点号, X, Y …)."""
    import csv

    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as fh:
                header = next(csv.reader(fh), [])
            break
        except (UnicodeDecodeError, csv.Error):
            continue
    else:
        return False
    names = {h.strip().lower() for h in header}
    wanted = _CSV_GEOMETRY_COLUMNS | {e.strip().lower() for e in extra}
    return bool(names & wanted) or table_kind(path) == COORDINATES


def _is_geojson(path: Path) -> bool:
    """True if a .json file opens like GeoJSON: a ``"type"`` of a GeoJSON object in its first 64 KiB."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16).decode("utf-8", errors="ignore")
    except OSError:
        return False
    return bool(_GEOJSON_TYPE.search(head))


def _zip_has_dataset(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.lower().endswith(_ZIP_DATASETS) for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return True  # let the reader say what is wrong with it


def _why_not_read(path: Path, csv_fields: tuple[str, ...]) -> str | None:
    """Why a file of an input folder is not a footprint file (None: it is one)."""
    suffix = path.suffix.lower()
    if suffix == ".zip" and not _zip_has_dataset(path):
        return "no dataset inside"
    if suffix == ".csv" and not _csv_has_coordinates(path, csv_fields):
        return "CSV without WKT, lon/lat or X/Y columns"
    if suffix == ".txt" and not looks_like_boundary_txt(path):
        return "text that is not a 界址点坐标交换格式 file"
    if suffix in (".xlsx", ".xlsm") and table_kind(path) != COORDINATES:
        return "workbook without X/Y columns"
    if suffix == ".json" and not _is_geojson(path):
        return "JSON that is not GeoJSON"
    if suffix == ".dwg" and any(path.with_suffix(s).exists() for s in (".dxf", ".DXF")):
        return "DWG drawing; the DXF beside it is read"
    return None


def discover_inputs(inputs: Iterable[str | Path], *, exclude: Iterable[str | Path] = (),
                    csv_fields: Iterable[str] = ()) -> list[Path]:
    """Expand files and folders into the footprint files to read (sorted within each folder).

    Folders are searched recursively for :data:`INPUT_SUFFIXES`; hidden entries
    are skipped, and files are taken as the module docstring says (CSV
    columns: the reader's names, or *csv_fields*; an attribute table beside
    the footprints is not a footprint file).  Folders marked with :data:`OUTPUT_MARKER` (shgeo's own outputs)
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
                elif suffix in _OLD_SPREADSHEETS:
                    not_read.append(f"{rel} ({suffix} workbook: save it as .xlsx to have its coordinates read)")
                elif suffix not in INPUT_SUFFIXES:
                    if suffix == ".md" or sub.name.lower().startswith("readme"):
                        log.info("%s: documentation, not read as footprints", sub)
                    elif not sub.name.lower().endswith(_SIDECARS):
                        not_read.append(str(rel))
                else:
                    why = _why_not_read(sub, csv_fields)
                    if why:
                        not_read.append(f"{rel} ({why})")
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
