"""The input stage: project footprints and attributes, read from the files they arrive in.

:mod:`.formats` (which reader reads a file; the CRS of GIS files),
:mod:`.vector` (any format GDAL reads, zips, code pages), :mod:`.tables`
(CSV of WKT or lon/lat; coordinate tables in CSV/XLSX), :mod:`.boundary_txt`
(界址点坐标交换格式), :mod:`.dxf` (CAD drawings), :mod:`.gauss_kruger` (zones,
zone prefixes, axis order), :mod:`.survey_crs` (the CRS of survey files),
:mod:`.rings` (holes and parts by nesting), :mod:`.parcels` (parcel columns,
地块面积 check), :mod:`.sources` (what a reader learned about a file),
:mod:`.encodings` (UTF-8 or GBK, told from the bytes), :mod:`.footprints`
(reading, CRS and extent checks, geometry preparation), :mod:`.chinacoords`
(GCJ-02 / BD-09), :mod:`.ids`, :mod:`.attributes` (declared project facts),
:mod:`.discovery` (which files of a folder are footprints) and :mod:`.batch`
(a batch of files into frames, bad features isolated, a project per survey
file).
"""

from .boundary_txt import read_boundary_txt
from .discovery import INPUT_SUFFIXES, OUTPUT_MARKER, discover_inputs
from .dxf import list_dxf_layers, read_dxf
from .footprints import prepare_footprints, read_footprints
from .tables import read_coordinate_table
from .vector import read_vector

__all__ = ["read_footprints", "prepare_footprints", "read_vector", "read_boundary_txt", "read_dxf",
           "list_dxf_layers", "read_coordinate_table", "discover_inputs", "INPUT_SUFFIXES", "OUTPUT_MARKER"]
