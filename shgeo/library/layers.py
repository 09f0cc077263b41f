"""The layer library: regulatory layers, checked and normalised, in the working CRS, indexed.

:func:`load_library` reads a manifest (:mod:`shgeo.library.manifest`; none = the
embedded sample pack), opens each layer with :func:`shgeo.inputs.vector.read_vector`
and runs the same checks on each (:func:`_prepare`):

1. optional selection (codes, field values, the 16 control villages);
2. fields named by the manifest exist; ``feature_id`` unique;
3. CRS: the file's own, else the manifest's, else an error (never guessed);
   ``gcj02`` / ``bd09`` coordinates are converted to WGS84 first;
4. empty and missing geometries dropped (counted); Z dropped;
5. geometry types allowed for the kind (:mod:`shgeo.library.kinds`);
6. extent inside Shanghai (lon/lat in EPSG:4490, :func:`shgeo.crs.check_in_shanghai`);
7. reprojection to :data:`shgeo.crs.WORKING_CRS` (metres);
8. invalid geometries repaired with :func:`shapely.make_valid`, keeping the
   polygonal part for polygon kinds (counted, reported);
9. normalised ``name``, ``code``, ``category`` columns; required ones non-null;
10. codes unique for kinds that need it (district, groundwater_village).

then the checks of :mod:`shgeo.library.checks` (codes and names the rules
read: 12-digit village codes, the 16 district codes, the four water-source
zones), every statutory kind given or declared missing
(``[manifest] missing``), and, for layers marked official, the comparison
with the published figures (:mod:`shgeo.library.plausibility`).

Every problem of every layer is collected in one pass (:func:`check_library`):
:func:`load_library` then raises one :class:`~shgeo.errors.LayerCheckError`
listing them all, each naming file, layer, kind and the fix.  A layer that
cannot be loaded is an error, never an absent layer.  Non-fatal problems
(repairs, drops, CRS conflicts) are logged and kept in
:attr:`LayerSource.problems`; warnings against the published figures in
:attr:`LayerSource.plausibility`.
"""

from __future__ import annotations

import functools

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..inputs.chinacoords import to_wgs84
from ..crs import GEOGRAPHIC_CRS, SHANGHAI_BOUNDS, SHANGHAI_MARGIN_DEG, WORKING_CRS, check_in_shanghai, parse_crs
from ..errors import ExtentError, LayerCheckError, LayerError, UnknownKindError
from ..inputs.vector import read_vector, sha256_of
from .checks import reference_checks
from .kinds import KINDS, POLYGONAL, STATUTORY, KindSpec
from .manifest import LayerEntry, Manifest, Selector, read_manifest
from .plausibility import Discrepancy, compare_with_published
from .postgis import read_postgis
from .villages import normalise_code, select_control_villages

