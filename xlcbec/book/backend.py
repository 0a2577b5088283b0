"""The workbook backend interface: what a refresh needs from a workbook, live or on disk.

Two backends implement it: files through openpyxl
(:mod:`xlcbec.book.openpyxl_backend`) and live Excel through xlwings.  One
contract test suite (``tests/contract``) runs against every backend.

Rules every backend keeps (ARCHITECTURE.md, safety rules):

* input sheets are read, never written: any write to one raises
  :class:`ResultSheetError`; result sheets are the contract's and are rebuilt
  whole (:meth:`WorkbookBackend.reset_result_sheet`);
* ``read_values`` is one bulk read per sheet (rows from A1);
* text that Excel would take for a formula (``=``, ``+``, ``-``, ``@`` first)
  is written as text (:func:`needs_text_guard`);
* ``save`` is atomic (:mod:`xlcbec.book.atomic`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from xlcbec.book.contract import INPUT_SHEETS, RESULT_SHEETS
from xlcbec.errors import XlcbecError
from xlcbec.report.charts import ChartSpec
from xlcbec.report.tables import TableSpec

Anchor = tuple[int, int]  # (row, column), 1-based like Excel


class ResultSheetError(XlcbecError, ValueError):
    """A write aimed at an input sheet or at a sheet the contract does not define."""


@dataclass(frozen=True)
class Placement:
    """The cells a written table, chart or frame occupies (1-based, inclusive)."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def next_row(self) -> int:
        """The row where the next block can start, leaving one blank row."""
        return self.last_row + 2


@runtime_checkable
class WorkbookBackend(Protocol):
    """A workbook that a refresh reads inputs from and writes result sheets to."""

    def sheet_names(self) -> list[str]:
        """Sheet names in workbook order."""
        ...

    def read_values(self, sheet: str) -> list[list[Any]]:
        """Every value of ``sheet`` from A1, one bulk read; empty cells are None or ''."""
        ...

    def reset_result_sheet(self, sheet: str) -> None:
        """Create ``sheet`` (a result sheet) or clear it completely, charts included."""
        ...

    def write_table(self, sheet: str, table: TableSpec, anchor: Anchor = (1, 1)) -> Placement:
        """Draw ``table`` with its top-left corner at ``anchor``."""
        ...

    def write_chart(self, sheet: str, chart: ChartSpec, anchor: Anchor, *, data_anchor: Anchor | None = None) -> Placement:
        """Write the chart's numbers at ``data_anchor`` (default: right of the chart) and a native chart at ``anchor``."""
        ...

    def write_frame(self, sheet: str, frame: pd.DataFrame, *, number_formats: dict[str, str] | None = None) -> Placement:
        """A flat table from A1: header row 1 (frozen), one row per record (Estimates, Log)."""
        ...

    def set_column_widths(self, sheet: str, widths: Sequence[float]) -> None:
        """Set the widths (in characters) of columns A, B, ... of a result sheet before its blocks are drawn."""
        ...

    def set_print_layout(self, sheet: str, *, last_row: int, last_col: int, row_breaks: Sequence[int], scale: int) -> None:
        """Print ``sheet`` on A4 landscape: print area A1 to (last_row, last_col), page breaks after
        ``row_breaks``, at ``scale`` percent (see :mod:`xlcbec.book.layout`)."""
        ...

    def set_status(self, text: str) -> None:
        """Progress for the user (status bar in Excel, progress line on the command line)."""
        ...

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to ``path`` (default: where the workbook came from)."""
        ...


def check_result_sheet(sheet: str) -> None:
    """Refuse writes to input sheets and to names outside the contract's result sheets."""
    if sheet in INPUT_SHEETS:
        raise ResultSheetError(f"'{sheet}' is an input sheet: xlcbec reads it and never writes to it")
    if sheet not in RESULT_SHEETS:
        raise ResultSheetError(f"'{sheet}' is not a result sheet of the workbook contract ({', '.join(RESULT_SHEETS)})")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def needs_text_guard(value: Any) -> bool:
    """True for text that Excel would read as a formula if it were typed or pasted."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def result_sheet_position(existing: list[str], sheet: str) -> int:
    """Where a new result sheet goes: after the input sheets and the result sheets before it."""
    order = {name: i for i, name in enumerate(RESULT_SHEETS)}
    before = [i for i, name in enumerate(existing) if name in INPUT_SHEETS or (name in order and order[name] < order[sheet])]
    return (max(before) + 1) if before else len(existing)
