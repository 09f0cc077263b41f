"""Outputs: report.json keys, summary.csv/gpkg, report.html and index.html, names and atomic writes."""

from __future__ import annotations

import csv
import json
import re
import os
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from shgeo.library.layers import load_library
from shgeo.outputs.folder import atomic_write, safe_name, unique_names
from shgeo.outputs.summary import SUMMARY_COLUMNS
from shgeo.outputs.writer import save_outputs
from shgeo.outputs.report_html import SAMPLE_BANNER
from shgeo.screening import screen

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PROJECTS = ROOT / "data" / "sample" / "projects"
XSS = "<script>alert(1)</script>"

REPORT_KEYS = {"project_id", "sample_data", "as_of", "shgeo_version", "facts", "overlaps", "findings", "layers"}
OVERLAP_KEYS = {"kind", "name", "code", "area_m2", "length_m", "share", "distance_m"}
LAYER_KEYS = {"kind", "path", "sha256", "edition", "sample"}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    library = load_library()
    result = screen(SAMPLE_PROJECTS, library, as_of="2025-06-01")
    extra = gpd.GeoDataFrame({"项目编号": ["../evil", "CON"], "项目名称": [XSS, "保留名"]},
                             geometry=[box(121.97, 31.53, 121.975, 31.535), box(121.455, 31.175, 121.459, 31.178)],
                             crs="EPSG:4490")
    xss = screen(extra, library, as_of="2025-06-01")
    out = tmp_path_factory.mktemp("out")
    save_outputs(result, out)
    save_outputs(xss, out / "xss")
    return result, out


def test_report_json_keys(saved):
    result, out = saved
    for pid in result.ids:
        report = json.loads((out / pid / "report.json").read_text(encoding="utf-8"))
        assert REPORT_KEYS <= set(report), pid
        assert report["project_id"] == pid and report["sample_data"] is True
        assert report["as_of"] == "2025-06-01"
        assert {"redline", "core_zone", "water_source_l1", "districts", "details"} <= set(report["facts"])
        for entry in report["overlaps"]:
            assert OVERLAP_KEYS <= set(entry)
        for layer in report["layers"]:
            assert LAYER_KEYS <= set(layer)
            assert re.fullmatch(r"[0-9a-f]{64}", layer["sha256"])  # the digest of the file at `path`
            assert layer["sha256_files"][Path(layer["path"]).name] == layer["sha256"]
        assert "overall" in report and "fingerprint" in report
        assert "avoidance" not in report


def test_overlap_entries_carry_measures(saved):
    _, out = saved
    report = json.loads((out / "SP07" / "report.json").read_text(encoding="utf-8"))
    water = [o for o in report["overlaps"] if o["kind"] == "water_source_l1" and o["relation"] == "overlap"]
    assert water and water[0]["length_m"] > 0 and 0 < water[0]["share"] <= 1 and water[0]["distance_m"] == 0


def test_summary_csv_is_utf8_with_bom_for_excel(saved):
    result, out = saved
    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    assert [r["project_id"] for r in rows] == result.ids
    by_id = {r["project_id"]: r for r in rows}
    assert by_id["SP07"]["overall"] == "prohibited" and by_id["SP01"]["level"] == "municipal"
    assert by_id["SP09"]["name"] == "徐汇滨江文化中心新建工程"


def test_summary_gpkg_has_footprints_and_overlap_pieces(saved):
    result, out = saved
    layers = dict(pyogrio.list_layers(out / "summary.gpkg"))
    assert {"projects", "overlaps"} <= set(layers)
    projects = gpd.read_file(out / "summary.gpkg", layer="projects")
    assert list(projects["project_id"]) == result.ids
    assert {"overall", "level", "domain", "status"} <= set(projects.columns)
    assert projects.crs.to_epsg() == 4490
    pieces = gpd.read_file(out / "summary.gpkg", layer="overlaps")
    assert len(pieces) and {"project_id", "kind", "area_m2", "length_m", "share"} <= set(pieces.columns)


def test_report_html_in_chinese(saved):
    _, out = saved
    page = (out / "SP01" / "report.html").read_text(encoding="utf-8")
    assert SAMPLE_BANNER in page
    assert "市级" in page and "用地" in page and "须办理相关程序" in page
    assert "市规划资源局" in page and "市政府" in page and "征求意见" in page
    assert "二(三)第二款" in page and "涉及新建架空线" in page  # citation with its text
    assert "SHA-256" in page and "2026-11-22" in page  # the sample layers' edition from the manifest
    gw = (out / "SP06" / "report.html").read_text(encoding="utf-8")
    assert 'id="groundwater-duties"' in gw and "四(二)1（" in gw and "管控类区域" in gw
    questions = (out / "SP12" / "report.html").read_text(encoding="utf-8")
    assert 'id="questions"' in questions
    assert "<script" not in page.lower()