__all__ = ["LayerLibrary", "LayerSource", "LibraryCheck", "UnknownKindError", "load_library", "check_library",
           "default_manifest_path", "NORMALISED_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns every library layer has, in this order, before the source attributes and geometry.
NORMALISED_COLUMNS = ("feature_id", "name", "code", "category")

#: Column holding ids made from the file's feature ids / row order (not kept in the output).
_SYNTHETIC_ID = "__shgeo_fid__"

#: How many feature ids a message lists before "…".
_SHOW = 5


@dataclass
class LayerSource:
    """Provenance and check results of one loaded layer (one manifest entry or in-memory frame)."""

    kind: str
    path: Path  # the file; ``<name>`` for in-memory frames
    layer: str | None
    sha256: dict[str, str]  # file name -> hex digest, every file read
    edition: str | None = None
    source: str | None = None
    licence: str | None = None
    sample: bool = False
    notes: str | None = None
    feature_count: int = 0  # features kept, after selection and drops
    source_crs: str | None = None
    bounds_lonlat: tuple[float, float, float, float] | None = None  # west, south, east, north (EPSG:4490)
    problems: list[str] = field(default_factory=list)
    selection: str | None = None  # description of the manifest's select, if any
    encoding: str | None = None
    #: problems that stop this layer from being used (each names file, layer, kind and the fix)
    errors: list[LayerError] = field(default_factory=list)
    #: problems that leave the layer usable for measuring but would make screening fail or answer wrongly
    #: (codes and names the rules read); :func:`shgeo.screen` refuses a library that has any
    screening_errors: list[LayerError] = field(default_factory=list)
    #: the layer is marked official in the manifest (compared with the published figures)
    official: bool = False
    #: measures off their published figures (:class:`~shgeo.library.plausibility.Discrepancy`; str() says
    #: the figure and its source)
    plausibility: list[Discrepancy] = field(default_factory=list)
    #: for a PostGIS layer: the SQL that was run
    query: str | None = None

    @property
    def failed(self) -> bool:
        """True when the layer failed a check (see :attr:`errors`)."""
        return bool(self.errors)

    @property
    def checksum(self) -> str:
        """One digest over all files (sorted by name), for compact display."""
        digest = hashlib.sha256()
        for name in sorted(self.sha256):
            digest.update(f"{name}\0{self.sha256[name]}\n".encode())
        return digest.hexdigest()


class LayerLibrary:
    """Regulatory layers by kind, in :data:`~shgeo.crs.WORKING_CRS`, with an STRtree each.

    Build one with :func:`load_library` (from a manifest) or
    :meth:`from_frames` (from GeoDataFrames).  Layers are read-only: treat the
    frames :meth:`layer` returns as such (their row order is the tree's).
    """

    def __init__(self, layers: Mapping[str, gpd.GeoDataFrame], sources: Sequence[LayerSource], *,
                 name: str = "library", manifest_path: Path | None = None,
                 manifest_sha256: str | None = None, missing: Mapping[str, str] | None = None,
                 screening_problems: Sequence[str | LayerError] = ()) -> None:
        self._layers = dict(layers)
        self._trees: dict[str, shapely.STRtree] = {}
        self.sources: list[LayerSource] = list(sources)
        self.name = name
        self.manifest_path = manifest_path
        self.manifest_sha256 = manifest_sha256
        #: kinds the manifest leaves out on purpose → its reason
        self.declared_missing: dict[str, str] = dict(missing or {})
        #: problems that do not stop measuring (:func:`shgeo.overlay` works) but would make screening fail or
        #: answer wrongly: kinds unaccounted for, an unconfirmed manifest, codes the rules cannot read.
        #: :func:`shgeo.screen` and ``shgeo screen`` refuse the library while there are any; ``shgeo layers``
        #: lists them and exits 2.
        self.screening_problems: list[str] = [str(p) for p in screening_problems]

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_manifest(cls, manifest: Manifest | str | Path) -> LayerLibrary:
        """Load every layer a manifest names (see :func:`load_library`)."""
        check = check_library(manifest)
        check.raise_for_errors(screening=False)
        for problem in check.library.screening_problems:
            log.warning("%s", problem)
        return check.library

    @classmethod
    def from_frames(cls, frames: Mapping[str, gpd.GeoDataFrame], *, sample: bool = False,
                    name: str = "in-memory") -> LayerLibrary:
        """Build a library from GeoDataFrames keyed by kind, with the same checks as files get.

        Each frame needs a CRS.  Columns ``name``, ``code``, ``category`` are
        taken as the normalised fields when present; ``feature_id`` when
        present (must be unique), else row order (``"0"``, ``"1"`` …).  The
        sources' ``path`` is ``<name>`` and their checksum covers geometry and
        attributes.
        """
        parts: dict[str, list[gpd.GeoDataFrame]] = {}
        sources: list[LayerSource] = []
        where = Path(f"<{name}>")
        for kind, frame in frames.items():
            spec = _spec(kind, where)
            if not isinstance(frame, gpd.GeoDataFrame):
                raise LayerError(f"expected a GeoDataFrame, got {type(frame).__name__}", path=where, kind=kind)
            if frame.active_geometry_name is None:
                raise LayerError("the frame has no active geometry column", path=where, kind=kind,
                                 hint="call set_geometry() on it")
            if frame.crs is None:
                raise LayerError("the frame has no CRS", path=where, kind=kind,
                                 hint="call set_crs() with the CRS its coordinates are in (e.g. 4490); "
                                 "shgeo never guesses a CRS")
            frame = frame.reset_index(drop=True)
            id_field = "feature_id" if "feature_id" in frame.columns else _SYNTHETIC_ID
            if id_field == _SYNTHETIC_ID:
                frame = frame.assign(**{_SYNTHETIC_ID: [str(i) for i in range(len(frame))]})
            problems: list[str] = []
            src = LayerSource(kind=kind, path=where, layer=kind, sha256={f"{where}/{kind}": _frame_digest(frame)},
                              source=name, sample=sample, problems=problems)
            ctx = _Ctx(where, kind, spec, errors=src.errors)
            gdf = None
            try:
                gdf = _prepare(frame, ctx, id_field=id_field,
                               name_field="name" if "name" in frame.columns else None,
                               code_field="code" if "code" in frame.columns else None,
                               category_field="category" if "category" in frame.columns else None,
                               declared_crs=None, problems=problems, source=src)
            except LayerError as exc:
                src.errors.append(exc)
            _log_problems(problems, str(where), kind)
            sources.append(src)
            if gdf is not None:  # failed frames too: the code checks across a kind still run on them
                parts.setdefault(kind, []).append(gdf)
        layers = _combine(parts, sources)
        errors = [e for s in sources for e in s.errors]
        if errors:
            raise LayerCheckError(errors, path=where)
        missing = {k: "not given to LayerLibrary.from_frames" for k in STATUTORY if k not in layers}
        screening = [e for s in sources for e in s.screening_errors]
        for problem in screening:
            log.warning("%s", problem)
        return cls(layers, sources, name=name, missing=missing, screening_problems=screening)

    # ------------------------------------------------------------------ access

    @property
    def crs(self) -> pyproj.CRS:
        """The working CRS (metres) of every layer: :data:`shgeo.crs.WORKING_CRS`."""
        return WORKING_CRS

    @property
    def kinds(self) -> list[str]:
        """Kinds loaded, in manifest order."""
        return list(self._layers)

    @property
    def is_sample(self) -> bool:
        """True if any layer is sample data (reports must say SAMPLE DATA)."""
        return any(s.sample for s in self.sources)

    @property
    def missing_statutory(self) -> list[str]:
        """Statutory kinds (see :data:`shgeo.library.kinds.KINDS`) this library does not hold.

        Screening still runs, but every fact that needs such a kind is unknown, so the
        rules answer ``needs_information`` rather than a false "clear".
        """
        return [k for k, spec in KINDS.items() if spec.statutory and k not in self._layers]

    @property
    def missing(self) -> list[dict[str, str]]:
        """Each statutory kind this library lacks: ``kind``, ``label_zh``, ``reason`` (the manifest's),
        ``leaves_open`` and ``leaves_open_zh`` (what screening cannot answer without it)."""
        return [{"kind": k, "label_zh": KINDS[k].label_zh,
                 "reason": self.declared_missing.get(k) or ("its layer failed the checks" if any(
                     s.kind == k and s.failed for s in self.sources) else "not in the library"),
                 "leaves_open": KINDS[k].leaves_open, "leaves_open_zh": KINDS[k].leaves_open_zh}
                for k in self.missing_statutory]

    @property
    def plausibility(self) -> list[str]:
        """Official layers' measures off their published figures, as text (figure and source in each)."""
        return [f"{s.kind}: {w}" for s in self.sources for w in s.plausibility]

    def has(self, kind: str) -> bool:
        """Whether *kind* is loaded."""
        return kind in self._layers

    def __contains__(self, kind: object) -> bool:
        return kind in self._layers

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def layer(self, kind: str) -> gpd.GeoDataFrame:
        """The layer of *kind* in the working CRS (columns: feature_id, name, code, category, source
        attributes…, geometry).  Raises :class:`UnknownKindError` if not loaded."""
        try:
            return self._layers[kind]
        except KeyError:
            raise self._unknown(kind) from None

    def tree(self, kind: str) -> shapely.STRtree:
        """A :class:`shapely.STRtree` over ``layer(kind).geometry`` (same order), built once on first use."""
        tree = self._trees.get(kind)
        if tree is None:
            tree = shapely.STRtree(np.asarray(self.layer(kind).geometry.values))
            self._trees[kind] = tree
        return tree

    def sources_for(self, kind: str) -> list[LayerSource]:
        """The sources that make up *kind*."""
        if kind not in self._layers:
            raise self._unknown(kind)
        return [s for s in self.sources if s.kind == kind]

    def _unknown(self, kind: str) -> UnknownKindError:
        if kind not in KINDS:
            return UnknownKindError(f"unknown layer kind {kind!r}; valid kinds: {', '.join(KINDS)}")
        where = f" (manifest {self.manifest_path})" if self.manifest_path else ""
        return UnknownKindError(f"layer kind {kind!r} is not loaded in {self.name}{where}; loaded: "
                                f"{', '.join(self._layers) or '(none)'} — add a [[layers]] entry with "
                                f"kind = {kind!r} to the manifest")

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self._layers.items())
        flag = ", SAMPLE" if self.is_sample else ""
        return f"<LayerLibrary {self.name!r}{flag}: {counts}>"


