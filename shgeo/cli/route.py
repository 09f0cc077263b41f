"""``shgeo route [FILE|-]`` — the decision interface on the command line.

Reads one JSON query (DESIGN.md, "The decision interface") from FILE or
stdin and writes the JSON answer to stdout; ``--schema`` prints the JSON Schema
of queries and answers. Every bad input exits with status 2 and a one-line
message: bytes that are not UTF-8 (with or without BOM), UTF-16/UTF-32 with a
BOM, or GB18030 (GBK) text; malformed or too deeply nested JSON; a key given
twice in one object (JSON would keep the last one silently); ``NaN`` or
``Infinity``; an unknown key, a wrong type or a value outside its closed set
(named by the key).
"""

from __future__ import annotations

import codecs
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..errors import QueryError

__all__ = ["command", "read_query"]

#: Byte-order marks, longest first (a UTF-32 LE BOM starts like a UTF-16 LE one).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def _decode(data: bytes, name: str) -> str:
    """The text of a query file: by its BOM, else UTF-8, else GB18030 (GBK's superset); else refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise QueryError(f"{name}: starts with a {encoding.upper()} byte-order mark but is not "
                                 f"{encoding.upper()} text (byte {exc.start + len(bom)})") from None
    if b"\x00" in data[:4]:
        encoding = json.detect_encoding(data)   # UTF-16/32 without a BOM, told by the NULs of '{'
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise QueryError(f"{name}: holds NUL bytes but is not {encoding.upper()} text; "
                             "save the query as UTF-8") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise QueryError(f"{name}: not UTF-8 (byte {utf8_error}), UTF-16 or GB18030/GBK text; "
                         "save the query as UTF-8") from None


class _Pairs(list):
    """An object's (key, value) pairs in file order (to find a repeated key)."""


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Repeated(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _repeated_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first key given twice in one object (``value`` parsed into :class:`_Pairs`)."""
    if isinstance(value, _Pairs):
        seen = set()
        for key, item in value:
            here = f"{path}.{key}" if path else key
            if key in seen:
                return here
            seen.add(key)
            found = _repeated_path(item, here)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _repeated_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def read_query(data: bytes, name: str = "-") -> Any:
    """Decode and parse a query file's bytes; :class:`~shgeo.errors.QueryError` (one line) if they are not one."""
    text = _decode(data, name)
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _Repeated as repeated:
        try:   # where it is, if the rest of the file parses
            path = _repeated_path(json.loads(text, object_pairs_hook=_Pairs)) or repeated.key
        except (ValueError, RecursionError):
            path = repeated.key
        raise QueryError(f"given twice in one object of {name} (JSON would keep the last one silently): "
                         "give it once", key=path) from None
    except json.JSONDecodeError as exc:
        raise QueryError(f"{name}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise QueryError(f"{name}: JSON nested too deeply to be a query") from None
    except ValueError as exc:   # NaN / Infinity, or an integer too long to read
        raise QueryError(f"{name}: malformed JSON: {str(exc).splitlines()[0]}") from None


def _read_bytes(query_file: str) -> bytes:
    if query_file == "-":
        stream = sys.stdin
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    path = Path(query_file)
    if path.is_dir():
        raise QueryError(f"{query_file}: is a folder, not a JSON query file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise QueryError(f"{query_file}: cannot read: {exc.strerror or exc}") from None


@click.command("route")
@click.argument("query_file", metavar="[FILE|-]", required=False, default="-")
@click.option("--as-of", "as_of", metavar="DATE", callback=_parse_day,
              help="Apply the rules as on this day (YYYY-MM-DD); wins over the query's "
                   "\"as_of\"; default today.")
@click.option("--schema", "show_schema", is_flag=True,
              help="Print the JSON Schema of queries and answers ($defs/query, $defs/answer) and exit.")
def command(query_file: str, as_of: date | None, show_schema: bool) -> None:
    """Give the approval route for one project: JSON query in, JSON answer out.

    The query is {"spatial": {...}, "project": {...}, "as_of": ..., "id": ...}
    with the keys of the decision interface; unknown project facts may be left
    out or null, and the answer asks only what can change it (questions), says
    what is settled whatever the answers, and lists derived and presumed facts.
    "overall" is prohibited, prohibited_in_principle, needs_information,
    procedures_apply, not_in_force (a zone is touched but its regulation is not
    in force on the day), partly_outside (spatial.outside_share > 0) or
    not_restricted.

    FILE may be UTF-8 (with or without BOM), UTF-16/UTF-32 with a BOM, or
    GB18030/GBK. Bad input exits 2 with a one-line message naming the key:
    malformed or deeply nested JSON, a key given twice, an unknown key, a
    wrong type, a district outside Shanghai's 16, a protected-area category,
    water-source zone, unit role, works value or clause token outside its
    closed set, a village code that is not 12 digits.
    """
    if show_schema:
        from ..rules.decision import schema

        click.echo(json.dumps(schema(), ensure_ascii=False, indent=2))
        return
    from ..rules.decision import route  # imported here: keeps `shgeo --help` fast

    query = read_query(_read_bytes(query_file), query_file)
    answer = route(query, as_of=as_of)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
