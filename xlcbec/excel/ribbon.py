"""Ribbon actions: the one VBA callback passes a button's tag to :func:`dispatch`.

``workbook/customUI.xml`` gives every button a tag and the callback
``xlcbec_ribbon.RunTagged`` (``workbook/xlcbec_ribbon.bas``), which runs::

    RunPython "import xlcbec.excel.ribbon as r; r.dispatch('<tag>')"

:func:`dispatch` looks the tag up in :data:`ACTIONS`, a fixed table; a tag is
never evaluated, so a tampered ribbon can at most pick one of these actions.
:func:`main` is the fallback without the ribbon (VBA ``RunMain``): it runs the
analyses selected on the Settings sheet, like *Refresh all*.

The actions reach Excel only through a :class:`Host` (the calling workbook as
a :class:`~xlcbec.book.backend.WorkbookBackend`, message box, status bar), so
they run in tests without Excel; :class:`XlwingsHost` is the one for a call
from Excel.  The pipeline (:mod:`xlcbec.jobs`, :mod:`xlcbec.book.reading`) is
imported inside the actions, so importing this module needs neither Excel nor
the estimation stack.

A run: ``inputs_from_source(backend)`` -> ``jobs.run_inputs(inputs, only=...)``
-> ``jobs.write_report(backend, report)`` -> ``backend.flush()`` when the
backend has one (the live backend brings the written result sheets into the
workbook there).  ``only=None`` means the selection on the Settings sheet (key
``analyses``).

Every action that works on the calling workbook holds its run lock
(:mod:`xlcbec.excel.run_lock`): on macOS a click returns at once while Python
runs on, and a second click on the same workbook is told that a run is in
progress instead of starting a second one.  The actions that need no workbook
(``needs_workbook=False``) are the ones the VBA callback also runs when no
workbook is open (``NO_WORKBOOK_TAGS`` in ``workbook/xlcbec_ribbon.bas``).
"""

from __future__ import annotations

import locale
import os
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol

from xlcbec.core.options import Language
from xlcbec.errors import XlcbecError
from xlcbec.excel.run_lock import RunInProgress, run_lock

if TYPE_CHECKING:
    import xlwings

    from xlcbec.book.backend import WorkbookBackend

MESSAGE_PREFIX: Final = "#XLCBEC: "
UDF_MODULE: Final = "xlcbec.excel.udfs"
ADDIN_NAME: Final = "xlcbec.xlam"
ERROR_LOG: Final = Path(tempfile.gettempdir()) / "xlcbec-error.log"
SKIP_UNMATCHED_OPTION: Final = "skip-unmatched"  # named in the fix of an unmatched city name (xlcbec.book.table_import)
IMPORT_DIALOG_TITLE: Final = "xlcbec: choose the tables to import 选择要导入的表格"
# Excel's file-type list for Application.GetOpenFilename: "description,patterns" pairs.
IMPORT_FILE_FILTER: Final = "Excel workbooks (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls,CSV files (*.csv),*.csv"


class Host(Protocol):
    """What the ribbon actions need from Excel."""

    def workbook_name(self) -> str:
        """The calling workbook's full name (its path, or ``Book1`` before it is first saved)."""
        ...

    def workbook_file(self) -> Path | None:
        """The calling workbook's file on this computer; ``None`` if it was never saved to one."""
        ...

    def has_unsaved_changes(self) -> bool:
        """True when the calling workbook differs from its file."""
        ...

    def backend(self) -> WorkbookBackend:
        """The calling workbook: its input sheets are read, its result sheets written."""
        ...

    def message(self, text: str, *, critical: bool = False) -> None:
        """Show ``text`` in a message box."""
        ...

    def ask(self, question: str) -> bool:
        """Show ``question`` with Yes and No; True for Yes."""
        ...

    def status(self, text: str | None) -> None:
        """Show ``text`` in the status bar; ``None`` gives the bar back to Excel."""
        ...

    def open_workbook(self, path: Path) -> None:
        """Open the workbook file at ``path`` in Excel."""
        ...

    def open_document(self, path: Path) -> None:
        """Open ``path`` in the program the computer uses for it (Word for a .docx)."""
        ...

    def choose_files(self, title: str) -> list[Path]:
        """Let the user pick one or more existing files; an empty list when the dialog is cancelled."""
        ...


