"""The output stage: what a screening run writes and shows.

:mod:`.report` (report.json per project), :mod:`.summary` (summary.csv,
summary.gpkg), :mod:`.report_html` (the Chinese reports and index, Jinja2
templates in ``templates/``), :mod:`.maps` (offline folium maps, Leaflet in
``static/``), :mod:`.folder` (safe names, atomic writes) and :mod:`.writer`
(the whole output folder).  It renders the records of :mod:`shgeo.records`
and never imports the pipeline.
"""

from .writer import SaveResult, save_outputs

__all__ = ["save_outputs", "SaveResult"]
