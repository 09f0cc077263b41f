"""沪环规〔2025〕1号 — groundwater pollution-prevention key zones (valid 2025-03-01 … 2030-02-28).

- 四(一) protection category (the level-1 drinking-water source protection
  zones of 三(一)): a project unrelated to water supply and source protection
  may not be newly built, rebuilt (改建) or expanded; one already built is to
  be removed or closed on the order of 市或区人民政府. Either way the project
  cannot proceed in the zone: the verdict is ``prohibited``, and the finding
  says which sentence governs (both, while ``works`` is not declared).
- 四(二) control category (the villages of 三(二)): six numbered
  requirements; each says whom it binds (a unit's role, whether the project
  may pollute, whether the unit has polluted) — items 5 and 6 bind
  departments only. The numbered items that bind the project are the
  verdict; facts that only change a sentence within an item (``may_pollute``,
  ``works``) are worded conditionally when unknown, never asked.

``works``: the text prohibits 新建、改建、扩建 (``new``/``rebuild``/``expand``).
It names 技术改造 (``upgrade``) separately from 改建 in 四(二)4, so an
upgrade is not 改建; an unrelated project that is upgraded, or one with no
works (``none``), is an existing project — the removal/closure sentence
governs it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from ._assessment import Context, assess_query, needs_information
from ._derivation import LAYOUT, Known
from ._diagram import Diagram
from ._facts import Facts, Rule, Unknown, all3, any3, not3, select
from ._finding import Verdict, load_document, new_finding
from ._vocabulary import PROTECTION_ZONES, UNIT_ROLES, WORKS, WORKS_ZH

__all__ = ["DOCUMENT", "REGULATION", "PROTECTION_ZONES", "UNIT_ROLES", "WORKS", "OBLIGATIONS",
           "assess", "assess_known", "decide", "diagram", "render"]

DOCUMENT = load_document("clauses_groundwater.toml")
REGULATION = DOCUMENT.doc

_PROHIBITED_WORKS = ("new", "rebuild", "expand")   # 新建、改建、扩建
_CHANGE_WORKS = ("rebuild", "expand", "upgrade")    # 四(二)4: 改建、扩建和技术改造


#: 四(二) items: whom each binds (as the text names them) and its passages.
OBLIGATIONS: dict[int, dict[str, Any]] = {
    1: {"binds": ["建设项目(环境准入)", "可能造成土壤和地下水污染的建设项目", "企业事业单位"],
        "passages": ["四(二)1.准入", "四(二)1.环评", "四(二)1.防渗", "四(二)1.鼓励"]},
    2: {"binds": ["地下水污染防治重点排污单位", "土壤污染重点监管单位", "加油站、储油库等的所有者、经营者",
                  "生态环境部门"],
        "passages": ["四(二)2.自行监测", "四(二)2.加油站", "四(二)2.自动监测", "四(二)2.部门监测"]},
    3: {"binds": ["土壤污染重点监管单位"], "passages": ["四(二)3"]},
    4: {"binds": ["污染责任人", "已造成土壤和地下水污染的企业", "土地使用权人或土壤污染责任人"],
        "passages": ["四(二)4.责任人", "四(二)4.改扩建", "四(二)4.土地使用权人"]},
    5: {"binds": ["水务部门"], "passages": ["四(二)5"]},
    6: {"binds": ["农业农村、绿化市容部门", "生态环境部门"], "passages": ["四(二)6.农业绿化", "四(二)6.灌溉"]},
}


def _cite(passage_id: str) -> dict[str, str]:
    return DOCUMENT.cite(passage_id)


# --------------------------------------------------------------------------
# 四(一) protection category
# --------------------------------------------------------------------------

def _unrelated(f: Facts):
    return not3(f.get("water_supply_related"))


def _works_in(f: Facts, allowed: tuple[str, ...]):
    works = f.get("works")
    return None if works is None else works in allowed


PROTECTION_RULES = (
    Rule("四(一).有关", lambda f: f.get("water_supply_related"),
         text="与供水设施和保护水源有关的建设项目:不在禁止之列"),
    Rule("四(一).禁止", lambda f: all3(_unrelated(f), _works_in(f, _PROHIBITED_WORKS)),
         text="禁止在保护类区域内新建、改建、扩建与供水设施和保护水源无关的建设项目"),
    Rule("四(一).拆除关闭", lambda f: all3(_unrelated(f), _works_in(f, ("upgrade", "none"))),
         text="已建成的与供水设施和保护水源无关的建设项目,由市或区人民政府责令限期拆除或关闭"),
)

_EXEMPT = Verdict("四(一).有关", "exempt", clauses=("四(一)",), zone="protection")
#: 禁止 (new works) and 拆除关闭 (an existing project) decide alike: the project cannot proceed.
_PROHIBITED = Verdict("四(一).禁止", "prohibited", clauses=("四(一)",), zone="protection")
_PROHIBITED_BOTH = Verdict("四(一).禁止+四(二)", "prohibited", clauses=("四(一)", "四(二)"), zone="protection")
_NOT_IN_ZONE = Verdict("重点区外", "not_applicable")


def _protection(f: Facts) -> Verdict:
    rule = select("四(一) 保护类区域", PROTECTION_RULES, f)
    assert rule is not None  # the three rules cover related / unrelated × every works value
    return _EXEMPT if rule.label == "四(一).有关" else _PROHIBITED


# --------------------------------------------------------------------------
# 四(二) control category
# --------------------------------------------------------------------------

def _binds(f: Facts, *keys: str) -> bool:
    """Any of the facts ``keys`` holds (decided as soon as one holds or all fail)."""
    value = any3(*(f.get(k) for k in keys))
    if value is None:
        raise Unknown(k for k in keys if f.get(k) is None)
    return value


def _items(f: Facts) -> tuple[int, ...]:
    """The numbered items of 四(二) that bind the project (1 always; 5 and 6 bind departments only)."""
    items = [1]
    if _binds(f, "unit_roles.key_groundwater_discharger", "unit_roles.soil_key_supervised",
              "unit_roles.fuel_station_or_depot"):
        items.append(2)
    if _binds(f, "unit_roles.soil_key_supervised"):
        items.append(3)
    if _binds(f, "unit_roles.polluter", "unit_roles.land_user", "has_polluted"):
        items.append(4)
    return tuple(items)


def decide(f: Facts) -> Verdict:
    """The verdict of 沪环规〔2025〕1号 for the decision variables in ``f`` (monotone)."""
    zones, villages = f.need("water_source_l1", "groundwater_village")
    if zones:
        first = _protection(f)
        if not villages:
            return first
        if first.outcome == "prohibited":
            return _PROHIBITED_BOTH
        return Verdict("四(一).有关+四(二)", "obligations", clauses=("四(一)", "四(二)"), zone="protection",
                       obligations=_items(f))
    if villages:
        return Verdict("四(二)", "obligations", clauses=("四(二)",), zone="control", obligations=_items(f))
    return _NOT_IN_ZONE


@lru_cache(maxsize=1)
def diagram() -> Diagram:
    """The rules compiled once (:mod:`._diagram`)."""
    return Diagram(LAYOUT, decide)


# --------------------------------------------------------------------------
# Wording a verdict
# --------------------------------------------------------------------------

def presumed_note(key: str, verdicts: tuple[Verdict, ...]) -> str | None:
    return None   # nothing is presumed under this plan


def _domain(known: Known) -> list[str]:
    return [k for k in ("land", "sea", "island") if known.values.get(k) is True]


def _where_protection(known: Known) -> str:
    zones = known.spatial.get("water_source_l1") or ()
    return f"项目位于{'、'.join(zones)}饮用水水源一级保护区(保护类区域,三(一))。"


def _protection_text(verdict: Verdict, known: Known) -> tuple[list[str], list[dict[str, str]]]:
    if verdict.outcome == "exempt":
        return ([_where_protection(known), "项目与供水设施和保护水源有关,不属四(一)禁止之列;仍须依据"
                 "«中华人民共和国水污染防治法»«上海市饮用水水源保护条例»等有关规定严格保护(四(一))。"],
                [_cite("四(一).禁止"), _cite("三(一)")])
    works = known.project.get("works")
    if works in _PROHIBITED_WORKS:
        return ([_where_protection(known),
                 f"禁止在保护类区域内{WORKS_ZH[works]}与供水设施和保护水源无关的建设项目(四(一))。"],
                [_cite("四(一).禁止"), _cite("三(一)")])
    if works is not None:
        what = ("项目为技术改造,不属新建、改建、扩建(本文件四(二)4将技术改造与改建分列);"
                if works == "upgrade" else "项目不新建、改建、扩建;")
        return ([_where_protection(known),
                 what + "作为已建成的与供水设施和保护水源无关的建设项目,由市或区人民政府责令限期拆除或关闭(四(一))。"],
                [_cite("四(一).拆除关闭"), _cite("三(一)")])
    return ([_where_protection(known),
             "项目与供水设施和保护水源无关,无论建设性质如何均不得在保护类区域内实施:"
             "新建、改建、扩建的,禁止(四(一));已建成的(含技术改造、不施工),由市或区人民政府责令限期拆除或关闭(四(一))。"],
            [_cite("四(一).禁止"), _cite("四(一).拆除关闭"), _cite("三(一)")])


def _control_text(known: Known) -> tuple[dict[int, list[str]], list[str]]:
    """The duties binding the project under each item of 四(二), and the passages they quote."""
    roles = set(known.project.get("unit_roles") or ())
    values = known.values
    may, has, works = values.get("may_pollute"), values.get("has_polluted"), known.project.get("works")
    binding: dict[int, list[str]] = {1: ["严格落实国家和地方有关环境准入的法律、法规、政策以及生态环境准入清单。"]}
    passages = ["四(二)1.准入"]
    if may is True:
        binding[1].append("项目可能造成土壤和地下水污染:应当依法进行环境影响评价,提出并落实相应的防渗漏等措施。")
        passages.append("四(二)1.环评")
    elif may is None:
        binding[1].append("若项目可能造成土壤和地下水污染:应当依法进行环境影响评价,提出并落实相应的防渗漏等措施"
                          "(是否可能造成污染未申报)。")
        passages.append("四(二)1.环评")
    if "enterprise" in roles:
        binding[1].append("企业事业单位应当对存在地下水污染风险的各产排污环节及有毒有害物质地下储罐等风险源区域"
                          "做好防渗措施;鼓励绿色化改造。")
        passages += ["四(二)1.防渗", "四(二)1.鼓励"]
    if roles & {"key_groundwater_discharger", "soil_key_supervised"}:
        binding.setdefault(2, []).append("按照排污许可和标准规范等规定,组织开展土壤和地下水监测,发现异常及时采取措施。")
        passages.append("四(二)2.自行监测")
    if "key_groundwater_discharger" in roles:
        binding.setdefault(2, []).append("依法安装水污染物排放自动监测设备,与生态环境部门联网,并保证正常运行。")
        passages.append("四(二)2.自动监测")
    if "fuel_station_or_depot" in roles:
        binding.setdefault(2, []).append("加油站、储油库等的所有者、经营者开展防渗漏监测、周边土壤和地下水监测。")
        passages.append("四(二)2.加油站")
    if "soil_key_supervised" in roles:
        binding[3] = ["开展土壤和地下水污染隐患排查;发现隐患及时防范、消除,发现污染迹象立即排查污染源并采取措施,"
                      "处置情况及时报区生态环境部门。"]
        passages.append("四(二)3")
    if "polluter" in roles or has is True:
        binding.setdefault(4, []).append("污染责任人应当采取有效的防控措施阻止污染进一步扩散。")
        passages.append("四(二)4.责任人")
    elif has is None and "land_user" in roles:
        binding.setdefault(4, []).append("若已造成土壤和地下水污染:污染责任人应当采取有效的防控措施阻止污染进一步扩散"
                                         "(是否已造成污染未申报)。")
        passages.append("四(二)4.责任人")
    if has is True and works in _CHANGE_WORKS:
        binding.setdefault(4, []).append("已造成土壤和地下水污染的企业实施改建、扩建和技术改造项目时,必须采取有效措施防控已有污染。")
        passages.append("四(二)4.改扩建")
    elif has is True and works is None:
        binding.setdefault(4, []).append("若实施改建、扩建或技术改造项目,必须采取有效措施防控已有污染(建设性质未申报)。")
        passages.append("四(二)4.改扩建")
    if "land_user" in roles or "polluter" in roles:
        binding.setdefault(4, []).append("土壤污染影响或者可能影响地下水的,土地使用权人或土壤污染责任人开展土壤污染状况调查、"
                                         "风险评估、风险管控或修复等活动时,应当包括地下水污染防治的内容。")
        passages.append("四(二)4.土地使用权人")
    return binding, passages


def _render_control(verdict: Verdict, ctx: Context, first: tuple[list[str], list[dict[str, str]]] | None
                    ) -> dict[str, Any]:
    known = ctx.known
    binding, passages = _control_text(known)
    details = [{"item": item, "binds": list(spec["binds"]), "binds_project": item in verdict.obligations,
                "duties": binding.get(item, []) if item in verdict.obligations else []}
               for item, spec in OBLIGATIONS.items()]
    villages = known.spatial.get("groundwater_village") or ()
    extra = [f"项目位于地下水污染防治管控类区域(村代码:{'、'.join(villages)};三(二))。"]
    for item in verdict.obligations:
        extra += [f"四(二){item}:{d}" for d in binding.get(item, [])]
    extra.append("四(二)5、6及2中的周边监测约束水务、农业农村、绿化市容、生态环境部门,不约束项目单位。")
    citations = [_cite("三(二)")] + [_cite(p) for p in passages]
    if first is not None:
        extra = first[0] + extra
        citations = first[1] + citations
    return new_finding(
        DOCUMENT, "obligations", as_of=ctx.as_of, clauses=list(verdict.clauses), zone=verdict.zone,
        obligations=list(verdict.obligations), domain=_domain(known), extra=extra, citations=citations,
        obligation_details=details, derived=ctx.derived)


def render(verdict: Verdict, ctx: Context) -> dict[str, Any]:
    """The finding for a verdict: its wording and citations."""
    known = ctx.known
    if verdict.outcome == "needs_information":  # pragma: no cover - no rule of this plan leaves routes open
        return needs_information(DOCUMENT, (verdict,), ctx)
    if verdict is _NOT_IN_ZONE:
        return new_finding(DOCUMENT, "not_applicable", as_of=ctx.as_of, citations=[_cite("四")],
                           extra=["项目不在地下水污染防治重点区内。"], derived=ctx.derived)
    if verdict.kind == "四(二)":
        return _render_control(verdict, ctx, None)
    first = _protection_text(_EXEMPT if verdict.kind == "四(一).有关+四(二)" else verdict, known)
    if verdict.kind == "四(一).有关+四(二)":
        return _render_control(verdict, ctx, first)
    extra, citations = first
    if verdict is _PROHIBITED_BOTH:
        villages = known.spatial.get("groundwater_village") or ()
        extra = extra + [f"项目同时位于管控类区域(村代码:{'、'.join(villages)}),四(二)的管控要求同样适用。"]
        citations = citations + [_cite("三(二)")]
    return new_finding(DOCUMENT, verdict.outcome, as_of=ctx.as_of, clauses=list(verdict.clauses),
                       zone=verdict.zone, domain=_domain(known), extra=extra, citations=citations,
                       derived=ctx.derived)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

def applies(known: Known) -> bool:
    """The project touches (or may touch: unknown) a protection zone or a control village."""
    spatial = known.spatial
    zones, villages = spatial.get("water_source_l1"), spatial.get("groundwater_village")
    return not (zones is not None and len(zones) == 0 and villages is not None and len(villages) == 0)


def assess_known(known: Known, as_of: date) -> dict[str, Any] | None:
    """The finding for the decision variables of a query (see :func:`assess`)."""
    if not applies(known):
        return None
    if not DOCUMENT.in_force(as_of):
        side = "尚未施行" if as_of < DOCUMENT.valid_from else "已过有效期"
        return new_finding(
            DOCUMENT, "not_applicable", as_of=as_of, citations=[_cite("施行")],
            extra=[f"{as_of.isoformat()} 不在本方案有效期(2025-03-01至2030-02-28)内:本方案{side},"
                   "当日不适用;所涉区域仍受«中华人民共和国水污染防治法»等法律法规保护。"])
    return assess_query(DOCUMENT, diagram(), known, as_of, render, presumed_note)


def assess(spatial: dict[str, Any], project: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """The finding of 沪环规〔2025〕1号 for one project, or ``None`` if no key zone is hit.

    ``spatial`` and ``project`` are the validated query blocks. Outside the
    plan's validity window a hit gives ``not_applicable`` with the reason
    (``validity.in_force`` false).
    """
    from ._derivation import known_facts

    return assess_known(known_facts(spatial, project), as_of)
