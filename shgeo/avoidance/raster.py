"""Constraint raster: the library's layers burnt onto a grid in the working CRS.

One band of **constraint classes** (``uint8``) and a **cost surface** derived
from it, for least-cost routing of linear works (:mod:`shgeo.avoidance`).

Class table
-----------
Where classes overlap, the class with the higher *precedence* wins (a cell in
a core zone that also lies in the red line is ``core_zone``).

=====  ===================  ==========================  ==========  ============
value  name                 source kind                 precedence  default cost
=====  ===================  ==========================  ==========  ============
0      ``clear``            —                           0           1
1      ``near_miss``        within ``near_m`` of        1           2
                            redline / core_zone /
                            water_source_l1 /
                            protected_area
2      ``protected_area``   ``protected_area``          3           10
3      ``redline``          ``redline``                 4           100
4      ``water_source_l1``  ``water_source_l1``         5           impassable
5      ``core_zone``        ``core_zone``               6           impassable
6      ``sea``              ``sea``                     2           20
=====  ===================  ==========================  ==========  ============

Costs are per metre travelled, relative to clear land (1).  The two
impassable defaults follow the screening rules (:mod:`shgeo.rules`, where the
clauses are cited): human activity in a core protection zone is prohibited in
principle, and a level-1 water-source zone admits no new project unrelated to
water supply.  The other weights are modelling choices, not regulation: they
steer a route off the red line, out of protected areas and off the sea (which
needs its own sea-use approval) and keep it a little away from boundaries
(the near-miss band), and
every one of them can be changed (``costs={"sea": 5, ...}``).  The red line
is finite by default so that, where no avoiding route exists, the
least-cost route crossing it the least can still be drawn; the avoidance
verdict treats it as impassable whatever its cost.

Rasterisation
-------------
Cells take the class of the polygon covering their centre (GDAL's default
rule), or of any polygon touching them with ``all_touched=True`` (what
routing uses, so that a route through clear cells never enters a zone).
The grid is aligned to multiples of the cell size in :data:`~shgeo.crs.WORKING_CRS`.
Large extents are processed window by window (``block_size`` cells square):
only the features meeting a window are clipped to it and burnt, so memory
stays at one window whatever the extent.

Output
------
A tiled (512 × 512), DEFLATE-compressed GeoTIFF in Cloud-Optimised layout
(GDAL's COG driver, or GTiff with ``COPY_SRC_OVERVIEWS`` when the GDAL build
lacks it), with nearest-neighbour overviews, a colour table, and the class
table in the dataset tags (``CLASS_TABLE`` as JSON, ``CLASS_<value>`` one per
class, ``COSTS``).  The cost surface can be written alongside as ``float32``
(impassable = ``-1``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyproj
import rasterio
import rasterio.features
import rasterio.shutil
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.windows import Window

from .._version import __version__
from ..crs import GEOGRAPHIC_CRS, WORKING_CRS, check_in_shanghai, parse_crs
from ..errors import CRSError, ExtentError, LayerError, QueryError

__all__ = [
    "ConstraintClass",
    "CLASS_TABLE",
    "CLASSES",
    "CLEAR",
    "NEAR_MISS",
    "PROTECTED_AREA",
    "REDLINE",
    "WATER_SOURCE",
    "CORE_ZONE",
    "SEA",
    "RASTER_KINDS",
    "IMPASSABLE_FILE_VALUE",
    "Grid",
    "ConstraintRaster",
    "class_table",
    "resolve_costs",
    "cost_from_classes",
    "grid_for_bounds",
    "rasterise_classes",
    "build_constraint_raster",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConstraintClass:
    """One class of the constraint raster."""

    value: int
    name: str
    label_zh: str
    #: the library kind whose polygons make the class (None: derived)
    kind: str | None
    #: higher wins where classes overlap
    precedence: int
    #: cost per metre relative to clear land; ``math.inf`` = impassable
    default_cost: float
    #: why the default cost is what it is (clause, or "modelling choice")
    basis: str
    colour: tuple[int, int, int]


CLEAR: Final = 0
NEAR_MISS: Final = 1
PROTECTED_AREA: Final = 2
REDLINE: Final = 3
WATER_SOURCE: Final = 4
CORE_ZONE: Final = 5
SEA: Final = 6

#: The class table (by value).  See the module docstring for the reasoning.
CLASS_TABLE: Final[tuple[ConstraintClass, ...]] = (
    ConstraintClass(CLEAR, "clear", "无约束", None, 0, 1.0, "reference cost (clear land)", (245, 245, 240)),
    ConstraintClass(NEAR_MISS, "near_miss", "约束区邻近缓冲带", None, 1, 2.0,
                    "modelling choice: keeps routes off uncertain zone boundaries", (255, 230, 150)),
    ConstraintClass(PROTECTED_AREA, "protected_area", "自然保护地", "protected_area", 3, 10.0,
                    "modelling choice: a protected area adds a consultation to the route (see shgeo.rules)",
                    (120, 190, 90)),
    ConstraintClass(REDLINE, "redline", "生态保护红线", "redline", 4, 100.0,
                    "modelling choice; finite so a least-crossing route exists — the avoidance "
                    "verdict treats the red line as impassable", (220, 40, 40)),
    ConstraintClass(WATER_SOURCE, "water_source_l1", "饮用水水源一级保护区", "water_source_l1", 5, math.inf,
                    "no new project unrelated to water supply (screening rules, shgeo.rules.groundwater)", (40, 110, 220)),
    ConstraintClass(CORE_ZONE, "core_zone", "自然保护地核心保护区", "core_zone", 6, math.inf,
                    "human activity prohibited in principle (screening rules, shgeo.rules.redline)", (110, 20, 120)),
    ConstraintClass(SEA, "sea", "海域", "sea", 2, 20.0,
                    "modelling choice: building at sea needs its own sea-use approval", (170, 215, 240)),
)

#: class name -> class
CLASSES: Final[dict[str, ConstraintClass]] = {c.name: c for c in CLASS_TABLE}

#: library kinds the raster is made from; each must be in the library unless the caller opts out
RASTER_KINDS: Final = tuple(c.kind for c in sorted(CLASS_TABLE, key=lambda c: c.precedence) if c.kind)

#: kinds whose polygons get the near-miss band around them
_NEAR_KINDS: Final = ("redline", "core_zone", "water_source_l1", "protected_area")

#: how impassable cells are stored in a written cost surface (float32)
IMPASSABLE_FILE_VALUE: Final = -1.0

_BLOCK: Final = 512
_GDAL_CACHE_MB: Final = 128
_PAD_CELLS: Final = 2  # features are clipped to a window widened by this many cells


def class_table() -> list[dict[str, Any]]:
    """The class table as JSON-ready dicts (costs: number, or ``"impassable"``)."""
    return [
        {
            "value": c.value,
            "name": c.name,
            "label_zh": c.label_zh,
            "kind": c.kind,
            "precedence": c.precedence,
            "default_cost": _json_cost(c.default_cost),
            "basis": c.basis,
        }
        for c in CLASS_TABLE
    ]


def _json_cost(value: float) -> float | str:
    return "impassable" if math.isinf(value) else value


# --------------------------------------------------------------------------- costs


def resolve_costs(costs: Mapping[str, float | str | None] | None = None) -> dict[str, float]:
    """Merge *costs* over the defaults; return class name -> cost per metre (``inf`` = impassable).

    Values are positive numbers, or ``None`` / ``"impassable"`` / ``math.inf``
    for a barrier.  An unknown class name or a bad value raises
    :class:`~shgeo.errors.QueryError` naming the key and the valid choices.
    """
    resolved = {c.name: c.default_cost for c in CLASS_TABLE}
    for name, value in (costs or {}).items():
        if name not in CLASSES:
            raise QueryError(f"unknown constraint class; valid classes: {', '.join(CLASSES)}",
                             key=f"costs.{name}")
        resolved[name] = _parse_cost(value, key=f"costs.{name}")
    if math.isinf(resolved["clear"]):
        raise QueryError("clear land cannot be impassable", key="costs.clear")
    return resolved


def _parse_cost(value: object, *, key: str) -> float:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"impassable", "inf", "none"}):
        return math.inf
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise QueryError(f"cost {value!r} is not a number; give a positive number or 'impassable'",
                         key=key) from None
    if not number > 0:
        raise QueryError(f"cost {value!r} must be positive (or 'impassable')", key=key)
    return number


def cost_from_classes(classes: np.ndarray, costs: Mapping[str, float | str | None] | None = None) -> np.ndarray:
    """Cost per metre (``float64``, ``inf`` = impassable) for an array of class values."""
    resolved = resolve_costs(costs)
    lookup = np.full(256, np.inf)
    for c in CLASS_TABLE:
        lookup[c.value] = resolved[c.name]
    return lookup[classes]


# --------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class Grid:
    """A north-up grid in the working CRS: top-left corner (m), cell size (m), shape."""

    west: float
    north: float
    res_m: float
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        return Affine(self.res_m, 0.0, self.west, 0.0, -self.res_m, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in metres, working CRS."""
        return (self.west, self.north - self.height * self.res_m, self.west + self.width * self.res_m, self.north)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    def window_bounds(self, window: Window) -> tuple[float, float, float, float]:
        west = self.west + window.col_off * self.res_m
        north = self.north - window.row_off * self.res_m
        return (west, north - window.height * self.res_m, west + window.width * self.res_m, north)

    def windows(self, block_size: int) -> Iterator[Window]:
        """Square windows of *block_size* cells covering the grid, row by row."""
        for row in range(0, self.height, block_size):
            for col in range(0, self.width, block_size):
                yield Window(col, row, min(block_size, self.width - col), min(block_size, self.height - row))


