"""One regulation's finding for one query: walk its diagram, word the verdict, or ask.

:func:`assess_query` walks the regulation's :class:`~._diagram.Diagram` with
the query's decision variables. One verdict reachable: the regulation's
``render`` words it. Several: :func:`needs_information` asks the questions that
narrow them (the one that settles most first) and says what is ``settled``
whatever the answers: the outcomes still possible, the level, domain,
clauses and bodies they share, and what each decisive answer would give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from typing import Any

from ._derivation import QUESTION_KEY, Known, follows
from ._diagram import Diagram
from ._finding import (BODY_KEYS, OUTCOMES, Document, Template, Verdict, clause_sort_key, freeze_questions,
                       frozen_settled, instantiate, new_finding, unique_dicts)
from ._vocabulary import ACTIVITIES, ANSWERS, ASK, LEVEL_ZH, OUTCOME_ZH, statement

__all__ = ["Context", "assess_query", "needs_information", "question"]

PresumedNote = Callable[[str, tuple[Verdict, ...]], "str | None"]
Render = Callable[[Verdict, "Context"], dict[str, Any]]

_OUTCOME_RANK = {o: i for i, o in enumerate(OUTCOMES)}
_BODY_ZH = {"submit_to": "均向{}提出申请", "approver": "均须报{}同意", "issuer": "均由{}出具意见",
            "notify_to": "均告知{}"}


@dataclass
class Context:
    """What the wording of a finding needs besides its verdict.

    ``derived``: the derived facts the rules read; ``presumed``: the facts presumed absent they read.
    """

    known: Known
    as_of: date
    derived: list[dict[str, Any]]
    presumed: tuple[str, ...]

    def presumed_entries(self, note_of: PresumedNote, verdicts: tuple[Verdict, ...]) -> list[dict[str, Any]]:
        if not self.presumed:
            return []
        return [dict(entry) for entry in _presumed_entries(note_of, self.presumed, verdicts)]


@lru_cache(maxsize=4096)
def _presumed_entries(note_of: PresumedNote, presumed: tuple[str, ...],
                      verdicts: tuple[Verdict, ...]) -> tuple[dict[str, Any], ...]:
    out = []
    for key in presumed:
        note = note_of(key, verdicts)
        if note:
            out.append({"key": key, "value": False, "note": note})
    return tuple(out)


def question(key: str, ask: str | None = None, answers: Iterable[Any] | None = None) -> dict[str, Any]:
    """A question of a finding: ``{"key", "ask"}`` plus ``answers`` (the values it takes) where closed."""
    q: dict[str, Any] = {"key": key, "ask": ask or ASK.get(key, f"请说明{key}。")}
    values = list(answers) if answers is not None else ANSWERS.get(key)
    if values is not None:
        q["answers"] = values
    return q


def assess_query(document: Document, diagram: Diagram, known: Known, as_of: date, render: Render,
                 presumed_note: PresumedNote) -> dict[str, Any]:
    """The finding of ``document`` for the decision variables of ``known`` on ``as_of``."""
    reach = diagram.reach(known.values, known.encoded, follows)
    derived: dict[str, dict[str, Any]] = {}
    presumed = []
    for var in reach.used_among(known.noted):   # the derived and presumed facts the rules read
        entry = known.derived.get(var)
        if entry is not None and entry["key"] not in derived:
            derived[entry["key"]] = dict(entry)
        if var in known.presumed:
            presumed.append(var)
    ctx = Context(known, as_of, list(derived.values()), tuple(presumed))
    verdicts = reach.verdicts
    if len(verdicts) == 1:
        return render(verdicts[0], ctx)
    key = (document.doc, reach.key)
    static = _OPEN.get(key)
    if static is None:
        static = _open_template(document, verdicts, reach.mask, reach.asked, reach.decisive)
        if len(_OPEN) >= _OPEN_LIMIT:
            _OPEN.clear()
        _OPEN[key] = static
    presumed_entries = []
    if ctx.presumed:
        pkey = (document.doc, reach.mask, *ctx.presumed)   # one diagram per document: the mask names the verdicts
        notes = _PRESUMED.get(pkey)
        if notes is None:
            notes = tuple((e["key"], e["note"]) for e in _presumed_entries(presumed_note, ctx.presumed, verdicts))
            if len(_PRESUMED) >= _OPEN_LIMIT:
                _PRESUMED.clear()
            _PRESUMED[pkey] = notes
        presumed_entries = [{"key": key, "value": False, "note": note} for key, note in notes]
    return instantiate(static, as_of=as_of, document=document, derived=ctx.derived, presumed=presumed_entries)


#: (document number, verdict mask, *facts presumed) -> (fact, note) of each entry of ``presumed``: the
#: note of each fact presumed absent as the verdicts make it read (kept flat: strings in tuples).
_PRESUMED: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}

#: The parts of a needs_information finding that follow from its verdicts and questions alone.
_OPEN: dict[Any, Template] = {}
_OPEN_LIMIT = 20_000


#: document number -> the clause tokens its passages are filed under.
_TOKENS: dict[str, frozenset[str]] = {}


def _cite_candidates(document: Document, candidates: list[str]) -> list[dict[str, str]]:
    tokens = _TOKENS.get(document.doc)
    if tokens is None:
        tokens = _TOKENS[document.doc] = frozenset(clause for clause, _ in document.passages.values())
    cites = [document.cite_clause(c) for c in candidates if c in tokens]
    return cites or [document.cite(next(iter(document.passages)))]


def _answers_for(var: str, value: Any) -> list[Any] | None:
    if var == "activity" and value == "annex":
        return list(ACTIVITIES[:9])
    if var.startswith("unit_roles."):
        return None
    return [value]


def _summary(verdict: Verdict) -> str:
    text = OUTCOME_ZH.get(verdict.outcome, verdict.outcome)
    clauses = verdict.reach()
    if clauses:
        text += f"({'、'.join(clauses)})"
    if verdict.level and verdict.outcome != "notify_only":
        text += f",{LEVEL_ZH[verdict.level]}"
    return text


Questions = tuple[tuple[str, tuple[tuple[Any, tuple[Verdict, ...]], ...]], ...]


#: The answers that leave one verdict: (variable, value, that verdict), in question order.
Decisive = tuple[tuple[str, Any, Verdict], ...]


def settled(verdicts: tuple[Verdict, ...], questions: Questions) -> dict[str, Any]:
    """What holds whatever the answers, and what each decisive answer would give."""
    return _settled(verdicts, tuple((var, value, reached[0]) for var, by_value in questions
                                    for value, reached in by_value if len(reached) == 1))


def _settled(verdicts: tuple[Verdict, ...], decisive: Decisive) -> dict[str, Any]:
    outcomes, common, level, bodies, text = _settled_head(verdicts)
    conditions = [c for c in map(_condition, decisive) if c is not None]
    return {"outcomes": list(outcomes), "clauses": list(common), "level": level,
            "bodies": {k: list(v) if isinstance(v, tuple) else v for k, v in bodies},
            "if": [{"key": k, "values": list(v), "outcome": o, "clauses": list(c), "level": lv, "text": t}
                   for k, v, o, c, lv, t in conditions],
            "text": [*text, *(c[5] for c in conditions)]}


@lru_cache(maxsize=4096)
def _settled_head(verdicts: tuple[Verdict, ...]) -> tuple[Any, ...]:
    """What holds whatever the answers: (outcomes, common clauses, level, bodies, their text)."""
    outcomes = sorted({v.outcome for v in verdicts}, key=_OUTCOME_RANK.__getitem__)
    routed = [v for v in verdicts if v.outcome != "needs_information"]
    all_routed = bool(routed) and len(routed) == len(verdicts)
    common = set(routed[0].clauses) if all_routed else set()
    for v in routed[1:]:
        common &= set(v.clauses)
    levels = {v.level for v in verdicts}
    level = levels.pop() if len(levels) == 1 else None
    bodies = {}
    if all_routed:
        for key in BODY_KEYS:
            values = {getattr(v, key) for v in verdicts}
            if len(values) == 1:
                value = values.pop()
                if value:
                    bodies[key] = value
    text = []
    if len(outcomes) == 1:
        text.append(f"无论如何回答,结论均为“{OUTCOME_ZH[outcomes[0]]}”。")
    else:
        text.append(f"尚可能的结论:{'、'.join(OUTCOME_ZH[o] for o in outcomes)}。")
    if level and not any(v.outcome == "notify_only" for v in verdicts):
        text.append(f"无论如何回答,均为{LEVEL_ZH[level]}。")
    if common:
        text.append(f"无论如何回答,均适用{'、'.join(sorted(common, key=clause_sort_key))}。")
    for key, pattern in _BODY_ZH.items():
        if key in bodies:
            value = bodies[key]
            text.append("无论如何回答," + pattern.format("、".join(value) if isinstance(value, tuple) else value) + "。")
    return (tuple(outcomes), tuple(sorted(common, key=clause_sort_key)), level, tuple(bodies.items()), tuple(text))


@lru_cache(maxsize=None)   # bounded: the values of the decision variables times the verdicts
def _condition(decisive: tuple[str, Any, Verdict]) -> tuple[Any, ...] | None:
    """What a decisive answer gives, as ``settled["if"]`` says it (as a tuple), or ``None`` if not said."""
    var, value, v = decisive
    answers = _answers_for(var, value)
    if answers is None:
        return None
    key = QUESTION_KEY.get(var, var)
    said = statement(var if var == "activity" else key, value)
    return key, tuple(answers), v.outcome, tuple(v.reach()), v.level, f"若{said}:{_summary(v)}。"


def _open_template(document: Document, verdicts: tuple[Verdict, ...], mask: int, asked: tuple[str, ...],
                   decisive: Decisive) -> Template:
    """:func:`_open_parts` for a walk that leaves several verdicts, made from the parts each piece
    depends on: the verdicts' candidates, citations and settled head, the questions, and the
    wording of each decisive answer (each made once). ``mask``: the verdicts' bits in the
    document's diagram."""
    if not asked:
        return _open_parts(document, verdicts, asked, decisive, None)
    candidates, citations = _candidates(document, verdicts, mask)
    questions: dict[str, dict[str, Any]] = {}
    for var in asked:
        key = QUESTION_KEY.get(var, var)
        if key not in questions:
            questions[key] = _QUESTIONS.get(key) or _QUESTIONS.setdefault(key, question(key))
    outcomes, common, level, bodies, text = _settled_head(verdicts)
    conditions = tuple(c for c in map(_condition, decisive) if c is not None)
    settled_parts = frozen_settled(outcomes, common, level, bodies, conditions, (*text, *(c[5] for c in conditions)))
    base = _BASE.get(document.doc)
    if base is None:
        base = _BASE[document.doc] = Template(new_finding(document, "needs_information", as_of=document.valid_from))
    return base.replaced(candidates=candidates, questions=freeze_questions(list(questions.values())),
                         settled=settled_parts, citations=citations)


