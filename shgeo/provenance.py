"""What a project's outputs depend on, as one SHA-256: re-runs skip projects whose fingerprint is unchanged."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import shapely

from ._version import __version__

__all__ = ["layer_fingerprint", "project_fingerprint"]


def layer_fingerprint(library: Any) -> list[Any]:
    """The manifest checksum and (kind, SHA-256, edition) of every layer of *library*."""
    return [getattr(library, "manifest_sha256", None)] + [
        [s.kind, s.sha256, getattr(s, "edition", None)] for s in getattr(library, "sources", [])]


def project_fingerprint(geometry: shapely.Geometry, pid: str, name: str | None, attrs: dict[str, Any],
                        layers: list[Any], as_of: _dt.date, avoidance: bool,
                        options: Mapping[str, Any] | None = None, repair: str | None = None) -> str:
    """SHA-256 of what a project's outputs depend on: geometry, id, name, attributes, layers, date,
    overlay and avoidance options, geometry repair, version."""
    doc = {
        "options": dict(options or {}),
        "repair": repair,
        "id": pid,
        "name": name,
        "geometry": shapely.to_wkb(shapely.normalize(geometry), hex=True),
        "attributes": attrs,
        "layers": layers,
        "as_of": as_of.isoformat(),
        "avoidance": avoidance,
        "shgeo": __version__,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
