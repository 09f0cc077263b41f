"""``shgeo route [FILE|-]`` — the decision interface on the command line.

Reads one JSON query (DESIGN.md, "The decision interface") from FILE or
stdin and writes the JSON answer to stdout. A malformed query (bad JSON,
unknown key, wrong type) exits with status 2 and a message naming the key.
"""

from __future__ import annotations

import json
from datetime import date

import click

from ..errors import QueryError

__all__ = ["command"]


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@click.command("route")
@click.argument("query_file", metavar="[FILE|-]", required=False, default="-",
                type=click.File("r", encoding="utf-8"))
@click.option("--as-of", "as_of", metavar="DATE", callback=_parse_day,
              help="Apply the rules as on this day (YYYY-MM-DD); wins over the query's "
                   "\"as_of\"; default today.")
def command(query_file, as_of: date | None) -> None:
    """Give the approval route for one project: JSON query in, JSON answer out.

    The query is {"spatial": {...}, "project": {...}} with the keys of the
    decision interface; unknown project facts may be left out or null.
    """
    from ..rules.decision import route  # imported here: keeps `shgeo --help` fast

    text = query_file.read()
    name = getattr(query_file, "name", "-")
    try:
        query = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QueryError(f"{name}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") \
            from None
    answer = route(query, as_of=as_of)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
