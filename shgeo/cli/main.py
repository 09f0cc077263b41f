"""Entry point of the ``shgeo`` command: a group whose subcommands live in sibling modules.

Exit codes shared by every command: 0 success, 1 some items could not be
processed (the command says which), 2 bad usage or unreadable input.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from .._version import __version__
from ..errors import ShgeoError

__all__ = ["cli", "main"]

#: subcommand name -> module in this package exposing a click command named ``command``
_COMMANDS = {
    "layers": "layers",
    "route": "route",
    "screen": "screen",
    "raster": "raster",
    "diff": "diff",
}


class _LazyGroup(click.Group):
    """Import a subcommand's module only when it is used (keeps ``shgeo route`` fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = _COMMANDS.get(name)
        if module is None:
            return None
        try:
            mod = importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(__package__):
                return None
            raise
        return mod.command


def _configure_logging(verbose: int, quiet: int) -> None:
    level = logging.WARNING - 10 * verbose + 10 * quiet
    logging.basicConfig(
        level=max(logging.DEBUG, min(logging.CRITICAL, level)),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", count=True, help="Less log output.")
@click.version_option(__version__, prog_name="shgeo")
def cli(verbose: int, quiet: int) -> None:
    """shgeo — screen Shanghai project footprints against the ecological red line,
    nature-reserve core zones, level-1 drinking-water source zones and groundwater
    control villages, and give the approval route with its citations."""
    _configure_logging(verbose, quiet)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a :class:`ShgeoError` becomes a one-line message and exit code 2."""
    try:
        rc = cli.main(args=argv, prog_name="shgeo", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except ShgeoError as exc:
        click.echo(f"shgeo: error: {exc}", err=True)
        return 2
    except OSError as exc:
        click.echo(f"shgeo: error: {exc}", err=True)
        return 2
    # with standalone_mode=False click returns the code of ``ctx.exit(n)`` instead of raising
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
