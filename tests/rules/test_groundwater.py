"""沪环规〔2025〕1号: protection-category zones (四(一)), control villages (四(二)), validity."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shgeo.rules.decision import validate_query
from shgeo.rules import groundwater

DAY = date(2025, 6, 1)
REGULATION_FILE = Path(__file__).resolve().parents[3] / "shared" / "regulations" / "huhuangui-2025-1-groundwater.txt"
ZONE = {"water_source_l1": ["青草沙"], "land": True}
VILLAGE = {"groundwater_village": ["310151101201"], "land": True}


def assess(spatial, project, day=DAY):
    q = validate_query({"spatial": spatial, "project": project})
    return groundwater.assess(q["spatial"], q["project"], day)


# --- 四(一) ------------------------------------------------------------------

@pytest.mark.parametrize("works", ["new", "rebuild", "expand"])
def test_si_yi_new_rebuilt_or_expanded_unrelated_project_is_prohibited(works):
    f = assess(ZONE, {"water_supply_related": False, "works": works})
    assert (f["outcome"], f["clauses"], f["zone"]) == ("prohibited", ["四(一)"], "protection")
    assert f["citations"][0]["text"].startswith("依据«中华人民共和国水污染防治法»")


@pytest.mark.parametrize("works", ["none", "upgrade"])
def test_si_yi_existing_unrelated_project_is_to_be_removed_or_closed(works):
    f = assess(ZONE, {"water_supply_related": False, "works": works})
    assert f["outcome"] == "prohibited"
    assert any("由市或区人民政府责令限期拆除或关闭" in e for e in f["extra"])
    assert f["citations"][0]["text"].startswith("已建成的与供水设施和保护水源无关的建设项目")


def test_si_yi_water_supply_project_is_not_prohibited():
    f = assess(ZONE, {"water_supply_related": True, "works": "new"})
    assert (f["outcome"], f["clauses"]) == ("exempt", ["四(一)"])


def test_si_yi_unknown_relation_asks():
    f = assess(ZONE, {"works": "new"})
    assert f["outcome"] == "needs_information"
    assert [q["key"] for q in f["questions"]] == ["water_supply_related"]
    assert f["candidates"] == ["四(一)"]


def test_si_yi_related_does_not_need_works():
    assert assess(ZONE, {"water_supply_related": True})["outcome"] == "exempt"


# --- 四(二) ------------------------------------------------------------------

def test_si_er_items_bind_by_role():
    f = assess(VILLAGE, {"unit_roles": ["key_groundwater_discharger", "soil_key_supervised"],
                         "may_pollute": True, "has_polluted": False})
    assert (f["outcome"], f["zone"], f["obligations"]) == ("obligations", "control", [1, 2, 3])
    details = {d["item"]: d for d in f["obligation_details"]}
    assert set(details) == {1, 2, 3, 4, 5, 6}
    assert details[5]["binds"] == ["水务部门"] and not details[5]["binds_project"]
    assert "农业农村、绿化市容部门" in details[6]["binds"] and not details[6]["binds_project"]
    assert details[3]["binds"] == ["土壤污染重点监管单位"] and details[3]["binds_project"]


def test_si_er_3_reports_to_district_ecology_department():
    f = assess(VILLAGE, {"unit_roles": ["soil_key_supervised"], "has_polluted": False})
    assert any("报区生态环境部门" in e for e in f["extra"])


def test_si_er_4_polluting_enterprise_rebuilding_must_contain_existing_pollution():
    f = assess(VILLAGE, {"unit_roles": ["enterprise"], "may_pollute": True, "has_polluted": True,
                         "works": "upgrade"})
    assert 4 in f["obligations"]
    assert any("必须采取有效措施防控已有污染" in e for e in f["extra"])


def test_si_er_4_land_user_includes_groundwater_in_soil_investigation():
    f = assess(VILLAGE, {"unit_roles": ["land_user"]})
    assert 4 in f["obligations"]


def test_si_er_1_may_pollute_means_eia_and_seepage_control():
    f = assess(VILLAGE, {"unit_roles": [], "may_pollute": True, "has_polluted": False})
    assert f["obligations"] == [1]
    assert any("环境影响评价" in e for e in f["extra"])


def test_si_er_2_fuel_station_monitors_seepage():
    f = assess(VILLAGE, {"unit_roles": ["fuel_station_or_depot"], "has_polluted": False})
    assert f["obligations"] == [1, 2]


def test_si_er_unknown_roles_ask():
    f = assess(VILLAGE, {})
    assert f["outcome"] == "needs_information"
    assert {"unit_roles", "has_polluted"} <= {q["key"] for q in f["questions"]}


def test_both_zones_prohibition_wins_and_mentions_control():
    f = assess({**ZONE, **VILLAGE}, {"water_supply_related": False, "works": "new"})
    assert f["outcome"] == "prohibited" and f["clauses"] == ["四(一)", "四(二)"]


# --- validity and scope ---------------------------------------------------------

@pytest.mark.parametrize(("day", "in_force"), [
    (date(2025, 2, 28), False), (date(2025, 3, 1), True),
    (date(2030, 2, 28), True), (date(2030, 3, 1), False),
])
def test_validity_window(day, in_force):
    f = assess(ZONE, {"water_supply_related": False, "works": "new"}, day=day)
    assert (f["outcome"] != "not_applicable") == in_force
    if not in_force:
        assert f["citations"][0]["text"] == "本通知自２０２５年３月１日起施行,有效期至２０３０年２月２８日."


def test_no_zone_no_finding():
    assert assess({"land": True}, {"works": "new"}) is None


def test_zone_unknown_asks():
    f = assess({"water_source_l1": None}, {})
    assert f["outcome"] == "needs_information" and f["questions"][0]["key"] == "water_source_l1"


@pytest.mark.skipif(not REGULATION_FILE.exists(), reason="regulation text not present")
def test_every_quoted_passage_is_verbatim():
    text = "".join(line.strip() for line in REGULATION_FILE.read_text(encoding="utf-8").splitlines())
    for pid, (clause, passage) in groundwater.DOCUMENT.passages.items():
        assert passage in text, pid
