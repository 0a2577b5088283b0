"""The Summary sheet's verdicts, computed from the results, flip where the planted data say they must.

Small synthetic panels (60 cities, 2010-2019, seeded) with one thing planted
at a time: an effect or none, a pre-trend, a coastal difference, a mediator,
selection on a covariate, effects that grow with time since the pilot under
staggered adoption.  Each test runs only the analyses it needs (seconds).
"""

from __future__ import annotations

import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xlcbec import analyses
from xlcbec.book.contract import INPUT_SHEETS, RESULT_SHEETS, SUMMARY
from xlcbec.book.settings import settings_from_mapping
from xlcbec.report.labels import LABELS
from xlcbec.report.summary import BALANCE_THRESHOLD, SMALL_WEIGHT, summarize, summary_table
from xlcbec.study import prepare_study

# The findings cite Estimates numbers; the second route (the fitted result) agrees to rounding.
SAME = 1e-12


def planted_panel(*, effect: float = 0.3, pretrend: float = 0.0, coastal_gap: float = 0.0, mediated: float = 0.5,
                  selection: float = 0.0, growth: float = 0.0, trend: float = 0.05, never: float = 0.5,
                  cohorts: tuple[int, ...] = (2014, 2015, 2016), seed: int = 11) -> pd.DataFrame:
    """60 cities 2010-2019; a share ``never`` never piloted, the rest in ``cohorts``.

    y = effect*CBEC + coastal_gap*CBEC*coastal + growth*(years since pilot) + 0.4*m
        + pretrend*(pilot city)*(year - 2010) + 0.1*x2 + city effect + trend*(year - 2010) + noise;
    m = mediated*CBEC + noise; x1 = selection*(pilot city) + noise.
    """
    rng = np.random.default_rng(seed)
    n = 60
    pilot = np.full(n, np.nan)
    n_pilot = int(round(n * (1 - never)))
    pilot[:n_pilot] = np.array(cohorts)[np.arange(n_pilot) % len(cohorts)]
    frame = pd.DataFrame([{"city": f"c{c:02d}", "year": year, "province": f"p{c // 6}", "pilot_year": pilot[c],
                           "coastal": int(c % 2 == 0)} for c in range(n) for year in range(2010, 2020)])
    k = len(frame)
    treated = (frame["year"] >= frame["pilot_year"]).astype(float)
    since = np.where(treated > 0, frame["year"] - frame["pilot_year"], 0.0)
    is_pilot = frame["pilot_year"].notna().astype(float)
    frame["x1"] = rng.normal(size=k) + selection * is_pilot
    frame["x2"] = rng.normal(size=k)
    frame["m"] = mediated * treated + rng.normal(scale=0.3, size=k)
    city = frame["city"].map({f"c{c:02d}": rng.normal() for c in range(n)})
    frame["y"] = (effect * treated + coastal_gap * treated * frame["coastal"] + growth * since + 0.4 * frame["m"]
                  + pretrend * is_pilot * (frame["year"] - 2010) + 0.1 * frame["x2"] + city
                  + trend * (frame["year"] - 2010) + rng.normal(scale=0.2, size=k))
    frame.index = frame.index + 2  # spreadsheet rows
    return frame


def outcomes_of(frame: pd.DataFrame, names: tuple[str, ...], **settings: object) -> dict:
    values = {"outcome": "y", "controls": "x1, x2", "mediators": "m", "heterogeneity": "coastal",
              "bootstrap_reps": 0, "placebo_reps": 99, "bandwidth": 0.2, **settings}
    study = prepare_study(frame, settings_from_mapping(values))
    return {name: analyses.ANALYSIS_FUNCTIONS[name](study) for name in names}


def verdicts(outcomes: dict, language: str = "en") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in summarize(outcomes, outcome_name="y", language=language):
        found.setdefault(finding.analysis, []).append(finding.verdict)
    return found


