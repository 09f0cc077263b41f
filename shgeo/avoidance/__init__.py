"""Avoidance analysis for linear works (附件 六: 必须且无法避让) and the constraint raster it runs on.

:mod:`.raster` rasterises the layers into constraint classes and costs;
:mod:`.routing` finds the least-cost alternative to a proposed line and
measures both routes exactly against the vector layers.
"""

from .raster import build_constraint_raster
from .routing import AvoidanceResult, analyse_footprint, analyse_line

__all__ = ["AvoidanceResult", "analyse_line", "analyse_footprint", "build_constraint_raster"]
