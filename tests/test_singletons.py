"""Settings ``singletons``: reghdfe drops units observed once, ``xtreg, fe`` keeps them.

Reference: an independent statsmodels dummy-variable regression (every unit
and year a dummy) on the panel with its singletons, clustered by unit.
statsmodels' cluster covariance applies ``G/(G-1) * (n-1)/(n-p)`` with p = all
its parameters (every dummy counted: the areg rule).  The Stata rule for
``xtreg, fe vce(cluster unit)`` counts K = k + T (slopes, year dummies and the
constant; the unit effects are nested in the clusters and not counted), so

    V_xtreg = V_statsmodels * (n - p) / (n - K)

with n and G counting the singletons (docs/methods.md section 3).

Tolerances: ROUTES 1e-9 relative (the within estimator and the dummy
regression are the same algebra in floating point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.did.baseline import baseline_did
from xlcbec.core.options import SEOptions
from xlcbec.core.twfe import fit_twfe
from xlcbec.report.labels import singletons_note

ROUTES = 1e-9
CUT = (8001, 8019, 8029)  # counties cut to their first year: three singletons


@pytest.fixture(scope="module")
def panel(test_data) -> pd.DataFrame:
    df = pd.read_csv(test_data / "mpdta.csv")
    df = df[df.countyreal.isin(df.countyreal.unique()[:120])]  # 120 counties keep the dummy regression quick
    df["post"] = ((df.first_treat > 0) & (df.year >= df.first_treat)).astype(float)
    later = df.countyreal.isin(CUT) & (df.year > df.groupby("countyreal").year.transform("min"))
    df = df.loc[~later].reset_index(drop=True)
    assert (df.groupby("countyreal").size() == 1).sum() == len(CUT)
    return df


def xtreg_reference(df: pd.DataFrame) -> tuple[float, float, int, int]:
    """Coefficient, SE, n, G of ``xtreg lemp post i.year, fe vce(cluster countyreal)`` via dummies."""
    import statsmodels.formula.api as smf

    fit = smf.ols("lemp ~ post + C(countyreal) + C(year)", df).fit(
        cov_type="cluster", cov_kwds={"groups": df["countyreal"].to_numpy()})
    n, p = len(df), len(fit.params)
    k_stata = 1 + df.year.nunique()  # one slope + the year effects incl. the constant
    se = float(fit.bse["post"]) * np.sqrt((n - p) / (n - k_stata))
    return float(fit.params["post"]), se, n, int(df.countyreal.nunique())


def test_keep_equals_xtreg_and_drop_equals_reghdfe(panel):
    coef, se, n, g = xtreg_reference(panel)
    kept = fit_twfe(panel, outcome="lemp", regressors=["post"], unit="countyreal", time="year",
                    drop_singletons=False)
    assert (n, g) == (600 - 4 * len(CUT), 120)
    assert kept.nobs == n and kept.n_clusters == g and kept.n_singletons == len(CUT)
    assert kept.params["post"] == pytest.approx(coef, rel=ROUTES)
    assert kept.std_errors["post"] == pytest.approx(se, rel=ROUTES)
    assert kept.df_inference == g - 1 and kept.singletons == "keep"
    # reghdfe: the same coefficient on the panel without the singletons, which is what drop fits.
    dropped = fit_twfe(panel, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
    without = panel[~panel.countyreal.isin(CUT)]
    coef_d, se_d, n_d, g_d = xtreg_reference(without)
    assert (dropped.nobs, dropped.n_clusters) == (n_d, g_d) == (n - len(CUT), g - len(CUT))
    assert dropped.params["post"] == pytest.approx(coef, rel=ROUTES)
    assert dropped.std_errors["post"] == pytest.approx(se_d, rel=ROUTES)
    assert abs(dropped.std_errors["post"] / kept.std_errors["post"] - 1) > 1e-6  # the conventions do differ here


def test_setting_reaches_every_model_and_the_notes(panel):
    se = SEOptions(singletons="keep")
    result = baseline_did(panel, outcome="lemp", unit="countyreal", time="year", treatment="post",
                          se=se)
    assert all(fit.nobs == len(panel) and fit.singletons == "keep" for fit in result.models.values())
    assert "kept" in singletons_note(list(result.models.values())) and "3 in the sample" in singletons_note(
        list(result.models.values()))
    assert "单期观测" in singletons_note(list(result.models.values()), "zh")
    default = baseline_did(panel, outcome="lemp", unit="countyreal", time="year", treatment="post")
    assert all(fit.nobs == len(panel) - len(CUT) for fit in default.models.values())
    assert "dropped (as reghdfe)" in singletons_note(list(default.models.values()))
