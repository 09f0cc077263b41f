"""The working CRS keeps areas and lengths within 0.01 % of geodesic values over Shanghai."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, box

from shgeo.crs import SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG, WORKING_CRS, check_in_shanghai, parse_crs
from shgeo.errors import CRSError, ExtentError

GEOD = pyproj.Geod(ellps="GRS80")
TOLERANCE = 1e-4  # 0.01 %

# corners and extremes of Shanghai's land and sea area (lon, lat)
PLACES = [
    (121.47, 31.23),  # 人民广场
    (120.86, 30.70),  # 枫泾, south-west corner
    (121.00, 31.87),  # 崇明 north-west
    (122.24, 31.42),  # 佘山岛, far east
    (122.90, 30.62),  # sea area, south-east corner
    (121.33, 30.70),  # 金山嘴
]


def _project(geom, crs):
    t = pyproj.Transformer.from_crs(4490, crs, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


@pytest.mark.parametrize("lon,lat", PLACES)
def test_area_within_tolerance_of_geodesic(lon, lat):
    square = shapely.segmentize(box(lon, lat, lon + 0.02, lat + 0.02), 0.0005)
    geodesic, _ = GEOD.geometry_area_perimeter(square)
    planar = _project(square, WORKING_CRS).area
    assert abs(planar / abs(geodesic) - 1) < TOLERANCE


@pytest.mark.parametrize("lon,lat", PLACES)
def test_length_within_tolerance_of_geodesic(lon, lat):
    line = shapely.segmentize(LineString([(lon, lat), (lon + 0.05, lat + 0.03)]), 0.0005)
    geodesic = GEOD.geometry_length(line)
    planar = _project(line, WORKING_CRS).length
    assert abs(planar / geodesic - 1) < TOLERANCE


@pytest.mark.parametrize("epsg,lon", [(4549, 122.24), (4550, 120.86)])
def test_gauss_kruger_zones_at_120_or_123_would_not_do(epsg, lon):
    """The reason for an equal-area working CRS: GK zones exceed 0.01 % in parts of Shanghai."""
    square = shapely.segmentize(box(lon, 31.0, lon + 0.02, 31.02), 0.0005)
    geodesic, _ = GEOD.geometry_area_perimeter(square)
    planar = _project(square, pyproj.CRS.from_epsg(epsg)).area
    assert abs(planar / abs(geodesic) - 1) > TOLERANCE


def test_working_crs_is_metric_on_cgcs2000():
    assert WORKING_CRS.is_projected
    assert WORKING_CRS.axis_info[0].unit_name == "metre"
    assert WORKING_CRS.geodetic_crs.to_epsg() == 4490


def test_parse_crs_accepts_epsg_and_web_map_names():
    assert parse_crs(4490).to_epsg() == 4490
    assert parse_crs("EPSG:4549").to_epsg() == 4549
    assert parse_crs("GCJ02") == "gcj02"
    assert parse_crs("bd-09") == "bd09"


def test_parse_crs_unknown_lists_accepted_forms():
    with pytest.raises(CRSError, match="gcj02"):
        parse_crs("not a crs", path="x.shp")


def test_inside_shanghai_passes():
    west, south, east, north = SHANGHAI_BOUNDS
    assert check_in_shanghai(np.array([west, east]), np.array([south, north])) is None


@pytest.mark.parametrize(("inside", "outside"), [
    ((120.65, 31.2), (120.55, 31.2)),   # west: the limit is 120.85°E less the 0.25° margin
    ((123.15, 31.2), (123.25, 31.2)),   # east: 122.95°E + 0.25°
    ((121.5, 30.40), (121.5, 30.30)),   # south: 30.60°N − 0.25°
    ((121.5, 32.10), (121.5, 32.20)),   # north: 31.90°N + 0.25°
])
def test_extent_check_limits(inside, outside):
    """The coarse lon/lat check's limits, as literal coordinates: 0.05° (about 5 km) either side of each."""
    assert (SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG) == ((120.85, 30.60, 122.95, 31.90), 0.25)
    check_in_shanghai(np.array([inside[0]]), np.array([inside[1]]))
    with pytest.raises(ExtentError):
        check_in_shanghai(np.array([outside[0]]), np.array([outside[1]]))


def test_swapped_axes_are_named():
    with pytest.raises(ExtentError, match="swapped"):
        check_in_shanghai(np.array([31.2]), np.array([121.5]), path="p.geojson")


def test_metres_read_as_degrees_are_named():
    with pytest.raises(ExtentError, match="metres"):
        check_in_shanghai(np.array([40_500_000.0]), np.array([3_450_000.0]))


def test_wrong_gauss_kruger_zone_is_named():
    # a point in Shanghai, written in zone 41 (CM 123°E) but declared as zone 40 (CM 120°E)
    x, y = pyproj.Transformer.from_crs(4490, 4529, always_xy=True).transform(121.5, 31.2)
    lon, lat = pyproj.Transformer.from_crs(4528, 4490, always_xy=True).transform(x - 1_000_000, y)
    with pytest.raises(ExtentError, match="Gauss-Kr"):
        check_in_shanghai(np.array([lon]), np.array([lat]), source_crs=pyproj.CRS.from_epsg(4528))


