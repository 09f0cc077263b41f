"""Official layers against the published figures: red-line areas, the 16 villages, the water-source zones.

A layer whose provenance says ``official = true`` is measured and compared
with the figures of ``reference/published.toml`` (:data:`shgeo.library.published.FIGURES`):
a measure off by more than the figure's tolerance is a warning carrying the
figure and its source.  Areas are of the dissolved layer (overlapping
features counted once), in the equal-area working CRS, in km².
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import shapely

from .published import FIGURES, Figure

if TYPE_CHECKING:  # pragma: no cover
    from .layers import LayerLibrary, LayerSource

__all__ = ["compare_with_published", "measure"]

log = logging.getLogger(__name__)


def measure(library: LayerLibrary, kind: str) -> dict[str, float]:
    """The measures the published figures of *kind* refer to (areas in km², counts)."""
    layer = library.layer(kind)
    out: dict[str, float] = {}
    if kind == "redline":
        union = shapely.union_all(layer.geometry.values)
        out["area_km2"] = union.area / 1e6
        if library.has("sea"):
            sea = shapely.union_all(library.layer("sea").geometry.values)
            at_sea = shapely.intersection(union, sea).area / 1e6
            out["sea_area_km2"] = at_sea
            out["land_area_km2"] = out["area_km2"] - at_sea
    elif kind == "groundwater_village":
        out["count"] = float(layer["code"].dropna().nunique())
    elif kind == "water_source_l1":
        zones = layer["category"].dropna()
        out["zones"] = float(zones.nunique())
        parts = len(layer)
        if parts != 5:  # a zone drawn as one multipolygon of separate parts
            dissolved = layer.dissolve(by="category")
            parts = int(sum(len(shapely.get_parts(g)) for g in dissolved.geometry.values))
        out["parts"] = float(parts)
    elif kind == "district":
        out["codes"] = float(layer["code"].dropna().nunique())
    return out


def _compare(figure: Figure, value: float) -> str | None:
    off = value - figure.value
    if figure.tolerance == 0:
        if off == 0:
            return None
        return f"{value:g} where the published figure is {figure.describe()}"
    rel = abs(off) / figure.value
    if rel <= figure.tolerance:
        return None
    note = f"; {figure.note}" if figure.note else ""
    return (f"{value:,.2f} km², {rel:.1%} {'above' if off > 0 else 'below'} the published "
            f"{figure.describe()}{note}")


def compare_with_published(library: LayerLibrary) -> list[tuple[LayerSource, list[str]]]:
    """Warnings per official layer source (one source per kind carries the kind's warnings)."""
    out: list[tuple[Any, list[str]]] = []
    for kind in library.kinds:
        official = [s for s in library.sources if s.kind == kind and s.official and not s.failed]
        figures = [f for f in FIGURES if f.kind == kind]
        if not official or not figures:
            continue
        values = measure(library, kind)
        warnings = []
        for figure in figures:
            if figure.measure not in values:
                log.info("%s: %s not compared (the library has no sea layer)", kind, figure.what)
                continue
            text = _compare(figure, values[figure.measure])
            if text:
                warnings.append(text)
        if kind == "groundwater_village" and values.get("count", 16) > 16:
            warnings.append("an official village layer holding more than the 16 control villages: select them "
                            "with select = { control_villages = true, by = \"code\" }")
        if warnings:
            out.append((official[0], warnings))
    return out
