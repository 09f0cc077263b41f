"""Gauss-Krüger zones: every CGCS2000 code against the EPSG database, zone prefixes, axis order, declared CRSs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from common import gk_project as project
from shgeo.errors import CRSError, LocalGridError
from shgeo.inputs import gauss_kruger as gk


def _params(code: int):
    return gk.tm_parameters(CRS.from_epsg(code))


@pytest.mark.parametrize("zone", list(gk.THREE_DEGREE_ZONES))
def test_cgcs2000_3_degree_codes_match_epsg(zone):
    pref = gk.cgcs2000_epsg(3, zone, prefixed=True)
    plain = gk.cgcs2000_epsg(3, zone, prefixed=False)
    c1, c2 = CRS.from_epsg(pref), CRS.from_epsg(plain)
    assert c1.name == f"CGCS2000 / 3-degree Gauss-Kruger zone {zone}"
    assert c2.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {3 * zone}E"
    assert _params(pref) == (3.0 * zone, zone * 1e6 + 5e5, 1.0)
    assert _params(plain) == (3.0 * zone, 5e5, 1.0)
    assert gk.zone_from_cgcs2000_epsg(pref) == (gk.Zone(3, zone), True)
    assert gk.zone_from_cgcs2000_epsg(plain) == (gk.Zone(3, zone), False)


@pytest.mark.parametrize("zone", list(gk.SIX_DEGREE_ZONES))
def test_cgcs2000_6_degree_codes_match_epsg(zone):
    pref = gk.cgcs2000_epsg(6, zone, prefixed=True)
    plain = gk.cgcs2000_epsg(6, zone, prefixed=False)
    cm = 6 * zone - 3
    assert CRS.from_epsg(pref).name == f"CGCS2000 / Gauss-Kruger zone {zone}"
    assert CRS.from_epsg(plain).name == f"CGCS2000 / Gauss-Kruger CM {cm}E"
    assert _params(pref) == (float(cm), zone * 1e6 + 5e5, 1.0)
    assert _params(plain) == (float(cm), 5e5, 1.0)


def test_shanghai_codes():
    # Shanghai's codes, checked by name, central meridian and false easting.
    assert gk.Zone(3, 40).epsg(True) == 4528 and gk.Zone(3, 40).epsg(False) == 4549
    assert gk.Zone(3, 41).epsg(True) == 4529 and gk.Zone(3, 41).epsg(False) == 4550
    # 6° zone 21 (CM 123°E): 4499 prefixed, 4510 plain; 4498 is zone 20 and 4513 the 3° zone 25
    assert gk.Zone(6, 21).epsg(True) == 4499 and gk.Zone(6, 21).epsg(False) == 4510
    assert "zone 20" in CRS.from_epsg(4498).name  # 4498 is 6° zone 20 (CM 117°E)
    assert "3-degree Gauss-Kruger zone 25" in CRS.from_epsg(4513).name


def test_zone_for_longitude():
    assert gk.zone_for_longitude(121.4, 3) == gk.Zone(3, 40)
    assert gk.zone_for_longitude(121.6, 3) == gk.Zone(3, 41)
    assert gk.zone_for_longitude(120.9, 6) == gk.Zone(6, 21)
    assert gk.zone_for_longitude(122.2, 6) == gk.Zone(6, 21)
    with pytest.raises(ValueError):
        gk.Zone(3, 12)
    with pytest.raises(ValueError):
        gk.Zone(4, 40)


def test_detect_zone_prefix():
    assert gk.detect_zone_prefix([40633432.299, 40633632.3]) == gk.Zone(3, 40)
    assert gk.detect_zone_prefix([21347503.776]) == gk.Zone(6, 21)
    assert gk.detect_zone_prefix([633432.299, 347503.7]) is None
    assert gk.detect_zone_prefix([]) is None
    with pytest.raises(CRSError, match="some eastings carry a zone prefix") as ei:
        gk.detect_zone_prefix([40633432.299, 633432.299], lines=[7, 8])
    assert ei.value.line == 8
    with pytest.raises(CRSError, match="different zone prefixes"):
        gk.detect_zone_prefix([40633432.299, 41347503.7])
    with pytest.raises(CRSError, match="not a Chinese"):
        gk.detect_zone_prefix([24500000.0])


def test_prefixed_epsg():
    assert gk.prefixed_epsg([40633432.299]) == 4528
    assert gk.prefixed_epsg([41347503.776]) == 4529
    assert gk.prefixed_epsg([20633432.299]) == 4498  # 6° zone 20 (CM 117°E)
    assert gk.prefixed_epsg([21347503.776]) == 4499  # 6° zone 21 (CM 123°E)
    assert gk.prefixed_epsg([633432.299]) is None


def test_classify_axes():
    n, e = 3453993.144, 40633432.299
    assert gk.classify_axes([n], [e]) is False
    assert gk.classify_axes([e], [n]) is True
    assert gk.classify_axes([n], [633432.299]) is False
    assert gk.classify_axes([633432.299], [n]) is True
    with pytest.raises(CRSError, match="mixes both axis orders") as ei:
        gk.classify_axes([n, n, e], [e, e, n], lines=[10, 11, 12])
    assert ei.value.line == 12
    with pytest.raises(CRSError, match="neither") as ei:
        gk.classify_axes([n, n], [e, 1.2e6], lines=[3, 4])
    assert ei.value.line == 4


def test_local_city_grid_is_refused():
    with pytest.raises(LocalGridError, match="上海城市坐标系"):
        gk.classify_axes([-12000.5, 45000.0, 30000.0], [-40000.0, 20000.0, 49000.0])
    with pytest.raises(LocalGridError, match="local grid"):
        gk.classify_axes([250000.0], [600000.0])


def test_check_declared_crs_names_the_right_code():
    prefixed = [40633432.299]
    plain = [633432.299]
    assert gk.check_declared_crs("EPSG:4528", prefixed).to_epsg() == 4528
    assert gk.check_declared_crs(4549, plain).to_epsg() == 4549
    with pytest.raises(CRSError, match=r"use EPSG:4528 \(zone-prefixed\)") as ei:
        gk.check_declared_crs("EPSG:4549", prefixed)
    assert "zone prefix 40" in str(ei.value)
    with pytest.raises(CRSError, match="use EPSG:4549"):
        gk.check_declared_crs("EPSG:4528", plain)
    with pytest.raises(CRSError, match="use EPSG:4528"):
        gk.check_declared_crs("EPSG:4529", prefixed)  # zone 41 CRS for zone 40 data
    with pytest.raises(CRSError, match="not a projected CRS"):
        gk.check_declared_crs("EPSG:4490", plain)
    with pytest.raises(CRSError, match="unknown CRS"):
        gk.check_declared_crs("EPSG:999999", plain)


def test_check_declared_crs_other_datums():
    # Xian 1980 CM 120°E declared for prefixed eastings -> Xian 1980 zone 40 (EPSG:2364)
    with pytest.raises(CRSError, match="EPSG:2364"):
        gk.check_declared_crs("EPSG:2385", [40633432.299])
    assert gk.check_declared_crs("EPSG:2364", [40633432.299]).to_epsg() == 2364


lon = st.floats(min_value=120.86, max_value=122.2)
lat = st.floats(min_value=30.68, max_value=31.87)


@settings(max_examples=60, deadline=None)
@given(lon, lat)
def test_shanghai_points_classify_and_prefix(lo, la):
    for epsg, zone, prefixed in ((4528, gk.Zone(3, 40), True), (4529, gk.Zone(3, 41), True),
                                 (4499, gk.Zone(6, 21), True), (4549, None, False)):
        e, n = project(lo, la, epsg)
        assert gk.classify_axes([n], [e]) is False
        assert gk.classify_axes([e], [n]) is True
        assert gk.detect_zone_prefix([e]) == zone
        assert gk.check_declared_crs(epsg, [e]).to_epsg() == epsg
        if prefixed:
            assert zone.epsg(True) == epsg


def test_crs_fits_eastings_leaves_other_crss_alone():
    from pyproj import CRS as _CRS

    gk.check_crs_fits_eastings(_CRS.from_epsg(4490), [40633432.299])  # geographic: the extent check's job
    gk.check_crs_fits_eastings(_CRS.from_epsg(32651), [350000.0])  # UTM: no Chinese zone prefix in play
    with pytest.raises(CRSError, match=r"use EPSG:4550 \(no zone prefix\)"):
        gk.check_crs_fits_eastings(_CRS.from_epsg(4529), [347503.776])


def test_degrees_under_a_gauss_kruger_label_are_left_to_the_extent_check():
    from pyproj import CRS as _CRS

    gk.check_crs_fits_eastings(_CRS.from_epsg(4528), [121.4, 121.5])  # no "use EPSG:4549" for lon/lat values
