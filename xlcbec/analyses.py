"""The analyses a refresh can run, each from the prepared study (:mod:`xlcbec.study`) to a core result.

Each analysis is a small function ``(Study) -> Outcome`` registered in
:data:`ANALYSIS_FUNCTIONS` under its contract name.  Rendering lives in
:mod:`xlcbec.report.sheets`.

An analysis whose inputs are absent (no Policies rows, no mediator columns,
no never-treated units for a diagnostic) raises :class:`NotApplicableError`
and is skipped with a Log line; bad input raises :class:`InputError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xlcbec.core.panel import FIRST_TREAT, TREATMENT
from xlcbec.core.results import RowAccount
from xlcbec.errors import NotApplicableError
from xlcbec.study import Study, missing_columns_error, outcome_error


@dataclass(frozen=True, eq=False)
class Outcome:
    """One analysis' result, its Estimates rows and what the Log should say about it."""

    name: str
    result: Any
    estimates: list[dict[str, Any]]
    notes: tuple[str, ...] = ()
    rows: RowAccount | None = None
    model_rows: Mapping[str, RowAccount] = field(default_factory=dict)  # per model, when there are several


def _require_outcome(study: Study) -> str:
    outcome = study.settings.outcome
    if outcome not in study.data.columns:
        raise outcome_error(study.settings, outcome)
    return outcome


def _present_controls(study: Study) -> tuple[str, ...]:
    """The controls; a default control the data lack is left out (said in the Log), a named one must exist."""
    missing = [c for c in study.controls if c not in study.data.columns]
    if missing and "controls" in study.settings.explicit:
        raise missing_columns_error(study.settings, "controls", "control", missing)
    return tuple(c for c in study.controls if c in study.data.columns)


# --- the analyses ------------------------------------------------------------


def run_index(study: Study) -> Outcome:
    if not study.indices:
        raise NotApplicableError("no index is defined on the Indicators sheet")
    rows: list[dict[str, Any]] = []
    for result in study.indices.values():
        rows += result.to_estimates()
    first = next(iter(study.indices.values()))
    return Outcome("index", dict(study.indices), rows, rows=first.rows)


def descriptive_columns(study: Study) -> list[str]:
    wanted = [study.settings.outcome, TREATMENT, *study.controls, *study.settings.mediators]
    return [c for c in dict.fromkeys(wanted) if c in study.data.columns]


def run_descriptives(study: Study) -> Outcome:
    from xlcbec.core.descriptives import describe

    table = describe(study.data, descriptive_columns(study))
    return Outcome("descriptives", table, [])


def run_baseline(study: Study) -> Outcome:
    from xlcbec.core.did.baseline import baseline_did

    outcome = _require_outcome(study)
    result = baseline_did(study.data, outcome=outcome, controls=_present_controls(study), **study.model_options())
    main = result.main
    model_rows = {name: fit.rows for name, fit in result.models.items() if fit.rows is not None}
    return Outcome("baseline", result, result.to_estimates(), result.notes + main.notes, rows=main.rows,
                   model_rows=model_rows)


def run_event_study(study: Study) -> Outcome:
    from xlcbec.core.did.event_study import event_study

    s = study.settings
    result = event_study(
        study.data, outcome=_require_outcome(study), controls=_present_controls(study),
        window=s.event_window_options, first_treat=FIRST_TREAT, **study.model_options(),
    )
    return Outcome("event_study", result, result.to_estimates(), result.notes, rows=result.regression.rows)


def run_psm(study: Study) -> Outcome:
    from xlcbec.core.psm.psm_did import psm_did

    s = study.settings
    covariates = s.psm_covariates if s.psm_covariates is not None else _present_controls(study)
    missing = [c for c in covariates if c not in study.data.columns]
    if missing:
        raise missing_columns_error(s, "psm_covariates", "PSM covariate", missing)
    if not covariates:
        raise NotApplicableError("PSM needs covariates (Settings 'psm_covariates' or 'controls')")
    result = psm_did(
        study.data, treatment=TREATMENT, covariates=list(covariates), outcome=_require_outcome(study),
        controls=list(_present_controls(study)), matching=s.matching, bootstrap=s.bootstrap,
        **study.model_options(),
    )
    return Outcome("psm", result, result.to_estimates(), result.notes)


def run_heterogeneity(study: Study) -> Outcome:
    from xlcbec.core.did.heterogeneity import heterogeneity

    s = study.settings
    if not s.heterogeneity:
        raise NotApplicableError("no heterogeneity groups are selected (Settings 'heterogeneity' is none)")
    result = heterogeneity(
        study.data, outcome=_require_outcome(study), groups=s.heterogeneity, controls=_present_controls(study),
        base_year=s.base_year, megacity_threshold=s.megacity_threshold, **study.model_options(),
    )
    return Outcome("heterogeneity", result, result.to_estimates(), tuple(result.notes))


