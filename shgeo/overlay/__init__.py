"""The overlay stage: exact spatial facts for every footprint against every layer kind.

:func:`overlay` (in :mod:`.engine`) measures; :class:`OverlayResult` (in
:mod:`.result`) holds what it found; :mod:`.pieces` splits the layers into
indexed pieces once per library; :mod:`.measures` holds the per-chunk
measuring; :mod:`.extent` where a footprint lies (its share outside
Shanghai, its exposure to a GCJ-02 mix-up).  No module here knows a clause.
"""

from .engine import overlay
from .extent import EXTENT_TOLERANCE_M
from .measures import ON_BOUNDARY, POSSIBLE_BOUNDARY_MISMATCH
from .pieces import DEFAULT_MAX_VERTICES, PreparedLayers, prepare_layers, subdivide
from .result import FLAGS, HIT_COLUMNS, SPATIAL_KEYS, OverlayResult

__all__ = ["overlay", "OverlayResult", "PreparedLayers", "prepare_layers", "subdivide", "HIT_COLUMNS",
           "SPATIAL_KEYS", "FLAGS", "POSSIBLE_BOUNDARY_MISMATCH", "ON_BOUNDARY", "DEFAULT_MAX_VERTICES",
           "EXTENT_TOLERANCE_M"]
