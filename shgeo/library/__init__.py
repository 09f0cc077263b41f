"""The layer library: manifests, the regulatory layers they name, their checks and index.

:mod:`.kinds` (the closed set of layer kinds), :mod:`.manifest` (TOML
manifests), :mod:`.villages` (the 16 control villages of 沪环规〔2025〕1号 and
their matching) and :mod:`.layers` (:class:`LayerLibrary`: loading, checks,
working CRS, checksums).
"""

from .layers import LayerLibrary, LayerSource, load_library
from .manifest import read_manifest
from .villages import CONTROL_VILLAGES, select_control_villages

__all__ = ["LayerLibrary", "LayerSource", "load_library", "read_manifest", "CONTROL_VILLAGES",
           "select_control_villages"]