@dataclass(frozen=True)
class Action:
    """What one ribbon button does: run ``analyses``, or call ``handler``.

    Exactly one of the two is set.  ``label`` is the button's English label
    (the ribbon shows it followed by the Chinese one), used in the Help text.
    ``needs_workbook`` is False for the actions that work without an open
    workbook (they make one or only show text); the others hold the workbook's
    run lock while they run.
    """

    label: str
    description: str
    analyses: tuple[str, ...] | None = None
    handler: Callable[[Host], None] | None = None
    needs_workbook: bool = True

    def __post_init__(self) -> None:
        if (self.analyses is None) == (self.handler is None):
            raise TypeError(f"action '{self.label}' must have either analyses or a handler, not both or neither")

    def run(self, host: Host) -> None:
        if self.handler is not None:
            self.handler(host)
            return
        _run_analyses(host, self.analyses, self.label)


def _run_analyses(host: Host, only: tuple[str, ...] | None, label: str) -> None:
    from xlcbec import jobs
    from xlcbec.book.reading import inputs_from_source

    def progress(step: str, number: int, total: int) -> None:
        host.status(f"xlcbec: {step} ({number}/{total}) ...")

    host.status(f"xlcbec: {label}: reading the input sheets ...")
    try:
        backend = host.backend()
        inputs = inputs_from_source(backend, collect_errors=True)  # every reading problem at once, as the CLI
        report = jobs.run_inputs(inputs, only=only, progress=progress)
        host.status("xlcbec: writing the result sheets ...")
        jobs.write_report(backend, report)
        flush = getattr(backend, "flush", None)
        if callable(flush):
            flush()
    finally:
        host.status(None)


def _refresh_selected(host: Host) -> None:
    _run_analyses(host, None, "Refresh all")


CHECK_SHEET_LINE = "The sheet Check lists this, with what each analysis needs."


def _check(host: Host) -> None:
    from xlcbec.jobs import check_source_report, write_check

    host.status("xlcbec: checking the input sheets ...")
    try:
        # The same checks as `xlcbec check --write`: reading, then what a refresh would stop at;
        # the Check sheet (a result sheet) gets the full list, the message the short summary.
        backend = host.backend()
        report = check_source_report(backend)
        host.status("xlcbec: writing the Check sheet ...")
        write_check(backend, report, source=host.workbook_name())
        flush = getattr(backend, "flush", None)
        if callable(flush):
            flush()
    finally:
        host.status(None)
    problems, warnings = report.problems, report.warnings
    if not problems:
        host.message("\n".join(["No problems found in the input sheets."] + [f"Warning: {w}" for w in warnings]
                                + [CHECK_SHEET_LINE]))
        return
    lines = [f"{len(problems)} problem(s) found:"] + [f"- {problem}" for problem in problems] + [CHECK_SHEET_LINE]
    host.message("\n".join(lines), critical=True)


def _ui_language() -> Language:
    language = (locale.getlocale()[0] or "").lower()
    return "zh" if language.startswith(("zh", "chinese")) else "en"


def _unused_path(folder: Path, stem: str, suffix: str) -> Path:
    candidate = folder / f"{stem}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem} ({number}){suffix}"
        number += 1
    return candidate


def _new_template(host: Host) -> None:
    from xlcbec.book.template import write_template

    documents = Path.home() / "Documents"
    folder = documents if documents.is_dir() else Path.home()
    path = _unused_path(folder, "cbec_template", ".xlsx")
    write_template(path, language=_ui_language())
    host.open_workbook(path)


def _import_data(host: Host) -> None:
    from xlcbec import jobs

    sources = host.choose_files(IMPORT_DIALOG_TITLE)
    if not sources:
        return  # the dialog was cancelled
    # A new input workbook beside the tables: nothing the user has is written over.
    output = _unused_path(sources[0].parent, "cbec_panel", ".xlsx")
    host.status(f"xlcbec: importing {len(sources)} file(s) ...")
    try:
        try:
            report = jobs.import_tables(sources, output)
        except XlcbecError as error:
            # City names that match none of the 285 cities: the command line's --skip-unmatched, as a question.
            if SKIP_UNMATCHED_OPTION not in str(error):
                raise
            problems = str(error).replace(f"import with --{SKIP_UNMATCHED_OPTION}", "answer Yes below")
            if not host.ask(
                f"{problems}\n\nImport the other rows and leave out the rows with these city names? "
                "The rows left out are listed afterwards.\n是否跳过这些无法识别的城市，导入其余各行？"
            ):
                return  # No: nothing is written, and the user has just read why
            report = jobs.import_tables(sources, output, skip_unmatched=True)
    finally:
        host.status(None)
    host.open_workbook(output)
    host.message("\n".join(report.lines()))


