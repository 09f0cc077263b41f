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


# ---------------------------------------------------------------------------
# --schema, and what `shgeo route` refuses (exit 2, one line naming the key)
# ---------------------------------------------------------------------------

def run_bytes(data: bytes, tmp_path, capsys, args=()):
    path = tmp_path / "q.json"
    path.write_bytes(data)
    code = main(["route", str(path), "--as-of", "2025-06-01", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_schema_option_prints_a_json_schema_of_queries_and_answers(capsys, monkeypatch):
    from jsonschema import Draft202012Validator

    code, out, err = run(["--schema"], None, capsys, monkeypatch)
    assert code == 0, err
    schema = json.loads(out)
    Draft202012Validator.check_schema(schema)
    assert {"query", "answer", "finding"} <= set(schema["$defs"])


def _one_line_error(code, out, err):
    assert code == 2 and out == ""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("text", "key"), [
    ('{"spatial": {"redline": true, "redline": false}}', "spatial.redline"),
    ('{"spatial": {}, "spatial": {"redline": true}}', "spatial"),
    ('{"project": {"activity": 1, "construction": false, "activity": 2}}', "project.activity"),
    ('{"id": "a", "project": {}, "id": "b"}', "id"),
])
def test_a_key_given_twice_at_any_depth_is_refused(text, key, tmp_path, capsys):
    """JSON keeps the last of two equal keys: `"redline": true, "redline": false` would read as clear."""
    line = _one_line_error(*run_bytes(text.encode(), tmp_path, capsys))
    assert f"{key}: given twice" in line


@pytest.mark.parametrize(("spatial", "key"), [
    ({"districts": ["上海市"]}, "spatial.districts"),
    ({"districts": ["崇明"]}, "spatial.districts"),
    ({"districts": ["昆山市"]}, "spatial.districts"),
    ({"redline_districts": ["嘉兴市"]}, "spatial.redline_districts"),
    ({"protected_area": ["重要湿地"]}, "spatial.protected_area"),
    ({"protected_area": ["自然保护区", "湿地"]}, "spatial.protected_area"),
    ({"water_source_l1": ["淀山湖"]}, "spatial.water_source_l1"),
    ({"water_source_l1": ["金泽"]}, "spatial.water_source_l1"),
    ({"groundwater_village": ["31015110120"]}, "spatial.groundwater_village"),
    ({"groundwater_village": ["3101511012010"]}, "spatial.groundwater_village"),
    ({"groundwater_village": ["31015110120a"]}, "spatial.groundwater_village"),
    ({"groundwater_village": ["３１０１５１１０１２０１"]}, "spatial.groundwater_village"),
    ({"groundwater_village": [310151101201]}, "spatial.groundwater_village"),
    ({"outside_share": 1.5}, "spatial.outside_share"),
    ({"outside_share": True}, "spatial.outside_share"),
    ({"coast": True}, "spatial.coast"),
])
def test_values_outside_the_closed_sets_are_refused(spatial, key, tmp_path, capsys):
    text = json.dumps({"spatial": {"redline": True, **spatial}}, ensure_ascii=False)
    line = _one_line_error(*run_bytes(text.encode(), tmp_path, capsys))
    assert key in line


@pytest.mark.parametrize("text", [
    '{"projects": {}}', '{"project": {"activty": 1}}', '{"spatial": {"Redline": true}}',
    '{"project": {"unit_roles": ["farmer"]}}', '{"project": {"works": "demolish"}}',
    '{"project": {"confirmed_route": ["二(九)"]}}', '{"as_of": "2025-13-01"}', '{"id": [1]}',
])
def test_unknown_keys_and_values_are_refused(text, tmp_path, capsys):
    _one_line_error(*run_bytes(text.encode(), tmp_path, capsys))


@pytest.mark.parametrize("build", [
    lambda n: "[" * n + "]" * n,
    lambda n: '{"a":' * n + "1" + "}" * n,
    lambda n: '{"spatial": {"districts": ' + "[" * n + "]" * n + "}}",
    lambda n: '{"project": {"construction": ' + "[" * (n // 2) + "]" * (n // 2) + "}}",
])
@pytest.mark.parametrize("depth", [900, 5_000, 100_000])
def test_deeply_nested_json_is_refused_without_a_traceback(build, depth, tmp_path, capsys):
    _one_line_error(*run_bytes(build(depth).encode(), tmp_path, capsys))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32"])
def test_query_files_in_chinese_encodings_are_read(encoding, tmp_path, capsys):
    """UTF-8 (BOM or not), GBK/GB18030 and UTF-16/32 are decoded; the answer is the UTF-8 one."""
    text = json.dumps(QUERY, ensure_ascii=False)
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + text).encode(encoding)   # with its byte-order mark
    code, out, err = run_bytes(data, tmp_path, capsys)
    assert code == 0, err
    assert json.loads(out)["findings"][0]["notify_to"] == ["区生态环境部门"]


@pytest.mark.parametrize("data", [
    b'{"spatial": {"districts": ["\xff\xfe\xfd"]}}',      # no encoding reads it
    b"\xef\xbb\xbf{\"a\": \"\xff\"}",                       # a UTF-8 BOM, then not UTF-8
    b"\xff\xfe{\x00\"\x00\x00\xd8",                        # a UTF-16 BOM, then a lone surrogate
    b"",
    b"\x00\x00\x00",
    "{\"id\": \"\\ud800\"}".encode(),                      # a lone surrogate in the id
    b'{"spatial": {"outside_share": NaN}}',
    b'{"spatial": {"outside_share": Infinity}}',
    b'{"project": {"activity": ' + b"9" * 5000 + b"}}",
])
def test_undecodable_or_unreadable_bytes_are_refused(data, tmp_path, capsys):
    _one_line_error(*run_bytes(data, tmp_path, capsys))


def test_a_folder_or_a_missing_file_is_refused(tmp_path, capsys, monkeypatch):
    for target in (str(tmp_path), str(tmp_path / "missing.json")):
        code, out, err = run([target], None, capsys, monkeypatch)
        line = _one_line_error(code, out, err)
        assert target in line


# --- fuzz: whatever the bytes, exit 0 or 2 and never a traceback -----------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from shgeo.rules.decision import PROJECT_KEYS, SPATIAL_KEYS  # noqa: E402

_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 30), st.floats(allow_nan=False),
                  st.text(max_size=8), st.sampled_from(["崇明区", "青草沙", "自然保护区", "310151101201", "6",
                                                        "development", "new", "enterprise", "二(三)第一款"]))
