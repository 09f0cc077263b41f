"""The JSON decision interface (shgeo.decision): validation, the overall verdict,
the named scenarios of tests/scenarios/*.toml, and properties of every answer."""

from __future__ import annotations

import itertools
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shgeo.rules.decision import OVERALL, PROJECT_KEYS, SPATIAL_KEYS, overall, route, validate_query
from shgeo.errors import QueryError, RuleConflictError
from shgeo.rules import FINDING_KEYS, ROUTED_OUTCOMES
from shgeo.rules import groundwater, redline

SCENARIOS = Path(__file__).parent / "scenarios"
DAY = "2025-06-01"


# ---------------------------------------------------------------------------
# Named scenarios (a readable table, one file per regulation)
# ---------------------------------------------------------------------------

def _scenarios():
    for path, regulation in (("redline.toml", redline.REGULATION),
                             ("groundwater.toml", groundwater.REGULATION)):
        data = tomllib.loads((SCENARIOS / path).read_text(encoding="utf-8"))
        for sc in data["scenario"]:
            yield pytest.param(sc, regulation, id=f"{sc['clause']} {sc['name']}")


@pytest.mark.parametrize(("scenario", "regulation"), list(_scenarios()))
def test_scenario(scenario, regulation):
    query = {"spatial": scenario.get("spatial", {}), "project": scenario.get("project", {})}
    answer = route(query, as_of=scenario.get("as_of", DAY))
    expect = dict(scenario["expect"])
    if "overall" in expect:
        assert answer["overall"] == expect.pop("overall")
    mine = [f for f in answer["findings"] if f["regulation"] == regulation]
    if expect.pop("absent", False):
        assert mine == []
        return
    assert len(mine) == 1, answer
    finding = mine[0]
    for key, want in expect.items():
        if key == "question_keys":
            assert [q["key"] for q in finding["questions"]] == want
        elif key == "question_keys_has":
            assert set(want) <= {q["key"] for q in finding["questions"]}
        elif key == "derived_keys_has":
            assert set(want) <= {d["key"] for d in finding["derived"]}
        elif key == "extra_mentions":
            assert any(want in e for e in finding["extra"]), finding["extra"]
        elif key.endswith("_has"):
            assert set(want) <= set(finding[key[:-4]]), (key, finding[key[:-4]])
        else:
            assert finding[key] == want, (key, finding[key])


# ---------------------------------------------------------------------------
# validate_query
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "key"), [
    ({"spatial": {"redlin": True}}, "spatial.redlin"),
    ({"project": {"activty": 1}}, "project.activty"),
    ({"projects": {}}, "projects"),
    ({"spatial": {"redline": 1}}, "spatial.redline"),
    ({"spatial": {"districts": "崇明区"}}, "spatial.districts"),
    ({"spatial": {"water_source_l1": ["淀山湖"]}}, "spatial.water_source_l1"),
    ({"spatial": {"groundwater_village": ["3101"]}}, "spatial.groundwater_village"),
    ({"project": {"activity": 10}}, "project.activity"),
    ({"project": {"activity": True}}, "project.activity"),
    ({"project": {"works": "demolish"}}, "project.works"),
    ({"project": {"unit_roles": ["farmer"]}}, "project.unit_roles"),
    ({"project": {"construction": "yes"}}, "project.construction"),
    ({"project": {"confirmed_route": "二(九)"}}, "project.confirmed_route"),
    ({"spatial": []}, "spatial"),
    ({"as_of": "2025-02-30"}, "as_of"),
])
def test_validate_query_names_the_bad_key(query, key):
    with pytest.raises(QueryError) as err:
        validate_query(query)
    assert err.value.key == key
    assert key in str(err.value)


def test_validate_query_rejects_non_objects():
    with pytest.raises(QueryError):
        validate_query([1, 2])


def test_validate_query_keeps_only_given_keys_and_normalises():
    q = validate_query({"spatial": {"redline": True, "districts": ["崇明区", "崇明区"]},
                        "project": {"activity": 6, "works": None, "confirmed_route": "二(六)"},
                        "as_of": "2026-01-02"})
    assert q["spatial"] == {"redline": True, "districts": ("崇明区",)}
    assert q["project"] == {"activity": "6", "works": None, "confirmed_route": ("二(六)",)}
    assert q["as_of"] == date(2026, 1, 2)


