"""The constraint raster: class table, precedence, georeferencing, windowing and the COG it writes."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from common import raster_library
from shgeo.crs import WORKING_CRS
from shgeo.errors import ExtentError, LayerError, QueryError
from shgeo.avoidance.raster import (
    CLASS_TABLE,
    CLASSES,
    CORE_ZONE,
    NEAR_MISS,
    REDLINE,
    SEA,
    WATER_SOURCE,
    build_constraint_raster,
    cost_from_classes,
    grid_for_bounds,
    rasterise_classes,
    resolve_costs,
)


def test_class_table_is_complete_and_documented():
    assert [c.value for c in CLASS_TABLE] == list(range(7))
    assert set(CLASSES) == {"clear", "near_miss", "protected_area", "redline", "water_source_l1", "core_zone", "sea"}
    assert len({c.precedence for c in CLASS_TABLE}) == len(CLASS_TABLE)  # no ties: overlaps are decided
    assert math.isinf(CLASSES["core_zone"].default_cost) and math.isinf(CLASSES["water_source_l1"].default_cost)
    assert all(c.basis for c in CLASS_TABLE)


def test_costs_are_validated_against_the_class_names():
    assert resolve_costs({"sea": 5, "redline": "impassable"})["sea"] == 5
    assert math.isinf(resolve_costs({"redline": None})["redline"])
    with pytest.raises(QueryError, match="valid classes: clear, near_miss"):
        resolve_costs({"forest": 3})
    with pytest.raises(QueryError, match="positive"):
        resolve_costs({"sea": -2})
    cost = cost_from_classes(np.array([[0, REDLINE, CORE_ZONE]], dtype=np.uint8), {"redline": 7})
    assert cost.tolist() == [[1.0, 7.0, math.inf]]


def test_a_feature_lands_on_the_right_cells():
    # a 100 m square at x 200..300, y 400..500 on a 20 m grid with its corner at (0, 1000)
    lib = raster_library(redline=[box(200, 400, 300, 500)])
    result = build_constraint_raster(lib, (0, 0, 1000, 1000), 20, near_m=0)
    assert result.transform == rasterio.Affine(20, 0, 0, 0, -20, 1000)
    rows, cols = np.nonzero(result.classes == REDLINE)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (25, 29, 10, 14)
    assert result.counts["redline"] == 25
    assert result.counts["clear"] == 50 * 50 - 25


def test_written_raster_round_trips_georeferencing(tmp_path):
    lib = raster_library(redline=[box(200, 400, 300, 500)])
    out = tmp_path / "c.tif"
    build_constraint_raster(lib, (0, 0, 1000, 1000), 20, out, near_m=0)
    with rasterio.open(out) as ds:
        assert ds.crs == rasterio.crs.CRS.from_wkt(WORKING_CRS.to_wkt())
        classes = ds.read(1)
        # the cell containing the square's centre, and one just outside it
        r, c = ds.index(250, 450)
        assert classes[r, c] == REDLINE
        r, c = ds.index(310, 450)
        assert classes[r, c] != REDLINE
        assert ds.xy(*ds.index(250, 450)) == (250.0, 450.0)


def test_precedence_core_over_redline_over_sea_and_near_miss_ring():
    lib = raster_library(redline=[box(0, 0, 400, 400)], core_zone=[box(100, 100, 200, 200)],
                       sea=[box(300, -500, 900, 500)], water_source_l1=[box(600, 600, 700, 700)])
    classes = build_constraint_raster(lib, (-300, -300, 900, 900), 20, near_m=60).classes
    grid = grid_for_bounds((-300, -300, 900, 900), 20)

    def at(x, y):
        return classes[int((grid.north - y) // 20), int((x - grid.west) // 20)]

    assert at(150, 150) == CORE_ZONE        # core zone inside the red line
    assert at(350, 50) == REDLINE           # red line over sea
    assert at(700, 0) == SEA
    assert at(650, 650) == WATER_SOURCE
    assert at(-30, 50) == NEAR_MISS         # 30 m outside the red line
    assert at(-110, 50) == CLASSES["clear"].value


@pytest.mark.parametrize("all_touched", [False, True])
def test_windowed_build_equals_single_window(all_touched):
    lib = raster_library(redline=[box(0, 0, 400, 400).difference(box(50, 50, 350, 350))],
                       protected_area=[box(-150, 170, 600, 230)])

    def build(block_size, near_m):
        return build_constraint_raster(lib, (-300, -300, 700, 700), 10, block_size=block_size, near_m=near_m,
                                       all_touched=all_touched).classes

    np.testing.assert_array_equal(build(4096, 0), build(16, 0))
    # the near-miss band is a buffered polygon: its arcs are approximated from the clipped piece,
    # so a cell on the band's outer edge may flip; nothing else may differ
    whole, tiled = build(4096, 50), build(16, 50)
    differ = whole != tiled
    assert differ.sum() <= 4
    assert set(whole[differ]) | set(tiled[differ]) <= {CLASSES["clear"].value, NEAR_MISS}


def test_missing_kind_fails_closed_unless_allowed():
    lib = raster_library(sea=None)
    with pytest.raises(LayerError, match="sea.*--allow-missing sea"):
        build_constraint_raster(lib, (0, 0, 200, 200), 20)
    result = build_constraint_raster(lib, (0, 0, 200, 200), 20, optional_kinds=["sea"])
    assert result.missing_kinds == ["sea"]


def test_bounds_are_checked():
    with pytest.raises(ExtentError, match="inverted"):
        grid_for_bounds((10, 0, 0, 10), 20)
    with pytest.raises(ExtentError, match="outside Shanghai"):
        grid_for_bounds((116.3, 39.9, 116.4, 40.0), 20, bounds_crs="EPSG:4490")
    grid = grid_for_bounds((121.49, 31.19, 121.51, 31.21), 20, bounds_crs="EPSG:4490")
    assert grid.res_m == 20 and 90 < grid.width < 110 and grid.west % 20 == 0


def test_cog_has_tiles_overviews_compression_and_class_table(tmp_path):
    lib = raster_library(redline=[box(0, 0, 4000, 4000)], sample=True)
    out, cost_out = tmp_path / "constraints.tif", tmp_path / "cost.tif"
    result = build_constraint_raster(lib, (-2000, -2000, 10_000, 10_000), 20, out, cost_out=cost_out,
                                     block_size=256)
    assert result.path == out and result.cost_path == cost_out
    with rasterio.open(out) as ds:
        assert ds.dtypes == ("uint8",) and ds.block_shapes == [(512, 512)]
        assert ds.compression == rasterio.enums.Compression.deflate
        assert ds.overviews(1), "a COG carries overviews"
        if result.driver == "COG":
            assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        tags = ds.tags()
        table = json.loads(tags["CLASS_TABLE"])
        assert [row["name"] for row in table] == [c.name for c in CLASS_TABLE]
        assert tags["CLASS_3"].startswith("redline")
        assert json.loads(tags["COSTS"])["core_zone"] == "impassable"
        assert tags["SAMPLE_DATA"] == "TRUE" and "SAMPLE DATA" in tags["CAVEAT"]
        assert ds.colormap(1)[REDLINE][:3] == CLASSES["redline"].colour
        classes = ds.read(1)
    with rasterio.open(cost_out) as ds:
        cost = ds.read(1)
        assert ds.dtypes == ("float32",)
    assert set(np.unique(cost[classes == REDLINE])) == {100.0}
    assert not list(tmp_path.glob(".shgeo-raster-*")), "the working files are removed"


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="GDAL command-line tools not installed")
def test_gdalinfo_reads_the_cog(tmp_path):
    out = tmp_path / "c.tif"
    build_constraint_raster(raster_library(), (0, 0, 1000, 1000), 20, out)
    info = subprocess.run(["gdalinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "CLASS_TABLE" in info and "LAYOUT=COG" in info


def test_cli_writes_a_raster_of_the_sample_pack(tmp_path, capsys):
    from shgeo.cli.main import main

    out = tmp_path / "constraints.tif"
    code = main(["raster", "--bounds", "121.12,30.95,121.18,31.02", "--res", "50", "--out", str(out),
                 "--cost", "sea=5"])
    assert code == 0
    printed = capsys.readouterr()
    assert "redline" in printed.out and "SAMPLE DATA" in printed.err
    with rasterio.open(out) as ds:
        assert ds.res == (50.0, 50.0)
        assert (ds.read(1) == REDLINE).any()  # the 黄浦江上游 red-line strip crosses this extent
        assert json.loads(ds.tags()["COSTS"])["sea"] == 5


@pytest.mark.parametrize("args, message", [
    (["--bounds", "116.3,39.9,116.4,40.0"], "outside Shanghai"),
    (["--bounds", "121.1,31.0,121.2,31.1", "--cost", "forest=2"], "valid classes"),
    (["--bounds", "121.1,31.0,121.2"], "four numbers"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    from shgeo.cli.main import main

    assert main(["raster", "--out", str(tmp_path / "x.tif"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_nan_near_miss_distance_is_refused_everywhere():
    """A NaN near_m would silently remove the near-miss band."""
    lib = raster_library(redline=[box(200, 400, 300, 500)])
    grid = grid_for_bounds((0, 0, 1000, 1000), 20, bounds_crs=WORKING_CRS)
    with pytest.raises(QueryError, match="near_m"):
        rasterise_classes(lib, grid, near_m=float("nan"))


def test_cost_surface_folder_is_created(tmp_path):
    lib = raster_library(redline=[box(200, 400, 300, 500)])
    out = build_constraint_raster(lib, (0, 0, 1000, 1000), 20, bounds_crs=WORKING_CRS, out=tmp_path / "a" / "c.tif",
                                  cost_out=tmp_path / "b" / "cost.tif")
    assert out.cost_path.exists()
