"""Reader for the 界址点坐标交换格式 text file (勘测定界 / 建设用地报批 "报部" txt).

Layout::

    [属性描述]
    格式版本号=1.01
    数据产生单位=...
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=40
    精度=0.001
    转换参数=,,,,,,
    [地块坐标]
    界址点数,地块面积(公顷),地块编号,地块名称,面|线|点,图幅号,地块用途,地类编码,@
    点号,圈号,X(北),Y(东)
    ...

The format has no public specification; public readers and writers agree on
what is read here: GtTxtUtil.java of znlgis/opengis-utils-for-java (13
header fields before ``@``; any line ending in ``@`` starts a parcel; 圈号
numbers holes and parts alike; ``wkid = 4488 + 带号``), hongfaqiu/cgcsfile2json
(GB2312 text; zone-prefixed eastings are EPSG:4528, plain ones 4549),
FeatureClass2TXT of nixnfg/ArcGIS-Pro-CCTool (an extra field before ``@``;
options to swap X/Y and to omit the closing point), and two pages: 建设项目用地
红线坐标文件内容要求 (地块面积 in 公顷; 转换参数 left as commas; points J1 … J1)
and 勘测定界界址点坐标TXT文件快速输出 (X/Y are north/east, the reverse of GIS;
every parcel closed).

How it is read:

* Encoding: a BOM (UTF-8, UTF-16), else strict UTF-8, else GBK/GB18030.
* A parcel header is a line of [地块坐标] ending with ``@``; at least the first
  five fields are required (界址点数, 地块面积, 地块编号, 地块名称, 面/线/点);
  fields after the 8th (some writers add one) are kept in ``extra``.
  地块面积 may carry a 公顷 suffix.  Full-width commas are read as commas.
* X (3rd field) is the northing and Y the easting; columns swapped by the
  writer are detected by magnitude for the whole file and swapped back, with
  a note.
* 圈号 groups the vertices into rings and must be contiguous; whether a ring
  is a hole or another part is decided by nesting (:mod:`.rings`), because
  writers number holes and parts alike.
* A ring must repeat its first point (the format's rule): an unclosed ring is
  an error naming the parcel and the line, unless ``close_rings=True``.
* 界址点数 must equal the parcel's coordinate lines; writers that count each
  ring's closing point once less are accepted with a note.
* The CRS comes from the header (:mod:`.survey_crs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point

from ..errors import InputFormatError
from . import gauss_kruger as gk
from .encodings import decode_text, split_lines
from .parcels import make_frame
from .rings import Ring, assemble_polygons, polygons_to_geometry
from .sources import FORMAT_TXT, ReadResult, SourceMeta
from .survey_crs import DeclaredCRS, apply_resolution, resolve_crs

__all__ = ["read_boundary_txt", "parse_boundary_txt", "looks_like_boundary_txt", "ParsedTxt", "TxtParcel",
           "TxtVertex", "EXTRA_COLUMNS"]

ATTR_SECTION: Final = "属性描述"
COORD_SECTION: Final = "地块坐标"
#: first and last point of a ring closer than this (m) are the same point
CLOSE_TOL: Final = 0.001
#: bytes of a file looked at to tell whether it is an exchange txt
_SNIFF_BYTES: Final = 1 << 16

_RECORD_TYPES: Final = {"面": "polygon", "线": "line", "点": "point"}
#: columns after :data:`~shgeo.inputs.parcels.STANDARD_COLUMNS`
EXTRA_COLUMNS: Final = ["declared_points", "record_type", "sheet_no", "land_use", "land_class_code", "extra",
                        "parts", "holes"]


@dataclass
class TxtVertex:
    point: str
    ring: int
    x: float  #: as written in field 3 (the northing by the format's rule)
    y: float  #: as written in field 4 (the easting)
    line: int


@dataclass
class TxtParcel:
    index: int  #: 1-based position in the file
    header_line: int
    declared_points: int
    declared_area_ha: float | None
    parcel_id: str
    name: str
    record_type: str
    sheet_no: str
    land_use: str
    land_class_code: str
    extra: list[str]
    vertices: list[TxtVertex] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.parcel_id or self.name or f"#{self.index}"

    @property
    def last_line(self) -> int:
        return self.vertices[-1].line if self.vertices else self.header_line


@dataclass
class ParsedTxt:
    header: dict[str, str]
    header_lines: dict[str, int]
    other_sections: dict[str, dict[str, str]]
    parcels: list[TxtParcel]
    notes: list[str]


def looks_like_boundary_txt(path: str | Path) -> bool:
    """True if the file is text with a ``[地块坐标]`` section line (looked for in its first 64 KiB)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        if enc == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            text = data[: len(data) - 4].decode(enc, errors="ignore") if enc == "gb18030" else ""
        if any(line.strip().replace(" ", "") == f"[{COORD_SECTION}]" for line in split_lines(text)):
            return True
    return False


