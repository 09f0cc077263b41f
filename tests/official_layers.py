"""A folder of official-style layers built from the sample pack, as a bureau would deliver them.

GBK shapefiles without ``.cpg`` in EPSG:4549 (CGCS2000 3° Gauss-Krüger CM 120°E, no zone prefix) with
Chinese field names, a FileGDB holding the protected areas and the level-1 water-source zones, and no
island layer (one statutory kind missing).  The geometry is the sample pack's (illustrative).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from shgeo.library.layers import default_manifest_path

SAMPLE_GPKG = default_manifest_path().parent / "shanghai_sample.gpkg"


def _shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    gdf.to_crs(4549).to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as delivered: no code page file


def build(folder: Path) -> Path:
    """Write the layer folder into *folder* and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    read = lambda layer: gpd.read_file(SAMPLE_GPKG, layer=layer)  # noqa: E731
    red = read("redline")
    _shapefile(gpd.GeoDataFrame({"红线名称": red["name"], "红线编号": red["code"]}, geometry=red.geometry),
               folder / "生态保护红线.shp")
    core = read("core_zone")
    _shapefile(gpd.GeoDataFrame({"名称": core["name"], "所属保护区": core["category"]}, geometry=core.geometry),
               folder / "自然保护地核心保护区.shp")
    villages = read("groundwater_village")
    _shapefile(gpd.GeoDataFrame({"村名称": villages["name"], "村代码": villages["code"]}, geometry=villages.geometry),
               folder / "地下水污染防治管控村.shp")
    districts = read("district")
    _shapefile(gpd.GeoDataFrame({"区名称": districts["name"], "行政区代码": districts["code"]},
                                geometry=districts.geometry), folder / "区界.shp")
    sea = read("sea")
    _shapefile(gpd.GeoDataFrame({"名称": ["东海"] * len(sea)}, geometry=sea.geometry), folder / "海域.shp")
    gdb = folder / "自然保护地.gdb"
    pa = read("protected_area")
    gpd.GeoDataFrame({"名称": pa["name"], "保护地类型": pa["category"]}, geometry=pa.geometry).to_crs(4549).to_file(
        gdb, driver="OpenFileGDB", layer="自然保护地")
    water = read("water_source_l1")
    gpd.GeoDataFrame({"水源地名称": [f"{c}饮用水水源一级保护区" for c in water["category"]],
                      "取水口": water["name"]}, geometry=water.geometry).to_crs(4549).to_file(
        gdb, driver="OpenFileGDB", layer="饮用水水源一级保护区")
    return folder
