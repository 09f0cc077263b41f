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
variable is worth asking only if some value of it rules a verdict out.

What the known facts leave of the diagram below a node is a *restricted node*
(:meth:`Diagram._restrict`): the same variable, the kids restricted in turn,
shared like the nodes (equal restrictions are one node, whatever facts the
queries that made them did not read). Each restricted node is made once, with
its verdicts and its *table* (:meth:`Diagram._restricted_node`): for every
value of every variable, the verdicts reachable once that value is given, in
one integer, so that a node's table is its kids' tables OR-ed and its own
variable's slots set. The questions are ranked once per restricted node.
Restricting is memoised per node on the part of the assignment its subtree
reads (two bit-mask ANDs make the key), and the verdicts and questions below
the first unknown variable on those facts as well: a query costs a descent
and a lookup, and the nodes where it differs from every query before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from itertools import count, repeat
from typing import Any

from ._facts import Facts, Then, Unknown
from ._finding import Verdict

__all__ = ["Diagram", "Layout", "Reach"]

log = logging.getLogger(__name__)

#: Memoised sub-walks kept per diagram before the memo is emptied (bounds memory in long runs).
_MEMO_LIMIT = 50_000
#: Restricted nodes kept per diagram before they (and every memo naming them) are emptied (each
#: keeps a table of about 2 kB for the red-line rules: at most about 40 MB).
_RESTRICTED_LIMIT = 20_000



