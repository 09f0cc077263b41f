"""Fail-closed cases of the overlay: collections, contact at distance 0, the real extent, GCJ-02 doubt, ids, by_kind.

Every test builds its own footprints in the small world of :func:`common.grid_layers`
(区A x 0–1000, 区B x 1000–2000, y 0–1000; sea x 2000–3000, y -1000–2000; core zone
C1 1500–1600 × 100–200; red line R1 800–1200 × 0–500).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import GeometryCollection, LineString, MultiPoint, Point, box

from common import frame, grid_layers, library
from shgeo.crs import WORKING_CRS
from shgeo.errors import ExtentError, FootprintError
from shgeo.overlay import overlay
from shgeo.overlay.extent import gcj02_offset_m

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KEYS = ("redline", "core_zone", "protected_area", "water_source_l1", "groundwater_village", "districts",
        "redline_districts", "land", "sea", "island")


@pytest.fixture(scope="module")
def grid():
    return library(grid_layers())


# ---------------------------------------------------------------- GeometryCollections


def test_line_in_a_collection_gives_the_same_core_zone_fact_as_alone(grid):
    line = LineString([(1450, 150), (1650, 150)])  # crosses core zone C1
    elsewhere = box(100, 100, 200, 200)  # a polygon in 区A, far from C1
    res = overlay(frame([GeometryCollection([elsewhere, line]), line]), grid)
    both, alone = res.facts["1"], res.facts["2"]
    assert both["core_zone"] is True and alone["core_zone"] is True
    assert "mixed_geometry" in both["details"]["flags"] and both["details"]["geometry_type"] == "mixed"
    assert [p["geometry_type"] for p in both["details"]["parts"]] == ["polygon", "line"]
    hits = res.hits.set_index(["footprint_id", "kind"])
    assert hits.loc[("1", "core_zone"), "length_m"] == pytest.approx(100.0)
    assert hits.loc[("1", "core_zone"), "length_m"] == pytest.approx(hits.loc[("2", "core_zone"), "length_m"])


def _part(rng, dim):
    x, y = rng.uniform(0, 2900, 2)
    if dim == 2:
        return box(x, y, x + rng.uniform(5, 300), y + rng.uniform(5, 300))
    if dim == 1:
        return LineString(rng.uniform(-300, 300, (int(rng.integers(2, 5)), 2)) + [x, y])
    return Point(x, y)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), dims=st.lists(st.sampled_from([0, 1, 2]), min_size=2, max_size=4, unique=True))
def test_collection_is_screened_as_its_parts(grid, seed, dims):
    """Every part of a collection counts, measured by its own dimension, as if screened alone."""
    rng = np.random.default_rng(seed)
    parts = [_part(rng, d) for d in dims]
    res = overlay(frame([GeometryCollection(parts), *parts]), grid, extent_tolerance_m=5000)
    whole = res.facts["1"]
    alone = [res.facts[str(k + 2)] for k in range(len(parts))]
    for key in KEYS:
        values = [a[key] for a in alone]
        if isinstance(values[0], list):
            assert whole[key] == sorted({x for v in values for x in v}), key
        else:
            assert whole[key] == any(values), key
    over = res.hits[res.hits["relation"] == "overlap"]
    for (kind, fid), rows in over[over["footprint_id"] != "1"].groupby(["kind", "feature_id"]):
        mine = over[(over["footprint_id"] == "1") & (over["kind"] == kind) & (over["feature_id"] == fid)]
        assert len(mine) == 1
        assert mine["area_m2"].iloc[0] == pytest.approx(rows["area_m2"].sum(), rel=1e-9, abs=1e-6)
        assert mine["length_m"].iloc[0] == pytest.approx(rows["length_m"].sum(), rel=1e-9, abs=1e-6)
    if len({shapely.get_dimensions(p) for p in parts}) > 1:
        assert "mixed_geometry" in whole["details"]["flags"]


def test_collection_of_one_dimension_is_not_mixed(grid):
    res = overlay(frame([GeometryCollection([box(100, 100, 200, 200), box(300, 100, 400, 200)])]), grid)
    assert res.facts["1"]["details"]["geometry_type"] == "polygon"
    assert res.facts["1"]["details"]["area_m2"] == pytest.approx(20_000)
    assert "mixed_geometry" not in res.facts["1"]["details"]["flags"]


# ---------------------------------------------------------------- contact at distance 0


@pytest.mark.parametrize("geom", [Point(1500, 150), LineString([(1500, 100), (1500, 200)]),
                                  box(1450, 120, 1500, 180), LineString([(1500, 250), (1500, 150)])],
                         ids=["point-on-edge", "line-along-edge", "polygon-touching", "line-ending-on-edge"])
@pytest.mark.parametrize("radius", [1000.0, 0.0])
def test_contact_at_distance_zero_is_flagged(grid, geom, radius):
    res = overlay(frame([geom]), grid, search_radius_m=radius)
    core = res.hits[res.hits["kind"] == "core_zone"]
    assert list(core["relation"]) == ["near"] and core["distance_m"].iloc[0] == 0.0
    assert core["flags"].iloc[0] == "on_boundary"
    assert res.facts["1"]["core_zone"] is False
    assert "on_boundary" in res.facts["1"]["details"]["flags"]


def test_near_but_apart_is_not_on_boundary(grid):
    res = overlay(frame([Point(1490, 150)]), grid)
    core = res.hits[res.hits["kind"] == "core_zone"]
    assert core["distance_m"].iloc[0] == pytest.approx(10.0) and core["flags"].iloc[0] == ""
    assert "on_boundary" not in res.facts["1"]["details"]["flags"]


# ---------------------------------------------------------------- Shanghai's real extent


@pytest.mark.parametrize("tol", [0.0, 100.0])
def test_straddling_footprints_have_their_outside_share(grid, tol):
    """Below y = 0 west of x = 2000 is neither district nor sea: outside Shanghai."""
    fps = [box(400, -600, 600, 400),  # 200 × 1000, 600 m of it below y = 0
           LineString([(500, -500), (500, 500)]),
           MultiPoint([(100, 100), (200, 200), (300, 300), (500, -800)]),
           box(100, 100, 200, 200)]
    res = overlay(frame(fps), grid, extent_tolerance_m=tol)
    share = {k: f["outside_share"] for k, f in res.facts.items()}
    assert share["1"] == pytest.approx((600 - tol) / 1000, rel=1e-6)
    assert share["2"] == pytest.approx((500 - tol) / 1000, rel=1e-6)
    assert share["3"] == pytest.approx(0.25)
    assert share["4"] == 0.0
    assert "partly_outside" in res.facts["1"]["details"]["flags"]
    assert "partly_outside" not in res.facts["4"]["details"]["flags"]


def test_wholly_outside_fails_naming_where(grid):
    with pytest.raises(ExtentError) as err:
        overlay(frame([box(100, 100, 200, 200), box(300, -3000, 400, -2900)], ids=["in", "out"]), grid)
    text = str(err.value)
    assert "out" in text and "区A" in text and "km south" in text


def test_without_district_and_sea_the_share_is_unknown():
    layers = {k: v for k, v in grid_layers().items() if k != "sea"}
    res = overlay(frame([box(100, 100, 200, 200)]), library(layers))
    assert res.facts["1"]["outside_share"] is None


# ---------------------------------------------------------------- GCJ-02 doubt


def test_wgs84_input_near_a_zone_is_flagged_gcj02_ambiguous(grid):
    offset = float(gcj02_offset_m(np.array([Point(1500, 150)]))[0])
    assert 300 < offset < 900  # the GCJ-02 shift around Shanghai
    near = box(1600 + offset * 0.5, 100, 1650 + offset * 0.5, 150)  # half an offset east of C1
    far = box(100, 100, 120, 120)  # in 区A, > offset from every zone
    work = frame([near, far])
    lonlat = work.to_crs(4326)
    res = overlay(lonlat, grid)
    assert "gcj02_ambiguous" in res.facts["1"]["details"]["flags"]
    assert "gcj02_ambiguous" not in res.facts["2"]["details"]["flags"]
    # the same footprints in projected metres: no doubt about a web-map offset
    assert "gcj02_ambiguous" not in overlay(work, grid).facts["1"]["details"]["flags"]
    # declared as GCJ-02 (converted by the reader): not ambiguous either
    declared = lonlat.assign(source_crs="gcj02")
    assert "gcj02_ambiguous" not in overlay(declared, grid).facts["1"]["details"]["flags"]


# ---------------------------------------------------------------- ids


def test_ids_from_the_index_or_a_named_column(grid):
    gdf = gpd.GeoDataFrame({"编号": ["a", "b"]}, geometry=[box(100, 100, 200, 200), box(850, 100, 950, 200)],
                           index=["x", "y"], crs=WORKING_CRS)
    assert list(overlay(gdf, grid).facts) == ["x", "y"]
    res = overlay(gdf, grid, id_field="编号")
    assert list(res.facts) == ["a", "b"] and set(res.hits["footprint_id"]) == {"a", "b"}
    with pytest.raises(FootprintError, match="编号"):
        overlay(gdf.assign(编号=["a", "a"]), grid, id_field="编号")
    with pytest.raises(FootprintError, match="nope"):
        overlay(gdf, grid, id_field="nope")


# ---------------------------------------------------------------- by_kind figures


def test_by_kind_dissolves_overlapping_features_of_a_kind():
    layers = grid_layers()
    r1, r2 = box(800, 0, 1200, 500), box(1000, 200, 1400, 700)  # overlap 200 × 300
    layers["redline"] = [("R1", "红线一", "R-1", None, r1), ("R2", "红线二", "R-2", None, r2)]
    fp = box(900, 100, 1300, 600)
    line = LineString([(850, 300), (1350, 300)])
    res = overlay(frame([fp, line]), library(layers))
    red = res.facts["1"]["details"]["by_kind"]["redline"]
    assert red["area_m2"] == pytest.approx(fp.intersection(r1.union(r2)).area)
    assert red["share"] == pytest.approx(fp.intersection(r1.union(r2)).area / fp.area)
    assert {f["feature_id"]: round(f["area_m2"], 6) for f in red["features"]} == {
        "R1": round(fp.intersection(r1).area, 6), "R2": round(fp.intersection(r2).area, 6)}
    red_line = res.facts["2"]["details"]["by_kind"]["redline"]
    assert red_line["length_m"] == pytest.approx(line.intersection(r1.union(r2)).length)
    district = res.facts["1"]["details"]["by_kind"]["district"]  # districts do not overlap: the sum
    assert district["area_m2"] == pytest.approx(fp.area)
