"""Read vector files (any format GDAL reads) into GeoDataFrames, and checksum them.

:func:`read_vector` is the one place shgeo opens a vector file; the layer
library (:mod:`shgeo.library.layers`) and the footprint reader both go through it.  It
reads through pyogrio and keeps the file's own CRS (``gdf.crs`` may be
``None``: deciding what to do about that is the caller's job).

Formats: GeoPackage, Shapefile (also inside a ``.zip``), GeoJSON, KML/KMZ,
FileGDB (``.gdb`` directories, through GDAL's OpenFileGDB driver), and any
other format the installed GDAL opens.  Paths may be

* a file or directory (``layers.gpkg``, ``roads.shp``, ``parcels.gdb``);
* a ``.zip`` holding one dataset (shapefile, GeoPackage, GeoJSON, KML); with
  several, ``layer`` names the one to read (the shapefile's stem or the
  member path);
* ``zip://archive.zip!dir/roads.shp`` or a raw GDAL ``/vsizip/`` path.

Shapefiles are checked before GDAL sees them: a missing ``.shx`` or ``.dbf``
is an error naming the missing file, whatever ``SHAPE_RESTORE_SHX`` is set to
(a missing ``.dbf`` GDAL would otherwise read as geometry without attributes).  Text in DBFs is decoded
by what its bytes are (:mod:`shgeo.inputs.encodings`): GBK DBFs without a
``.cpg`` are the normal case in China, and a ``.cpg`` may lie.  A multi-byte
code page the ``.cpg`` (or the DBF's language driver) declares is used when
the bytes fit it; otherwise strict UTF-8, then GBK/GB18030; each such
decision is said in ``gdf.attrs["problems"]``, and fields whose text fits no
encoding are left out and named in ``gdf.attrs["unread_fields"]``.  An
explicit ``encoding`` is used as given.

:func:`sha256_of` returns the SHA-256 of every file a read touches (all the
sidecars of a shapefile, the archive of a zipped one, every file of a
FileGDB), for provenance records.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from ..errors import LayerError, option
from .encodings import codec_name, decode_cut, detect_encoding, encoding_label, is_single_byte

__all__ = ["read_vector", "list_vector_layers", "sha256_of", "source_files"]

log = logging.getLogger(__name__)

#: Shapefile sidecar extensions GDAL may read besides ``.shp`` (lower case).
_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")

#: How a layer is named, wherever the read was asked for.
_LAYER_OPTION = "--layer NAME on the command line, layer='NAME' in Python, layer = \"NAME\" in a manifest"

#: Member suffixes inside a .zip that are datasets of their own.
_ZIP_DATASET_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".gml", ".fgb", ".sqlite")

_CHUNK = 1 << 20


# --------------------------------------------------------------------------- paths


class _Target:
    """A resolved read target: what GDAL opens, and what it came from."""

    def __init__(self, display: str, gdal_path: str, local: Path | None, archive: Path | None,
                 member: str | None) -> None:
        self.display = display  # what error messages name
        self.gdal_path = gdal_path  # what pyogrio opens
        self.local = local  # a plain local file or directory, if not in an archive
        self.archive = archive  # the .zip / .kmz holding the data, if any
        self.member = member  # the member path inside the archive


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def _zip_members(archive: Path) -> list[str]:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        raise LayerError(f"not a readable zip archive ({exc})", path=archive,
                         hint="re-create the archive or unzip it and point at the files") from None
    return [n for n in names
            if not n.startswith("__MACOSX/") and not PurePosixPath(n).name.startswith("._")]


def _zip_datasets(members: list[str]) -> list[str]:
    """Dataset members of an archive: shapefiles, GeoPackages, … and FileGDB directories."""
    found: list[str] = []
    for name in members:
        low = name.lower()
        if low.endswith(_ZIP_DATASET_SUFFIXES) and not low.endswith("/"):
            found.append(name)
        elif ".gdb/" in low:
            gdb = name[: low.index(".gdb/") + 4]
            if gdb not in found:
                found.append(gdb)
    return found


def _resolve(path: str | os.PathLike[str], layer: str | None) -> tuple[_Target, str | None]:
    """Turn *path* into a :class:`_Target`; returns the layer name still to resolve inside it."""
    text = os.fspath(path)
    if text.startswith("/vsi"):
        return _Target(text, text, None, None, None), layer
    if text.startswith("zip://"):
        rest = text[len("zip://"):]
        archive_text, _, member = rest.partition("!")
        archive = Path(archive_text)
        if not archive.exists():
            raise LayerError("file not found", path=archive, layer=layer,
                             hint="check the path (relative paths in a manifest are relative to it)")
        member = member.lstrip("/")
        if member:
            _check_zip_member(archive, member)
            return _Target(text, f"/vsizip/{archive.resolve()}/{member}", None, archive, member), layer
        return _resolve_zip(archive, layer)
    local = Path(text)
    if not local.exists():
        raise LayerError("file not found", path=local, layer=layer,
                         hint="check the path (relative paths in a manifest are relative to it)")
    if local.is_file() and _is_zip(local):
        return _resolve_zip(local, layer)
    if local.is_file() and local.suffix.lower() == ".shp":
        _check_shapefile_sidecars(local)
    if local.is_dir() and local.suffix.lower() != ".gdb":  # GDAL silently skips a broken shapefile here
        for shp in sorted(local.iterdir()):
            if shp.is_file() and shp.suffix.lower() == ".shp":
                _check_shapefile_sidecars(shp)
    return _Target(str(local), str(local), local, None, None), layer


def _resolve_zip(archive: Path, layer: str | None) -> tuple[_Target, str | None]:
    """Pick the dataset inside a zip: the only one, or the one *layer* names."""
    members = _zip_members(archive)
    datasets = _zip_datasets(members)
    if not datasets:
        raise LayerError("the zip archive holds no vector dataset (.shp, .gpkg, .geojson, .kml, .gdb)",
                         path=archive, layer=layer, hint="check the archive's contents")
    if len(datasets) == 1:
        chosen = datasets[0]
    else:
        if layer is None:
            raise LayerError(
                f"the zip archive holds {len(datasets)} datasets: {', '.join(datasets)}",
                path=archive, hint=f"name one as the layer ({_LAYER_OPTION}): the shapefile's name without .shp, "
                "or the member path")
        named = [d for d in datasets if layer in _member_names(d)]
        if len(named) != 1:
            raise LayerError(
                f"layer {layer!r} names {'no' if not named else 'more than one'} dataset in the archive; "
                f"datasets: {', '.join(datasets)}",
                path=archive, layer=layer, hint="give the member path (e.g. 'dir/name.shp') as layer")
        chosen = named[0]
    inner_layer = None if layer is None or layer in _member_names(chosen) else layer
    _check_zip_member(archive, chosen, members)
    display = f"{archive}!{chosen}"
    return _Target(display, f"/vsizip/{archive.resolve()}/{chosen}", None, archive, chosen), inner_layer


def _member_names(member: str) -> tuple[str, ...]:
    """Names by which a layer argument may refer to an archive member: path, file name, stem."""
    p = PurePosixPath(member.rstrip("/"))
    return (member, member.rstrip("/"), p.name, p.stem)


def _check_zip_member(archive: Path, member: str, members: list[str] | None = None) -> None:
    members = members if members is not None else _zip_members(archive)
    lower = {m.lower().rstrip("/") for m in members}
    low = member.lower().rstrip("/")
    if low not in lower and not any(m.startswith(low + "/") for m in lower):
        raise LayerError(f"no member {member!r} in the archive", path=archive,
                         hint=f"members: {', '.join(sorted(members)[:20])}")
    if low.endswith(".shp"):
        stem = low[:-4]
        for ext, why in ((".shx", "the shapefile index"), (".dbf", "the attribute table")):
            if stem + ext not in lower:
                raise LayerError(
                    f"{PurePosixPath(member).name} has no {ext} ({why}) in the archive",
                    path=archive, layer=member,
                    hint=f"add {PurePosixPath(member).stem}{ext} to the archive; shgeo does not rebuild it")


def _shapefile_sidecars(shp: Path) -> list[Path]:
    """The files of shapefile *shp* that exist (``.shp`` first), matched case-insensitively."""
    stem = shp.name[: -len(shp.suffix)].lower()
    wanted = {stem + ext for ext in (".shp", *_SHAPEFILE_SIDECARS)}
    found = [p for p in shp.parent.iterdir() if p.name.lower() in wanted and p.is_file()]
    return sorted(found, key=lambda p: (p.suffix.lower() != ".shp", p.name.lower()))


def _sidecar(shp: Path, ext: str) -> Path | None:
    stem = shp.name[: -len(shp.suffix)].lower()
    for p in _shapefile_sidecars(shp):
        if p.name.lower() == stem + ext:
            return p
    return None


def _check_shapefile_sidecars(shp: Path) -> None:
    for ext, why in ((".shx", "the shapefile index"), (".dbf", "the attribute table")):
        if _sidecar(shp, ext) is None:
            raise LayerError(
                f"{shp.stem}{ext} ({why}) is missing next to {shp.name}",
                path=shp,
                hint=f"copy {shp.stem}{ext} from the original delivery (shgeo does not rebuild it: "
                "a rebuilt index hides a truncated .shp)")


# --------------------------------------------------------------------------- layers


def _gdal_layers(target: _Target) -> list[tuple[str, str | None]]:
    try:
        rows = pyogrio.list_layers(target.gdal_path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise LayerError(f"cannot open ({_gdal_reason(exc)})", path=target.display,
                         hint="check that the file is a complete vector dataset GDAL can read") from None
    return [(str(name), None if gtype is None else str(gtype)) for name, gtype in rows]


def list_vector_layers(path: str | os.PathLike[str]) -> list[tuple[str, str | None]]:
    """List ``(layer name, geometry type or None)`` of every layer in a vector file.

    Zipped shapefiles report the shapefile's layer; non-spatial tables have
    geometry type ``None``.
    """
    target, _ = _resolve(path, None)
    return _gdal_layers(target)


def _pick_layer(target: _Target, layer: str | None) -> str:
    layers = _gdal_layers(target)
    names = [n for n, _ in layers]
    if layer is not None:
        if layer in names:
            return layer
        raise LayerError(f"no layer {layer!r}; layers in the file: {', '.join(names) or '(none)'}",
                         path=target.display, layer=layer, hint="set layer to one of these")
    spatial = [n for n, gtype in layers if gtype is not None]
    if len(spatial) == 1:
        return spatial[0]
    if not spatial and len(names) == 1:  # a plain table (CSV): the caller builds geometry from its columns
        return names[0]
    if not spatial:
        raise LayerError("the file has no layer with geometries"
                         + (f" (tables: {', '.join(names)})" if names else ""),
                         path=target.display, hint="point at a vector layer")
    raise LayerError(f"the file has {len(spatial)} layers: {', '.join(spatial)}",
                     path=target.display, hint=f"name the one to read ({_LAYER_OPTION})")


# --------------------------------------------------------------------------- encoding


#: GDAL drivers whose text may be in a legacy encoding (the others are UTF-8 by definition).
_ENCODED_DRIVERS = ("ESRI Shapefile", "CSV")


def _check_encoding(encoding: str | None, target: _Target) -> str | None:
    if encoding is None:
        return None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise LayerError(f"unknown text encoding {encoding!r}", path=target.display,
                         hint=f"give {option('encoding')} a codec name such as GBK, GB18030 or UTF-8") from None
    return encoding


#: DBF language-driver bytes (offset 29) and the code page they name (the ones met in China and the West).
_LDID_CODE_PAGES: Final = {0x01: "cp437", 0x03: "cp1252", 0x4D: "cp936", 0x4F: "cp950", 0x57: "cp1252",
                           0x7A: "cp936"}


def _is_shapefile(target: _Target) -> bool:
    name = target.member if target.archive is not None else (str(target.local) if target.local else None)
    return bool(name) and name.lower().endswith(".shp")


def _dbf_code_page_state(target: _Target) -> tuple[str | None, int | None, list[int]]:
    """(.cpg text, DBF language-driver byte, field widths in bytes) of a shapefile, also zipped; else empty."""
    if not _is_shapefile(target):
        return None, None, []
    cpg_bytes: bytes | None = None
    head = b""
    if target.archive is not None and target.member:
        stem = target.member[:-4].lower()
        try:
            with zipfile.ZipFile(target.archive) as zf:
                names = {n.lower(): n for n in zf.namelist()}
                if stem + ".cpg" in names:
                    cpg_bytes = zf.read(names[stem + ".cpg"])
                if stem + ".dbf" in names:
                    with zf.open(names[stem + ".dbf"]) as fh:
                        head = _dbf_header(fh)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            pass  # a damaged archive: GDAL's read says what is wrong with it
    elif target.local is not None:
        cpg = _sidecar(target.local, ".cpg")
        cpg_bytes = cpg.read_bytes() if cpg else None
        dbf = _sidecar(target.local, ".dbf")
        if dbf is not None:
            with dbf.open("rb") as fh:
                head = _dbf_header(fh)
    cpg_text = cpg_bytes.decode("ascii", errors="replace").strip() if cpg_bytes is not None else None
    # field descriptors: 32 bytes each from offset 32 until 0x0D; the width is byte 16 of each
    widths = [head[i + 16] for i in range(32, len(head) - 31, 32) if head[i] != 0x0D]
    return cpg_text or None, (head[29] if len(head) >= 30 else None), widths


def _dbf_header(fh: Any) -> bytes:
    """The header of a DBF (its first 32 bytes say how long it is)."""
    head = fh.read(32)
    if len(head) < 32:
        return head
    size = int.from_bytes(head[8:10], "little")
    body = fh.read(max(0, min(size, 1 << 16) - 32))
    end = body.find(b"\x0d")
    return head + (body[: end - end % 32] if end >= 0 else body)


def _text_columns(gdf: gpd.GeoDataFrame) -> list[str]:
    return [c for c in gdf.columns if c != gdf.active_geometry_name
            and (pd.api.types.is_string_dtype(gdf[c]) or pd.api.types.is_object_dtype(gdf[c]))]


def _raw(text: str) -> bytes:
    """The DBF bytes behind text read as ISO-8859-1 (a one-to-one mapping of bytes to characters)."""
    return text.encode("latin-1", errors="replace")


def _decode_dbf(raw: gpd.GeoDataFrame, declared: str | None, cpg_text: str | None, widths: list[int]
                ) -> tuple[gpd.GeoDataFrame, str | None, list[str], list[str]]:
    """Decode a DBF read as ISO-8859-1: ``(frame, encoding label, problems, unread fields)``.

    The bytes decide (see :mod:`shgeo.inputs.encodings`): a multi-byte code
    page the ``.cpg`` or language driver declares, if the bytes fit it; else
    UTF-8; else GBK/GB18030.  Fields whose text fits no encoding are left out
    and named.  *widths* (bytes, in field order) tell text that fills its
    field, whose last character the writer may have cut in two.
    """
    geom = raw.active_geometry_name
    fields = [c for c in raw.columns if c != geom]
    width_of = dict(zip(fields, widths)) if len(widths) == len(fields) else {}
    text_cols = _text_columns(raw)
    values = {c: [_raw(v) for v in raw[c].dropna() if isinstance(v, str)] for c in text_cols}
    names = {c: _raw(str(c)) for c in fields}
    pieces = [*names.values(), *(b for vs in values.values() for b in vs)]
    # names are cut to 10 bytes and values to their field's width, sometimes inside a character
    cuts = [len(b) == 10 for b in names.values()] + [len(b) == width_of.get(c, -1) for c, vs in values.items()
                                                     for b in vs]
    everything = b"".join(pieces)
    if everything.isascii():
        return raw, cpg_text, [], []
    codec = detect_encoding(pieces, declared, cut_ok=cuts)
    unread: list[str] = []
    if codec is None:  # no one encoding fits every field: the one that fits most, the others left out
        candidates = [c for c in (declared, "utf-8", "gb18030") if c and not is_single_byte(c)]

        def fits(enc: str, col: str) -> bool:
            own = [names[col], *values.get(col, [])]
            own_cuts = [len(names[col]) == 10] + [len(b) == width_of.get(col, -1) for b in values.get(col, [])]
            return detect_encoding(own, enc, cut_ok=own_cuts) == enc

        codec = max(candidates, key=lambda enc: sum(fits(enc, c) for c in fields))
        unread = [c for c in fields if not fits(codec, c)]
    python_codec = codec_name(codec) or codec

    def decode(value: object) -> object:
        return decode_cut(_raw(value), python_codec) if isinstance(value, str) else value

    out = raw.drop(columns=unread)
    for col in text_cols:
        if col not in unread:
            out[col] = raw[col].map(decode, na_action="ignore").astype(object)
    out = out.rename(columns={c: decode(c) for c in fields if c not in unread})
    out.attrs = dict(raw.attrs)
    label = encoding_label(python_codec, pieces, cuts)
    problems = []
    declared_label = f"{cpg_text!r} (.cpg)" if cpg_text else f"{declared!r} (language driver)"
    if declared is None:
        problems.append("the DBF declares no code page (no .cpg, language driver 0); its text "
                        + ("is valid UTF-8" if python_codec == "utf-8" else
                           f"is not valid UTF-8 and decodes cleanly as {label}")
                        + f": read as {label}")
    elif (codec_name(declared) or declared) != python_codec:
        problems.append(f"the DBF's code page says {declared_label} but its text is not valid "
                        f"{cpg_text or declared}; it decodes cleanly as {label}: read as {label}")
    unread_names = [decode_cut(_raw(str(c)), python_codec) for c in unread]
    if unread:
        problems.append(f"{len(unread)} field(s) could not be read (their text is neither {label} nor any "
                        f"other encoding shgeo knows) and were left out: {', '.join(unread_names)}; give the "
                        f"encoding with {option('encoding')}")
    return out, label, problems, unread_names


# --------------------------------------------------------------------------- public


def read_vector(path: str | os.PathLike[str], *, layer: str | None = None,
                encoding: str | None = None) -> gpd.GeoDataFrame:
    """Read one vector layer into a GeoDataFrame, keeping the file's own CRS.

    Parameters
    ----------
    path
        A file or directory GDAL reads, a ``.zip`` holding one (or, with
        ``layer``, several) datasets, ``zip://archive.zip!member.shp`` or a
        GDAL ``/vsi…`` path.  See the module docstring.
    layer
        The layer inside a multi-layer file, or the dataset inside a zip.
        Required when the file holds more than one spatial layer (the error
        lists them).
    encoding
        Text encoding of the attribute values (e.g. ``"GBK"``) of DBFs and
        CSV; it overrides a ``.cpg`` and the detection.

    Returns
    -------
    GeoDataFrame
        Geometries exactly as stored (Z/M kept, invalid geometries kept, empty
        or missing ones kept); the index is GDAL's feature id (FID).  A table
        without geometry (a CSV with lon/lat columns) comes back as a
        GeoDataFrame with no active geometry column: build it from the columns.
        GDAL's CSV driver turns a column holding WKT into the geometry.
        ``gdf.crs`` is the file's CRS or ``None``.  ``gdf.attrs`` holds
        ``"source"`` (the path as given), ``"layer"`` (the layer read),
        ``"driver"`` (GDAL's driver name), ``"encoding"`` (the encoding the
        text was read in, e.g. ``"GBK"``, or ``None`` when it did not matter),
        ``"problems"`` (list of non-fatal remarks, e.g. how the DBF's
        encoding was decided) and ``"unread_fields"`` (fields left out because
        their text fits no encoding).

    Raises
    ------
    LayerError
        The file is missing or unreadable, a shapefile lacks its ``.shx`` or
        ``.dbf``, the layer is missing or ambiguous, or the encoding unknown.
        The message names the file and the fix.
    """
    target, inner_layer = _resolve(path, layer)
    encoding = _check_encoding(encoding, target)
    problems: list[str] = []
    unread: list[str] = []
    with warnings.catch_warnings(record=True) as caught:  # GDAL's remarks, said with the file they are about
        warnings.simplefilter("always")
        layer_name = _pick_layer(target, inner_layer)
        cpg_text, ldid, widths = _dbf_code_page_state(target)
        used = encoding or cpg_text
        gdf, driver, used, encoding = _read_layer(target, layer_name, encoding, cpg_text, ldid, widths, used,
                                                  problems, unread)
    problems.extend(dict.fromkeys(f"GDAL: {w.message}" for w in caught))
    if not isinstance(gdf, gpd.GeoDataFrame):  # a table without geometry (CSV with lon/lat columns)
        gdf = gpd.GeoDataFrame(gdf)
    for text in problems:
        log.warning("%s: %s", target.display, text)
    gdf.attrs["source"] = os.fspath(path)
    gdf.attrs["layer"] = layer_name
    gdf.attrs["driver"] = driver
    gdf.attrs["encoding"] = used
    gdf.attrs["problems"] = problems
    gdf.attrs["unread_fields"] = unread
    if log.isEnabledFor(logging.DEBUG):  # naming a custom CRS searches the PROJ database (~0.2 s)
        crs = gdf.crs if gdf.active_geometry_name is not None else None
        log.debug("read %d features from %s layer %r (crs %s)", len(gdf), target.display, layer_name,
                  crs.to_string() if crs else None)
    return gdf


def _read_layer(target: _Target, layer_name: str, encoding: str | None, cpg_text: str | None, ldid: int | None,
                widths: list[int], used: str | None, problems: list[str], unread: list[str]
                ) -> tuple[gpd.GeoDataFrame, str, str | None, str | None]:
    """Read one layer through pyogrio: (frame, GDAL driver, encoding used, encoding asked for after checks).

    Problems and unreadable fields found on the way are appended to *problems* and *unread*.
    """
    try:
        if _is_shapefile(target) and encoding is None:
            # read the DBF's bytes as they are (ISO-8859-1 maps bytes one to one) and let them tell the encoding:
            # GBK DBFs without .cpg are the normal case in Shanghai, and a .cpg may lie
            driver = "ESRI Shapefile"
            raw = pyogrio.read_dataframe(target.gdal_path, layer=layer_name, encoding="ISO-8859-1",
                                         fid_as_index=True)
            declared = codec_name(cpg_text) if cpg_text else _LDID_CODE_PAGES.get(ldid or 0)
            gdf, used, more, cut = _decode_dbf(raw, declared, cpg_text, widths)
            problems.extend(more)
            unread.extend(cut)
        else:
            info = pyogrio.read_info(target.gdal_path, layer=layer_name, encoding=encoding)
            driver = info["driver"]
            if encoding and driver not in _ENCODED_DRIVERS:
                # GeoPackage, GeoJSON, KML, FileGDB … store UTF-8 by definition: decoding them as GBK
                # would only garble them (a CLI --encoding applies to every input of a batch)
                log.warning("%s: %s text is UTF-8 by definition; encoding %r applies to shapefile DBFs "
                            "and CSV only and is not used here", target.display, driver, encoding)
                encoding = used = None
            if encoding and cpg_text and codec_name(cpg_text) not in (None, codecs.lookup(encoding).name):
                problems.append(f"the encoding given ({encoding!r}) overrides the .cpg code page {cpg_text!r}")
            gdf = pyogrio.read_dataframe(target.gdal_path, layer=layer_name, encoding=encoding,
                                         fid_as_index=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
            pyogrio.errors.FeatureError) as exc:
        raise LayerError(f"cannot read ({_gdal_reason(exc)})", path=target.display, layer=layer_name,
                         hint="check that the file is complete and in a format GDAL reads") from None
    except shapely.errors.GEOSException as exc:  # a geometry GEOS cannot build (a ring that does not close …)
        raise LayerError(f"cannot read a geometry ({exc})", path=target.display, layer=layer_name,
                         hint="check that the file is complete; repair its geometries in a GIS") from None
    except UnicodeDecodeError as exc:
        raise LayerError(f"attribute text is not valid {encoding or 'in its declared encoding'} ({exc.reason})",
                         path=target.display, layer=layer_name,
                         hint=f"give the right encoding with {option('encoding', 'GBK')} (or GB18030, UTF-8)") \
            from None
    return gdf, driver, used, encoding


def _gdal_reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def source_files(path: str | os.PathLike[str]) -> list[Path]:
    """The local files a read of *path* touches: shapefile sidecars, the archive, a FileGDB's files."""
    text = os.fspath(path)
    if text.startswith("zip://"):
        return [Path(text[len("zip://"):].partition("!")[0])]
    if text.startswith("/vsizip/"):
        rest = text[len("/vsizip/"):]
        low = rest.lower()
        for suffix in (".zip", ".kmz"):
            if suffix in low:
                return [Path(rest[: low.index(suffix) + len(suffix)])]
        return []
    if text.startswith("/vsi"):
        return []
    local = Path(text)
    if local.is_dir():
        return sorted(p for p in local.rglob("*") if p.is_file())
    if local.suffix.lower() == ".shp":
        return _shapefile_sidecars(local)
    return [local]


def sha256_of(path: str | os.PathLike[str]) -> dict[str, str]:
    """SHA-256 (hex) of every file a read of *path* touches, keyed by file name.

    A shapefile gives all its sidecars (``x.shp``, ``x.shx``, ``x.dbf``,
    ``x.prj``, ``x.cpg`` …); a zipped dataset gives the archive; a FileGDB
    directory gives each file as ``name.gdb/member``.  Missing files raise
    :class:`LayerError`.
    """
    files = source_files(path)
    if not files:
        raise LayerError("no local file to checksum", path=os.fspath(path),
                         hint="point at a local file, directory or zip archive")
    text = os.fspath(path)
    base = Path(text) if Path(text).is_dir() else None
    out: dict[str, str] = {}
    for f in files:
        if not f.is_file():
            raise LayerError("file not found", path=f, hint="check the path")
        key = f"{base.name}/{f.relative_to(base).as_posix()}" if base is not None else f.name
        digest = hashlib.sha256()
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
        out[key] = digest.hexdigest()
    return out
