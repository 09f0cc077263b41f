"""summary.csv cells: text a spreadsheet would run as a formula gets a leading ' (OWASP CSV injection), numbers not."""

from __future__ import annotations

import pytest

from shgeo.outputs.summary import neutralise


@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=",
                                  "+86 21 1234", "-", "@"])
def test_formula_like_text_is_quoted(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["-2.5", "+3", "-0", "1e-3", "-1e5", -2.5, 3, None, True, "项目", "a=b", ""])
def test_numbers_and_plain_values_are_left_alone(value):
    assert neutralise(value) == value
