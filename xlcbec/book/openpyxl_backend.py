"""The file backend: result sheets written with openpyxl, saved atomically.

Input sheets are read from the file on disk through calamine (fast, cached
formula values; see :mod:`xlcbec.book.reading`) and are never written.  Tables
get academic three-line rules, number formats that keep cells numeric, and
column widths; charts are native Excel charts over a visible block of their
numbers; Estimates and Log are flat tables with a frozen header row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.book.lazy_pillow import defer_pillow

defer_pillow()  # before openpyxl's first import: result sheets hold no pictures

import openpyxl  # noqa: E402
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.units import cm_to_EMU, pixels_to_EMU
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xlcbec.book.atomic import atomic_write
from xlcbec.book.backend import Anchor, Placement, check_result_sheet, needs_text_guard, result_sheet_position
from xlcbec.book.cell_refs import column_letter
from xlcbec.book.layout import (
    BODY_ROW_PT,
    DEFAULT_COLUMN_WIDTH,
    HEADER_INCH,
    MARGIN_INCH,
    SIDE_MARGIN_INCH,
    row_heights,
    wrapped_lines,
)
from xlcbec.book.openpyxl_charts import build_chart
from xlcbec.book.package import Package, open_package
from xlcbec.errors import InputError
from xlcbec.report.charts import ChartSpec, data_block
from xlcbec.report.labels import label
from xlcbec.report.tables import Cell, TableSpec, display_width

_FONT = "Times New Roman"
_ROLE_FONT = {
    "title": Font(name=_FONT, bold=True, size=12),
    "header": Font(name=_FONT, bold=True, size=11),
    "note": Font(name=_FONT, italic=True, size=9),
}
_BODY_FONT = Font(name=_FONT, size=11)
_CENTER = Alignment(horizontal="center", vertical="center")
_LEFT = Alignment(horizontal="left", vertical="center")
_WRAPPED = Alignment(horizontal="left", vertical="top", wrap_text=True)
_THICK = Side(style="medium")
_THIN = Side(style="thin")

_SPANNING = "spanning"  # a title or note across the table: wrapped at the top left
_WRAP = "wrap"  # a cell whose text is wider than its column: wrapped, its role's horizontal alignment kept


class _StyleCache:
    """The cell styles a backend has made, so each look is built once per workbook.

    Assigning a Font, Border, Alignment or number format to an openpyxl cell
    hashes the style object to find it in the workbook's style lists; for a
    sheet of a few thousand cells that hashing was most of the writing time.
    Here the first cell of each look is styled through openpyxl's public
    attributes, and the resulting style indexes (the cell's ``_style`` array;
    openpyxl writes a cell's ``s`` attribute from it) are copied to every later
    cell that starts from the same style and gets the same look.  The style
    lists fill in the same order as without the cache, so the saved file is the same.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[Any, ...], StyleArray] = {}

    def apply(self, cell: XlCell, look: tuple[Any, ...], make: Callable[..., None], *args: Any) -> None:
        """Give ``cell`` the style ``make(cell, *args)`` would; ``look`` names what ``make`` does with ``args``."""
        start = cell._style  # None until a cell is first styled
        key = (None if start is None else start.tobytes(), look)
        made = self._made.get(key)
        if made is None:
            make(cell, *args)
            self._made[key] = StyleArray(cell._style)
        else:
            cell._style = StyleArray(made)


def _role_style(cell: XlCell, number_format: str | None, role: str, then: str | None) -> None:
    if number_format:
        cell.number_format = number_format
    cell.font = _ROLE_FONT.get(role, _BODY_FONT)
    if role in ("header", "number", "statistic", "flag"):
        cell.alignment = _CENTER
    elif role in ("label", "text"):
        cell.alignment = _LEFT
    elif role == "paragraph":
        cell.alignment = _WRAPPED
    if then == _SPANNING:
        cell.alignment = _WRAPPED
    elif then == _WRAP:
        cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="center", wrap_text=True)


def _ruled(cell: XlCell, top: Side | None, bottom: Side | None) -> None:
    old = cell.border
    cell.border = Border(left=old.left, right=old.right, top=top or old.top, bottom=bottom or old.bottom)


