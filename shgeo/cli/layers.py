"""``shgeo layers``: load a layer manifest, check every layer, and list what was loaded.

Exit 0 when every layer loads; 2 (with one message naming the file and the
problem, no traceback) when the manifest or any layer fails.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ShgeoError
from ..library.layers import LayerLibrary, LayerSource, default_manifest_path, load_library

__all__ = ["command"]

SAMPLE_BANNER = "SAMPLE DATA — not for official screening"

_HEADERS = ("kind", "features", "CRS", "extent (lon/lat, EPSG:4490)", "edition", "sample", "sha256", "problems")


def _extent(src: LayerSource) -> str:
    if src.bounds_lonlat is None:
        return "—"
    w, s, e, n = src.bounds_lonlat
    return f"{w:.3f},{s:.3f} – {e:.3f},{n:.3f}"


def _row(src: LayerSource) -> tuple[str, ...]:
    return (src.kind, str(src.feature_count), src.source_crs or "—", _extent(src), src.edition or "—",
            "yes" if src.sample else "no", src.checksum[:12], str(len(src.problems)))


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {1, 7}
    out = []
    for n, r in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _report(lib: LayerLibrary, manifest: Path) -> None:
    if lib.is_sample:
        click.echo(f"*** {SAMPLE_BANNER} ***")
    click.echo(f"manifest: {manifest}" + (f"  (sha256 {lib.manifest_sha256[:12]})" if lib.manifest_sha256 else ""))
    click.echo(f"library:  {lib.name}; working CRS: {lib.crs.name}")
    click.echo("")
    for line in _table([_HEADERS, *(_row(s) for s in lib.sources)]):
        click.echo(line)
    click.echo("")
    for n, src in enumerate(lib.sources, 1):
        where = f"{src.path.name}" + (f" layer {src.layer}" if src.layer else "")
        click.echo(f"[{n}] {src.kind}: {where}" + (f" — select {src.selection}" if src.selection else ""))
        if src.source:
            click.echo(f"    source:  {src.source}")
        if src.licence:
            click.echo(f"    licence: {src.licence}")
        for name, digest in src.sha256.items():
            click.echo(f"    sha256:  {digest}  {name}")
        for text in src.problems:
            click.echo(f"    problem: {text}")
    if lib.is_sample:
        click.echo("")
        click.echo(f"*** {SAMPLE_BANNER} ***")
    click.echo(f"{len(lib.kinds)} kind(s), {len(lib.sources)} layer(s) loaded: {', '.join(lib.kinds)}")
    if lib.missing_statutory:
        click.echo(f"warning: no layer of kind {', '.join(lib.missing_statutory)}: screening against this "
                   "library cannot clear a project of them (those facts stay unknown: needs_information)",
                   err=True)


class _LoadFailed(click.ClickException):
    """A manifest or layer failed: one line on stderr, exit code 2 (also through ``shgeo.cli.main.main``)."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"shgeo layers: error: {self.message}", err=True)


@click.command(name="layers")
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Layer manifest (TOML). Default: the embedded sample pack.")
def command(manifest: Path | None) -> None:
    """Load the layers of a manifest, check them, and list kind, features, CRS, extent,
    edition, sample flag, checksum and problems of each."""
    path = manifest if manifest is not None else default_manifest_path()
    try:
        lib = load_library(manifest)
    except (ShgeoError, OSError) as exc:
        raise _LoadFailed(str(exc)) from None
    _report(lib, path)