def test_index_links_every_project(saved):
    result, out = saved
    index = (out / "index.html").read_text(encoding="utf-8")
    for pid in result.ids:
        assert f'href="{pid}/report.html"' in index and f'href="{pid}/map.html"' in index
    assert SAMPLE_BANNER in index


def test_values_are_escaped_and_names_are_safe(saved):
    _, out = saved
    xss = out / "xss"
    folders = sorted(p.name for p in xss.iterdir() if p.is_dir())
    assert folders == ["_CON", "_assets", "_evil"]
    for page in (xss / "_evil" / "report.html", xss / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not (out / "evil").exists() and not (out.parent / "evil").exists()


@pytest.mark.parametrize("pid, name", [
    ("../etc/passwd", "_etc_passwd"), ("..", "project"), ("", "project"), ("a/b\\c:d", "a_b_c_d"),
    ("CON", "_CON"), ("nul.txt", "_nul.txt"), ("com1", "_com1"), ("项目 一", "项目 一"), (" P 1. ", "P 1"),
    ("a\tb", "a_b"),
    (".hidden", "hidden"),
    ("x" * 200, "x" * 80),
])
def test_safe_name(pid, name):
    assert safe_name(pid) == name


def test_unique_names_avoid_collisions():
    names = unique_names(["A", "a", "a/b", "a_b", "index.html", "summary.csv"])
    assert names == {"A": "A", "a": "a-2", "a/b": "a_b", "a_b": "a_b-2", "index.html": "index.html-2",
                     "summary.csv": "summary.csv-2"}


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "report.json"
    atomic_write(target, "{}")
    atomic_write(target, b"[1]")

    def failing(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing)
    assert target.read_text(encoding="utf-8") == "[1]"
    assert sorted(os.listdir(tmp_path)) == ["report.json"]


def _two(**columns):
    return gpd.GeoDataFrame({"项目编号": ["A", "B"], **columns},
                            geometry=[box(121.455, 31.175, 121.459, 31.178), box(121.46, 31.175, 121.462, 31.178)],
                            crs="EPSG:4490")


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_failed_rerun_removes_the_stale_report(tmp_path, library):
    out = tmp_path / "out"
    save_outputs(screen(_two(是否新建架空线=["否", "否"]), library, as_of="2025-06-01"), out)
    assert (out / "B" / "report.json").is_file()
    rerun = screen(_two(是否新建架空线=["否", "大概"]), library, as_of="2025-06-01")
    saved = save_outputs(rerun, out)
    assert list(saved.failed) == ["B"]
    assert not any((out / "B" / name).exists() for name in ("report.json", "report.html", "map.html"))
    assert (out / "A" / "report.json").is_file()
    rows = {r["project_id"]: r for r in csv.DictReader((out / "summary.csv").read_text("utf-8-sig").splitlines())}
    assert rows["B"]["status"] == "not_screened" and "大概" in rows["B"]["reason"] and rows["B"]["report"] == ""


def test_not_screened_rows_leave_counts_empty(library):
    result = screen(_two(是否新建架空线=["否", "大概"]), library, as_of="2025-06-01")
    by_id = {r["project_id"]: r for r in result.summary.to_dict(orient="records")}
    assert by_id["B"]["questions"] == "" and by_id["B"]["overlaps"] == ""  # unknown, not 0
    assert isinstance(by_id["A"]["overlaps"], int) and isinstance(by_id["A"]["questions"], int)


def test_tiles_none_and_None_are_the_same_on_a_rerun(tmp_path, library):
    out = tmp_path / "out"
    result = screen(_two(), library, as_of="2025-06-01")
    assert save_outputs(result, out, tiles="none").written == ["A", "B"]
    assert save_outputs(result, out, tiles=None).reused == ["A", "B"]
    assert save_outputs(result, out, tiles=" None ").reused == ["A", "B"]


def test_output_folder_is_marked_and_not_read_back(tmp_path, library):
    from shgeo.inputs.discovery import OUTPUT_MARKER, discover_inputs

    _two().to_file(tmp_path / "in.gpkg")
    out = tmp_path / "out"
    save_outputs(screen(tmp_path / "in.gpkg", library, as_of="2025-06-01"), out)
    assert (out / OUTPUT_MARKER).is_file() and (out / "summary.gpkg").is_file()
    assert [p.name for p in discover_inputs([tmp_path])] == ["in.gpkg"]
