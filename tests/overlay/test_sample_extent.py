"""Shanghai's extent in the sample pack: footprints in Zhejiang's or Jiangsu's waters or land are outside.

The sample ``sea`` layer is Shanghai's part of the sea only (hand-made 沪苏 and 沪浙
limits, data/sample/SOURCES.md), so the union of ``district``, ``sea`` and ``island``
stops at them: a footprint beyond is refused naming where it lies, one across them
is screened with the share outside.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from shgeo.crs import WORKING_CRS
from shgeo.errors import ExtentError
from shgeo.library.layers import load_library
from shgeo.overlay import overlay
from shgeo.overlay.extent import EXTENT_TOLERANCE_M
from shgeo.screening import screen

AS_OF = "2025-06-01"

#: places beyond Shanghai's limits (lon, lat): a 500 m square is put on each
OUTSIDE = {
    "zhejiang-sea-off-shengsi": (122.20, 30.50),      # south of 洋山, off 嵊泗/Zhoushan
    "zhejiang-sea-shengsi-yangshan": (122.30, 30.75),  # between 洋山 and 泗礁山, inside the sample box
    "zhejiang-hangzhou-bay": (121.60, 30.64),          # Hangzhou Bay by 滩浒山, south of the 沪浙 limit
    "jiangsu-sea-off-qidong": (122.10, 31.80),         # north of the 北支 mouth, off 启东
    "jiangsu-land-kunshan": (120.95, 31.39),           # 昆山, on land
}

#: a footprint across the 沪浙 limit at sea, south-east of 奉贤 (lon/lat box)
STRADDLING = (121.69, 30.69, 121.71, 30.725)


@pytest.fixture(scope="module")
def lib():
    return load_library()


def _square(lon: float, lat: float, half: float = 0.0025):
    return box(lon - half, lat - half, lon + half, lat + half)


def _lonlat(geoms, ids) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"footprint_id": list(ids)}, geometry=list(geoms), crs="EPSG:4490")


def _extent(lib) -> shapely.Geometry:
    """Shanghai's extent as the overlay defines it, computed here from the layers (working CRS)."""
    return shapely.union_all([lib.layer(k).geometry.union_all() for k in ("district", "sea", "island")])


def _nearest_district(lib, geom_lonlat) -> str:
    districts = lib.layer("district")
    g = gpd.GeoSeries([geom_lonlat], crs="EPSG:4490").to_crs(WORKING_CRS).iloc[0]
    return districts["name"].iloc[int(districts.geometry.distance(g).to_numpy().argmin())]


@pytest.mark.parametrize("place", sorted(OUTSIDE))
def test_footprint_beyond_shanghais_limits_is_refused_naming_where(lib, place):
    geom = _square(*OUTSIDE[place])
    with pytest.raises(ExtentError) as err:
        overlay(_lonlat([geom], [place]), lib)
    text = str(err.value)
    assert "wholly outside Shanghai" in text and place in text
    assert f"of {_nearest_district(lib, geom)} (the nearest district)" in text
    assert " km " in text


def test_outside_footprints_fail_alone_in_screening(lib):
    """In a batch, each footprint beyond the limits fails with its reason; the one in Shanghai is screened."""
    ids = ["in-pudong", *sorted(OUTSIDE)]
    geoms = [_square(121.70, 31.10, 0.002), *(_square(*OUTSIDE[p]) for p in sorted(OUTSIDE))]
    frame = gpd.GeoDataFrame({"项目编号": ids}, geometry=geoms, crs="EPSG:4490")
    result = screen(frame, lib, as_of=AS_OF)
    assert result["in-pudong"].ok
    for place in OUTSIDE:
        project = result[place]
        assert not project.ok
        assert "outside Shanghai" in project.error and _nearest_district(lib, _square(*OUTSIDE[place])) in project.error


def test_footprint_across_the_zhejiang_limit_is_partly_outside(lib):
    geom = box(*STRADDLING)
    res = overlay(_lonlat([geom], ["across"]), lib)
    facts = res.facts["across"]
    share = facts["outside_share"]
    assert 0.0 < share < 1.0
    assert "partly_outside" in facts["details"]["flags"]
    work = gpd.GeoSeries([geom], crs="EPSG:4490").to_crs(WORKING_CRS).iloc[0]
    expected = work.difference(_extent(lib).buffer(EXTENT_TOLERANCE_M)).area / work.area
    assert share == pytest.approx(expected, rel=1e-3, abs=1e-4)
    assert facts["sea"] is True


def test_footprint_across_the_zhejiang_limit_is_screened_as_partly_outside(lib):
    frame = gpd.GeoDataFrame({"项目编号": ["across"]}, geometry=[box(*STRADDLING)], crs="EPSG:4490")
    project = screen(frame, lib, as_of=AS_OF)["across"]
    assert project.ok
    assert project.overall == "partly_outside"
