"""Layer manifests: which file holds which kind of regulatory layer, and where it came from.

A manifest is a TOML file::

    [manifest]
    name = "Shanghai sample layer pack"
    description = "..."
    sample = true                 # default for each layer's provenance.sample
    missing = ["island"]          # statutory kinds left out on purpose (with a reason)
    missing_reason = "..."        # or missing = [{kind = "island", reason = "..."}]
    confirmed = true              # false in a manifest written by `shgeo layers init`

    [[layers]]
    kind = "water_source_l1"      # one of shgeo.library.kinds.KINDS
    path = "layers.gpkg"          # relative to the manifest file
    layer = "water_source_l1"     # layer inside a multi-layer file (optional)
    id_field = "fid"              # optional; default: the file's feature id
    name_field = "name"
    code_field = "code"
    category_field = "zone"
    crs = "EPSG:4490"             # only used if the file lacks one
    encoding = "GBK"              # for DBFs without .cpg
    select = { codes = ["310151202215"] }
    [layers.provenance]
    source = "..."
    edition = "2025-04-10"
    licence = "..."
    sample = true
    official = false              # true: compared with the published figures
    notes = "..."

A layer may come from PostgreSQL/PostGIS instead of a file: ``postgis = {env
= "SHGEO_PG", table = "public.redline"}`` (a libpq connection string in that
environment variable) or ``{service = "official", query = "SELECT ..."}`` (a
``pg_service.conf`` entry), with ``geometry_column`` when a query's geometry
column is not ``geom``.  The manifest never holds a password: libpq takes it
from ``~/.pgpass``, ``PGPASSWORD`` or the service file.

Every statutory kind (:data:`shgeo.library.kinds.STATUTORY`) is either given
by a layer or listed in ``[manifest] missing`` with a reason; the check that
each one is accounted for runs when the library loads.

``select`` takes one of three forms: ``{codes = [...]}`` (match ``code_field``),
``{field = "X", values = [...]}``, or ``{control_villages = true, by = "code" |
"name", district_field = ..., town_field = ...}`` (the 16 control villages of
沪环规〔2025〕1号, see :mod:`shgeo.library.villages`).

Unknown keys, unknown kinds and values of the wrong type raise
:class:`~shgeo.errors.ManifestError` listing what is valid.  This module only
parses; :mod:`shgeo.library.layers` opens the files.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..crs import parse_crs
from ..errors import CRSError, ManifestError
from .kinds import KINDS, STATUTORY

__all__ = ["Manifest", "LayerEntry", "Provenance", "Selector", "PostgisSource", "read_manifest", "parse_manifest"]

_TOP_KEYS = ("manifest", "layers")
_MANIFEST_KEYS = ("name", "description", "sample", "missing", "missing_reason", "confirmed")
_LAYER_KEYS = ("kind", "path", "layer", "id_field", "name_field", "code_field", "category_field",
               "crs", "encoding", "select", "provenance", "postgis")
_PROVENANCE_KEYS = ("source", "edition", "licence", "sample", "official", "notes")
_POSTGIS_KEYS = ("env", "service", "table", "query", "geometry_column")
#: a pg_service name, an environment variable name, a (schema-qualified) table name
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
_SELECT_FORMS = ("codes", "field", "values", "control_villages", "by", "district_field", "town_field")
_SELECT_BY = ("code", "name")


@dataclass(frozen=True)
class Provenance:
    """Where a layer came from: what it is, its edition date, licence, and whether it is sample data."""

    source: str | None = None
    edition: str | None = None  # ISO date string as written (TOML dates are converted)
    licence: str | None = None
    sample: bool = False
    notes: str | None = None
    #: the layer is the official one: compared with the published figures (shgeo.library.plausibility)
    official: bool = False


@dataclass(frozen=True)
class PostgisSource:
    """A layer held in PostgreSQL/PostGIS: a connection named by an environment variable or a
    ``pg_service`` entry (never a password in the manifest), and a table or a query."""

    env: str | None = None
    service: str | None = None
    table: str | None = None
    query: str | None = None
    geometry_column: str | None = None

    @property
    def connection_label(self) -> str:
        """How messages name the connection (``env:NAME`` or ``service:NAME``), without its secrets."""
        return f"env:{self.env}" if self.env else f"service:{self.service}"

    @property
    def label(self) -> str:
        """``postgis:<connection>:<table>`` or ``postgis:<connection>:query``."""
        return f"postgis:{self.connection_label}:{self.table or 'query'}"


@dataclass(frozen=True)
class Selector:
    """Which features of a layer to keep.

    Exactly one form is set: ``codes`` (values of the layer's code field),
    ``field`` + ``values``, or ``control_villages`` (with ``by`` and the
    district/town fields used for name matching).
    """

    codes: tuple[str, ...] | None = None
    field: str | None = None
    values: tuple[Any, ...] | None = None
    control_villages: bool = False
    by: str = "code"
    district_field: str | None = None
    town_field: str | None = None

    def describe(self) -> str:
        """A one-line description for reports."""
        if self.control_villages:
            return f"control villages of 沪环规〔2025〕1号 by {self.by}"
        if self.codes is not None:
            return f"{len(self.codes)} code(s)"
        return f"{self.field} in {len(self.values or ())} value(s)"


@dataclass(frozen=True)
class LayerEntry:
    """One ``[[layers]]`` entry; ``path`` is absolute (resolved against the manifest)."""

    kind: str
    path: Path
    layer: str | None = None
    id_field: str | None = None
    name_field: str | None = None
    code_field: str | None = None
    category_field: str | None = None
    crs: str | None = None
    encoding: str | None = None
    select: Selector | None = None
    provenance: Provenance = field(default_factory=Provenance)
    #: position in the manifest (0-based), for messages
    index: int = 0
    #: set when the layer comes from PostgreSQL/PostGIS (``path`` is then ``postgis:…``)
    postgis: PostgisSource | None = None

    @property
    def label(self) -> str:
        """``path`` plus ``layer``, as messages name it."""
        if self.postgis is not None:
            return self.postgis.label
        return f"{self.path.name}:{self.layer}" if self.layer else self.path.name


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest."""

    path: Path | None
    name: str
    description: str | None
    sample: bool
    layers: tuple[LayerEntry, ...]
    sha256: str | None = None
    #: kinds left out on purpose → the reason given
    missing: dict[str, str] = field(default_factory=dict)
    #: False in a manifest written by ``shgeo layers init`` until the user confirms its proposals;
    #: None when the key is absent
    confirmed: bool | None = None

    @property
    def kinds(self) -> list[str]:
        """Kinds named by the layers, in manifest order, without repeats."""
        return list(dict.fromkeys(e.kind for e in self.layers))

    @property
    def unaccounted(self) -> list[str]:
        """Statutory kinds neither given by a layer nor listed in ``missing``."""
        return [k for k in STATUTORY if k not in self.kinds and k not in self.missing]


def read_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest TOML file; paths inside it are resolved against its directory."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("manifest file not found", path=path,
                            hint="check the path given to --manifest / load_library()") from None
    except OSError as exc:
        raise ManifestError(f"cannot read the manifest ({exc.strerror or exc})", path=path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestError(f"the manifest is not UTF-8 ({exc.reason})", path=path,
                            hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"not valid TOML ({exc})", path=path) from None
    return parse_manifest(data, base_dir=path.parent, path=path, sha256=hashlib.sha256(raw).hexdigest())


def parse_manifest(data: dict[str, Any], *, base_dir: str | Path, path: str | Path | None = None,
                   sha256: str | None = None) -> Manifest:
    """Validate a manifest already parsed from TOML (a dict); see :func:`read_manifest`."""
    where = Path(path) if path is not None else None
    base = Path(base_dir)
    _check_keys(data, _TOP_KEYS, "", where)
    head = data.get("manifest", {})
    if not isinstance(head, dict):
        raise ManifestError("must be a table", path=where, key="manifest")
    _check_keys(head, _MANIFEST_KEYS, "manifest.", where)
    name = _opt_str(head, "name", "manifest.", where) or (where.stem if where else "manifest")
    description = _opt_str(head, "description", "manifest.", where)
    sample = _opt_bool(head, "sample", "manifest.", where, default=False)
    confirmed = _opt_bool(head, "confirmed", "manifest.", where, default=None) if "confirmed" in head else None
    layers_raw = data.get("layers")
    if not isinstance(layers_raw, list) or not layers_raw:
        raise ManifestError("the manifest names no layers", path=where, key="layers",
                            hint="add at least one [[layers]] table with kind and path")
    layers = tuple(_parse_layer(item, i, base, where, sample) for i, item in enumerate(layers_raw))
    missing = _parse_missing(head, {e.kind for e in layers}, where)
    return Manifest(path=where, name=name, description=description, sample=sample, layers=layers,
                    sha256=sha256, missing=missing, confirmed=confirmed)


# --------------------------------------------------------------------------- helpers


def _check_keys(table: dict[str, Any], valid: tuple[str, ...], prefix: str, where: Path | None) -> None:
    unknown = [k for k in table if k not in valid]
    if unknown:
        raise ManifestError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)}",
            path=where, key=f"{prefix}{unknown[0]}",
            hint=f"valid keys{' in ' + prefix.rstrip('.') if prefix else ''}: {', '.join(valid)}")


