"""The overlay stage: exact spatial facts for every footprint against every layer kind.

:func:`overlay` (in :mod:`.engine`) measures; :class:`OverlayResult` (in
:mod:`.result`) holds what it found; :mod:`.pieces` splits the layers into
indexed pieces once per library; :mod:`.measures` holds the per-chunk
measuring.  No module here knows a clause.
"""

from .engine import overlay
from .measures import POSSIBLE_BOUNDARY_MISMATCH
from .pieces import DEFAULT_MAX_VERTICES, PreparedLayers, prepare_layers, subdivide
from .result import HIT_COLUMNS, SPATIAL_KEYS, OverlayResult

__all__ = ["overlay", "OverlayResult", "PreparedLayers", "prepare_layers", "subdivide", "HIT_COLUMNS",
           "SPATIAL_KEYS", "POSSIBLE_BOUNDARY_MISMATCH", "DEFAULT_MAX_VERTICES"]