def _split_fields(s: str) -> list[str]:
    return [f.strip() for f in s.split(",")]


def _parse_area(text: str) -> float | None:
    t = text.strip().replace("公顷", "").replace("ha", "").strip()
    return float(t) if t else None


def _parcel_header(s: str, lineno: int, index: int, path: str | Path | None, notes: list[str]) -> TxtParcel:
    fields = _split_fields(s)
    if fields[-1] != "@":
        raise InputFormatError(f"a parcel header must end with ',@': {s[:60]!r}", path=path, line=lineno)
    fields = fields[:-1]
    label = f"#{index}"
    if len(fields) < 5:
        raise InputFormatError(f"the parcel header has {len(fields)} fields before '@'", path=path, line=lineno,
                               feature=label, feature_kind="parcel",
                               hint="expected 界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,地类编码,@")
    label = fields[2] or fields[3] or label
    where = {"path": path, "line": lineno, "feature": label, "feature_kind": "parcel"}
    try:
        count = int(fields[0])
    except ValueError:
        raise InputFormatError(f"界址点数 = {fields[0]!r} is not a whole number", **where) from None
    try:
        area = _parse_area(fields[1])
    except ValueError:
        raise InputFormatError(f"地块面积 = {fields[1]!r} is not a number", **where) from None
    if area is not None and not math.isfinite(area):
        raise InputFormatError(f"地块面积 = {fields[1]!r} is not a number", **where)
    rtype = fields[4]
    if rtype == "":
        rtype = "面"
        notes.append(f"parcel {label!r}: 记录图形属性 is empty; read as 面 (polygon)")
    if rtype not in _RECORD_TYPES:
        raise InputFormatError(f"记录图形属性 = {rtype!r} is not 面, 线 or 点", **where)
    pad = fields + [""] * (8 - len(fields))
    return TxtParcel(index=index, header_line=lineno, declared_points=count, declared_area_ha=area,
                     parcel_id=pad[2], name=pad[3], record_type=rtype, sheet_no=pad[5], land_use=pad[6],
                     land_class_code=pad[7], extra=list(fields[8:]))


def _vertex(s: str, lineno: int, parcel: TxtParcel, path: str | Path | None, notes: list[str]) -> TxtVertex:
    fields = _split_fields(s)
    while fields and fields[-1] == "":
        fields.pop()
    where = {"path": path, "line": lineno, "feature": parcel.label, "feature_kind": "parcel"}
    if len(fields) < 4:
        raise InputFormatError(f"the coordinate line has {len(fields)} fields, expected 点号,圈号,X,Y: {s[:60]!r}",
                               **where)
    if len(fields) > 4:
        notes.append("some coordinate lines have more than 4 fields; the extra ones were ignored")
    try:
        ring = int(fields[1])
    except ValueError:
        raise InputFormatError(f"圈号 = {fields[1]!r} is not a whole number", **where) from None
    try:
        x, y = float(fields[2]), float(fields[3])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError
    except ValueError:
        raise InputFormatError(f"X = {fields[2]!r}, Y = {fields[3]!r}: not numbers", **where) from None
    return TxtVertex(fields[0], ring, x, y, lineno)


