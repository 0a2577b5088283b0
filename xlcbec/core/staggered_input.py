"""Reading a long unit-period panel into the wide arrays the staggered-adoption diagnostics use.

Shared by the Callaway & Sant'Anna estimator and the Goodman-Bacon
decomposition: both work on a balanced unit x period matrix of the outcome.
The checks here name the spreadsheet rows (``data.index`` labels) so that a
user can find the cell to fix.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from xlcbec.errors import InputError

_SHOWN = 8


def _row_labels(index: pd.Index) -> list[int] | None:
    """Index labels as spreadsheet row numbers, or None when they are not integers."""
    labels = list(index)
    if labels and all(isinstance(r, (int, np.integer)) and not isinstance(r, bool) for r in labels):
        return [int(r) for r in labels]
    return None


def located_input_error(problem: str, rows: pd.Index, *, column: str | None = None, fix: str | None = None) -> InputError:
    """An InputError at the rows ``rows`` (index labels); non-integer labels go into the text."""
    numbers = _row_labels(rows)
    if numbers is not None or len(rows) == 0:
        return InputError(problem, row=numbers, column=column, fix=fix)
    shown = ", ".join(repr(r) for r in list(rows)[:_SHOWN])
    if len(rows) > _SHOWN:
        shown += f" and {len(rows) - _SHOWN} more"
    return InputError(f"{problem} (at row label(s) {shown})", column=column, fix=fix)


def require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        if column not in data.columns:
            found = ", ".join(str(c) for c in list(data.columns)[:20])
            raise InputError(
                f"the column '{column}' is not in the data (columns found: {found})",
                column=str(column),
                fix=f"add a column headed '{column}' or correct the name in Settings (names are case-sensitive)",
            )


def numeric_values(data: pd.DataFrame, column: str) -> np.ndarray:
    """``data[column]`` as float64, NaN for blanks; text that is not a number is an InputError."""
    series = data[column]
    if is_bool_dtype(series.dtype) or is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        as_object = series.astype(object)
        blank = as_object.map(lambda v: v is None or (isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)
        as_object = as_object.where(~blank, None)
        coerced = pd.to_numeric(as_object, errors="coerce")
        bad = coerced.isna().to_numpy() & as_object.notna().to_numpy()
        if bad.any():
            raise located_input_error(
                f"expected a number, found {as_object[bad].iloc[0]!r}",
                data.index[bad],
                column=column,
                fix="enter a number or leave the cell blank",
            )
        values = coerced.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        raise located_input_error("expected a finite number, found an infinite value", data.index[infinite], column=column,
                                  fix="enter a finite number or leave the cell blank")
    return values


def check_unique_unit_time(data: pd.DataFrame, unit: str, time: str) -> None:
    duplicated = data.duplicated(subset=[unit, time], keep=False).to_numpy()
    if duplicated.any():
        first = data.loc[duplicated, [unit, time]].iloc[0]
        raise located_input_error(
            f"the same {unit} and {time} appear on more than one row (e.g. {first[unit]!r}, {first[time]!r})",
            data.index[duplicated],
            column=time,
            fix=f"keep one row per {unit} and {time}",
        )


@dataclass(frozen=True)
class WidePanel:
    """A balanced unit x period panel.

    ``units`` (length N) and ``times`` (length T, ascending) label the rows and
    columns of ``outcome`` (N x T).  ``rows`` (N x T) holds the source row
    label of each cell (for error messages).
    """

    units: pd.Index
    times: np.ndarray
    outcome: np.ndarray
    rows: np.ndarray


def to_wide(frame: pd.DataFrame, *, unit: str, time: str, value: str) -> tuple[WidePanel, np.ndarray]:
    """Pivot ``frame`` (no missing values, unique unit-time) to a unit x period matrix.

    Returns the panel restricted to units observed in every period, and the
    boolean mask (over the sorted units of ``frame``) of units that were complete.
    """
    unit_codes, units = _factorize(frame[unit])
    times, time_codes = np.unique(frame[time].to_numpy(dtype=float), return_inverse=True)
    n_units, n_times = len(units), len(times)
    outcome = np.full((n_units, n_times), np.nan)
    rows = np.empty((n_units, n_times), dtype=object)
    outcome[unit_codes, time_codes] = frame[value].to_numpy(dtype=float)
    rows[unit_codes, time_codes] = np.asarray(frame.index, dtype=object)
    complete = ~np.isnan(outcome).any(axis=1)
    panel = WidePanel(
        units=pd.Index(units[complete]),
        times=times,
        outcome=outcome[complete],
        rows=rows[complete],
    )
    return panel, complete


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and unit labels, sorted when the labels can be ordered (mixed types cannot)."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(values, sort=False)
    return codes, np.asarray(uniques)


def unit_constant(frame: pd.DataFrame, *, unit: str, column: str, values: np.ndarray) -> pd.Series:
    """One value of ``column`` per unit; an InputError naming the rows when it varies within a unit.

    ``values`` are the float values of ``column`` on ``frame``'s rows (NaN = blank).
    """
    series = pd.Series(values, index=frame.index)
    keyed = pd.DataFrame({"unit": frame[unit].to_numpy(), "value": series.to_numpy()}, index=frame.index)
    # NaN and a number within one unit also count as disagreement.
    filled = keyed["value"].fillna(-np.inf)
    by_unit = filled.groupby(keyed["unit"].to_numpy(), sort=False)
    n_distinct = by_unit.nunique()
    varying: list[Hashable] = list(n_distinct.index[n_distinct.to_numpy() > 1])
    if varying:
        bad = keyed["unit"].isin(varying).to_numpy()
        raise located_input_error(
            f"'{column}' must be the same in every row of a unit, but it varies for {unit} {varying[0]!r}"
            + (f" and {len(varying) - 1} more" if len(varying) > 1 else ""),
            frame.index[bad],
            column=column,
            fix=f"give each {unit} a single {column} (blank or 0 = never treated)",
        )
    return by_unit.first().replace(-np.inf, np.nan)
