"""Chart specifications (no Excel library) and the builders for the paper's figures.

A :class:`ChartSpec` carries its own numbers; a backend writes them to cells
(:func:`data_block` says where each series sits in that block) and draws a
native Excel chart over them.  Reference lines (the zero line, the policy
start) are turned into two-point series here, so every backend draws them the
same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from xlcbec.core.options import LANGUAGE, EventWindow
from xlcbec.report.labels import Language, label

ChartKind = Literal["scatter", "line", "bar"]
SeriesStyle = Literal["markers", "line", "markers_line", "bar"]
Point = float | int | str

PALETTE: tuple[str, ...] = ("1F4E79", "C55A11", "548235", "7F7F7F", "BF9000", "7030A0", "2E75B6", "A5A5A5")
REFERENCE_COLOR = "7F7F7F"


@dataclass(frozen=True)
class ChartSeries:
    """One plotted series; ``error_plus``/``error_minus`` are distances above/below ``y``."""

    name: str
    x: tuple[Point, ...]
    y: tuple[float | None, ...]
    style: SeriesStyle = "markers"
    error_plus: tuple[float, ...] | None = None
    error_minus: tuple[float, ...] | None = None
    color: str | None = None
    dashed: bool = False
    smooth: bool = False
    reference: bool = False  # a reference line drawn as a series (kept out of the legend)

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"series {self.name!r}: {len(self.x)} x values but {len(self.y)} y values")
        for errors in (self.error_plus, self.error_minus):
            if errors is not None and len(errors) != len(self.y):
                raise ValueError(f"series {self.name!r}: error bars need one value per point")


@dataclass(frozen=True)
class ReferenceLine:
    """A horizontal (``axis='y'``: y = value) or vertical (``axis='x'``: x = value) line."""

    axis: Literal["x", "y"]
    value: float
    label: str = ""


@dataclass(frozen=True)
class ChartSpec:
    """A native chart: kind, titles, series, reference lines, axis bounds and size."""

    key: str
    kind: ChartKind
    title: str
    x_title: str
    y_title: str
    series: tuple[ChartSeries, ...]
    reference_lines: tuple[ReferenceLine, ...] = ()
    x_min: float | None = None
    x_max: float | None = None
    y_min: float | None = None
    y_max: float | None = None
    x_major_unit: float | None = None
    y_major_unit: float | None = None
    x_number_format: str | None = None
    y_number_format: str | None = None
    width_cm: float = 16.0
    height_cm: float = 9.0
    legend: bool = True
    bar_overlap: int = 0
    bar_gap_width: int = 150
    language: str = LANGUAGE  # of the labels around the chart (its data block title)
    # Charts sharing a non-empty group are panels of one figure, drawn side by side (PSM (a) and (b)).
    group: str = ""
    horizontal: bool = False  # bar charts: bars run left to right, category labels read horizontally

    def __post_init__(self) -> None:
        if not self.series:
            raise ValueError(f"chart {self.key!r} has no series")
        if self.kind in ("bar", "line"):
            categories = self.series[0].x
            if any(s.x != categories for s in self.series):
                raise ValueError(f"chart {self.key!r}: bar and line series must share their categories")
            if self.reference_lines:
                raise ValueError(f"chart {self.key!r}: reference lines need a scatter chart")

    def plotted_series(self) -> tuple[ChartSeries, ...]:
        """The data series plus each reference line as a two-point series spanning the axes."""
        if not self.reference_lines:
            return self.series
        x_lo, x_hi, y_lo, y_hi = self.bounds()
        lines = []
        for line in self.reference_lines:
            if line.axis == "y":
                xs: tuple[Point, ...] = (x_lo, x_hi)
                ys: tuple[float | None, ...] = (line.value, line.value)
            else:
                xs, ys = (line.value, line.value), (y_lo, y_hi)
            lines.append(ChartSeries(line.label or f"{line.axis} = {line.value:g}", xs, ys, style="line", color=REFERENCE_COLOR, dashed=True, reference=True))
        return self.series + tuple(lines)

    def bounds(self) -> tuple[float, float, float, float]:
        """(x min, x max, y min, y max) of a scatter chart's axes."""
        scale = self.scale()
        return scale.x_min, scale.x_max, scale.y_min, scale.y_max

    def scale(self) -> "AxisScale":
        """Axis bounds and tick steps: those given, else round numbers around the data (error bars included)."""
        xs = [float(v) for s in self.series for v in s.x if isinstance(v, (int, float))]
        ys: list[float] = []
        for s in self.series:
            for i, v in enumerate(s.y):
                if v is None or not math.isfinite(v):
                    continue
                ys.append(v + (s.error_plus[i] if s.error_plus else 0.0))
                ys.append(v - (s.error_minus[i] if s.error_minus else 0.0))
        ys += [line.value for line in self.reference_lines if line.axis == "y"]
        xs += [line.value for line in self.reference_lines if line.axis == "x"]
        x_lo, x_hi, x_step = nice_bounds(xs, self.x_min, self.x_max, self.x_major_unit)
        y_lo, y_hi, y_step = nice_bounds(ys, self.y_min, self.y_max, self.y_major_unit)
        return AxisScale(x_lo, x_hi, x_step, y_lo, y_hi, y_step)