def _export_report(host: Host) -> None:
    from xlcbec import jobs
    from xlcbec.errors import XlcbecWarning

    book = host.workbook_file()
    if book is None or host.has_unsaved_changes():
        state = "has never been saved" if book is None else "has unsaved changes"
        host.message(
            f"This workbook {state}. The report is made from the saved file: save the workbook "
            "(Ctrl+S), then click Export report again.\n报告依据已保存的文件生成：请先保存工作簿（Ctrl+S），再点击“导出报告”。"
        )
        return
    output = _unused_path(book.parent, f"{book.stem}.report", ".docx")
    host.status("xlcbec: writing the Word report ...")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", XlcbecWarning)
            written = jobs.write_word_report(book, output)
    finally:
        host.status(None)
    host.open_document(written)
    notes = [f"Warning: {w.message}" for w in caught if issubclass(w.category, XlcbecWarning)]
    host.message("\n".join([f"The report was written to {written}.", *notes]))


def _help(host: Host) -> None:
    from xlcbec import __version__

    lines = [f"xlcbec {__version__}: evaluation of cross-border e-commerce pilot zones.", ""]
    lines += [f"{action.label}: {action.description}" for action in ACTIONS.values()]
    lines += [
        "",
        "Inputs go on the sheets Settings, Panel, Cities, Indicators, Policies and Keywords; "
        "results are written to their own sheets and every number to Estimates.",
        "Worksheet functions (Windows): Insert Function (Shift+F3), category xlcbec.",
        "The same analyses run without Excel: `xlcbec refresh BOOK` (see `xlcbec --help`).",
    ]
    host.message("\n".join(lines))


ROBUSTNESS_ANALYSES: Final = ("placebo", "bacon", "cs", "sun_abraham")

ACTIONS: Final[Mapping[str, Action]] = MappingProxyType(
    {
        "new_template": Action(
            "New template", "creates an empty input workbook and opens it.", handler=_new_template, needs_workbook=False
        ),
        "import_data": Action(
            "Import data",
            "reads the yearbook-style or long tables you choose into the Panel of a new input workbook and opens it.",
            handler=_import_data,
            needs_workbook=False,
        ),
        "check": Action("Check inputs", "lists every problem on a Check sheet; input sheets are not changed.", handler=_check),
        "refresh_all": Action(
            "Refresh all", "runs the analyses selected in Settings (key analyses).", handler=_refresh_selected
        ),
        "index": Action("Entropy index", "entropy-weight indices (sheet Index).", analyses=("index",)),
        "descriptives": Action("Descriptives", "descriptive statistics (sheet Descriptives).", analyses=("descriptives",)),
        "baseline": Action("Baseline DID", "staggered DID with two-way fixed effects (sheet Baseline).", analyses=("baseline",)),
        "event_study": Action("Event study", "dynamic effects and pre-trend test (sheet EventStudy).", analyses=("event_study",)),
        "psm": Action("PSM-DID", "kernel propensity-score matching and PSM-DID (sheet PSM).", analyses=("psm",)),
        "heterogeneity": Action("Heterogeneity", "effects by group (sheet Heterogeneity).", analyses=("heterogeneity",)),
        "mediation": Action("Mediation", "mediation with Sobel and bootstrap tests (sheet Mediation).", analyses=("mediation",)),
        "policy_text": Action("Policy text", "keyword and theme counts of the policy documents (sheet PolicyText).", analyses=("policy_text",)),
        "robustness": Action(
            "Robustness",
            "placebo test, Bacon decomposition, Callaway-Sant'Anna and Sun-Abraham (sheet Robustness).",
            analyses=ROBUSTNESS_ANALYSES,
        ),
        "export_report": Action(
            "Export report", "writes the Word report of the saved workbook beside it and opens it.", handler=_export_report
        ),
        "help": Action("Help", "this text.", handler=_help, needs_workbook=False),
    }
)


def _log_error(error: BaseException) -> str:
    """Append the traceback to :data:`ERROR_LOG`; returns a sentence naming the file (empty if it cannot be written)."""
    try:
        with ERROR_LOG.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        return ""
    return f" Details were written to {ERROR_LOG}."


def _report_unexpected(host: Host, error: Exception) -> None:
    # The one place that turns a bug into a message: users get one short line and
    # the traceback goes to a file they can send, never into a message box.
    host.message(
        f"{MESSAGE_PREFIX}unexpected error ({type(error).__name__}: {error}). "
        f"Nothing was written to the result sheets.{_log_error(error)} Please report it.",
        critical=True,
    )


def _without_excel(error: Exception) -> SystemExit:
    """The calling workbook cannot be reached, so no message box either: one line for xlwings to show.

    ``RunPython`` shows what Python wrote to stderr when it exits with an error; a
    ``SystemExit`` with a text writes exactly that text, without a traceback.
    """
    return SystemExit(
        f"{MESSAGE_PREFIX}xlcbec could not reach the calling workbook ({type(error).__name__}: {error}). "
        f"Click the button again with the workbook active.{_log_error(error)}"
    )


