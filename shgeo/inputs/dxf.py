"""Reader for CAD drawings in DXF (via ezdxf).

* Closed LWPOLYLINE / POLYLINE (2D and 3D), CIRCLE, closed ELLIPSE / SPLINE
  and every HATCH boundary path give closed rings; open polylines, LINE,
  ARC, open ELLIPSE / SPLINE give lines.  A polyline whose last vertex
  repeats its first is closed even without the closed flag.
* Arcs (polyline bulges, ARC, CIRCLE, hatch arc edges) are densified exactly
  so that no chord is farther than ``max_chord_error`` (default 0.01 m) from
  the true arc; ellipses and splines use ezdxf's adaptive flattening on the
  true curve with the same tolerance.
* Within one layer, closed shapes nest even-odd: a shape inside an odd
  number of others is a hole of the smallest even-depth shape around it.
  Identical shapes (a HATCH over its boundary polyline) are kept once.
  Shapes on different layers never interact.  The layer name is kept.
* Text encoding: DXF R2004 and older are code-page text ($DWGCODEPAGE,
  ANSI_936 = GBK for Chinese drawings); R2007+ are UTF-8.  ezdxf decodes by
  $DWGCODEPAGE; ``\\U+nnnn`` escapes in layer names are decoded here.  A
  drawing that declares ANSI_1252 (or nothing) but holds GBK bytes is read
  as GBK, with a note.
* DXF has no CRS: give one (``crs=`` / ``--crs``), except that
  zone-prefixed eastings (40xxxxxx) identify the zone (CGCS2000 assumed,
  with a note).  Local grids (Shanghai city coordinates, small numbers) are
  refused.  DWG files are refused with a hint to save them as DXF.
* INSERT (block references), TEXT, POINT, DIMENSION ... are skipped and
  counted in the notes (blocks usually hold symbols, not boundaries).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import ezdxf
import numpy as np
from ezdxf.lldxf.validator import is_binary_dxf_file, is_dxf_file
from ezdxf.math import OCS, Vec3
from shapely.geometry import LineString

from ..errors import InputFormatError, ShgeoError, UnsupportedFileError
from . import gauss_kruger as gk
from .encodings import encoding_label, has_cjk
from .parcels import make_frame
from .rings import Ring, assemble_polygons
from .sources import FORMAT_DXF, ReadResult, SourceMeta
from .survey_crs import apply_resolution, resolve_crs

__all__ = ["read_dxf", "list_dxf_layers", "arc_points", "bulge_points", "polyline_points", "is_dwg",
           "DEFAULT_MAX_CHORD_ERROR", "EXTRA_COLUMNS"]

log = logging.getLogger(__name__)

#: largest distance (m) between a densified chord and the true arc
DEFAULT_MAX_CHORD_ERROR: Final = 0.01
CLOSE_TOL: Final = 1e-6  # first == last within this (drawing units) means closed
#: columns after :data:`~shgeo.inputs.parcels.STANDARD_COLUMNS`
EXTRA_COLUMNS: Final = ["layer", "entity_type", "handles", "holes"]
_INSUNITS: Final = {0: "unitless", 1: "inches", 2: "feet", 4: "millimetres", 5: "centimetres", 6: "metres",
                    7: "kilometres"}


# --------------------------------------------------------------------------- curves


def _max_step(radius: float, tol: float) -> float:
    """Largest angle step whose chord stays within ``tol`` of a circle of ``radius``."""
    if tol >= radius:
        return math.pi / 2
    return min(2.0 * math.acos(1.0 - tol / radius), math.pi / 2)


def arc_points(center: Sequence[float], radius: float, start: float, sweep: float,
               tol: float = DEFAULT_MAX_CHORD_ERROR) -> np.ndarray:
    """Points on a circular arc from angle ``start`` through signed ``sweep`` (radians).

    Includes both end points.  Consecutive points are close enough that the
    sagitta of each chord, ``r·(1 - cos(step/2))``, is at most ``tol``.
    """
    n = max(1, math.ceil(abs(sweep) / _max_step(radius, tol) - 1e-9))
    t = start + sweep * np.arange(n + 1) / n
    cx, cy = center[0], center[1]
    return np.column_stack([cx + radius * np.cos(t), cy + radius * np.sin(t)])


def bulge_points(p1: Sequence[float], p2: Sequence[float], bulge: float,
                 tol: float = DEFAULT_MAX_CHORD_ERROR) -> np.ndarray:
    """Points of a polyline segment with a bulge, from ``p1`` to ``p2`` inclusive.

    bulge = tan(θ/4), θ the included angle, positive counter-clockwise.
    """
    x1, y1 = float(p1[0]), float(p1[1])
    x2, y2 = float(p2[0]), float(p2[1])
    dx, dy = x2 - x1, y2 - y1
    chord = math.hypot(dx, dy)
    if abs(bulge) < 1e-12 or chord == 0.0:
        return np.array([[x1, y1], [x2, y2]])
    theta = 4.0 * math.atan(bulge)
    radius = chord / (2.0 * math.sin(abs(theta) / 2.0))
    # centre: from the chord midpoint along the left normal (CCW) or right normal (CW)
    mx, my = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    nx, ny = -dy / chord, dx / chord
    h = (1.0 if theta > 0 else -1.0) * radius * math.cos(abs(theta) / 2.0)
    cx, cy = mx + nx * h, my + ny * h
    start = math.atan2(y1 - cy, x1 - cx)
    pts = arc_points((cx, cy), radius, start, theta, tol)
    pts[0] = (x1, y1)
    pts[-1] = (x2, y2)
    return pts


def polyline_points(vertices: Sequence[Sequence[float]], closed: bool,
                    tol: float = DEFAULT_MAX_CHORD_ERROR) -> np.ndarray:
    """Densify ``(x, y, bulge)`` vertices; a closed polyline ends on its first point."""
    vs = [(float(v[0]), float(v[1]), float(v[2]) if len(v) > 2 else 0.0) for v in vertices]
    if not vs:
        return np.empty((0, 2))
    if all(abs(v[2]) < 1e-12 for v in vs):  # fast path: straight segments only
        pts = np.array([v[:2] for v in vs], dtype=float)
        if closed and len(pts) > 1 and not np.allclose(pts[-1], pts[0], atol=CLOSE_TOL, rtol=0):
            pts = np.vstack([pts, pts[:1]])
        return pts
    out = [np.array([[vs[0][0], vs[0][1]]])]
    n = len(vs)
    last = n if closed else n - 1
    for i in range(last):
        a, b = vs[i], vs[(i + 1) % n]
        seg = bulge_points(a[:2], b[:2], a[2], tol)
        out.append(seg[1:])
    pts = np.vstack(out)
    if closed and len(pts) > 1 and not np.allclose(pts[-1], pts[0], atol=CLOSE_TOL, rtol=0):
        pts = np.vstack([pts, pts[:1]])
    return pts


def _to_wcs(ocs: OCS, pts: np.ndarray, elevation: float = 0.0) -> np.ndarray:
    if not ocs.transform or len(pts) == 0:
        return pts
    return np.array([tuple(ocs.to_wcs(Vec3(x, y, elevation)))[:2] for x, y in pts])


def _vec2(points: Iterable[Vec3]) -> np.ndarray:
    return np.array([(p.x, p.y) for p in points], dtype=float)


def _is_closed(pts: np.ndarray) -> bool:
    return len(pts) > 2 and bool(np.allclose(pts[0], pts[-1], atol=CLOSE_TOL, rtol=0))


# --------------------------------------------------------------------------- hatch


def _chain(segments: list[np.ndarray]) -> np.ndarray:
    """Join edge point lists into one ring, reversing edges where needed."""
    segs = [s for s in segments if len(s)]
    if not segs:
        return np.empty((0, 2))
    loop = segs[0]
    for seg in segs[1:]:
        if np.allclose(loop[-1], seg[0], atol=1e-6, rtol=0):
            loop = np.vstack([loop, seg[1:]])
        elif np.allclose(loop[-1], seg[-1], atol=1e-6, rtol=0):
            loop = np.vstack([loop, seg[::-1][1:]])
        elif np.allclose(loop[0], seg[-1], atol=1e-6, rtol=0):
            loop = np.vstack([seg[:-1], loop])
        elif np.allclose(loop[0], seg[0], atol=1e-6, rtol=0):
            loop = np.vstack([seg[::-1][:-1], loop])
        else:
            loop = np.vstack([loop, seg])
    if not np.allclose(loop[0], loop[-1], atol=1e-6, rtol=0):
        loop = np.vstack([loop, loop[:1]])
    else:
        loop[-1] = loop[0]
    return loop


def _hatch_rings(hatch, tol: float) -> list[np.ndarray]:
    from ezdxf.entities.boundary_paths import (
        ArcEdge, EdgePath, EllipseEdge, LineEdge, PolylinePath, SplineEdge,
    )
    from ezdxf.math import fit_points_to_cad_cv

    ocs = hatch.ocs()
    elevation = float(hatch.dxf.elevation.z) if hatch.dxf.hasattr("elevation") else 0.0
    rings = []
    for path in hatch.paths:
        if isinstance(path, PolylinePath):
            pts = polyline_points(path.vertices, closed=True, tol=tol)
        elif isinstance(path, EdgePath):
            segs = []
            for edge in path.edges:
                if isinstance(edge, LineEdge):
                    segs.append(np.array([tuple(edge.start)[:2], tuple(edge.end)[:2]], dtype=float))
                elif isinstance(edge, ArcEdge):
                    if edge.radius <= 0:
                        continue
                    # ezdxf stores arc edge angles counter-clockwise (it converts cw edges on load)
                    sweep = (edge.end_angle - edge.start_angle) % 360.0 or 360.0
                    segs.append(arc_points(tuple(edge.center)[:2], edge.radius,
                                           math.radians(edge.start_angle), math.radians(sweep), tol))
                elif isinstance(edge, EllipseEdge):
                    segs.append(_vec2(edge.construction_tool().flattening(tol)))
                elif isinstance(edge, SplineEdge):
                    if edge.control_points:
                        spline = edge.construction_tool()
                    elif edge.fit_points:
                        tangents = None
                        if edge.start_tangent and edge.end_tangent:
                            tangents = (Vec3(edge.start_tangent), Vec3(edge.end_tangent))
                        spline = fit_points_to_cad_cv([Vec3(p) for p in edge.fit_points], tangents=tangents)
                    else:
                        continue
                    segs.append(_vec2(spline.flattening(tol)))
            pts = _chain(segs)
        else:  # pragma: no cover - ezdxf has only these two
            continue
        if len(pts) >= 4:
            rings.append(_to_wcs(ocs, pts, elevation))
    return rings


# --------------------------------------------------------------------------- entities


def _shapes(e, tol: float) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """``(closed_rings, open_lines)`` of an entity in WCS x/y, or None if not a shape."""
    t = e.dxftype()
    if t == "LWPOLYLINE":
        pts = polyline_points(list(e.get_points("xyb")), closed=bool(e.closed), tol=tol)
        pts = _to_wcs(e.ocs(), pts, float(e.dxf.elevation))
    elif t == "POLYLINE":
        if e.is_2d_polyline:
            verts = [(v.dxf.location.x, v.dxf.location.y, v.dxf.bulge) for v in e.vertices]
            pts = polyline_points(verts, closed=e.is_closed, tol=tol)
            pts = _to_wcs(e.ocs(), pts, float(e.dxf.elevation.z))
        elif e.is_3d_polyline:
            pts = polyline_points([(v.dxf.location.x, v.dxf.location.y) for v in e.vertices],
                                  closed=e.is_closed, tol=tol)
        else:
            return None  # polyface / mesh
    elif t == "LINE":
        pts = np.array([tuple(e.dxf.start)[:2], tuple(e.dxf.end)[:2]], dtype=float)
        return [], [pts]
    elif t == "ARC":
        sweep = (e.dxf.end_angle - e.dxf.start_angle) % 360.0 or 360.0
        pts = arc_points(tuple(e.dxf.center)[:2], e.dxf.radius, math.radians(e.dxf.start_angle),
                         math.radians(sweep), tol)
        pts = _to_wcs(e.ocs(), pts, float(e.dxf.center.z))
        return [], [pts]
    elif t == "CIRCLE":
        pts = arc_points(tuple(e.dxf.center)[:2], e.dxf.radius, 0.0, 2 * math.pi, tol)
        pts[-1] = pts[0]
        return [_to_wcs(e.ocs(), pts, float(e.dxf.center.z))], []
    elif t in ("ELLIPSE", "SPLINE"):
        pts = _vec2(e.construction_tool().flattening(tol))
        if t == "SPLINE" and e.closed and not _is_closed(pts):
            pts = np.vstack([pts, pts[:1]])
    elif t in ("HATCH", "MPOLYGON"):
        return _hatch_rings(e, tol), []
    else:
        return None
    if len(pts) < 2:
        return [], []
    if _is_closed(pts):
        pts[-1] = pts[0]
        return [pts], []
    return [], [pts]


def is_dwg(path: str | Path) -> bool:
    """True for a DWG drawing: by its ``AC1xxx`` magic or its ``.dwg`` suffix."""
    path = Path(path)
    if path.suffix.lower() == ".dwg":
        return True
    try:
        with open(path, "rb") as fp:
            head = fp.read(6)
    except OSError:
        return False
    return bool(re.fullmatch(rb"AC1\d{3}|AC[12]\.\d{2}", head))


def _gbk_behind_a_western_code_page(path: Path) -> bool:
    """A drawing of R2004 or older that declares ANSI_1252 (or nothing) but whose text is GBK."""
    from ezdxf.filemanagement import dxf_file_info

    try:
        info = dxf_file_info(str(path))
    except Exception:  # a broken header: the full read says what is wrong
        return False
    if info.version >= "AC1021" or info.encoding != "cp1252":
        return False
    raw = path.read_bytes()
    if raw.isascii():
        return False
    try:
        return has_cjk(raw.decode("gbk"))
    except UnicodeDecodeError:
        return False


def _load(path: Path, encoding: str | None, meta: SourceMeta) -> Any:
    if not path.exists():
        raise InputFormatError("file not found", path=path, hint="check the path")
    if is_dwg(path):
        raise UnsupportedFileError("this is a DWG drawing, which shgeo cannot read", path=path,
                                   hint="open it in CAD and save it as DXF (另存为 DXF, R2000 or newer)")
    try:
        binary = is_binary_dxf_file(str(path))
        text = not binary and is_dxf_file(str(path))
    except Exception:  # ezdxf's validators read the first tags: junk may break them
        binary = text = False
    if not binary and not text:
        raise UnsupportedFileError("not a DXF file", path=path, hint="export the drawing from CAD as DXF")
    if encoding is None and not binary and _gbk_behind_a_western_code_page(path):
        encoding = "gbk"
        meta.note("the drawing declares code page ANSI_1252 (or none) but its text is GBK; read as GBK (ANSI_936)")
    try:
        doc = ezdxf.readfile(str(path), encoding=encoding)
    except Exception as exc:  # ezdxf raises DXF, value, index, lookup … errors and StopIteration for broken files
        from ezdxf import recover

        try:
            doc, auditor = recover.readfile(str(path))
        except Exception:  # recover is the last resort: whatever it raises, the drawing is broken
            raise InputFormatError(f"the DXF structure is broken ({exc})", path=path,
                                   hint="re-export the drawing from CAD") from None
        meta.note(f"the DXF needed repairs to load ({len(auditor.fixes)} fixes)")
    meta.encoding = "UTF-8" if doc.dxfversion >= "AC1021" else encoding_label(doc.encoding, path.read_bytes())
    meta.header["$ACADVER"] = _printable(str(doc.dxfversion))
    meta.header["$DWGCODEPAGE"] = _printable(str(doc.header.get("$DWGCODEPAGE", "")))
    try:
        units = int(doc.header.get("$INSUNITS", 0) or 0)
    except (TypeError, ValueError):
        units = 0
    meta.header["$INSUNITS"] = _INSUNITS.get(units, str(units))
    if units not in (0, 6):
        meta.note(f"the drawing's units are {_INSUNITS.get(units, units)}; its coordinates were read as metres")
    return doc


def _printable(text: str) -> str:
    """Text from the drawing with undecodable bytes (lone surrogates) shown as escapes: it can be printed."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _layer_name(e: Any) -> str:
    """The entity's layer name, ``\\U+nnnn`` escapes decoded."""
    return _printable(ezdxf.decode_dxf_unicode(e.dxf.layer) if e.dxf.hasattr("layer") else "0")