def _merge_plain(ws: Worksheet, row: int, first_col: int, last_col: int) -> None:
    """``ws.merge_cells`` of one row; shorter when the first cell has no border, as a title or a note has.

    openpyxl's merge then copies the first cell's borders (none) to the range's
    edges and its protection (the default) to every cell, hashing a Protection
    per cell: a tenth of the time a full refresh spent writing.  Both leave the
    saved file as it is, so here the range is recorded and its other cells
    become empty merged cells (what the merge leaves) without them.
    """
    border = ws.cell(row, first_col).border
    sides = [getattr(border, name) for name in ("left", "right", "top", "bottom")]
    if any(side is None or side.style is not None for side in sides):  # openpyxl would copy these to the edges
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
        return
    ws.merged_cells.add(MergedCellRange(ws, f"{column_letter(first_col)}{row}:{column_letter(last_col)}{row}"))
    for col in range(first_col + 1, last_col + 1):
        ws._cells[(row, col)] = MergedCell(ws, row, col)


def _frame_header(cell: XlCell) -> None:
    cell.font = Font(bold=True)


def _number_format(cell: XlCell, number_format: str) -> None:
    cell.number_format = number_format


CM_PER_COLUMN = 1.7  # a default-width column (8.43 characters) is about 1.7 cm
CM_PER_ROW = 0.53  # a default-height row (15 pt) is about 0.53 cm


def write_value(cell: XlCell, value: Any, number_format: str | None = None) -> None:
    """Write a plain value; text is always text (never a formula), numbers stay numbers."""
    if _bind(cell, value) and number_format:
        cell.number_format = number_format


def _bind(cell: XlCell, value: Any) -> bool:
    """:func:`write_value` without the number format; False when the cell was left empty (None, NaN, inf)."""
    kind = type(value)
    if kind is float:  # the common case first: most result cells are Python floats
        if math.isfinite(value):
            cell.value = value
            return True
        cell.value = None
        return False
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        cell.value = None
        return False
    if isinstance(value, (np.integer,)):
        value = int(value)
    elif isinstance(value, (np.floating,)):
        value = float(value)
    elif isinstance(value, (np.bool_,)):
        value = bool(value)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"  # openpyxl would store '=...' as a formula
        if needs_text_guard(text):
            cell.quotePrefix = True  # and Excel keeps it text if the user edits the cell
    else:
        cell.value = value
    return True


def _data_format(value: Any) -> str | None:
    """Chart data: whole numbers plain, other numbers with four decimals."""
    if isinstance(value, float) and math.isfinite(value):
        return "0" if value.is_integer() else "0.0000"
    return None


def _fit_wrapped_rows(ws: Worksheet, rows: list[int], col: int, table: TableSpec) -> None:
    """Rows holding wrapped text get the height of their longest cell (Excel does not refit them on opening)."""
    for row, cells in zip(rows, table.body):
        lines = 1
        for offset, cell in enumerate(cells):
            if cell.role == "paragraph" and cell.value is not None:
                width = ws.column_dimensions[column_letter(col + offset)].width or 8.43
                lines = max(lines, math.ceil(display_width(str(cell.value)) / max(width - 1.0, 1.0)))
        if lines > 1:
            ws.row_dimensions[row].height = 15.0 * lines


