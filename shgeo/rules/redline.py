"""沪府办发〔2025〕8号 — limited human activities and national major projects in the red line.

Rules are read top-down as the text is, over the decision variables of
:data:`._derivation.DECISION_VARIABLES` (:func:`decide` is monotone: see :mod:`._facts`):

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
verdict is ``needs_information`` listing every route (``candidates``) and a
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
  construction is notify-only, and nothing is recognised or approved;
  三(三)'s special-plan sentence spares only the 不可避让论证, not the
  land/sea approval (outcome stays ``major_project_occupation``); 四(二) 严禁
  overrides every route; an uninhabited island used other than in a
  low-impact way puts an annex activity outside the 附件 in principle,
  whether or not it also reclaims (the reclamation ban is then stated too).
- presumed absent when unknown (:mod:`._derivation`), and listed in
  ``presumed`` with the conditional duty where the rules read them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from ._assessment import Context, assess_query, needs_information
from ._derivation import LAYOUT, Known, encode
from ._diagram import Diagram
from ._facts import Facts, Rule, Then, Tri, Unknown, all3, any3, not3, select
from ._finding import Template, Verdict, instantiate, load_document, new_finding
from ._vocabulary import ROUTE_TOKENS

__all__ = ["DOCUMENT", "REGULATION", "ANNEX_CATEGORIES", "assess", "assess_known", "decide",
           "diagram", "render"]

log = logging.getLogger(__name__)

DOCUMENT = load_document("clauses_redline.toml")
REGULATION = DOCUMENT.doc

#: 附件 categories, as the query names them ("1"–"9"), and the passage quoting each.
ANNEX_CATEGORIES = {str(n): f"附件.{zh}" for n, zh in enumerate("一二三四五六七八九", start=1)}

#: 二(一)–(四): the materials every recognition application lists.
MATERIALS = ("申请文件", "允许有限人为活动论证报告(附专家评审意见)", "法律法规规定的其他材料")

#: 一: the areas whose own laws also apply inside the red line (自然公园's kinds named as 自然公园).
_OTHER_LAW_AREAS = {"自然保护区": "自然保护区", "风景名胜区": "风景名胜区", "自然公园": "自然公园",
                    "森林公园": "自然公园", "地质公园": "自然公园", "湿地公园": "自然公园", "海洋公园": "自然公园",
                    "沙漠公园": "自然公园", "草原公园": "自然公园", "国家公园": "国家公园",
                    "水产种质资源保护区": "水产种质资源保护区"}


def _cite(passage_id: str) -> dict[str, str]:
    return DOCUMENT.cite(passage_id)


# --------------------------------------------------------------------------
# 1. Admission: which part of the text governs
# --------------------------------------------------------------------------

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


def _island_ok(f: Facts) -> Tri:
    """附件: no uninhabited island, or one used only in a low-impact way."""
    island = f.get("island")
    if island is False:
        return True
    return any3(not3(island), f.get("island_low_impact"))


def _limited(f: Facts) -> Tri:
    """附件: a listed category, its conditions met, no new reclamation or enclosure,
    an uninhabited island used only in a low-impact way (一: not damaging ecological function)."""
    return _then(_activity_is(f, "annex"), lambda: all3(
        f.get("annex_conditions_met"), not3(f.get("new_reclamation")), not3(f.get("new_enclosure")),
        _island_ok(f)))


def _national(f: Facts) -> Tri:
    return f.get("national_major")


def _core_zone(f: Facts) -> Tri:
    """一: inside a 自然保护地核心保护区 (in the red line)."""
    return f.get("core_zone")


def _expands_energy_facility(f: Facts) -> Tri:
    """四(二): expands an existing hydro / wind / PV / ocean-energy facility (presumed not unless declared)."""
    return f.get("expands_existing_energy_facility")


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
    """附件 closing sentence: a listed activity meeting its conditions, but an island use that is
    not low-impact (the reclamation ban, if also broken, is stated in the finding)."""
    return _then(_activity_is(f, "annex"), lambda: all3(
        f.get("annex_conditions_met"), not3(_island_ok(f)), not3(_national(f))))


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
    """One approval route as its clause writes it (``consult`` ends with 等 in every clause)."""

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
    # 二(五): 实施主体 notifies 区生态环境部门; nothing is applied for, recognised or approved.
    # ``level`` is the level of the body notified.
    "二(五)": Route("二(五)", "二(五)", "district", (), (), (), None, (), materials=(),
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
    return _then(_no_approval(f), lambda: _then(f.get("construction"), lambda: f.get("planning_permit")))


def _new_works(f: Facts) -> Tri:
    """二(三)第二款: 新建架空线, 开挖施工法地下工程, 地下工程安全出口、通风口等附属设施."""
    return any3(f.get("new_overhead_line"), f.get("open_cut_underground"),
                f.get("underground_exit_or_vent"))


def _open_er_san(f: Facts) -> Tri:
    """Both paragraphs of 二(三) describe the works, or neither does."""
    esr, new = f.get("existing_site_or_repair"), _new_works(f)
    return any3(all3(esr, new), all3(not3(esr), not3(new)))


def _confirmed_only(f: Facts, token: str, other: str) -> Tri:
    """The applicant confirmed ``token`` and not ``other`` (confirming both settles nothing)."""
    return all3(f.is_confirmed(token), not3(f.is_confirmed(other)))


def _ruled(f: Facts) -> Tri:
    """Exactly one paragraph of 二(三) confirmed."""
    return any3(_confirmed_only(f, "二(三)第一款", "二(三)第二款"), _confirmed_only(f, "二(三)第二款", "二(三)第一款"))


def _special_plan_unchanged(f: Facts) -> Tri:
    """二(六): recognised at the special-plan stage (市政府 agreed) and unchanged since."""
    return _then(f.get("special_plan_recognised"), lambda: not3(f.get("changed_since_special_plan")))


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
    return _then(_er_san(f), lambda: any3(all3(f.get("existing_site_or_repair"), not3(_new_works(f))),
                                          all3(_open_er_san(f), _confirmed_only(f, "二(三)第一款", "二(三)第二款"))))


def _er_san_2(f: Facts) -> Tri:
    """二(三)第二款: new overhead line, open-cut underground work, underground exit or vent."""
    return _then(_er_san(f), lambda: any3(all3(_new_works(f), not3(f.get("existing_site_or_repair"))),
                                          all3(_open_er_san(f), _confirmed_only(f, "二(三)第二款", "二(三)第一款"))))


def _er_san_both(f: Facts) -> Tri:
    """二(三): the works fit both paragraphs; the text says nothing of this case."""
    return _then(_er_san(f), lambda: all3(f.get("existing_site_or_repair"), _new_works(f), not3(_ruled(f))))


def _er_san_neither(f: Facts) -> Tri:
    """二(三): the works fit neither paragraph; the text says nothing of this case."""
    return _then(_er_san(f), lambda: all3(not3(f.get("existing_site_or_repair")), not3(_new_works(f)),
                                          not3(_ruled(f))))


def _er_si(f: Facts) -> Tri:
    """二(四): construction without a planning permit."""
    return _then(_no_approval(f), lambda: _then(f.get("construction"), lambda: not3(f.get("planning_permit"))))


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


def _open(kind: str, candidates: tuple[str, ...], key: str, ask: str) -> Verdict:
    """The text (or the facts) leave several routes open: list them and ask, never pick."""
    return Verdict(kind, "needs_information", candidates=candidates, asks=((key, ask),))


def _no_domain(clause: str) -> Verdict:
    return _open("红线.无陆海", (clause,), "land",
                 "查询显示项目位于生态保护红线内,却既不涉及陆域,也不涉及海域或无居民海岛:请核实项目是否涉及陆域。")


Step = Callable[[Facts, dict[str, Any]], "dict[str, Any] | Verdict"]


def _reads(*variables: str) -> Callable[[Step], Step]:
    """Declare the decision variables a step may read (checked when the rules are compiled)."""
    def mark(step: Step) -> Step:
        step.reads = variables   # type: ignore[attr-defined]
        return step
    return mark


def _frozen(state: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in state.items()))


def _pipeline(state: dict[str, Any], steps: tuple[Step, ...]) -> Then:
    """The rest of a route, one step at a time: each step reads its facts and returns the
    updated state, or a verdict that ends the route; the last state becomes the verdict."""
    def run(f: Facts) -> Verdict | Then:
        out = steps[0](f, state)
        if isinstance(out, Verdict):
            return out
        return _pipeline(out, steps[1:]) if len(steps) > 1 else _verdict(out)
    reads = tuple(dict.fromkeys(v for step in steps for v in step.reads))   # type: ignore[attr-defined]
    return Then(run, key=(steps, _frozen(state)), reads=reads)


def _verdict(state: dict[str, Any]) -> Verdict:
    return Verdict(**{k: tuple(dict.fromkeys(v)) if isinstance(v, list) else v for k, v in state.items()})


def _add(state: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A copy of ``state`` with lists extended by ``more``'s lists and other values replaced."""
    out = dict(state)
    for key, value in more.items():
        out[key] = state[key] + value if isinstance(value, list) else value
    return out