# ---------------------------------------------------------------------- loading


def default_manifest_path() -> Path:
    """The embedded sample pack's manifest (package ``shgeo.sample_data``)."""
    try:
        return Path(str(resources.files("shgeo.sample_data") / "manifest.toml"))
    except ModuleNotFoundError:  # pragma: no cover - broken install
        raise LayerError("the sample pack (package shgeo.sample_data) is not installed",
                         hint="reinstall shgeo, or pass a manifest") from None


def load_library(manifest: str | Path | Manifest | None = None) -> LayerLibrary:
    """Load the layers a manifest names, checked, in the working CRS.

    *manifest* is a path to a TOML manifest (or a parsed :class:`Manifest`);
    ``None`` loads the embedded sample pack, every layer of which is flagged
    sample data.  Raises :class:`~shgeo.errors.ManifestError` for a malformed
    manifest, or one :class:`~shgeo.errors.LayerCheckError` (a
    :class:`~shgeo.errors.LayerError`) listing every problem that stops a
    layer from being used, each naming the file and the fix.  Problems that
    leave the layers measurable but would make screening fail or answer
    wrongly (kinds unaccounted for, codes the rules cannot read) are logged
    and kept in :attr:`LayerLibrary.screening_problems`: :func:`shgeo.overlay`
    works on such a library, :func:`shgeo.screen` refuses it, listing them all.
    """
    return LayerLibrary.from_manifest(_manifest_or_sample(manifest))


def _manifest_or_sample(manifest: str | Path | Manifest | None) -> str | Path | Manifest:
    if manifest is None:
        manifest = default_manifest_path()
        if not manifest.is_file():
            raise LayerError("the sample pack's manifest is missing", path=manifest,
                             hint="reinstall shgeo, or pass a manifest")
    return manifest


@dataclass
class LibraryCheck:
    """Every check of every layer of a manifest: the library of the layers that passed, and the errors."""

    manifest: Manifest
    #: the layers that loaded without error (all of them when :attr:`ok`)
    library: LayerLibrary
    #: the manifest is a proposal of ``shgeo layers init`` not yet confirmed (at most one line)
    unconfirmed: list[str]
    #: statutory kinds neither given by a layer nor listed as missing (at most one line)
    unaccounted: list[str]

    @property
    def sources(self) -> list[LayerSource]:
        """Every layer of the manifest, failed ones included (their :attr:`LayerSource.errors` say why)."""
        return self.library.sources

    @property
    def load_errors(self) -> list[str | LayerError]:
        """Problems that stop the layers from being used at all: an unconfirmed proposed manifest, a layer
        unreadable, without CRS, of the wrong geometry …"""
        return [*self.unconfirmed, *(e for s in self.sources for e in s.errors)]

    @property
    def screening_errors(self) -> list[str | LayerError]:
        """Problems that leave the layers measurable but would make screening fail or answer wrongly:
        kinds unaccounted for, the codes and names the rules read."""
        return [*self.unaccounted, *(e for s in self.sources for e in s.screening_errors)]

    @property
    def manifest_errors(self) -> list[str]:
        """Problems with the manifest as a whole (unconfirmed, kinds unaccounted for)."""
        return [*self.unconfirmed, *self.unaccounted]

    @property
    def errors(self) -> list[str | LayerError]:
        """Every problem that would make screening fail or answer wrongly, manifest-level first."""
        return [*self.manifest_errors, *(e for s in self.sources for e in (*s.errors, *s.screening_errors))]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self, *, screening: bool = True) -> None:
        """Raise one :class:`~shgeo.errors.LayerCheckError` listing every error, if there is any
        (only those that stop loading when not *screening*)."""
        errors = self.errors if screening else self.load_errors
        if errors:
            raise LayerCheckError(errors, path=self.manifest.path)


