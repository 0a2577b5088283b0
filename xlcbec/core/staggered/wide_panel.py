"""Reading a long unit-period panel into the wide arrays the staggered-adoption diagnostics use.

Shared by the Callaway & Sant'Anna estimator and the Goodman-Bacon
decomposition: both work on a balanced unit x period matrix of the outcome.
The checks here name the spreadsheet rows (``data.index`` labels) so that a
user can find the cell to fix.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlcbec.core.numbers import located_error


def check_unique_unit_time(data: pd.DataFrame, unit: str, time: str) -> None:
    """An InputError naming the rows when a unit-period pair appears more than once."""
    duplicated = data.duplicated(subset=[unit, time], keep=False).to_numpy()
    if duplicated.any():
        first = data.loc[duplicated, [unit, time]].iloc[0]
        raise located_error(
            f"the same {unit} and {time} appear on more than one row (e.g. {first[unit]!r}, {first[time]!r})",
            rows=data.index[duplicated],
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
        raise located_error(
            f"'{column}' must be the same in every row of a unit, but it varies for {unit} {varying[0]!r}"
            + (f" and {len(varying) - 1} more" if len(varying) > 1 else ""),
            rows=frame.index[bad],
            column=column,
            fix=f"give each {unit} a single {column} (blank or 0 = never treated)",
        )
    return by_unit.first().replace(-np.inf, np.nan)