def _opt_str(table: dict[str, Any], key: str, prefix: str, where: Path | None) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, dt.date):  # TOML dates (edition = 2025-04-10) are fine as text
        return value.isoformat()
    if not isinstance(value, str):
        raise ManifestError(f"must be a string, got {type(value).__name__} {value!r}", path=where,
                            key=f"{prefix}{key}")
    value = value.strip()
    return value or None


def _opt_bool(table: dict[str, Any], key: str, prefix: str, where: Path | None, *, default: Any) -> Any:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ManifestError(f"must be true or false, got {value!r}", path=where, key=f"{prefix}{key}")
    return value


def _parse_layer(item: Any, index: int, base: Path, where: Path | None, sample_default: bool) -> LayerEntry:
    prefix = f"layers[{index}]."
    if not isinstance(item, dict):
        raise ManifestError("must be a table ([[layers]])", path=where, key=f"layers[{index}]")
    _check_keys(item, _LAYER_KEYS, prefix, where)
    kind = item.get("kind")
    if kind is None:
        raise ManifestError("missing kind", path=where, key=f"{prefix}kind",
                            hint=f"valid kinds: {', '.join(KINDS)}")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ManifestError(f"unknown kind {kind!r}", path=where, key=f"{prefix}kind",
                            hint=f"valid kinds: {', '.join(KINDS)}")
    raw_path = _opt_str(item, "path", prefix, where)
    postgis = _parse_postgis(item.get("postgis"), f"{prefix}postgis", where)
    if postgis is not None:
        if raw_path is not None or "layer" in item or "encoding" in item:
            raise ManifestError("a postgis layer has no path, layer or encoding", path=where,
                                key=f"{prefix}postgis", hint="give either path (a file) or postgis (a database)")
        path, layer = Path(postgis.label), None
    elif raw_path is None:
        raise ManifestError("missing path", path=where, key=f"{prefix}path",
                            hint="give the layer's file, relative to the manifest, or postgis = {...}")
    else:
        path, layer = _resolve_path(raw_path, base, _opt_str(item, "layer", prefix, where), f"{prefix}path",
                                    where)
    crs = _opt_str(item, "crs", prefix, where)
    if crs is not None:
        try:
            parse_crs(crs, path=where)
        except CRSError as exc:
            raise ManifestError(exc.reason, path=where, key=f"{prefix}crs", hint=exc.hint) from None
    encoding = _opt_str(item, "encoding", prefix, where)
    name_field = _opt_str(item, "name_field", prefix, where)
    code_field = _opt_str(item, "code_field", prefix, where)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ManifestError(f"unknown encoding {encoding!r}", path=where, key=f"{prefix}encoding",
                                hint="use a Python codec name such as 'GBK', 'GB18030', 'UTF-8'") from None
    return LayerEntry(
        kind=kind,
        path=path,
        layer=layer,
        id_field=_opt_str(item, "id_field", prefix, where),
        name_field=name_field,
        code_field=code_field,
        category_field=_opt_str(item, "category_field", prefix, where),
        crs=crs,
        encoding=encoding,
        select=_parse_select(item.get("select"), prefix + "select", where, kind, code_field, name_field),
        provenance=_parse_provenance(item.get("provenance"), prefix + "provenance", where, sample_default),
        index=index,
        postgis=postgis,
    )


