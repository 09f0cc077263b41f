"""Layers held in PostgreSQL/PostGIS: connect by environment variable or ``pg_service``, read a table or query.

A manifest entry names the connection without holding it (``env = "SHGEO_PG"``:
the variable holds a libpq connection string such as ``host=127.0.0.1
port=5432 dbname=gis user=reader``; or ``service = "official"``: a section of
``pg_service.conf``); the password comes from ``~/.pgpass``, ``PGPASSWORD`` or
the service file, never from the manifest.  The layer is read with
:func:`geopandas.read_postgis` through SQLAlchemy and psycopg (the
``postgis`` extra: ``pip install "shgeo[postgis]"``); its CRS is the SRID of
its geometries (none for SRID 0: then the manifest's ``crs`` applies, as for
a file without one).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import geopandas as gpd

from ..errors import LayerError
from .manifest import PostgisSource

__all__ = ["read_postgis", "connection_string"]

log = logging.getLogger(__name__)

_INSTALL = 'install the PostGIS extra: pip install "shgeo[postgis]" (SQLAlchemy and psycopg)'


def connection_string(source: PostgisSource) -> str:
    """The libpq connection string the entry names (from the environment, or ``service=NAME``)."""
    if source.service is not None:
        return f"service={source.service}"
    value = os.environ.get(source.env or "")
    if not value or not value.strip():
        raise LayerError(f"the environment variable {source.env} is not set", path=source.label,
                         hint=f"set {source.env} to a libpq connection string, e.g. 'host=127.0.0.1 port=5432 "
                         "dbname=gis user=reader' (the password in ~/.pgpass or PGPASSWORD)")
    return value.strip()


def _quoted_table(table: str) -> str:
    # the manifest allows only [A-Za-z0-9_$] names, so double-quoting each part is exact
    return ".".join(f'"{part}"' for part in table.split("."))


def _geometry_column(con: Any, table: str, label: str) -> str:
    from sqlalchemy import text

    schema, _, name = table.rpartition(".")
    rows = con.execute(text(
        "SELECT f_geometry_column FROM geometry_columns WHERE f_table_name = :name "
        "AND f_table_schema = COALESCE(NULLIF(:schema, ''), current_schema())"),
        {"name": name, "schema": schema}).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if not rows:
        raise LayerError(f"table {table} has no geometry column (or does not exist)", path=label,
                         hint="check the table name, and that the reading role may see it")
    raise LayerError(f"table {table} has {len(rows)} geometry columns ({', '.join(r[0] for r in rows)})",
                     path=label, hint="name one with geometry_column = '…'")


def read_postgis(source: PostgisSource) -> tuple[gpd.GeoDataFrame, str]:
    """Read the table or query of *source*; returns the frame and the SQL run.

    Raises :class:`~shgeo.errors.LayerError` naming the connection (never its
    secrets) and the fix when the driver is missing, the connection fails, or
    the query does.
    """
    try:
        import sqlalchemy
        from sqlalchemy import text
    except ImportError:
        raise LayerError("reading PostGIS layers needs SQLAlchemy and psycopg", path=source.label,
                         hint=_INSTALL) from None
    try:
        import psycopg
    except ImportError:
        raise LayerError("reading PostGIS layers needs psycopg", path=source.label, hint=_INSTALL) from None
    conninfo = connection_string(source)
    query = source.query if source.query is not None else f"SELECT * FROM {_quoted_table(source.table or '')}"
    engine = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(conninfo))
    try:
        with engine.connect() as con:
            geom_col = source.geometry_column
            if geom_col is None:
                geom_col = _geometry_column(con, source.table, source.label) if source.table else "geom"
            gdf = gpd.read_postgis(text(query), con, geom_col=geom_col)
    except sqlalchemy.exc.OperationalError as exc:
        raise LayerError(f"cannot connect to PostgreSQL ({_first_line(exc)})", path=source.label,
                         hint=f"check the connection named by {source.connection_label} and that the server "
                              "runs; the password belongs in ~/.pgpass, PGPASSWORD or pg_service.conf") from None
    except sqlalchemy.exc.DBAPIError as exc:
        raise LayerError(f"the query failed ({_first_line(exc)})", path=source.label,
                         hint="check the table or query in the manifest") from None
    except (KeyError, ValueError) as exc:  # geometry column absent from a query's result
        raise LayerError(f"the result has no geometry column {geom_col!r} ({exc})", path=source.label,
                         hint="name the geometry column of the query with geometry_column = '…'") from None
    finally:
        engine.dispose()
    gdf.attrs["layer"] = source.table or "query"
    gdf.attrs["problems"] = []
    log.info("read %d rows from %s", len(gdf), source.label)
    return gdf, query


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
