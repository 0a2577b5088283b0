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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from xlcbec import __version__
from xlcbec.analyses import ANALYSIS_FUNCTIONS, Outcome, StudyRun, not_applicable
from xlcbec.book.contract import ANALYSES
from xlcbec.book.settings import Settings
from xlcbec.core.results import estimates_frame
from xlcbec.errors import EstimationError, InputError, InputErrors, NotApplicableError, XlcbecError, XlcbecWarning
from xlcbec.study import Study

if TYPE_CHECKING:
    from xlcbec.book.table_import import ImportReport

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
    readiness: tuple[Any, ...] = ()  # xlcbec.readiness.Readiness rows, for the Log
    # Settings cross_check = yes: the re-estimation with linearmodels/statsmodels
    # (xlcbec.core.cross_check.CrossCheck; None when not asked for). Its summary_line() is for the Summary sheet.
    cross_check: Any = None

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


def prepare_inputs(inputs: Any, analyses: Sequence[str]) -> Study:
    """Merge Cities into Panel, prepare the study and check what the Settings name for ``analyses``.

    Raises the problems :func:`xlcbec.preflight.preflight` finds (an
    :class:`InputErrors` when there are several), each located where the user
    can fix it: the Settings row of a key, or the Cities cell behind a merged column,
    under the sheet and header names the workbook uses (``inputs.spelling``).
    """
    from xlcbec.preflight import preflight

    checked = preflight(inputs, analyses)
    checked.raise_problems()
    assert checked.study is not None  # no problems: the study was prepared
    return checked.study


@dataclass
class CheckReport:
    """What ``xlcbec check`` says: the problems, the warnings and notes the Log will carry, the readiness."""

    problems: list[XlcbecError]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    readiness: tuple[Any, ...] = ()
    language: str | None = None  # Settings language, when the Settings sheet was read


def check_report(inputs: Any, *, only: Sequence[str] | None = None) -> CheckReport:
    """The refresh's own preflight, then its essential analyses (whose failure would stop the refresh)."""
    from xlcbec.preflight import preflight
    from xlcbec.readiness import readiness_rows

    try:
        analyses = resolve_analyses(inputs.settings, only)
    except InputError as error:
        return CheckReport([error])
    language = str(inputs.settings.language)
    checked = preflight(inputs, analyses)
    study = checked.study
    if study is None:
        return CheckReport(list(checked.problems), language=language)
    readiness = readiness_rows(analyses, checked)
    if checked.problems:
        return CheckReport(list(checked.problems), readiness=readiness, language=language)
    try:
        essential = run_study(study, [a for a in analyses if a in ESSENTIAL])
    except InputErrors as errors:
        return CheckReport(list(errors.errors), readiness=readiness, language=language)
    except XlcbecError as error:
        return CheckReport([error], readiness=readiness, language=language)
    return CheckReport([], warnings=list(study.warnings), notes=list(study.notes) + essential.warnings,
                       readiness=readiness, language=language)


def check_inputs(inputs: Any, *, only: Sequence[str] | None = None, warnings: list[str] | None = None) -> list[XlcbecError]:
    """Every problem a refresh of ``inputs`` would stop at (empty = ready to run).

    With a ``warnings`` list, what the refresh's Log will warn about is appended to it.
    """
    return _problems(check_report(inputs, only=only), warnings)


def check_source(source: Any, *, warnings: list[str] | None = None) -> list[XlcbecError]:
    """``xlcbec check`` and the ribbon's Check inputs: reading problems first, then the study's."""
    return _problems(check_source_report(source), warnings)


def check_book(path: Any, *, warnings: list[str] | None = None) -> list[XlcbecError]:
    """Every problem of the workbook file at ``path``; file-level problems stop at once."""
    return _problems(check_book_report(path), warnings)


def _problems(report: CheckReport, warnings: list[str] | None) -> list[XlcbecError]:
    if warnings is not None:
        warnings.extend(report.warnings)
    return report.problems


def check_source_report(source: Any, *, only: Sequence[str] | None = None) -> CheckReport:
    """:func:`check_report` of what ``source`` (a file reader or a backend) holds, after its reading problems."""
    from xlcbec.book.reading import inputs_from_source

    return _checked_reading(lambda: inputs_from_source(source, collect_errors=True), only)


def check_book_report(path: Any, *, only: Sequence[str] | None = None) -> CheckReport:
    """:func:`check_report` of the workbook file at ``path``, after its reading problems."""
    from xlcbec.book.reading import read_inputs

    return _checked_reading(lambda: read_inputs(path, collect_errors=True), only)


