"""Coordinate reference systems: the metric working CRS and Shanghai's extent.

Working CRS
-----------
All areas (m²) and lengths (m) are computed in one CRS for the whole city:
a Lambert azimuthal equal-area projection on the CGCS2000 datum centred on
Shanghai (31.2°N, 121.5°E).  Why this one:

* it is **equal-area**, so areas match the geodesic area to ~1e-9;
* its linear scale error grows with the square of the distance from the
  centre (about r²/(8R²)); over Shanghai's land and sea area (within ~150 km
  of the centre) lengths stay within 0.0004 % of geodesic lengths, well
  inside the 0.01 % tolerance;
* a Gauss-Krüger zone is conformal, not equal-area: its area error is
  ≈ (x/R)² at x km from the central meridian.  The CGCS2000 3° zones with
  central meridians 120°E and 123°E put parts of Shanghai 80–200 km from the
  meridian: measured 0.016 %–0.11 % area error (e.g. 0.11 % at 佘山岛 in the
  120°E zone), outside the tolerance.

``tests/test_crs.py`` checks both claims against ``pyproj.Geod``.

Input CRS policy
----------------
Any CRS pyproj knows is accepted when the file declares it or the user names
it.  GCJ-02 / BD-09 web-map coordinates have no EPSG code; they are accepted
only when named explicitly (``"gcj02"``, ``"bd09"``) and are converted to
WGS84 by :mod:`shgeo.inputs.chinacoords`.  A CRS is never guessed from coordinate
ranges; coordinates that land outside Shanghai after transformation raise
:class:`~shgeo.errors.ExtentError` naming the likely cause.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Final

import numpy as np
import pyproj
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import LambertAzimuthalEqualAreaConversion

from .errors import CRSError, ExtentError

__all__ = [
    "WORKING_CRS",
    "GEOGRAPHIC_CRS",
    "WEB_MAP_CRS",
    "SHANGHAI_BOUNDS",
    "SHANGHAI_MARGIN_DEG",
    "parse_crs",
    "check_in_shanghai",
    "transformer",
]

log = logging.getLogger(__name__)

CENTRE_LAT: Final = 31.2
CENTRE_LON: Final = 121.5

#: CGCS2000 geographic (EPSG:4490) — the datum of the working CRS.
GEOGRAPHIC_CRS: Final = pyproj.CRS.from_epsg(4490)

#: The metric working CRS (Lambert azimuthal equal-area on CGCS2000, centred on Shanghai).
WORKING_CRS: Final = ProjectedCRS(
    name="CGCS2000 / Shanghai LAEA (shgeo working CRS)",
    conversion=LambertAzimuthalEqualAreaConversion(
        latitude_natural_origin=CENTRE_LAT, longitude_natural_origin=CENTRE_LON
    ),
    geodetic_crs=GEOGRAPHIC_CRS,
)

#: Names accepted for web-map coordinates that have no EPSG code.
WEB_MAP_CRS: Final = ("gcj02", "bd09")

#: Shanghai's land and sea area in lon/lat degrees (west, south, east, north).
#: Land spans about 120.85–122.0°E, 30.67–31.88°N; the sea area and the
#: outer islands (佘山岛 at 122.24°E) reach further east.
SHANGHAI_BOUNDS: Final = (120.85, 30.60, 122.95, 31.90)

#: Margin added around :data:`SHANGHAI_BOUNDS` before a coordinate is refused (degrees).
SHANGHAI_MARGIN_DEG: Final = 0.25


def parse_crs(value: object, *, path: str | Path | None = None) -> pyproj.CRS | str:
    """Return a :class:`pyproj.CRS` for *value*, or ``"gcj02"`` / ``"bd09"``.

    *value* may be an EPSG integer, ``"EPSG:4490"``, a WKT or PROJ string, a
    :class:`pyproj.CRS`, or one of the web-map names.  Anything else raises
    :class:`CRSError` listing the accepted forms.
    """
    if isinstance(value, pyproj.CRS):
        return value
    if isinstance(value, str) and value.strip().lower().replace("-", "") in WEB_MAP_CRS:
        return value.strip().lower().replace("-", "")
    try:
        return pyproj.CRS.from_user_input(value)
    except (pyproj.exceptions.CRSError, TypeError) as exc:
        raise CRSError(
            f"unknown CRS {value!r} ({exc})",
            path=path,
            hint="give an EPSG code (4326, 4490, 4513–4554 …), a WKT/PROJ string, "
            "or 'gcj02' / 'bd09' for web-map coordinates",
        ) from None


_LOCAL = threading.local()


def transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    """A transformer from *src* to *dst* (x = easting/longitude first), made once per thread and CRS pair.

    Making one costs milliseconds (a PROJ database search), a transform of a few
    points microseconds; and pyproj transformers are not thread-safe, so each
    thread keeps its own.
    """
    cache = getattr(_LOCAL, "transformers", None)
    if cache is None:
        cache = _LOCAL.transformers = {}
    key = (src.to_wkt(), dst.to_wkt())
    t = cache.get(key)
    if t is None:
        t = cache[key] = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return t


def _likely_cause(lon: np.ndarray, lat: np.ndarray, crs: pyproj.CRS | None) -> str:
    """Name the most likely reason coordinates fell outside Shanghai."""
    finite = np.isfinite(lon) & np.isfinite(lat)
    if not finite.any():  # nothing transformable: metres taken for degrees (latitudes beyond ±90°)
        return "projected coordinates (metres) were read as degrees: declare the file's projected CRS"
    west, south, east, north = SHANGHAI_BOUNDS
    m = SHANGHAI_MARGIN_DEG
    in_swapped = (west - m <= np.nanmedian(lat) <= east + m) and (south - m <= np.nanmedian(lon) <= north + m)
    if in_swapped:
        return "latitude and longitude look swapped (axis order): swap the columns or declare the axis order"
    if not np.isfinite(lon).all() or np.nanmax(np.abs(lat)) > 90 or np.nanmax(np.abs(lon)) > 180:
        return "projected coordinates (metres) were read as degrees: declare the file's projected CRS"
    if crs is not None and crs.is_projected:
        name = crs.name
        if "Gauss-Kruger" in name or "GK" in name or "3-degree" in name:
            return (
                f"the file's coordinates do not fit {name}: probably the wrong Gauss-Krüger zone "
                "(Shanghai is in 3° zones 40/41, CM 120°E/123°E, EPSG:4528/4529 with zone "
                "prefix or 4549/4550 without)"
            )
        return f"the coordinates do not fit {name}: check the declared CRS"
    if abs(np.nanmedian(lon) - 121.5) < 2 and abs(np.nanmedian(lat) - 31.2) < 2:
        return "the footprint is near Shanghai but outside its extent"
    return "the coordinates are elsewhere on Earth: check the declared CRS"


def check_in_shanghai(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    source_crs: pyproj.CRS | None = None,
    path: str | Path | None = None,
    layer: str | None = None,
    feature: object = None,
    margin_deg: float = SHANGHAI_MARGIN_DEG,
) -> None:
    """Raise :class:`ExtentError` unless every lon/lat (degrees) lies within Shanghai.

    The test is against :data:`SHANGHAI_BOUNDS` widened by *margin_deg*.
    The message names the likely cause (swapped axes, wrong zone, metres as degrees).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size == 0:
        return
    west, south, east, north = SHANGHAI_BOUNDS
    ok = (
        np.isfinite(lon)
        & np.isfinite(lat)
        & (lon >= west - margin_deg)
        & (lon <= east + margin_deg)
        & (lat >= south - margin_deg)
        & (lat <= north + margin_deg)
    )
    if ok.all():
        return
    bad = ~ok
    cause = _likely_cause(lon[bad], lat[bad], source_crs)
    raise ExtentError(
        f"{int(bad.sum())} coordinate(s) outside Shanghai after transformation "
        f"(e.g. lon={lon[bad][0]:.6g}, lat={lat[bad][0]:.6g}; expected lon "
        f"{west}–{east}, lat {south}–{north})",
        path=path,
        layer=layer,
        feature=feature,
        hint=cause,
    )