def check_library(manifest: str | Path | Manifest | None = None) -> LibraryCheck:
    """Run every check on every layer of a manifest and collect all problems (nothing raised for them).

    Raises only :class:`~shgeo.errors.ManifestError` when the manifest itself
    cannot be parsed.  ``None`` checks the embedded sample pack.
    """
    manifest = _manifest_or_sample(manifest)
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    where = manifest.path or Path("<manifest>")
    unconfirmed: list[str] = []
    unaccounted_errors: list[str] = []
    if manifest.confirmed is False:
        unconfirmed.append(
            f"{where}: the manifest was proposed by `shgeo layers init` and is not confirmed — check every "
            "proposal (kind, name/code fields, CRS, encoding, the kinds listed as missing and why), then set "
            "confirmed = true under [manifest]")
    unaccounted = manifest.unaccounted
    if unaccounted:
        listed = ", ".join(f"{k} ({KINDS[k].label_zh})" for k in unaccounted)
        unaccounted_errors.append(
            f"{where}: statutory kind(s) neither given by a layer nor listed as missing: {listed} — without them "
            "screening cannot answer what they decide (shgeo layers lists it); add [[layers]] entries, or decide "
            f"to leave them out: under [manifest], missing = {_toml_list(unaccounted)} and "
            'missing_reason = "…"')
    parts: dict[str, list[gpd.GeoDataFrame]] = {}
    sources: list[LayerSource] = []
    for entry in manifest.layers:
        try:
            gdf, src = _load_entry(entry)
        except LayerError as exc:
            src = _failed_source(entry, exc)
            gdf = None
        sources.append(src)
        if gdf is not None:  # failed layers too: the code checks across a kind still run on them
            parts.setdefault(entry.kind, []).append(gdf)
    layers = _combine(parts, sources)
    for kind in [k for k in layers if any(s.failed for s in sources if s.kind == k)]:
        del layers[kind]  # a kind with a failed part is not half-loaded
    screening = [*unaccounted_errors, *(e for s in sources for e in s.screening_errors)]
    library = LayerLibrary(layers, sources, name=manifest.name, manifest_path=manifest.path,
                           manifest_sha256=manifest.sha256, missing=manifest.missing, screening_problems=screening)
    for src, warnings in compare_with_published(library):
        src.plausibility.extend(warnings)
        for text in warnings:
            log.warning("%s (%s): differs from the published figure: %s", src.path.name, src.kind, text)
    return LibraryCheck(manifest=manifest, library=library, unconfirmed=unconfirmed,
                        unaccounted=unaccounted_errors)


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _failed_source(entry: LayerEntry, exc: LayerError) -> LayerSource:
    prov = entry.provenance
    return LayerSource(kind=entry.kind, path=entry.path, layer=entry.layer, sha256={}, edition=prov.edition,
                       source=prov.source, licence=prov.licence, sample=prov.sample, notes=prov.notes,
                       official=prov.official, errors=[exc],
                       selection=entry.select.describe() if entry.select else None)


@dataclass(frozen=True)
class _Ctx:
    """What error messages name: file, layer, kind; the errors found so far in this layer."""

    path: Path
    kind: str
    spec: KindSpec
    layer: str | None = None
    errors: list[LayerError] = field(default_factory=list)

    def error(self, message: str, *, hint: str | None = None, feature: object = None) -> LayerError:
        """An error that stops the checks of this layer (raise it)."""
        return LayerError(message, path=self.path, layer=self.layer, kind=self.kind, feature=feature, hint=hint)

    def fail(self, message: str, *, hint: str | None = None, feature: object = None) -> None:
        """Record an error and go on checking this layer."""
        self.errors.append(self.error(message, hint=hint, feature=feature))


def _spec(kind: str, where: Path) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise LayerError(f"unknown layer kind {kind!r}", path=where, kind=kind,
                         hint=f"valid kinds: {', '.join(KINDS)}") from None


def _load_entry(entry: LayerEntry) -> tuple[gpd.GeoDataFrame, LayerSource]:
    spec = _spec(entry.kind, entry.path)
    query = None
    try:
        if entry.postgis is not None:
            raw, query = read_postgis(entry.postgis)
            digests = {entry.postgis.label: _postgis_digest(query, raw)}
        else:
            raw = read_vector(entry.path, layer=entry.layer, encoding=entry.encoding)
            digests = sha256_of(entry.path)
    except LayerError as exc:
        raise LayerError(exc.reason, path=exc.path or entry.path, layer=exc.layer or entry.layer,
                         kind=entry.kind, feature=exc.feature, hint=exc.hint) from exc
    ctx = _Ctx(entry.path, entry.kind, spec, raw.attrs.get("layer") or entry.layer)
    if raw.active_geometry_name is None:
        raise ctx.error("the layer has no geometry (a plain table)",
                        hint="point at the layer that holds the polygons")
    prov = entry.provenance
    problems = list(raw.attrs.get("problems", []))
    src = LayerSource(kind=entry.kind, path=entry.path, layer=ctx.layer, sha256=digests, edition=prov.edition,
                      source=prov.source, licence=prov.licence, sample=prov.sample, notes=prov.notes,
                      problems=problems, encoding=raw.attrs.get("encoding"), official=prov.official,
                      selection=entry.select.describe() if entry.select else None, query=query,
                      errors=ctx.errors)
    if len(raw) == 0:
        raise ctx.error("the layer is empty (no features)",
                        hint="point at the right file/layer; an empty layer would screen as 'no hit'")
    if prov.edition is None:
        problems.append("no edition date in the manifest (provenance.edition)")
    id_field = entry.id_field
    if id_field is not None and id_field not in raw.columns:
        if id_field.lower() == "fid":
            raw = raw.assign(**{id_field: raw.index})
        else:
            raise ctx.error(f"id_field {id_field!r} is not a field of the layer",
                            hint=f"fields: {_columns(raw)}")
    if id_field is None:
        id_field = "feature_id" if "feature_id" in raw.columns else None
        if id_field is None:
            raw = raw.assign(**{_SYNTHETIC_ID: [str(i) for i in raw.index]})
            id_field = _SYNTHETIC_ID
    name_field, code_field = entry.name_field, entry.code_field
    if entry.select is not None:
        raw, forced = _select(raw, entry, ctx, problems)
        if forced:
            name_field, code_field = "control_village", "control_code"
    gdf = _prepare(raw, ctx, id_field=id_field, name_field=name_field, code_field=code_field,
                   category_field=entry.category_field, declared_crs=entry.crs, problems=problems, source=src)
    _log_problems(problems, entry.label, entry.kind)
    return gdf, src


