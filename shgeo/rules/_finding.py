"""The finding a rules module returns, the verdict it words, and the clause texts its citations quote.

A :class:`Verdict` is what a regulation decides for one assignment of its
decision variables: outcome, clauses, level, domain, bodies, duties — all a
finding says except the wording that depends on names (districts, zones,
categories). Two assignments with equal verdicts decide the same; a question
matters only if some answer to it changes the verdict.

A finding is a plain, JSON-ready dict whose keys are fixed by the decision
interface (``DESIGN.md``, "The decision interface"); :func:`new_finding` makes
one with every key present so that callers never meet a missing key.

Clause texts are data (``clauses_*.toml`` next to this module), quoted
verbatim from the regulation files; a citation is ``{"doc", "clause", "text"}``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "BODY_KEYS",
    "FINDING_KEYS",
    "OUTCOMES",
    "ROUTED_OUTCOMES",
    "Document",
    "Verdict",
    "load_document",
    "new_finding",
    "instantiate",
    "Template",
    "clause_sort_key",
    "freeze_questions",
    "frozen_settled",
    "unique_dicts",
]

#: Keys every finding carries, in output order (DESIGN.md plus shgeo's additions:
#: ``settled`` (needs_information: what holds whatever the answers), ``derived``
#: [{key, value, from, basis}], ``presumed`` [{key, value, note}] — facts left unknown
#: and presumed absent, with the conditional duty —, ``routes`` (one entry per
#: procedure when a finding combines several), ``obligation_details`` (沪环规 四(二):
#: every item, whom it binds, whether it binds this project), ``open_lists`` (the
#: body lists the text ends with 等), ``validity`` (the window, and ``in_force`` on ``as_of``)).
FINDING_KEYS = (
    "regulation", "outcome", "clauses", "level", "domain",
    "applicant", "submit_to", "consult", "approver", "issuer", "materials", "notify_to",
    "extra", "zone", "obligations", "candidates", "questions", "settled", "citations",
    "derived", "presumed", "routes", "obligation_details", "open_lists", "validity",
)

#: The keys naming who does what in a routed finding.
BODY_KEYS = ("applicant", "submit_to", "consult", "approver", "issuer", "materials", "notify_to")

OUTCOMES = (
    "prohibited", "prohibited_in_principle", "recognition_required", "already_recognised",
    "notify_only", "major_project_occupation", "obligations", "exempt", "not_applicable",
    "needs_information",
)

#: Outcomes that name an approval route: they always carry ``level`` and ``domain``.
ROUTED_OUTCOMES = frozenset(
    {"recognition_required", "already_recognised", "notify_only", "major_project_occupation"}
)

_LIST_KEYS = ("clauses", "domain", "applicant", "submit_to", "consult", "issuer", "materials",
              "notify_to", "extra", "obligations", "candidates", "questions", "citations",
              "derived", "presumed", "routes", "obligation_details", "open_lists")

#: Canonical order of clause tokens of both documents (for stable output).
_CLAUSE_ORDER = (
    "通知", "一", "二(一)", "二(二)", "二(三)第一款", "二(三)第二款", "二(四)", "二(五)", "二(六)",
    "三", "三(一)第一款", "三(一)第二款", "三(二)", "三(三)", "四(一)", "四(二)",
    "四(二)1", "四(二)2", "四(二)3", "四(二)4", "四(二)5", "四(二)6", "附件",
)


_CLAUSE_RANK = {token: rank for rank, token in enumerate(_CLAUSE_ORDER)}


def clause_sort_key(token: str) -> tuple[int, str]:
    """Sort clause tokens in document order (unknown tokens last)."""
    return (_CLAUSE_RANK.get(token, len(_CLAUSE_ORDER)), token)


#: (document, clause token) -> the first passage filed under it (filled on first use).
_FIRST_PASSAGE: dict[tuple[str, str], str] = {}

#: The validity block of each document, in force or not (filled on first use).
_VALIDITY: dict[tuple[str, bool], dict[str, Any]] = {}


@dataclass(frozen=True)
class Document:
    """One regulation: its number, validity window and quoted passages."""

    doc: str
    title: str
    issued: date
    valid_from: date
    valid_to: date | None
    validity_note: str
    passages: dict[str, tuple[str, str]] = field(repr=False)  # id -> (clause token, text)

    def cite(self, passage_id: str) -> dict[str, str]:
        """A citation ``{"doc", "clause", "text"}`` of one stored passage."""
        clause, text = self.passages[passage_id]
        return {"doc": self.doc, "clause": clause, "text": text}

    def cite_clause(self, token: str) -> dict[str, str]:
        """A citation of the first passage filed under clause ``token``."""
        first = _FIRST_PASSAGE.get((self.doc, token))
        if first is None:
            first = next((pid for pid, (clause, _) in self.passages.items() if clause == token), None)
            if first is None:
                raise KeyError(f"{self.doc}: no passage for clause {token!r}")
            _FIRST_PASSAGE[(self.doc, token)] = first
        return self.cite(first)

    def in_force(self, as_of: date) -> bool:
        """True if ``as_of`` lies in the document's validity window (both ends included)."""
        return self.valid_from <= as_of and (self.valid_to is None or as_of <= self.valid_to)

    def validity(self, as_of: date) -> dict[str, Any]:
        """The validity window and whether the document is in force on ``as_of``."""
        in_force = self.in_force(as_of)
        cached = _VALIDITY.get((self.doc, in_force))
        if cached is None:
            cached = _VALIDITY[(self.doc, in_force)] = {
                "issued": self.issued.isoformat(),
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "in_force": in_force,
                "note": self.validity_note,
            }
        return dict(cached)


