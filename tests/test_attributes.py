"""Project attributes from the field names and values planners use."""

from __future__ import annotations

import pytest

from shgeo.attributes import (FIELD_ALIASES, attribute_key, parse_value, project_attributes,
                              read_attribute_table)
from shgeo.decision import PROJECT_KEYS
from shgeo.errors import QueryError


def test_every_key_of_the_decision_interface_is_mapped():
    assert set(FIELD_ALIASES) == set(PROJECT_KEYS)


@pytest.mark.parametrize("field, key", [
    ("是否新增建设用地", "new_construction_land"),
    ("新增建设用地", "new_construction_land"),
    ("涉及新增建设用地？", "new_construction_land"),
    ("New_Construction_Land", "new_construction_land"),
    ("项目类型", "activity"),
    ("活动类别", "activity"),
    ("是否国家重大项目", "national_major"),
    ("建设性质", "works"),
    ("单位类型", "unit_roles"),
    ("项目名称", None),
    ("备注", None),
])
def test_field_names(field, key):
    assert attribute_key(field) == key


@pytest.mark.parametrize("raw, value", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True), ("false", False),
    ("1", True), ("0", False), (1, True), (0.0, False), (True, True), ("", None), ("未知", None), (None, None),
    (float("nan"), None),
])
def test_boolean_values(raw, value):
    assert parse_value("national_major", raw) is value


@pytest.mark.parametrize("raw, value", [
    ("6", "6"), (6, "6"), (6.0, "6"), ("附件第6项", "6"), ("第六类", "6"), ("开发性建设", "development"),
    ("其他", "other"), ("development", "development"),
])
def test_activity_values(raw, value):
    assert parse_value("activity", raw) == value


def test_other_values():
    assert parse_value("works", "扩建") == "expand"
    assert parse_value("unit_roles", "企业;加油站、土壤污染重点监管单位") == [
        "enterprise", "fuel_station_or_depot", "soil_key_supervised"]
    assert parse_value("confirmed_route", "二（六）") == "二(六)"


@pytest.mark.parametrize("key, raw", [("national_major", "也许"), ("activity", "12"), ("works", "拆除")])
def test_bad_values_name_the_field(key, raw):
    with pytest.raises(QueryError) as info:
        parse_value(key, raw, field="某字段")
    assert "某字段" in str(info.value) and info.value.key == key


def test_precedence_and_unknown_keys():
    got = project_attributes({"是否国家重大项目": "否", "项目名称": "x"}, {"national_major": "是"}, {"activity": 6})
    assert got == {"activity": "6", "national_major": True}
    with pytest.raises(QueryError):
        project_attributes(defaults={"not_a_key": True})


def test_attribute_table(tmp_path):
    path = tmp_path / "attrs.csv"
    path.write_text("项目编号,项目名称,活动类别,是否新增建设用地,其他说明\nP1,甲,6,否,x\nP2,乙,,是,y\n",
                    encoding="gb18030")
    table = read_attribute_table(path)
    assert table == {"P1": {"activity": "6", "new_construction_land": False},
                     "P2": {"new_construction_land": True}}
    path.write_text("编号,活动类别\nP1,6\nP1,5\n", encoding="utf-8-sig")
    with pytest.raises(QueryError, match="twice"):
        read_attribute_table(path)
    path.write_text("name,活动类别\nP1,6\n", encoding="utf-8")
    with pytest.raises(QueryError, match="id"):
        read_attribute_table(path)