@_reads("land", "sea", "island")
def _step_domain(f: Facts, state: dict[str, Any]) -> dict[str, Any] | Verdict:
    """A route needs the red line touched on land, sea or an uninhabited island: implied by the
    approval the route takes (``land_use``, ``sea_use``), else read from the spatial facts; touched
    on none of them, the facts contradict each other. (Which of them the finding names is wording:
    :func:`_routed_domain`.)"""
    done = {k: v for k, v in state.items() if k not in ("land_use", "sea_use")}
    if state.get("land_use") or state.get("sea_use"):
        return done
    touched = any3(f.get("land"), f.get("sea"), f.get("island"))
    if touched is None:
        raise Unknown(k for k in ("land", "sea", "island") if f.get(k) is None)
    return done if touched else _no_domain(state["clauses"][0])


@_reads("state_council_sea", "sea_island_use")
def _step_state_council(f: Facts, state: dict[str, Any]) -> dict[str, Any] | Verdict:
    """二(六): a State-Council sea project follows 二(一)(二) (it must need a sea/island-use approval)."""
    if not f.need("state_council_sea"):
        return state
    if f.need("sea_island_use") is False:
        return _open("二.国务院用海用岛", ("二(一)", "二(二)"), "sea_island_use",
                     "项目被申报为报国务院审批的用海用岛项目,但又申报不需要用海用岛审批:请核实是否需要用海用岛审批。")
    if state["outcome"] == "already_recognised":
        return state
    return _add(state, clauses=["二(六)"], duties=["二(六).国务院用海用岛"])