def test_a_planted_effect_is_found_and_a_null_effect_is_not_claimed():
    with_effect = verdicts(outcomes_of(planted_panel(), ("baseline", "placebo")))
    assert with_effect["baseline"] == ["verdict_effect_positive"]
    assert with_effect["placebo"] == ["verdict_placebo_pass"]
    null = outcomes_of(planted_panel(effect=0.0, mediated=0.0), ("baseline", "placebo"))
    found = verdicts(null)
    assert found["baseline"] == ["verdict_effect_null"]
    assert found["placebo"] == ["verdict_placebo_fail"]
    # The null verdict says the test cannot tell the effect from zero, not that it is zero.
    text = summarize(null, outcome_name="y")[0].text
    assert "does not show that the effect is zero" in text


def test_a_planted_pre_trend_fails_the_pre_trend_test():
    assert verdicts(outcomes_of(planted_panel(), ("event_study",)))["event_study"] == ["verdict_pretrend_pass"]
    failed = outcomes_of(planted_panel(pretrend=0.05), ("event_study",))
    assert verdicts(failed)["event_study"] == ["verdict_pretrend_fail"]
    finding = summarize(failed, outcome_name="y")[0]
    test = failed["event_study"].result.pretrend
    assert finding.values["p_value"] == pytest.approx(test.pvalue, rel=SAME)
    assert finding.values["significant_leads"]  # the leads that are significant on their own are named


def test_heterogeneity_and_mediation_verdicts_follow_their_tests():
    same = verdicts(outcomes_of(planted_panel(), ("heterogeneity", "mediation")))
    assert same["heterogeneity"] == ["verdict_hetero_same"]
    assert same["mediation"] == ["verdict_channel_supported"]
    planted = outcomes_of(planted_panel(coastal_gap=0.4, mediated=0.0), ("heterogeneity", "mediation"))
    found = verdicts(planted)
    assert found["heterogeneity"] == ["verdict_hetero_differs"]
    assert found["mediation"] == ["verdict_channel_not_supported"]
    coastal = next(f for f in summarize(planted, outcome_name="y") if f.analysis == "heterogeneity")
    assert coastal.values["differ"] == ("coastal=1", "coastal=0")  # one test, named once in the text
    assert coastal.text.count("Coastal cities") == 1


def test_psm_balance_and_att_verdicts():
    balanced = outcomes_of(planted_panel(effect=1.0), ("psm",))
    assert verdicts(balanced)["psm"] == ["verdict_balance_good", "verdict_effect_positive"]
    finding = summarize(balanced, outcome_name="y")[0]
    matched = balanced["psm"].result.balance.table.xs("Matched", level="sample")["pct_bias"].abs()
    assert finding.values["largest_bias"] == pytest.approx(matched.max(), rel=SAME)
    assert finding.values["largest_bias"] < BALANCE_THRESHOLD
    selected = outcomes_of(planted_panel(effect=-1.0, selection=2.5), ("psm",))
    assert verdicts(selected)["psm"] == ["verdict_balance_poor", "verdict_effect_negative"]


def test_staggered_diagnostics_flip_with_growing_effects_and_late_comparisons():
    names = ("baseline", "bacon", "cs", "sun_abraham")
    calm = verdicts(outcomes_of(planted_panel(), names))
    assert calm["bacon"] == ["verdict_bacon_small"]
    assert calm["cs"] == calm["sun_abraham"] == ["verdict_robust_agree"]
    # Effects growing with time since the pilot, early and late cohorts, few never-treated cities:
    # TWFE leans on already-treated controls and falls outside the robust estimators' intervals.
    growing = outcomes_of(planted_panel(growth=0.3, never=0.2, cohorts=(2011, 2017)), names)
    found = verdicts(growing)
    assert found["bacon"] == ["verdict_bacon_large"]
    assert found["cs"] == found["sun_abraham"] == ["verdict_robust_differ"]
    bacon = next(f for f in summarize(growing, outcome_name="y") if f.analysis == "bacon")
    by_type = growing["bacon"].result.by_type
    assert bacon.values["weight"] == pytest.approx(by_type.loc["later_vs_earlier", "weight"], rel=SAME)
    assert bacon.values["weight"] >= SMALL_WEIGHT


