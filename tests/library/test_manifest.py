"""Parsing layer manifests, and the errors for what is wrong in them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from shgeo.errors import ManifestError
from shgeo.library.kinds import KINDS
from shgeo.library.manifest import read_manifest

GOOD = """
[manifest]
name = "test pack"
description = "for tests"
sample = true

[[layers]]
kind = "district"
path = "data/layers.gpkg"
layer = "district"
name_field = "NAME"
code_field = "CODE"
[layers.provenance]
source = "somewhere"
edition = 2025-04-10
licence = "MIT"
notes = "drawn by hand"

[[layers]]
kind = "groundwater_village"
path = "villages.zip"
name_field = "CUN"
code_field = "DM"
encoding = "GBK"
crs = "EPSG:4549"
select = { control_villages = true, by = "name", district_field = "QU", town_field = "ZHEN" }
[layers.provenance]
sample = false
edition = "2024-12"
"""


def _write(tmp_path: Path, text: str, name: str = "manifest.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _one_layer(extra: str = "", kind: str = "redline", head: str = "") -> str:
    return f'{head}\n[[layers]]\nkind = "{kind}"\npath = "a.gpkg"\n{extra}\n'


def test_good_manifest_parses(tmp_path):
    m = read_manifest(_write(tmp_path, GOOD))
    assert m.name == "test pack" and m.sample is True
    assert m.kinds == ["district", "groundwater_village"]
    d, v = m.layers
    assert d.path == tmp_path / "data" / "layers.gpkg"  # relative to the manifest
    assert d.layer == "district" and d.name_field == "NAME" and d.code_field == "CODE"
    assert d.provenance.edition == "2025-04-10"  # TOML date becomes ISO text
    assert d.provenance.sample is True  # inherited from [manifest]
    assert v.provenance.sample is False  # the layer's own flag wins
    assert v.encoding == "GBK" and v.crs == "EPSG:4549"
    assert v.select.control_villages and v.select.by == "name"
    assert v.select.district_field == "QU" and v.select.town_field == "ZHEN"
    assert len(m.sha256) == 64


def test_sample_defaults_to_false(tmp_path):
    m = read_manifest(_write(tmp_path, _one_layer()))
    assert m.sample is False and m.layers[0].provenance.sample is False
    assert m.name == "manifest"


@pytest.mark.parametrize(
    ("text", "key", "listed"),
    [
        (_one_layer(head="colour = 1"), "colour", "manifest, layers"),
        (_one_layer(head="[manifest]\nnme = 'x'"), "manifest.nme", "name, description, sample"),
        (_one_layer('name_feld = "n"'), "layers[0].name_feld", "name_field"),
        (_one_layer('[layers.provenance]\nedtion = "2025"'), "layers[0].provenance.edtion", "edition"),
        (_one_layer('select = { code = ["1"] }'), "layers[0].select.code", "codes"),
    ],
)
def test_unknown_keys_list_the_valid_ones(tmp_path, text, key, listed):
    with pytest.raises(ManifestError) as info:
        read_manifest(_write(tmp_path, text))
    assert info.value.key == key
    assert listed in str(info.value)
    assert "manifest.toml" in str(info.value)


def test_unknown_kind_lists_the_kinds(tmp_path):
    with pytest.raises(ManifestError, match="unknown kind 'redlines'") as info:
        read_manifest(_write(tmp_path, _one_layer(kind="redlines")))
    assert all(k in str(info.value) for k in KINDS)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[manifest]\nname = 'x'\n", "names no layers"),
        ('[[layers]]\nkind = "sea"\n', "missing path"),
        ('[[layers]]\npath = "a.gpkg"\n', "missing kind"),
        (_one_layer('crs = "EPSG:99999999"'), "unknown CRS"),
        (_one_layer('encoding = "klingon"'), "unknown encoding"),
        (_one_layer("layer = 3"), "must be a string"),
        (_one_layer(head="[manifest]\nsample = 'yes'"), "true or false"),
        (_one_layer('[layers.provenance]\nedition = 2025'), "must be a date"),
        (_one_layer('select = { codes = [] }\ncode_field = "c"'), "non-empty list"),
        (_one_layer('select = { codes = ["1"] }'), "needs code_field"),
        (_one_layer('select = { field = "zone" }'), "non-empty list"),
        (_one_layer('select = { codes = ["1"], field = "x" }\ncode_field = "c"'), "exactly one"),
        (_one_layer('select = { codes = ["1"], by = "name" }\ncode_field = "c"'), "cannot be used with codes"),
        (_one_layer('select = { control_villages = true }'), "selects villages"),
        (_one_layer('select = { control_villages = true, by = "town" }\ncode_field = "c"',
                    kind="groundwater_village"), "unknown value 'town'"),
        (_one_layer('select = { control_villages = true }', kind="groundwater_village"), "needs code_field"),
        (_one_layer('select = { control_villages = true, by = "name" }', kind="groundwater_village"),
         "needs name_field"),
        ('[[layers]]\nkind = "sea"\npath = "/vsizip//x.zip/a.shp"\n', "virtual paths"),
        ("[[layers]\nkind = 1", "not valid TOML"),
    ],
)
def test_bad_values_are_manifest_errors(tmp_path, text, match):
    with pytest.raises(ManifestError, match=match):
        read_manifest(_write(tmp_path, text))


def test_select_forms(tmp_path):
    text = _one_layer('select = { codes = ["310151202215", 310120109240] }\ncode_field = "c"',
                      kind="groundwater_village")
    text += '[[layers]]\nkind = "protected_area"\npath = "b.gpkg"\nselect = { field = "type", values = ["自然保护区"] }\n'
    a, b = read_manifest(_write(tmp_path, text)).layers
    assert a.select.codes == ("310151202215", "310120109240")
    assert b.select.field == "type" and b.select.values == ("自然保护区",)
    assert "1 value" in b.select.describe()


def test_zip_url_path_becomes_archive_and_member(tmp_path):
    text = '[[layers]]\nkind = "sea"\npath = "zip://pack/sea.zip!shp/sea.shp"\n'
    (entry,) = read_manifest(_write(tmp_path, text)).layers
    assert entry.path == tmp_path / "pack" / "sea.zip"
    assert entry.layer == "shp/sea.shp"


def test_missing_and_non_utf8_manifest(tmp_path):
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "none.toml")
    path = tmp_path / "gbk.toml"
    path.write_bytes('[[layers]]\nkind = "sea"\npath = "海.gpkg"\n'.encode("gbk"))
    with pytest.raises(ManifestError, match="not UTF-8"):
        read_manifest(path)


@pytest.mark.parametrize("line, key", [
    ('kind = ["redline"]', "kind"),
    ('kind = "redline"\npath = "a.gpkg"\nselect = { field = "X", values = [{ x = 1 }] }', "select.values"),
])
def test_wrong_value_types_name_the_key(tmp_path, line, key):
    """A list where a kind belongs, a table where a value belongs: ManifestError, not TypeError."""
    from shgeo.library.manifest import read_manifest

    body = f"[[layers]]\n{line}\n" + ('path = "a.gpkg"\n' if "path" not in line else "")
    body += '[layers.provenance]\nsource = "t"\nedition = "2025-01-01"\nlicence = "t"\nsample = false\n'
    (tmp_path / "m.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ManifestError, match=key.replace(".", r"\.")):
        read_manifest(tmp_path / "m.toml")


# ---------------------------------------------------------------- missing kinds, confirmation, PostGIS


def test_missing_kinds_with_reasons(tmp_path):
    text = _one_layer(head='[manifest]\nmissing = ["island", {kind = "sea", reason = "coastline not delivered"}]\n'
                           'missing_reason = "not held by the bureau"\nconfirmed = true')
    m = read_manifest(_write(tmp_path, text))
    assert m.missing == {"island": "not held by the bureau", "sea": "coastline not delivered"}
    assert m.confirmed is True
    assert "island" not in m.unaccounted and "redline" not in m.unaccounted and "core_zone" in m.unaccounted


@pytest.mark.parametrize(("head", "match"), [
    ('missing = ["island"]', "no reason given for leaving out island"),
    ('missing = ["islands"]\nmissing_reason = "x"', "unknown kind 'islands'"),
    ('missing = ["redline"]\nmissing_reason = "x"', "redline is listed as missing but a \\[\\[layers\\]\\] entry"),
    ('missing = "island"\nmissing_reason = "x"', "must be a list of kinds"),
    ('missing_reason = "x"', "missing_reason without missing"),
    ('confirmed = "yes"', "must be true or false"),
])
def test_bad_missing_declarations(tmp_path, head, match):
    with pytest.raises(ManifestError, match=match):
        read_manifest(_write(tmp_path, _one_layer(head=f"[manifest]\n{head}")))


def test_postgis_entry(tmp_path):
    text = ('[[layers]]\nkind = "redline"\npostgis = { env = "SHGEO_PG", table = "official.redline" }\n'
            '[[layers]]\nkind = "district"\npostgis = { service = "bureau", query = "SELECT * FROM qx", '
            'geometry_column = "shape" }\n')
    m = read_manifest(_write(tmp_path, text))
    red, dist = m.layers
    assert red.postgis.env == "SHGEO_PG" and red.postgis.table == "official.redline"
    assert red.label == "postgis:env:SHGEO_PG:official.redline" and red.path.name == red.label
    assert dist.postgis.service == "bureau" and dist.postgis.geometry_column == "shape"
    assert dist.label == "postgis:service:bureau:query"


@pytest.mark.parametrize(("value", "match"), [
    ('{ table = "t" }', "exactly one of env"),
    ('{ env = "A", service = "b", table = "t" }', "exactly one of env"),
    ('{ service = "host=db password=secret", table = "t" }', "not a pg_service name"),
    ('{ env = "postgresql://u:pw@h/db", table = "t" }', "not an environment variable name"),
    ('{ env = "PG" }', "exactly one of table or query"),
    ('{ env = "PG", table = "t; DROP TABLE x" }', "not a table name"),
    ('{ env = "PG", table = "t", password = "x" }', "unknown key 'password'"),
])
def test_postgis_entries_never_hold_a_connection_string_or_password(tmp_path, value, match):
    with pytest.raises(ManifestError, match=match):
        read_manifest(_write(tmp_path, f'[[layers]]\nkind = "redline"\npostgis = {value}\n'))


def test_postgis_and_path_exclude_each_other(tmp_path):
    with pytest.raises(ManifestError, match="either path"):
        read_manifest(_write(tmp_path, '[[layers]]\nkind = "redline"\npath = "a.gpkg"\n'
                                       'postgis = { env = "PG", table = "t" }\n'))


def test_official_flag(tmp_path):
    m = read_manifest(_write(tmp_path, _one_layer("[layers.provenance]\nofficial = true")))
    assert m.layers[0].provenance.official
    assert not read_manifest(_write(tmp_path, _one_layer(), "b.toml")).layers[0].provenance.official