@_reads("cross_district", *(f"confirmed:{token}" for token in ROUTE_TOKENS))
def _step_cross_district(f: Facts, state: dict[str, Any]) -> dict[str, Any] | Verdict:
    """二(六) 跨区: 原则上由市级行业主管部门提出申请 — where the route lets the applicant be chosen;
    where the route names 实施主体 the text sets no precedence: asked (``confirmed_route``)."""
    route = ROUTES[state["kind"]]
    if route.outcome == "notify_only" or not f.need("cross_district"):
        return state
    by_city = route.by_applicant_choice or (f.need("confirmed:二(六)") and not f.need(f"confirmed:{route.clause}"))
    if by_city:
        return _add(state, applicant=("市级行业主管部门",), clauses=["二(六)"], duties=["二(六).跨区"])
    if f.need(f"confirmed:{route.clause}") and not f.need("confirmed:二(六)"):
        return state
    return _open(f"{route.clause}.跨区", (route.clause, "二(六)"), "confirmed_route",
                 f"该有限人为活动跨区:{route.clause}规定由实施主体向生态保护红线所在地的"
                 f"{route.submit_to[0]}申请,二(六)规定跨区的原则上由市级行业主管部门提出申请,"
                 f"条文未规定二者的先后:请向主管部门确认适用{route.clause}还是二(六)。")


def _protected_step(clause: str, body: str) -> Step:
    """二(六) / 三(三): 涉及自然保护地的,须征求市绿化市容部门(三(三): 市绿化市容局)意见."""
    @_reads("protected_area")
    def step(f: Facts, state: dict[str, Any]) -> dict[str, Any]:
        if not f.need("protected_area") or state["outcome"] == "already_recognised":
            return state
        return _add(state, consult=state["consult"] + (body,), clauses=[clause],
                    duties=[f"{clause}.自然保护地"])
    return step


def _temporary_step(clause: str) -> Step:
    """二(六) / 三(三): 涉及临时用地的,参照临时占用永久基本农田规定办理,严格落实恢复责任."""
    @_reads("temporary_land")
    def step(f: Facts, state: dict[str, Any]) -> dict[str, Any]:
        if not f.need("temporary_land") or state["outcome"] == "already_recognised":
            return state
        return _add(state, clauses=[clause], duties=[f"{clause}.临时用地"])
    return step


_ROUTE_STEPS = (_step_state_council, _step_cross_district, _protected_step("二(六)", "市绿化市容部门"),
                _temporary_step("二(六)"), _step_domain)

#: Every variable section 二 reads once an activity is admitted (its route rules and their steps).
_ROUTE_READS = tuple(dict.fromkeys(
    ("special_plan_recognised", "changed_since_special_plan", "new_construction_land", "sea_island_use",
     "construction", "planning_permit", "existing_site_or_repair", "new_overhead_line", "open_cut_underground",
     "underground_exit_or_vent") + tuple(v for step in _ROUTE_STEPS for v in step.reads)))  # type: ignore[attr-defined]


