"""report.html says what each outcome means: never "no procedure" for a prohibited or open project."""

from __future__ import annotations

from shgeo.rules.decision import route
from shgeo.outputs.report_html import render_report

AS_OF = "2025-06-01"


def _page(spatial: dict, project: dict) -> str:
    answer = route({"spatial": spatial, "project": project}, as_of=AS_OF)
    report = {"project_id": "T", "as_of": AS_OF, "sample_data": False, "facts": spatial, "overlaps": [],
              "layers": [], **answer}
    return render_report(report)


def test_core_zone_page_says_prohibited_in_principle_and_quotes_clause_one():
    """一: 核心保护区内原则上禁止人为活动 — the page must not read as "no procedure needed"."""
    page = _page({"redline": True, "core_zone": True, "land": True}, {"activity": "1"})
    assert "无需办理认定或审批程序" not in page
    assert "原则上禁止，不得开展" in page and "原则上禁止人为活动(一)" in page


def test_open_route_page_lists_candidates_and_presumed_facts():
    """needs_information: the candidate clauses and the facts presumed absent are shown."""
    page = _page({"redline": True, "land": True}, {"activity": "5", "annex_conditions_met": True})
    assert "无需办理认定或审批程序" not in page
    assert "尚可能适用的条款" in page and "二(三)第一款" in page
    assert "expands_existing_energy_facility" in page


def test_no_red_line_says_no_procedure_under_8hao():
    page = _page({"redline": False, "land": True}, {})
    assert "项目未进入生态保护红线" in page


def test_groundwater_duties_are_listed_once():
    """沪环规 四(二): each binding duty appears once, with whom it binds."""
    page = _page({"redline": False, "groundwater_village": ["310151202215"], "land": True},
                 {"unit_roles": ["enterprise"], "may_pollute": True, "has_polluted": False})
    duty = "严格落实国家和地方有关环境准入的法律、法规、政策以及生态环境准入清单。"
    assert page.count(duty) == 1
    assert "四(二)1（" in page