def list_dxf_layers(path: str | Path, *, encoding: str | None = None) -> dict[str, dict[str, int]]:
    """Layers of the drawing's model space and how many entities of each type they hold."""
    path = Path(path)
    doc = _load(path, encoding, SourceMeta(path=path, format=FORMAT_DXF))
    out: dict[str, Counter] = defaultdict(Counter)
    for layer in doc.layers:
        out[_printable(ezdxf.decode_dxf_unicode(layer.dxf.name))]
    for e in doc.modelspace():
        out[_layer_name(e)][e.dxftype()] += 1
    return {k: dict(v) for k, v in out.items()}


def _selected_layers(doc: Any, layers: str | Iterable[str] | None, path: Path) -> set[str] | None:
    if layers is None:
        return None
    names = [layers] if isinstance(layers, str) else list(layers)
    present = {_printable(ezdxf.decode_dxf_unicode(layer.dxf.name)).casefold():
               _printable(ezdxf.decode_dxf_unicode(layer.dxf.name)) for layer in doc.layers}
    present.update({_layer_name(e).casefold(): _layer_name(e) for e in doc.modelspace()})
    missing = [n for n in names if n.casefold() not in present]
    if missing:
        raise InputFormatError(f"no layer named {', '.join(repr(m) for m in missing)}", path=path,
                               hint=f"layers in the drawing: {', '.join(sorted(present.values()))}")
    return {n.casefold() for n in names}


