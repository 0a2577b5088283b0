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
``analyses``).  ``jobs.write_report`` (results -> result sheets through a
backend) is the one step of this chain that :mod:`xlcbec.jobs` has yet to provide.
"""

from __future__ import annotations

import locale
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol

from xlcbec.core.options import Language
from xlcbec.errors import XlcbecError

if TYPE_CHECKING:
    import xlwings

    from xlcbec.book.backend import WorkbookBackend

MESSAGE_PREFIX: Final = "#XLCBEC: "
UDF_MODULE: Final = "xlcbec.excel.udfs"
ADDIN_NAME: Final = "xlcbec.xlam"
ERROR_LOG: Final = Path(tempfile.gettempdir()) / "xlcbec-error.log"

class Host(Protocol):
    """What the ribbon actions need from Excel."""

    def backend(self) -> WorkbookBackend:
        """The calling workbook: its input sheets are read, its result sheets written."""
        ...

    def message(self, text: str, *, critical: bool = False) -> None:
        """Show ``text`` in a message box."""
        ...

    def status(self, text: str | None) -> None:
        """Show ``text`` in the status bar; ``None`` gives the bar back to Excel."""
        ...

    def open_workbook(self, path: Path) -> None:
        """Open the workbook file at ``path``."""
        ...

    def import_functions(self, module: str) -> None:
        """Import the worksheet functions of ``module`` into the add-in (Windows)."""
        ...


@dataclass(frozen=True)
class Action:
    """What one ribbon button does: run ``analyses``, or call ``handler``.

    Exactly one of the two is set.  ``label`` is the button's English label
    (the ribbon shows it followed by the Chinese one), used in the Help text.
    """

    label: str
    description: str
    analyses: tuple[str, ...] | None = None
    handler: Callable[[Host], None] | None = None

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
        inputs = inputs_from_source(backend)
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


def _check(host: Host) -> None:
    from xlcbec.jobs import check_source

    host.status("xlcbec: checking the input sheets ...")
    try:
        # The same checks as `xlcbec check`: reading, then what a refresh would stop at.
        warnings: list[str] = []
        problems = check_source(host.backend(), warnings=warnings)
    finally:
        host.status(None)
    if not problems:
        host.message("\n".join(["No problems found in the input sheets."] + [f"Warning: {w}" for w in warnings]))
        return
    lines = [f"{len(problems)} problem(s) found:"] + [f"- {problem}" for problem in problems]
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


def _import_functions(host: Host) -> None:
    if not sys.platform.startswith("win"):
        host.message(
            MESSAGE_PREFIX + "worksheet functions need Excel on Windows (xlwings runs them only there). "
            "On this computer use the ribbon buttons; the results are the same.",
            critical=True,
        )
        return
    host.import_functions(UDF_MODULE)
    host.message("The xlcbec worksheet functions are imported into the add-in and saved with it.")


def _help(host: Host) -> None:
    from xlcbec import __version__

    lines = [f"xlcbec {__version__}: evaluation of cross-border e-commerce pilot zones.", ""]
    lines += [f"{action.label}: {action.description}" for action in ACTIONS.values()]
    lines += [
        "",
        "Inputs go on the sheets Settings, Panel, Cities, Indicators, Policies and Keywords; "
        "results are written to their own sheets and every number to Estimates.",
        "The same analyses run without Excel: `xlcbec refresh BOOK` (see `xlcbec --help`).",
    ]
    host.message("\n".join(lines))


ROBUSTNESS_ANALYSES: Final = ("placebo", "bacon", "cs", "sun_abraham")

ACTIONS: Final[Mapping[str, Action]] = MappingProxyType(
    {
        "new_template": Action("New template", "creates an empty input workbook and opens it.", handler=_new_template),
        "check": Action("Check inputs", "lists every problem in the input sheets; changes nothing.", handler=_check),
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
        "import_functions": Action(
            "Import functions", "makes the xlcbec worksheet functions available (Windows).", handler=_import_functions
        ),
        "help": Action("Help", "this text.", handler=_help),
    }
)


def _report_unexpected(host: Host, error: Exception) -> None:
    # The one place that turns a bug into a message: users get one short line and
    # the traceback goes to a file they can send, never into a message box.
    try:
        with ERROR_LOG.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
            log.write("".join(traceback.format_exception(error)))
        where = f" Details were written to {ERROR_LOG}."
    except OSError:
        where = ""
    host.message(
        f"{MESSAGE_PREFIX}unexpected error ({type(error).__name__}: {error}). "
        f"Nothing was written to the result sheets.{where} Please report it.",
        critical=True,
    )


def dispatch(tag: str, *, host: Host | None = None) -> None:
    """Run the action of the ribbon button tagged ``tag`` (called from VBA)."""
    host = host if host is not None else XlwingsHost()
    action = ACTIONS.get(tag) if isinstance(tag, str) else None
    if action is None:
        host.message(
            f"{MESSAGE_PREFIX}unknown button tag {tag!r}. Expected one of: {', '.join(ACTIONS)}. "
            "The add-in and the installed xlcbec package may not match: run `xlcbec addin install` again.",
            critical=True,
        )
        return
    try:
        action.run(host)
    except XlcbecError as error:
        host.message(f"{MESSAGE_PREFIX}{error}", critical=True)
    except Exception as error:  # noqa: BLE001 - top of the call from Excel: report, never crash Excel's call
        _report_unexpected(host, error)


def main(*, host: Host | None = None) -> None:
    """Run the analyses selected on the Settings sheet (VBA ``RunMain``)."""
    dispatch("refresh_all", host=host)


class XlwingsHost:
    """The :class:`Host` for a ribbon call from Excel, through xlwings."""

    def __init__(self, book: xlwings.Book | None = None) -> None:
        import xlwings as xw

        self._xw_book = book if book is not None else xw.Book.caller()

    def backend(self) -> WorkbookBackend:
        from xlcbec.book.xlwings_backend import XlwingsBackend

        backend: WorkbookBackend = XlwingsBackend(self._xw_book)
        return backend

    def message(self, text: str, *, critical: bool = False) -> None:
        self._xw_book.app.alert(text, title="xlcbec", mode="critical" if critical else "info")

    def status(self, text: str | None) -> None:
        self._xw_book.app.status_bar = text if text is not None else False

    def open_workbook(self, path: Path) -> None:
        self._xw_book.app.books.open(str(path))

    def import_functions(self, module: str) -> None:
        from xlwings import udfs  # Windows only: generates VBA wrappers through COM

        addin = self._xw_book.app.books[ADDIN_NAME]
        udfs.import_udfs(module, addin.api)  # type: ignore[no-untyped-call]
        # Keep the imported functions for the next Excel session.
        addin.save()
