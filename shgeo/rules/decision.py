"""The JSON decision interface: a query of spatial facts and project attributes in,
the findings of both regulations and an overall verdict out (DESIGN.md,
"The decision interface (contract)"; JSON Schema: :func:`schema`).

>>> answer = route({"spatial": {"redline": True, "districts": ["崇明区"]},
...                 "project": {"activity": 1, "annex_conditions_met": True,
...                             "new_construction_land": False, "sea_island_use": False,
...                             "construction": False}}, as_of="2025-06-01")
>>> answer["overall"], answer["findings"][0]["clauses"]
('procedures_apply', ['二(五)'])

Validation is dict and set lookups only (no regular expressions, no text
parsing); the rules are compiled once (:mod:`._diagram`), so a query costs a
walk of the diagram and the wording of its findings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from ..errors import QueryError
from . import groundwater, redline
from ._derivation import SPATIAL_DEFAULTS, known_facts
from ._finding import clause_sort_key
from ._vocabulary import (ACTIVITIES, PROTECTED_AREA_TYPES, PROTECTION_ZONES, ROUTE_TOKENS, SHANGHAI_DISTRICTS,
                          UNIT_ROLES, WORKS)

__all__ = ["route", "validate_query", "overall", "schema", "OVERALL", "PROJECT_KEYS", "SPATIAL_KEYS"]

#: ``overall`` values, strongest first (DESIGN.md precedence).
OVERALL = ("prohibited", "prohibited_in_principle", "needs_information", "procedures_apply",
           "not_in_force", "partly_outside", "not_restricted")

_PROCEDURE_OUTCOMES = frozenset({"recognition_required", "already_recognised", "notify_only",
                                 "major_project_occupation", "obligations"})

_BOOL = "bool"
_STR_LIST = "list[str]"

SPATIAL_KEYS: dict[str, str] = {
    "redline": _BOOL, "core_zone": _BOOL, "protected_area": _STR_LIST,
    "water_source_l1": _STR_LIST, "groundwater_village": _STR_LIST,
    "districts": _STR_LIST, "redline_districts": _STR_LIST,
    "land": _BOOL, "sea": _BOOL, "island": _BOOL, "outside_share": "number 0-1",
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
    "works": " | ".join(WORKS),
    "unit_roles": f"list of {', '.join(UNIT_ROLES)}",
    "confirmed_route": "clause token or list of clause tokens",
}

_TOP_KEYS = ("spatial", "project", "as_of", "id")

#: The facts that decide whether either regulation applies at all.
_ZONE_KEYS = ("redline", "water_source_l1", "groundwater_village")

#: Closed sets of the list keys (``groundwater_village``: 12-digit codes, checked apart).
_CLOSED = {
    "protected_area": frozenset(PROTECTED_AREA_TYPES),
    "water_source_l1": frozenset(PROTECTION_ZONES),
    "districts": frozenset(SHANGHAI_DISTRICTS),
    "redline_districts": frozenset(SHANGHAI_DISTRICTS),
    "unit_roles": frozenset(UNIT_ROLES),
    "confirmed_route": frozenset(ROUTE_TOKENS),
}
_EXPECTED = {
    "protected_area": PROTECTED_AREA_TYPES, "water_source_l1": PROTECTION_ZONES, "districts": SHANGHAI_DISTRICTS,
    "redline_districts": SHANGHAI_DISTRICTS, "unit_roles": UNIT_ROLES, "confirmed_route": ROUTE_TOKENS,
}
_ACTIVITY_SET = frozenset(ACTIVITIES)
_WORKS_SET = frozenset(WORKS)


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _shown(value: Any) -> str:
    """``repr`` of a user value, short and printable on any terminal."""
    try:
        text = repr(value)
    except RecursionError:
        return f"<{_type_name(value)} nested too deeply>"
    if len(text) > 60:
        text = text[:57] + "..."
    return text.encode("ascii", "backslashreplace").decode("ascii") if not text.isprintable() else text


def _check_bool(key: str, value: Any) -> bool | None:
    if value is None or value is True or value is False:
        return value
    raise QueryError(f"expected true, false or null, got {_type_name(value)} {_shown(value)}", key=key)


def _check_str_list(key: str, value: Any, closed: str | None = None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise QueryError(f"expected a list of strings, got {_type_name(value)} {_shown(value)}", key=key)
    allowed = _CLOSED.get(closed) if closed else None
    if allowed is not None:
        try:
            if allowed.issuperset(value):   # the common case: every item a value of the closed set
                return tuple(dict.fromkeys(value))
        except TypeError:   # an unhashable item: named below
            pass
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise QueryError(f"item {i}: expected a non-empty string, got {_type_name(item)} {_shown(item)}",
                             key=key)
        item = item.strip()
        if allowed is not None and item not in allowed:
            raise QueryError(f"unknown value {_shown(item)}; expected any of {', '.join(_EXPECTED[closed])}",
                             key=key)
        items.append(item)
    return tuple(dict.fromkeys(items))


def _check_villages(key: str, value: Any) -> tuple[str, ...] | None:
    codes = _check_str_list(key, value)
    for code in codes or ():
        if not (len(code) == 12 and code.isascii() and code.isdigit()):
            raise QueryError(f"{_shown(code)} is not a 12-digit village code", key=key)
    return codes


def _check_share(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 1:
        raise QueryError(f"expected a number from 0 to 1 (the share of the footprint outside Shanghai) or null, "
                         f"got {_type_name(value)} {_shown(value)}", key=key)
    return float(value)


_SPATIAL_CHECKS = {
    **{k: _check_bool for k, t in SPATIAL_KEYS.items() if t == _BOOL},
    "protected_area": lambda k, v: _check_str_list(k, v, "protected_area"),
    "water_source_l1": lambda k, v: _check_str_list(k, v, "water_source_l1"),
    "districts": lambda k, v: _check_str_list(k, v, "districts"),
    "redline_districts": lambda k, v: _check_str_list(k, v, "redline_districts"),
    "groundwater_village": _check_villages,
    "outside_share": _check_share,
}


#: The same checks, but district names and protected-area categories as the layers give them.
_SPATIAL_CHECKS_OF_LAYERS = {**_SPATIAL_CHECKS, "protected_area": _check_str_list, "districts": _check_str_list,
                             "redline_districts": _check_str_list}


def _unknown_key(qkey: str, expected: Any) -> QueryError:
    return QueryError(f"unknown key; expected one of {', '.join(expected)}", key=qkey)


class _Block:
    """How a ``spatial`` or ``project`` block is checked: its name, the check of each key, the keys
    it takes (for the message), and how each key's common values are taken without calling its check
    (``fast``: key -> (kind, closed set))."""

    __slots__ = ("name", "checks", "expected", "fast")

    def __init__(self, name: str, checks: dict[str, Any], expected: Mapping[str, str]) -> None:
        self.name, self.checks, self.expected = name, checks, expected
        self.fast: dict[str, tuple[int, frozenset[str] | None]] = {}
        for key, check in checks.items():
            if check is _check_bool:
                self.fast[key] = (_YES_NO, None)
            elif key in _WORDS:
                self.fast[key] = (_WORD, _WORDS[key])
            elif key in _CLOSED and key != "confirmed_route" and check is not _check_str_list:
                self.fast[key] = (_CLOSED_LIST, _CLOSED[key])
            elif expected[key] == _STR_LIST or key in _CLOSED:
                self.fast[key] = (_LIST, None)
            else:
                self.fast[key] = (_OTHER, None)


#: How a key's common values are taken: true/false; a string of a closed set; a list whose items are
#: all of a closed set; an empty list (of a list key); none (always checked).
_YES_NO, _WORD, _CLOSED_LIST, _LIST, _OTHER = range(5)
_WORDS = {"activity": _ACTIVITY_SET, "works": _WORKS_SET}


def _check_block(block: Any, spec: _Block) -> dict[str, Any]:
    """Check the ``spatial`` or ``project`` block: every key known, every value of its type and set.

    Key by key, in the block's order (the first wrong key is the one named); the common values
    (null, true or false, a word or a list of a closed set, an empty list) without calling the
    key's check."""
    if type(block) is not dict and not isinstance(block, Mapping):   # (a JSON object is a dict: no ABC check)
        raise QueryError(f"expected an object, got {_type_name(block)}", key=spec.name)
    out: dict[str, Any] = {}
    name, fast = spec.name, spec.fast
    for key, value in block.items():
        how = fast.get(key)
        if how is None:
            raise _unknown_key(f"{name}.{_shown(key)[1:-1] if isinstance(key, str) else _shown(key)}",
                               spec.expected)
        if value is None:
            out[key] = None
            continue
        kind = how[0]
        if kind == _YES_NO:
            if value is True or value is False:
                out[key] = value
                continue
        elif kind == _WORD:
            if type(value) is str and value in how[1]:
                out[key] = value
                continue
        elif type(value) is list and kind != _OTHER:
            if not value:
                out[key] = ()
                continue
            if kind == _CLOSED_LIST:
                try:
                    if how[1].issuperset(value):   # every item a value of the closed set
                        out[key] = tuple(dict.fromkeys(value))
                        continue
                except TypeError:   # an unhashable item: named by the check
                    pass
        out[key] = spec.checks[key](f"{name}.{key}", value)
    return out


