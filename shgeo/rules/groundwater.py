"""沪环规〔2025〕1号 — groundwater pollution-prevention key zones (valid 2025-03-01 … 2030-02-28).

- 四(一) protection category (the level-1 drinking-water source protection
  zones of 三(一)): a project unrelated to water supply and source protection
  may not be newly built, rebuilt (改建) or expanded; one already built is to
  be removed or closed on the order of 市或区人民政府.
- 四(二) control category (the villages of 三(二)): six numbered
  requirements; each says whom it binds (a unit's role, whether the project
  may pollute, whether the unit has polluted) — items 5 and 6 bind
  departments only.

``works``: the text prohibits 新建、改建、扩建 (``new``/``rebuild``/``expand``).
It names 技术改造 (``upgrade``) separately from 改建 in 四(二)4, so an
upgrade is not 改建; an unrelated project that is upgraded, or one with no
works (``none``), is an existing project — the removal/closure sentence
governs it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ._facts import Facts, Rule, Unknown, all3, not3, resolve, select
from ._finding import load_document, new_finding

__all__ = ["DOCUMENT", "REGULATION", "PROTECTION_ZONES", "UNIT_ROLES", "WORKS", "OBLIGATIONS",
           "assess"]

DOCUMENT = load_document("clauses_groundwater.toml")
REGULATION = DOCUMENT.doc

#: 三(一): the protection-category zones, by the names the query uses.
PROTECTION_ZONES = ("东风西沙", "陈行", "青草沙", "黄浦江上游")

UNIT_ROLES = ("enterprise", "key_groundwater_discharger", "soil_key_supervised",
              "fuel_station_or_depot", "polluter", "land_user")
WORKS = ("new", "rebuild", "expand", "upgrade", "none")

_PROHIBITED_WORKS = ("new", "rebuild", "expand")   # 新建、改建、扩建
_CHANGE_WORKS = ("rebuild", "expand", "upgrade")    # 四(二)4: 改建、扩建和技术改造

_ROLE_ZH = {
    "enterprise": "企业事业单位",
    "key_groundwater_discharger": "地下水污染防治重点排污单位",
    "soil_key_supervised": "土壤污染重点监管单位",
    "fuel_station_or_depot": "加油站、储油库等的所有者、经营者",
    "polluter": "污染责任人",
    "land_user": "土地使用权人",
}

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


def _protection(f: Facts, zones: list[str]) -> dict[str, Any]:
    rule = select("四(一) 保护类区域", PROTECTION_RULES, f)
    assert rule is not None  # the three rules cover related / unrelated × every works value
    where = f"项目位于{'、'.join(zones)}饮用水水源一级保护区(保护类区域,三(一))。"
    base = dict(clauses=["四(一)"], zone="protection", domain=_domain(f), derived=f.derived,
                presumed=f.presumed)
    if rule.label == "四(一).有关":
        return new_finding(
            DOCUMENT, "exempt",
            extra=[where, "项目与供水设施和保护水源有关,不属四(一)禁止之列;仍须依据"
                          "«中华人民共和国水污染防治法»«上海市饮用水水源保护条例»等有关规定严格保护(四(一))。"],
            citations=[_cite("四(一).禁止"), _cite("三(一)")], **base)
    if rule.label == "四(一).禁止":
        works_zh = {"new": "新建", "rebuild": "改建", "expand": "扩建"}[f.get_quiet("works")]
        return new_finding(
            DOCUMENT, "prohibited",
            extra=[where, f"禁止在保护类区域内{works_zh}与供水设施和保护水源无关的建设项目(四(一))。"],
            citations=[_cite("四(一).禁止"), _cite("三(一)")], **base)
    what = ("项目为技术改造,不属新建、改建、扩建(本文件四(二)4将技术改造与改建分列);"
            if f.get_quiet("works") == "upgrade" else "项目不新建、改建、扩建;")
    return new_finding(
        DOCUMENT, "prohibited",
        extra=[where, what + "作为已建成的与供水设施和保护水源无关的建设项目,由市或区人民政府责令限期拆除或关闭(四(一))。"],
        citations=[_cite("四(一).拆除关闭"), _cite("三(一)")], **base)


# --------------------------------------------------------------------------
# 四(二) control category
# --------------------------------------------------------------------------

def _control(f: Facts, villages: list[str]) -> dict[str, Any]:
    raw_roles = f.get_quiet("unit_roles")
    roles = set(raw_roles or ())
    may, has, works = f.get_quiet("may_pollute"), f.get_quiet("has_polluted"), f.get_quiet("works")
    missing = ["unit_roles"] if raw_roles is None else []
    if has is None and not roles & {"polluter", "land_user"}:
        missing.append("has_polluted")   # decides item 4 (污染责任人 / 已造成污染的企业)
    if missing:
        raise Unknown(missing)
    binding: dict[int, list[str]] = {1: ["严格落实国家和地方有关环境准入的法律、法规、政策以及生态环境准入清单。"]}
    if may is True:
        binding[1].append("项目可能造成土壤和地下水污染:应当依法进行环境影响评价,提出并落实相应的防渗漏等措施。")
    elif may is None:
        binding[1].append("若项目可能造成土壤和地下水污染:应当依法进行环境影响评价,提出并落实相应的防渗漏等措施"
                          "(may_pollute 未申报)。")
    if "enterprise" in roles:
        binding[1].append("企业事业单位应当对存在地下水污染风险的各产排污环节及有毒有害物质地下储罐等风险源区域"
                          "做好防渗措施;鼓励绿色化改造。")
    if roles & {"key_groundwater_discharger", "soil_key_supervised"}:
        binding.setdefault(2, []).append("按照排污许可和标准规范等规定,组织开展土壤和地下水监测,发现异常及时采取措施。")
    if "key_groundwater_discharger" in roles:
        binding.setdefault(2, []).append("依法安装水污染物排放自动监测设备,与生态环境部门联网,并保证正常运行。")
    if "fuel_station_or_depot" in roles:
        binding.setdefault(2, []).append("加油站、储油库等的所有者、经营者开展防渗漏监测、周边土壤和地下水监测。")
    if "soil_key_supervised" in roles:
        binding[3] = ["开展土壤和地下水污染隐患排查;发现隐患及时防范、消除,发现污染迹象立即排查污染源并采取措施,"
                      "处置情况及时报区生态环境部门。"]
    if "polluter" in roles or has is True:
        binding.setdefault(4, []).append("污染责任人应当采取有效的防控措施阻止污染进一步扩散。")
    if has is True and works in _CHANGE_WORKS:
        binding.setdefault(4, []).append("已造成土壤和地下水污染的企业实施改建、扩建和技术改造项目时,必须采取有效措施防控已有污染。")
    elif has is True and works is None:
        binding.setdefault(4, []).append("若实施改建、扩建或技术改造项目,必须采取有效措施防控已有污染(works 未申报)。")
    if "land_user" in roles or "polluter" in roles:
        binding.setdefault(4, []).append("土壤污染影响或者可能影响地下水的,土地使用权人或土壤污染责任人开展土壤污染状况调查、"
                                         "风险评估、风险管控或修复等活动时,应当包括地下水污染防治的内容。")
    details = []
    for item, spec in OBLIGATIONS.items():
        details.append({"item": item, "binds": spec["binds"], "binds_project": item in binding,
                        "duties": binding.get(item, [])})
    extra = [f"项目位于地下水污染防治管控类区域(村代码:{'、'.join(villages)};三(二))。"]
    for item in sorted(binding):
        extra += [f"四(二){item}:{d}" for d in binding[item]]
    extra.append("四(二)5、6及2中的周边监测约束水务、农业农村、绿化市容、生态环境部门,不约束项目单位。")
    citations = [_cite("三(二)")] + [_cite(p) for item in sorted(binding)
                                     for p in OBLIGATIONS[item]["passages"]]
    return new_finding(
        DOCUMENT, "obligations", clauses=["四(二)"], zone="control", obligations=sorted(binding),
        domain=_domain(f), extra=extra, citations=citations, obligation_details=details,
        derived=f.derived, presumed=f.presumed)


def _domain(f: Facts) -> list[str]:
    return [k for k in ("land", "sea", "island") if f.get_quiet(k) is True] or (
        ["land"] if f.get_quiet("sea") is False and f.get_quiet("island") is False
        and "land" not in f.spatial else [])


def _decide(f: Facts) -> dict[str, Any]:
    zones = list(f.need("water_source_l1"))
    villages = list(f.need("groundwater_village"))
    if zones and villages:
        first = _protection(f, zones)
        if first["outcome"] == "prohibited":
            first["extra"].append(f"项目同时位于管控类区域(村代码:{'、'.join(villages)}),"
                                  "四(二)的管控要求同样适用。")
            first["clauses"].append("四(二)")
            first["citations"].append(_cite("三(二)"))
            return first
        second = _control(f, villages)
        second["clauses"] = ["四(一)", "四(二)"]
        second["extra"] = first["extra"] + second["extra"]
        second["citations"] = first["citations"] + second["citations"]
        second["zone"] = "protection"
        return second
    if zones:
        return _protection(f, zones)
    if villages:
        return _control(f, villages)
    return new_finding(DOCUMENT, "not_applicable", citations=[_cite("四")],
                       extra=["项目不在地下水污染防治重点区内。"], derived=f.derived)


def assess(spatial: dict[str, Any], project: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """The finding of 沪环规〔2025〕1号 for one project, or ``None`` if no key zone is hit.

    ``spatial`` and ``project`` are the validated query blocks. Outside the
    plan's validity window a hit gives ``not_applicable`` with the reason.
    """
    hits = [spatial.get(k, ()) for k in ("water_source_l1", "groundwater_village")]
    if all(h is not None and len(h) == 0 for h in hits):
        return None
    if not DOCUMENT.in_force(as_of):
        side = "尚未施行" if as_of < DOCUMENT.valid_from else "已过有效期"
        return new_finding(
            DOCUMENT, "not_applicable", citations=[_cite("施行")],
            extra=[f"{as_of.isoformat()} 不在本方案有效期(2025-03-01至2030-02-28)内:本方案{side},"
                   "当日不适用。"])
    return resolve(DOCUMENT, _decide, Facts(spatial, project, as_of))