def _parse_missing(head: dict[str, Any], given: set[str], where: Path | None) -> dict[str, str]:
    """``missing = ["kind", …]`` with ``missing_reason``, or ``[{kind = …, reason = …}, …]``."""
    raw = head.get("missing")
    default_reason = _opt_str(head, "missing_reason", "manifest.", where)
    if raw is None:
        if default_reason is not None:
            raise ManifestError("missing_reason without missing", path=where, key="manifest.missing_reason",
                                hint='list the kinds left out: missing = ["island", …]')
        return {}
    if not isinstance(raw, list):
        raise ManifestError("must be a list of kinds", path=where, key="manifest.missing",
                            hint='missing = ["island"] with missing_reason = "…", or '
                                 'missing = [{kind = "island", reason = "…"}]')
    out: dict[str, str] = {}
    for i, item in enumerate(raw):
        key = f"manifest.missing[{i}]"
        if isinstance(item, dict):
            _check_keys(item, ("kind", "reason"), key + ".", where)
            kind, reason = item.get("kind"), _opt_str(item, "reason", key + ".", where) or default_reason
        else:
            kind, reason = item, default_reason
        if not isinstance(kind, str) or kind not in KINDS:
            raise ManifestError(f"unknown kind {kind!r}", path=where, key=key, hint=f"valid kinds: {', '.join(KINDS)}")
        if kind in given:
            raise ManifestError(f"{kind} is listed as missing but a [[layers]] entry gives it", path=where, key=key,
                                hint="remove it from missing, or remove the layer")
        if reason is None:
            raise ManifestError(f"no reason given for leaving out {kind}", path=where, key=key,
                                hint='say why with missing_reason = "…" or {kind = "…", reason = "…"}: '
                                     "a missing kind is a decision, and every report shows it")
        out[kind] = reason
    return out


