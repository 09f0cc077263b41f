"""Fuzzing ``shgeo screen``'s file inputs: whatever the file holds, the exit code is 0, 1 or 2 — never a traceback.

Valid files of every input format are built here (GBK where real ones are),
then cut, corrupted, spliced, renamed to another format's suffix, and given
with random options.  Each run must end with a message and an exit code of
0 (screened), 1 (some projects failed) or 2 (bad usage or input).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from common import gk_project, rect, txt_document, txt_parcel, write_coordinate_xlsx, write_dxf, write_text
from shgeo.cli.main import main

AS_OF = ["--as-of", "2025-06-01"]
E, N = gk_project(121.455, 31.175, 4528)
RING = rect(E, N, 120, 90)
SUFFIXES = [".txt", ".dxf", ".dwg", ".xlsx", ".csv", ".tsv", ".json", ".geojson", ".gpkg", ".kml", ".kmz", ".zip",
            ".shp", ".xls"]


def _seeds(folder: Path) -> dict[str, bytes]:
    """Valid files of every input format, as bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    lonlat = gpd.GeoDataFrame({"项目编号": ["A", "B"], "名称": ["甲", "乙"]},
                              geometry=[box(121.455, 31.175, 121.459, 31.178), box(121.46, 31.175, 121.462, 31.178)],
                              crs=4490)
    paths = {
        ".txt": write_text(folder / "a.txt", txt_document([txt_parcel([RING], pid="DK01"),
                                                           txt_parcel([rect(E + 300, N, 50, 50)], pid="DK02")])),
        ".dxf": write_dxf(folder / "a.dxf", [RING, rect(E + 10, N + 10, 20, 20)]),
        ".xlsx": write_coordinate_xlsx(folder / "a.xlsx", {"DK01": [RING]}),
        ".csv": write_text(folder / "a.csv", "项目编号,wkt\nA,\"POINT (121.457 31.176)\"\nB,\"POLYGON ((121.46 31.175, "
                           "121.462 31.175, 121.462 31.178, 121.46 31.175))\"\n", "utf-8"),
        ".tsv": write_text(folder / "a.tsv", "点号\tX\tY\n" + "".join(f"J{i}\t{n:.3f}\t{e:.3f}\n"
                                                                    for i, (e, n) in enumerate(RING)), "gbk"),
    }
    lonlat.to_file(folder / "a.geojson")
    lonlat.to_file(folder / "a.gpkg")
    lonlat.to_file(folder / "a.kml", driver="KML")
    lonlat.to_file(folder / "s.shp", encoding="GBK")
    (folder / "s.cpg").unlink()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj"):
            zf.write(folder / f"s.{ext}", f"s.{ext}")
    out = {suffix: path.read_bytes() for suffix, path in paths.items()}
    out[".geojson"] = (folder / "a.geojson").read_bytes()
    out[".gpkg"] = (folder / "a.gpkg").read_bytes()
    out[".kml"] = (folder / "a.kml").read_bytes()
    out[".zip"] = buffer.getvalue()
    out[".json"] = out[".geojson"]
    return out


class _Seeds(dict):
    def __repr__(self) -> str:  # a failing example is reported with its arguments: not the files' bytes
        return f"<seed files: {', '.join(self)}>"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _Seeds(_seeds(tmp_path_factory.mktemp("seeds")))


@pytest.fixture(scope="module")
def fast_library():
    """The sample pack loaded once: every run of the command gets it (the command is what is fuzzed)."""
    import shgeo.library.layers as layers

    library = layers.load_library()
    patch = pytest.MonkeyPatch()
    patch.setattr(layers, "load_library", lambda manifest=None: library)
    yield library
    patch.undo()


def _mutate(data: bytes, how: str, at: float, junk: bytes) -> bytes:
    if not data:
        return junk
    k = int(at * len(data))
    if how == "cut":
        return data[:k]
    if how == "flip":
        return data[:k] + bytes([data[k % len(data)] ^ 0xFF]) + data[k + 1:]
    if how == "insert":
        return data[:k] + junk + data[k:]
    if how == "replace_line":
        lines = data.split(b"\n")
        lines[int(at * (len(lines) - 1))] = junk
        return b"\n".join(lines)
    if how == "duplicate_line":
        lines = data.split(b"\n")
        i = int(at * (len(lines) - 1))
        return b"\n".join(lines[:i + 1] + lines[i:])
    if how == "empty":
        return b""
    return data


_JUNK = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b",,,,@", b"J1,1,abc,def", b"[\xb5\xd8\xbf\xe9\xd7\xf8\xb1\xea]", b"\xff\xfe\x00",
                     "坐标系=1980西安坐标系".encode("gbk"), b"NaN,inf,-inf", b'"unterminated', b"\x00" * 8,
                     "带号=99".encode("gbk"), b"0\nSECTION\n2\nENTITIES", b"{" * 50, b"1e400,1e400"]),
    st.text(max_size=30).map(lambda t: t.encode("utf-8", errors="replace")),
)


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(source=st.sampled_from([".txt", ".dxf", ".xlsx", ".csv", ".tsv", ".json", ".geojson", ".gpkg", ".kml",
                               ".zip"]),
       suffix=st.one_of(st.none(), st.sampled_from(SUFFIXES)),
       how=st.sampled_from(["none", "cut", "flip", "insert", "replace_line", "duplicate_line", "empty"]),
       at=st.floats(0, 1, exclude_max=True), junk=_JUNK,
       options=st.lists(st.sampled_from([
           ["--crs", "EPSG:4549"], ["--crs", "EPSG:4528"], ["--crs", "gcj02"], ["--crs", "nonsense"],
           ["--crs", "EPSG:4490"], ["--encoding", "GBK"], ["--encoding", "no-such-codec"], ["--encoding", "utf-16"],
           ["--layer", "用地红线"], ["--layer", "nope"], ["--per-parcel"], ["--per-file"], ["--id-field", "项目编号"],
           ["--id-field", "nope"], ["--wkt-field", "wkt"], ["--lon-field", "x", "--lat-field", "y"]]), max_size=3))
def test_any_file_input_ends_with_an_exit_code_not_a_traceback(tmp_path_factory, seeds, fast_library, capsys,
                                                              source, suffix, how, at, junk, options):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"input{suffix or source}"
    path.write_bytes(_mutate(seeds[source], how, at, junk))
    argv = ["screen", str(path), "--out", str(folder / "out"), *AS_OF, *[o for opt in options for o in opt]]
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 1, 2), (argv, err)
    assert "Traceback" not in err, (argv, err)
    assert "unexpected" not in err, (argv, err)  # the readers' last resort: every fault should be foreseen


def test_a_folder_of_broken_files_beside_a_good_one_screens_the_good_one(tmp_path, seeds, fast_library, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for suffix, data in seeds.items():
        (folder / f"cut{suffix}").write_bytes(data[: len(data) // 2])
    gpd.GeoDataFrame({"项目编号": ["OK"]}, geometry=[Polygon([(121.455, 31.175), (121.459, 31.175),
                                                              (121.459, 31.178)])], crs=4490).to_file(folder / "ok.gpkg")
    assert main(["screen", str(folder), "--out", str(tmp_path / "out"), *AS_OF]) == 1
    summary = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8-sig")
    assert "OK,," in summary and "Traceback" not in capsys.readouterr().err