def _checked_reading(read: Callable[[], Any], only: Sequence[str] | None) -> CheckReport:
    """Every reading problem (all sheets), or else the preflight of what was read.

    The study is checked once every sheet reads: a study over a half-read
    sheet would only repeat the reading problems in other words.
    """
    try:
        inputs = read()
    except InputErrors as errors:
        return CheckReport(list(errors.errors))
    except InputError as error:
        return CheckReport([error])
    return check_report(inputs, only=only)


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
                reason = not_applicable(name, study)
                if reason is not None:
                    raise reason
                outcome: Outcome = ANALYSIS_FUNCTIONS[name](study)
            except InputError as error:
                raise study.locate(error) from None
            except NotApplicableError as reason:
                run.skipped[name] = str(reason)
                run.reasons[name] = reason
                outcome = None  # type: ignore[assignment]
            except EstimationError as problem:
                if name in ESSENTIAL:  # the refresh stops: say which model, on what data
                    raise EstimationError(
                        f"the {name} model cannot be estimated from the Panel ({study.panel.n_units} "
                        f"'{study.unit}' x {len(study.panel.periods)} '{study.time}' values): {problem.problem}",
                        fix=problem.fix) from None
                run.skipped[name] = str(problem)
                run.reasons[name] = problem
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
    started = dt.datetime.now().replace(microsecond=0)
    clock = time.perf_counter()
    settings: Settings = inputs.settings
    analyses = resolve_analyses(settings, only)
    from xlcbec.preflight import preflight
    from xlcbec.readiness import readiness_after_run

    preflighted = preflight(inputs, analyses)  # the checks `xlcbec check` makes, nothing less
    preflighted.raise_problems()
    study = preflighted.study
    assert study is not None  # no problems: the study was prepared
    prepared = time.perf_counter() - clock
    with _blas_threads(len(study.data), analyses):
        run = run_study(study, analyses, progress=progress)
    run.timings = {"read and prepare": prepared, **run.timings}
    checked = run_cross_check(study, run) if settings.cross_check else None
    return RunReport(study=study, run=run, settings=settings, started=started,
                     seconds=time.perf_counter() - clock, analyses=analyses, notes=list(study.warnings) + list(study.notes),
                     readiness=readiness_after_run(analyses, run, preflighted.left_out), cross_check=checked)


def run_cross_check(study: Study, run: StudyRun) -> Any:
    """Settings ``cross_check = yes``: re-estimate the baseline and the PSM score model independently.

    Imports linearmodels and statsmodels only here.  Differences above the
    tolerance become warnings naming the model; the timing goes with the others.
    """
    start = time.perf_counter()
    try:
        from xlcbec.core.cross_check import cross_check
    except ImportError as missing:  # a runtime dependency; an incomplete install says so instead of failing
        run.warnings.append(f"cross-check not run: {missing}")
        return None
    baseline = run.outcomes.get("baseline")
    psm = run.outcomes.get("psm")
    result = cross_check(study.data, baseline=baseline.result if baseline else None, psm=psm.result if psm else None,
                         unit=study.unit, time=study.time)
    run.warnings += result.warnings
    run.timings["cross_check"] = time.perf_counter() - start
    return result


# Below this many rows the matrices are small: BLAS threads cost more in start-up
# and contention than they save (measured: bootstrap loops up to 60x slower on 2 cores).
SINGLE_THREAD_ROWS = 200_000
# Analyses that repeat small products hundreds of times (bootstrap, permutations, many fits): only they gain
# from the limit, which itself costs about 20 ms (threadpoolctl looks up every loaded library).
REPEATING = frozenset({"psm", "heterogeneity", "mediation", "placebo", "bacon", "cs", "sun_abraham"})


def _blas_threads(rows: int, analyses: Sequence[str]) -> Any:
    import contextlib

    if rows >= SINGLE_THREAD_ROWS or not REPEATING.intersection(analyses):
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its own default
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# --- writing ------------------------------------------------------------------