def grid_for_bounds(
    bounds: tuple[float, float, float, float],
    res_m: float = 20.0,
    *,
    bounds_crs: object = None,
) -> Grid:
    """The grid of *res_m* cells covering *bounds* (W, S, E, N), snapped outwards to multiples of *res_m*.

    *bounds* are in *bounds_crs* (default: the working CRS, metres); they are
    transformed to the working CRS and must fall in Shanghai
    (:class:`~shgeo.errors.ExtentError` otherwise).
    """
    if not (isinstance(res_m, (int, float)) and math.isfinite(res_m) and res_m > 0):
        raise QueryError(f"cell size {res_m!r} must be a positive number of metres", key="res_m")
    try:
        west, south, east, north = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ExtentError(f"bounds {bounds!r} must be four numbers west, south, east, north",
                          hint="e.g. 121.2,31.0,121.4,31.2 with bounds CRS EPSG:4490") from None
    if not (west < east and south < north):
        raise ExtentError(f"bounds {bounds!r} are empty or inverted: need west < east and south < north",
                          hint="give them in the order W,S,E,N")
    crs = WORKING_CRS if bounds_crs is None else parse_crs(bounds_crs)
    if isinstance(crs, str):
        raise CRSError(f"bounds cannot be given in {crs} web-map coordinates",
                       hint="give them in EPSG:4490/4326 or a projected CRS")
    if not crs.equals(WORKING_CRS):
        to_working = pyproj.Transformer.from_crs(crs, WORKING_CRS, always_xy=True)
        west, south, east, north = to_working.transform_bounds(west, south, east, north, densify_pts=21)
    to_geo = pyproj.Transformer.from_crs(WORKING_CRS, GEOGRAPHIC_CRS, always_xy=True)
    lon, lat = to_geo.transform([west, east, east, west], [south, south, north, north])
    check_in_shanghai(np.asarray(lon), np.asarray(lat), source_crs=crs if crs.is_projected else None)
    w = math.floor(west / res_m) * res_m
    s = math.floor(south / res_m) * res_m
    e = math.ceil(east / res_m) * res_m
    n = math.ceil(north / res_m) * res_m
    return Grid(west=w, north=n, res_m=float(res_m), width=round((e - w) / res_m), height=round((n - s) / res_m))


