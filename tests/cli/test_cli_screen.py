"""``shgeo screen`` end to end: outputs, exit codes, resume and --force, bad inputs, attributes."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from shgeo.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PROJECTS = ROOT / "data" / "sample" / "projects"
AS_OF = ["--as-of", "2025-06-01"]
OLD = 1_000_000_000  # a timestamp long past: files a re-run leaves alone keep it


def _summary(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "summary.csv").read_text(encoding="utf-8-sig")
    return {row["project_id"]: row for row in csv.DictReader(text.splitlines())}


def _age(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))


def _untouched(folder: Path) -> bool:
    return all(int((folder / name).stat().st_mtime) == OLD for name in ("report.json", "report.html", "map.html"))


def _projects(tmp_path: Path, name: str = "projects.geojson", **columns) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {"项目编号": ["A", "B"], **columns},
        geometry=[box(121.455, 31.175, 121.459, 31.178), LineString([(121.10, 30.93), (121.10, 31.07)])],
        crs="EPSG:4490",
    )
    gdf.to_file(folder / name)
    return folder


def test_sample_projects_end_to_end_then_resume_and_force(tmp_path, capsys):
    out = tmp_path / "shgeo-out"
    assert main(["screen", str(SAMPLE_PROJECTS), "--out", str(out), *AS_OF]) == 0
    printed = capsys.readouterr().out
    assert f"index: {(out / 'index.html').resolve()}" in printed
    rows = _summary(out)
    assert len(rows) == 15 and all(r["status"] == "screened" for r in rows.values())
    for pid in rows:
        for name in ("report.json", "report.html", "map.html"):
            assert (out / pid / name).is_file()
    assert (out / "summary.gpkg").is_file() and (out / "index.html").is_file()

    _age(out)
    assert main(["screen", str(SAMPLE_PROJECTS), "--out", str(out), *AS_OF]) == 0
    assert all(_untouched(out / pid) for pid in rows)
    assert "0 written, 15 unchanged" in capsys.readouterr().err

    assert main(["screen", str(SAMPLE_PROJECTS), "--out", str(out), *AS_OF, "--force"]) == 0
    assert not any(_untouched(out / pid) for pid in rows)

    _age(out)  # another date is another screening: everything is redone
    assert main(["screen", str(SAMPLE_PROJECTS), "--out", str(out), "--as-of", "2025-07-01"]) == 0
    assert not any(_untouched(out / pid) for pid in rows)


def test_changed_attributes_redo_only_that_project(tmp_path):
    folder = _projects(tmp_path)
    out = tmp_path / "out"
    attrs = tmp_path / "attrs.csv"
    attrs.write_text("项目编号,活动类别\nB,6\n", encoding="utf-8")
    assert main(["screen", str(folder), "--out", str(out), "--attributes", str(attrs), *AS_OF]) == 0
    assert json.loads((out / "B" / "report.json").read_text(encoding="utf-8"))["project"] == {"activity": "6"}
    _age(out)
    attrs.write_text("项目编号,活动类别,是否新建架空线\nB,6,是\n", encoding="utf-8")
    assert main(["screen", str(folder), "--out", str(out), "--attributes", str(attrs), *AS_OF]) == 0
    assert _untouched(out / "A") and not _untouched(out / "B")
    report = json.loads((out / "B" / "report.json").read_text(encoding="utf-8"))
    assert report["project"] == {"activity": "6", "new_overhead_line": True}


def test_bad_project_among_good_ones(tmp_path, capsys):
    folder = _projects(tmp_path)
    (folder / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    gpd.GeoDataFrame({"项目编号": ["far"]}, geometry=[box(116.3, 39.9, 116.4, 40.0)], crs="EPSG:4490").to_file(
        folder / "beijing.geojson")
    out = tmp_path / "out"
    assert main(["screen", str(folder), "--out", str(out), *AS_OF]) == 1
    rows = _summary(out)
    assert rows["A"]["status"] == rows["B"]["status"] == "screened"
    assert rows["broken"]["status"] == "not_screened" and rows["broken"]["reason"]
    assert rows["beijing"]["status"] == "not_screened" and "Shanghai" in rows["beijing"]["reason"]
    assert (out / "A" / "report.json").is_file() and not (out / "broken").exists()
    err = capsys.readouterr().err
    assert "not screened: broken" in err
    assert "broken" in (out / "index.html").read_text(encoding="utf-8")


def test_bad_attribute_value_is_listed_not_fatal(tmp_path):
    folder = _projects(tmp_path, 是否新建架空线=["是", "大概"])
    out = tmp_path / "out"
    assert main(["screen", str(folder), "--out", str(out), *AS_OF]) == 1
    rows = _summary(out)
    assert rows["A"]["status"] == "screened"
    assert rows["B"]["status"] == "not_screened" and "大概" in rows["B"]["reason"]


@pytest.mark.parametrize("args", [
    ["screen", "{folder}", "--out", "{folder}/out"],                  # outputs inside an input folder
    ["screen", "{folder}", "--out", "{folder}"],
    ["screen", "{tmp}/missing.shp"],                                  # no such input
    ["screen", "{folder}/broken.geojson", "--out", "{tmp}/out"],      # the only input is unreadable
    ["screen", "{folder}", "--out", "{tmp}/out", "--tiles", "satellite"],
    ["screen", "{folder}", "--out", "{tmp}/out", "--as-of", "yesterday"],
    ["screen", "{folder}", "--out", "{tmp}/out", "--manifest", "{tmp}/nope.toml"],
])
def test_usage_errors_exit_2(tmp_path, args):
    folder = _projects(tmp_path)
    (folder / "broken.geojson").write_text("{", encoding="utf-8")
    argv = [a.format(folder=folder, tmp=tmp_path) for a in args]
    assert main(argv) == 2
    assert not (folder / "out").exists()


def test_id_field_per_file_and_crs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    gdf = gpd.GeoDataFrame({"code": ["X-1", "X-2"]},
                           geometry=[box(121.455, 31.175, 121.459, 31.178), box(121.46, 31.175, 121.462, 31.178)])
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns too: we mean it
        gdf.to_file(folder / "no_crs.shp")  # a shapefile without .prj
    out = tmp_path / "out"
    assert main(["screen", str(folder), "--out", str(out), *AS_OF]) == 2  # no CRS: refused
    assert main(["screen", str(folder), "--out", str(out), "--crs", "EPSG:4490", "--id-field", "code", *AS_OF]) == 0
    assert set(_summary(out)) == {"X-1", "X-2"}
    out2 = tmp_path / "out2"
    assert main(["screen", str(folder), "--out", str(out2), "--crs", "EPSG:4490", "--per-file", *AS_OF]) == 0
    assert set(_summary(out2)) == {"no_crs"}


def test_avoidance_in_json_html_and_map(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    gpd.GeoDataFrame({"项目编号": ["LINE"], "活动类别": ["6"]},
                     geometry=[LineString([(121.10, 30.93), (121.10, 31.07)])], crs="EPSG:4490").to_file(
        folder / "line.geojson")
    out = tmp_path / "out"
    assert main(["screen", str(folder), "--out", str(out), "--avoidance", *AS_OF]) == 0
    report = json.loads((out / "LINE" / "report.json").read_text(encoding="utf-8"))
    block = report["avoidance"]
    assert {"avoidable", "verdict_zh", "best_alternative_length_m", "redline_length_m"} <= set(block)
    page = (out / "LINE" / "report.html").read_text(encoding="utf-8")
    assert "避让分析" in page and block["verdict_zh"] in page and "原方案路径" in page and "替代路径" in page
    if block.get("alternative"):
        assert "避让替代路径" in (out / "LINE" / "map.html").read_text(encoding="utf-8")
    _age(out)
    assert main(["screen", str(folder), "--out", str(out), "--avoidance", *AS_OF]) == 0
    assert _untouched(out / "LINE")


def test_missing_id_field_exits_2_with_the_message(tmp_path, capsys):
    folder = _projects(tmp_path)
    assert main(["screen", str(folder / "projects.geojson"), "--out", str(tmp_path / "out"),
                 "--id-field", "nope", *AS_OF]) == 2
    assert "nope" in capsys.readouterr().err


def test_repeated_ids_in_the_id_field_exit_2(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    gpd.GeoDataFrame({"code": ["A", "A", "B"]},
                     geometry=[box(121.455, 31.175, 121.459, 31.178), box(121.46, 31.175, 121.462, 31.178),
                               box(121.465, 31.175, 121.467, 31.178)], crs="EPSG:4490").to_file(folder / "dup.gpkg")
    assert main(["screen", str(folder), "--out", str(tmp_path / "out"), "--id-field", "code", *AS_OF]) == 2
    assert "code" in capsys.readouterr().err
    _projects(tmp_path)  # a readable file beside it: the bad file is listed, the run goes on
    assert main(["screen", str(folder), "--out", str(tmp_path / "out"), "--id-field", "项目编号", *AS_OF]) == 1
    rows = _summary(tmp_path / "out")
    assert rows["dup"]["status"] == "not_screened" and "项目编号" in rows["dup"]["reason"]
    assert rows["A"]["status"] == "screened"


def test_bad_cell_in_attributes_csv_fails_only_that_project(tmp_path):
    folder = _projects(tmp_path)
    attrs = tmp_path / "attrs2.csv"
    attrs.write_text("项目编号,是否国家重大项目\nA,是\nB,也许\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["screen", str(folder), "--out", str(out), "--attributes", str(attrs), *AS_OF]) == 1
    rows = _summary(out)
    assert rows["A"]["status"] == "screened"
    assert rows["B"]["status"] == "not_screened" and rows["B"]["reason"].count("national_major") == 1
    assert "attrs2.csv: line 3" in rows["B"]["reason"]


def test_outputs_beside_an_input_file_are_not_read_back(tmp_path):
    folder = _projects(tmp_path)
    out = folder / "out"
    assert main(["screen", str(folder / "projects.geojson"), "--out", str(out), *AS_OF]) == 0
    out2 = tmp_path / "out2"
    assert main(["screen", str(folder), "--out", str(out2), *AS_OF]) == 0
    assert set(_summary(out2)) == {"A", "B"}


def test_layer_encoding_and_csv_column_options(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    base = gpd.GeoDataFrame({"项目编号": ["G1"]}, geometry=[box(121.455, 31.175, 121.459, 31.178)], crs="EPSG:4490")
    base.to_file(folder / "multi.gpkg", layer="first")
    base.assign(项目编号=["G2"]).to_file(folder / "multi.gpkg", layer="second")
    out = tmp_path / "out"
    assert main(["screen", str(folder / "multi.gpkg"), "--layer", "second", "--out", str(out), *AS_OF]) == 0
    assert set(_summary(out)) == {"G2"}
    csv_path = tmp_path / "pts.csv"
    csv_path.write_text("项目编号,东经,北纬\nC1,121.457,31.176\n", encoding="gbk")
    out2 = tmp_path / "out2"
    assert main(["screen", str(csv_path), "--encoding", "gbk", "--lon-field", "东经", "--lat-field", "北纬",
                 "--crs", "EPSG:4490", "--out", str(out2), *AS_OF]) == 0
    assert set(_summary(out2)) == {"C1"}
    wkt = tmp_path / "wkt.csv"
    wkt.write_text('项目编号,形状\nW1,"POINT (121.457 31.176)"\n', encoding="utf-8")
    out3 = tmp_path / "out3"
    assert main(["screen", str(wkt), "--wkt-field", "形状", "--crs", "EPSG:4490", "--out", str(out3), *AS_OF]) == 0
    assert set(_summary(out3)) == {"W1"}


def test_a_users_folder_is_refused_even_with_force(tmp_path, capsys):
    folder = _projects(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.csv").write_text("my own,table\n", encoding="utf-8")
    for extra in ([], ["--force"]):
        assert main(["screen", str(folder), "--out", str(mine), *AS_OF, *extra]) == 2
        assert "not a shgeo output folder" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["summary.csv"]
    assert (mine / "summary.csv").read_text(encoding="utf-8") == "my own,table\n"


@pytest.mark.parametrize("tiles", ["javascript:alert(1)//{z}/{x}/{y}", "file:///{z}/{x}/{y}", "https://x.org/a.png"])
def test_tiles_other_than_http_templates_exit_2(tmp_path, capsys, tiles):
    folder = _projects(tmp_path)
    assert main(["screen", str(folder), "--out", str(tmp_path / "out"), "--tiles", tiles, *AS_OF]) == 2
    assert "http" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_self_contained_maps_and_the_xlsx(tmp_path):
    folder = _projects(tmp_path)
    out = tmp_path / "out"
    assert main(["screen", str(folder), "--out", str(out), "--self-contained", *AS_OF]) == 0
    page = (out / "A" / "map.html").read_text(encoding="utf-8")
    assert "_assets" not in page and 'version="1.9.4"' in page
    assert (out / "summary.xlsx").is_file() and 'href="summary.xlsx"' in (out / "index.html").read_text("utf-8")


def test_quiet_runs_print_no_progress(tmp_path, capsys):
    folder = _projects(tmp_path)
    assert main(["-q", "screen", str(folder), "--out", str(tmp_path / "out"), *AS_OF]) == 0
    err = capsys.readouterr().err
    assert "project/s" not in err and "it/s" not in err


@pytest.mark.slow
def test_workers_on_a_local_dask_cluster_give_the_same_outputs(tmp_path):
    pytest.importorskip("distributed")
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["screen", str(SAMPLE_PROJECTS), "--out", str(one), *AS_OF]) == 0
    assert main(["screen", str(SAMPLE_PROJECTS), "--out", str(two), "--workers", "2", *AS_OF]) == 0
    assert (one / "summary.csv").read_bytes() == (two / "summary.csv").read_bytes()
    for pid in _summary(one):
        assert (one / pid / "report.json").read_bytes() == (two / pid / "report.json").read_bytes()
        assert (one / pid / "map.html").read_bytes() == (two / pid / "map.html").read_bytes()


def test_workers_and_scheduler_together_are_a_usage_error(tmp_path):
    folder = _projects(tmp_path)
    assert main(["screen", str(folder), "--out", str(tmp_path / "out"), "--workers", "2", "--scheduler",
                 "tcp://127.0.0.1:1", *AS_OF]) == 2
def test_survey_files_per_parcel_and_per_feature(tmp_path):
    from common import gk_project, rect, txt_document, txt_parcel, write_dxf, write_text

    e, n = gk_project(121.455, 31.175, 4528)
    folder = tmp_path / "in"
    folder.mkdir()
    write_text(folder / "报批.txt", txt_document([txt_parcel([rect(e, n, 100, 100)], pid="DK01"),
                                                 txt_parcel([rect(e + 300, n, 100, 100)], pid="DK02")]))
    write_dxf(folder / "图纸.dxf", [rect(e, n + 500, 100, 100), rect(e + 300, n + 500, 100, 100)])
    assert main(["screen", str(folder), "--out", str(tmp_path / "whole"), *AS_OF]) == 0
    assert set(_summary(tmp_path / "whole")) == {"报批", "图纸"}
    for flag in ("--per-parcel", "--per-feature"):
        out = tmp_path / flag.strip("-")
        assert main(["screen", str(folder), "--out", str(out), flag, *AS_OF]) == 0
        ids = set(_summary(out))
        assert {"DK01", "DK02"} <= ids and len(ids) == 4


@pytest.mark.parametrize("case, expected", [
    ("prefixed_as_4549", "use EPSG:4528 (zone-prefixed)"),
    ("not_geojson", "JSON but not GeoJSON"),
    ("wrong_encoding", "--encoding"),
    ("dwg", "save it as DXF"),
    ("no_crs", "--crs"),
])
def test_messages_point_the_right_way(tmp_path, capsys, case, expected):
    """The message of a bad input names the fix, and names CLI options as the CLI spells them."""
    from common import gk_project, rect, write_dxf, write_text

    e, n = gk_project(121.455, 31.175, 4528)
    if case == "prefixed_as_4549":
        path = tmp_path / "gk.gpkg"
        gpd.GeoDataFrame(geometry=[box(e, n, e + 100, n + 100)], crs=4549).to_file(path)
    elif case == "not_geojson":
        path = tmp_path / "query.json"
        path.write_text('{"spatial": {"redline": false}, "project": {}}', encoding="utf-8")
    elif case == "wrong_encoding":
        path = write_text(tmp_path / "pts.csv", "项目编号,lon,lat\n甲,121.457,31.176\n", "utf-8")
        argv_extra = ["--encoding", "gbk", "--crs", "EPSG:4490"]
    elif case == "dwg":
        path = tmp_path / "图纸.dwg"
        path.write_bytes(b"AC1032" + bytes(32))
    else:
        path = write_dxf(tmp_path / "plain.dxf", [rect(*gk_project(121.455, 31.175, 4549), 100, 100)])
    extra = argv_extra if case == "wrong_encoding" else []
    assert main(["screen", str(path), "--out", str(tmp_path / "out"), *AS_OF, *extra]) == 2
    assert expected in capsys.readouterr().err
