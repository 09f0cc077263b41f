"""The screening pipeline: the sample projects reach their routes; inputs, ids and attributes."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon, box

from shgeo.errors import CRSError, FootprintError
from shgeo.library.layers import load_library
from shgeo.inputs.discovery import discover_inputs
from shgeo.screening import screen

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PROJECTS = ROOT / "data" / "sample" / "projects"
AS_OF = "2025-06-01"
REDLINE = "沪府办发〔2025〕8号"
GROUNDWATER = "沪环规〔2025〕1号"

#: project id -> (overall, {regulation: (outcome, level)}) — what each sample project is there to show
EXPECTED = {
    "SP01": ("procedures_apply", {REDLINE: ("recognition_required", "municipal")}),   # new overhead line
    "SP02": ("procedures_apply", {REDLINE: ("recognition_required", "district")}),    # seawall repair
    "SP03": ("procedures_apply", {REDLINE: ("recognition_required", "municipal")}),   # sea cable
    "SP04": ("procedures_apply", {REDLINE: ("major_project_occupation", "state")}),   # reclamation, national major
    "SP05": ("procedures_apply", {REDLINE: ("recognition_required", "municipal")}),   # trail on an island
    "SP06": ("procedures_apply", {GROUNDWATER: ("obligations", None)}),               # factory, control village
    "SP07": ("prohibited", {GROUNDWATER: ("prohibited", None),                        # pipeline, water source
                            REDLINE: ("recognition_required", "municipal")}),
    "SP08": ("procedures_apply", {REDLINE: ("recognition_required", None)}),          # road across districts
    "SP09": ("not_restricted", {}),                                                   # clear of everything
    "SP10": ("prohibited_in_principle", {REDLINE: ("prohibited_in_principle", None)}),  # core zone
    "SP11": ("procedures_apply", {REDLINE: ("notify_only", None)}),                   # survey, no construction
    "SP12": ("needs_information", {REDLINE: ("needs_information", None)}),            # attributes missing
    # the files projects arrive in, no attributes given: where they lie, and the questions the route needs
    "SP13": ("needs_information", {REDLINE: ("needs_information", None)}),            # 界址点 txt (GBK), red line
    "SP14": ("needs_information", {GROUNDWATER: ("needs_information", None)}),        # DXF, control village
    "SP15": ("not_restricted", {}),                                                   # XLSX table, zone 41
}

#: project id -> spatial facts the footprint must produce against the sample layers
EXPECTED_FACTS = {
    "SP01": {"redline": True, "districts": ["松江区", "青浦区"]},
    "SP02": {"redline": True, "land": True, "sea": False},
    "SP03": {"redline": True, "sea": True},
    "SP04": {"redline": True, "sea": True, "land": False},
    "SP05": {"redline": True, "island": True},
    "SP06": {"redline": False, "groundwater_village": ["310114501213"]},
    "SP07": {"redline": True, "water_source_l1": ["黄浦江上游"]},
    "SP08": {"redline": True, "redline_districts": ["松江区", "青浦区"]},
    "SP09": {"redline": False, "water_source_l1": [], "groundwater_village": [], "districts": ["徐汇区"]},
    "SP10": {"core_zone": True, "protected_area": ["自然保护区"]},
    "SP11": {"redline": True, "core_zone": False},
    "SP12": {"redline": True, "water_source_l1": []},
    "SP13": {"redline": True, "redline_districts": ["松江区", "青浦区"], "water_source_l1": []},
    "SP14": {"redline": False, "groundwater_village": ["310120109240"], "districts": ["奉贤区"]},
    "SP15": {"redline": False, "water_source_l1": [], "groundwater_village": [], "districts": ["浦东新区"]},
}

#: the sample projects in survey formats: (format, CRS, how the CRS was determined, encoding, parcels)
SURVEY_SAMPLES = {
    "SP13": ("界址点坐标交换格式", "EPSG:4528", "from the file", "GBK", ["DK01", "DK02"]),
    "SP14": ("DXF", "EPSG:4528", "from the zone prefix", "GBK", None),
    "SP15": ("XLSX 坐标表", "EPSG:4529", "from the zone prefix", None, ["ZJ-01"]),
}


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def sample(library):
    return screen(SAMPLE_PROJECTS, library, as_of=AS_OF)


def test_every_sample_project_is_screened(sample):
    assert sorted(sample.ids) == sorted(EXPECTED)  # files in name order: SP13.txt … before sample_projects.gpkg
    assert all(p.ok for p in sample), [(p.project_id, p.error) for p in sample if not p.ok]
    assert sample.sample_data


@pytest.mark.parametrize("pid", sorted(EXPECTED_FACTS))
def test_sample_project_hits_what_it_should(sample, pid):
    facts = sample[pid].facts
    for key, value in EXPECTED_FACTS[pid].items():
        got = sorted(facts[key]) if isinstance(value, list) else facts[key]
        assert got == value, (pid, key, facts)


@pytest.mark.parametrize("pid", sorted(EXPECTED))
def test_sample_project_gets_its_outcome(sample, pid):
    overall, by_regulation = EXPECTED[pid]
    project = sample[pid]
    assert project.overall == overall, project.findings
    found = {f["regulation"]: f for f in project.findings}
    for regulation, (outcome, level) in by_regulation.items():
        assert found[regulation]["outcome"] == outcome
        if level is not None:
            assert found[regulation]["level"] == level
        assert found[regulation]["citations"], "every finding carries a citation"


@pytest.mark.parametrize("pid", sorted(SURVEY_SAMPLES))
def test_sample_projects_in_survey_formats_say_how_they_were_read(pid):
    from shgeo.inputs.batch import read_inputs

    fmt, crs, basis, encoding, parcels = SURVEY_SAMPLES[pid]
    path = next(SAMPLE_PROJECTS.glob(f"{pid}.*"))
    [item] = read_inputs(path, crs=None, id_field=None, per_file=False, layer=None, encoding=None, exclude=[])
    attrs = item.frame.attrs
    assert list(item.frame["footprint_id"]) == [pid]
    assert (attrs["source_format"], attrs["source_crs"], attrs["crs_basis"], attrs["encoding"]) == \
        (fmt, crs, basis, encoding)
    listed = attrs["parcels"][pid]
    if parcels is not None:
        assert [p["id"] for p in listed] == parcels
    assert all(p["area_difference"] is None or p["area_difference"] < 0.01 for p in listed)
    if pid == "SP13":
        assert all(p["declared_area_ha"] and p["computed_area_ha"] for p in listed)
        assert not any("off" in n for n in attrs["problems"])


def test_every_project_record_says_how_its_file_was_read(sample):
    """The ``input`` block: the file, its format, the CRS and how it was determined, the parcels of the project."""
    gpkg = sample["SP01"].input
    assert (gpkg["format"], gpkg["crs"], gpkg["crs_basis"], gpkg["parcels"]) == ("GPKG", "EPSG:4490", "declared", [])
    assert gpkg["path"].endswith("sample_projects.gpkg")
    txt = sample["SP13"].input
    assert (txt["format"], txt["crs"], txt["crs_basis"]) == ("界址点坐标交换格式", "EPSG:4528", "from the file")
    assert [(p["id"], p["name"]) for p in txt["parcels"]] == [("DK01", "泵站用地"), ("DK02", "管理用房用地")]
    assert all(p["declared_area_ha"] == pytest.approx(p["computed_area_ha"], abs=1e-4) for p in txt["parcels"])
    dxf = sample["SP14"].input
    assert dxf["crs_basis"] == "from the zone prefix" and any("CGCS2000 was assumed" in n for n in dxf["notes"])
    assert [p["layer"] for p in dxf["parcels"]] == ["用地红线"]


def test_names_and_attributes_come_from_the_chinese_fields(sample):
    p = sample["SP01"]
    assert p.name.startswith("青浦—松江110千伏架空")
    assert p.attributes["activity"] == "6"
    assert p.attributes["new_overhead_line"] is True
    assert p.attributes["new_construction_land"] is False
    assert "national_major" not in sample["SP12"].attributes  # empty cell: unknown, not False


def test_overlaps_hold_the_pieces(sample):
    hits = sample["SP07"].overlaps
    pieces = hits[hits["relation"] == "overlap"]
    assert {"redline", "water_source_l1"} <= set(pieces["kind"])
    assert pieces.crs is not None and pieces.geometry.notna().all()
    assert (pieces.loc[pieces["kind"] == "water_source_l1", "length_m"] > 0).all()
    assert len(sample.overlaps) >= sum(len(p.overlaps) for p in sample)


def test_to_json_and_summary(sample):
    doc = json.loads(sample.to_json())
    assert doc["sample_data"] is True and len(doc["projects"]) == len(EXPECTED)
    assert json.loads(sample["SP09"].to_json())["overall"] == "not_restricted"
    summary = sample.summary
    assert list(summary["project_id"]) == sample.ids
    assert (summary["status"] == "screened").all()


def _frame(**columns):
    return gpd.GeoDataFrame(
        {"项目编号": ["A", "B"], **columns},
        geometry=[box(121.455, 31.175, 121.459, 31.178), LineString([(121.10, 30.93), (121.10, 31.07)])],
        crs="EPSG:4490",
    )


def test_geodataframe_input_and_attribute_precedence(library):
    gdf = _frame(是否新建架空线=["否", "是"])
    table = {"B": {"activity": 6, "是否符合附件条件": "Y"}}
    result = screen(gdf, library, table, as_of=AS_OF)
    assert result.ids == ["A", "B"]
    assert result["B"].attributes == {"new_overhead_line": True, "activity": "6", "annex_conditions_met": True}
    defaults = {"activity": "development"}
    result = screen(gdf, library, defaults, as_of=AS_OF)
    assert result["A"].attributes["activity"] == "development"


def test_frame_from_read_footprints_screens_like_its_file(sample, library):
    """read_footprints → screen() is the notebook's way: same ids, same outcomes as screening the file."""
    from shgeo.inputs.footprints import read_footprints

    gpkg = SAMPLE_PROJECTS / "sample_projects.gpkg"
    frame = read_footprints(gpkg)
    assert "footprint_id" in frame.columns
    result = screen(frame, library, as_of=AS_OF)
    assert set(result.ids) == set(frame["项目编号"]) and set(result.ids) <= set(sample.ids)
    assert {p.project_id: p.overall for p in result} == {pid: sample[pid].overall for pid in result.ids}


