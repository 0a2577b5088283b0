"""Productive-service agglomeration by the location quotient (paper eq. 12, docs/methods.md section 2).

    spec_it = (sum_j S_ijt / sum_i sum_j S_ijt) / (S_it / sum_i S_it)

S_ijt is the employment of city i in service sector j in year t and S_it its
total employment; the sums over i run over the cities present in year t.  A
value above 1 means the city's share of the country's productive-service jobs
exceeds its share of all jobs.

The paper's text calls spec "the sum of the agglomeration indices of all the
subsectors", but its equation (12), which docs/methods.md adopts, is the quotient of
the pooled sectors; xlcbec computes the equation.

Missing values: a row missing a sector, the total or the year gets NaN and is
left out of that year's national sums (so the other cities' quotients use the
cities with data), with a DataQualityWarning giving the count.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xlcbec.core.numbers import located_error, numeric_column, numeric_matrix, require_columns
from xlcbec.errors import DataQualityWarning, InputError

DEFAULT_LOW_SECTORS: tuple[str, ...] = ("emp_transport", "emp_wholesale", "emp_leasing")
"""Low/middle-end productive services: transport, warehousing and post; wholesale and retail; leasing and business services."""
DEFAULT_HIGH_SECTORS: tuple[str, ...] = ("emp_it", "emp_finance", "emp_research")
"""High-end productive services: information transmission, software and IT; finance; scientific research and technical services."""
DEFAULT_TOTAL = "emp_total"
"""Total employment of the city (all industries)."""


def location_quotient(
    data: pd.DataFrame,
    sectors: Sequence[str],
    total: str = DEFAULT_TOTAL,
    *,
    time: str,
    name: str = "spec",
) -> pd.Series:
    """The location quotient of the pooled ``sectors`` per row, aligned to ``data.index`` (eq. 12)."""
    values, missing, over = _location_quotient(data, sectors, total, time=time)
    _warn_over_total(data.index, over, sectors=sectors, total=total)
    _warn_missing({name: missing}, sectors=sectors, total=total, time=time)
    return pd.Series(values, index=data.index, name=name)


def service_agglomeration(
    data: pd.DataFrame,
    *,
    time: str,
    total: str = DEFAULT_TOTAL,
    low_sectors: Sequence[str] = DEFAULT_LOW_SECTORS,
    high_sectors: Sequence[str] = DEFAULT_HIGH_SECTORS,
) -> pd.DataFrame:
    """The paper's three mediators: ``spec`` (all six sectors), ``spec_low`` and ``spec_high``.

    Each is eq. 12 on its own sector set; a row missing a value gets NaN only in
    the quotients that use that value.
    """
    sets = {"spec": (*low_sectors, *high_sectors), "spec_low": tuple(low_sectors), "spec_high": tuple(high_sectors)}
    columns, missing, over = {}, {}, {}
    for label, sectors in sets.items():
        columns[label], missing[label], over[label] = _location_quotient(data, sectors, total, time=time)
    # A sector subset exceeding the total implies the full set does: one warning is enough.
    _warn_over_total(data.index, over["spec"], sectors=sets["spec"], total=total)
    _warn_missing(missing, sectors=sets["spec"], total=total, time=time)
    return pd.DataFrame(columns, index=data.index)


def _location_quotient(
    data: pd.DataFrame, sectors: Sequence[str], total: str, *, time: str
) -> tuple[np.ndarray, int, np.ndarray]:
    """(quotients with NaN for unusable rows, number of such rows, mask of rows whose sectors exceed the total)."""
    sectors = [sectors] if isinstance(sectors, str) else list(sectors)
    if not sectors:
        raise InputError("the location quotient needs at least one service-sector column", fix="list the sector employment columns")
    require_columns(data, [*sectors, total])
    require_columns(data, [time], role="time column")
    employment = numeric_matrix(data, sectors)
    total_employment = numeric_column(data, total)

    for j, column in enumerate([*sectors, total]):
        col = employment[:, j] if j < len(sectors) else total_employment
        negative = col < 0  # NaN compares False
        if negative.any():
            raise located_error(
                f"employment cannot be negative, found {col[negative][0]:g}",
                rows=list(data.index[negative]),
                column=column,
                fix="correct the value (persons employed) or leave the cell blank if it is unknown",
            )
    zero_total = total_employment == 0
    if zero_total.any():
        raise located_error(
            "total employment is 0, so the city's share of employment is 0 and the quotient is undefined",
            rows=list(data.index[zero_total]),
            column=total,
            fix="enter the city's total employment or leave the cell blank if it is unknown",
        )

    usable = ~np.isnan(employment).any(axis=1) & ~np.isnan(total_employment) & data[time].notna().to_numpy()
    service = employment.sum(axis=1)
    over = usable & (service > total_employment)

    result = np.full(len(data), np.nan)
    if usable.any():
        codes, years = pd.factorize(data[time].to_numpy()[usable], sort=True)
        service_used, total_used = service[usable], total_employment[usable]
        service_by_year = np.bincount(codes, weights=service_used, minlength=len(years))
        total_by_year = np.bincount(codes, weights=total_used, minlength=len(years))
        empty = service_by_year == 0
        if empty.any():
            raise InputError(
                f"no employment in {', '.join(sectors)} in {time} {', '.join(str(y) for y in years[empty])}, "
                "so the national service share is 0 and the quotient is undefined",
                column=time,
                fix="check the sector employment columns for that year (blank rather than 0 when unknown)",
            )
        result[usable] = (service_used / service_by_year[codes]) / (total_used / total_by_year[codes])
    return result, int((~usable).sum()), over


def _warn_over_total(index: pd.Index, over: np.ndarray, *, sectors: Sequence[str], total: str) -> None:
    # Sector jobs are part of all jobs, so more of them than the total points at
    # mixed units (persons vs 10,000 persons); the quotient is still computed.
    if over.any():
        warnings.warn(
            f"{int(over.sum())} rows have more employment in {', '.join(sectors)} than in {total} "
            f"(first: row {index[over][0]}); check the units of the employment columns",
            DataQualityWarning,
            stacklevel=3,
        )


def _warn_missing(missing: dict[str, int], *, sectors: Sequence[str], total: str, time: str) -> None:
    counts = {label: n for label, n in missing.items() if n}
    if counts:
        which = "; ".join(f"{label}: {n} rows" for label, n in counts.items())
        warnings.warn(
            f"location quotient left blank where {', '.join(sectors)}, {total} or {time} is missing ({which}); "
            "those rows are also left out of the yearly national totals",
            DataQualityWarning,
            stacklevel=3,
        )
