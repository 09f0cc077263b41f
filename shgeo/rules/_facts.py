"""What the rules know about a project, and how they choose between rules.

:class:`Facts` holds the (validated) ``spatial`` and ``project`` blocks of a
query, the values derived from them (each recorded with where it came from)
and, during the search for candidate routes, trial values for unknown keys.

Three-valued logic: a fact is ``True``, ``False`` or ``None`` (unknown).
:func:`all3`, :func:`any3` and :func:`not3` combine them the Kleene way, so
a condition is decided as soon as the known facts decide it.

:func:`select` applies a scope of :class:`Rule`\\ s the Catala way: every rule
whose condition holds fires; a rule named in a firing rule's
``exception_to`` is set aside; if more than one rule is left, the rules
contradict each other and :class:`~shgeo.errors.RuleConflictError` is raised
(a bug in shgeo, never a pick). If a condition cannot be decided, the facts it
needs are reported with :class:`Unknown`.

:func:`resolve` turns :class:`Unknown` into a ``needs_information`` finding:
the questions for the missing keys, and as candidates every clause that some
value of the missing facts would lead to (found by trying them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import RuleConflictError
from ._finding import Document, clause_sort_key, new_finding

__all__ = [
    "ASK",
    "Facts",
    "Rule",
    "Unknown",
    "all3",
    "any3",
    "not3",
    "resolve",
    "select",
]

log = logging.getLogger(__name__)

Tri = bool | None

#: Plain-Chinese question for each key a rule may need (DESIGN.md query keys).
ASK: dict[str, str] = {
    "redline": "项目用地(用海用岛)范围是否位于生态保护红线内?",
    "core_zone": "项目是否位于自然保护地核心保护区内?",
    "protected_area": "项目是否涉及自然保护地(自然保护区、风景名胜区、自然公园等)?涉及哪几类?",
    "water_source_l1": "项目是否位于饮用水水源一级保护区(东风西沙、陈行、青草沙、黄浦江上游)内?",
    "groundwater_village": "项目是否位于地下水污染防治管控类区域的村内?是哪几个村(12位代码)?",
    "districts": "项目涉及哪几个区?",
    "redline_districts": "项目在哪几个区进入生态保护红线?",
    "land": "项目是否涉及陆域(土地)?",
    "sea": "项目是否涉及海域?",
    "island": "项目是否涉及无居民海岛?",
    "activity": "项目属于《实施意见》附件所列九类有限人为活动中的哪一类(填1-9)?"
                "若不属于,是开发性、生产性建设活动(development)还是其他活动(other)?",
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
    "cross_district": "该有限人为活动是否跨区?",
    "water_supply_related": "项目是否与供水设施和保护水源有关?",
    "works": "项目是新建(new)、改建(rebuild)、扩建(expand)、技术改造(upgrade),还是不施工的已建成项目(none)?",
    "unit_roles": "项目单位属于哪些类别:企业事业单位、地下水污染防治重点排污单位、土壤污染重点监管单位、"
                  "加油站或储油库、污染责任人、土地使用权人?(都不是则填空列表)",
    "may_pollute": "项目是否可能造成土壤和地下水污染?",
    "has_polluted": "项目单位是否已造成土壤和地下水污染?",
    "confirmed_route": "条文对本项目留有不止一种办理路径:请向主管部门确认适用哪一条款,并填入 confirmed_route。",
}

#: Values tried for an unknown key when searching candidate routes.
_TRIAL_VALUES: dict[str, tuple[Any, ...]] = {
    "activity": ("1", "development", "other"),
    "works": ("new", "rebuild", "expand", "upgrade", "none"),
    "unit_roles": ((), ("enterprise", "key_groundwater_discharger", "soil_key_supervised",
                        "fuel_station_or_depot", "polluter", "land_user")),
    "protected_area": ((), ("自然保护区",)),
    "water_source_l1": ((), ("青草沙",)),
    "groundwater_village": ((), ("000000000000",)),
    "districts": ((), ("甲区",), ("甲区", "乙区")),
    "redline_districts": ((), ("甲区",), ("甲区", "乙区")),
}

#: Order in which unknown keys are asked / tried (earlier = more fundamental).
_KEY_ORDER = tuple(ASK)

#: Most trial runs :func:`resolve` makes before giving up on listing candidates.
_TRIAL_BUDGET = 4000

#: Spatial keys: a key absent from the query means "the overlay found nothing".
SPATIAL_DEFAULTS: dict[str, Any] = {
    "redline": False, "core_zone": False, "protected_area": (), "water_source_l1": (),
    "groundwater_village": (), "districts": (), "redline_districts": (),
    "land": None, "sea": False, "island": False,
}


class Unknown(Exception):
    """A rule needs facts that the query leaves unknown (``None`` or missing)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = sorted(set(keys), key=_key_rank)
        super().__init__(", ".join(self.keys))


