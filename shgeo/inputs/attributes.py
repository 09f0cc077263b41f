"""Project attributes: the ``project`` block of the decision interface, from the names planners use.

A project's attributes say what the footprint cannot: which 附件 category the
activity belongs to, whether it needs new construction-land approval, whether
it is a national major project, and so on (see DESIGN.md, "The decision
interface").  They come from three places, later ones winning:

1. ``defaults`` — one mapping applied to every project (Python API options);
2. fields of the footprint file itself (a GeoPackage or Shapefile attribute table);
3. a table joined on the project id (``--attributes CSV``, a DataFrame, or a
   mapping ``{project_id: {...}}``).

Field names are matched after normalisation: case, spaces, ``_``/``-``, a
trailing ``?``/``？`` and a leading 「是否」 or 「涉及」 are ignored, so
``是否新增建设用地``, ``新增建设用地`` and ``new_construction_land`` all name
``new_construction_land``.  :data:`FIELD_ALIASES` is the documented mapping.

Values: booleans accept 是/否, 有/无, true/false, yes/no, y/n, t/f, 1/0, √/×;
an empty cell, 未知, 不详, 待定, unknown or ``?`` means *unknown* (the key is
left out, and a rule that needs it asks: ``needs_information``).  Anything
else raises :class:`~shgeo.errors.QueryError` naming the field and the value.

Columns that map to no key are not project attributes (a file holds many
other fields, e.g. 项目名称) and are ignored.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import pandas as pd

from ..errors import QueryError
from .ids import id_text

__all__ = [
    "BOOL_KEYS",
    "FIELD_ALIASES",
    "ID_FIELDS",
    "NAME_FIELDS",
    "attribute_key",
    "parse_value",
    "project_attributes",
    "read_attribute_table",
    "find_id_field",
    "attribute_sources",
    "cut_field_names",
]

log = logging.getLogger(__name__)

#: Project keys whose value is a boolean.
BOOL_KEYS: Final = (
    "annex_conditions_met",
    "national_major",
    "within_major_scope",
    "new_construction_land",
    "sea_island_use",
    "construction",
    "planning_permit",
    "existing_site_or_repair",
    "new_overhead_line",
    "open_cut_underground",
    "underground_exit_or_vent",
    "temporary_land",
    "special_plan_recognised",
    "changed_since_special_plan",
    "state_council_sea",
    "new_reclamation",
    "new_enclosure",
    "new_island_use",
    "island_low_impact",
    "expands_existing_energy_facility",
    "cross_district",
    "water_supply_related",
    "may_pollute",
    "has_polluted",
)

#: key -> field names planners use (Chinese and English).  The key itself is always accepted.
FIELD_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "activity": ("活动类别", "活动类型", "有限人为活动类别", "附件类别", "附件条目", "activity type"),
    "annex_conditions_met": ("符合附件条件", "附件条件", "满足附件条件", "annex conditions"),
    "national_major": ("国家重大项目", "national major project"),
    "within_major_scope": ("符合通知项目范围", "属于通知项目范围", "within major project scope"),
    "new_construction_land": ("新增建设用地", "新增建设用地审批", "new construction land"),
    "sea_island_use": ("用海用岛", "用海用岛审批", "sea island use"),
    "construction": ("有具体建设活动", "具体建设活动", "has construction"),
    "planning_permit": ("办理规划许可", "需办理规划许可", "needs planning permission"),
    "existing_site_or_repair": ("既有设施修缮", "既有设施修缮更新", "现状既有用地", "既有用地或设施修缮",
                                "existing site or repair"),
    "new_overhead_line": ("新建架空线", "new overhead line"),
    "open_cut_underground": ("开挖施工", "开挖施工地下工程", "开挖施工法地下工程", "open cut"),
    "underground_exit_or_vent": ("地下工程出口通风口", "地下工程附属设施", "安全出口通风口", "exit or vent"),
    "temporary_land": ("临时用地", "temporary land use"),
    "special_plan_recognised": ("专项规划阶段已认定", "专项规划已认定", "专项规划阶段已论证"),
    "changed_since_special_plan": ("专项规划后有变化", "实施阶段有变化", "与专项规划相比有变化"),
    "state_council_sea": ("报国务院审批用海用岛", "国务院审批用海"),
    "new_reclamation": ("新增填海造地", "new reclamation"),
    "new_enclosure": ("新增围海", "new sea enclosure"),
    "new_island_use": ("新增用岛", "new island use"),
    "island_low_impact": ("低影响利用", "海岛低影响利用", "无居民海岛低影响利用", "island low impact"),
    "expands_existing_energy_facility": ("扩大既有能源设施", "扩大既有水电风电光伏海洋能设施",
                                         "expands energy facility"),
    "cross_district": ("跨区", "跨区项目"),
    "water_supply_related": ("与供水有关", "与供水设施和保护水源有关", "water supply related"),
    "works": ("建设性质", "works type"),
    # not 单位类型: planners put 国有企业/事业单位 there
    "unit_roles": ("单位角色", "unit roles"),
    "may_pollute": ("可能造成地下水污染", "可能造成土壤和地下水污染"),
    "has_polluted": ("已造成污染", "已造成地下水污染"),
    "confirmed_route": ("确认办理路径", "confirmed route"),
}

#: Column names taken as the project id when no id field is named (first match wins).
ID_FIELDS: Final = ("project_id", "项目编号", "项目代码", "项目id", "编号", "id", "footprint_id")

#: Column names taken as the project's display name.
NAME_FIELDS: Final = ("项目名称", "名称", "project_name", "name")

_TRUE: Final = frozenset({"是", "有", "对", "true", "t", "yes", "y", "1", "√", "✓", "涉及", "需要"})
_FALSE: Final = frozenset({"否", "无", "没有", "不", "false", "f", "no", "n", "0", "×", "✗", "不涉及", "不需要"})
_UNKNOWN: Final = frozenset({"", "未知", "不详", "待定", "不确定", "unknown", "?", "？", "nan", "none", "null", "n/a"})

_WORKS: Final = {
    "new": "new", "新建": "new",
    "rebuild": "rebuild", "改建": "rebuild", "重建": "rebuild",
    "expand": "expand", "扩建": "expand",
    "upgrade": "upgrade", "改造": "upgrade", "提升": "upgrade", "升级": "upgrade", "提升改造": "upgrade",
    "none": "none", "无": "none", "不涉及": "none", "无建设": "none",
}

_ROLES: Final = {
    "enterprise": "enterprise", "企业": "enterprise", "企业事业单位": "enterprise", "企事业单位": "enterprise",
    "key_groundwater_discharger": "key_groundwater_discharger",
    "地下水污染防治重点排污单位": "key_groundwater_discharger", "重点排污单位": "key_groundwater_discharger",
    "soil_key_supervised": "soil_key_supervised", "土壤污染重点监管单位": "soil_key_supervised",
    "重点监管单位": "soil_key_supervised",
    "fuel_station_or_depot": "fuel_station_or_depot", "加油站": "fuel_station_or_depot",
    "储油库": "fuel_station_or_depot", "油库": "fuel_station_or_depot", "加油站储油库": "fuel_station_or_depot",
    "polluter": "polluter", "污染者": "polluter", "造成污染的单位": "polluter",
    "land_user": "land_user", "土地使用权人": "land_user", "土地使用者": "land_user",
}

_CN_DIGITS: Final = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _norm(name: object) -> str:
    return _norm_text(str(name))


@lru_cache(maxsize=4096)  # field names: the same few, once per project
def _norm_text(text: str) -> str:
    text = text.strip().lower()
    text = re.sub(r"[\s_\-]+", "", text)
    text = text.rstrip("?？")
    for prefix in ("是否", "涉及"):
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
    return text


_ALIAS_INDEX: Final[dict[str, str]] = {}
for _key, _names in FIELD_ALIASES.items():
    for _name in (_key, *_names):
        _ALIAS_INDEX.setdefault(_norm(_name), _key)
for _key in BOOL_KEYS:
    _ALIAS_INDEX.setdefault(_norm(_key), _key)


def attribute_key(field: object) -> str | None:
    """Return the project key a field name stands for, or ``None`` if it names none."""
    return _ALIAS_INDEX.get(_norm(field))


#: A DBF field name holds at most 10 bytes: 5 Chinese characters in GBK, 3 in UTF-8.
_DBF_NAME_BYTES: Final = 10


def cut_field_names(columns: Iterable[object]) -> dict[str, list[str]]:
    """Fields whose names look cut by the DBF's 10-byte limit from a project attribute's name.

    A name that maps to no key, fills the 10 bytes (or 9: a character cut in
    two is dropped) in GBK or UTF-8, and is the start of the names of one or
    more keys, is returned as ``{field: [keys]}``.  Its values are not read as
    that attribute: which one it was cannot be told for sure.
    """
    out: dict[str, list[str]] = {}
    for column in columns:
        name = str(column)
        if attribute_key(name) is not None or not any(ord(ch) > 127 for ch in name):
            continue
        sizes = {len(name.encode(enc, errors="replace")) for enc in ("gbk", "utf-8")}
        if not sizes & {_DBF_NAME_BYTES - 1, _DBF_NAME_BYTES}:
            continue
        stem = _norm(name)
        keys = sorted({key for alias, key in _ALIAS_INDEX.items() if len(stem) >= 2 and alias.startswith(stem)
                       and alias != stem})
        if keys:
            out[name] = keys
    return out


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        if pd.isna(value) is True:
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and value.strip().lower() in _UNKNOWN


def _bool(value: object, key: str, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise QueryError(
        f"field {field!r} = {value!r} is not a yes/no value; use 是/否, true/false, Y/N or 1/0 "
        "(leave it empty if unknown)", key=key)


_ACTIVITY_FORM: Final = re.compile(r"^(附件)?(第)?([1-9一二三四五六七八九])(类|项)?$")
_ACTIVITY_WORDS: Final = {
    "development": "development", "开发性、生产性建设活动": "development", "开发性、生产性建设": "development",
    "开发性建设": "development", "生产性建设": "development",
    "other": "other", "其他": "other", "其它": "other", "其他活动": "other",
}


def _activity(value: object, field: str) -> str:
    """The 附件 category 1–9, ``development`` or ``other``; only exact forms, never a guess from free text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and 1 <= int(value) <= 9:
        return str(int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    word = _ACTIVITY_WORDS.get(text) or _ACTIVITY_WORDS.get(text.lower())
    if word is not None:
        return word
    match = _ACTIVITY_FORM.match(text)
    if match:
        digit = match.group(3)
        return digit if digit.isdigit() else str(_CN_DIGITS[digit])
    raise QueryError(
        f"field {field!r} = {value!r} is not an activity category; use 1–9 (附件 category: 6, 第6项, 附件六 …), "
        "'development' (开发性、生产性建设活动) or 'other' (其他)", key="activity")


def _choice(value: object, table: Mapping[str, str], key: str, field: str) -> str:
    text = str(value).strip()
    found = table.get(text) or table.get(text.lower())
    if found is None:
        raise QueryError(
            f"field {field!r} = {value!r} is not one of {', '.join(sorted(set(table)))}", key=key)
    return found


def parse_value(key: str, value: object, *, field: str | None = None) -> Any:
    """Parse one raw cell *value* for project *key*; ``None`` means unknown.

    Raises :class:`QueryError` (``key``) for a value that cannot be read.
    """
    field = field or key
    if isinstance(value, (list, tuple)) and key == "unit_roles":
        return [_choice(v, _ROLES, key, field) for v in value if not _is_missing(v)]
    if isinstance(value, (list, tuple)) and key == "confirmed_route":
        return parse_value(key, ";".join(map(str, value)), field=field) if value else None
    if _is_missing(value):
        return None
    if key in BOOL_KEYS:
        return _bool(value, key, field)
    if key == "activity":
        return _activity(value, field)
    if key == "works":
        return _choice(value, _WORKS, key, field)
    if key == "unit_roles":
        parts = [p for p in re.split(r"[;；,，、|/]+", str(value)) if p.strip()]
        return [_choice(p.strip(), _ROLES, key, field) for p in parts]
    if key == "confirmed_route":
        items = value if isinstance(value, (list, tuple)) else re.split(r"[;；,，、|]+", str(value))
        tokens = [str(t).strip().replace("（", "(").replace("）", ")") for t in items if str(t).strip()]
        return tokens[0] if len(tokens) == 1 else tokens
    return value


def _from_mapping(row: Mapping[str, Any], *, strict: bool, where: str) -> dict[str, Any]:
    """Map a row of raw fields to project keys; unknown fields raise only when *strict*."""
    out: dict[str, Any] = {}
    for field, raw in row.items():
        key = attribute_key(field)
        if key is None:
            if strict:
                raise QueryError(
                    f"{where}: {field!r} is not a project attribute; valid keys: "
                    f"{', '.join(FIELD_ALIASES)} (or their Chinese names, see shgeo.inputs.attributes.FIELD_ALIASES)",
                    key=str(field))
            continue
        value = parse_value(key, raw, field=str(field))
        if value is not None:
            out[key] = value
    return out


def find_id_field(columns: Iterable[str], id_field: str | None = None) -> str | None:
    """Return the column holding the project id: *id_field* if given, else the first of :data:`ID_FIELDS`."""
    columns = list(columns)
    if id_field is not None:
        return id_field if id_field in columns else None
    by_norm = {_norm(c): c for c in columns}
    for name in ID_FIELDS:
        if _norm(name) in by_norm:
            return by_norm[_norm(name)]
    return None


def _id_text(value: object) -> str:
    if _is_missing(value) and not (isinstance(value, str) and value.strip()):
        return ""
    return id_text(value)


def _read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = path.read_text(encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise QueryError(f"{path}: cannot decode the attribute table (expected UTF-8 or GB18030)")
    # newline="" lets the csv module see quoted line breaks; a U+2028 in a cell is not a row
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(header):
            raise QueryError(f"{path}: line {reader.line_num}: {len(cells)} cells but {len(header)} columns "
                             "— quote cells that hold commas")
        rows.append((reader.line_num, dict(zip(header, cells))))
    return header, rows


def read_attribute_table(
    source: str | Path | pd.DataFrame, *, id_field: str | None = None,
    errors: dict[str, QueryError] | None = None,
) -> dict[str, dict[str, Any]]:
    """Read project attributes keyed by project id: ``{project_id: {key: value}}``.

    *source*: a CSV file (UTF-8 with or without BOM, or GB18030) or a DataFrame.
    The id column is *id_field* (when the table has it) or the first of
    :data:`ID_FIELDS`.  Columns are matched like footprint fields: unmapped
    ones (项目名称, 备注 …) are ignored with a warning (name columns silently).
    A bad value or a repeated id raises :class:`QueryError`, unless *errors*
    is given: then that project's error goes into ``errors[project_id]`` and
    its row is left out, so only that project fails.  A table without an id
    column, or a row with values but no id, always raises.
    """
    if isinstance(source, pd.DataFrame):
        where = "attributes DataFrame"
        header = [str(c) for c in source.columns]
        frame = source.copy()
        frame.columns = header
        rows = [(i + 2, rec) for i, rec in enumerate(frame.to_dict(orient="records"))]
    else:
        path = Path(source)
        where = str(path)
        header, rows = _read_csv_rows(path)
    id_col = find_id_field(header, id_field) or find_id_field(header)
    if id_col is None:
        raise QueryError(
            f"{where}: no project id column (looked for {id_field or ', '.join(ID_FIELDS)}); "
            "name it with --id-field", key="id")
    names = {_norm(n) for n in NAME_FIELDS}
    ignored = [c for c in header if c != id_col and attribute_key(c) is None and _norm(c) not in names]
    if ignored:
        log.warning("%s: columns %s are not project attributes and are ignored", where, ", ".join(ignored))
    table: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        pid = _id_text(row.get(id_col))
        if not pid:
            raise QueryError(f"{where}: line {line}: empty project id in column {id_col!r}", key=id_col)
        fields = {k: v for k, v in row.items() if k != id_col and k is not None}
        try:
            if pid in table or (errors is not None and pid in errors):
                raise QueryError(f"project id {pid!r} appears twice; keep one row per project")
            parsed = _from_mapping(fields, strict=False, where=where)
        except QueryError as exc:
            # the key once: "<file>: line N: <key>: <what is wrong>"
            err = QueryError(f"{where}: line {line}: {exc}")
            err.key = exc.key or id_col
            if errors is None:
                raise err from None
            errors[pid] = err
            table.pop(pid, None)
            continue
        table[pid] = parsed
    return table


def project_attributes(
    fields: Mapping[str, Any] | None = None,
    joined: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Combine one project's attributes: *defaults* < file *fields* < *joined* row.

    *fields* are the footprint's own columns (unmapped ones ignored); *defaults*
    and *joined* must use known keys or aliases (an unknown key raises
    :class:`QueryError`).  Unknown values are left out.
    """
    out: dict[str, Any] = {}
    if defaults:
        out.update(_from_mapping(defaults, strict=True, where="attributes"))
    if fields:
        out.update(_from_mapping(fields, strict=False, where="footprint fields"))
    if joined:
        out.update(_from_mapping(joined, strict=True, where="joined attributes"))
    return out


def attribute_sources(attributes: Any, id_field: str | None = None
                      ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, QueryError]]:
    """Split the *attributes* argument into (defaults for all projects, table keyed by project id,
    errors of table rows keyed by project id — those projects fail, the others go on)."""
    errors: dict[str, QueryError] = {}
    if attributes is None:
        return {}, {}, errors
    if isinstance(attributes, (str, Path, pd.DataFrame)):
        # a CSV and a DataFrame are matched alike: unknown columns (项目名称 …) ignored, bad cells per project
        return {}, read_attribute_table(attributes, id_field=id_field, errors=errors), errors
    if isinstance(attributes, Mapping):
        if attributes and all(isinstance(v, Mapping) for v in attributes.values()):
            return {}, {str(k): dict(v) for k, v in attributes.items()}, errors
        return dict(attributes), {}, errors
    raise QueryError(f"attributes must be a CSV path, DataFrame or mapping, not {type(attributes).__name__}",
                     key="attributes")
