"""The JSON decision interface: a query of spatial facts and project attributes in,
the findings of both regulations and an overall verdict out (DESIGN.md,
"The decision interface (contract)").

>>> answer = route({"spatial": {"redline": True, "districts": ["崇明区"]},
...                 "project": {"activity": 1, "annex_conditions_met": True,
...                             "new_construction_land": False, "sea_island_use": False,
...                             "construction": False}}, as_of="2025-06-01")
>>> answer["overall"], answer["findings"][0]["clauses"]
('procedures_apply', ['二(五)'])
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..errors import QueryError
from . import groundwater, redline
from ._facts import SPATIAL_DEFAULTS
from ._finding import clause_sort_key

__all__ = ["route", "validate_query", "OVERALL", "PROJECT_KEYS", "SPATIAL_KEYS"]

#: ``overall`` values, strongest first (DESIGN.md precedence).
OVERALL = ("prohibited", "prohibited_in_principle", "needs_information", "procedures_apply",
           "not_restricted")

_PROCEDURE_OUTCOMES = {"recognition_required", "already_recognised", "notify_only",
                       "major_project_occupation", "obligations"}

_BOOL = "bool"
_STR_LIST = "list[str]"

SPATIAL_KEYS: dict[str, str] = {
    "redline": _BOOL, "core_zone": _BOOL, "protected_area": _STR_LIST,
    "water_source_l1": _STR_LIST, "groundwater_village": _STR_LIST,
    "districts": _STR_LIST, "redline_districts": _STR_LIST,
    "land": _BOOL, "sea": _BOOL, "island": _BOOL,
}
assert set(SPATIAL_KEYS) == set(SPATIAL_DEFAULTS)

_PROJECT_BOOLS = (
    "annex_conditions_met", "national_major", "within_major_scope", "new_construction_land",
    "sea_island_use", "construction", "planning_permit", "existing_site_or_repair",
    "new_overhead_line", "open_cut_underground", "underground_exit_or_vent", "temporary_land",
    "special_plan_recognised", "changed_since_special_plan", "state_council_sea",
    "new_reclamation", "new_enclosure", "new_island_use", "island_low_impact",
    "expands_existing_energy_facility", "cross_district", "water_supply_related",
    "may_pollute", "has_polluted",
)

PROJECT_KEYS: dict[str, str] = {
    "activity": "1-9 | development | other",
    **{k: _BOOL for k in _PROJECT_BOOLS},
    "works": " | ".join(groundwater.WORKS),
    "unit_roles": f"list of {', '.join(groundwater.UNIT_ROLES)}",
    "confirmed_route": "clause token or list of clause tokens",
}

_ACTIVITIES = tuple(str(n) for n in range(1, 10)) + ("development", "other")

#: Clause tokens a user may put in ``confirmed_route`` (the routes the text leaves open).
_ROUTE_TOKENS = ("二(一)", "二(二)", "二(三)第一款", "二(三)第二款", "二(四)", "二(五)", "二(六)",
                 "三(一)第一款", "三(一)第二款", "三(二)")

_TOP_KEYS = ("spatial", "project", "as_of", "id")

#: The facts that decide whether either regulation applies at all.
_ZONE_KEYS = ("redline", "water_source_l1", "groundwater_village")

_VILLAGE_CODE = re.compile(r"^\d{12}$")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_bool(key: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise QueryError(f"expected true, false or null, got {_type_name(value)} {value!r}", key=key)


def _check_str_list(key: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise QueryError(f"expected a list of strings, got {_type_name(value)} {value!r}", key=key)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise QueryError(f"item {i}: expected a non-empty string, got {_type_name(item)} {item!r}",
                             key=key)
    return tuple(dict.fromkeys(item.strip() for item in value))


def _check_spatial(block: Any) -> dict[str, Any]:
    if not isinstance(block, Mapping):
        raise QueryError(f"expected an object, got {_type_name(block)}", key="spatial")
    out: dict[str, Any] = {}
    for key, value in block.items():
        qkey = f"spatial.{key}"
        if key not in SPATIAL_KEYS:
            raise QueryError(f"unknown key; expected one of {', '.join(SPATIAL_KEYS)}", key=qkey)
        if SPATIAL_KEYS[key] == _BOOL:
            out[key] = _check_bool(qkey, value)
        else:
            out[key] = _check_str_list(qkey, value)
    zones = out.get("water_source_l1")
    if zones:
        bad = [z for z in zones if z not in groundwater.PROTECTION_ZONES]
        if bad:
            raise QueryError(f"unknown zone {bad[0]!r}; expected any of "
                             f"{', '.join(groundwater.PROTECTION_ZONES)}", key="spatial.water_source_l1")
    codes = out.get("groundwater_village")
    if codes:
        bad = [c for c in codes if not _VILLAGE_CODE.match(c)]
        if bad:
            raise QueryError(f"{bad[0]!r} is not a 12-digit village code", key="spatial.groundwater_village")
    return out


def _check_activity(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise QueryError(f"expected 1-9, \"development\" or \"other\", got {_type_name(value)} {value!r}",
                         key="project.activity")
    text = str(value).strip()
    if text not in _ACTIVITIES:
        raise QueryError(f"expected one of {', '.join(_ACTIVITIES)}, got {value!r}", key="project.activity")
    return text


def _check_choice(key: str, value: Any, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in choices:
        raise QueryError(f"expected one of {', '.join(choices)}, got {_type_name(value)} {value!r}", key=key)
    return value


def _check_project(block: Any) -> dict[str, Any]:
    if not isinstance(block, Mapping):
        raise QueryError(f"expected an object, got {_type_name(block)}", key="project")
    out: dict[str, Any] = {}
    for key, value in block.items():
        qkey = f"project.{key}"
        if key not in PROJECT_KEYS:
            raise QueryError(f"unknown key; expected one of {', '.join(PROJECT_KEYS)}", key=qkey)
        if key == "activity":
            out[key] = _check_activity(value)
        elif key == "works":
            out[key] = _check_choice(qkey, value, groundwater.WORKS)
        elif key == "unit_roles":
            roles = _check_str_list(qkey, value)
            for role in roles or ():
                _check_choice(qkey, role, groundwater.UNIT_ROLES)
            out[key] = roles
        elif key == "confirmed_route":
            tokens = (value,) if isinstance(value, str) else value
            tokens = _check_str_list(qkey, tokens)
            for token in tokens or ():
                _check_choice(qkey, token, _ROUTE_TOKENS)
            out[key] = tokens
        else:
            out[key] = _check_bool(qkey, value)
    return out


def _check_date(key: str, value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise QueryError(f"expected a date YYYY-MM-DD, got {_type_name(value)} {value!r}", key=key)


def validate_query(query: Any) -> dict[str, Any]:
    """Check a query and return it normalised.

    Returns ``{"spatial": {...}, "project": {...}, "as_of": date | None, "id": ...}``
    where ``spatial`` and ``project`` keep only the keys given (``None`` =
    stated unknown), lists become tuples and ``activity`` a string.
    Raises :class:`~shgeo.errors.QueryError` naming the key on an unknown
    key, a wrong type or a value outside its closed set.
    """
    if not isinstance(query, Mapping):
        raise QueryError(f"a query is a JSON object with keys {', '.join(_TOP_KEYS)}, "
                         f"got {_type_name(query)}")
    for key in query:
        if key not in _TOP_KEYS:
            raise QueryError(f"unknown key; expected one of {', '.join(_TOP_KEYS)}", key=str(key))
    ident = query.get("id")
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, (str, int))):
        raise QueryError(f"expected a string or integer, got {_type_name(ident)}", key="id")
    return {
        "spatial": _check_spatial({} if query.get("spatial") is None else query["spatial"]),
        "project": _check_project({} if query.get("project") is None else query["project"]),
        "as_of": _check_date("as_of", query.get("as_of")),
        "id": ident,
    }


def overall(findings: list[dict[str, Any]]) -> str:
    """The overall verdict: prohibited > prohibited_in_principle > needs_information >
    procedures_apply (any route or duty) > not_restricted."""
    outcomes = {f["outcome"] for f in findings}
    for verdict in OVERALL[:3]:
        if verdict in outcomes:
            return verdict
    if outcomes & _PROCEDURE_OUTCOMES:
        return "procedures_apply"
    return "not_restricted"


def route(query: Mapping[str, Any], *, as_of: date | str | None = None) -> dict[str, Any]:
    """Findings of 沪府办发〔2025〕8号 and 沪环规〔2025〕1号 for one project.

    ``as_of`` (the day the rules are applied) wins over the query's own
    ``as_of``; without either, today. Returns ``{"findings": [...],
    "overall": ..., "as_of": "YYYY-MM-DD"}`` (plus ``"id"`` if the query has one);
    one finding per regulation that applies, none for a project that touches
    neither the red line nor a groundwater key zone.
    """
    q = validate_query(query)
    day = _check_date("as_of", as_of) or q["as_of"] or date.today()
    # A spatial key left out of a given block means the overlay found nothing; but a
    # query with no spatial facts at all says nothing about the zones: fail closed.
    spatial = q["spatial"] or dict.fromkeys(_ZONE_KEYS)
    findings = []
    for module in (redline, groundwater):
        finding = module.assess(spatial, q["project"], day)
        if finding is not None:
            findings.append(finding)
    answer: dict[str, Any] = {"findings": findings, "overall": overall(findings), "as_of": day.isoformat()}
    if q["id"] is not None:
        answer["id"] = q["id"]
    return answer


def clause_tokens() -> tuple[str, ...]:
    """Every clause token a finding may carry, in document order."""
    tokens = {c for mod in (redline, groundwater) for c, _ in mod.DOCUMENT.passages.values()}
    return tuple(sorted(tokens, key=clause_sort_key))