class OpenpyxlBackend:
    """A workbook file: reads inputs from disk, writes result sheets, saves atomically."""

    def __init__(
        self,
        workbook: Workbook,
        *,
        path: Path | None = None,
        package: Package | None = None,
        progress: Callable[[str], None] | None = None,
        placeholder: str | None = None,
    ) -> None:
        self._wb = workbook
        self.path = path
        self._package = package
        self._progress = progress
        self._source: Any = None
        # Sheets whose values are read from the file on disk (the inputs as saved).
        self._disk_sheets: list[str] = list(package.sheet_names) if package is not None else []
        # openpyxl.Workbook() starts with an empty sheet; it goes once a result sheet exists.
        self._placeholder = placeholder
        self._styles = _StyleCache()

    # --- construction -------------------------------------------------------------

    @classmethod
    def new(cls, *, progress: Callable[[str], None] | None = None) -> "OpenpyxlBackend":
        """An empty workbook (its placeholder sheet goes once a real sheet exists)."""
        workbook = openpyxl.Workbook()
        return cls(workbook, progress=progress, placeholder=workbook.active.title)

    @classmethod
    def open(cls, path: str | Path, *, progress: Callable[[str], None] | None = None) -> "OpenpyxlBackend":
        """Open a workbook file for a refresh, after the package safety checks."""
        package = open_package(path)
        try:
            workbook = openpyxl.load_workbook(package.path, keep_links=True)
        except InputError:
            raise
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputError(
                f"'{package.path.name}' cannot be opened for writing ({type(exc).__name__}: {exc})",
                fix="open the workbook in Excel, let it repair the file if it offers to, and save it",
            ) from None
        return cls(workbook, path=package.path, package=package, progress=progress)

    @classmethod
    def results_only(cls, path: str | Path, *, progress: Callable[[str], None] | None = None) -> "OpenpyxlBackend":
        """Read inputs from ``path``; write a new workbook holding only the result sheets.

        For very large panels: the input workbook is never loaded into
        openpyxl (reading stays on calamine), and the output is small.
        """
        package = open_package(path)
        workbook = openpyxl.Workbook()
        return cls(workbook, package=package, progress=progress, placeholder=workbook.active.title)

    @property
    def workbook(self) -> Workbook:
        return self._wb

    # --- reading ------------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        in_memory = [name for name in self._wb.sheetnames if name != self._placeholder]
        return [name for name in self._disk_sheets if name not in in_memory] + in_memory

    def read_values(self, sheet: str) -> list[list[Any]]:
        if sheet in self._disk_sheets and self._package is not None:
            # Input sheets are unchanged since loading: read the stored values from disk
            # in one bulk pass (calamine), formulas as their cached results.
            if self._source is None:
                from xlcbec.book.reading import CalamineSource

                self._source = CalamineSource(self._package)
            values: list[list[Any]] = self._source.read_values(sheet)
            return values
        if sheet not in self._wb.sheetnames:
            raise KeyError(sheet)
        return [list(row) for row in self._wb[sheet].iter_rows(values_only=True)]

    def merged_header(self, sheet: str) -> list[tuple[int, int]]:
        if sheet in self._disk_sheets and self._package is not None:
            if self._source is None:
                from xlcbec.book.reading import CalamineSource

                self._source = CalamineSource(self._package)
            merged: list[tuple[int, int]] = self._source.merged_header(sheet)
            return merged
        if sheet not in self._wb.sheetnames:
            return []
        return [(r.min_col, r.max_col) for r in self._wb[sheet].merged_cells.ranges if r.min_row == 1 and (r.max_col > r.min_col or r.max_row > 1)]

    # --- writing --------------------------------------------------------------------

    def _result_sheet(self, sheet: str) -> Worksheet:
        check_result_sheet(sheet)
        if sheet not in self._wb.sheetnames:
            self.reset_result_sheet(sheet)
        ws: Worksheet = self._wb[sheet]
        return ws

    def reset_result_sheet(self, sheet: str) -> None:
        check_result_sheet(sheet)
        if sheet in self._wb.sheetnames:
            position = self._wb.sheetnames.index(sheet)
            self._wb.remove(self._wb[sheet])
        else:
            in_memory = [name for name in self._wb.sheetnames if name != self._placeholder]
            position = result_sheet_position(in_memory, sheet)
        created = self._wb.create_sheet(sheet, position)
        # Printed or exported to PDF, a result sheet fits the page width (tables
        # with three or more model columns run past a portrait page otherwise).
        created.page_setup.orientation = "landscape"
        created.page_setup.fitToWidth = 1
        created.page_setup.fitToHeight = 0
        created.sheet_properties.pageSetUpPr.fitToPage = True
        if sheet in self._disk_sheets:
            self._disk_sheets.remove(sheet)
        if self._placeholder and self._placeholder in self._wb.sheetnames and self._placeholder != sheet:
            self._wb.remove(self._wb[self._placeholder])
            self._placeholder = None

    def write_table(self, sheet: str, table: TableSpec, anchor: Anchor = (1, 1)) -> Placement:
        ws = self._result_sheet(sheet)
        row, col = anchor
        first_row = row
        width = max(table.width, 1)
        for offset, width_chars in enumerate(table.column_widths):
            self._widen(ws, col + offset, width_chars)
        widths = [ws.column_dimensions[column_letter(c)].width or DEFAULT_COLUMN_WIDTH for c in range(col, col + width)]
        heights = iter(row_heights(table, widths))
        if table.title:
            self._spanning(ws, row, col, width, table.title, "title", next(heights))
            row += 1
        header_rows = list(range(row, row + len(table.header)))
        for cells in table.header:
            self._row(ws, row, col, cells, widths, next(heights))
            row += 1
        body_rows = list(range(row, row + len(table.body)))
        for cells in table.body:
            self._row(ws, row, col, cells, widths, next(heights))
            row += 1
        if header_rows:
            self._rule(ws, header_rows[0], col, width, top=_THICK)
            self._rule(ws, header_rows[-1], col, width, bottom=_THIN)
        if body_rows:
            self._rule(ws, body_rows[-1], col, width, bottom=_THICK)
            for index in table.rules_after:
                if 0 <= index < len(body_rows) - 1:
                    self._rule(ws, body_rows[index], col, width, bottom=_THIN)
        for note in table.notes:
            self._spanning(ws, row, col, width, note, "note", next(heights))
            row += 1
        _fit_wrapped_rows(ws, body_rows, col, table)
        return Placement(sheet, first_row, col, max(row - 1, first_row), col + width - 1)

    def _spanning(self, ws: Worksheet, row: int, col: int, width: int, text: str, role: str, height: float) -> None:
        """A title or note across the table's width, wrapped, so it prints inside the table's columns."""
        self._styled(ws.cell(row, col), text, None, role, then=_SPANNING)
        if width > 1:
            _merge_plain(ws, row, col, col + width - 1)
        self._height(ws, row, height)

    @staticmethod
    def _height(ws: Worksheet, row: int, height: float) -> None:
        if height > BODY_ROW_PT or ws.row_dimensions[row].height is not None:
            ws.row_dimensions[row].height = max(height, ws.row_dimensions[row].height or 0.0)

    def _row(self, ws: Worksheet, row: int, col: int, cells: tuple[Cell, ...], widths: list[float], height: float) -> None:
        for offset, cell in enumerate(cells):
            wrap = isinstance(cell.value, str) and offset < len(widths) and wrapped_lines(cell.value, widths[offset]) > 1
            self._styled(ws.cell(row, col + offset), cell.value, cell.number_format, cell.role, then=_WRAP if wrap else None)
        self._height(ws, row, height)

    def set_column_widths(self, sheet: str, widths: Sequence[float]) -> None:
        ws = self._result_sheet(sheet)
        for offset, width in enumerate(widths):
            ws.column_dimensions[column_letter(1 + offset)].width = float(width)

    def set_print_layout(self, sheet: str, *, last_row: int, last_col: int, row_breaks: Sequence[int], scale: int) -> None:
        ws = self._result_sheet(sheet)
        ws.print_area = f"A1:{column_letter(last_col)}{last_row}"
        setup = ws.page_setup
        setup.orientation = "landscape"
        setup.paperSize = ws.PAPERSIZE_A4
        setup.scale = int(scale)
        setup.fitToWidth = None
        setup.fitToHeight = None
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        ws.page_margins = PageMargins(left=SIDE_MARGIN_INCH, right=SIDE_MARGIN_INCH, top=MARGIN_INCH, bottom=MARGIN_INCH,
                                      header=HEADER_INCH, footer=HEADER_INCH)
        for row in sorted(set(row_breaks)):
            if 0 < row < last_row:
                ws.row_breaks.append(Break(id=row))

    def _styled(self, target: XlCell, value: Any, number_format: str | None, role: str, *, then: str | None = None) -> None:
        """``value`` with the look of its role; ``then`` (:data:`_SPANNING`, :data:`_WRAP`) adjusts the alignment."""
        number_format = number_format if _bind(target, value) else None
        self._styles.apply(target, ("role", number_format, role, then), _role_style, number_format, role, then)

    def _rule(self, ws: Worksheet, row: int, col: int, width: int, *, top: Side | None = None, bottom: Side | None = None) -> None:
        key = ("rule", top.style if top else None, bottom.style if bottom else None)
        for c in range(col, col + width):
            self._styles.apply(ws.cell(row, c), key, _ruled, top, bottom)

    @staticmethod
    def _widen(ws: Worksheet, col: int, width: float) -> None:
        dimension = ws.column_dimensions[column_letter(col)]
        current = dimension.width or 0
        if width > current:
            dimension.width = width

    def write_chart(self, sheet: str, chart: ChartSpec, anchor: Anchor, *, data_anchor: Anchor | None = None) -> Placement:
        ws = self._result_sheet(sheet)
        chart_cols = math.ceil(chart.width_cm / CM_PER_COLUMN)
        chart_rows = math.ceil(chart.height_cm / CM_PER_ROW)
        if data_anchor is None:
            data_anchor = (anchor[0], anchor[1] + chart_cols + 1)
        rows, placed = data_block(chart)
        data_row, data_col = data_anchor
        self._styled(ws.cell(data_row, data_col), f"{label('chart_data', chart.language)}: {chart.title}", None, "note")
        header_row = data_row + 1
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                role = "header" if r == 0 else "number"
                self._styled(ws.cell(header_row + r, data_col + c), value, _data_format(value) if r else None, role)
        for c in range(len(rows[0]) if rows else 0):
            self._widen(ws, data_col + c, min(24.0, max(10.0, display_width(str(rows[0][c] or "")) + 2.0)))
        native = build_chart(ws, chart, placed, header_row, data_col)
        # A little below the anchor cell's top edge: a renderer does not draw the frame on the page above.
        size = XDRPositiveSize2D(cm_to_EMU(chart.width_cm), cm_to_EMU(chart.height_cm))
        native.anchor = OneCellAnchor(_from=AnchorMarker(col=anchor[1] - 1, row=anchor[0] - 1, rowOff=pixels_to_EMU(3)), ext=size)
        ws.add_chart(native)
        last_row = max(anchor[0] + chart_rows - 1, header_row + len(rows) - 1)
        last_col = data_col + (len(rows[0]) if rows else 1) - 1
        return Placement(sheet, min(anchor[0], data_row), min(anchor[1], data_col), last_row, max(last_col, anchor[1] + chart_cols - 1))

    def write_frame(self, sheet: str, frame: pd.DataFrame, *, number_formats: dict[str, str] | None = None) -> Placement:
        ws = self._result_sheet(sheet)
        number_formats = number_formats or {}
        columns = [str(c) for c in frame.columns]
        for c, name in enumerate(columns, start=1):
            cell = ws.cell(1, c)
            write_value(cell, name)
            self._styles.apply(cell, ("frame header",), _frame_header)
        formats = [number_formats.get(name) for name in columns]
        for r, record in enumerate(frame.itertuples(index=False, name=None), start=2):
            for c, value in enumerate(record, start=1):
                if value is pd.NA or value is pd.NaT:
                    value = None
                cell = ws.cell(r, c)
                fmt = formats[c - 1]
                if _bind(cell, value) and fmt:
                    self._styles.apply(cell, ("format", fmt), _number_format, fmt)
        ws.freeze_panes = "A2"
        last_row = max(len(frame) + 1, 1)
        if columns:
            ws.auto_filter.ref = f"A1:{column_letter(len(columns))}{last_row}"
        sample = frame.head(200)
        for c, name in enumerate(columns, start=1):
            texts = [display_width(str(v)) for v in sample.iloc[:, c - 1] if v is not None and not (isinstance(v, float) and math.isnan(v))]
            self._widen(ws, c, float(min(60, max([display_width(name) + 3, *texts, 8]) + 2)))
        return Placement(sheet, 1, 1, last_row, max(len(columns), 1))

    def set_status(self, text: str) -> None:
        if self._progress is not None:
            self._progress(text)

    # --- saving ---------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("save() needs a path for a workbook that was not opened from a file")
        if target.suffix.lower() != ".xlsx":
            raise InputError(
                f"results are saved as an .xlsx workbook, not '{target.suffix or '(no extension)'}'",
                fix="give an output file name ending in .xlsx",
            )
        if self._source is not None:
            self._source.close()
            self._source = None
        return atomic_write(target, self._wb.save)
