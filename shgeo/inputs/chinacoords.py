"""GCJ-02 and BD-09 web-map coordinates ⇄ WGS84 (degrees), vectorised.

Chinese web maps (AMap/Gaode, Tencent: GCJ-02; Baidu: BD-09) publish
coordinates shifted by a published obfuscation formula that no EPSG code or
PROJ pipeline describes.  The forward formulas below are the public ones; the
inverse is solved by fixed-point iteration until the forward image matches to
1e-9° (~0.1 mm), far inside the 0.5 m the CRS policy asks for.

These conversions are only ever applied when the user names ``"gcj02"`` or
``"bd09"`` explicitly — never guessed from the data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["wgs84_to_gcj02", "gcj02_to_wgs84", "gcj02_to_bd09", "bd09_to_gcj02",
           "bd09_to_wgs84", "wgs84_to_bd09", "to_wgs84"]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 constant


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) → GCJ-02 lon/lat (degrees)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-9, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat → WGS84 lon/lat (degrees), iterative exact inverse (< 1e-9°)."""
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = flon - glon, flat - glat
        wlon = wlon - dlon
        wlat = wlat - dlat
        if np.nanmax(np.abs(np.concatenate([np.ravel(dlon), np.ravel(dlat)])), initial=0.0) < tol_deg:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat → BD-09 lon/lat (degrees)."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat → GCJ-02 lon/lat (degrees), iterative exact inverse."""
    blon = np.asarray(lon, dtype=float)
    blat = np.asarray(lat, dtype=float)
    glon, glat = blon - 0.0065, blat - 0.006
    for _ in range(max_iter):
        flon, flat = gcj02_to_bd09(glon, glat)
        dlon, dlat = flon - blon, flat - blat
        glon, glat = glon - dlon, glat - dlat
        if np.nanmax(np.abs(np.concatenate([np.ravel(dlon), np.ravel(dlat)])), initial=0.0) < tol_deg:
            break
    return glon, glat


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 lon/lat → WGS84 lon/lat (degrees)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat → BD-09 lon/lat (degrees)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def to_wgs84(geoms: ArrayLike, system: str) -> np.ndarray:
    """Convert shapely geometries in ``"gcj02"`` or ``"bd09"`` lon/lat to WGS84 lon/lat."""
    import shapely

    inverse = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
    try:
        func = inverse[system]
    except KeyError:
        raise ValueError(f"unknown web-map system {system!r}; expected one of {sorted(inverse)}") from None

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), _apply)