# --------------------------------------------------------------------------- burning


class _Sources:
    """The library's polygons per class, with a spatial index, ready to be cut into windows."""

    def __init__(self, library: Any, optional_kinds: Iterable[str] = ()) -> None:
        optional = set(optional_kinds)
        unknown = optional - set(RASTER_KINDS)
        if unknown:
            raise QueryError(f"{', '.join(sorted(unknown))} is not a raster layer kind; "
                             f"valid: {', '.join(RASTER_KINDS)}", key="optional_kinds")
        self.missing: list[str] = []
        self.geoms: dict[str, np.ndarray] = {}
        self.trees: dict[str, shapely.STRtree] = {}
        for kind in RASTER_KINDS:
            if not library.has(kind):
                if kind in optional:
                    self.missing.append(kind)
                    log.warning("constraint raster made without the %s layer (allowed by the caller)", kind)
                    continue
                raise LayerError(
                    "the library has no layer of this kind, which the constraint raster needs",
                    kind=kind,
                    path=getattr(library, "manifest_path", None),
                    hint=f"add a [[layers]] entry with kind = {kind!r} to the manifest, or accept "
                    f"the gap explicitly (optional_kinds / --allow-missing {kind})",
                )
            gdf = library.layer(kind)
            if gdf.crs is not None and not gdf.crs.equals(WORKING_CRS):
                raise CRSError(f"layer {kind!r} is not in the working CRS", layer=kind,
                               hint="LayerLibrary layers must be reprojected to shgeo.crs.WORKING_CRS")
            geoms = np.asarray(gdf.geometry.values, dtype=object)
            geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            self.geoms[kind] = geoms
            self.trees[kind] = shapely.STRtree(geoms)

    def _cut(self, kind: str, box: tuple[float, float, float, float]) -> np.ndarray:
        tree = self.trees.get(kind)
        if tree is None:
            return np.empty(0, dtype=object)
        hits = tree.query(shapely.box(*box))
        if hits.size == 0:
            return np.empty(0, dtype=object)
        pieces = shapely.clip_by_rect(self.geoms[kind][hits], *box)
        return pieces[~shapely.is_empty(pieces)]

    def shapes(self, box: tuple[float, float, float, float], *, near_m: float, pad_m: float) -> list[tuple]:
        """(geometry, class value) pairs meeting *box*, lowest precedence first (later ones win)."""
        west, south, east, north = box
        padded = (west - pad_m, south - pad_m, east + pad_m, north + pad_m)
        by_value: dict[int, list] = {}
        if near_m > 0:
            wide = (padded[0] - near_m, padded[1] - near_m, padded[2] + near_m, padded[3] + near_m)
            near_parts = [self._cut(kind, wide) for kind in _NEAR_KINDS]
            near = np.concatenate(near_parts) if near_parts else np.empty(0, dtype=object)
            if near.size:
                by_value[NEAR_MISS] = list(shapely.buffer(near, near_m, quad_segs=8))
        for c in CLASS_TABLE:
            if c.kind:
                by_value[c.value] = list(self._cut(c.kind, padded))
        shapes: list[tuple] = []
        for c in sorted(CLASS_TABLE, key=lambda c: c.precedence):
            shapes.extend((g, c.value) for g in by_value.get(c.value, ()))
        return shapes


