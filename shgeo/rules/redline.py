"""沪府办发〔2025〕8号 — limited human activities and national major projects in the red line.

Rules are read top-down as the text is:

1. **准入 (admission)** — which part of the text governs the project:
   一 (core protection zone: prohibited in principle), 四(二) (expanding an
   existing hydro/wind/PV/ocean-energy facility: 严禁), 附件 (an allowed
   limited activity → section 二), 三 (a national major project → section
   三), or a prohibition (一 开发性、生产性建设; 附件 other activity; 三
   outside the «通知» scope). Precedence is explicit (``exception_to``).
2. **二 routes** — 二(一) … 二(五) by the approvals and works the activity
   needs, with 二(六) (already recognised at the special-plan stage) as an
   exception to all of them, then 二(六)'s other sentences as modifiers.
3. **三 routes** — 三(一)第一款 (land), 三(一)第二款 (sea without new
   reclamation / island use), 三(二) (new reclamation / new island use); a
   project on land and sea takes each part's procedure; 三(三) extra duties.

Where the text leaves more than one route open for the facts given, the
finding is ``needs_information`` listing every route (``candidates``) and a
question; the answer is recorded in the project key ``confirmed_route``.

Readings of the text (each asked, or decided and said):

- asked — 二(三) when the works fit both paragraphs (existing site / repair
  *and* a new overhead line …) or neither; a cross-district activity on a
  route whose applicant is 实施主体 (二(三)第一款, 二(四)) against 二(六)
  "原则上由市级行业主管部门提出申请"; a national major project touching land
  and sea without saying which approvals it needs (三(一)第一款 / 第二款 / 三(二));
  a national major project needing neither approval.
- decided — a limited activity that is also a national major project takes
  二 (三 covers what is "之外" the limited activities); 跨区 is read from the
  districts where the project enters the red line (the 有限人为活动 is the
  activity inside it), else from all districts; 二(六)'s 市绿化市容部门
  consultation applies to every 二 route, 二(五) included ("上述有限人为活动");
  二(五)'s list ends in 等, so every annex activity without approval or
  construction is notify-only; 三(三)'s special-plan sentence spares only the
  不可避让论证, not the land/sea approval (outcome stays
  ``major_project_occupation``); 四(二) 严禁 overrides every route.
- presumed absent when unknown, and listed in ``presumed`` with the
  conditional duty: facts that only add a duty or an exemption, or a
  prohibition the project would have to be built to trigger
  (``temporary_land``, ``special_plan_recognised``,
  ``expands_existing_energy_facility``, ``cross_district`` when no district
  is known at all).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from ._facts import Facts, Rule, Tri, Unknown, all3, any3, not3, resolve, select
from ._finding import load_document, new_finding

__all__ = ["DOCUMENT", "REGULATION", "ANNEX_CATEGORIES", "assess"]

log = logging.getLogger(__name__)

DOCUMENT = load_document("clauses_redline.toml")
REGULATION = DOCUMENT.doc

#: 附件 categories, as the query names them ("1"–"9"), and the passage quoting each.
ANNEX_CATEGORIES = {str(n): f"附件.{zh}" for n, zh in enumerate("一二三四五六七八九", start=1)}

#: 二(一)–(四): the materials every recognition application lists.
MATERIALS = ("申请文件", "允许有限人为活动论证报告(附专家评审意见)", "法律法规规定的其他材料")

#: 一: the areas whose own laws also apply inside the red line.
_OTHER_LAW_AREAS = ("自然保护区", "风景名胜区", "饮用水水源保护区", "自然公园", "重要湿地")


def _cite(passage_id: str) -> dict[str, str]:
    return DOCUMENT.cite(passage_id)


# --------------------------------------------------------------------------
# Derived facts (shown as such in the finding's ``derived``)
# --------------------------------------------------------------------------

def _derive(f: Facts) -> None:
    """Facts that follow from other facts without doubt."""
    if f.spatial.get("redline") is None and f.get_quiet("core_zone") is True:
        # 一 speaks of 自然保护地核心保护区 "生态保护红线内"; a core-zone hit is a red-line hit.
        f.derive("redline", True, "spatial.core_zone")
    if f.get_quiet("land") is None and not f.declared("land") and "land" not in f.spatial:
        sea, island = f.get_quiet("sea"), f.get_quiet("island")
        if sea is not None and island is not None:
            f.derive("land", not (sea or island), "spatial.sea/spatial.island (not sea, not island → land)")
    if f.get_quiet("state_council_sea") is True:
        f.derive("sea_island_use", True, "project.state_council_sea (报国务院审批的用海用岛项目)")
    if f.get_quiet("sea") is False:
        f.derive("new_reclamation", False, "spatial.sea=false (不涉及海域,无填海造地)")
        f.derive("new_enclosure", False, "spatial.sea=false (不涉及海域,无围海)")
    if f.get_quiet("island") is False:
        f.derive("new_island_use", False, "spatial.island=false (不涉及无居民海岛)")
    _derive_cross_district(f)


def _derive_cross_district(f: Facts) -> None:
    """二(六) 跨区的有限人为活动.

    The 有限人为活动 is the activity inside the red line, so where the query
    says in which districts the project enters the red line
    (``redline_districts``) that decides; otherwise the districts the
    footprint touches (``districts``, as DESIGN.md derives it). A declared
    ``cross_district`` wins over both.
    """
    if f.declared("cross_district"):
        return
    red = f.spatial.get("redline_districts", ())
    alld = f.spatial.get("districts", ())
    if red:
        f.derive("cross_district", len(red) >= 2, f"spatial.redline_districts ({'、'.join(red)})")
    elif alld:
        f.derive("cross_district", len(alld) >= 2, f"spatial.districts ({'、'.join(alld)})")


# --------------------------------------------------------------------------
# 1. Admission: which part of the text governs
# --------------------------------------------------------------------------

def _annex_activity(f: Facts) -> Tri:
    act = f.get("activity")
    return None if act is None else act in ANNEX_CATEGORIES


def _limited(f: Facts) -> Tri:
    """附件: a listed category, its conditions met, no new reclamation or enclosure,
    an uninhabited island used only in a low-impact way (一: not damaging ecological function)."""
    if _annex_activity(f) is False:
        return False
    return all3(
        _annex_activity(f),
        f.get("annex_conditions_met"),
        not3(f.get("new_reclamation")),
        not3(f.get("new_enclosure")),
        _island_ok(f),
    )


def _island_ok(f: Facts) -> Tri:
    island = f.get("island")
    if island is False:
        return True
    return any3(not3(island), f.get("island_low_impact"))


def _limited_but_for_island(f: Facts) -> Tri:
    """附件 closing sentence: everything holds except the low-impact island use."""
    if _annex_activity(f) is False:
        return False
    return all3(_annex_activity(f), f.get("annex_conditions_met"), not3(f.get("new_reclamation")),
                not3(f.get("new_enclosure")), not3(_island_ok(f)))


def _national(f: Facts) -> Tri:
    return f.get("national_major")


def _then(first: Tri, rest: Any) -> Tri:
    """Sequential AND: ``rest`` (a callable) is only looked at when ``first`` holds."""
    if first is False:
        return False
    if first is None:
        return None
    return rest()


def _activity_is(f: Facts, value: str) -> Tri:
    act = f.get("activity")
    return None if act is None else act == value


def _core_zone(f: Facts) -> Tri:
    """一: inside a 自然保护地核心保护区 (in the red line)."""
    return f.get("core_zone")


def _expands_energy_facility(f: Facts) -> Tri:
    """四(二): expands an existing hydro / wind / PV / ocean-energy facility.

    Only a declared ``true`` fires; unknown is presumed not, and said (``presumed``).
    """
    return f.presume_absent("expands_existing_energy_facility",
                            "若项目扩大既有水电、风电、光伏、海洋能设施的规模和范围,则严禁(四(二))。")


def _major_in_scope(f: Facts) -> Tri:
    """三: outside the allowed limited activities, a national major project within the «通知» scope."""
    return _then(not3(_limited(f)), lambda: _then(_national(f), lambda: f.get("within_major_scope")))


def _major_out_of_scope(f: Facts) -> Tri:
    """三: a national major project outside the «通知» scope."""
    return _then(not3(_limited(f)), lambda: _then(_national(f), lambda: not3(f.get("within_major_scope"))))


def _development_not_major(f: Facts) -> Tri:
    """一: 开发性、生产性建设活动, not a national major project."""
    return _then(_activity_is(f, "development"), lambda: not3(_national(f)))


def _other_not_allowed(f: Facts) -> Tri:
    """附件 + 三: not an allowed limited activity, not development, not a national major project."""
    return all3(not3(_limited(f)), not3(_national(f)), not3(_activity_is(f, "development")))


def _island_not_low_impact(f: Facts) -> Tri:
    """附件 closing sentence: an allowed activity but for a non-low-impact island use."""
    return all3(_limited_but_for_island(f), not3(_national(f)))


_ALL_ADMISSION = ("一.核心保护区", "二", "三", "三.范围外", "一.开发性", "附件.其他", "附件.无居民海岛")

#: Admission, in the text's order. ``exception_to`` is the stated precedence:
#: 四(二) 严禁 overrides everything, 一's core zone everything else, and the
#: island sentence of the 附件 the general "outside the 附件" rule.
ADMISSION = (
    Rule("四(二)", _expands_energy_facility, exception_to=_ALL_ADMISSION,
         text="对零星分布的既有水电、风电、光伏、海洋能设施……严禁扩大现有规模和范围"),
    Rule("一.核心保护区", _core_zone, exception_to=_ALL_ADMISSION[1:],
         text="生态保护红线内自然保护地核心保护区内,原则上禁止人为活动"),
    Rule("二", _limited, text="仅允许对生态功能不造成破坏的有限人为活动(附件) → 按第二条办理"),
    Rule("三", _major_in_scope, text="允许有限人为活动之外,仅允许国家重大项目占用生态保护红线"),
    Rule("三.范围外", _major_out_of_scope, text="必须符合«通知»中明确的项目范围"),
    Rule("一.开发性", _development_not_major, text="核心保护区外,禁止开发性、生产性建设活动"),
    Rule("附件.其他", _other_not_allowed, text="附件之外的活动,且非国家重大项目"),
    Rule("附件.无居民海岛", _island_not_low_impact, exception_to=("附件.其他",),
         text="涉及利用无居民海岛的,原则上仅允许……低影响利用方式"),
)


# --------------------------------------------------------------------------
# 2. Section 二: routes of an allowed limited activity
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """One approval route as its clause writes it."""

    clause: str
    passage: str
    level: str
    applicant: tuple[str, ...]
    submit_to: tuple[str, ...]
    consult: tuple[str, ...]
    approver: str | None
    issuer: tuple[str, ...]
    materials: tuple[str, ...] = MATERIALS
    notify_to: tuple[str, ...] = ()
    outcome: str = "recognition_required"
    by_applicant_choice: bool = True   # applicant is "涉及的区政府或市级行业主管部门"


_CITY_CONSULT = ("市生态环境局", "市农业农村委", "市林业局")
_DISTRICT_CONSULT = ("区生态环境部门", "区农业农村部门", "区林业部门", "区海洋部门")
_GOV_OR_CITY_DEPT = ("涉及的区政府", "市级行业主管部门")

ROUTES: dict[str, Route] = {
    "二(一).用地": Route("二(一)", "二(一)", "municipal", _GOV_OR_CITY_DEPT, ("市规划资源局",),
                      _CITY_CONSULT, "市政府", ("市规划资源局",)),
    "二(一).用海用岛": Route("二(一)", "二(一)", "municipal", _GOV_OR_CITY_DEPT, ("市海洋局",),
                        _CITY_CONSULT, "市政府", ("市海洋局",)),
    "二(二)": Route("二(二)", "二(二)", "municipal", _GOV_OR_CITY_DEPT, ("市规划资源局", "市海洋局"),
                  _CITY_CONSULT, "市政府", ("市规划资源局", "市海洋局")),
    "二(三)第一款": Route("二(三)第一款", "二(三)第一款", "district", ("实施主体",), ("区规划资源部门",),
                     _DISTRICT_CONSULT, "区政府", ("区规划资源部门",), by_applicant_choice=False),
    "二(三)第二款": Route("二(三)第二款", "二(三)第二款", "municipal", _GOV_OR_CITY_DEPT, ("市规划资源局",),
                     _CITY_CONSULT + ("市海洋局",), "市政府", ("市规划资源局",)),
    "二(四)": Route("二(四)", "二(四)", "district", ("实施主体",), ("区级行业主管部门",),
                  ("区规划资源部门",) + _DISTRICT_CONSULT, "区政府", ("区级行业主管部门",),
                  by_applicant_choice=False),
    "二(五)": Route("二(五)", "二(五)", "district", ("实施主体",), (), (), None, (), materials=(),
                  notify_to=("区生态环境部门",), outcome="notify_only", by_applicant_choice=False),
}


def _ncl(f: Facts) -> Tri:
    return f.get("new_construction_land")


def _sea_use(f: Facts) -> Tri:
    return f.get("sea_island_use")


def _no_approval(f: Facts) -> Tri:
    return all3(not3(_ncl(f)), not3(_sea_use(f)))


def _er_san(f: Facts) -> Tri:
    """二(三): no new land/sea approval, concrete construction, a planning permit."""
    return _then(_no_approval(f), lambda: all3(f.get("construction"), f.get("planning_permit")))


def _new_works(f: Facts) -> Tri:
    """二(三)第二款: 新建架空线, 开挖施工法地下工程, 地下工程安全出口、通风口等附属设施."""
    return any3(f.get("new_overhead_line"), f.get("open_cut_underground"),
                f.get("underground_exit_or_vent"))


def _confirmed(f: Facts, token: str) -> bool:
    return token in (f.get_quiet("confirmed_route") or ())


def _open_er_san(f: Facts) -> Tri:
    """Both paragraphs of 二(三) describe the works, or neither does."""
    esr, new = f.get("existing_site_or_repair"), _new_works(f)
    return any3(all3(esr, new), all3(not3(esr), not3(new)))


def _ruled(f: Facts) -> bool:
    return _confirmed(f, "二(三)第一款") or _confirmed(f, "二(三)第二款")


def _special_plan_unchanged(f: Facts) -> Tri:
    """二(六): recognised at the special-plan stage (市政府 agreed) and unchanged since."""
    recognised = f.presume_absent(
        "special_plan_recognised",
        "若在专项规划阶段已开展论证并报市政府同意后取得认定意见,项目实施阶段若无变化则无需重复论证(二(六))。")
    return _then(recognised, lambda: not3(f.get("changed_since_special_plan")))


def _er_yi_land(f: Facts) -> Tri:
    """二(一): new construction-land approval only."""
    return all3(_ncl(f), not3(_sea_use(f)))


def _er_yi_sea(f: Facts) -> Tri:
    """二(一) (或用海用岛): sea / island-use approval only."""
    return all3(not3(_ncl(f)), _sea_use(f))


def _er_er(f: Facts) -> Tri:
    """二(二): both approvals."""
    return all3(_ncl(f), _sea_use(f))


def _er_san_1(f: Facts) -> Tri:
    """二(三)第一款: existing site / repair of an existing facility (or so confirmed where open)."""
    esr = f.get("existing_site_or_repair")
    return _then(_er_san(f), lambda: any3(all3(esr, not3(_new_works(f))),
                                          all3(_open_er_san(f), _confirmed(f, "二(三)第一款"))))


def _er_san_2(f: Facts) -> Tri:
    """二(三)第二款: new overhead line, open-cut underground work, underground exit or vent."""
    esr = f.get("existing_site_or_repair")
    return _then(_er_san(f), lambda: any3(all3(_new_works(f), not3(esr)),
                                          all3(_open_er_san(f), _confirmed(f, "二(三)第二款"))))


def _er_san_both(f: Facts) -> Tri:
    """二(三): the works fit both paragraphs; the text says nothing of this case."""
    return _then(_er_san(f), lambda: all3(f.get("existing_site_or_repair"), _new_works(f),
                                          not _ruled(f)))


def _er_san_neither(f: Facts) -> Tri:
    """二(三): the works fit neither paragraph; the text says nothing of this case."""
    return _then(_er_san(f), lambda: all3(not3(f.get("existing_site_or_repair")), not3(_new_works(f)),
                                          not _ruled(f)))


def _er_si(f: Facts) -> Tri:
    """二(四): construction without a planning permit."""
    return _then(_no_approval(f), lambda: all3(f.get("construction"), not3(f.get("planning_permit"))))


def _er_wu(f: Facts) -> Tri:
    """二(五): no approval and no construction."""
    return _then(_no_approval(f), lambda: not3(f.get("construction")))


_ROUTE_LABELS = ("二(一).用地", "二(一).用海用岛", "二(二)", "二(三)第一款", "二(三)第二款",
                 "二(三).两款均涉及", "二(三).两款均未涉及", "二(四)", "二(五)")

#: Section 二. The routes exclude each other by their conditions; 二(六)'s
#: special-plan sentence is the one stated exception to all of them.
ROUTE_RULES = (
    Rule("二(六).专项规划", _special_plan_unchanged, exception_to=_ROUTE_LABELS,
         text="在专项规划阶段已……取得认定意见的,项目实施阶段若无变化则无需重复论证"),
    Rule("二(一).用地", _er_yi_land, text="涉及新增建设用地审批"),
    Rule("二(一).用海用岛", _er_yi_sea, text="涉及用海用岛审批"),
    Rule("二(二)", _er_er, text="同时涉及新增建设用地、用海用岛审批"),
    Rule("二(三)第一款", _er_san_1, text="现状既有用地范围内的建设工程,或现状既有设施修缮更新"),
    Rule("二(三)第二款", _er_san_2,
         text="新建架空线,开挖施工法建设的地下工程,或地下工程的安全出口、通风口等附属设施"),
    Rule("二(三).两款均涉及", _er_san_both, text="(条文未规定两款同时涉及时适用哪一款)"),
    Rule("二(三).两款均未涉及", _er_san_neither, text="(条文两款均未涵盖)"),
    Rule("二(四)", _er_si, text="有具体建设活动但不涉及办理建设工程规划选址、规划许可手续"),
    Rule("二(五)", _er_wu, text="不涉及新增建设用地、用海用岛审批,且无具体建设活动"),
)


def _domain(f: Facts, *, land: bool = False, sea_use: bool = False) -> list[str]:
    """Land / sea / island, from the spatial facts and the approvals the route implies."""
    out = []
    if land or f.get_quiet("land"):
        out.append("land")
    island = f.get_quiet("island") is True
    if f.get_quiet("sea") is True or (sea_use and not island):
        out.append("sea")
    if island:
        out.append("island")
    return out


def _protected_area_and_temporary_land(f: Facts, clause: str, greening_body: str, consult: list[str],
                                       clauses: list[str], citations: list[dict[str, str]],
                                       extra: list[str]) -> None:
    """The two duties 二(六) and 三(三) both impose, each in its own words.

    涉及自然保护地的,须征求 *greening_body* 意见 (二(六) names 市绿化市容部门, 三(三)
    市绿化市容局); 涉及临时用地的,参照临时占用永久基本农田规定办理,严格落实恢复责任.
    """
    protected = f.need("protected_area")
    if protected:
        consult.append(greening_body)
        clauses.append(clause)
        citations.append(_cite(f"{clause}.自然保护地"))
        f.record_derived(f"consult_{greening_body}", True, f"spatial.protected_area ({'、'.join(protected)})")
        extra.append(f"涉及自然保护地,须征求{greening_body}意见({clause})。")
    if f.presume_absent("temporary_land", "若涉及临时用地,按照规范临时用地管理的有关要求,"
                                          f"参照临时占用永久基本农田规定办理,严格落实恢复责任({clause})。"):
        clauses.append(clause)
        citations.append(_cite(f"{clause}.临时用地"))
        extra.append("涉及临时用地:按照规范临时用地管理的有关要求,参照临时占用永久基本农田规定办理,"
                     f"严格落实恢复责任({clause})。")


def _common_notes(f: Facts) -> tuple[list[str], list[dict[str, str]]]:
    """一's other-laws sentence, when the project hits one of the areas it names."""
    hits = [p for p in (f.get_quiet("protected_area") or ()) if p in _OTHER_LAW_AREAS]
    if f.get_quiet("water_source_l1"):
        hits.append("饮用水水源保护区")
    if not hits:
        return [], []
    return ([f"生态保护红线内{'、'.join(hits)}等区域,应当同时符合有关法律法规规定(一)。"],
            [_cite("一.其他法律法规")])


