"""PSM-DID end to end: score, matching, bootstrap, balance, densities, the DID on the matched sample.

Data: mpdta (tests/reference/mpdta.py provenance; tests/data/mpdta.csv), the
DID regressor ``post = 1[first_treat > 0 and year >= first_treat]``.

Tolerances:
- the DID on the matched sample vs a dummy-variable WLS/OLS in statsmodels:
  1e-8 relative (within vs dummy regression, same estimator);
- the TWFE reference coefficient -0.036548936674067 (tests/reference/README.md, COMP): 1e-9
  relative, as in tests/test_twfe.py;
- bootstrap draws, fast route vs re-fitting and re-matching an expanded
  resample: 1e-8 relative (the batched probit stops with an error ~1e-10);
- kdensity hand values: 1e-12 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from tests.reference import mpdta as M
from xlcbec.core.options import BootstrapOptions, MatchingOptions
from xlcbec.core.psm.bootstrap import unit_draws
from xlcbec.core.psm.kdensity import kdensity, silverman_bandwidth, stata_percentile
from xlcbec.core.psm.matching import match_scores
from xlcbec.core.psm.pscore import fit_score_arrays
from xlcbec.core.psm.psm_did import psm_did
from xlcbec.core.results import ESTIMATE_COLUMNS
from xlcbec.errors import EstimationError, InputError, OptionError

DID_REL = 1e-8
DRAW_REL = 1e-8
COVARIATES = ["lpop", "lpop2"]


@pytest.fixture(scope="module")
def mpdta(test_data) -> pd.DataFrame:
    frame = pd.read_csv(test_data / "mpdta.csv")
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet rows
    frame["post"] = ((frame["first_treat"] > 0) & (frame["year"] >= frame["first_treat"])).astype(int)
    frame["lpop2"] = frame["lpop"] ** 2
    return frame


def run(frame: pd.DataFrame, *, kernel: str = "epanechnikov", bandwidth: float = 0.06, bootstrap_reps: int = 50,
        seed: int = 20240101, **options) -> object:
    """psm_did on mpdta's columns with the matching and bootstrap options given flat."""
    settings = dict(treatment="post", covariates=COVARIATES, outcome="lemp", unit="countyreal", time="year",
                    matching=MatchingOptions(kernel=kernel, bandwidth=bandwidth),
                    bootstrap=BootstrapOptions(reps=bootstrap_reps, seed=seed))
    settings.update(options)
    return psm_did(frame, **settings)


@pytest.fixture(scope="module")
def result(mpdta):
    with pytest.warns(Warning):  # lpop is time-invariant: collinear with the county effects in the DID
        return run(mpdta, bandwidth=0.06)


def test_score_and_matching_are_the_building_blocks(mpdta, result):
    score = fit_score_arrays(mpdta["post"].to_numpy(float), mpdta[COVARIATES].to_numpy(), COVARIATES, index=mpdta.index)
    np.testing.assert_allclose(result.score.params, score.params, rtol=1e-12)
    m = match_scores(score.scores, mpdta["post"], mpdta["lemp"], bandwidth=0.06)
    assert result.att == pytest.approx(m.att, rel=1e-12)
    assert result.se == pytest.approx(m.se, rel=1e-12)
    variables = result.variables
    assert list(variables.columns) == ["_pscore", "_treated", "_support", "_weight", "_lemp"]
    on = (variables["_treated"] == 1) & (variables["_support"] == 1)
    assert result.att == pytest.approx((mpdta.loc[on, "lemp"] - variables.loc[on, "_lemp"]).mean(), rel=1e-12)
    assert result.rows.used == 2500 and result.matching.n_treated_on == 291


def test_did_on_the_support_sample_is_the_reference_twfe_when_every_row_is_on_support(result):
    # All rows are on support here, and lpop is absorbed by the county effects, so (b)
    # is the baseline TWFE DID of tests/reference/README.md.
    assert result.matching.n_treated_off == 0
    assert result.did_support.params["post"] == pytest.approx(M.DID_COEF, rel=1e-9)
    assert result.did_support.nobs == 2500


def dummy_regression(frame: pd.DataFrame, weights: np.ndarray | None) -> float:
    """The coefficient on post in lemp ~ post + county dummies + year dummies, by (weighted) least squares.

    The county dummies are partialled out by weighted demeaning within county
    (Frisch-Waugh-Lovell); the year dummies stay explicit.
    """
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
    cols = pd.concat([frame[["lemp", "post"]], pd.get_dummies(frame["year"], drop_first=True, dtype=float)], axis=1)
    values = cols.to_numpy(dtype=float)
    county = pd.factorize(frame["countyreal"])[0]
    sums = np.zeros((county.max() + 1, values.shape[1]))
    np.add.at(sums, county, values * w[:, None])
    means = sums / np.bincount(county, weights=w)[:, None]
    within = (values - means[county]) * np.sqrt(w)[:, None]
    coef = np.linalg.lstsq(within[:, 1:], within[:, 0], rcond=None)[0]
    return float(coef[0])