def test_baseline_numbers_are_the_fitted_model_s():
    outcomes = outcomes_of(planted_panel(), ("baseline",))
    finding = summarize(outcomes, outcome_name="y")[0]
    fit = outcomes["baseline"].result.models["controls"]
    ci = fit.conf_int()
    assert finding.values["estimate"] == pytest.approx(fit.params["CBEC"], rel=SAME)
    assert finding.values["ci_low"] == pytest.approx(ci.loc["CBEC", "lower"], rel=SAME)
    assert finding.values["ci_high"] == pytest.approx(ci.loc["CBEC", "upper"], rel=SAME)
    assert "Baseline" in finding.source and "(2)" in finding.source


def test_every_verdict_reads_in_both_languages_with_its_numbers():
    outcomes = outcomes_of(planted_panel(), ("baseline", "event_study", "placebo", "psm", "heterogeneity",
                                               "mediation", "bacon", "cs", "sun_abraham"))
    for language in ("en", "zh"):
        findings = summarize(outcomes, outcome_name="y", language=language)
        assert {f.analysis for f in findings} == {"baseline", "event_study", "placebo", "psm", "heterogeneity",
                                                  "mediation", "bacon", "cs", "sun_abraham"}
        for finding in findings:
            assert finding.verdict in LABELS
            for text in (finding.topic, finding.result, finding.text, finding.source):
                assert text and "{" not in text and "}" not in text, text
            assert re.search(r"\d", finding.result), finding.result  # the numbers the verdict rests on
            assert finding.sheet in RESULT_SHEETS and finding.sheet in finding.source
        if language == "zh":
            assert all(re.search(r"[\u4e00-\u9fff]", f.text) for f in findings)
        table = summary_table(findings, language=language)
        assert len(table.body) == len(findings) and table.notes


def test_the_summary_sheet_comes_first_among_the_result_sheets(tmp_path):
    from xlcbec import jobs
    from xlcbec.book.reading import read_inputs
    from xlcbec.book.result_package import save_results
    from xlcbec.book.template import write_input_workbook

    book = write_input_workbook(tmp_path / "planted.xlsx", panel=planted_panel().reset_index(drop=True),
                                settings={"outcome": "y", "controls": "x1, x2", "analyses": "baseline, event_study",
                                          "language": "zh"})
    report = jobs.run_inputs(read_inputs(book))
    out = save_results(book, tmp_path / "out.xlsx", lambda backend: jobs.write_report(backend, report))
    names = openpyxl.load_workbook(out).sheetnames
    results = [n for n in names if n in RESULT_SHEETS]
    assert results[0] == SUMMARY == RESULT_SHEETS[1]  # RESULT_SHEETS[0] is Check, which only a check writes
    assert names.index(SUMMARY) > max(names.index(n) for n in names if n in INPUT_SHEETS)
    sheet = openpyxl.load_workbook(out)[SUMMARY]
    assert sheet["A1"].value == "结果概览"
    verdict = sheet["C3"]
    assert "显著" in verdict.value and verdict.alignment.wrap_text
    assert sheet.row_dimensions[3].height and sheet.row_dimensions[3].height > 15  # wrapped rows get their height


def test_the_cross_check_has_its_row_when_asked_for():
    """Settings cross_check = yes: the independent re-estimation's verdict is the Summary's last row."""
    from xlcbec import jobs
    from xlcbec.analyses import StudyRun

    values = {"outcome": "y", "controls": "x1, x2", "cross_check": "yes"}
    study = prepare_study(planted_panel(), settings_from_mapping(values))
    run = StudyRun(outcomes={"baseline": analyses.ANALYSIS_FUNCTIONS["baseline"](study)})
    check = jobs.run_cross_check(study, run)
    for language in ("en", "zh"):
        findings = summarize(run.outcomes, outcome_name="y", language=language, cross_check=check)
        last = findings[-1]
        assert last.analysis == "cross_check" and last.verdict == "verdict_cross_check_agree"
        assert last.result == check.summary_line(language) and last.sheet == "Log"
    assert summarize(run.outcomes, outcome_name="y")[-1].analysis == "baseline"  # not asked for: no row