def _route_limited(f: Facts) -> dict[str, Any]:
    """Section 二 for an allowed limited activity (附件)."""
    if f.get_quiet("state_council_sea") is True and f.get_quiet("sea_island_use") is False:
        return _open_routes(f, ["二(一)", "二(二)"], [{
            "key": "sea_island_use",
            "ask": "项目被申报为报国务院审批的用海用岛项目,但又申报不需要用海用岛审批:请核实是否需要用海用岛审批。"}])
    rule = select("二 有限人为活动管理", ROUTE_RULES, f)
    if rule is None:  # every combination is covered above; reaching here is a bug
        raise Unknown(["construction"])
    if rule.label == "二(六).专项规划":
        return _already_recognised(f)
    if rule.label == "二(三).两款均涉及":
        return _open_routes(f, ["二(三)第一款", "二(三)第二款"], [{
            "key": "confirmed_route",
            "ask": "项目既涉及现状既有用地范围内建设或既有设施修缮更新(二(三)第一款,区级),"
                   "又涉及新建架空线、开挖施工的地下工程或其安全出口、通风口(二(三)第二款,市级),"
                   "条文未规定此时适用哪一款:请向区规划资源部门、市规划资源局确认(或分拆申报),"
                   "在 confirmed_route 中填 \"二(三)第一款\" 或 \"二(三)第二款\"。"}])
    if rule.label == "二(三).两款均未涉及":
        return _open_routes(f, ["二(三)第一款", "二(三)第二款"], [{
            "key": "confirmed_route",
            "ask": "项目需办理建设工程规划许可,但既不在现状既有用地范围内、不属既有设施修缮更新,"
                   "也不是新建架空线、开挖施工的地下工程或其出口、通风口:二(三)两款均未涵盖。"
                   "请向规划资源部门确认适用哪一款,在 confirmed_route 中填 \"二(三)第一款\" 或 \"二(三)第二款\"。"}])
    return _recognition(f, rule.label)


