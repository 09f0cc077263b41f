"""Project ids: their text, and why a column cannot hold them."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["id_text", "id_problem"]


def id_text(value: object) -> str:
    """Text of an id value: stripped; integral floats (from DBF/CSV) without a trailing '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def id_problem(values: pd.Series) -> str | None:
    """Why *values* cannot be project ids (empty or repeated), or None."""
    texts = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else id_text(v))
    empty = np.flatnonzero((texts == "").to_numpy()) + 1
    if len(empty):
        return f"empty on row(s) {list(map(int, empty[:10]))}"
    dup = sorted(set(texts[texts.duplicated()]))
    if dup:
        return f"repeated value(s) {dup[:10]}"
    return None
