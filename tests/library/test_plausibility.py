"""Official layers against the published figures (沪府发〔2023〕4号 areas, 沪环规〔2025〕1号 counts)."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import box

from shgeo.crs import WORKING_CRS
from shgeo.library.layers import LayerLibrary
from shgeo.library.plausibility import compare_with_published, measure
from shgeo.library.published import FIGURES
from shgeo.library.villages import CONTROL_VILLAGES


def _square(area_km2: float, x0: float = 0.0) -> box:
    side = math.sqrt(area_km2) * 1000
    return box(x0, -side / 2, x0 + side, side / 2)


def _library(official: bool = True, **frames) -> LayerLibrary:
    lib = LayerLibrary.from_frames(frames)
    for s in lib.sources:
        s.official = official
    return lib


def _figure(measure_name: str):
    return next(f for f in FIGURES if f.measure == measure_name)


def test_figures_come_from_the_data_file_with_their_sources():
    total = _figure("area_km2")
    assert total.value == 2527.30 and total.tolerance == 0.02 and "沪府发〔2023〕4号" in total.source
    assert _figure("land_area_km2").value == 130.05 and _figure("sea_area_km2").value == 2397.25
    assert _figure("count").value == 16 and "沪环规〔2025〕1号" in _figure("count").source


@pytest.mark.parametrize(("area", "warned"), [(2527.30, False), (2527.30 * 1.019, False), (2527.30 * 1.021, True),
                                              (2527.30 * 0.97, True)])
def test_red_line_total_area_within_the_stated_tolerance(area, warned):
    red = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[_square(area, -30_000)], crs=WORKING_CRS)
    lib = _library(redline=red)
    assert measure(lib, "redline")["area_km2"] == pytest.approx(area, rel=1e-6)
    found = compare_with_published(lib)
    assert bool(found) == warned
    if warned:
        (src, (d,)) = found[0]
        assert src.kind == "redline" and "2,527.30 km² ± 2%" in str(d) and "沪府发〔2023〕4号" in str(d)
        assert d.to_dict()["published"] == 2527.30 and "公布数据为 2,527.30 平方公里" in d.text_zh


def test_land_and_sea_split_against_the_sea_layer():
    land, sea_part = _square(130.05, -30_000), _square(2397.25, 10_000)
    red = gpd.GeoDataFrame({"name": ["陆", "海"]}, geometry=[land, sea_part], crs=WORKING_CRS)
    sea = gpd.GeoDataFrame({"name": ["海"]}, geometry=[box(5_000, -40_000, 70_000, 40_000)], crs=WORKING_CRS)
    lib = _library(redline=red, sea=sea)
    values = measure(lib, "redline")
    assert values["sea_area_km2"] == pytest.approx(2397.25, rel=1e-6)
    assert values["land_area_km2"] == pytest.approx(130.05, rel=1e-6)
    assert compare_with_published(lib) == []


def test_village_count_and_only_for_official_layers():
    geoms = [box(i * 100, 0, i * 100 + 50, 50) for i in range(15)]
    villages = gpd.GeoDataFrame({"name": [v.village for v in CONTROL_VILLAGES[:15]],
                                 "code": [v.code for v in CONTROL_VILLAGES[:15]]}, geometry=geoms, crs=WORKING_CRS)
    (src, (d,)) = compare_with_published(_library(groundwater_village=villages))[0]
    assert str(d).startswith("15 where the published figure is number of control villages: 16")
    assert compare_with_published(_library(official=False, groundwater_village=villages)) == []


def test_water_zones_and_parts():
    zones = ["东风西沙", "陈行", "青草沙", "黄浦江上游"]
    geoms = [box(i * 1000, 0, i * 1000 + 500, 500) for i in range(4)]
    four = gpd.GeoDataFrame({"name": zones, "category": zones}, geometry=geoms, crs=WORKING_CRS)
    (src, found) = compare_with_published(_library(water_source_l1=four))[0]
    assert [d.figure.measure for d in found] == ["parts"]  # four zones, but 黄浦江上游 has two parts
    five = gpd.GeoDataFrame({"name": zones + ["黄浦江上游"], "category": zones + ["黄浦江上游"]},
                            geometry=geoms + [box(9000, 0, 9500, 500)], crs=WORKING_CRS)
    assert compare_with_published(_library(water_source_l1=five)) == []