def _burn(sources: _Sources, grid: Grid, window: Window, *, near_m: float, all_touched: bool) -> np.ndarray:
    """Class values of one window of *grid*."""
    box = grid.window_bounds(window)
    shapes = sources.shapes(box, near_m=near_m, pad_m=_PAD_CELLS * grid.res_m)
    out_shape = (int(window.height), int(window.width))
    if not shapes:
        return np.full(out_shape, CLEAR, dtype=np.uint8)
    transform = Affine(grid.res_m, 0.0, box[0], 0.0, -grid.res_m, box[3])
    return rasterio.features.rasterize(
        shapes, out_shape=out_shape, transform=transform, fill=CLEAR, all_touched=all_touched, dtype="uint8"
    )


def rasterise_classes(
    library: Any,
    grid: Grid,
    *,
    near_m: float = 200.0,
    all_touched: bool = False,
    optional_kinds: Iterable[str] = (),
    block_size: int = 1024,
    max_cells: int = 200_000_000,
) -> np.ndarray:
    """Class values of the whole *grid* as one ``uint8`` array (burnt window by window).

    For extents too large to hold, use :func:`build_constraint_raster` with
    ``out=`` (it never holds more than one window); *max_cells* guards this.
    """
    _check_near(near_m)
    _check_cells(grid, max_cells)
    return _rasterise(_Sources(library, optional_kinds), grid, near_m=near_m, all_touched=all_touched,
                      block_size=block_size)


def _check_near(near_m: float) -> None:
    if not (isinstance(near_m, (int, float)) and math.isfinite(near_m) and near_m >= 0):
        raise QueryError(f"near-miss distance {near_m!r} must be a non-negative number of metres", key="near_m")


