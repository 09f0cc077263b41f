"""The query's vocabulary: its keys, the closed sets of values, and how each fact is asked and said in Chinese.

- :data:`ASK` — the plain-Chinese question for each key (no key names, no English:
  the question is shown as is to reviewers).
- :data:`ANSWERS` — the JSON values a question takes (for keys with a closed set).
- :data:`STATEMENT` — each fact stated in Chinese for each value, as the
  reviewer reads a derived fact or a condition ("若项目不属于国家重大项目：…").
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACTIVITIES",
    "DOMAIN_ZH",
    "LEVEL_ZH",
    "OUTCOME_ZH",
    "ANSWERS",
    "ASK",
    "KEY_ORDER",
    "PROTECTED_AREA_TYPES",
    "PROTECTION_ZONES",
    "SHANGHAI_DISTRICTS",
    "STATEMENT",
    "UNIT_ROLES",
    "ROLE_ZH",
    "ROUTE_TOKENS",
    "WORKS",
    "WORKS_ZH",
    "statement",
]

#: 附件 categories ("1"–"9"), 开发性、生产性建设活动, other activities (一, 附件).
ACTIVITIES = tuple(str(n) for n in range(1, 10)) + ("development", "other")

#: 沪环规〔2025〕1号 三(一): the protection-category zones, by the names the query uses.
PROTECTION_ZONES = ("东风西沙", "陈行", "青草沙", "黄浦江上游")

#: 沪环规〔2025〕1号 四(二): whom the control-category duties bind.
UNIT_ROLES = ("enterprise", "key_groundwater_discharger", "soil_key_supervised",
              "fuel_station_or_depot", "polluter", "land_user")
ROLE_ZH = {
    "enterprise": "企业事业单位",
    "key_groundwater_discharger": "地下水污染防治重点排污单位",
    "soil_key_supervised": "土壤污染重点监管单位",
    "fuel_station_or_depot": "加油站、储油库等的所有者、经营者",
    "polluter": "污染责任人",
    "land_user": "土地使用权人",
}

#: 沪环规〔2025〕1号 四: 新建、改建、扩建, 技术改造 (四(二)4), or no works (an existing project).
WORKS = ("new", "rebuild", "expand", "upgrade", "none")
WORKS_ZH = {"new": "新建", "rebuild": "改建", "expand": "扩建", "upgrade": "技术改造", "none": "不施工(已建成)"}

#: The categories of 自然保护地 (中办发〔2019〕42号 二(四): 国家公园, 自然保护区, and 自然公园
#: with its kinds, 风景名胜区 among them) — the closed set ``protected_area`` takes (the same list
#: the layer checks use, ``shgeo/library/reference/published.toml``).
PROTECTED_AREA_TYPES = ("国家公园", "自然保护区", "自然公园", "风景名胜区", "森林公园", "地质公园", "海洋公园",
                        "湿地公园", "沙漠公园", "草原公园", "水产种质资源保护区")

#: Shanghai's 16 districts, by their official names (``districts``, ``redline_districts``).
SHANGHAI_DISTRICTS = ("黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
                      "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区")

#: Clause tokens a user may put in ``confirmed_route`` (the routes the text leaves open).
ROUTE_TOKENS = ("二(一)", "二(二)", "二(三)第一款", "二(三)第二款", "二(四)", "二(五)", "二(六)",
                "三(一)第一款", "三(一)第二款", "三(二)")

#: Each outcome of a finding, in Chinese.
OUTCOME_ZH = {
    "prohibited": "禁止",
    "prohibited_in_principle": "原则上禁止",
    "recognition_required": "须开展允许有限人为活动认定",
    "already_recognised": "已取得认定意见（无需重复论证）",
    "notify_only": "仅需告知",
    "major_project_occupation": "国家重大项目占用生态保护红线",
    "obligations": "须履行管控要求",
    "exempt": "豁免",
    "not_applicable": "不适用",
    "needs_information": "需补充信息",
}
LEVEL_ZH = {"district": "区级", "municipal": "市级", "state": "国家级"}
DOMAIN_ZH = {"land": "用地", "sea": "用海", "island": "用岛"}

#: Plain-Chinese question for each key a rule may need (DESIGN.md query keys).
ASK: dict[str, str] = {
    "redline": "项目用地(用海用岛)范围是否位于生态保护红线内?",
    "core_zone": "项目是否位于自然保护地核心保护区内?",
    "protected_area": "项目是否涉及自然保护地(自然保护区、风景名胜区、自然公园等)?涉及哪几类?",
    "water_source_l1": "项目是否位于饮用水水源一级保护区(东风西沙、陈行、青草沙、黄浦江上游)内?位于哪几个?",
    "groundwater_village": "项目是否位于地下水污染防治管控类区域的村内?是哪几个村(12位村代码)?",
    "districts": "项目涉及哪几个区?",
    "redline_districts": "项目在哪几个区进入生态保护红线?",
    "land": "项目是否涉及陆域(土地)?",
    "sea": "项目是否涉及海域?",
    "island": "项目是否涉及无居民海岛?",
    "activity": "项目属于《实施意见》附件所列九类有限人为活动中的哪一类(第一类至第九类)?"
                "若不属于,是开发性、生产性建设活动,还是其他活动?",
    "annex_conditions_met": "项目是否满足附件对该类活动规定的条件"
                            "(如不扩大现有规模、不破坏生态功能、必须且无法避让并符合区级以上国土空间规划等)?",
    "national_major": "项目是否属于国家重大项目?",
    "within_major_scope": "项目是否属于《通知》明确的允许占用生态保护红线的国家重大项目范围?",
    "new_construction_land": "项目是否需要办理新增建设用地审批(农用地转用、土地征收)?",
    "sea_island_use": "项目是否需要办理用海用岛审批(海域使用权、无居民海岛开发利用)?",
    "construction": "项目是否有具体建设活动?",
    "planning_permit": "项目是否需要办理建设工程规划选址、规划许可手续?",
    "existing_site_or_repair": "建设工程是否在现状既有用地范围内,或属于现状既有设施修缮更新?",
    "new_overhead_line": "项目是否新建架空线?",
    "open_cut_underground": "项目是否有以开挖施工法建设的地下工程?",
    "underground_exit_or_vent": "项目是否建设地下工程的安全出口、通风口等附属设施?",
    "temporary_land": "项目是否涉及临时用地?",
    "special_plan_recognised": "在专项规划阶段是否已开展论证并报市政府同意后取得认定意见?",
    "changed_since_special_plan": "与专项规划阶段取得认定意见时相比,项目实施阶段是否有变化?",
    "state_council_sea": "项目是否属于报国务院审批的用海用岛项目?",
    "new_reclamation": "项目是否新增填海造地?",
    "new_enclosure": "项目是否新增围海?",
    "new_island_use": "项目是否新增用岛?",
    "island_low_impact": "对无居民海岛的利用是否为对海岛自然岸线、表面积、岛体、植被改变轻微的低影响利用方式?",
    "expands_existing_energy_facility": "项目是否扩大既有水电、风电、光伏、海洋能设施的规模或范围?",
    "cross_district": "该有限人为活动是否跨区(在生态保护红线内涉及两个或以上的区)?",
    "water_supply_related": "项目是否与供水设施和保护水源有关?",
    "works": "项目是新建、改建、扩建、技术改造,还是不施工的已建成项目?",
    "unit_roles": "项目单位属于哪些类别:企业事业单位、地下水污染防治重点排污单位、土壤污染重点监管单位、"
                  "加油站或储油库等的所有者或经营者、污染责任人、土地使用权人?(都不是则为空)",
    "may_pollute": "项目是否可能造成土壤和地下水污染?",
    "has_polluted": "项目单位是否已造成土壤和地下水污染?",
    "confirmed_route": "条文对本项目留有不止一种办理路径:请向主管部门确认适用哪一条款。",
}

#: Order in which questions are listed when they settle equally much (earlier = more fundamental).
KEY_ORDER = {key: rank for rank, key in enumerate(ASK)}

_BOOL_ANSWERS = [True, False]

#: The JSON values each question takes; a list key takes any subset of its values.
ANSWERS: dict[str, list[Any]] = {
    **{key: _BOOL_ANSWERS for key in ASK},
    "activity": list(ACTIVITIES),
    "works": list(WORKS),
    "unit_roles": list(UNIT_ROLES),
    "protected_area": list(PROTECTED_AREA_TYPES),
    "water_source_l1": list(PROTECTION_ZONES),
    "districts": list(SHANGHAI_DISTRICTS),
    "redline_districts": list(SHANGHAI_DISTRICTS),
}
del ANSWERS["groundwater_village"]   # any 12-digit village code
del ANSWERS["confirmed_route"]        # the candidate clauses of the question itself

#: Each fact stated in Chinese: key -> (when true / non-empty, when false / empty).
STATEMENT: dict[str, tuple[str, str]] = {
    "redline": ("项目位于生态保护红线内", "项目不在生态保护红线内"),
    "core_zone": ("项目位于自然保护地核心保护区内", "项目不在自然保护地核心保护区内"),
    "protected_area": ("项目涉及自然保护地", "项目不涉及自然保护地"),
    "water_source_l1": ("项目位于饮用水水源一级保护区内", "项目不在饮用水水源一级保护区内"),
    "groundwater_village": ("项目位于地下水污染防治管控类区域的村内", "项目不在管控类区域的村内"),
    "land": ("项目涉及陆域", "项目不涉及陆域"),
    "sea": ("项目涉及海域", "项目不涉及海域"),
    "island": ("项目涉及无居民海岛", "项目不涉及无居民海岛"),
    "annex_conditions_met": ("项目满足附件对该类活动规定的条件", "项目不满足附件对该类活动规定的条件"),
    "national_major": ("项目属于国家重大项目", "项目不属于国家重大项目"),
    "within_major_scope": ("项目属于《通知》明确的国家重大项目范围", "项目不属于《通知》明确的国家重大项目范围"),
    "new_construction_land": ("项目需要办理新增建设用地审批", "项目不需要办理新增建设用地审批"),
    "sea_island_use": ("项目需要办理用海用岛审批", "项目不需要办理用海用岛审批"),
    "construction": ("项目有具体建设活动", "项目无具体建设活动"),
    "planning_permit": ("项目需要办理建设工程规划选址、规划许可手续", "项目不需要办理建设工程规划选址、规划许可手续"),
    "existing_site_or_repair": ("建设工程在现状既有用地范围内或属于既有设施修缮更新",
                                "建设工程不在现状既有用地范围内、也不属于既有设施修缮更新"),
    "new_overhead_line": ("项目新建架空线", "项目不新建架空线"),
    "open_cut_underground": ("项目有以开挖施工法建设的地下工程", "项目没有以开挖施工法建设的地下工程"),
    "underground_exit_or_vent": ("项目建设地下工程的安全出口、通风口等附属设施",
                                 "项目不建设地下工程的安全出口、通风口等附属设施"),
    "temporary_land": ("项目涉及临时用地", "项目不涉及临时用地"),
    "special_plan_recognised": ("专项规划阶段已取得认定意见", "专项规划阶段未取得认定意见"),
    "changed_since_special_plan": ("项目实施阶段与专项规划阶段相比有变化", "项目实施阶段与专项规划阶段相比无变化"),
    "state_council_sea": ("项目属于报国务院审批的用海用岛项目", "项目不属于报国务院审批的用海用岛项目"),
    "new_reclamation": ("项目新增填海造地", "项目不新增填海造地"),
    "new_enclosure": ("项目新增围海", "项目不新增围海"),
    "new_island_use": ("项目新增用岛", "项目不新增用岛"),
    "island_low_impact": ("对无居民海岛为低影响利用", "对无居民海岛不是低影响利用"),
    "expands_existing_energy_facility": ("项目扩大既有能源设施的规模或范围", "项目不扩大既有能源设施的规模或范围"),
    "cross_district": ("该有限人为活动跨区", "该有限人为活动不跨区"),
    "water_supply_related": ("项目与供水设施和保护水源有关", "项目与供水设施和保护水源无关"),
    "may_pollute": ("项目可能造成土壤和地下水污染", "项目不会造成土壤和地下水污染"),
    "has_polluted": ("项目单位已造成土壤和地下水污染", "项目单位未造成土壤和地下水污染"),
}

_ACTIVITY_ZH = {"annex": "项目属于附件所列有限人为活动", "development": "项目属于开发性、生产性建设活动",
                "other": "项目属于附件之外的其他活动"}
_NUMERALS = "一二三四五六七八九"


def statement(key: str, value: Any) -> str:
    """``key`` = ``value`` said in Chinese (a fact, a condition, a derived value)."""
    if key == "activity":
        if value in ACTIVITIES[:9]:
            return f"项目属于附件第{_NUMERALS[int(value) - 1]}类有限人为活动"
        return _ACTIVITY_ZH.get(value, f"活动类别为{value}")
    if key == "works":
        return f"项目为{WORKS_ZH.get(value, value)}"
    if key == "confirmed_route":
        return f"经主管部门确认适用{value}"
    if key == "unit_roles":
        roles = [ROLE_ZH.get(r, r) for r in value or ()]
        return f"项目单位为{'、'.join(roles)}" if roles else "项目单位不属于所列各类单位"
    if isinstance(value, (list, tuple)):
        text = STATEMENT.get(key, (key, key))[0 if value else 1]
        return f"{text}({'、'.join(map(str, value))})" if value else text
    pair = STATEMENT.get(key)
    if pair is None:
        return f"{ASK.get(key, key)}{'是' if value else '否'}"
    return pair[0] if value else pair[1]
