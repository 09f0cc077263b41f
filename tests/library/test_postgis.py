"""PostGIS as a layer source, against a real PostgreSQL + PostGIS started here on 127.0.0.1.

The server comes from Debian's ``postgresql`` and ``postgis`` packages (``.ci/run`` installs them).  It
is started for this module in a temporary directory, as the ``postgres`` user when the tests run as
root (postgres refuses to run as root).  Where it cannot start the tests are skipped with the reason;
under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from shapely.geometry import box

from shgeo.crs import GEOGRAPHIC_CRS
from shgeo.errors import LayerError
from shgeo.library.kinds import STATUTORY
from shgeo.library.layers import check_library, load_library

psycopg = pytest.importorskip("psycopg", reason="the postgis extra (psycopg) is not installed")

A = box(121.50, 31.20, 121.52, 31.22)
B = box(121.60, 31.25, 121.62, 31.27)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL + PostGIS must run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg():
    """A throw-away cluster on 127.0.0.1 with the postgis extension; yields a libpq connection string."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        _unavailable("PostgreSQL server binaries not found (install Debian's postgresql and postgis)")
    bindir = Path(bins[-1]).parent
    version = bindir.parent.name
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        _unavailable(f"the PostGIS extension for PostgreSQL {version} is not installed (Debian package postgis)")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="shgeo-pg-"))
    if os.geteuid() == 0:  # postgres refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = root / "data"

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)

    done = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
               "--no-sync")
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    done = run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "server.log"), "-w", "start")
    if done.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-500:] if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"the server did not start: {done.stderr.strip()[-300:]} {log}")
    dsn = f"host=127.0.0.1 port={port} dbname=postgres user=postgres"
    try:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
            con.execute("CREATE SCHEMA official")
            con.execute('CREATE TABLE official.redline (id serial PRIMARY KEY, "名称" text, code text, '
                        "geom geometry(Polygon, 4549))")
            for name, code, geom in (("东滩", "HX-1", A), ("九段沙", "HX-2", B)):
                con.execute('INSERT INTO official.redline ("名称", code, geom) VALUES '
                            "(%s, %s, ST_Transform(ST_GeomFromText(%s, 4490), 4549))", (name, code, geom.wkt))
            con.execute("CREATE TABLE public.nosrid (id int, shape geometry)")
            con.execute("INSERT INTO public.nosrid VALUES (1, ST_GeomFromText(%s))", (A.wkt,))
        yield dsn
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _manifest(tmp_path: Path, postgis: str, extra: str = "") -> Path:
    missing = json.dumps([k for k in STATUTORY if k != "redline"])
    path = tmp_path / "manifest.toml"
    path.write_text(f'[manifest]\nmissing = {missing}\nmissing_reason = "test"\n'
                    f'[[layers]]\nkind = "redline"\npostgis = {postgis}\nname_field = "名称"\ncode_field = "code"\n'
                    f'{extra}\n[layers.provenance]\nedition = "2025-06-30"\nlicence = "internal"\n',
                    encoding="utf-8")
    return path


def test_a_table_through_an_environment_variable(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("SHGEO_TEST_PG", pg)
    lib = load_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG", table = "official.redline" }'))
    layer = lib.layer("redline")
    assert sorted(layer["name"]) == ["东滩", "九段沙"] and sorted(layer["code"]) == ["HX-1", "HX-2"]
    (src,) = lib.sources
    assert src.source_crs == "EPSG:4549"  # the SRID of the geometries
    assert src.query == 'SELECT * FROM "official"."redline"'
    (label,) = src.sha256
    assert label == "postgis:env:SHGEO_TEST_PG:official.redline" and len(src.sha256[label]) == 64
    west, south, east, north = src.bounds_lonlat
    assert west == pytest.approx(121.50, abs=1e-3) and north == pytest.approx(31.27, abs=1e-3)  # corners of the box in EPSG:4549
    assert pg not in json.dumps(src.sha256) and "password" not in (src.query or "")


def test_the_checksum_covers_query_rows_and_content(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("SHGEO_TEST_PG", pg)
    by_table = load_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG", table = "official.redline" }'))
    by_query = load_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG", query = '
                                                '"SELECT * FROM official.redline WHERE true" }'))
    assert by_table.sources[0].checksum != by_query.sources[0].checksum  # same rows, other query text
    with psycopg.connect(pg, autocommit=True) as con:
        con.execute('INSERT INTO official.redline ("名称", code, geom) VALUES (%s, %s, '
                    "ST_Transform(ST_GeomFromText(%s, 4490), 4549))", ("新增", "HX-3", box(121.7, 31.3, 121.71, 31.31).wkt))
    try:
        again = load_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG", table = "official.redline" }'))
        assert again.sources[0].feature_count == 3
        assert again.sources[0].checksum != by_table.sources[0].checksum
    finally:
        with psycopg.connect(pg, autocommit=True) as con:
            con.execute("DELETE FROM official.redline WHERE code = 'HX-3'")


def test_a_query_through_a_pg_service(pg, tmp_path, monkeypatch):
    params = dict(item.split("=") for item in pg.split())
    service_file = tmp_path / "pg_service.conf"
    service_file.write_text("[bureau]\n" + "\n".join(f"{k}={v}" for k, v in params.items()) + "\n")
    monkeypatch.setenv("PGSERVICEFILE", str(service_file))
    lib = load_library(_manifest(tmp_path, '{ service = "bureau", query = "SELECT id, \\"名称\\", code, geom AS shape '
                                           'FROM official.redline WHERE code = \'HX-1\'", geometry_column = "shape" }'))
    assert list(lib.layer("redline")["name"]) == ["东滩"]
    assert lib.sources[0].sha256.keys() == {"postgis:service:bureau:query"}


def test_srid_0_needs_the_manifest_crs(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("SHGEO_TEST_PG", pg)
    path = tmp_path / "m.toml"
    missing = json.dumps([k for k in STATUTORY if k != "redline"])
    body = (f'[manifest]\nmissing = {missing}\nmissing_reason = "test"\n[[layers]]\nkind = "redline"\n'
            'postgis = { env = "SHGEO_TEST_PG", table = "public.nosrid" }\n')
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LayerError, match="no CRS"):
        load_library(path)
    path.write_text(body + 'crs = "EPSG:4490"\n', encoding="utf-8")
    lib = load_library(path)
    assert lib.sources[0].source_crs == "EPSG:4490 (from manifest)"
    assert lib.layer("redline").crs != GEOGRAPHIC_CRS


def test_connection_problems_name_the_source_and_the_fix(pg, tmp_path, monkeypatch):
    monkeypatch.delenv("SHGEO_TEST_PG_UNSET", raising=False)
    check = check_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG_UNSET", table = "official.redline" }'))
    assert "environment variable SHGEO_TEST_PG_UNSET is not set" in str(check.errors[0])
    monkeypatch.setenv("SHGEO_TEST_PG", pg)
    check = check_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG", table = "official.absent" }'))
    assert "official.absent has no geometry column (or does not exist)" in str(check.errors[0])
    port = pg.split("port=")[1].split()[0]
    monkeypatch.setenv("SHGEO_TEST_PG", pg.replace(f"port={port}", f"port={_free_port()}"))
    check = check_library(_manifest(tmp_path, '{ env = "SHGEO_TEST_PG", table = "official.redline" }'))
    assert "cannot connect to PostgreSQL" in str(check.errors[0])
    assert "postgis:env:SHGEO_TEST_PG:official.redline" in str(check.errors[0])
