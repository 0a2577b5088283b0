"""pstest's balance table, checked against a direct computation from the definitions.

The expected values are computed here with numpy, scipy and statsmodels from
pstest 4.2.2's definitions (docs/methods.md section 5), without any xlcbec helper:
- %bias = 100 (mean_T - mean_C) / sqrt((var_T + var_C)/2), unmatched variances
  in both rows; %reduction = 100 (1 - |bias_M| / |bias_U|);
- unmatched t = the pooled two-sample t (``regress x treated``);
- matched t = ``regress x treated [iw=w] if support``: weighted least squares
  with Stata's iweight rule N = floor(sum w), s2 = weighted RSS / (N - 2)
  (Stata regress with iweights: see the Statalist thread "regress with
  iweights", M. Schaffer, December 2009, where e(N) = floor(sum w) feeds s2);
- pseudo R2 / LR chi2 of probits, the matched one weighted (GLM with
  frequency weights = Stata iweights, see tests/test_pscore.py);
- Rubin's B and R on each probit's linear index; matched variances
  sum w (x - m)^2 / (sum w - 1) (Stata summarize with iweights).

Tolerance: 1e-8 relative: the two sides share the data and formulas but not
code; the probits come from different optimisers converged to ~1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from xlcbec.core.psm.balance import pstest
from xlcbec.core.psm.matching import match_scores
from xlcbec.core.psm.pscore import fit_score_arrays

REL = 1e-8
NAMES = ["lnpop", "lngdp", "coastal"]


def fixed_example() -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """400 rows; arbitrary matching output: some treated off support, some controls unmatched."""
    rng = np.random.default_rng(20240101)
    n = 400
    treated = rng.uniform(size=n) < 0.25
    frame = pd.DataFrame(
        {
            "lnpop": rng.normal(size=n) + 0.6 * treated,
            "lngdp": np.exp(rng.normal(size=n) * 0.3) + 0.3 * treated,
            "coastal": (rng.uniform(size=n) < 0.3 + 0.2 * treated).astype(float),
        },
        index=pd.RangeIndex(2, n + 2),
    )
    support = pd.Series(~treated | (rng.uniform(size=n) < 0.85), index=frame.index)
    weight = pd.Series(np.where(treated, 1.0, rng.uniform(0.05, 2.0, size=n)), index=frame.index)
    weight[~treated & (rng.uniform(size=n) < 0.3)] = np.nan  # unmatched controls: psmatch2's missing _weight
    weight[treated & ~support.to_numpy()] = np.nan
    return frame, pd.Series(treated, index=frame.index), support, weight


def expected_rows(frame, treated, support, weight):
    t = treated.to_numpy()
    w_all = np.where(t, support.to_numpy().astype(float), weight.to_numpy())
    matched = support.to_numpy() & ~np.isnan(w_all) & (w_all > 0)
    out = {}
    for name in NAMES:
        x = frame[name].to_numpy()
        m1u, m0u = x[t].mean(), x[~t].mean()
        v1u, v0u = x[t].var(ddof=1), x[~t].var(ddof=1)
        denom = math.sqrt((v1u + v0u) / 2)
        bias_u = 100 * (m1u - m0u) / denom
        tt = stats.ttest_ind(x[t], x[~t], equal_var=True)
        xm, tm, wm = x[matched], t[matched].astype(float), w_all[matched]
        m1m = np.average(xm[tm == 1], weights=wm[tm == 1])
        m0m = np.average(xm[tm == 0], weights=wm[tm == 0])
        bias_m = 100 * (m1m - m0m) / denom
        wls = sm.WLS(xm, sm.add_constant(tm), weights=wm).fit()
        n_stata = math.floor(wm.sum())
        s2 = wls.ssr / (n_stata - 2)
        se = math.sqrt(s2 * wls.normalized_cov_params[1, 1])
        t_m = wls.params[1] / se
        binary = set(np.unique(x)) <= {0.0, 1.0}

        def wvar(values, weights):
            mean = np.average(values, weights=weights)
            return float(np.sum(weights * (values - mean) ** 2) / (weights.sum() - 1))

        out[name] = {
            "Unmatched": dict(mean_treated=m1u, mean_control=m0u, pct_bias=bias_u, t=tt.statistic, p=tt.pvalue,
                              var_ratio=math.nan if binary else v1u / v0u),
            "Matched": dict(mean_treated=m1m, mean_control=m0m, pct_bias=bias_m,
                            pct_reduction=100 * (1 - abs(bias_m) / abs(bias_u)), t=t_m,
                            p=2 * stats.t.sf(abs(t_m), n_stata - 2),
                            var_ratio=math.nan if binary else wvar(xm[tm == 1], wm[tm == 1]) / wvar(xm[tm == 0], wm[tm == 0])),
        }
    return out, matched, w_all


def test_unmatched_t_test_is_the_ols_t():
    frame, treated, _, _ = fixed_example()
    x = frame["lnpop"].to_numpy()
    ols = sm.OLS(x, sm.add_constant(treated.to_numpy().astype(float))).fit()
    tt = stats.ttest_ind(x[treated.to_numpy()], x[~treated.to_numpy()], equal_var=True)
    assert ols.tvalues[1] == pytest.approx(tt.statistic, rel=1e-10)


def test_balance_table_equals_the_definitions():
    frame, treated, support, weight = fixed_example()
    result = pstest(frame, treated, support, weight)
    expected, _, _ = expected_rows(frame, treated, support, weight)
    for name, samples in expected.items():
        for sample, values in samples.items():
            row = result.table.loc[(name, sample)]
            for column, value in values.items():
                if isinstance(value, float) and math.isnan(value):
                    assert math.isnan(row[column]), (name, sample, column)
                else:
                    assert row[column] == pytest.approx(value, rel=REL), (name, sample, column)
    assert result.table["pct_reduction"].xs("Unmatched", level="sample").isna().all()


def test_overall_statistics_equal_the_definitions():
    frame, treated, support, weight = fixed_example()
    result = pstest(frame, treated, support, weight)
    expected, matched, w_all = expected_rows(frame, treated, support, weight)
    t = treated.to_numpy().astype(float)
    x = sm.add_constant(frame[NAMES].to_numpy(), prepend=False)

    before = sm.Probit(t, x).fit(method="newton", tol=1e-12, disp=0)
    null_before = sm.Probit(t, np.ones((t.size, 1))).fit(method="newton", tol=1e-12, disp=0)
    family = sm.families.Binomial(sm.families.links.Probit())
    after = sm.GLM(t[matched], x[matched], family=family, freq_weights=w_all[matched]).fit(
        method="newton", tol=1e-13, disp=0)
    null_after = sm.GLM(t[matched], np.ones((matched.sum(), 1)), family=family, freq_weights=w_all[matched]).fit(
        method="newton", tol=1e-13, disp=0)

    def rubin(xb, tt, w):
        m1 = np.average(xb[tt == 1], weights=w[tt == 1])
        m0 = np.average(xb[tt == 0], weights=w[tt == 0])
        v1 = np.sum(w[tt == 1] * (xb[tt == 1] - m1) ** 2) / (w[tt == 1].sum() - 1)
        v0 = np.sum(w[tt == 0] * (xb[tt == 0] - m0) ** 2) / (w[tt == 0].sum() - 1)
        return 100 * (m1 - m0) / math.sqrt((v1 + v0) / 2), v1 / v0

    b_before, r_before = rubin(x @ before.params, t, np.ones(t.size))
    b_after, r_after = rubin(x[matched] @ after.params, t[matched], w_all[matched])
    bias_u = [abs(expected[n]["Unmatched"]["pct_bias"]) for n in NAMES]
    bias_m = [abs(expected[n]["Matched"]["pct_bias"]) for n in NAMES]
    k = len(NAMES)
    want = {
        "Unmatched": dict(pseudo_r2=1 - before.llf / null_before.llf, lr_chi2=2 * (before.llf - null_before.llf),
                          mean_bias=np.mean(bias_u), median_bias=np.median(bias_u), B=b_before, R=r_before),
        "Matched": dict(pseudo_r2=1 - after.llf / null_after.llf, lr_chi2=2 * (after.llf - null_after.llf),
                        mean_bias=np.mean(bias_m), median_bias=np.median(bias_m), B=b_after, R=r_after),
    }
    for sample, values in want.items():
        row = result.summary.loc[sample]
        for column, value in values.items():
            assert row[column] == pytest.approx(value, rel=REL), (sample, column)
        assert row["p_chi2"] == pytest.approx(stats.chi2.sf(values["lr_chi2"], k), rel=1e-6)
    assert result.summary.loc["Matched", "sum_weights"] == pytest.approx(w_all[matched].sum())
    assert result.summary.loc["Matched", "nobs"] == matched.sum()


def test_matched_t_uses_the_floor_of_the_weight_sum():
    """With weights summing to 2 N1 exactly (kernel matching) the df are 2 N1 - 2, not rows - 2."""
    rng = np.random.default_rng(3)
    n = 300
    t = rng.uniform(size=n) < 0.3
    frame = pd.DataFrame({"lnpop": rng.normal(size=n) + t, "urban": rng.uniform(size=n) + 0.2 * t})
    score = fit_score_arrays(t.astype(float), frame.to_numpy(), list(frame.columns), index=frame.index)
    m = match_scores(score.scores, pd.Series(t, index=frame.index), kernel="epanechnikov", bandwidth=0.06)
    result = pstest(frame, m.treated, m.support, m.weight)
    n1 = m.n_treated_on
    assert result.summary.loc["Matched", "sum_weights"] == pytest.approx(2 * n1, rel=1e-12)
    x = frame["lnpop"].to_numpy()
    on = (m.treated & m.support).to_numpy()
    w = m.weight.to_numpy()
    ctrl = ~m.treated.to_numpy() & ~np.isnan(w)
    diff = x[on].mean() - np.average(x[ctrl], weights=w[ctrl])
    rss = ((x[on] - x[on].mean()) ** 2).sum() + (w[ctrl] * (x[ctrl] - np.average(x[ctrl], weights=w[ctrl])) ** 2).sum()
    se = math.sqrt(rss / (2 * n1 - 2) * (1 / n1 + 1 / n1))
    assert result.table.loc[("lnpop", "Matched"), "t"] == pytest.approx(diff / se, rel=REL)


def test_a_probit_that_cannot_be_estimated_is_reported_not_raised():
    frame, treated, support, weight = fixed_example()
    # lnpop separates the matched rows (treated near 10, matched controls near 0) but not
    # the unmatched sample (unmatched controls near 10.5, off-support treated near 0).
    sep = frame.copy()
    noise = np.random.default_rng(1).uniform(size=len(frame))
    in_matched = (support & (treated | weight.notna())).to_numpy()
    t = treated.to_numpy()
    sep["lnpop"] = noise + np.where(in_matched, np.where(t, 10.0, 0.0), np.where(t, 0.0, 10.5))
    result = pstest(sep, treated, support, weight)
    assert result.probit_unmatched is not None
    assert result.probit_matched is None
    assert any("balance probit (matched) not estimated" in w for w in result.notes)
    assert math.isnan(result.summary.loc["Matched", "pseudo_r2"])
