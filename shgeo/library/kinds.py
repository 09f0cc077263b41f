"""The closed set of layer kinds a library may hold, with what each must contain.

Each :class:`KindSpec` says which normalised fields every feature needs
(``required``: the rules read them), which ones reports show when present
(``wanted``), whether screening is incomplete without the kind
(``statutory``), what stays open when a manifest leaves the kind out
(``leaves_open``), and the words that name it in file, layer and field names
(``keywords``, used by ``shgeo layers init`` to propose a kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["KindSpec", "KINDS", "check_kind", "POLYGONAL", "STATUTORY"]

POLYGONAL: Final = frozenset({"Polygon", "MultiPolygon"})


@dataclass(frozen=True)
class KindSpec:
    """What a layer of one kind means and must contain."""

    kind: str
    label_zh: str
    label_en: str
    geometry_types: frozenset[str]
    #: normalised columns that must be non-null on every feature (the rules read them)
    required: tuple[str, ...]
    #: the layer must be present (or its absence declared) for a screening to be complete
    statutory: bool
    #: codes must be unique within the layer
    unique_codes: bool = False
    #: normalised columns reports show; a layer without them is listed by feature id (a warning)
    wanted: tuple[str, ...] = ()
    #: what screening cannot answer without this kind (English, Chinese)
    leaves_open: str = ""
    leaves_open_zh: str = ""
    #: words in file, layer or field names that suggest this kind (longest match wins)
    keywords: tuple[str, ...] = ()


KINDS: Final[dict[str, KindSpec]] = {
    spec.kind: spec
    for spec in (
        KindSpec("redline", "生态保护红线", "ecological protection red line", POLYGONAL, (), True,
                 wanted=("name",),
                 leaves_open="whether the footprint lies in the red line, and so every route of 沪府办发〔2025〕8号 "
                             "(一, 二, 三, 附件)",
                 leaves_open_zh="是否位于生态保护红线内，以及沪府办发〔2025〕8号一、二、三和附件的全部判断",
                 keywords=("生态保护红线", "生态红线", "红线", "redline", "red_line", "stbhhx", "hx")),
        KindSpec("core_zone", "自然保护地核心保护区", "nature protected area core zone", POLYGONAL, (), True,
                 wanted=("name",),
                 leaves_open="whether it enters a core protection zone (沪府办发〔2025〕8号 一: prohibited in principle)",
                 leaves_open_zh="是否进入自然保护地核心保护区（沪府办发〔2025〕8号 一：原则上禁止人为活动）",
                 keywords=("核心保护区", "核心区", "core_zone", "core", "hxq")),
        KindSpec("protected_area", "自然保护地", "nature protected area", POLYGONAL, ("category",), True,
                 wanted=("name",),
                 leaves_open="whether it lies in a nature protected area (沪府办发〔2025〕8号 二(六): "
                             "consult 市绿化市容部门)",
                 leaves_open_zh="是否涉及自然保护地（沪府办发〔2025〕8号 二(六)：征求市绿化市容部门意见）",
                 keywords=("自然保护地", "自然保护区", "风景名胜区", "自然公园", "森林公园", "湿地公园", "地质公园",
                           "protected_area", "nature_reserve", "reserve", "zrbhd", "zrbhq")),
        KindSpec("water_source_l1", "饮用水水源一级保护区", "level-1 drinking-water source protection zone",
                 POLYGONAL, ("category",), True, wanted=("name",),
                 leaves_open="whether it lies in a level-1 water-source zone (沪环规〔2025〕1号 四(一): projects "
                             "unrelated to water supply prohibited)",
                 leaves_open_zh="是否位于饮用水水源一级保护区（沪环规〔2025〕1号 四(一)：与供水无关的项目禁止建设）",
                 keywords=("饮用水水源", "水源保护区", "水源地", "一级保护区", "water_source", "drinking_water",
                           "syd", "sybhq")),
        KindSpec("groundwater_village", "地下水污染防治管控类区域（村）", "groundwater control village",
                 POLYGONAL, ("code",), True, unique_codes=True, wanted=("name",),
                 leaves_open="whether it lies in a control village (沪环规〔2025〕1号 四(二): obligations 1–6)",
                 leaves_open_zh="是否位于地下水污染防治管控类区域村（沪环规〔2025〕1号 四(二)：第1至6项义务）",
                 keywords=("管控村", "管控类", "地下水", "行政村", "村界", "village", "cun")),
        KindSpec("district", "区", "district", POLYGONAL, ("code",), True, unique_codes=True, wanted=("name",),
                 leaves_open="which districts it touches: district or municipal level, cross-district "
                             "(沪府办发〔2025〕8号 二(六)), land measures, whether it lies inside Shanghai",
                 leaves_open_zh="涉及哪些区：区级或市级办理、是否跨区（沪府办发〔2025〕8号 二(六)）、陆域面积、"
                                "是否位于上海市域内",
                 keywords=("区界", "行政区", "区划", "区县", "xzq", "district", "qx")),
        KindSpec("sea", "海域", "sea area", POLYGONAL, (), True,
                 leaves_open="whether it touches the sea area: 用海用岛 routes (沪府办发〔2025〕8号 二(一)(二), 三(二)), "
                             "no new reclamation or enclosure (附件)",
                 leaves_open_zh="是否涉及海域：用海用岛办理路径（沪府办发〔2025〕8号 二(一)(二)、三(二)）、"
                                "禁止新增填海造地和围海（附件）",
                 keywords=("海域", "海岸线", "岸线", "海洋", "sea", "ocean", "coast", "hy")),
        KindSpec("island", "无居民海岛", "uninhabited island", POLYGONAL, (), True, wanted=("name",),
                 leaves_open="whether it touches an uninhabited island (附件: low-impact use only; 用岛 approval)",
                 leaves_open_zh="是否涉及无居民海岛（附件：仅允许低影响利用；用岛审批）",
                 keywords=("无居民海岛", "海岛", "岛屿", "island", "hd")),
        KindSpec("construction_land", "现状建设用地", "existing construction land", POLYGONAL, (), False,
                 keywords=("现状建设用地", "建设用地", "construction_land", "jsyd")),
    )
}

#: Kinds a screening needs: a manifest provides each or lists it under ``[manifest] missing``.
STATUTORY: Final[tuple[str, ...]] = tuple(k for k, s in KINDS.items() if s.statutory)


def check_kind(kind: str) -> KindSpec:
    """Return the spec of *kind*; an unknown kind raises ``ValueError`` listing the valid ones."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown layer kind {kind!r}; valid kinds: {', '.join(KINDS)}") from None
