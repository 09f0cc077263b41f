"""``shgeo raster``: write the constraint raster (and optionally its cost surface) as a Cloud-Optimised GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["command"]


def _bounds(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float, float, float]:
    try:
        parts = tuple(float(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise click.BadParameter(f"{value!r}: expected four numbers W,S,E,N, e.g. 121.2,31.0,121.4,31.2")
    return parts  # type: ignore[return-value]


def _costs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    costs = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{item!r}: expected CLASS=VALUE, e.g. sea=5 or redline=impassable")
        costs[name.strip()] = value.strip()
    return costs


@click.command("raster")
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Layer manifest (TOML). Default: the embedded sample pack.")
@click.option("--bounds", required=True, callback=_bounds, metavar="W,S,E,N",
              help="Extent to rasterise: west,south,east,north in --bounds-crs.")
@click.option("--bounds-crs", default="EPSG:4490", show_default=True,
              help="CRS of --bounds (EPSG code, WKT or PROJ string).")
@click.option("--res", "res_m", type=float, default=20.0, show_default=True, help="Cell size in metres.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output GeoTIFF of constraint classes (COG layout).")
@click.option("--cost-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the cost surface (float32, impassable = -1) here.")
@click.option("--near", "near_m", type=float, default=200.0, show_default=True,
              help="Width of the near-miss band around the zones, metres (0: none).")
@click.option("--cost", "costs", multiple=True, callback=_costs, metavar="CLASS=VALUE",
              help="Override a class cost (repeatable), e.g. --cost sea=5 --cost redline=impassable.")
@click.option("--allow-missing", "optional_kinds", multiple=True, metavar="KIND",
              help="Accept that the library lacks this layer kind (repeatable); otherwise that is an error.")
@click.option("--all-touched", is_flag=True, help="Burn every cell a zone touches, not only cells whose centre it covers.")
def command(manifest: Path | None, bounds: tuple[float, float, float, float], bounds_crs: str, res_m: float,
            out: Path, cost_out: Path | None, near_m: float, costs: dict[str, str],
            optional_kinds: tuple[str, ...], all_touched: bool) -> None:
    """Rasterise the layer library into constraint classes on a grid in the working CRS.

    One band of classes (clear, near-miss, protected area, red line,
    water-source zone, core zone, sea) with the class table and costs in the
    file's metadata; large extents are written window by window.
    """
    from ..library.layers import load_library
    from ..avoidance.raster import CLASS_TABLE, build_constraint_raster

    library = load_library(manifest)
    result = build_constraint_raster(
        library, bounds, res_m, out, bounds_crs=bounds_crs, near_m=near_m, costs=costs or None,
        cost_out=cost_out, optional_kinds=optional_kinds, all_touched=all_touched,
    )
    grid = result.grid
    click.echo(f"wrote {out} ({result.driver}): {grid.width} × {grid.height} cells of {grid.res_m:g} m")
    if cost_out is not None:
        click.echo(f"wrote {cost_out} (cost surface)")
    total = grid.width * grid.height
    for c in CLASS_TABLE:
        n = result.counts[c.name]
        click.echo(f"  {c.value} {c.name:<16} {n:>12,} cells  {100 * n / total:6.2f} %")
    if result.missing_kinds:
        click.echo(f"  without layers: {', '.join(result.missing_kinds)} (allowed by --allow-missing)")
    if library.is_sample:
        click.echo("SAMPLE DATA — not for official screening", err=True)