def log_frame(report: RunReport, *, source: str = "") -> pd.DataFrame:
    """The Log sheet: one row per fact (section, item, value)."""
    from xlcbec.report.labels import label

    rows: list[tuple[str, str, Any]] = [
        ("run", "started", report.started.isoformat(sep=" ")),
        ("run", "xlcbec version", __version__),
        ("run", "input", source),
        ("run", "analyses", ", ".join(report.analyses)),
        ("run", "seed", report.settings.seed),
        ("run", "seconds", round(report.seconds, 3)),
    ]
    rows += [("settings", key, value) for key, value in report.settings.as_rows()]
    panel = report.study.panel
    rows += [("data", "panel rows", len(panel.data)), ("data", "units", panel.n_units),
             ("data", "treated units", panel.treated_units),
             ("data", "periods", f"{panel.periods[0]}-{panel.periods[-1]}" if panel.periods else "")]
    rows += [("data", f"interpolated {column}", count) for column, count in panel.interpolated.items()]
    for name, outcome in report.run.outcomes.items():
        if outcome.model_rows:
            rows += [("rows", f"{name}: {model}", account.describe()) for model, account in outcome.model_rows.items()]
        elif outcome.rows is not None:
            rows.append(("rows", name, outcome.rows.describe()))
    rows.append(("regressions", "singletons", report.settings.se.singletons_text()))
    if report.cross_check is not None:
        rows += [("cross-check", "", line) for line in report.cross_check.lines()]
        rows.append(("cross-check", "summary", report.cross_check.summary_line(report.settings.language)))
    rows += [("skipped", name, reason) for name, reason in report.run.skipped.items()]
    language = report.settings.language
    rows += [("readiness", row.analysis, row.status(language) + (f": {row.reason}" if row.reason else "")
              + (f" ({label('readiness_add', language)}: {row.what_to_add(language)})" if row.what_to_add() else ""))
             for row in report.readiness]
    rows += [("note", "", text) for text in report.warnings]
    rows += [("seconds", name, round(seconds, 4)) for name, seconds in report.run.timings.items()]
    return pd.DataFrame(rows, columns=["section", "item", "value"]).astype({"value": object})


def _note_table(key: str, title: str, text: str) -> Any:
    from xlcbec.report.tables import Cell, TableSpec

    return TableSpec(key=key, title=title, header=(), body=((Cell(text),),))


def result_blocks(report: RunReport, *, language: str | None = None) -> dict[str, list[Any]]:
    """Each result sheet's tables and charts for the analyses that ran, Summary first, in sheet order.

    The workbook writer and the Word report draw the same blocks; ``language``
    overrides Settings ``language`` (the Word report's ``--lang``).
    """
    from xlcbec.book.contract import ANALYSIS_SHEET, SUMMARY
    from xlcbec.report import sheets
    from xlcbec.report.labels import label, translate
    from xlcbec.report.summary import summary_blocks

    settings = report.settings if language is None else replace(report.settings, language=language)  # type: ignore[arg-type]
    view = sheets.View(settings)
    by_sheet: dict[str, list[Any]] = {}
    summary = summary_blocks(report.run.outcomes, view, report.study, skipped=report.run.skipped,
                             cross_check=report.cross_check)
    if summary:
        by_sheet[SUMMARY] = list(summary)
    for name in report.analyses:
        sheet = ANALYSIS_SHEET[name]
        blocks = by_sheet.setdefault(sheet, [])
        if name in report.run.outcomes:
            blocks += sheets.BUILDERS[name](report.run.outcomes[name], view, report.study)
        else:
            reason = report.run.skipped.get(name, "")
            blocks.append(_note_table(f"skipped_{name}", label(name, view.language),
                                      translate(f"{name}: not run ({reason})", view.language)))
    if "Robustness" in by_sheet:
        comparison = sheets.comparison_chart(report.run.outcomes, view)
        if comparison is not None:
            by_sheet["Robustness"].append(comparison)
    return by_sheet


def write_report(backend: Any, report: RunReport, *, source: str = "") -> None:
    """Rebuild the result sheets of the analyses that ran, then Estimates and Log."""
    from xlcbec.book.contract import CHECK, ESTIMATES, LOG
    from xlcbec.book.layout import write_sheet
    from xlcbec.report import sheets

    language = report.settings.language
    for sheet, blocks in result_blocks(report).items():
        backend.set_status(f"writing {sheet}")
        backend.reset_result_sheet(sheet)
        # Anchors, page breaks and the print area: each table and chart on readable A4 pages.
        write_sheet(backend, sheet, blocks, language=language)
    backend.reset_result_sheet(ESTIMATES)
    backend.write_frame(ESTIMATES, sheets.localise_estimates(report.estimates, language))
    backend.reset_result_sheet(LOG)
    backend.write_frame(LOG, sheets.localise_log(log_frame(report, source=source), language))
    if CHECK in backend.sheet_names():
        # A Check sheet from before this refresh would describe older inputs: rewrite it from this run.
        from xlcbec.report.check_sheet import write_check_sheet

        write_check_sheet(backend, CheckReport([], warnings=report.warnings, readiness=report.readiness),
                          language=language, source=source, after_refresh=True)