def test_as_of_argument_wins_over_query_date():
    q = {"spatial": {"water_source_l1": ["青草沙"]},
         "project": {"water_supply_related": False, "works": "new"}, "as_of": "2031-01-01"}
    assert route(q)["findings"][0]["outcome"] == "not_applicable"
    assert route(q, as_of="2026-01-01")["findings"][0]["outcome"] == "prohibited"
    assert route(q, as_of=date(2026, 1, 1))["as_of"] == "2026-01-01"


def test_no_hit_gives_no_finding_and_not_restricted():
    answer = route({"spatial": {"redline": False, "land": True}, "project": {}}, as_of=DAY)
    assert answer == {"findings": [], "overall": "not_restricted", "as_of": DAY}


def test_id_is_echoed():
    assert route({"id": "fp-7", "spatial": {}}, as_of=DAY)["id"] == "fp-7"


# ---------------------------------------------------------------------------
# overall
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("outcomes", "verdict"), [
    (["prohibited", "needs_information"], "prohibited"),
    (["obligations", "prohibited_in_principle"], "prohibited_in_principle"),
    (["needs_information", "recognition_required"], "needs_information"),
    (["notify_only"], "procedures_apply"),
    (["already_recognised"], "procedures_apply"),
    (["major_project_occupation", "exempt"], "procedures_apply"),
    (["obligations"], "procedures_apply"),
    (["exempt", "not_applicable"], "not_restricted"),
    ([], "not_restricted"),
])
def test_overall_precedence(outcomes, verdict):
    assert overall([{"outcome": o} for o in outcomes]) == verdict


# ---------------------------------------------------------------------------
# No two rules fire for the same facts: exhaustive over the deciding attributes
# ---------------------------------------------------------------------------

_TRI = (True, False, None)


def test_no_rule_conflict_over_the_route_attributes():
    """Every combination of the 二/三 routing attributes gives one finding, never a conflict."""
    keys = ("new_construction_land", "sea_island_use", "construction", "planning_permit",
            "existing_site_or_repair", "new_overhead_line", "national_major")
    count = 0
    for activity in ("6", "development"):
        for values in itertools.product(_TRI, repeat=len(keys)):
            for spatial in ({"redline": True, "land": True},
                            {"redline": True, "land": True, "sea": True,
                             "districts": ["崇明区", "宝山区"]}):
                project = {"activity": activity, "annex_conditions_met": True,
                           "within_major_scope": True, "new_reclamation": False,
                           "new_enclosure": False, **dict(zip(keys, values))}
                answer = route({"spatial": spatial, "project": project}, as_of=DAY)
                mine = [f for f in answer["findings"] if f["regulation"] == redline.REGULATION]
                assert len(mine) == 1
                count += 1
    assert count == 2 * 3 ** len(keys) * 2


def test_no_rule_conflict_over_the_admission_attributes():
    """一 / 四(二) / 附件 / 三: every combination gives exactly one finding."""
    tri_keys = ("core_zone", "annex_conditions_met", "national_major", "within_major_scope")
    bool_keys = ("island_low_impact", "new_reclamation", "expands_existing_energy_facility")
    for activity in ("1", "development", "other"):
        for tri in itertools.product(_TRI, repeat=len(tri_keys)):
            for bools in itertools.product((True, False), repeat=len(bool_keys)):
                facts = dict(zip(tri_keys + bool_keys, tri + bools))
                spatial = {"redline": True, "core_zone": facts.pop("core_zone"), "island": True,
                           "sea": True}
                answer = route({"spatial": spatial, "project": {"activity": activity, **facts}},
                               as_of=DAY)
                assert len(answer["findings"]) == 1


def test_no_rule_conflict_over_the_groundwater_attributes():
    for related, works, roles, may, has in itertools.product(
            _TRI, (*groundwater.WORKS, None), ((), ("enterprise",), ("polluter", "soil_key_supervised"), None),
            _TRI, _TRI):
        for spatial in ({"water_source_l1": ["青草沙"]}, {"groundwater_village": ["310151101201"]},
                        {"water_source_l1": ["陈行"], "groundwater_village": ["310151101201"]}):
            project = {"water_supply_related": related, "works": works,
                       "unit_roles": None if roles is None else list(roles),
                       "may_pollute": may, "has_polluted": has}
            answer = route({"spatial": spatial, "project": project}, as_of=DAY)
            assert len(answer["findings"]) == 1


