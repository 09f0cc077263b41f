"""The overlay against values computed independently: direct shapely on whole features, no pieces, no shortcuts.

On the sample pack, for every sample project and for a few thousand generated
footprints (polygons, lines, points, wide lines and a collection or two), every
(footprint, kind, feature) overlap and its area / length must equal the
intersection with the whole feature, and the facts must follow from them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection

import shgeo
from common import frame
from shgeo.overlay import overlay

PROJECTS = Path(__file__).resolve().parents[2] / "data" / "sample" / "projects" / "sample_projects.gpkg"
INTERIOR = "T********"


@pytest.fixture(scope="module")
def sample():
    return shgeo.load_library()


def _reference_near(geoms: np.ndarray, lib, overlapped: set[tuple[int, str]], radius: float = 1000.0
                    ) -> dict[tuple[int, str], float]:
    """(footprint index, kind) → distance m to the nearest feature of a kind not overlapped, within *radius*."""
    out = {}
    for kind in lib.kinds:
        feats = np.asarray(lib.layer(kind).geometry.array, dtype=object)
        if len(feats) == 0:
            continue
        (i, _), d = shapely.STRtree(feats).query_nearest(geoms, max_distance=radius, return_distance=True)
        for a, dist in zip(i.tolist(), d.tolist()):
            if (a, kind) not in overlapped:
                out[(a, kind)] = dist
    return out


def _reference(geoms: np.ndarray, lib) -> dict[tuple[int, str, str], tuple[float, float]]:
    """(footprint index, kind, feature_id) → (area m², length m) where the interiors meet, on whole features."""
    out = {}
    dims = shapely.get_dimensions(geoms)
    for kind in lib.kinds:
        layer = lib.layer(kind)
        feats = np.asarray(layer.geometry.array, dtype=object)
        fids = layer["feature_id"].astype(str).to_numpy()
        i, f = shapely.STRtree(feats).query(geoms, predicate="intersects")
        meets = shapely.relate_pattern(geoms[i], feats[f], INTERIOR)
        i, f = i[meets], f[meets]
        inter = shapely.intersection(geoms[i], feats[f])
        area = np.where(dims[i] == 2, shapely.area(inter), 0.0)
        length = np.where(dims[i] == 1, shapely.length(inter), 0.0)
        for a, b, ar, ln in zip(i.tolist(), f.tolist(), area.tolist(), length.tolist()):
            out[(a, kind, fids[b])] = (ar, ln)
    return out


def _random_footprints(lib, n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    land = shapely.union_all(np.asarray(lib.layer("district").geometry.array))
    x0, y0, x1, y1 = land.bounds
    out = []
    while len(out) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if not land.contains(shapely.Point(x, y)):
            continue
        kind = rng.choice(3, p=[0.8, 0.15, 0.05])
        if kind == 0:
            w, h = np.exp(rng.uniform(np.log(30), np.log(3000), 2))
            g = shapely.affinity.rotate(shapely.box(x, y, x + w, y + h), rng.uniform(0, 90), origin=(x, y))
        elif kind == 1:
            g = shapely.LineString(np.cumsum(rng.normal(0, 800, (int(rng.integers(2, 6)), 2)), axis=0) + [x, y])
        else:
            g = shapely.Point(x, y)
        out.append(g)
    return out


def _check(geoms: list, lib, **options) -> None:
    geoms = np.asarray(geoms, dtype=object)
    res = overlay(frame(list(geoms)), lib, extent_tolerance_m=50_000, **options)
    ref = _reference(geoms, lib)
    over = res.hits[res.hits["relation"] == "overlap"]
    got = {(int(r.footprint_id) - 1, r.kind, str(r.feature_id)): (r.area_m2, r.length_m)
           for r in over.itertuples()}
    assert set(got) == set(ref)
    for key, (area, length) in ref.items():
        assert got[key][0] == pytest.approx(area, rel=1e-9, abs=1e-6), key
        assert got[key][1] == pytest.approx(length, rel=1e-9, abs=1e-6), key
    # the overlap geometry of a polygon is its part in the whole feature (pieces dissolved into one)
    features = {kind: lib.layer(kind).set_index(lib.layer(kind)["feature_id"].astype(str)).geometry
                for kind in lib.kinds}
    for r in over.itertuples():
        k = int(r.footprint_id) - 1
        if shapely.get_dimensions(geoms[k]) == 2:
            whole = shapely.intersection(geoms[k], features[r.kind].loc[str(r.feature_id)])
            assert r.geometry.is_valid, (k, r.kind, r.feature_id)
            assert shapely.symmetric_difference(r.geometry, whole).area <= 1e-9 * max(whole.area, 1.0) + 1e-6
    # near misses: per kind not overlapped, the nearest feature within the search radius, at its distance
    near = res.hits[res.hits["relation"] == "near"]
    got_near = {(int(r.footprint_id) - 1, r.kind): r.distance_m for r in near.itertuples()}
    ref_near = _reference_near(geoms, lib, {(key[0], key[1]) for key in ref})
    assert set(got_near) == set(ref_near)
    for key, dist in ref_near.items():
        assert got_near[key] == pytest.approx(dist, rel=1e-9, abs=1e-6), key
    for k in range(len(geoms)):
        facts = res.facts[str(k + 1)]
        assert facts["redline"] == any(key[0] == k and key[1] == "redline" for key in ref)
        assert facts["core_zone"] == any(key[0] == k and key[1] == "core_zone" for key in ref)
        districts = {lib.layer("district").set_index("feature_id").loc[key[2], "name"] for key in ref
                     if key[0] == k and key[1] == "district"}
        assert set(facts["districts"]) == districts


def test_sample_projects_match_whole_feature_overlays(sample):
    projects = shgeo.read_footprints(PROJECTS)
    _check(list(projects.geometry), sample)


def test_generated_footprints_match_whole_feature_overlays(sample):
    _check(_random_footprints(sample, 3000, seed=7), sample)


def test_generated_footprints_match_with_small_pieces(sample):
    """Small pieces put many footprints across cuts (the whole-feature and piece-inside shortcuts)."""
    _check(_random_footprints(sample, 600, seed=8), sample, max_vertices=16)


def test_collections_match_their_parts_on_whole_features(sample):
    parts = _random_footprints(sample, 30, seed=9)
    colls = [GeometryCollection([parts[k], parts[k + 1], parts[k + 2]]) for k in range(0, 30, 3)]
    res = overlay(frame(colls), sample, extent_tolerance_m=50_000)
    ref = _reference(np.asarray(parts, dtype=object), sample)
    over = res.hits[res.hits["relation"] == "overlap"]
    for c in range(len(colls)):
        want: dict[tuple[str, str], list[float]] = {}
        for (k, kind, fid), (area, length) in ref.items():
            if k // 3 == c:
                acc = want.setdefault((kind, fid), [0.0, 0.0])
                acc[0] += area
                acc[1] += length
        mine = over[over["footprint_id"] == str(c + 1)]
        assert {(r.kind, str(r.feature_id)) for r in mine.itertuples()} == set(want)
        for r in mine.itertuples():
            assert r.area_m2 == pytest.approx(want[(r.kind, str(r.feature_id))][0], rel=1e-9, abs=1e-6)
            assert r.length_m == pytest.approx(want[(r.kind, str(r.feature_id))][1], rel=1e-9, abs=1e-6)
