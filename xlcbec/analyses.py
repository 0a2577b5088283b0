"""The analyses a refresh can run, each from the prepared study to a core result.

``prepare_study`` does what every analysis needs first: validate the panel and
derive CBEC, interpolate, build the entropy indices named on the Indicators
sheet (HQD, diginf) and the service-agglomeration quotients.  Each analysis is
then a small function ``(Study) -> Outcome`` registered in :data:`ANALYSIS_FUNCTIONS`
under its contract name.  Rendering lives in :mod:`xlcbec.report.sheets`.

An analysis whose inputs are absent (no Policies rows, no mediator columns,
no never-treated units for a diagnostic) raises :class:`NotApplicableError`
and is skipped with a Log line; bad input raises :class:`InputError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlcbec.book.contract import NO_WORDS
from xlcbec.book.settings import Settings
from xlcbec.core.panel import FIRST_TREAT, TREATMENT, PanelData, prepare_panel
from xlcbec.core.results import RowAccount
from xlcbec.errors import InputError, NotApplicableError, XlcbecWarning

PANEL_SHEET = "Panel"
SETTINGS_SHEET = "Settings"


@dataclass(frozen=True, eq=False)
class Study:
    """Everything the analyses share, built once per refresh."""

    panel: PanelData
    settings: Settings
    indices: Mapping[str, Any]  # index name -> EntropyResult
    policies: pd.DataFrame
    keywords: pd.DataFrame
    notes: tuple[str, ...] = ()
    # Moves an error an analysis raises to where the user typed the value (Settings row, Cities cell).
    locate: Callable[[InputError], InputError] = field(default=lambda error: error, compare=False, repr=False)

    @property
    def data(self) -> pd.DataFrame:
        return self.panel.data

    @property
    def unit(self) -> str:
        return self.panel.unit

    @property
    def time(self) -> str:
        return self.panel.time

    @property
    def controls(self) -> tuple[str, ...]:
        return self.settings.controls

    def model_options(self) -> dict[str, Any]:
        """What every TWFE-based analysis shares: unit, time, fixed effects and the standard errors."""
        return {"unit": self.unit, "time": self.time, "fixed_effects": self.settings.fixed_effects,
                "se": self.settings.se, "sheet": PANEL_SHEET}


@dataclass(frozen=True, eq=False)
class Outcome:
    """One analysis' result, its Estimates rows and what the Log should say about it."""

    name: str
    result: Any
    estimates: list[dict[str, Any]]
    notes: tuple[str, ...] = ()
    rows: RowAccount | None = None
    model_rows: Mapping[str, RowAccount] = field(default_factory=dict)  # per model, when there are several


def setting_error(settings: Settings, key: str, problem: str, *, fix: str) -> InputError:
    """A problem with the value of Settings ``key``, located on its row of the Settings sheet."""
    return InputError(problem, sheet=SETTINGS_SHEET, row=settings.row_of(key), column="Value", fix=fix)


def _names(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns)


def _missing_columns_error(settings: Settings, key: str, what: str, missing: Sequence[str]) -> InputError:
    plural = len(missing) > 1
    return setting_error(
        settings, key,
        f"the {what}{'s' if plural else ''} {_names(missing)} named in Settings '{key}' "
        f"{'are not Panel columns' if plural else 'is not a Panel column'} (nor Cities columns or indices)",
        fix=f"add the column{'s' if plural else ''} {_names(missing)} to Panel, or correct Settings '{key}'",
    )


def _require_outcome(study: Study) -> str:
    outcome = study.settings.outcome
    if outcome not in study.data.columns:
        raise _outcome_error(study.settings, outcome)
    return outcome


def _outcome_error(settings: Settings, outcome: str) -> InputError:
    return setting_error(
        settings, "outcome",
        f"the outcome {outcome!r} is neither a Panel column nor an index defined on the Indicators sheet",
        fix=f"add a column {outcome!r} to Panel, define it on Indicators, or set Settings 'outcome'",
    )


