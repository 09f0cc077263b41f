"""``shgeo screen``: screen project footprints and write reports, maps and a summary.

Exit codes: 0 every project screened; 1 some could not be (listed in
summary.csv with the reason); 2 bad usage, unreadable input, or an output
folder shgeo must not write into (not its own, or in use by another run).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path

import click

from ..errors import ShgeoError

__all__ = ["command"]

log = logging.getLogger(__name__)

DEFAULT_OUT = "shgeo-out"


def _check_out(out: Path, inputs: tuple[str, ...]) -> None:
    """Refuse an output folder inside (or equal to) an input folder: the next run would read it back.

    An output folder beside an input *file* is allowed; it carries a ``.shgeo-output`` marker, and a
    later run given the parent folder skips it (see :func:`shgeo.inputs.discovery.discover_inputs`).
    """
    target = out.resolve()
    for item in inputs:
        path = Path(item).resolve()
        if path.is_dir() and (target == path or path in target.parents):
            raise click.UsageError(
                f"--out {out} is inside the input folder {item}; the next run would read the outputs as "
                "footprints — choose an output folder outside the inputs (e.g. --out shgeo-out)")
        if target == path:
            raise click.UsageError(f"--out {out} is an input file")


@click.command("screen")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@click.option("--manifest", "-m", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Layer manifest (TOML). Default: the embedded sample pack (SAMPLE DATA).")
@click.option("--out", "-o", type=click.Path(file_okay=False), default=DEFAULT_OUT, show_default=True,
              help="Output folder (never inside an input folder).")
@click.option("--id-field", default=None, help="Field holding the project id (default: 项目编号/project_id/id, "
              "else the row number).")
@click.option("--attributes", "attributes", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV of project attributes joined on the project id (Chinese or English column names).")
@click.option("--layer", default=None, help="Layer to read from multi-layer inputs (GeoPackage, FileGDB, KML), the "
              "sheet of an XLSX, or the CAD layer(s) of a DXF (comma-separated).")
@click.option("--encoding", default=None, help="Text encoding of DBFs, CSV and txt (default: told from the bytes, "
              "UTF-8 or GBK).")
@click.option("--wkt-field", default=None, help="CSV column holding WKT geometry (default: wkt/geometry/geom/…).")
@click.option("--lon-field", default=None, help="CSV column holding longitude (default: lon/lng/longitude/x/经度).")
@click.option("--lat-field", default=None, help="CSV column holding latitude (default: lat/latitude/y/纬度).")
@click.option("--crs", default=None, help="CRS of inputs that declare none (EPSG:4490, EPSG:4549 …, or gcj02/bd09); "
              "zone-prefixed Gauss-Krüger eastings name their own zone.")
@click.option("--as-of", "as_of", default=None, help="Date the rules are applied at, YYYY-MM-DD (default today).")
@click.option("--per-file", is_flag=True, help="One project per file (its features dissolved), named by the file.")
@click.option("--per-parcel", "--per-feature", "per_parcel", is_flag=True,
              help="Split a 界址点 txt, DXF or coordinate table into a project per parcel (DXF: per closed shape); "
              "by default each such file is one project.")
@click.option("--tiles", default="none", show_default=True,
              help="Background tiles on the maps: none (offline), osm, or an http(s) URL template {z}/{x}/{y}.")
@click.option("--self-contained", "self_contained", is_flag=True,
              help="Inline Leaflet into every map.html (one file to mail) instead of linking <out>/_assets/.")
@click.option("--force", is_flag=True, help="Redo projects whose reports are up to date.")
@click.option("--avoidance", is_flag=True, help="Least-cost avoidance analysis for linear projects.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run on a local dask cluster of N worker processes (pip install \"shgeo[dask]\").")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on the dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786).")
def command(inputs: tuple[str, ...], manifest: str | None, out: str, id_field: str | None,
            attributes: str | None, layer: str | None, encoding: str | None, wkt_field: str | None,
            lon_field: str | None, lat_field: str | None, crs: str | None, as_of: str | None, per_file: bool,
            per_parcel: bool, tiles: str, self_contained: bool, force: bool, avoidance: bool,
            workers: int | None, scheduler: str | None) -> None:
    """Screen project footprints (files or folders: shp, zip, gpkg, geojson, kml/kmz, csv, 界址点 txt, dxf, xlsx).

    Writes <out>/<id>/report.json, report.html, map.html per project and
    summary.csv, summary.xlsx, summary.gpkg, index.html for the batch.
    """
    from ..cluster import connect, local_client
    from ..library.layers import load_library
    from ..outputs.display import check_tiles
    from ..outputs.folder import claim_output_folder
    from ..outputs.writer import save_outputs
    from ..screening import screen

    out_path = Path(out)
    _check_out(out_path, inputs)
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers starts a local cluster, --scheduler connects to one: give one of them")
    try:
        tiles_opt = check_tiles(tiles)
    except ShgeoError as exc:
        raise click.BadParameter(str(exc), param_hint="--tiles") from None
    root = click.get_current_context().find_root()
    progress = False if root.params.get("quiet") else None  # None: a bar on a terminal only
    logging.captureWarnings(True)  # library warnings (pyogrio, folium …) reach the user through logging
    try:
        with ExitStack() as stack:
            stack.enter_context(claim_output_folder(out_path))
            library = load_library(manifest)
            client = None
            if workers is not None:
                client = stack.enter_context(local_client(workers))
            elif scheduler is not None:
                client = stack.enter_context(connect(scheduler))
            result = screen(list(inputs), library, attributes, as_of=as_of, id_field=id_field, per_file=per_file,
                            crs=crs, layer=layer, encoding=encoding, wkt_field=wkt_field, lon_field=lon_field,
                            lat_field=lat_field, avoidance=avoidance, reuse_from=None if force else out_path,
                            per_parcel=per_parcel, progress=progress, client=client)
            if result.sample_data:
                click.echo("SAMPLE DATA — not for official screening (样例数据——不得用于正式审查)", err=True)
            saved = save_outputs(result, out_path, tiles=tiles_opt, force=force, progress=progress,
                                 self_contained=self_contained, client=client, lock=False)
    except (ShgeoError, OSError) as exc:
        click.echo(f"shgeo: error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    n = len(result.projects)
    click.echo(f"screened {n - len(saved.failed)} of {n} project(s): {len(saved.written)} written, "
               f"{len(saved.reused)} unchanged", err=True)
    for pid, reason in saved.failed.items():
        click.echo(f"  not screened: {pid}: {reason}", err=True)
    click.echo(f"index: {saved.index.resolve()}")
    if saved.failed:
        raise click.exceptions.Exit(1)
