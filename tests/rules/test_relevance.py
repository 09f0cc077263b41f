"""Ask only what can change the finding; derive what follows; never a question the text does not need.

Properties over generated queries, checked against an oracle that knows nothing of the
engine: it completes the unknown facts every possible way and routes each complete
query (where the routing is a plain reading of the text), then compares what a
reviewer would act on — outcome, clauses, level, bodies, zone, obligations and extra steps, or,
for a route the text itself leaves open, its candidates and question.

- no ``needs_information`` where every completion of the unknowns gives the same answer;
- no question whose every answer leaves the reachable answers unchanged;
- the candidates are exactly the clauses still reachable;
- derived facts never contradict declared ones, and declaring them changes nothing.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shgeo.rules._derivation import PRESUMED, known_facts
from shgeo.rules._vocabulary import UNIT_ROLES, WORKS
from shgeo.rules.decision import PROJECT_KEYS, route, validate_query

DAY = date(2025, 6, 1)

_BOOL = st.booleans()

#: Project facts generated (confirmed_route apart: an answer to the text; cross_district: derived).
PROJECT_BOOLS = tuple(k for k, kind in PROJECT_KEYS.items() if kind == "bool" and k != "cross_district")

#: Values the oracle tries for an unknown key (activity 1 stands for every 附件 category).
TRIALS = {
    **{k: (True, False) for k in PROJECT_BOOLS + ("redline", "core_zone", "land", "sea", "island")},
    "activity": ("1", "development", "other"),
    "works": WORKS,
    "unit_roles": tuple(list(c) for n in range(len(UNIT_ROLES) + 1) for c in itertools.combinations(UNIT_ROLES, n)),
    "protected_area": ([], ["自然保护区"]),
    "water_source_l1": ([], ["青草沙"]),
    "groundwater_village": ([], ["310151101201"]),
    "districts": ([], ["崇明区"], ["崇明区", "宝山区"]),
    "redline_districts": ([], ["崇明区"], ["崇明区", "宝山区"]),
}
SPATIAL = ("redline", "core_zone", "land", "sea", "island", "protected_area", "water_source_l1",
           "groundwater_village", "districts", "redline_districts")
#: Keys a query may leave unknown for the oracle to complete (presumed facts stay presumed).
BLANKABLE = tuple(k for k in TRIALS if k not in PRESUMED)


@st.composite
def complete_queries(draw):
    """A query with every fact stated, in the proportions real projects have them."""
    redline = draw(st.booleans())
    districts = draw(st.sampled_from([["崇明区"], ["浦东新区"], ["崇明区", "宝山区"]]))
    spatial = {
        "redline": redline, "core_zone": redline and draw(st.booleans()) and draw(st.booleans()),
        "land": draw(st.booleans()), "sea": draw(st.booleans()), "island": draw(st.booleans()),
        "protected_area": draw(st.sampled_from([[], [], ["自然保护区"], ["风景名胜区", "森林公园"]])),
        "water_source_l1": draw(st.sampled_from([[], [], ["青草沙"]])),
        "groundwater_village": draw(st.sampled_from([[], [], ["310151101201"]])),
        "districts": districts,
        "redline_districts": (draw(st.sampled_from([districts, districts[:1]])) if redline else []),
    }
    if not (spatial["land"] or spatial["sea"] or spatial["island"]):
        spatial["land"] = True
    project = {k: draw(_BOOL) for k in PROJECT_BOOLS}
    project["activity"] = draw(st.sampled_from(["1", "5", "6", "development", "other"]))
    project["works"] = draw(st.sampled_from(WORKS))
    project["unit_roles"] = draw(st.lists(st.sampled_from(UNIT_ROLES), max_size=2, unique=True))
    for k in ("temporary_land", "special_plan_recognised", "expands_existing_energy_facility", "state_council_sea"):
        project[k] = draw(st.sampled_from([False, False, False, True]))
    return {"spatial": spatial, "project": project}


@st.composite
def incomplete_queries(draw, max_blanks=3):
    """A complete query with a few facts made unknown (spatial: null; project: left out)."""
    query = draw(complete_queries())
    blanks = draw(st.lists(st.sampled_from(BLANKABLE), min_size=1, max_size=max_blanks, unique=True))
    if "unit_roles" in blanks:
        blanks = blanks[:2]
    spatial, project = dict(query["spatial"]), dict(query["project"])
    for key in blanks:
        if key in SPATIAL:
            spatial[key] = None
        else:
            project.pop(key, None)
    return {"spatial": spatial, "project": project}, blanks


def _signature(finding):
    """What a reviewer acts on in a finding (its citations aside).

    The extra steps count: under 三(三) of 沪府办发〔2025〕8号 a project unchanged since its special
    plan was recognised need not repeat the non-avoidance demonstration — same outcome, clauses and
    level, one step less — so ``changed_since_special_plan`` is a question worth asking.
    """
    if finding["outcome"] == "needs_information":
        return ("needs_information", tuple(finding["candidates"]), tuple(q["key"] for q in finding["questions"]))
    return (finding["outcome"], tuple(finding["clauses"]), finding["level"], tuple(finding["applicant"]),
            tuple(finding["submit_to"]), tuple(finding["consult"]), finding["approver"], tuple(finding["issuer"]),
            tuple(finding["materials"]), tuple(finding["notify_to"]), finding["zone"], tuple(finding["obligations"]),
            tuple(finding["extra"]))


def _findings(query):
    return {f["regulation"]: f for f in route(query, as_of=DAY)["findings"]}


def _with(query, key, value):
    spatial, project = dict(query["spatial"]), dict(query["project"])
    (spatial if key in SPATIAL else project)[key] = value
    return {"spatial": spatial, "project": project}


def _trials(query, key):
    """The oracle's values for an unknown key, but only the one that follows from the known facts
    when the query derives it (a completion that contradicts them is not a completion)."""
    q = validate_query(query)
    known = known_facts(q["spatial"] or dict.fromkeys(("redline", "water_source_l1", "groundwater_village")),
                        q["project"])
    entry = known.derived.get(key)
    if entry is not None and entry["key"] == key:
        return (entry["value"],)
    return TRIALS[key]


def oracle(query, unknown):
    """{regulation: set of signatures} over every completion of the ``unknown`` keys."""
    out: dict[str, set] = {}
    keys = list(unknown)
    for values in itertools.product(*(_trials(query, k) for k in keys)):
        complete = query
        for k, v in zip(keys, values):
            complete = _with(complete, k, v)
        for reg, finding in _findings(complete).items():
            out.setdefault(reg, set()).add(_signature(finding))
    return out


def _regulations_agree(query, blanks):
    """The regulations with a finding are the same in every completion (else the finding set itself varies)."""
    regs = {frozenset(_findings(_with_all(query, blanks, values))) for values in
            itertools.product(*(_trials(query, k) for k in blanks))}
    return len(regs) == 1


def _with_all(query, keys, values):
    for k, v in zip(keys, values):
        query = _with(query, k, v)
    return query


_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@_SETTINGS
@given(case=incomplete_queries())
def test_no_needs_information_when_every_completion_gives_the_same_answer(case):
    query, blanks = case
    assume(_regulations_agree(query, blanks))
    reachable = oracle(query, blanks)
    for reg, finding in _findings(query).items():
        if len(reachable[reg]) == 1:
            (only,) = reachable[reg]
            assert _signature(finding) == only, (reg, blanks, finding["questions"])


@_SETTINGS
@given(case=incomplete_queries())
def test_every_question_can_change_the_answer(case):
    """Some answer to each question rules out an answer still reachable without it."""
    query, blanks = case
    assume(_regulations_agree(query, blanks))
    for reg, finding in _findings(query).items():
        reachable = oracle(query, blanks)[reg]
        for q in finding["questions"]:
            key = q["key"]
            if key == "confirmed_route":
                continue   # an answer to the text, tested apart
            if key not in blanks:
                # declared facts that contradict each other (a State-Council sea project that needs
                # no sea-use approval; a core zone outside the red line): the one question asks to
                # verify the declared fact
                assert finding["questions"] == [q] and (key in query["project"] or query["spatial"].get(key)
                                                        is not None), (reg, key, blanks)
                continue
            rest = [k for k in blanks if k != key]
            narrowed = [oracle(_with(query, key, v), rest).get(reg, set()) for v in _trials(query, key)]
            assert any(n != reachable for n in narrowed), (reg, key, blanks)


@_SETTINGS
@given(case=incomplete_queries())
def test_candidates_are_the_clauses_still_reachable(case):
    query, blanks = case
    assume(_regulations_agree(query, blanks))
    for reg, finding in _findings(query).items():
        if finding["outcome"] != "needs_information" or any(q["key"] == "confirmed_route" for q in finding["questions"]):
            continue
        reachable = oracle(query, blanks)[reg]
        clauses = {c for sig in reachable for c in (sig[1] if sig[0] != "needs_information" else sig[1])}
        assert set(finding["candidates"]) <= clauses, (finding["candidates"], clauses)
        assert len(finding["settled"]["outcomes"]) >= 1


@_SETTINGS
@given(query=complete_queries(), blanks=st.lists(st.sampled_from(BLANKABLE + PRESUMED), max_size=4, unique=True))
def test_derived_facts_never_contradict_declared_ones_and_declaring_them_changes_nothing(query, blanks):
    for key in blanks:
        if key in SPATIAL:
            query["spatial"][key] = None
        else:
            query["project"].pop(key, None)
    before = _findings(query)
    declared = dict(query["project"])
    spatial = {k: v for k, v in query["spatial"].items() if v is not None}
    restated = {"spatial": dict(query["spatial"]), "project": dict(query["project"])}
    for finding in before.values():
        for d in finding["derived"]:
            key, value = d["key"], d["value"]
            assert d["basis"] and d["from"]
            if key.startswith("consult_"):
                continue   # a duty the spatial facts bring, not a fact of the query
            assert declared.get(key, value) == value and spatial.get(key, value) == value, d
            if key in SPATIAL:
                restated["spatial"][key] = value
            elif d["from"].startswith("spatial.land, spatial.sea") and key in ("new_construction_land",
                                                                                 "sea_island_use"):
                continue   # 三's reading of the footprint, not a fact for 二 (tested in test_redline)
            else:
                restated["project"][key] = value
    after = _findings(restated)
    assert {r: _signature(f) for r, f in after.items()} == {r: _signature(f) for r, f in before.items()}


# ---------------------------------------------------------------------------
# The cases the texts settle without asking (each one a class, tested as such)
# ---------------------------------------------------------------------------

LIMITED = {"activity": "1", "annex_conditions_met": True}


def _redline(spatial, project):
    return _findings({"spatial": {"redline": True, "districts": ["崇明区"], **spatial}, "project": project})["沪府办发〔2025〕8号"]


@pytest.mark.parametrize("spatial", [{"land": True}, {"land": True, "sea": False, "island": False}])
def test_no_sea_and_no_island_means_no_sea_use_approval(spatial):
    """二(一)(二): 用海用岛 needs sea or an uninhabited island; a land-only footprint is never asked it."""
    f = _redline(spatial, {**LIMITED, "new_construction_land": False, "construction": False})
    assert f["outcome"] == "notify_only" and f["questions"] == []
    assert any(d["key"] == "sea_island_use" and d["value"] is False for d in f["derived"])


def test_no_land_means_no_new_construction_land():
    """二(一): 农用地转用、土地征收 need land; a sea-only footprint is never asked it (二 as 三)."""
    f = _redline({"land": False, "sea": True}, {**LIMITED, "sea_island_use": True, "new_reclamation": False,
                                                "new_enclosure": False})
    assert (f["outcome"], f["clauses"], f["questions"]) == ("recognition_required", ["二(一)"], [])
    assert any(d["key"] == "new_construction_land" and d["value"] is False for d in f["derived"])


def test_no_sea_use_approval_means_no_reclamation_or_enclosure():
    """附件: 新增填海造地 / 新增围海 need a sea-use approval; declared none, they are not asked."""
    f = _redline({"land": True, "sea": True}, {**LIMITED, "new_construction_land": False, "sea_island_use": False,
                                               "construction": False})
    assert f["outcome"] == "notify_only" and f["questions"] == []
    assert {"new_reclamation", "new_enclosure"} <= {d["key"] for d in f["derived"]}


def test_no_construction_needs_no_works_questions():
    """二(三)(四) need 具体建设活动: without it planning permit, existing site and the works of
    二(三)第二款 cannot matter (二(五), notify only), nor 国家重大项目 for an allowed activity."""
    f = _redline({"land": True, "sea": True}, {**LIMITED, "new_construction_land": False, "sea_island_use": False,
                                               "construction": False})
    assert f["questions"] == [] and f["outcome"] == "notify_only"
    assert f["applicant"] == [] and f["approver"] is None


def test_island_not_low_impact_settles_the_annex_without_reclamation_questions():
    """附件: an island used other than in a low-impact way is not allowed in principle; whether it
    also reclaims is not asked (the reclamation ban is stated instead)."""
    f = _redline({"sea": True, "island": True}, {**LIMITED, "island_low_impact": False, "national_major": False})
    assert (f["outcome"], f["clauses"], f["questions"]) == ("prohibited_in_principle", ["附件"], [])
    assert any("禁止新增填海造地和新增围海" in e for e in f["extra"])


def test_unrelated_project_in_level_one_zone_is_prohibited_whatever_the_works():
    """沪环规 四(一): 新建/改建/扩建 prohibited, an existing one removed or closed — either way it cannot
    proceed: works is not asked and the finding says both sentences."""
    f = _findings({"spatial": {"water_source_l1": ["青草沙"], "land": True},
                   "project": {"water_supply_related": False}})["沪环规〔2025〕1号"]
    assert (f["outcome"], f["questions"]) == ("prohibited", [])
    assert any("新建、改建、扩建的,禁止" in e and "拆除或关闭" in e for e in f["extra"])
    texts = [c["text"] for c in f["citations"]]
    assert any(t.startswith("依据«中华人民共和国水污染防治法»") for t in texts)
    assert any(t.startswith("已建成的与供水设施和保护水源无关的建设项目") for t in texts)


def test_settled_says_what_holds_whatever_the_answer():
    """needs_information still says what is settled: prohibited unless it is a national major project."""
    f = _redline({"land": True}, {"activity": "development"})
    assert f["outcome"] == "needs_information"
    assert [q["key"] for q in f["questions"]][0] == "national_major"
    cond = [c for c in f["settled"]["if"] if c["key"] == "national_major"]
    assert cond == [{"key": "national_major", "values": [False], "outcome": "prohibited", "clauses": ["一"],
                     "level": None, "text": "若项目不属于国家重大项目:禁止(一)。"}]
    assert f["settled"]["outcomes"] == ["prohibited", "major_project_occupation"]


def test_settled_level_when_every_route_has_it():
    """Municipal whatever the answer: 二(一) land or 二(二) land and sea."""
    f = _redline({"land": True, "sea": True}, {**LIMITED, "new_construction_land": True, "new_reclamation": False,
                                               "new_enclosure": False})
    assert f["outcome"] == "needs_information" and [q["key"] for q in f["questions"]] == ["sea_island_use"]
    assert f["settled"]["level"] == "municipal" and "无论如何回答,均为市级。" in f["settled"]["text"]
    assert f["settled"]["bodies"]["approver"] == "市政府"


def test_questions_are_ordered_by_how_much_they_settle():
    """The activity decides between 二, 三 and the prohibitions: asked before the route's details."""
    f = _redline({"land": True}, {})
    keys = [q["key"] for q in f["questions"]]
    assert keys[0] == "activity"
    assert keys.index("activity") < keys.index("new_overhead_line")


