"""The propensity-score probit/logit against statsmodels, and its failure messages.

Tolerances:
- coefficients vs statsmodels (Newton with tol 1e-12): 1e-8 absolute, as the
  issue requires (both reach the MLE to machine precision; observed ~1e-16);
- standard errors, log likelihoods: 1e-8 relative (the same observed Hessian);
- the batched bootstrap solver vs single fits: 1e-8 absolute (it stops after a
  step below 1e-5, leaving an error of the order of the step squared).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from xlcbec.core.psm.pscore import fit_score, fit_score_arrays, newton_batch
from xlcbec.errors import CollinearityWarning, EstimationError, InputError

COEF_ABS = 1e-8
REL = 1e-8
NAMES = ["x1", "x2", "x3", "d"]


def make_data(n: int = 800, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.normal(size=n) * 2 + 1, rng.uniform(size=n),
                         (rng.uniform(size=n) < 0.4).astype(float)])
    z = -1.0 + 0.6 * x[:, 0] - 0.2 * x[:, 1] + 0.8 * x[:, 2] + 0.5 * x[:, 3]
    y = (z + rng.normal(size=n) > 0).astype(float)
    return y, x


def design(x: np.ndarray) -> np.ndarray:
    return sm.add_constant(x, prepend=False)  # constant last, as xlcbec labels it _cons


def sm_null_llf(y: np.ndarray, model) -> float:
    return model(y, np.ones((y.size, 1))).fit(method="newton", tol=1e-12, maxiter=100, disp=0).llf


@pytest.mark.parametrize("name,sm_model", [("probit", sm.Probit), ("logit", sm.Logit)])
def test_coefficients_se_and_pseudo_r2_equal_statsmodels(name, sm_model):
    y, x = make_data()
    ours = fit_score_arrays(y, x, NAMES, model=name)
    ref = sm_model(y, design(x)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params, rtol=0, atol=COEF_ABS)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.bse, rtol=REL)
    assert ours.llf == pytest.approx(ref.llf, rel=REL)
    # McFadden's pseudo R-squared, 1 - llf/llnull, with the null model solved tightly
    # (statsmodels' own llnull stops at its default tolerance, ~1e-7 short of the optimum).
    llnull = sm_null_llf(y, sm_model)
    assert ours.llnull == pytest.approx(llnull, rel=REL)
    assert ours.pseudo_r2 == pytest.approx(1 - ref.llf / llnull, rel=REL)
    assert ours.pseudo_r2 == pytest.approx(ref.prsquared, abs=1e-8)
    assert ours.lr_chi2 == pytest.approx(2 * (ref.llf - llnull), rel=REL)
    assert list(ours.params.index) == [*NAMES, "_cons"]
    # Scores are the fitted probabilities.
    np.testing.assert_allclose(ours.scores.to_numpy(), ref.predict(design(x)), rtol=1e-10)


def test_weighted_probit_equals_glm_with_frequency_weights():
    """pstest's after-matching probit: ``probit ... [iw=_weight]``.

    Stata's iweight/fweight probit maximises sum_i w_i l_i with the weights as
    given.  statsmodels' GLM(Binomial, probit link) maximises the same function
    with ``freq_weights`` and with ``var_weights``: both give the same point
    estimates, and for 0/1 outcomes the same log likelihood (hence LR chi2 and
    pseudo R-squared).  ``freq_weights`` is the one whose semantics match
    Stata's fweight/iweight: observations count sum(w) times (df_resid =
    sum(w) - k), while ``var_weights`` keep n rows (df_resid = n - k, like
    aweights).  Stata's pweight gives the same point estimates too (only its
    SEs differ: robust).
    """
    y, x = make_data()
    w = np.random.default_rng(9).uniform(0.0, 3.0, size=y.size)
    ours = fit_score_arrays(y, x, NAMES, weights=w)
    family = sm.families.Binomial(sm.families.links.Probit())
    freq = sm.GLM(y, design(x), family=family, freq_weights=w).fit(method="newton", tol=1e-13, maxiter=100, disp=0)
    var = sm.GLM(y, design(x), family=family, var_weights=w).fit(method="newton", tol=1e-13, maxiter=100, disp=0)
    np.testing.assert_allclose(ours.params.to_numpy(), freq.params, rtol=0, atol=COEF_ABS)
    np.testing.assert_allclose(ours.params.to_numpy(), var.params, rtol=0, atol=COEF_ABS)
    assert ours.llf == pytest.approx(freq.llf, rel=REL)
    assert ours.llnull == pytest.approx(freq.llnull, rel=REL)
    assert freq.df_resid == pytest.approx(w.sum() - x.shape[1] - 1)
    assert var.df_resid == pytest.approx(y.size - x.shape[1] - 1)


def test_integer_weights_equal_copied_rows():
    """fweight semantics: weight 2 = the row twice (same estimates, llf, SEs)."""
    y, x = make_data(300)
    w = np.random.default_rng(2).integers(1, 4, size=y.size)
    weighted = fit_score_arrays(y, x, NAMES, weights=w.astype(float))
    rows = np.repeat(np.arange(y.size), w)
    copied = fit_score_arrays(y[rows], x[rows], NAMES)
    np.testing.assert_allclose(weighted.params, copied.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(weighted.std_errors, copied.std_errors, rtol=1e-9)
    assert weighted.llf == pytest.approx(copied.llf, rel=1e-12)
    assert weighted.pseudo_r2 == pytest.approx(copied.pseudo_r2, rel=1e-10)


def test_weight_scale_moves_lr_chi2_but_not_estimates_or_pseudo_r2():
    y, x = make_data(300)
    w = np.random.default_rng(5).uniform(0.5, 1.5, size=y.size)
    a = fit_score_arrays(y, x, NAMES, weights=w)
    b = fit_score_arrays(y, x, NAMES, weights=3 * w)
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=1e-10)
    assert a.pseudo_r2 == pytest.approx(b.pseudo_r2, rel=1e-10)
    assert b.lr_chi2 == pytest.approx(3 * a.lr_chi2, rel=1e-10)


@pytest.mark.parametrize("model", ["probit", "logit"])
def test_batched_newton_equals_single_fits(model):
    y, x = make_data(500)
    full = fit_score_arrays(y, x, NAMES, model=model)
    rng = np.random.default_rng(8)
    weights = rng.poisson(1.0, size=(6, y.size)).astype(float)
    params, converged = newton_batch(model, y, design(x), weights, full.params.to_numpy())
    assert converged.all()
    for b in range(weights.shape[0]):
        single = fit_score_arrays(y, x, NAMES, model=model, weights=weights[b])
        np.testing.assert_allclose(params[b], single.params.to_numpy(), rtol=0, atol=COEF_ABS)


def test_batched_newton_flags_a_draw_without_a_solution():
    y, x = make_data(200)
    full = fit_score_arrays(y, x, NAMES)
    weights = np.ones((2, y.size))
    weights[1, y == 1] = 0.0  # no treated row: the likelihood has no maximum
    _, converged = newton_batch("probit", y, design(x), weights, full.params.to_numpy())
    assert converged.tolist() == [True, False]


def test_single_covariate_separation_names_it():
    y, x = make_data(200)
    sep = np.where(y == 1, 5.0, 0.0) + np.random.default_rng(1).uniform(size=y.size)
    with pytest.raises(EstimationError, match="'sep' alone predict"):
        fit_score_arrays(y, np.column_stack([x, sep]), [*NAMES, "sep"])


def test_dummy_that_predicts_one_group_perfectly_is_named():
    y, x = make_data(200)
    dummy = np.zeros(y.size)
    dummy[np.flatnonzero(y == 1)[:5]] = 1.0  # dummy = 1 only among treated rows
    with pytest.raises(EstimationError, match="'only_treated'"):
        fit_score_arrays(y, np.column_stack([x, dummy]), [*NAMES, "only_treated"])


def test_joint_separation_does_not_converge_and_names_the_covariates():
    rng = np.random.default_rng(6)
    n = 200
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (a + b > 0).astype(float)  # separated by a + b, by neither alone
    with pytest.raises(EstimationError, match="did not converge") as info:
        fit_score_arrays(y, np.column_stack([a, b]), ["a", "b"])
    assert "'a', 'b'" in str(info.value)


def test_collinear_covariate_is_dropped_with_a_warning():
    y, x = make_data(300)
    twice = 2 * x[:, 0] + x[:, 1]
    with pytest.warns(CollinearityWarning, match="twice"):
        fit = fit_score_arrays(y, np.column_stack([x, twice]), [*NAMES, "twice"])
    assert fit.dropped_collinear == ("twice",)
    assert "twice" not in fit.params.index
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = fit_score_arrays(y, x, NAMES)
    np.testing.assert_allclose(fit.params, reference.params, atol=1e-12)


def test_fit_score_on_a_frame_reports_missing_columns_and_bad_treatment():
    y, x = make_data(100)
    frame = pd.DataFrame(x, columns=NAMES, index=range(2, 102))
    frame["CBEC"] = y
    fit = fit_score(frame, treatment="CBEC", covariates=NAMES)
    assert fit.nobs == 100 and fit.scores.index.equals(frame.index)
    with pytest.raises(InputError, match="'lnpop' is not in the data") as info:
        fit_score(frame, treatment="CBEC", covariates=["x1", "lnpop"])
    assert info.value.column == "lnpop"
    bad = frame.copy()
    bad.loc[7, "CBEC"] = 2
    with pytest.raises(InputError, match="must be 0 or 1") as info:
        fit_score(bad, treatment="CBEC", covariates=NAMES)
    assert info.value.row == 7 and info.value.column == "CBEC"
    gaps = frame.copy()
    gaps.loc[[3, 4], "x2"] = np.nan
    assert fit_score(gaps, treatment="CBEC", covariates=NAMES).nobs == 98