def _cross_district(f: Facts) -> Tri:
    """二(六) 跨区: declared, derived from the districts, or — when the query names no
    district at all — presumed not, with the conditional duty noted."""
    cd = f.get_quiet("cross_district")
    districts = f.spatial.get("districts", ())
    red = f.spatial.get("redline_districts", ())
    if cd is None and districts is not None and red is not None and not districts and not red:
        cd = f.presume_absent("cross_district",
                              "查询未给出所涉区:若该有限人为活动跨区,原则上由市级行业主管部门提出申请(二(六))。")
    return cd


def _recognition(f: Facts, label: str) -> dict[str, Any]:
    route = ROUTES[label]
    clauses = [route.clause]
    citations = [_cite(route.passage)]
    extra: list[str] = []
    applicant = list(route.applicant)
    consult = list(route.consult)
    # 二(六) 跨区
    cd = _cross_district(f)
    if cd is None:
        raise Unknown(["cross_district"])
    if cd:
        if route.by_applicant_choice:
            applicant = ["市级行业主管部门"]
            clauses.append("二(六)")
            citations.append(_cite("二(六).跨区"))
            extra.append("跨区的有限人为活动,原则上由市级行业主管部门提出申请(二(六))。")
        elif route.outcome == "notify_only":
            extra.append("活动跨区:向各所在区的区生态环境部门告知(二(五))。")
        elif _confirmed(f, "二(六)"):
            applicant = ["市级行业主管部门"]
            clauses.append("二(六)")
            citations.append(_cite("二(六).跨区"))
            extra.append(f"经确认按二(六):跨区的有限人为活动由市级行业主管部门提出申请;"
                         f"{route.clause}未规定跨区时向哪一区的{route.submit_to[0]}申请,请与各区协调。")
        elif not _confirmed(f, route.clause):
            return _open_routes(f, [route.clause, "二(六)"], [{
                "key": "confirmed_route",
                "ask": f"该有限人为活动跨区:{route.clause}规定由实施主体向生态保护红线所在地的"
                       f"{route.submit_to[0]}申请,二(六)规定跨区的原则上由市级行业主管部门提出申请,"
                       f"条文未规定二者的先后:请向主管部门确认,在 confirmed_route 中填 "
                       f"\"{route.clause}\" 或 \"二(六)\"。"}])
        else:
            extra.append(f"经确认按{route.clause}由实施主体申请;活动跨区,向各所在区的{route.submit_to[0]}申请。")
    # 二(六) 自然保护地 → 市绿化市容部门; 临时用地
    _protected_area_and_temporary_land(f, "二(六)", "市绿化市容部门", consult, clauses, citations, extra)
    # 二(六) 报国务院审批的用海用岛项目
    if f.get_quiet("state_council_sea") is True:
        clauses.append("二(六)")
        citations.append(_cite("二(六).国务院用海用岛"))
        extra.append("报国务院审批的用海用岛项目,有限人为活动认定程序参照第二条第(一)(二)款执行;"
                     "用海用岛本身报国务院审批(二(六))。")
    if route.outcome == "notify_only":
        extra.append("实施主体应当及时告知区生态环境部门;各区政府及自然保护地管理机构按照相关规定"
                     "严格监督管理,无需开展有限人为活动认定(二(五))。")
    elif route.clause == "二(三)第二款":
        extra.append("在办理建设工程规划许可手续时开展认定(二(三)第二款)。")
    elif route.clause in ("二(一)", "二(二)"):
        extra.append("确定用地、用海用岛范围后,在报批农用地转用、土地征收、海域使用权、"
                     "无居民海岛开发利用时开展认定;先由申请主体组织开展论证、提出初步意见。")
    notes, more_cites = _common_notes(f)
    extra += notes
    citations += more_cites
    citations.append(_cite(ANNEX_CATEGORIES[f.get_quiet("activity")]))
    land = label in ("二(一).用地", "二(二)")
    sea_use = label in ("二(一).用海用岛", "二(二)")
    return new_finding(
        DOCUMENT, route.outcome, clauses=clauses, level=route.level,
        domain=_routed_domain(f, land=land, sea_use=sea_use),
        applicant=applicant, submit_to=list(route.submit_to), consult=consult,
        approver=route.approver, issuer=list(route.issuer), materials=list(route.materials),
        notify_to=list(route.notify_to), extra=extra, citations=citations,
        derived=f.derived, presumed=f.presumed,
    )