@cache
def load_document(resource: str) -> Document:
    """Load ``shgeo/rules/<resource>`` (a ``clauses_*.toml`` file)."""
    raw = tomllib.loads(resources.files(__package__).joinpath(resource).read_text(encoding="utf-8"))
    meta = raw["document"]
    return Document(
        doc=meta["doc"],
        title=meta["title"],
        issued=meta["issued"],
        valid_from=meta["valid_from"],
        valid_to=meta.get("valid_to"),
        validity_note=meta["validity_note"],
        passages={pid: (p["clause"], p["text"]) for pid, p in raw["passages"].items()},
    )


@dataclass(frozen=True, eq=True)
class Verdict:
    """What a regulation decides for one assignment of its decision variables.

    ``kind`` names the rule that decided (the wording follows it); every other
    field is part of the decision. ``duties`` are the passages (ids in the
    clause TOML) whose duty binds the project beyond the route itself.
    ``candidates`` and ``asks`` belong to a ``needs_information`` verdict: the
    text itself leaves several routes open (``asks``: (key, question) pairs).
    ``open_lists``: the body lists that the text ends with 等.
    """

    kind: str
    outcome: str
    clauses: tuple[str, ...] = ()
    level: str | None = None
    applicant: tuple[str, ...] = ()
    submit_to: tuple[str, ...] = ()
    consult: tuple[str, ...] = ()
    approver: str | None = None
    issuer: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    notify_to: tuple[str, ...] = ()
    zone: str | None = None
    obligations: tuple[int, ...] = ()
    duties: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    asks: tuple[tuple[str, str], ...] = ()
    open_lists: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # verdicts key caches (templates, wordings): hash once
        object.__setattr__(self, "_hash", hash((self.kind, self.signature())))

    def __hash__(self) -> int:
        return self._hash   # type: ignore[attr-defined]

    def signature(self) -> tuple[Any, ...]:
        """Everything the verdict decides (all fields but ``kind``)."""
        return (self.outcome, self.clauses, self.level, self.applicant, self.submit_to,
                self.consult, self.approver, self.issuer, self.materials, self.notify_to, self.zone,
                self.obligations, self.duties, self.candidates, self.asks, self.open_lists)

    def reach(self) -> tuple[str, ...]:
        """The clauses this verdict leads to (its candidates when the text leaves it open)."""
        return self.candidates if self.outcome == "needs_information" else self.clauses


#: List keys whose items are strings or numbers, and those whose items are flat dicts of them.
_FLAT_LISTS = ("clauses", "applicant", "submit_to", "consult", "issuer", "materials", "notify_to", "extra",
               "obligations", "candidates", "open_lists")
