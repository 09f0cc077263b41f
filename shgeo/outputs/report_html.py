"""HTML reports in Chinese: ``<id>/report.html`` (from report.json) and the batch ``index.html``.

Templates live in ``shgeo/outputs/templates`` (Jinja2, autoescape on: every value from a
file or a layer is escaped).  The pages are self-contained: inline CSS, no
script, no external request.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jinja2
import markupsafe

from ..library.kinds import KINDS
from ..rules import ASK
from ..rules import OUTCOME_ZH as RULES_OUTCOME_ZH

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ScreenRecord

__all__ = [
    "render_report",
    "render_index",
    "OUTCOME_ZH",
    "OUTCOME_SENTENCE_ZH",
    "OVERALL_ZH",
    "LEVEL_ZH",
    "DOMAIN_ZH",
    "ROLE_ZH",
    "FLAG_ZH",
    "CRS_BASIS_ZH",
    "FIGURE_KINDS",
    "SAMPLE_BANNER",
    "environment",
]

#: The banner on every page made with sample layers.
SAMPLE_BANNER = "样例数据——不得用于正式审查 / SAMPLE DATA — not for official screening"

#: Each outcome in Chinese (the rules' own labels, as the findings' texts use them).
OUTCOME_ZH = dict(RULES_OUTCOME_ZH)

#: What each outcome means for the reviewer, in one sentence (heads each finding's route).
OUTCOME_SENTENCE_ZH = {
    "prohibited": "该活动不得开展。",
    "prohibited_in_principle": "原则上禁止，不得开展；本文件未规定例外程序。",
    "recognition_required": "须开展允许有限人为活动认定，按以下步骤办理。",
    "already_recognised": "专项规划阶段已取得认定意见，项目实施阶段无变化的，无需重复论证。",
    "notify_only": "无需开展认定，由实施主体告知即可。",
    "major_project_occupation": "按国家重大项目占用生态保护红线的程序办理用地、用海用岛审批。",
    "obligations": "须履行下列管控要求。",
    "exempt": "不属禁止之列，仍须遵守有关法律法规。",
    "not_applicable": "该文件不适用。",
    "needs_information": "现有信息不足以确定办理路径：请补充下文“待补充信息”所列事项。",
}

#: The sentence of a finding whose regulation is not in force on the day (outcome not_applicable).
NOT_IN_FORCE_SENTENCE_ZH = "该文件在适用日期未生效，本项不作认定；所涉区域仍受其他法律法规保护。"

OVERALL_ZH = {
    "prohibited": "禁止",
    "prohibited_in_principle": "原则上禁止",
    "needs_information": "需补充信息",
    "procedures_apply": "须办理相关程序",
    "not_in_force": "所涉区域的规定在该日期未生效，其他法律法规仍适用",
    "partly_outside": "部分位于上海市域外，域外部分未筛查",
    "not_restricted": "不受限制",
}

#: Each token of ``facts.details.flags`` (a closed set) in Chinese, for every output.
FLAG_ZH = {
    "possible_boundary_mismatch": "重叠极小或极窄，可能是边界数字化误差，请人工核对",
    "repaired_geometry": "项目几何无效，已自动修复后筛查",
    "on_boundary": "与区域边界接触（距离为0）但未进入，请人工核对",
    "partly_outside": "部分位于上海市域外，域外部分未筛查",
    "gcj02_ambiguous": ("坐标按WGS84/CGCS2000读取，但有法定区域位于GCJ-02偏移范围（约700米）内：结论取决于坐标是否"
                        "实为GCJ-02（高德、腾讯地图坐标）；如是，请以 --crs gcj02 重新筛查"),
    "mixed_geometry": "几何集合：各组成部分均已按其自身维度（面积、长度、点位）分别筛查",
}

#: How the input's CRS was determined (``input.crs_basis``), in Chinese.
CRS_BASIS_ZH = {
    "declared": "文件声明",
    "from the file": "读自文件",
    "from the zone prefix": "由坐标带号前缀判定",
    "given by the user": "用户指定（--crs）",
}

#: The kinds whose overlap figures head a report and fill summary columns, in order.
FIGURE_KINDS = ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village")

LEVEL_ZH = {"district": "区级", "municipal": "市级", "state": "国家级"}
DOMAIN_ZH = {"land": "用地", "sea": "用海", "island": "用岛"}
ROLE_ZH = {
    "enterprise": "企业事业单位",
    "key_groundwater_discharger": "地下水污染防治重点排污单位",
    "soil_key_supervised": "土壤污染重点监管单位",
    "fuel_station_or_depot": "加油站、储油库",
    "polluter": "造成污染的单位",
    "land_user": "土地使用权人",
}
ZONE_ZH = {"protection": "保护类区域", "control": "管控类区域"}
FACT_ZH = {
    "redline": "生态保护红线",
    "core_zone": "自然保护地核心保护区",
    "protected_area": "自然保护地",
    "water_source_l1": "饮用水水源一级保护区",
    "groundwater_village": "地下水污染防治管控类区域（村）",
    "districts": "涉及区",
    "redline_districts": "进入红线的区",
    "land": "涉及陆域",
    "sea": "涉及海域",
    "island": "涉及无居民海岛",
}
FIGURE_ZH = {
    "length_m": "总长度（m）",
    "redline_length_m": "红线内长度（m）",
    "core_zone_length_m": "核心保护区内长度（m）",
    "water_source_l1_length_m": "水源一级保护区内长度（m）",
    "protected_area_length_m": "自然保护地内长度（m）",
    "sea_length_m": "海域内长度（m）",
    "detour_factor": "绕行系数",
}


def _yes_no(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value)) if value else "无"
    return "" if value is None else str(value)


def _ha(m2: Any) -> str:
    try:
        return f"{float(m2) / 10000:,.4f}"
    except (TypeError, ValueError, jinja2.UndefinedError):
        return ""


def _num(value: Any, digits: int = 1) -> str:
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError, jinja2.UndefinedError):
        return ""


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.2f}%"
    except (TypeError, ValueError, jinja2.UndefinedError):
        return ""


def _listing(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


class _Environment(jinja2.Environment):
    """``a.b`` on a plain dict (every value a page shows comes from report.json) looks up the key first:
    Jinja's default tries the attribute first, and the exception it raises for each value costs more than
    rendering it.  Anything else, and a dict without the key (``f.get(...)``), as Jinja does."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every page (templates compiled once per process, autoescape on)."""
    env = _Environment(
        loader=jinja2.PackageLoader("shgeo.outputs", "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,   # the templates are package data: no file check per page
    )
    env.filters.update(yes_no=_yes_no, ha=_ha, num=_num, pct=_pct, listing=_listing)
    env.globals.update(
        OUTCOME_ZH=OUTCOME_ZH, OVERALL_ZH=OVERALL_ZH, LEVEL_ZH=LEVEL_ZH, DOMAIN_ZH=DOMAIN_ZH,
        ROLE_ZH=ROLE_ZH, ZONE_ZH=ZONE_ZH, FACT_ZH=FACT_ZH, FIGURE_ZH=FIGURE_ZH, SAMPLE_BANNER=SAMPLE_BANNER,
        FLAG_ZH=FLAG_ZH, CRS_BASIS_ZH=CRS_BASIS_ZH, FIGURE_KINDS=FIGURE_KINDS,
        KIND_ZH={k: s.label_zh for k, s in KINDS.items()},
    )
    # the style sheet of every page, rendered once
    env.globals["STYLE"] = markupsafe.Markup(env.get_template("_style.html.j2").render())
    return env


@lru_cache(maxsize=None)
def _template(name: str) -> jinja2.Template:
    return environment().get_template(name)


_PROHIBITING = ("prohibited", "prohibited_in_principle")
_ROUTED = ("recognition_required", "already_recognised", "notify_only", "major_project_occupation")


def _bodies(finding: dict[str, Any], key: str) -> str:
    """A list of bodies as the text gives it: ending with 等 where the text's list does."""
    text = _listing(finding.get(key))
    return text + "等" if text and key in (finding.get("open_lists") or []) else text


def _steps(finding: dict[str, Any]) -> list[tuple[str, str]]:
    """The route of one finding as numbered steps (who applies, to whom, consulted, approves, issues).

    A notify-only finding (二(五)) has no application, recognition or approval: 实施主体 notifies."""
    steps: list[tuple[str, str]] = []
    if finding.get("outcome") == "notify_only":
        steps.append(("告知", f"由实施主体及时告知{_listing(finding.get('notify_to'))}；无需组织论证、"
                             "无需开展有限人为活动认定"))
        if finding.get("consult"):
            steps.append(("征求意见", f"征求{_bodies(finding, 'consult')}意见"))
        return steps
    if finding.get("notify_to"):
        steps.append(("告知", f"由实施主体告知：{_listing(finding['notify_to'])}"))
    if finding.get("applicant"):
        steps.append(("组织论证、提出申请", f"由以下任一主体组织论证并提出申请：{_listing(finding['applicant'])}"))
    if finding.get("submit_to"):
        steps.append(("受理审查", f"向{_listing(finding['submit_to'])}提出申请，由其组织审查"))
    if finding.get("consult"):
        steps.append(("征求意见", f"征求{_bodies(finding, 'consult')}意见"))
    if finding.get("approver"):
        steps.append(("报批同意", f"报{_listing(finding['approver'])}同意"))
    if finding.get("issuer"):
        steps.append(("出具意见", f"由{_listing(finding['issuer'])}出具意见"))
    return steps


def _derived_lines(finding: dict[str, Any]) -> list[str]:
    """Each derived fact as the reviewer reads it: the question, the answer it takes, and why (Chinese)."""
    lines = []
    for d in finding.get("derived") or []:
        basis = d.get("basis") or ""
        ask = ASK.get(str(d.get("key")))
        if ask:
            lines.append(f"{ask} {_yes_no(d.get('value'))}（依据：{basis}）" if basis else f"{ask} {_yes_no(d.get('value'))}")
        elif basis:
            lines.append(basis)
    return lines


def _sentence(finding: dict[str, Any]) -> str:
    if finding.get("outcome") == "not_applicable" and (finding.get("validity") or {}).get("in_force") is False:
        return NOT_IN_FORCE_SENTENCE_ZH
    return OUTCOME_SENTENCE_ZH.get(finding.get("outcome"), "")


def _district_note(report: dict[str, Any]) -> str | None:
    """二(六) 跨区 is read from the districts where the project enters the red line: say so when they differ."""
    facts = report.get("facts") or {}
    alld, red = facts.get("districts"), facts.get("redline_districts")
    if not alld or not red or set(alld) == set(red):
        return None
    others = [d for d in alld if d not in red]
    return (f"项目涉及{_listing(alld)}，其中进入生态保护红线的为{_listing(red)}（{_listing(others)}未进入红线）；"
            "二(六)所称“跨区的有限人为活动”按进入生态保护红线的区判断。")


def _obligations(finding: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The 四(二) duties binding the project, one line per numbered item with whom it binds,
    and the finding's other notes (its ``extra`` less the duty lines those items repeat)."""
    items, repeated = [], set()
    for d in finding.get("obligation_details") or []:
        duties = [str(x) for x in d.get("duties") or []]
        repeated.update(f"四(二){d.get('item')}:{x}" for x in duties)
        if d.get("binds_project") is False:
            continue
        binds = _listing(d.get("binds"))
        items.append(f"四(二){d.get('item')}" + (f"（{binds}）" if binds else "") + ("：" + "".join(duties) if duties else ""))
    return items, [e for e in finding.get("extra") or [] if e not in repeated]


def _flags(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(token, Chinese text) of the project's flags, in the order of :data:`FLAG_ZH` (unknown ones last)."""
    details = ((report.get("facts") or {}).get("details") or {})
    flags = [str(f) for f in details.get("flags") or []]
    order = list(FLAG_ZH)
    flags.sort(key=lambda f: order.index(f) if f in order else len(order))
    return [(f, FLAG_ZH.get(f, f)) for f in dict.fromkeys(flags)]


def _by_kind(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-kind overlap figures (``facts.details.by_kind``), statutory kinds first."""
    details = ((report.get("facts") or {}).get("details") or {})
    by_kind = details.get("by_kind") or {}
    if not isinstance(by_kind, dict):
        return []
    kinds = [k for k in FIGURE_KINDS if k in by_kind] + [k for k in by_kind if k not in FIGURE_KINDS]
    return [{"kind": k, **(by_kind[k] if isinstance(by_kind[k], dict) else {})} for k in kinds]


def _layer_fragments(report: dict[str, Any], shared: dict[int, Any] | None) -> tuple[markupsafe.Markup, ...]:
    """The parts of report.html made from ``layers`` and ``manifest`` alone (notes at the top, the table at
    the end): rendered once for the reports of a run, which share one ``layers`` list (*shared*)."""
    layers, manifest = report.get("layers") or [], report.get("manifest")
    if shared is not None:
        hit = shared.get(id(layers))
        # the list itself is kept with its fragments, so that its id cannot be another's
        if hit is not None and hit[0] is layers and hit[1] == manifest:
            return hit[2]
    fragments = tuple(markupsafe.Markup(_template(name).render(layers=layers, manifest=manifest))
                      for name in ("_layer_notes.html.j2", "_layer_table.html.j2"))
    if shared is not None:
        if len(shared) >= 8:
            shared.clear()
        shared[id(layers)] = (layers, manifest, fragments)
    return fragments


def render_report(report: dict[str, Any], *, shared: dict[int, Any] | None = None) -> str:
    """The report.html text of one project, from its report.json dict.

    *shared*: a dict kept by the caller across the reports of one run (treated as values, not changed
    in between): the layer table, the same in each, is then rendered once."""
    findings = report.get("findings") or []
    prohibiting = [f for f in findings if f.get("outcome") in _PROHIBITING]
    enriched = []
    for f in findings:
        duties, notes = _obligations(f)
        enriched.append(dict(f, steps=_steps(f), obligation_texts=duties, notes=notes, sentence=_sentence(f),
                             derived_lines=_derived_lines(f), consult_text=_bodies(f, "consult"),
                             settled_lines=list((f.get("settled") or {}).get("text") or []),
                             for_information=bool(prohibiting) and f.get("outcome") in _ROUTED))
    view = {
        "findings": enriched,
        "lead": [dict(f, sentence=_sentence(f)) for f in prohibiting
                 if any(g.get("outcome") in _ROUTED for g in findings)],
        "district_note": _district_note(report),
        "redline": [f for f in enriched if "环规" not in str(f.get("regulation", ""))],
        # an approval level: a notify-only finding has none (实施主体 only notifies)
        "levels": sorted({f["level"] for f in findings if f.get("level") and f.get("outcome") != "notify_only"}),
        "domains": sorted({d for f in findings for d in (f.get("domain") or [])}),
        "questions": [(f.get("regulation"), q) for f in findings for q in (f.get("questions") or [])],
        "citations": [c for f in findings for c in (f.get("citations") or [])],
        "groundwater": [f for f in enriched if "环规" in str(f.get("regulation", ""))],
        "overlaps": [o for o in report.get("overlaps") or [] if o.get("relation") in (None, "overlap")],
        "near": [o for o in report.get("overlaps") or [] if o.get("relation") == "near"],
        "flags": _flags(report),
        "by_kind": _by_kind(report),
        "contacts": [o for o in report.get("overlaps") or [] if "on_boundary" in (o.get("flags") or [])],
    }
    notes, table = _layer_fragments(report, shared)
    return _template("report.html.j2").render(r=report, v=view, layer_notes=notes, layer_table=table)


def render_index(result: ScreenRecord, rows: list[dict[str, Any]], folders: dict[str, str], *,
                 stale: list[dict[str, Any]] | tuple = (), xlsx: bool = True) -> str:
    """The batch index.html: every project linked to its report and map; failures with their reason;
    *stale*: report folders of earlier runs moved aside (``folder``, ``project_id``, ``moved_to``)."""
    layers = [{"kind": s.kind, "edition": getattr(s, "edition", None), "sample": getattr(s, "sample", False)}
              for s in getattr(result.library, "sources", [])]
    return _template("index.html.j2").render(
        rows=rows, folders=folders, as_of=result.as_of.isoformat(), sample=result.sample_data, layers=layers,
        counts={"all": len(rows), "ok": sum(r["status"] == "screened" for r in rows)}, stale=list(stale),
        xlsx=xlsx,
    )
