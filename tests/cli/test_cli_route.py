"""``shgeo route``: JSON in (file or stdin), JSON out; bad input exits 2 naming the key."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shgeo.cli.main import main

QUERY = {"spatial": {"redline": True, "land": True, "districts": ["崇明区"]},
         "project": {"activity": 1, "annex_conditions_met": True, "new_construction_land": False,
                     "sea_island_use": False, "construction": False}}


def run(args, stdin: str | None, capsys, monkeypatch):
    if stdin is not None:
        import io
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["route", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_route_reads_a_file_and_writes_json(tmp_path, capsys, monkeypatch):
    path = tmp_path / "q.json"
    path.write_text(json.dumps(QUERY, ensure_ascii=False), encoding="utf-8")
    code, out, err = run([str(path), "--as-of", "2025-06-01"], None, capsys, monkeypatch)
    assert code == 0, err
    answer = json.loads(out)
    assert answer["overall"] == "procedures_apply"
    assert answer["findings"][0]["clauses"] == ["二(五)"]
    assert "区生态环境部门" in out          # ensure_ascii=False
    assert out.startswith("{\n  ")          # indented


def test_route_reads_stdin(capsys, monkeypatch):
    code, out, _ = run(["-", "--as-of", "2025-06-01"], json.dumps(QUERY), capsys, monkeypatch)
    assert code == 0 and json.loads(out)["as_of"] == "2025-06-01"


@pytest.mark.parametrize(("text", "needle"), [
    ('{"spatial": ', "malformed JSON"),
    ('{"spatial": {"redlin": true}}', "spatial.redlin"),
    ('{"project": {"construction": "yes"}}', "project.construction"),
    ('{"project": {"activity": 12}}', "project.activity"),
    ('[1]', "JSON object"),
])
def test_bad_input_exits_2_naming_the_key(text, needle, capsys, monkeypatch):
    code, out, err = run([], text, capsys, monkeypatch)
    assert code == 2
    assert needle in err and "Traceback" not in err and out == ""


def test_bad_as_of_exits_2(capsys, monkeypatch):
    code, _, err = run(["--as-of", "2025-02-30"], "{}", capsys, monkeypatch)
    assert code == 2 and "--as-of" in err


def test_as_of_option_applies_validity(capsys, monkeypatch):
    q = json.dumps({"spatial": {"water_source_l1": ["青草沙"]},
                    "project": {"water_supply_related": False, "works": "new"}})
    code, out, _ = run(["--as-of", "2030-03-01"], q, capsys, monkeypatch)
    assert code == 0 and json.loads(out)["findings"][0]["outcome"] == "not_applicable"


def test_installed_command_end_to_end():
    proc = subprocess.run([sys.executable, "-m", "shgeo", "route", "-", "--as-of", "2025-06-01"],
                          input=json.dumps(QUERY), capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["outcome"] == "notify_only"
    bad = subprocess.run([sys.executable, "-m", "shgeo", "route"], input='{"x": 1}',
                         capture_output=True, text=True, encoding="utf-8")
    assert bad.returncode == 2 and "x: unknown key" in bad.stderr and "Traceback" not in bad.stderr
