"""The overlay engine: hits, measures, flags, near misses and the decision-interface facts."""

from __future__ import annotations

import importlib
import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from common import bowtie, empty_polygon, frame, grid_layers, library, polygon_z
from shgeo.crs import WORKING_CRS
from shgeo.errors import FootprintError
from shgeo.overlay import POSSIBLE_BOUNDARY_MISMATCH, SPATIAL_KEYS, overlay, subdivide

# the module, not the function: ``shgeo.overlay`` the attribute is the function once shgeo exports it
ov = importlib.import_module("shgeo.overlay")
engine = importlib.import_module("shgeo.overlay.engine")


@pytest.fixture(scope="module")
def lib():
    return library(grid_layers())


def _rows(res, fid, kind=None, relation="overlap"):
    h = res.hits
    sel = (h["relation"] == relation) if fid is None else (h["footprint_id"] == fid) & (h["relation"] == relation)
    if kind:
        sel &= h["kind"] == kind
    return h[sel]


def test_polygon_overlap_measures_and_facts(lib):
    res = overlay(frame([box(900, 100, 1100, 200)]), lib)
    red = _rows(res, "1", "redline")
    assert len(red) == 1 and red["area_m2"].iloc[0] == pytest.approx(20_000)
    assert red["share"].iloc[0] == pytest.approx(1.0)
    assert red["geometry"].iloc[0].equals(box(900, 100, 1100, 200))
    facts = res.facts["1"]
    assert facts["redline"] is True and facts["core_zone"] is False
    assert facts["districts"] == ["区A", "区B"]
    assert facts["redline_districts"] == ["区A", "区B"]
    assert facts["land"] and not facts["sea"] and not facts["island"]
    shares = facts["details"]["district_shares"]
    assert shares == pytest.approx({"区A": 0.5, "区B": 0.5})
    assert sum(shares.values()) == pytest.approx(1.0)
    assert facts["details"]["outside_districts_share"] == pytest.approx(0.0)


def test_hits_columns_and_spatial_block_json_ready(lib):
    res = overlay(frame([box(1450, 50, 1550, 150)]), lib)
    assert tuple(res.hits.columns) == ov.HIT_COLUMNS
    assert res.hits.crs.equals(WORKING_CRS)
    sp = res.spatial("1")
    assert tuple(sp) == SPATIAL_KEYS
    json.dumps(sp)
    json.dumps(res.facts)
    assert sp["core_zone"] and sp["protected_area"] == ["自然保护区"] and not sp["redline"]
    with pytest.raises(KeyError):
        res.spatial("nope")


def test_touching_edge_or_point_is_not_a_hit(lib):
    res = overlay(frame([box(1200, 0, 1300, 100), box(1200, 500, 1300, 600), box(700, 500, 800, 600)]), lib)
    for fid in ("1", "2", "3"):
        assert _rows(res, fid, "redline").empty
        near = _rows(res, fid, "redline", "near")
        assert len(near) == 1 and near["distance_m"].iloc[0] == pytest.approx(0.0)
        assert res.facts[fid]["redline"] is False
    # a footprint sharing district A's outer edge only lies in district B... and nowhere else
    res2 = overlay(frame([box(-100, 0, 0, 100)]), lib)
    assert res2.facts["1"]["districts"] == []


def test_sliver_flagged_not_dropped(lib):
    fps = frame([box(1199.9, 100, 1300, 105),  # 0.5 m² inside the red line
                 box(1199.8, 100, 1300, 300),  # 40 m² but 0.2 m wide: a thin strip
                 box(1100, 100, 1300, 300)])  # a real overlap
    res = overlay(fps, lib)
    r1, r2, r3 = (_rows(res, f, "redline") for f in ("1", "2", "3"))
    assert r1["area_m2"].iloc[0] == pytest.approx(0.5)
    assert r1["flags"].iloc[0] == POSSIBLE_BOUNDARY_MISMATCH
    assert r2["area_m2"].iloc[0] == pytest.approx(40.0)
    assert r2["flags"].iloc[0] == POSSIBLE_BOUNDARY_MISMATCH
    assert r3["flags"].iloc[0] == ""
    assert res.facts["1"]["redline"] is True
    assert POSSIBLE_BOUNDARY_MISMATCH in res.facts["1"]["details"]["flags"]
    lenient = overlay(fps, lib, sliver_area_m2=0.1, sliver_length_m=0.05)
    assert _rows(lenient, "1", "redline")["flags"].iloc[0] == ""


