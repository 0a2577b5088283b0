"""Run analyses on a workbook: read inputs -> core -> report -> write.

Shared by the command line (files, through openpyxl) and the ribbon (live
Excel, through xlwings): both hand over a backend and get a :class:`RunReport`.
Input sheets are only read; result sheets are rebuilt whole.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from xlcbec import __version__
from xlcbec.analyses import ANALYSIS_FUNCTIONS, Outcome, Study, StudyRun, prepare_study
from xlcbec.book.contract import ANALYSES
from xlcbec.book.settings import Settings
from xlcbec.core.results import estimates_frame
from xlcbec.errors import EstimationError, InputError, NotApplicableError, XlcbecWarning

# Analyses whose failure to estimate is the user's problem to fix (exit 2);
# for the others an estimation problem skips that analysis with a Log line.
ESSENTIAL = ("baseline",)

Progress = Callable[[str, int, int], None]  # (step label, step number, total steps)


@dataclass
class RunReport:
    """Everything a refresh produced, for the writers, the Log and the JSON export."""

    study: Study
    run: StudyRun
    settings: Settings
    started: dt.datetime
    seconds: float = 0.0
    analyses: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def estimates(self) -> pd.DataFrame:
        return estimates_frame(self.run.estimates)

    @property
    def warnings(self) -> list[str]:
        return list(self.notes) + list(self.run.warnings)

    def to_json(self) -> dict[str, Any]:
        frame = self.estimates.astype(object).where(self.estimates.notna(), None)
        return {
            "version": __version__,
            "estimates": frame.to_dict(orient="records"),
            "warnings": self.warnings,
            "skipped": dict(self.run.skipped),
            "timings": {k: round(v, 4) for k, v in self.run.timings.items()},
        }


def resolve_analyses(settings: Settings, only: Sequence[str] | None) -> tuple[str, ...]:
    """The analyses to run: ``only`` (command line / ribbon) or Settings ``analyses``, in contract order."""
    if only:
        unknown = [a for a in only if a not in ANALYSES]
        if unknown:
            raise InputError(
                f"unknown analysis {unknown[0]!r}; choose from: {', '.join(ANALYSES)}",
                fix="correct the name after --only",
            )
        chosen = set(only)
    else:
        chosen = set(settings.analyses)
    return tuple(a for a in ANALYSES if a in chosen)


def run_study(
    study: Study,
    analyses: Sequence[str],
    *,
    progress: Progress | None = None,
) -> StudyRun:
    """Run each analysis, timing it; skip those that do not apply, with the reason."""
    run = StudyRun()
    for number, name in enumerate(analyses, start=1):
        if progress:
            progress(name, number, len(analyses))
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", XlcbecWarning)
            try:
                outcome: Outcome = ANALYSIS_FUNCTIONS[name](study)
            except NotApplicableError as reason:
                run.skipped[name] = str(reason)
                outcome = None  # type: ignore[assignment]
            except EstimationError as problem:
                if name in ESSENTIAL:
                    raise
                run.skipped[name] = str(problem)
                outcome = None  # type: ignore[assignment]
        run.timings[name] = time.perf_counter() - start
        messages = [f"{name}: {w.message}" for w in caught if issubclass(w.category, XlcbecWarning)]
        if outcome is not None:
            run.outcomes[name] = outcome
            known = {f"{name}: {n}" for n in outcome.notes}
            run.warnings += [f"{name}: {n}" for n in outcome.notes]
            run.warnings += [m for m in messages if m not in known]
        else:
            run.warnings += messages
    return run


def run_inputs(
    inputs: Any,
    *,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """From read workbook inputs (``xlcbec.book.reading.WorkbookInputs``) to a report."""
    from xlcbec.book.input_sheets import merge_cities

    started = dt.datetime.now().replace(microsecond=0)
    clock = time.perf_counter()
    settings: Settings = inputs.settings
    analyses = resolve_analyses(settings, only)
    merged = merge_cities(inputs.panel, inputs.cities, settings)
    study = prepare_study(
        merged.panel, settings, indicators=inputs.indicators, policies=inputs.policies,
        keywords=inputs.keywords, notes=tuple(inputs.notes) + tuple(merged.notes),
    )
    prepared = time.perf_counter() - clock
    run = run_study(study, analyses, progress=progress)
    run.timings = {"read and prepare": prepared, **run.timings}
    return RunReport(study=study, run=run, settings=settings, started=started,
                     seconds=time.perf_counter() - clock, analyses=analyses, notes=list(study.notes))


def with_settings(inputs: Any, **changes: Any) -> Any:
    """The same inputs with some settings changed (used by the ribbon's per-analysis buttons)."""
    return replace(inputs, settings=replace(inputs.settings, **changes))
