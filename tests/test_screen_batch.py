"""The batch pipeline gives each project what the plain per-project loop gives: facts, overlaps, findings.

The reference is the straightforward loop (overlay once, then per project: its
facts, its rows of ``hits``, ``route``), on the sample projects and on a few
thousand generated footprints across Shanghai; the batch runs in chunks, and on
a dask cluster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
import geopandas as gpd

from shgeo.crs import WORKING_CRS
from shgeo.inputs.batch import prepare_frame
from shgeo.library.layers import load_library
from shgeo.outputs.report import OVERLAP_KEYS, json_number, json_text
from shgeo.overlay import overlay
from shgeo.overlay.result import SPATIAL_KEYS
from shgeo.rules.decision import route
from shgeo.screening import screen

from test_screen import SAMPLE_PROJECTS


@pytest.fixture(scope="module")
def library():
    return load_library()


def _generated(library, n: int, seed: int = 11) -> gpd.GeoDataFrame:
    """*n* footprints (85 % polygons of 50 m – 2 km, 10 % lines, 5 % points) centred on Shanghai's land."""
    rng = np.random.default_rng(seed)
    land = shapely.union_all(np.asarray(library.layer("district").geometry.array))
    land = shapely.buffer(shapely.difference(land, shapely.union_all(np.asarray(library.layer("sea").geometry.array))),
                          -300)
    x0, y0, x1, y1 = land.bounds
    x, y = rng.uniform(x0, x1, 6 * n), rng.uniform(y0, y1, 6 * n)
    inside = shapely.contains_xy(land, x, y)
    cx, cy = x[inside][:n], y[inside][:n]
    size = np.exp(rng.uniform(np.log(50), np.log(2000), n))
    kind = rng.choice(3, n, p=[0.85, 0.10, 0.05])
    geoms = []
    for k in range(n):
        if kind[k] == 0:
            geoms.append(shapely.box(cx[k], cy[k], cx[k] + size[k], cy[k] + size[k] / 2))
        elif kind[k] == 1:
            geoms.append(shapely.LineString([(cx[k], cy[k]), (cx[k] + size[k], cy[k] + size[k] / 3)]))
        else:
            geoms.append(shapely.Point(cx[k], cy[k]))
    return gpd.GeoDataFrame({"项目编号": [f"G{k:05d}" for k in range(n)]}, geometry=geoms, crs=WORKING_CRS)


def _entries(hits: gpd.GeoDataFrame) -> list[dict]:
    out = []
    for row in hits.itertuples(index=False):
        get = row._asdict().get
        out.append({"kind": get("kind"), "feature_id": json_text(get("feature_id")), "name": json_text(get("name")),
                    "code": json_text(get("code")), "relation": get("relation"),
                    "area_m2": json_number(get("area_m2"), 2), "length_m": json_number(get("length_m"), 2),
                    "share": json_number(get("share"), 6), "distance_m": json_number(get("distance_m"), 2)})
    return out


def _reference(frame: gpd.GeoDataFrame, library) -> dict[str, tuple]:
    """The per-project loop: facts, overlap entries, findings and overall of every footprint."""
    ov = overlay(frame, library)
    hits = ov.hits
    out = {}
    for pid in frame["footprint_id"]:
        facts = ov.facts[pid]
        answer = route({"spatial": {k: facts[k] for k in SPATIAL_KEYS if k in facts}, "project": {}},
                       as_of="2025-06-01")
        mine = hits[hits["footprint_id"] == pid].reset_index(drop=True)
        out[pid] = (facts, _entries(mine), answer["findings"], answer["overall"])
    return out


def _batch(result) -> dict[str, tuple]:
    keys = [k for k in OVERLAP_KEYS if k not in ("category", "flags")]
    return {p.project_id: (p.facts, [{k: e[k] for k in keys} for e in p.report["overlaps"]], p.findings, p.overall)
            for p in result if p.ok}


def _same(got: dict, expected: dict) -> None:
    assert set(got) == set(expected)
    wrong = [pid for pid in expected if got[pid] != expected[pid]]
    assert wrong == [], f"{len(wrong)} projects differ, e.g. {wrong[:5]}"


def test_sample_projects_match_the_per_project_loop(library):
    result = screen(SAMPLE_PROJECTS, library, as_of="2025-06-01")
    frame = gpd.GeoDataFrame({"footprint_id": result.ids},
                             geometry=gpd.GeoSeries([p.geometry for p in result], crs=WORKING_CRS))
    expected = _reference(frame, library)
    # the sample projects declare attributes: compare the spatial side, and the findings of an undeclared run
    got = screen(frame.assign(项目编号=frame["footprint_id"])[["项目编号", "geometry"]], library, as_of="2025-06-01")
    _same(_batch(got), expected)


@pytest.fixture(scope="module")
def generated(library):
    gdf = _generated(library, 3000)
    return gdf, _reference(prepare_frame(gdf, None, None), library)


def test_generated_footprints_match_the_per_project_loop(generated, library, monkeypatch):
    import shgeo.screening as screening

    gdf, expected = generated
    monkeypatch.setattr(screening, "_LOCAL_CHUNK", 700)  # several chunks, one hit table each
    result = screen(gdf, library, as_of="2025-06-01")
    assert all(p.ok for p in result)
    _same(_batch(result), expected)
    assert len(result.overlaps) == sum(len(v[1]) for v in expected.values())


def test_a_dask_cluster_gives_the_same_records(generated, library):
    distributed = pytest.importorskip("distributed")
    gdf, expected = generated
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        result = screen(gdf.iloc[:800], library, as_of="2025-06-01", client=client, partitions=5)
    _same(_batch(result), {pid: expected[pid] for pid in gdf["项目编号"].iloc[:800]})
    assert result.ids == list(gdf["项目编号"].iloc[:800])