def test_sliver_defaults_are_one_square_metre_and_half_a_metre(lib):
    """The default thresholds themselves: a compact 0.98 m² overlap (not thin: 2·area/perimeter ≈ 0.56 m) is
    flagged by area alone, and a 0.4 m wide strip of 40 m² (2·area/perimeter ≈ 0.4 m) by width alone."""
    disc = Point(1198.0, 250.0).buffer(0.56, quad_segs=16)  # inside the red line (x ≤ 1200)
    far = box(1300, 100, 1400, 200)  # outside it: the overlap is the disc, not the whole footprint
    strip = box(1199.6, 100, 1300, 200)  # 0.4 m of it inside the red line
    res = overlay(frame([shapely.MultiPolygon([disc, far]), strip]), lib)
    r1, r2 = _rows(res, "1", "redline"), _rows(res, "2", "redline")
    assert 0.9 < r1["area_m2"].iloc[0] < 1.0
    assert 2 * r1["area_m2"].iloc[0] / disc.length > 0.5  # not thin: flagged for its area
    assert r1["flags"].iloc[0] == POSSIBLE_BOUNDARY_MISMATCH
    assert r2["area_m2"].iloc[0] == pytest.approx(40.0)
    assert r2["flags"].iloc[0] == POSSIBLE_BOUNDARY_MISMATCH


def test_line_lengths_and_shares(lib):
    res = overlay(frame([LineString([(500, 300), (1500, 300)]),
                         LineString([(1000, 600), (1000, 900)]),  # along the district border
                         LineString([(1199.8, 10), (1199.8, 490)]),
                         LineString([(1900, 500), (2400, 500)])]), lib)
    red = _rows(res, "1", "redline")
    assert red["length_m"].iloc[0] == pytest.approx(400.0)
    assert red["share"].iloc[0] == pytest.approx(0.4)
    assert red["area_m2"].iloc[0] == 0.0
    d = res.facts["1"]["details"]
    assert d["geometry_type"] == "line" and d["length_m"] == pytest.approx(1000.0)
    assert d["district_shares"] == pytest.approx({"区A": 0.5, "区B": 0.5})
    assert d["land_m"] == pytest.approx(1000.0)
    # a line on the border between A and B lies in both (closed polygons): reported
    assert set(_rows(res, "2", "district")["name"]) <= {"区A", "区B"}
    # a line inside a district along nothing else: 480 m in the red line
    assert _rows(res, "3", "redline")["length_m"].iloc[0] == pytest.approx(480.0)
    sea_line = res.facts["4"]
    assert sea_line["land"] and sea_line["sea"]
    assert sea_line["details"]["land_m"] == pytest.approx(100.0)
    assert sea_line["details"]["sea_m"] + sea_line["details"]["island_m"] == pytest.approx(400.0)


def test_line_along_a_feature_edge_is_not_a_hit(lib):
    res = overlay(frame([LineString([(1200, 0), (1200, 500)]), LineString([(1200, 600), (1200, 800)])]), lib)
    assert _rows(res, "1", "redline").empty
    assert res.facts["1"]["redline"] is False


def test_line_width_gives_area(lib):
    res = overlay(frame([LineString([(500, 300), (1500, 300)])]), lib, line_width_m=10.0)
    red = _rows(res, "1", "redline")
    assert red["area_m2"].iloc[0] == pytest.approx(4000.0)
    assert red["length_m"].iloc[0] == pytest.approx(400.0)
    assert red["share"].iloc[0] == pytest.approx(0.4)


def test_points_inside_on_boundary_and_with_radius(lib):
    pts = [Point(1550, 150), Point(1500, 100), Point(1200, 250)]
    res = overlay(frame(pts), lib)
    assert res.facts["1"]["core_zone"] is True
    assert res.facts["2"]["core_zone"] is False  # on the core zone's corner: touching
    assert res.facts["2"]["protected_area"] == ["自然保护区"]
    assert res.facts["3"]["redline"] is False  # on the red line's edge
    assert res.facts["1"]["details"]["district_shares"] == {"区B": 1.0}
    disc = overlay(frame(pts), lib, point_radius_m=10.0)
    red = _rows(disc, "3", "redline")
    circle = Point(1200, 250).buffer(10.0, quad_segs=16)
    assert red["area_m2"].iloc[0] == pytest.approx(circle.area / 2, rel=1e-9)
    assert red["share"].iloc[0] == pytest.approx(0.5)
    assert disc.facts["3"]["details"]["area_m2"] == pytest.approx(circle.area)