def test_did_weighted_equals_a_dummy_variable_wls(mpdta):
    # A score on lpop and a trend with a narrow bandwidth: some treated rows are off
    # support and some controls unmatched, so both samples differ from the panel.
    frame = mpdta.assign(trend=mpdta["year"] - 2003)
    with pytest.warns(Warning):
        res = run(frame, covariates=["lpop", "trend"], bandwidth=0.002, bootstrap_reps=0)
    w = res.matching.weight
    assert w.notna().sum() < 2500 and res.matching.n_treated_off > 0
    matched = mpdta.loc[w.notna()]
    expected = dummy_regression(matched, w[w.notna()].to_numpy())
    assert res.did_weighted.params["post"] == pytest.approx(expected, rel=DID_REL)
    # fit_twfe drops singleton counties (as reghdfe); they do not move the estimate.
    assert res.did_weighted.nobs + res.did_weighted.n_singletons == int(w.notna().sum())
    support = mpdta.loc[res.matching.support.to_numpy()]
    assert res.did_support.params["post"] == pytest.approx(dummy_regression(support, None), rel=DID_REL)


def test_estimates_rows_follow_the_contract(result):
    every = result.to_estimates()
    rows = [r for r in every if r["analysis"] != "psm_balance"]
    assert [(r["analysis"], r["model"], r["term"]) for r in rows] == [
        ("psm_att", "kernel", "ATT"), ("psm_did", "weighted", "post"), ("psm_did", "support", "post")]
    balance = [r for r in every if r["analysis"] == "psm_balance"]
    assert {r["term"] for r in balance} >= set(COVARIATES)
    table = result.balance.table
    for r in balance:
        if r["term"] in COVARIATES:
            sample = r["model"].capitalize()
            assert r["estimate"] == pytest.approx(table.loc[(r["term"], sample), "pct_bias"], rel=1e-15)
            assert r["statistic"] == pytest.approx(table.loc[(r["term"], sample), "t"], rel=1e-15)
            assert r["p_value"] == pytest.approx(table.loc[(r["term"], sample), "p"], rel=1e-15)
    reduction = {r["term"]: r["estimate"] for r in balance if r["term"].endswith(":pct_reduction")}
    assert reduction == pytest.approx({f"{c}:pct_reduction": table.loc[(c, "Matched"), "pct_reduction"]
                                       for c in COVARIATES}, rel=1e-15)
    assert rows[1]["n_clusters"] == result.did_weighted.n_clusters and rows[0]["n_clusters"] is None
    att = rows[0]
    assert set(att) == set(ESTIMATE_COLUMNS)
    assert att["estimate"] == pytest.approx(result.att) and att["std_error"] == pytest.approx(result.se)
    assert att["note"].startswith(f"bootstrap SE = {result.bootstrap.se:.6g}")
    assert att["statistic"] == pytest.approx(result.att / result.se)
    assert att["nobs"] == 2500
    assert rows[2]["estimate"] == pytest.approx(result.did_support.params["post"])


def test_balance_and_densities_are_present(result):
    table = result.balance.table
    assert list(table.index.get_level_values(0).unique()) == COVARIATES
    assert result.balance.summary.loc["Matched", "sum_weights"] == pytest.approx(2 * 291, rel=1e-12)
    frame = result.densities.frame
    assert list(frame.columns) == ["score", "treated_unmatched", "control_unmatched", "treated_matched", "control_matched"]
    assert frame["score"].iloc[0] == pytest.approx(result.score.scores.min())
    assert frame["score"].iloc[-1] == pytest.approx(result.score.scores.max())
    assert not frame.isna().any().any()


def test_bootstrap_is_reproducible_with_the_seed(mpdta):
    with pytest.warns(Warning):
        a = run(mpdta, bootstrap_reps=30, seed=11)
        b = run(mpdta, bootstrap_reps=30, seed=11)
        c = run(mpdta, bootstrap_reps=30, seed=12)
    # Same call, same seed, serial: bit-identical by design, so exact.
    np.testing.assert_array_equal(a.bootstrap.draws, b.bootstrap.draws)
    assert a.bootstrap.se == b.bootstrap.se
    assert a.bootstrap.se != c.bootstrap.se
    assert a.bootstrap.failed == 0 and a.bootstrap.n_units == 500
    assert a.bootstrap.se == pytest.approx(np.std(a.bootstrap.draws, ddof=1))


@pytest.mark.parametrize("kernel", ["epanechnikov", "normal", "nearest"])
def test_bootstrap_draws_equal_refitting_and_rematching_the_resample(mpdta, kernel):
    seed, reps = 5, 3
    with pytest.warns(Warning):
        res = run(mpdta, kernel=kernel, bootstrap_reps=reps, seed=seed, bandwidth=0.06)
    codes = pd.factorize(mpdta["countyreal"])[0]
    counts = unit_draws(500, reps, seed)[:, codes]
    for b in range(reps):
        rows = np.repeat(np.arange(len(mpdta)), counts[b])
        sample = mpdta.iloc[rows].reset_index(drop=True)
        score = fit_score_arrays(sample["post"].to_numpy(float), sample[COVARIATES].to_numpy(), COVARIATES)
        m = match_scores(score.scores, sample["post"], sample["lemp"], kernel=kernel, bandwidth=0.06)
        assert res.bootstrap.draws[b] == pytest.approx(m.att, rel=DRAW_REL), b


