"""The Summary sheet: each analysis' headline number and a plain verdict a non-econometrician can read.

Every verdict is a plain function of the results a refresh computed (the
analysis' Estimates rows, and for PSM the balance table), so the Summary
says nothing the tables do not: the numbers it cites are the Estimates
numbers, and the sheet they stand on is named beside them.  No verdict is
stronger than its test: a test that passes "finds no evidence against",
an insignificant effect "is not told apart from no effect", and
descriptive shares (Goodman-Bacon weights, share mediated) are reported as
shares, never as tests.

The test level is the loosest star level of Settings ``stars`` (10% by
default); a significant effect is said to be significant at the strictest
star level it passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core.results import estimates_frame
from xlcbec.report.labels import label, percent_text
from xlcbec.report.tables import Cell, TableSpec

# |%bias| below which a covariate counts as balanced after matching: the usual
# rule of thumb (Rosenbaum and Rubin 1985; Caliendo and Kopeinig 2008 use 5-10%).
BALANCE_THRESHOLD = 10.0
# Goodman-Bacon: a weight of comparisons against already-treated units below
# this share is called small.  A description, not a test.
SMALL_WEIGHT = 0.10


@dataclass(frozen=True)
class Finding:
    """One row of the Summary: what was estimated, the numbers, the verdict and where they come from.

    ``verdict`` is a key of :mod:`xlcbec.report.labels` (``verdict_*``) that
    the tests use to see verdicts flip; ``values`` are the raw numbers cited;
    ``result``, ``text`` and ``source`` are the rendered cells in the
    finding's language.
    """

    analysis: str
    verdict: str
    sheet: str
    topic: str
    result: str
    text: str
    source: str
    values: Mapping[str, Any] = field(default_factory=dict)


class _Words:
    """Formatting in one language: numbers, p-values, significance levels, label templates."""

    def __init__(self, language: str, stars: Sequence[float]) -> None:
        self.language = language
        self.levels = tuple(sorted(float(level) for level in stars))
        self.test_level = self.levels[-1] if self.levels else 0.10

    def __call__(self, key: str, **values: Any) -> str:
        return label(key, self.language).format(**values)

    @staticmethod
    def number(value: float, digits: int = 4) -> str:
        return f"{value:.{digits}f}" if math.isfinite(value) else "—"

    @staticmethod
    def p(value: float) -> str:
        if not math.isfinite(value):
            return "p = —"
        return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"

    def stars(self, p_value: float) -> str:
        return "*" * sum(1 for level in self.levels if math.isfinite(p_value) and p_value < level)

    def level(self, p_value: float) -> str:
        """The strictest level ``p_value`` passes (as '1%'), else the test level."""
        for level in self.levels:
            if p_value < level:
                return percent_text(level)
        return percent_text(self.test_level)

    def significant(self, p_value: float) -> bool:
        return math.isfinite(p_value) and p_value < self.test_level

    def join(self, items: Sequence[str]) -> str:
        return ("、" if self.language == "zh" else ", ").join(items)

    def parts(self, items: Sequence[str]) -> str:
        return ("；" if self.language == "zh" else "; ").join(items)

    def titled(self, key: str, subject: str) -> str:
        return f"{label(key, self.language)}{'：' if self.language == 'zh' else ': '}{subject}"

    def source(self, sheet: str, what: str) -> str:
        return f"{sheet}: {label(what, self.language)}"


def _row(frame: pd.DataFrame, analysis: str, model: str | None, term: str) -> pd.Series | None:
    # Compared as arrays: a boolean DataFrame selection per looked-up number was most of the Summary's time.
    hit = (frame["analysis"].to_numpy() == analysis) & (frame["term"].to_numpy() == term)
    if model is not None:
        hit &= frame["model"].to_numpy() == model
    rows = np.flatnonzero(hit)
    return frame.iloc[rows[0]] if len(rows) else None


def _value(row: pd.Series | None, column: str) -> float:
    if row is None:
        return math.nan
    value = row[column]
    return float(value) if value is not None and not pd.isna(value) else math.nan


def _effect_verdict(words: _Words, estimate: float, p_value: float) -> str:
    if not words.significant(p_value):
        return "verdict_effect_null"
    return "verdict_effect_positive" if estimate > 0 else "verdict_effect_negative"


def _estimates(outcome: Any) -> pd.DataFrame:
    return estimates_frame(outcome.estimates)


# --- one function per analysis ------------------------------------------------------


def baseline_finding(outcome: Any, words: _Words, outcome_name: str) -> list[Finding]:
    """The headline DID coefficient (the model with controls) with its 95% CI."""
    result = outcome.result
    frame = _estimates(outcome)
    model = "controls" if "controls" in result.models else next(iter(result.models))
    row = _row(frame, "baseline", model, result.treatment)
    b, p, lo, hi = (_value(row, c) for c in ("estimate", "p_value", "ci_low", "ci_high"))
    verdict = _effect_verdict(words, b, p)
    column = list(result.models).index(model) + 1
    shown = dict(b=words.number(b), stars=words.stars(p), lo=words.number(lo), hi=words.number(hi), p=words.p(p),
                 level=words.level(p), outcome=label(outcome_name, words.language), column=column)
    return [Finding("baseline", verdict, "Baseline", words("summary_baseline"),
                    words("summary_numbers_effect", **shown), words(verdict, **shown),
                    words("summary_source_column", sheet="Baseline", column=column),
                    dict(estimate=b, p_value=p, ci_low=lo, ci_high=hi))]


def pretrend_finding(outcome: Any, words: _Words) -> list[Finding]:
    """The joint test that the pre-period event-study coefficients are zero: passes or fails at the test level."""
    result = outcome.result
    test = result.pretrend
    if not test.df_num:
        return []
    table = result.table
    leads = table[(table["r"] < 0) & (table["r"] != result.reference) & (table["pvalue"] < words.test_level)]
    failed = words.significant(test.pvalue)
    verdict = "verdict_pretrend_fail" if failed else "verdict_pretrend_pass"
    shown = dict(F=words.number(test.statistic, 3), df1=test.df_num, df2=test.df_denom, p=words.p(test.pvalue),
                 level=percent_text(words.test_level),
                 leads=words.join([f"r = {int(r)}" for r in leads["r"]]) or "—")
    return [Finding("event_study", verdict, "EventStudy", words("summary_pretrend"),
                    words("summary_numbers_pretrend", **shown), words(verdict, **shown),
                    words.source("EventStudy", "title_event_study"),
                    dict(statistic=test.statistic, p_value=test.pvalue, significant_leads=tuple(int(r) for r in leads["r"])))]


def placebo_finding(outcome: Any, words: _Words) -> list[Finding]:
    """The permutation p of the actual estimate among estimates with random pilot years."""
    r = outcome.result
    passed = words.significant(r.p_value)
    verdict = "verdict_placebo_pass" if passed else "verdict_placebo_fail"
    floor = 1.0 / (r.reps + 1)
    shown = dict(actual=words.number(r.actual), p=words.p(r.p_value), reps=r.reps, level=percent_text(words.test_level),
                 floor=words.number(floor, 4))
    text = words(verdict, **shown)
    if r.p_value <= floor * (1 + 1e-9):  # no draw was as large: p is the smallest these draws can give
        text += words("verdict_placebo_floor", **shown)
    return [Finding("placebo", verdict, "Robustness", words("summary_placebo"),
                    words("summary_numbers_placebo", **shown), text,
                    words.source("Robustness", "title_placebo"),
                    dict(estimate=r.actual, p_value=r.p_value, reps=r.reps))]


def psm_findings(outcome: Any, words: _Words) -> list[Finding]:
    """Covariate balance after matching (mean and largest |%bias|) and the matched ATT."""
    r = outcome.result
    findings: list[Finding] = []
    table = r.balance.table
    matched = table.xs("Matched", level="sample") if "sample" in table.index.names else table
    bias = matched["pct_bias"].abs().dropna()
    if len(bias):
        worst = str(bias.idxmax())
        largest = float(bias.max())
        mean_bias = float(r.balance.summary.loc["Matched", "mean_bias"]) if "Matched" in r.balance.summary.index else float(bias.mean())
        verdict = "verdict_balance_good" if largest < BALANCE_THRESHOLD else "verdict_balance_poor"
        shown = dict(mean=words.number(mean_bias, 2), largest=words.number(largest, 2),
                     covariate=label(worst, words.language), threshold=f"{BALANCE_THRESHOLD:g}%", n=len(bias))
        findings.append(Finding("psm", verdict, "PSM", words("summary_psm_balance"),
                                words("summary_numbers_balance", **shown), words(verdict, **shown),
                                words.source("PSM", "title_psm_balance"),
                                dict(mean_bias=mean_bias, largest_bias=largest, covariate=worst)))
    row = _row(_estimates(outcome), "psm_att", None, "ATT")
    att, p, lo, hi = (_value(row, c) for c in ("estimate", "p_value", "ci_low", "ci_high"))
    if math.isfinite(att):
        verdict = _effect_verdict(words, att, p)
        shown = dict(b=words.number(att), stars=words.stars(p), lo=words.number(lo), hi=words.number(hi), p=words.p(p),
                     level=words.level(p), outcome=label(r.outcome, words.language),
                     treated=r.matching.n_treated_on, controls=r.matching.n_control_matched)
        findings.append(Finding("psm", verdict, "PSM", words("summary_psm_att"),
                                words("summary_numbers_att", **shown), words(f"{verdict}_att", **shown),
                                words.source("PSM", "title_psm_att"),
                                dict(estimate=att, p_value=p, ci_low=lo, ci_high=hi)))
    return findings


def _group_words(group: str, language: str) -> str:
    """How a grouping is named in a sentence ('location (coastal vs inland)'); the group's label otherwise."""
    key = f"summary_group_{group}"
    text = label(key, language)
    return label(group, language) if text == key else text