@pytest.mark.parametrize("lon, lat, epsg, cause", [
    ([np.inf], [np.inf], None, "projected coordinates (metres) were read as degrees: declare the file's projected CRS"),
    ([121.5], [3.4e6], None, "projected coordinates (metres) were read as degrees: declare the file's projected CRS"),
    ([31.2], [121.5], None,
     "latitude and longitude look swapped (axis order): swap the columns or declare the axis order"),
    ([118.0], [31.2], 4549,
     "the file's coordinates do not fit CGCS2000 / 3-degree Gauss-Kruger CM 120E: probably the wrong Gauss-Krüger "
     "zone (Shanghai is in 3° zones 40/41, CM 120°E/123°E, EPSG:4528/4529 with zone prefix or 4549/4550 without)"),
    ([118.0], [31.2], 4499,
     "the file's coordinates do not fit CGCS2000 / Gauss-Kruger zone 21: probably the wrong Gauss-Krüger "
     "zone (Shanghai is in 3° zones 40/41, CM 120°E/123°E, EPSG:4528/4529 with zone prefix or 4549/4550 without)"),
    ([118.0], [31.2], 32651, "the coordinates do not fit WGS 84 / UTM zone 51N: check the declared CRS"),
    ([120.0], [31.2], None, "the footprint is near Shanghai but outside its extent"),
    ([10.0], [50.0], None, "the coordinates are elsewhere on Earth: check the declared CRS"),
])
def test_each_likely_cause_is_named_in_full(lon, lat, epsg, cause):
    """The extent error ends with the one likely cause, word for word (a user acts on it)."""
    crs = pyproj.CRS.from_epsg(epsg) if epsg else None
    with pytest.raises(ExtentError) as err:
        check_in_shanghai(np.array(lon), np.array(lat), source_crs=crs)
    assert str(err.value).endswith(" — " + cause)
    assert "expected lon 120.85–122.95, lat 30.6–31.9" in str(err.value)


def test_unknown_crs_names_the_file_and_the_accepted_forms():
    with pytest.raises(CRSError) as err:
        parse_crs("EPSG:99999999", path="projects/a.shp")
    text = str(err.value)
    assert "projects/a.shp" in text and "unknown CRS 'EPSG:99999999'" in text
    assert err.value.hint == ("give an EPSG code (4326, 4490, 4513–4554 …), a WKT/PROJ string, "
                              "or 'gcj02' / 'bd09' for web-map coordinates")


def _cause(lon: float, lat: float) -> str:
    with pytest.raises(ExtentError) as err:
        check_in_shanghai(np.array([lon]), np.array([lat]))
    return str(err.value).rsplit(" — ", 1)[1]


SWAPPED = "latitude and longitude look swapped (axis order): swap the columns or declare the axis order"


def test_swapped_axes_are_told_up_to_the_margin_and_not_beyond():
    """Swapped means: the latitudes hold Shanghai's longitudes and the longitudes its latitudes, both within the
    extent plus its margin (edges included); one of the two alone is not a swap."""
    west, south, east, north = SHANGHAI_BOUNDS
    m = SHANGHAI_MARGIN_DEG
    for lat_holding_lon in (west - m, west - m + 0.1, east + m):
        for lon_holding_lat in (south - m, south - m + 0.1, north + m):
            assert _cause(lon_holding_lat, lat_holding_lon) == SWAPPED, (lon_holding_lat, lat_holding_lon)
    for lon, lat in ((south - m - 1e-6, west), (north + m + 1e-6, west), (south, west - m - 1e-6),
                     (south, east + m + 1e-6), (31.0, 50.0), (10.0, 121.5)):
        assert _cause(lon, lat) != SWAPPED, (lon, lat)


def test_transformer_made_once_per_thread_and_crs_pair():
    """One transformer per thread and CRS pair: reused within a thread (making one is a PROJ database
    search), never shared across threads (pyproj transformers are not thread-safe)."""
    import threading

    from shgeo.crs import GEOGRAPHIC_CRS, WORKING_CRS, transformer

    t = transformer(WORKING_CRS, GEOGRAPHIC_CRS)
    assert transformer(WORKING_CRS, GEOGRAPHIC_CRS) is t
    assert transformer(GEOGRAPHIC_CRS, WORKING_CRS) is not t
    lon, lat = t.transform(0.0, 0.0)  # the working CRS's centre
    assert abs(lon - 121.5) < 1e-9 and abs(lat - 31.2) < 1e-9
    other = []
    th = threading.Thread(target=lambda: other.append(transformer(WORKING_CRS, GEOGRAPHIC_CRS)))
    th.start()
    th.join()
    assert other[0] is not t