def test_single_cross_section_runs_the_matching_only(mpdta):
    one = mpdta[mpdta["year"] == 2007]
    res = run(one, bootstrap_reps=20)
    assert res.did_weighted is None and res.did_support is None
    assert any("single period" in w for w in res.notes)
    assert res.matching.n_treated_on > 0 and math.isfinite(res.att)
    assert {r["analysis"] for r in res.to_estimates()} == {"psm_att", "psm_balance"}


def test_rows_missing_the_outcome_are_left_out_and_counted(mpdta):
    gaps = mpdta.copy()
    gaps.loc[[5, 9, 40], "lemp"] = np.nan
    with pytest.warns(Warning):
        res = run(gaps, bootstrap_reps=0)
    assert res.rows.used == 2497 and sum(res.rows.dropped.values()) == 3
    assert res.score.nobs == 2497  # psmatch2 drops them before the probit too
    assert res.bootstrap is None


def test_user_errors(mpdta):
    with pytest.raises(InputError, match="'lnpop' is not in the data") as info:
        run(mpdta, covariates=["lnpop"])
    assert info.value.column == "lnpop"
    with pytest.raises(OptionError, match="'bandwidth' must be greater than 0") as option:
        run(mpdta, bandwidth=0)
    assert option.value.option == "bandwidth"
    with pytest.raises(OptionError, match="'bootstrap_reps' must be at least 0"):
        run(mpdta, bootstrap_reps=-5)
    with pytest.raises(OptionError, match="'bootstrap_reps' must be 0 .no bootstrap. or at least 2, found 1"):
        run(mpdta, bootstrap_reps=1)
    with pytest.raises(EstimationError, match="wider bandwidth"):
        run(mpdta.assign(trend=mpdta["year"] - 2003), covariates=["lpop", "trend"], bandwidth=1e-9)
    sep = mpdta.assign(sep=mpdta["post"] * 3.0 + 0.1 * (mpdta.index % 7))
    with pytest.raises(EstimationError, match="'sep' alone predict"):
        run(sep, covariates=["lpop", "sep"])
    with pytest.raises(OptionError, match="cannot also be a covariate"):
        run(mpdta, covariates=["lpop", "post"])


# ---------------------------------------------------------------------------
# kdensity (Figure 2)


def test_stata_percentile_rule():
    # summarize, detail: P = p n / 100; integer P -> mean of the P-th and (P+1)-th values.
    # Exact: each answer is a data value or the mean of two small whole numbers.
    x = np.array([4.0, 1.0, 3.0, 2.0])
    assert stata_percentile(x, 50) == 2.5  # P = 2
    assert stata_percentile(x, 25) == 1.5  # P = 1
    assert stata_percentile(np.arange(1.0, 6.0), 25) == 2.0  # P = 1.25 -> 2nd value
    assert stata_percentile(np.arange(1.0, 6.0), 75) == 4.0  # P = 3.75 -> 4th value


def test_silverman_bandwidth_by_hand():
    x = np.array([0.1, 0.2, 0.25, 0.4, 0.7, 0.75, 0.9, 1.3])
    sd = np.std(x, ddof=1)
    iqr = stata_percentile(x, 75) - stata_percentile(x, 25)  # P = 6 -> (0.75+0.9)/2; P = 2 -> (0.2+0.25)/2
    assert iqr == pytest.approx(0.825 - 0.225)
    assert silverman_bandwidth(x) == pytest.approx(0.9 * min(sd, iqr / 1.349) / 8 ** 0.2, rel=1e-12)


def test_kdensity_integrates_to_one_and_weights_act_as_copies():
    rng = np.random.default_rng(1)
    x = rng.beta(2, 5, size=60)
    grid = np.linspace(-0.5, 1.5, 4001)
    dens, h = kdensity(x, grid)
    assert integrate.trapezoid(dens, grid) == pytest.approx(1.0, rel=1e-6)
    # Epanechnikov kernel scaled to unit variance: K(0) = 3 / (4 sqrt 5).
    single, _ = kdensity(np.array([0.0]), np.array([0.0]), bandwidth=1.0)
    assert single[0] == pytest.approx(3 / (4 * math.sqrt(5)), rel=1e-12)
    w = rng.integers(1, 4, size=x.size).astype(float)
    weighted, _ = kdensity(x, grid, weights=w, bandwidth=h)
    copies, _ = kdensity(np.repeat(x, w.astype(int)), grid, bandwidth=h)
    np.testing.assert_allclose(weighted, copies, rtol=1e-12, atol=1e-14)