def test_cross_district_shares_sum_to_one_and_outside_share(lib):
    fps = frame([box(600, 200, 1700, 900), box(1800, 300, 2200, 700), Polygon([(50, 50), (1950, 60), (900, 950)])])
    res = overlay(fps, lib)
    for fid in ("1", "3"):
        shares = res.facts[fid]["details"]["district_shares"]
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
        assert len(shares) == 2
    at_sea = res.facts["2"]
    shares = at_sea["details"]["district_shares"]
    assert shares == pytest.approx({"区B": 0.5})
    assert at_sea["details"]["outside_districts_share"] == pytest.approx(0.5)
    assert at_sea["details"]["land_m2"] == pytest.approx(80_000)
    assert at_sea["details"]["sea_m2"] == pytest.approx(80_000)
    assert at_sea["sea"] and at_sea["land"] and not at_sea["island"]


def test_island_split(lib):
    res = overlay(frame([box(2300, 450, 2500, 550)]), lib)
    d = res.facts["1"]["details"]
    assert res.facts["1"]["island"] and res.facts["1"]["sea"] and not res.facts["1"]["land"]
    assert d["island_m2"] == pytest.approx(10_000) and d["sea_m2"] == pytest.approx(10_000)


def test_island_inside_a_district_outline_is_not_land():
    """District outlines (AMap) include the uninhabited islands: on the island is island, not land."""
    layers = grid_layers()
    layers["district"].append(("310151", "区C", "310151", None, box(2300, 300, 2700, 700)))
    lib_c = library(layers)
    res = overlay(frame([box(2450, 450, 2550, 550), box(2350, 450, 2550, 550), Point(2500, 500)],
                        ids=["on_island", "island_and_shore", "point"]), lib_c)
    on_island = res.facts["on_island"]
    assert on_island["island"] and not on_island["land"]
    assert on_island["details"]["land_m2"] == pytest.approx(0.0)
    both = res.facts["island_and_shore"]
    assert both["island"] and both["land"]
    assert both["details"]["land_m2"] == pytest.approx(5_000)
    assert res.facts["point"]["island"] and not res.facts["point"]["land"]


def test_redline_districts_only_where_the_red_line_is(lib):
    # the footprint spans A and B, but its red-line part lies in B only
    res = overlay(frame([box(500, 600, 1100, 700).union(box(1050, 400, 1100, 700))]), lib)
    f = res.facts["1"]
    assert f["districts"] == ["区A", "区B"]
    assert f["redline_districts"] == ["区B"]


def test_near_misses_within_radius(lib):
    res = overlay(frame([box(1300, 600, 1350, 650)]), lib, search_radius_m=200)
    near = _rows(res, "1", relation="near")
    got = dict(zip(near["kind"], near["distance_m"]))
    assert got["redline"] == pytest.approx(np.hypot(100, 100))
    assert "protected_area" not in got  # its corner is 304 m away: beyond the 200 m radius
    assert "water_source_l1" not in got  # 1000 m away: beyond the radius
    assert near["geometry"].isna().all()
    wider = _rows(overlay(frame([box(1300, 600, 1350, 650)]), lib, search_radius_m=400), "1", relation="near")
    assert dict(zip(wider["kind"], wider["distance_m"]))["protected_area"] == pytest.approx(np.hypot(50, 300))
    none = overlay(frame([box(1300, 600, 1350, 650)]), lib, search_radius_m=0)
    assert _rows(none, "1", relation="near").empty


def test_empty_footprint_is_an_error(lib):
    with pytest.raises(FootprintError, match="'2'"):
        overlay(frame([box(0, 0, 10, 10), empty_polygon]), lib)


def test_z_dropped_and_invalid_repaired_reported(lib):
    bow = shapely.affinity.translate(bowtie, 850, 100)
    res = overlay(frame([polygon_z, bow]), lib)
    assert res.facts["1"]["details"]["area_m2"] == pytest.approx(10_000)
    d = res.facts["2"]["details"]
    assert d["area_m2"] == pytest.approx(5_000)
    assert "repaired_geometry" in d["flags"] and "make_valid" in d["repair"]


