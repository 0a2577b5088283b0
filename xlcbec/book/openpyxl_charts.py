"""ChartSpec -> a native openpyxl chart over cells already written (scatter, line, bar).

Error bars are custom plus/minus ranges (the event study's 95% intervals);
reference lines arrive as two-point series (see :mod:`xlcbec.report.charts`)
and are drawn grey and dashed, without markers and without a legend entry.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.legend import Legend, LegendEntry
from openpyxl.worksheet.worksheet import Worksheet

from xlcbec.book.cell_refs import column_letter
from xlcbec.report.charts import ChartSeries, ChartSpec, SeriesColumns


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _range(sheet: str, col: int, first_row: int, last_row: int) -> str:
    letter = column_letter(col)
    return f"{_quoted(sheet)}!${letter}${first_row}:${letter}${last_row}"


def _style_line(series: Any, spec: ChartSeries) -> None:
    props = series.graphicalProperties
    if spec.style in ("line", "markers_line"):
        if spec.color:
            props.line.solidFill = spec.color
        props.line.width = 19050  # 1.5 pt in EMU
        if spec.dashed:
            props.line.dashStyle = "dash"
    else:
        props.line.noFill = True
    if spec.style in ("markers", "markers_line"):
        series.marker.symbol = "circle"
        series.marker.size = 6
        if spec.color:
            series.marker.graphicalProperties.solidFill = spec.color
            series.marker.graphicalProperties.line.solidFill = spec.color
    else:
        series.marker.symbol = "none"
    series.smooth = bool(spec.smooth)


def _error_bars(sheet: str, block_col: int, data_row: int, placed: SeriesColumns) -> ErrorBars | None:
    if placed.plus is None and placed.minus is None:
        return None
    last = data_row + placed.n - 1
    # One-sided bars reuse the same column for both directions (symmetric bars).
    plus_col = placed.plus if placed.plus is not None else placed.minus
    minus_col = placed.minus if placed.minus is not None else placed.plus
    if plus_col is None or minus_col is None:
        return None
    return ErrorBars(
        errDir="y",
        errBarType="both",
        errValType="cust",
        noEndCap=False,
        plus=NumDataSource(numRef=NumRef(f=_range(sheet, block_col + plus_col, data_row, last))),
        minus=NumDataSource(numRef=NumRef(f=_range(sheet, block_col + minus_col, data_row, last))),
    )


def build_chart(ws: Worksheet, spec: ChartSpec, placed: list[SeriesColumns], header_row: int, block_col: int) -> Any:
    """The openpyxl chart for ``spec`` whose data block header is at (``header_row``, ``block_col``)."""
    data_row = header_row + 1
    chart: Any
    if spec.kind == "scatter":
        chart = ScatterChart()
        chart.scatterStyle = "lineMarker"
        for item in placed:
            n = item.n
            x_ref = Reference(ws, min_col=block_col + item.x, min_row=data_row, max_row=data_row + n - 1)
            y_ref = Reference(ws, min_col=block_col + item.y, min_row=header_row, max_row=data_row + n - 1)
            series = Series(y_ref, x_ref, title_from_data=True)
            _style_line(series, item.series)
            bars = _error_bars(ws.title, block_col, data_row, item)
            if bars is not None:
                series.errBars = bars
            chart.series.append(series)
    else:
        chart = BarChart() if spec.kind == "bar" else LineChart()
        if spec.kind == "bar":
            chart.type = "bar" if spec.horizontal else "col"
            chart.grouping = "clustered"
            chart.overlap = spec.bar_overlap
            chart.gapWidth = spec.bar_gap_width
        n = placed[0].n
        for item in placed:
            ref = Reference(ws, min_col=block_col + item.y, min_row=header_row, max_row=data_row + n - 1)
            chart.add_data(ref, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=block_col, min_row=data_row, max_row=data_row + n - 1))
        for series, item in zip(chart.series, placed):
            if spec.kind == "bar":
                if item.series.color:
                    series.graphicalProperties.solidFill = item.series.color
                    series.graphicalProperties.line.solidFill = item.series.color
            else:
                _style_line(series, item.series)

    chart.title = spec.title
    chart.x_axis.title = spec.x_title
    chart.y_axis.title = spec.y_title
    # openpyxl >= 3.1 writes <c:delete val="1"/> unless told otherwise: axes would be hidden.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if spec.kind == "scatter":
        scale = spec.scale()
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = scale.x_min, scale.x_max
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = scale.y_min, scale.y_max
        chart.x_axis.majorUnit = scale.x_step
        chart.y_axis.majorUnit = scale.y_step
        chart.x_axis.majorGridlines = None
        # Axes along the bottom and the left edge, not through the origin.
        chart.x_axis.crosses = "min"
        chart.y_axis.crosses = "min"
    else:
        if spec.horizontal:
            # Categories top to bottom in the order given (Excel draws the first at the bottom).
            chart.x_axis.scaling.orientation = "maxMin"
            chart.y_axis.crosses = "max"
            chart.x_axis.tickLblSkip = 1  # every indicator named (the chart is tall enough for them)
        if spec.y_min is not None:
            chart.y_axis.scaling.min = spec.y_min
        if spec.y_max is not None:
            chart.y_axis.scaling.max = spec.y_max
        if spec.y_major_unit is not None:
            chart.y_axis.majorUnit = spec.y_major_unit
    if spec.x_number_format:
        chart.x_axis.number_format = spec.x_number_format  # a NumFmt with sourceLinked=False
    if spec.y_number_format:
        chart.y_axis.number_format = spec.y_number_format
    chart.width = spec.width_cm
    chart.height = spec.height_cm
    hidden = [i for i, item in enumerate(placed) if item.series.reference]
    if not spec.legend:
        chart.legend = None
    else:
        chart.legend = Legend(legendPos="b")
        chart.legend.legendEntry = [LegendEntry(idx=i, delete=True) for i in hidden]
    return chart
