"""report.json: what one screened project's report holds (a JSON-ready dict).

Keys: ``project_id``, ``name``, ``source``, ``input`` (where the footprint came
from: ``path``, ``format``, ``crs``, ``crs_basis``, ``encoding``, ``parcels``,
``notes``), ``sample_data``, ``as_of``,
``shgeo_version``, ``facts`` (the decision interface's ``spatial`` block plus
``details``), ``project`` (the attributes sent to the rules), ``overlaps`` (one
entry per hit: ``kind``, ``name``, ``code``, ``area_m2``, ``length_m``,
``share``, ``distance_m`` …), ``findings`` and ``overall`` (the decision
interface's answer), ``layers`` (``kind``, ``path``, ``sha256``, ``edition``,
``sample``, ``official``, ``plausibility`` …), ``manifest`` (``path``,
``sha256``, ``missing``: the statutory kinds the library lacks, with the
manifest's reason and what they leave open), ``avoidance`` (when asked),
``fingerprint``.
The folder it is written into: :mod:`shgeo.outputs.writer`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import pandas as pd

from .._version import __version__
from ..library.kinds import KINDS
from ..records import HitRows, HitTable
from .folder import safe_name

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord, ScreenRecord

__all__ = ["build_report", "report_context", "report_json", "existing_report", "json_number", "json_text", "OVERLAP_KEYS"]

#: Keys of each entry of report.json's ``overlaps``.
OVERLAP_KEYS: Final = ("kind", "feature_id", "name", "code", "category", "relation", "area_m2", "length_m", "share",
                       "distance_m", "flags")


def json_number(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, digits)


def json_text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _json_default(value: Any) -> Any:
    """json.dumps' fallback in :func:`_jsonable`: what the C encoder does not know, made plain (no NaN check:
    a NaN it returns makes the encoder refuse, and :func:`_plain` takes over)."""
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _jsonable(value: Any) -> Any:
    """Make numpy/pandas scalars, sets and paths JSON-ready (recursively); NaN and infinities become None.

    The C encoder does it in one pass (the common case: plain text, numbers, lists and dicts with text
    keys); anything it refuses (NaN, keys that are not text, unknown types) goes the slow way."""
    kind = type(value)
    if kind is dict or kind is list:
        try:
            if all(type(k) is str for k in (value if kind is dict else ())):
                return json.loads(json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False))
        except (TypeError, ValueError):
            pass
    return _plain(value)


def _plain(value: Any) -> Any:
    """:func:`_jsonable`, value by value."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if kind is float:
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        try:
            item = value.item()
        except (ValueError, TypeError):
            pass
        else:
            return item if item is value else _plain(item)  # a numpy NaN or infinity is one too
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


_KIND_ZH: Final = {k: spec.label_zh for k, spec in KINDS.items()}


def _overlap_entries(project: ProjectRecord) -> list[dict[str, Any]]:
    rows = project.hit_rows
    if rows is None:
        hits = project.overlaps
        if hits is None or len(hits) == 0:
            return []
        rows = HitRows(HitTable(hits), 0, len(hits))
    if len(rows) == 0:
        return []
    cols = {c: rows.column(c) for c in ("kind", "feature_id", "name", "code", "category", "relation", "area_m2",
                                        "length_m", "share", "distance_m", "flags")}
    entries = []
    for i in range(len(rows)):
        kind = cols["kind"][i]
        entries.append({
            "kind": kind,
            "kind_zh": _KIND_ZH.get(kind) if isinstance(kind, str) else None,
            "feature_id": json_text(cols["feature_id"][i]),
            "name": json_text(cols["name"][i]),
            "code": json_text(cols["code"][i]),
            "category": json_text(cols["category"][i]),
            "relation": cols["relation"][i],
            "area_m2": json_number(cols["area_m2"][i], 2),
            "length_m": json_number(cols["length_m"][i], 2),
            "share": json_number(cols["share"][i], 6),
            "distance_m": json_number(cols["distance_m"][i], 2),
            "flags": [f for f in (json_text(cols["flags"][i]) or "").split(";") if f],
        })
    return entries


