"""``route()`` with every memo and shared sub-result answers as a plain evaluation does.

``route()`` shares work between queries: the diagram walk is memoised on the facts each part of
the diagram reads, the questions once per restricted node, the needs_information parts once per
set of verdicts and questions, the derivations once per group of related facts. A memo keyed on
too little gives one query the answer of another. Here a seeded mix of a few thousand queries
(every project fact declared, about half, about one in ten; the spatial block complete, with
keys left out or stated unknown) is answered once in one pass, each query after the ones before
it, and again by a plain evaluation: the diagram walked from the root for that query alone
(memoised within the query only), the questions ranked as :mod:`shgeo.rules._diagram` says, and
every cache of the rules emptied before each query. The two must agree byte for byte.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

import pytest

from shgeo.rules import _assessment, _derivation, groundwater, redline
from shgeo.rules._diagram import Diagram, Reach
from shgeo.rules.decision import PROJECT_KEYS, route

DISTRICTS = ["崇明区", "宝山区", "浦东新区", "金山区", "奉贤区", "青浦区"]
VILLAGES = ["310151101201", "310120101201", "310114501213"]
YES_NO = [k for k, kind in PROJECT_KEYS.items() if kind == "bool" and k != "cross_district"]


def _query(rng: random.Random, declared: float) -> dict:
    redline_hit = rng.random() < 0.75
    districts = rng.sample(DISTRICTS, rng.choice((0, 1, 1, 2)))
    spatial: dict[str, Any] = {
        "redline": redline_hit, "core_zone": redline_hit and rng.random() < 0.08, "land": rng.random() < 0.9,
        "sea": rng.random() < 0.3, "island": rng.random() < 0.05,
        "protected_area": rng.sample(["自然保护区", "风景名胜区", "自然公园"], rng.choice((0, 0, 1))),
        "water_source_l1": rng.sample(["青草沙", "陈行"], 1) if rng.random() < 0.15 else [],
        "groundwater_village": rng.sample(VILLAGES, 1) if rng.random() < 0.15 else [],
        "districts": districts,
        "redline_districts": districts[:rng.randint(1, len(districts))] if redline_hit and districts else [],
    }
    for key in list(spatial):
        draw = rng.random()
        if draw < 0.04:
            del spatial[key]   # the overlay found nothing there
        elif draw < (0.2 if key in ("land", "sea", "island") else 0.07):
            spatial[key] = None   # stated unknown (land, sea, island: what answers about them bring depends
            #                       on each other)
    project: dict[str, Any] = {}
    for key in YES_NO:
        if rng.random() < declared:
            project[key] = rng.random() < 0.3
    if rng.random() < declared:
        project["activity"] = rng.choice(["1", "2", "5", "6", "8", "development", "other"])
    if rng.random() < declared:
        project["works"] = rng.choice(groundwater.WORKS)
    if rng.random() < declared:
        project["unit_roles"] = rng.sample(groundwater.UNIT_ROLES, rng.choice((0, 1, 1, 2)))
    if rng.random() < declared * 0.3:
        project["confirmed_route"] = rng.sample(["二(三)第一款", "二(三)第二款", "二(六)", "三(一)第一款"], 1)
    return {"spatial": spatial, "project": project}


def queries(n_per_mix: int = 1000) -> list[dict]:
    """Seeded queries: ``n_per_mix`` with every project fact declared, about half, about one in ten."""
    rng = random.Random(20250607)
    return [_query(rng, declared) for declared in (1.0, 0.5, 0.1) for _ in range(n_per_mix)]


def _plain_reach(self: Diagram, values: Mapping[str, Any], encoded: tuple[int, int] | None = None,
                 follows: Any = None) -> Reach:
    """:meth:`Diagram.reach` evaluated for one query alone, from the root of the compiled diagram."""
    known, bits = encoded or self.layout.encode(values)
    offsets, kids_of, var_of = self.layout.offsets, self._kids, self._var

    def child(node: int, k: int, b: int) -> int:
        i = var_of[node]
        value_bits = b >> offsets[i] & ((1 << len(kids_of[node])) - 1)
        return kids_of[node][value_bits.bit_length() - 1]

    walked: dict[int, tuple[int, dict[int, list[int]], int]] = {}

    def walk(node: int) -> tuple[int, dict[int, list[int]], int]:
        """(verdicts, {unknown variable met: verdicts under each value}, known variables read)."""
        if node < 0:
            return 1 << (-1 - node), {}, 0
        if node not in walked:
            i = var_of[node]
            if known >> i & 1:
                mask, cond, used = walk(child(node, known, bits))
                walked[node] = (mask, cond, used | 1 << i)
            else:
                parts = [walk(kid) for kid in kids_of[node]]
                mask = used = 0
                for m, _, u in parts:
                    mask |= m
                    used |= u
                cond: dict[int, list[int]] = {}
                for var in {v for _, c, _ in parts for v in c}:
                    width = len(self.domains[var])
                    cond[var] = [0] * width
                    for m, c, _ in parts:
                        for x in range(width):
                            cond[var][x] |= c[var][x] if var in c else m
                cond[i] = [m for m, _, _ in parts]
                walked[node] = (mask, cond, used)
        return walked[node]

    def mask_under(node: int, k: int, b: int) -> int:
        if node < 0:
            return 1 << (-1 - node)
        if k >> var_of[node] & 1:
            return mask_under(child(node, k, b), k, b)
        out = 0
        for kid in kids_of[node]:
            out |= mask_under(kid, k, b)
        return out

    mask, cond, used = walk(self.root)
    ranked = []
    count = mask.bit_count()
    for i, masks in cond.items():
        var = self.variables[i]
        if follows is not None and var in follows.brings:
            judged = []
            for value, m in zip(self.domains[i], masks):
                extra = [(o, v) for o, v in follows(var, value, values) if self.layout.index.get(o) in cond]
                if extra:
                    k, b = self.layout.bits[var][value]
                    for o, v in extra:
                        k |= self.layout.bits[o][v][0]
                        b |= self.layout.bits[o][v][1]
                    m = mask_under(self.root, known | k, bits | b)
                judged.append(m)
            masks = judged
        sizes = [m.bit_count() for m in masks]
        if min(sizes) < count:
            ranked.append((sum(sizes) / len(sizes), max(sizes), i, tuple(masks)))
    if not ranked:
        ranked = [(0.0, 0, i, tuple(masks)) for i, masks in cond.items()]
    ranked.sort(key=lambda t: t[:3])
    return Reach(self, mask, tuple((i, masks) for _, _, i, masks in ranked), used)


def _forget_everything() -> None:
    """Empty every cache the rules keep between queries."""
    _assessment._OPEN.clear()
    _assessment._presumed_entries.cache_clear()
    _assessment._PRESUMED.clear()
    _assessment._CANDIDATES.clear()
    _assessment._QUESTIONS.clear()
    _assessment._BASE.clear()
    _assessment._settled_head.cache_clear()
    _assessment._condition.cache_clear()
    for _, _, memo in _derivation._GROUPS:
        memo.clear()
    _derivation._CROSS_DISTRICT.clear()
    for module in (redline, groundwater):
        module.diagram()._mask_verdicts.clear()


def _text(answer: dict) -> str:
    return json.dumps(answer, ensure_ascii=False, sort_keys=False)


@pytest.fixture(scope="module")
def shared_answers() -> list[tuple[dict, str]]:
    """Each query answered once, in one pass, after the ones before it (memos shared)."""
    return [(q, _text(route(q, as_of="2025-06-01"))) for q in queries()]


def test_the_plain_evaluation_walks_the_diagram_itself(monkeypatch):
    """The reference must not reach the memoised walk (else the comparison proves nothing)."""
    monkeypatch.setattr(Diagram, "reach", _plain_reach)
    monkeypatch.setattr(Diagram, "_restrict", None)
    route(queries(3)[-1], as_of="2025-06-01")


def test_shared_memos_answer_as_a_plain_evaluation(shared_answers, monkeypatch):
    monkeypatch.setattr(Diagram, "reach", _plain_reach)
    differing = []
    for i, (query, shared) in enumerate(shared_answers):
        _forget_everything()
        plain = _text(route(query, as_of="2025-06-01"))
        if plain != shared:
            differing.append(i)
    _forget_everything()
    assert not differing, (f"{len(differing)} of {len(shared_answers)} answers differ, first query "
                           f"{json.dumps(shared_answers[differing[0]][0], ensure_ascii=False)}")


def test_the_mixes_reach_questions_and_routes():
    """The queries exercise what the memos serve: open findings with questions, and routed ones."""
    outcomes = {}
    for q in queries(200):
        for f in route(q, as_of="2025-06-01")["findings"]:
            outcomes[f["outcome"]] = outcomes.get(f["outcome"], 0) + 1
    assert outcomes.get("needs_information", 0) > 100
    assert sum(outcomes.get(o, 0) for o in ("recognition_required", "notify_only",
                                            "major_project_occupation", "obligations")) > 20


def test_memos_emptied_when_full_still_answer_as_a_plain_evaluation(monkeypatch):
    """With tiny limits every memo (and the restricted nodes) is emptied many times over a run."""
    from shgeo.rules import _diagram

    sample = queries(200)
    monkeypatch.setattr(_diagram, "_MEMO_LIMIT", 7)
    monkeypatch.setattr(_diagram, "_RESTRICTED_LIMIT", 30)
    monkeypatch.setattr(_assessment, "_OPEN_LIMIT", 5)
    for module in (redline, groundwater):
        module.diagram()._forget_restricted()
    shared = [_text(route(q, as_of="2025-06-01")) for q in sample]
    assert len(redline.diagram()._r_mask) <= 30 + len(redline.diagram())
    monkeypatch.setattr(Diagram, "reach", _plain_reach)
    for query, answer in zip(sample, shared):
        _forget_everything()
        assert _text(route(query, as_of="2025-06-01")) == answer, json.dumps(query, ensure_ascii=False)
    _forget_everything()
