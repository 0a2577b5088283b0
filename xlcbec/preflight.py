"""The checks made before any analysis runs: one code path for ``xlcbec check`` and ``xlcbec refresh``.

:func:`preflight` merges Cities into Panel, prepares the study and looks at
everything the chosen analyses will read: the columns the Settings name, the
type of every column in a numeric role (outcome, control, PSM covariate,
mediator), the city-group attributes of the heterogeneity analysis, and
whether each analysis applies at all.  It collects every problem rather than
stopping at the first; a refresh raises them (exit 2), a check lists them.
Problems that only an estimation can reveal come from the essential analysis
itself (:data:`xlcbec.jobs.ESSENTIAL`), run by both commands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import pandas as pd

from xlcbec.book.settings import Settings, locate_option
from xlcbec.core.numbers import blank_mask
from xlcbec.errors import InputError, InputErrors, NotApplicableError, XlcbecError
from xlcbec.study import (
    PANEL_SHEET,
    USES_CONTROLS,
    USES_OUTCOME,
    Study,
    locate_in_panel,
    outcome_error,
    prepared_study,
    study_problems,
    treatment_problems,
)

_SHOWN = 20  # cells named per column


@dataclass(frozen=True, eq=False)
class Preflight:
    """What the checks found: the problems (empty = ready), the study, and what will be skipped or left out."""

    analyses: tuple[str, ...]
    study: Study | None = None
    problems: tuple[XlcbecError, ...] = ()
    # analysis -> why it will not run (and what to add)
    skipped: Mapping[str, NotApplicableError] = field(default_factory=dict)
    # analysis -> parts it will leave out (a heterogeneity group without its column)
    left_out: Mapping[str, tuple[NotApplicableError, ...]] = field(default_factory=dict)

    def raise_problems(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise InputErrors(self.problems)  # type: ignore[arg-type]


def preflight(inputs: Any, analyses: Sequence[str]) -> Preflight:
    """Every problem a refresh of ``inputs`` with ``analyses`` would stop at before estimating.

    Problems (and later errors located through ``study.locate``) name the sheets and headers as the
    workbook spells them (``inputs.spelling``: a Chinese template's 面板数据, 城市 city).
    """
    checked = _preflight(inputs, analyses)
    spelling = getattr(inputs, "spelling", None)
    if spelling is None:
        return checked
    study = checked.study
    if study is not None:
        locate = study.locate
        study = replace(study, locate=lambda error: spelling.place(locate(error)))
    problems = tuple(spelling.place(p) if isinstance(p, InputError) else p for p in checked.problems)
    return replace(checked, study=study, problems=problems)


def _preflight(inputs: Any, analyses: Sequence[str]) -> Preflight:
    from xlcbec.book.input_sheets import merge_cities
    from xlcbec.book.read_cache import source_key

    analyses = tuple(analyses)
    settings: Settings = inputs.settings
    try:
        merged = merge_cities(inputs.panel, inputs.cities, settings.unit)
    except InputError as error:
        return Preflight(analyses, problems=(error,))
    cities_header = [str(c) for c in inputs.cities.columns]
    if merged.panel.empty:
        return Preflight(analyses, problems=tuple(_empty_panel_problems(inputs, settings, analyses)))
    found = treatment_problems(list(merged.panel.columns), settings, cities_header=cities_header,
                               cities_rows=len(inputs.cities))
    if found:
        return Preflight(analyses, problems=tuple(found))

    def locate(error: InputError) -> InputError:
        return merged.locate(locate_option(locate_in_panel(error), settings))

    try:
        study = prepared_study(
            merged.panel, settings, indicators=inputs.indicators, policies=inputs.policies,
            keywords=inputs.keywords, notes=tuple(inputs.notes) + tuple(merged.notes),
            source=source_key(inputs),  # the same workbook bytes as an earlier run: the same study
        )
    except InputError as error:
        return Preflight(analyses, problems=(locate(error),))
    study = replace(study, locate=locate)
    problems: list[XlcbecError] = list(study_problems(study, analyses))
    problems += role_problems(study, analyses)
    left_out: dict[str, tuple[NotApplicableError, ...]] = {}
    if "heterogeneity" in analyses and study.settings.heterogeneity:
        group_problems, groups_left_out = _group_problems(study)
        said = {getattr(p, "column", None) for p in problems}
        problems += [p for p in group_problems if p.column not in said]  # a text column is said once
        if groups_left_out:
            left_out["heterogeneity"] = groups_left_out
    if "mediation" in analyses and "mediators" not in study.settings.explicit:
        mediators = _default_mediators_left_out(study)
        if mediators and len(mediators) < len(study.settings.mediators):  # all of them: the analysis is skipped
            left_out["mediation"] = mediators
    if "event_study" in analyses:
        window = _empty_window_periods(study)
        if window is not None:
            left_out["event_study"] = (window,)
    skipped = _skipped(study, analyses)
    return Preflight(analyses, study=study, problems=tuple(problems), skipped=MappingProxyType(skipped),
                     left_out=MappingProxyType(left_out))


def _skipped(study: Study, analyses: Sequence[str]) -> dict[str, NotApplicableError]:
    from xlcbec.analyses import not_applicable

    out: dict[str, NotApplicableError] = {}
    for name in analyses:
        reason = not_applicable(name, study)
        if reason is not None:
            out[name] = reason
    return out


def _empty_panel_problems(inputs: Any, settings: Settings, analyses: Sequence[str]) -> list[InputError]:
    """A Panel of headers only: said first, then what else the Settings name that the headers lack."""
    problems = [InputError(
        "the panel has no data rows: the Panel sheet holds only its header", sheet=PANEL_SHEET, row=2,
        fix=f"paste one row per {settings.unit} and {settings.time} below the header row")]
    panel_header = [str(c) for c in inputs.panel.columns]
    cities_header = [str(c) for c in inputs.cities.columns]
    problems += treatment_problems(panel_header, settings, cities_header=cities_header,
                                   cities_rows=len(inputs.cities))
    indices = set(inputs.indicators["index"].dropna().astype(str)) if "index" in inputs.indicators.columns else set()
    if set(analyses) & set(USES_OUTCOME) and settings.outcome not in set(panel_header + cities_header) | indices:
        problems.append(outcome_error(settings, settings.outcome))
    return problems


# --- columns in a numeric role -------------------------------------------------------------------


def role_columns(study: Study, analyses: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each column the chosen analyses read as numbers -> (its role, the Settings key that names it)."""
    from xlcbec.analyses import psm_covariates

    s = study.settings
    chosen = set(analyses)
    columns = set(study.data.columns)
    roles: dict[str, tuple[str, str]] = {}
    reads_all = chosen & ({"descriptives"} | set(USES_OUTCOME))
    if reads_all:
        roles[s.outcome] = ("outcome", "outcome")
    if chosen & ({"descriptives"} | set(USES_CONTROLS)):
        for control in s.controls:
            roles.setdefault(control, ("control", "controls"))
    if "psm" in chosen:
        for covariate in psm_covariates(study):
            roles.setdefault(covariate, ("PSM covariate", "psm_covariates"))
    if chosen & {"descriptives", "mediation"}:
        for mediator in s.mediators:
            roles.setdefault(mediator, ("mediator", "mediators"))
    if "heterogeneity" in chosen:
        from xlcbec.core.did.city_groups import NUMERIC_GROUP_COLUMNS

        for group in s.heterogeneity:
            for column in NUMERIC_GROUP_COLUMNS.get(group.strip().lower(), ()):
                roles.setdefault(column, (f"read by the heterogeneity group '{group}'", "heterogeneity"))
    return {c: role for c, role in roles.items() if c in columns}


def role_problems(study: Study, analyses: Sequence[str]) -> list[InputError]:
    """A column read as numbers that holds text (a name column, '6,589.3', '76.84%'): its cells named."""
    problems = []
    for column, (role, key) in role_columns(study, analyses).items():
        values = study.data[column]
        # An empty column drops every row of the models that read it; a default mediator is its own model,
        # which the mediation analysis leaves out with a note (a mediator named in Settings must have values).
        if blank_mask(values).all() and (key != "mediators" or key in study.settings.explicit):
            located = study.locate(InputError("", column=str(column)))
            problems.append(InputError(
                f"'{column}' ({role}) is empty in every row", sheet=located.sheet, row=1, column=str(column),
                fix=f"fill in '{column}', or " + (f"drop the group from Settings '{key}'" if key == "heterogeneity"
                                                  else f"leave '{column}' out of Settings '{key}'")))
            continue
        if pd.api.types.is_numeric_dtype(values.dtype):
            continue
        text = values.map(lambda v: isinstance(v, str) and bool(v.strip())).to_numpy(dtype=bool)
        if not text.any():
            continue
        rows = [int(r) for r in study.data.index[text]]
        distinct = list(dict.fromkeys(values[text]))
        shown = ", ".join(repr(v) for v in distinct[:3]) + (", ..." if len(distinct) > 3 else "")
        located = study.locate(InputError("", row=rows, column=str(column)))  # Panel rows, or the Cities rows behind them
        problems.append(InputError(
            f"'{column}' ({role}) must hold numbers, but it holds text ({shown})",
            sheet=located.sheet, row=located.rows[:_SHOWN], column=str(column),
            fix="type numbers alone (no units, % signs or thousands separators), or "
            + (f"drop the group from Settings '{key}'" if key == "heterogeneity" else
               f"leave '{column}' out of Settings '{key}'")))
    return problems


def _group_problems(study: Study) -> tuple[list[InputError], tuple[NotApplicableError, ...]]:
    """The heterogeneity groups as the analysis builds them: bad attribute values, and groups left out."""
    from xlcbec.core.did.city_groups import GROUPS, build_group_dummies

    s = study.settings
    groups = [g for g in s.heterogeneity if g.strip().lower() in GROUPS]
    if not groups:
        return [], ()
    try:
        built = build_group_dummies(study.data, unit=study.unit, time=study.time, base_year=s.base_year,
                                    groups=groups, megacity_threshold=s.megacity_threshold, on_missing="skip")
    except InputError as error:
        return [study.locate(error)], ()
    left_out = tuple(NotApplicableError(reason, sheet=PANEL_SHEET, column=_reason_columns(reason),
                                        setting="heterogeneity")
                     for reason in built.skipped.values())
    return [], left_out


def _default_mediators_left_out(study: Study) -> tuple[NotApplicableError, ...]:
    """Default mediators the Panel lacks or leaves empty: each is its own model, left out with a note."""
    out = []
    for mediator in study.settings.mediators:
        if mediator not in study.data.columns:
            why = f"mediator '{mediator}' is not a Panel column (nor an index)"
        elif blank_mask(study.data[mediator]).all():
            why = f"mediator '{mediator}' is empty in every row"
        else:
            continue
        out.append(NotApplicableError(f"{why}: left out", sheet=PANEL_SHEET, column=mediator, setting="mediators"))
    return tuple(out)


def _empty_window_periods(study: Study) -> NotApplicableError | None:
    """Relative periods of the event window that no pilot city reaches (all pilots in one year, say)."""
    from xlcbec.core.did.event_study import periods_without_rows
    from xlcbec.core.panel import FIRST_TREAT

    s = study.settings
    try:
        window = s.event_window_options
    except InputError:  # a bad window is a Settings problem, reported there
        return None
    empty = periods_without_rows(study.data, time=study.time, first_treat=FIRST_TREAT, window=window)
    if not empty:
        return None
    return NotApplicableError(
        f"the event window {window.lo}, {window.hi} has relative years without any pilot {study.unit} "
        f"({', '.join(str(r) for r in empty)}): they are left out", setting="event_window")


def _reason_columns(reason: str) -> str | None:
    """The columns a skip reason asks for ("add the columns 'a' and 'b'"), as 'a, b'."""
    import re

    asked = re.findall(r"'([^']+)'", reason.split("(add", 1)[1]) if "(add" in reason else re.findall(r"'([^']+)'", reason)
    return ", ".join(dict.fromkeys(asked)) or None
