"""Covariate balance before and after matching, as Stata's ``pstest, both`` (pstest 4.2.2).

The matched sample is psmatch2's: treated rows on support (weight 1) and
controls with a matching weight (``_weight``); pstest passes these weights to
Stata as ``iweight``s.  Per covariate x:

- means: unmatched = plain means of treated and controls; matched = the
  weighted means (treated on support: plain mean);
- %bias = ``100 (xbar_T - xbar_C) / sqrt((s2_T + s2_C) / 2)`` where s2_T, s2_C
  are the UNMATCHED sample variances in both rows;
  %reduction in |bias| = ``100 (1 - |bias_M| / |bias_U|)``;
- t-test: ``regress x treated`` (unmatched; the pooled two-sample t on n - 2
  df) and ``regress x treated [iw=w] if support`` (matched).  With iweights
  Stata's regress takes N = floor(sum w) and s2 = weighted RSS / (N - 2), so
  the matched t is ``(xbar_T - xbar_C) / sqrt(s2 (1/W_T + 1/W_C))`` on N - 2 df
  (W_T, W_C = the groups' weight sums);
- variance ratio V(T)/V(C) for covariates that are not 0/1: unmatched sample
  variances; matched ones weighted, ``sum w (x - xbar)^2 / (sum w - 1)``
  (Stata's summarize with iweights).

Overall: pseudo R-squared and LR chi2 of a probit of the treatment on all
covariates, unmatched and on the matched sample with the weights (iweights:
the LR chi2 depends on their scale, which is kept); mean and median |%bias|;
Rubin's B (the %bias of the probit's linear index, unmatched variances of the
index in each sample's own probit) and R (the ratio of its variances).
pstest always uses a probit here, whatever model gave the scores.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core import distributions
from xlcbec.core.psm.pscore import ScoreModel, fit_score_arrays
from xlcbec.core.results import estimate_row
from xlcbec.errors import CollinearityWarning, EstimationError

SAMPLES = ("Unmatched", "Matched")
TABLE_COLUMNS = ("mean_treated", "mean_control", "pct_bias", "pct_reduction", "t", "p", "var_ratio")
SUMMARY_COLUMNS = ("pseudo_r2", "lr_chi2", "p_chi2", "mean_bias", "median_bias", "B", "R", "nobs", "sum_weights")
# Stata posts N = floor(sum of iweights); the sum of kernel weights is an
# integer up to rounding, so it is snapped to the nearest integer within this.
_INTEGER_SNAP = 1e-9


@dataclass(frozen=True, eq=False)
class BalanceResult:
    """pstest's balance table, labelled and read-only.

    ``table``: index (covariate, sample) with sample in ("Unmatched",
    "Matched"); columns ``mean_treated``, ``mean_control``, ``pct_bias``,
    ``pct_reduction`` (Matched rows only), ``t``, ``p``, ``var_ratio`` (NaN
    for 0/1 covariates, as pstest leaves it blank).
    ``summary``: index ("Unmatched", "Matched"); columns ``pseudo_r2``,
    ``lr_chi2``, ``p_chi2``, ``mean_bias``, ``median_bias``, ``B``, ``R``,
    ``nobs``, ``sum_weights``.
    ``probit_unmatched``/``probit_matched``: the two probits (None if one
    could not be estimated; then ``warnings`` says why).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    probit_unmatched: ScoreModel | None
    probit_matched: ScoreModel | None
    notes: tuple[str, ...] = ()

    def to_estimates(self) -> list[dict[str, Any]]:
        """Estimates rows ``psm_balance / unmatched | matched``, per covariate x:

        term ``x``: estimate = %bias, statistic = t, p_value = p (pstest's t-test of equal means);
        ``x:mean_treated``, ``x:mean_control``: the group means; ``x:pct_reduction`` (matched only):
        %reduction of |bias|; ``x:var_ratio`` where pstest prints one.  nobs = the rows of that sample.
        """
        rows: list[dict[str, Any]] = []
        for (covariate, sample), rec in self.table.iterrows():
            model = str(sample).lower()
            nobs = self.summary.loc[sample, "nobs"] if sample in self.summary.index else None
            rows.append(estimate_row("psm_balance", model, str(covariate), rec["pct_bias"], statistic=rec["t"],
                                     p_value=rec["p"], nobs=nobs,
                                     note="%bias = 100 (mean T - mean C) / sqrt((var T + var C) / 2), unmatched "
                                     "variances; t-test of equal means (pstest)"))
            parts = [("mean_treated", rec["mean_treated"]), ("mean_control", rec["mean_control"])]
            if model == "matched":
                parts.append(("pct_reduction", rec["pct_reduction"]))
            if pd.notna(rec.get("var_ratio")):
                parts.append(("var_ratio", rec["var_ratio"]))
            rows += [estimate_row("psm_balance", model, f"{covariate}:{what}", value, nobs=nobs) for what, value in parts]
        return rows

    def __str__(self) -> str:
        return "\n\n".join(
            [self.table.to_string(float_format=lambda v: f"{v:.4f}"), self.summary.to_string(float_format=lambda v: f"{v:.4f}")]
        )

    __repr__ = __str__


