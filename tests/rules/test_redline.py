"""沪府办发〔2025〕8号: one test (at least) per clause path, named by the clause."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shgeo.rules.decision import validate_query
from shgeo.rules import redline

DAY = date(2025, 6, 1)
REGULATION_FILE = Path(__file__).resolve().parents[3] / "shared" / "regulations" / "hufubanfa-2025-8-redline.txt"

LAND = {"redline": True, "land": True, "districts": ["崇明区"]}
LIMITED = {"activity": 6, "annex_conditions_met": True}
NO_APPROVAL = {**LIMITED, "new_construction_land": False, "sea_island_use": False}
PERMIT = {**NO_APPROVAL, "construction": True, "planning_permit": True}
NO_NEW_WORKS = {"new_overhead_line": False, "open_cut_underground": False, "underground_exit_or_vent": False}
MAJOR = {"activity": "development", "national_major": True, "within_major_scope": True}


def _plain(derived):
    """Derived entries without their Chinese basis (checked apart)."""
    return [{k: v for k, v in d.items() if k != "basis"} for d in derived]


def assess(spatial, project, day=DAY):
    q = validate_query({"spatial": spatial, "project": project})
    return redline.assess(q["spatial"], q["project"], day)


# --- 一 ---------------------------------------------------------------------

def test_yi_core_zone_is_prohibited_in_principle():
    f = assess({**LAND, "core_zone": True}, {**NO_APPROVAL, "construction": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited_in_principle", ["一"])
    assert f["citations"][0]["clause"] == "一"


def test_yi_core_zone_implies_red_line_when_red_line_not_given():
    f = assess({"core_zone": True}, {})
    assert f["outcome"] == "prohibited_in_principle"
    assert {"key": "redline", "value": True, "from": "spatial.core_zone"} in _plain(f["derived"])


def test_yi_development_outside_core_zone_is_prohibited():
    f = assess(LAND, {"activity": "development", "national_major": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited", ["一"])


def test_yi_other_laws_still_apply_in_named_areas():
    f = assess({**LAND, "protected_area": ["风景名胜区"], "water_source_l1": ["青草沙"]},
               {**NO_APPROVAL, "construction": False})
    assert any("应当同时符合有关法律法规规定" in e and "风景名胜区" in e and "饮用水水源保护区" in e
               for e in f["extra"])
    assert any(c["text"].endswith("应当同时符合有关法律法规规定.") for c in f["citations"])


# --- 二(一) (二) ---------------------------------------------------------------

def test_er_yi_new_construction_land_goes_to_city_planning_bureau():
    f = assess(LAND, {**LIMITED, "new_construction_land": True, "sea_island_use": False})
    assert f["clauses"] == ["二(一)"] and f["level"] == "municipal" and f["domain"] == ["land"]
    assert f["submit_to"] == ["市规划资源局"] and f["approver"] == "市政府"
    assert f["applicant"] == ["涉及的区政府", "市级行业主管部门"]


def test_er_yi_sea_use_goes_to_ocean_bureau():
    f = assess({"redline": True, "land": False, "sea": True, "districts": ["浦东新区"]},
               {**LIMITED, "new_construction_land": False, "sea_island_use": True,
                "new_reclamation": False, "new_enclosure": False})
    assert f["clauses"] == ["二(一)"] and f["submit_to"] == ["市海洋局"] and f["domain"] == ["sea"]


def test_er_er_land_and_sea_apply_separately_issue_jointly():
    f = assess({**LAND, "sea": True}, {**LIMITED, "new_construction_land": True, "sea_island_use": True,
                                       "new_reclamation": False, "new_enclosure": False})
    assert f["clauses"] == ["二(二)"] and f["domain"] == ["land", "sea"]
    assert f["issuer"] == ["市规划资源局", "市海洋局"]


def test_er_yi_unknown_sea_use_asks_instead_of_guessing():
    """The footprint touches the sea: whether it needs a sea-use approval is asked, never guessed.

    (This test used a land-only footprint; there the text needs no question — no sea and no
    uninhabited island means no 用海用岛 approval — see the next test.)"""
    f = assess({**LAND, "sea": True}, {**LIMITED, "new_construction_land": True, "new_reclamation": False,
                                       "new_enclosure": False})
    assert f["outcome"] == "needs_information"
    assert [q["key"] for q in f["questions"]] == ["sea_island_use"]
    assert f["candidates"] == ["二(一)", "二(二)"]


def test_er_yi_no_sea_and_no_island_derives_no_sea_use():
    """二(一): a land-only footprint needs no 用海用岛 approval; derived and said, not asked."""
    f = assess(LAND, {**LIMITED, "new_construction_land": True})
    assert (f["outcome"], f["clauses"], f["questions"]) == ("recognition_required", ["二(一)"], [])
    entry = next(d for d in f["derived"] if d["key"] == "sea_island_use")
    assert entry["value"] is False and entry["from"] == "spatial.sea, spatial.island" and entry["basis"]


# --- 二(三) ------------------------------------------------------------------

def test_er_san_di_yi_kuan_existing_site_is_district():
    f = assess(LAND, {**PERMIT, "existing_site_or_repair": True, **NO_NEW_WORKS})
    assert f["clauses"] == ["二(三)第一款"] and f["level"] == "district"
    assert f["applicant"] == ["实施主体"] and f["submit_to"] == ["区规划资源部门"]
    assert f["approver"] == "区政府" and f["issuer"] == ["区规划资源部门"]


@pytest.mark.parametrize("work", ["new_overhead_line", "open_cut_underground", "underground_exit_or_vent"])
def test_er_san_di_er_kuan_new_overhead_line_is_municipal(work):
    f = assess(LAND, {**PERMIT, "existing_site_or_repair": False, work: True})
    assert f["clauses"] == ["二(三)第二款"] and f["level"] == "municipal"
    assert f["submit_to"] == ["市规划资源局"] and "市海洋局" in f["consult"]


def test_er_san_both_paragraphs_is_needs_information_not_a_pick():
    f = assess(LAND, {**PERMIT, "existing_site_or_repair": True, "new_overhead_line": True})
    assert f["outcome"] == "needs_information"
    assert f["candidates"] == ["二(三)第一款", "二(三)第二款"]
    assert [q["key"] for q in f["questions"]] == ["confirmed_route"]


def test_er_san_neither_paragraph_is_needs_information():
    f = assess(LAND, {**PERMIT, "existing_site_or_repair": False, **NO_NEW_WORKS})
    assert f["outcome"] == "needs_information"
    assert f["candidates"] == ["二(三)第一款", "二(三)第二款"]


def test_er_san_confirmed_route_settles_the_open_case():
    f = assess(LAND, {**PERMIT, "existing_site_or_repair": True, "new_overhead_line": True,
                      "confirmed_route": "二(三)第一款"})
    assert f["clauses"] == ["二(三)第一款"]


# --- 二(四) (五) ---------------------------------------------------------------

def test_er_si_construction_without_permit_goes_to_district_industry_department():
    f = assess(LAND, {**NO_APPROVAL, "construction": True, "planning_permit": False})
    assert f["clauses"] == ["二(四)"] and f["submit_to"] == ["区级行业主管部门"]
    assert f["approver"] == "区政府" and f["level"] == "district"


def test_er_wu_no_approval_no_construction_is_notify_only():
    f = assess(LAND, {**NO_APPROVAL, "activity": 1, "construction": False})
    assert (f["outcome"], f["clauses"]) == ("notify_only", ["二(五)"])
    assert f["notify_to"] == ["区生态环境部门"] and f["materials"] == []


# --- 二(六) ------------------------------------------------------------------

def test_er_liu_protected_area_adds_greening_bureau_consultation():
    f = assess({**LAND, "protected_area": ["自然公园"]}, {**NO_APPROVAL, "construction": True,
                                                         "planning_permit": False})
    assert "市绿化市容部门" in f["consult"] and "二(六)" in f["clauses"]
    assert any(d["key"] == "consult_市绿化市容部门" for d in f["derived"])


def test_er_liu_temporary_land_adds_restoration_duty():
    f = assess(LAND, {**NO_APPROVAL, "construction": True, "planning_permit": False, "temporary_land": True})
    assert "二(六)" in f["clauses"]
    assert any("参照临时占用永久基本农田规定办理" in e for e in f["extra"])


def test_er_liu_temporary_land_unknown_is_presumed_and_said():
    f = assess(LAND, {**NO_APPROVAL, "construction": True, "planning_permit": False})
    assert "二(六)" not in f["clauses"]
    assert any(p["key"] == "temporary_land" for p in f["presumed"])


def test_er_liu_cross_district_means_city_department_applies():
    f = assess({**LAND, "districts": ["崇明区", "宝山区"]},
               {**LIMITED, "new_construction_land": True, "sea_island_use": False})
    assert f["applicant"] == ["市级行业主管部门"] and "二(六)" in f["clauses"]
    assert {"key": "cross_district", "value": True, "from": "spatial.districts (崇明区、宝山区)"} in _plain(f["derived"])


def test_er_liu_cross_district_reads_red_line_districts_first():
    f = assess({**LAND, "districts": ["崇明区", "宝山区"], "redline_districts": ["崇明区"]},
               {**LIMITED, "new_construction_land": True, "sea_island_use": False})
    assert f["applicant"] == ["涉及的区政府", "市级行业主管部门"]


def test_er_liu_cross_district_with_implementer_route_lists_both():
    f = assess({**LAND, "districts": ["崇明区", "宝山区"]},
               {**NO_APPROVAL, "construction": True, "planning_permit": False})
    assert f["outcome"] == "needs_information" and f["candidates"] == ["二(四)", "二(六)"]
    g = assess({**LAND, "districts": ["崇明区", "宝山区"]},
               {**NO_APPROVAL, "construction": True, "planning_permit": False, "confirmed_route": "二(六)"})
    assert g["applicant"] == ["市级行业主管部门"] and g["clauses"] == ["二(四)", "二(六)"]


def test_er_liu_special_plan_recognised_and_unchanged_is_already_recognised():
    f = assess(LAND, {**LIMITED, "special_plan_recognised": True, "changed_since_special_plan": False})
    assert (f["outcome"], f["clauses"], f["level"]) == ("already_recognised", ["二(六)"], "municipal")


def test_er_liu_special_plan_change_unknown_asks():
    f = assess(LAND, {**LIMITED, "special_plan_recognised": True})
    assert f["outcome"] == "needs_information"
    assert "changed_since_special_plan" in [q["key"] for q in f["questions"]]


def test_er_liu_state_council_sea_project_follows_er_yi_er():
    f = assess({"redline": True, "land": True, "sea": True, "districts": ["浦东新区"]},
               {**LIMITED, "state_council_sea": True, "new_construction_land": True,
                "new_reclamation": False, "new_enclosure": False})
    assert f["clauses"] == ["二(二)", "二(六)"]


# --- 三 ---------------------------------------------------------------------

def test_san_yi_di_yi_kuan_major_land_project_goes_to_state_council():
    f = assess({**LAND, "sea": False}, MAJOR)
    assert f["outcome"] == "major_project_occupation" and f["clauses"] == ["三(一)第一款"]
    assert f["level"] == "state" and f["approver"] == "国务院" and "自然资源部" in f["submit_to"]
    assert "节约集约用地论证分析专章" in f["materials"]


def test_san_yi_di_er_kuan_major_sea_project_is_led_by_ocean_bureau():
    f = assess({"redline": True, "land": False, "sea": True}, {**MAJOR, "new_reclamation": False})
    assert f["clauses"] == ["三(一)第二款"] and f["submit_to"] == ["市海洋局"] and f["domain"] == ["sea"]


def test_san_er_new_reclamation_needs_red_line_adjustment():
    f = assess({"redline": True, "land": False, "sea": True}, {**MAJOR, "new_reclamation": True})
    assert f["clauses"] == ["三(二)"] and "生态保护红线调整方案" in f["materials"]


def test_san_er_new_island_use():
    f = assess({"redline": True, "land": False, "sea": False, "island": True},
               {**MAJOR, "new_island_use": True})
    assert f["clauses"] == ["三(二)"] and f["domain"] == ["island"]


def test_san_land_and_sea_undeclared_lists_routes():
    f = assess({**LAND, "sea": True}, {**MAJOR, "new_reclamation": False})
    assert f["outcome"] == "needs_information"
    assert f["candidates"] == ["三(一)第一款", "三(一)第二款"]
    assert {q["key"] for q in f["questions"]} == {"new_construction_land", "sea_island_use"}


def test_san_land_and_new_reclamation_combine():
    f = assess({**LAND, "sea": True}, {**MAJOR, "new_construction_land": True, "sea_island_use": True,
                                       "new_reclamation": True})
    assert f["clauses"] == ["三(一)第一款", "三(二)"]
    assert [r["clause"] for r in f["routes"]] == ["三(一)第一款", "三(二)"]


def test_san_san_eia_always_and_protected_area_consults_greening_bureau():
    f = assess({**LAND, "protected_area": ["自然保护区"]}, MAJOR)
    assert "三(三)" in f["clauses"] and "市绿化市容局" in f["consult"]
    assert any("环境影响评价" in e for e in f["extra"])


def test_san_san_special_plan_avoids_repeat_of_unavoidability_argument():
    f = assess(LAND, {**MAJOR, "special_plan_recognised": True, "changed_since_special_plan": False})
    assert f["outcome"] == "major_project_occupation" and "三(三)" in f["clauses"]


def test_san_outside_notice_scope_is_prohibited():
    f = assess(LAND, {**MAJOR, "within_major_scope": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited", ["三"])


def test_san_limited_activity_that_is_also_national_major_takes_er():
    """三 applies to what lies 'outside' the allowed limited activities."""
    f = assess(LAND, {**LIMITED, "national_major": True, "within_major_scope": True,
                      "new_construction_land": True, "sea_island_use": False})
    assert f["clauses"] == ["二(一)"]


# --- 附件 ------------------------------------------------------------------

def test_fujian_activity_outside_nine_categories_is_prohibited():
    f = assess(LAND, {"activity": "other", "national_major": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited", ["附件"])


def test_fujian_conditions_not_met_is_prohibited():
    f = assess(LAND, {**LIMITED, "annex_conditions_met": False, "national_major": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited", ["附件"])


@pytest.mark.parametrize("key", ["new_reclamation", "new_enclosure"])
def test_fujian_no_new_reclamation_or_enclosure(key):
    other = {"new_reclamation": False, "new_enclosure": False, key: True}
    f = assess({"redline": True, "sea": True}, {**LIMITED, **other, "national_major": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited", ["附件"])


def test_fujian_sea_project_must_say_whether_it_reclaims():
    f = assess({"redline": True, "sea": True}, {**LIMITED, "national_major": False})
    assert f["outcome"] == "needs_information"
    assert {"new_reclamation", "new_enclosure"} <= {q["key"] for q in f["questions"]}


def test_fujian_uninhabited_island_only_low_impact():
    f = assess({"redline": True, "sea": True, "island": True},
               {**LIMITED, "new_reclamation": False, "new_enclosure": False, "island_low_impact": False,
                "national_major": False})
    assert (f["outcome"], f["clauses"]) == ("prohibited_in_principle", ["附件"])


def test_fujian_category_is_cited():
    f = assess(LAND, {**NO_APPROVAL, "activity": 3, "construction": False})
    assert any(c["text"].startswith("三、经依法批准的考古调查发掘") for c in f["citations"])


# --- 四(二) ------------------------------------------------------------------

def test_si_er_expanding_existing_energy_facility_is_forbidden():
    f = assess(LAND, {**MAJOR, "expands_existing_energy_facility": True})
    assert (f["outcome"], f["clauses"]) == ("prohibited", ["四(二)"])


def test_si_er_unknown_is_presumed_absent_and_said():
    f = assess(LAND, {**NO_APPROVAL, "construction": False})
    assert any(p["key"] == "expands_existing_energy_facility" for p in f["presumed"])


# --- scope and validity -------------------------------------------------------

def test_outside_red_line_there_is_no_finding():
    assert assess({"redline": False, "land": True}, MAJOR) is None
    assert assess({}, MAJOR) is None


def test_red_line_unknown_asks():
    f = assess({"redline": None}, MAJOR)
    assert f["outcome"] == "needs_information" and f["questions"][0]["key"] == "redline"


def test_before_issue_date_not_in_force():
    f = assess(LAND, MAJOR, day=date(2025, 4, 9))
    assert f["outcome"] == "not_applicable" and f["citations"]
    assert f["validity"]["valid_to"] is None and "未载明失效日期" in f["validity"]["note"]


def test_issue_date_and_no_expiry():
    assert redline.DOCUMENT.issued == date(2025, 4, 10)
    assert redline.DOCUMENT.valid_to is None
    assert redline.DOCUMENT.in_force(date(2099, 1, 1))


@pytest.mark.skipif(not REGULATION_FILE.exists(), reason="regulation text not present")
def test_every_quoted_passage_is_verbatim():
    text = "".join(line.strip() for line in REGULATION_FILE.read_text(encoding="utf-8").splitlines())
    for pid, (clause, passage) in redline.DOCUMENT.passages.items():
        assert passage in text, pid
