"""The decision variables a rule reads, and how rules of one scope are chosen between.

A regulation module states its rules over *decision variables*: the facts
that can change what the regulation decides (booleans, or a small closed set
such as the 附件 activity kind). :class:`Facts` is a partial assignment of
them: a variable is known (one of its values) or unknown (``None``).

Three-valued logic: :func:`all3`, :func:`any3` and :func:`not3` combine
``True``/``False``/``None`` the Kleene way, so a condition is decided as soon
as the known facts decide it, whatever the unknown ones turn out to be.

:func:`select` applies a scope of :class:`Rule`\\ s the Catala way: every rule
whose condition holds fires; a rule named in a firing rule's ``exception_to``
is set aside; if more than one rule is left, the rules contradict each other
and :class:`~shgeo.errors.RuleConflictError` is raised (a bug in shgeo, never a
pick). If a condition that could change the choice is undecided,
:class:`Unknown` names the variables it needs.

A rule module's ``decide(facts)`` must be *monotone*: it returns a verdict
only when every completion of the unknown variables gives that verdict, and
raises :class:`Unknown` otherwise. Once a step of the decision is settled by
the facts it read, it may return :class:`Then` (the rest of the decision):
the rest is then run on the same facts, and on each completion of the
variables it needs, without deciding the settled step again. Defaults (facts presumed absent, readings
of the text) are applied to the query before the rules see it
(:mod:`._derivation`), never inside them. :mod:`._diagram` relies on this to
compile each regulation once into a decision diagram.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RuleConflictError

__all__ = ["BOOL", "Facts", "Rule", "Then", "Tri", "Unknown", "all3", "any3", "not3", "select"]

Tri = bool | None

#: The domain of a yes/no decision variable.
BOOL: tuple[bool, bool] = (True, False)


class Unknown(Exception):
    """A rule needs decision variables that are unknown; ``keys`` in the order they were met."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = list(dict.fromkeys(keys))
        super().__init__(", ".join(self.keys))


def all3(*values: Tri) -> Tri:
    """Kleene AND: False if any is False, True if all are True, else unknown."""
    if False in values:
        return False
    return None if None in values else True


def any3(*values: Tri) -> Tri:
    """Kleene OR: True if any is True, False if all are False, else unknown."""
    if True in values:
        return True
    return None if None in values else False


def not3(value: Tri) -> Tri:
    return None if value is None else not value


class Facts:
    """A partial assignment of a regulation's decision variables.

    ``values`` maps a variable to its value; a variable it lacks is unknown.
    """

    __slots__ = ("values", "_seen")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self._seen: list[str] | None = None

    def get(self, key: str) -> Any:
        """The value of ``key``, or ``None`` if unknown (noted as needed while a condition is evaluated)."""
        value = self.values.get(key)
        if value is None and self._seen is not None:
            self._seen.append(key)
        return value

    def need(self, *keys: str) -> Any:
        """The value of each key; raise :class:`Unknown` naming all that are unknown."""
        values = [self.values.get(k) for k in keys]
        missing = [k for k, v in zip(keys, values) if v is None]
        if missing:
            raise Unknown(missing)
        return values[0] if len(values) == 1 else values

    def is_confirmed(self, token: str) -> Tri:
        """Whether the applicant confirmed the route ``token`` (``confirmed_route``; known in every query)."""
        return self.get(f"confirmed:{token}")

    def evaluate(self, condition: Callable[[Facts], Tri]) -> tuple[Tri, list[str]]:
        """The value of ``condition`` and the unknown variables it looked at."""
        self._seen = []
        try:
            return condition(self), self._seen
        finally:
            self._seen = None


class Then:
    """The rest of a decision, returned once the facts read so far have settled a step.

    ``key`` (hashable: which rest, in which state) and ``reads`` (every variable the
    rest may read) let :mod:`._diagram` compile the rest once for all the
    assignments that agree on ``reads``; compiling checks that nothing else is read.
    """

    __slots__ = ("rest", "key", "reads")

    def __init__(self, rest: Callable[[Facts], Any], key: Any = None, reads: tuple[str, ...] = ()) -> None:
        self.rest = rest
        self.key = key
        self.reads = reads


@dataclass(frozen=True)
class Rule:
    """One rule of a scope: fires when ``when`` holds; overrides the rules named in ``exception_to``."""

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
    needed: dict[str, list[str]] = {}
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
            f"exception to the others (facts: {dict(facts.values)})"
        )
    return winners[0] if winners else None