class Reach:
    """What a query leaves open under one regulation.

    ``verdicts``: the verdicts still reachable. ``questions``: the unknown
    variables whose answer can rule a verdict out, the one that settles most
    first, each with the verdicts reachable under each of its values
    (``(value, verdicts)`` pairs). ``used``: the known variables the rules read
    on the way (for listing derived and presumed facts). ``key`` identifies the
    verdicts and questions (equal keys, equal verdicts and questions).
    """

    __slots__ = ("_diagram", "mask", "_ranked", "_used", "_ident")

    def __init__(self, diagram: Diagram, mask: int, ranked: tuple[tuple[int, tuple[int, ...]], ...],
                 used: int, ident: int | None = None) -> None:
        self._diagram = diagram
        self.mask = mask
        self._ranked = ranked
        self._used = used
        self._ident = ident

    @property
    def key(self) -> Any:
        return (self.mask, self._ranked) if self._ident is None else self._ident

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return self._diagram.verdicts_of(self.mask)

    @property
    def questions(self) -> tuple[tuple[str, tuple[tuple[Any, tuple[Verdict, ...]], ...]], ...]:
        d = self._diagram
        return tuple((d.variables[i], tuple((value, d.verdicts_of(m)) for value, m in zip(d.domains[i], masks)))
                     for i, masks in self._ranked)

    @property
    def asked(self) -> tuple[str, ...]:
        """The variables of :attr:`questions`, in their order."""
        names = self._diagram.variables
        return tuple(names[i] for i, _ in self._ranked)

    @property
    def decisive(self) -> tuple[tuple[str, Any, Verdict], ...]:
        """The answers that leave one verdict: (variable, value, that verdict), in question order."""
        d = self._diagram
        return tuple((d.variables[i], value, d.verdicts[m.bit_length() - 1])
                     for i, masks in self._ranked for value, m in zip(d.domains[i], masks) if m and not m & (m - 1))

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
        #: (variable, value) -> its value bit, and its known bit above every value bit: one lookup per fact
        self._shift = offset
        self._both_bits = {(var, value): pair[0] << offset | pair[1] for var, by_value in self.bits.items()
                           for value, pair in by_value.items()}

    def encode(self, values: Mapping[str, Any]) -> tuple[int, int]:
        """(known bits, value bits) of an assignment; values outside the layout are ignored.

        A mapping holds each variable once, and each (variable, value) has bits of its own, so the
        sum is the union of the bits (known bits above the value bits)."""
        both = sum(map(self._both_bits.get, values.items(), repeat(0)))
        return both >> self._shift, both & ((1 << self._shift) - 1)


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
        #: node -> (known bit, offset of its value bits, their mask, child by the value bit set): one step down
        self._steps = [self._step(node) for node in range(len(self._var))]
        # restricted nodes (what the known facts leave of a node: see :meth:`_restricted_node`)
        self._width = -(-len(self.verdicts) // 8) * 8   # bits of one slot of a table: a verdict mask
        slots = sum(len(d) for d in self.domains)
        self._table_bytes = slots * self._width // 8
        ones = sum(1 << (s * self._width) for s in range(slots))
        self._leaf_tables = [(1 << v) * ones for v in range(len(self.verdicts))]
        full = (1 << self._width) - 1
        everything = (1 << (slots * self._width)) - 1
        self._not_slots = [everything ^ sum(full << ((self._offsets[i] + j) * self._width) for j in range(len(d)))
                           for i, d in enumerate(self.domains)]
        self._value_bits = [sum(1 << (self._offsets[i] + j) for j in range(len(d))) for i, d in enumerate(self.domains)]
        self._r_ids: dict[tuple[int, tuple[int, ...]], int] = {}
        self._r_var: list[int] = []
        self._r_kids: list[tuple[int, ...]] = []
        self._r_mask: list[int] = []
        self._r_table: list[int] = []
        self._r_met: list[int] = []
        self._r_metv: list[int] = []
        self._restricted: dict[tuple[int, int, int], tuple[int, int]] = {}
        self._r_masks: dict[tuple[int, int, int], int] = {}
        #: (restricted node, *context) -> id of (verdicts, questions); the id of each, and each id's
        self._answers: dict[tuple[Any, ...], int] = {}
        self._idents: dict[tuple[Any, ...], int] = {}
        self._answer_of: dict[int, tuple[int, tuple[tuple[int, tuple[int, ...]], ...]]] = {}
        #: front memo values: the id above the known variables read
        self._below_shift = len(self.variables)
        self._below_mask = (1 << len(self.variables)) - 1
        self._counter = count()
        self._mask_verdicts: dict[int, tuple[Verdict, ...]] = {}
        self._reach_memo: dict[tuple[Any, ...], int] = {}
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

    def _restrict(self, node: int, known: int, bits: int) -> tuple[int, int]:
        """What the known facts leave of the diagram below ``node``: a restricted node (or a leaf),
        and the known variables read on the way. Memoised per node on the facts its subtree reads."""
        node, used = self._descend(node, known, bits)
        if node < 0:
            return node, used
        supp_k, supp_v = self._supp[node]
        key = (node, known & supp_k, bits & supp_v)
        memo = self._restricted
        hit = memo.get(key)
        if hit is None:
            kids, below = [], 0
            for kid in self._kids[node]:
                r, u = self._restrict(kid, known, bits)
                kids.append(r)
                below |= u
            hit = (self._restricted_node(self._var[node], tuple(kids)), below)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[key] = hit
        return hit[0], used | hit[1]

    def _restricted_node(self, i: int, kids: tuple[int, ...]) -> int:
        """The restricted node asking variable ``i`` with ``kids`` (one per value), made once.

        Made with it: its verdicts (mask), the unknown variables met at or below it (known-bit
        mask) and their value bits, and its *table*: for every value of every variable, the
        verdicts reachable once that value is given, each in a slot of :attr:`_width` bits (a
        variable not met leaves every verdict: its slots hold the node's mask). Merging is then a
        few integer operations: the kids' tables OR-ed, the slots of ``i`` set to each kid's mask."""
        key = (i, kids)
        r = self._r_ids.get(key)
        if r is not None:
            return r
        r_mask, r_table, r_met, r_metv = self._r_mask, self._r_table, self._r_met, self._r_metv
        mask = table = met = metv = 0
        kid_masks = []
        for kid in kids:
            if kid < 0:
                m = 1 << (-1 - kid)
                table |= self._leaf_tables[-1 - kid]
            else:
                m = r_mask[kid]
                table |= r_table[kid]
                met |= r_met[kid]
                metv |= r_metv[kid]
            mask |= m
            kid_masks.append(m)
        table &= self._not_slots[i]
        width, first = self._width, self._offsets[i]
        for j, m in enumerate(kid_masks):
            table |= m << ((first + j) * width)
        r = len(r_mask)
        self._r_var.append(i)
        self._r_kids.append(kids)
        r_mask.append(mask)
        r_table.append(table)
        r_met.append(met | 1 << i)
        r_metv.append(metv | self._value_bits[i])
        self._r_ids[key] = r
        return r

    def _masks_of(self, table: bytes, i: int) -> tuple[int, ...]:
        """The verdict masks of each value of variable ``i`` in a table (as bytes, little-endian)."""
        step = self._width // 8
        start = self._offsets[i] * step
        return tuple(int.from_bytes(table[a:a + step], "little")
                     for a in range(start, start + len(self.domains[i]) * step, step))

    def _restricted_mask(self, r: int, known: int, bits: int) -> int:
        """The verdicts reachable below restricted node ``r`` once the facts ``known``/``bits`` (of
        unknown variables met there) are given."""
        if r < 0:
            return 1 << (-1 - r)
        met = self._r_met[r]
        if not known & met:
            return self._r_mask[r]
        key = (r, known & met, bits & self._r_metv[r])
        hit = self._r_masks.get(key)
        if hit is None:
            i, kids = self._r_var[r], self._r_kids[r]
            if known >> i & 1:
                j = (bits >> self._offsets[i] & ((1 << len(kids)) - 1)).bit_length() - 1
                hit = self._restricted_mask(kids[j], known, bits)
            else:
                hit = 0
                for kid in kids:
                    hit |= self._restricted_mask(kid, known, bits)
            if len(self._r_masks) >= _MEMO_LIMIT:
                self._r_masks.clear()
            self._r_masks[key] = hit
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
        context = tuple(map(values.get, getattr(follows, "reads", ()))) if follows else ()
        # memo keys and values flat (integers, booleans, None): the garbage collector need not track them
        key = (node, known & supp_k, bits & supp_v, *context)
        hit = self._reach_memo.get(key)
        if hit is None:
            if len(self._r_mask) >= _RESTRICTED_LIMIT or len(self._idents) >= _MEMO_LIMIT:
                self._forget_restricted()
            r, below = self._restrict(node, known, bits)
            ident = self._answers.get((r, *context))
            if ident is None:
                ident = self._questions(r, values, follows)
                if len(self._answers) >= _MEMO_LIMIT:
                    self._answers.clear()
                self._answers[(r, *context)] = ident
            hit = ident << self._below_shift | below
            if len(self._reach_memo) >= _MEMO_LIMIT:
                self._reach_memo.clear()
            self._reach_memo[key] = hit
        ident = hit >> self._below_shift
        mask, ranked = self._answer_of[ident]
        return Reach(self, mask, ranked, used | hit & self._below_mask, ident)

    def _forget_restricted(self) -> None:
        """Empty the restricted nodes and every memo that names them (bounds memory in long runs)."""
        for table in (self._r_var, self._r_kids, self._r_mask, self._r_table, self._r_met, self._r_metv):
            table.clear()
        for memo in (self._r_ids, self._restricted, self._r_masks, self._answers, self._reach_memo, self._idents,
                     self._answer_of):
            memo.clear()

    def _questions(self, r: int, values: Mapping[str, Any], follows: Follows | None) -> int:
        """The verdicts and ranked questions (with the verdicts each answer leaves) of restricted node
        ``r``, as an id of the two (:attr:`_answer_of`)."""
        mask, met = self._r_mask[r], self._r_met[r]
        table = self._r_table[r].to_bytes(self._table_bytes, "little")
        # ``follows.brings``, where given: the only variables whose answers may bring other facts
        brings = getattr(follows, "brings", None) if follows is not None else None
        variables, count = self.variables, mask.bit_count()
        cond, ranked = [], []
        rest = met
        while rest:
            low = rest & -rest
            rest ^= low
            i = low.bit_length() - 1
            masks = self._masks_of(table, i)
            cond.append((i, masks))
            if follows is not None and (brings is None or variables[i] in brings):
                masks = self._with_consequences(r, i, masks, values, follows)
            sizes = [m.bit_count() for m in masks]
            if min(sizes) == count:
                continue   # no answer rules anything out
            ranked.append((sum(sizes) / len(sizes), max(sizes), i, masks))
        if not ranked:
            # no single answer narrows, yet several verdicts remain (the answer depends on a
            # combination): ask every variable met
            ranked = [(0.0, 0, i, masks) for i, masks in cond]
        ranked.sort(key=lambda t: t[:3])
        questions = tuple((i, masks) for _, _, i, masks in ranked)
        return self._ident((mask, questions))

    def _ident(self, answer: tuple[int, tuple[tuple[int, tuple[int, ...]], ...]]) -> int:
        """An id of (verdicts, questions): equal ids, equal verdicts and questions (never reused)."""
        ident = self._idents.get(answer)
        if ident is None:
            ident = self._idents[answer] = next(self._counter)
            self._answer_of[ident] = answer
        return ident

    def _with_consequences(self, r: int, i: int, masks: tuple[int, ...], values: Mapping[str, Any],
                           follows: Follows) -> tuple[int, ...]:
        """The verdicts each answer to variable ``i`` leaves once the facts it brings are added
        (walked again with them, where they are unknown variables met below ``r``)."""
        out = []
        var, table, index, met = self.variables[i], self._bits, self._index, self._r_met[r]
        for value, m in zip(self.domains[i], masks):
            extra = [(other, implied) for other, implied in follows(var, value, values)
                     if other in index and met >> index[other] & 1]
            if extra:
                k, b = table[var][value]
                for other, implied in extra:
                    pair = table[other][implied]
                    k |= pair[0]
                    b |= pair[1]
                m = self._restricted_mask(r, k, b)
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

