"""Project attributes from the field names and values planners use."""

from __future__ import annotations

import pytest

from shgeo.inputs.attributes import (FIELD_ALIASES, attribute_key, parse_value, project_attributes,
                              read_attribute_table)
from shgeo.rules.decision import PROJECT_KEYS
from shgeo.errors import QueryError


def test_every_key_of_the_decision_interface_is_mapped():
    assert set(FIELD_ALIASES) == set(PROJECT_KEYS)


@pytest.mark.parametrize("field, key", [
    ("是否新增建设用地", "new_construction_land"),
    ("新增建设用地", "new_construction_land"),
    ("涉及新增建设用地？", "new_construction_land"),
    ("New_Construction_Land", "new_construction_land"),
    ("项目类型", None),  # generic: planners use it for 线性工程/房建…, not the 附件 category
    ("活动类别", "activity"),
    ("是否国家重大项目", "national_major"),
    ("建设性质", "works"),
    ("单位类型", None),  # generic: planners put 国有企业 there
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


@pytest.mark.parametrize("field", ["项目类型", "重大项目", "规划许可", "规划选址", "建设活动", "repair", "架空线",
                                   "国务院审批", "工程性质", "建设类型", "单位性质", "适用条款", "办理路径"])
def test_generic_field_names_are_not_attributes(field):
    assert attribute_key(field) is None


@pytest.mark.parametrize("raw, value", [
    ("附件六", "6"), ("第6项", "6"), ("6类", "6"), ("六", "6"), (" 9 ", "9"), ("６", "6"),
    ("DEVELOPMENT", "development"), ("开发性、生产性建设活动", "development"), ("生产性建设", "development"),
    ("other", "other"), ("其他活动", "other"),
])
def test_activity_exact_forms(raw, value):
    assert parse_value("activity", raw) == value


@pytest.mark.parametrize("raw", ["交通设施二期", "三期工程", "非生产性设施", "开发性质待定", "第10项", "0", "附件6-2",
                                 "6.5", "十", "其他开发性建设", True])
def test_activity_is_never_guessed_from_free_text(raw):
    with pytest.raises(QueryError) as info:
        parse_value("activity", raw, field="活动类别")
    assert "活动类别" in str(info.value) and info.value.key == "activity"


def test_attribute_table_collects_bad_cells_per_project(tmp_path):
    path = tmp_path / "attrs2.csv"
    path.write_text("项目编号,是否国家重大项目,活动类别\nP1,也许,6\nP2,是,6\n", encoding="utf-8")
    with pytest.raises(QueryError) as info:
        read_attribute_table(path)
    text = str(info.value)
    assert text.count("national_major") == 1 and text.startswith(f"{path}: line 2: national_major: ")
    errors: dict = {}
    table = read_attribute_table(path, errors=errors)
    assert table == {"P2": {"national_major": True, "activity": "6"}}
    assert list(errors) == ["P1"] and "也许" in str(errors["P1"]) and errors["P1"].key == "national_major"


def test_attribute_table_repeated_id_fails_that_project_only(tmp_path):
    path = tmp_path / "attrs.csv"
    path.write_text("编号,活动类别\nP1,6\nP1,5\nP2,5\n", encoding="utf-8")
    errors: dict = {}
    assert read_attribute_table(path, errors=errors) == {"P2": {"activity": "5"}}
    assert "twice" in str(errors["P1"])


def test_attribute_table_line_separator_in_a_cell_is_not_a_row(tmp_path):
    path = tmp_path / "attrs.csv"
    path.write_text('项目编号,活动类别,备注\nP1,6,"first\u2028second"\nP2,5,"two\nlines"\n', encoding="utf-8")
    assert read_attribute_table(path) == {"P1": {"activity": "6"}, "P2": {"activity": "5"}}


def test_attribute_table_from_a_dataframe_matches_columns_like_a_csv():
    import pandas as pd

    frame = pd.DataFrame({"项目编号": [1.0, 2.0], "项目名称": ["甲", "乙"], "活动类别": [6, None],
                          "是否新增建设用地": ["否", "是"]})
    assert read_attribute_table(frame) == {"1": {"activity": "6", "new_construction_land": False},
                                           "2": {"new_construction_land": True}}
