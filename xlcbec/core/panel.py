"""The city-year panel: validation, treatment timing and interpolation (docs/methods.md section 1).

``prepare_panel`` turns the user's long table into the frame every analysis
uses: one row per (unit, period), a 0/1 treatment column (``CBEC`` by default,
``1[period >= pilot year]``), the first treatment period per unit, and interior
gaps filled by linear interpolation.  Row labels are kept, so later errors
still name the spreadsheet rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlcbec.core.number_rule import shown as _shown
from xlcbec.core.numbers import located_error, numeric_column
from xlcbec.core.options import INTERPOLATE, Interpolation, check_choice
from xlcbec.errors import InputError

TREATMENT = "CBEC"
FIRST_TREAT = "_first_treat"  # first treated period per unit (NaN = never within the data)
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100



@dataclass(frozen=True, eq=False)
class PanelData:
    """A validated panel.

    ``data`` holds the user's columns plus ``treatment`` (0/1) and
    ``FIRST_TREAT``; ``notes`` are plain-language remarks for the Log.
    """

    data: pd.DataFrame
    unit: str
    time: str
    treatment: str
    periods: tuple[int, ...]
    notes: tuple[str, ...] = ()
    interpolated: dict[str, int] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        return int(self.data[self.unit].nunique())

    @property
    def treated_units(self) -> int:
        return int(self.data.loc[self.data[FIRST_TREAT].notna(), self.unit].nunique())


def _row_labels(index: pd.Index) -> list[int]:
    return [int(i) for i in index if isinstance(i, (int, np.integer))]


def _as_periods(values: pd.Series, *, column: str, what: str) -> pd.Series:
    """Whole-number periods; text such as '2015年' or 2015.5 is an error naming the cell."""
    # float64 even for nullable integer columns (Int64): NaN marks the blanks.
    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
    bad_text = values.notna() & numeric.isna()
    if bad_text.any():
        first = values[bad_text].iloc[0]
        raise InputError(
            f"expected {what} as a whole number, found {_shown(first)}",
            row=_row_labels(values.index[bad_text][:1]) or None,
            column=column,
            fix="type the year as a plain number such as 2015 (no text, units or characters like 年)",
        )
    fractional = numeric.notna() & (numeric != np.floor(numeric))
    if fractional.any():
        raise InputError(
            f"expected {what} as a whole number, found {_shown(numeric[fractional].iloc[0])}",
            row=_row_labels(values.index[fractional][:1]) or None,
            column=column,
            fix="use whole years such as 2015",
        )
    return numeric


def _check_plausible_years(values: pd.Series, *, column: str) -> None:
    implausible = values.notna() & (values != 0) & ((values < EARLIEST_YEAR) | (values > LATEST_YEAR))
    if implausible.any():
        raise InputError(
            f"{values[implausible].iloc[0]:g} is not a plausible year (expected {EARLIEST_YEAR}-{LATEST_YEAR})",
            row=_row_labels(values.index[implausible][:1]) or None,
            column=column,
            fix="type the first year of the pilot (e.g. 2016), or leave it blank for a city that was never a pilot",
        )


def prepare_panel(
    frame: pd.DataFrame,
    *,
    unit: str = "city",
    time: str = "year",
    first_treat: str | None = "pilot_year",
    treatment: str | None = None,
    treatment_name: str = TREATMENT,
    interpolate: Interpolation = INTERPOLATE,
    interpolate_columns: Sequence[str] | None = None,
) -> PanelData:
    """Validate the panel and derive the treatment.

    Treatment timing comes from ``first_treat`` (blank or 0 = never treated)
    unless ``treatment`` names a user 0/1 column, which must be absorbing.
    """
    for column in (unit, time):
        if column not in frame.columns:
            raise InputError(
                f"the {'unit' if column == unit else 'time'} column {column!r} is missing",
                column=column,
                fix=f"add a column headed {column!r} or set Settings '{'unit' if column == unit else 'time'}' to the right header",
            )
    if frame.empty:
        raise InputError("the panel has no data rows", fix="paste one row per city and year below the header")
    data = frame.copy()
    blank_unit = data[unit].isna() | (data[unit].astype(str).str.strip() == "")
    if blank_unit.any():
        raise InputError("the unit is blank", row=_row_labels(data.index[blank_unit][:8]) or None,
                         column=unit, fix="fill in the city for every row, or delete empty rows")
    periods = _as_periods(data[time], column=time, what="the period")
    if periods.isna().any():
        raise InputError("the year is blank", row=_row_labels(data.index[periods.isna()][:8]) or None,
                         column=time, fix="fill in the year for every row")
    data[time] = periods.astype(np.int64)
    duplicated = data.duplicated([unit, time], keep=False)
    if duplicated.any():
        first = data.loc[duplicated].iloc[0]
        rows = _row_labels(data.index[duplicated & (data[unit] == first[unit]) & (data[time] == first[time])])
        raise InputError(
            f"{unit} {_shown(first[unit])} appears more than once for {time} {int(first[time])}"
            + (f" ({int(duplicated.sum())} duplicated rows in all)" if duplicated.sum() > 2 else ""),
            row=rows or None,
            fix="keep one row per city and year (delete or merge the duplicates)",
        )
    data = data.sort_values([unit, time], kind="stable")
    all_periods = tuple(int(p) for p in np.sort(data[time].unique()))
    notes: list[str] = []
    if treatment:
        data, first_year = _from_treatment_column(data, unit=unit, time=time, column=treatment)
        data[treatment_name] = data[treatment].astype(float)
    else:
        if not first_treat or first_treat not in data.columns:
            raise InputError(
                f"the first-treatment-year column {first_treat!r} is missing",
                column=first_treat,
                fix="add the pilot year of each city (Panel or Cities sheet), or name a 0/1 treatment column in Settings 'treatment'",
            )
        first_year = _first_treat_years(data, unit=unit, column=first_treat)
        derived = (data[time] >= first_year.fillna(np.inf)).astype(float)
        if treatment_name in data.columns:
            notes.append(_compare_own_treatment(data, derived, treatment_name, first_treat, time))
        data[treatment_name] = derived
        late = data.loc[first_year > all_periods[-1], unit].nunique()
        early = data.loc[first_year <= all_periods[0], unit].nunique()
        if late:
            notes.append(
                f"{late} unit(s) have a pilot year after the last period {all_periods[-1]}: "
                "not yet treated in the sample (CBEC = 0 throughout); they enter the event study's pre-period dummies"
            )
        if early:
            notes.append(f"{early} unit(s) have a pilot year at or before the first period {all_periods[0]}: treated throughout")
    data[FIRST_TREAT] = first_year
    treated = data[treatment_name] == 1
    if not treated.any():
        raise InputError(
            "no row is treated, so the policy effect cannot be estimated",
            column=treatment or first_treat,
            fix="fill in the pilot years of the pilot cities (within the years of the panel)",
        )
    if treated.all():
        raise InputError(
            "every row is treated, so there is no comparison group",
            column=treatment or first_treat,
            fix="include cities that were not (yet) pilots",
        )
    interpolated: dict[str, int] = {}
    if interpolate == "linear":
        protected = {unit, time, treatment_name, FIRST_TREAT, treatment or "", first_treat or ""}
        dtypes = data.dtypes  # one lookup, not a column selection per column
        columns = interpolate_columns if interpolate_columns is not None else [
            c for c in data.columns if c not in protected and pd.api.types.is_numeric_dtype(dtypes[c])
        ]
        data, interpolated = interpolate_interior(data, columns=columns, unit=unit, time=time)
        filled = sum(interpolated.values())
        if filled:
            notes.append(f"{filled} interior missing value(s) filled by linear interpolation within city")
    elif interpolate != "none":
        check_choice("interpolate", interpolate, Interpolation)
    return PanelData(data=data, unit=unit, time=time, treatment=treatment_name, periods=all_periods,
                     notes=tuple(notes), interpolated=interpolated)


def _first_treat_years(data: pd.DataFrame, *, unit: str, column: str) -> pd.Series:
    years = _as_periods(data[column], column=column, what="the pilot year")
    _check_plausible_years(years, column=column)
    years = years.where(years != 0)  # 0 (as in mpdta) = never treated
    per_unit = years.groupby(data[unit]).agg(["min", "max"])
    conflict = per_unit["min"].ne(per_unit["max"]) & per_unit["max"].notna()
    # A blank next to a year within the same unit is a conflict too.
    has_blank = years.isna().groupby(data[unit]).any()
    conflict |= has_blank.reindex(per_unit.index) & per_unit["max"].notna()
    if conflict.any():
        bad_unit = conflict.index[conflict][0]
        rows = _row_labels(data.index[data[unit] == bad_unit])
        raise InputError(
            f"unit {_shown(bad_unit)} has different pilot years in different rows",
            row=rows or None,
            column=column,
            fix="give every row of a city the same pilot year (or put it once in the Cities sheet)",
        )
    return years


def _from_treatment_column(
    data: pd.DataFrame, *, unit: str, time: str, column: str
) -> tuple[pd.DataFrame, pd.Series]:
    if column not in data.columns:
        raise InputError(f"the treatment column {column!r} is missing", column=column,
                         fix="add it, or clear Settings 'treatment' to derive CBEC from the pilot year")
    values = pd.to_numeric(data[column], errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        raise InputError(
            f"the treatment must be 0 or 1, found {_shown(data.loc[bad, column].iloc[0])}",
            row=_row_labels(data.index[bad][:8]) or None,
            column=column,
            fix="use 1 for treated city-years and 0 otherwise (no blanks)",
        )
    data = data.assign(**{column: values})
    switched_off = values.groupby(data[unit]).diff() < 0
    if switched_off.any():
        row = data.index[switched_off][0]
        bad_unit = data.at[row, unit]
        unit_rows = data[data[unit] == bad_unit]
        on = unit_rows.loc[unit_rows[column] == 1, time]
        raise InputError(
            f"the treatment of unit {_shown(bad_unit)} switches back from 1 to 0 in {time} {int(data.at[row, time])} "
            f"(treated from {int(on.min())}); a pilot zone, once set up, stays treated",
            row=_row_labels(pd.Index([row])) or None,
            column=column,
            fix="make the treatment absorbing (1 in every year from the first treated year on), or use the pilot year instead",
        )
    first = data[time].where(values == 1).groupby(data[unit]).transform("min")
    return data, first


def interpolate_interior(
    data: pd.DataFrame, *, columns: Sequence[str], unit: str, time: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fill interior gaps linearly in time within each unit; edges are never extrapolated.

    ``data`` must be sorted by unit and time.  Vectorised with grouped
    forward/backward fills so it stays fast on a million rows.
    """
    data = data.copy()
    counts: dict[str, int] = {}
    dtypes = data.dtypes
    numeric = [c for c in dict.fromkeys(columns) if pd.api.types.is_numeric_dtype(dtypes[c])]
    if not numeric:
        return data, counts
    has_gap = data[numeric].isna().any()
    gaps = [c for c in numeric if has_gap[c]]
    if not gaps:
        return data, counts
    # All columns with gaps at once: four grouped fills in all instead of four per column.
    values = data[gaps].astype(float)
    missing = values.isna()
    t = data[time].astype(float).to_numpy()[:, None]
    known_t = pd.DataFrame(np.where(missing, np.nan, t), index=data.index, columns=gaps)
    groups = data[unit]
    prev_v = values.groupby(groups).ffill().to_numpy()
    next_v = values.groupby(groups).bfill().to_numpy()
    prev_t = known_t.groupby(groups).ffill().to_numpy()
    next_t = known_t.groupby(groups).bfill().to_numpy()
    fill = missing.to_numpy() & ~np.isnan(prev_v) & ~np.isnan(next_v)
    with np.errstate(invalid="ignore", divide="ignore"):
        filled = prev_v + (next_v - prev_v) * ((t - prev_t) / (next_t - prev_t))
    for j, column in enumerate(gaps):
        rows = fill[:, j]
        if rows.any():
            data.loc[rows, column] = filled[rows, j]
            counts[column] = int(rows.sum())
    return data, counts


def _compare_own_treatment(data: pd.DataFrame, derived: pd.Series, name: str, first_treat: str, time: str) -> str:
    """A treatment column the user typed beside the pilot years must say the same; a note when it does."""
    own = pd.Series(numeric_column(data, name), index=data.index)
    differs = own.notna() & (own != derived)
    if differs.any():
        row = differs.index[differs.to_numpy()][0]
        raise located_error(
            f"the Panel's own {name!r} column says {own[row]:g} where the pilot year {_shown(data.loc[row, first_treat])} and "
            f"the year {_shown(data.loc[row, time])} give {derived[row]:g} ({int(differs.sum())} row(s) disagree)",
            rows=list(differs.index[differs.to_numpy()]), column=name,
            fix=f"delete the {name!r} column (xlcbec derives it from '{first_treat}'), correct it, or name it in "
                f"Settings 'treatment' to use it instead of the pilot years",
        )
    return f"the Panel's own {name!r} column agrees with {name} derived from '{first_treat}' on every filled row"