def _check_activity(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise QueryError(f"expected 1-9, \"development\" or \"other\", got {_type_name(value)} {_shown(value)}",
                         key=key)
    text = str(value).strip() if isinstance(value, str) else (str(value) if -100 < value < 100 else "")
    if text not in _ACTIVITY_SET:
        raise QueryError(f"expected one of {', '.join(ACTIVITIES)}, got {_shown(value)}", key=key)
    return text


def _check_works(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in _WORKS_SET:
        raise QueryError(f"expected one of {', '.join(WORKS)}, got {_type_name(value)} {_shown(value)}", key=key)
    return value


def _check_confirmed(key: str, value: Any) -> tuple[str, ...] | None:
    return _check_str_list(key, (value,) if isinstance(value, str) else value, "confirmed_route")


_PROJECT_CHECKS = {
    **{k: _check_bool for k in _PROJECT_BOOLS},
    "activity": _check_activity,
    "works": _check_works,
    "unit_roles": lambda k, v: _check_str_list(k, v, "unit_roles"),
    "confirmed_route": _check_confirmed,
}
_PROJECT_BLOCK = _Block("project", _PROJECT_CHECKS, PROJECT_KEYS)
_SPATIAL_BLOCK = _Block("spatial", _SPATIAL_CHECKS, SPATIAL_KEYS)
_SPATIAL_BLOCK_OF_LAYERS = _Block("spatial", _SPATIAL_CHECKS_OF_LAYERS, SPATIAL_KEYS)


def _check_date(key: str, value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise QueryError(f"expected a date YYYY-MM-DD, got {_type_name(value)} {_shown(value)}", key=key)


def _check_id(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise QueryError(f"expected a string or integer, got {_type_name(value)}", key="id")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise QueryError("the id is not valid Unicode text (a lone surrogate)", key="id") from None
    return value


def validate_query(query: Any, *, check_names: bool = True) -> dict[str, Any]:
    """Check a query and return it normalised.

    Returns ``{"spatial": {...}, "project": {...}, "as_of": date | None, "id": ...}``
    where ``spatial`` and ``project`` keep only the keys given (``None`` =
    stated unknown), lists become tuples and ``activity`` a string.
    Raises :class:`~shgeo.errors.QueryError` naming the key on an unknown
    key, a wrong type or a value outside its closed set (districts: Shanghai's
    16; protected-area categories; the four water-source zones; 12-digit
    village codes; unit roles; works; clause tokens). ``check_names=False``
    leaves district names and protected-area categories unchecked: for spatial
    facts read from a layer library, whose layers name them as they do (the
    library stage checks the layers).
    """
    if type(query) is not dict and not isinstance(query, Mapping):
        raise QueryError(f"a query is a JSON object with keys {', '.join(_TOP_KEYS)}, "
                         f"got {_type_name(query)}")
    for key in query:
        if key not in _TOP_KEYS:
            raise _unknown_key(_shown(key)[1:-1] if isinstance(key, str) else _shown(key), _TOP_KEYS)
    spatial, project = query.get("spatial"), query.get("project")
    return {
        "spatial": _check_block({} if spatial is None else spatial,
                                _SPATIAL_BLOCK if check_names else _SPATIAL_BLOCK_OF_LAYERS),
        "project": _check_block({} if project is None else project, _PROJECT_BLOCK),
        "as_of": _check_date("as_of", query.get("as_of")),
        "id": _check_id(query.get("id")),
    }


def overall(findings: list[dict[str, Any]], outside_share: float | None = None) -> str:
    """The overall verdict (:data:`OVERALL`, strongest first): prohibited > prohibited_in_principle >
    needs_information > procedures_apply (any route or duty) > not_in_force (a zone is touched but its
    regulation is not in force on the day) > partly_outside (``outside_share`` > 0) > not_restricted."""
    outcomes = {f["outcome"] for f in findings}
    for verdict in OVERALL[:3]:
        if verdict in outcomes:
            return verdict
    if outcomes & _PROCEDURE_OUTCOMES:
        return "procedures_apply"
    if any((f.get("validity") or {}).get("in_force") is False for f in findings):
        return "not_in_force"
    if outside_share:
        return "partly_outside"
    return "not_restricted"


def route(query: Mapping[str, Any], *, as_of: date | str | None = None, check_names: bool = True
          ) -> dict[str, Any]:
    """Findings of 沪府办发〔2025〕8号 and 沪环规〔2025〕1号 for one project.

    ``as_of`` (the day the rules are applied) wins over the query's own
    ``as_of``; without either, today. Returns ``{"findings": [...],
    "overall": ..., "as_of": "YYYY-MM-DD"}`` (plus ``"id"`` if the query has one);
    one finding per regulation that applies, none for a project that touches
    neither the red line nor a groundwater key zone. ``check_names``: see
    :func:`validate_query`.
    """
    q = validate_query(query, check_names=check_names)
    day = _check_date("as_of", as_of) or q["as_of"] or date.today()
    # A spatial key left out of a given block means the overlay found nothing; but a
    # query with no spatial facts at all says nothing about the zones: fail closed.
    spatial = q["spatial"] or dict.fromkeys(_ZONE_KEYS)
    known = known_facts(spatial, q["project"])
    findings = []
    for module in (redline, groundwater):
        finding = module.assess_known(known, day)
        if finding is not None:
            findings.append(finding)
    answer: dict[str, Any] = {"findings": findings, "overall": overall(findings, spatial.get("outside_share")),
                              "as_of": day.isoformat()}
    if q["id"] is not None:
        answer["id"] = q["id"]
    return answer


@cache
def _schema_text() -> str:
    return resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema of queries and answers (``shgeo/rules/schema.json``; ``shgeo route --schema``)."""
    return json.loads(_schema_text())


def clause_tokens() -> tuple[str, ...]:
    """Every clause token a finding may carry, in document order."""
    tokens = {c for mod in (redline, groundwater) for c, _ in mod.DOCUMENT.passages.values()}
    return tuple(sorted(tokens, key=clause_sort_key))