def parse_boundary_txt(text: str, *, path: str | Path | None = None) -> ParsedTxt:
    """Parse the text of an exchange file into header and parcels (no geometry, no CRS yet)."""
    header: dict[str, str] = {}
    header_lines: dict[str, int] = {}
    other: dict[str, dict[str, str]] = {}
    parcels: list[TxtParcel] = []
    notes: list[str] = []
    section: str | None = None
    seen: set[str] = set()
    current: TxtParcel | None = None

    for lineno, raw in enumerate(split_lines(text), start=1):
        s = raw.replace("\ufeff", "").strip()
        if not s:
            continue
        if "，" in s:
            s = s.replace("，", ",")
            notes.append("full-width commas (，) read as commas")
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
            if section in (ATTR_SECTION, COORD_SECTION) and section in seen:
                raise InputFormatError(f"section [{section}] appears twice", path=path, line=lineno)
            seen.add(section)
            continue
        if section is None:
            raise InputFormatError(f"text before the first section: {s[:40]!r}", path=path, line=lineno,
                                   hint="the file must start with [属性描述] (or another [section])")
        if section != COORD_SECTION:
            if "=" not in s and "＝" not in s:
                raise InputFormatError(f"expected key=value in [{section}], got {s[:40]!r}", path=path, line=lineno)
            key, _, value = s.replace("＝", "=").partition("=")
            if section == ATTR_SECTION:
                header[key.strip()] = value.strip()
                header_lines[key.strip()] = lineno
            else:
                other.setdefault(section, {})[key.strip()] = value.strip()
            continue
        if s.endswith("@"):
            if current is not None and not current.vertices:
                raise InputFormatError("the parcel has no coordinate lines", path=path, line=current.header_line,
                                       feature=current.label, feature_kind="parcel")
            current = _parcel_header(s, lineno, len(parcels) + 1, path, notes)
            parcels.append(current)
            continue
        if current is None:
            raise InputFormatError(f"coordinate line before any parcel header: {s[:40]!r}", path=path, line=lineno,
                                   hint="each parcel starts with a line ending in ',@'")
        current.vertices.append(_vertex(s, lineno, current, path, notes))

    if COORD_SECTION not in seen:
        raise InputFormatError("the file has no [地块坐标] section", path=path,
                               hint="is this a 界址点坐标交换格式 file?")
    if not parcels:
        raise InputFormatError("[地块坐标] holds no parcel", path=path)
    if not parcels[-1].vertices:
        raise InputFormatError("the parcel has no coordinate lines", path=path, line=parcels[-1].header_line,
                               feature=parcels[-1].label, feature_kind="parcel")
    if ATTR_SECTION not in seen:
        notes.append("the file has no [属性描述] section")
    return ParsedTxt(header, header_lines, other, parcels, list(dict.fromkeys(notes)))


_HEADER_KEYS: Final = (
    ("datum_text", "坐标系", ("坐标系", "坐标系统", "坐标系名称")),
    ("width_text", "几度分带", ("几度分带", "分带", "分带方式", "分带类型")),
    ("zone_text", "带号", ("带号", "投影带号", "分带号")),
    ("projection", "投影类型", ("投影类型", "投影", "投影方式")),
    ("unit", "计量单位", ("计量单位", "单位", "坐标单位")),
    ("transform_params", "转换参数", ("转换参数", "七参数")),
)