def heterogeneity_findings(outcome: Any, words: _Words) -> list[Finding]:
    """Per grouping (location, region, ...): which groups' effects differ from the other cities' (equal-effect test)."""
    r = outcome.result
    frame = _estimates(outcome)
    findings: list[Finding] = []
    for group, names in r.groups.items():
        if not names:
            continue
        effects, tests, differ = [], [], []
        for name in names:
            coef = _row(frame, "heterogeneity", name, "GxCBEC")
            b, p = _value(coef, "estimate"), _value(coef, "p_value")
            shown_name = label(name, words.language)
            effects.append(f"{shown_name} {words.number(b)}{words.stars(p)}")
            test = _row(frame, "heterogeneity", name, "equal_effects")
            p_equal = _value(test, "p_value")
            if math.isfinite(p_equal):
                tests.append((name, shown_name, _value(test, "statistic"), p_equal))
                if words.significant(p_equal):
                    differ.append(shown_name)
        if not tests:
            continue
        # Two groups: "group vs the rest" is one test whichever group is named first.
        shown_tests = tests[:1] if len(names) == 2 else tests
        verdict = "verdict_hetero_differs" if differ else "verdict_hetero_same"
        smallest = min(t[3] for t in tests)
        which = differ[:1] if len(names) == 2 else differ
        shown = dict(group=_group_words(group, words.language), effects=words.parts(effects),
                     tests=words.join([f"{n}: F = {words.number(f, 2)}, {words.p(p)}" for _, n, f, p in shown_tests]),
                     which=words.join(which), p=words.p(smallest), level=percent_text(words.test_level))
        findings.append(Finding("heterogeneity", verdict, "Heterogeneity",
                                words.titled("summary_heterogeneity", label(group, words.language)),
                                words("summary_numbers_heterogeneity", **shown), words(verdict, **shown),
                                words.source("Heterogeneity", "title_heterogeneity"),
                                dict(differ=tuple(n for n, s, _, p in tests if words.significant(p)),
                                     p_values={n: p for n, _, _, p in tests})))
    return findings


