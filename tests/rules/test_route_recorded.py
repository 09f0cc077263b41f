"""The decision interface answers exactly as recorded: every byte of ``route()``'s JSON, for a seeded
mix of queries (every fact declared, about half, about one in ten, almost none; spatial keys left
out, facts stated unknown, names of layers, no spatial block, days before and after the validity
windows).

``route_recorded.json.gz`` holds each query with its answer as ``route()`` gave it when the file was
recorded. A change in what any answer says, cites or dates fails here: a change meant to alter
answers re-records the file (``python tests/rules/test_route_recorded.py --record``) and shows the
difference in review; one meant to keep them (a faster walk, cheaper copies) must leave this test
green. Each query is answered twice, in recorded order and reversed, so that answers do not depend
on what earlier queries left in memory.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

import pytest

from shgeo.rules.decision import PROJECT_KEYS, route
from shgeo.rules.groundwater import UNIT_ROLES, WORKS

RECORDED = Path(__file__).parent / "route_recorded.json.gz"

#: Each spatial key with the values a query may give it (drawn for every query; lists are sampled).
_SPATIAL = {
    "redline": [True, True, False], "core_zone": [False, False, False, True], "land": [True, True, False],
    "sea": [False, False, True], "island": [False, False, False, True],
    "protected_area": ["自然保护区", "风景名胜区", "自然公园", "湿地公园"],
    "water_source_l1": ["青草沙", "陈行", "黄浦江上游", "东风西沙"],
    "groundwater_village": ["310151101201", "310120101201", "310114501213"],
    "districts": ["崇明区", "宝山区", "浦东新区", "金山区", "奉贤区"],
    "redline_districts": ["崇明区", "宝山区", "浦东新区"],
    "outside_share": [0.0, 0.0, 0.0, 0.25],
}
#: Each project key other than the yes/no ones, with its values.
_PROJECT = {
    "activity": ["1", "2", "5", "6", "8", "9", 3, "development", "other"],
    "works": list(WORKS),
    "unit_roles": list(UNIT_ROLES),
    "confirmed_route": ["二(三)第一款", "二(三)第二款", "二(六)", "三(一)第一款", "三(二)"],
}
_YES_NO = [k for k, kind in PROJECT_KEYS.items() if kind == "bool"]


_LIST_KEYS = {"protected_area", "water_source_l1", "groundwater_village", "districts", "redline_districts",
              "unit_roles", "confirmed_route"}


def _value(rng: random.Random, key: str, values: list) -> object:
    if key in _LIST_KEYS:
        return rng.sample(values, rng.choice((0, 0, 1, 1, 2)))   # some of its values
    return rng.choice(values)


def _query(rng: random.Random, declared: float) -> dict:
    """One query; each project fact declared with probability ``declared``, the spatial block complete
    but for some keys (left out: the overlay found nothing there) and some unknowns."""
    spatial = {}
    for key, values in _SPATIAL.items():
        draw = rng.random()
        if draw < 0.85:
            spatial[key] = _value(rng, key, values)
        elif draw < 0.9:
            spatial[key] = None
    project: dict = {}
    for key in _YES_NO:
        if rng.random() < declared:
            project[key] = rng.random() < 0.3
    for key, values in _PROJECT.items():
        if rng.random() < declared:
            project[key] = _value(rng, key, values)
    return {"spatial": spatial, "project": project}


def cases() -> list[tuple[dict, dict]]:
    """(query, keyword arguments of ``route``), seeded."""
    out = []
    rng = random.Random(20250601)
    for declared, n in ((1.0, 100), (0.5, 150), (0.1, 150), (0.02, 40)):
        for i in range(n):
            query = _query(rng, declared)
            kwargs: dict = {"as_of": rng.choice(["2025-06-01"] * 6 + ["2024-12-31", "2030-03-01"])}
            if i % 11 == 0:   # facts stated unknown
                query["project"] = {k: (None if rng.random() < 0.3 else v) for k, v in query["project"].items()}
            if i % 13 == 0:
                kwargs["check_names"] = False
            if i % 17 == 0:   # no spatial block at all, and an id
                query = {"project": query["project"], "id": f"p{i}"}
            out.append((query, kwargs))
    return out


def _text(answer: dict) -> str:
    return json.dumps(answer, ensure_ascii=False)


@pytest.fixture(scope="module")
def recorded() -> list[dict]:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as f:
        return json.load(f)


def test_recorded_queries_are_the_seeded_ones(recorded):
    assert [[c["query"], c["kwargs"]] for c in recorded] == json.loads(json.dumps(cases()))


@pytest.mark.parametrize("order", ["recorded", "reversed"])
def test_route_answers_as_recorded(recorded, order):
    items = list(enumerate(recorded))
    if order == "reversed":
        items.reverse()
    for i, case in items:
        got = _text(route(case["query"], **case["kwargs"]))
        assert got == _text(case["answer"]), f"case {i}: {json.dumps(case['query'], ensure_ascii=False)}"


def _record() -> None:
    data = [{"query": q, "kwargs": kw, "answer": route(q, **kw)} for q, kw in cases()]
    with gzip.open(RECORDED, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    _record()