def _route_limited(f: Facts) -> Verdict | Then:
    """Section 二 for an allowed limited activity (附件)."""
    rule = select("二 有限人为活动管理", ROUTE_RULES, f)
    if rule is None:  # every combination is covered above; reaching here is a bug
        raise RuntimeError("二: no route rule applies")
    if rule.label == "二(六).专项规划":
        return _pipeline(dict(kind="二(六).专项规划", outcome="already_recognised", clauses=["二(六)"],
                              level="municipal", approver="市政府", consult=()),
                         (_step_state_council, _step_domain))
    if rule.label in ("二(三).两款均涉及", "二(三).两款均未涉及"):
        # both, or neither: either way the text leaves the paragraph open and the answer is the
        # confirmation (the finding says which case it is, :data:`_ER_SAN_OPEN_ASK`)
        return _open("二(三).两款", ("二(三)第一款", "二(三)第二款"), "confirmed_route",
                     "项目的建设工程与二(三)两款的情形不能一一对应,条文未规定此时适用哪一款:"
                     "请向区规划资源部门、市规划资源局确认适用二(三)第一款(区级)还是第二款(市级)。")
    route = ROUTES[rule.label]
    state = dict(kind=rule.label, outcome=route.outcome, clauses=[route.clause], level=route.level,
                 applicant=route.applicant, submit_to=route.submit_to, consult=route.consult,
                 approver=route.approver, issuer=route.issuer, materials=route.materials,
                 notify_to=route.notify_to, duties=[], open_lists=("consult",) if route.consult else (),
                 land_use=rule.label in ("二(一).用地", "二(二)"),
                 sea_use=rule.label in ("二(一).用海用岛", "二(二)"))
    return _pipeline(state, _ROUTE_STEPS)


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


@_reads("major_land", "major_sea", "new_reclamation", "new_island_use",
        *(f"confirmed:{token}" for token in ROUTE_TOKENS))
def _step_major_parts(f: Facts, state: dict[str, Any]) -> dict[str, Any] | Verdict:
    """Which 三 procedures the project takes (land part, sea part), or the confirmed ones."""
    land_part, sea_part = f.need("major_land", "major_sea")
    parts = []
    if land_part:
        parts.append("三(一)第一款")
    if sea_part:
        reclaim = any3(f.get("new_reclamation"), f.get("new_island_use"))
        if reclaim is None:
            raise Unknown([k for k in ("new_reclamation", "new_island_use") if f.get(k) is None])
        parts.append("三(二)" if reclaim else "三(一)第二款")
    if not parts:
        parts = [c for c in ("三(一)第一款", "三(一)第二款", "三(二)") if f.need(f"confirmed:{c}")]
        if not parts:
            return _open("三.无审批", ("三(一)第一款", "三(一)第二款"), "confirmed_route",
                         "国家重大项目占用生态保护红线,但申报既不需要用地审批也不需要用海用岛审批,"
                         "第三条未规定此时的程序:请向市规划资源局、市海洋局确认适用条款。")
    applicant, submit_to, consult, issuer, materials = [], [], [], [], []
    for p in parts:
        spec = MAJOR_ROUTES[p]
        applicant += spec["applicant"]
        submit_to += spec["submit_to"]
        consult += spec["consult"]
        issuer += spec["issuer"]
        materials += spec["materials"]
    return _add(state, clauses=parts, applicant=tuple(dict.fromkeys(applicant)),
                submit_to=tuple(dict.fromkeys(submit_to)), consult=tuple(dict.fromkeys(consult)),
                issuer=tuple(dict.fromkeys(issuer)), materials=tuple(dict.fromkeys(materials)))


@_reads("special_plan_recognised", "changed_since_special_plan")
def _step_major_special_plan(f: Facts, state: dict[str, Any]) -> dict[str, Any]:
    """三(三): recognised at the special-plan stage and unchanged → no repeated 不可避让论证."""
    if f.need("special_plan_recognised") and f.need("changed_since_special_plan") is False:
        return _add(state, clauses=["三(三)"], duties=["三(三).专项规划"])
    return state


_MAJOR_STEPS = (_step_major_parts, _protected_step("三(三)", "市绿化市容局"), _temporary_step("三(三)"),
                _step_major_special_plan)


def _route_major(f: Facts) -> Then:
    return _pipeline(dict(kind="三", outcome="major_project_occupation", clauses=[], level="state",
                          approver="国务院", duties=["三(三).环评"], open_lists=("consult",)), _MAJOR_STEPS)


# --------------------------------------------------------------------------
# Prohibitions and the entry point of the rules
# --------------------------------------------------------------------------

_NOT_IN_REDLINE = Verdict("红线外", "not_applicable")


def _prohibited(f: Facts, label: str) -> Verdict:
    if label == "一.核心保护区":
        return Verdict(label, "prohibited_in_principle", clauses=("一",))
    if label == "四(二)":
        return Verdict(label, "prohibited", clauses=("四(二)", "一") if f.need("core_zone") else ("四(二)",))
    if label == "附件.无居民海岛":
        return Verdict(label, "prohibited_in_principle", clauses=("附件",))
    if label == "三.范围外":
        return Verdict(label, "prohibited", clauses=("三",))
    if label == "一.开发性":
        return Verdict(label, "prohibited", clauses=("一",))
    return Verdict("附件.其他", "prohibited", clauses=("附件",))


