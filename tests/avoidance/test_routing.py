"""Least-cost alternatives on synthetic layers whose best route is known in advance.

The proposal runs west-east along y = 0 from x = -2000 to x = 2000 (working
CRS, metres); walls of red line stand across it at x = 0..100.
"""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import LineString, Point, box

from shgeo.avoidance import analyse_line
from shgeo.crs import WORKING_CRS
from shgeo.errors import CRSError, ExtentError, FootprintError, LayerError, QueryError

from common import raster_library

PROPOSAL = LineString([(-2000, 0), (2000, 0)])
WALL = box(0, -5000, 100, 5000)


def test_wall_with_a_gap_route_goes_through_the_gap():
    lib = raster_library(redline=[WALL.difference(box(0, 700, 100, 1000))])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20)
    assert result.proposal_figures["redline_length_m"] == pytest.approx(100)
    assert result.avoidable
    assert result.alternative_figures["redline_length_m"] == 0
    crossing = result.alternative.intersection(box(0, -5000, 100, 5000))
    assert 700 <= crossing.bounds[1] and crossing.bounds[3] <= 1000
    assert 1.0 < result.alternative_figures["detour_factor"] <= 1.5
    assert result.verdict_zh == f"存在避让红线的替代路径（绕行系数{result.alternative_figures['detour_factor']:.2f}）"


def test_no_gap_route_crosses_at_the_cheapest_point():
    # the wall is 300 m thick except a 100 m thin section at y 500..700
    lib = raster_library(redline=[box(0, -5000, 300, 5000).difference(box(100, 500, 300, 700))])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20)
    assert not result.avoidable
    assert result.verdict_zh == "在1.5倍绕行系数内不存在避让红线的替代路径"
    assert result.alternative_kind == "least_cost"
    assert result.shortest_avoiding_detour is None  # nothing in the corridor avoids the wall
    assert result.alternative_figures["redline_length_m"] == pytest.approx(100, abs=1)
    inside = result.alternative.intersection(box(0, -5000, 300, 5000))
    assert 500 <= inside.bounds[1] and inside.bounds[3] <= 700
    assert result.proposal_figures["redline_length_m"] == pytest.approx(300)


def test_impassable_core_zone_is_honoured():
    # a core zone on the proposal; the way round it is free of any red line
    core = box(-300, -600, 300, 600)
    lib = raster_library(core_zone=[core])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20)
    assert result.proposal_figures["core_zone_length_m"] == pytest.approx(600)
    assert result.alternative is not None
    assert result.alternative_figures["core_zone_length_m"] == 0
    assert not result.alternative.intersects(core.buffer(-1e-6))
    # made passable at a cost, the core zone is crossed instead of going round
    cheap = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20, costs={"core_zone": 1})
    assert cheap.alternative_figures["core_zone_length_m"] > 0


def test_gap_beyond_the_detour_limit_is_not_an_alternative():
    lib = raster_library(redline=[WALL.difference(box(0, 1800, 100, 1950))])
    strict = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20, max_detour=1.2)
    assert not strict.avoidable
    assert strict.shortest_avoiding_detour is not None and strict.shortest_avoiding_detour > 1.2
    assert "最短避让路径绕行系数" in strict.detail_zh
    assert strict.verdict_zh == "在1.2倍绕行系数内不存在避让红线的替代路径"
    loose = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20, max_detour=2.5)
    assert loose.avoidable and loose.alternative_figures["redline_length_m"] == 0


def test_corridor_limits_the_search():
    lib = raster_library(redline=[WALL.difference(box(0, 1500, 100, 1700))])
    assert analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=2000, res_m=20).avoidable
    assert not analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=1000, res_m=20).avoidable


def test_start_and_end_points_and_routes_frame():
    lib = raster_library(redline=[WALL.difference(box(0, 700, 100, 1000))])
    result = analyse_line((Point(-2000, 0), (2000, 0)), lib, res_m=25, crs=WORKING_CRS)
    routes = result.routes
    assert routes.crs.equals(WORKING_CRS)
    assert list(routes["role"]) == ["proposal", "alternative"]
    assert {"length_m", "redline_length_m", "core_zone_length_m", "water_source_l1_length_m",
            "detour_factor"} <= set(routes.columns)
    alt = routes.geometry.iloc[1]
    assert alt.coords[0] == (-2000, 0) and alt.coords[-1] == (2000, 0)