@dataclass(frozen=True)
class AxisScale:
    x_min: float
    x_max: float
    x_step: float
    y_min: float
    y_max: float
    y_step: float


def nice_step(span: float, ticks: int = 6) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` intervals."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10.0 * magnitude


def nice_bounds(values: Sequence[float], lo: float | None = None, hi: float | None = None, step: float | None = None) -> tuple[float, float, float]:
    """Axis (min, max, step): given bounds kept, missing ones rounded outwards to a tick."""
    data_lo = min(values) if values else 0.0
    data_hi = max(values) if values else 1.0
    low = lo if lo is not None else data_lo
    high = hi if hi is not None else data_hi
    if high <= low:
        high = low + (abs(low) or 1.0)
    tick = step or nice_step(high - low)
    if lo is None:
        low = round(math.floor(data_lo / tick - 1e-9) * tick, 12)
    if hi is None:
        high = round(math.ceil(data_hi / tick + 1e-9) * tick, 12)
    return float(low), float(high), float(tick)


@dataclass(frozen=True)
class SeriesColumns:
    """Where one series sits in the data block (0-based columns; data from block row 1)."""

    series: ChartSeries
    x: int
    y: int
    plus: int | None
    minus: int | None

    @property
    def n(self) -> int:
        return len(self.series.y)


def data_block(chart: ChartSpec) -> tuple[list[list[Point | None]], list[SeriesColumns]]:
    """The cells a chart plots from: a header row, then the data; and each series' columns.

    Scatter charts: each series has its own x and y columns (and error-bar
    columns).  Bar and line charts: one category column, then a y column per series.
    """
    plotted = chart.plotted_series()
    columns: list[list[Point | None]] = []
    placed: list[SeriesColumns] = []
    if chart.kind == "scatter":
        for s in plotted:
            x_col = len(columns)
            columns.append([f"{s.name}: {chart.x_title}" if chart.x_title else f"{s.name}: x", *s.x])
            columns.append([s.name, *s.y])
            plus = minus = None
            if s.error_plus is not None:
                plus = len(columns)
                columns.append([f"{s.name}: +", *s.error_plus])
            if s.error_minus is not None:
                minus = len(columns)
                columns.append([f"{s.name}: -", *s.error_minus])
            placed.append(SeriesColumns(s, x_col, x_col + 1, plus, minus))
    else:
        columns.append([chart.x_title or "", *plotted[0].x])
        for s in plotted:
            placed.append(SeriesColumns(s, 0, len(columns), None, None))
            columns.append([s.name, *s.y])
    height = max(len(c) for c in columns)
    rows = [[c[i] if i < len(c) else None for c in columns] for i in range(height)]
    return rows, placed


# --- builders --------------------------------------------------------------------------


def _floats(values: Sequence[float] | pd.Series | np.ndarray) -> tuple[float | None, ...]:
    out: list[float | None] = []
    for v in np.asarray(values, dtype=float):
        out.append(float(v) if math.isfinite(v) else None)
    return tuple(out)


def event_study_chart(
    rel_time: Sequence[int],
    estimate: Sequence[float],
    ci_low: Sequence[float],
    ci_high: Sequence[float],
    *,
    reference: int = EventWindow.reference,
    language: Language | str = LANGUAGE,
    title: str | None = None,
    key: str = "event_study",
) -> ChartSpec:
    """Figure 1: coefficients by relative year with 95% CI bars, a zero line and a line at the policy start.

    The omitted reference year is plotted at 0 without a bar.  The vertical
    line sits between -1 and 0 (x = -0.5), where treatment starts.
    """
    frame = pd.DataFrame({"r": np.asarray(rel_time, dtype=int), "b": estimate, "lo": ci_low, "hi": ci_high})
    if reference not in set(frame["r"]):
        frame = pd.concat([frame, pd.DataFrame({"r": [reference], "b": [0.0], "lo": [0.0], "hi": [0.0]})], ignore_index=True)
    frame = frame.sort_values("r").reset_index(drop=True)
    plus = (frame["hi"] - frame["b"]).fillna(0.0)
    minus = (frame["b"] - frame["lo"]).fillna(0.0)
    series = ChartSeries(
        label("coefficient", language),
        tuple(int(r) for r in frame["r"]),
        _floats(frame["b"]),
        style="markers",
        error_plus=tuple(float(v) for v in plus),
        error_minus=tuple(float(v) for v in minus),
        color=PALETTE[0],
    )
    r_min, r_max = int(frame["r"].min()), int(frame["r"].max())
    return ChartSpec(
        key=key,
        kind="scatter",
        title=title if title is not None else label("chart_event_study", language),
        x_title=label("relative_time", language),
        y_title=label("coefficient", language),
        series=(series,),
        reference_lines=(ReferenceLine("y", 0.0, "0"), ReferenceLine("x", -0.5, "-0.5")),
        x_min=float(min(r_min, -1) - 1),
        x_max=float(max(r_max, 0) + 1),
        x_major_unit=1.0,
        x_number_format="0",
        y_number_format="0.000",
        legend=False,
        language=str(language),
    )


def psm_density_charts(
    grid: Sequence[float],
    treated_before: Sequence[float],
    control_before: Sequence[float],
    treated_after: Sequence[float],
    control_after: Sequence[float],
    *,
    language: Language | str = LANGUAGE,
) -> tuple[ChartSpec, ChartSpec]:
    """Figure 2: kernel densities of the propensity score, treated vs control, before and after matching."""
    xs = tuple(float(v) for v in grid)
    # Panels (a) and (b) on one y scale, as the paper draws them, so the shapes compare at a glance.
    heights = [v for v in (*_floats(treated_before), *_floats(control_before), *_floats(treated_after),
                           *_floats(control_after)) if v is not None]
    _, y_top, _ = nice_bounds(heights or [1.0], 0.0)
    charts = []
    for key, treated, control in (("psm_before", treated_before, control_before), ("psm_after", treated_after, control_after)):
        charts.append(
            ChartSpec(
                key=key,
                kind="scatter",
                title=label(f"chart_{key}", language),
                x_title=label("propensity_score", language),
                y_title=label("density", language),
                series=(
                    ChartSeries(label("treatment_group", language), xs, _floats(treated), style="line", color=PALETTE[0], smooth=True),
                    ChartSeries(label("control_group", language), xs, _floats(control), style="line", color=PALETTE[1], dashed=True, smooth=True),
                ),
                x_min=0.0,
                x_max=1.0,
                y_min=0.0,
                y_max=y_top,
                x_number_format="0.0",
                y_number_format="0.0",
                width_cm=12.5,
                language=str(language),
                group="psm_density",
            )
        )
    return charts[0], charts[1]


def placebo_histogram_chart(
    placebo_estimates: Sequence[float],
    actual: float,
    *,
    bins: int = 30,
    language: Language | str = LANGUAGE,
    key: str = "placebo",
) -> ChartSpec:
    """Histogram of placebo coefficients with the actual estimate marked as a full-height bar.

    The bins span both the placebo draws and the actual estimate, so the
    marker is visible even far in the tail.
    """
    draws = np.asarray(placebo_estimates, dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        raise ValueError("no finite placebo estimates to plot")
    lo = float(min(draws.min(), actual))
    hi = float(max(draws.max(), actual))
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(draws, bins=bins, range=(lo, hi))
    centers = (edges[:-1] + edges[1:]) / 2
    actual_bin = min(int(np.searchsorted(edges, actual, side="right")) - 1, bins - 1)
    digits = max(2, int(-math.floor(math.log10((hi - lo) / bins))) + 1) if hi > lo else 4
    categories = tuple(f"{c:.{digits}f}" for c in centers)
    marker = tuple(float(counts.max()) if i == actual_bin else None for i in range(bins))
    return ChartSpec(
        key=key,
        kind="bar",
        title=label("chart_placebo", language),
        x_title=label("coefficient", language),
        y_title=label("frequency", language),
        series=(
            ChartSeries(label("placebo_estimates", language), categories, tuple(float(c) for c in counts), style="bar", color=PALETTE[3]),
            ChartSeries(f"{label('actual_estimate', language)} = {actual:.4f}", categories, marker, style="bar", color=PALETTE[1]),
        ),
        y_min=0.0,
        y_number_format="0",
        bar_overlap=100,
        bar_gap_width=10,
        language=str(language),
    )


def index_weights_chart(weights: pd.DataFrame, *, language: Language | str = LANGUAGE, key: str = "index_weights",
                        index_name: str = "") -> ChartSpec:
    """Horizontal bar chart of entropy weights by indicator (their names, not column names), one
    colour (series) per dimension; titled with the index's name.

    ``weights`` has columns ``indicator``, ``weight`` and optionally ``dimension``.
    """
    indicators = tuple(label(str(v), language) for v in weights["indicator"])
    values = [float(v) for v in weights["weight"]]
    if "dimension" in weights.columns and weights["dimension"].notna().any():
        dimensions = [str(d) if d is not None and not (isinstance(d, float) and math.isnan(d)) else "" for d in weights["dimension"]]
        series = []
        for j, dimension in enumerate(dict.fromkeys(dimensions)):
            ys = tuple(v if d == dimension else None for v, d in zip(values, dimensions))
            series.append(ChartSeries(label(dimension, language) if dimension else label("weight", language), indicators, ys,
                                      style="bar", color=PALETTE[j % len(PALETTE)]))
        overlap = 100
    else:
        series = [ChartSeries(label("weight", language), indicators, tuple(values), style="bar", color=PALETTE[0])]
        overlap = 0
    title = label("chart_index_weights", language)
    return ChartSpec(
        key=key,
        kind="bar",
        title=f"{label(index_name, language)}：{title}" if index_name and language == "zh" else (
            f"{label(index_name, language)}: {title}" if index_name else title),
        x_title=label("indicator", language),
        y_title=label("weight", language),
        series=tuple(series),
        y_min=0.0,
        y_major_unit=nice_step(max([v for v in values if math.isfinite(v)] or [1.0]), 5),
        y_number_format="0.00",
        bar_overlap=overlap,
        bar_gap_width=40,
        width_cm=22.0,
        height_cm=max(9.0, 0.62 * len(indicators) + 3.5),
        language=str(language),
        horizontal=True,
    )


def dimension_weights_chart(weights: pd.DataFrame, *, language: Language | str = LANGUAGE, key: str = "dimension_weights",
                            index_name: str = "") -> ChartSpec:
    """Bar chart of the summed weight of each dimension, titled with the index's name."""
    totals = weights.groupby("dimension", sort=False)["weight"].sum()
    title = label("chart_dimension_weights", language)
    return ChartSpec(
        key=key,
        kind="bar",
        title=f"{label(index_name, language)}：{title}" if index_name and language == "zh" else (
            f"{label(index_name, language)}: {title}" if index_name else title),
        x_title=label("dimension", language),
        y_title=label("weight", language),
        series=(ChartSeries(label("weight", language), tuple(label(str(d), language) for d in totals.index),
                            _floats(totals.to_numpy()), style="bar", color=PALETTE[0]),),
        y_min=0.0,
        y_number_format="0.00",
        legend=False,
        language=str(language),
    )


def trend_chart(
    periods: Sequence[int],
    treated_mean: Sequence[float],
    never_treated_mean: Sequence[float],
    *,
    outcome_label: str = "HQD",
    language: Language | str = LANGUAGE,
    key: str = "trend",
) -> ChartSpec:
    """Mean outcome by year for pilot cities and never-treated cities (lines with markers)."""
    xs = tuple(int(p) for p in periods)
    return ChartSpec(
        key=key,
        kind="scatter",
        title=label("chart_trend", language),
        x_title=label("year", language),
        y_title=outcome_label,
        series=(
            ChartSeries(label("treated_cities", language), xs, _floats(treated_mean), style="markers_line", color=PALETTE[0]),
            ChartSeries(label("never_treated", language), xs, _floats(never_treated_mean), style="markers_line", color=PALETTE[1], dashed=True),
        ),
        x_min=float(min(xs)) - 1 if xs else None,
        x_max=float(max(xs)) + 1 if xs else None,
        x_major_unit=1.0 if len(xs) <= 15 else None,
        x_number_format="0",
        y_number_format="0.000",
        language=str(language),
    )


@dataclass(frozen=True)
class EventTimeEstimates:
    """One estimator's effects by event time, for the comparison chart."""

    name: str
    event_time: tuple[int, ...]
    estimate: tuple[float | None, ...]
    ci_low: tuple[float | None, ...]
    ci_high: tuple[float | None, ...]


def _distance(upper: float | None, lower: float | None) -> float:
    """An error bar's length (0 where a bound or the point is missing, as for the reference period)."""
    return upper - lower if upper is not None and lower is not None else 0.0


# Each estimator's points sit this far left/right of their event time, so three CI bars stay apart.
COMPARISON_DODGE = 0.2


def event_time_comparison_chart(estimators: Sequence[EventTimeEstimates], *, window: tuple[int, int] | None = None,
                                language: Language | str = LANGUAGE, key: str = "event_time_comparison") -> ChartSpec:
    """TWFE, Callaway-Sant'Anna and Sun-Abraham effects by event time, each with its 95% CI bars.

    x is the event time; the estimators are dodged by ``COMPARISON_DODGE``
    around it (centred on the event time) so their bars do not hide each
    other.  ``window`` keeps the event times inside it (the event study's).
    """
    if not estimators:
        raise ValueError("no estimator to compare")
    offsets = [COMPARISON_DODGE * (j - (len(estimators) - 1) / 2) for j in range(len(estimators))]
    series = []
    shown: list[int] = []
    for j, (est, offset) in enumerate(zip(estimators, offsets)):
        keep = [i for i, e in enumerate(est.event_time) if window is None or window[0] <= e <= window[1]]
        ys = [est.estimate[i] for i in keep]
        plus = [_distance(est.ci_high[i], y) for i, y in zip(keep, ys)]
        minus = [_distance(y, est.ci_low[i]) for i, y in zip(keep, ys)]
        times = [est.event_time[i] for i in keep]
        shown += times
        series.append(ChartSeries(est.name, tuple(round(t + offset, 6) for t in times), tuple(ys), style="markers",
                                  error_plus=tuple(max(0.0, v) for v in plus),
                                  error_minus=tuple(max(0.0, v) for v in minus), color=PALETTE[j % len(PALETTE)]))
    lo, hi = (min(shown), max(shown)) if shown else (-1, 0)
    return ChartSpec(
        key=key, kind="scatter",
        title=label("chart_comparison", language),
        x_title=label("relative_time", language), y_title=label("effect", language),
        series=tuple(series), reference_lines=(ReferenceLine("y", 0.0, "0"), ReferenceLine("x", -0.5, "-0.5")),
        x_min=float(min(lo, -1) - 1), x_max=float(max(hi, 0) + 1), x_major_unit=1.0,
        x_number_format="0", y_number_format="0.000", width_cm=22.0, height_cm=10.0, language=str(language),
    )
