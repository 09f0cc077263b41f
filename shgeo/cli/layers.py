"""``shgeo layers``: check every layer of a manifest and list them; ``shgeo layers init FOLDER``: propose one.

``shgeo layers`` runs every check on every layer and reports all problems at
once; it exits 0 when the library would screen, 2 (the problems listed, no
traceback) when any layer would make a project fail later, the manifest
leaves a statutory kind unaccounted for, or it is a proposal not yet
confirmed.  ``shgeo layers init`` writes a commented manifest proposing a kind
and fields for every dataset of a folder (:mod:`shgeo.library.survey`).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ShgeoError
from ..library.kinds import STATUTORY
from ..library.layers import LayerSource, LibraryCheck, check_library, default_manifest_path
from ..library.survey import proposed_manifest, survey_folder

__all__ = ["command"]

SAMPLE_BANNER = "SAMPLE DATA — not for official screening"

#: a layer read from more files than this (a FileGDB) shows one combined digest
_SHOW_FILES = 6

_HEADERS = ("kind", "features", "CRS", "extent (lon/lat, EPSG:4490)", "edition", "sample", "official", "sha256",
            "problems", "status")


def _extent(src: LayerSource) -> str:
    if src.bounds_lonlat is None:
        return "—"
    w, s, e, n = src.bounds_lonlat
    return f"{w:.3f},{s:.3f} – {e:.3f},{n:.3f}"


def _row(src: LayerSource) -> tuple[str, ...]:
    return (src.kind, str(src.feature_count), src.source_crs or "—", _extent(src), src.edition or "—",
            "yes" if src.sample else "no", "yes" if src.official else "no",
            src.checksum[:12] if src.sha256 else "—", str(len(src.problems) + len(src.plausibility)),
            "FAILED" if src.failed or src.screening_errors else "ok")


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {1, 8}
    out = []
    for n, r in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _report(check: LibraryCheck, manifest: Path) -> None:
    lib = check.library
    if lib.is_sample:
        click.echo(f"*** {SAMPLE_BANNER} ***")
    click.echo(f"manifest: {manifest}" + (f"  (sha256 {lib.manifest_sha256[:12]})" if lib.manifest_sha256 else ""))
    click.echo(f"library:  {lib.name}; working CRS: {lib.crs.name}")
    click.echo("")
    if lib.sources:
        for line in _table([_HEADERS, *(_row(s) for s in lib.sources)]):
            click.echo(line)
        click.echo("")
    for n, src in enumerate(lib.sources, 1):
        where = f"{src.path.name}" + (f" layer {src.layer}" if src.layer else "")
        click.echo(f"[{n}] {src.kind}: {where}" + (f" — select {src.selection}" if src.selection else ""))
        if src.source:
            click.echo(f"    source:  {src.source}")
        click.echo(f"    licence: {src.licence or 'not stated in the manifest (provenance.licence)'}")
        if src.query:
            click.echo(f"    query:   {src.query}")
        if len(src.sha256) > _SHOW_FILES:  # a FileGDB: one digest over its files
            click.echo(f"    sha256:  {src.checksum}  ({len(src.sha256)} files, combined)")
        else:
            for name, digest in src.sha256.items():
                click.echo(f"    sha256:  {digest}  {name}")
        for error in src.errors:
            click.echo(f"    ERROR:   {error}")
        for error in src.screening_errors:
            click.echo(f"    ERROR:   {error} (the layer can be measured, but screening refuses it)")
        for text in src.problems:
            click.echo(f"    problem: {text}")
        for text in src.plausibility:
            click.echo(f"    differs from the published figure: {text}")
    missing = lib.missing
    if missing:
        click.echo("")
        click.echo("missing kinds (screening cannot answer what they decide; findings that need them ask):")
        for m in missing:
            click.echo(f"  - {m['kind']} ({m['label_zh']}): {m['reason']}")
            click.echo(f"      leaves open: {m['leaves_open']}")
    if lib.is_sample:
        click.echo("")
        click.echo(f"*** {SAMPLE_BANNER} ***")
    click.echo("")
    loaded = [k for k in lib.kinds]
    click.echo(f"{len(loaded)} kind(s), {sum(not s.failed for s in lib.sources)} layer(s) loaded: "
               f"{', '.join(loaded) or 'none'}")
    if lib.plausibility:
        click.echo(f"warning: {len(lib.plausibility)} measure(s) of official layers differ from the published "
                   "figures (listed above; every report made from this library repeats them)", err=True)


class _LoadFailed(click.ClickException):
    """A manifest or layer failed: the problems on stderr, exit code 2 (also through ``shgeo.cli.main.main``)."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"shgeo layers: error: {self.message}", err=True)


@click.group(name="layers", invoke_without_command=True)
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Layer manifest (TOML). Default: the embedded sample pack.")
@click.pass_context
def command(ctx: click.Context, manifest: Path | None) -> None:
    """Check every layer of a manifest (all problems at once) and list kind, features, CRS, extent,
    edition, sample and official flags, checksum, licence, problems and missing kinds.

    Exit 2 when any layer would make screening fail; `shgeo layers init FOLDER` proposes a manifest."""
    if ctx.invoked_subcommand is not None:
        return
    path = manifest if manifest is not None else default_manifest_path()
    try:
        check = check_library(manifest)
    except (ShgeoError, OSError) as exc:
        raise _LoadFailed(str(exc)) from None
    _report(check, path)
    if not check.ok:
        errors = check.errors
        raise _LoadFailed(f"{len(errors)} problem(s) would make screening fail:\n"
                          + "\n".join(f"  {i}. {e}" for i, e in enumerate(errors, 1)))


@command.command(name="init")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the manifest. Default: FOLDER/manifest.toml.")
@click.option("--force", is_flag=True, help="Overwrite an existing manifest.")
def init(folder: Path, out: Path | None, force: bool) -> None:
    """Propose a manifest for every vector dataset in FOLDER (shapefiles, zips, GeoPackage and FileGDB
    layers, GeoJSON): a kind, the name/code/category fields, the encoding, the declared CRS, each with
    its reason; datasets it cannot place are listed. Check it, set confirmed = true, then run
    `shgeo layers --manifest OUT`."""
    out = out if out is not None else folder / "manifest.toml"
    if out.exists() and not force:
        raise _LoadFailed(f"{out} exists: give another --out, or --force to overwrite it")
    proposals = survey_folder(folder)
    if not proposals:
        raise _LoadFailed(f"no vector dataset found in {folder} (looked for .shp, .zip, .gpkg, .gdb, .geojson)")
    text = proposed_manifest(proposals, folder, out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    for p in proposals:
        label = p.dataset.label
        if p.kind:
            click.echo(f"{p.kind:<20} {label} — {'; '.join(p.reasons[:2])}")
            for note in p.notes:
                click.echo(f"{'':<20}   note: {note}")
        else:
            click.echo(f"{'(not placed)':<20} {label} — {'; '.join(p.reasons)}")
    given = {p.kind for p in proposals if p.kind}
    left = [k for k in STATUTORY if k not in given]
    if left:
        click.echo(f"no dataset recognised as: {', '.join(left)} (proposed as missing)")
    click.echo(f"wrote {out}: check every proposal, set confirmed = true, then run "
               f"shgeo layers --manifest {out}")