def _key_rank(key: str) -> tuple[int, str]:
    try:
        return (_KEY_ORDER.index(key), key)
    except ValueError:
        return (len(_KEY_ORDER), key)


def all3(*values: Tri) -> Tri:
    """Kleene AND: False if any is False, True if all are True, else unknown."""
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def any3(*values: Tri) -> Tri:
    """Kleene OR: True if any is True, False if all are False, else unknown."""
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def not3(value: Tri) -> Tri:
    return None if value is None else not value


class Facts:
    """The facts of one query for one regulation.

    ``spatial`` and ``project`` hold only the keys the query gave (``None`` =
    declared unknown). Spatial keys the query leaves out take
    :data:`SPATIAL_DEFAULTS` (the overlay found nothing); project keys left
    out are unknown. ``trial`` values (used by :func:`resolve`) win over both.
    """

    def __init__(self, spatial: dict[str, Any], project: dict[str, Any], as_of: date,
                 trial: dict[str, Any] | None = None) -> None:
        self.spatial = spatial
        self.project = project
        self.as_of = as_of
        self.trial = dict(trial or {})
        self.derived: list[dict[str, Any]] = []
        self.presumed: list[dict[str, Any]] = []
        self._derived_values: dict[str, Any] = {}
        self._seen: set[str] | None = None

    def with_trial(self, key: str, value: Any) -> Facts:
        return Facts(self.spatial, self.project, self.as_of, {**self.trial, key: value})

    # -- reading -----------------------------------------------------------
    def declared(self, key: str) -> bool:
        """True if the query itself states ``key`` (a value other than ``None``)."""
        source = self.spatial if key in SPATIAL_DEFAULTS else self.project
        return source.get(key) is not None

    def get(self, key: str) -> Any:
        """The value of ``key``; ``None`` if unknown (the key is then noted as needed).

        A derived value is used only where the query leaves the key unknown,
        and is listed in :attr:`derived` the first time a rule reads it.
        """
        if key in self.trial:
            value = self.trial[key]
        else:
            given = key in self.spatial or key in self.project
            value = (self.spatial if key in self.spatial else self.project)[key] if given else None
            if value is None and key in self._derived_values:
                value, source = self._derived_values[key]
                self.record_derived(key, value, source)
            elif value is None and not given:
                value = SPATIAL_DEFAULTS.get(key)
        if value is None and self._seen is not None:
            self._seen.add(key)
        return value

    def get_quiet(self, key: str) -> Any:
        """Like :meth:`get`, but an unknown value is not noted as needed."""
        seen, self._seen = self._seen, None
        try:
            return self.get(key)
        finally:
            self._seen = seen

    def need(self, *keys: str) -> Any:
        """The value of each key; raise :class:`Unknown` naming all that are unknown."""
        values = [self.get(k) for k in keys]
        missing = [k for k, v in zip(keys, values) if v is None]
        if missing:
            raise Unknown(missing)
        return values[0] if len(values) == 1 else values

    def presume_absent(self, key: str, note: str) -> bool:
        """An exception-triggering fact: True only if declared True.

        If unknown it is presumed not to apply, and the presumption is
        recorded (``presumed`` in the finding) with ``note``, the conditional
        duty the planner must check.
        """
        value = self.get(key) if key in self.trial or self.declared(key) else None
        if value is None:
            if not any(p["key"] == key for p in self.presumed):
                self.presumed.append({"key": key, "value": False, "note": note})
            return False
        return bool(value)

    # -- deriving ----------------------------------------------------------
    def derive(self, key: str, value: Any, source: str) -> None:
        """Note that ``key`` = ``value`` follows from ``source`` (unless the query declares it).

        Recorded in :attr:`derived` once a rule reads it."""
        if self.declared(key) or key in self.trial:
            return
        self._derived_values[key] = (value, source)

    def record_derived(self, key: str, value: Any, source: str) -> None:
        """List a derived value in :attr:`derived` (once)."""
        entry = {"key": key, "value": value, "from": source}
        if entry not in self.derived:
            self.derived.append(entry)

    # -- tracking which unknowns a condition touched -------------------------
    def evaluate(self, condition: Callable[[Facts], Tri]) -> tuple[Tri, set[str]]:
        self._seen = set()
        try:
            value = condition(self)
            return value, self._seen
        finally:
            self._seen = None