#: Problems that change or lose data or override the manifest are logged as warnings; notes as info.
_WARN_PREFIXES = ("dropped", "repaired", "kept only", "manifest crs", "the DBF declares no code page")


def _log_problems(problems: list[str], label: str, kind: str) -> None:
    for text in problems:
        level = logging.WARNING if text.startswith(_WARN_PREFIXES) else logging.INFO
        log.log(level, "%s (%s): %s", label, kind, text)


def _columns(gdf: gpd.GeoDataFrame) -> str:
    return ", ".join(str(c) for c in gdf.columns if c != gdf.active_geometry_name) or "(none)"


def _ids(labels: Sequence[Any]) -> str:
    labels = list(labels)
    shown = ", ".join(str(x) for x in labels[:_SHOW])
    return shown + (f" … ({len(labels)} in all)" if len(labels) > _SHOW else "")


# ---------------------------------------------------------------------- selection


def _select(raw: gpd.GeoDataFrame, entry: LayerEntry, ctx: _Ctx,
            problems: list[str]) -> tuple[gpd.GeoDataFrame, bool]:
    """Apply the manifest's ``select``; returns the rows and whether name/code come from the reference."""
    sel: Selector = entry.select  # type: ignore[assignment]
    if sel.control_villages:
        try:
            picked, report = select_control_villages(
                raw, by=sel.by, code_field=entry.code_field, village_field=entry.name_field,
                district_field=sel.district_field, town_field=sel.town_field)
        except LayerError as exc:
            raise ctx.error(exc.reason, hint=exc.hint) from None
        if not report.ok:
            bad = [str(e) for e in report.ambiguous + report.unmatched]
            raise ctx.error(f"{len(bad)} of {len(report.entries)} control villages not selected: " + "; ".join(bad),
                            hint="fix the village layer or the select fields (matching by code is safest)")
        problems.extend(f"control village {line}" for line in report.notes())
        if entry.code_field and entry.code_field in picked.columns:
            given = picked[entry.code_field].map(normalise_code)
            differ = given != picked["control_code"]
            if differ.any():
                problems.append(f"{int(differ.sum())} selected village(s) carry codes other than the reference "
                                f"({_ids(picked.index[differ])}); the reference codes are used")
        return picked, True
    if sel.codes is not None:
        column, wanted = entry.code_field, list(sel.codes)
        values = raw[column].map(normalise_code) if column in raw.columns else None
    else:  # compare as text, so 1, 1.0 and "1" select the same features
        column, wanted = sel.field, [normalise_code(v) for v in sel.values or ()]
        values = raw[column].map(normalise_code) if column in raw.columns else None
    if values is None:
        raise ctx.error(f"select field {column!r} is not a field of the layer", hint=f"fields: {_columns(raw)}")
    mask = values.isin(wanted)
    missing = [w for w in wanted if not (values == w).any()]
    if missing:
        raise ctx.error(f"select: no feature has {column} = {', '.join(map(str, missing[:_SHOW]))}"
                        + (f" … ({len(missing)} values)" if len(missing) > _SHOW else ""),
                        hint="fix the values in select or point at the right layer")
    return raw.loc[mask], False


# ---------------------------------------------------------------------- checks


def _prepare(raw: gpd.GeoDataFrame, ctx: _Ctx, *, id_field: str, name_field: str | None,
             code_field: str | None, category_field: str | None, declared_crs: str | None,
             problems: list[str], source: LayerSource) -> gpd.GeoDataFrame:
    """Check and normalise one layer; fill *source* (crs, bounds, count); return it in WORKING_CRS."""
    fields = {"name": name_field, "code": code_field, "category": category_field}
    fields = _check_fields(raw, ctx, fields, id_field)
    ids = raw[id_field].map(_id_text)
    _check_ids(ids, ctx, id_field)

    geoms = np.asarray(raw.geometry.values, dtype=object)
    src_crs, geoms = _resolve_crs(raw.crs, declared_crs, geoms, ctx, problems)
    source.source_crs = _crs_label(src_crs, declared_crs, raw.crs)
    _check_crs_use(src_crs, ctx, problems)

    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.all():
        dropped = list(ids[~keep])
        problems.append(f"dropped {len(dropped)} feature(s) with empty or missing geometry: {_ids(dropped)}")
    raw, ids, geoms = raw.loc[keep], ids[keep], geoms[keep]
    if len(raw) == 0:
        raise ctx.error("the layer has no features with geometry" + (" after selection" if source.selection else ""),
                        hint="point at the right file/layer; an empty layer would screen as 'no hit'")
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        problems.append("Z coordinates dropped (2D overlay)")

    typed = _check_types(geoms, ids, ctx)
    if not typed.any():  # nothing left to check: the recorded error stops this layer
        raise ctx.errors.pop()
    raw, ids, geoms = raw.loc[typed], ids[typed], geoms[typed]
    source.bounds_lonlat = _check_extent(geoms, ids, src_crs, ctx)

    # repair as drawn (in the source CRS), then once more if reprojection bent anything out of shape
    geoms = _repair(geoms, ids, ctx, problems, stage="")
    raw, ids, geoms = _drop_emptied(raw, ids, geoms, ctx)
    if not ctx.errors:  # a failed layer is not used: its checks go on without reprojecting it
        working = np.asarray(gpd.GeoSeries(geoms, crs=src_crs).to_crs(WORKING_CRS).values, dtype=object)
        geoms = _repair(working, ids, ctx, problems, stage=" after reprojection")
        raw, ids, geoms = _drop_emptied(raw, ids, geoms, ctx)

    out = _normalised_frame(raw, ids, geoms, fields, id_field, ctx)
    out, checks = reference_checks(out, ctx.kind, has_name_field=fields["name"] is not None,
                                   has_category_field=fields["category"] is not None)
    for check in checks:
        if check.severity == "error":  # measurable, but the rules cannot read it: screening is refused
            source.screening_errors.append(ctx.error(check.message, hint=check.hint))
        else:
            problems.append(check.message + (f" — {check.hint}" if check.hint else ""))
    source.feature_count = len(out)
    return out