def _rasterise(sources: _Sources, grid: Grid, *, near_m: float, all_touched: bool, block_size: int) -> np.ndarray:
    classes = np.empty(grid.shape, dtype=np.uint8)
    for window in grid.windows(block_size):
        rows, cols = window.toslices()
        classes[rows, cols] = _burn(sources, grid, window, near_m=near_m, all_touched=all_touched)
    return classes


def _check_cells(grid: Grid, max_cells: int) -> None:
    cells = grid.width * grid.height
    if cells > max_cells:
        raise ExtentError(
            f"grid of {grid.width} × {grid.height} = {cells:,} cells at {grid.res_m:g} m exceeds the "
            f"in-memory limit of {max_cells:,} cells",
            hint="use a coarser cell size or smaller bounds, or write to a file (out=...) which is "
            "processed window by window",
        )


# --------------------------------------------------------------------------- writing


@dataclass
class ConstraintRaster:
    """What :func:`build_constraint_raster` made: the grid, and the classes in memory or on disk."""

    grid: Grid
    costs: dict[str, float]
    near_m: float
    all_touched: bool
    #: kinds the caller allowed to be absent and that were absent
    missing_kinds: list[str]
    #: cells per class name
    counts: dict[str, int]
    path: Path | None = None
    cost_path: Path | None = None
    driver: str | None = None
    #: class values (only when built in memory, ``out=None``)
    classes: np.ndarray | None = field(default=None, repr=False)

    @property
    def crs(self) -> pyproj.CRS:
        return WORKING_CRS

    @property
    def transform(self) -> Affine:
        return self.grid.transform

    def cost(self) -> np.ndarray:
        """Cost surface (``float64``, ``inf`` = impassable) of the in-memory classes."""
        if self.classes is None:
            raise ValueError("classes were written to a file; read them with rasterio and use cost_from_classes")
        return cost_from_classes(self.classes, self.costs)


def _tags(costs: dict[str, float], near_m: float, all_touched: bool, missing: list[str],
          is_sample: bool) -> dict[str, str]:
    tags = {
        "CLASS_TABLE": json.dumps(class_table(), ensure_ascii=False),
        "COSTS": json.dumps({k: _json_cost(v) for k, v in costs.items()}),
        "COST_UNIT": "cost per metre relative to clear land; impassable stored as -1 in cost rasters",
        "PRECEDENCE": "where classes overlap the higher precedence wins: "
        + " > ".join(c.name for c in sorted(CLASS_TABLE, key=lambda c: -c.precedence)),
        "NEAR_M": f"{near_m:g}",
        "ALL_TOUCHED": str(bool(all_touched)).upper(),
        "MISSING_KINDS": ",".join(missing),
        "SAMPLE_DATA": str(bool(is_sample)).upper(),
        "SOFTWARE": f"shgeo {__version__}",
    }
    if is_sample:
        tags["CAVEAT"] = "SAMPLE DATA — not for official screening"
    for c in CLASS_TABLE:
        tags[f"CLASS_{c.value}"] = f"{c.name} ({c.label_zh})"
    return tags


def _overview_factors(grid: Grid, block: int) -> list[int]:
    factors, f = [], 2
    while max(grid.width, grid.height) / f >= block / 2 and f <= 4096:
        factors.append(f)
        f *= 2
    return factors


def _has_cog_driver() -> bool:
    with rasterio.Env() as env:
        return "COG" in env.drivers()


def _finish(tmp: Path, out: Path) -> str:
    """Copy the tiled working file *tmp* into *out* in COG layout; return the driver used."""
    if _has_cog_driver():
        rasterio.shutil.copy(tmp, out, driver="COG", COMPRESS="DEFLATE",
                             BLOCKSIZE=_BLOCK, OVERVIEWS="FORCE_USE_EXISTING", BIGTIFF="IF_SAFER")
        return "COG"
    rasterio.shutil.copy(tmp, out, driver="GTiff", TILED="YES", BLOCKXSIZE=_BLOCK, BLOCKYSIZE=_BLOCK,
                         COMPRESS="DEFLATE", COPY_SRC_OVERVIEWS="YES", BIGTIFF="IF_SAFER")
    return "GTiff"


