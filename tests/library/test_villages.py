"""The 16 control villages of 沪环规〔2025〕1号 and selecting them from a village layer.

Scenarios: a full village layer with the namesakes that trip name matching —
崇明区 新河镇 民生村, 新北村/新春村 in other towns, 陆渡村 under 嘉定工业区.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from shgeo.errors import LayerError
from shgeo.library.villages import CONTROL_VILLAGES, normalise_code, select_control_villages

BY_CODE = {v.code: v for v in CONTROL_VILLAGES}

#: namesakes that are NOT control villages
NAMESAKES = [
    ("崇明区", "新河镇", "民生村", "310151103213"),
    ("崇明区", "港西镇", "新北村", "310151108201"),
    ("崇明区", "新河镇", "新春村", "310151103220"),
    ("浦东新区", "祝桥镇", "新春村", "310115137201"),
]


def _layer(*, ludu_town: str = "嘉定工业区", extra: list[tuple[str, str, str, str]] = NAMESAKES,
           drop: str | None = None) -> gpd.GeoDataFrame:
    rows = [(v.district, v.town, v.village, v.code) for v in CONTROL_VILLAGES if v.village != "陆渡村"]
    rows.append(("嘉定区", ludu_town, "陆渡村", "310114501213"))
    rows = [r for r in rows if r[3] != drop] + list(extra)
    return gpd.GeoDataFrame(
        {"QU": [r[0] for r in rows], "ZHEN": [r[1] for r in rows], "CUN": [r[2] for r in rows],
         "DM": [r[3] for r in rows]},
        geometry=[box(121.3 + i * 0.01, 31.3, 121.305 + i * 0.01, 31.305) for i in range(len(rows))],
        crs=4490,
    )


def _by_name(gdf, **kw):
    return select_control_villages(gdf, by="name", village_field="CUN", district_field="QU", town_field="ZHEN", **kw)


def _entry(report, village, town=None):
    (e,) = [e for e in report.entries if e.village.village == village and (town is None or e.village.town == town)]
    return e


def test_reference_table():
    assert len(CONTROL_VILLAGES) == 16
    assert len(BY_CODE) == 16
    assert {v.district for v in CONTROL_VILLAGES} == {"崇明区", "奉贤区", "嘉定区"}
    assert BY_CODE["310151202215"].village == "民生村" and BY_CODE["310151202215"].town == "横沙乡"
    assert "310151103213" not in BY_CODE  # 新河镇 民生村 is not listed
    ludu = BY_CODE["310114501213"]
    assert ludu.town == "徐行镇" and ludu.code_town == "嘉定工业区"
    assert ludu.accepted_towns == ("徐行镇", "嘉定工业区")
    assert all(len(v.code) == 12 and v.code.startswith(v.district_code) for v in CONTROL_VILLAGES)


def test_by_code_picks_the_listed_villages_only():
    gdf = _layer()
    selected, report = select_control_villages(gdf, code_field="DM", village_field="CUN")
    assert report.ok and len(report.matched) == 16
    assert set(selected["control_code"]) == set(BY_CODE)
    assert "310151103213" not in set(selected["DM"])
    assert set(selected.index) <= set(gdf.index)
    assert "新河镇" in _entry(report, "民生村").reason  # the reference note travels with the match


@pytest.mark.parametrize("code", [310151202215, 310151202215.0, " 310151202215 "])
def test_codes_as_numbers_or_padded_text_match(code):
    gdf = _layer().astype({"DM": object})
    gdf.loc[gdf["DM"] == "310151202215", "DM"] = code
    _, report = select_control_villages(gdf, code_field="DM")
    assert report.ok


def test_by_code_reports_missing_and_duplicate_codes():
    gdf = _layer(drop="310151104210")  # 鸽龙村 missing
    dup = gdf[gdf["DM"] == "310151202212"]
    gdf = gpd.GeoDataFrame(pd.concat([gdf, dup], ignore_index=True), crs=4490)
    selected, report = select_control_villages(gdf, code_field="DM", village_field="CUN")
    assert not report.ok
    assert [e.village.village for e in report.unmatched] == ["鸽龙村"]
    assert [e.village.village for e in report.ambiguous] == ["惠丰村"]
    assert "2 features" in report.ambiguous[0].reason
    assert len(selected) == 14
    assert report.lines()[0].startswith("ambiguous")


def test_by_name_with_town_separates_the_two_minsheng_villages():
    gdf = _layer()
    selected, report = _by_name(gdf)
    assert report.ok, report.lines()
    assert set(selected["DM"]) == set(BY_CODE)
    minsheng = _entry(report, "民生村")
    assert minsheng.status == "matched"
    assert gdf.loc[minsheng.rows[0], "ZHEN"] == "横沙乡"
    assert "not selected: 崇明区新河镇民生村" in minsheng.reason
    assert "港西镇" in _entry(report, "新北村").reason
    assert "新河镇" in _entry(report, "新春村").reason
    assert any("民生村" in n for n in report.notes())


@pytest.mark.parametrize("town", ["徐行镇", "嘉定工业区"])
def test_ludu_matches_under_either_town_and_says_so(town):
    selected, report = _by_name(_layer(ludu_town=town))
    ludu = _entry(report, "陆渡村")
    assert ludu.status == "matched"
    assert "徐行镇 or 嘉定工业区" in ludu.reason and "310114501213" in ludu.reason
    assert selected.loc[ludu.rows[0], "control_code"] == "310114501213"


def test_ludu_under_another_town_is_unmatched():
    _, report = _by_name(_layer(ludu_town="华亭镇"))
    ludu = _entry(report, "陆渡村")
    assert ludu.status == "unmatched"
    assert "徐行镇/嘉定工业区" in ludu.reason and "华亭镇" in ludu.reason


def test_by_name_without_town_is_ambiguous_for_repeated_names():
    _, report = select_control_villages(_layer(), by="name", village_field="CUN", district_field="QU")
    assert {e.village.village for e in report.ambiguous} == {"民生村", "新北村", "新春村"}
    assert all("town_field" in e.reason for e in report.ambiguous)
    assert not report.ok
    # 浦东's 新春村 is outside 崇明区, so it does not add to the ambiguity
    assert len(_entry(report, "新春村").rows) == 2


def test_district_and_town_without_suffix_match():
    gdf = _layer()
    gdf["QU"] = gdf["QU"].str.removesuffix("区")
    gdf["ZHEN"] = gdf["ZHEN"].str.replace("横沙乡", "横沙")
    _, report = _by_name(gdf)
    assert report.ok, report.lines()


def test_whitespace_and_fullwidth_are_normalised():
    gdf = _layer()
    gdf["CUN"] = gdf["CUN"].map(lambda s: f" {s[0]}\u3000{s[1:]} ")
    _, report = _by_name(gdf)
    assert report.ok


def test_missing_fields_are_errors():
    gdf = _layer()
    with pytest.raises(LayerError, match="town_field 'TOWN'.*columns: QU, ZHEN, CUN, DM"):
        select_control_villages(gdf, by="name", village_field="CUN", town_field="TOWN")
    with pytest.raises(LayerError, match="code_field 'code'"):
        select_control_villages(gdf)
    with pytest.raises(ValueError, match="valid: 'code', 'name'"):
        select_control_villages(gdf, by="town")


def test_normalise_code():
    assert normalise_code(310151202215.0) == "310151202215"
    assert normalise_code(" 310151202215") == "310151202215"
    assert normalise_code(None) is None and normalise_code(float("nan")) is None and normalise_code("  ") is None