def _check_crs_use(crs: pyproj.CRS, ctx: _Ctx, problems: list[str]) -> None:
    """A CRS whose area of use lies nowhere near Shanghai is implausible (the extent check then says where
    the features land); a CRS without an authority code is named so that the user can confirm it."""
    area = crs.area_of_use
    if area is not None:
        west, south, east, north = SHANGHAI_BOUNDS
        if area.east < west or area.west > east or area.north < south or area.south > north:
            problems.append(f"the CRS {_crs_text(crs)} is defined for {area.name} "
                            f"({area.west:g}–{area.east:g}°E, {area.south:g}–{area.north:g}°N), not Shanghai")
    if _crs_text(crs) == crs.name and not crs.is_geographic:
        problems.append(f"custom CRS without an EPSG code: {crs.name} (as the file declares it)")


def _drop_emptied(raw: gpd.GeoDataFrame, ids: pd.Series, geoms: np.ndarray,
                  ctx: _Ctx) -> tuple[gpd.GeoDataFrame, pd.Series, np.ndarray]:
    """Drop features a repair left empty (already counted); a layer left with none is an error."""
    keep = ~shapely.is_empty(geoms)
    if not keep.any():
        raise ctx.error("no feature has any area left after repairing invalid geometries",
                        hint="fix the geometries in a GIS")
    return raw.loc[keep], ids[keep], geoms[keep]


def _id_text(value: Any) -> str | None:
    return normalise_code(value)


def _check_fields(raw: gpd.GeoDataFrame, ctx: _Ctx, fields: dict[str, str | None],
                  id_field: str) -> dict[str, str | None]:
    """Every named field exists; required normalised fields have a source (defaulting to same-named columns).

    A field that is missing is recorded as an error and left out, so that the other checks still run."""
    if id_field not in raw.columns:
        raise ctx.error(f"id field {id_field!r} is not a field of the layer", hint=f"fields: {_columns(raw)}")
    out = dict(fields)
    for norm, col in fields.items():
        if col is not None and col not in raw.columns:
            ctx.fail(f"{norm}_field {col!r} is not a field of the layer",
                     hint=f"fields: {_columns(raw)}; fix {norm}_field in the manifest")
            out[norm] = None
            continue
        if col is None and norm in raw.columns and norm != raw.geometry.name:
            out[norm] = norm
        if out[norm] is None and norm in _required(ctx, fields):
            ctx.fail(f"kind {ctx.kind} needs a {norm} for every feature but no {norm}_field is given",
                     hint=f"set {norm}_field in the manifest to one of: {_columns(raw)}")
    return out


def _required(ctx: _Ctx, fields: dict[str, str | None]) -> tuple[str, ...]:
    """The kind's required fields; a water-source zone may be named by the name field instead of category."""
    if ctx.kind == "water_source_l1" and fields.get("category") is None and fields.get("name") is not None:
        return ()
    return ctx.spec.required


def _check_ids(ids: pd.Series, ctx: _Ctx, id_field: str) -> None:
    if ids.isna().any():
        ctx.fail(f"{int(ids.isna().sum())} feature(s) have no {id_field}",
                 hint="fill the id field or leave id_field out to use the file's feature ids")
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        ctx.fail(f"{id_field} is not unique: {_ids(sorted(set(dup)))} repeat",
                 hint="choose a unique id_field or leave it out to use the file's feature ids")


def _resolve_crs(file_crs: pyproj.CRS | None, declared: str | None, geoms: np.ndarray, ctx: _Ctx,
                 problems: list[str]) -> tuple[pyproj.CRS, np.ndarray]:
    """The CRS to use: the file's, else the manifest's; web-map lon/lat converted to WGS84."""
    parsed = parse_crs(declared, path=ctx.path) if declared is not None else None
    if isinstance(parsed, str):  # gcj02 / bd09
        if file_crs is not None and not file_crs.is_geographic:
            raise ctx.error(f"the manifest says {parsed} but the file is in projected {file_crs.name}",
                            hint=f"remove crs = '{parsed}' or fix the file's CRS")
        problems.append(f"coordinates declared {parsed} by the manifest: converted to WGS84")
        return pyproj.CRS.from_epsg(4326), to_wgs84(geoms, parsed)
    if file_crs is None:
        if parsed is None:
            raise ctx.error("the layer has no CRS (no .prj or CRS definition)",
                            hint="add crs = 'EPSG:4490' (or the right code) to its manifest entry, "
                            "or give the file a .prj; shgeo never guesses a CRS")
        return parsed, geoms
    if parsed is not None and not parsed.equals(file_crs, ignore_axis_order=True):
        if not (parsed.is_geographic and file_crs.is_geographic):
            # e.g. a GeoJSON (always labelled EPSG:4326 by GDAL) holding Gauss-Krüger metres:
            # one of the two is wrong, and using either silently could misplace every feature
            raise ctx.error(f"the manifest says crs = {declared!r} but the file declares "
                            f"{_crs_text(file_crs)}",
                            hint="reproject the file, or fix its CRS definition (.prj, GeoJSON 'crs'), "
                                 "or remove crs from the manifest entry")
        problems.append(f"manifest crs {declared!r} differs from the file's own CRS "
                        f"{_crs_text(file_crs)}; the file's CRS is used (both lon/lat)")
    return file_crs, geoms


