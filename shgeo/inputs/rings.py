"""Rings into polygons: holes and parts decided by nesting (even-odd), as CAD hatches and surveyors mean them.

Writers of the exchange txt number every ring of a parcel 1, 2, 3 … whether
it is a hole or another part, and a DXF drawing has only closed shapes; so
which ring is a hole is decided by geometry.  A ring inside an odd number of
the other rings is a hole of the smallest even-depth ring around it; a ring
inside an even number (0, 2 …) is the shell of a polygon of its own (an
island in a hole is a part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from ..errors import InputFormatError

__all__ = ["Ring", "assemble_polygons", "polygons_to_geometry"]


@dataclass
class Ring:
    """One closed ring as read from a source, in (easting, northing) order."""

    coords: np.ndarray  #: (n, 2), first == last
    label: str  #: how messages name it: "圈号 2", "LWPOLYLINE #2F"
    line: int | None = None  #: its first source line
    ident: Any = None  #: 圈号, DXF entity …


def assemble_polygons(rings: Sequence[Ring], *, path: str | Path | None = None, feature: object = None,
                      feature_kind: str = "parcel", layer: str | None = None, allow_overlap: bool = False,
                      notes: list[str] | None = None) -> list[tuple[Polygon, list[Ring]]]:
    """Turn rings into polygons by even-odd nesting.

    Rings that partly overlap, and identical rings, are an error naming the
    ring and its line, unless *allow_overlap* (DXF: overlapping shapes stay
    separate polygons, an identical one — a hatch over its boundary — is kept
    once with a note in *notes*).

    Returns ``[(polygon, [shell_ring, *hole_rings]), …]`` in the order of the
    shells in *rings*; polygons are oriented (shell counter-clockwise).
    """
    notes = notes if notes is not None else []

    def fail(msg: str, ring: Ring | None, hint: str | None = None) -> InputFormatError:
        feat = feature if feature is not None else (ring.label if ring else None)
        return InputFormatError(msg, path=path, feature=feat, feature_kind=feature_kind, layer=layer,
                                line=ring.line if ring else None, hint=hint)

    polys: list[Polygon] = []
    for ring in rings:
        poly = Polygon(ring.coords)
        reason = shapely.is_valid_reason(poly)
        if reason != "Valid Geometry":
            raise fail(f"{ring.label} is not a simple ring: {reason}", ring,
                       "a boundary ring must not cross or touch itself")
        if poly.area <= 0.0:
            raise fail(f"{ring.label} has zero area", ring)
        polys.append(poly)

    # containment pairs (i within j) in one bulk query; i within j and j within i: identical rings
    tree = shapely.STRtree(polys)
    inside, outside = tree.query(polys, predicate="within")
    within: dict[int, set[int]] = {i: set() for i in range(len(polys))}
    for i, j in zip(inside.tolist(), outside.tolist()):
        if i != j:
            within[i].add(j)
    dropped: set[int] = set()
    for i in range(len(polys)):
        if i in dropped:
            continue
        for j in sorted(within[i]):
            if j > i and i in within[j] and j not in dropped:
                if not allow_overlap:
                    raise fail(f"{rings[j].label} repeats {rings[i].label}", rings[j])
                dropped.add(j)
                notes.append(f"{rings[j].label} duplicates {rings[i].label}; kept once")
    if not allow_overlap:
        a, b = tree.query(polys, predicate="overlaps")
        for i, j in zip(a.tolist(), b.tolist()):
            if i < j:
                raise fail(f"{rings[i].label} and {rings[j].label} overlap without one containing the other",
                           rings[j], "rings of a parcel must be nested (holes) or apart (parts)")
    keep = [i for i in range(len(polys)) if i not in dropped]

    containers: dict[int, list[int]] = {}
    for i in keep:
        containers[i] = sorted((j for j in within[i] if j not in dropped), key=lambda j: -polys[j].area)
    depth = {i: len(containers[i]) for i in keep}
    shells = [i for i in keep if depth[i] % 2 == 0]
    holes_of: dict[int, list[int]] = {i: [] for i in shells}
    for i in keep:
        if depth[i] % 2 == 1:
            parent = [j for j in containers[i] if depth[j] % 2 == 0][-1]  # the smallest even-depth ring around it
            holes_of[parent].append(i)

    out: list[tuple[Polygon, list[Ring]]] = []
    for s in shells:
        holes = holes_of[s]
        poly = Polygon(polys[s].exterior, [polys[h].exterior for h in holes])
        reason = shapely.is_valid_reason(poly)
        if reason != "Valid Geometry":
            labels = ", ".join(rings[h].label for h in holes)
            raise fail(f"{rings[s].label} with hole(s) {labels} is not a valid polygon: {reason}", rings[s],
                       "holes must lie strictly inside the outer ring and not overlap each other "
                       "(touching at single points is allowed)")
        out.append((shapely.orient_polygons(poly), [rings[s]] + [rings[h] for h in holes]))
    return out


def polygons_to_geometry(polys: Sequence[Polygon], *, path: str | Path | None = None, feature: object = None,
                         line: int | None = None) -> Polygon | MultiPolygon:
    """One polygon, or a valid MultiPolygon of several parts (parts sharing an edge are an error)."""
    if len(polys) == 1:
        return polys[0]
    multi = MultiPolygon(list(polys))
    reason = shapely.is_valid_reason(multi)
    if reason != "Valid Geometry":
        raise InputFormatError(f"the parts of the parcel do not form a valid multipolygon: {reason}", path=path,
                               feature=feature, feature_kind="parcel", line=line,
                               hint="separate parts may touch at points but not share an edge")
    return multi
