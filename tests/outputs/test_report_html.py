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
    """needs_information: the candidate clauses and the facts presumed absent are shown (in Chinese:
    the presumed fact by the duty that would follow, never by its key)."""
    page = _page({"redline": True, "land": True}, {"activity": "5", "annex_conditions_met": True})
    assert "无需办理认定或审批程序" not in page
    assert "尚可能适用的条款" in page and "二(三)第一款" in page
    assert "扩大既有水电、风电、光伏、海洋能设施的规模和范围,则严禁(四(二))" in page
    assert "expands_existing_energy_facility" not in page


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


# ---------------------------------------------------------------------------
# The findings as a reviewer reads them, on the sample projects
# ---------------------------------------------------------------------------

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from shgeo.outputs.report_html import OVERALL_ZH  # noqa: E402

SAMPLE_PROJECTS = Path(__file__).resolve().parents[2] / "data" / "sample" / "projects"


@pytest.fixture(scope="module")
def sample_reports():
    from shgeo.library.layers import load_library
    from shgeo.screening import screen

    result = screen(SAMPLE_PROJECTS, load_library(), as_of=AS_OF)
    return {p.project_id: p.report for p in result.projects if p.ok}


def _findings_text(page: str) -> str:
    """The findings part of a page (conclusions, routes, groundwater duties, questions), as text."""
    parts = [page[page.index("<h2>各文件结论"):page.index("<h2>空间叠加结果")],
             page[page.index("<h2>地下水污染防治要求"):page.index("<h2>依据条款")]]
    return re.sub(r"<[^>]+>", " ", " ".join(parts))


def test_sample_findings_speak_chinese_only(sample_reports):
    """No key name (sea_island_use, confirmed_route …) and no English word in any sample's findings."""
    assert len(sample_reports) >= 10
    for pid, report in sample_reports.items():
        text = _findings_text(render_report(report))
        assert not re.search(r"[A-Za-z_]{3,}", text), (pid, re.findall(r"[A-Za-z_]{3,}", text)[:5])


def test_notify_only_sample_shows_no_application_and_no_approval_level(sample_reports):
    """二(五) (SP11, a bird survey): 实施主体 notifies 区生态环境部门; nothing is applied for or approved."""
    report = sample_reports["SP11"]
    assert report["findings"][0]["outcome"] == "notify_only"
    page = render_report(report)
    text = _findings_text(page)
    assert "组织论证、提出申请" not in text and "报批同意" not in text
    assert "告知区生态环境部门" in text and "无需审批（告知）" in text
    assert re.search(r'id="level">—<', page), "a notify-only project has no approval level"
    assert "专项规划阶段" not in text, "a notify-only activity is never recognised: the special plan cannot matter"


def test_prohibition_leads_and_the_route_is_for_information_only(sample_reports):
    """SP07: 沪环规 四(一) prohibits the pipeline in the level-1 zone; 8号 二(三)第二款 is shown for information."""
    report = sample_reports["SP07"]
    outcomes = {f["regulation"]: f["outcome"] for f in report["findings"]}
    assert outcomes == {"沪府办发〔2025〕8号": "recognition_required", "沪环规〔2025〕1号": "prohibited"}
    page = render_report(report)
    lead = page.index('id="prohibition-lead"')
    assert lead < page.index("<h2>办理路径")
    assert "四(一)：禁止" in page[lead:page.index("</div>", lead)]
    assert "仅供参考" in page[lead:] and "与供水设施和保护水源有关的除外" in page


def test_body_lists_the_text_ends_with_deng_end_with_deng(sample_reports):
    """二(三)第二款 (SP01): "征求市生态环境局、市农业农村委、市林业局、市海洋局等部门意见"."""
    text = _findings_text(render_report(sample_reports["SP01"]))
    assert "征求市生态环境局、市农业农村委、市林业局、市海洋局等意见" in text
    notify = _findings_text(render_report(sample_reports["SP11"]))
    assert "区生态环境部门等" not in notify   # 二(五) names one body: no 等


def test_open_sample_says_what_is_settled_and_asks_in_chinese(sample_reports):
    """SP12: needs_information — what is already settled, and the questions by their Chinese text."""
    report = sample_reports["SP12"]
    finding = report["findings"][0]
    assert finding["outcome"] == "needs_information" and finding["settled"]["text"]
    text = _findings_text(render_report(report))
    assert "已可确定" in text and finding["settled"]["text"][0] in text
    for q in finding["questions"]:
        assert q["ask"] in text


def test_derived_facts_are_shown_by_their_question_and_basis(sample_reports):
    """SP08: 跨区 derived from the districts in the red line; shown by its question and basis, not its key."""
    text = _findings_text(render_report(sample_reports["SP08"]))
    assert "该有限人为活动是否跨区" in text and "依据：项目在生态保护红线内涉及松江区、青浦区" in text


def test_report_says_when_districts_and_red_line_districts_differ(sample_reports):
    """二(六) 跨区 is read from the districts inside the red line; the page says so when they differ."""
    report = dict(sample_reports["SP07"])
    report["facts"] = {**report["facts"], "districts": ["松江区", "青浦区"], "redline_districts": ["松江区"]}
    page = render_report(report)
    note = page[page.index('id="district-note"'):]
    assert "其中进入生态保护红线的为松江区" in note and "按进入生态保护红线的区判断" in note


@pytest.mark.parametrize(("overall", "words"), [("not_in_force", "其他法律法规仍适用"),
                                                 ("partly_outside", "域外部分未筛查")])
def test_new_overall_values_are_shown_in_chinese(overall, words):
    assert words in OVERALL_ZH[overall]
    page = render_report({"project_id": "T", "as_of": AS_OF, "sample_data": False, "facts": {}, "overlaps": [],
                          "layers": [], "findings": [], "overall": overall})
    assert words in page[page.index('id="overall"'):]


def test_a_regulation_not_in_force_reads_as_such():
    """Before 8号's issue date: "not in force that day", never "does not apply"."""
    answer = route({"spatial": {"redline": True, "land": True}, "project": {}}, as_of="2025-04-01")
    page = render_report({"project_id": "T", "as_of": "2025-04-01", "sample_data": False, "facts": {},
                          "overlaps": [], "layers": [], **answer})
    assert "该文件在适用日期未生效" in page and OVERALL_ZH["not_in_force"] in page
