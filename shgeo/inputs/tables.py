"""Tables of footprints: CSV with a WKT column or lon/lat columns."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import FootprintError

__all__ = ["read_csv_footprints", "WKT_NAMES", "LON_NAMES", "LAT_NAMES"]

#: Column names taken as WKT geometry (case-insensitive).
WKT_NAMES: Final = ("wkt", "geometry", "geom", "the_geom", "shape")
#: Column names taken as longitude (case-insensitive).
LON_NAMES: Final = ("lon", "lng", "longitude", "x", "经度")
#: Column names taken as latitude (case-insensitive).
LAT_NAMES: Final = ("lat", "latitude", "y", "纬度")


def read_csv_footprints(path: Path, *, encoding: str | None = None, wkt_field: str | None = None,
                        lon_field: str | None = None, lat_field: str | None = None) -> gpd.GeoDataFrame:
    """Read a CSV (or TSV) of footprints: a WKT column, or lon/lat columns (points).

    Columns are found by *wkt_field* / *lon_field* / *lat_field*, else by the
    common names :data:`WKT_NAMES`, :data:`LON_NAMES`, :data:`LAT_NAMES`.
    Returns a GeoDataFrame with no CRS (the caller decides it).
    """
    try:
        df = pd.read_csv(path, encoding=encoding or "utf-8-sig", dtype=str, keep_default_na=False,
                         sep="\t" if path.suffix.lower() == ".tsv" else ",")
    except UnicodeDecodeError:
        raise FootprintError(
            f"cannot decode the CSV as {encoding or 'UTF-8'}", path=path,
            hint="pass encoding='GBK' (or the file's encoding)",
        ) from None
    except LookupError:
        raise FootprintError(f"unknown text encoding {encoding!r}", path=path,
                             hint="use a codec name such as 'GBK', 'GB18030', 'UTF-8'") from None
    except pd.errors.ParserError as exc:
        raise FootprintError(f"cannot parse the CSV ({exc})", path=path,
                             hint="check the delimiter and quoting (rows must have as many fields as the header)") from None
    lower = {c.lower().strip(): c for c in df.columns}
    if wkt_field is None and lon_field is None and lat_field is None:
        wkt_field = next((lower[n] for n in WKT_NAMES if n in lower), None)
        if wkt_field is None:
            lon_field = next((lower[n] for n in LON_NAMES if n in lower), None)
            lat_field = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if wkt_field is not None:
        if wkt_field not in df.columns:
            raise FootprintError(f"no column {wkt_field!r}; columns: {list(df.columns)}", path=path,
                                 hint="name the WKT column with wkt_field=")
        text = df[wkt_field].replace("", None).to_numpy()
        geoms = shapely.from_wkt(text, on_invalid="ignore")
        bad = np.flatnonzero(pd.notna(text) & pd.isna(geoms))
        if len(bad):
            rows = [int(r) + 2 for r in bad[:10]]  # file line numbers (header is line 1)
            raise FootprintError(f"bad WKT in column {wkt_field!r} on line(s) {rows}: {str(text[bad[0]])[:60]!r}",
                                 path=path, hint="fix the WKT text")
        df = df.drop(columns=[wkt_field])
    elif lon_field is not None and lat_field is not None:
        for col in (lon_field, lat_field):
            if col not in df.columns:
                raise FootprintError(f"no column {col!r}; columns: {list(df.columns)}", path=path,
                                     hint="name the coordinate columns with lon_field= and lat_field=")
        x = pd.to_numeric(df[lon_field].replace("", None), errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(df[lat_field].replace("", None), errors="coerce").to_numpy(dtype=float)
        geoms = shapely.points(x, y)
        geoms[~(np.isfinite(x) & np.isfinite(y))] = None
    else:
        raise FootprintError(
            f"CSV has neither a WKT column nor lon/lat columns (columns: {list(df.columns)})",
            path=path,
            hint="name them with wkt_field= or lon_field= and lat_field=",
        )
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=None)