def _present_controls(study: Study) -> tuple[str, ...]:
    """The controls; a default control the data lack is left out (said in the Log), a named one must exist."""
    missing = [c for c in study.controls if c not in study.data.columns]
    if missing and "controls" in study.settings.explicit:
        raise _missing_columns_error(study.settings, "controls", "control", missing)
    return tuple(c for c in study.controls if c in study.data.columns)


# Which analyses read which settings (for the checks made before any analysis runs).
_USES_OUTCOME = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "placebo", "bacon", "cs", "sun_abraham")
_USES_CONTROLS = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "placebo")
_USES_CLUSTER = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "sun_abraham")


def treatment_problems(columns: Sequence[str], settings: Settings) -> list[InputError]:
    """Before the panel is prepared: the treatment (or pilot-year) column the Settings name must exist."""
    present = set(columns)
    if settings.treatment:
        if settings.treatment not in present:
            return [_missing_columns_error(settings, "treatment", "treatment column", [settings.treatment])]
        return []
    if settings.first_treat in present:
        return []
    if "first_treat" in settings.explicit:
        return [_missing_columns_error(settings, "first_treat", "pilot-year column", [settings.first_treat])]
    return [InputError(
        f"the pilot-year column {settings.first_treat!r} is on neither Panel nor Cities",
        sheet=PANEL_SHEET, row=1, column=settings.first_treat,
        fix=f"add a column {settings.first_treat!r} with each city's pilot year (empty = never) to Cities or Panel, "
        "or name a 0/1 treatment column in Settings 'treatment'",
    )]


def study_problems(study: Study, analyses: Sequence[str]) -> list[InputError]:
    """Every column or group the Settings name for ``analyses`` that the data lack, one problem per setting.

    A column the user named must exist; a *default* the data lack is left out
    (or the analysis skipped) with a line in the Log, as before.
    """
    from xlcbec.core.did.city_groups import GROUPS

    s = study.settings
    columns = set(study.data.columns)
    chosen = set(analyses)
    problems: list[InputError] = []
    if chosen & set(_USES_OUTCOME) and s.outcome not in columns:
        problems.append(_outcome_error(s, s.outcome))
    if chosen & set(_USES_CONTROLS) and "controls" in s.explicit:
        missing = [c for c in s.controls if c not in columns]
        if missing:
            problems.append(_missing_columns_error(s, "controls", "control", missing))
    if "psm" in chosen and s.psm_covariates is not None:
        missing = [c for c in s.psm_covariates if c not in columns]
        if missing:
            problems.append(_missing_columns_error(s, "psm_covariates", "PSM covariate", missing))
    if "mediation" in chosen and "mediators" in s.explicit:
        missing = [m for m in s.mediators if m not in columns]
        if missing:
            problems.append(_missing_columns_error(s, "mediators", "mediator", missing))
    if "heterogeneity" in chosen:
        unknown = [g for g in s.heterogeneity if g.strip().lower() not in GROUPS]
        if unknown:
            problems.append(setting_error(
                s, "heterogeneity", f"'heterogeneity' names unknown group{'s' if len(unknown) > 1 else ''} {_names(unknown)}",
                fix=f"list any of {', '.join(GROUPS)} separated by commas, or none"))
        if s.base_year is not None and s.base_year not in study.panel.periods:
            periods = study.panel.periods
            problems.append(setting_error(
                s, "base_year", f"'base_year' {s.base_year} is not a year of the Panel ({periods[0]}-{periods[-1]})",
                fix="type a year of the panel, or leave it blank for the first year"))
    cluster = s.se.cluster_column(s.unit)
    if chosen & set(_USES_CLUSTER) and cluster is not None and cluster not in columns:
        problems.append(_missing_columns_error(s, "cluster", "cluster column", [cluster]))
    return problems


# --- preparation ------------------------------------------------------------