def write_check(backend: Any, report: CheckReport, *, source: str = "") -> None:
    """Rebuild the Check sheet from ``report`` in the language of the workbook's Settings."""
    from xlcbec.report.check_sheet import settings_language, write_check_sheet

    language = report.language or settings_language(backend)
    write_check_sheet(backend, report, language=language, source=source)


# --- import ---------------------------------------------------------------------


def import_tables(sources: Sequence[Path], output: Path, *, into: Path | None = None, skip_unmatched: bool = False,
                  force: bool = False) -> ImportReport:
    """Yearbook-style tables (wide or long; .xlsx or .csv) into the Panel of a new workbook ``output``.

    ``into`` is the template to fill (default: a fresh template, in Chinese
    when the tables name their cities in Chinese); it is only read.  Every
    output path is checked against the inputs first; an existing ``output``
    is refused unless ``force``.  Unmatched city names and city-years given
    twice raise located :class:`InputError` s and nothing is written (unmatched
    names are skipped, and listed, with ``skip_unmatched``).  Returns an
    :class:`~xlcbec.book.table_import.ImportReport` (``lines()`` is the summary).
    """
    from xlcbec.book.atomic import atomic_write, check_output_paths
    from xlcbec.book.table_import import ImportReport, collect_tables, fill_panel

    sources = [Path(s) for s in sources]
    output = Path(output)
    if not sources:
        raise InputError("no tables to import", fix="name one or more .xlsx or .csv files")
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"the output {output.name!r} must be an .xlsx file", fix="end the -o name with .xlsx")
    check_output_paths([*sources, *([into] if into is not None else [])], {"-o": output})
    if output.exists() and not force:
        raise InputError(f"'{output}' exists", fix="choose another name, or pass --force to replace it")
    imported = collect_tables(sources, skip_unmatched=skip_unmatched)
    workbook, target = _import_target(into, imported)
    fill_panel(workbook, imported.panel, target=target)
    atomic_write(output, workbook.save, overwrite=force)
    panel = imported.panel
    years = (int(panel["year"].min()), int(panel["year"].max())) if len(panel) else None
    return ImportReport(
        output=output, rows=len(panel), cities=int(panel["city"].nunique()), years=years,
        variables=tuple(str(c) for c in panel.columns if c not in ("city", "year")), tables=imported.tables,
        thousands=imported.thousands, text_numbers=imported.text_numbers, placeholders=imported.placeholders,
        skipped=imported.skipped,
    )


def _import_target(into: Path | None, imported: Any) -> tuple[Any, str]:
    """The workbook an import fills: ``into`` loaded (refused when re-saving would lose parts) or a fresh template."""
    if into is None:
        from xlcbec.book.template import template_workbook

        return template_workbook("zh" if imported.chinese_names else "en"), "the new template"
    import openpyxl

    from xlcbec.book.openpyxl_losses import parts_openpyxl_would_drop
    from xlcbec.book.package import open_package

    package = open_package(into)
    lost = parts_openpyxl_would_drop(package.path, rebuilt_sheets=())
    if lost:
        raise InputError(f"importing into '{into}' would lose " + "; ".join(lost),
                         fix="import into a fresh template (`xlcbec template`), then copy the other sheets over")
    return openpyxl.load_workbook(package.path), f"'{into}'"

# --- the Word report ------------------------------------------------------------------

# A re-run of the same inputs reproduces every Estimates number up to rounding in the
# last digits (BLAS, summation order); an input that changed moves them far more.
STALE_RELATIVE = 1e-6
REPORT_LANGUAGES = ("en", "zh")


def estimates_difference(stored: pd.DataFrame, fresh: pd.DataFrame, *, relative: float = STALE_RELATIVE) -> str | None:
    """The first Estimates row where a workbook's stored results and a fresh run disagree, said plainly; None if none.

    Rows are matched on (analysis, model, term) and compared on ``estimate`` and ``std_error``.
    """
    keys = ["analysis", "model", "term"]

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[keys].astype(str).copy()
        for column in ("estimate", "std_error"):
            out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float) if column in frame else float("nan")
        out["occurrence"] = out.groupby(keys).cumcount()
        return out.reset_index(drop=True)

    merged = keyed(stored).merge(keyed(fresh), on=[*keys, "occurrence"], how="outer", suffixes=("_stored", "_now"),
                                 indicator="side")
    for row in merged.itertuples(index=False):
        where = f"{row.analysis} / {row.model} / {row.term}"
        if row.side == "left_only":
            return f"Estimates has {where}, which its inputs no longer give"
        if row.side == "right_only":
            return f"its inputs now give {where}, which Estimates lacks"
        for column in ("estimate", "std_error"):
            was, now = getattr(row, f"{column}_stored"), getattr(row, f"{column}_now")
            if pd.isna(was) and pd.isna(now):
                continue
            if pd.isna(was) or pd.isna(now) or abs(was - now) > relative * max(abs(was), abs(now)) + 1e-12:
                return f"{where}: {column} {was:.6g} in Estimates, {now:.6g} from the inputs now"
    return None