def _entity_label(e: Any) -> str:
    return f"{e.dxftype()} #{e.dxf.handle}"


def _collect(doc: Any, wanted: set[str] | None, tol: float, path: Path, meta: SourceMeta
             ) -> tuple[dict[str, list[tuple[np.ndarray, Any]]], list[tuple[str, np.ndarray, Any]]]:
    closed: dict[str, list[tuple[np.ndarray, Any]]] = defaultdict(list)
    open_shapes: list[tuple[str, np.ndarray, Any]] = []
    skipped: Counter = Counter()
    for e in doc.modelspace():
        layer = _layer_name(e)
        if wanted is not None and layer.casefold() not in wanted:
            continue
        try:
            shapes = _shapes(e, tol)
        except ShgeoError:
            raise
        except Exception as exc:  # a malformed entity: ezdxf and numpy raise many kinds
            raise InputFormatError(f"cannot read this entity ({type(exc).__name__}: {exc})", path=path,
                                   layer=layer, feature=_entity_label(e), feature_kind="entity",
                                   hint="redraw it or re-export the drawing") from None
        if shapes is None:
            skipped[e.dxftype()] += 1
            continue
        rings, lines = shapes
        for r in rings:
            if np.isfinite(r).all():
                closed[layer].append((r, e))
        for ln in lines:
            if len(ln) >= 2 and np.isfinite(ln).all() and float(np.ptp(ln, axis=0).max()) > 0:
                open_shapes.append((layer, ln, e))
    if skipped:
        meta.note("entities that are not boundaries were skipped: "
                  + ", ".join(f"{k}×{v}" for k, v in sorted(skipped.items())))
    return closed, open_shapes