def mediation_findings(outcome: Any, words: _Words) -> list[Finding]:
    """Per mediator: is the indirect effect a×b significant (Sobel, and the bootstrap CI when drawn), and its share."""
    r = outcome.result
    frame = _estimates(outcome)
    findings: list[Finding] = []
    for name in r.mediators:
        sobel = _row(frame, "mediation", name, "indirect_sobel")
        boot = _row(frame, "mediation", name, "indirect_boot")
        share_row = _row(frame, "mediation", name, "proportion_mediated")
        indirect, z, p = _value(sobel, "estimate"), _value(sobel, "statistic"), _value(sobel, "p_value")
        share = _value(share_row, "estimate")
        boot_lo, boot_hi = _value(boot, "ci_low"), _value(boot, "ci_high")
        bootstrapped = math.isfinite(boot_lo) and math.isfinite(boot_hi)
        boot_excludes_zero = bootstrapped and (boot_lo > 0 or boot_hi < 0)
        sobel_says = words.significant(p)
        if bootstrapped and sobel_says != boot_excludes_zero:
            verdict = "verdict_channel_mixed"
        elif sobel_says:
            verdict = "verdict_channel_supported"
        else:
            verdict = "verdict_channel_not_supported"
        meaningful = math.isfinite(share) and 0 <= share <= 1
        shown = dict(mediator=label(name, words.language), indirect=words.number(indirect), z=words.number(z, 3),
                     stars=words.stars(p), p=words.p(p), level=words.level(p),
                     share=f"{share * 100:.1f}%" if math.isfinite(share) else "—",
                     boot=(words("summary_boot_ci", lo=words.number(boot_lo), hi=words.number(boot_hi))
                           if bootstrapped else ""))
        text = words(verdict, **shown)
        if verdict == "verdict_channel_supported":
            text += words("verdict_share" if meaningful else "verdict_share_meaningless", **shown)
        findings.append(Finding("mediation", verdict, "Mediation", words.titled("summary_mediation", shown["mediator"]),
                                words("summary_numbers_mediation", **shown), text,
                                words.source("Mediation", "title_mediation"),
                                dict(indirect=indirect, z=z, p_value=p, share=share,
                                     boot_ci=(boot_lo, boot_hi) if bootstrapped else None)))
    return findings


