"""Readiness of each analysis: will it run, and if not, what to add (sheet, column or Settings key).

One row per selected analysis, computed from what the checks already know:
:func:`readiness_rows` from the preflight (``xlcbec check``; before anything
runs), :func:`readiness_after_run` from a refresh's run (the Log).  The rows
are plain frozen data with en/zh labels (:mod:`xlcbec.report.labels`), so a
result sheet or the command line can lay them out as it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlcbec.core.options import LANGUAGE, Language
from xlcbec.errors import NotApplicableError
from xlcbec.report.labels import label


@dataclass(frozen=True)
class Readiness:
    """One analysis: whether it will run (or ran), why not or what it leaves out, and what to add.

    ``sheet``, ``column`` and ``setting`` name what the user can add for the
    analysis (or its left-out part) to run: a sheet, its column(s), a Settings
    key.  ``partial`` marks an analysis that runs but leaves a part out.
    ``done`` says whether the row describes a finished refresh (ran / skipped)
    or a check (will run / will be skipped).
    """

    analysis: str
    will_run: bool
    reason: str = ""
    sheet: str | None = None
    column: str | None = None
    setting: str | None = None
    partial: bool = False
    done: bool = False

    def name(self, language: Language | str = LANGUAGE) -> str:
        return label(f"analysis_{self.analysis}", language)

    def status(self, language: Language | str = LANGUAGE) -> str:
        if self.will_run:
            key = "ran_in_part" if self.partial and self.done else "will_run_in_part" if self.partial else \
                "ran" if self.done else "will_run"
        else:
            key = "skipped" if self.done else "will_be_skipped"
        return label(key, language)

    def what_to_add(self, language: Language | str = LANGUAGE) -> str:
        """'sheet Panel, column gdp_tertiary, gdp_secondary; Settings key heterogeneity' (empty when nothing)."""
        parts = []
        if self.sheet:
            where = f"{label('add_sheet', language)} {self.sheet}"
            if self.column:
                where += f", {label('add_column', language)} {self.column}"
            parts.append(where)
        elif self.column:
            parts.append(f"{label('add_column', language)} {self.column}")
        if self.setting:
            parts.append(f"{label('add_setting', language)} '{self.setting}'")
        return "; ".join(parts)


def _row(name: str, reason: NotApplicableError | BaseException | str, *, will_run: bool = False,
         partial: bool = False, done: bool = False) -> Readiness:
    return Readiness(name, will_run, str(reason), sheet=getattr(reason, "sheet", None),
                     column=getattr(reason, "column", None), setting=getattr(reason, "setting", None),
                     partial=partial, done=done)


def _left_out_row(name: str, parts: Sequence[NotApplicableError], *, done: bool) -> Readiness:
    """An analysis that runs without some parts: their reasons, and together what to add."""
    def joined(values: Iterable[str | None]) -> str | None:
        return ", ".join(dict.fromkeys(v for v in values if v)) or None

    return Readiness(name, True, "; ".join(str(p) for p in parts), sheet=joined(getattr(p, "sheet", None) for p in parts),
                     column=joined(getattr(p, "column", None) for p in parts),
                     setting=joined(getattr(p, "setting", None) for p in parts), partial=True, done=done)


def readiness_rows(analyses: Sequence[str], checked: Any) -> tuple[Readiness, ...]:
    """Before a refresh: from :class:`xlcbec.preflight.Preflight` (its ``skipped`` and ``left_out``)."""
    skipped: Mapping[str, NotApplicableError] = getattr(checked, "skipped", {})
    left_out: Mapping[str, Sequence[NotApplicableError]] = getattr(checked, "left_out", {})
    rows = []
    for name in analyses:
        if name in skipped:
            rows.append(_row(name, skipped[name]))
        elif left_out.get(name):
            rows.append(_left_out_row(name, left_out[name], done=False))
        else:
            rows.append(Readiness(name, True))
    return tuple(rows)


def readiness_after_run(analyses: Sequence[str], run: Any, left_out: Mapping[str, Sequence[NotApplicableError]] = {}
                        ) -> tuple[Readiness, ...]:
    """After a refresh: from the run's skipped analyses (``reasons`` keeps their errors) and left-out parts."""
    rows = []
    reasons: Mapping[str, BaseException] = getattr(run, "reasons", {})
    for name in analyses:
        if name in run.skipped:
            rows.append(_row(name, reasons.get(name, run.skipped[name]), done=True))
        elif left_out.get(name):
            rows.append(_left_out_row(name, left_out[name], done=True))
        else:
            rows.append(Readiness(name, True, done=True))
    return tuple(rows)


def readiness_lines(rows: Sequence[Readiness], language: Language | str = LANGUAGE) -> list[str]:
    """The rows as a plain-text table for the terminal: analysis, status, then reason and what to add."""
    if not rows:
        return []
    width = max(len(r.name(language)) for r in rows) + 2
    status_width = max(len(r.status(language)) for r in rows) + 2
    lines = [f"{label('readiness_analysis', language):<{width}}{label('readiness_status', language):<{status_width}}"
             f"{label('readiness_reason', language)} / {label('readiness_add', language)}"]
    for row in rows:
        detail = row.reason
        add = row.what_to_add(language)
        if add:
            detail = f"{detail} -> {label('readiness_add', language).lower()}: {add}" if detail else add
        lines.append(f"{row.name(language):<{width}}{row.status(language):<{status_width}}{detail}".rstrip())
    return lines