def test_footprints_in_other_crs_are_transformed(lib):
    fps = frame([box(900, 100, 1100, 200)]).to_crs(4490)
    res = overlay(fps, lib)
    assert _rows(res, "1", "redline")["area_m2"].iloc[0] == pytest.approx(20_000, rel=1e-6)


def test_missing_kind_is_unknown_not_false():
    layers = grid_layers()
    del layers["core_zone"]
    res = overlay(frame([box(900, 100, 1100, 200)]), library(layers))
    assert res.facts["1"]["core_zone"] is None
    assert "core_zone" in res.facts["1"]["details"]["missing_kinds"]


def test_subdivide_tiles_exactly():
    rng = np.random.default_rng(3)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 5000))
    rad = 1000 * (1 + 0.3 * np.sin(7 * ang) + rng.uniform(0, 0.05, len(ang)))
    big = Polygon(np.column_stack([rad * np.cos(ang), rad * np.sin(ang)]),
                  [box(-100, -100, 100, 100).exterior.coords])
    pieces, src = subdivide(np.array([big, box(0, 0, 1, 1)]), 32)
    assert (shapely.get_num_coordinates(pieces) <= 32).all()
    assert shapely.is_valid(pieces).all()
    assert shapely.area(pieces[src == 0]).sum() == pytest.approx(big.area, rel=1e-12)
    assert shapely.area(shapely.union_all(pieces[src == 0]).symmetric_difference(big)) < 1e-6
    assert (src == 1).sum() == 1


def test_large_feature_split_into_pieces_gives_exact_overlaps():
    ang = np.linspace(0, 2 * np.pi, 4001)[:-1]
    rad = 800 * (1 + 0.2 * np.sin(9 * ang))
    blob = Polygon(np.column_stack([1000 + rad * np.cos(ang), 500 + rad * np.sin(ang)]))
    lib = library({"redline": [("B", "blob", None, None, blob)]})
    fps = [box(300, 0, 1700, 1000), box(950, 450, 1050, 550), LineString([(0, 500), (2000, 520)]),
           Point(1000, 500)]
    res = overlay(frame(fps), lib, max_vertices=16)
    red = res.hits[res.hits["relation"] == "overlap"].set_index("footprint_id")
    assert red.loc["1", "area_m2"] == pytest.approx(fps[0].intersection(blob).area, rel=1e-9)
    assert red.loc["1", "geometry"].symmetric_difference(fps[0].intersection(blob)).area < 1e-3
    assert red.loc["2", "area_m2"] == pytest.approx(10_000, rel=1e-12)
    assert red.loc["3", "length_m"] == pytest.approx(fps[2].intersection(blob).length, rel=1e-9)
    assert "4" in red.index  # the centre: on the first split lines, still inside the feature


def test_threads_and_chunks_give_identical_results(lib, monkeypatch):
    rng = np.random.default_rng(5)
    xy = rng.uniform(-200, 3000, (60, 2))
    fps = frame([box(x, y, x + rng.uniform(5, 400), y + rng.uniform(5, 400)) for x, y in xy])
    # the footprints spread past the small world's districts and sea: a wide extent tolerance keeps them in
    one = overlay(fps, lib, threads=1, extent_tolerance_m=5000)
    monkeypatch.setattr(engine, "_CHUNK", 7)
    two = overlay(fps, lib, threads=2, extent_tolerance_m=5000)
    cols = ["footprint_id", "kind", "feature_id", "relation", "area_m2", "distance_m", "flags"]
    assert one.hits[cols].equals(two.hits[cols])
    assert one.facts == two.facts