def _declared_crs(parsed: ParsedTxt) -> DeclaredCRS:
    """The CRS keys of [属性描述], matched by exact name (spaces ignored: 数据产生单位 is not 单位)."""
    d = DeclaredCRS()
    normalized = {k.replace(" ", ""): k for k in parsed.header}
    for attr, canon, names in _HEADER_KEYS:
        for name in names:
            key = normalized.get(name)
            if key is not None:
                setattr(d, attr, parsed.header[key])
                d.lines[canon] = parsed.header_lines[key]
                break
    return d


def _group_rings(parcel: TxtParcel, path: str | Path | None) -> list[list[TxtVertex]]:
    rings: list[list[TxtVertex]] = []
    seen: set[int] = set()
    for v in parcel.vertices:
        if rings and rings[-1][0].ring == v.ring:
            rings[-1].append(v)
            continue
        if v.ring in seen:
            raise InputFormatError(f"圈号 {v.ring} resumes after another ring started", path=path, line=v.line,
                                   feature=parcel.label, feature_kind="parcel",
                                   hint="list each ring's points together, ring after ring")
        seen.add(v.ring)
        rings.append([v])
    return rings


def read_boundary_txt(path: str | Path, *, crs: object = None, close_rings: bool = False,
                      encoding: str | None = None) -> ReadResult:
    """Read a 界址点坐标交换格式 txt file.

    Returns ``(frame, meta)``: one row per parcel (columns
    :data:`~shgeo.inputs.parcels.STANDARD_COLUMNS` plus
    :data:`EXTRA_COLUMNS`), geometry in the file's CRS (x = easting, metres),
    and a :class:`~shgeo.inputs.sources.SourceMeta`.  *crs* overrides the
    header (needed for Xian 1980, Beijing 1954 or 转换参数 files) and is still
    checked against the zone prefix; *encoding* overrides the detection.
    Raises :class:`~shgeo.errors.InputFormatError` or
    :class:`~shgeo.errors.CRSError` naming the line and the parcel.
    """
    path = Path(path)
    text, used = decode_text(path.read_bytes(), path=path, encoding=encoding)
    parsed = parse_boundary_txt(text, path=path)
    meta = SourceMeta(path=path, format=FORMAT_TXT, encoding=used, header=dict(parsed.header))
    for n in parsed.notes:
        meta.note(n)

    vertices = [v for p in parsed.parcels for v in p.vertices]
    line_nos = [v.line for v in vertices]
    swapped = gk.classify_axes([v.x for v in vertices], [v.y for v in vertices], lines=line_nos, path=path)
    meta.axes_swapped = swapped
    if swapped:
        meta.note("X and Y are swapped in this file (X holds the eastings); swapped back")

    def en(v: TxtVertex) -> tuple[float, float]:
        return (v.x, v.y) if swapped else (v.y, v.x)

    res = resolve_crs([en(v)[0] for v in vertices], user_crs=crs, declared=_declared_crs(parsed), path=path,
                      lines=line_nos)
    apply_resolution(meta, res)
    records = [_parcel_record(parcel, en, path, close_rings, meta) for parcel in parsed.parcels]
    return ReadResult(make_frame(records, meta.crs, EXTRA_COLUMNS), meta)