def _routed_domain(f: Facts, *, land: bool = False, sea_use: bool = False) -> list[str]:
    domain = _domain(f, land=land, sea_use=sea_use)
    if not domain:
        # inside the red line yet neither land, sea nor island: the facts contradict each other
        raise Unknown(["land"])
    return domain


def _already_recognised(f: Facts) -> dict[str, Any]:
    return new_finding(
        DOCUMENT, "already_recognised", clauses=["二(六)"], level="municipal",
        domain=_routed_domain(f), approver="市政府",
        extra=["专项规划阶段已开展允许有限人为活动论证并报市政府同意后取得认定意见,"
               "项目实施阶段无变化,无需重复论证(二(六))。"],
        citations=[_cite("二(六).专项规划"), _cite(ANNEX_CATEGORIES[f.get_quiet("activity")])],
        derived=f.derived, presumed=f.presumed,
    )


def _open_routes(f: Facts, candidates: list[str], questions: list[dict[str, str]]) -> dict[str, Any]:
    """The text leaves several routes open for these facts: list them, never pick."""
    cites = []
    for c in candidates:
        cites.append(DOCUMENT.cite_clause(c) if c != "二(六)" else _cite("二(六).跨区"))
    return new_finding(DOCUMENT, "needs_information", candidates=candidates, questions=questions,
                       citations=cites, derived=f.derived, presumed=f.presumed,
                       extra=["条文对本项目的事实留有不止一种办理路径,未作选择。"])


