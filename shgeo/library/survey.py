"""A folder of layers surveyed: what each dataset probably is, and a manifest proposing it (``shgeo layers init``).

:func:`survey_folder` opens every vector dataset of a folder (shapefiles, also
zipped; GeoPackage and FileGDB layers; GeoJSON) and proposes, for each, a
kind (from words in its file, layer and field names, and from codes or zone
names in its values), the name, code and category fields, and the encoding of
a DBF without ``.cpg``.  Every proposal carries its reasons; a dataset that
cannot be placed (no kind suggested, two kinds equally likely, lines where
polygons are needed) is listed with the reason.  :func:`proposed_manifest`
writes it all as a commented manifest marked ``confirmed = false``, which
:func:`shgeo.library.layers.load_library` refuses until the user has checked
the proposals and set it to true.  Nothing is guessed silently: the CRS is the
one the file declares (or left for the user to give), never inferred.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyproj

from ..crs import GEOGRAPHIC_CRS, SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG
from .checks import water_zone_of
from .kinds import KINDS, STATUTORY
from .published import DISTRICTS, PROTECTED_CATEGORIES
from .villages import CONTROL_VILLAGES

__all__ = ["Dataset", "Proposal", "survey_folder", "proposed_manifest"]

log = logging.getLogger(__name__)

_SUFFIXES: Final = (".shp", ".zip", ".gpkg", ".geojson", ".json", ".gdb", ".kml", ".fgb")
_POLYGONAL: Final = ("Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z", "Unknown", "3D Polygon",
                     "3D MultiPolygon")
#: weights of the places a word is found in
_WEIGHT: Final = {"file": 3, "layer": 3, "values": 2, "field": 1, "container": 1}
_NAME_FIELDS: Final = ("名称", "名字", "name", "mc")
_CODE_FIELDS: Final = ("代码", "编码", "编号", "code", "dm", "bm", "bh")
_CATEGORY_FIELDS: Final = ("类型", "类别", "category", "type", "lx", "lb")
_VILLAGE_CODE: Final = re.compile(r"^3101\d{8}$")
_DISTRICT_CODE: Final = re.compile(r"^(3101\d\d)(0{3}|0{6})?$")
_MAX_VALUES: Final = 5000


@dataclass
class Dataset:
    """One vector layer found in the folder, as read."""

    path: Path
    layer: str | None  # None for single-layer files
    driver: str
    geometry_type: str | None
    features: int
    fields: list[str]
    crs: str | None  # as declared ("EPSG:4549" or the CRS name), None when the file declares none
    encoding: str | None = None  # proposed for a DBF without .cpg
    encoding_reason: str | None = None
    bounds_lonlat: tuple[float, float, float, float] | None = None
    values: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.path.name} (layer {self.layer})" if self.layer else self.path.name

    @property
    def inside_shanghai(self) -> bool | None:
        if self.bounds_lonlat is None:
            return None
        w, s, e, n = self.bounds_lonlat
        west, south, east, north = SHANGHAI_BOUNDS
        m = SHANGHAI_MARGIN_DEG
        return w >= west - m and e <= east + m and s >= south - m and n <= north + m


@dataclass
class Proposal:
    """What :func:`survey_folder` proposes for one dataset; ``kind`` None when it cannot place it."""

    dataset: Dataset
    kind: str | None
    reasons: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # name/code/category → field
    field_reasons: dict[str, str] = field(default_factory=dict)
    select_control_villages: bool = False
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- finding datasets


def _dataset_paths(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        for d in sorted(dirs):
            if d.lower().endswith(".gdb"):
                yield here / d
        dirs[:] = sorted(d for d in dirs if not d.lower().endswith(".gdb") and not d.startswith("."))
        for f in sorted(files):
            if f.lower().endswith(_SUFFIXES) and not f.startswith("."):
                yield here / f


def _dbf_encoding(dbf: bytes) -> tuple[str | None, str | None]:
    """The encoding of a DBF's text (header field names and records) when it is not plain ASCII."""
    if len(dbf) < 32:
        return None, None
    header_len = struct.unpack("<H", dbf[8:10])[0]
    # the field names only (11 bytes of each 32-byte descriptor): lengths and flags are binary, not text
    names = b"".join(dbf[i:i + 11].rstrip(b"\0") for i in range(32, header_len - 1, 32) if dbf[i] != 0x0D)
    body = dbf[header_len:]
    text = names + body
    if all(b < 0x80 for b in text):
        return None, None
    try:
        text.decode("utf-8")
        return "UTF-8", "its text is valid UTF-8 (no .cpg)"
    except UnicodeDecodeError:
        pass
    try:
        text.decode("gb18030")
    except UnicodeDecodeError:
        return None, "its text is neither UTF-8 nor GBK: give the encoding (no .cpg)"
    return "GBK", "the DBF has no .cpg and its text is not UTF-8 but decodes as GBK"


