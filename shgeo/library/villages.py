"""The 16 control villages of 沪环规〔2025〕1号, and selecting them from a village-boundary layer.

沪环规〔2025〕1号 (地下水污染防治重点区划定方案) lists 16 villages in its control
category (管控类): 崇明区 横沙乡 (惠丰村, 民生村, 新北村, 新春村, 新永村), 城桥镇
(元六村), 庙镇 (鸽龙村, 宏达村, 江镇村, 联益村, 启瀛村, 万安村, 万北村); 奉贤区
四团镇 (横桥村, 杨家宅村); 嘉定区 徐行镇 (陆渡村).  The table, with the
12-digit statistical codes (统计用区划代码), is ``shgeo/library/reference/control_villages.csv``.

Village names repeat, so matching by name alone is unsafe:

* 崇明区 has a 民生村 in 新河镇 (310151103213) and one in 横沙乡
  (310151202215); only the latter is listed.
* 新春村 and 新北村 exist in several towns.
* 陆渡村 is coded 310114501213, under 嘉定工业区 (310114501), although the
  regulation places it in 徐行镇.  Name matching accepts either town for it
  and says so in the report.

:func:`select_control_villages` matches by code (preferred) or by district +
town + village name and returns a :class:`MatchReport` listing every
village as matched, unmatched or ambiguous, with the reason.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, Literal

import geopandas as gpd
import pandas as pd

from ..errors import LayerError

__all__ = ["ControlVillage", "CONTROL_VILLAGES", "VillageMatch", "MatchReport",
           "select_control_villages", "normalise_code", "REGULATION"]

#: The document that lists the villages.
REGULATION: Final = "沪环规〔2025〕1号"

#: Towns (乡镇级) whose statistical code is the prefix of a listed village's code but
#: whose name the regulation does not use: 嘉定工业区 holds 陆渡村's code.
_CODE_PREFIX_TOWNS: Final = {"310114501": "嘉定工业区"}

#: Suffixes of administrative names that users often leave out (崇明 for 崇明区).
_ADMIN_SUFFIXES: Final = ("区", "县", "镇", "乡", "街道")


@dataclass(frozen=True)
class ControlVillage:
    """One control village: names and 12-digit statistical codes as the reference table gives them."""

    district: str
    district_code: str
    town: str  # the town the regulation names
    town_code: str
    village: str
    code: str  # 12-digit village code
    note: str = ""

    @property
    def code_town(self) -> str:
        """The town that the village's code falls under (differs from ``town`` for 陆渡村)."""
        return _CODE_PREFIX_TOWNS.get(self.code[:9], self.town)

    @property
    def accepted_towns(self) -> tuple[str, ...]:
        """Town names accepted when matching by name: the regulation's, and the code's if different."""
        return (self.town,) if self.code_town == self.town else (self.town, self.code_town)

    @property
    def label(self) -> str:
        return f"{self.district}{self.town}{self.village}({self.code})"


def _load_reference() -> tuple[ControlVillage, ...]:
    text = resources.files("shgeo.library").joinpath("reference/control_villages.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    villages = tuple(
        ControlVillage(
            district=r["district"].strip(), district_code=r["district_code"].strip(),
            town=r["town"].strip(), town_code=r["town_code"].strip(),
            village=r["village"].strip(), code=r["code"].strip(), note=(r.get("note") or "").strip(),
        )
        for r in rows
    )
    codes = [v.code for v in villages]
    if len(villages) != 16 or len(set(codes)) != 16 or not all(len(c) == 12 and c.isdigit() for c in codes):
        raise RuntimeError("shgeo/library/reference/control_villages.csv must list 16 villages with distinct "
                           "12-digit codes; the installed package is damaged")
    return villages


#: The 16 control villages of 沪环规〔2025〕1号, in the regulation's order.
CONTROL_VILLAGES: Final[tuple[ControlVillage, ...]] = _load_reference()


@dataclass(frozen=True)
class VillageMatch:
    """The outcome for one control village: ``rows`` are index labels of the layer."""

    village: ControlVillage
    status: Literal["matched", "unmatched", "ambiguous"]
    rows: tuple[Any, ...]
    reason: str

    def __str__(self) -> str:
        return f"{self.status}: {self.village.label} — {self.reason}"


