"""Descriptive statistics of the analysis variables (paper Table 3).

Per variable: N (non-missing values), mean, sample standard deviation
(ddof = 1, as Stata's ``summarize``), min, median, max.  Each variable uses its
own non-missing rows, so N differs across variables as in the paper
(lnaca 3351, urban 3346 of 3360).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xlcbec.core.numbers import numeric_column, require_columns
from xlcbec.errors import InputError

DESCRIPTIVE_COLUMNS: tuple[str, ...] = ("N", "mean", "sd", "min", "median", "max")


def describe(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per variable with :data:`DESCRIPTIVE_COLUMNS`, in the order of ``columns``.

    The index holds ``labels[column]`` where given, else the column name.  A
    variable with no values has N = 0 and blank statistics; one with a single
    value has a blank sd (it needs two).  A cell that is not a number is an
    InputError naming the column and row.
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise InputError("the variable is listed twice", column=str(twice), fix="list each variable once")
    require_columns(data, columns, role="variable")
    labels = dict(labels or {})
    shown = [labels.get(c, c) for c in columns]
    if len(set(shown)) != len(shown):
        twice = next(c for c in columns if shown.count(labels.get(c, c)) > 1)
        raise InputError(
            f"two variables would share the label {labels.get(twice, twice)!r}", column=str(twice), fix="give each variable its own label"
        )
    rows = {}
    for column in columns:
        try:
            values = numeric_column(data, column)
        except InputError as error:
            raise InputError(
                f"descriptive statistics need a numeric column; {error.problem}",
                row=error.rows or None,
                column=error.column,
                fix=f"{error.fix}; or leave '{column}' out of the descriptive statistics",
            ) from None
        present = values[~np.isnan(values)]
        n = present.size
        rows[labels.get(column, column)] = {
            "N": n,
            "mean": present.mean() if n else np.nan,
            "sd": present.std(ddof=1) if n > 1 else np.nan,
            "min": present.min() if n else np.nan,
            "median": np.median(present) if n else np.nan,
            "max": present.max() if n else np.nan,
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(DESCRIPTIVE_COLUMNS))
    table["N"] = table["N"].astype(int)
    table.index.name = "variable"
    return table
