"""What a reader learned about an input file besides its features: format, CRS and its basis, encoding, notes.

Every footprint reader fills a :class:`SourceMeta`; :func:`shgeo.inputs.footprints.read_footprints`
puts it into ``gdf.attrs`` (``source_format``, ``source_crs``, ``crs_basis``,
``encoding``, ``problems``, ``unread_fields``) and the reports show it per
project (report.json's ``input`` block).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from pyproj import CRS

if TYPE_CHECKING:
    import geopandas as gpd

    from .gauss_kruger import Zone

__all__ = ["SourceMeta", "ReadResult", "CRS_DECLARED", "CRS_FROM_FILE", "CRS_FROM_PREFIX", "CRS_GIVEN",
           "CRS_BASES", "FORMAT_TXT", "FORMAT_DXF", "FORMAT_XLSX_TABLE", "FORMAT_CSV_TABLE", "FORMAT_CSV",
           "SURVEY_FORMATS"]

#: How the CRS of an input was determined (``crs_basis``).
CRS_DECLARED: Final = "declared"  # the file declares it in machine-readable form (.prj, GeoPackage, GeoJSON, KML)
CRS_FROM_FILE: Final = "from the file"  # worked out from what the file says in words (txt 坐标系 / 几度分带 / 带号)
CRS_FROM_PREFIX: Final = "from the zone prefix"  # the eastings' zone prefix, CGCS2000 assumed
CRS_GIVEN: Final = "given by the user"  # crs= / --crs
CRS_BASES: Final = (CRS_DECLARED, CRS_FROM_FILE, CRS_FROM_PREFIX, CRS_GIVEN)

#: ``source_format`` of the survey formats (GIS files carry GDAL's driver name, e.g. "ESRI Shapefile").
FORMAT_TXT: Final = "界址点坐标交换格式"
FORMAT_DXF: Final = "DXF"
FORMAT_XLSX_TABLE: Final = "XLSX 坐标表"
FORMAT_CSV_TABLE: Final = "CSV 坐标表"
FORMAT_CSV: Final = "CSV"
#: Formats whose file is one project by default, its parcels (or closed shapes) the parts.
SURVEY_FORMATS: Final = (FORMAT_TXT, FORMAT_DXF, FORMAT_XLSX_TABLE, FORMAT_CSV_TABLE)


@dataclass
class SourceMeta:
    """What a reader learned about a file besides its features."""

    path: Path
    format: str
    crs: CRS | None = None
    epsg: int | None = None
    crs_basis: str | None = None  #: one of :data:`CRS_BASES`
    #: ``"gcj02"`` / ``"bd09"`` when the user named web-map lon/lat (no pyproj CRS describes them)
    web_map: str | None = None
    #: a CRS the user gave that was not used (the file declares its own), said in words
    unused_crs: str | None = None
    zone: Zone | None = None
    zone_prefixed: bool | None = None
    axes_swapped: bool = False
    encoding: str | None = None
    #: what the file says about itself: txt [属性描述] key=values, DXF $ACADVER/$DWGCODEPAGE/$INSUNITS, table columns
    header: dict[str, str] = field(default_factory=dict)
    #: remarks for the report: assumptions made, swapped axes, closed rings, zone prefix over 带号 …
    notes: list[str] = field(default_factory=list)
    #: fields that could not be read (undecodable text, names cut short by the DBF's 10-byte limit)
    unread_fields: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Add a remark once."""
        if text not in self.notes:
            self.notes.append(text)

    @property
    def crs_name(self) -> str | None:
        """``"EPSG:4528"``, ``"gcj02"``, or the CRS's PROJ string when it has no EPSG code."""
        if self.web_map:
            return self.web_map
        if self.crs is None:
            return None
        epsg = self.epsg if self.epsg is not None else self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg is not None else self.crs.to_string()


class ReadResult(NamedTuple):
    """``frame, meta = read_boundary_txt(path)``: features in the file's CRS and what was learned."""

    frame: gpd.GeoDataFrame
    meta: SourceMeta