def report_output(book: Path) -> Path:
    """The default Word report name beside BOOK: ``BOOK stem + .report.docx``."""
    book = Path(book)
    return book.with_name(book.stem + ".report.docx")


def word_report(book: Path, output: Path, *, language: str | None = None, force: bool = False,
                progress: Progress | None = None) -> Path:
    """:func:`write_word_report` with a progress callback (the command line's progress bar)."""
    from xlcbec.book.atomic import atomic_write_bytes, check_output_paths
    from xlcbec.book.reading import read_inputs
    from xlcbec.book.stored_results import read_stored_results
    from xlcbec.report.charts import ChartSpec
    from xlcbec.report.labels import label
    from xlcbec.report.word import ReportInfo, build_document, docx_bytes

    book, output = Path(book), Path(output)
    if not book.exists():
        raise InputError(f"the workbook {str(book)!r} does not exist", fix="check the path and the file name")
    if output.suffix.lower() != ".docx":
        raise InputError(f"the report {output.name!r} must be a .docx file", fix="end the -o name with .docx")
    if language is not None and language not in REPORT_LANGUAGES:
        raise InputError(f"unknown report language {language!r}", fix="use en or zh")
    check_output_paths([book], {"-o": output})
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():  # said before the analyses run, not after
        raise InputError(f"the output folder '{folder}' does not exist", fix="create the folder or choose another -o path")
    if output.exists() and not force:
        raise InputError(f"'{output}' exists", fix="choose another name, or pass --force to replace it")
    stored = read_stored_results(book)
    # The analyses of the workbook's last refresh (its Log), so the report shows what the workbook shows.
    report = run_inputs(read_inputs(book), only=stored.analyses, progress=progress)
    language = language or report.settings.language
    remarks: list[str] = []
    if stored.estimates is None:
        remarks.append(label("report_in_memory", language))
        warnings.warn(f"{book.name} holds no results yet: they were computed for the report only; "
                      f"{book.name} was not changed", XlcbecWarning, stacklevel=2)
    else:
        difference = estimates_difference(stored.estimates, report.estimates)
        if difference is not None:
            raise InputError(
                f"the results in '{book.name}' are out of date: {difference}", sheet="Estimates",
                fix="refresh the workbook (Refresh all on the CBEC tab, or `xlcbec refresh`) and make the report "
                    "from the refreshed workbook",
            )
    if progress:
        progress("writing the report", len(report.analyses) + 1, len(report.analyses) + 1)
    by_sheet = result_blocks(report, language=language)
    fallback = {} if language == "en" else {
        block.key: block for blocks in result_blocks(report, language="en").values() for block in blocks
        if isinstance(block, ChartSpec)}
    refreshed = stored.refreshed if stored.estimates is not None else report.started.isoformat(sep=" ")
    notices = tuple(n for n in stored.notices if _in_language(n, language)) or stored.notices
    info = ReportInfo(source=book.name, version=__version__, refreshed=refreshed, notices=notices, remarks=tuple(remarks))
    document, problems = build_document(by_sheet, language=language, info=info, fallback_charts=fallback)
    for problem in problems:
        warnings.warn(problem, XlcbecWarning, stacklevel=2)
    return atomic_write_bytes(output, docx_bytes(document), overwrite=force)


def _in_language(text: str, language: str) -> bool:
    has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    return has_chinese == (language == "zh")


def write_word_report(book: Path, output: Path, *, language: str | None = None, force: bool = False) -> Path:
    """Write the Word report of the workbook file ``book`` to ``output`` (a .docx); returns the path written.

    The analyses of the workbook's last refresh are run again from its inputs
    (seeded: the same numbers) and drawn as the result sheets draw them; when
    the workbook holds Estimates they must agree with the fresh run, else the
    workbook is out of date and nothing is written (InputError).  A workbook
    without results is refreshed in memory only: ``book`` is never written.
    ``language`` (en/zh) defaults to Settings ``language``; an existing
    ``output`` is replaced only with ``force``; the write is atomic.
    Problems a user can fix raise :class:`InputError`; warnings (no results
    yet, no Chinese font for the charts) are issued as :class:`XlcbecWarning`.
    """
    return word_report(book, output, language=language, force=force)