def bacon_finding(outcome: Any, words: _Words) -> list[Finding]:
    """The TWFE weight on comparisons that use already-treated units as controls (later vs earlier)."""
    r = outcome.result
    frame = _estimates(outcome)
    row = _row(frame, "bacon", "later_vs_earlier", "avg")
    weight = _value(row, "weight")
    weight = 0.0 if not math.isfinite(weight) else weight  # no such comparison: weight 0
    estimate = _value(row, "estimate")
    verdict = "verdict_bacon_small" if weight < SMALL_WEIGHT else "verdict_bacon_large"
    shown = dict(weight=f"{weight * 100:.1f}%", estimate=words.number(estimate), twfe=words.number(r.twfe_coefficient),
                 threshold=f"{SMALL_WEIGHT * 100:g}%")
    return [Finding("bacon", verdict, "Robustness", words("summary_bacon"),
                    words("summary_numbers_bacon", **shown), words(verdict, **shown),
                    words.source("Robustness", "title_bacon"),
                    dict(weight=weight, estimate=estimate, twfe=r.twfe_coefficient))]


def _robust_vs_twfe(words: _Words, analysis: str, topic: str, title: str, row: pd.Series | None,
                    twfe: float, extra: str = "", values: Mapping[str, Any] | None = None) -> Finding | None:
    b, p, lo, hi = (_value(row, c) for c in ("estimate", "p_value", "ci_low", "ci_high"))
    if not math.isfinite(b):
        return None
    inside = math.isfinite(lo) and math.isfinite(hi) and lo <= twfe <= hi
    agrees = inside and (b > 0) == (twfe > 0)
    verdict = "verdict_robust_agree" if agrees else "verdict_robust_differ"
    shown = dict(b=words.number(b), stars=words.stars(p), lo=words.number(lo), hi=words.number(hi), p=words.p(p),
                 twfe=words.number(twfe), estimator=words(topic))
    return Finding(analysis, verdict, "Robustness", words(topic), words("summary_numbers_robust", **shown),
                   words(verdict, **shown) + extra, words.source("Robustness", title),
                   dict(estimate=b, p_value=p, ci_low=lo, ci_high=hi, twfe=twfe, **(values or {})))


def staggered_findings(outcomes: Mapping[str, Any], words: _Words) -> list[Finding]:
    """Callaway-Sant'Anna and Sun-Abraham against the TWFE coefficient they are compared with.

    TWFE here is the baseline model without controls (column 1), the
    specification the two estimators share (no controls, unit and year
    effects); without it, the Goodman-Bacon TWFE coefficient.
    """
    twfe = math.nan
    if "baseline" in outcomes:
        result = outcomes["baseline"].result
        model = "no_controls" if "no_controls" in result.models else next(iter(result.models))
        twfe = _value(_row(_estimates(outcomes["baseline"]), "baseline", model, result.treatment), "estimate")
    if not math.isfinite(twfe) and "bacon" in outcomes:
        twfe = float(outcomes["bacon"].result.twfe_coefficient)
    if not math.isfinite(twfe):
        return []
    findings: list[Finding] = []
    if "cs" in outcomes:
        frame = _estimates(outcomes["cs"])
        control = "never" if (frame["model"] == "never").any() else str(frame["model"].iloc[0])
        pretrend = _value(_row(frame, "cs", control, "pretrend_wald"), "p_value")
        extra = ""
        if words.significant(pretrend):
            extra = words("verdict_cs_pretrend_fail", p=words.p(pretrend), level=percent_text(words.test_level))
        found = _robust_vs_twfe(words, "cs", "summary_cs", "title_cs", _row(frame, "cs", control, "simple"), twfe,
                                extra, dict(pretrend_p=pretrend))
        if found is not None:
            findings.append(found)
    if "sun_abraham" in outcomes:
        found = _robust_vs_twfe(words, "sun_abraham", "summary_sun_abraham", "title_sun_abraham",
                                _row(_estimates(outcomes["sun_abraham"]), "sun_abraham", "iw", "att"), twfe)
        if found is not None:
            findings.append(found)
    return findings


