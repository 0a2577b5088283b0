"""Event study for parallel trends (docs/methods.md section 4, the paper's Figure 1).

Relative time ``r = t - first_treat`` for every unit with a pilot year (also
those first treated after the sample ends); dummies ``D^r = 1[r = r']`` for r'
in the window, the reference period omitted, end points binned (or rows
outside the window dropped), never-treated units with all dummies 0.  Same
fixed effects, controls and standard errors as the baseline DID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core.options import FIXED_EFFECTS, EventWindow, SEOptions
from xlcbec.core.panel import FIRST_TREAT
from xlcbec.core.results import RegressionResult, WaldTest, estimate_row
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import EstimationError, InputError


def term_name(r: int) -> str:
    """The Estimates term of relative period r: 'r-5', 'r0', 'r5'."""
    return f"r{r}"


@dataclass(frozen=True, eq=False)
class EventStudyResult:
    """Coefficients by relative period (``table``) and the joint pre-trend test."""

    table: pd.DataFrame  # columns: r, term, coef, std_error, tstat, pvalue, ci_low, ci_high, observations
    regression: RegressionResult
    pretrend: WaldTest
    window: tuple[int, int]
    reference: int
    binned: bool
    notes: tuple[str, ...] = ()

    @property
    def controls(self) -> tuple[str, ...]:
        """The control terms the regression kept (every term that is not a relative-period dummy)."""
        periods = set(self.table["term"])
        return tuple(str(t) for t in self.regression.params.index if t not in periods)

    def to_estimates(self, model: str = "twfe") -> list[dict[str, Any]]:
        """Rows ``event_study / twfe``: ``r<k>`` per relative period, each control, and ``pretrend_wald``."""
        rows = []
        g = self.regression.n_clusters
        for rec in self.table.itertuples():
            if rec.r == self.reference:
                continue
            rows.append(
                estimate_row(
                    "event_study", model, rec.term, rec.coef, std_error=rec.std_error, statistic=rec.tstat,
                    p_value=rec.pvalue, ci_low=rec.ci_low, ci_high=rec.ci_high, nobs=self.regression.nobs,
                    r2_within=self.regression.r2_within, n_clusters=g,
                )
            )
        rows += self.regression.to_estimates("event_study", model, terms=self.controls, note="control variable")
        rows.append(
            estimate_row(
                "event_study", model, "pretrend_wald", statistic=self.pretrend.statistic,
                p_value=self.pretrend.pvalue, nobs=self.regression.nobs, n_clusters=g,
                note=f"joint F test of {self.pretrend.df_num} pre-period coefficients = 0, F({self.pretrend.df_num}, {self.pretrend.df_denom})",
            )
        )
        return rows

    def __str__(self) -> str:
        return (
            f"Event study, window {self.window}, reference r = {self.reference}\n"
            + self.table.to_string(index=False, float_format=lambda v: f"{v:.6f}")
            + f"\nPre-trend F({self.pretrend.df_num}, {self.pretrend.df_denom}) = {self.pretrend.statistic:.4f}, "
            f"p = {self.pretrend.pvalue:.4f}"
        )


def relative_time(data: pd.DataFrame, *, time: str, first_treat: str) -> pd.Series:
    """``t - first_treat`` (NaN for never-treated units)."""
    return data[time] - data[first_treat]


def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treat: str = FIRST_TREAT,
    controls: Sequence[str] = (),
    window: EventWindow = EventWindow(),
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    se: SEOptions = SEOptions(),
    weights: str | None = None,
) -> EventStudyResult:
    """Pooled TWFE event study: one dummy per relative year of ``window`` but its reference year.

    Relative year r = year - pilot year for treated units; never-treated units
    have every dummy 0.  With ``window.bin_endpoints`` the years beyond the
    window are binned into its end points, otherwise their rows are dropped
    (said in ``notes``).  ``pretrend`` is the joint F test of the pre-period
    dummies (docs/methods.md section 4).
    """
    lo, hi, reference, bin_endpoints = window.lo, window.hi, window.reference, window.bin_endpoints
    if first_treat not in data.columns:
        raise InputError(f"the first-treatment column {first_treat!r} is missing", column=first_treat,
                         fix="give each city its pilot year")
    frame = data.copy()
    rel = relative_time(frame, time=time, first_treat=first_treat)
    notes: list[str] = []
    if bin_endpoints:
        rel = rel.clip(lower=lo, upper=hi)
    else:
        outside = rel.notna() & ((rel < lo) | (rel > hi))
        if outside.any():
            notes.append(f"{int(outside.sum())} treated-unit rows outside the window {lo}..{hi} dropped (bin_endpoints = no)")
        frame, rel = frame.loc[~outside], rel[~outside]
    periods = [r for r in range(lo, hi + 1) if r != reference]
    terms: list[str] = []
    for r in periods:
        name = term_name(r)
        if name in frame.columns:
            raise InputError(f"the Panel already has a column named {name!r}, which the event study needs",
                             column=name, fix="rename that column")
        dummy = (rel == r).astype(float)
        if dummy.sum() == 0:
            notes.append(f"no observations at relative period {r}: left out")
            continue
        frame[name] = dummy
        terms.append(name)
    if not terms:
        raise EstimationError("no treated observations fall inside the event window", fix="widen 'event_window'")
    post_terms = [term_name(r) for r in periods if r >= 0 and term_name(r) in terms]
    regression = fit_twfe(
        frame, outcome=outcome, regressors=[*terms, *controls], unit=unit, time=time,
        fixed_effects=fixed_effects, **se.fit_arguments(unit), weights=weights, treatment=post_terms[0] if post_terms else terms[-1],
    )
    ci = regression.conf_int()
    std, t, p = regression.std_errors, regression.tstats, regression.pvalues
    used_rel = rel.loc[regression.sample_index] if regression.sample_index is not None else rel
    records = []
    for r in range(lo, hi + 1):
        name = term_name(r)
        count = int((used_rel == r).sum())
        if r == reference:
            records.append((r, name, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan, count))
        elif name in regression.params.index:
            records.append((r, name, regression.params[name], std[name], t[name], p[name],
                            ci.loc[name, "lower"], ci.loc[name, "upper"], count))
    table = pd.DataFrame(records, columns=["r", "term", "coef", "std_error", "tstat", "pvalue", "ci_low", "ci_high", "observations"])
    pre_terms = [term_name(r) for r in periods if r < 0 and term_name(r) in regression.params.index]
    pretrend = regression.wald_test(pre_terms)
    return EventStudyResult(table, regression, pretrend, (lo, hi), reference, bin_endpoints,
                            tuple(notes) + regression.notes)