@dataclass(frozen=True)
class MatchReport:
    """Every control village with its match status and reason."""

    by: str
    entries: tuple[VillageMatch, ...]

    @property
    def matched(self) -> tuple[VillageMatch, ...]:
        return tuple(e for e in self.entries if e.status == "matched")

    @property
    def unmatched(self) -> tuple[VillageMatch, ...]:
        return tuple(e for e in self.entries if e.status == "unmatched")

    @property
    def ambiguous(self) -> tuple[VillageMatch, ...]:
        return tuple(e for e in self.entries if e.status == "ambiguous")

    @property
    def ok(self) -> bool:
        """True when every village matched exactly one feature."""
        return not self.unmatched and not self.ambiguous

    def notes(self) -> list[str]:
        """Remarks on matched villages worth reporting (alternate towns, excluded namesakes)."""
        return [f"{e.village.label}: {e.reason}" for e in self.matched if e.reason != "matched"]

    def lines(self) -> list[str]:
        """One line per village, problems first."""
        order = {"ambiguous": 0, "unmatched": 1, "matched": 2}
        return [str(e) for e in sorted(self.entries, key=lambda e: order[e.status])]


def normalise_code(value: Any) -> str | None:
    """A statistical code as text: ints and whole floats lose their ``.0``; blanks become None."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _norm_name(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    return text or None


def _same_admin(value: str | None, reference: str) -> bool:
    """Is a layer's district/town name *value* the reference name (allowing 崇明 for 崇明区)?"""
    if value is None:
        return False
    if value == reference:
        return True
    for suffix in _ADMIN_SUFFIXES:
        if reference.endswith(suffix) and len(reference) > len(suffix) and value == reference[: -len(suffix)]:
            return True
    return False