def decide(f: Facts) -> Verdict | Then:
    """The verdict of 沪府办发〔2025〕8号 for the decision variables in ``f`` (monotone)."""
    if not f.need("redline"):
        if f.need("core_zone"):
            return _open("红线.核心保护区", ("一",), "redline",
                         "叠加结果显示项目位于自然保护地核心保护区内,却不在生态保护红线内:请核实项目是否位于生态保护红线内。")
        return _NOT_IN_REDLINE
    rule = select("准入", ADMISSION, f)
    if rule is None:  # pragma: no cover - the admission rules cover every combination
        raise RuntimeError("准入: no admission rule applies")
    if rule.label == "二":
        return Then(_route_limited, key="二", reads=_ROUTE_READS)
    if rule.label == "三":
        return Then(_route_major)
    return Then(lambda g: _prohibited(g, rule.label))


@lru_cache(maxsize=1)
def diagram() -> Diagram:
    """The rules compiled once (:mod:`._diagram`)."""
    return Diagram(LAYOUT, decide)


# --------------------------------------------------------------------------
# Wording a verdict
# --------------------------------------------------------------------------

#: The duty each passage adds, as the finding says it.
DUTY_TEXT = {
    "二(六).自然保护地": "涉及自然保护地,须征求市绿化市容部门意见(二(六))。",
    "二(六).临时用地": "涉及临时用地:按照规范临时用地管理的有关要求,参照临时占用永久基本农田规定办理,"
                   "严格落实恢复责任(二(六))。",
    "二(六).跨区": "跨区的有限人为活动,原则上由市级行业主管部门提出申请(二(六))。",
    "二(六).国务院用海用岛": "报国务院审批的用海用岛项目,有限人为活动认定程序参照第二条第(一)(二)款执行;"
                       "用海用岛本身报国务院审批(二(六))。",
    "三(三).环评": "应严格落实生态环境分区管控要求,依法开展环境影响评价(三(三))。",
    "三(三).自然保护地": "涉及自然保护地,须征求市绿化市容局意见(三(三))。",
    "三(三).临时用地": "涉及临时用地:按照规范临时用地管理的有关要求,参照临时占用永久基本农田规定办理,"
                   "严格落实恢复责任(三(三))。",
    "三(三).专项规划": "专项规划阶段已开展不可避让论证并取得认定意见,项目实施阶段无变化,无需重复不可避让论证;"
                   "用地、用海用岛审批仍按上述程序办理(三(三))。",
}

_PRESUMED_NOTE = {
    "temporary_land": ("若涉及临时用地,按照规范临时用地管理的有关要求,参照临时占用永久基本农田规定办理,"
                       "严格落实恢复责任({clause})。"),
    "special_plan_recognised": {
        "二(六)": "若在专项规划阶段已开展论证并报市政府同意后取得认定意见,项目实施阶段若无变化则无需重复论证(二(六))。",
        "三(三)": "若在专项规划阶段已开展不可避让论证并报市政府同意后取得认定意见,项目实施阶段若无变化则无需重复论证(三(三))。",
    },
    "expands_existing_energy_facility": "若项目扩大既有水电、风电、光伏、海洋能设施的规模和范围,则严禁(四(二))。",
    "state_council_sea": "若属于报国务院审批的用海用岛项目,有限人为活动认定程序参照第二条第(一)(二)款执行(二(六))。",
    "cross_district": "查询未给出所涉区:若该有限人为活动跨区,原则上由市级行业主管部门提出申请(二(六))。",
}


def _clauses_of_duties(verdicts: tuple[Verdict, ...]) -> list[str]:
    """二(六) for the reachable 二 routes, 三(三) for the national major projects (the clauses whose
    extra duties a presumed fact would add)."""
    out = []
    if any(v.kind in ROUTES or v.kind == "二(六).专项规划" for v in verdicts):
        out.append("二(六)")
    if any(v.kind == "三" for v in verdicts):
        out.append("三(三)")
    return out


def presumed_note(key: str, verdicts: tuple[Verdict, ...]) -> str | None:
    """The conditional duty of a fact presumed absent, as the reachable verdicts make it read;
    ``None`` when it cannot concern them (a notify-only activity is never recognised, so a
    special-plan recognition cannot concern it)."""
    clauses = _clauses_of_duties(verdicts) or ["二(六)"]
    if key == "special_plan_recognised":
        if all(v.outcome == "notify_only" for v in verdicts):
            return None
        return "".join(_PRESUMED_NOTE[key][c] for c in clauses)
    if key == "temporary_land":
        return _PRESUMED_NOTE[key].format(clause="、".join(clauses))
    return _PRESUMED_NOTE[key]


