"""Composite indices by the entropy weight method (docs/methods.md section 2).

The paper measures urban high-quality development (HQD) and digital
infrastructure as entropy-weighted sums of standardised indicators.  With n
rows (unit-years pooled, "global") and m indicators:

1. standardise over the rows: ``x' = (x - min)/(max - min)`` for a positive
   indicator, ``x' = (max - x)/(max - min)`` for a negative one;
2. shift ``x'' = x' + A`` (``shift``, default 0.0001) so that no share is 0;
3. ``p_ij = x''_ij / sum_i x''_ij``;
4. ``e_j = -(1/ln n) sum_i p_ij ln p_ij``, ``d_j = 1 - e_j``, ``w_j = d_j / sum_j d_j``;
5. score ``S_i = sum_j w_j x'_ij`` (the unshifted values), in [0, 1].

``pooling="by_year"`` runs steps 1-5 separately within each period (k = 1/ln N_t).

Missing values: a row missing any indicator has no index.  It gets a NaN score,
takes no part in the min/max, shares or entropies, and is counted in
``EntropyResult.rows`` (reason ``"missing indicator value"``; in by-year mode
also ``"missing time"``).  The Log reports that count, so the NaN is not silent.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from xlcbec.core.numbers import numeric_matrix, require_columns
from xlcbec.core.options import (
    ENTROPY_POOLING,
    ENTROPY_SHIFT,
    EntropyPooling,
    check_choice,
    check_positive,
)
from xlcbec.core.results import RowAccount, estimate_row
from xlcbec.errors import EstimationError, InputError, OptionError

Direction = Literal["+", "-"]
DIRECTIONS: tuple[str, ...] = get_args(Direction)

_REMOVE_FIX = "remove it from the Indicators sheet or set its include to no"


def _plogp(p: np.ndarray) -> np.ndarray:
    """p log p element-wise, 0 where p is 0 (as ``scipy.special.xlogy(p, p)``; NaN stays NaN).

    NumPy rather than SciPy: ``scipy.special`` costs about 0.3 s to import, on every click that builds the index.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = p * np.log(p)
    return np.where(p == 0, 0.0, out)


@dataclass(frozen=True, eq=False)
class EntropyResult:
    """An entropy-weighted composite index: weights, entropies and scores, labelled.

    Attributes (m indicators, n input rows, T periods in by-year mode)
    ----------
    name : the index name (``HQD``).
    weights : Series (m,) indexed by indicator, ``w_j``, sums to 1.  In by-year
        mode the plain mean of the yearly weights (each year counted once, not
        by its number of rows); it still sums to 1.  The yearly ones are in
        ``weights_by_year``.
    e, d : Series (m,) entropy ``e_j`` and divergence ``d_j = 1 - e_j``
        (by-year mode: means over years, the yearly ones in ``e_by_year``, ``d_by_year``).
    dimension_weights : Series indexed by dimension: the sum of ``weights`` of
        its indicators (empty when no dimensions were given).
    scores : Series (n,) aligned to the input index, NaN for rows not used.
    standardized : DataFrame (n, m) of ``x'`` (unshifted), NaN for rows not used.
    directions : Series (m,) of ``+``/``-``.
    dimensions : Series (m,) of dimension names, or None when not given.
    shift : the constant A added before the shares.
    pooling : ``global`` or ``by_year``.
    n_rows : the number of rows used.
    rows : RowAccount of rows read, used and dropped (with the reason).
    time : the period column (by-year mode), else None.
    weights_by_year, e_by_year, d_by_year : DataFrame (T, m) indexed by period,
        None in global mode.
    n_rows_by_year : Series (T,) rows used per period, None in global mode.
    """

    name: str
    weights: pd.Series
    e: pd.Series
    d: pd.Series
    dimension_weights: pd.Series
    scores: pd.Series
    standardized: pd.DataFrame
    directions: pd.Series
    dimensions: pd.Series | None
    shift: float
    pooling: EntropyPooling
    n_rows: int
    rows: RowAccount
    time: str | None = None
    weights_by_year: pd.DataFrame | None = None
    e_by_year: pd.DataFrame | None = None
    d_by_year: pd.DataFrame | None = None
    n_rows_by_year: pd.Series | None = None

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.weights.index)

    def table(self) -> pd.DataFrame:
        """One row per indicator: dimension, direction, e, d, weight (the Index sheet's table)."""
        frame = pd.DataFrame(
            {
                "dimension": self.dimensions if self.dimensions is not None else pd.Series("", index=self.weights.index),
                "direction": self.directions,
                "e": self.e,
                "d": self.d,
                "weight": self.weights,
            }
        )
        frame.index.name = "indicator"
        return frame

    def to_estimates(self) -> list[dict[str, Any]]:
        """Rows for the Estimates sheet: analysis ``index_weight``, model = index name, term = indicator."""
        rows = []
        for indicator in self.indicators:
            notes = []
            if self.dimensions is not None:
                notes.append(f"dimension={self.dimensions[indicator]}")
            notes.append(f"direction={self.directions[indicator]}")
            if self.pooling == "by_year" and self.weights_by_year is not None:
                notes.append(f"mean of {len(self.weights_by_year)} yearly weights")
            rows.append(
                estimate_row("index_weight", self.name, indicator, float(self.weights[indicator]), nobs=self.n_rows, note="; ".join(notes))
            )
        return rows

    def __str__(self) -> str:
        lines = [
            f"Entropy index {self.name}: {self.pooling} pooling, shift {self.shift:g}, {self.rows.describe()}",
            self.table().to_string(float_format=lambda v: f"{v:.6f}"),
        ]
        if len(self.dimension_weights):
            lines.append(self.dimension_weights.to_string(float_format=lambda v: f"{v:.6f}"))
        return "\n".join(lines)

    __repr__ = __str__


