"""report.json values: the one-pass conversion equals the value-by-value one on any nested value."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shgeo.outputs.report import _jsonable, _plain

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-1000, 1000).map(np.int64), st.floats(allow_nan=True).map(np.float64),
    st.booleans().map(np.bool_), st.text(max_size=4).map(Path),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.frozensets(st.text(max_size=3), max_size=3),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.integers(0, 9), inner, max_size=3),
    ),
    max_leaves=20,
)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.dictionaries(st.text(max_size=5), _values, max_size=5), st.lists(_values, max_size=5)))
def test_one_pass_equals_value_by_value(value):
    fast, slow = _jsonable(value), _plain(value)
    assert _same(fast, slow), (value, fast, slow)


def test_nan_and_infinity_become_null_in_either_path():
    assert _jsonable({"a": [1.0, float("nan"), np.float64("inf")]}) == {"a": [1.0, None, None]}
    assert _jsonable({"a": {1: np.int64(3)}}) == {"a": {"1": 3}}