def test_own_footprint_id_column_is_kept_aside_when_another_column_holds_the_ids(library):
    gdf = _frame()
    gdf["footprint_id"] = ["x1", "x2"]
    gdf["project_id"] = ["P1", "P2"]
    result = screen(gdf, library, as_of=AS_OF)
    assert result.ids == ["P1", "P2"]


def test_geodataframe_without_crs_is_refused(library):
    gdf = _frame().set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        screen(gdf, library)
    assert screen(gdf, library, crs="EPSG:4490", as_of=AS_OF).ids == ["A", "B"]


def test_bad_attribute_value_skips_only_that_project(library):
    gdf = _frame(是否新建架空线=["也许", "是"])
    result = screen(gdf, library, as_of=AS_OF)
    assert not result["A"].ok and "也许" in result["A"].error
    assert result["B"].ok


def test_missing_attributes_ask_rather_than_crash(library):
    result = screen(_frame(), library, as_of=AS_OF)
    finding = result["B"].findings[0]
    assert finding["outcome"] == "needs_information" and finding["questions"]


def test_per_file_dissolves_and_names_by_file(tmp_path, library):
    gdf = gpd.GeoDataFrame({"活动类别": ["5", "5"], "项目名称": ["东区", "西区"]},
                           geometry=[box(121.455, 31.175, 121.459, 31.178), box(121.46, 31.175, 121.462, 31.178)],
                           crs="EPSG:4490")
    gdf.to_file(tmp_path / "park.geojson")
    result = screen(tmp_path, library, per_file=True, as_of=AS_OF)
    assert result.ids == ["park"]
    assert result["park"].footprint.geometry.iloc[0].geom_type == "MultiPolygon"
    assert result["park"].attributes == {"activity": "5"}  # agreed by every feature; names differ: dropped


