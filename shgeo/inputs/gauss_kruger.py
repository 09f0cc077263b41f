"""Gauss-Krüger zones, zone-prefixed eastings and axis order of Chinese survey coordinates.

Chinese survey coordinates are Gauss-Krüger (transverse Mercator, scale 1)
in 3° or 6° zones.  Surveyors write *X* for the northing and *Y* for the
easting, and often put the zone number in front of the easting (带号
prefix): ``40633432.299`` is easting 633 432.299 m in 3° zone 40 (central
meridian 120°E).

EPSG has one CGCS2000 CRS per zone for each convention:

=====================  ===========================  =========================
zone                   prefixed eastings            no prefix
=====================  ===========================  =========================
3° zone 40 (CM 120°E)  EPSG:4528 (FE 40 500 000)    EPSG:4549 (FE 500 000)
3° zone 41 (CM 123°E)  EPSG:4529 (FE 41 500 000)    EPSG:4550 (FE 500 000)
6° zone 21 (CM 123°E)  EPSG:4499 (FE 21 500 000)    EPSG:4510 (FE 500 000)
=====================  ===========================  =========================

(``tests/inputs/test_gauss_kruger.py`` checks every code against the EPSG
database shipped with pyproj.)  3° zones in China are numbered 25–45 and 6°
zones 13–23, so a prefix tells both the zone width and the zone.  Shanghai
(≈120.85–122.2°E) lies in 3° zones 40/41 and 6° zone 21.

The value bands that tell a northing from an easting do not overlap in
China: northings are 1e6–1e7 m (≈3.4e6 m in Shanghai), eastings without the
prefix are below 1e6 m and prefixed ones 13e6–46e6 m.  They decide only the
axis order and the zone prefix of survey coordinates — never a datum, which
the coordinates cannot tell.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
from pyproj import CRS

from ..errors import CRSError, LocalGridError

__all__ = [
    "Zone",
    "THREE_DEGREE_ZONES",
    "SIX_DEGREE_ZONES",
    "cgcs2000_epsg",
    "zone_from_prefix",
    "zone_for_longitude",
    "zone_from_cgcs2000_epsg",
    "detect_zone_prefix",
    "prefixed_epsg",
    "classify_axes",
    "check_declared_crs",
    "check_crs_fits_eastings",
    "equivalent_gk_epsg",
    "tm_parameters",
]

#: 3° zones of China: CM 75°E … 135°E.
THREE_DEGREE_ZONES: Final = range(25, 46)
#: 6° zones of China: CM 75°E … 135°E.
SIX_DEGREE_ZONES: Final = range(13, 24)

# Value bands (metres) that tell northings from eastings in China.
_NORTHING_MIN, _NORTHING_MAX = 1.0e6, 1.0e7  # ~1.7e6 (15°N) … ~6.0e6 (54°N)
_EASTING_MAX = 1.0e6  # an easting without the prefix is 500 000 ± < 500 000
_PREFIXED_MIN, _PREFIXED_MAX = 13.0e6, 46.0e6  # zone 13 … zone 45


@dataclass(frozen=True)
class Zone:
    """A Gauss-Krüger zone: ``width`` 3 or 6 degrees and zone ``number``."""

    width: int
    number: int

    def __post_init__(self) -> None:
        valid = THREE_DEGREE_ZONES if self.width == 3 else SIX_DEGREE_ZONES if self.width == 6 else None
        if valid is None:
            raise ValueError(f"zone width must be 3 or 6, not {self.width!r}")
        if self.number not in valid:
            raise ValueError(
                f"{self.width}° zone {self.number} is not a Chinese zone "
                f"(3° zones are {THREE_DEGREE_ZONES.start}–{THREE_DEGREE_ZONES.stop - 1}, "
                f"6° zones {SIX_DEGREE_ZONES.start}–{SIX_DEGREE_ZONES.stop - 1})")

    @property
    def central_meridian(self) -> float:
        """Central meridian (degrees east)."""
        return float(3 * self.number if self.width == 3 else 6 * self.number - 3)

    @property
    def prefixed_false_easting(self) -> float:
        """False easting (m) of the zone-prefixed CRS, e.g. 40 500 000 for zone 40."""
        return self.number * 1_000_000.0 + 500_000.0

    def epsg(self, prefixed: bool) -> int:
        """EPSG code of this zone's CGCS2000 CRS, with or without the zone prefix."""
        return cgcs2000_epsg(self.width, self.number, prefixed)

    def describe(self) -> str:
        return f"{self.width}° zone {self.number}, central meridian {self.central_meridian:g}°E"


