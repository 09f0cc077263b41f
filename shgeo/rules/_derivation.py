"""From a validated query to the decision variables the rules read: declared, derived, presumed.

:func:`known_facts` applies, in this order:

1. **Spatial defaults** — in a given ``spatial`` block a key left out means the
   overlay found nothing there (:data:`SPATIAL_DEFAULTS`); ``null`` is unknown.
2. **Derivations** (:data:`IMPLICATIONS`) — a fact that follows without doubt
   from the spatial facts or from other facts is *derived*, never asked: no sea
   and no uninhabited island → no sea/island-use approval; no land → no new
   construction land and no temporary land; no sea/island-use approval → no new
   reclamation, enclosure or island use and no State-Council sea project (each
   needs that approval); a new overhead line, open-cut underground work,
   underground exit or planning permit → construction (and back); a polluter
   has polluted. A declared value always wins; where two derivations would
   disagree (the declared facts contradict each other), nothing is derived.
3. **Cross-district** (二(六)) — read from ``redline_districts`` (the limited
   activity is the activity inside the red line), else from ``districts``.
4. **Presumptions** — facts that only add a duty, an exemption or a note, or a
   prohibition the project would have to declare, are taken as absent unless
   declared (:data:`PRESUMED`): asking them of every project would turn every
   answer into ``needs_information``. Each finding lists the ones its rules read.
5. **Readings for 三** — a national major project's land and sea procedures
   follow the approvals it declares, else its footprint when that points one
   way (``major_land``, ``major_sea``; asked as ``new_construction_land`` /
   ``sea_island_use`` when the footprint touches both).

Everything here is a dict lookup: no text is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from ._diagram import Layout
from ._facts import BOOL
from ._vocabulary import ACTIVITIES, ROUTE_TOKENS, UNIT_ROLES, WORKS

__all__ = ["DECISION_VARIABLES", "IMPLICATIONS", "Known", "LAYOUT", "PRESUMED", "QUESTION_KEY", "SPATIAL_DEFAULTS",
           "encode", "follows", "known_facts"]

#: Spatial keys: a key absent from a given block means "the overlay found nothing".
SPATIAL_DEFAULTS: dict[str, Any] = {
    "redline": False, "core_zone": False, "protected_area": (), "water_source_l1": (),
    "groundwater_village": (), "districts": (), "redline_districts": (),
    "land": None, "sea": False, "island": False, "outside_share": None,
}

_SPATIAL_BOOLS = ("redline", "core_zone", "land", "sea", "island")
_SPATIAL_LISTS = ("protected_area", "water_source_l1", "groundwater_village")
_ANNEX = frozenset(ACTIVITIES[:9])
_ROLE_VARS = tuple((role, f"unit_roles.{role}") for role in UNIT_ROLES)

#: The decision variables the rules of both regulations read, and their values: the query's keys,
#: or readings of them — ``protected_area``, ``water_source_l1``, ``groundwater_village``: some is hit;
#: ``activity``: the kind of activity (a 附件 category is ``annex``); ``major_land`` / ``major_sea``:
#: a national major project's land / sea procedure; ``unit_roles.<role>``: the unit has that role;
#: ``confirmed:<clause>``: the applicant confirmed that route (always known).
DECISION_VARIABLES: dict[str, tuple[Any, ...]] = {
    "redline": BOOL, "core_zone": BOOL, "protected_area": BOOL, "land": BOOL, "sea": BOOL, "island": BOOL,
    "activity": ("annex", "development", "other"),
    "annex_conditions_met": BOOL, "national_major": BOOL, "within_major_scope": BOOL,
    "new_construction_land": BOOL, "sea_island_use": BOOL, "major_land": BOOL, "major_sea": BOOL,
    "construction": BOOL, "planning_permit": BOOL, "existing_site_or_repair": BOOL,
    "new_overhead_line": BOOL, "open_cut_underground": BOOL, "underground_exit_or_vent": BOOL,
    "temporary_land": BOOL, "special_plan_recognised": BOOL, "changed_since_special_plan": BOOL,
    "state_council_sea": BOOL, "new_reclamation": BOOL, "new_enclosure": BOOL, "new_island_use": BOOL,
    "island_low_impact": BOOL, "expands_existing_energy_facility": BOOL, "cross_district": BOOL,
    **{f"confirmed:{token}": BOOL for token in ROUTE_TOKENS},
    "water_source_l1": BOOL, "groundwater_village": BOOL, "water_supply_related": BOOL, "works": WORKS,
    **{f"unit_roles.{role}": BOOL for role in UNIT_ROLES}, "has_polluted": BOOL,
}

#: The bit layout every diagram and every query share.
LAYOUT = Layout(DECISION_VARIABLES)

#: Decision variable -> the query key asked for it (variables not listed are asked by their own name).
QUESTION_KEY: dict[str, str] = {
    "major_land": "new_construction_land",
    "major_sea": "sea_island_use",
    **{f"unit_roles.{role}": "unit_roles" for role in UNIT_ROLES},
}

_NO_SEA_OR_ISLAND = (("sea", False), ("island", False))

#: (premises, key, value, from, basis): when every premise holds, key = value follows without doubt.
IMPLICATIONS: tuple[tuple[tuple[tuple[str, Any], ...], str, Any, str, str], ...] = (
    ((("core_zone", True),), "redline", True, "spatial.core_zone",
     "项目位于自然保护地核心保护区内,一所称核心保护区在生态保护红线内"),
    (_NO_SEA_OR_ISLAND, "land", True, "spatial.sea, spatial.island",
     "项目不涉及海域,也不涉及无居民海岛,即位于陆域"),
    (_NO_SEA_OR_ISLAND, "sea_island_use", False, "spatial.sea, spatial.island",
     "项目不涉及海域,也不涉及无居民海岛,无需办理用海用岛审批"),
    ((("land", False),), "new_construction_land", False, "spatial.land",
     "项目不涉及陆域,无需办理农用地转用、土地征收等新增建设用地审批"),
    ((("land", False),), "temporary_land", False, "spatial.land",
     "项目不涉及陆域,不涉及临时用地"),
    ((("sea", False),), "new_reclamation", False, "spatial.sea", "项目不涉及海域,不新增填海造地"),
    ((("sea", False),), "new_enclosure", False, "spatial.sea", "项目不涉及海域,不新增围海"),
    ((("island", False),), "new_island_use", False, "spatial.island", "项目不涉及无居民海岛,不新增用岛"),
    ((("state_council_sea", True),), "sea_island_use", True, "project.state_council_sea",
     "报国务院审批的用海用岛项目须办理用海用岛审批"),
    ((("new_reclamation", True),), "sea_island_use", True, "project.new_reclamation",
     "新增填海造地须办理海域使用权审批"),
    ((("new_enclosure", True),), "sea_island_use", True, "project.new_enclosure",
     "新增围海须办理海域使用权审批"),
    ((("new_island_use", True),), "sea_island_use", True, "project.new_island_use",
     "新增用岛须办理无居民海岛开发利用审批"),
    ((("sea_island_use", False),), "new_reclamation", False, "project.sea_island_use",
     "新增填海造地须办理用海用岛审批,项目不需要办理用海用岛审批"),
    ((("sea_island_use", False),), "new_enclosure", False, "project.sea_island_use",
     "新增围海须办理用海用岛审批,项目不需要办理用海用岛审批"),
    ((("sea_island_use", False),), "new_island_use", False, "project.sea_island_use",
     "新增用岛须办理用海用岛审批,项目不需要办理用海用岛审批"),
    ((("sea_island_use", False),), "state_council_sea", False, "project.sea_island_use",
     "项目不需要办理用海用岛审批,不属于报国务院审批的用海用岛项目"),
    ((("new_overhead_line", True),), "construction", True, "project.new_overhead_line",
     "新建架空线即有具体建设活动"),
    ((("open_cut_underground", True),), "construction", True, "project.open_cut_underground",
     "以开挖施工法建设地下工程即有具体建设活动"),
    ((("underground_exit_or_vent", True),), "construction", True, "project.underground_exit_or_vent",
     "建设地下工程的安全出口、通风口即有具体建设活动"),
    ((("planning_permit", True),), "construction", True, "project.planning_permit",
     "办理建设工程规划许可即有建设工程"),
    ((("construction", False),), "planning_permit", False, "project.construction",
     "项目无具体建设活动,不办理建设工程规划选址、规划许可手续"),
    ((("construction", False),), "new_overhead_line", False, "project.construction",
     "项目无具体建设活动,不新建架空线"),
    ((("construction", False),), "open_cut_underground", False, "project.construction",
     "项目无具体建设活动,无开挖施工的地下工程"),
    ((("construction", False),), "underground_exit_or_vent", False, "project.construction",
     "项目无具体建设活动,不建设地下工程附属设施"),
    ((("unit_roles.polluter", True),), "has_polluted", True, "project.unit_roles",
     "项目单位为污染责任人,即已造成土壤和地下水污染"),
)

#: Facts presumed absent unless declared (they only add a duty, an exemption or a note, or a
#: prohibition the project must declare). ``cross_district`` is presumed only when the query
#: names no district at all.
PRESUMED = ("temporary_land", "special_plan_recognised", "expands_existing_energy_facility",
            "state_council_sea")


@dataclass
class Known:
    """The decision variables of one query and where each came from.

    ``values``: variable -> value for every known variable (declared, derived or
    presumed). ``derived``: variable -> ``{"key", "value", "from", "basis"}``.
    ``presumed``: the variables presumed absent. ``spatial`` / ``project``: the
    query blocks (spatial defaults applied), for the wording. ``encoded``: the
    :data:`LAYOUT` bits of ``values`` (:func:`encode`); ``noted``: the known-bits of
    the derived and presumed variables.
    """

    spatial: dict[str, Any]
    project: dict[str, Any]
    values: dict[str, Any]
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    presumed: frozenset[str] = frozenset()
    confirmed: frozenset[str] = frozenset()
    encoded: tuple[int, int] = (0, 0)
    #: known-bits of the derived and presumed variables (those a finding lists when its rules read them)
    noted: int = 0


def _names(names: tuple[str, ...]) -> str:
    return "、".join(names)


def _closure(facts: frozenset[tuple[str, Any]]) -> frozenset[tuple[str, Any]]:
    """``facts`` and every fact that follows from them by :data:`IMPLICATIONS`."""
    out = set(facts)
    grew = True
    while grew:
        grew = False
        for premises, key, value, _, _ in IMPLICATIONS:
            if (key, value) not in out and all(p in out for p in premises) \
                    and (key, not value) not in out:
                out.add((key, value))
                grew = True
    return frozenset(out)


_FOLLOWS: dict[tuple[str, Any], tuple[tuple[str, Any], ...]] = {}
#: Implications with several premises: an answer brings their conclusion when the others are known.
_JOINT = tuple((premises, key, value) for premises, key, value, _, _ in IMPLICATIONS if len(premises) > 1)
_JOINT_VARS = frozenset(k for premises, _, _ in _JOINT for k, _ in premises)


def follows(var: str, value: Any, values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The facts that an answer ``var`` = ``value`` brings with it, given the known ``values``
    (what :func:`known_facts` would derive from it): for ranking and judging questions."""
    single = _FOLLOWS.get((var, value))
    if single is None:
        if not isinstance(value, bool):
            return ()
        single = _FOLLOWS[(var, value)] = tuple(_closure(frozenset({(var, value)})) - {(var, value)})
    if var not in _JOINT_VARS:
        return single
    joint = []
    for premises, key, concluded in _JOINT:
        if (var, value) in premises and all(p == (var, value) or values.get(p[0]) is p[1] for p in premises):
            joint += _closure(frozenset({(key, concluded)}))
    return single + tuple(joint) if joint else single


