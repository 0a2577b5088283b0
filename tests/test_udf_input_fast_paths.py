"""The worksheet functions' converters decide plain ranges in bulk: the same result as cell by cell.

Two routes to the same values: ``grid``, ``number_column`` and ``number_matrix``
check a range of finite floats (what Excel sends) in bulk and return its
cells unchanged; any other range goes cell by cell through ``number``.  For
every range drawn, the bulk route must give exactly what converting each cell
gives, or the same error message.  Floats are compared bit for bit
(``float.hex``): neither route computes anything, they only pass values on.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from xlcbec.errors import InputError
from xlcbec.excel.udf_inputs import binary, grid, label, number, number_column, number_matrix, where

cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e6, 1e6),
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.sampled_from(["", " ", "3.5", "−2", "abc", "#N/A", "1e999"]),
)


def _outcome(convert: Any, *args: Any) -> Any:
    try:
        return ("value", convert(*args))
    except InputError as error:
        return ("error", str(error))


def _cell_by_cell(rows: list[list[Any]], name: str) -> list[list[Any]]:
    return [[number(cell, where(name, i, j)) for j, cell in enumerate(row, start=1)]
            for i, row in enumerate(rows, start=1)]


def _same(bulk: Any, plain: Any) -> None:
    assert bulk[0] == plain[0]
    if bulk[0] == "error":
        assert bulk[1] == plain[1]
        return
    flat_bulk = bulk[1] if not bulk[1] or not isinstance(bulk[1][0], list) else sum(bulk[1], [])
    flat_plain = plain[1] if not plain[1] or not isinstance(plain[1][0], list) else sum(plain[1], [])
    assert len(flat_bulk) == len(flat_plain)
    for a, b in zip(flat_bulk, flat_plain):
        assert (a is None and b is None) or (type(a) is type(b) is float and a.hex() == b.hex())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=6), st.booleans())
def test_number_matrix_bulk_equals_cell_by_cell(rows: list[list[Any]], plain_floats: bool) -> None:
    if plain_floats:  # mostly ranges of finite floats, the bulk route's case
        rows = [[float(i + j) for j in range(3)] for i in range(len(rows))] + rows[:1]
    plain = _outcome(_cell_by_cell, rows, "controls")
    _same(_outcome(number_matrix, rows, "controls"), plain)


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, min_size=1, max_size=8))
def test_number_column_bulk_equals_cell_by_cell(values: list[Any]) -> None:
    rows = [[v] for v in values]
    plain = _outcome(lambda: [number(v, where("y", i)) for i, v in enumerate(values, start=1)])
    _same(_outcome(number_column, rows, "y"), plain)


@settings(max_examples=200, deadline=None)
@given(cells)
def test_cell_shortcuts_equal_the_general_rule(cell: Any) -> None:
    # number, binary and label answer a finite float at once; the general rule must agree.
    if isinstance(cell, float) and math.isfinite(cell):
        assert number(cell, "y") is cell
        assert label(cell, "unit") is cell
        if cell in (0.0, 1.0):
            assert binary(cell, "treat") is cell
        else:
            assert _outcome(binary, cell, "treat")[0] == "error"


def test_ragged_and_nested_ranges_are_still_refused() -> None:
    for bad in ([[1.0, 2.0], [3.0]], [[1.0, [2.0]]], [[1.0], 2.0]):
        assert _outcome(grid, bad, "x")[0] == "error"
    assert grid([[1.0, 2.0], [3.0, 4.0]], "x") == [[1.0, 2.0], [3.0, 4.0]]
    assert grid([[], []], "x") == []
