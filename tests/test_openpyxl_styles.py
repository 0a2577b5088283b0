"""The file backend's shortcuts write what openpyxl's own attributes would.

Result cells get their look through a cache of style indexes
(``_StyleCache``) and titles and notes are merged without openpyxl's per-cell
protection copy (``_merge_plain``).  Each is compared here with the plain
openpyxl route in a twin workbook: the same style indexes cell by cell, the
same saved sheet XML.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side

from xlcbec.book.openpyxl_backend import _merge_plain, _role_style, _ruled, _StyleCache

ROLES = ("title", "header", "label", "number", "statistic", "flag", "text", "paragraph", "note")
FORMATS = (None, "0.0000", '0.0000"***"', "(0.00);(-0.00)", "0")


def _saved_sheet(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return package.read("xl/worksheets/sheet1.xml") + package.read("xl/styles.xml")


def test_cached_looks_are_the_looks_openpyxl_gives() -> None:
    cached_book, plain_book = openpyxl.Workbook(), openpyxl.Workbook()
    cached, plain = cached_book.active, plain_book.active
    cache = _StyleCache()
    thick, thin = Side(style="medium"), Side(style="thin")
    row = 0
    for rules in ((None, None), (thick, None), (None, thin), (thick, thin), (None, thick)):
        for role in ROLES:
            for fmt in FORMATS:
                for then in (None, "spanning", "wrap"):
                    row += 1
                    for sheet in (cached, plain):
                        sheet.cell(row, 2).font = Font(name="Arial", italic=True)  # a cell that starts styled
                    for col in (1, 2):
                        cache.apply(cached.cell(row, col), ("role", fmt, role, then), _role_style, fmt, role, then)
                        _role_style(plain.cell(row, col), fmt, role, then)
                        top, bottom = rules
                        if top or bottom:
                            look = ("rule", top.style if top else None, bottom.style if bottom else None)
                            cache.apply(cached.cell(row, col), look, _ruled, top, bottom)
                            _ruled(plain.cell(row, col), top, bottom)
                        assert list(cached.cell(row, col)._style) == list(plain.cell(row, col)._style), (row, col)
    assert _saved_sheet(cached_book) == _saved_sheet(plain_book)


def test_plain_merge_saves_what_merge_cells_saves() -> None:
    ours, theirs = openpyxl.Workbook(), openpyxl.Workbook()
    for book in (ours, theirs):
        sheet = book.active
        sheet.cell(1, 1).value = "Table 1 Baseline"
        sheet.cell(1, 1).font = Font(bold=True)
        sheet.cell(1, 1).alignment = Alignment(wrap_text=True)
        sheet.cell(3, 2).value = "A ruled note"
        sheet.cell(3, 2).border = Border(bottom=Side(style="thin"))  # openpyxl copies this to the range's edge
    _merge_plain(ours.active, 1, 1, 6)
    _merge_plain(ours.active, 3, 2, 4)
    theirs.active.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    theirs.active.merge_cells(start_row=3, start_column=2, end_row=3, end_column=4)
    assert _saved_sheet(ours) == _saved_sheet(theirs)
    assert sorted(str(r) for r in ours.active.merged_cells.ranges) == ["A1:F1", "B3:D3"]