_DICT_LISTS = ("citations", "derived", "presumed")
_KEY_SET = frozenset(FINDING_KEYS)
_OUTCOME_SET = frozenset(OUTCOMES)
_DOMAIN_ORDER = ("land", "sea", "island")


def unique_dicts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in items:
        key = tuple(item.items())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def new_finding(document: Document, outcome: str, *, as_of: date, **values: Any) -> dict[str, Any]:
    """A finding with every key of :data:`FINDING_KEYS`; lists are de-duplicated.

    ``clauses`` are sorted in document order; ``validity`` is filled from the document for ``as_of``.
    """
    if outcome not in _OUTCOME_SET:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
    if not values.keys() <= _KEY_SET:
        raise ValueError(f"unknown finding keys {sorted(set(values) - _KEY_SET)}")
    finding: dict[str, Any] = dict.fromkeys(FINDING_KEYS)
    finding.update(values)
    finding["regulation"] = document.doc
    finding["outcome"] = outcome
    for key in _FLAT_LISTS:
        items = finding[key]
        finding[key] = list(dict.fromkeys(items)) if items else []
    for key in _DICT_LISTS:
        items = finding[key]
        finding[key] = unique_dicts(items) if items else []
    for key in ("questions", "routes", "obligation_details"):
        if finding[key] is None:
            finding[key] = []
    if len(finding["clauses"]) > 1:
        finding["clauses"].sort(key=clause_sort_key)
    if len(finding["candidates"]) > 1:
        finding["candidates"].sort(key=clause_sort_key)
    domain = finding["domain"]
    finding["domain"] = [d for d in _DOMAIN_ORDER if d in domain] if domain else []
    finding["validity"] = document.validity(as_of)
    return finding


def _copied(value: Any) -> Any:
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


_IF_KEYS = ("key", "values", "outcome", "clauses", "level", "text")


def frozen_settled(outcomes: Iterable[str], clauses: Iterable[str], level: str | None,
                   bodies: Iterable[tuple[str, Any]], conditions: Iterable[tuple[Any, ...]],
                   text: Iterable[str]) -> tuple[Any, ...]:
    """``settled`` as a :class:`Template` keeps it: lists as tuples, ``bodies`` as (key, value, whether
    a list) and each condition of ``if`` as the tuple of its values in :data:`_IF_KEYS` order."""
    return (tuple(outcomes), tuple(clauses), level,
            tuple((k, tuple(v), True) if isinstance(v, (list, tuple)) else (k, v, False) for k, v in bodies),
            tuple((key, tuple(values), outcome, tuple(cl), lv, said) for key, values, outcome, cl, lv, said in conditions),
            tuple(text))


def _freeze_settled(summary: dict[str, Any]) -> tuple[Any, ...]:
    for c in summary["if"]:
        if tuple(c) != _IF_KEYS:
            raise ValueError(f"a condition of 'settled' has keys {tuple(c)}, expected {_IF_KEYS}")
    return frozen_settled(summary["outcomes"], summary["clauses"], summary["level"], summary["bodies"].items(),
                          (tuple(c.values()) for c in summary["if"]), summary["text"])


def _thaw_settled(frozen: tuple[Any, ...]) -> dict[str, Any]:
    outcomes, clauses, level, bodies, conditions, text = frozen
    return {"outcomes": list(outcomes), "clauses": list(clauses), "level": level,
            "bodies": {k: list(v) if is_list else v for k, v, is_list in bodies},
            "if": [{"key": k, "values": list(v), "outcome": o, "clauses": list(c), "level": lv, "text": t}
                   for k, v, o, c, lv, t in conditions],
            "text": list(text)}


