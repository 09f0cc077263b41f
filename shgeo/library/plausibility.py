"""Official layers against the published figures: red-line areas, the 16 villages, the water-source zones.

A layer whose provenance says ``official = true`` is measured and compared
with the figures of ``reference/published.toml`` (:data:`shgeo.library.published.FIGURES`):
a measure off by more than the figure's tolerance is a :class:`Discrepancy`
carrying the figure and its source, shown by ``shgeo layers`` and in every
report made from the library.  Areas are of the dissolved layer (overlapping
features counted once), in the equal-area working CRS, in km².
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely

from .published import FIGURES, Figure

if TYPE_CHECKING:  # pragma: no cover
    from .layers import LayerLibrary, LayerSource

__all__ = ["Discrepancy", "compare_with_published", "measure"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Discrepancy:
    """A measure of an official layer off its published figure by more than the tolerance."""

    figure: Figure
    value: float

    @property
    def deviation(self) -> float:
        """(measured − published) / published."""
        return (self.value - self.figure.value) / self.figure.value

    def __str__(self) -> str:
        f = self.figure
        if f.measure.endswith("km2"):
            side = "above" if self.value > f.value else "below"
            note = f"; {f.note}" if f.note else ""
            return f"{self.value:,.2f} km², {abs(self.deviation):.1%} {side} the published {f.describe()}{note}"
        return f"{self.value:g} where the published figure is {f.describe()}"

    @property
    def text_zh(self) -> str:
        """The same in Chinese, for reports."""
        f = self.figure
        if f.measure.endswith("km2"):
            return (f"{f.what_zh}实测 {self.value:,.2f} 平方公里，公布数据为 {f.value:,.2f} 平方公里（{f.source}），"
                    f"相差 {self.deviation:+.1%}，超出允许偏差 {f.tolerance:.0%}")
        return f"{f.what_zh}实测为 {self.value:g}，公布数据为 {f.value:g}（{f.source}）"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what, measured value, published value, tolerance, source, texts."""
        f = self.figure
        return {"measure": f.measure, "what": f.what, "value": round(self.value, 4), "published": f.value,
                "tolerance": f.tolerance, "source": f.source, "text": str(self), "text_zh": self.text_zh}


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
        out["zones"] = float(layer["category"].dropna().nunique())
        parts = len(layer)
        if parts != 5:  # a zone drawn as one multipolygon of separate parts
            dissolved = layer.dissolve(by="category")
            parts = int(sum(len(shapely.get_parts(g)) for g in dissolved.geometry.values))
        out["parts"] = float(parts)
    elif kind == "district":
        out["codes"] = float(layer["code"].dropna().nunique())
    return out


def _off(figure: Figure, value: float) -> bool:
    if figure.tolerance == 0:
        return value != figure.value
    return abs(value - figure.value) / figure.value > figure.tolerance


def compare_with_published(library: LayerLibrary) -> list[tuple[LayerSource, list[Discrepancy]]]:
    """Discrepancies per official layer (the first official source of a kind carries the kind's)."""
    out: list[tuple[Any, list[Discrepancy]]] = []
    for kind in library.kinds:
        official = [s for s in library.sources if s.kind == kind and s.official and not s.failed]
        figures = [f for f in FIGURES if f.kind == kind]
        if not official or not figures:
            continue
        values = measure(library, kind)
        found = []
        for figure in figures:
            if figure.measure not in values:
                log.info("%s: %s not compared (the library has no sea layer)", kind, figure.what)
            elif _off(figure, values[figure.measure]):
                found.append(Discrepancy(figure, values[figure.measure]))
        if found:
            out.append((official[0], found))
    return out
