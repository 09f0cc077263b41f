"""Property tests: the engine agrees with brute-force shapely on random layers and footprints."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from common import frame, grid_layers, library, random_polygons
from shgeo.overlay import overlay

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _random_footprints(rng, n):
    geoms = random_polygons(rng, n, size=(2.0, 600.0))
    for k in range(n // 5):  # some lines and points
        x, y = rng.uniform(0, 3000, 2)
        geoms.append(LineString(rng.uniform(-300, 300, (int(rng.integers(2, 6)), 2)) + [x, y]))
        geoms.append(Point(rng.uniform(0, 3000, 2)))
    return geoms


@pytest.fixture(scope="module")
def grid():
    return library(grid_layers())


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_overlap_never_exceeds_footprint(grid, seed):
    rng = np.random.default_rng(seed)
    fps = frame(_random_footprints(rng, 12))
    res = overlay(fps, grid, extent_tolerance_m=5000)  # footprints spread past the small world
    over = res.hits[res.hits["relation"] == "overlap"]
    assert (over["share"] <= 1.0 + 1e-12).all() and (over["share"] > 0).all()
    areas = dict(zip(fps["footprint_id"], shapely.area(np.asarray(fps.geometry.array))))
    lengths = dict(zip(fps["footprint_id"], shapely.length(np.asarray(fps.geometry.array))))
    for (fid, kind), grp in over.groupby(["footprint_id", "kind"]):
        assert grp["area_m2"].sum() <= areas[fid] * (1 + 1e-9) + 1e-9
        assert grp["length_m"].sum() <= lengths[fid] * (1 + 1e-9) + 1e-9
    for fid, facts in res.facts.items():
        assert sum(facts["details"]["district_shares"].values()) <= 1.0 + 1e-9


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_results_invariant_to_footprint_order(grid, seed):
    rng = np.random.default_rng(seed)
    fps = frame(_random_footprints(rng, 10))
    shuffled = fps.iloc[rng.permutation(len(fps))].reset_index(drop=True)
    a, b = overlay(fps, grid, extent_tolerance_m=5000), overlay(shuffled, grid, extent_tolerance_m=5000)
    cols = ["footprint_id", "kind", "feature_id", "relation", "area_m2", "length_m", "distance_m", "flags"]
    key = ["footprint_id", "kind", "relation", "feature_id"]
    ha = a.hits[cols].sort_values(key).reset_index(drop=True)
    hb = b.hits[cols].sort_values(key).reset_index(drop=True)
    assert ha.equals(hb)
    assert a.facts == b.facts


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), max_vertices=st.sampled_from([8, 12, 64]),
       width=st.sampled_from([None, 6.0]))
def test_equal_to_brute_force_reference(seed, max_vertices, width):
    rng = np.random.default_rng(seed)
    feats = random_polygons(rng, 6, size=(50.0, 1500.0))
    lib = library({"redline": [(f"F{k}", f"f{k}", None, None, g) for k, g in enumerate(feats)]})
    fps_geoms = _random_footprints(rng, 15)
    res = overlay(frame(fps_geoms), lib, max_vertices=max_vertices, search_radius_m=300,
                  line_width_m=width, point_radius_m=width)
    got = {(r.footprint_id, r.feature_id): r for r in res.hits.itertuples() if r.relation == "overlap"}
    expected = {}
    for i, fp in enumerate(fps_geoms, start=1):
        for k, feat in enumerate(feats):
            inter = fp.intersection(feat)
            area = inter.area
            if fp.geom_type == "Point" and width:
                area = fp.buffer(width, quad_segs=16).intersection(feat).area
                hit = area > 0
            elif fp.geom_type == "LineString" and width:
                area = fp.buffer(width / 2, cap_style="flat", quad_segs=16).intersection(feat).area
                hit = area > 0
            elif fp.geom_type == "Point":
                hit = feat.contains_properly(fp)
            elif fp.geom_type == "LineString":
                hit = inter.length > 0 and not fp.touches(feat)
            else:
                hit = area > 0
            if hit:
                expected[(str(i), f"F{k}")] = (area, inter.length if fp.geom_type == "LineString" else 0.0)
    assert set(got) == set(expected)
    for key, (area, length) in expected.items():
        row = got[key]
        assert row.area_m2 == pytest.approx(area, rel=1e-9, abs=1e-6)
        assert row.length_m == pytest.approx(length, rel=1e-9, abs=1e-6)
    # near misses: the nearest non-overlapped feature within the radius, exactly
    for fid in {str(i) for i in range(1, len(fps_geoms) + 1)}:
        fp = fps_geoms[int(fid) - 1]
        if width and fp.geom_type in ("Point", "LineString"):
            fp = fp.buffer(width, quad_segs=16) if fp.geom_type == "Point" else \
                fp.buffer(width / 2, cap_style="flat", quad_segs=16)
        if any(k[0] == fid for k in expected):
            continue
        dists = [fp.distance(f) for f in feats]
        near = res.hits[(res.hits["footprint_id"] == fid) & (res.hits["relation"] == "near")]
        if min(dists) <= 300:
            assert near["distance_m"].iloc[0] == pytest.approx(min(dists), abs=1e-6)
        else:
            assert near.empty


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_kept_overlap_copies_are_exact(seed):
    """The compact copies kept of intersection and union results have the same type, parts, rings and
    coordinates, bit for bit; geometries not marked fresh (footprints, pieces) are kept as the same objects."""
    from shgeo.overlay import measures

    rng = np.random.default_rng(seed)
    a = np.array(random_polygons(rng, 20, size=(5.0, 400.0)), dtype=object)
    b = np.array(random_polygons(rng, 20, size=(5.0, 400.0)), dtype=object)
    made = np.concatenate([shapely.intersection(a, b), shapely.union(a[:5], b[:5]),
                           shapely.intersection(a[:3], shapely.LineString([(0, 0), (3000, 3000)]))])
    geoms = np.concatenate([made, a, [None]])
    fresh = np.concatenate([np.ones(len(made), bool), np.zeros(len(a) + 1, bool)])
    fresh[-1] = True  # a missing geometry stays missing
    out = measures._compacted(geoms, fresh)
    assert out is not geoms and out[-1] is None
    assert all(x is y for x, y in zip(out[len(made):-1], a))
    for x, y in zip(out[:len(made)], made):
        assert x is not y
        assert shapely.get_type_id(x) == shapely.get_type_id(y)
        assert shapely.get_num_geometries(x) == shapely.get_num_geometries(y)
        assert np.array_equal(shapely.get_coordinates(x), shapely.get_coordinates(y))
        assert shapely.equals_exact(x, y, tolerance=0.0)