@dataclass(frozen=True)
class Rule:
    """One rule of a scope: fires when ``when`` holds; overrides ``exception_to``."""

    label: str
    when: Callable[[Facts], Tri]
    exception_to: tuple[str, ...] = ()
    text: str = ""   # the clause (or sentence) it encodes, for reviewers


def select(scope: str, rules: Iterable[Rule], facts: Facts) -> Rule | None:
    """The one rule of ``scope`` that applies, or ``None`` if none does.

    Raises :class:`Unknown` if an undecided condition could change the result,
    :class:`RuleConflictError` if two rules fire and neither is an exception
    to the other.
    """
    rules = list(rules)
    state: dict[str, Tri] = {}
    needed: dict[str, set[str]] = {}
    for rule in rules:
        state[rule.label], needed[rule.label] = facts.evaluate(rule.when)
    firing = [r for r in rules if state[r.label] is True]
    overridden = {base for r in firing for base in r.exception_to}
    open_rules = [r for r in rules if state[r.label] is None and r.label not in overridden]
    if open_rules:
        raise Unknown(k for r in open_rules for k in needed[r.label])
    winners = [r for r in firing if r.label not in overridden]
    if len(winners) > 1:
        raise RuleConflictError(
            f"{scope}: rules {[r.label for r in winners]} all apply and none is declared an "
            f"exception to the others (facts: trial={facts.trial})"
        )
    return winners[0] if winners else None


def resolve(document: Document, decide: Callable[[Facts], dict[str, Any]],
            facts: Facts) -> dict[str, Any]:
    """Run ``decide``; if facts are missing, a ``needs_information`` finding instead.

    Candidates are the clauses reached by trying every value of each missing
    key in turn (a bounded search of the decision tree).
    """
    try:
        return decide(facts)
    except Unknown as unknown:
        missing = unknown.keys
    candidates, complete = _candidates(document, decide, facts, [0])
    extra = [] if complete else ["候选条款未能穷举(组合过多),请先回答上述问题。"]
    cites = [document.cite_clause(c) for c in sorted(candidates, key=clause_sort_key)
             if _has_clause(document, c)]
    if not cites:
        cites = [document.cite_clause(document_first_clause(document))]
    return new_finding(
        document, "needs_information",
        candidates=sorted(candidates, key=clause_sort_key),
        questions=[{"key": k, "ask": ASK.get(k, f"请说明 {k}。")} for k in missing],
        extra=extra, citations=cites, derived=facts.derived, presumed=facts.presumed,
    )


def document_first_clause(document: Document) -> str:
    return next(iter(document.passages.values()))[0]


def _has_clause(document: Document, token: str) -> bool:
    return any(clause == token for clause, _ in document.passages.values())


def _candidates(document: Document, decide: Callable[[Facts], dict[str, Any]], facts: Facts,
                budget: list[int]) -> tuple[set[str], bool]:
    budget[0] += 1
    if budget[0] > _TRIAL_BUDGET:
        return set(), False
    trial = Facts(facts.spatial, facts.project, facts.as_of, facts.trial)
    try:
        finding = decide(trial)
    except Unknown as unknown:
        fresh = [k for k in unknown.keys if k not in facts.trial]
        if not fresh:  # the trial values contradict each other: a dead branch
            return set(), True
        key = fresh[0]
        found: set[str] = set()
        complete = True
        for value in _TRIAL_VALUES.get(key, (True, False)):
            more, done = _candidates(document, decide, facts.with_trial(key, value), budget)
            found |= more
            complete = complete and done
        return found, complete
    if finding["outcome"] == "needs_information":
        return set(finding["candidates"]), True
    return set(finding["clauses"]), True
