"""What a screening produced, per project and per run: the records every output renders.

:class:`ProjectRecord` and :class:`ScreenRecord` hold data and views of it
(JSON, tables, GeoDataFrames); they import nothing from the output stage.
The public :class:`shgeo.ProjectResult` and :class:`shgeo.ScreenResult`
(:mod:`shgeo.results`) add maps and saving on top.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from ._version import __version__
from .crs import WORKING_CRS
from .errors import ShgeoError

__all__ = ["ProjectRecord", "ScreenRecord"]


@dataclass
class ProjectRecord:
    """One project's screening: facts, overlaps, findings; or why it could not be screened."""

    project_id: str
    name: str | None = None
    source: str | None = None
    #: one-row GeoDataFrame in WORKING_CRS (None if the file could not be read)
    footprint: gpd.GeoDataFrame | None = field(default=None, repr=False)
    #: the ``project`` block sent to the rules (declared attributes only)
    attributes: dict[str, Any] = field(default_factory=dict)
    #: the ``spatial`` block plus ``details``
    facts: dict[str, Any] = field(default_factory=dict, repr=False)
    #: overlap pieces and near misses (GeoDataFrame, WORKING_CRS; ``geometry`` None for near misses)
    overlaps: gpd.GeoDataFrame | None = field(default=None, repr=False)
    findings: list[dict[str, Any]] = field(default_factory=list, repr=False)
    overall: str | None = None
    #: ``AvoidanceResult.to_dict()`` when asked (lines only), else None
    avoidance: dict[str, Any] | None = field(default=None, repr=False)
    #: proposal and alternative routes (GeoDataFrame with ``role``) when avoidance ran
    routes: gpd.GeoDataFrame | None = field(default=None, repr=False)
    #: why the project could not be screened (None when it was)
    error: str | None = None
    #: hash of the inputs, attributes and layer checksums (re-runs skip unchanged projects)
    fingerprint: str | None = field(default=None, repr=False)
    #: the report.json content (built by :mod:`shgeo.outputs.report`)
    report: dict[str, Any] | None = field(default=None, repr=False)
    #: the layer library the project was screened against (maps draw its layers around the footprint)
    library: Any = field(default=None, repr=False)
    #: what the reader says about the project's file: ``path``, ``format``, ``crs``, ``crs_basis``, ``encoding``,
    #: ``layer``, ``parcels`` (of this project), ``unread_fields``, ``notes``
    input: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True if the project was screened."""
        return self.error is None

    @property
    def spatial(self) -> dict[str, Any]:
        """The ``spatial`` block of the decision interface (no ``details``)."""
        return {k: v for k, v in self.facts.items() if k != "details"}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report.json text of this project."""
        if self.report is None:
            raise ShgeoError(f"project {self.project_id!r} was not screened: {self.error}")
        return json.dumps(self.report, ensure_ascii=False, indent=indent)


@dataclass
class ScreenRecord:
    """All projects of one screening run, in input order."""

    projects: list[ProjectRecord]
    library: Any
    as_of: _dt.date
    avoidance: bool = False

    def __iter__(self) -> Iterator[ProjectRecord]:
        return iter(self.projects)

    def __repr__(self) -> str:
        ok = sum(p.ok for p in self.projects)
        sample = ", SAMPLE DATA" if self.sample_data else ""
        return f"<ScreenResult: {len(self.projects)} projects, {ok} screened, as_of {self.as_of}{sample}>"

    def __len__(self) -> int:
        return len(self.projects)

    def __getitem__(self, key: str | int) -> ProjectRecord:
        if isinstance(key, int):
            return self.projects[key]
        for project in self.projects:
            if project.project_id == key:
                return project
        raise KeyError(f"no project {key!r}; projects: {', '.join(p.project_id for p in self.projects[:20])}")

    @property
    def ids(self) -> list[str]:
        """Project ids in input order."""
        return [p.project_id for p in self.projects]

    @property
    def sample_data(self) -> bool:
        """True if the layers include sample data (reports carry the SAMPLE DATA banner)."""
        return bool(getattr(self.library, "is_sample", False))

    @property
    def overlaps(self) -> gpd.GeoDataFrame:
        """Every project's overlap pieces and near misses in one GeoDataFrame (WORKING_CRS)."""
        frames = [p.overlaps.assign(project_id=p.project_id) for p in self.projects
                  if p.overlaps is not None and len(p.overlaps)]
        if not frames:
            return gpd.GeoDataFrame({"project_id": []}, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WORKING_CRS)

    @property
    def footprints(self) -> gpd.GeoDataFrame:
        """The screened footprints with ``project_id``, ``name`` and ``overall`` (WORKING_CRS)."""
        rows = [(p.project_id, p.name, p.overall, p.footprint.geometry.iloc[0])
                for p in self.projects if p.footprint is not None]
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=["project_id", "name", "overall", "geometry"]),
                                geometry="geometry", crs=WORKING_CRS)

    def to_json(self, *, indent: int | None = 2) -> str:
        """All reports as one JSON document: ``{"as_of", "sample_data", "projects": [report…], "failed": […]}``."""
        doc = {
            "as_of": self.as_of.isoformat(),
            "sample_data": self.sample_data,
            "shgeo_version": __version__,
            "projects": [p.report for p in self.projects if p.ok],
            "failed": [{"project_id": p.project_id, "source": p.source, "reason": p.error}
                       for p in self.projects if not p.ok],
        }
        return json.dumps(doc, ensure_ascii=False, indent=indent)