def select_control_villages(
    gdf: gpd.GeoDataFrame,
    *,
    by: Literal["code", "name"] = "code",
    code_field: str | None = "code",
    district_field: str | None = None,
    town_field: str | None = None,
    village_field: str | None = "name",
    villages: tuple[ControlVillage, ...] = CONTROL_VILLAGES,
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Pick the control villages out of a village-boundary layer.

    ``by="code"`` matches *code_field* against the 12-digit codes.
    ``by="name"`` matches *village_field*, and *district_field* /
    *town_field* when given (give both: 民生村 repeats within 崇明区; a
    district or town value may omit its suffix, 崇明 for 崇明区).  For 陆渡村
    the town may be 徐行镇 (the regulation) or 嘉定工业区 (its code).

    Returns the matched rows (index kept, in the order of *villages*) with
    added columns ``control_code``, ``control_district``, ``control_town``,
    ``control_village``, and a :class:`MatchReport`.  Nothing is raised for
    unmatched or ambiguous villages: check ``report.ok``.  Missing fields raise
    :class:`LayerError` listing the layer's columns.
    """
    if by not in ("code", "name"):
        raise ValueError(f"unknown match mode {by!r}; valid: 'code', 'name'")
    needed = {"code": [("code_field", code_field)],
              "name": [("village_field", village_field)]}[by]
    needed += [("district_field", district_field), ("town_field", town_field)] if by == "name" else []
    for arg, col in needed:
        if arg in ("code_field", "village_field") and col is None:
            raise LayerError(f"matching by {by} needs {arg}", hint=f"name the field with {arg}=")
        if col is not None and col not in gdf.columns:
            raise LayerError(f"{arg} {col!r} is not a column of the village layer",
                             hint=f"columns: {', '.join(map(str, gdf.columns))}")
    if by == "code":
        entries = _match_by_code(gdf, villages, code_field, village_field if village_field in gdf.columns else None)
    else:
        entries = _match_by_name(gdf, villages, village_field, district_field, town_field)
    report = MatchReport(by=by, entries=tuple(entries))
    picked = [e for e in entries if e.status == "matched"]
    selected = gdf.loc[[e.rows[0] for e in picked]].copy()
    selected["control_code"] = [e.village.code for e in picked]
    selected["control_district"] = [e.village.district for e in picked]
    selected["control_town"] = [e.village.town for e in picked]
    selected["control_village"] = [e.village.village for e in picked]
    return selected, report


def _match_by_code(gdf: gpd.GeoDataFrame, villages: tuple[ControlVillage, ...], code_field: str,
                   village_field: str | None) -> list[VillageMatch]:
    codes = gdf[code_field].map(normalise_code)
    names = gdf[village_field].map(_norm_name) if village_field else None
    out = []
    for v in villages:
        rows = tuple(codes.index[codes == v.code])
        notes = [v.note] if v.note else []
        if len(rows) == 1:
            label = rows[0]
            if names is not None and names[label] != v.village:
                notes.append(f"the feature is named {names[label]!r}, the regulation says {v.village}")
            out.append(VillageMatch(v, "matched", rows, "; ".join(notes) or "matched"))
        elif not rows:
            reason = f"no feature has {code_field} = {v.code}"
            if names is not None:
                same = list(codes[names == v.village].dropna())
                if same:
                    reason += f" (features named {v.village} carry {', '.join(same[:5])})"
            out.append(VillageMatch(v, "unmatched", (), reason))
        else:
            out.append(VillageMatch(v, "ambiguous", rows,
                                    f"{len(rows)} features have {code_field} = {v.code} (features "
                                    f"{', '.join(map(str, rows[:5]))}): dissolve them or fix the codes"))
    return out


def _match_by_name(gdf: gpd.GeoDataFrame, villages: tuple[ControlVillage, ...], village_field: str,
                   district_field: str | None, town_field: str | None) -> list[VillageMatch]:
    names = gdf[village_field].map(_norm_name)
    districts = gdf[district_field].map(_norm_name) if district_field else None
    towns = gdf[town_field].map(_norm_name) if town_field else None

    def where(label: Any) -> str:
        parts = [districts[label] if districts is not None else None, towns[label] if towns is not None else None]
        return "".join(p for p in parts if p) or f"feature {label}"

    out = []
    for v in villages:
        # the reference note on an alternate town is replaced by the explicit one below
        notes = [v.note] if v.note and len(v.accepted_towns) == 1 else []
        same_name = names.index[names == v.village]
        in_district = [i for i in same_name if districts is None or _same_admin(districts[i], v.district)]
        rows = [i for i in in_district if towns is None or any(_same_admin(towns[i], t) for t in v.accepted_towns)]
        excluded = [i for i in in_district if i not in rows]
        if len(v.accepted_towns) > 1:
            notes.append(f"{v.village} accepted in {' or '.join(v.accepted_towns)}: the regulation says {v.town}, "
                         f"the code {v.code} is under {v.code_town}")
        if excluded:
            notes.append("not selected: " + ", ".join(f"{where(i)}{v.village} (feature {i})" for i in excluded))
        if len(rows) == 1:
            if towns is not None and towns[rows[0]] != v.town and len(v.accepted_towns) > 1:
                notes.append(f"matched under {towns[rows[0]]}")
            if towns is None:
                notes.append("matched without a town field")
            out.append(VillageMatch(v, "matched", (rows[0],), "; ".join(notes) or "matched"))
        elif not rows:
            scope = " ".join(p for p in (v.district if districts is not None else "",
                                         "/".join(v.accepted_towns) if towns is not None else "") if p)
            reason = f"no feature named {v.village}" + (f" in {scope}" if scope else "")
            others = [where(i) for i in same_name if i not in excluded]
            if excluded or others:
                reason += f" (found in {', '.join(dict.fromkeys([where(i) for i in excluded] + others))})"
            out.append(VillageMatch(v, "unmatched", (), reason))
        else:
            places = ", ".join(f"{where(i)} feature {i}" if where(i) != f"feature {i}" else where(i) for i in rows)
            fix = ("give town_field" if towns is None else "give district_field" if districts is None
                   else "several features share this name and town: match by code instead")
            reason = f"{len(rows)} features named {v.village} ({places}); only {v.town}'s is listed — {fix}"
            if notes:
                reason += "; " + "; ".join(notes)
            out.append(VillageMatch(v, "ambiguous", tuple(rows), reason))
    return out