def test_a_conflict_between_rules_is_an_error_not_a_pick():
    from shgeo.rules._facts import Facts, Rule, select

    facts = Facts({"construction": True})
    rules = [Rule("a", lambda f: f.get("construction")), Rule("b", lambda f: True)]
    with pytest.raises(RuleConflictError):
        select("test", rules, facts)
    rules = [Rule("a", lambda f: f.get("construction"), exception_to=("b",)), Rule("b", lambda f: True)]
    assert select("test", rules, facts).label == "a"


# ---------------------------------------------------------------------------
# Properties of every answer
# ---------------------------------------------------------------------------

_bool = st.one_of(st.none(), st.booleans())
_spatial = st.fixed_dictionaries({}, optional={
    "redline": _bool, "core_zone": _bool, "land": _bool, "sea": _bool, "island": _bool,
    "protected_area": st.one_of(st.none(), st.lists(st.sampled_from(["自然保护区", "风景名胜区", "自然公园", "湿地公园"]), max_size=2)),
    "water_source_l1": st.one_of(st.none(), st.lists(st.sampled_from(groundwater.PROTECTION_ZONES), max_size=2)),
    "groundwater_village": st.one_of(st.none(), st.lists(st.sampled_from(["310151101201", "310120101201"]), max_size=2)),
    "districts": st.one_of(st.none(), st.lists(st.sampled_from(["崇明区", "宝山区", "浦东新区"]), max_size=3)),
    "redline_districts": st.one_of(st.none(), st.lists(st.sampled_from(["崇明区", "宝山区"]), max_size=2)),
})
_project = st.fixed_dictionaries({}, optional={
    **{k: _bool for k, v in PROJECT_KEYS.items() if v == "bool"},
    "activity": st.one_of(st.none(), st.integers(1, 9), st.sampled_from(["1", "6", "development", "other"])),
    "works": st.one_of(st.none(), st.sampled_from(groundwater.WORKS)),
    "unit_roles": st.one_of(st.none(), st.lists(st.sampled_from(groundwater.UNIT_ROLES), max_size=3)),
    "confirmed_route": st.one_of(st.none(), st.sampled_from(["二(三)第一款", "二(三)第二款", "二(六)", "三(一)第一款"])),
})
_day = st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spatial=_spatial, project=_project, day=_day)
def test_every_finding_is_cited_and_routed_outcomes_have_level_and_domain(spatial, project, day):
    answer = route({"spatial": spatial, "project": project}, as_of=day)
    assert answer["overall"] in OVERALL
    regs = [f["regulation"] for f in answer["findings"]]
    assert len(regs) == len(set(regs))          # at most one finding per regulation
    for f in answer["findings"]:
        assert tuple(f) == FINDING_KEYS
        assert f["citations"], f
        for c in f["citations"]:
            assert set(c) == {"doc", "clause", "text"} and c["doc"] == f["regulation"] and c["text"]
        if f["outcome"] in ROUTED_OUTCOMES:
            assert f["level"] in ("district", "municipal", "state"), f
            assert f["domain"] and set(f["domain"]) <= {"land", "sea", "island"}, f
            assert f["clauses"]
        if f["outcome"] == "needs_information":
            assert f["questions"] and f["candidates"], f
            assert all(set(q) <= {"key", "ask", "answers"} and q["ask"] for q in f["questions"])


_anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.text(max_size=4),
              st.sampled_from(["1", "development", "new", "青草沙", "崇明区", "310151101201"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(spatial=st.dictionaries(st.sampled_from([*SPATIAL_KEYS, "x"]), _anything, max_size=5),
       project=st.dictionaries(st.sampled_from([*PROJECT_KEYS, "y"]), _anything, max_size=6),
       top=st.dictionaries(st.sampled_from(["as_of", "id", "z"]), _anything, max_size=1))
def test_random_queries_raise_nothing_but_query_error(spatial, project, top):
    try:
        route({"spatial": spatial, "project": project, **top})
    except QueryError:
        pass


def test_validated_query_routes_the_same_and_answers_are_json():
    import json

    q = {"spatial": {"redline": True, "districts": ["崇明区", "宝山区"], "protected_area": ["自然保护区"]},
         "project": {"activity": 6, "annex_conditions_met": True, "new_construction_land": True,
                     "sea_island_use": False, "confirmed_route": ["二(六)"]}}
    first = route(q, as_of=DAY)
    assert route(validate_query(q), as_of=DAY) == first
    assert json.loads(json.dumps(first, ensure_ascii=False)) == first


def test_no_spatial_facts_at_all_is_unknown_not_clear():
    """Fail closed: a query without a spatial block cannot be "not_restricted" (一; 沪环规 四)."""
    for query in ({"project": {}}, {"spatial": {}, "project": {}}, {"spatial": None}):
        answer = route(query, as_of="2025-06-01")
        assert answer["overall"] == "needs_information"
        asked = {q["key"] for f in answer["findings"] for q in f["questions"]}
        assert {"redline", "water_source_l1"} <= asked


def test_partial_spatial_block_leaves_out_what_the_overlay_did_not_find():
    answer = route({"spatial": {"redline": False}}, as_of="2025-06-01")
    assert answer["overall"] == "not_restricted" and answer["findings"] == []


# ---------------------------------------------------------------------------
# not_in_force and partly_outside: never a bare "not_restricted"
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "day"), [
    ({"spatial": {"redline": True, "land": True}, "project": {"activity": "development"}}, "2025-04-09"),
    ({"spatial": {"core_zone": True, "land": True}, "project": {}}, "2024-12-31"),
    ({"spatial": {"water_source_l1": ["青草沙"]}, "project": {"water_supply_related": False}}, "2025-02-28"),
    ({"spatial": {"groundwater_village": ["310151101201"]}, "project": {}}, "2030-03-01"),
])
def test_a_zone_touched_while_its_regulation_is_not_in_force_is_not_in_force(query, day):
    """Issue date of 沪府办发〔2025〕8号; validity window of 沪环规〔2025〕1号: other law still protects the zone."""
    answer = route(query, as_of=day)
    assert answer["overall"] == "not_in_force"
    assert [f["validity"]["in_force"] for f in answer["findings"]] == [False]


def test_not_in_force_gives_way_to_a_procedure_of_the_other_regulation():
    query = {"spatial": {"redline": True, "land": True, "districts": ["崇明区"], "water_source_l1": ["青草沙"]},
             "project": {"activity": 1, "annex_conditions_met": True, "new_construction_land": False,
                         "construction": False, "water_supply_related": True}}
    assert route(query, as_of="2025-02-01")["overall"] == "not_in_force"   # neither in force
    assert route(query, as_of="2025-03-05")["overall"] == "not_in_force"   # 沪环规 exempt, 8号 not yet issued
    assert route(query, as_of="2025-06-01")["overall"] == "procedures_apply"


@pytest.mark.parametrize(("share", "verdict"), [(0.0, "not_restricted"), (None, "not_restricted"),
                                                 (1e-9, "partly_outside"), (0.4, "partly_outside"),
                                                 (1, "partly_outside")])
def test_a_footprint_partly_outside_shanghai_is_never_a_bare_clear(share, verdict):
    """The part outside Shanghai is not screened (outside_share > 0): the overall says so."""
    answer = route({"spatial": {"redline": False, "land": True, "outside_share": share}}, as_of=DAY)
    assert answer["overall"] == verdict


def test_partly_outside_gives_way_to_what_the_rules_decide():
    spatial = {"redline": True, "land": True, "districts": ["金山区"], "outside_share": 0.3}
    notify = {"activity": 1, "annex_conditions_met": True, "new_construction_land": False, "construction": False}
    assert route({"spatial": spatial, "project": notify}, as_of=DAY)["overall"] == "procedures_apply"
    assert route({"spatial": spatial, "project": {}}, as_of=DAY)["overall"] == "needs_information"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spatial=_spatial, project=_project, day=_day, share=st.one_of(st.none(), st.floats(0, 1)))
