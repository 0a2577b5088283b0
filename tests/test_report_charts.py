"""Chart specifications: the paper's figures as data, and the cells each series plots from.

Reference numbers: event-study coefficients are the mpdta pooled TWFE values
of tests/reference/README.md (COMP); error-bar lengths follow from the CI by the formula
plus = ci_high - b, minus = b - ci_low.  Histogram counts are checked against
numpy.histogram over the same bins (a second route).

Tolerances: 1e-12 absolute for differences of the inputs (float subtraction);
SUM_REL = 1e-12 relative for the dimension totals (a pandas groupby sum of the
weights against decimal literals; pandas picks the summation method).
Values that are copies of the inputs (coefficients, counts, the reference 0.0)
are compared exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlcbec.report.charts import (
    ChartSeries,
    ChartSpec,
    ReferenceLine,
    data_block,
    dimension_weights_chart,
    event_study_chart,
    index_weights_chart,
    nice_bounds,
    placebo_histogram_chart,
    psm_density_charts,
    trend_chart,
)

ABS = 1e-12
SUM_REL = 1e-12
R = [-4, -3, -2, 0, 1, 2, 3]
B = [0.003549, 0.024624, 0.023355, -0.018144, -0.043472, -0.131795, -0.092247]
SE = [0.022829, 0.017679, 0.013437, 0.010982, 0.017577, 0.028837, 0.032336]


def event_chart(language="en"):
    q = 1.96
    return event_study_chart(R, B, [b - q * s for b, s in zip(B, SE)], [b + q * s for b, s in zip(B, SE)], language=language)


def test_event_study_adds_the_reference_year_and_ci_bars():
    chart = event_chart()
    series = chart.series[0]
    assert series.x == (-4, -3, -2, -1, 0, 1, 2, 3)
    assert series.y[3] == 0.0 and series.error_plus[3] == 0.0 and series.error_minus[3] == 0.0
    for i, (b, s) in enumerate(zip(B, SE)):
        k = i if i < 3 else i + 1
        assert series.y[k] == b
        assert series.error_plus[k] == pytest.approx(1.96 * s, abs=ABS)
        assert series.error_minus[k] == pytest.approx(1.96 * s, abs=ABS)
    assert chart.reference_lines == (ReferenceLine("y", 0.0, "0"), ReferenceLine("x", -0.5, "-0.5"))


def test_reference_lines_span_the_axes():
    chart = event_chart()
    scale = chart.scale()
    assert (scale.x_min, scale.x_max, scale.x_step) == (-5.0, 4.0, 1.0)
    lowest = min(b - 1.96 * s for b, s in zip(B, SE))
    highest = max(b + 1.96 * s for b, s in zip(B, SE))
    assert scale.y_min <= lowest and scale.y_max >= highest
    zero, start = chart.plotted_series()[1:]
    assert zero.reference and zero.x == (scale.x_min, scale.x_max) and zero.y == (0.0, 0.0)
    assert start.x == (-0.5, -0.5) and start.y == (scale.y_min, scale.y_max)


@given(
    lo=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
    span=st.floats(min_value=1e-6, max_value=1e3, allow_nan=False),
)
def test_nice_bounds_contain_the_data_on_round_ticks(lo, span):
    hi = lo + span
    low, high, step = nice_bounds([lo, hi])
    assert low <= lo and high >= hi
    assert (high - low) / step <= 13  # about six intervals, never a crowded axis
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-9


def test_scatter_data_block_places_each_series():
    rows, placed = data_block(event_chart())
    assert rows[0][:4] == ["Coefficient: Years relative to pilot", "Coefficient", "Coefficient: +", "Coefficient: -"]
    first = placed[0]
    assert (first.x, first.y, first.plus, first.minus, first.n) == (0, 1, 2, 3, 8)
    assert [r[first.x] for r in rows[1:]] == [-4, -3, -2, -1, 0, 1, 2, 3]
    zero = placed[1]
    assert zero.n == 2 and zero.plus is None and rows[3][zero.x] is None  # shorter columns end with blanks


def test_placebo_histogram_counts_and_marker():
    draws = np.random.default_rng(20240101).normal(0.0, 0.004, 500)
    actual = 0.0107  # Table 4 column (2) coefficient, well in the tail
    chart = placebo_histogram_chart(draws, actual, bins=25)
    counts, edges = np.histogram(draws, bins=25, range=(min(draws.min(), actual), max(draws.max(), actual)))
    assert chart.series[0].y == tuple(float(c) for c in counts)
    assert sum(chart.series[0].y) == 500
    marker = [i for i, v in enumerate(chart.series[1].y) if v is not None]
    (expected_bin,) = np.flatnonzero((edges[:-1] <= actual) & (actual <= edges[1:]))[-1:]
    assert marker == [int(expected_bin)] and chart.series[1].y[marker[0]] == float(counts.max())
    tail = placebo_histogram_chart(draws, 0.05, bins=25)  # far beyond every draw: the last bin
    assert [i for i, v in enumerate(tail.series[1].y) if v is not None] == [24]
    assert "0.0107" in chart.series[1].name
    assert chart.kind == "bar" and chart.bar_overlap == 100


def test_index_weights_by_dimension():
    weights = pd.DataFrame({"indicator": ["a", "b", "c"], "dimension": ["Innovation", "Green", "Innovation"], "weight": [0.5, 0.2, 0.3]})
    chart = index_weights_chart(weights)
    assert [s.name for s in chart.series] == ["Innovation", "Green"]
    assert chart.series[0].y == (0.5, None, 0.3) and chart.series[1].y == (None, 0.2, None)
    totals = dimension_weights_chart(weights)
    assert totals.series[0].x == ("Innovation", "Green")
    assert totals.series[0].y == pytest.approx((0.8, 0.2), rel=SUM_REL)  # 0.5 + 0.3 by groupby sum
    rows, placed = data_block(chart)
    assert rows[0] == ["Indicator", "Innovation", "Green"] and [p.y for p in placed] == [1, 2]


def test_psm_and_trend_charts():
    grid = np.linspace(0, 1, 5)
    before, after = psm_density_charts(grid, grid, 1 - grid, grid, grid, language="zh")
    assert before.title == "匹配前倾向得分核密度" and after.key == "psm_after" and before.language == "zh"
    assert before.series[0].smooth and before.x_min == 0.0 and before.x_max == 1.0
    trend = trend_chart([2010, 2011], [0.1, 0.2], [0.1, np.nan])
    assert trend.series[1].y == (0.1, None)  # a missing mean is a gap, not NaN


def test_specs_reject_inconsistent_data():
    with pytest.raises(ValueError, match="2 x values but 1 y values"):
        ChartSeries("s", (1, 2), (1.0,))
    with pytest.raises(ValueError, match="share their categories"):
        ChartSpec("k", "bar", "t", "x", "y", (ChartSeries("a", ("p",), (1.0,)), ChartSeries("b", ("q",), (1.0,))))
    with pytest.raises(ValueError, match="reference lines need a scatter"):
        ChartSpec("k", "bar", "t", "x", "y", (ChartSeries("a", ("p",), (1.0,)),), reference_lines=(ReferenceLine("y", 0.0),))
