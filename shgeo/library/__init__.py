"""The layer library: manifests, the regulatory layers they name, their checks and index.

:mod:`.kinds` (the closed set of layer kinds), :mod:`.manifest` (TOML
manifests), :mod:`.villages` (the 16 control villages of 沪环规〔2025〕1号 and
their matching), :mod:`.layers` (:class:`LayerLibrary`, :func:`check_library`:
loading, every check at once, working CRS, checksums), :mod:`.checks` (codes
and names the rules read), :mod:`.published` and :mod:`.plausibility` (the
published figures), :mod:`.postgis` (PostGIS sources) and :mod:`.survey`
(a manifest proposed from a folder).
"""

from .layers import LayerLibrary, LayerSource, LibraryCheck, check_library, load_library
from .manifest import read_manifest
from .villages import CONTROL_VILLAGES, select_control_villages

__all__ = ["LayerLibrary", "LayerSource", "LibraryCheck", "check_library", "load_library", "read_manifest",
           "CONTROL_VILLAGES", "select_control_villages"]
