"""What a project's outputs depend on, as one SHA-256: re-runs skip projects whose fingerprint is unchanged."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from ._version import __version__

__all__ = ["layer_fingerprint", "project_fingerprint", "run_fingerprint", "geometry_keys"]


def layer_fingerprint(library: Any) -> list[Any]:
    """The manifest checksum and (kind, SHA-256, edition) of every layer of *library*."""
    return [getattr(library, "manifest_sha256", None)] + [
        [s.kind, s.sha256, getattr(s, "edition", None)] for s in getattr(library, "sources", [])]


def run_fingerprint(layers: list[Any], as_of: _dt.date, avoidance: bool,
                    options: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of what every project of a run shares: layers, date, options, avoidance, version."""
    doc = {"layers": layers, "as_of": as_of.isoformat(), "avoidance": avoidance, "options": dict(options or {}),
           "shgeo": __version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def geometry_keys(geometries: Sequence[shapely.Geometry]) -> list[str]:
    """Normalised WKB (hex) of each geometry: equal for the same shape however its rings start or turn."""
    geoms = np.asarray(geometries, dtype=object)
    return shapely.to_wkb(shapely.normalize(geoms), hex=True).tolist() if len(geoms) else []


def project_fingerprint(geometry: shapely.Geometry | str, pid: str, name: str | None, attrs: dict[str, Any],
                        run: str, repair: str | None = None) -> str:
    """SHA-256 of what a project's outputs depend on: geometry (or its :func:`geometry_keys` text), id,
    name, attributes, geometry repair, and the run's :func:`run_fingerprint`."""
    key = geometry if isinstance(geometry, str) else geometry_keys([geometry])[0]
    doc = {"run": run, "repair": repair, "id": pid, "name": name, "geometry": key, "attributes": attrs}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