def cgcs2000_epsg(width: int, zone: int, prefixed: bool) -> int:
    """EPSG code of the CGCS2000 Gauss-Krüger CRS of a zone.

    3° zones 25–45: prefixed EPSG:4513–4533, unprefixed EPSG:4534–4554.
    6° zones 13–23: prefixed EPSG:4491–4501, unprefixed EPSG:4502–4512.
    """
    Zone(width, zone)  # validates
    if width == 3:
        return 4488 + zone if prefixed else 4509 + zone
    return 4478 + zone if prefixed else 4489 + zone


def zone_from_cgcs2000_epsg(epsg: int) -> tuple[Zone, bool] | None:
    """Inverse of :func:`cgcs2000_epsg`: ``(zone, prefixed)``, or ``None`` for other codes."""
    if 4513 <= epsg <= 4533:
        return Zone(3, epsg - 4488), True
    if 4534 <= epsg <= 4554:
        return Zone(3, epsg - 4509), False
    if 4491 <= epsg <= 4501:
        return Zone(6, epsg - 4478), True
    if 4502 <= epsg <= 4512:
        return Zone(6, epsg - 4489), False
    return None


def zone_from_prefix(prefix: int) -> Zone:
    """The zone a prefix denotes: 25–45 are 3° zones, 13–23 are 6° zones."""
    if prefix in THREE_DEGREE_ZONES:
        return Zone(3, prefix)
    if prefix in SIX_DEGREE_ZONES:
        return Zone(6, prefix)
    raise ValueError(f"{prefix} is not a Chinese Gauss-Krüger zone number")


def zone_for_longitude(lon: float, width: int) -> Zone:
    """The zone holding a longitude (degrees east)."""
    if width == 3:
        return Zone(3, int(math.floor(lon / 3.0 + 0.5)))
    if width == 6:
        return Zone(6, int(math.floor(lon / 6.0)) + 1)
    raise ValueError(f"zone width must be 3 or 6, not {width!r}")


def _line(lines: Sequence[int] | None, index: int) -> int | None:
    return None if lines is None else int(lines[index])


def detect_zone_prefix(eastings: Iterable[float], *, lines: Sequence[int] | None = None,
                       path: str | Path | None = None) -> Zone | None:
    """The :class:`Zone` every easting's prefix names, or ``None`` when none carries one.

    Raises :class:`CRSError` when some eastings carry a prefix and some do
    not, when prefixes differ, or when a prefix is not a Chinese zone;
    *lines* (one per easting) name the offending line.
    """
    e = np.asarray(list(eastings), dtype=float)
    e = e[np.isfinite(e)] if lines is None else e
    if e.size == 0:
        return None
    prefixed = e >= _EASTING_MAX
    if not prefixed.any():
        return None
    if not prefixed.all():
        i, j = int(np.argmin(prefixed)), int(np.argmax(prefixed))
        raise CRSError(f"some eastings carry a zone prefix ({e[j]:.3f}) and some do not ({e[i]:.3f})",
                       path=path, line=_line(lines, i),
                       hint="all coordinates of one file must use the same convention")
    prefixes = np.floor(e / 1_000_000.0).astype(int)
    first = int(prefixes[0])
    differing = np.flatnonzero(prefixes != first)
    if differing.size:
        k = int(differing[0])
        raise CRSError(f"eastings carry different zone prefixes ({first} and {int(prefixes[k])})",
                       path=path, line=_line(lines, k), hint="a file must lie in one Gauss-Krüger zone")
    try:
        return zone_from_prefix(first)
    except ValueError:
        raise CRSError(
            f"eastings such as {e[0]:.3f} start with {first}, which is not a Chinese Gauss-Krüger zone number "
            "(3° zones 25–45, 6° zones 13–23)",
            path=path, line=_line(lines, 0), hint="check that the easting and northing columns are right") from None


def prefixed_epsg(eastings: Iterable[float], *, path: str | Path | None = None) -> int | None:
    """EPSG code (CGCS2000) of zone-prefixed eastings, ``None`` when they carry no prefix.

    ``prefixed_epsg([40633432.3])`` is 4528; ``prefixed_epsg([21347503.8])`` is 4499.
    """
    zone = detect_zone_prefix(eastings, path=path)
    return zone.epsg(prefixed=True) if zone else None


