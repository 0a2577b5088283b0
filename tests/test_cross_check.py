"""Settings ``cross_check``: the baseline re-estimated with linearmodels, the PSM score with statsmodels.

Routes compared: xlcbec's within estimator against linearmodels' PanelOLS
(plain sandwich, the small-sample factor written out in
:func:`xlcbec.core.cross_check.small_sample_factor`), and xlcbec's Newton
probit/logit against statsmodels.  Tolerance ROUTES 1e-12 relative: the same
least-squares and likelihood solutions in floating point (the checks found
them within 1e-13).  The factor itself is checked against the Stata rule
written by hand for Grunfeld (G = 10, n = 200, K = 2 slopes + 20 years).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.reference import psmatch2_ldw as L
from tests.test_bad_inputs import setting_row, small_workbook
from xlcbec.cli import main
from xlcbec.core.cross_check import TOLERANCE, CrossCheck, check_regression, check_score_model, small_sample_factor
from xlcbec.core.psm.pscore import fit_score
from xlcbec.core.twfe import fit_twfe

ROUTES = 1e-12


@pytest.fixture(scope="module")
def grunfeld(test_data) -> pd.DataFrame:
    df = pd.read_csv(test_data / "grunfeld.csv")
    df = df[df.firm != "American Steel"].reset_index(drop=True)
    df["state"] = df.firm.map({firm: i % 3 for i, firm in enumerate(df.firm.unique())})  # firms nested in 3 groups
    return df


@pytest.mark.parametrize("options", [
    {}, {"vcov": "robust"}, {"vcov": "iid"}, {"fixed_effects": "time"}, {"fixed_effects": "unit"},
    {"fixed_effects": "none"}, {"cluster": "state"}, {"cluster": "year"}, {"small_sample": "areg"},
    {"drop_singletons": False},
])
def test_every_standard_error_rule_agrees_with_linearmodels(grunfeld, options):
    data = grunfeld
    if "drop_singletons" in options:  # one firm cut to a single year: kept as xtreg, fe does
        data = grunfeld[~((grunfeld.firm == grunfeld.firm.iloc[0]) & (grunfeld.year > grunfeld.year.min()))]
    fit = fit_twfe(data, outcome="invest", regressors=["capital", "value"], unit="firm", time="year", **options)
    check = check_regression(data, fit, analysis="baseline", model="m", unit="firm", time="year")
    assert check.library.startswith("linearmodels ") and check.terms == 2
    assert check.coef_rel <= ROUTES and check.se_rel <= ROUTES and check.agrees


def test_the_factor_is_the_stata_rule(grunfeld):
    fit = fit_twfe(grunfeld, outcome="invest", regressors=["capital", "value"], unit="firm", time="year")
    n, g, k = 200, 10, 2 + 20
    assert small_sample_factor(fit, grunfeld, unit="firm", time="year") == pytest.approx(
        g / (g - 1) * (n - 1) / (n - k), rel=1e-15)


def test_a_difference_is_a_warning_naming_the_model(grunfeld):
    fit = fit_twfe(grunfeld, outcome="invest", regressors=["capital"], unit="firm", time="year")
    wrong = dataclasses.replace(fit, params=fit.params * (1 + 1e-6))
    check = check_regression(grunfeld, wrong, analysis="baseline", model="controls", unit="firm", time="year")
    assert not check.agrees and check.coef_rel == pytest.approx(1e-6, rel=1e-6)
    result = CrossCheck((check,))
    assert result.warnings and "baseline controls" in result.warnings[0] and f"{TOLERANCE:g}" in result.warnings[0]
    assert "differences in baseline controls" in result.summary_line()
    assert "不一致" in result.summary_line("zh")


def test_score_model_agrees_with_statsmodels(test_data):
    df = pd.read_csv(test_data / "ldw_exper.csv", dtype={c: np.float32 for c in L.FLOAT32_COLUMNS})
    df = df.astype({c: float for c in L.FLOAT32_COLUMNS})
    for model in ("probit", "logit"):
        score = fit_score(df, treatment=L.TREATMENT, covariates=list(L.COVARIATES), model=model)
        check = check_score_model(df, score)
        assert check.library.startswith("statsmodels ") and check.terms == len(L.COVARIATES) + 1
        assert check.coef_rel <= 1e-9 and check.se_rel <= 1e-9  # Newton to 1e-12 on both sides


def _book(folder: Path, cross_check: str) -> Path:
    book = small_workbook(folder / "inputs.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["Settings"].cell(setting_row("cross_check"), 2).value = cross_check
    wb["Settings"].cell(setting_row("bootstrap_reps"), 2).value = 0
    wb.save(book)
    return book


def test_refresh_with_cross_check_writes_the_log(tmp_path):
    book = _book(tmp_path, "yes")
    assert main(["refresh", str(book), "--only", "baseline,psm", "--quiet"]) == 0
    log = openpyxl.load_workbook(book.with_name("inputs.results.xlsx"), read_only=True)["Log"]
    rows = [(section, str(value)) for section, _, value in log.iter_rows(min_row=2, values_only=True)]
    checks = [value for section, value in rows if section == "cross-check"]
    assert sum("checked against linearmodels" in v for v in checks) == 3  # the three Table 4 columns
    assert any("psm score (probit): checked against statsmodels" in v for v in checks)
    assert any(v.startswith("Cross-check against linearmodels") and "all agree" in v for v in checks)
    assert not any("cross-check:" in value for section, value in rows if section == "note")


def test_a_refresh_without_cross_check_does_not_import_linearmodels_or_statsmodels(tmp_path):
    book = _book(tmp_path, "no")
    script = textwrap.dedent(f"""
        import sys
        from xlcbec.cli import main
        assert main(["refresh", {str(book)!r}, "--only", "baseline,psm", "--quiet"]) == 0
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("linearmodels", "statsmodels"))
        print(loaded)
        sys.exit(1 if loaded else 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