#: document number -> the needs_information finding with nothing asked or settled, as a template.
_BASE: dict[str, Template] = {}
#: question key -> the question as :func:`question` words it (never changed: templates copy it).
_QUESTIONS: dict[str, dict[str, Any]] = {}


def _candidates(document: Document, verdicts: tuple[Verdict, ...], mask: int
                ) -> tuple[tuple[str, ...], tuple[dict[str, str], ...]]:
    """The clauses still reachable (document order) and their citations, made once per set of verdicts
    (their ``mask``; the citations are shared by templates, which copy them on use)."""
    key = (document.doc, mask)
    parts = _CANDIDATES.get(key)
    if parts is None:
        candidates = tuple(sorted({c for v in verdicts for c in v.reach()}, key=clause_sort_key))
        parts = (candidates, tuple(unique_dicts(_cite_candidates(document, list(candidates)))))
        if len(_CANDIDATES) >= _OPEN_LIMIT:
            _CANDIDATES.clear()
        _CANDIDATES[key] = parts
    return parts


#: (document number, verdict mask) -> :func:`_candidates`.
_CANDIDATES: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[dict[str, str], ...]]] = {}


def _open_parts(document: Document, verdicts: tuple[Verdict, ...], asked: tuple[str, ...], decisive: Decisive,
                alternatives: dict[str, tuple[Verdict, ...]] | None) -> Template:
    """A needs_information finding but for the derived and presumed facts and ``extra``: candidates,
    questions (the variables ``asked``), settled, and the candidates' citations."""
    candidates = sorted({c for v in verdicts for c in v.reach()}, key=clause_sort_key)
    questions: dict[str, dict[str, Any]] = {}
    if asked:
        for var in asked:
            key = QUESTION_KEY.get(var, var)
            if key not in questions:
                questions[key] = question(key)
        summary = _settled(verdicts, decisive)
    else:
        for v in verdicts:
            for key, ask in v.asks:
                questions.setdefault(key, question(key, ask, v.candidates if key == "confirmed_route" else None))
        alt: Questions = ((("confirmed_route", tuple(alternatives.items())),) if alternatives else ())
        flat = tuple(dict.fromkeys(x for vs in (alternatives or {}).values() for x in vs)) or verdicts
        summary = settled(flat, alt)
    return Template(new_finding(document, "needs_information", as_of=document.valid_from, candidates=candidates,
                                questions=list(questions.values()), settled=summary,
                                citations=_cite_candidates(document, candidates)))


def _open_finding(document: Document, template: Template, verdicts: tuple[Verdict, ...], ctx: Context,
                  presumed_note: PresumedNote | None, extra: list[str],
                  citations: list[dict[str, str]] | None = None) -> dict[str, Any]:
    finding = instantiate(template, as_of=ctx.as_of, document=document, extra=extra, derived=ctx.derived,
                          presumed=ctx.presumed_entries(presumed_note, verdicts) if presumed_note else [])
    if citations is not None:
        finding["citations"] = [dict(c) for c in citations]
    return finding


def needs_information(document: Document, verdicts: tuple[Verdict, ...], ctx: Context, *,
                      citations: list[dict[str, str]] | None = None, extra: list[str] | None = None,
                      presumed_note: PresumedNote | None = None,
                      alternatives: dict[str, tuple[Verdict, ...]] | None = None) -> dict[str, Any]:
    """A ``needs_information`` finding for one verdict that is itself open (the text, or facts that
    contradict each other, leave several routes): its own question is asked, and ``alternatives``
    (clause -> the verdicts if that route is confirmed) say what is settled."""
    static = _open_parts(document, verdicts, (), (), alternatives)
    return _open_finding(document, static, verdicts, ctx, presumed_note, list(extra or []), citations)