def _floor_count(total: float) -> int:
    nearest = round(total)
    return int(nearest) if abs(total - nearest) <= _INTEGER_SNAP * max(1.0, total) else int(math.floor(total))


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Mean and Stata's iweight variance ``sum w (x - m)^2 / (sum w - 1)``."""
    total = float(w.sum())
    mean = float(w @ x) / total
    var = float(w @ (x - mean) ** 2) / (total - 1.0) if total > 1.0 else math.nan
    return mean, var


def _ratio(a: float, b: float) -> float:
    """a / b, NaN when b is 0 or NaN (Stata: missing)."""
    return a / b if b and math.isfinite(b) else math.nan


def _bias(m1: float, m0: float, v1: float, v0: float) -> float:
    return _ratio(100.0 * (m1 - m0), math.sqrt((v1 + v0) / 2.0))


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.all((x == 0) | (x == 1)))


def _probit(y: np.ndarray, x: np.ndarray, names: Sequence[str], w: np.ndarray | None, label: str) -> tuple[ScoreModel | None, str | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CollinearityWarning)
            return fit_score_arrays(y, x, names, model="probit", weights=w, treatment="treated"), None
    except EstimationError as exc:
        return None, f"balance probit ({label}) not estimated: {exc}"


def pstest(
    covariates: pd.DataFrame,
    treated: pd.Series,
    support: pd.Series,
    weight: pd.Series,
) -> BalanceResult:
    """Balance of ``covariates`` (rows x columns) before and after matching.

    ``treated`` (0/1), ``support`` (psmatch2 ``_support``) and ``weight``
    (psmatch2 ``_weight``, NaN = missing) are Series on the same index as
    ``covariates``: the rows of the matching sample, with no missing values.
    """
    names = [str(c) for c in covariates.columns]
    index = covariates.index
    x_all = covariates.to_numpy(dtype=float)
    t = treated.reindex(index).to_numpy().astype(bool)
    sup = support.reindex(index).to_numpy().astype(bool)
    w_raw = weight.reindex(index).to_numpy(dtype=float)
    # pstest: the treated's weight is their support flag; the matched sample is
    # `if support` with rows of missing weight left out.
    mw = np.where(t, sup.astype(float), w_raw)
    matched = sup & ~np.isnan(mw) & (mw > 0)
    mt, mc = matched & t, matched & ~t
    n = t.size
    n1, n0 = int(t.sum()), int((~t).sum())
    w_m = mw[matched]
    total_w = float(w_m.sum())
    n_matched = _floor_count(total_w)
    w_t, w_c = float(mw[mt].sum()), float(mw[mc].sum())

    rows = []
    biases_u, biases_m = [], []
    for j, name in enumerate(names):
        x = x_all[:, j]
        x1, x0 = x[t], x[~t]
        m1u, m0u = float(x1.mean()), float(x0.mean())
        v1u, v0u = float(x1.var(ddof=1)), float(x0.var(ddof=1))
        # Unmatched t-test: OLS of x on the treatment = pooled two-sample t.
        rss_u = float(((x1 - m1u) ** 2).sum() + ((x0 - m0u) ** 2).sum())
        df_u = n - 2
        t_u = _ratio(m1u - m0u, math.sqrt(rss_u / df_u * (1.0 / n1 + 1.0 / n0)))
        p_u = float(2 * distributions.t_sf(abs(t_u), df_u)) if math.isfinite(t_u) else math.nan
        # Matched: iweighted means, regress [iw] t-test.
        m1m, v1m = _weighted_mean_var(x[mt], mw[mt])
        m0m, v0m = _weighted_mean_var(x[mc], mw[mc])
        rss_m = float(mw[mt] @ (x[mt] - m1m) ** 2 + mw[mc] @ (x[mc] - m0m) ** 2)
        df_m = n_matched - 2
        se_m = math.sqrt(rss_m / df_m * (1.0 / w_t + 1.0 / w_c)) if df_m > 0 else math.nan
        t_m = (m1m - m0m) / se_m if se_m > 0 else math.nan
        p_m = float(2 * distributions.t_sf(abs(t_m), df_m)) if df_m > 0 and math.isfinite(t_m) else math.nan
        bias_u = _bias(m1u, m0u, v1u, v0u)
        bias_m = _bias(m1m, m0m, v1u, v0u)
        reduction = 100.0 * (1.0 - _ratio(abs(bias_m), abs(bias_u)))
        binary = _is_binary(x)
        ratio_u = math.nan if binary else _ratio(v1u, v0u)
        ratio_m = math.nan if binary else _ratio(v1m, v0m)
        rows.append((name, SAMPLES[0], m1u, m0u, bias_u, math.nan, t_u, p_u, ratio_u))
        rows.append((name, SAMPLES[1], m1m, m0m, bias_m, reduction, t_m, p_m, ratio_m))
        biases_u.append(abs(bias_u))
        biases_m.append(abs(bias_m))
    table = pd.DataFrame(rows, columns=["covariate", "sample", *TABLE_COLUMNS]).set_index(["covariate", "sample"])

    notes: list[str] = []
    y = t.astype(float)
    probit_u, note_u = _probit(y, x_all, names, None, "unmatched")
    probit_m, note_m = _probit(y[matched], x_all[matched], names, w_m, "matched")
    notes += [m for m in (note_u, note_m) if m]

    summary_rows = []
    for label, model, sample_w, mask in ((SAMPLES[0], probit_u, None, np.ones(n, dtype=bool)), (SAMPLES[1], probit_m, mw, matched)):
        b_stat = r_stat = math.nan
        if model is not None:
            xb = model.linear_index.to_numpy()
            tt = t[mask]
            ww = np.ones(tt.size) if sample_w is None else sample_w[mask]
            if sample_w is None:
                a1, a0 = xb[tt], xb[~tt]
                mi1, vi1, mi0, vi0 = a1.mean(), a1.var(ddof=1), a0.mean(), a0.var(ddof=1)
            else:
                mi1, vi1 = _weighted_mean_var(xb[tt], ww[tt])
                mi0, vi0 = _weighted_mean_var(xb[~tt], ww[~tt])
            b_stat = _bias(mi1, mi0, vi1, vi0)
            r_stat = _ratio(vi1, vi0)
        biases = biases_u if label == SAMPLES[0] else biases_m
        summary_rows.append(
            {
                "sample": label,
                "pseudo_r2": model.pseudo_r2 if model else math.nan,
                "lr_chi2": model.lr_chi2 if model else math.nan,
                "p_chi2": model.lr_pvalue if model else math.nan,
                "mean_bias": float(np.mean(biases)) if biases else math.nan,
                "median_bias": float(np.median(biases)) if biases else math.nan,
                "B": b_stat,
                "R": r_stat,
                "nobs": int(mask.sum()),
                "sum_weights": float(mask.sum()) if sample_w is None else total_w,
            }
        )
    summary = pd.DataFrame(summary_rows).set_index("sample")
    return BalanceResult(table=table, summary=summary, probit_unmatched=probit_u, probit_matched=probit_m, notes=tuple(notes))