# --------------------------------------------------------------------------
# 3. Section 三: national major projects
# --------------------------------------------------------------------------

_MAJOR_MATERIALS = ("申请文件", "节约集约用地论证分析专章", "市级相关部门及专家评审意见", "法律法规规定的其他材料")

MAJOR_ROUTES: dict[str, dict[str, Any]] = {
    "三(一)第一款": dict(
        applicant=["实施主体"], submit_to=["市规划资源局", "自然资源部"],
        consult=["市生态环境局", "市农业农村委", "市林业局", "市海洋局"],
        issuer=["市规划资源局", "市政府"], materials=list(_MAJOR_MATERIALS),
        stages=["用地预审阶段:实施主体编制节约集约用地论证分析专章;市规划资源局征求意见、组织专家审查,"
                "审查通过后报自然资源部办理用地预审",
                "用地报批阶段:市规划资源局出具不可避让生态保护红线的审核意见,随建设用地请示文件报市政府审核",
                "用地审批阶段:市政府出具生态保护红线不可避让论证意见,将农用地转用和土地征收报国务院批准"]),
    "三(一)第二款": dict(
        applicant=["实施主体"], submit_to=["市海洋局"],
        consult=["市规划资源局", "市生态环境局", "市农业农村委", "市林业局"],
        issuer=["市海洋局", "市政府"], materials=list(_MAJOR_MATERIALS),
        stages=["国家重大用海项目(不涉及新增填海造地、新增用岛):由市海洋局会同市规划资源局、"
                "市生态环境局、市农业农村委、市林业局等部门严格审查,参照三(一)第一款程序执行"]),
    "三(二)": dict(
        applicant=["实施主体"], submit_to=["市海洋局"], consult=["市规划资源局"],
        issuer=["市海洋局", "市政府"], materials=["生态保护红线调整方案", "海域使用权、无居民海岛开发利用申请"],
        stages=["用海预审阶段:实施主体提出申请,市海洋局组织论证审查后按程序办理用海预审",
                "用海报批阶段:市海洋局出具不可避让生态保护红线的审核意见;市海洋局、市规划资源局会同有关部门"
                "同步组织编制生态保护红线调整方案,报市政府审核",
                "用海审批阶段:市政府出具生态保护红线不可避让论证意见,调整方案随海域使用权、"
                "无居民海岛开发利用申请一并报国务院批准"]),
}


