"""Where a result sheet's tables and charts go, so that the sheet prints on A4 landscape pages.

One job: turn a sheet's ordered blocks (table and chart specs) into anchors,
page breaks and a print area, then ask a backend to draw them.  The rules:

* every block starts at column A; charts that are panels of one figure
  (``ChartSpec.group``) stand side by side;
* a chart's numbers (the data block it plots from) go right of the print
  area, so the printout holds only the tables and charts;
* one print scale for the sheet, the largest at which its widest block fits
  the page width (at most 100%);
* a block that would cross the bottom of a page starts a new page; a table
  longer than a page is split into parts that each repeat the title (marked
  as continued) and the header.

Heights are estimated from the same row heights the backends set
(:func:`row_heights`), so the breaks fall between blocks, not through them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xlcbec.report.charts import ChartSpec, data_block
from xlcbec.report.tables import TableSpec, display_width

# A4 landscape with 1.5 cm side and 1.2 cm top/bottom margins (header and footer inside them):
# the printable area, less a little for rounding in the renderers.
PAGE_WIDTH_CM = 29.7 - 2 * 1.5 - 0.3
PAGE_HEIGHT_CM = 21.0 - 2 * 1.2 - 0.4
SIDE_MARGIN_INCH = 1.5 / 2.54
MARGIN_INCH = 1.2 / 2.54
HEADER_INCH = 0.5 / 2.54
CM_PER_POINT = 2.54 / 72
DEFAULT_COLUMN_WIDTH = 8.43  # Excel's default column width in characters
BODY_ROW_PT = 15.0
TITLE_LINE_PT = 17.0
NOTE_LINE_PT = 12.5
GAP_ROWS = 1  # empty rows between blocks


def column_cm(width_chars: float) -> float:
    """A column's width on paper, on the wide side.

    Excel gives a column of w characters 7w + 5 pixels at 96 dpi in Calibri;
    where Calibri is missing (LibreOffice on Linux without Carlito) the
    fallback font's digits are about 9 pixels wide.  The wider figure keeps a
    sheet inside the page in both.
    """
    return (9.0 * width_chars + 5.0) * 2.54 / 96.0


def wrapped_lines(text: str, width_chars: float) -> int:
    """Lines ``text`` takes when wrapped in a cell ``width_chars`` wide (CJK characters count two)."""
    if not text:
        return 1
    usable = max(4.0, width_chars - 1.0)
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in str(text).split("\n"))


def row_heights(table: TableSpec, widths: Sequence[float]) -> list[float]:
    """Heights in points of the table's rows (title, header, body, notes) given the sheet's column widths.

    The title and the notes span the table's width and wrap; a body cell
    wider than its column wraps too.  Backends set these heights, and the
    layout counts them for page breaks.
    """
    span = sum(widths[: max(table.width, 1)]) if widths else DEFAULT_COLUMN_WIDTH
    heights: list[float] = []
    if table.title:
        heights.append(TITLE_LINE_PT * wrapped_lines(table.title, span * 0.9))  # bold 12 pt runs wider
    for row in table.header + table.body:
        lines = 1
        for j, cell in enumerate(row):
            if isinstance(cell.value, str) and j < len(widths):
                lines = max(lines, wrapped_lines(cell.value, widths[j]))
        heights.append(BODY_ROW_PT * lines)
    for note in table.notes:
        heights.append(NOTE_LINE_PT * wrapped_lines(note, span * 1.15))  # 9 pt italic runs narrower
    return heights


@dataclass
class SheetLayout:
    """The page geometry of one result sheet, worked out before anything is drawn."""

    widths: list[float]
    last_col: int
    scale: int
    page_pt: float
    data_col: int
    breaks: list[int] = field(default_factory=list)

    @property
    def rows_per_page(self) -> int:
        return max(8, int(self.page_pt // BODY_ROW_PT) - 1)


def _chart_columns(widths: Sequence[float], first_col: int, width_cm: float) -> int:
    """The last column a chart of ``width_cm`` anchored at ``first_col`` reaches."""
    col, covered = first_col, 0.0
    while True:
        covered += column_cm(widths[col - 1] if col - 1 < len(widths) else DEFAULT_COLUMN_WIDTH)
        if covered >= width_cm - 1e-9:
            return col
        col += 1


def _chart_rows(chart: ChartSpec) -> int:
    return math.ceil(chart.height_cm / (BODY_ROW_PT * CM_PER_POINT)) + 1


def plan(blocks: Sequence[Any]) -> SheetLayout:
    """Column widths, print columns and scale of a sheet holding ``blocks``."""
    widths: list[float] = []
    for block in blocks:
        if isinstance(block, TableSpec):
            for j, width in enumerate(block.column_widths):
                if j >= len(widths):
                    widths += [DEFAULT_COLUMN_WIDTH] * (j + 1 - len(widths))
                widths[j] = max(widths[j], width)
    last_col = max([b.width for b in blocks if isinstance(b, TableSpec)] + [1])
    content_cm = sum(column_cm(w) for w in widths[:last_col])
    for group in chart_rows(blocks):
        first = 1
        for chart in group:
            end = _chart_columns(widths, first, chart.width_cm)
            last_col = max(last_col, end)
            first = end + 1
        content_cm = max(content_cm, sum(c.width_cm for c in group) + column_cm(DEFAULT_COLUMN_WIDTH) * (len(group) - 1))
    widths += [DEFAULT_COLUMN_WIDTH] * max(0, last_col - len(widths))
    content_cm = max(content_cm, sum(column_cm(w) for w in widths[:last_col]))
    scale = max(40, min(100, math.floor(100 * PAGE_WIDTH_CM / content_cm))) if content_cm > 0 else 100
    page_pt = PAGE_HEIGHT_CM / CM_PER_POINT * 100.0 / scale
    return SheetLayout(widths=widths, last_col=last_col, scale=scale, page_pt=page_pt, data_col=last_col + 3)


def chart_rows(blocks: Sequence[Any]) -> list[list[ChartSpec]]:
    """The charts of ``blocks`` as they stand in rows: panels of one figure (same ``group``) together."""
    rows: list[list[ChartSpec]] = []
    for block in blocks:
        if not isinstance(block, ChartSpec):
            continue
        if rows and block.group and rows[-1][-1].group == block.group:
            rows[-1].append(block)
        else:
            rows.append([block])
    return rows


def _units(blocks: Sequence[Any], layout: SheetLayout, language: str) -> list[tuple[Any, float, int]]:
    """Blocks as printed units: (table or chart row, height in points, rows taken)."""
    units: list[tuple[Any, float, int]] = []
    pending: list[ChartSpec] = []

    def flush() -> None:
        if pending:
            rows = max(_chart_rows(c) for c in pending)
            units.append((list(pending), rows * BODY_ROW_PT, rows))
            pending.clear()

    for block in blocks:
        if isinstance(block, ChartSpec):
            if pending and not (block.group and pending[-1].group == block.group):
                flush()
            pending.append(block)
            continue
        flush()
        for part in block.split(layout.rows_per_page, language):
            heights = row_heights(part, layout.widths)
            units.append((part, sum(heights), len(heights)))
    flush()
    return units


def write_sheet(backend: Any, sheet: str, blocks: Sequence[Any], *, language: str = "en") -> SheetLayout:
    """Draw ``blocks`` on ``sheet`` (already reset) page by page; set the print area, scale and breaks."""
    layout = plan(blocks)
    backend.set_column_widths(sheet, layout.widths)
    row, used_pt, data_row = 1, 0.0, 1
    for unit, height, _rows in _units(blocks, layout, language):
        gap = GAP_ROWS * BODY_ROW_PT if used_pt else 0.0
        if used_pt and used_pt + gap + height > layout.page_pt:
            layout.breaks.append(row - 1)  # a break after the last row of the page
            used_pt, gap = 0.0, 0.0
        used_pt += gap + height
        if isinstance(unit, TableSpec):
            placement = backend.write_table(sheet, unit, (row, 1))
            row = placement.last_row + 1 + GAP_ROWS
        else:
            col = 1
            for chart in unit:
                backend.write_chart(sheet, chart, (row, col), data_anchor=(data_row, layout.data_col))
                data_row += len(data_block(chart)[0]) + 3  # its title, header and rows, then a gap
                col = _chart_columns(layout.widths, col, chart.width_cm) + 1
            row += max(_chart_rows(c) for c in unit) + GAP_ROWS
    backend.set_print_layout(sheet, last_row=max(row - 1 - GAP_ROWS, 1), last_col=layout.last_col,
                             row_breaks=layout.breaks, scale=layout.scale)
    return layout