def _crs_text(crs: pyproj.CRS) -> str:
    return _crs_text_cached(crs.to_wkt())


@functools.lru_cache(maxsize=64)
def _crs_text_cached(wkt: str) -> str:
    # to_authority() searches the PROJ database (~0.2 s for a custom CRS): do it once per CRS
    crs = pyproj.CRS.from_wkt(wkt)
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def _crs_label(used: pyproj.CRS, declared: str | None, file_crs: pyproj.CRS | None) -> str:
    if declared is not None and isinstance(parse_crs(declared), str):
        return f"{declared} (converted to WGS84)"
    text = _crs_text(used)
    return text if file_crs is not None else f"{text} (from manifest)"


def _check_types(geoms: np.ndarray, ids: pd.Series, ctx: _Ctx) -> np.ndarray:
    """Record features of a type the kind does not take; return the mask of the others."""
    types = pd.Series(shapely.get_type_id(geoms), index=ids.index)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                      "MultiPolygon", "GeometryCollection"])
    type_names = pd.Series(names[types.to_numpy()], index=ids.index)
    bad = ~type_names.isin(ctx.spec.geometry_types)
    if bad.any():
        counts = type_names[bad].value_counts()
        found = ", ".join(f"{n} × {t}" for t, n in counts.items())
        ctx.fail(
            f"geometry type not allowed for kind {ctx.kind}: {found} (features {_ids(list(ids[bad]))})",
            hint=f"{ctx.kind} takes {', '.join(sorted(ctx.spec.geometry_types))}; point at the polygon layer "
            "or convert the features")
    return ~bad.to_numpy()


def _check_extent(geoms: np.ndarray, ids: pd.Series, crs: pyproj.CRS,
                  ctx: _Ctx) -> tuple[float, float, float, float]:
    """Check each feature's bounding box (corners in EPSG:4490) lies in Shanghai; return the lon/lat extent."""
    b = shapely.bounds(geoms)  # minx, miny, maxx, maxy in the source CRS
    xs = np.concatenate([b[:, 0], b[:, 2], b[:, 0], b[:, 2]])
    ys = np.concatenate([b[:, 1], b[:, 1], b[:, 3], b[:, 3]])
    if crs.equals(GEOGRAPHIC_CRS, ignore_axis_order=True):
        lon, lat = xs, ys
    else:
        t = pyproj.Transformer.from_crs(crs, GEOGRAPHIC_CRS, always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = t.transform(xs, ys, errcheck=False)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    n = len(geoms)
    west, south, east, north = SHANGHAI_BOUNDS
    m = SHANGHAI_MARGIN_DEG
    ok_pt = (np.isfinite(lon) & np.isfinite(lat) & (lon >= west - m) & (lon <= east + m)
             & (lat >= south - m) & (lat <= north + m))
    ok = ok_pt.reshape(4, n).all(axis=0)
    if not ok.all():
        first = int(np.flatnonzero(~ok)[0])
        sel = np.tile(~ok, 4)
        try:
            check_in_shanghai(lon[sel], lat[sel], source_crs=crs, path=ctx.path, layer=ctx.layer,
                              feature=ids.iloc[first])
        except ExtentError as exc:
            ctx.fail(f"{int((~ok).sum())} of {n} feature(s) lie outside Shanghai in {_crs_text(crs)} "
                     f"({exc.reason}; first: feature {ids.iloc[first]!r})", hint=exc.hint)
    with np.errstate(all="ignore"):
        return (float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat)))


def _polygonal(geom: shapely.Geometry) -> tuple[shapely.Geometry, int]:
    """The polygonal part of *geom* and the number of non-polygonal parts left out."""
    if geom.geom_type in POLYGONAL:
        return geom, 0
    polys: list[shapely.Geometry] = []
    lost = 0
    stack = list(shapely.get_parts(geom))
    while stack:
        part = stack.pop()
        if part.geom_type == "Polygon":
            polys.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            stack.extend(shapely.get_parts(part))
        elif not part.is_empty:
            lost += 1
    if not polys:
        return shapely.Polygon(), lost
    merged = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    if not merged.is_valid:
        merged = shapely.union_all(polys)
    return merged, lost


