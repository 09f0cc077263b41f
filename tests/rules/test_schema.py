"""The JSON Schema shipped with the package (``shgeo route --schema``) is in step with the code,
and every query the engine accepts and every answer it gives validates against it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from shgeo.errors import QueryError
from shgeo.rules import FINDING_KEYS, OUTCOMES
from shgeo.rules._vocabulary import (PROTECTED_AREA_TYPES, PROTECTION_ZONES, ROUTE_TOKENS, SHANGHAI_DISTRICTS,
                                     UNIT_ROLES, WORKS)
from shgeo.rules.decision import OVERALL, PROJECT_KEYS, SPATIAL_KEYS, route, schema, validate_query

from test_relevance import complete_queries, incomplete_queries

SCHEMA = schema()
DEFS = SCHEMA["$defs"]


def _validator(name):
    return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": DEFS},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


QUERY, ANSWER = _validator("query"), _validator("answer")


def _enum(node):
    """The enum of a property, through anyOf/array wrappers."""
    if "enum" in node:
        return node["enum"]
    if "items" in node:
        return _enum(node["items"])
    for alt in node.get("anyOf", []):
        found = _enum(alt)
        if found:
            return found
    return None


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_names_every_key_and_value_the_code_accepts():
    assert set(DEFS["spatial"]["properties"]) == set(SPATIAL_KEYS)
    assert set(DEFS["project"]["properties"]) == set(PROJECT_KEYS)
    props = DEFS["spatial"]["properties"]
    assert _enum(props["districts"]) == _enum(props["redline_districts"]) == list(SHANGHAI_DISTRICTS)
    assert _enum(props["protected_area"]) == list(PROTECTED_AREA_TYPES)
    assert _enum(props["water_source_l1"]) == list(PROTECTION_ZONES)
    project = DEFS["project"]["properties"]
    assert _enum(project["unit_roles"]) == list(UNIT_ROLES)
    assert _enum(project["works"]) == list(WORKS)
    assert _enum(project["confirmed_route"]) == list(ROUTE_TOKENS)
    assert list(DEFS["finding"]["properties"]) == list(FINDING_KEYS) == DEFS["finding"]["required"]
    assert DEFS["finding"]["properties"]["outcome"]["enum"] == list(OUTCOMES)
    assert DEFS["answer"]["properties"]["overall"]["enum"] == list(OVERALL)


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(query=complete_queries(), day=st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)),
       share=st.one_of(st.none(), st.floats(0, 1)))
def test_complete_queries_and_their_answers_validate(query, day, share):
    query["spatial"]["outside_share"] = share
    query["as_of"] = day.isoformat()
    QUERY.validate(query)
    ANSWER.validate(route(query))


@_SETTINGS
@given(case=incomplete_queries(max_blanks=8))
def test_incomplete_queries_and_their_answers_validate(case):
    query, _ = case
    QUERY.validate(query)
    answer = route(query, as_of="2025-06-01")
    ANSWER.validate(answer)
    for finding in answer["findings"]:
        if finding["outcome"] == "needs_information":
            assert finding["settled"] is not None and finding["questions"]
        else:
            assert finding["settled"] is None


@pytest.mark.parametrize("query", [
    {"spatial": {"districts": ["上海市"]}}, {"spatial": {"protected_area": ["重要湿地"]}},
    {"spatial": {"water_source_l1": ["淀山湖"]}}, {"spatial": {"groundwater_village": ["3101"]}},
    {"spatial": {"outside_share": 2}}, {"project": {"works": "demolish"}}, {"project": {"unit_roles": ["x"]}},
    {"project": {"activity": 10}}, {"project": {"confirmed_route": "二(九)"}}, {"spatial": {"x": 1}},
    {"extra": 1},
])
def test_what_the_code_refuses_the_schema_refuses(query):
    with pytest.raises(QueryError):
        validate_query(query)
    assert not QUERY.is_valid(query)


def test_the_protected_area_categories_are_those_the_layer_checks_know():
    """A category the layers may carry is one the rules accept (中办发〔2019〕42号 二(四))."""
    from shgeo.library.published import PROTECTED_CATEGORIES

    assert set(PROTECTED_AREA_TYPES) == set(PROTECTED_CATEGORIES)
