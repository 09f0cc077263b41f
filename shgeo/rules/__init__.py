"""Rules of the two regulations shgeo decides, one module per regulation.

- :mod:`shgeo.rules.redline` — 沪府办发〔2025〕8号 (生态保护红线内有限人为活动和重大项目占用)
- :mod:`shgeo.rules.groundwater` — 沪环规〔2025〕1号 (地下水污染防治重点区划定及管控方案)

Each module states its rules over decision variables (``decide``, pure and
monotone), compiles them once into a decision diagram and words the verdict a
query reaches (``assess``: one finding, or ``None`` when the regulation does
not touch the project). :func:`shgeo.rules.decision.route`
(:mod:`.decision`, the JSON decision interface) runs both. Rules never touch geometry.
"""

from __future__ import annotations

from . import groundwater, redline
from ._finding import FINDING_KEYS, OUTCOMES, ROUTED_OUTCOMES
from ._vocabulary import ASK, OUTCOME_ZH

__all__ = ["ASK", "FINDING_KEYS", "OUTCOMES", "OUTCOME_ZH", "ROUTED_OUTCOMES", "groundwater", "redline"]