def plain_entropy_weights(matrix: Any) -> pd.Series | np.ndarray:
    """Entropy weights without standardisation or shift (Elsayed, Dawood & Karthikeyan 2017).

    ``p_ij = x_ij / sum_i x_ij``, ``e_j = -(1/ln m) sum_i p_ij ln p_ij`` with m the
    number of rows, ``w_j = (1 - e_j) / sum_j (1 - e_j)``.  Values must be
    non-negative with a positive column sum.  A DataFrame gives a Series
    indexed by its columns, anything else an array.
    """
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] < 2:
        raise InputError(
            f"expected a matrix with at least 2 rows and 2 columns, found shape {values.shape}",
            fix="give one row per alternative and one column per criterion",
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise InputError("plain entropy weights need finite, non-negative values", fix="standardise the data first")
    totals = values.sum(axis=0)
    if (totals <= 0).any():
        raise InputError("a column sums to zero, so its shares are undefined", fix="remove the all-zero column")
    shares = values / totals
    entropy = -_plogp(shares).sum(axis=0) / np.log(values.shape[0])
    divergence = 1.0 - entropy
    weights = divergence / divergence.sum()
    if isinstance(matrix, pd.DataFrame):
        return pd.Series(weights, index=matrix.columns, name="weight")
    return weights


def entropy_index(
    data: pd.DataFrame,
    indicators: Sequence[str],
    directions: Sequence[Direction] | Mapping[str, str],
    *,
    dimensions: Mapping[str, str] | None = None,
    shift: float = ENTROPY_SHIFT,
    pooling: EntropyPooling = ENTROPY_POOLING,
    time: str | None = None,
    name: str = "HQD",
) -> EntropyResult:
    """The entropy-weighted composite index of ``indicators`` (see the module docstring).

    Parameters
    ----------
    data : one row per unit-period, indexed by spreadsheet row number.
    indicators : the indicator columns (at least 2, distinct).
    directions : ``+``/``-`` per indicator, in the order of ``indicators`` or as a mapping.
    dimensions : indicator -> dimension (innovation, coordination, ...), for subtotals.
    shift : the constant A added to the standardised values (>= 0).
    pooling : ``global`` pools all rows; ``by_year`` computes weights within each period.
    time : the period column, required for ``by_year``.
    name : the index name used in the Estimates sheet and as the score's name.
    """
    indicators = _check_indicators(indicators)
    direction_of = _check_directions(indicators, directions)
    dimension_of = _check_dimensions(indicators, dimensions)
    check_choice("entropy_pooling", pooling, EntropyPooling)
    shift = check_positive("entropy_shift", shift, allow_zero=True)
    if pooling == "by_year":
        if time is None:
            raise OptionError("by-year entropy pooling needs the period column", option="entropy_pooling",
                              fix="set time to the year column")
        require_columns(data, [time], role="time column")

    values = numeric_matrix(data, indicators)
    missing = np.isnan(values)
    for j, indicator in enumerate(indicators):
        if missing[:, j].all():
            raise InputError(
                "the indicator has no values" if len(data) else "the data has no rows",
                column=indicator,
                fix=f"fill in the indicator or {_REMOVE_FIX}",
            )
    complete = ~missing.any(axis=1)
    dropped = {"missing indicator value": int((~complete).sum())}
    if pooling == "by_year":
        has_time = data[time].notna().to_numpy()
        dropped["missing time"] = int((complete & ~has_time).sum())
        complete &= has_time
    rows = RowAccount(read=len(data), used=int(complete.sum()), dropped={k: v for k, v in dropped.items() if v})
    if rows.used < 2:
        raise InputError(
            f"the entropy index needs at least 2 rows with every indicator present, found {rows.used}",
            fix="fill in the missing indicator values or remove the indicators that are mostly blank",
        )
    used = values[complete]
    negative = np.array([direction_of[c] == "-" for c in indicators])

    if pooling == "global":
        _check_not_constant(used, indicators)
        standardized, e, d, w = _global_entropy(used, negative, shift)
        score = standardized @ w
        by_year: dict[str, Any] = {}
        e_s, d_s, w_s = (pd.Series(v, index=list(indicators)) for v in (e, d, w))
    else:
        period_column = cast(str, time)  # checked above: by-year pooling requires it
        periods = data[period_column].to_numpy()[complete]
        standardized, score, tables = _by_year_entropy(
            used, periods, negative, shift, indicators, time=period_column
        )
        e_s, d_s, w_s = (tables[k].mean(axis=0) for k in ("e", "d", "w"))
        by_year = {
            "weights_by_year": tables["w"],
            "e_by_year": tables["e"],
            "d_by_year": tables["d"],
            "n_rows_by_year": tables["n"],
        }

    full_standardized = np.full(values.shape, np.nan)
    full_standardized[complete] = standardized
    full_score = np.full(len(data), np.nan)
    full_score[complete] = score
    dims = pd.Series(dimension_of, name="dimension") if dimension_of is not None else None
    weights = w_s.rename("weight")
    dimension_weights = (
        weights.groupby(dims, sort=False).sum().rename("weight") if dims is not None else pd.Series(dtype=float, name="weight")
    )
    dimension_weights.index.name = "dimension"
    return EntropyResult(
        name=name,
        weights=weights,
        e=e_s.rename("e"),
        d=d_s.rename("d"),
        dimension_weights=dimension_weights,
        scores=pd.Series(full_score, index=data.index, name=name),
        standardized=pd.DataFrame(full_standardized, index=data.index, columns=list(indicators)),
        directions=pd.Series(direction_of, name="direction"),
        dimensions=dims,
        shift=shift,
        pooling=pooling,
        n_rows=rows.used,
        rows=rows,
        time=time if pooling == "by_year" else None,
        **by_year,
    )


def _global_entropy(values: np.ndarray, negative: np.ndarray, shift: float) -> tuple[np.ndarray, ...]:
    """Steps 1-4 on all rows at once: (x', e, d, w)."""
    low = values.min(axis=0)
    high = values.max(axis=0)
    standardized = np.where(negative, high - values, values - low) / (high - low)
    shares = standardized + shift
    shares /= shares.sum(axis=0)
    entropy = -_plogp(shares).sum(axis=0) / np.log(values.shape[0])
    divergence = 1.0 - entropy
    _check_divergence(divergence)
    return standardized, entropy, divergence, divergence / divergence.sum()


def _by_year_entropy(
    values: np.ndarray,
    periods: np.ndarray,
    negative: np.ndarray,
    shift: float,
    indicators: Sequence[str],
    *,
    time: str,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Steps 1-5 within each period, by group reductions over all rows at once.

    Written with group sums rather than by calling the global route per period,
    so that the two can be tested against each other.
    """
    codes, labels = pd.factorize(periods, sort=True)
    n_periods = len(labels)
    counts = np.bincount(codes, minlength=n_periods)
    if (counts < 2).any():
        lonely = labels[counts < 2]
        raise InputError(
            f"by-year entropy needs at least 2 complete rows in every period; {time} {_join(lonely)} has fewer",
            column=time,
            fix="use entropy_pooling = global, or fill in the missing indicator values for that period",
        )
    frame = pd.DataFrame(values)
    grouped = frame.groupby(codes, sort=True)
    low = grouped.min().to_numpy()
    high = grouped.max().to_numpy()
    span = high - low
    constant = span == 0
    if constant.any():
        column_pos = int(np.argwhere(constant)[0][1])
        years = labels[constant[:, column_pos]]
        raise InputError(
            f"the indicator takes a single value within {time} {_join(years)}, so by-year entropy weights are undefined",
            column=indicators[column_pos],
            fix=f"use entropy_pooling = global, or {_REMOVE_FIX}",
        )
    standardized = np.where(negative, high[codes] - values, values - low[codes]) / span[codes]
    shifted = standardized + shift
    totals = np.column_stack([np.bincount(codes, weights=shifted[:, j], minlength=n_periods) for j in range(values.shape[1])])
    shares = shifted / totals[codes]
    plogp = _plogp(shares)
    sums = np.column_stack([np.bincount(codes, weights=plogp[:, j], minlength=n_periods) for j in range(values.shape[1])])
    entropy = -sums / np.log(counts)[:, None]
    divergence = 1.0 - entropy
    _check_divergence(divergence)
    weights = divergence / divergence.sum(axis=1, keepdims=True)
    score = np.einsum("ij,ij->i", standardized, weights[codes])
    index = pd.Index(labels, name=time)
    tables = {
        "e": pd.DataFrame(entropy, index=index, columns=list(indicators)),
        "d": pd.DataFrame(divergence, index=index, columns=list(indicators)),
        "w": pd.DataFrame(weights, index=index, columns=list(indicators)),
        "n": pd.Series(counts, index=index, name="rows"),
    }
    return standardized, score, tables


def _check_indicators(indicators: Sequence[str]) -> tuple[str, ...]:
    if isinstance(indicators, str):
        indicators = [indicators]
    names = tuple(indicators)
    if len(names) < 2:
        raise InputError(
            f"an entropy index needs at least 2 indicators, found {len(names)}",
            fix="list two or more indicators for the index on the Indicators sheet (include = yes)",
        )
    seen: set[str] = set()
    for indicator in names:
        if indicator in seen:
            raise InputError("the indicator is listed twice", column=str(indicator), fix="list each indicator once")
        seen.add(indicator)
    return names


def _check_directions(indicators: tuple[str, ...], directions: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(directions, Mapping):
        for indicator in indicators:
            if indicator not in directions:
                raise InputError(
                    "the indicator has no direction", column=indicator, fix="set its direction to + or - on the Indicators sheet"
                )
        given = [directions[c] for c in indicators]
    else:
        given = list(directions)
        if len(given) != len(indicators):
            raise InputError(
                f"expected one direction per indicator ({len(indicators)}), found {len(given)}",
                fix="give + or - for every indicator",
            )
    out = {}
    for indicator, direction in zip(indicators, given):
        text = direction.strip() if isinstance(direction, str) else direction
        if text not in DIRECTIONS:
            raise InputError(
                f"direction must be + or -, found {direction!r}",
                column=indicator,
                fix="set the direction to + (more is better) or - (less is better) on the Indicators sheet",
            )
        out[indicator] = text
    return out


def _check_dimensions(indicators: tuple[str, ...], dimensions: Mapping[str, str] | None) -> dict[str, str] | None:
    if dimensions is None:
        return None
    out = {}
    for indicator in indicators:
        dimension = dimensions.get(indicator)
        if not isinstance(dimension, str) or not dimension.strip():
            raise InputError(
                f"the indicator has no dimension, found {dimension!r}",
                column=indicator,
                fix="fill in its dimension on the Indicators sheet, or leave every dimension blank",
            )
        out[indicator] = dimension.strip()
    return out


def _check_not_constant(values: np.ndarray, indicators: Sequence[str]) -> None:
    constant = values.max(axis=0) == values.min(axis=0)
    for j in np.flatnonzero(constant):
        raise InputError(
            f"the indicator takes the single value {values[0, j]:g} in every row used, so it carries no information "
            "and its entropy weight is undefined (max = min)",
            column=indicators[int(j)],
            fix=_REMOVE_FIX,
        )


def _check_divergence(divergence: np.ndarray) -> None:
    # Standardisation puts a 0 and a 1 in every column, so e_j < 1 exactly; this
    # guards against a rounding collapse with extremely many rows, not user input.
    if not (divergence > 0).all():
        raise EstimationError(
            "an indicator's entropy rounds to 1, so its weight cannot be computed",
            fix="check the indicator for a few extreme values; a smaller entropy_shift or entropy_pooling = by_year may help",
        )


def _join(labels: Iterable[Hashable]) -> str:
    values = [str(v) for v in labels]
    return ", ".join(values[:8]) + (f" and {len(values) - 8} more" if len(values) > 8 else "")
