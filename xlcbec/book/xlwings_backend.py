"""The live-Excel backend: inputs read from the open workbook through xlwings, results brought in as whole sheets.

Reading is one bulk read per sheet, from A1 to the last used cell, with
Excel error values kept as :class:`~xlcbec.book.cells.CellError` markers.

Writing goes through the file backend: tables, charts and flat frames are
rendered into an in-memory workbook by :class:`~xlcbec.book.openpyxl_backend.OpenpyxlBackend`,
so a result sheet looks the same whether a refresh ran on a file or in Excel
and one set of contract tests covers the drawing.  :meth:`XlwingsBackend.flush`
then saves those sheets to a temporary workbook, opens it in the same Excel
and lets Excel copy each finished sheet into the user's workbook
(``Sheet.copy``, the same on Windows and macOS), replacing the sheet of that
name.  Excel's copy carries values, number formats, borders, column widths,
frozen panes and native charts, and points the copied charts at the copied
sheet, so nothing links back to the temporary file.

Consequences of replacing whole sheets: a result sheet holds exactly what
this refresh wrote to it (result sheets are xlcbec's and rebuilt whole), and a
formula elsewhere that refers to a cell of a replaced result sheet becomes
``#REF!``; refer to results through the Estimates sheet of an exported file,
not through live formulas.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from xlcbec.book.backend import Anchor, Placement, check_result_sheet, result_sheet_position
from xlcbec.book.cells import CellError
from xlcbec.book.contract import RESULT_SHEETS
from xlcbec.book.openpyxl_backend import OpenpyxlBackend
from xlcbec.report.charts import ChartSpec
from xlcbec.report.tables import TableSpec

if TYPE_CHECKING:
    import xlwings

# The error values Excel shows in a cell (xlwings' err_to_str gives them as these strings).
EXCEL_ERRORS = frozenset(
    {
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
        "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!",
    }
)  # fmt: skip


def _marked(value: Any) -> Any:
    return CellError(value) if isinstance(value, str) and value in EXCEL_ERRORS else value


def _excel_temp_folder() -> Path | None:
    """A folder Excel can open files from without asking the user (macOS sandbox), else the default."""
    if sys.platform == "darwin":
        container = Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data"
        if container.is_dir():
            return container
    return None


class XlwingsBackend:
    """An open Excel workbook (an ``xlwings.Book``) as a :class:`~xlcbec.book.backend.WorkbookBackend`."""

    def __init__(
        self,
        book: xlwings.Book,
        *,
        progress: Callable[[str], None] | None = None,
        owns_app: bool = False,
    ) -> None:
        self._book = book
        self._progress = progress
        self._owns_app = owns_app
        self._rendered = OpenpyxlBackend.new()
        self._pending: list[str] = []  # result sheets rendered, not yet in the workbook

    @classmethod
    def open(cls, path: str | Path, *, progress: Callable[[str], None] | None = None) -> XlwingsBackend:
        """Open the workbook at ``path`` in a new, hidden Excel (closed again by :meth:`close`)."""
        import xlwings as xw

        app = xw.App(visible=False, add_book=False)
        try:
            book = app.books.open(str(Path(path).resolve()))
        except Exception:
            app.quit()
            raise
        return cls(book, progress=progress, owns_app=True)

    @property
    def book(self) -> xlwings.Book:
        return self._book

    def close(self) -> None:
        """Quit the Excel that :meth:`open` started (unsaved changes are dropped)."""
        if self._owns_app:
            self._book.app.quit()
            self._owns_app = False

    # --- reading ------------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        names = [sheet.name for sheet in self._book.sheets]
        for sheet in self._pending:
            if sheet not in names:
                names.insert(result_sheet_position(names, sheet), sheet)
        return names

    def read_values(self, sheet: str) -> list[list[Any]]:
        if sheet in self._pending:
            return self._rendered.read_values(sheet)
        if sheet not in [s.name for s in self._book.sheets]:
            raise KeyError(sheet)
        live = self._book.sheets[sheet]
        last = live.used_range.last_cell
        grid = live.range((1, 1), (last.row, last.column)).options(ndim=2, err_to_str=True).value
        return [[_marked(value) for value in row] for row in grid]

    # --- writing --------------------------------------------------------------------

    def _claim(self, sheet: str) -> None:
        """Start ``sheet`` afresh in the rendering the first time this backend writes to it."""
        check_result_sheet(sheet)
        if sheet not in self._pending:
            self._rendered.reset_result_sheet(sheet)
            self._pending.append(sheet)

    def reset_result_sheet(self, sheet: str) -> None:
        check_result_sheet(sheet)
        self._rendered.reset_result_sheet(sheet)
        if sheet not in self._pending:
            self._pending.append(sheet)

    def write_table(self, sheet: str, table: TableSpec, anchor: Anchor = (1, 1)) -> Placement:
        self._claim(sheet)
        return self._rendered.write_table(sheet, table, anchor)

    def write_chart(self, sheet: str, chart: ChartSpec, anchor: Anchor, *, data_anchor: Anchor | None = None) -> Placement:
        self._claim(sheet)
        return self._rendered.write_chart(sheet, chart, anchor, data_anchor=data_anchor)

    def write_frame(self, sheet: str, frame: pd.DataFrame, *, number_formats: dict[str, str] | None = None) -> Placement:
        self._claim(sheet)
        return self._rendered.write_frame(sheet, frame, number_formats=number_formats)

    def set_column_widths(self, sheet: str, widths: Sequence[float]) -> None:
        self._claim(sheet)
        self._rendered.set_column_widths(sheet, widths)

    def set_print_layout(self, sheet: str, *, last_row: int, last_col: int, row_breaks: Sequence[int], scale: int) -> None:
        # The print area (a sheet-local name), page setup and breaks travel with Excel's Sheet.copy.
        self._claim(sheet)
        self._rendered.set_print_layout(sheet, last_row=last_row, last_col=last_col, row_breaks=row_breaks, scale=scale)

    def set_status(self, text: str) -> None:
        self._book.app.status_bar = text
        if self._progress is not None:
            self._progress(text)

    # --- bringing the results into the workbook ------------------------------------

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        app = self._book.app
        screen = app.screen_updating
        app.screen_updating = False
        try:
            yield
        finally:
            app.screen_updating = screen

    def flush(self) -> None:
        """Put every rendered result sheet into the workbook, replacing the sheet of the same name."""
        if not self._pending:
            return
        order = sorted(self._pending, key=RESULT_SHEETS.index)
        with tempfile.TemporaryDirectory(prefix="xlcbec-results-", dir=_excel_temp_folder()) as folder:
            # Excel opens one workbook of a given name at a time: the folder's unique name is the file's.
            path = Path(folder) / f"{Path(folder).name}.xlsx"
            self._rendered.save(path)
            with self._quiet():
                rendered = self._book.app.books.open(str(path))
                try:
                    for name in order:
                        self._replace(rendered.sheets[name], name)
                finally:
                    rendered.close()
        self._pending.clear()
        self._rendered = OpenpyxlBackend.new()

    def _replace(self, rendered: xlwings.Sheet, name: str) -> None:
        live = {sheet.name: sheet for sheet in self._book.sheets}
        if name in live:
            # Copy in front of the old sheet (Excel names the copy "Name (2)"), then swap.
            copied = rendered.copy(before=live[name])
            live[name].delete()
            copied.name = name
            return
        names = list(live)
        position = result_sheet_position(names, name)
        if position == 0:
            rendered.copy(before=self._book.sheets[0])
        else:
            rendered.copy(after=self._book.sheets[position - 1])

    def save(self, path: str | Path | None = None) -> Path:
        """Bring the results in and save the workbook (to ``path``, or where it is)."""
        self.flush()
        target = Path(path).resolve() if path is not None else Path(self._book.fullname)
        # Excel writes the file itself (to a temporary file that replaces the old one when complete).
        self._book.save(str(target))
        return target if path is None else Path(path)
