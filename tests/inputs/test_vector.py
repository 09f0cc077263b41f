"""Reading vector files: formats, zips, encodings, missing sidecars, checksums."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from shgeo.errors import LayerError, ShgeoError
from shgeo.inputs.vector import list_vector_layers, read_vector, sha256_of

NAMES = ["民生村", "陆渡村"]


def _frame(crs: object = 4490) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": NAMES, "code": ["310151202215", "310114501213"]},
        geometry=[box(121.40, 31.20, 121.41, 31.21), box(121.30, 31.30, 121.31, 31.31)],
        crs=crs,
    )


def _shapefile(tmp_path: Path, stem: str = "villages", *, encoding: str = "UTF-8", cpg: bool = True,
               crs: object = 4490) -> Path:
    path = tmp_path / f"{stem}.shp"
    _frame(crs).to_file(path, encoding=encoding)
    if not cpg:
        (tmp_path / f"{stem}.cpg").unlink()
    return path


def _zip(archive: Path, files: list[Path], prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for f in files:
            zf.write(f, prefix + f.name)
    return archive


def _sidecars(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


# ---------------------------------------------------------------- formats


def test_geopackage_single_layer_keeps_crs_and_fid(tmp_path):
    path = tmp_path / "a.gpkg"
    _frame().to_file(path, layer="villages")
    gdf = read_vector(path)
    assert gdf.crs.to_epsg() == 4490
    assert list(gdf["name"]) == NAMES
    assert list(gdf.index) == [1, 2]  # GeoPackage FIDs
    assert gdf.attrs["layer"] == "villages"
    assert gdf.attrs["problems"] == []


def test_multilayer_file_needs_layer_and_lists_them(tmp_path):
    path = tmp_path / "m.gpkg"
    _frame().to_file(path, layer="redline")
    _frame().to_file(path, layer="district")
    with pytest.raises(LayerError, match="redline") as info:
        read_vector(path)
    assert "district" in str(info.value) and "m.gpkg" in str(info.value)
    with pytest.raises(LayerError, match="no layer 'sea'.*redline"):
        read_vector(path, layer="sea")
    assert len(read_vector(path, layer="district")) == 2
    assert [n for n, _ in list_vector_layers(path)] == ["redline", "district"]


def test_geojson_and_kml_and_kmz(tmp_path):
    gj = tmp_path / "a.geojson"
    _frame(4326).to_file(gj, driver="GeoJSON")
    assert list(read_vector(gj)["name"]) == NAMES
    kml = tmp_path / "a.kml"
    _frame(4326).to_file(kml, driver="KML")
    got = read_vector(kml)
    assert got.crs.to_epsg() == 4326 and len(got) == 2
    kmz = tmp_path / "a.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.write(kml, "doc.kml")
    assert len(read_vector(kmz)) == 2
    assert list(sha256_of(kmz)) == ["a.kmz"]


@pytest.mark.skipif("OpenFileGDB" not in pyogrio.list_drivers(), reason="GDAL without OpenFileGDB")
def test_filegdb_directory(tmp_path):
    gdb = tmp_path / "a.gdb"
    try:
        _frame().to_file(gdb, driver="OpenFileGDB", layer="villages")
    except Exception:  # pragma: no cover - GDAL build without FileGDB write support
        pytest.skip("OpenFileGDB cannot write here")
    assert list(read_vector(gdb)["name"]) == NAMES
    digests = sha256_of(gdb)
    assert digests and all(k.startswith("a.gdb/") for k in digests)


def test_shapefile_without_prj_has_no_crs(tmp_path):
    shp = _shapefile(tmp_path)
    (tmp_path / "villages.prj").unlink()
    assert read_vector(shp).crs is None


# ---------------------------------------------------------------- encodings


def test_gbk_dbf_with_cpg(tmp_path):
    shp = _shapefile(tmp_path, encoding="GBK")
    assert (tmp_path / "villages.cpg").read_text().strip().upper() in {"GBK", "CP936", "936"}
    gdf = read_vector(shp)
    assert list(gdf["name"]) == NAMES
    assert gdf.attrs["problems"] == []


@pytest.mark.parametrize("encoding", ["GBK", "GB18030"])
def test_gbk_dbf_without_cpg_needs_explicit_encoding(tmp_path, encoding):
    shp = _shapefile(tmp_path, encoding="GBK", cpg=False)
    assert list(read_vector(shp, encoding=encoding)["name"]) == NAMES


def test_gbk_dbf_without_cpg_is_read_as_gbk_and_said_so(tmp_path):
    """The normal case in Shanghai: no .cpg, language driver 0, GBK text — read as GBK, and the report says so."""
    shp = _shapefile(tmp_path, encoding="GBK", cpg=False)
    gdf = read_vector(shp)
    assert list(gdf["name"]) == NAMES
    assert gdf.attrs["encoding"] == "GBK" and gdf.attrs["unread_fields"] == []
    (problem,) = gdf.attrs["problems"]
    assert "no code page" in problem and "not valid UTF-8" in problem and "read as GBK" in problem


def test_chinese_field_names_of_a_gbk_dbf_are_decoded_too(tmp_path):
    gdf = gpd.GeoDataFrame({"项目编号": ["P1"], "项目名称": ["浦东某路"]}, geometry=[box(121.5, 31.2, 121.51, 31.21)],
                           crs=4490)
    gdf.to_file(tmp_path / "p.shp", encoding="GBK")
    (tmp_path / "p.cpg").unlink()
    read = read_vector(tmp_path / "p.shp")
    assert list(read.columns[:2]) == ["项目编号", "项目名称"] and read["项目名称"].iloc[0] == "浦东某路"


def test_utf8_dbf_without_cpg_is_read_as_utf8(tmp_path):
    shp = _shapefile(tmp_path, encoding="UTF-8", cpg=False)
    gdf = read_vector(shp)
    assert list(gdf["name"]) == NAMES and gdf.attrs["encoding"] == "UTF-8"
    assert any("valid UTF-8" in p for p in gdf.attrs["problems"])


def test_a_cpg_that_lies_gets_the_same_treatment(tmp_path):
    shp = _shapefile(tmp_path, encoding="GBK", cpg=False)
    (tmp_path / "villages.cpg").write_text("UTF-8")
    gdf = read_vector(shp)
    assert list(gdf["name"]) == NAMES and gdf.attrs["encoding"] == "GBK"
    assert any("'UTF-8' (.cpg)" in p and "read as GBK" in p for p in gdf.attrs["problems"])


def test_a_gbk_cpg_over_utf8_text_reads_utf8(tmp_path):
    text = "民生村"
    assert len(text.encode("utf-8")) % 2 == 1  # odd length: these UTF-8 bytes cannot be GBK
    gdf = gpd.GeoDataFrame({"name": [text]}, geometry=[box(121.5, 31.2, 121.51, 31.21)], crs=4490)
    gdf.to_file(tmp_path / "v.shp", encoding="UTF-8")
    (tmp_path / "v.cpg").write_text("GBK")
    read = read_vector(tmp_path / "v.shp")
    assert read["name"].iloc[0] == text and read.attrs["encoding"] == "UTF-8"


def test_a_truthful_multibyte_cpg_wins_without_a_note(tmp_path):
    shp = _shapefile(tmp_path, encoding="GBK")
    gdf = read_vector(shp)
    assert list(gdf["name"]) == NAMES and gdf.attrs["problems"] == []


def test_a_field_no_encoding_fits_is_left_out_and_named(tmp_path):
    """Undecodable text never vanishes silently: the field is named in unread_fields and in the problems."""
    gbk_as_latin1 = "民生村".encode("gbk").decode("latin-1")
    gdf = gpd.GeoDataFrame({"name": [gbk_as_latin1], "junk": ["\xff\xfe\xff"]},
                           geometry=[box(121.5, 31.2, 121.51, 31.21)], crs=4490)
    gdf.to_file(tmp_path / "v.shp", encoding="ISO-8859-1")
    (tmp_path / "v.cpg").unlink(missing_ok=True)
    read = read_vector(tmp_path / "v.shp")
    assert read["name"].iloc[0] == "民生村" and "junk" not in read.columns
    assert read.attrs["unread_fields"] == ["junk"]
    assert any("could not be read" in p and "junk" in p and "--encoding" in p for p in read.attrs["problems"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(alphabet="上海浦东新区崇明岛村镇路街道工程项目甲乙丙丁一二三0123456789 -",
                                min_size=1, max_size=12), min_size=1, max_size=4),
       encoding=st.sampled_from(["GBK", "UTF-8"]), cpg=st.sampled_from([None, "UTF-8", "GBK", "CP936"]),
       zipped=st.booleans())
def test_dbf_text_is_read_in_the_encoding_its_bytes_are_in(tmp_path_factory, names, encoding, cpg, zipped):
    """Any Chinese text, in GBK or UTF-8, behind no .cpg or any .cpg (true or not), loose or zipped."""
    names = [n.strip() or "甲" for n in names]
    data = [n.encode(encoding) for n in names]
    if cpg in ("GBK", "CP936") and encoding == "UTF-8" and all(_decodes(d, "gbk") for d in data):
        return  # UTF-8 bytes that are also valid GBK: a .cpg saying GBK is then believed (the bytes cannot tell)
    folder = tmp_path_factory.mktemp("enc")
    gdf = gpd.GeoDataFrame({"name": names}, geometry=[box(121.5, 31.2, 121.51, 31.21)] * len(names), crs=4490)
    gdf.to_file(folder / "v.shp", encoding=encoding)
    (folder / "v.cpg").unlink(missing_ok=True)
    if cpg:
        (folder / "v.cpg").write_text(cpg)
    path = folder / "v.shp"
    if zipped:
        path = _zip(folder / "v.zip", [p for p in folder.iterdir() if p.suffix != ".zip"])
    read = read_vector(path)
    assert list(read["name"]) == names
    assert read.attrs["unread_fields"] == []


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        return False


def test_explicit_encoding_overrides_cpg_and_says_so(tmp_path):
    shp = _shapefile(tmp_path, encoding="GBK", cpg=False)
    (tmp_path / "villages.cpg").write_text("UTF-8")
    gdf = read_vector(shp, encoding="GBK")
    assert list(gdf["name"]) == NAMES
    assert any("overrides the .cpg" in p for p in gdf.attrs["problems"])


def test_unknown_encoding_is_an_error(tmp_path):
    shp = _shapefile(tmp_path)
    with pytest.raises(LayerError, match="unknown text encoding 'NOPE'"):
        read_vector(shp, encoding="NOPE")


# ---------------------------------------------------------------- zips


def test_zipped_shapefile_in_a_folder(tmp_path):
    shp = _shapefile(tmp_path, encoding="GBK")
    archive = _zip(tmp_path / "v.zip", _sidecars(shp), prefix="data/")
    gdf = read_vector(archive)
    assert list(gdf["name"]) == NAMES  # .cpg inside the zip honoured
    assert gdf.crs.to_epsg() == 4490
    assert list(read_vector(f"zip://{archive}!data/villages.shp")["name"]) == NAMES
    assert list(sha256_of(archive)) == ["v.zip"]
    assert sha256_of(f"zip://{archive}!data/villages.shp") == sha256_of(archive)


def test_zip_with_two_shapefiles_needs_layer(tmp_path):
    a = _shapefile(tmp_path, "a")
    b = _shapefile(tmp_path, "b")
    archive = _zip(tmp_path / "two.zip", _sidecars(a) + _sidecars(b))
    with pytest.raises(LayerError, match="2 datasets") as info:
        read_vector(archive)
    assert "a.shp" in str(info.value) and "b.shp" in str(info.value)
    assert read_vector(archive, layer="b").attrs["layer"] == "b"
    assert len(read_vector(archive, layer="a.shp")) == 2
    with pytest.raises(LayerError, match="names no dataset"):
        read_vector(archive, layer="c")


def test_zip_without_shx_is_refused(tmp_path):
    shp = _shapefile(tmp_path)
    files = [p for p in _sidecars(shp) if p.suffix != ".shx"]
    archive = _zip(tmp_path / "noshx.zip", files)
    with pytest.raises(LayerError, match=r"no \.shx") as info:
        read_vector(archive)
    assert "noshx.zip" in str(info.value)


def test_zip_without_dataset_and_broken_zip(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    archive = _zip(tmp_path / "empty.zip", [tmp_path / "readme.txt"])
    with pytest.raises(LayerError, match="no vector dataset"):
        read_vector(archive)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LayerError, match="not a readable zip"):
        read_vector(bad)


# ---------------------------------------------------------------- broken files


def test_missing_shx_is_an_error_even_if_gdal_would_restore_it(tmp_path):
    shp = _shapefile(tmp_path)
    (tmp_path / "villages.shx").unlink()
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
    try:
        with pytest.raises(LayerError, match=r"villages\.shx") as info:
            read_vector(shp)
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    assert isinstance(info.value, OSError) and isinstance(info.value, ShgeoError)
    assert info.value.path == shp
    assert not (tmp_path / "villages.shx").exists()  # nothing rebuilt behind our back


def test_missing_dbf_is_an_error(tmp_path):
    shp = _shapefile(tmp_path)
    (tmp_path / "villages.dbf").unlink()
    with pytest.raises(LayerError, match=r"villages\.dbf"):
        read_vector(shp)


def test_unreadable_and_missing_files_name_the_file(tmp_path):
    bad = tmp_path / "broken.gpkg"
    bad.write_text("this is not a GeoPackage")
    with pytest.raises(LayerError, match="broken.gpkg.*cannot open"):
        read_vector(bad)
    with pytest.raises(LayerError, match="nowhere.shp.*file not found"):
        read_vector(tmp_path / "nowhere.shp")


# ---------------------------------------------------------------- checksums


def test_sha256_covers_every_shapefile_sidecar(tmp_path):
    shp = _shapefile(tmp_path, encoding="GBK")
    (tmp_path / "other.txt").write_text("not part of it")
    digests = sha256_of(shp)
    assert set(digests) == {"villages.shp", "villages.shx", "villages.dbf", "villages.prj", "villages.cpg"}
    dbf = (tmp_path / "villages.dbf").read_bytes()
    assert digests["villages.dbf"] == hashlib.sha256(dbf).hexdigest()


def test_sha256_of_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(LayerError, match="file not found"):
        sha256_of(tmp_path / "gone.gpkg")


def test_plain_table_comes_back_without_geometry_and_wkt_csv_with(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("id,name,lon,lat\n1,甲,121.5,31.2\n", encoding="utf-8")
    gdf = read_vector(plain)
    assert gdf.active_geometry_name is None and list(gdf["lon"]) == ["121.5"]
    wkt = tmp_path / "wkt.csv"
    wkt.write_text('id,wkt\n1,"POINT (121.5 31.2)"\n', encoding="utf-8")
    assert read_vector(wkt).geometry.iloc[0].x == 121.5


def test_directory_of_shapefiles(tmp_path):
    _shapefile(tmp_path, "a")
    _shapefile(tmp_path, "b")
    with pytest.raises(LayerError, match="2 layers"):
        read_vector(tmp_path)
    assert len(read_vector(tmp_path, layer="b")) == 2
    (tmp_path / "b.shx").unlink()
    with pytest.raises(LayerError, match=r"b\.shx"):
        read_vector(tmp_path, layer="a")  # GDAL would silently skip b


def test_gbk_text_in_a_zipped_shapefile_is_read_as_gbk(tmp_path):
    """A DBF without a code page inside a .zip: read as GBK and said so, as for a loose file."""
    import zipfile

    gdf = gpd.GeoDataFrame({"name": ["民生村"]}, geometry=[box(121.5, 31.2, 121.51, 31.21)], crs=4490)
    gdf.to_file(tmp_path / "v.shp", encoding="GBK")
    (tmp_path / "v.cpg").unlink(missing_ok=True)
    with zipfile.ZipFile(tmp_path / "v.zip", "w") as z:
        for ext in ("shp", "shx", "dbf", "prj"):
            z.write(tmp_path / f"v.{ext}", f"v.{ext}")
    read = read_vector(tmp_path / "v.zip")
    assert read["name"].iloc[0] == "民生村" and read.attrs["encoding"] == "GBK"
    assert any("declares no code page" in p and "read as GBK" in p for p in read.attrs["problems"])


def test_an_encoding_is_not_applied_to_utf8_formats(tmp_path):
    """GeoPackage text is UTF-8 by definition: --encoding GBK for a mixed batch must not garble it."""
    gdf = gpd.GeoDataFrame({"name": ["民生村"]}, geometry=[box(121.5, 31.2, 121.51, 31.21)], crs=4490)
    gdf.to_file(tmp_path / "v.gpkg")
    assert read_vector(tmp_path / "v.gpkg", encoding="GBK")["name"].iloc[0] == "民生村"


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_names_cut_inside_a_character_still_decode(tmp_path, encoding):
    """A DBF keeps 10 bytes of a field name: a character cut in two is dropped, and the cut does not make the
    whole file look like another encoding."""
    long_name, long_value = "是否新增建设用地", "上海市浦东新区张江高科技园区某某路某某号"
    gdf = gpd.GeoDataFrame({long_name: [long_value], "名称": ["陆渡村"]}, geometry=[box(121.5, 31.2, 121.51, 31.21)],
                           crs=4490)
    with pytest.warns(RuntimeWarning):  # GDAL says it cut the name
        gdf.to_file(tmp_path / "cut.shp", encoding=encoding)
    (tmp_path / "cut.cpg").unlink()
    read = read_vector(tmp_path / "cut.shp")
    assert read.attrs["encoding"] == ("UTF-8" if encoding == "UTF-8" else "GBK")
    cut = [c for c in read.columns if c.startswith("是否")]
    assert len(cut) == 1 and long_name.startswith(cut[0]) and read["名称"].iloc[0] == "陆渡村"
    assert long_value.startswith(read[cut[0]].iloc[0]) and read.attrs["unread_fields"] == []


def test_gdal_warnings_are_logged_with_the_file_not_raised(tmp_path, caplog):
    """GDAL's remarks (here: a GeoPackage under another extension) reach the user through logging, naming the
    file, and are kept in the reader's problems; no raw Python warning escapes."""
    import warnings

    path = tmp_path / "parcels.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpd.GeoDataFrame({"a": [1]}, geometry=[box(121.4, 31.1, 121.41, 31.11)], crs=4490).to_file(path, driver="GPKG")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level("WARNING", logger="shgeo.inputs.vector"):
            gdf = read_vector(path)
    assert any("non conformant file extension" in p and p.startswith("GDAL: ") for p in gdf.attrs["problems"])
    assert str(path) in caplog.text and "non conformant file extension" in caplog.text
