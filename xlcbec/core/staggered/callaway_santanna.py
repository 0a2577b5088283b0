"""Callaway & Sant'Anna (2021) group-time average treatment effects, without covariates.

ATT(g,t) is the average effect in period t on the cohort first treated in g.
Without covariates it is a difference of mean changes:

    ATT(g,t) = mean_{G=g}(Y_t - Y_b) - mean_{controls}(Y_t - Y_b)

with base period b = g - 1 - anticipation (the last period before treatment
may be anticipated) for post-treatment cells (t >= g), and for
pre-treatment cells b = t - 1 ("varying") or b = g - 1 - anticipation
("universal", whose cell t = b is the reference, set to 0).  Controls are the
never-treated units, or ("not_yet") also the units first treated after
max(t, b) + anticipation, other than cohort g itself.

This is what R ``did::att_gt`` (version 2.5, panel data, ``xformla = ~1``,
any ``est_method``: with only an intercept the doubly robust, IPW and
regression estimators all reduce to this difference) computes, including its
sample rules, which xlcbec mirrors and reports in ``warnings``:

- rows with a missing outcome are dropped, then units not observed in every
  remaining period (R: "converting to balanced panel");
- a first-treatment period after the last period (+ anticipation) means not
  treated within the data: such units are never-treated controls;
- units treated in the first period (first_treat <= first period +
  anticipation) have no pre-treatment period and are dropped;
- with no never-treated unit, ``not_yet`` drops the periods from the latest
  cohort's adoption (minus anticipation) on, where no control is left, and the
  latest cohort only serves as a control.  (R would instead turn that cohort
  into "never treated" for ``never``; xlcbec says the design does not apply.)

Blank or 0 first-treatment period = never treated (xlcbec convention; R's did
uses 0).  Inference is analytic: each cell's unit-level influence function
(zero for units outside the cell's treated and control groups) gives
V = psi'psi / n and se = sqrt(diag(V) / n), as R did with ``bstrap = FALSE``;
confidence intervals are pointwise normal.  The pre-trend test is R's Wald
statistic W = n a' V_pre^{-1} a over the pre-treatment cells, chi-squared
with one degree of freedom per cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from xlcbec.core import distributions
from xlcbec.core.numbers import located_error, numeric_column, require_columns
from xlcbec.core.options import check_choice
from xlcbec.core.results import RowAccount, estimate_row
from xlcbec.core.staggered.cs_aggregation import SE_FLOOR, CSAggregation, aggregate
from xlcbec.core.staggered.wide_panel import (
    check_unique_unit_time,
    to_wide,
    unit_constant,
)
from xlcbec.errors import NotApplicableError, OptionError

ControlGroup = Literal["never", "not_yet"]
BasePeriod = Literal["varying", "universal"]

# R did declines a cell whose treated share among treated + controls reaches this (intercept-only overlap check).
_OVERLAP_LIMIT = 0.999
# R did warns about cohorts smaller than this (length of the covariate formula + 5).
_SMALL_COHORT = 5


@dataclass(frozen=True)
class CSPretrendTest:
    """Wald test that all pre-treatment ATT(g,t) are zero: ``statistic`` ~ chi2(``df``)."""

    statistic: float
    df: int
    pvalue: float
    cells: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class CSResult:
    """Callaway & Sant'Anna estimates: read-only, labelled.

    ``group_time``: one row per (cohort, period) cell with columns ``group``,
    ``time``, ``event_time``, ``base_time``, ``post``, ``att``, ``se``,
    ``ci_low``, ``ci_high``, ``n_treated``, ``n_control``.
    ``influence`` (n_units x n_cells, cell order as ``group_time``) holds the
    unit-level influence functions; ``units`` labels its rows.
    """

    group_time: pd.DataFrame
    simple: CSAggregation
    group: CSAggregation
    dynamic: CSAggregation
    calendar: CSAggregation
    pretrend: CSPretrendTest | None
    influence: np.ndarray
    units: pd.Index
    cohorts: pd.Series
    periods: tuple[float, ...]
    control_group: ControlGroup
    base_period: BasePeriod
    anticipation: int
    alpha: float
    outcome: str
    rows: RowAccount
    units_dropped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def aggregations(self) -> dict[str, CSAggregation]:
        return {"simple": self.simple, "group": self.group, "dynamic": self.dynamic, "calendar": self.calendar}

    def to_estimates(self, *, note: str = "") -> list[dict[str, Any]]:
        """Rows for the Estimates sheet: analysis ``cs``, model = control group."""
        z = distributions.norm_ppf(1 - self.alpha / 2)
        rows: list[dict[str, Any]] = []
        # (term, ATT, SE, remark) of every row; the statistics of all of them in one call below.
        entries: list[tuple[str, float, float, str]] = [
            ("simple", self.simple.overall_att, self.simple.overall_se, "post-treatment ATT(g,t) weighted by cohort size"),
            ("dynamic", self.dynamic.overall_att, self.dynamic.overall_se, "mean of event-time effects e >= 0"),
            ("group", self.group.overall_att, self.group.overall_se, "cohort effects weighted by cohort size"),
        ]
        detail = self.dynamic.detail
        entries += [(f"e{_label(e)}", att, se, "")
                    for e, att, se in zip(detail.index, detail["att"].to_numpy(), detail["se"].to_numpy())]
        cells = self.group_time
        entries += [(f"att_{_label(g)}_{_label(t)}", att, se, "reference period" if t == base else "")
                    for g, t, base, att, se in zip(*(cells[c].to_numpy() for c in ("group", "time", "base_time", "att", "se")))]
        with np.errstate(divide="ignore", invalid="ignore"):
            stats = [att / se if se > 0 else float("nan") for _, att, se, _ in entries]
        pvalues = 2 * distributions.norm_sf(np.abs(np.array(stats, dtype=float)))
        for (term, att, se, extra), stat, p in zip(entries, stats, pvalues):
            rows.append(
                estimate_row(
                    "cs", self.control_group, term, att,
                    std_error=se, statistic=stat, p_value=None if math.isnan(stat) else p,
                    ci_low=att - z * se, ci_high=att + z * se,
                    nobs=self.n_units, note="; ".join(s for s in (extra, note) if s),
                    n_clusters=self.n_units,  # influence-function SEs clustered by unit
                )
            )
        if self.pretrend is not None:
            rows.append(
                estimate_row(
                    "cs", self.control_group, "pretrend_wald",
                    statistic=self.pretrend.statistic, p_value=self.pretrend.pvalue, nobs=self.n_units,
                    n_clusters=self.n_units, note=f"chi2({self.pretrend.df}) Wald test that all pre-treatment ATT(g,t) are 0",
                )
            )
        return rows

    def __str__(self) -> str:
        lines = [
            f"Callaway & Sant'Anna ATT(g,t): outcome {self.outcome}, controls {self.control_group}, "
            f"base period {self.base_period}, anticipation {self.anticipation}, units {self.n_units}",
            self.group_time[["group", "time", "att", "se", "ci_low", "ci_high"]].to_string(
                index=False, float_format=lambda v: f"{v:.6f}"
            ),
        ]
        for name, agg in self.aggregations.items():
            lines.append(f"{name:>8}: ATT = {agg.overall_att:.6f} (SE {agg.overall_se:.6f})")
        if self.pretrend is not None:
            lines.append(f"pre-trend Wald chi2({self.pretrend.df}) = {self.pretrend.statistic:.4f}, p = {self.pretrend.pvalue:.5f}")
        lines.extend(f"Note: {w}" for w in self.notes)
        return "\n".join(lines)

    __repr__ = __str__


def _label(value: object) -> str:
    """A period or event time as written in term names: 2004, -3, 2004.5."""
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _check_options(control_group: str, base_period: str, anticipation: object, alpha: object) -> int:
    check_choice("control_group", control_group, ControlGroup)
    check_choice("base_period", base_period, BasePeriod)
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, float, np.integer, np.floating)) \
            or not float(anticipation).is_integer() or float(anticipation) < 0:
        raise OptionError(f"anticipation must be a whole number of periods, 0 or more; found {anticipation!r}",
                          option="anticipation", fix="set anticipation to 0 (no anticipation) or a positive whole number")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not 0 < float(alpha) < 1:
        raise OptionError(f"alpha must be between 0 and 1; found {alpha!r}", option="alpha",
                          fix="use 0.05 for 95% intervals")
    return int(anticipation)


@dataclass(frozen=True)
class _Design:
    """The balanced panel the cells are computed on: outcome (N x T), cohort per unit (inf = never)."""

    units: pd.Index
    times: np.ndarray
    outcome: np.ndarray
    cohort: np.ndarray
    cohorts_estimated: np.ndarray
    rows: RowAccount
    units_dropped: dict[str, int]
    notes: list[str]


def _prepare(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treat: str,
             control_group: ControlGroup, anticipation: int) -> _Design:
    require_columns(data, [unit, time, outcome, first_treat])
    notes: list[str] = []
    dropped_rows: dict[str, int] = {}
    dropped_units: dict[str, int] = {}
    read = len(data)

    frame = data[[unit, time]].copy()
    frame["_y"] = numeric_column(data, outcome)
    frame["_t"] = numeric_column(data, time)
    start_treat = numeric_column(data, first_treat)
    if (start_treat < 0).any():
        raise located_error(
            "a first-treatment period cannot be negative", rows=data.index[start_treat < 0], column=first_treat,
            fix="enter the period the unit was first treated, or leave it blank (or 0) for never treated",
        )
    has_key = frame[unit].notna().to_numpy() & ~np.isnan(frame["_t"].to_numpy())
    frame = frame.loc[has_key]
    # Blank and 0 both mean never treated; unify them before checking that a unit has one value.
    start_treat = np.where(start_treat[has_key] == 0, np.nan, start_treat[has_key])
    check_unique_unit_time(frame, unit, time)
    cohort_by_unit = unit_constant(frame, unit=unit, column=first_treat, values=start_treat)
    # Never treated -> inf: above every period in the "treated by t" comparisons.
    cohort_by_unit = cohort_by_unit.fillna(np.inf)

    missing = np.isnan(frame["_y"].to_numpy())
    if (~has_key).any() or missing.any():
        dropped_rows["missing unit, period or outcome"] = int((~has_key).sum() + missing.sum())
    frame = frame.loc[~missing]
    if frame.empty:
        raise NotApplicableError(f"Callaway & Sant'Anna: no row has a value of '{outcome}'; the estimator needs the outcome in every period")
    frame["_g"] = cohort_by_unit.reindex(frame[unit].to_numpy()).to_numpy()

    times = np.unique(frame["_t"].to_numpy())
    # As R did: adoption after the last period (+ anticipation) is judged on the periods with data,
    # before any period is dropped below.
    not_within = times[-1] + anticipation
    late = np.isfinite(cohort_by_unit) & (cohort_by_unit > not_within)
    if late.any():
        cohort_by_unit = cohort_by_unit.where(~late, np.inf)
        frame.loc[frame["_g"] > not_within, "_g"] = np.inf
        notes.append(
            f"{int(late.sum())} units first treated after the last period ({_label(times[-1])}) are not treated "
            "within the data and serve as never-treated controls"
        )

    cohorts = np.unique(frame["_g"].to_numpy())
    latest_control_only = None
    if not np.isinf(cohorts).any():
        if control_group == "never":
            raise NotApplicableError(
                "Callaway & Sant'Anna with never-treated controls needs units that are never treated within the data "
                f"('{first_treat}' blank, 0 or after the last period); every unit here is treated by {_label(times[-1])}. "
                "Use the not-yet-treated control group instead"
            )
        latest_control_only = float(cohorts.max())
        cutoff = latest_control_only - anticipation
        after = frame["_t"].to_numpy() >= cutoff
        if after.any():
            dropped_rows[f"period from {_label(cutoff)} on (no not-yet-treated control left)"] = int(after.sum())
        frame = frame.loc[~after]
        notes.append(
            f"no unit is never treated: periods from {_label(cutoff)} on are dropped (no not-yet-treated control is left) "
            f"and the cohort first treated in {_label(latest_control_only)} only serves as a control"
        )
        if frame.empty:
            raise NotApplicableError(
                "Callaway & Sant'Anna: with no never-treated unit, not-yet-treated controls need a period before "
                f"the latest cohort's adoption ({_label(latest_control_only)}); there is none"
            )
        times = np.unique(frame["_t"].to_numpy())

    first = times[0]
    early = np.isfinite(frame["_g"].to_numpy()) & (frame["_g"].to_numpy() <= first + anticipation)
    if early.any():
        n_early = frame.loc[early, unit].nunique()
        dropped_units["already treated in the first period"] = int(n_early)
        dropped_rows["unit already treated in the first period"] = int(early.sum())
        notes.append(
            f"dropped {n_early} units already treated in the first period ({_label(first)}, first treatment "
            f"<= {_label(first + anticipation)}): ATT(g,t) needs a pre-treatment period"
        )
        frame = frame.loc[~early]
        if frame.empty:
            raise NotApplicableError("Callaway & Sant'Anna: every unit is treated from the first period; ATT(g,t) needs a pre-treatment period")

    panel, complete = to_wide(frame, unit=unit, time="_t", value="_y")
    if not complete.all():
        n_gap = int((~complete).sum())
        counts = frame.groupby(unit, sort=False)["_t"].size()
        dropped_units["not observed in every period"] = n_gap
        dropped_rows["unit not observed in every period"] = int(counts[counts < len(panel.times)].sum())
        notes.append(
            f"dropped {n_gap} units not observed (with '{outcome}') in all {len(panel.times)} periods: "
            "the panel estimator needs a balanced panel"
        )
    if len(panel.units) == 0:
        raise NotApplicableError(
            f"Callaway & Sant'Anna needs units observed in every period; no unit has '{outcome}' in all "
            f"{len(panel.times)} periods. Fill the gaps (interpolation) or restrict the periods"
        )
    if len(panel.times) < 2:
        raise NotApplicableError("Callaway & Sant'Anna needs at least two periods")

    cohort = cohort_by_unit.reindex(panel.units).to_numpy(dtype=float, copy=True)
    candidates = np.unique(cohort[np.isfinite(cohort)])
    estimated = candidates[candidates > panel.times[0] + anticipation]
    if latest_control_only is not None:
        estimated = estimated[estimated < latest_control_only]
    if estimated.size == 0:
        if latest_control_only is not None:
            raise NotApplicableError(
                "Callaway & Sant'Anna with not-yet-treated controls and no never-treated unit needs at least two "
                "adoption cohorts: the latest cohort only serves as a control, and here no earlier cohort has a "
                "pre-treatment period"
            )
        raise NotApplicableError(
            "Callaway & Sant'Anna needs at least one cohort first treated after the first period; none is"
        )
    small = [g for g in estimated if np.sum(cohort == g) < _SMALL_COHORT]
    if np.isinf(cohort).any() and np.sum(np.isinf(cohort)) < _SMALL_COHORT:
        notes.append(f"only {int(np.sum(np.isinf(cohort)))} never-treated units: estimates may be imprecise")
    if small:
        notes.append(f"cohorts with fewer than {_SMALL_COHORT} units: {', '.join(_label(g) for g in small)}; estimates may be imprecise")

    used = panel.outcome.size
    return _Design(
        units=panel.units,
        times=panel.times,
        outcome=panel.outcome,
        cohort=cohort,
        cohorts_estimated=estimated,
        rows=RowAccount(read=read, used=used, dropped=dropped_rows),
        units_dropped=dropped_units,
        notes=notes,
    )


def callaway_santanna(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treat: str,
    control_group: ControlGroup = "never",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    alpha: float = 0.05,
) -> CSResult:
    """Group-time ATTs, their aggregations and the pre-trend test (see the module docstring)."""
    anticipation = _check_options(control_group, base_period, anticipation, alpha)
    design = _prepare(data, outcome=outcome, unit=unit, time=time, first_treat=first_treat,
                      control_group=control_group, anticipation=anticipation)
    times, y, cohort = design.times, design.outcome, design.cohort
    n = len(design.units)
    warnings = list(design.notes)
    universal = base_period == "universal"

    records: list[dict[str, Any]] = []
    columns: list[np.ndarray] = []
    for g in design.cohorts_estimated:
        # Last period before (anticipated) treatment: the base of every post-treatment cell.
        pre_g = int(np.flatnonzero(times + anticipation < g)[-1])
        treated = cohort == g
        for current in range(0 if universal else 1, len(times)):
            post = bool(g <= times[current])
            base = pre_g if (post or universal) else current - 1
            record = {"group": g, "time": times[current], "event_time": times[current] - g,
                      "base_time": times[base], "post": post}
            psi = np.zeros(n)
            if base == current:
                # Universal base period: the reference cell is 0 by construction.
                records.append(record | {"att": 0.0, "n_treated": int(treated.sum()), "n_control": 0})
                columns.append(psi)
                continue
            threshold = times[max(current, base)] + anticipation
            control = np.isinf(cohort)
            if control_group == "not_yet":
                control = control | ((cohort > threshold) & (cohort != g))
            n_g, n_c = int(treated.sum()), int(control.sum())
            record |= {"n_treated": n_g, "n_control": n_c}
            cell = f"ATT({_label(g)},{_label(times[current])})"
            if n_c == 0:
                warnings.append(f"{cell} not estimated: no control unit in periods {_label(times[base])} and {_label(times[current])}")
                records.append(record | {"att": float("nan")})
                columns.append(np.full(n, np.nan))
                continue
            if n_g / (n_g + n_c) >= _OVERLAP_LIMIT:
                warnings.append(f"{cell} not estimated: treated units are {n_g} of {n_g + n_c} (overlap condition)")
                records.append(record | {"att": float("nan")})
                columns.append(np.full(n, np.nan))
                continue
            change = y[:, current] - y[:, base]
            mean_treated = change[treated].mean()
            mean_control = change[control].mean()
            # Influence function of a difference of two means, scaled to the full sample of n units.
            psi[treated] = n / n_g * (change[treated] - mean_treated)
            psi[control] = -n / n_c * (change[control] - mean_control)
            records.append(record | {"att": mean_treated - mean_control})
            columns.append(psi)

    influence = np.column_stack(columns)
    cells = pd.DataFrame.from_records(records)
    cells["group"] = cells["group"].astype(float)
    se = np.sqrt(np.sum(influence**2, axis=0)) / n
    reference = (cells["time"] == cells["base_time"]).to_numpy()
    tiny = (se <= SE_FLOOR) & ~reference & ~np.isnan(se)
    if tiny.any():
        warnings.append(f"{int(tiny.sum())} ATT(g,t) have no sampling variation: their standard errors are not reported")
    se[se <= SE_FLOOR] = np.nan
    z = distributions.norm_ppf(1 - alpha / 2)
    cells["se"] = se
    cells["ci_low"] = cells["att"] - z * cells["se"]
    cells["ci_high"] = cells["att"] + z * cells["se"]
    cells = cells[["group", "time", "event_time", "base_time", "post", "att", "se", "ci_low", "ci_high",
                   "n_treated", "n_control"]]

    pretrend = _pretrend_test(cells, influence, n, warnings)

    ok = ~np.isnan(cells["att"].to_numpy())
    if not ok.all():
        warnings.append(f"{int((~ok).sum())} ATT(g,t) could not be estimated and are left out of the aggregations")
    if not (cells["post"].to_numpy() & ok).any():
        raise NotApplicableError("Callaway & Sant'Anna: no post-treatment ATT(g,t) could be estimated, so there is nothing to aggregate")
    args = dict(
        groups=cells["group"].to_numpy(dtype=float)[ok],
        times=cells["time"].to_numpy(dtype=float)[ok],
        att=cells["att"].to_numpy(dtype=float)[ok],
        influence=influence[:, ok],
        cohort=cohort,
        alpha=alpha,
    )
    return CSResult(
        group_time=cells,
        simple=aggregate("simple", **args),
        group=aggregate("group", **args),
        dynamic=aggregate("dynamic", **args),
        calendar=aggregate("calendar", **args),
        pretrend=pretrend,
        influence=influence,
        units=design.units,
        cohorts=pd.Series(np.where(np.isinf(cohort), np.nan, cohort), index=design.units, name="first_treat"),
        periods=tuple(float(t) for t in times),
        control_group=control_group,
        base_period=base_period,
        anticipation=anticipation,
        alpha=float(alpha),
        outcome=outcome,
        rows=design.rows,
        units_dropped=design.units_dropped,
        notes=tuple(warnings),
    )


def _pretrend_test(cells: pd.DataFrame, influence: np.ndarray, n: int, warnings: list[str]) -> CSPretrendTest | None:
    """R did's W = n a' V^{-1} a over pre-treatment cells with a usable standard error."""
    pre = np.flatnonzero((cells["group"] > cells["time"]).to_numpy() & ~np.isnan(cells["se"].to_numpy()))
    if pre.size == 0:
        warnings.append("no pre-treatment ATT(g,t) with a standard error: the pre-trend test is not available")
        return None
    att = cells["att"].to_numpy(dtype=float)[pre]
    psi = influence[:, pre]
    v = psi.T @ psi / n
    if 1 / np.linalg.cond(v, 1) <= np.finfo(float).eps:
        warnings.append("the pre-treatment ATT(g,t) covariance matrix is singular: the pre-trend test is not reported")
        return None
    statistic = float(n * att @ np.linalg.solve(v, att))
    labels = tuple(f"att_{_label(g)}_{_label(t)}" for g, t in cells.iloc[pre][["group", "time"]].to_numpy())
    return CSPretrendTest(statistic, int(pre.size), float(distributions.chi2_sf(statistic, pre.size)), labels)