follows.reads = tuple(sorted(_JOINT_VARS))   # type: ignore[attr-defined]  # what it consults in ``values``
#: the variables an answer to which may bring a fact (a premise of some implication); the others bring none
follows.brings = frozenset(k for premises, *_ in IMPLICATIONS for k, _ in premises)   # type: ignore[attr-defined]


def _later_premise(index: int) -> bool:
    """Whether what implication ``index`` derives is a premise of an earlier one (another pass needed)."""
    _, key, value, _, _ = IMPLICATIONS[index]
    return any((key, value) in premises for premises, *_ in IMPLICATIONS[:index])


_AGAIN = tuple(_later_premise(i) for i in range(len(IMPLICATIONS)))


def _derive_in(indexes: tuple[int, ...], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Apply the implications ``indexes`` (of :data:`IMPLICATIONS`) to a fixpoint; a key two
    derivations disagree on is left unknown.

    ``values`` holds the declared facts on entry; the derived ones are added to it."""
    blocked: set[str] = set()
    get = values.get
    while True:
        derived: dict[str, dict[str, Any]] = {}
        conflict = None
        again = True
        while again and conflict is None:
            again = False
            for index in indexes:
                premises, key, value, source, basis = IMPLICATIONS[index]
                if key in values:
                    got = derived.get(key)
                    if got is None or got["value"] is value:
                        continue   # declared (a declared value always wins), or derived alike
                elif key in blocked:
                    continue
                else:
                    got = None
                for k, v in premises:
                    if get(k) is not v:
                        break
                else:
                    if got is not None:   # two derivations disagree: the facts contradict each other
                        conflict = key
                        break
                    derived[key] = {"key": key, "value": value, "from": source, "basis": basis}
                    values[key] = value
                    again = again or _AGAIN[index]
        if conflict is None:
            return derived
        blocked.add(conflict)
        for key in derived:
            del values[key]


def _independent_groups() -> tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]:
    """:data:`IMPLICATIONS` split into groups that share no variable: (variables, implication indexes).
    What a group derives depends only on the values of its own variables."""
    group_of: dict[str, int] = {}
    members: dict[int, set[str]] = {}
    for index, (premises, key, _, _, _) in enumerate(IMPLICATIONS):
        names = {key, *(k for k, _ in premises)}
        joined = {group_of[n] for n in names if n in group_of}
        gid = min(joined) if joined else index
        merged = set(names)
        for other in joined:
            merged |= members.pop(other)
        members[gid] = merged
        for n in merged:
            group_of[n] = gid
    groups = []
    for gid, names in members.items():
        indexes = tuple(i for i, (_, key, _, _, _) in enumerate(IMPLICATIONS) if group_of[key] == gid)
        groups.append((tuple(sorted(names)), indexes))
    return tuple(groups)


#: (variables, implication indexes, memo: values of the variables -> (keys derived, values, entries)).
_GROUPS = tuple((names, indexes, {}) for names, indexes in _independent_groups())
_GROUP_MEMO_LIMIT = 100_000


def _derive(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Apply :data:`IMPLICATIONS` to a fixpoint; a key two derivations disagree on is left unknown.

    ``values`` holds the declared facts on entry; the derived ones are added to it. Each group of
    implications sharing no variable with the others is worked out once per assignment of its
    variables (:func:`_derive_in`); the entries are shared, never changed."""
    derived: dict[str, dict[str, Any]] = {}
    get = values.get
    for names, indexes, memo in _GROUPS:
        key = tuple(map(get, names))
        follows = memo.get(key)
        if follows is None:   # worked out on ``values`` itself: the group reads and adds only its own variables
            got = _derive_in(indexes, values)
            derived.update(got)
            if len(memo) >= _GROUP_MEMO_LIMIT:
                memo.clear()
            # kept flat (the keys, their values, their entries): one object the garbage collector tracks
            memo[key] = (tuple(got), tuple(e["value"] for e in got.values()), tuple(got.values()))
        elif follows[0]:
            keys, derived_values, entries = follows
            values.update(zip(keys, derived_values))
            derived.update(zip(keys, entries))
    return derived


def _cross_district(spatial: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """二(六) 跨区, derived from the districts (entry or None) and whether it is to be presumed absent."""
    red, alld = spatial.get("redline_districts"), spatial.get("districts")
    if red:
        value = len(red) >= 2
        basis = (f"项目在生态保护红线内涉及{_names(red)},"
                 + ("跨区" if value else "仅涉及一个区,不跨区"))
        others = tuple(d for d in (alld or ()) if d not in red)
        if others:
            basis += (f";项目另涉及{_names(others)},但在该区未进入生态保护红线:"
                      "二(六)所称有限人为活动是生态保护红线内的活动,按进入红线的区判断是否跨区")
        return {"key": "cross_district", "value": value, "from": f"spatial.redline_districts ({_names(red)})",
                "basis": basis}, False
    if alld:
        value = len(alld) >= 2
        basis = (f"项目涉及{_names(alld)}" + (",跨区" if value else ",仅涉及一个区,不跨区")
                 + (";查询未给出进入生态保护红线的区,按项目涉及的区判断" if value else ""))
        return {"key": "cross_district", "value": value, "from": f"spatial.districts ({_names(alld)})",
                "basis": basis}, False
    return None, red is not None and alld is not None


#: (redline_districts, districts) -> what :func:`_cross_district` says of them (entries shared, never changed).
_CROSS_DISTRICT: dict[tuple[Any, Any], tuple[dict[str, Any] | None, bool]] = {}


def known_facts(spatial: dict[str, Any], project: dict[str, Any]) -> Known:
    """The decision variables of a validated query (see the module docstring)."""
    sp = {**SPATIAL_DEFAULTS, **spatial}
    values: dict[str, Any] = {}
    for key in _SPATIAL_BOOLS:
        value = sp[key]
        if value is not None:
            values[key] = value
    if "redline" not in spatial or spatial["redline"] is None:
        values.pop("redline", None)   # derived from core_zone below, else the default
    for key in _SPATIAL_LISTS:
        value = sp[key]
        if value is not None:
            values[key] = len(value) > 0
    if None in project.values():   # facts stated unknown are left out
        values.update({key: value for key, value in project.items() if value is not None})
    else:
        values.update(project)
    activity = project.get("activity")
    if activity is not None:
        values["activity"] = "annex" if activity in _ANNEX else activity
    roles = project.get("unit_roles")
    if roles is not None:
        del values["unit_roles"]
        for role, var in _ROLE_VARS:
            values[var] = role in roles
    confirmed = frozenset(values.pop("confirmed_route", None) or ())
    derived = _derive(values)
    if "redline" not in values and sp["redline"] is not None:
        values["redline"] = sp["redline"]   # left out of a given block: the overlay found nothing
    presumed = []
    if "cross_district" not in values:
        districts = (sp["redline_districts"], sp["districts"])
        said = _CROSS_DISTRICT.get(districts)
        if said is None:
            said = _cross_district(sp)
            if len(_CROSS_DISTRICT) >= _GROUP_MEMO_LIMIT:
                _CROSS_DISTRICT.clear()
            _CROSS_DISTRICT[districts] = said
        entry, presume = said
        if entry is not None:
            derived["cross_district"] = entry
            values["cross_district"] = entry["value"]
        elif presume:
            presumed.append("cross_district")
            values["cross_district"] = False
    for key in PRESUMED:
        if key not in values:
            presumed.append(key)
            values[key] = False
    _major_readings(values, derived)
    # derived and presumed variables are distinct, each with a bit of its own: the sum is their union
    noted = sum(map(_KNOWN_BIT.get, derived, repeat(0))) + sum(map(_KNOWN_BIT.get, presumed, repeat(0)))
    return Known(sp, project, values, derived, frozenset(presumed), confirmed, encode(values, confirmed), noted)


#: Decision variable -> its known-bit in :data:`LAYOUT`.
_KNOWN_BIT = {var: 1 << i for var, i in LAYOUT.index.items()}


#: Bits of the ``confirmed:<clause>`` variables: all unconfirmed, and the change each confirmation makes.
_UNCONFIRMED = LAYOUT.encode({f"confirmed:{token}": False for token in ROUTE_TOKENS})
_CONFIRMING = {token: LAYOUT.bits[f"confirmed:{token}"][False][1] ^ LAYOUT.bits[f"confirmed:{token}"][True][1]
               for token in ROUTE_TOKENS}


def encode(values: dict[str, Any], confirmed: frozenset[str] | set[str]) -> tuple[int, int]:
    """The :class:`~._diagram.Layout` bits of a query's decision variables and confirmed routes
    (``confirmed:<clause>`` is known for every clause: confirmed or not)."""
    known, bits = LAYOUT.encode(values)
    bits |= _UNCONFIRMED[1]
    for token in confirmed:
        bits ^= _CONFIRMING[token]
    return known | _UNCONFIRMED[0], bits


_MAJOR_BASIS = {
    "major_land": "国家重大项目占用陆域生态保护红线、不涉及海域和无居民海岛:按三(一)第一款办理用地审批",
    "major_sea": "国家重大项目不涉及陆域、占用海域或无居民海岛中的生态保护红线:按用海用岛审批办理(三)",
}


def _major_reading(values: dict[str, Any], derived: dict[str, dict[str, Any]], var: str, approval: str,
                   footprint: bool | None) -> None:
    """三's ``var``: the ``approval`` declared (or derived), else the ``footprint`` when it points one way."""
    declared = values.get(approval)
    if declared is not None:
        values[var] = declared
        if approval in derived:
            derived[var] = derived[approval]
    elif footprint is not None:
        values[var] = footprint
        derived[var] = {"key": approval, "value": footprint, "from": "spatial.land, spatial.sea, spatial.island",
                        "basis": _MAJOR_BASIS[var]}


def _major_readings(values: dict[str, Any], derived: dict[str, dict[str, Any]]) -> None:
    """三: which procedures a national major project takes (``major_land``, ``major_sea``): land
    only → the land procedure; sea or island only → the sea procedure; both → asked."""
    land, sea, island = values.get("land"), values.get("sea"), values.get("island")
    seaish = True if (sea or island) else (False if sea is False and island is False else None)
    _major_reading(values, derived, "major_land", "new_construction_land", land if seaish is False else None)
    _major_reading(values, derived, "major_sea", "sea_island_use", seaish if land is False else None)
