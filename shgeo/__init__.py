"""shgeo — geospatial compliance screening for Shanghai.

The public API, flat::

    import shgeo
    lib = shgeo.load_library()                    # the sample pack, or a manifest path
    fp = shgeo.read_footprints("projects.gpkg")    # any CRS, checked, in the working CRS
    ov = shgeo.overlay(fp, lib)                    # exact overlaps and spatial facts
    shgeo.route({"spatial": ..., "project": ...})  # the JSON decision interface
    res = shgeo.screen("projects.gpkg")            # all of the above, with reports and maps
    res.map()                                      # folium map, renders inline in Jupyter
"""

from ._version import __version__
from .avoidance import AvoidanceResult, analyse_line, build_constraint_raster
from .crs import WORKING_CRS
from .errors import (
    CRSError,
    ExtentError,
    FootprintError,
    InputFormatError,
    LayerError,
    LocalGridError,
    ManifestError,
    QueryError,
    RuleConflictError,
    ShgeoError,
    UnknownKindError,
    UnsupportedFileError,
)
from .inputs import read_footprints, read_vector
from .library import CONTROL_VILLAGES, LayerLibrary, LayerSource, load_library, read_manifest, select_control_villages
from .overlay import OverlayResult, overlay
from .results import ProjectResult, ScreenResult
from .rules.decision import route, validate_query
from .screening import screen

__all__ = [
    "__version__",
    "WORKING_CRS",
    # layers
    "load_library",
    "LayerLibrary",
    "LayerSource",
    "read_manifest",
    "read_vector",
    "CONTROL_VILLAGES",
    "select_control_villages",
    # footprints and overlay
    "read_footprints",
    "overlay",
    "OverlayResult",
    # rules
    "route",
    "validate_query",
    # the pipeline
    "screen",
    "ScreenResult",
    "ProjectResult",
    # avoidance
    "analyse_line",
    "AvoidanceResult",
    "build_constraint_raster",
    # errors
    "ShgeoError",
    "ManifestError",
    "LayerError",
    "CRSError",
    "ExtentError",
    "FootprintError",
    "InputFormatError",
    "UnsupportedFileError",
    "LocalGridError",
    "QueryError",
    "RuleConflictError",
    "UnknownKindError",
]