def test_colliding_ids_across_files_are_prefixed(tmp_path, library):
    _frame().to_file(tmp_path / "one.geojson")
    _frame().to_file(tmp_path / "two.geojson")
    result = screen([tmp_path / "one.geojson", tmp_path / "two.geojson"], library, as_of=AS_OF)
    assert result.ids == ["one-A", "one-B", "two-A", "two-B"]


def test_discover_inputs_skips_attribute_tables_and_hidden_files(tmp_path):
    (tmp_path / "attrs.csv").write_text("项目编号,活动类别\nA,6\n", encoding="utf-8")
    (tmp_path / "points.csv").write_text("id,lon,lat\n1,121.4,31.2\n", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.geojson").write_text("{}", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    _frame().to_file(tmp_path / "a.gpkg")
    assert [p.name for p in discover_inputs([tmp_path])] == ["a.gpkg", "points.csv"]
    with pytest.raises(FootprintError):
        discover_inputs([tmp_path / "missing.shp"])


def test_unreadable_file_among_good_ones_is_reported(tmp_path, library):
    _frame().to_file(tmp_path / "good.geojson")
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    result = screen(tmp_path, library, as_of=AS_OF)
    failed = [p for p in result if not p.ok]
    assert [p.project_id for p in failed] == ["broken"]
    assert [p.project_id for p in result if p.ok] == ["A", "B"]


def test_nothing_readable_raises(tmp_path, library):
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(FootprintError):
        screen(tmp_path / "broken.geojson", library)


def test_one_bad_feature_does_not_sink_its_file(tmp_path, library):
    gdf = gpd.GeoDataFrame(
        {"项目编号": ["ok", "far", "empty"]},
        geometry=[box(121.455, 31.175, 121.459, 31.178), box(116.3, 39.9, 116.4, 40.0), None],
        crs="EPSG:4490",
    )
    gdf.to_file(tmp_path / "mixed.gpkg")
    result = screen(tmp_path / "mixed.gpkg", library, as_of=AS_OF)
    assert result.ids == ["ok", "far", "empty"]
    assert result["ok"].ok
    assert "Shanghai" in result["far"].error
    assert "geometry" in result["empty"].error


def test_shgeo_screen_is_the_function_even_after_importing_the_module(library):
    import shgeo
    import shgeo.screening  # noqa: F401  (the module has its own name: no clash)

    result = shgeo.screen(_frame(), library, as_of=AS_OF)
    assert result.ids == ["A", "B"]

def _three(tmp_path, ids, name="three.gpkg"):
    gdf = gpd.GeoDataFrame({"code": ids},
                           geometry=[box(121.455, 31.175, 121.459, 31.178), box(121.46, 31.175, 121.462, 31.178),
                                     box(121.465, 31.175, 121.467, 31.178)], crs="EPSG:4490")
    gdf.to_file(tmp_path / name)
    return tmp_path / name


def test_explicit_id_field_that_is_missing_fails_the_file(tmp_path, library):
    path = _three(tmp_path, ["A", "B", "C"])
    with pytest.raises(FootprintError, match="nope"):
        screen(path, library, id_field="nope", as_of=AS_OF)  # never row numbers in its place


@pytest.mark.parametrize("ids", [["A", "A", "B"], ["A", "", "B"], ["A", None, "B"]])
def test_explicit_id_field_with_repeated_or_empty_ids_fails_the_file(tmp_path, library, ids):
    path = _three(tmp_path, ids)
    with pytest.raises(FootprintError, match="code"):
        screen(path, library, id_field="code", as_of=AS_OF)


def test_explicit_id_field_problem_among_good_files_lists_the_file(tmp_path, library):
    _three(tmp_path, ["A", "A", "B"], "dup.gpkg")
    _three(tmp_path, ["X", "Y", "Z"], "good.gpkg")
    result = screen(tmp_path, library, id_field="code", as_of=AS_OF)
    assert [p.project_id for p in result if p.ok] == ["X", "Y", "Z"]
    [failed] = [p for p in result if not p.ok]
    assert failed.project_id == "dup" and "code" in failed.error


def test_explicit_id_field_still_isolates_one_bad_feature(tmp_path, library):
    gdf = gpd.GeoDataFrame({"code": ["ok", "far"]},
                           geometry=[box(121.455, 31.175, 121.459, 31.178), box(116.3, 39.9, 116.4, 40.0)],
                           crs="EPSG:4490")
    gdf.to_file(tmp_path / "mixed.gpkg")
    result = screen(tmp_path / "mixed.gpkg", library, id_field="code", as_of=AS_OF)
    assert result.ids == ["ok", "far"] and result["ok"].ok and not result["far"].ok


def test_geodataframe_explicit_id_field_must_be_unique(library):
    with pytest.raises(FootprintError, match="repeated"):
        screen(_frame(code=["X", "X"]), library, id_field="code", as_of=AS_OF)


def test_geometry_repair_reaches_facts_and_report(tmp_path, library):
    bowtie = Polygon([(121.455, 31.175), (121.459, 31.178), (121.459, 31.175), (121.455, 31.178)])
    gdf = gpd.GeoDataFrame({"项目编号": ["BT", "OK"]}, geometry=[bowtie, box(121.46, 31.175, 121.462, 31.178)],
                           crs="EPSG:4490")
    gdf.to_file(tmp_path / "bowtie.gpkg")
    for source in (tmp_path / "bowtie.gpkg", gdf):
        result = screen(source, library, as_of=AS_OF)
        details = result["BT"].facts["details"]
        assert "repaired_geometry" in details["flags"] and "make_valid" in details["repair"]
        assert "repaired_geometry" not in result["OK"].facts["details"]["flags"]
        assert result["BT"].report["facts"]["details"]["repair"] == details["repair"]
    per_file = screen(tmp_path / "bowtie.gpkg", library, per_file=True, as_of=AS_OF)
    assert "repaired_geometry" in per_file["bowtie"].facts["details"]["flags"]


def test_dataframe_attributes_ignore_unmapped_columns(library):
    table = pd.DataFrame({"项目编号": ["A", "B"], "项目名称": ["甲", "乙"], "活动类别": ["6", "development"]})
    result = screen(_frame(), library, table, as_of=AS_OF)
    assert all(p.ok for p in result), [p.error for p in result]
    assert result["B"].attributes == {"activity": "development"}


def test_bad_cell_in_attribute_table_fails_only_that_project(tmp_path, library):
    attrs = tmp_path / "attrs.csv"
    attrs.write_text("项目编号,是否国家重大项目\nA,也许\nB,否\n", encoding="utf-8")
    result = screen(_frame(), library, attrs, as_of=AS_OF)
    assert not result["A"].ok and "也许" in result["A"].error and result["A"].error.count("national_major") == 1
    assert result["B"].ok and result["B"].attributes == {"national_major": False}


def test_fingerprint_follows_the_options(library):
    base = screen(_frame(), library, as_of=AS_OF)["A"].fingerprint
    assert screen(_frame(), library, as_of=AS_OF)["A"].fingerprint == base
    other = screen(_frame(), library, as_of=AS_OF, overlay_options={"search_radius_m": 50.0})
    assert other["A"].fingerprint != base


def test_discover_inputs_reads_json_and_names_the_files_it_skips(tmp_path, caplog):
    _frame().to_file(tmp_path / "a.json", driver="GeoJSON")
    gpd.GeoDataFrame({"pid": ["A"]}, geometry=[box(121.455, 31.175, 121.459, 31.178)], crs="EPSG:4490").to_file(
        tmp_path / "b.shp", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "attrs.csv").write_text("项目编号,活动类别\nA,6\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="shgeo.inputs.discovery"):
        assert [p.name for p in discover_inputs([tmp_path])] == ["a.json", "b.shp"]
    text = caplog.text
    assert "notes.txt" in text and "attrs.csv" in text
    assert not any(s in text for s in ("b.dbf", "b.shx", "b.prj", "b.cpg"))


def test_discover_inputs_skips_output_folders(tmp_path, caplog):
    _frame().to_file(tmp_path / "a.gpkg")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".shgeo-output").write_text("", encoding="utf-8")
    _frame().to_file(out / "summary.gpkg")
    with caplog.at_level("WARNING", logger="shgeo.inputs.discovery"):
        assert [p.name for p in discover_inputs([tmp_path])] == ["a.gpkg"]
    assert "output folder" in caplog.text


def test_csv_discovery_uses_the_readers_column_names(tmp_path, library):
    from shgeo.inputs.discovery import _CSV_GEOMETRY_COLUMNS
    from shgeo.inputs.tables import LAT_NAMES, LON_NAMES, WKT_NAMES

    assert _CSV_GEOMETRY_COLUMNS == {n.lower() for n in (*WKT_NAMES, *LON_NAMES, *LAT_NAMES)}
    (tmp_path / "the_geom.csv").write_text('id,the_geom\n1,"POINT (121.457 31.176)"\n', encoding="utf-8")
    (tmp_path / "odd.csv").write_text('id,形状\n1,"POINT (121.457 31.176)"\n', encoding="utf-8")
    assert [p.name for p in discover_inputs([tmp_path])] == ["the_geom.csv"]
    assert [p.name for p in discover_inputs([tmp_path], csv_fields=["形状"])] == ["odd.csv", "the_geom.csv"]
    result = screen(tmp_path / "odd.csv", library, wkt_field="形状", crs="EPSG:4490", as_of=AS_OF)
    assert result.ids == ["1"] and result["1"].ok


def test_geodataframe_ids_from_the_index_or_id_field(library):
    """A notebook's frame needs no id column: the index names the projects, or id_field does."""
    gdf = gpd.GeoDataFrame({"编码": ["K1", "K2"]}, geometry=[box(121.455, 31.175, 121.459, 31.178),
                                                          box(121.30, 31.10, 121.301, 31.101)],
                           index=["甲", "乙"], crs="EPSG:4490")
    assert screen(gdf, library, as_of=AS_OF).ids == ["甲", "乙"]
    assert screen(gdf, library, as_of=AS_OF, id_field="编码").ids == ["K1", "K2"]