def _major_parts(f: Facts) -> list[str]:
    """Which 三 procedures the project takes (land part, sea part)."""
    land, sea = f.get("land"), any3(f.get("sea"), f.get("island"))
    ncl, siu = f.get("new_construction_land"), f.get("sea_island_use")
    # A part is settled by the declared approval; else by the spatial facts when they point one way.
    land_part = ncl if ncl is not None else (land if sea is False else (False if land is False else None))
    sea_part = siu if siu is not None else (sea if land is False else (False if sea is False else None))
    missing = []
    if land_part is None:
        missing.append("new_construction_land")
    if sea_part is None:
        missing.append("sea_island_use")
    if missing:
        # land and sea both touched: the approvals needed decide which procedures run
        raise Unknown(missing)
    parts = []
    if land_part:
        parts.append("三(一)第一款")
    if sea_part:
        reclaim = any3(f.get("new_reclamation"), f.get("new_island_use"))
        if reclaim is None:
            raise Unknown([k for k in ("new_reclamation", "new_island_use") if f.get_quiet(k) is None])
        parts.append("三(二)" if reclaim else "三(一)第二款")
    return parts


def _route_major(f: Facts) -> dict[str, Any]:
    parts = _major_parts(f)
    confirmed = [c for c in ("三(一)第一款", "三(一)第二款", "三(二)") if _confirmed(f, c)]
    if not parts:
        if not confirmed:
            return _open_routes(f, ["三(一)第一款", "三(一)第二款"], [{
                "key": "confirmed_route",
                "ask": "国家重大项目占用生态保护红线,但申报既不需要用地审批也不需要用海用岛审批,"
                       "第三条未规定此时的程序:请向市规划资源局、市海洋局确认,在 confirmed_route 中填适用条款。"}])
        parts = confirmed
    clauses = list(parts)
    citations = [_cite("三")] + [_cite(p) for p in parts]
    applicant, submit_to, consult, issuer, materials, extra = [], [], [], [], [], []
    routes = []
    for p in parts:
        spec = MAJOR_ROUTES[p]
        routes.append({"clause": p, **spec, "approver": "国务院"})
        applicant += spec["applicant"]
        submit_to += spec["submit_to"]
        consult += spec["consult"]
        issuer += spec["issuer"]
        materials += spec["materials"]
        extra += [f"{s}({p})。" for s in spec["stages"]]
    # 三(三)
    citations.append(_cite("三(三).环评"))
    extra.append("应严格落实生态环境分区管控要求,依法开展环境影响评价(三(三))。")
    # 三(三) 自然保护地 → 市绿化市容局 (so named in 三(三)); 临时用地
    _protected_area_and_temporary_land(f, "三(三)", "市绿化市容局", consult, clauses, citations, extra)
    if f.presume_absent("special_plan_recognised",
                        "若在专项规划阶段已开展不可避让论证并报市政府同意后取得认定意见,"
                        "项目实施阶段若无变化则无需重复论证(三(三))。"):
        if f.need("changed_since_special_plan") is False:
            clauses.append("三(三)")
            citations.append(_cite("三(三).专项规划"))
            extra.append("专项规划阶段已开展不可避让论证并取得认定意见,项目实施阶段无变化,"
                         "无需重复不可避让论证;用地、用海用岛审批仍按上述程序办理(三(三))。")
    notes, more_cites = _common_notes(f)
    extra += notes
    citations += more_cites
    domain = []
    if "三(一)第一款" in parts:
        domain.append("land")
    if any(p in parts for p in ("三(一)第二款", "三(二)")):
        island = f.get_quiet("island") is True
        if f.get_quiet("sea") is True or not island:
            domain.append("sea")
        if island:
            domain.append("island")
    return new_finding(
        DOCUMENT, "major_project_occupation", clauses=clauses, level="state", domain=domain,
        applicant=applicant, submit_to=submit_to, consult=consult, approver="国务院",
        issuer=issuer, materials=materials, extra=extra, citations=citations, routes=routes,
        derived=f.derived, presumed=f.presumed,
    )