def _shapefile_encoding(path: Path, member: str | None) -> tuple[str | None, str | None]:
    """Propose an encoding for a shapefile (or a zipped one) without a .cpg."""
    if member is None:
        if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
            return None, None
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        return _dbf_encoding(dbf.read_bytes()) if dbf else (None, None)
    with zipfile.ZipFile(path) as zf:
        names = {n.lower(): n for n in zf.namelist()}
        stem = member[:-4].lower()
        if stem + ".cpg" in names or stem + ".dbf" not in names:
            return None, None
        return _dbf_encoding(zf.read(names[stem + ".dbf"]))


def _layers_of(path: Path) -> list[tuple[str | None, str | None]]:
    """(layer, zip member) pairs to read from *path*."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith((".shp", ".gpkg", ".geojson"))
                       and not n.startswith("__MACOSX")]
        out: list[tuple[str | None, str | None]] = []
        if len(members) == 1 and members[0].lower().endswith(".shp"):
            return [(None, members[0])]  # the zip's only dataset: no layer to name
        for m in members:
            if m.lower().endswith(".shp"):
                out.append((m, m))
            else:
                gdal = f"/vsizip/{path}/{m}"
                out.extend((f"{m}!{name}" if len(layers) > 1 else m, m)
                           for layers in [pyogrio.list_layers(gdal)] for name, _ in layers)
        return out
    layers = pyogrio.list_layers(path)
    if len(layers) == 1 and path.suffix.lower() != ".gdb":
        return [(None, None)]
    return [(str(name), None) for name, gtype in layers if gtype is not None]


def _read(path: Path, layer: str | None, member: str | None) -> Dataset:
    encoding, why = (None, None)
    if (member or path.name).lower().endswith(".shp"):
        encoding, why = _shapefile_encoding(path, member)
    if member is not None:
        gdal_path = f"/vsizip/{path}/{member}" if member.lower().endswith(".shp") else f"/vsizip/{path}/{member}"
        gdal_layer = None if member.lower().endswith(".shp") else (layer.split("!", 1)[1] if "!" in (layer or "")
                                                                   else None)
    else:
        gdal_path, gdal_layer = str(path), layer
    enc = encoding if encoding == "GBK" else None
    info = pyogrio.read_info(gdal_path, layer=gdal_layer, encoding=enc, force_total_bounds=True)
    values = pyogrio.read_dataframe(gdal_path, layer=gdal_layer, encoding=enc, read_geometry=False,
                                    max_features=_MAX_VALUES)
    crs_text = info.get("crs")
    bounds = None
    if crs_text and info.get("total_bounds") is not None and info["features"]:
        bounds = _lonlat_bounds(pyproj.CRS.from_user_input(crs_text), info["total_bounds"])
    return Dataset(path=path, layer=layer, driver=info["driver"], geometry_type=info.get("geometry_type"),
                   features=int(info["features"]), fields=[str(f) for f in info["fields"]],
                   crs=_crs_name(crs_text), encoding=encoding if encoding == "GBK" else None,
                   encoding_reason=why, bounds_lonlat=bounds, values=pd.DataFrame(values))


def _crs_name(text: str | None) -> str | None:
    if not text:
        return None
    if re.match(r"^[A-Z]+:\d+$", text):
        return text
    crs = pyproj.CRS.from_user_input(text)
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def _lonlat_bounds(crs: pyproj.CRS, b: Any) -> tuple[float, float, float, float] | None:
    t = pyproj.Transformer.from_crs(crs, GEOGRAPHIC_CRS, always_xy=True)
    with np.errstate(all="ignore"):
        xs, ys = t.transform([b[0], b[2], b[0], b[2]], [b[1], b[1], b[3], b[3]], errcheck=False)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        return None
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


# --------------------------------------------------------------------------- proposing


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", text.lower()) if t}


def _matches(text: str, keyword: str) -> bool:
    if keyword.isascii():  # whole words, plurals too (villages, districts, islands)
        return bool({keyword, keyword + "s", keyword + "es"} & _tokens(text))
    return keyword in text


def _value_evidence(ds: Dataset) -> dict[str, tuple[str, str]]:
    """kind → (field, why) from what the values hold: district codes, village codes, zone names."""
    out: dict[str, tuple[str, str]] = {}
    if ds.values is None:
        return out
    for col in ds.values.columns:
        vals = ds.values[col].dropna().map(_code_text)
        vals = vals[vals != ""]
        if vals.empty:
            continue
        if vals.map(lambda v: bool(_DISTRICT_CODE.match(v)) and v[:6] in DISTRICTS).all():
            out.setdefault("district", (col, f"its field {col} holds district codes ({vals.nunique()} distinct, "
                                             f"e.g. {vals.iloc[0]})"))
        elif vals.map(lambda v: bool(_VILLAGE_CODE.match(v))).all():
            out.setdefault("groundwater_village", (col, f"its field {col} holds 12-digit village codes "
                                                        f"(e.g. {vals.iloc[0]})"))
        zones = vals.map(lambda v: water_zone_of(v)[0])
        if zones.notna().all():
            out.setdefault("water_source_l1", (col, f"its field {col} names the level-1 water-source zones "
                                                    f"({', '.join(sorted(set(zones)))})"))
    return out


def _code_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _propose_kind(ds: Dataset, evidence: dict[str, tuple[str, str]]) -> Proposal:
    scores: dict[str, tuple[int, int]] = {}
    reasons: dict[str, list[str]] = {}
    # in a file of several layers (GeoPackage, FileGDB) the file name says less than the layer name
    places = [("container" if ds.layer else "file", ds.path.stem), ("layer", ds.layer or "")] + \
        [("field", f) for f in ds.fields]
    for kind, spec in KINDS.items():
        for where, text in places:
            for kw in spec.keywords:
                if text and _matches(text, kw):
                    score = (_WEIGHT[where], len(kw))
                    if score > scores.get(kind, (0, 0)):
                        scores[kind] = score
                    what = "file" if where == "container" else where
                    reasons.setdefault(kind, []).append(f"its {what} name {text!r} contains {kw!r}")
                    break
    for kind, (_, why) in evidence.items():
        scores[kind] = max(scores.get(kind, (0, 0)), (_WEIGHT["values"], 10))
        reasons.setdefault(kind, []).append(why)
    if "core_zone" in scores and "protected_area" in scores and scores["core_zone"][0] >= scores["protected_area"][0]:
        # the names of core zones name their reserve (…自然保护区核心区): 核心 decides
        reasons["core_zone"].append("a core zone's name also names its protected area: 核心 decides")
        del scores["protected_area"]
    if not scores:
        return Proposal(ds, None, reasons=["no word in its file, layer or field names, and nothing in its values, "
                                           "names a kind"])
    ranked = sorted(scores, key=lambda k: scores[k], reverse=True)
    best = ranked[0]
    tied = [k for k in ranked if scores[k] == scores[best]]
    if len(tied) > 1:
        return Proposal(ds, None, candidates=tied,
                        reasons=[f"equally likely: {', '.join(tied)} ("
                                 + "; ".join(r for k in tied for r in reasons[k][:1]) + ")"])
    return Proposal(ds, best, reasons=list(dict.fromkeys(reasons[best])), candidates=ranked[1:])


def _field_by_name(ds: Dataset, words: tuple[str, ...], skip: Iterable[str] = ()) -> tuple[str, str] | None:
    skip = set(skip)
    for word in words:
        for f in ds.fields:
            if f in skip:
                continue
            low = f.lower()
            hit = (low == word or low.endswith(word) or (not word.isascii() and word in f)
                   or (word.isascii() and len(word) > 3 and word in _tokens(f)))
            if hit and ds.values is not None and ds.values[f].notna().any():
                return f, f"field {f!r} is named like a {'name' if word in _NAME_FIELDS else 'code' if word in _CODE_FIELDS else 'category'} ({word})"
    return None


def _propose_fields(p: Proposal, evidence: dict[str, tuple[str, str]]) -> None:
    ds, kind = p.dataset, p.kind
    assert kind is not None
    if kind in ("district", "groundwater_village") and kind in evidence:
        col, why = evidence[kind]
        p.fields["code"], p.field_reasons["code"] = col, why
    if kind == "water_source_l1" and kind in evidence:
        col, why = evidence[kind]
        p.fields["category"], p.field_reasons["category"] = col, why
    if kind == "protected_area" and ds.values is not None:
        for col in ds.fields:
            vals = ds.values[col].dropna().astype(str)
            if len(vals) and vals.isin(PROTECTED_CATEGORIES).all():
                p.fields["category"] = col
                p.field_reasons["category"] = f"field {col!r} holds types of protected area ({', '.join(sorted(set(vals)))})"
                break
    used = set(p.fields.values())
    if "name" not in p.fields:
        found = _field_by_name(ds, _NAME_FIELDS, used)
        if found:
            p.fields["name"], p.field_reasons["name"] = found
    used = set(p.fields.values())
    if "code" not in p.fields and kind not in ("district", "groundwater_village"):
        found = _field_by_name(ds, _CODE_FIELDS, used)
        if found:
            p.fields["code"], p.field_reasons["code"] = found
    used = set(p.fields.values())
    if "category" not in p.fields and kind == "protected_area":
        found = _field_by_name(ds, _CATEGORY_FIELDS, used)
        if found:
            p.fields["category"], p.field_reasons["category"] = found
    for norm in KINDS[kind].required:
        if norm not in p.fields and not (kind == "water_source_l1" and "name" in p.fields):
            p.notes.append(f"no field found for the {norm} that {kind} needs: set {norm}_field "
                           f"(fields: {', '.join(ds.fields) or 'none'})")
    if kind == "groundwater_village" and "code" in p.fields and ds.values is not None:
        codes = set(ds.values[p.fields["code"]].dropna().map(_code_text))
        wanted = {v.code for v in CONTROL_VILLAGES}
        if len(codes) > len(wanted) and wanted <= codes:
            p.select_control_villages = True
            p.field_reasons["select"] = (f"the layer holds {len(codes)} villages, the 16 control villages of "
                                         "沪环规〔2025〕1号 among them: select them by code")
        elif not wanted <= codes:
            p.notes.append(f"{len(wanted - codes)} of the 16 control villages are not among the codes of this layer")


def survey_folder(folder: str | Path) -> list[Proposal]:
    """Open every vector dataset under *folder* and propose a kind and fields for each (see the module doc)."""
    folder = Path(folder)
    proposals: list[Proposal] = []
    for path in _dataset_paths(folder):
        try:
            pairs = _layers_of(path)
        except (pyogrio.errors.DataSourceError, zipfile.BadZipFile, OSError) as exc:
            ds = Dataset(path=path, layer=None, driver="?", geometry_type=None, features=0, fields=[], crs=None)
            proposals.append(Proposal(ds, None, reasons=[f"cannot be opened ({str(exc).splitlines()[0]})"]))
            continue
        for layer, member in pairs:
            try:
                ds = _read(path, layer, member)
            except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, UnicodeDecodeError) as exc:
                ds = Dataset(path=path, layer=layer, driver="?", geometry_type=None, features=0, fields=[],
                             crs=None)
                proposals.append(Proposal(ds, None, reasons=[f"cannot be read ({str(exc).splitlines()[0]})"]))
                continue
            proposals.append(_propose(ds))
    return proposals


def _propose(ds: Dataset) -> Proposal:
    if ds.geometry_type is None:
        return Proposal(ds, None, reasons=["a table without geometry"])
    if ds.features == 0:
        return Proposal(ds, None, reasons=["the layer is empty"])
    evidence = _value_evidence(ds)
    p = _propose_kind(ds, evidence)
    if ds.geometry_type not in _POLYGONAL:
        kind = p.kind or "no kind"
        return Proposal(ds, None, candidates=[p.kind] if p.kind else [],
                        reasons=[f"its geometries are {ds.geometry_type}, and every kind needs polygons"
                                 + (f" (its names suggest {kind}: " + "; ".join(p.reasons[:2]) + ")" if p.kind else "")
                                 + (" — a coastline must be turned into the sea polygon seaward of it"
                                    if p.kind == "sea" else "")])
    if p.kind is not None:
        _propose_fields(p, evidence)
        if ds.crs is None:
            p.notes.append("the file declares no CRS: give crs = '…' (shgeo never guesses a CRS)")
        elif ds.inside_shanghai is False:
            p.notes.append(f"in its declared CRS {ds.crs} the layer lies outside Shanghai: the declared CRS "
                           "is probably wrong")
    return p


# --------------------------------------------------------------------------- writing


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive
        return path.as_posix()


def proposed_manifest(proposals: list[Proposal], folder: str | Path, out: str | Path) -> str:
    """The TOML text of a manifest proposing *proposals* (paths relative to *out*'s folder), commented."""
    folder, base = Path(folder), Path(out).resolve().parent
    placed = [p for p in proposals if p.kind is not None]
    given = {p.kind for p in placed}
    missing = [k for k in STATUTORY if k not in given]
    lines = [
        f"# Layer manifest proposed by `shgeo layers init {folder}` — CHECK EVERY PROPOSAL, then set",
        "# confirmed = true below. Each [[layers]] entry says why it was proposed; datasets that could not",
        "# be placed are listed at the end. `shgeo layers --manifest <this file>` runs every check.",
        "",
        "[manifest]",
        f"name = {_q(folder.resolve().name + ' (proposed by shgeo layers init)')}",
        "confirmed = false   # set to true once you have checked every proposal",
    ]
    if missing:
        lines.append("# statutory kinds no dataset was recognised as: give them, or confirm they are left out")
        lines.append("missing = [")
        for k in missing:
            lines.append(f"    {{kind = {_q(k)}, reason = "
                         f"{_q(f'{folder.name}/ 中没有可识别为{KINDS[k].label_zh}的数据集')}}},")
        lines.append("]")
    for p in placed:
        lines += [""] + _entry(p, base)
    unplaced = [p for p in proposals if p.kind is None]
    if unplaced:
        lines += ["", "# ---- datasets not placed (give them a [[layers]] entry by hand if they belong here):"]
        for p in unplaced:
            extra = f" (could be: {', '.join(p.candidates)})" if p.candidates else ""
            lines.append(f"# {_rel(p.dataset.path, base)}"
                         + (f" layer {p.dataset.layer}" if p.dataset.layer else "")
                         + f": {'; '.join(p.reasons)}{extra}")
    return "\n".join(lines) + "\n"


def _entry(p: Proposal, base: Path) -> list[str]:
    ds = p.dataset
    spec = KINDS[p.kind or ""]
    out = [f"# {ds.label}: {spec.label_zh} ({spec.label_en}) — " + "; ".join(p.reasons)]
    if p.candidates:
        out.append(f"#   other kinds its names also suggest: {', '.join(p.candidates)}")
    out.append(f"#   {ds.features} feature(s), {ds.geometry_type}, fields: {', '.join(ds.fields) or 'none'}")
    out += ["[[layers]]", f"kind = {_q(p.kind or '')}", f"path = {_q(_rel(ds.path, base))}"]
    if ds.layer is not None:
        out.append(f"layer = {_q(ds.layer)}")
    for norm in ("name", "code", "category"):
        if norm in p.fields:
            out.append(f"{norm}_field = {_q(p.fields[norm])}   # {p.field_reasons[norm]}")
    if ds.encoding:
        out.append(f"encoding = {_q(ds.encoding)}   # {ds.encoding_reason}")
    elif ds.encoding_reason and ds.encoding is None and "neither" in ds.encoding_reason:
        out.append(f"# encoding = \"…\"   # {ds.encoding_reason}")
    if ds.crs:
        where = ("inside Shanghai" if ds.inside_shanghai else "OUTSIDE Shanghai — check it"
                 if ds.inside_shanghai is False else "extent not checked")
        out.append(f"# CRS as the file declares it: {ds.crs} ({where}); shgeo uses the file's own CRS")
    else:
        out.append('# crs = "EPSG:…"   # the file declares no CRS: give it here (shgeo never guesses a CRS)')
    if p.select_control_villages:
        out.append('select = { control_villages = true, by = "code" }   # ' + p.field_reasons["select"])
    for note in p.notes:
        out.append(f"# NOTE: {note}")
    out += ["[layers.provenance]",
            f"source = {_q(ds.path.name + ' as found in ' + ds.path.parent.name + '/')}   "
            "# name the issuing body and dataset",
            '# edition = 2025-06-30   # the edition date of this layer',
            '# licence = "…"          # the terms under which you hold and may pass on this layer',
            "official = true   # compared with the published figures (warnings only); false for drafts/extracts",
            "sample = false"]
    return out
