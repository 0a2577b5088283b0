"""Two-way fixed effects: reference values and two routes to the same numbers.

Tolerances:
- REL_PUBLISHED: reference values are published to 7-8 significant digits, so
  a relative difference below 5e-7 is all the digits allow (tighter than 1e-6).
- ROUTES: the within estimator and the explicit dummy-variable regression are
  the same algebra in floating point; 1e-10 relative.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.reference import grunfeld as G
from tests.reference import mpdta as M
from xlcbec.core.did.baseline import baseline_did
from xlcbec.core.did.event_study import event_study
from xlcbec.core.options import EventWindow
from xlcbec.core.panel import prepare_panel
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import CollinearityWarning, EstimationError, InputError

REL_PUBLISHED = 5e-7
ROUTES = 1e-10


@pytest.fixture(scope="module")
def grunfeld_panel(test_data) -> pd.DataFrame:
    df = pd.read_csv(test_data / "grunfeld.csv")
    df = df[df.firm != "American Steel"].reset_index(drop=True)
    assert df.shape == (200, 5)
    return df


@pytest.fixture(scope="module")
def mpdta(test_data) -> pd.DataFrame:
    df = pd.read_csv(test_data / "mpdta.csv")
    df.index = df.index + 2  # spreadsheet row numbers
    df["post"] = ((df.first_treat > 0) & (df.year >= df.first_treat)).astype(float)
    return df


@pytest.mark.parametrize(
    "vcov,small_sample,expected",
    [("cluster", "stata", G.SE_STATA), ("cluster", "areg", G.SE_AREG), ("cluster", "none", G.SE_CR0), ("iid", "stata", G.SE_IID)],
)
def test_grunfeld_standard_errors(grunfeld_panel, vcov, small_sample, expected):
    res = fit_twfe(grunfeld_panel, outcome="invest", regressors=["capital"], unit="firm", time="year",
                   vcov=vcov, small_sample=small_sample)
    assert res.params["capital"] == pytest.approx(G.COEF_CAPITAL, rel=REL_PUBLISHED)
    assert res.std_errors["capital"] == pytest.approx(expected, rel=REL_PUBLISHED)
    if vcov == "cluster":
        assert res.n_clusters == 10 and res.df_inference == 9


def test_mpdta_did(mpdta):
    assert mpdta.post.sum() == M.TREATED_ROWS
    res = fit_twfe(mpdta, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
    assert res.params["post"] == pytest.approx(M.DID_COEF, rel=1e-12)
    assert res.std_errors["post"] == pytest.approx(M.DID_SE_STATA, rel=REL_PUBLISHED)
    cr0 = fit_twfe(mpdta, outcome="lemp", regressors=["post"], unit="countyreal", time="year", small_sample="none")
    assert cr0.std_errors["post"] == pytest.approx(M.DID_SE_CR0, rel=REL_PUBLISHED)
    areg = fit_twfe(mpdta, outcome="lemp", regressors=["post"], unit="countyreal", time="year", small_sample="areg")
    assert areg.std_errors["post"] == pytest.approx(M.DID_SE_AREG, rel=REL_PUBLISHED)
    # t(G-1) inference and the 95% interval
    from scipy import stats

    q = stats.t.ppf(0.975, 499)
    ci = res.conf_int().loc["post"]
    assert ci["lower"] == pytest.approx(res.params["post"] - q * res.std_errors["post"], rel=1e-12)


def test_mpdta_event_study(mpdta):
    panel = prepare_panel(mpdta, unit="countyreal", time="year", first_treat="first_treat")
    es = event_study(panel.data, outcome="lemp", unit="countyreal", time="year", window=EventWindow(-4, 3, reference=-1))
    table = es.table.set_index("r")
    for r, (coef, se) in M.EVENT_STUDY.items():
        # published to 6 decimals: half a unit in the last place
        assert table.loc[r, "coef"] == pytest.approx(coef, abs=5e-7)
        assert table.loc[r, "std_error"] == pytest.approx(se, abs=5e-7)
    assert table.loc[-1, "coef"] == 0
    # the pre-trend test equals a Wald test computed here from the parts
    pre = ["r-4", "r-3", "r-2"]
    b = es.regression.params[pre].to_numpy()
    v = es.regression.cov.loc[pre, pre].to_numpy()
    f = b @ np.linalg.solve(v, b) / 3
    assert es.pretrend.statistic == pytest.approx(f, rel=1e-10)
    from scipy import stats

    assert es.pretrend.pvalue == pytest.approx(stats.f.sf(f, 3, 499), rel=1e-10)
    terms = [r["term"] for r in es.to_estimates()]
    assert terms == ["r-4", "r-3", "r-2", "r0", "r1", "r2", "r3", "pretrend_wald"]


def _dummy_route(df, outcome, regressors, unit, time, weights=None):
    """OLS with explicit unit and year dummies: coefficients and the three cluster rules."""
    units = pd.get_dummies(df[unit], drop_first=False, dtype=float).to_numpy()
    years = pd.get_dummies(df[time], drop_first=True, dtype=float).to_numpy()
    x = np.column_stack([df[regressors].to_numpy(float), units, years])
    y = df[outcome].to_numpy(float)
    w = np.ones(len(y)) if weights is None else df[weights].to_numpy(float)
    sw = np.sqrt(w)
    xs, ys = x * sw[:, None], y * sw
    beta, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    e = ys - xs @ beta
    bread = np.linalg.pinv(xs.T @ xs)
    codes = pd.factorize(df[unit])[0]
    g = codes.max() + 1
    scores = xs * e[:, None]
    sums = np.zeros((g, x.shape[1]))
    np.add.at(sums, codes, scores)
    cr0 = bread @ sums.T @ sums @ bread
    k = len(regressors)
    n = len(y)
    n_units, n_years = units.shape[1], years.shape[1] + 1
    rules = {
        "none": cr0,
        "areg": cr0 * g / (g - 1) * (n - 1) / (n - (k + n_units + n_years - 1)),
        "stata": cr0 * g / (g - 1) * (n - 1) / (n - (k + n_years)),
    }
    return beta[:k], {name: np.sqrt(np.diag(v)[:k]) for name, v in rules.items()}


@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_within_equals_dummy_regression(mpdta, balanced, weighted):
    rng = np.random.default_rng(7)
    df = mpdta.copy()
    df["x2"] = rng.normal(size=len(df)) + 0.1 * df.year
    df["w"] = rng.uniform(0.5, 2.0, size=len(df))
    if not balanced:
        df = df.loc[rng.uniform(size=len(df)) > 0.15]
    regs = ["post", "x2", "lpop"]  # lpop is time-invariant: collinear with the unit effects
    beta, ses = _dummy_route(df, "lemp", ["post", "x2"], "countyreal", "year", weights="w" if weighted else None)
    for rule in ("stata", "areg", "none"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CollinearityWarning)
            res = fit_twfe(df, outcome="lemp", regressors=regs, unit="countyreal", time="year",
                           small_sample=rule, weights="w" if weighted else None, drop_singletons=False)
        assert res.dropped_collinear == ("lpop",)
        np.testing.assert_allclose(res.params[["post", "x2"]], beta, rtol=ROUTES)
        np.testing.assert_allclose(res.std_errors[["post", "x2"]], ses[rule], rtol=1e-9)


def test_alternating_projections_agree_with_dummies(mpdta, monkeypatch):
    """The iterative projection (used when both dimensions are large) equals the exact one."""
    import xlcbec.core.within as within

    df = mpdta.loc[np.random.default_rng(3).uniform(size=len(mpdta)) > 0.2]
    exact = fit_twfe(df, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
    monkeypatch.setattr(within, "MAX_DUMMY_LEVELS", 1)
    iterative = fit_twfe(df, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
    assert iterative.params["post"] == pytest.approx(exact.params["post"], rel=1e-9)
    assert iterative.std_errors["post"] == pytest.approx(exact.std_errors["post"], rel=1e-8)


def test_did_equals_event_study_with_one_post_bin(mpdta):
    panel = prepare_panel(mpdta.sample(frac=0.9, random_state=1), unit="countyreal", time="year", first_treat="first_treat")
    did = fit_twfe(panel.data, outcome="lemp", regressors=["CBEC"], unit="countyreal", time="year")
    es = event_study(panel.data, outcome="lemp", unit="countyreal", time="year", window=EventWindow(-1, 0, reference=-1))
    row = es.table.set_index("r").loc[0]
    assert row["coef"] == pytest.approx(did.params["CBEC"], rel=ROUTES)
    assert row["std_error"] == pytest.approx(did.std_errors["CBEC"], rel=ROUTES)


def test_other_fixed_effect_options(grunfeld_panel):
    import statsmodels.formula.api as smf

    df = grunfeld_panel
    for fe, formula in [((), "invest ~ capital"), (("unit",), "invest ~ capital + C(firm)"),
                        (("time",), "invest ~ capital + C(year)")]:
        res = fit_twfe(df, outcome="invest", regressors=["capital"], unit="firm", time="year",
                       fixed_effects=fe, vcov="robust")
        ols = smf.ols(formula, df).fit(cov_type="HC1")
        assert res.params["capital"] == pytest.approx(ols.params["capital"], rel=ROUTES)
        assert res.std_errors["capital"] == pytest.approx(ols.bse["capital"], rel=1e-9)
        iid = fit_twfe(df, outcome="invest", regressors=["capital"], unit="firm", time="year",
                       fixed_effects=fe, vcov="iid")
        assert iid.std_errors["capital"] == pytest.approx(smf.ols(formula, df).fit().bse["capital"], rel=1e-9)


def test_r_squared_definitions(grunfeld_panel):
    import statsmodels.formula.api as smf

    res = fit_twfe(grunfeld_panel, outcome="invest", regressors=["capital"], unit="firm", time="year")
    full = smf.ols("invest ~ capital + C(firm) + C(year)", grunfeld_panel).fit()
    assert res.r2 == pytest.approx(full.rsquared, rel=1e-10)
    assert res.rss == pytest.approx(full.ssr, rel=1e-10)
    assert 0 < res.r2_within < res.r2


def test_singletons_dropped_and_counted(mpdta):
    df = mpdta.copy()
    lone = df.loc[df.countyreal == 8001].index[1:]
    df = df.drop(lone)  # county 8001 now has one row
    res = fit_twfe(df, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
    assert res.n_singletons == 1
    assert res.rows.dropped["singletons"] == 1 and res.nobs == len(df) - 1


def test_missing_values_dropped_per_model(mpdta):
    df = mpdta.copy()
    df.loc[df.index[:7], "lpop"] = np.nan
    res = fit_twfe(df, outcome="lemp", regressors=["post", "lpop"], unit="countyreal", time="year", fixed_effects="time")
    assert res.rows.dropped["missing values"] == 7 and res.rows.read == len(df)


def test_treatment_without_variation_is_an_error(mpdta):
    df = mpdta.assign(always=1.0)
    with pytest.raises(EstimationError, match="no variation left after the fixed effects"):
        fit_twfe(df, outcome="lemp", regressors=["always"], unit="countyreal", time="year")


def test_non_numeric_cell_is_named(mpdta):
    df = mpdta.copy().astype({"lpop": object})
    df.loc[5, "lpop"] = "n/a"
    with pytest.raises(InputError) as err:
        fit_twfe(df, outcome="lemp", regressors=["post", "lpop"], unit="countyreal", time="year")
    text = str(err.value)
    assert "row 5" in text.lower() and "'lpop'" in text and "Fix:" in text
    assert "Traceback" not in text


def test_missing_column_is_named(mpdta):
    with pytest.raises(InputError, match="'lnpop'"):
        fit_twfe(mpdta, outcome="lemp", regressors=["post", "lnpop"], unit="countyreal", time="year")


def test_baseline_table4_columns(mpdta):
    df = mpdta.assign(municipality=(mpdta.countyreal % 10 == 1).astype(int))
    panel = prepare_panel(df, unit="countyreal", time="year", first_treat="first_treat")
    base = baseline_did(panel.data, outcome="lemp", unit="countyreal", time="year", controls=["lpop"])
    assert list(base.models) == ["no_controls", "controls", "excl_municipalities"]
    assert base.models["no_controls"].params["CBEC"] == pytest.approx(M.DID_COEF, rel=1e-12)
    direct = fit_twfe(df[df.municipality == 0].assign(CBEC=lambda d: d.post), outcome="lemp",
                      regressors=["CBEC", "lpop"], unit="countyreal", time="year")
    assert base.models["excl_municipalities"].params["CBEC"] == pytest.approx(direct.params["CBEC"], rel=ROUTES)
    rows = base.to_estimates()
    assert {r["model"] for r in rows} == set(base.models)
    assert all(set(r) == set(__import__("xlcbec.core.results", fromlist=["x"]).ESTIMATE_COLUMNS) for r in rows)


def test_every_unit_blank_is_a_clear_error(mpdta):
    df = mpdta.assign(countyreal=np.nan)
    with pytest.raises(EstimationError, match="no rows left"):
        fit_twfe(df, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