def _main_digest(source: Any) -> str | None:
    """SHA-256 (hex) of the file at the layer's ``path``; for a single digest, that one."""
    digests = source.sha256
    if not isinstance(digests, dict):
        return digests
    name = Path(str(source.path)).name
    if name in digests:
        return digests[name]
    return next(iter(digests.values()), None) if len(digests) == 1 else None


def _layer_entries(library: Any) -> list[dict[str, Any]]:
    """``layers`` of report.json: ``sha256`` is the hex digest of ``path``; ``sha256_files``
    has every file read for the layer (shapefile sidecars, …)."""
    return [{
        "kind": s.kind,
        "path": str(s.path),
        "layer": getattr(s, "layer", None),
        "sha256": _main_digest(s),
        "sha256_files": dict(s.sha256) if isinstance(s.sha256, dict) else {Path(str(s.path)).name: s.sha256},
        "edition": json_text(getattr(s, "edition", None)),
        "sample": bool(getattr(s, "sample", False)),
        "source": json_text(getattr(s, "source", None)),
        "licence": json_text(getattr(s, "licence", None)),
        "feature_count": getattr(s, "feature_count", None),
        "official": bool(getattr(s, "official", False)),
        "plausibility": [d.to_dict() for d in getattr(s, "plausibility", [])],
    } for s in getattr(library, "sources", [])]


def report_context(result: ScreenRecord) -> dict[str, Any]:
    """What every report of *result* shares (layers, manifest, date), built once per run."""
    library = result.library
    return {
        "sample_data": result.sample_data,
        "as_of": result.as_of.isoformat(),
        "layers": _jsonable(_layer_entries(library)),
        "manifest": {"path": json_text(getattr(library, "manifest_path", None)),
                     "sha256": getattr(library, "manifest_sha256", None),
                     "missing": _jsonable(list(getattr(library, "missing", [])))},
        "avoidance": bool(result.avoidance),
    }


def build_report(project: ProjectRecord, result: ScreenRecord, context: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """The report.json content of one screened project (JSON-ready dict).

    *context*: :func:`report_context` of *result* (built here when not given).
    """
    ctx = context if context is not None else report_context(result)
    report: dict[str, Any] = {
        "project_id": project.project_id,
        "name": project.name,
        "source": project.source,
        "input": _jsonable(project.input) if project.input is not None else None,
        "sample_data": ctx["sample_data"],
        "as_of": ctx["as_of"],
        "shgeo_version": __version__,
        "overall": project.overall,
        "facts": _jsonable(project.facts),
        "project": _jsonable(project.attributes),
        "overlaps": _overlap_entries(project),
        "findings": _jsonable(project.findings),
        "layers": ctx["layers"],  # one list shared by the reports of a run
        "manifest": dict(ctx["manifest"]),
        "fingerprint": project.fingerprint,
    }
    if ctx["avoidance"]:
        report["avoidance"] = _jsonable(project.avoidance)
    return report


#: report.json keys whose value is one object shared by the reports of a run
_RUN_KEYS: Final = ("layers", "manifest")


def report_json(report: dict[str, Any], *, shared: dict[int, Any] | None = None) -> str:
    """The text of report.json: one top-level key per line (values compact, UTF-8 text unescaped).

    *shared*: a dict kept by the caller across the reports of one run (treated as values, not changed in
    between): the layer list, the same object in each, is then serialised once."""
    lines = []
    for k, v in report.items():
        if shared is not None and k in _RUN_KEYS:
            hit = shared.get(id(v))
            if hit is None or hit[0] is not v:  # the value is kept with its text: its id cannot be another's
                if len(shared) >= 16:
                    shared.clear()
                hit = shared[id(v)] = (v, json.dumps(v, ensure_ascii=False))
            text = hit[1]
        else:
            text = json.dumps(v, ensure_ascii=False)
        lines.append(f"  {json.dumps(str(k), ensure_ascii=False)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def existing_report(out: Path, project: ProjectRecord, folder: str | None = None) -> dict[str, Any] | None:
    """The report.json an earlier run wrote for *project* into *out*, or None."""
    from_name = folder or safe_name(project.project_id)
    path = out / from_name / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("project_id") == project.project_id else None