def test_confirming_either_candidate_settles_an_open_route():
    """二(三) both paragraphs: the question is the confirmation, and each answer decides."""
    base = {**LIMITED, "activity": "6", "new_construction_land": False, "construction": True, "planning_permit": True,
            "existing_site_or_repair": True, "new_overhead_line": True}
    f = _redline({"land": True}, base)
    assert [q["key"] for q in f["questions"]] == ["confirmed_route"]
    assert f["questions"][0]["answers"] == ["二(三)第一款", "二(三)第二款"]
    levels = {c["values"][0]: c["level"] for c in f["settled"]["if"]}
    assert levels == {"二(三)第一款": "district", "二(三)第二款": "municipal"}
    for token in ("二(三)第一款", "二(三)第二款"):
        g = _redline({"land": True}, {**base, "confirmed_route": token})
        assert g["clauses"] == [token] and g["questions"] == []


def test_notify_only_lists_no_special_plan_presumption():
    """二(五): nothing is recognised, so a special-plan recognition cannot concern it."""
    f = _redline({"land": True}, {**LIMITED, "new_construction_land": False, "construction": False})
    assert f["outcome"] == "notify_only"
    assert "special_plan_recognised" not in {p["key"] for p in f["presumed"]}


def test_an_answer_is_judged_with_what_follows_from_it():
    """A patrol at sea without construction whose approvals are not declared: "no sea-use approval"
    brings "no reclamation, no enclosure" with it (附件) and settles 二(五) — so it is asked first,
    and the finding says what that answer gives."""
    f = _redline({"land": False, "sea": True}, {**LIMITED, "construction": False})
    assert [q["key"] for q in f["questions"]][0] == "sea_island_use"
    assert "若项目不需要办理用海用岛审批:仅需告知(二(五))。" in f["settled"]["text"]


