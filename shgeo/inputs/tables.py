"""Tables of footprints: CSV of WKT or lon/lat (one row, one footprint), and coordinate tables (CSV, XLSX).

**Footprint CSV** (:func:`read_csv_footprints`): a WKT column, or lon/lat
columns (points), one footprint per row.  A row whose geometry cannot be
read (an empty WKT cell, ``lon = 'abc'``) is not dropped: its geometry is
missing and ``_problem`` says why, so that only that row's project fails.

**Coordinate tables** (:func:`read_coordinate_table`, 界址点坐标表): boundary
points, one per row, with columns found by name (Chinese or English, case,
spacing and a unit in brackets such as ``X(m)`` ignored):

=============  ================================================================
role           names
=============  ================================================================
point          点号 点名 界址点号 界址点 point pt (fallback: 编号 序号 no id)
x (northing)   X X坐标 纵坐标 北坐标 northing north
y (easting)    Y Y坐标 横坐标 东坐标 easting east
ring           圈号 地块圈号 环号 ring part
parcel         地块编号 地块号 宗地号 宗地编号 宗地代码 parcel dkbh
parcel name    地块名称 地块名 宗地名称 名称 parcel_name name dkmc
=============  ================================================================

X is the northing and Y the easting (the survey convention, also for
columns named x/y); swapped columns are detected by magnitude and swapped
back with a note.  The header may sit below title rows (the first 30 rows
are searched).  Blank 地块编号 / 地块名称 / 圈号 cells (merged cells in Excel)
repeat the value above.  One polygon per 地块编号 (or one for the whole
table), rings grouped by 圈号 and nested even-odd (:mod:`.rings`).  Tables
usually list each point once, so rings are closed automatically; a repeated
first point is fine too.  XLSX is read with openpyxl (the first sheet, or
the one named); ``.xls``/``.et``/``.ods`` are refused with a hint.

:func:`table_kind` tells which of the two a file is (or neither: an
attribute table beside the footprints).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import FootprintError, InputFormatError, ShgeoError, UnsupportedFileError, option
from . import gauss_kruger as gk
from .encodings import decode_text
from .parcels import make_frame
from .rings import Ring, assemble_polygons, polygons_to_geometry
from .sources import FORMAT_CSV, FORMAT_CSV_TABLE, FORMAT_XLSX_TABLE, ReadResult, SourceMeta
from .survey_crs import apply_resolution, resolve_crs

__all__ = ["read_csv_footprints", "read_coordinate_table", "table_kind", "WKT_NAMES", "LON_NAMES", "LAT_NAMES",
           "COLUMN_ALIASES", "PROBLEM_COLUMN", "TABLE_SUFFIXES", "POINTS", "COORDINATES"]

#: Column names taken as WKT geometry (case-insensitive).
WKT_NAMES: Final = ("wkt", "geometry", "geom", "the_geom", "shape")
#: Column names taken as longitude (case-insensitive).
LON_NAMES: Final = ("lon", "lng", "longitude", "x", "经度")
#: Column names taken as latitude (case-insensitive).
LAT_NAMES: Final = ("lat", "latitude", "y", "纬度")

#: Column of a footprint CSV's frame saying why a row's geometry could not be read (``lon = 'abc' …``).
PROBLEM_COLUMN: Final = "_problem"

#: Coordinate-table roles → normalised column names (see :func:`_norm`).
COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "point": ("点号", "点名", "界址点号", "界址点", "界址点名", "point", "pt", "pointid", "pointno", "pointname"),
    "x": ("x", "x坐标", "纵坐标", "北坐标", "northing", "north"),
    "y": ("y", "y坐标", "横坐标", "东坐标", "easting", "east"),
    "ring": ("圈号", "地块圈号", "环号", "ring", "ringno", "part"),
    "parcel": ("地块编号", "地块号", "宗地号", "宗地编号", "宗地代码", "parcel", "parcelid", "parcelno", "dkbh"),
    "name": ("地块名称", "地块名", "宗地名称", "名称", "parcelname", "name", "dkmc"),
}
_POINT_FALLBACK: Final = ("编号", "序号", "no", "id")
#: CSV and spreadsheet suffixes; only .csv/.txt/.tsv and .xlsx/.xlsm are read
TABLE_SUFFIXES: Final = (".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".et", ".ods")
_CLOSE_TOL: Final = 0.001
_HEADER_SEARCH_ROWS: Final = 30
_EXTRA_COLUMNS: Final = ["parts", "holes", "points"]

#: :func:`table_kind` values
POINTS: Final = "footprints"  # a footprint per row (WKT or lon/lat)
COORDINATES: Final = "coordinates"  # boundary points (点号, X, Y …)


# --------------------------------------------------------------------------- footprint CSV


def _read_csv_frame(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    text, used = decode_text(path.read_bytes(), path=path, encoding=encoding)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                         sep="\t" if path.suffix.lower() == ".tsv" else ",")
    except pd.errors.EmptyDataError:
        raise FootprintError("the CSV is empty", path=path, hint="point at the file that holds the footprints") \
            from None
    except pd.errors.ParserError as exc:
        raise FootprintError(f"cannot parse the CSV ({str(exc).strip().splitlines()[0]})", path=path,
                             hint="check the delimiter and quoting (rows must have as many fields as the header)") \
            from None
    return df, used


def _problems_text(values: pd.Series, what: str) -> np.ndarray:
    return np.array([f"{values.name} = {v[:60]!r} {what}" for v in values], dtype=object)


def _wkt_geometries(df: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    text = df[col].astype(str).str.strip()
    problems = np.full(len(df), None, dtype=object)
    empty = (text == "").to_numpy()
    problems[empty] = f"{col} is empty"
    geoms = np.full(len(df), None, dtype=object)
    todo = ~empty
    if todo.any():
        geoms[todo] = shapely.from_wkt(text[todo].to_numpy(dtype=object), on_invalid="ignore")
        bad = todo & pd.isna(geoms)
        problems[bad] = _problems_text(text[bad], "is not WKT")
    return geoms, problems


def _number_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text.str.replace("，", "", regex=False), errors="coerce").to_numpy(dtype=float)
    problems = np.full(len(values), None, dtype=object)
    empty = (text == "").to_numpy()
    problems[empty] = f"{values.name} is empty"
    bad = ~empty & ~np.isfinite(numbers)
    problems[bad] = _problems_text(text[bad], "is not a number")
    return numbers, problems


def read_csv_footprints(path: str | Path, *, encoding: str | None = None, wkt_field: str | None = None,
                        lon_field: str | None = None, lat_field: str | None = None) -> ReadResult:
    """Read a CSV (or TSV) with a footprint per row: a WKT column, or lon/lat columns (points).

    Columns are found by *wkt_field* / *lon_field* / *lat_field*, else by the
    common names :data:`WKT_NAMES`, :data:`LON_NAMES`, :data:`LAT_NAMES`.
    The text is decoded as UTF-8 or GBK (detected), or *encoding*.  Returns
    ``(frame, meta)``: the frame has no CRS (the caller decides it); rows whose
    geometry cannot be read have none, and :data:`PROBLEM_COLUMN` says why.
    """
    path = Path(path)
    df, used = _read_csv_frame(path, encoding)
    meta = SourceMeta(path=path, format=FORMAT_CSV, encoding=used)
    lower = {c.lower().strip(): c for c in df.columns}
    if wkt_field is None and lon_field is None and lat_field is None:
        wkt_field = next((lower[n] for n in WKT_NAMES if n in lower), None)
        if wkt_field is None:
            lon_field = next((lower[n] for n in LON_NAMES if n in lower), None)
            lat_field = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if wkt_field is not None:
        if wkt_field not in df.columns:
            raise FootprintError(f"no column {wkt_field!r}; columns: {list(df.columns)}", path=path,
                                 hint=f"name the WKT column with {option('wkt_field')}")
        geoms, problems = _wkt_geometries(df, wkt_field)
        df = df.drop(columns=[wkt_field])
    elif lon_field is not None and lat_field is not None:
        for col in (lon_field, lat_field):
            if col not in df.columns:
                raise FootprintError(f"no column {col!r}; columns: {list(df.columns)}", path=path,
                                     hint=f"name the coordinate columns with {option('lon_field')} and "
                                     f"{option('lat_field')}")
        x, px = _number_column(df[lon_field])
        y, py = _number_column(df[lat_field])
        problems = np.array(["; ".join(t for t in pair if t) or None for pair in zip(px, py)], dtype=object)
        geoms = shapely.points(x, y)
        geoms[~(np.isfinite(x) & np.isfinite(y))] = None
    else:
        raise FootprintError(
            f"the CSV has neither a WKT column nor lon/lat columns (columns: {list(df.columns)})", path=path,
            hint=f"name them with {option('wkt_field')}, or {option('lon_field')} and {option('lat_field')}; a "
            "table of boundary points needs X and Y columns (点号, X, Y)")
    frame = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=None)
    if pd.notna(problems).any():
        frame[PROBLEM_COLUMN] = problems
    return ReadResult(frame, meta)


# --------------------------------------------------------------------------- coordinate tables


def _norm(text: Any) -> str:
    if text is None:
        return ""
    t = str(text).strip().lower()
    t = re.sub(r"[\(（\[【].*?[\)）\]】]", "", t)
    return re.sub(r"[\s_\-:：]", "", t)


def _map_columns(cells: list[Any], override: dict[str, str] | None) -> dict[str, int]:
    normed = [_norm(c) for c in cells]
    found: dict[str, int] = {}
    for role, name in (override or {}).items():
        if _norm(name) in normed:
            found[role] = normed.index(_norm(name))
    for role, aliases in COLUMN_ALIASES.items():
        if role in found:
            continue
        for idx, n in enumerate(normed):
            if n in aliases and idx not in found.values():
                found[role] = idx
                break
    if "point" not in found:
        for idx, n in enumerate(normed):
            if n in _POINT_FALLBACK and idx not in found.values():
                found["point"] = idx
                break
    return found


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:_HEADER_SEARCH_ROWS])
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: counts[d])


def _rows_csv(path: Path, meta: SourceMeta, encoding: str | None) -> Iterator[tuple[int, list[Any]]]:
    text, used = decode_text(path.read_bytes(), path=path, encoding=encoding)
    meta.encoding = used
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=_sniff_delimiter(text))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InputFormatError(f"cannot parse the CSV ({exc})", path=path, line=reader.line_num,
                               hint="check the quoting") from None


def _rows_xlsx(path: Path, sheet: str | None, meta: SourceMeta) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for files that are not workbooks
        raise InputFormatError(f"cannot open the workbook ({type(exc).__name__}: {exc})", path=path,
                               hint="save it again as .xlsx from Excel or WPS") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputFormatError(f"no sheet named {sheet!r}", path=path,
                                   hint=f"sheets: {', '.join(wb.sheetnames)}; name one with {option('layer')}")
        meta.header["sheet"] = ws.title
        try:
            for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
                yield idx, list(row)
        except ShgeoError:
            raise
        except Exception as exc:
            raise InputFormatError(f"cannot read the sheet {ws.title!r} ({type(exc).__name__}: {exc})", path=path,
                                   hint="save it again as .xlsx from Excel or WPS") from None
    finally:
        wb.close()


def _rows(path: Path, sheet: str | None, meta: SourceMeta, encoding: str | None) -> Iterator[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        meta.format = FORMAT_CSV_TABLE
        return _rows_csv(path, meta, encoding)
    if suffix in (".xlsx", ".xlsm"):
        meta.format = FORMAT_XLSX_TABLE
        return _rows_xlsx(path, sheet, meta)
    if suffix in (".xls", ".et", ".ods"):
        raise UnsupportedFileError(f"{suffix} workbooks are not read", path=path,
                                   hint="save the table as .xlsx or CSV")
    raise UnsupportedFileError(f"unknown table type {suffix!r}", path=path, hint="give a .csv or .xlsx file")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    t = str(value).strip().replace("，", "").replace(" ", "")
    return float(t) if t else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(rows: Iterator[tuple[int, list[Any]]], columns: dict[str, str] | None
                 ) -> tuple[int | None, dict[str, int], list[Any]]:
    for rownum, cells in rows:
        found = _map_columns(cells, columns)
        if "x" in found and "y" in found:
            return rownum, found, cells
        if rownum >= _HEADER_SEARCH_ROWS:
            break
    return None, {}, []


def _table_points(rows: Iterator[tuple[int, list[Any]]], colmap: dict[str, int], path: Path,
                  meta: SourceMeta) -> list[dict[str, Any]]:
    def cell(cells: list[Any], role: str) -> Any:
        i = colmap.get(role)
        return cells[i] if i is not None and i < len(cells) else None

    points: list[dict[str, Any]] = []
    last: dict[str, Any] = {"parcel": "", "name": "", "ring": 1}
    filled = set()
    for rownum, cells in rows:
        if all(_text(c) == "" for c in cells):
            continue
        xv, yv = cell(cells, "x"), cell(cells, "y")
        parcel = _text(cell(cells, "parcel"))
        where = {"path": path, "line": rownum, "feature": parcel or last["parcel"] or None, "feature_kind": "parcel"}
        try:
            x, y = _number(xv), _number(yv)
        except ValueError:
            raise InputFormatError(f"X = {_text(xv)!r}, Y = {_text(yv)!r}: not numbers", **where) from None
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            raise InputFormatError("the row has no X or no Y", hint="fill in the coordinate or delete the row",
                                   **where)
        name = _text(cell(cells, "name"))
        ring_text = _text(cell(cells, "ring"))
        if "parcel" in colmap and not parcel:
            parcel = last["parcel"]
            filled.add("地块编号")
        if "name" in colmap and not name and parcel == last["parcel"] and last["name"]:
            name = last["name"]
            filled.add("地块名称")
        if ring_text:
            try:
                ring = int(float(ring_text))
            except ValueError:
                raise InputFormatError(f"圈号 = {ring_text!r} is not a whole number", **where) from None
        else:
            ring = last["ring"] if parcel == last["parcel"] else 1
            if "ring" in colmap:
                filled.add("圈号")
        last.update(parcel=parcel, name=name, ring=ring)
        points.append({"row": rownum, "point": _text(cell(cells, "point")), "x": x, "y": y, "ring": ring,
                       "parcel": parcel, "name": name})
    if filled:
        meta.note(f"blank {', '.join(sorted(filled))} cells repeat the value above")
    return points


def read_coordinate_table(path: str | Path, *, crs: object = None, sheet: str | None = None,
                          columns: dict[str, str] | None = None, close_rings: bool = True,
                          encoding: str | None = None) -> ReadResult:
    """Read a CSV/XLSX coordinate table into polygons (metres, the table's CRS), one per 地块编号.

    *columns* maps roles (``point``, ``x``, ``y``, ``ring``, ``parcel``,
    ``name``) to header texts when the names are not recognised.  *crs* is
    needed unless the eastings carry a zone prefix (then CGCS2000 of that
    zone is assumed, with a note).  Lines in the result and in errors are CSV
    lines or Excel row numbers.
    """
    path = Path(path)
    meta = SourceMeta(path=path, format=FORMAT_CSV_TABLE)
    rows = _rows(path, sheet, meta, encoding)
    header_row, colmap, cells = _find_header(rows, columns)
    if header_row is None:
        raise InputFormatError(
            f"no header row with X and Y columns in the first {_HEADER_SEARCH_ROWS} rows", path=path,
            hint="name the columns 点号, X, Y (圈号, 地块编号 optional)")
    meta.header["columns"] = ", ".join(f"{role}={_text(cells[i])}"
                                       for role, i in sorted(colmap.items(), key=lambda kv: kv[1]))
    points = _table_points(rows, colmap, path, meta)
    if not points:
        raise InputFormatError("the table has no coordinate rows", path=path, line=header_row)
    rownums = [p["row"] for p in points]
    swapped = gk.classify_axes([p["x"] for p in points], [p["y"] for p in points], lines=rownums, path=path)
    meta.axes_swapped = swapped
    if swapped:
        meta.note("the X column holds the eastings and Y the northings; swapped back")
    for p in points:
        p["e"], p["n"] = (p["x"], p["y"]) if swapped else (p["y"], p["x"])
    apply_resolution(meta, resolve_crs([p["e"] for p in points], user_crs=crs, path=path, lines=rownums))
    parcels: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        parcels.setdefault(p["parcel"], []).append(p)
    records = [_parcel_record(key, pts, path, close_rings, meta) for key, pts in parcels.items()]
    return ReadResult(make_frame(records, meta.crs, _EXTRA_COLUMNS), meta)


def _parcel_record(key: str, pts: list[dict[str, Any]], path: Path, close_rings: bool,
                   meta: SourceMeta) -> dict[str, Any]:
    label = key or None
    groups: list[list[dict[str, Any]]] = []
    seen: set[int] = set()
    for p in pts:
        if groups and groups[-1][0]["ring"] == p["ring"]:
            groups[-1].append(p)
            continue
        if p["ring"] in seen:
            raise InputFormatError(f"圈号 {p['ring']} resumes after another ring started", path=path,
                                   line=p["row"], feature=label, feature_kind="parcel",
                                   hint="list each ring's points together")
        seen.add(p["ring"])
        groups.append([p])
    rings = []
    for g in groups:
        arr = np.array([(p["e"], p["n"]) for p in g], dtype=float)
        ring_label = f"圈号 {g[0]['ring']}"
        where = {"path": path, "feature": label, "feature_kind": "parcel"}
        if len(arr) >= 2 and float(np.hypot(*(arr[-1] - arr[0]))) <= _CLOSE_TOL:
            arr[-1] = arr[0]
        elif close_rings:
            arr = np.vstack([arr, arr[:1]])
            meta.note("rings that do not repeat their first point were closed automatically")
        else:
            raise InputFormatError(f"{ring_label} is not closed", line=g[-1]["row"],
                                   hint="repeat the first point at the end of the ring", **where)
        distinct = len({tuple(q) for q in arr[:-1].round(4).tolist()})
        if distinct < 3:
            raise InputFormatError(f"{ring_label} has {distinct} distinct points; a ring needs at least 3",
                                   line=g[0]["row"], **where)
        rings.append(Ring(arr, ring_label, g[0]["row"], g[0]["ring"]))
    notes: list[str] = []
    polys = assemble_polygons(rings, path=path, feature=label, notes=notes)
    for n in notes:
        meta.note(f"parcel {label!r}: {n}")
    geometry = polygons_to_geometry([p for p, _ in polys], path=path, feature=label, line=pts[0]["row"])
    names = [p["name"] for p in pts if p["name"]]
    return {
        "parcel_id": key or None,
        "parcel_name": names[0] if names else None,
        "declared_area_ha": math.nan,
        "kind": "polygon",
        "first_line": pts[0]["row"],
        "last_line": pts[-1]["row"],
        "parts": len(polys),
        "holes": sum(len(m) - 1 for _, m in polys),
        "points": len(pts),
        "geometry": geometry,
    }


# --------------------------------------------------------------------------- which kind of table


_UNAMBIGUOUS_LON: Final = frozenset(n for n in LON_NAMES if n != "x")
_UNAMBIGUOUS_LAT: Final = frozenset(n for n in LAT_NAMES if n != "y")


def table_kind(path: str | Path, *, wkt_field: str | None = None, lon_field: str | None = None,
               lat_field: str | None = None, encoding: str | None = None) -> str | None:
    """:data:`POINTS` (a footprint per row), :data:`COORDINATES` (boundary points), or None (neither).

    A CSV with a WKT or lon/lat column (or the columns named by the field
    options) is read as footprints; one with 点号/圈号/地块编号 or surveyors'
    X/Y columns (X坐标, 北坐标 …), or with x/y columns holding metres rather
    than degrees, is a coordinate table.  An XLSX is a coordinate table when
    it has X and Y columns.  Files that cannot be read as text say None.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        meta = SourceMeta(path=path, format=FORMAT_XLSX_TABLE)
        try:
            header_row, _, _ = _find_header(_rows_xlsx(path, None, meta), None)
        except ShgeoError:
            return None
        return COORDINATES if header_row is not None else None
    try:
        text, _ = decode_text(path.read_bytes(), path=path, encoding=encoding)
    except (ShgeoError, OSError):
        return None
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        return None
    delimiter = "\t" if suffix == ".tsv" else ","
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=delimiter), [])]
    names = {h.lower() for h in header}
    named = {f for f in (wkt_field, lon_field, lat_field) if f}
    if named and named <= set(header):
        return POINTS
    if names & set(WKT_NAMES) or (names & _UNAMBIGUOUS_LON and names & _UNAMBIGUOUS_LAT):
        return POINTS
    try:
        rows = ((i, r) for i, r in enumerate(csv.reader(lines, delimiter=_sniff_delimiter(text)), start=1))
        header_row, colmap, cells = _find_header(rows, None)
        if header_row is None:
            return POINTS if names & {"x"} and names & {"y"} else None
        survey_names = {_norm(cells[colmap["x"]]), _norm(cells[colmap["y"]])} - {"x", "y"}
        point_named = "point" in colmap and _norm(cells[colmap["point"]]) in COLUMN_ALIASES["point"]
        if survey_names or point_named or {"ring", "parcel"} & set(colmap):
            return COORDINATES
        first = next(rows, None)  # x/y only: metres make a coordinate table, degrees lon/lat points
        values = [abs(float(first[1][colmap[k]])) for k in ("x", "y")] if first else []
    except (csv.Error, ValueError, IndexError, TypeError):
        values = []
    return COORDINATES if values and max(values) > 1000 else POINTS