def _parse_postgis(value: Any, key: str, where: Path | None) -> PostgisSource | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ManifestError("must be a table, e.g. postgis = { env = 'SHGEO_PG', table = 'public.redline' }",
                            path=where, key=key)
    _check_keys(value, _POSTGIS_KEYS, key + ".", where)
    src = {k: _opt_str(value, k, key + ".", where) for k in _POSTGIS_KEYS}
    if (src["env"] is None) == (src["service"] is None):
        raise ManifestError("give exactly one of env (an environment variable holding a libpq connection string) "
                            "or service (a pg_service.conf entry)", path=where, key=key,
                            hint="the manifest never holds the connection string itself or a password")
    if src["env"] is not None and not _ENV_NAME.match(src["env"]):
        raise ManifestError(f"not an environment variable name: {src['env']!r}", path=where, key=f"{key}.env",
                            hint="name the variable (e.g. 'SHGEO_PG'); its value holds the connection string")
    if src["service"] is not None and not _SERVICE_NAME.match(src["service"]):
        raise ManifestError(f"not a pg_service name: {src['service']!r}", path=where, key=f"{key}.service",
                            hint="give the name of a [section] of pg_service.conf, never a connection string "
                                 "or a password")
    if (src["table"] is None) == (src["query"] is None):
        raise ManifestError("give exactly one of table or query", path=where, key=key)
    if src["table"] is not None and not _TABLE_NAME.match(src["table"]):
        raise ManifestError(f"not a table name: {src['table']!r}", path=where, key=f"{key}.table",
                            hint="give schema.table (letters, digits, _), or use query = 'SELECT …'")
    return PostgisSource(**src)


def _resolve_path(raw: str, base: Path, layer: str | None, key: str,
                  where: Path | None) -> tuple[Path, str | None]:
    """Resolve *raw* against the manifest's directory; ``zip://a.zip!m.shp`` becomes (a.zip, "m.shp")."""
    if raw.startswith("/vsi"):
        raise ManifestError(f"GDAL virtual paths are not accepted here ({raw!r})", path=where, key=key,
                            hint="give the file (e.g. 'layers.zip') and the member as layer = 'dir/name.shp'")
    if raw.startswith("zip://"):
        archive, _, member = raw[len("zip://"):].partition("!")
        member = member.strip("/")
        if member and layer and layer != member:
            raise ManifestError(f"path names member {member!r} but layer = {layer!r}", path=where, key=key,
                                hint="give the member once, as layer = '...' with path = the .zip")
        raw, layer = archive, (member or layer)
    p = Path(raw).expanduser()
    return (p if p.is_absolute() else base / p), layer


