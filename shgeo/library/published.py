"""Published figures and closed lists the layer checks compare against (``reference/published.toml``).

The figures live in a data file with their sources, not in code: the 16
district codes, the four level-1 water-source zones of 沪环规〔2025〕1号 (five
parts), the types of nature protected area, and the published totals a layer
marked official is compared with (red-line areas of 沪府发〔2023〕4号, the 16
control villages …).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Final

__all__ = ["Figure", "DISTRICTS", "DISTRICT_SOURCE", "WATER_ZONES", "WATER_PARTS", "WATER_SOURCE",
           "PROTECTED_CATEGORIES", "PROTECTED_SOURCE", "FIGURES"]


@dataclass(frozen=True)
class Figure:
    """One published figure: what it measures on a layer of *kind*, its value, tolerance and source."""

    kind: str
    what: str
    measure: str  # area_km2, land_area_km2, sea_area_km2, count, zones, parts, codes
    value: float
    tolerance: float  # fraction of value (0 = exact)
    source: str
    what_zh: str = ""
    note: str | None = None

    def describe(self) -> str:
        """The figure as a report states it: value, tolerance and source."""
        unit = " km²" if self.measure.endswith("km2") else ""
        tol = f" ± {self.tolerance:.0%}" if self.tolerance else ""
        return f"{self.what}: {self.value:,.2f}{unit}{tol} ({self.source})" if unit else \
            f"{self.what}: {self.value:g} ({self.source})"


def _load() -> dict:
    text = resources.files("shgeo.library").joinpath("reference/published.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


_DATA: Final = _load()

#: 6-digit code → name of Shanghai's 16 districts.
DISTRICTS: Final[dict[str, str]] = {str(k): v for k, v in _DATA["districts"]["codes"].items()}
DISTRICT_SOURCE: Final[str] = _DATA["districts"]["source"]
#: The four level-1 water-source zones of 沪环规〔2025〕1号 三(一), and the number of their parts.
WATER_ZONES: Final[tuple[str, ...]] = tuple(_DATA["water_source_l1"]["zones"])
WATER_PARTS: Final[int] = int(_DATA["water_source_l1"]["parts"])
WATER_SOURCE: Final[str] = _DATA["water_source_l1"]["source"]
#: Types of nature protected area a protected_area category may name.
PROTECTED_CATEGORIES: Final[tuple[str, ...]] = tuple(_DATA["protected_area"]["categories"])
PROTECTED_SOURCE: Final[str] = _DATA["protected_area"]["source"]
#: Published figures compared with layers marked official.
FIGURES: Final[tuple[Figure, ...]] = tuple(Figure(**f) for f in _DATA["figures"])

if len(DISTRICTS) != 16 or len(WATER_ZONES) != 4:  # pragma: no cover - damaged install
    raise RuntimeError("shgeo/library/reference/published.toml is damaged: reinstall shgeo")