def _common_notes(known: Known) -> tuple[list[str], list[dict[str, str]]]:
    """一's other-laws sentence, when the project hits one of the areas it names."""
    hits = list(dict.fromkeys(_OTHER_LAW_AREAS[p] for p in known.spatial.get("protected_area") or ()
                              if p in _OTHER_LAW_AREAS))
    if known.spatial.get("water_source_l1"):
        hits.append("饮用水水源保护区")
    if not hits:
        return [], []
    return ([f"生态保护红线内{'、'.join(hits)}等区域,应当同时符合有关法律法规规定(一)。"],
            [_cite("一.其他法律法规")])


def _routed_domain(verdict: Verdict, known: Known) -> list[str]:
    """Land / sea / island of a routed finding: the approvals its route takes and the spatial facts
    (三: the land procedure is the land part; the sea procedure covers the sea and the islands)."""
    values = known.values
    island = values.get("island") is True
    if verdict.kind == "三":
        sea_part = any(p in verdict.clauses for p in ("三(一)第二款", "三(二)"))
        return [d for d, on in (("land", "三(一)第一款" in verdict.clauses),
                                ("sea", sea_part and (values.get("sea") is True or not island)),
                                ("island", sea_part and island)) if on]
    land_use = verdict.kind in ("二(一).用地", "二(二)")
    sea_use = verdict.kind in ("二(一).用海用岛", "二(二)")
    return [d for d, on in (("land", land_use or values.get("land") is True),
                            ("sea", values.get("sea") is True or (sea_use and not island)),
                            ("island", island)) if on]


def _spatial_domain(known: Known) -> list[str]:
    return [k for k in ("land", "sea", "island") if known.values.get(k) is True]


def _annex_cite(known: Known) -> list[dict[str, str]]:
    activity = known.project.get("activity")
    return [_cite(ANNEX_CATEGORIES[activity])] if activity in ANNEX_CATEGORIES else []


def _cross_text(verdict: Verdict, known: Known) -> list[str]:
    """What the finding says of 二(六) 跨区 beyond its duty."""
    cross = known.values.get("cross_district")
    route = ROUTES.get(verdict.kind)
    if route is None or not cross:
        return []
    if route.outcome == "notify_only":
        return ["活动跨区:向各所在区的区生态环境部门告知(二(五))。"]
    if not route.by_applicant_choice:
        if "二(六)" in known.confirmed:
            return [f"经确认按二(六):跨区的有限人为活动由市级行业主管部门提出申请;{route.clause}未规定跨区时"
                    f"向哪一区的{route.submit_to[0]}申请,请与各区协调。"]
        return [f"经确认按{route.clause}由实施主体申请;活动跨区,向各所在区的{route.submit_to[0]}申请。"]
    return []


def render(verdict: Verdict, ctx: Context) -> dict[str, Any]:
    """The finding for a verdict: its wording, citations, and the derived and presumed facts."""
    known = ctx.known
    if verdict.kind == "二(三).两款":
        verdict = _er_san_open_asked(verdict, known)
    if verdict.outcome == "needs_information":
        alternatives = None
        if any(key == "confirmed_route" for key, _ in verdict.asks):
            alternatives = {c: diagram().reach(known.values, encode(known.values, known.confirmed | {c})).verdicts
                            for c in verdict.candidates}
        return needs_information(
            DOCUMENT, (verdict,), ctx, citations=[_cite_clause(c) for c in verdict.candidates],
            extra=["条文对本项目的事实留有不止一种办理路径,未作选择。"] if alternatives else [],
            presumed_note=presumed_note, alternatives=alternatives)
    extra, cites = _wording(verdict, known)
    derived = ctx.derived
    greening = next((d for d in verdict.duties if d in _GREENING), None)
    if greening is not None:
        body = _GREENING[greening]
        protected = "、".join(known.spatial.get("protected_area") or ())
        derived = derived + [{"key": f"consult_{body[0]}", "value": True, "from": f"spatial.protected_area ({protected})",
                              "basis": f"项目涉及自然保护地({protected}),须征求{body[0]}意见({body[1]})"}]
    routed = verdict.kind in ROUTES or verdict.kind in ("二(六).专项规划", "三")
    return instantiate(_template(verdict), as_of=ctx.as_of, document=DOCUMENT, extra=extra, citations=cites,
                       domain=_routed_domain(verdict, known) if routed else _spatial_domain(known), derived=derived,
                       presumed=ctx.presumed_entries(presumed_note, (verdict,)))


