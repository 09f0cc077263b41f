"""The public results of :func:`shgeo.screen`: the records, with maps and saving.

:class:`ProjectResult` and :class:`ScreenResult` are the records of
:mod:`shgeo.records` plus what a notebook wants from them: ``.map()`` (folium,
inline in Jupyter), ``.summary`` (pandas) and ``.save(out)`` (the same outputs
as the CLI).  They call the output stage (:mod:`shgeo.outputs`); the output
stage renders records and never imports this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .records import ProjectRecord, ScreenRecord

if TYPE_CHECKING:  # pragma: no cover
    import folium

__all__ = ["ProjectResult", "ScreenResult"]


class ProjectResult(ProjectRecord):
    """One project's screening: facts, overlaps, findings; or why it could not be screened.

    ``report`` (the report.json content) is built when first read.
    """

    _report: dict[str, Any] | None = None
    #: (the run, its report context) once :meth:`ScreenResult.bind_reports` ran
    _run: tuple[Any, dict[str, Any]] | None = None

    @property  # type: ignore[override]
    def report(self) -> dict[str, Any] | None:
        """The report.json content (a JSON-ready dict; None if the project was not screened)."""
        if self._report is None and self.ok and self._run is not None:
            from .outputs.report import build_report

            self._report = build_report(self, self._run[0], self._run[1])
        return self._report

    @report.setter
    def report(self, value: dict[str, Any] | None) -> None:
        self._report = value

    def map(self, *, tiles: str | None = None) -> folium.Map:
        """A folium map of the footprint, its overlaps and the layers around it (EPSG:4326 for display)."""
        from .errors import ShgeoError
        from .outputs.maps import project_map

        if self.footprint is None:
            raise ShgeoError(f"project {self.project_id!r} was not screened: {self.error}")
        return project_map(self, self.library, tiles=tiles)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.map()._repr_html_()


class ScreenResult(ScreenRecord):
    """All projects of one screening run, in input order."""

    def bind_reports(self) -> None:
        """Let each screened project build its report.json content from this run when first asked."""
        from .outputs.report import report_context

        context = report_context(self)
        for project in self.projects:
            if isinstance(project, ProjectResult):
                project._run = (self, context)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per project: outcome, level, domain, the spatial facts, reason if not screened."""
        from .outputs.summary import summary_rows

        return pd.DataFrame(summary_rows(self))

    def map(self, project_id: str | None = None, *, tiles: str | None = None) -> folium.Map:
        """A folium map of one project, or of all screened projects when *project_id* is None."""
        from .outputs.maps import batch_map

        if project_id is not None:
            return self[project_id].map(tiles=tiles)
        return batch_map(self, tiles=tiles)

    def save(self, out: str | Path, *, tiles: str | None = None, force: bool = False,
             self_contained: bool = False, progress: bool | None = None, client: Any = None) -> Path:
        """Write every report, map, ``summary.csv``/``.xlsx``/``.gpkg`` and ``index.html`` into *out*.

        Projects whose report.json carries the same fingerprint are not rewritten
        unless *force*.  *self_contained*: Leaflet inlined into every map.html.
        *client*: a dask client whose workers render the pages.  Returns the path of ``index.html``.
        """
        from .outputs.writer import save_outputs

        return save_outputs(self, Path(out), tiles=tiles, force=force, self_contained=self_contained,
                            progress=progress, client=client).index

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary.to_html()