def dispatch(tag: str, *, host: Host | None = None) -> None:
    """Run the action of the ribbon button tagged ``tag`` (called from VBA)."""
    action = ACTIONS.get(tag) if isinstance(tag, str) else None
    reached: Host | None = host
    try:
        if reached is None:
            reached = XlwingsHost()
        if action is None:
            reached.message(
                f"{MESSAGE_PREFIX}unknown button tag {tag!r}. Expected one of: {', '.join(ACTIONS)}. "
                "The add-in and the installed xlcbec package may not match: run `xlcbec addin install` again.",
                critical=True,
            )
            return
        if action.needs_workbook:
            with run_lock(reached.workbook_name()):
                action.run(reached)
        else:
            action.run(reached)
    except RunInProgress as busy:
        assert reached is not None  # raised only after the host was built
        reached.message(str(busy))
    except XlcbecError as error:
        if reached is None:
            raise _without_excel(error) from None
        reached.message(f"{MESSAGE_PREFIX}{error}", critical=True)
    except Exception as error:  # noqa: BLE001 - top of the call from Excel: report, never crash Excel's call
        if reached is None:
            raise _without_excel(error) from None
        _report_unexpected(reached, error)


def main(*, host: Host | None = None) -> None:
    """Run the analyses selected on the Settings sheet (VBA ``RunMain``)."""
    dispatch("refresh_all", host=host)


class XlwingsHost:
    """The :class:`Host` for a ribbon call from Excel, through xlwings.

    Where xlwings has no call of its own (file dialog, saved state), the
    documented object model of Excel is reached through ``.api``: on Windows
    Excel's COM objects, on macOS Excel's AppleScript dictionary (appscript).
    """

    def __init__(self, book: xlwings.Book | None = None) -> None:
        import xlwings as xw

        self._xw_book = book if book is not None else xw.Book.caller()

    def workbook_name(self) -> str:
        return str(self._xw_book.fullname)

    def workbook_file(self) -> Path | None:
        path = Path(self.workbook_name())
        # Before its first save a workbook's full name is just "Book1"; in the cloud it is a URL.
        return path if path.is_absolute() and path.is_file() else None

    def has_unsaved_changes(self) -> bool:
        api = self._xw_book.api
        saved = api.saved.get() if sys.platform == "darwin" else api.Saved
        return not bool(saved)

    def backend(self) -> WorkbookBackend:
        from xlcbec.book.xlwings_backend import XlwingsBackend

        backend: WorkbookBackend = XlwingsBackend(self._xw_book)
        return backend

    def message(self, text: str, *, critical: bool = False) -> None:
        self._xw_book.app.alert(text, title="xlcbec", mode="critical" if critical else "info")

    def ask(self, question: str) -> bool:
        return bool(self._xw_book.app.alert(question, title="xlcbec", buttons="yes_no") == "yes")

    def status(self, text: str | None) -> None:
        self._xw_book.app.status_bar = text if text is not None else False

    def open_workbook(self, path: Path) -> None:
        self._xw_book.app.books.open(str(path))

    def open_document(self, path: Path) -> None:
        if sys.platform == "win32":
            os.startfile(path)  # the program Windows associates with the file type
        else:
            subprocess.run(["open", str(path)], check=False)  # macOS: the same, through Launch Services

    def choose_files(self, title: str) -> list[Path]:
        if sys.platform == "darwin":
            return _choose_files_macos(title)
        # Excel's Open dialog (Application.GetOpenFilename): it returns the names and opens nothing.
        # Arguments: FileFilter, FilterIndex, Title, ButtonText (macOS only), MultiSelect.
        chosen = self._xw_book.app.api.GetOpenFilename(IMPORT_FILE_FILTER, 1, title, "", True)
        if chosen is False:  # Cancel
            return []
        names: Sequence[str] = chosen if isinstance(chosen, (list, tuple)) else [chosen]
        return [Path(str(name)) for name in names]


# AppleScript's `choose file` (Standard Additions), shown by Excel; one POSIX path per line.
_CHOOSE_FILES_SCRIPT: Final = """on run argv
    tell application "Microsoft Excel"
        activate
        set chosen to choose file with prompt (item 1 of argv) with multiple selections allowed
    end tell
    set names to ""
    repeat with chosenFile in chosen
        set names to names & POSIX path of chosenFile & linefeed
    end repeat
    return names
end run"""
_USER_CANCELED: Final = "-128"


def _choose_files_macos(title: str) -> list[Path]:
    result = subprocess.run(["osascript", "-e", _CHOOSE_FILES_SCRIPT, title], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        if _USER_CANCELED in result.stderr:
            return []
        raise XlcbecError(f"the file dialog failed: {result.stderr.strip() or 'no message'}")
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]