def test_areas_match_geodesic_for_overlaps():
    """Overlap m² from the working CRS agree with pyproj.Geod to 0.01 % across Shanghai."""
    geod = pyproj.Geod(ellps="GRS80")
    cells = [box(lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05)
             for lon, lat in ((121.47, 31.23), (120.95, 30.75), (121.9, 31.8), (122.2, 31.4))]
    layer = gpd.GeoDataFrame({"feature_id": ["a", "b", "c", "d"], "name": list("abcd")},
                             geometry=cells, crs=4490)
    from shgeo.library.layers import LayerLibrary

    lib = LayerLibrary.from_frames({"redline": layer})
    fps_ll = [shapely.affinity.rotate(shapely.affinity.scale(c, 0.6, 0.6), 20).union(
        shapely.affinity.translate(c, 0.04, 0.0).intersection(c)) for c in cells]
    fps = frame(fps_ll, crs=4490)
    res = overlay(fps, lib)
    red = res.hits[res.hits["relation"] == "overlap"].set_index("footprint_id")
    for k, (fp, cell) in enumerate(zip(fps_ll, cells), start=1):
        area, _ = geod.geometry_area_perimeter(fp.intersection(cell))
        assert red.loc[str(k), "area_m2"] == pytest.approx(abs(area), rel=1e-4)
        whole, _ = geod.geometry_area_perimeter(fp)
        assert res.facts[str(k)]["details"]["area_m2"] == pytest.approx(abs(whole), rel=1e-4)


def test_sample_pack_facts():
    from shgeo.library.layers import load_library

    lib = load_library()
    pts = gpd.GeoSeries.from_xy([121.95, 121.45], [31.45, 31.22], crs=4490).to_crs(WORKING_CRS)
    res = overlay(frame(pts.buffer(2000)), lib)
    east = res.spatial("1")  # 崇明东滩
    assert east["redline"] and east["districts"] == ["崇明区"] and east["redline_districts"] == ["崇明区"]
    centre = res.facts["2"]
    assert not centre["redline"] and len(centre["districts"]) >= 2
    assert sum(centre["details"]["district_shares"].values()) == pytest.approx(1.0, abs=1e-9)


def test_overlaps_over_many_pieces_dissolve_and_find_redline_districts():
    layers = grid_layers()
    layers["redline"] = [("R1", "红线一", "R-1", None, shapely.segmentize(box(800, 0, 1200, 500), 5.0))]
    fps = [box(900, 400, 1100, 600), box(1199.8, 50, 1300, 450), box(1050, 300, 1150, 600)]
    res = overlay(frame(fps), library(layers), max_vertices=8)
    red = res.hits[(res.hits["kind"] == "redline") & (res.hits["relation"] == "overlap")].set_index("footprint_id")
    assert red.loc["1", "area_m2"] == pytest.approx(20_000)
    assert red.loc["1", "geometry"].symmetric_difference(box(900, 400, 1100, 500)).area < 1e-6
    assert red.loc["1", "geometry"].is_valid
    assert res.facts["1"]["redline_districts"] == ["区A", "区B"]
    assert red.loc["2", "area_m2"] == pytest.approx(80.0)
    assert red.loc["2", "flags"] == POSSIBLE_BOUNDARY_MISMATCH
    assert res.facts["3"]["redline_districts"] == ["区B"]
    assert res.facts["3"]["districts"] == ["区B"]


def test_multipoint_hits_where_any_point_is_inside(lib):
    res = overlay(frame([shapely.MultiPoint([(1550, 150), (100, 100)]), shapely.MultiPoint([(1500, 100)])]), lib)
    assert res.facts["1"]["core_zone"] is True
    assert res.facts["1"]["districts"] == ["区A", "区B"]
    assert res.facts["1"]["details"]["district_shares"] == {"区A": 0.5, "区B": 0.5}
    assert res.facts["2"]["core_zone"] is False


def test_no_footprints_gives_empty_result(lib):
    res = overlay(frame([]), lib)
    assert len(res.hits) == 0 and tuple(res.hits.columns) == ov.HIT_COLUMNS
    assert res.facts == {}