#: The 自然保护地 duty of 二(六) / 三(三): the body consulted and the clause (a derived consultation).
_GREENING = {"二(六).自然保护地": ("市绿化市容部门", "二(六)"), "三(三).自然保护地": ("市绿化市容局", "三(三)")}

#: 二(三) left open, as the facts say: both paragraphs describe the works, or neither does.
_ER_SAN_OPEN_ASK = {
    True: "项目既涉及现状既有用地范围内建设或既有设施修缮更新(二(三)第一款,区级),"
          "又涉及新建架空线、开挖施工的地下工程或其安全出口、通风口(二(三)第二款,市级),"
          "条文未规定此时适用哪一款:请向区规划资源部门、市规划资源局确认适用哪一款(或分拆申报)。",
    False: "项目需办理建设工程规划许可,但既不在现状既有用地范围内、不属既有设施修缮更新,"
           "也不是新建架空线、开挖施工的地下工程或其出口、通风口:二(三)两款均未涵盖。"
           "请向规划资源部门确认适用哪一款。",
}


def _er_san_open_asked(verdict: Verdict, known: Known) -> Verdict:
    both = known.values.get("existing_site_or_repair")
    if both is None:
        return verdict
    return Verdict(verdict.kind, verdict.outcome, candidates=verdict.candidates,
                   asks=(("confirmed_route", _ER_SAN_OPEN_ASK[both]),))


def _cite_clause(token: str) -> dict[str, str]:
    return _cite("二(六).跨区") if token == "二(六)" else DOCUMENT.cite_clause(token)


_ROUTE_TEXT = {
    "二(五)": "实施主体应当及时告知区生态环境部门;各区政府及自然保护地管理机构按照相关规定"
             "严格监督管理,无需开展有限人为活动认定(二(五))。",
    "二(三)第二款": "在办理建设工程规划许可手续时开展认定(二(三)第二款)。",
    "二(一)": "确定用地、用海用岛范围后,在报批农用地转用、土地征收、海域使用权、"
             "无居民海岛开发利用时开展认定;先由申请主体组织开展论证、提出初步意见。",
}
_ROUTE_TEXT["二(二)"] = _ROUTE_TEXT["二(一)"]

_PROHIBITION_TEXT = {
    "一.核心保护区": (["生态保护红线内自然保护地核心保护区内,原则上禁止人为活动(一);本文件未规定核心保护区内的例外程序。"],
                 ["一.核心保护区"]),
    "四(二)": (["对零星分布的既有水电、风电、光伏、海洋能设施,严禁扩大现有规模和范围;"
              "项目到期后由建设单位负责做好生态修复(四(二))。"], ["四(二).能源设施"]),
    "附件.无居民海岛": (["涉及利用无居民海岛的,原则上仅允许对海岛自然岸线、表面积、岛体、植被改变轻微的"
                   "低影响利用方式(附件);本项目不是低影响利用,且不是国家重大项目。"], ["附件.无居民海岛", "三"]),
    "三.范围外": (["不属于允许的有限人为活动;国家重大项目占用生态保护红线必须符合«通知»中明确的项目范围,"
               "本项目不在该范围内(三)。"], ["三"]),
    "一.开发性": (["生态保护红线内自然保护地核心保护区外,禁止开发性、生产性建设活动(一);"
               "允许有限人为活动之外仅允许国家重大项目占用(三),本项目不是国家重大项目。"], ["一.核心保护区外", "三"]),
    "附件.其他": ([], []),   # the grounds depend on the facts (:func:`_wording`)
    "红线外": (["项目不在生态保护红线内。"], ["一.核心保护区外"]),
}


@lru_cache(maxsize=None)
def _template(verdict: Verdict) -> Template:
    """The finding of a decided verdict without what the query adds (:func:`_wording`, domain,
    derived and presumed facts): made once per verdict."""
    kind = verdict.kind
    extra: list[str] = []
    cites: list[str] = []
    routes: list[dict[str, Any]] = []
    if kind in ROUTES:
        route = ROUTES[kind]
        cites.append(route.passage)
        for duty in verdict.duties:
            cites.append(duty)
            if not (duty == "二(六).跨区" and not route.by_applicant_choice):   # worded by the query
                extra.append(DUTY_TEXT[duty])
        if route.clause in _ROUTE_TEXT:
            extra.append(_ROUTE_TEXT[route.clause])
    elif kind == "二(六).专项规划":
        extra.append("专项规划阶段已开展允许有限人为活动论证并报市政府同意后取得认定意见,"
                     "项目实施阶段无变化,无需重复论证(二(六))。")
        cites += ["二(六).专项规划"] + list(verdict.duties)
        extra += [DUTY_TEXT[d] for d in verdict.duties]
    elif kind == "三":
        parts = [c for c in verdict.clauses if c in MAJOR_ROUTES]
        for p in parts:
            spec = MAJOR_ROUTES[p]
            routes.append({"clause": p, **spec, "approver": "国务院"})
            extra += [f"{stage}({p})。" for stage in spec["stages"]]
        cites += ["三"] + parts + list(verdict.duties)
        extra += [DUTY_TEXT[d] for d in verdict.duties]
    else:
        texts, ids = _PROHIBITION_TEXT[kind]
        extra += texts
        cites += ids
        if kind == "四(二)" and "一" in verdict.clauses:
            cites.append("一.核心保护区")
    return Template(new_finding(
        DOCUMENT, verdict.outcome, as_of=DOCUMENT.valid_from, clauses=list(verdict.clauses), level=verdict.level,
        applicant=list(verdict.applicant), submit_to=list(verdict.submit_to), consult=list(verdict.consult),
        approver=verdict.approver, issuer=list(verdict.issuer), materials=list(verdict.materials),
        notify_to=list(verdict.notify_to), extra=extra, citations=[_cite(c) for c in cites], routes=routes,
        open_lists=list(verdict.open_lists)))


