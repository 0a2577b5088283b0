"""Sun & Abraham (2021) interaction-weighted event study (docs/methods.md section 9).

1. Saturated regression: ``y = unit + time + sum_e sum_{l != -1} delta_{e,l} 1[E_i = e] 1[t - e = l]``
   over the treated cohorts e, with the never-treated units as the control
   cohort (units first treated after the sample ends are never treated within
   it, so they belong to the control cohort; units treated from the first
   period on have no pre-period and are left out).
2. Interaction weighting: ``nu_l = sum_e w_{e,l} delta_{e,l}`` with ``w_{e,l}``
   the cohort's share of the observations at relative period l (for a balanced
   panel, the cohort's share of the treated units observed at l).
3. Standard errors by the delta method, ``V(nu) = W V(delta) W'``, treating the
   weights as known (as fixest's ``sunab`` aggregation does); the clustered
   covariance of delta follows the baseline's Stata rule.
The overall ATT weights each post-period cell (e, l >= 0) by its observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core import distributions
from xlcbec.core.options import EventWindow, SEOptions
from xlcbec.core.panel import FIRST_TREAT
from xlcbec.core.results import RegressionResult, estimate_row
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import NotApplicableError


@dataclass(frozen=True, eq=False)
class SunAbrahamResult:
    """IW event-study coefficients by relative period (``table``), the cohort cells and the ATT."""

    table: pd.DataFrame  # r, term, coef, std_error, pvalue, ci_low, ci_high
    cells: pd.DataFrame  # cohort, r, coef, std_error, observations, weight
    att: float
    att_se: float
    regression: RegressionResult
    notes: tuple[str, ...] = ()

    def to_estimates(self) -> list[dict[str, Any]]:
        rows = [
            estimate_row("sun_abraham", "iw", f"e{int(rec.r)}", rec.coef, std_error=rec.std_error,
                         statistic=rec.coef / rec.std_error if rec.std_error else None, p_value=rec.pvalue,
                         ci_low=rec.ci_low, ci_high=rec.ci_high, nobs=self.regression.nobs,
                         n_clusters=self.regression.n_clusters)
            for rec in self.table.itertuples()
        ]
        z = self.att / self.att_se if self.att_se else float("nan")
        p = 2 * distributions.t_sf(abs(z), self.regression.df_inference)
        q = distributions.t_ppf(0.975, self.regression.df_inference)
        rows.append(estimate_row("sun_abraham", "iw", "att", self.att, std_error=self.att_se, statistic=z, p_value=p,
                                 ci_low=self.att - q * self.att_se, ci_high=self.att + q * self.att_se,
                                 nobs=self.regression.nobs, n_clusters=self.regression.n_clusters,
                                 note="post-period cells weighted by their observations"))
        return rows


def sun_abraham(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treat: str = FIRST_TREAT,
    reference: int = EventWindow.reference,
    se: SEOptions = SEOptions(),
) -> SunAbrahamResult:
    """Sun & Abraham's interaction-weighted event study with the never-treated control cohort.

    One TWFE regression of ``outcome`` on cohort x relative-year cells (all but
    ``reference``), with unit and year effects and the standard errors ``se``;
    each relative year's effect is the observation-weighted mean of its cells,
    with delta-method SEs that treat the weights as known (docs/methods.md
    section 9).  Units treated in the first period are left out (no pre-period);
    units first treated after the sample form the control cohort with the
    never-treated.
    """
    cluster = se.cluster_column(unit)
    frame = data[[c for c in dict.fromkeys([unit, time, outcome, first_treat, cluster]) if c]].copy()
    frame = frame.loc[frame[outcome].notna()]
    first = frame[first_treat]
    last_period = frame[time].max()
    first_period = frame[time].min()
    notes: list[str] = []
    always = first.notna() & (first <= first_period)
    if always.any():
        notes.append(f"{frame.loc[always, unit].nunique()} unit(s) treated from the first period left out (no pre-period)")
        frame = frame.loc[~always]
        first = frame[first_treat]
    cohort = first.where(first <= last_period)  # treated after the sample: control cohort
    if cohort.notna().sum() == 0:
        raise NotApplicableError("Sun-Abraham needs at least one cohort treated within the sample period")
    if cohort.isna().sum() == 0:
        raise NotApplicableError(
            "Sun-Abraham with the never-treated control cohort needs never-treated units "
            "(or units first treated after the last period); this panel has none"
        )
    rel = (frame[time] - cohort)
    cohort_values, rel_values = cohort.to_numpy(dtype=float), rel.to_numpy(dtype=float)
    cells: list[tuple[int, int, str]] = []
    indicators: dict[str, np.ndarray] = {}  # the cell columns, added to the frame at once
    for e in sorted(cohort.dropna().unique()):
        in_cohort = cohort_values == e
        for r in sorted(pd.unique(rel_values[in_cohort])):
            if r == reference:
                continue
            name = f"_sa_{int(e)}_{int(r)}"
            indicators[name] = (in_cohort & (rel_values == r)).astype(float)
            cells.append((int(e), int(r), name))
    frame = pd.concat([frame, pd.DataFrame(indicators, index=frame.index)], axis=1)
    regression = fit_twfe(frame, outcome=outcome, regressors=[c[2] for c in cells], unit=unit, time=time,
                          **se.fit_arguments(unit), treatment=cells[-1][2])
    kept = [c for c in cells if c[2] in regression.params.index]
    used = frame.index.get_indexer(regression.sample_index)
    counts = {name: int(indicators[name][used].sum()) for _, _, name in kept}
    names = [n for _, _, n in kept]
    at = regression.params.index.get_indexer(names)
    coefs = regression.params.to_numpy()[at]
    cell_table = pd.DataFrame(
        [(e, r, b, s, counts[n]) for (e, r, n), b, s in zip(kept, coefs, regression.std_errors.to_numpy()[at])],
        columns=["cohort", "r", "coef", "std_error", "observations"],
    )
    cell_table["weight"] = cell_table["observations"] / cell_table.groupby("r")["observations"].transform("sum")
    cov = regression.cov.to_numpy()[np.ix_(at, at)]
    periods = sorted(cell_table["r"].unique())
    weights = np.zeros((len(periods), len(names)))
    for j, rec in enumerate(cell_table.itertuples()):
        weights[periods.index(rec.r), j] = rec.weight
    nu = weights @ coefs
    se = np.sqrt(np.einsum("ij,jk,ik->i", weights, cov, weights))
    q = distributions.t_ppf(0.975, regression.df_inference)
    table = pd.DataFrame({
        "r": periods, "term": [f"e{r}" for r in periods], "coef": nu, "std_error": se,
        "pvalue": 2 * distributions.t_sf(np.abs(nu / se), regression.df_inference),
        "ci_low": nu - q * se, "ci_high": nu + q * se,
    })
    post = (cell_table["r"] >= 0).to_numpy()
    att_w = np.where(post, cell_table["observations"].to_numpy(float), 0.0)
    att_w = att_w / att_w.sum()
    att = float(att_w @ coefs)
    att_se = float(np.sqrt(att_w @ cov @ att_w))
    cell_table.insert(2, "term", [f"e{int(r)}" for r in cell_table["r"]])
    return SunAbrahamResult(table, cell_table, att, att_se, regression, tuple(notes) + regression.notes)