def test_concurrent_overlays_on_one_library(lib, monkeypatch):
    """Callers may overlay from several threads at once: prepared pieces are never shared."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(engine, "_CHUNK", 5)
    rng = np.random.default_rng(11)
    xy = rng.uniform(-200, 3000, (40, 2))
    fps = frame([box(x, y, x + 300, y + 200) for x, y in xy])
    expected = overlay(fps, lib, threads=1, extent_tolerance_m=5000).hits.drop(columns="geometry")
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda _: overlay(fps, lib, threads=2, extent_tolerance_m=5000).hits.drop(
            columns="geometry"), range(4)))
    for got in results:
        assert got.equals(expected)


def test_shared_geometry_objects_and_preparation_left_as_found(lib, monkeypatch):
    monkeypatch.setattr(engine, "_CHUNK", 2)
    shared = box(900, 100, 1100, 200)
    mine = box(100, 100, 200, 200)
    shapely.prepare(mine)
    fps = frame([shared, shared, shared, mine])
    res = overlay(fps, lib, threads=2)
    assert set(_rows(res, None, "redline")["footprint_id"]) == {"1", "2", "3"}
    assert not shapely.is_prepared(shared) and shapely.is_prepared(mine)


# --------------------------------------------------------------------------- review fixes


def test_island_outside_every_district_does_not_cancel_land():
    """Land is (footprint ∩ districts) − islands, not district m² − island m² (islands may lie outside districts)."""
    layers = grid_layers()
    layers["island"] = [("I2", "外岛", None, None, box(2100, 0, 2700, 300))]  # 180,000 m² in the sea, no district
    lib_o = library(layers)
    on_both = shapely.MultiPolygon([box(1700, 0, 2000, 200), box(2100, 0, 2700, 300)])  # 60,000 m² land + island
    fps = frame([on_both, LineString([(1900, 100), (2600, 100)]), shapely.MultiPoint([(1900, 100), (2500, 100)]),
                 shapely.MultiPoint([(2500, 100)])], ids=["poly", "line", "points", "island_point"])
    res = overlay(fps, lib_o)
    poly = res.facts["poly"]
    assert poly["land"] and poly["island"]
    assert poly["details"]["land_m2"] == pytest.approx(60_000)
    assert poly["details"]["island_m2"] == pytest.approx(180_000)
    line = res.facts["line"]
    assert line["land"] and line["island"] and line["sea"]
    assert line["details"]["land_m"] == pytest.approx(100.0)
    assert line["details"]["island_m"] == pytest.approx(500.0)
    assert res.facts["points"]["land"] and res.facts["points"]["island"]
    assert res.facts["island_point"]["island"] and not res.facts["island_point"]["land"]


def test_land_and_island_split_a_line_in_a_district_without_gap_or_double_count():
    """Along an overlapped island's coast counts as island (closed polygons, as island_m), the rest as land."""
    layers = grid_layers()
    layers["district"].append(("310151", "区C", "310151", None, box(2300, 300, 2700, 700)))
    res = overlay(frame([LineString([(2300, 400), (2400, 400), (2400, 500), (2500, 500)])]), library(layers))
    d = res.facts["1"]["details"]
    assert res.facts["1"]["land"] and res.facts["1"]["island"]
    assert d["island_m"] == pytest.approx(200.0)
    assert d["land_m"] == pytest.approx(100.0)


def test_line_along_a_cut_between_pieces_of_one_feature_counts_once():
    circle = Point(0, 0).buffer(1000, quad_segs=64)  # 257 vertices: split into 4 pieces at x=0 and y=0
    lib_c = library({"redline": [("R", "圆", None, None, circle)]})
    assert len(ov.prepare_layers(lib_c).pieces) == 4
    lines = [LineString([(0, -200), (0, 200)]),  # along the x=0 cut only
             LineString([(0, -200), (0, 200), (300, 200)]),  # along the cut, then along y=200 into a piece
             LineString([(-300, -200), (0, -200), (0, 200), (300, 200)])]  # into both sides, and along the cut
    res = overlay(frame(lines), lib_c)
    red = _rows(res, None, "redline").set_index("footprint_id")
    for k, line in enumerate(lines, start=1):
        assert red.loc[str(k), "length_m"] == pytest.approx(line.length)
    wide = overlay(frame(lines[:1]), lib_c, line_width_m=4.0)
    w = _rows(wide, "1", "redline")
    assert w["length_m"].iloc[0] == pytest.approx(400.0) and w["area_m2"].iloc[0] == pytest.approx(1600.0)


@pytest.mark.parametrize("option", ["search_radius_m", "sliver_area_m2", "sliver_length_m", "line_width_m",
                                    "point_radius_m"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, "x"])
def test_numeric_options_must_be_finite_and_not_negative(lib, option, value):
    with pytest.raises(ValueError, match=option):
        overlay(frame([box(900, 100, 1100, 200)]), lib, **{option: value})


@pytest.mark.parametrize("option", ["line_width_m", "point_radius_m"])
def test_width_and_radius_must_be_positive(lib, option):
    with pytest.raises(ValueError, match=option):
        overlay(frame([box(900, 100, 1100, 200)]), lib, **{option: 0.0})