def cross_check_finding(check: Any, words: _Words) -> list[Finding]:
    """Settings ``cross_check = yes``: did the independent re-estimation (linearmodels, statsmodels) agree?"""
    if check is None:
        return []
    checks = list(getattr(check, "checks", ()))
    verdict = ("verdict_cross_check_none" if not checks else
               "verdict_cross_check_agree" if all(c.agrees for c in checks) else "verdict_cross_check_differ")
    return [Finding("cross_check", verdict, "Log", words("summary_cross_check"), check.summary_line(words.language),
                    words(verdict), f"Log: {words('summary_cross_check')}",
                    dict(models=len(checks), agree=sum(bool(c.agrees) for c in checks)))]


# --- the sheet ----------------------------------------------------------------------

# In the order of the paper; each takes (outcomes, words, outcome name).
_SECTIONS: tuple[tuple[str, Callable[[Mapping[str, Any], _Words, str], list[Finding]]], ...] = (
    ("baseline", lambda o, w, y: baseline_finding(o["baseline"], w, y)),
    ("event_study", lambda o, w, y: pretrend_finding(o["event_study"], w)),
    ("placebo", lambda o, w, y: placebo_finding(o["placebo"], w)),
    ("psm", lambda o, w, y: psm_findings(o["psm"], w)),
    ("heterogeneity", lambda o, w, y: heterogeneity_findings(o["heterogeneity"], w)),
    ("mediation", lambda o, w, y: mediation_findings(o["mediation"], w)),
    ("bacon", lambda o, w, y: bacon_finding(o["bacon"], w)),
)


def summarize(outcomes: Mapping[str, Any], *, outcome_name: str, stars: Sequence[float] = (0.1, 0.05, 0.01),
              language: str = "en", cross_check: Any = None) -> list[Finding]:
    """Every finding the analyses that ran support, in the paper's order (the cross-check last, when asked for)."""
    words = _Words(language, stars)
    findings: list[Finding] = []
    for name, build in _SECTIONS:
        if name in outcomes:
            findings += build(outcomes, words, outcome_name)
    if "cs" in outcomes or "sun_abraham" in outcomes:
        findings += staggered_findings(outcomes, words)
    return findings + cross_check_finding(cross_check, words)


def summary_table(findings: Sequence[Finding], *, language: str = "en", stars: Sequence[float] = (0.1, 0.05, 0.01),
                  skipped: Mapping[str, str] | None = None) -> TableSpec:
    """The Summary sheet's table: analysis, numbers, verdict, source; notes on the test level and skipped analyses."""
    words = _Words(language, stars)
    header = (tuple(Cell(words(key), None, "header") for key in
                    ("summary_col_analysis", "summary_col_result", "summary_col_verdict", "summary_col_source")),)
    body = tuple((Cell(f.topic, None, "paragraph"), Cell(f.result, None, "paragraph"), Cell(f.text, None, "paragraph"),
                  Cell(f.source, None, "paragraph")) for f in findings)
    notes = [words("summary_note_level", level=percent_text(words.test_level), threshold=f"{BALANCE_THRESHOLD:g}%")]
    notes += [words("summary_note_skipped", analysis=name, reason=reason) for name, reason in (skipped or {}).items()]
    return TableSpec(key="summary", title=words("title_summary"), header=header, body=body, notes=tuple(notes),
                     column_widths=(24.0, 38.0, 60.0, 26.0))


def summary_blocks(outcomes: Mapping[str, Any], view: Any, study: Any, skipped: Mapping[str, str] | None = None,
                   cross_check: Any = None) -> list[TableSpec]:
    """The Summary sheet's blocks for a refresh (nothing when no analysis gives a headline)."""
    findings = summarize(outcomes, outcome_name=study.settings.outcome, stars=view.stars, language=view.language,
                         cross_check=cross_check)
    if not findings:
        return []
    return [summary_table(findings, language=view.language, stars=view.stars, skipped=skipped)]