def build_indices(data: pd.DataFrame, indicators: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """Entropy indices from the Indicators sheet; their scores become Panel columns."""
    from xlcbec.core.index.entropy import entropy_index

    notes: list[str] = []
    results: dict[str, Any] = {}
    if indicators is None or indicators.empty:
        return data, results, notes
    table = indicators
    if "include" in table.columns:
        table = table[table["include"].map(lambda v: str(v).strip().lower() not in NO_WORDS)]
    for name, rows in table.groupby("index", sort=False):
        name = str(name)
        columns = [str(c) for c in rows["column"]]
        missing = [c for c in columns if c not in data.columns]
        if missing:
            row = int(rows.index[[str(c) for c in rows["column"]].index(missing[0])])
            raise InputError(
                f"indicator {missing[0]!r} of index {name!r} is not a Panel column",
                sheet="Indicators", row=row, column="column",
                fix=f"add the column {missing[0]!r} to Panel, correct its name, or set include to no",
            )
        dimensions = dict(zip(columns, rows["dimension"].astype(str))) if "dimension" in rows.columns else None
        result = entropy_index(
            data, columns, dict(zip(columns, rows["direction"].astype(str).str.strip())), dimensions=dimensions,
            shift=settings.entropy_shift, pooling=settings.entropy_pooling, time=settings.time, name=name,
            sheet=PANEL_SHEET,
        )
        if name in data.columns:
            notes.append(f"index {name!r} computed from the Indicators sheet replaces the Panel column of that name")
        data = data.assign(**{name: result.scores})
        results[name] = result
    return data, results, notes


def add_service_agglomeration(data: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, list[str]]:
    """``spec``, ``spec_low``, ``spec_high`` from sector employment, when the columns exist and spec does not."""
    from xlcbec.core.index import location_quotient as lq

    needed = [lq.DEFAULT_TOTAL, *lq.DEFAULT_LOW_SECTORS, *lq.DEFAULT_HIGH_SECTORS]
    if "spec" in data.columns or any(c not in data.columns for c in needed):
        return data, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", XlcbecWarning)
        quotients = lq.service_agglomeration(
            data, time=settings.time, total=lq.DEFAULT_TOTAL, low_sectors=lq.DEFAULT_LOW_SECTORS,
            high_sectors=lq.DEFAULT_HIGH_SECTORS, sheet=PANEL_SHEET,
        )
    notes = ["spec, spec_low and spec_high computed from sector employment (paper eq. 12)"]
    notes += [str(w.message) for w in caught]
    return data.join(quotients), notes


def prepare_study(
    panel: pd.DataFrame,
    settings: Settings,
    *,
    indicators: pd.DataFrame | None = None,
    policies: pd.DataFrame | None = None,
    keywords: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> Study:
    """Validate the (Cities-merged) panel, derive the treatment, build indices."""
    prepared = prepare_panel(
        panel, unit=settings.unit, time=settings.time, first_treat=settings.first_treat,
        treatment=settings.treatment, interpolate=settings.interpolate, sheet=PANEL_SHEET,
    )
    data, indices, index_notes = build_indices(prepared.data, indicators, settings)
    data, spec_notes = add_service_agglomeration(data, settings)
    prepared = PanelData(data=data, unit=prepared.unit, time=prepared.time, treatment=prepared.treatment,
                         periods=prepared.periods, notes=prepared.notes, interpolated=prepared.interpolated)
    empty = pd.DataFrame()
    return Study(prepared, settings, indices, policies if policies is not None else empty,
                 keywords if keywords is not None else empty,
                 tuple(notes) + prepared.notes + tuple(index_notes) + tuple(spec_notes))


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

    table = describe(study.data, descriptive_columns(study), sheet=PANEL_SHEET)
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
        raise _missing_columns_error(s, "psm_covariates", "PSM covariate", missing)
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
        raise _missing_columns_error(s, "mediators", "mediator", [m for m in s.mediators if m not in present])
    if not present:
        raise NotApplicableError("none of the mediators " + ", ".join(s.mediators) + " is a Panel column or index")
    result = mediation(
        study.data, outcome=_require_outcome(study), mediators=list(s.mediators), controls=_present_controls(study),
        bootstrap=s.bootstrap, **study.model_options(),
    )
    return Outcome("mediation", result, result.to_estimates(), result.notes)


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