def _wording(verdict: Verdict, known: Known) -> tuple[list[str], list[dict[str, str]]]:
    """What the query adds to a decided verdict's finding: the texts and citations that name its
    districts, categories and zones, or depend on facts the verdict does not (why 附件 is not met)."""
    extra: list[str] = []
    cites: list[dict[str, str]] = []
    kind = verdict.kind
    if kind in ROUTES:
        extra += _cross_text(verdict, known)
        cites += _annex_cite(known)
    elif kind == "二(六).专项规划":
        cites += _annex_cite(known)
    elif kind == "附件.无居民海岛":
        values = known.values
        if values.get("new_reclamation") is not False or values.get("new_enclosure") is not False:
            extra.append("此外,开展附件所列活动时禁止新增填海造地和新增围海(附件)"
                         + ("。" if values.get("new_reclamation") or values.get("new_enclosure")
                            else ":如新增填海造地或围海,同样禁止。"))
            cites.append(_cite("附件.填海围海"))
    elif kind == "附件.其他":
        extra, cites = _annex_grounds(known)
    if kind != "红线外":
        notes, more = _common_notes(known)
        extra += notes
        cites += more
    return extra, cites


def _annex_grounds(known: Known) -> tuple[list[str], list[dict[str, str]]]:
    """附件.其他: every ground the facts establish for not being an allowed limited activity."""
    values = known.values
    why, cites = [], []
    act = known.project.get("activity")
    if act in ANNEX_CATEGORIES:
        if values.get("new_reclamation") or values.get("new_enclosure"):
            why.append("开展附件所列活动时禁止新增填海造地和新增围海(附件)。")
            cites.append(_cite("附件.填海围海"))
        if values.get("annex_conditions_met") is False:
            why.append("不满足附件对该类活动规定的条件(附件)。")
            cites.append(_cite(ANNEX_CATEGORIES[act]))
    else:
        why.append("该活动不在附件所列九类有限人为活动之内(附件)。")
        cites.append(_cite("一.核心保护区外"))
    if not why:
        why.append("不属于附件所列允许的有限人为活动(附件)。")
        cites.append(_cite("一.核心保护区外"))
    return (["".join(why) + "允许有限人为活动之外,仅允许国家重大项目占用生态保护红线,本项目不是国家重大项目(三)。"],
            cites + [_cite("三")])


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def applies(known: Known) -> bool:
    """The project touches the red line (or may: ``redline`` unknown), or a core zone."""
    return known.spatial.get("redline") is not False or known.spatial.get("core_zone") is True


def assess_known(known: Known, as_of: date) -> dict[str, Any] | None:
    """The finding for the decision variables of a query (see :func:`assess`)."""
    if not applies(known):
        return None
    if not DOCUMENT.in_force(as_of):
        return new_finding(
            DOCUMENT, "not_applicable", as_of=as_of, citations=[_cite("发文")],
            extra=[f"{as_of.isoformat()} 早于本文件印发日期 {DOCUMENT.issued.isoformat()}:"
                   f"本文件当日尚未施行。{DOCUMENT.validity_note}所涉生态保护红线仍受其他法律法规保护。"])
    return assess_query(DOCUMENT, diagram(), known, as_of, render, presumed_note)


def assess(spatial: dict[str, Any], project: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """The finding of 沪府办发〔2025〕8号 for one project, or ``None`` if it does not apply.

    ``spatial`` and ``project`` are the validated query blocks
    (:func:`shgeo.rules.decision.validate_query`); a project outside the red line
    (``redline`` false or absent, no core-zone hit) gets no finding.
    """
    from ._derivation import known_facts

    return assess_known(known_facts(spatial, project), as_of)
