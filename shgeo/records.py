"""What a screening produced, per project and per run: the records every output renders.

:class:`ProjectRecord` and :class:`ScreenRecord` hold data and views of it
(JSON, tables, GeoDataFrames); they import nothing from the output stage.
The public :class:`shgeo.ProjectResult` and :class:`shgeo.ScreenResult`
(:mod:`shgeo.results`) add maps and saving on top.

A record keeps its footprint as a shapely geometry and its overlaps as rows of
the run's hit table; the one-row ``footprint`` GeoDataFrame and the
``overlaps`` GeoDataFrame are built when first asked for (a batch of ten
thousand projects does not pay for twenty thousand small frames it never
reads).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._version import __version__
from .crs import WORKING_CRS
from .errors import ShgeoError

__all__ = ["ProjectRecord", "ScreenRecord", "HitTable", "HitRows"]


class HitTable:
    """A run's hit table (GeoDataFrame, WORKING_CRS, rows grouped by footprint) shared by many projects.

    Columns are turned into Python lists once, on first use, so that reading
    one project's rows costs a slice, not a pandas lookup.
    """

    def __init__(self, frame: gpd.GeoDataFrame) -> None:
        self.frame = frame
        self._lists: dict[str, list[Any]] = {}

    def __len__(self) -> int:
        return len(self.frame)

    def __getstate__(self) -> dict[str, Any]:
        return {"frame": self.frame, "_lists": {}}

    def column(self, name: str) -> list[Any] | None:
        """Column *name* as a list (None if the table has no such column)."""
        if name not in self._lists:
            if name not in self.frame.columns:
                return None
            self._lists[name] = self.frame[name].tolist()
        return self._lists[name]


@dataclass(frozen=True)
class HitRows:
    """Rows ``start:stop`` of a run's :class:`HitTable`: one project's overlaps and near misses."""

    table: HitTable
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def column(self, name: str) -> list[Any]:
        """The values of column *name* for these rows (Nones if the table has no such column)."""
        values = self.table.column(name)
        return [None] * len(self) if values is None else values[self.start:self.stop]

    def frame(self) -> gpd.GeoDataFrame:
        """These rows as their own GeoDataFrame (index 0…n-1)."""
        return self.table.frame.iloc[self.start:self.stop].reset_index(drop=True)


@dataclass(eq=False)
class ProjectRecord:
    """One project's screening: facts, overlaps, findings; or why it could not be screened."""

    project_id: str
    name: str | None = None
    source: str | None = None
    #: the footprint in WORKING_CRS (None if the file could not be read); see also :attr:`footprint`
    geometry: shapely.Geometry | None = field(default=None, repr=False)
    #: the ``project`` block sent to the rules (declared attributes only)
    attributes: dict[str, Any] = field(default_factory=dict)
    #: the ``spatial`` block plus ``details``
    facts: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the overlap rows of this project in the run's hit table (see :attr:`overlaps`)
    hit_rows: HitRows | None = field(default=None, repr=False)
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
    #: ``layer``, ``parcels`` (of this project), ``unread_fields``, ``notes`` (report.json's ``input`` block)
    input: dict[str, Any] = field(default_factory=dict, repr=False)
    #: what was repaired in the footprint's geometry when it was read (None: nothing)
    repair: str | None = field(default=None, repr=False)
    _footprint: gpd.GeoDataFrame | None = field(default=None, init=False, repr=False)
    _overlaps: gpd.GeoDataFrame | None = field(default=None, init=False, repr=False)

    @property
    def ok(self) -> bool:
        """True if the project was screened."""
        return self.error is None

    @property
    def footprint(self) -> gpd.GeoDataFrame | None:
        """The footprint as a one-row GeoDataFrame (``footprint_id``, ``geometry``; WORKING_CRS), or None."""
        if self.geometry is None:
            return None
        if self._footprint is None:
            self._footprint = gpd.GeoDataFrame({"footprint_id": [self.project_id]},
                                               geometry=gpd.GeoSeries([self.geometry], crs=WORKING_CRS))
        return self._footprint

    @footprint.setter
    def footprint(self, frame: gpd.GeoDataFrame | None) -> None:
        self.geometry = None if frame is None else frame.to_crs(WORKING_CRS).geometry.iloc[0]
        self._footprint = None

    @property
    def overlaps(self) -> gpd.GeoDataFrame | None:
        """Overlap pieces and near misses (GeoDataFrame, WORKING_CRS; ``geometry`` None for near misses)."""
        if self._overlaps is None and self.hit_rows is not None:
            self._overlaps = self.hit_rows.frame()
        return self._overlaps

    @overlaps.setter
    def overlaps(self, frame: gpd.GeoDataFrame | None) -> None:
        self._overlaps = frame
        self.hit_rows = None if frame is None else HitRows(HitTable(frame), 0, len(frame))

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
        frames = []
        tables: dict[int, tuple[HitTable, list[tuple[int, int, str]]]] = {}
        for p in self.projects:
            rows = p.hit_rows
            if rows is None or len(rows) == 0:
                continue
            tables.setdefault(id(rows.table), (rows.table, []))[1].append((rows.start, rows.stop, p.project_id))
        for table, spans in tables.values():
            spans.sort()
            index = np.concatenate([np.arange(a, b) for a, b, _ in spans])
            ids = np.concatenate([np.full(b - a, pid, dtype=object) for a, b, pid in spans])
            frames.append(table.frame.iloc[index].assign(project_id=ids))
        if not frames:
            return gpd.GeoDataFrame({"project_id": []}, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WORKING_CRS)

    @property
    def footprints(self) -> gpd.GeoDataFrame:
        """The screened footprints with ``project_id``, ``name`` and ``overall`` (WORKING_CRS)."""
        rows = [(p.project_id, p.name, p.overall, p.geometry) for p in self.projects if p.geometry is not None]
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
