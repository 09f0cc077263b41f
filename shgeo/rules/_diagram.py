"""A regulation's rules compiled once into a decision diagram, and walked per query.

Compiling: the rule module's monotone ``decide(facts)`` (see :mod:`._facts`) is
run on partial assignments, starting from "everything unknown"; where it
raises :class:`~._facts.Unknown`, the diagram branches on the first variable
named, one child per value. A node whose children are all the same is
dropped, and equal nodes are shared, so a variable appears below a node only
if some value of it changes some verdict there. Compiling meets every
assignment, so two rules that fire together without stated precedence raise
:class:`~shgeo.errors.RuleConflictError` here, before any query is answered.

Walking (:meth:`Diagram.reach`): a known variable takes its branch, an unknown
one takes all. The walk returns the verdicts still reachable and, for every
unknown variable met, the verdicts reachable under each of its values: a
variable is worth asking only if some value of it rules a verdict out. Each
sub-walk is memoised on the part of the assignment its subtree reads (two
bit-mask ANDs make the key), so a query costs the nodes where it differs from
the ones before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from itertools import repeat
from operator import or_
from typing import Any

from ._facts import Facts, Then, Unknown
from ._finding import Verdict

__all__ = ["Diagram", "Layout", "Reach"]

log = logging.getLogger(__name__)

#: Memoised sub-walks kept per diagram before the memo is emptied (bounds memory in long runs).
_MEMO_LIMIT = 50_000

_NO_COND: dict[int, tuple[int, ...]] = {}


class Reach:
    """What a query leaves open under one regulation.

    ``verdicts``: the verdicts still reachable. ``questions``: the unknown
    variables whose answer can rule a verdict out, the one that settles most
    first, each with the verdicts reachable under each of its values
    (``(value, verdicts)`` pairs). ``used``: the known variables the rules read
    on the way (for listing derived and presumed facts). ``key`` identifies the
    verdicts and questions (equal keys, equal verdicts and questions).
    """

    __slots__ = ("_diagram", "mask", "_ranked", "_used")

    def __init__(self, diagram: Diagram, mask: int, ranked: tuple[tuple[int, tuple[int, ...]], ...],
                 used: int) -> None:
        self._diagram = diagram
        self.mask = mask
        self._ranked = ranked
        self._used = used

    @property
    def key(self) -> tuple[int, tuple[tuple[int, tuple[int, ...]], ...]]:
        return self.mask, self._ranked

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return self._diagram.verdicts_of(self.mask)

    @property
    def questions(self) -> tuple[tuple[str, tuple[tuple[Any, tuple[Verdict, ...]], ...]], ...]:
        d = self._diagram
        return tuple((d.variables[i], tuple((value, d.verdicts_of(m)) for value, m in zip(d.domains[i], masks)))
                     for i, masks in self._ranked)

    @property
    def used(self) -> tuple[str, ...]:
        return self.used_among(-1)

    def used_among(self, mask: int) -> tuple[str, ...]:
        """The variables read that are among the known-bits ``mask`` (in layout order)."""
        names, used, out = self._diagram.variables, self._used & mask, []
        while used:
            low = used & -used
            out.append(names[low.bit_length() - 1])
            used ^= low
        return tuple(out)


class Layout:
    """The decision variables and their values, each given a bit: an assignment is two integers
    (which variables are known, which value each known one has), made once per query and shared by
    every diagram over the same layout."""

    def __init__(self, variables: Mapping[str, Iterable[Any]]) -> None:
        self.variables = tuple(variables)
        self.domains = tuple(tuple(variables[v]) for v in self.variables)
        self.index = {v: i for i, v in enumerate(self.variables)}
        self.offsets = []
        offset = 0
        for domain in self.domains:
            self.offsets.append(offset)
            offset += len(domain)
        #: variable -> value -> (known bit, value bit)
        self.bits = {var: {value: (1 << i, 1 << (self.offsets[i] + j)) for j, value in enumerate(domain)}
                     for i, (var, domain) in enumerate(zip(self.variables, self.domains))}
        #: (variable, value) -> known bit, and -> value bit: one lookup per fact
        self._known_bit = {(var, value): pair[0] for var, by_value in self.bits.items()
                           for value, pair in by_value.items()}
        self._value_bit = {(var, value): pair[1] for var, by_value in self.bits.items()
                           for value, pair in by_value.items()}

    def encode(self, values: Mapping[str, Any]) -> tuple[int, int]:
        """(known bits, value bits) of an assignment; values outside the layout are ignored.

        A mapping holds each variable once, and each (variable, value) has bits of its own, so the
        sums are the unions of the bits."""
        items = values.items()
        return (sum(map(self._known_bit.get, items, repeat(0))),
                sum(map(self._value_bit.get, items, repeat(0))))


class Diagram:
    """The reduced decision diagram of one regulation's rules over the decision variables of ``layout``."""

    def __init__(self, layout: Layout, decide: Callable[[Facts], Verdict]) -> None:
        self.layout = layout
        self.variables = layout.variables
        self.domains = layout.domains
        self._index = layout.index
        self._offsets = layout.offsets
        self._bits = layout.bits
        self.verdicts: list[Verdict] = []
        self._verdict_ids: dict[Verdict, int] = {}
        self._signatures: dict[tuple[Any, ...], Verdict] = {}
        self._var: list[int] = []
        self._kids: list[tuple[int, ...]] = []
        self._supp: list[tuple[int, int]] = []
        self._nodes: dict[tuple[int, tuple[int, ...]], int] = {}
        self._decide = decide
        self._rests: dict[tuple[Any, ...], int] = {}
        self._reading: list[set[str]] = []
        self.root = self._explore({})
        self._leaf_results = [(1 << v, _NO_COND, 0) for v in range(len(self.verdicts))]
        #: node -> (known bit, offset of its value bits, their mask, child by the value bit set): one step down
        self._steps = [self._step(node) for node in range(len(self._var))]
        self._memo: dict[tuple[int, int, int], tuple[int, dict[int, tuple[int, ...]], int]] = {}
        self._mask_verdicts: dict[int, tuple[Verdict, ...]] = {}
        self._mask_memo: dict[tuple[int, int, int], int] = {}
        self._reach_memo: dict[tuple[Any, ...], tuple[int, tuple[tuple[int, tuple[int, ...]], ...], int]] = {}
        log.debug("compiled %d nodes, %d verdicts", len(self._var), len(self.verdicts))

    def __len__(self) -> int:
        return len(self._var)

    # -- compiling --------------------------------------------------------------
    def _leaf(self, verdict: Verdict) -> int:
        vid = self._verdict_ids.get(verdict)
        if vid is None:
            twin = self._signatures.get(verdict.signature())
            if twin is not None:
                raise ValueError(f"rules {twin.kind!r} and {verdict.kind!r} decide the same: give them one verdict")
            vid = len(self.verdicts)
            self.verdicts.append(verdict)
            self._verdict_ids[verdict] = vid
            self._signatures[verdict.signature()] = verdict
        return -1 - vid

    def _facts(self, partial: dict[str, Any]) -> Facts:
        return Facts(_Reading(partial, self._reading) if self._reading else partial)

    def _explore(self, partial: dict[str, Any], step: Callable[[Facts], Any] | None = None) -> int:
        step = step or self._decide
        try:
            verdict = step(self._facts(partial))
            while isinstance(verdict, Then):   # a settled step: go on with the rest, same facts
                if verdict.key is not None:
                    return self._explore_rest(partial, verdict)
                step = verdict.rest
                verdict = step(self._facts(partial))
        except Unknown as unknown:
            var = unknown.keys[0]
            if var not in self._index:
                raise ValueError(f"a rule needs {var!r}, which is not a decision variable") from None
            if var in partial:
                raise ValueError(f"a rule asked for {var!r} although it is known") from None
            i = self._index[var]
            kids = tuple(self._explore({**partial, var: value}, step) for value in self.domains[i])
            if all(k == kids[0] for k in kids):
                return kids[0]
            node = self._nodes.get((i, kids))
            if node is None:
                node = len(self._var)
                supp_k, supp_v = 1 << i, sum(pair[1] for pair in self._bits[var].values())
                for kid in kids:
                    if kid >= 0:
                        supp_k |= self._supp[kid][0]
                        supp_v |= self._supp[kid][1]
                self._var.append(i)
                self._kids.append(kids)
                self._supp.append((supp_k, supp_v))
                self._nodes[(i, kids)] = node
            return node
        return self._leaf(verdict)

    def _explore_rest(self, partial: dict[str, Any], rest: Then) -> int:
        """The rest of a decision, compiled once per assignment of the variables it reads."""
        key = (rest.key, tuple(partial.get(v) for v in rest.reads))
        node = self._rests.get(key)
        if node is None:
            read: set[str] = set()
            self._reading.append(read)
            try:
                node = self._explore(partial, rest.rest)
            finally:
                self._reading.pop()
            if not read <= set(rest.reads):
                raise ValueError(f"the rest of a decision read {sorted(read - set(rest.reads))}, "
                                 f"which it does not declare in reads={rest.reads}")
            self._rests[key] = node
        return node

    # -- walking ------------------------------------------------------------------
    def _walk(self, node: int, known: int, bits: int) -> tuple[int, dict[int, tuple[int, ...]], int]:
        """(verdict mask, {unknown variable: verdict mask per value}, known variables read) below ``node``."""
        node, used = self._descend(node, known, bits)
        if node < 0:
            mask, cond, below = self._leaf_results[-1 - node]
        else:
            mask, cond, below = self._branch(node, known, bits)
        return mask, cond, used | below

    def _step(self, node: int) -> tuple[int, int, int, tuple[int, ...]]:
        i, kids = self._var[node], self._kids[node]
        by_bit = [0] * (1 << len(kids))   # indexed by the value bits of the variable (one is set)
        for j, kid in enumerate(kids):
            by_bit[1 << j] = kid
        return 1 << i, self._offsets[i], (1 << len(kids)) - 1, tuple(by_bit)

    def _descend(self, node: int, known: int, bits: int) -> tuple[int, int]:
        """Follow the branches of known variables from ``node``: the first node whose variable is
        unknown (or a leaf), and the known variables read on the way."""
        used = 0
        steps = self._steps
        while node >= 0:
            bit, offset, width, child = steps[node]
            if not known & bit:
                break
            used |= bit
            node = child[bits >> offset & width]
        return node, used

    def _branch(self, node: int, known: int, bits: int) -> tuple[int, dict[int, tuple[int, ...]], int]:
        """:meth:`_walk` at a node whose variable is unknown: every branch, memoised."""
        supp_k, supp_v = self._supp[node]
        key = (node, known & supp_k, bits & supp_v)
        memo = self._memo
        hit = memo.get(key)
        if hit is not None:
            return hit
        i = self._var[node]
        parts = [self._walk(kid, known, bits) for kid in self._kids[node]]
        if len(parts) == 2:   # a yes/no variable: the common case, merged pairwise
            (m0, c0, u0), (m1, c1, u1) = parts
            if c1:
                cond = {var: tuple(map(or_, t0, c1[var])) if var in c1 else tuple(map(m1.__or__, t0))
                        for var, t0 in c0.items()}
                for var, t1 in c1.items():
                    if var not in c0:
                        cond[var] = tuple(map(m0.__or__, t1))
            else:   # the other branch a leaf (or asks nothing): its verdicts join every answer
                cond = {var: tuple(map(m1.__or__, t0)) for var, t0 in c0.items()}
            cond[i] = (m0, m1)
            result = (m0 | m1, cond, u0 | u1)
        else:
            mask = used = 0
            for part in parts:
                mask |= part[0]
                used |= part[2]
            cond = {}
            for part in parts:
                for var in part[1]:
                    if var not in cond:   # per value: the verdicts of every branch under it
                        width = len(self.domains[var])
                        rows = [c[var] if var in c else (m,) * width for m, c, _ in parts]
                        cond[var] = tuple(map(_or, zip(*rows)))
            cond[i] = tuple(part[0] for part in parts)
            result = (mask, cond, used)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = result
        return result

    def _mask(self, node: int, known: int, bits: int) -> int:
        """The verdicts reachable below ``node`` (as :meth:`_walk`, without the questions)."""
        steps = self._steps
        while node >= 0:
            bit, offset, width, child = steps[node]
            if not known & bit:
                break
            node = child[bits >> offset & width]
        if node < 0:
            return 1 << (-1 - node)
        supp_k, supp_v = self._supp[node]
        key = (node, known & supp_k, bits & supp_v)
        hit = self._mask_memo.get(key)
        if hit is None:
            hit = 0
            for kid in self._kids[node]:
                hit |= self._mask(kid, known, bits)
            if len(self._mask_memo) >= _MEMO_LIMIT:
                self._mask_memo.clear()
            self._mask_memo[key] = hit
        return hit

    def verdicts_of(self, mask: int) -> tuple[Verdict, ...]:
        """The verdicts of the bits set in ``mask``."""
        out = self._mask_verdicts.get(mask)
        if out is None:
            found, rest = [], mask
            while rest:
                low = rest & -rest
                found.append(self.verdicts[low.bit_length() - 1])
                rest ^= low
            out = tuple(found)
            if len(self._mask_verdicts) < _MEMO_LIMIT:
                self._mask_verdicts[mask] = out
        return out

    def reach(self, values: Mapping[str, Any], encoded: tuple[int, int] | None = None,
              follows: Follows | None = None) -> Reach:
        """The verdicts reachable from the known ``values`` (``encoded``: their :meth:`Layout.encode`,
        if already made), the questions that narrow them, the variables read.

        ``follows(var, value, values)`` names the facts an answer brings with it (derived from it);
        an answer is then judged with them: the verdicts it leaves are those its own branches and
        each fact that follows leave."""
        known, bits = encoded or self.layout.encode(values)
        node, used = self._descend(self.root, known, bits)
        if node < 0:   # one verdict: nothing to ask
            return Reach(self, 1 << (-1 - node), (), used)
        # below the first unknown variable: the verdicts and questions depend only on the facts this
        # part of the diagram reads (and those ``follows`` consults), so they are memoised on them
        supp_k, supp_v = self._supp[node]
        context = tuple(map(values.get, getattr(follows, "reads", ()))) if follows else None
        key = (node, known & supp_k, bits & supp_v, context)
        hit = self._reach_memo.get(key)
        if hit is None:
            hit = self._questions(node, known, bits, values, follows)
            if len(self._reach_memo) >= _MEMO_LIMIT:
                self._reach_memo.clear()
            self._reach_memo[key] = hit
        mask, ranked, below = hit
        return Reach(self, mask, ranked, used | below)

    def _questions(self, node: int, known: int, bits: int, values: Mapping[str, Any],
                   follows: Follows | None) -> tuple[int, tuple[tuple[int, tuple[int, ...]], ...], int]:
        """(verdicts, ranked questions with the verdicts each answer leaves, variables read) below ``node``."""
        mask, cond, used = self._branch(node, known, bits)
        ranked = []
        # ``follows.brings``, where given: the only variables whose answers may bring other facts
        brings = getattr(follows, "brings", None) if follows is not None else None
        variables, count = self.variables, mask.bit_count()
        for i, masks in cond.items():
            if follows is not None and (brings is None or variables[i] in brings):
                masks = self._with_consequences(i, masks, cond, values, follows, node, known, bits)
            sizes = [m.bit_count() for m in masks]
            if min(sizes) == count:
                continue   # no answer rules anything out
            ranked.append((sum(sizes) / len(sizes), max(sizes), i, masks))
        if not ranked:
            # no single answer narrows, yet several verdicts remain (the answer depends on a
            # combination): ask every variable met
            ranked = [(0.0, 0, i, masks) for i, masks in cond.items()]
        ranked.sort(key=lambda t: t[:3])
        return mask, tuple((i, masks) for _, _, i, masks in ranked), used

    def _with_consequences(self, i: int, masks: tuple[int, ...], cond: dict[int, tuple[int, ...]],
                           values: Mapping[str, Any], follows: Follows, node: int, known: int,
                           bits: int) -> tuple[int, ...]:
        """The verdicts each answer to variable ``i`` leaves once the facts it brings are added
        (walked again with them, where they are unknown variables the walk met)."""
        out = []
        var, table, index = self.variables[i], self._bits, self._index
        for value, m in zip(self.domains[i], masks):
            extra = [(other, implied) for other, implied in follows(var, value, values)
                     if index.get(other) in cond]
            if extra:
                k, b = table[var][value]
                for other, implied in extra:
                    pair = table[other][implied]
                    k |= pair[0]
                    b |= pair[1]
                m = self._mask(node, known | k, bits | b)
            out.append(m)
        return tuple(out)


Follows = Callable[[str, Any, Mapping[str, Any]], tuple[tuple[str, Any], ...]]


class _Reading(dict):
    """A partial assignment that notes every variable read (to check a rest's declared reads)."""

    def __init__(self, partial: dict[str, Any], reading: list[set[str]]) -> None:
        super().__init__(partial)
        self._reading = reading

    def get(self, key: str, default: Any = None) -> Any:
        for read in self._reading:
            read.add(key)
        return super().get(key, default)


def _or(masks: Iterable[int]) -> int:
    return reduce(or_, masks, 0)
