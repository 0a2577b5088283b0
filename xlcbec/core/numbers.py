"""Columns as float arrays, by the one number rule, with errors that point at the cell.

The rule itself (what a cell means as a number) is :mod:`xlcbec.core.number_rule`.
DataFrames given to the core are indexed by spreadsheet row number, so the
offending ``data.index`` labels are reported as rows; an index that is not
made of integers is named in the message instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from xlcbec.core.number_rule import is_blank, to_number
from xlcbec.errors import InputError

_SHOWN_LABELS = 8


def located_error(
    problem: str,
    *,
    rows: Sequence[Hashable] = (),
    column: str | None = None,
    fix: str | None = None,
) -> InputError:
    """An InputError at ``rows`` (index labels), whatever the index holds.

    InputError wants spreadsheet row numbers; a caller's index may hold other
    labels (a city-year MultiIndex, strings), which then go into the text.
    """
    labels = list(rows)
    numbers = [int(r) for r in labels if isinstance(r, (int, np.integer)) and not isinstance(r, bool)]
    if len(numbers) == len(labels):
        return InputError(problem, row=numbers or None, column=column, fix=fix)
    shown = ", ".join(repr(r) for r in labels[:_SHOWN_LABELS])
    if len(labels) > _SHOWN_LABELS:
        shown += f" and {len(labels) - _SHOWN_LABELS} more"
    return InputError(f"{problem} (at row label(s) {shown})", column=column, fix=fix)


def require_columns(data: pd.DataFrame, columns: Sequence[str], *, role: str = "column") -> None:
    """Raise an InputError naming the first of ``columns`` that ``data`` lacks."""
    for column in columns:
        if column not in data.columns:
            available = ", ".join(str(c) for c in list(data.columns)[:20])
            raise InputError(
                f"the {role} '{column}' is not in the data (columns found: {available})",
                column=str(column),
                fix=f"add a column headed '{column}' or correct the name (names are case-sensitive)",
            )


def blank_mask(values: pd.Series) -> np.ndarray:
    """True where a cell is blank by the number rule (None, NaN, NA, blank text).

    A column of numbers is blank exactly where it is NaN: no call per cell.
    """
    if values.dtype != object:
        return values.isna().to_numpy(dtype=bool)
    return np.fromiter((is_blank(v) for v in values), dtype=bool, count=len(values))


def numeric_column(data: pd.DataFrame, column: str) -> np.ndarray:
    """``data[column]`` as float64 with NaN for blanks; text or infinite cells are an InputError.

    Text that reads as a number ("3.5") is accepted, as Excel users often store
    numbers as text; blank or whitespace-only text counts as missing.
    """
    series = data[column]
    if is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    if is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        as_object = series.astype(object)
        converted = [to_number(v, booleans=True) for v in as_object.to_numpy()]
        bad = np.array([v is None for v in converted], dtype=bool)
        coerced = pd.Series([np.nan if v is None else v for v in converted], index=series.index, dtype=float)
        if bad.any():
            labels = data.index[bad]
            raise located_error(
                f"expected a number, found {as_object[bad].iloc[0]!r}",
                rows=list(labels),
                column=str(column),
                fix="enter a number (no units or text) or leave the cell blank if the value is missing",
            )
        values = coerced.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        raise located_error(
            "expected a finite number, found an infinite value",
            rows=list(data.index[infinite]),
            column=str(column),
            fix="replace the value by a finite number or leave the cell blank",
        )
    return values


def numeric_matrix(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The ``columns`` of ``data`` as an (n, len(columns)) float64 array (see :func:`numeric_column`)."""
    require_columns(data, columns)
    out = np.empty((len(data), len(columns)), dtype=float)
    for j, column in enumerate(columns):
        out[:, j] = numeric_column(data, column)
    return out
