"""The closed set of layer kinds a library may hold, with what each must contain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["KindSpec", "KINDS", "check_kind", "POLYGONAL"]

POLYGONAL: Final = frozenset({"Polygon", "MultiPolygon"})


@dataclass(frozen=True)
class KindSpec:
    """What a layer of one kind means and must contain."""

    kind: str
    label_zh: str
    label_en: str
    geometry_types: frozenset[str]
    #: normalised columns that must be non-null on every feature
    required: tuple[str, ...]
    #: the layer must be present for a screening to be complete
    statutory: bool
    #: codes must be unique within the layer
    unique_codes: bool = False


KINDS: Final[dict[str, KindSpec]] = {
    spec.kind: spec
    for spec in (
        KindSpec("redline", "生态保护红线", "ecological protection red line", POLYGONAL, ("name",), True),
        KindSpec("core_zone", "自然保护地核心保护区", "nature protected area core zone", POLYGONAL, ("name",), True),
        KindSpec("protected_area", "自然保护地", "nature protected area", POLYGONAL, ("name", "category"), True),
        KindSpec("water_source_l1", "饮用水水源一级保护区", "level-1 drinking-water source protection zone",
                 POLYGONAL, ("name", "category"), True),
        KindSpec("groundwater_village", "地下水污染防治管控类区域（村）", "groundwater control village",
                 POLYGONAL, ("name", "code"), True, unique_codes=True),
        KindSpec("district", "区", "district", POLYGONAL, ("name", "code"), True, unique_codes=True),
        KindSpec("sea", "海域", "sea area", POLYGONAL, (), True),
        KindSpec("island", "无居民海岛", "uninhabited island", POLYGONAL, ("name",), True),
        KindSpec("construction_land", "现状建设用地", "existing construction land", POLYGONAL, (), False),
    )
}


def check_kind(kind: str) -> KindSpec:
    """Return the spec of *kind*; an unknown kind raises ``ValueError`` listing the valid ones."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown layer kind {kind!r}; valid kinds: {', '.join(KINDS)}") from None