def _repair(geoms: np.ndarray, ids: pd.Series, ctx: _Ctx, problems: list[str], *, stage: str) -> np.ndarray:
    """Repair invalid geometries with make_valid; for polygon kinds keep only the polygonal part."""
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    polygonal_kind = ctx.spec.geometry_types <= POLYGONAL
    geoms = geoms.copy()
    idx = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[idx])
    # "structure" keeps every covered area (overlapping parts are unioned, holes kept); the default
    # "linework" would cut the overlap of two parts out as a hole — a silent "no hit" inside a
    # statutory zone.  "linework" is used only to count the line/point parts the repair drops.
    repaired = shapely.make_valid(geoms[idx], method="structure", keep_collapsed=False)
    linework = shapely.make_valid(geoms[idx]) if polygonal_kind else repaired
    collapsed, trimmed = [], []
    for j, i in enumerate(idx):
        g = repaired[j]
        if polygonal_kind:
            g, _ = _polygonal(g)
            lost = _polygonal(linework[j])[1]
            if g.is_empty:
                collapsed.append(ids.iloc[i])
            elif lost:
                trimmed.append(ids.iloc[i])
        if not g.is_empty and not g.is_valid:
            raise ctx.error(f"geometry could not be repaired ({shapely.is_valid_reason(g)})",
                            feature=ids.iloc[i], hint="fix the geometry in a GIS")
        geoms[i] = g
    first = reasons[0].split("[")[0].strip()
    problems.append(f"repaired {len(idx)} invalid geometr{'y' if len(idx) == 1 else 'ies'}{stage} with make_valid "
                    f"(e.g. {first}): {_ids(list(ids.iloc[idx]))}")
    if trimmed:
        problems.append(f"kept only the polygonal part of {len(trimmed)} repaired feature(s) "
                        f"(lines/points left out): {_ids(trimmed)}")
    if collapsed:
        problems.append(f"dropped {len(collapsed)} feature(s) whose repair left no area (degenerate polygons): "
                        f"{_ids(collapsed)}")
    return geoms


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _normalised_frame(raw: gpd.GeoDataFrame, ids: pd.Series, geoms: np.ndarray,
                      fields: dict[str, str | None], id_field: str, ctx: _Ctx) -> gpd.GeoDataFrame:
    """Normalised columns first, then the source attributes (a source column that *is* a normalised
    column's field is replaced by it; other clashes are kept as ``src_<name>``), then geometry."""
    data: dict[str, Any] = {"feature_id": ids.to_numpy(dtype=object)}
    for norm, col in fields.items():
        if col is None:
            data[norm] = np.full(len(raw), None, dtype=object)
            continue
        conv = normalise_code if norm == "code" else _text
        values = raw[col].map(conv)
        missing = values.isna()
        if norm in _required(ctx, fields) and missing.any():
            ctx.fail(f"{int(missing.sum())} feature(s) have no {norm} ({col} is empty): "
                     f"{_ids(list(ids[missing]))}",
                     hint=f"fill {col} or point {norm}_field at another field; kind {ctx.kind} "
                     f"needs {', '.join(ctx.spec.required)} on every feature")
        data[norm] = values.to_numpy(dtype=object)
    geom_name = raw.geometry.name
    attrs = {}
    for col in raw.columns:
        if col == geom_name or col == _SYNTHETIC_ID or (col in NORMALISED_COLUMNS and (
                fields.get(col) == col or (col == "feature_id" and id_field == col))):
            continue
        key = f"src_{col}" if col in NORMALISED_COLUMNS or col == "geometry" else str(col)
        attrs[key] = raw[col].to_numpy()
    frame = pd.DataFrame({**data, **{k: v for k, v in attrs.items() if k not in data}})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=WORKING_CRS).values, crs=WORKING_CRS)


def _combine(parts: dict[str, list[gpd.GeoDataFrame]], sources: list[LayerSource]) -> dict[str, gpd.GeoDataFrame]:
    """Concatenate each kind's parts; prefix ids when a kind has several sources; check unique codes."""
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind, frames in parts.items():
        srcs = [s for s in sources if s.kind == kind]
        if len(frames) > 1:
            labels = _source_labels(srcs)
            frames = [f.assign(feature_id=label + ":" + f["feature_id"].astype(str))
                      for f, label in zip(frames, labels)]
            gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
        else:
            gdf = frames[0].reset_index(drop=True)
        if KINDS[kind].unique_codes:
            _check_unique_codes(gdf, kind, srcs)
        out[kind] = gdf
    return out


def _source_labels(srcs: list[LayerSource]) -> list[str]:
    labels = [s.layer or s.path.stem for s in srcs]
    if len(set(labels)) < len(labels):
        labels = [f"{i + 1}.{label}" for i, label in enumerate(labels)]
    return labels


def _check_unique_codes(gdf: gpd.GeoDataFrame, kind: str, srcs: list[LayerSource]) -> None:
    codes = gdf["code"].dropna()
    dup = codes[codes.duplicated(keep=False)]
    if dup.empty:
        return
    groups = {code: list(gdf.loc[dup.index[dup == code], "feature_id"]) for code in dict.fromkeys(dup)}
    detail = "; ".join(f"{code}: features {_ids(ids)}" for code, ids in list(groups.items())[:_SHOW])
    src = srcs[0] if len(srcs) == 1 else None
    error = LayerError(f"duplicate codes ({len(groups)}): {detail}",
                       path=src.path if src else ", ".join(str(s.path) for s in srcs),
                       layer=src.layer if src else None, kind=kind,
                       hint=f"codes must be unique in a {kind} layer: dissolve the parts into one "
                       "multipolygon per code, or fix the codes")
    srcs[0].errors.append(error)


def _postgis_digest(query: str, frame: gpd.GeoDataFrame) -> str:
    """SHA-256 over a database layer: the query text, the row count, the extent and the content read."""
    digest = hashlib.sha256()
    bounds = frame.total_bounds if len(frame) else []
    digest.update(f"{query}\0rows={len(frame)}\0extent={[round(float(b), 9) for b in bounds]}\0".encode())
    digest.update(_frame_digest(frame).encode() if frame.active_geometry_name else b"")
    return digest.hexdigest()


def _frame_digest(frame: gpd.GeoDataFrame) -> str:
    """SHA-256 over an in-memory frame's geometry (WKB) and attribute values."""
    digest = hashlib.sha256()
    if frame.crs is not None:
        digest.update(frame.crs.to_wkt().encode())
    wkb = shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object))
    for item in wkb:
        digest.update(item if item is not None else b"\0")
    attrs = frame.drop(columns=[frame.geometry.name])
    if len(attrs.columns):
        digest.update(pd.util.hash_pandas_object(attrs.astype(str), index=False).to_numpy().tobytes())
    return digest.hexdigest()