def test_footprints_outside_shanghai_are_refused(lib):
    from shgeo.errors import CRSError, ExtentError

    # working-CRS metres mislabelled as CGCS2000 lon/lat: 900°E is nowhere
    with pytest.raises(ExtentError):
        overlay(frame([box(900, 100, 1100, 200)], crs=4490), lib)
    # Beijing in lon/lat: a real place, not Shanghai; the offending footprint is named
    fps = frame([box(121.40, 31.20, 121.41, 31.21), box(116.39, 39.90, 116.40, 39.91)], ids=["sh", "bj"], crs=4490)
    with pytest.raises(ExtentError, match="'bj'") as err:
        overlay(fps, lib)
    assert "sh" not in str(err.value.feature)
    # mislabelled working CRS (Gauss-Krüger metres read as the working CRS) is outside too
    gk = frame([box(900, 100, 1100, 200)]).to_crs(4549).set_crs(WORKING_CRS, allow_override=True)
    with pytest.raises(ExtentError):
        overlay(gk, lib)
    with pytest.raises(CRSError, match="no CRS"):
        overlay(frame([box(900, 100, 1100, 200)]).set_crs(None, allow_override=True), lib)


def test_unnamed_feature_is_listed_by_feature_id():
    layers = grid_layers()
    layers["protected_area"] = [("P9", None, None, None, box(1400, 0, 1700, 300))]
    layers["district"][1] = ("D2", None, None, None, box(1000, 0, 2000, 1000))
    frames = {kind: gpd.GeoDataFrame([dict(zip(("feature_id", "name", "code", "category", "geometry"), row))
                                      for row in rows], geometry="geometry", crs=WORKING_CRS)
              for kind, rows in layers.items()}  # the loader refuses unnamed districts: bypass it
    res = overlay(frame([box(1450, 50, 1550, 150), box(900, 100, 1100, 200)]), _FakeLibrary(frames))
    assert res.facts["1"]["protected_area"] == ["P9"]
    assert res.facts["1"]["districts"] == ["D2"]
    assert res.facts["1"]["details"]["district_shares"] == {"D2": pytest.approx(1.0)}
    assert res.facts["2"]["redline_districts"] == ["D2", "区A"]


def test_subdivide_flattens_nested_collections_and_refuses_other_parts():
    nested = shapely.GeometryCollection([shapely.MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 10)]),
                                         box(40, 0, 50, 10)])
    pieces, src = subdivide(np.array([nested, box(0, 0, 1, 1)]))
    assert len(pieces) == 4 and list(np.bincount(src)) == [3, 1]
    assert shapely.area(pieces[src == 0]).sum() == pytest.approx(300.0)
    with pytest.raises(ValueError, match="geometry 1.*LineString"):
        subdivide(np.array([box(0, 0, 1, 1), shapely.GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (5, 5)])])]))
    with pytest.raises(ValueError, match="geometry 0"):
        subdivide(np.array([None], dtype=object))


class _FakeLibrary:
    """Just enough of a LayerLibrary for prepare_layers (bypasses the loader's own checks)."""

    def __init__(self, layers):
        self._layers = layers
        self.kinds = list(layers)

    def layer(self, kind):
        return self._layers[kind]


def test_layer_without_crs_or_with_non_polygons_is_refused():
    from shgeo.errors import LayerError

    good = gpd.GeoDataFrame({"feature_id": ["a", "b"]}, geometry=[box(0, 0, 10, 10), LineString([(0, 0), (1, 1)])],
                            crs=WORKING_CRS)
    with pytest.raises(LayerError, match="no CRS"):
        ov.prepare_layers(_FakeLibrary({"redline": good.set_crs(None, allow_override=True)}))
    with pytest.raises(LayerError, match="'b'.*LineString"):
        ov.prepare_layers(_FakeLibrary({"redline": good}))


def test_few_footprints_are_cut_into_many_chunks_per_thread():
    """Footprints differ in cost by orders of magnitude: a few thousand on two threads make several chunks
    per thread (so neither thread ends alone with a heavy chunk); a million make full-size chunks."""
    assert engine._chunk_size(10_000, 1) == engine._CHUNK
    size = engine._chunk_size(10_000, 2)
    assert engine._MIN_CHUNK <= size and -(-10_000 // size) >= 2 * 4
    assert engine._chunk_size(1_000_000, 2) == engine._CHUNK
    assert engine._chunk_size(100, 2) == engine._MIN_CHUNK