_json = st.recursive(_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                     max_leaves=8)
_queries = st.fixed_dictionaries({}, optional={
    "spatial": st.dictionaries(st.sampled_from([*SPATIAL_KEYS, "x"]), _json, max_size=4),
    "project": st.dictionaries(st.sampled_from([*PROJECT_KEYS, "y"]), _json, max_size=5),
    "as_of": st.one_of(st.dates().map(str), _leaf), "id": _leaf})


def _fuzz_text(query, duplicate, nest):
    text = json.dumps(query, ensure_ascii=False)
    if duplicate and query:   # the first key given twice (null first: the last value would win)
        text = "{" + json.dumps(next(iter(query)), ensure_ascii=False) + ": null, " + text[1:]
    if nest:
        text = "[" * nest + text + "]" * nest
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(query=_queries, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-32"]),
       duplicate=st.booleans(), nest=st.sampled_from([0, 0, 3, 2000]), junk=st.binary(max_size=6),
       cut=st.integers(0, 40))
def test_fuzz_route_exits_0_or_2_without_a_traceback(query, encoding, duplicate, nest, junk, cut, tmp_path, capsys):
    text = _fuzz_text(query, duplicate, nest)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:   # lone surrogates from st.text: sent as UTF-8 escapes instead
        data = json.dumps(query).encode()
    for variant in (data, data[: len(data) - cut] + junk, junk + data):
        code, out, err = run_bytes(variant, tmp_path, capsys)
        assert code in (0, 2), err
        assert "Traceback" not in err
        if code == 0:
            assert {"findings", "overall", "as_of"} <= set(json.loads(out))
        else:
            assert len([line for line in err.splitlines() if line.strip()]) == 1, err


def test_end_to_end_refusals_have_no_traceback(tmp_path):
    """The installed command, as a user runs it: duplicate keys, deep nesting, GBK bytes."""
    cases = [b'{"spatial": {"redline": true, "redline": false}}', b"[" * 50_000 + b"]" * 50_000,
             json.dumps(QUERY, ensure_ascii=False).encode("gbk")]
    codes = []
    for data in cases:
        proc = subprocess.run([sys.executable, "-m", "shgeo", "route", "-", "--as-of", "2025-06-01"], input=data,
                              capture_output=True)
        assert b"Traceback" not in proc.stderr
        codes.append(proc.returncode)
    assert codes == [2, 2, 0]


@pytest.mark.parametrize("text", ['{"spatial": {}, "spatial": {}', '{"spatial": {}, "spatial": {}}\x00',
                                  '[[[{"a": 1, "a": 2}]]', '{"id": 1, "id": 2} {"x"'])
def test_a_repeated_key_in_an_otherwise_malformed_file_is_refused(text, tmp_path, capsys):
    """Found by the fuzz test: the repeated key is met before the file turns out malformed."""
    _one_line_error(*run_bytes(text.encode(), tmp_path, capsys))


def test_help_names_the_overall_values_and_the_schema(capsys, monkeypatch):
    """`shgeo route --help` is kept in step with the contract: every overall value, --schema, encodings."""
    from shgeo.rules.decision import OVERALL

    code, out, _ = run(["--help"], None, capsys, monkeypatch)
    text = " ".join(out.split())
    assert code == 0 and "--schema" in text and "GB18030" in text and "given twice" in text
    for value in OVERALL:
        assert value in text, value