def _polygon_rings(parcel: TxtParcel, groups: list[list[TxtVertex]], en, path: Path, close_rings: bool,
                   meta: SourceMeta) -> tuple[list[Ring], int]:
    label = parcel.label
    rings: list[Ring] = []
    closing = 0
    for g in groups:
        pts = np.array([en(v) for v in g], dtype=float)
        ring_label = f"圈号 {g[0].ring}"
        where = {"path": path, "feature": label, "feature_kind": "parcel"}
        if len(pts) >= 2 and float(np.hypot(*(pts[-1] - pts[0]))) <= CLOSE_TOL:
            closing += 1
            pts[-1] = pts[0]
        elif g[-1].point == g[0].point and len(g) > 1:
            gap = float(np.hypot(*(pts[-1] - pts[0])))
            raise InputFormatError(f"{ring_label} ends on {g[-1].point} again but {gap:.3f} m away from where it "
                                   "started", line=g[-1].line,
                                   hint="the closing point must repeat the first point's coordinates", **where)
        elif close_rings:
            pts = np.vstack([pts, pts[:1]])
            meta.note(f"parcel {label!r}: {ring_label} was not closed; closed automatically")
        else:
            raise InputFormatError(
                f"{ring_label} is not closed: its last point {g[-1].point} (line {g[-1].line}) is not its first "
                f"point {g[0].point} (line {g[0].line})", line=g[-1].line,
                hint="the format repeats the first point at the end of each ring: add it", **where)
        distinct = len({tuple(p) for p in pts[:-1].round(4).tolist()})
        if distinct < 3:
            raise InputFormatError(f"{ring_label} has {distinct} distinct points; a ring needs at least 3",
                                   line=g[0].line, **where)
        rings.append(Ring(pts, ring_label, g[0].line, g[0].ring))
    return rings, closing


def _parcel_record(parcel: TxtParcel, en, path: Path, close_rings: bool, meta: SourceMeta) -> dict[str, Any]:
    label = parcel.label
    groups = _group_rings(parcel, path)
    kind = _RECORD_TYPES[parcel.record_type]
    closing = holes = 0
    if kind == "polygon":
        rings, closing = _polygon_rings(parcel, groups, en, path, close_rings, meta)
        notes: list[str] = []
        polys = assemble_polygons(rings, path=path, feature=label, notes=notes)
        for n in notes:
            meta.note(f"parcel {label!r}: {n}")
        first_ring = groups[0][0].ring
        for _, members in polys:
            if any(m.ident == first_ring for m in members[1:]):
                meta.note(f"parcel {label!r}: the first ring (圈号 {first_ring}) lies inside {members[0].label}; "
                          "read as a hole")
        geometry = polygons_to_geometry([p for p, _ in polys], path=path, feature=label, line=parcel.header_line)
        parts, holes = len(polys), sum(len(m) - 1 for _, m in polys)
    elif kind == "line":
        lines = []
        for g in groups:
            if len(g) < 2:
                raise InputFormatError(f"line 圈号 {g[0].ring} has a single point", path=path, line=g[0].line,
                                       feature=label, feature_kind="parcel")
            lines.append(LineString([en(v) for v in g]))
        geometry = lines[0] if len(lines) == 1 else MultiLineString(lines)
        parts = len(lines)
    else:
        pts = [Point(en(v)) for v in parcel.vertices]
        geometry = pts[0] if len(pts) == 1 else MultiPoint(pts)
        parts = len(pts)

    n_lines = len(parcel.vertices)
    if parcel.declared_points != n_lines:
        if kind == "polygon" and parcel.declared_points == n_lines - closing:
            meta.note(f"parcel {label!r}: 界址点数={parcel.declared_points} counts each ring's closing point once "
                      f"less than the {n_lines} coordinate lines; accepted")
        else:
            raise InputFormatError(
                f"界址点数 says {parcel.declared_points} points but the parcel has {n_lines} coordinate lines",
                path=path, line=parcel.header_line, feature=label, feature_kind="parcel",
                hint="a line may be missing or a parcel header misplaced")
    return {
        "parcel_id": parcel.parcel_id or None,
        "parcel_name": parcel.name or None,
        "declared_area_ha": parcel.declared_area_ha if parcel.declared_area_ha is not None else math.nan,
        "kind": kind,
        "first_line": parcel.header_line,
        "last_line": parcel.last_line,
        "declared_points": parcel.declared_points,
        "record_type": parcel.record_type,
        "sheet_no": parcel.sheet_no or None,
        "land_use": parcel.land_use or None,
        "land_class_code": parcel.land_class_code or None,
        "extra": ",".join(parcel.extra) if any(parcel.extra) else None,
        "parts": parts,
        "holes": holes,
        "geometry": geometry,
    }
