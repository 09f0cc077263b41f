"""The input stage: project footprints and attributes, read from the files they arrive in.

:mod:`.vector` (any format GDAL reads, zips, code pages), :mod:`.tables`
(CSV of WKT or lon/lat), :mod:`.footprints` (reading, CRS and extent checks,
geometry preparation), :mod:`.chinacoords` (GCJ-02 / BD-09), :mod:`.ids`,
:mod:`.attributes` (declared project facts), :mod:`.discovery` (which files
of a folder are footprints) and :mod:`.batch` (a batch of files into frames,
bad features isolated).
"""

from .discovery import INPUT_SUFFIXES, OUTPUT_MARKER, discover_inputs
from .footprints import prepare_footprints, read_footprints
from .vector import read_vector

__all__ = ["read_footprints", "prepare_footprints", "read_vector", "discover_inputs", "INPUT_SUFFIXES",
           "OUTPUT_MARKER"]