def read_dxf(path: str | Path, *, crs: object = None, layers: str | Iterable[str] | None = None,
             max_chord_error: float = DEFAULT_MAX_CHORD_ERROR, encoding: str | None = None) -> ReadResult:
    """Read polygons and lines from a DXF drawing's model space (metres, in the drawing's CRS).

    *layers* selects layers by name (case-insensitive): everything on them is
    read, closed shapes as polygons and open ones as lines.  Without
    *layers*, the closed shapes of every layer are read (open lines only when
    the drawing has no closed shape at all), and the notes list the layers
    used.  *crs* is required unless the eastings carry a zone prefix;
    *encoding* overrides the code page of DXF R2004 and older.

    Returns ``(frame, meta)``: one row per polygon (shell and holes) or line,
    ``parcel_id`` the shell entity's handle, with columns ``layer``,
    ``entity_type``, ``handles`` (every entity used) and ``holes``.
    """
    path = Path(path)
    if not max_chord_error > 0:
        raise ValueError("max_chord_error must be positive")
    meta = SourceMeta(path=path, format=FORMAT_DXF)
    doc = _load(path, encoding, meta)
    wanted = _selected_layers(doc, layers, path)
    closed_by_layer, open_shapes = _collect(doc, wanted, max_chord_error, path, meta)
    if wanted is None and closed_by_layer and open_shapes:
        unused = sorted({layer for layer, _, _ in open_shapes})
        meta.note(f"{len(open_shapes)} open line(s) on layer(s) {', '.join(unused)} were not read: without a "
                  "layer named, only closed shapes are (name the layers to read lines too)")
        open_shapes = []
    used = sorted(set(closed_by_layer) | {layer for layer, _, _ in open_shapes})
    if wanted is None and used:
        text = (f"no layer named: read every layer with boundaries ({', '.join(used)}); name the project's layer "
                "if the drawing holds others (frames, buildings, grids)")
        meta.note(text)
        log.warning("%s: %s", path, text)

    all_pts = [r for rs in closed_by_layer.values() for r, _ in rs] + [ln for _, ln, _ in open_shapes]
    owners = [e for rs in closed_by_layer.values() for _, e in rs] + [e for _, _, e in open_shapes]
    if not all_pts:
        raise InputFormatError("no polylines, circles, hatches or lines on the layers read", path=path,
                               hint="check the layer names (shgeo.inputs.dxf.list_dxf_layers shows what each "
                               "layer holds)")
    stacked = np.vstack(all_pts)
    owner_of_vertex = np.concatenate([[i] * len(p) for i, p in enumerate(all_pts)]).tolist()
    try:
        swapped = gk.classify_axes(stacked[:, 1], stacked[:, 0], lines=owner_of_vertex, path=path,
                                   names=("drawing y", "drawing x"))
    except ShgeoError as err:
        raise _locate_entity(err, owners) from None
    meta.axes_swapped = swapped
    if swapped:
        meta.note("the drawing's x holds the northings and y the eastings; swapped")

    def en(pts: np.ndarray) -> np.ndarray:
        return pts[:, ::-1].copy() if swapped else pts

    try:
        res = resolve_crs(en(stacked)[:, 0], user_crs=crs, path=path, lines=owner_of_vertex)
    except ShgeoError as err:
        raise _locate_entity(err, owners) from None
    apply_resolution(meta, res)

    records = []
    for layer, items in closed_by_layer.items():
        rings = [Ring(en(pts), _entity_label(e), None, e) for pts, e in items]
        notes: list[str] = []
        polys = assemble_polygons(rings, path=path, layer=layer, feature_kind="entity", allow_overlap=True,
                                  notes=notes)
        for n in notes:
            meta.note(f"layer {layer!r}: {n}")
        for poly, members in polys:
            shell = members[0].ident
            records.append({
                "parcel_id": shell.dxf.handle, "parcel_name": None, "declared_area_ha": math.nan,
                "kind": "polygon", "first_line": None, "last_line": None, "layer": layer,
                "entity_type": shell.dxftype(), "handles": ",".join(m.ident.dxf.handle for m in members),
                "holes": len(members) - 1, "geometry": poly,
            })
    for layer, pts, e in open_shapes:
        records.append({
            "parcel_id": e.dxf.handle, "parcel_name": None, "declared_area_ha": math.nan, "kind": "line",
            "first_line": None, "last_line": None, "layer": layer, "entity_type": e.dxftype(),
            "handles": e.dxf.handle, "holes": 0, "geometry": LineString(en(pts)),
        })
    return ReadResult(make_frame(records, meta.crs, EXTRA_COLUMNS), meta)


def _locate_entity(err: ShgeoError, owners: list[Any]) -> ShgeoError:
    """Replace the vertex owner index the CRS checks put in ``err.line`` by the entity and its layer."""
    line = getattr(err, "line", None)
    if line is None:
        return err
    e = owners[line]
    return type(err)(err.reason, path=err.path, layer=_layer_name(e), feature=_entity_label(e),
                     feature_kind="entity", hint=err.hint)
