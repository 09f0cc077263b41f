"""Checks of a layer's names and codes against what the rules read (the published reference lists).

:func:`reference_checks` runs on a layer already normalised by
:mod:`shgeo.library.layers` (columns ``feature_id``, ``name``, ``code``,
``category``) and returns the layer — with codes and zone names put in the
form the rules read, each change reported — and the problems found:

* ``groundwater_village``: every code is a 12-digit statistical code
  (``spatial.groundwater_village`` takes nothing else);
* ``district``: every code is one of the 16 district codes (12-digit forms
  such as ``310115000000`` are shortened, and said so); a missing name is
  taken from the reference by code; a name other than the reference's is a
  warning;
* ``water_source_l1``: the zone (``category``, else ``name``) is one of the
  four zones of 沪环规〔2025〕1号, or contains exactly one of them
  (``青草沙水源地一级保护区`` → ``青草沙``);
* ``protected_area``: a category outside the types of nature protected area
  is a warning;
* kinds whose reports show names: features without one are listed.

Errors are what would make a project fail, or answer wrongly, later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import geopandas as gpd
import pandas as pd

from .kinds import KINDS
from .published import DISTRICT_SOURCE, DISTRICTS, PROTECTED_CATEGORIES, PROTECTED_SOURCE, WATER_SOURCE, WATER_ZONES

__all__ = ["Check", "reference_checks", "water_zone_of", "SHOW"]

#: How many feature ids or values a message lists before "…".
SHOW: Final = 5

_VILLAGE_CODE: Final = re.compile(r"^\d{12}$")
_DISTRICT_LONG: Final = re.compile(r"^(3101\d\d)0{3}(0{3})?$")


@dataclass(frozen=True)
class Check:
    """One problem found: ``error`` (screening would fail or answer wrongly), ``warning`` or ``note``."""

    severity: Literal["error", "warning", "note"]
    message: str
    hint: str | None = None


def _listed(values: Sequence[Any]) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:SHOW])
    return shown + (f" … ({len(values)} in all)" if len(values) > SHOW else "")


def _pairs(ids: pd.Series, values: pd.Series) -> str:
    return _listed([f"{i} ({v!r})" for i, v in zip(ids, values)])


def reference_checks(gdf: gpd.GeoDataFrame, kind: str, *, has_name_field: bool,
                     has_category_field: bool) -> tuple[gpd.GeoDataFrame, list[Check]]:
    """Check (and put in the rules' form) the codes and names of one normalised layer of *kind*."""
    checks: list[Check] = []
    if kind == "groundwater_village":
        checks += _village_codes(gdf)
    elif kind == "district":
        gdf, more = _district_codes(gdf, has_name_field)
        checks += more
    elif kind == "water_source_l1":
        gdf, more = _water_zones(gdf, has_category_field)
        checks += more
    elif kind == "protected_area":
        checks += _protected_categories(gdf)
    if "name" in KINDS[kind].wanted and not (kind == "district" and not has_name_field):
        if not has_name_field:
            checks.append(Check("warning", "no name field: reports list these features by feature id",
                                "set name_field in the manifest to the field holding the names"))
        else:
            empty = gdf["name"].isna()
            if empty.any():
                checks.append(Check("warning", f"{int(empty.sum())} feature(s) have no name (listed by feature id "
                                    f"in reports): {_listed(gdf.loc[empty, 'feature_id'])}"))
    return gdf, checks


def _village_codes(gdf: gpd.GeoDataFrame) -> list[Check]:
    codes = gdf["code"]
    bad = codes.notna() & ~codes.astype(str).str.match(_VILLAGE_CODE)
    if not bad.any():
        return []
    return [Check("error", f"{int(bad.sum())} village code(s) are not 12-digit statistical codes: "
                  f"{_pairs(gdf.loc[bad, 'feature_id'], codes[bad])}",
                  "point code_field at the field holding the 12-digit village codes (统计用区划代码, "
                  "e.g. 310151202215); the groundwater rules match villages by them")]


def _district_codes(gdf: gpd.GeoDataFrame, has_name_field: bool) -> tuple[gpd.GeoDataFrame, list[Check]]:
    checks: list[Check] = []
    codes = gdf["code"].astype(object)
    long_form = codes.notna() & codes.astype(str).str.match(_DISTRICT_LONG)
    if long_form.any():
        short = codes[long_form].astype(str).str.slice(0, 6)
        checks.append(Check("note", f"{int(long_form.sum())} district code(s) given in long form "
                            f"(e.g. {codes[long_form].iloc[0]}) read as their 6-digit codes"))
        codes = codes.where(~long_form, short)
    bad = codes.notna() & ~codes.isin(list(DISTRICTS))
    if bad.any():
        checks.append(Check("error", f"{int(bad.sum())} district code(s) are not codes of Shanghai's 16 districts: "
                            f"{_pairs(gdf.loc[bad, 'feature_id'], codes[bad])}",
                            f"point code_field at the 6-digit district codes 310101…310151 ({DISTRICT_SOURCE})"))
    gdf = gdf.assign(code=codes)
    reference = codes.map(DISTRICTS)
    if not has_name_field:
        fill = reference.notna()
        gdf = gdf.assign(name=reference.where(fill, None))
        checks.append(Check("note", f"no name field: district names taken from the reference by code "
                            f"({DISTRICT_SOURCE})"))
        return gdf, checks
    names = gdf["name"]
    absent = names.isna() & reference.notna()
    if absent.any():
        gdf = gdf.assign(name=names.where(~absent, reference))
        checks.append(Check("note", f"{int(absent.sum())} district name(s) missing, taken from the reference by "
                            f"code: {_listed(gdf.loc[absent, 'feature_id'])}"))
    differ = names.notna() & reference.notna() & (names != reference)
    if differ.any():
        pairs = [f"{c} {n!r} (reference {r})" for c, n, r in zip(codes[differ], names[differ], reference[differ])]
        checks.append(Check("warning", f"{int(differ.sum())} district name(s) differ from the reference names of "
                            f"their codes: {_listed(pairs)}; reports and the districts fact use the layer's names",
                            "use the reference names, or leave name_field out to take them from the codes"))
    return gdf, checks


def water_zone_of(value: Any) -> tuple[str | None, bool]:
    """The water-source zone a value names, and whether it was matched inside a longer text."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None, False
    text = "".join(str(value).split())
    if text in WATER_ZONES:
        return text, False
    inside = [z for z in WATER_ZONES if z in text]
    return (inside[0], True) if len(inside) == 1 else (None, False)


def _water_zones(gdf: gpd.GeoDataFrame, has_category_field: bool) -> tuple[gpd.GeoDataFrame, list[Check]]:
    checks: list[Check] = []
    source_col = "category" if has_category_field else "name"
    values = gdf[source_col]
    matched = [water_zone_of(v) for v in values]
    zones = pd.Series([z for z, _ in matched], index=gdf.index, dtype=object)
    inside = pd.Series([m for _, m in matched], index=gdf.index)
    bad = zones.isna()
    if bad.any():
        checks.append(Check("error", f"{int(bad.sum())} feature(s) name no level-1 water-source zone of "
                            f"{WATER_SOURCE} in {source_col}: {_pairs(gdf.loc[bad, 'feature_id'], values[bad])}",
                            f"the {source_col} must be (or contain exactly one of) {', '.join(WATER_ZONES)}; "
                            "point category_field at the field naming the zone"))
    if inside.any():
        examples = _listed(sorted({f"{v!r} → {z}" for v, z in zip(values[inside], zones[inside])}))
        checks.append(Check("note", f"zone names read from longer texts in {source_col}: {examples}"))
    return gdf.assign(category=zones.where(~bad, values)), checks


def _protected_categories(gdf: gpd.GeoDataFrame) -> list[Check]:
    cats = gdf["category"]
    bad = cats.notna() & ~cats.isin(PROTECTED_CATEGORIES)
    if not bad.any():
        return []
    return [Check("warning", f"{int(bad.sum())} categor(ies) are not types of nature protected area "
                  f"({PROTECTED_SOURCE}): {_listed(sorted(set(cats[bad])))}; reports list them as given",
                  f"use one of {', '.join(PROTECTED_CATEGORIES)}")]
