"""Property: whatever Excel (or a Python caller) passes, a worksheet function returns a result or an `#XLCBEC:` text.

Arguments are drawn from wild values (None, text in any script, Excel error
texts, NaN, infinities, huge and tiny numbers, Python ints beyond the float
range, booleans, dates, bytes, dicts, ragged and deeply nested lists) and from
plausible ones (columns of numbers, 0/1 treatment, unit and year labels) with
wild cells planted in them, so the estimation core is reached as well.
The only allowed outcomes: a finite number, a star text, rows of those (blank
cells as None), or `#XLCBEC: <message>`.  An exception escaping, a NaN or
infinity in the result, or the "unexpected error" message (a defect caught by
the last-resort handler) fails the test.

Budget: EXAMPLES per function keeps the file under about 20 s on a shared machine.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlcbec.excel import udfs
from xlcbec.excel.udf_inputs import ERROR_PREFIX

EXAMPLES = 35

# What each argument is meant to hold, to draw plausible values for it.
KINDS: dict[str, dict[str, str]] = {
    "CBEC_ENTROPY": {"indicators": "matrix", "directions": "directions", "shift": "small"},
    "CBEC_ENTROPY_WEIGHTS": {"indicators": "matrix", "directions": "directions", "shift": "small"},
    "CBEC_DID": {"y": "numbers", "treat": "binary", "unit": "labels", "time": "years", "controls": "matrix", "cluster": "cluster"},
    "CBEC_SOBEL": {"a": "number", "se_a": "positive", "b": "number", "se_b": "positive", "method": "method"},
    "CBEC_PSCORE": {"treat": "binary", "covariates": "matrix", "model": "model"},
    "CBEC_LQ": {"sector_employment": "matrix", "total_employment": "numbers"},
    "CBEC_SOLOW_K": {"s": "share", "A": "positive", "L": "positive", "alpha": "share", "delta": "share", "T": "positive", "gamma": "number"},
    "CBEC_SOLOW_Y": {"s": "share", "A": "positive", "L": "positive", "alpha": "share", "delta": "share", "T": "positive", "gamma": "number"},
    "CBEC_STARS": {"p": "share", "thresholds": "thresholds"},
}

WORDS = [
    "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#SPILL!", "+", "-", "+,+,-", "robust", "none",
    "probit", "logit", "LOGIT", "aroian", "goodman", "sobel", "0.05", "1e999", "-1e-320", "nan", "inf", "1_000",
    "٣", "１２", "城市", " ", "", "5%", "0.1, 0.05, 0.01", "TRUE",
]

wild_cell = st.one_of(
    st.none(),
    st.floats(),  # includes NaN, +/-inf, subnormals, +/-1.7e308
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([10**400, -(10**400), 2**1024]),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(WORDS),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(),
    st.binary(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)

wild_argument = st.one_of(
    wild_cell,
    st.lists(wild_cell, max_size=6),
    st.lists(st.lists(wild_cell, min_size=1, max_size=4), min_size=1, max_size=6),  # ragged allowed
    st.recursive(wild_cell, lambda inner: st.lists(inner, max_size=3), max_leaves=10),
    st.tuples(wild_cell, wild_cell),
)


def _plausible_cell(kind: str, row: int) -> st.SearchStrategy[Any]:
    finite = dict(allow_nan=False, allow_infinity=False)
    return {
        "numbers": st.floats(min_value=-1e3, max_value=1e3, **finite),
        "matrix": st.floats(min_value=0.0, max_value=1e3, **finite),
        "binary": st.sampled_from([0.0, 1.0]),
        # A small panel: rows 2u and 2u+1 are unit u in two years (sometimes a label is off).
        "labels": st.sampled_from([f"c{row // 2}"] * 4 + ["c0", 7.0]),
        "years": st.sampled_from([2018.0 + row % 2] * 4 + [2020.0]),
        "cluster": st.sampled_from(["p1", "p2", "p3"]),
        "number": st.floats(min_value=-1e3, max_value=1e3, **finite),
        "positive": st.floats(min_value=1e-3, max_value=1e3, **finite),
        "share": st.floats(min_value=1e-3, max_value=0.999, **finite),
        "small": st.floats(min_value=0.0, max_value=0.1, **finite),
    }[kind]


@st.composite
def plausible_argument(draw: st.DrawFn, kind: str, rows: int, width: int) -> Any:
    if kind == "directions":
        return [[draw(st.sampled_from(["+", "-", 1.0, -1.0])) for _ in range(width)]]
    if kind == "method":
        return draw(st.sampled_from([None, "sobel", "Aroian", "goodman"]))
    if kind == "model":
        return draw(st.sampled_from([None, "probit", "logit"]))
    if kind == "thresholds":
        return draw(st.sampled_from([None, "0.1, 0.05, 0.01", [[0.05, 0.01]], "5%"]))
    if kind == "cluster" and draw(st.booleans()):
        return draw(st.sampled_from([None, "robust", "none"]))
    if kind in ("number", "positive", "share", "small"):
        return draw(_plausible_cell(kind, 0))
    cols = width if kind == "matrix" else 1
    values = [[draw(_plausible_cell(kind, i)) for _ in range(cols)] for i in range(rows)]
    if draw(st.integers(0, 3)) == 0:  # plant a blank
        values[draw(st.integers(0, rows - 1))][draw(st.integers(0, cols - 1))] = None
    return values


@st.composite
def arguments(draw: st.DrawFn, function: Any) -> list[Any]:
    kinds = KINDS[function.__name__]
    parameters = list(inspect.signature(function).parameters.values())
    rows = draw(st.one_of(st.integers(min_value=1, max_value=4), st.integers(min_value=8, max_value=24)))
    width = draw(st.integers(min_value=1, max_value=3))
    values = []
    for parameter in parameters:
        choice = draw(st.integers(0, 5))
        if choice == 0:
            value = draw(wild_argument)
        else:
            value = draw(plausible_argument(kinds[parameter.name], rows, width))
            if choice == 1 and isinstance(value, list) and value and isinstance(value[0], list):
                i = draw(st.integers(0, len(value) - 1))
                j = draw(st.integers(0, len(value[i]) - 1))
                value[i][j] = draw(wild_cell)  # one wild cell in a plausible range
        values.append(value)
    # Optional arguments are sometimes left out altogether, as in =CBEC_DID(y, d, u, t).
    required = sum(1 for p in parameters if p.default is inspect.Parameter.empty)
    keep = draw(st.integers(min_value=required, max_value=len(parameters)))
    return values[:keep]


def check_outcome(result: Any) -> None:
    if isinstance(result, str):
        if result.startswith(ERROR_PREFIX):
            assert "unexpected error" not in result, result
            assert "\n" not in result
        else:
            assert set(result) <= {"*"}, result  # CBEC_STARS' only text
        return
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        assert math.isfinite(result), result
        return
    assert isinstance(result, list) and result, result
    assert all(isinstance(row, list) and len(row) == len(result[0]) for row in result), result
    for row in result:
        for cell in row:
            if cell is None:
                continue
            if isinstance(cell, str):
                assert set(cell) <= {"*"}, cell
            else:
                assert isinstance(cell, (int, float)) and not isinstance(cell, bool), cell
                assert math.isfinite(cell), cell


@pytest.mark.parametrize("function", udfs.UDFS, ids=lambda f: f.__name__)
def test_any_input_gives_a_result_or_a_message(function):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,  # the first call imports the statistics stack
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(args=arguments(function))
    def run(args: list[Any]) -> None:
        check_outcome(function(*args))

    run()


def test_kinds_cover_every_parameter():
    for function in udfs.UDFS:
        assert list(KINDS[function.__name__]) == list(inspect.signature(function).parameters)