def _local_grid_error(x: np.ndarray, y: np.ndarray, path: str | Path | None,
                      names: tuple[str, str]) -> LocalGridError:
    span = f"{names[0]} {x.min():.0f}…{x.max():.0f}, {names[1]} {y.min():.0f}…{y.max():.0f}"
    shanghai_like = bool(np.all(np.abs(x) < 1.0e5) and np.all(np.abs(y) < 1.0e5))
    kind = ("a local city grid such as the Shanghai city coordinate system (上海城市坐标系)"
            if shanghai_like else "a local grid")
    return LocalGridError(
        f"the coordinates ({span}) are too small to be CGCS2000 Gauss-Krüger northings (≈3.4e6 m in Shanghai); "
        f"they look like {kind}",
        path=path,
        hint="ask for the coordinates in 2000国家大地坐标系 (3° zone 40 or 41); a local grid needs the city's "
        "official conversion, which shgeo does not do")


def classify_axes(xs: Iterable[float], ys: Iterable[float], *, lines: Sequence[int] | None = None,
                  path: str | Path | None = None, names: tuple[str, str] = ("X", "Y")) -> bool:
    """Whether survey columns X (the northing by convention) and Y (the easting) are swapped.

    ``False``: X holds northings and Y eastings; ``True``: the other way
    round.  Decided by magnitude for the whole file at once (the bands in the
    module docstring never overlap).  Raises :class:`LocalGridError` when no
    value can be a northing, and :class:`CRSError` for a pair that fits
    neither order or a file that mixes both (naming the first such line).
    """
    x = np.asarray(list(xs), dtype=float)
    y = np.asarray(list(ys), dtype=float)
    if x.shape != y.shape:
        raise ValueError("xs and ys must have the same length")
    if x.size == 0:
        return False
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        raise CRSError("a coordinate is not a finite number", path=path, line=_line(lines, int(np.argmin(finite))))

    def north(v: np.ndarray) -> np.ndarray:
        return (v >= _NORTHING_MIN) & (v < _NORTHING_MAX)

    def east(v: np.ndarray) -> np.ndarray:
        return ((v > 0) & (v < _EASTING_MAX)) | ((v >= _PREFIXED_MIN) & (v < _PREFIXED_MAX))

    normal = north(x) & east(y)
    swapped = east(x) & north(y)
    if not (north(x) | north(y)).any():
        raise _local_grid_error(x, y, path, names)
    unknown = ~(normal | swapped)
    if unknown.any():
        k = int(np.argmax(unknown))
        raise CRSError(
            f"{names[0]}={x[k]:.3f}, {names[1]}={y[k]:.3f} is neither a Gauss-Krüger northing/easting pair nor "
            "the same pair swapped",
            path=path, line=_line(lines, k),
            hint="expected northings ≈3.4e6 m and eastings ≈3e5–7e5 m (or 40/41e6 + that with the zone prefix) "
            "for Shanghai")
    n_normal, n_swapped = int(normal.sum()), int(swapped.sum())
    if n_normal and n_swapped:
        minority = swapped if n_swapped <= n_normal else normal
        raise CRSError(
            f"the file mixes both axis orders: {n_normal} points have {names[0]} as the northing, "
            f"{n_swapped} have it as the easting",
            path=path, line=_line(lines, int(np.argmax(minority))), hint="fix the points that are swapped")
    return bool(n_swapped)


def tm_parameters(crs: CRS) -> tuple[float, float, float] | None:
    """``(central meridian °, false easting m, scale)`` of a transverse Mercator CRS, else ``None``."""
    op = crs.coordinate_operation
    if op is None or "Transverse Mercator" not in (op.method_name or ""):
        return None
    params = {p.name: p.value for p in op.params}
    try:
        return (float(params["Longitude of natural origin"]), float(params["False easting"]),
                float(params["Scale factor at natural origin"]))
    except KeyError:
        return None


@lru_cache(maxsize=None)
def _gk_catalogue(datum_prefix: str) -> tuple[tuple[int, float, float, float], ...]:
    """Every EPSG Gauss-Krüger CRS whose name starts with ``datum_prefix + ' /'``."""
    from pyproj.database import query_crs_info

    out = []
    for info in query_crs_info(auth_name="EPSG", pj_types=["PROJECTED_CRS"]):
        if info.name.startswith(datum_prefix + " /") and "Gauss-Kruger" in info.name:
            params = tm_parameters(CRS.from_epsg(int(info.code)))
            if params:
                out.append((int(info.code), *params))
    return tuple(out)