def test_unchanged_since_the_special_plan_is_asked_for_its_step():
    """三(三) of 沪府办发〔2025〕8号: a national major project whose special plan was recognised need not
    repeat the non-avoidance demonstration if nothing changed since — the answer changes a step, so the
    question stays (found by the property above: same outcome and clauses either way)."""
    project = {"annex_conditions_met": False, "national_major": True, "within_major_scope": True,
               "new_construction_land": True, "temporary_land": True, "special_plan_recognised": True,
               "activity": "1", "works": "new", "unit_roles": []}
    project.update({k: False for k in PROJECT_BOOLS if k not in project and k != "changed_since_special_plan"})
    spatial = {"redline": True, "core_zone": False, "land": True, "sea": False, "island": False,
               "protected_area": [], "water_source_l1": [], "groundwater_village": [], "districts": ["崇明区"],
               "redline_districts": ["崇明区"]}
    query = {"spatial": spatial, "project": project}
    reg = "沪府办发〔2025〕8号"
    asked = _findings(query)[reg]
    assert [q["key"] for q in asked["questions"]] == ["changed_since_special_plan"]
    same, changed = (_findings(_with(query, "changed_since_special_plan", v))[reg] for v in (False, True))
    assert same["outcome"] == changed["outcome"] and same["clauses"] == changed["clauses"]
    assert len(same["extra"]) == len(changed["extra"]) + 1 and "无需重复" in same["extra"][-1]
    assert len(oracle(query, ["changed_since_special_plan"])[reg]) == 2
