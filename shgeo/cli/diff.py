"""``shgeo diff OLD_OUT NEW_OUT``: the projects whose outcome, level, clauses or occupied area changed.

Compares the ``report.json`` files of two ``shgeo screen`` output folders
(:mod:`shgeo.outputs.diff`), prints the changes as a table, and writes them
as CSV (``--csv``) and as an HTML page (``--html``).  Exit 0 (with or without
changes); 2 when a folder holds no reports.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ShgeoError
from ..outputs.diff import changes_csv, changes_table, compare_runs, layer_changes, read_run, render_diff_html
from ..outputs.folder import atomic_write

__all__ = ["command"]


class _DiffFailed(click.ClickException):
    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"shgeo diff: error: {self.message}", err=True)


@click.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the changes as CSV (UTF-8 with BOM).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the changes as an HTML page.")
def command(old: Path, new: Path, csv_path: Path | None, html_path: Path | None) -> None:
    """Compare two screening runs (shgeo screen --out folders) and list the projects whose overall,
    outcome, level, clauses or occupied area/length changed, and the layers whose edition changed."""
    try:
        before, after = read_run(old), read_run(new)
    except ShgeoError as exc:
        raise _DiffFailed(str(exc)) from None
    changes = compare_runs(before, after)
    table = changes_table(changes)
    for row in layer_changes(before, after):
        click.echo(f"layer {row['layer']}: {row['old']} → {row['new']}")
    if table.empty:
        click.echo(f"no project changed ({len(after.reports)} screened in {new})")
    else:
        click.echo(table.to_string(index=False))
        click.echo(f"{table['project_id'].nunique()} project(s) changed, {len(table)} change(s)")
    if csv_path is not None:
        atomic_write(csv_path, changes_csv(changes))
        click.echo(f"csv: {csv_path}")
    if html_path is not None:
        atomic_write(html_path, render_diff_html(changes, before, after).encode("utf-8"))
        click.echo(f"html: {html_path}")