def _parse_provenance(value: Any, key: str, where: Path | None, sample_default: bool) -> Provenance:
    if value is None:
        return Provenance(sample=sample_default)
    if not isinstance(value, dict):
        raise ManifestError("must be a table ([layers.provenance])", path=where, key=key)
    _check_keys(value, _PROVENANCE_KEYS, key + ".", where)
    edition = value.get("edition")
    if edition is not None and not isinstance(edition, (str, dt.date)):
        raise ManifestError(f"must be a date (2025-04-10) or a string, got {edition!r}", path=where,
                            key=f"{key}.edition")
    return Provenance(
        source=_opt_str(value, "source", key + ".", where),
        edition=_opt_str(value, "edition", key + ".", where),
        licence=_opt_str(value, "licence", key + ".", where),
        sample=_opt_bool(value, "sample", key + ".", where, default=sample_default),
        notes=_opt_str(value, "notes", key + ".", where),
        official=_opt_bool(value, "official", key + ".", where, default=False),
    )


def _parse_select(value: Any, key: str, where: Path | None, kind: str, code_field: str | None,
                  name_field: str | None) -> Selector | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ManifestError("must be a table, e.g. select = { codes = [...] }", path=where, key=key)
    _check_keys(value, _SELECT_FORMS, key + ".", where)
    forms = [f for f in ("codes", "field", "control_villages") if f in value]
    if len(forms) != 1:
        raise ManifestError(
            "give exactly one of codes = [...], field = ... with values = [...], or control_villages = true",
            path=where, key=key)
    form = forms[0]
    extra_ok = {"codes": set(), "field": {"values"},
                "control_villages": {"by", "district_field", "town_field"}}[form]
    stray = [k for k in value if k != form and k not in extra_ok]
    if stray:
        raise ManifestError(f"{', '.join(stray)} cannot be used with {form}", path=where, key=f"{key}.{stray[0]}",
                            hint=f"with {form} the valid keys are: {', '.join([form, *sorted(extra_ok)])}")
    if form == "codes":
        codes = value["codes"]
        if not isinstance(codes, list) or not codes or not all(isinstance(c, (str, int)) for c in codes):
            raise ManifestError("must be a non-empty list of codes (strings)", path=where, key=f"{key}.codes")
        if code_field is None:
            raise ManifestError("select by codes needs code_field", path=where, key=f"{key}.codes",
                                hint="name the field holding the codes with code_field = '...'")
        return Selector(codes=tuple(str(c).strip() for c in codes))
    if form == "field":
        field_name = value["field"]
        values = value.get("values")
        if not isinstance(field_name, str) or not field_name:
            raise ManifestError("must be a field name", path=where, key=f"{key}.field")
        if (not isinstance(values, list) or not values
                or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values)):
            raise ManifestError("must be a non-empty list of strings or numbers", path=where, key=f"{key}.values",
                                hint="select = { field = 'X', values = ['a', 'b'] }")
        return Selector(field=field_name, values=tuple(values))
    if value["control_villages"] is not True:
        raise ManifestError("must be true", path=where, key=f"{key}.control_villages")
    if kind != "groundwater_village":
        raise ManifestError(f"control_villages selects villages; this layer is kind {kind!r}", path=where,
                            key=f"{key}.control_villages", hint="use it on a groundwater_village layer")
    by = value.get("by", "code")
    if by not in _SELECT_BY:
        raise ManifestError(f"unknown value {by!r}", path=where, key=f"{key}.by",
                            hint=f"valid values: {', '.join(_SELECT_BY)}")
    if by == "code" and code_field is None:
        raise ManifestError("selecting control villages by code needs code_field", path=where, key=f"{key}.by",
                            hint="name the field holding 12-digit village codes with code_field = '...'")
    if by == "name" and name_field is None:
        raise ManifestError("selecting control villages by name needs name_field", path=where, key=f"{key}.by",
                            hint="name the village-name field with name_field = '...', and give "
                            "district_field and town_field (village names repeat)")
    for k in ("district_field", "town_field"):
        if k in value and not isinstance(value[k], str):
            raise ManifestError("must be a field name", path=where, key=f"{key}.{k}")
    return Selector(control_villages=True, by=by, district_field=value.get("district_field"),
                    town_field=value.get("town_field"))
