"""The Check result sheet: what ``xlcbec check`` found, as a to-do list in the workbook.

Two tables drawn like every other result sheet (:class:`TableSpec` through a
backend): the readiness of each analysis (will run / will be skipped, why,
what to add), then the problems a refresh would stop at (sheet, rows,
column, problem, fix) followed by the warnings and notes.  ``xlcbec check
--write`` and the ribbon's Check inputs write it; a refresh of a workbook
that holds a Check sheet rewrites it from the refresh's own run, so the sheet
never describes inputs older than the results beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlcbec.core.options import LANGUAGE
from xlcbec.errors import InputError
from xlcbec.report.labels import label
from xlcbec.report.tables import Cell, TableSpec

CHECK = "Check"
_MAX_ROWS_SHOWN = 20  # rows named in one cell; the rest are counted


def _rows_text(rows: Sequence[int], language: str) -> str:
    shown = ", ".join(str(r) for r in rows[:_MAX_ROWS_SHOWN])
    rest = len(rows) - _MAX_ROWS_SHOWN
    return shown + (label("check_more_rows", language).format(n=rest) if rest > 0 else "")


def _header(keys: Sequence[str], language: str) -> tuple[tuple[Cell, ...], ...]:
    return (tuple(Cell(label(k, language), None, "header") for k in keys),)


def verdict(report: Any, language: str) -> str:
    """One sentence: how many problems, and whether a refresh will run."""
    if report.problems:
        return label("check_verdict_problems", language).format(n=len(report.problems))
    return label("check_verdict_ready", language)


def check_blocks(report: Any, *, language: str = LANGUAGE, source: str = "", after_refresh: bool = False
                 ) -> list[TableSpec]:
    """The Check sheet's tables for a :class:`xlcbec.jobs.CheckReport`.

    The clerk's to-do list leads: with problems, the problems table comes before the readiness of each
    analysis; with none, the readiness comes first.  Warnings and notes close the sheet.
    """
    intro: list[tuple[Cell, ...]] = [(Cell(verdict(report, language), None, "paragraph"),)]
    if after_refresh:
        intro.append((Cell(label("check_after_refresh", language), None, "paragraph"),))
    if source:
        intro.append((Cell(f"{label('check_source', language)}: {source}", None, "paragraph"),))
    blocks = [TableSpec(key="check_title", title=label("check_title", language), header=(), body=tuple(intro))]
    readiness: TableSpec

    readiness_keys = ("readiness_analysis", "readiness_status", "readiness_reason", "readiness_add")
    if report.readiness:
        ready = tuple((Cell(r.name(language), None, "label"), Cell(r.status(language)), Cell(r.reason or None),
                      Cell(r.what_to_add(language) or None)) for r in report.readiness)
        readiness = TableSpec(key="check_readiness", title=label("check_readiness_title", language),
                              header=_header(readiness_keys, language), body=ready,
                              column_widths=(22.0, 13.0, 34.0, 34.0), column_keys=readiness_keys)
    else:  # the study could not be prepared
        readiness = TableSpec(key="check_readiness", title=label("check_readiness_title", language), header=(),
                              body=((Cell(label("check_readiness_unknown", language), None, "paragraph"),),))

    problem_keys = ("check_sheet", "check_rows", "check_column", "check_problem", "check_fix")
    body: list[tuple[Cell, ...]] = []
    for problem in report.problems:
        if isinstance(problem, InputError):
            body.append((Cell(problem.sheet), Cell(_rows_text(problem.rows, language) or None), Cell(problem.column),
                         Cell(problem.problem), Cell(problem.fix)))
        else:
            body.append((Cell(None), Cell(None), Cell(None), Cell(str(problem)), Cell(None)))
    if not body:
        body.append((Cell(None), Cell(None), Cell(None), Cell(label("check_no_problems", language)), Cell(None)))
    problems = TableSpec(key="check_problems", title=label("check_problems_title", language),
                         header=_header(problem_keys, language), body=tuple(body),
                         column_widths=(10.0, 8.0, 12.0, 34.0, 30.0), column_keys=problem_keys)
    blocks += [problems, readiness] if report.problems else [readiness, problems]

    remarks = [(label("check_warning", language), w) for w in report.warnings]
    remarks += [(label("check_note", language), n) for n in getattr(report, "notes", ())]
    if remarks:
        remark_keys = ("check_kind", "check_text")
        blocks.append(TableSpec(key="check_warnings", title=label("check_warnings_title", language),
                                header=_header(remark_keys, language),
                                body=tuple((Cell(kind), Cell(text)) for kind, text in remarks),
                                column_widths=(12.0, 10.0), column_keys=remark_keys))
    return blocks


def write_check_sheet(backend: Any, report: Any, *, language: str = LANGUAGE, source: str = "",
                      after_refresh: bool = False) -> None:
    """Rebuild the Check sheet on ``backend`` (a result sheet; input sheets are never written)."""
    from xlcbec.book.layout import write_sheet

    backend.set_status("writing Check")
    backend.reset_result_sheet(CHECK)
    write_sheet(backend, CHECK, check_blocks(report, language=language, source=source, after_refresh=after_refresh),
                language=language)


def settings_language(source: Any) -> str:
    """Settings ``language`` as far as the Settings sheet alone reads (the default otherwise).

    For a workbook whose other sheets have problems: the Check sheet still
    speaks the user's language.
    """
    from xlcbec.book import input_sheets
    from xlcbec.book.aliases import canonical_columns, find_sheet
    from xlcbec.book.contract import SETTINGS
    from xlcbec.book.reading import sheet_frame
    from xlcbec.book.settings import parse_settings_keeping_valid
    from xlcbec.errors import XlcbecError

    try:
        actual = find_sheet(SETTINGS, source.sheet_names())
        if actual is None:
            return LANGUAGE
        frame, _spelled = canonical_columns(sheet_frame(source, actual), SETTINGS, actual)
        settings, _found = parse_settings_keeping_valid(input_sheets.settings_rows(frame))
    except (XlcbecError, ValueError, KeyError):
        return LANGUAGE
    return str(settings.language)
