"""The CRS of survey coordinates (exchange txt, DXF, coordinate tables): from the user, the file's words, or the prefix.

Order, first that applies:

1. a CRS the user gives (``crs=`` / ``--crs``) — checked against the zone
   prefix of the eastings (EPSG:4549 for prefixed values is an error naming
   EPSG:4528) — unless the txt states 2000国家大地坐标系 (a CRS given is for
   files that state none; the notes say it was not used);
2. what the txt's [属性描述] says: 坐标系, 几度分带, 带号, 投影类型, 计量单位,
   转换参数.  2000国家大地坐标系 is accepted; 1980西安 and 1954北京 are named and
   refused (the same point has other plane coordinates there), a local
   system or a non-empty 转换参数 is refused; an empty 坐标系 is taken as
   CGCS2000 with a note.  When 带号 or 几度分带 disagrees with the zone
   prefix of the eastings, the prefix wins (the coordinates describe
   themselves) and the notes say so;
3. the zone prefix alone (DXF, tables): CGCS2000 of that zone is assumed,
   with a note — the datum cannot be told from the coordinates.

Without any of these the read fails, naming the option to set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pyproj import CRS

from ..errors import CRSError, LocalGridError, option
from . import gauss_kruger as gk
from .sources import CRS_FROM_FILE, CRS_FROM_PREFIX, CRS_GIVEN, SourceMeta

__all__ = ["DeclaredCRS", "CRSResolution", "classify_datum", "transform_params_are_identity", "resolve_crs",
           "apply_resolution"]


@dataclass
class DeclaredCRS:
    """What a file's header says about its coordinate system (the txt's [属性描述])."""

    datum_text: str | None = None  #: 坐标系
    width_text: str | None = None  #: 几度分带
    zone_text: str | None = None  #: 带号
    projection: str | None = None  #: 投影类型
    unit: str | None = None  #: 计量单位
    transform_params: str | None = None  #: 转换参数
    lines: dict[str, int] = field(default_factory=dict)  #: key → line number


@dataclass
class CRSResolution:
    crs: CRS
    epsg: int | None
    basis: str
    zone: gk.Zone | None
    prefixed: bool | None
    notes: list[str]


_LOCAL_WORDS: Final = ("上海", "城市", "地方", "独立", "任意", "工程坐标", "假定", "LOCAL", "CITY")
_GK_WORDS: Final = ("高斯", "克吕格", "GAUSS", "KRUGER", "KRÜGER", "横轴墨卡托", "TRANSVERSEMERCATOR")
_METRE_WORDS: Final = ("米", "m", "meter", "metre", "meters", "metres", "公尺")


def classify_datum(text: str | None) -> str | None:
    """``"CGCS2000"``, ``"XIAN80"``, ``"BEIJING54"``, ``"LOCAL"``, ``"WGS84"``, ``"OTHER"``, or None when empty."""
    if text is None or not text.strip():
        return None
    t = text.strip().upper().replace(" ", "")
    if any(w in t for w in _LOCAL_WORDS):
        return "LOCAL"
    if "2000" in t or "CGCS" in t:
        return "CGCS2000"
    if "西安" in t or "XIAN" in t or "1980" in t or t.startswith("80"):
        return "XIAN80"
    if "北京" in t or "BEIJING" in t or "1954" in t or t.startswith("54"):
        return "BEIJING54"
    if "WGS" in t:
        return "WGS84"
    return "OTHER"


def _int_in(text: str | None) -> int | None:
    if text is None:
        return None
    m = re.search(r"\d+", text)
    if m:
        return int(m.group())
    for word, value in (("三", 3), ("六", 6)):
        if word in text:
            return value
    return None


def transform_params_are_identity(text: str | None) -> bool:
    """Empty, only commas, or all zero (scale 0 or 1): no local transformation."""
    if text is None:
        return True
    values = [p.strip() for p in re.split(r"[,，]", text) if p.strip()]
    if not values:
        return True
    try:
        nums = [float(v) for v in values]
    except ValueError:
        return False
    if len(nums) == 7:
        return all(v == 0 for v in nums[:6]) and nums[6] in (0.0, 1.0)
    return all(v == 0 for v in nums)


def _from_user(user_crs: object, zone: gk.Zone | None, eastings: Sequence[float], declared: DeclaredCRS | None,
               path: str | Path | None) -> CRSResolution:
    crs = gk.check_declared_crs(user_crs, eastings, path=path, declared_by="the CRS given")
    epsg = crs.to_epsg()
    notes = []
    if declared is not None and declared.datum_text:
        notes.append(f"the file says 坐标系={declared.datum_text}; the CRS given ({crs.name}) was used")
    hit = gk.zone_from_cgcs2000_epsg(epsg) if epsg is not None else None
    z, prefixed = hit if hit else (zone, zone is not None)
    return CRSResolution(crs, epsg, CRS_GIVEN, z, prefixed, notes)


def _refuse_datum(d: DeclaredCRS, datum: str | None, path: str | Path | None) -> None:
    line = d.lines.get("坐标系")
    unless = "or, if you know the coordinates' CRS, give it with " + option("crs")
    if datum == "XIAN80":
        raise CRSError(
            f"the file is in 1980西安坐标系 (Xian 1980: 坐标系={d.datum_text}); shgeo screens in CGCS2000 and will "
            "not mix datums (the same point has other plane coordinates in the two systems)",
            path=path, line=line,
            hint="ask for the 2000国家大地坐标系 version, " + unless + " (e.g. EPSG:2364, Xian 1980 / 3-degree "
            "Gauss-Kruger zone 40)")
    if datum == "BEIJING54":
        raise CRSError(
            f"the file is in 1954北京坐标系 (Beijing 1954: 坐标系={d.datum_text}); shgeo screens in CGCS2000 and will "
            "not mix datums", path=path, line=line,
            hint="ask for the 2000国家大地坐标系 version, " + unless + " (e.g. EPSG:2416, Beijing 1954 / 3-degree "
            "Gauss-Kruger zone 40)")
    if datum == "LOCAL":
        raise LocalGridError(f"坐标系={d.datum_text} is a local coordinate system, not CGCS2000", path=path,
                             line=line, hint="ask for the 2000国家大地坐标系 version; a local grid needs the city's "
                             "official conversion, which shgeo does not do")
    if datum in ("WGS84", "OTHER"):
        raise CRSError(f"坐标系={d.datum_text} is not a coordinate system this reader knows (expected "
                       "2000国家大地坐标系)", path=path, line=line, hint=unless)
    if not transform_params_are_identity(d.transform_params):
        raise CRSError(
            f"转换参数={d.transform_params} is set: the coordinates are in a local system that these seven "
            "parameters convert to the national one, so they are not 2000国家大地坐标系 Gauss-Krüger coordinates "
            "as they stand", path=path, line=d.lines.get("转换参数"),
            hint="ask for coordinates already in 2000国家大地坐标系 (转换参数 left empty), " + unless)
    if d.projection and d.projection.strip():
        p = d.projection.replace(" ", "").replace("-", "").upper()
        if not any(k in p for k in _GK_WORDS):
            raise CRSError(f"投影类型={d.projection} is not 高斯克吕格 (Gauss-Krüger)", path=path,
                           line=d.lines.get("投影类型"), hint=unless)
    if d.unit and d.unit.strip() and d.unit.strip().lower() not in _METRE_WORDS:
        raise CRSError(f"计量单位={d.unit}: only metres are read"
                       + (" (degrees mean geographic coordinates, not Gauss-Krüger)" if "度" in d.unit else ""),
                       path=path, line=d.lines.get("计量单位"), hint=unless)


def resolve_crs(eastings: Sequence[float], *, user_crs: object = None, declared: DeclaredCRS | None = None,
                path: str | Path | None = None, lines: Sequence[int] | None = None) -> CRSResolution:
    """Work out the CRS of survey coordinates (see the module docstring for the order).

    *eastings* are in easting position already (after any axis swap);
    *declared* is the txt header (None for DXF and tables); *lines* name the
    line of each easting in errors.
    """
    zone = gk.detect_zone_prefix(eastings, lines=lines, path=path)
    if user_crs is not None:
        if declared is not None and classify_datum(declared.datum_text) == "CGCS2000":
            # the file states its CRS: a CRS given is for files that state none (a batch may mix both)
            try:
                own = resolve_crs(eastings, declared=declared, path=path, lines=lines)
            except CRSError:  # it states the datum but not enough to tell the zone: the CRS given says it
                return _from_user(user_crs, zone, eastings, declared, path)
            given = CRS.from_user_input(user_crs)
            if not given.equals(own.crs):
                own.notes.append(f"the CRS given ({given.name}) was not used: the file states "
                                 f"坐标系={declared.datum_text}, which gives EPSG:{own.epsg}")
            return own
        return _from_user(user_crs, zone, eastings, declared, path)

    if declared is None:  # DXF and tables carry no coordinate system of their own
        if zone is None:
            raise CRSError(
                "the file does not say which coordinate system it is in, and the eastings carry no zone prefix "
                "that would tell the zone", path=path,
                hint=f"give it with {option('crs', 'EPSG:4549')} for CGCS2000 3° zone 40 / CM 120°E, or "
                "EPSG:4550 for zone 41 / CM 123°E")
        epsg = zone.epsg(prefixed=True)
        return CRSResolution(CRS.from_epsg(epsg), epsg, CRS_FROM_PREFIX, zone, True, [
            f"no coordinate system given; the zone prefix {zone.number} gives {zone.describe()} and CGCS2000 was "
            f"assumed (EPSG:{epsg}) — the datum cannot be told from the coordinates"])

    d = declared
    datum = classify_datum(d.datum_text)
    _refuse_datum(d, datum, path)
    notes: list[str] = []
    width = _int_in(d.width_text)
    if width is not None and width not in (3, 6):
        if zone is None:
            raise CRSError(f"几度分带={d.width_text} is neither 3 nor 6", path=path, line=d.lines.get("几度分带"))
        width = None
    zone_no = _int_in(d.zone_text)
    if zone_no is not None and zone_no > 60:  # some writers put the central meridian (120) in 带号
        cm = zone_no
        if width in (None, 3) and cm % 3 == 0 and cm // 3 in gk.THREE_DEGREE_ZONES:
            notes.append(f"带号={d.zone_text} read as a central meridian: 3° zone {cm // 3}")
            zone_no, width = cm // 3, 3
        elif width == 6 and (cm + 3) % 6 == 0 and (cm + 3) // 6 in gk.SIX_DEGREE_ZONES:
            notes.append(f"带号={d.zone_text} read as a central meridian: 6° zone {(cm + 3) // 6}")
            zone_no = (cm + 3) // 6
    if datum is None:
        notes.append("the file does not state its 坐标系; 2000国家大地坐标系 (CGCS2000) was assumed — the datum "
                     "cannot be told from the coordinates")

    if zone is not None:
        if zone_no is not None and zone_no != zone.number:
            notes.append(f"带号={d.zone_text} (line {d.lines.get('带号')}) disagrees with the zone prefix "
                         f"{zone.number} the eastings carry; the prefix was used ({zone.describe()}): check the "
                         "file's 带号")
        elif width is not None and width != zone.width:
            notes.append(f"几度分带={d.width_text} (line {d.lines.get('几度分带')}) disagrees with the zone prefix "
                         f"{zone.number}, a {zone.width}° zone; the prefix was used")
        epsg = zone.epsg(prefixed=True)
        basis = CRS_FROM_FILE if datum is not None else CRS_FROM_PREFIX
        return CRSResolution(CRS.from_epsg(epsg), epsg, basis, zone, True, notes)

    if zone_no is None:
        raise CRSError("the eastings have no zone prefix and the file gives no 带号, so the central meridian is "
                       "unknown", path=path,
                       hint=f"give the CRS with {option('crs', 'EPSG:4549')} for 3° zone 40 / CM 120°E, or "
                       "EPSG:4550 for zone 41 / CM 123°E")
    if width is None:
        width = 3 if zone_no in gk.THREE_DEGREE_ZONES else 6 if zone_no in gk.SIX_DEGREE_ZONES else None
        if width is not None:
            notes.append(f"几度分带 not stated; 带号={zone_no} implies {width}° zones")
    try:
        z = gk.Zone(int(width or 0), zone_no)
    except ValueError as exc:
        raise CRSError(str(exc), path=path, line=d.lines.get("带号"),
                       hint=f"fix 带号, or give the CRS with {option('crs')}") from None
    epsg = z.epsg(prefixed=False)
    return CRSResolution(CRS.from_epsg(epsg), epsg, CRS_FROM_FILE, z, False, notes)


def apply_resolution(meta: SourceMeta, res: CRSResolution) -> None:
    """Record a resolution in *meta* (CRS, basis, zone, its notes)."""
    meta.crs, meta.epsg, meta.crs_basis = res.crs, res.epsg, res.basis
    meta.zone, meta.zone_prefixed = res.zone, res.prefixed
    for text in res.notes:
        meta.note(text)