def test_overall_is_never_a_bare_clear_for_a_zone_out_of_force_or_a_part_outside(spatial, project, day, share):
    answer = route({"spatial": {**spatial, "outside_share": share}, "project": project}, as_of=day)
    if answer["overall"] == "not_restricted":
        assert not share
        assert all(f["validity"]["in_force"] for f in answer["findings"])


def test_names_from_a_layer_library_are_taken_as_the_layers_give_them():
    """Screening passes check_names=False: district names and protected-area categories come from
    layers the library checked; a hand-written query is held to Shanghai's 16 districts and the
    categories of 自然保护地."""
    query = {"spatial": {"redline": True, "land": True, "districts": ["崇明", "宝山"], "protected_area": ["国家级自然保护区"]},
             "project": {"activity": 1, "annex_conditions_met": True, "new_construction_land": False,
                         "construction": False}}
    with pytest.raises(QueryError):
        route(query, as_of=DAY)
    finding = route(query, as_of=DAY, check_names=False)["findings"][0]
    assert finding["outcome"] == "notify_only" and "市绿化市容部门" in finding["consult"]
    with pytest.raises(QueryError):   # zones and village codes are checked either way
        route({"spatial": {"water_source_l1": ["淀山湖"]}}, as_of=DAY, check_names=False)


@pytest.mark.parametrize("project, message", [
    ({"new_overhead_line": "是"}, "project.new_overhead_line: expected true, false or null, got str '是'"),
    ({"activity": [1]}, 'project.activity: expected 1-9, "development" or "other", got list [1]'),
    ({"activity": True}, 'project.activity: expected 1-9, "development" or "other", got bool True'),
    ({"activity": 3.0}, 'project.activity: expected 1-9, "development" or "other", got float 3.0'),
    ({"activity": 10**30}, "project.activity: expected one of 1, 2, 3, 4, 5, 6, 7, 8, 9, development, other, "
                           "got 1000000000000000000000000000000"),
    ({"works": "build"}, "project.works: expected one of new, rebuild, expand, upgrade, none, got str 'build'"),
    ({"works": 5}, "project.works: expected one of new, rebuild, expand, upgrade, none, got int 5"),
])
def test_wrong_values_are_named_with_their_type_and_the_values_the_key_takes(project, message):
    """The decision interface refuses a value outside a key's type or closed set with one line that names the
    key, what it takes and what it got (exit 2 in ``shgeo route``); never a traceback."""
    with pytest.raises(QueryError) as err:
        validate_query({"spatial": {}, "project": project})
    assert str(err.value) == message


def test_long_values_are_cut_to_60_characters_in_messages():
    with pytest.raises(QueryError) as err:
        validate_query({"spatial": {}, "project": {"works": "x" * 100}})
    assert str(err.value).endswith("got str '" + "x" * 56 + "...")


def test_activity_as_text_with_spaces_is_read():
    assert validate_query({"spatial": {}, "project": {"activity": " 3 "}})["project"]["activity"] == "3"


def _containers(value, out):
    if isinstance(value, (dict, list)):
        out.append(value)
        for v in (value.values() if isinstance(value, dict) else value):
            _containers(v, out)
    return out


@pytest.mark.parametrize("project", [
    {"activity": "other", "works": "expand", "unit_roles": ["polluter", "land_user"], "has_polluted": True},
    {"activity": "1", "works": "new"},
    {},
])
def test_answers_share_no_list_or_dict_with_each_other_or_the_rules(project):
    """Every answer is the caller's own: changing one (a list of 四(二) duties, a settled block, a
    question) changes neither a later answer nor the rules' tables."""
    query = {"spatial": {"redline": True, "water_source_l1": [], "groundwater_village": ["310151101201"],
                         "districts": ["崇明区"], "redline_districts": ["崇明区"]},
             "project": project}
    first, second = route(query, as_of=DAY), route(query, as_of=DAY)
    assert first == second
    ids = {id(c) for c in _containers(first, [])}
    assert not [c for c in _containers(second, []) if id(c) in ids]
    for c in _containers(first, []):
        c.clear()
    assert route(query, as_of=DAY) == second