def test_to_dict_is_json_ready_and_self_describing():
    lib = raster_library(redline=[WALL], sample=True)
    block = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=500, res_m=20).to_dict()
    json.dumps(block, allow_nan=False)
    assert block["avoidable"] is False
    assert block["verdict_zh"] == "在1.5倍绕行系数内不存在避让红线的替代路径"
    assert block["redline_length_m"] == {"proposal": 100.0, "alternative": block["alternative"]["redline_length_m"]}
    assert block["proposal"]["length_m"] == 4000.0 and block["proposal"]["detour_factor"] == 1.0
    assert {"cell_size_m", "corridor_m", "max_detour", "best_alternative_length_m", "method", "costs"} <= set(block)
    assert block["costs"]["core_zone"] == "impassable"
    assert block["sample_data"] is True and "SAMPLE DATA" in block["caveat"]
    lon, lat = block["proposal"]["geometry"]["coordinates"][0]
    assert 121.4 < lon < 121.6 and 31.1 < lat < 31.3


def test_proposal_clear_of_the_red_line_needs_no_avoidance():
    lib = raster_library(redline=[box(0, 3000, 100, 5000)])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS)
    assert result.avoidable and result.proposal_figures["redline_length_m"] == 0
    assert result.verdict_zh == "拟建线路不进入生态保护红线，无需避让论证"


def test_bad_inputs_are_refused():
    lib = raster_library()
    with pytest.raises(FootprintError, match="LineString"):
        analyse_line(box(0, 0, 10, 10), lib, crs=WORKING_CRS)
    with pytest.raises(FootprintError, match="zero length"):
        analyse_line(LineString([(0, 0), (0, 0)]), lib, crs=WORKING_CRS)
    with pytest.raises(LayerError, match="water_source_l1"):
        analyse_line(PROPOSAL, raster_library(water_source_l1=None), crs=WORKING_CRS)


def test_lengths_are_measured_on_vectors_not_cells():
    # a red-line strip 33 m wide, diagonal to the grid: the raster cannot say 33 m, the vectors can
    strip = shapely.affinity.rotate(box(-16.5, -3000, 16.5, 3000), 30, origin=(0, 0))
    lib = raster_library(redline=[strip])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=300, res_m=20)
    assert result.proposal_figures["redline_length_m"] == pytest.approx(PROPOSAL.intersection(strip).length)


def test_end_point_inside_the_red_line_cannot_be_avoided():
    lib = raster_library(redline=[box(1800, -200, 2400, 200)])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=1000)
    assert not result.avoidable
    assert result.endpoints_in_redline == ["end"]
    assert "终点位于生态保护红线内" in result.detail_zh
    assert result.alternative_figures["redline_length_m"] > 0


def test_passable_core_zone_inside_the_red_line_is_still_red_line():
    # the core zone (higher precedence) fills the gap of the wall and lies in the red line:
    # made passable, it must not open an "avoiding" route through the red line
    lib = raster_library(redline=[WALL], core_zone=[box(0, -100, 100, 100)])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS, corridor_m=1000, costs={"core_zone": 1})
    assert not result.avoidable
    assert result.shortest_avoiding_detour is None


def test_closed_and_very_short_lines():
    lib = raster_library(redline=[box(0, -50, 5, 50)])
    with pytest.raises(FootprintError, match="closed"):
        analyse_line(LineString([(0, 0), (100, 0), (100, 100), (0, 0)]), lib, crs=WORKING_CRS)
    short = analyse_line(LineString([(-5, 0), (10, 0)]), lib, crs=WORKING_CRS)  # shorter than a cell
    assert short.proposal_figures["redline_length_m"] == pytest.approx(5)
    assert short.alternative is not None


def test_a_line_without_a_crs_is_refused_not_read_as_metres():
    """Fail closed: lon/lat read as metres would sit near the projection centre, clear of everything."""
    lib = raster_library(redline=[box(-100, -5000, 100, 5000)])
    with pytest.raises(CRSError, match="no CRS"):
        analyse_line(LineString([(121.15, 30.87), (121.15, 31.10)]), lib)


def test_a_line_outside_shanghai_is_refused():
    lib = raster_library(redline=[box(-100, -5000, 100, 5000)])
    with pytest.raises(ExtentError):
        analyse_line(LineString([(116.3, 39.9), (116.4, 39.9)]), lib, crs="EPSG:4490")


def test_the_red_line_layer_cannot_be_optional():
    lib = raster_library(redline=[box(-100, -5000, 100, 5000)])
    with pytest.raises(LayerError, match="red-line"):
        analyse_line(PROPOSAL, lib, crs=WORKING_CRS, optional_kinds=["redline"])
    with pytest.raises(QueryError, match="near_m"):
        analyse_line(PROPOSAL, lib, crs=WORKING_CRS, near_m=float("nan"))


def test_a_proposal_clear_of_the_red_line_is_its_own_alternative():
    lib = raster_library(redline=[box(0, 3000, 100, 5000)])
    result = analyse_line(PROPOSAL, lib, crs=WORKING_CRS)
    assert result.alternative_kind == "proposal" and result.alternative.equals(result.proposal)
    assert result.alternative_figures["redline_length_m"] == 0