def equivalent_gk_epsg(crs: CRS, central_meridian: float, false_easting: float) -> int | None:
    """The EPSG code of the Gauss-Krüger CRS on *crs*'s datum with this central meridian and false easting."""
    datum_prefix = crs.name.split(" / ")[0]
    if datum_prefix == "CGCS2000":
        for width, zones in ((3, THREE_DEGREE_ZONES), (6, SIX_DEGREE_ZONES)):
            for number in zones:
                z = Zone(width, number)
                if z.central_meridian != central_meridian:
                    continue
                if false_easting == 500_000.0:
                    return z.epsg(prefixed=False)
                if false_easting == z.prefixed_false_easting:
                    return z.epsg(prefixed=True)
        return None
    for code, cm, fe, k in _gk_catalogue(datum_prefix):
        if cm == central_meridian and fe == false_easting and k == 1.0:
            return code
    return None


def _label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else repr(crs.name)


def check_crs_fits_eastings(crs: CRS, eastings: Iterable[float], *, path: str | Path | None = None,
                            layer: str | None = None, declared_by: str = "the declared CRS") -> None:
    """Raise :class:`CRSError` when a transverse Mercator *crs* disagrees with the eastings' zone prefix.

    A prefixed easting (``40633432.3``) needs the false easting that includes
    the zone (EPSG:4528: 40 500 000, CM 120°E); an unprefixed one needs
    500 000 (EPSG:4549).  The message names the code that fits ("use
    EPSG:4528 (zone-prefixed)").  Other CRSs are left to the extent check.
    """
    params = tm_parameters(crs)
    if params is None:
        return
    values = np.asarray(list(eastings), dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    cm, fe, _k = params
    if fe < 1_000_000.0 and values.max() < _EASTING_MAX:
        return  # unprefixed CRS, unprefixed values
    zone = detect_zone_prefix(values, path=path)
    if zone is not None:
        if fe != zone.prefixed_false_easting or cm != zone.central_meridian:
            better = equivalent_gk_epsg(crs, zone.central_meridian, zone.prefixed_false_easting)
            raise CRSError(
                f"the eastings carry the zone prefix {zone.number} ({zone.describe()}), but {declared_by} "
                f"{_label(crs)} has false easting {fe:.0f} and central meridian {cm:g}°E",
                path=path, layer=layer,
                hint=(f"use EPSG:{better} (zone-prefixed)" if better else
                      "use the zone-prefixed CRS of that zone") + " for these coordinates")
    elif fe >= 1_000_000.0 and values.min() > 1_000.0:  # metres without the prefix (degrees: the extent check's)
        better = equivalent_gk_epsg(crs, cm, 500_000.0)
        raise CRSError(
            f"{declared_by} {_label(crs)} expects zone-prefixed eastings (false easting {fe:.0f}), but the "
            "eastings carry no zone prefix",
            path=path, layer=layer,
            hint=(f"use EPSG:{better} (no zone prefix)" if better else "use the unprefixed CRS of that zone")
            + " for these coordinates")


def check_declared_crs(crs: object, eastings: Iterable[float], *, path: str | Path | None = None,
                       declared_by: str = "the CRS given") -> CRS:
    """Check a CRS given for survey coordinates (metres, Gauss-Krüger) against the eastings' zone prefix.

    Returns it as a :class:`pyproj.CRS`.  Raises :class:`CRSError` when it
    is not a projected transverse Mercator CRS or when its false easting does
    not fit the prefix (naming the code that does).
    """
    try:
        crs_obj = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj.exceptions.CRSError and bad types alike
        raise CRSError(f"unknown CRS {crs!r} ({exc})", path=path,
                       hint="give an EPSG code such as EPSG:4528 or EPSG:4549") from None
    if not crs_obj.is_projected:
        raise CRSError(f"{declared_by} {_label(crs_obj)} is not a projected CRS, but the coordinates are metres",
                       path=path, hint="give the Gauss-Krüger CRS, e.g. EPSG:4528 (zone-prefixed) or EPSG:4549")
    if tm_parameters(crs_obj) is None:
        raise CRSError(f"{declared_by} {_label(crs_obj)} is not a transverse Mercator (Gauss-Krüger) CRS",
                       path=path, hint="Chinese survey coordinates are Gauss-Krüger, e.g. EPSG:4528 / EPSG:4549")
    check_crs_fits_eastings(crs_obj, eastings, path=path, declared_by=declared_by)
    return crs_obj
