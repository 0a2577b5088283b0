"""The live-Excel backend's own logic, on a stand-in for the few xlwings objects it uses.

The contract suite (tests/contract) runs the real thing where Excel exists; here,
without Excel, a fake Book/Sheet/App checks what the backend asks of Excel: one
bulk read from A1, errors kept as markers, nothing written to the workbook before
``flush``, result sheets copied in at their contract position or in place of the
old sheet, the temporary workbook closed and deleted, screen updating restored.
The fake opens the rendered temporary workbook with openpyxl, so what Excel would
copy is the real rendering.

Tolerances: none; values are compared exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from xlcbec.book.backend import ResultSheetError
from xlcbec.book.cells import CellError
from xlcbec.book.reading import inputs_from_source, read_inputs
from xlcbec.book.xlwings_backend import XlwingsBackend
from xlcbec.report.tables import Cell, TableSpec


class FakeRange:
    def __init__(self, sheet: FakeSheet, first: tuple[int, int], last: tuple[int, int]) -> None:
        self.sheet, self.first, self.last = sheet, first, last
        self.options_used: dict[str, Any] = {}

    def options(self, **options: Any) -> FakeRange:
        self.options_used = options
        self.sheet.book.app.log.append(("read", self.sheet.name, self.first, self.last, tuple(sorted(options.items()))))
        return self

    @property
    def value(self) -> list[list[Any]]:
        (r1, c1), (r2, c2) = self.first, self.last
        grid = self.sheet.grid
        return [[grid[r][c] if r < len(grid) and c < len(grid[r]) else None for c in range(c1 - 1, c2)] for r in range(r1 - 1, r2)]


class FakeCell:
    def __init__(self, row: int, column: int) -> None:
        self.row, self.column = row, column


class FakeUsedRange:
    def __init__(self, sheet: FakeSheet) -> None:
        rows = len(sheet.grid)
        cols = max((len(r) for r in sheet.grid), default=0)
        self.last_cell = FakeCell(max(rows, 1), max(cols, 1))


class FakeSheet:
    def __init__(self, book: FakeBook, name: str, grid: list[list[Any]], charts: int = 0) -> None:
        self.book, self.name, self.grid, self.charts = book, name, grid, charts

    @property
    def used_range(self) -> FakeUsedRange:
        return FakeUsedRange(self)

    def range(self, first: tuple[int, int], last: tuple[int, int]) -> FakeRange:
        return FakeRange(self, first, last)

    def delete(self) -> None:
        self.book.sheet_list.remove(self)

    def copy(self, before: FakeSheet | None = None, after: FakeSheet | None = None) -> FakeSheet:
        target = (before or after).book  # type: ignore[union-attr]
        if target.app.fail_copy:
            raise RuntimeError("copy failed")
        name, number = self.name, 2
        while name in [s.name for s in target.sheet_list]:
            name, number = f"{self.name} ({number})", number + 1  # what Excel does on a name clash
        copied = FakeSheet(target, name, [list(r) for r in self.grid], self.charts)
        index = target.sheet_list.index(before) if before is not None else target.sheet_list.index(after) + 1
        target.sheet_list.insert(index, copied)
        return copied


class FakeSheets:
    def __init__(self, book: FakeBook) -> None:
        self.book = book

    def __iter__(self) -> Any:
        return iter(list(self.book.sheet_list))

    def __getitem__(self, key: int | str) -> FakeSheet:
        if isinstance(key, int):
            return self.book.sheet_list[key]
        for sheet in self.book.sheet_list:
            if sheet.name == key:
                return sheet
        raise KeyError(key)


class FakeBooks:
    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def open(self, path: str) -> FakeBook:
        # What Excel would see: the rendered workbook as saved, read back by openpyxl.
        workbook = openpyxl.load_workbook(path)
        book = FakeBook(self.app, {})
        for ws in workbook.worksheets:
            grid = [list(row) for row in ws.iter_rows(values_only=True)]
            book.sheet_list.append(FakeSheet(book, ws.title, grid, charts=len(ws._charts)))
        self.app.opened.append((Path(path), book))
        return book


class FakeApp:
    def __init__(self) -> None:
        self.status_bar: str | bool = False
        self.screen_updating = True
        self.books = FakeBooks(self)
        self.opened: list[tuple[Path, FakeBook]] = []
        self.log: list[Any] = []
        self.fail_copy = False


class FakeBook:
    def __init__(self, app: FakeApp, sheets: dict[str, list[list[Any]]]) -> None:
        self.app = app
        self.sheet_list = [FakeSheet(self, name, grid) for name, grid in sheets.items()]
        self.closed = False
        self.saved_to: list[str] = []
        self.fullname = "/books/cbec.xlsx"

    @property
    def sheets(self) -> FakeSheets:
        return FakeSheets(self)

    def close(self) -> None:
        self.closed = True

    def save(self, path: str) -> None:
        self.saved_to.append(path)


PANEL = [["city", "year", "HQD"], ["Hangzhou", 2015.0, 0.5], ["Hangzhou", 2016.0, 0.625], ["Ningbo", 2015.0, 0.25]]
SETTINGS = [["Key", "Value", "Description"], ["controls", "none", ""]]


def live_book(**extra: list[list[Any]]) -> FakeBook:
    return FakeBook(FakeApp(), {"Settings": SETTINGS, "Panel": PANEL, **extra})


def table(title: str = "Table 4") -> TableSpec:
    return TableSpec(
        key="baseline",
        title=title,
        header=((Cell("Variables", None, "header"), Cell("HQD", None, "header")),),
        body=((Cell("CBEC", None, "label"), Cell(0.0113, '0.0000"***"', "number")),),
        notes=("Note: t statistics in parentheses.",),
    )


# ---------------------------------------------------------------- reading


def test_read_values_is_one_bulk_read_from_a1_with_error_markers() -> None:
    book = live_book(Cities=[["city", "pilot_year"], ["Hangzhou", "#N/A"], ["Ningbo", 2016.0]])
    values = XlwingsBackend(book).read_values("Cities")  # type: ignore[arg-type]
    assert values == [["city", "pilot_year"], ["Hangzhou", CellError("#N/A")], ["Ningbo", 2016.0]]
    assert book.app.log == [("read", "Cities", (1, 1), (3, 2), (("err_to_str", True), ("ndim", 2)))]
    with pytest.raises(KeyError):
        XlwingsBackend(book).read_values("Nope")  # type: ignore[arg-type]


def test_inputs_read_live_equal_inputs_read_from_the_file(tmp_path: Path) -> None:
    # Two routes to the same inputs: the live bulk read and the file reader on the same cells.
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Settings"
    for row in SETTINGS:
        workbook["Settings"].append(row)
    panel = workbook.create_sheet("Panel")
    for row in PANEL:
        panel.append(row)
    workbook.save(path)
    live = inputs_from_source(XlwingsBackend(live_book()))  # type: ignore[arg-type]
    from_file = read_inputs(path)
    pd.testing.assert_frame_equal(live.panel, from_file.panel)
    assert live.settings == from_file.settings


# ---------------------------------------------------------------- writing


def test_nothing_reaches_the_workbook_before_flush() -> None:
    book = live_book()
    backend = XlwingsBackend(book)  # type: ignore[arg-type]
    backend.write_table("Baseline", table(), (1, 1))
    assert [s.name for s in book.sheet_list] == ["Settings", "Panel"]
    assert backend.sheet_names() == ["Settings", "Panel", "Baseline"]
    assert backend.read_values("Baseline")[0][0] == "Table 4"


def test_flush_copies_result_sheets_in_contract_order() -> None:
    from xlcbec.report.charts import event_study_chart

    book = live_book(Notes=[["my own sheet"]])
    backend = XlwingsBackend(book)  # type: ignore[arg-type]
    frame = pd.DataFrame({"term": ["=SUM(A1)", "CBEC"], "estimate": [1.0, 0.0113]})
    backend.write_frame("Estimates", frame)
    backend.write_table("Baseline", table(), (1, 1))
    chart = event_study_chart([-2, 0, 1], [0.01, 0.02, 0.03], [0.0, 0.01, 0.02], [0.02, 0.03, 0.04])
    backend.write_chart("EventStudy", chart, (1, 1))
    backend.flush()

    assert [s.name for s in book.sheet_list] == ["Settings", "Panel", "Baseline", "EventStudy", "Estimates", "Notes"]
    sheets = {s.name: s for s in book.sheet_list}
    assert sheets["Baseline"].grid[0][0] == "Table 4" and sheets["Baseline"].grid[2][1] == 0.0113
    assert sheets["Estimates"].grid[:3] == [["term", "estimate"], ["=SUM(A1)", 1.0], ["CBEC", 0.0113]]
    assert sheets["EventStudy"].charts == 1, "the native chart comes with the sheet"
    assert sheets["Panel"].grid == PANEL and sheets["Notes"].grid == [["my own sheet"]]
    (path, rendered), = book.app.opened
    assert rendered.closed and not path.exists(), "the temporary workbook is closed and deleted"
    assert book.app.screen_updating is True
    assert backend.sheet_names() == [s.name for s in book.sheet_list]
    backend.flush()  # nothing pending: no second temporary workbook
    assert len(book.app.opened) == 1


def test_flush_replaces_an_old_result_sheet_in_place() -> None:
    book = live_book(Baseline=[["old results"], ["stale"]], Log=[["old log"]])
    backend = XlwingsBackend(book)  # type: ignore[arg-type]
    backend.reset_result_sheet("Baseline")
    backend.write_table("Baseline", table("Second run"), (1, 1))
    backend.flush()
    assert [s.name for s in book.sheet_list] == ["Settings", "Panel", "Baseline", "Log"]
    baseline = book.sheet_list[2]
    assert baseline.grid[0][0] == "Second run" and ["old results"] not in baseline.grid
    assert book.sheet_list[3].grid == [["old log"]], "a result sheet not written is left alone"


def test_a_failed_copy_leaves_excel_usable() -> None:
    book = live_book()
    book.app.fail_copy = True
    backend = XlwingsBackend(book)  # type: ignore[arg-type]
    backend.write_table("Baseline", table(), (1, 1))
    with pytest.raises(RuntimeError):
        backend.flush()
    (path, rendered), = book.app.opened
    assert rendered.closed and not path.exists()
    assert book.app.screen_updating is True
    assert [s.name for s in book.sheet_list] == ["Settings", "Panel"]


@pytest.mark.parametrize("sheet", ["Settings", "Panel", "Cities", "Indicators", "Policies", "Keywords"])
def test_input_sheets_are_never_written(sheet: str) -> None:
    backend = XlwingsBackend(live_book())  # type: ignore[arg-type]
    with pytest.raises(ResultSheetError):
        backend.write_table(sheet, table(), (1, 1))
    with pytest.raises(ResultSheetError):
        backend.reset_result_sheet(sheet)
    with pytest.raises(ResultSheetError):
        backend.write_frame(sheet, pd.DataFrame({"a": [1]}))


def test_save_brings_results_in_first(tmp_path: Path) -> None:
    book = live_book()
    backend = XlwingsBackend(book)  # type: ignore[arg-type]
    backend.write_table("Baseline", table(), (1, 1))
    out = tmp_path / "out.xlsx"
    assert backend.save(out) == out
    assert "Baseline" in [s.name for s in book.sheet_list]
    assert book.saved_to == [str(out.resolve())]


def test_status_goes_to_the_status_bar() -> None:
    book = live_book()
    seen: list[str] = []
    XlwingsBackend(book, progress=seen.append).set_status("baseline (1/3)")  # type: ignore[arg-type]
    assert book.app.status_bar == "baseline (1/3)" and seen == ["baseline (1/3)"]