def build_constraint_raster(
    library: Any,
    bounds: tuple[float, float, float, float],
    res_m: float = 20.0,
    out: str | os.PathLike[str] | None = None,
    *,
    bounds_crs: object = None,
    near_m: float = 200.0,
    costs: Mapping[str, float | str | None] | None = None,
    cost_out: str | os.PathLike[str] | None = None,
    optional_kinds: Iterable[str] = (),
    all_touched: bool = False,
    block_size: int = 1024,
    max_cells_in_memory: int = 200_000_000,
) -> ConstraintRaster:
    """Rasterise *library* over *bounds* at *res_m* metres in the working CRS.

    *bounds* (W, S, E, N) are in *bounds_crs* (default: working CRS metres).
    With *out*, the class band is written as a Cloud-Optimised GeoTIFF (and
    with *cost_out*, the cost surface as ``float32``, impassable = -1),
    window by window; without, the classes are returned in memory
    (``result.classes``).  Every kind in :data:`RASTER_KINDS` must be in the
    library unless named in *optional_kinds* (fail closed).
    """
    _check_near(near_m)
    grid = grid_for_bounds(bounds, res_m, bounds_crs=bounds_crs)
    resolved = resolve_costs(costs)
    if out is None and cost_out is not None:
        raise QueryError("cost_out needs out (the class raster) as well", key="cost_out")
    if out is None:
        _check_cells(grid, max_cells_in_memory)
    sources = _Sources(library, optional_kinds)
    counts = np.zeros(256, dtype=np.int64)
    result = ConstraintRaster(grid=grid, costs=resolved, near_m=near_m, all_touched=all_touched,
                              missing_kinds=list(sources.missing), counts={})
    log.info("constraint raster: %d × %d cells at %g m (%s)", grid.width, grid.height, grid.res_m,
             "in memory" if out is None else out)

    if out is None:
        result.classes = _rasterise(sources, grid, near_m=near_m, all_touched=all_touched, block_size=block_size)
        counts += np.bincount(result.classes.ravel(), minlength=256)
    else:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if cost_out is not None:
            Path(cost_out).parent.mkdir(parents=True, exist_ok=True)
        tags = _tags(resolved, near_m, all_touched, sources.missing, bool(getattr(library, "is_sample", False)))
        lookup = np.full(256, IMPASSABLE_FILE_VALUE, dtype=np.float32)
        for c in CLASS_TABLE:
            if math.isfinite(resolved[c.name]):
                lookup[c.value] = resolved[c.name]
        profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=1, crs=WORKING_CRS,
                       transform=grid.transform, tiled=True, blockxsize=_BLOCK, blockysize=_BLOCK,
                       compress="deflate", BIGTIFF="IF_SAFER")
        # GDAL's block cache is bounded too (its default is 5 % of RAM)
        with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_MB), \
                tempfile.TemporaryDirectory(dir=out.parent, prefix=".shgeo-raster-") as tmpdir:
            tmp_classes = Path(tmpdir) / "classes.tif"
            tmp_cost = Path(tmpdir) / "cost.tif"
            with rasterio.open(tmp_classes, "w", dtype="uint8", **profile) as dst, \
                    (rasterio.open(tmp_cost, "w", dtype="float32", **profile) if cost_out is not None
                     else contextlib.nullcontext()) as cost_dst:
                dst.update_tags(**tags)
                dst.set_band_description(1, "constraint class")
                dst.write_colormap(1, {c.value: (*c.colour, 255) for c in CLASS_TABLE})
                if cost_dst is not None:
                    cost_dst.update_tags(**tags, IMPASSABLE=f"{IMPASSABLE_FILE_VALUE:g}")
                    cost_dst.set_band_description(1, "cost per metre (relative to clear land; -1 impassable)")
                for window in grid.windows(block_size):
                    part = _burn(sources, grid, window, near_m=near_m, all_touched=all_touched)
                    counts += np.bincount(part.ravel(), minlength=256)
                    dst.write(part, 1, window=window)
                    if cost_dst is not None:
                        cost_dst.write(lookup[part], 1, window=window)
                factors = _overview_factors(grid, _BLOCK)
                if factors:
                    dst.build_overviews(factors, Resampling.nearest)
                    if cost_dst is not None:
                        cost_dst.build_overviews(factors, Resampling.nearest)
            result.driver = _finish(tmp_classes, out)
            result.path = out
            if cost_out is not None:
                _finish(tmp_cost, Path(cost_out))
                result.cost_path = Path(cost_out)
        log.info("wrote %s (%s driver)", out, result.driver)
    result.counts = {c.name: int(counts[c.value]) for c in CLASS_TABLE}
    return result