def _thaw_dicts(frozen: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return [dict(item) for item in frozen]


def freeze_questions(questions: list[dict[str, Any]]
                      ) -> tuple[tuple[dict[str, Any], ...], tuple[tuple[Any, ...] | None, ...]]:
    """The questions without their ``answers`` lists (the last key), and the answers as tuples."""
    return (tuple({k: v for k, v in q.items() if k != "answers"} for q in questions),
            tuple(tuple(q["answers"]) if "answers" in q else None for q in questions))


def _thaw_questions(frozen: tuple[tuple[dict[str, Any], ...], tuple[tuple[Any, ...] | None, ...]]
                    ) -> list[dict[str, Any]]:
    return [dict(q) if answers is None else {**q, "answers": list(answers)} for q, answers in zip(*frozen)]


def _same(value: Any) -> Any:
    return value


#: How each key of a finding holding lists or dicts is kept in a :class:`Template` and copied out of
#: it: (freeze, thaw). A template keeps tuples, and dicts of strings and numbers only: the cyclic
#: garbage collector stops tracking them (a tuple of such dicts stays tracked: one object), so that
#: the templates a long run keeps do not make every collection slower; each use thaws fresh lists
#: and dicts.
_COPY = {**{key: (tuple, list) for key in _FLAT_LISTS}, "domain": (tuple, list),
         **{key: (tuple, _thaw_dicts) for key in _DICT_LISTS},
         "questions": (freeze_questions, _thaw_questions), "routes": (_same, _copied),
         "obligation_details": (_same, _copied), "settled": (_freeze_settled, _thaw_settled), "validity": (_same, dict)}


#: The (empty keys, keys to thaw) of the templates made so far: a handful of shapes, each kept once.
_SHAPES: dict[tuple[Any, ...], tuple[Any, ...]] = {}


class Template:
    """A finding made once (:func:`new_finding`) and used for many queries: each use is a fresh copy
    (every list and dict new; strings and numbers, immutable, shared)."""

    __slots__ = ("_finding", "_empty", "_copies")

    def __init__(self, finding: dict[str, Any]) -> None:
        #: keys holding an empty list (a new one each use), and those holding anything else to thaw
        empty, copies = [], []
        frozen = dict(finding)
        for key, (freeze, thaw) in _COPY.items():
            value = finding[key]
            if value == []:
                empty.append(key)
                frozen[key] = None
            elif value:
                copies.append((key, thaw))
                frozen[key] = freeze(value)
        self._finding = frozen
        shape = (tuple(empty), tuple(copies))
        self._empty, self._copies = _SHAPES.setdefault(shape, shape)   # one pair per shape, shared

    def replaced(self, **frozen: Any) -> Template:
        """This template with the keys ``frozen`` set, their values given as a template keeps them
        (:data:`_COPY`'s freeze; an empty tuple for an empty list)."""
        template = Template.__new__(Template)
        finding = dict(self._finding)
        empty = [key for key in self._empty if key not in frozen]
        copies = [(key, thaw) for key, thaw in self._copies if key not in frozen]
        for key, value in frozen.items():
            if value == ():
                empty.append(key)
                finding[key] = None
            else:
                copies.append((key, _COPY[key][1]))
                finding[key] = value
        template._finding = finding
        shape = (tuple(empty), tuple(copies))
        template._empty, template._copies = _SHAPES.setdefault(shape, shape)
        return template

    def copy(self, replaced: Iterable[str] = ()) -> dict[str, Any]:
        """A fresh finding, equal to the one the template was made from; the keys ``replaced`` are
        left as they are (the caller sets them)."""
        template = self._finding
        finding = dict(template)
        for key in self._empty:
            finding[key] = []
        for key, thaw in self._copies:
            if key not in replaced:
                finding[key] = thaw(template[key])
        return finding


def instantiate(template: Template, *, as_of: date, document: Document, extra: list[str] = (),
                citations: list[dict[str, str]] = (), **values: Any) -> dict[str, Any]:
    """A finding from a :class:`Template`: a fresh copy, ``extra`` and ``citations`` appended
    (de-duplicated), the other ``values`` set, ``validity`` for ``as_of``."""
    finding = template.copy(values.keys())
    if extra:
        finding["extra"] = list(dict.fromkeys(finding["extra"] + list(extra)))
    if citations:
        finding["citations"] = unique_dicts(finding["citations"] + list(citations))
    finding.update(values)
    finding["validity"] = document.validity(as_of)
    return finding