# --------------------------------------------------------------------------
# Prohibitions
# --------------------------------------------------------------------------

def _prohibited(f: Facts, label: str) -> dict[str, Any]:
    notes, more_cites = _common_notes(f)
    domain = _domain(f)
    if label == "一.核心保护区":
        return new_finding(
            DOCUMENT, "prohibited_in_principle", clauses=["一"], domain=domain,
            extra=["生态保护红线内自然保护地核心保护区内,原则上禁止人为活动(一);"
                   "本文件未规定核心保护区内的例外程序。"] + notes,
            citations=[_cite("一.核心保护区")] + more_cites, derived=f.derived, presumed=f.presumed)
    if label == "四(二)":
        clauses = ["四(二)"] + (["一"] if f.get_quiet("core_zone") else [])
        cites = [_cite("四(二).能源设施")] + ([_cite("一.核心保护区")] if f.get_quiet("core_zone") else [])
        return new_finding(
            DOCUMENT, "prohibited", clauses=clauses, domain=domain,
            extra=["对零星分布的既有水电、风电、光伏、海洋能设施,严禁扩大现有规模和范围;"
                   "项目到期后由建设单位负责做好生态修复(四(二))。"] + notes,
            citations=cites + more_cites, derived=f.derived, presumed=f.presumed)
    if label == "附件.无居民海岛":
        return new_finding(
            DOCUMENT, "prohibited_in_principle", clauses=["附件"], domain=domain,
            extra=["涉及利用无居民海岛的,原则上仅允许对海岛自然岸线、表面积、岛体、植被改变轻微的"
                   "低影响利用方式(附件);本项目不是低影响利用,且不是国家重大项目。"] + notes,
            citations=[_cite("附件.无居民海岛"), _cite("三")] + more_cites,
            derived=f.derived, presumed=f.presumed)
    if label == "三.范围外":
        return new_finding(
            DOCUMENT, "prohibited", clauses=["三"], domain=domain,
            extra=["不属于允许的有限人为活动;国家重大项目占用生态保护红线必须符合«通知»中明确的项目范围,"
                   "本项目不在该范围内(三)。"] + notes,
            citations=[_cite("三")] + more_cites, derived=f.derived, presumed=f.presumed)
    if label == "一.开发性":
        return new_finding(
            DOCUMENT, "prohibited", clauses=["一"], domain=domain,
            extra=["生态保护红线内自然保护地核心保护区外,禁止开发性、生产性建设活动(一);"
                   "允许有限人为活动之外仅允许国家重大项目占用(三),本项目不是国家重大项目。"] + notes,
            citations=[_cite("一.核心保护区外"), _cite("三")] + more_cites,
            derived=f.derived, presumed=f.presumed)
    # 附件.其他
    act = f.get_quiet("activity")
    if act in ANNEX_CATEGORIES:
        if f.get_quiet("new_reclamation") or f.get_quiet("new_enclosure"):
            why, cite = "开展附件所列活动时禁止新增填海造地和新增围海(附件)。", _cite("附件.填海围海")
        else:
            why, cite = "不满足附件对该类活动规定的条件(附件)。", _cite(ANNEX_CATEGORIES[act])
    else:
        why, cite = "该活动不在附件所列九类有限人为活动之内(附件)。", _cite("一.核心保护区外")
    return new_finding(
        DOCUMENT, "prohibited", clauses=["附件"], domain=domain,
        extra=[why + "允许有限人为活动之外,仅允许国家重大项目占用生态保护红线,本项目不是国家重大项目(三)。"]
        + notes,
        citations=[cite, _cite("三")] + more_cites, derived=f.derived, presumed=f.presumed)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def _decide(f: Facts) -> dict[str, Any]:
    _derive(f)
    redline = f.need("redline")
    if redline is False:
        if f.get_quiet("core_zone") is True:
            return new_finding(
                DOCUMENT, "needs_information", candidates=["一"],
                questions=[{"key": "redline", "ask": "叠加结果显示项目位于自然保护地核心保护区内,"
                                                      "却不在生态保护红线内:请核实项目是否位于生态保护红线内。"}],
                citations=[_cite("一.核心保护区")], derived=f.derived, presumed=f.presumed)
        return new_finding(DOCUMENT, "not_applicable", citations=[_cite("一.核心保护区外")],
                           extra=["项目不在生态保护红线内。"], derived=f.derived)
    rule = select("准入", ADMISSION, f)
    if rule is None:  # pragma: no cover - the admission rules cover every combination
        raise Unknown(["activity"])
    log.debug("admission rule %s", rule.label)
    if rule.label == "二":
        return _route_limited(f)
    if rule.label == "三":
        return _route_major(f)
    return _prohibited(f, rule.label)


def assess(spatial: dict[str, Any], project: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """The finding of 沪府办发〔2025〕8号 for one project, or ``None`` if it does not apply.

    ``spatial`` and ``project`` are the validated query blocks
    (:func:`shgeo.rules.decision.validate_query`); a project outside the red line
    (``redline`` false or absent, no core-zone hit) gets no finding.
    """
    facts = Facts(spatial, project, as_of)
    touched = spatial.get("redline", False) is not False or spatial.get("core_zone") is True
    if not touched:
        return None
    if not DOCUMENT.in_force(as_of):
        return new_finding(
            DOCUMENT, "not_applicable", citations=[_cite("发文")],
            extra=[f"{as_of.isoformat()} 早于本文件印发日期 {DOCUMENT.issued.isoformat()}:"
                   f"本文件当日尚未施行。{DOCUMENT.validity_note}"])
    return resolve(DOCUMENT, _decide, facts)