def run_mediation(study: Study) -> Outcome:
    from xlcbec.core.did.mediation import mediation

    s = study.settings
    if not s.mediators:
        raise NotApplicableError("no mediators are selected (Settings 'mediators' is none)")
    present = [m for m in s.mediators if m in study.data.columns]
    if len(present) < len(s.mediators) and "mediators" in s.explicit:
        raise missing_columns_error(s, "mediators", "mediator", [m for m in s.mediators if m not in present])
    if not present:
        raise NotApplicableError("none of the mediators " + ", ".join(s.mediators) + " is a Panel column or index")
    mediators = list(s.mediators)
    if "spec" in mediators:
        # The paper's Table 12 splits service agglomeration into its low-end and high-end parts:
        # when those columns exist (computed with spec from sector employment), they follow spec.
        parts = [m for m in ("spec_low", "spec_high") if m in study.data.columns and m not in mediators]
        at = mediators.index("spec") + 1
        mediators[at:at] = parts
    result = mediation(
        study.data, outcome=_require_outcome(study), mediators=mediators, controls=_present_controls(study),
        bootstrap=s.bootstrap, **study.model_options(),
    )
    added = ("spec_low and spec_high follow spec (the paper's Table 12)",) if len(mediators) > len(s.mediators) else ()
    return Outcome("mediation", result, result.to_estimates(), (*result.notes, *added))


def run_policy_text(study: Study) -> Outcome:
    from xlcbec.core.text.policy_text import analyse_policy_text

    if study.policies is None or study.policies.empty:
        raise NotApplicableError("the Policies sheet has no documents")
    keywords = study.keywords if study.keywords is not None and not study.keywords.empty else None
    result = analyse_policy_text(study.policies, keywords)
    return Outcome("policy_text", result, result.to_estimates(), result.notes)


def run_placebo(study: Study) -> Outcome:
    from xlcbec.core.did.placebo import placebo_test

    s = study.settings
    result = placebo_test(
        study.data, outcome=_require_outcome(study), unit=study.unit, time=study.time,
        controls=_present_controls(study), fixed_effects=s.fixed_effects, reps=s.placebo_reps, seed=s.seed,
        drop_singletons=s.se.drop_singletons,
    )
    return Outcome("placebo", result, result.to_estimates())


def run_bacon(study: Study) -> Outcome:
    from xlcbec.core.staggered.bacon import bacon_decomposition

    result = bacon_decomposition(study.data, outcome=_require_outcome(study), treatment=TREATMENT,
                                 unit=study.unit, time=study.time)
    return Outcome("bacon", result, result.to_estimates(), tuple(result.notes))


def run_cs(study: Study) -> Outcome:
    from xlcbec.core.staggered.callaway_santanna import callaway_santanna

    results: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for control_group in ("never", "not_yet"):
        try:
            result = callaway_santanna(study.data, outcome=_require_outcome(study), unit=study.unit,
                                       time=study.time, first_treat=FIRST_TREAT, control_group=control_group)
        except NotApplicableError as skipped:
            notes.append(f"{control_group} control group: {skipped}")
            continue
        results[control_group] = result
        rows += result.to_estimates()
        notes += [f"{control_group}: {w}" for w in result.notes]
    if not results:
        raise NotApplicableError("; ".join(notes))
    return Outcome("cs", results, rows, tuple(notes))


def run_sun_abraham(study: Study) -> Outcome:
    from xlcbec.core.staggered.sun_abraham import sun_abraham

    result = sun_abraham(study.data, outcome=_require_outcome(study), unit=study.unit, time=study.time,
                         first_treat=FIRST_TREAT, reference=study.settings.event_reference, se=study.settings.se)
    return Outcome("sun_abraham", result, result.to_estimates(), result.notes)


ANALYSIS_FUNCTIONS: dict[str, Callable[[Study], Outcome]] = {
    "index": run_index,
    "descriptives": run_descriptives,
    "baseline": run_baseline,
    "event_study": run_event_study,
    "psm": run_psm,
    "heterogeneity": run_heterogeneity,
    "mediation": run_mediation,
    "policy_text": run_policy_text,
    "placebo": run_placebo,
    "bacon": run_bacon,
    "cs": run_cs,
    "sun_abraham": run_sun_abraham,
}


@dataclass
class StudyRun:
    """What a run produced: outcomes by analysis, skipped analyses with reasons, timings."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def estimates(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for outcome in self.outcomes.values():
            rows += outcome.estimates
        return rows
