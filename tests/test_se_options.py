"""Settings `cluster` honoured by every regression analysis, and named by every table note.

Each analysis runs from a Study built from Settings, as a refresh runs it.
Every TWFE fit it makes is recorded (the data, the rows used, the regressors,
the weights) and refitted directly as a dummy-variable regression with
statsmodels:
- ``robust``: statsmodels HC1 on the dummy regression (every fixed effect counted);
- ``none``: statsmodels' conventional OLS standard errors;
- a cluster column: statsmodels' clustered SEs (G/(G-1) (N-1)/(N-K), K with
  every dummy) rescaled to the Stata xtreg/reghdfe rule, where fixed effects
  nested in the clusters are not counted: SE * sqrt((N - K_all) / (N - K_stata)).

Tolerance: SE_REL = 1e-9 relative, two routes (within transform vs explicit
dummies, QR vs statsmodels' pinv) to the same number on a small panel.
Placebo is not here: it reports the spread of permutation coefficients, no model SE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from xlcbec import analyses
from xlcbec.book.settings import settings_from_mapping
from xlcbec.core.did import baseline as did
from xlcbec.core.did import event_study, heterogeneity, mediation
from xlcbec.core.psm import psm_did as psm
from xlcbec.core.staggered import sun_abraham
from xlcbec.core.twfe import SweptColumns, fit_twfe
from xlcbec.report.sheets import BUILDERS, View
from xlcbec.study import Study, prepare_study

SE_REL = 1e-9
ANALYSES = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "sun_abraham")
MODULES = (did, event_study, psm, heterogeneity, mediation, sun_abraham)
CLUSTERS = ("", "province", "robust", "none")  # "" = the default, clustered by the unit column


def _panel() -> pd.DataFrame:
    """40 cities in 8 provinces, 2011-2018; 20 cities become pilots in 2014-2016, 20 never."""
    rng = np.random.default_rng(7)
    cities = np.arange(40)
    pilot = np.where(cities < 20, 2014 + cities % 3, np.nan)
    rows = []
    for c in cities:
        for year in range(2011, 2019):
            rows.append({"city": f"c{c:02d}", "year": year, "province": f"p{c // 5}", "pilot_year": pilot[c],
                         "coastal": int(c % 2 == 0)})
    frame = pd.DataFrame(rows)
    n = len(frame)
    treated = (frame["year"] >= frame["pilot_year"]).astype(float)
    frame["x1"] = rng.normal(size=n) + 0.3 * treated
    frame["x2"] = rng.normal(size=n)
    frame["m"] = 0.5 * treated + 0.4 * frame["x1"] + rng.normal(scale=0.5, size=n)
    city_effect = frame["city"].map({f"c{c:02d}": rng.normal() for c in cities})
    frame["y"] = 0.2 * treated + 0.3 * frame["m"] + 0.1 * frame["x2"] + city_effect + 0.05 * (frame["year"] - 2011) \
        + rng.normal(scale=0.3, size=n)
    frame.index = frame.index + 2  # spreadsheet rows
    return frame


PANEL = _panel()


def _study(cluster: str) -> Study:
    values = {"outcome": "y", "controls": "x1, x2", "mediators": "m", "heterogeneity": "coastal",
              "bootstrap_reps": 0, "cluster": cluster}
    return prepare_study(PANEL, settings_from_mapping(values))


class Recorder:
    """Wraps fit_twfe where the analyses call it, and SweptColumns.fit (models sharing one sweep of their
    columns), and keeps each call and its result."""

    def __init__(self, panel: pd.DataFrame) -> None:
        self.calls: list[tuple[pd.DataFrame, dict, object]] = []
        self.panel = panel
        self.inside = False  # within a fit_twfe call (which fits through SweptColumns itself)

    def __call__(self, data: pd.DataFrame, **kwargs: object) -> object:
        self.inside = True
        try:
            result = fit_twfe(data, **kwargs)
        finally:
            self.inside = False
        self.calls.append((data.copy(), kwargs, result))
        return result

    def swept_fit(self, columns: SweptColumns, outcome: str, regressors: list[str], **kwargs: object) -> object:
        result = SWEPT_FIT(columns, outcome, regressors, **kwargs)
        if self.inside:
            return result
        # The model's data: its columns before the sweep (the interaction terms included) beside the panel's ids.
        sample = columns.sample
        raw = pd.DataFrame(columns.raw, columns=list(columns.names), index=sample.index)
        data = pd.concat([self.panel.loc[raw.index, ["city", "year", "province"]], raw], axis=1)
        call = {"outcome": outcome, "regressors": regressors, "unit": "city", "time": "year",
                "cluster": sample.cluster, **kwargs}
        if sample.fe.weights is not None:
            data["_w"] = sample.fe.weights
            call["weights"] = "_w"
        self.calls.append((data, call, result))
        return result


SWEPT_FIT = SweptColumns.fit


def _direct_se(data: pd.DataFrame, kwargs: dict, result: object, term: str) -> float:
    """The same model as a dummy-variable regression in statsmodels, SE of ``term``."""
    rows = data.loc[result.sample_index]
    unit, time = kwargs["unit"], kwargs["time"]
    kept = list(result.params.index)
    design = rows[kept].astype(float)
    dummies = []
    if "unit" in result.fixed_effects:
        dummies.append(pd.get_dummies(rows[unit], prefix="u", drop_first=True, dtype=float))
    if "time" in result.fixed_effects:
        dummies.append(pd.get_dummies(rows[time], prefix="t", drop_first=True, dtype=float))
    x = sm.add_constant(pd.concat([design, *dummies], axis=1), has_constant="add")
    y = rows[kwargs["outcome"]].astype(float)
    weights = kwargs.get("weights")
    model = sm.WLS(y, x, weights=rows[weights].astype(float)) if weights else sm.OLS(y, x)
    vcov = kwargs.get("vcov", "cluster")
    if vcov == "iid":
        return float(model.fit().bse[term])
    if vcov == "robust":
        return float(model.fit(cov_type="HC1").bse[term])
    cluster = kwargs.get("cluster") or unit
    groups = pd.factorize(rows[cluster])[0]
    se = float(model.fit(cov_type="cluster", cov_kwds={"groups": groups}).bse[term])
    n, k_all = len(rows), x.shape[1]
    # Stata: fixed effects nested in the clusters are not counted (the unit effect here: cities lie in one
    # province); the time effect and the constant are.
    k_stata = len(kept) + (rows[time].nunique() - 1 if "time" in result.fixed_effects else 0) + 1
    return se * np.sqrt((n - k_all) / (n - k_stata))


@pytest.mark.parametrize("cluster", CLUSTERS)
@pytest.mark.parametrize("analysis", ANALYSES)
def test_every_fit_uses_the_setting_and_matches_a_direct_fit(monkeypatch, analysis, cluster):
    study = _study(cluster)
    recorder = Recorder(study.data)
    for module in MODULES:
        if hasattr(module, "fit_twfe"):
            monkeypatch.setattr(module, "fit_twfe", recorder)
    monkeypatch.setattr(SweptColumns, "fit", lambda columns, *args, **kwargs: recorder.swept_fit(columns, *args, **kwargs))
    outcome = analyses.ANALYSIS_FUNCTIONS[analysis](study)
    assert recorder.calls, f"{analysis} fitted no model"
    expected_vcov = {"": "cluster", "province": "cluster", "robust": "robust", "none": "iid"}[cluster]
    expected_cluster = {"": "city", "province": "province"}.get(cluster)
    for data, kwargs, result in recorder.calls:
        assert result.vcov_type == expected_vcov
        assert result.cluster == expected_cluster
        if expected_cluster:
            assert result.n_clusters == data.loc[result.sample_index, expected_cluster].nunique()
        term = kwargs.get("treatment") or kwargs["regressors"][0]
        assert result.std_errors[term] == pytest.approx(_direct_se(data, kwargs, result, term), rel=SE_REL)

    # The sheet's notes name the SE type the fits used.
    notes = " ".join(note for block in BUILDERS[analysis](outcome, View(study.settings), study)
                     for note in getattr(block, "notes", ()))
    wanted = {"": "clustered by city", "province": "clustered by province", "robust": "(HC1)",
              "none": "Conventional standard errors"}[cluster]
    assert wanted in notes


def test_robust_and_none_differ_from_the_default():
    """The matrix above could pass if every setting gave the same SEs; they do not."""
    fits = {c: analyses.ANALYSIS_FUNCTIONS["sun_abraham"](_study(c)).result.regression for c in CLUSTERS}
    ses = {c: fits[c].std_errors.iloc[0] for c in CLUSTERS}
    assert len({round(v, 12) for v in ses.values()}) == len(CLUSTERS)


def test_zh_notes_name_the_standard_errors():
    study = prepare_study(PANEL, settings_from_mapping(
        {"outcome": "y", "controls": "x1, x2", "cluster": "robust", "language": "zh"}))
    outcome = analyses.ANALYSIS_FUNCTIONS["baseline"](study)
    notes = [n for block in BUILDERS["baseline"](outcome, View(study.settings), study) for n in block.notes]
    assert "异方差稳健标准误（HC1）。" in notes


def test_bootstrap_reps_zero_leaves_no_bootstrap_rows_or_columns():
    """Settings bootstrap_reps = 0: PSM and mediation run without a bootstrap, and nothing blank stands for it."""
    study = _study("")  # bootstrap_reps = 0
    for analysis in ("psm", "mediation"):
        outcome = analyses.ANALYSIS_FUNCTIONS[analysis](study)
        terms = {row["term"] for row in outcome.estimates}
        assert not any("boot" in term for term in terms), terms
        for block in BUILDERS[analysis](outcome, View(study.settings), study):
            header = " ".join(str(cell.value) for row in getattr(block, "header", ()) for cell in row)
            assert "boot" not in header.lower() and "自助" not in header
            assert "bootstrap" not in str(getattr(block, "title", "")).lower()
    with_draws = prepare_study(PANEL, settings_from_mapping(
        {"outcome": "y", "controls": "x1, x2", "mediators": "m", "bootstrap_reps": 5}))
    table = analyses.ANALYSIS_FUNCTIONS["mediation"](with_draws).result.table
    assert {"boot_low", "boot_high"} <= set(table.columns)
