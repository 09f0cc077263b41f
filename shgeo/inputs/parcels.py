"""Parcels of the survey formats: the columns every reader returns, and 地块面积 checked against the geometry.

The exchange txt, DXF drawings and coordinate tables each return one row per
parcel (txt, table) or per closed shape / line (DXF), in the file's CRS,
with the columns :data:`STANDARD_COLUMNS` first.  :func:`parcel_records`
turns them into the ``parcels`` list of ``read_footprints``' attrs and of
each project's report: id, name, declared and computed area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

__all__ = ["STANDARD_COLUMNS", "AREA_TOLERANCE", "make_frame", "declared_area_problems", "parcel_records"]

#: Columns every survey reader returns, in this order, before its own columns and ``geometry``.
STANDARD_COLUMNS: Final = [
    "parcel_id",  # 地块编号 (txt, table) or the DXF entity handle
    "parcel_name",  # 地块名称
    "declared_area_ha",  # 地块面积 as written (hectares), NaN when absent
    "kind",  # "polygon", "line" or "point" (not "geom_type": that is a GeoDataFrame property)
    "first_line",  # first source line / table row of the parcel (nullable int)
    "last_line",  # last source line / table row
]

#: 地块面积 and the computed area may differ by this share before the report warns (1 %).
AREA_TOLERANCE: Final = 0.01


def make_frame(records: list[dict[str, Any]], crs: CRS | None, extra_columns: Sequence[str]) -> gpd.GeoDataFrame:
    """A GeoDataFrame of parcel records with :data:`STANDARD_COLUMNS`, then *extra_columns*, then geometry."""
    columns = list(STANDARD_COLUMNS) + [c for c in extra_columns if c not in STANDARD_COLUMNS]
    df = pd.DataFrame.from_records(records, columns=columns + ["geometry"])
    for col in ("first_line", "last_line"):
        df[col] = df[col].astype("Int64")
    df["declared_area_ha"] = df["declared_area_ha"].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=crs)


def _label(row: pd.Series) -> str:
    for key in ("parcel_id", "parcel_name"):
        value = row.get(key)
        if isinstance(value, str) and value:
            return value
    return f"#{row.name + 1}" if isinstance(row.name, (int, np.integer)) else str(row.name)


def declared_area_problems(frame: gpd.GeoDataFrame, tolerance: float = AREA_TOLERANCE) -> list[str]:
    """Warnings for parcels whose computed area differs from 地块面积 by more than *tolerance* (a share).

    Areas are planar in the frame's CRS (Gauss-Krüger, scale 1): how
    surveyors compute 地块面积.  A wrong CRS or a ring error shows up here first.
    """
    out = []
    for _, row in frame.iterrows():
        declared = row["declared_area_ha"]
        if row["kind"] != "polygon" or declared is None or not math.isfinite(declared) or declared <= 0:
            continue
        computed = row.geometry.area / 10_000.0
        rel = abs(computed - declared) / declared
        if rel > tolerance:
            out.append(f"parcel {_label(row)!r}: 地块面积 {declared:g} ha declared, {computed:.4f} ha computed "
                       f"({rel:.1%} off, more than {tolerance:.0%}): check the coordinates and the CRS")
    return out


def parcel_records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One dict per parcel: ``id``, ``name``, ``kind``, ``declared_area_ha``, ``computed_area_ha``, ``lines``.

    ``computed_area_ha`` is planar in the frame's CRS (None for lines and
    points); ``area_difference`` is the relative difference when 地块面积 is given.
    """
    out = []
    for _, row in frame.iterrows():
        declared = row["declared_area_ha"]
        declared = float(declared) if declared is not None and math.isfinite(declared) else None
        computed = round(row.geometry.area / 10_000.0, 6) if row["kind"] == "polygon" else None
        record: dict[str, Any] = {
            "id": row["parcel_id"] if isinstance(row["parcel_id"], str) else None,
            "name": row["parcel_name"] if isinstance(row["parcel_name"], str) else None,
            "kind": row["kind"],
            "declared_area_ha": declared,
            "computed_area_ha": computed,
            "area_difference": (round(abs(computed - declared) / declared, 6)
                                if declared and computed is not None else None),
        }
        if "layer" in frame.columns:
            record["layer"] = row["layer"]
        first, last = row["first_line"], row["last_line"]
        if not pd.isna(first):
            record["lines"] = [int(first), int(last)]
        out.append(record)
    return out
