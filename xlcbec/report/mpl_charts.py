"""Charts for the Word report: the sheets' :class:`~xlcbec.report.charts.ChartSpec` drawn with matplotlib.

One specification, two renderers: the workbook backends draw a spec as a
native Excel chart, this module draws the same spec (series, error bars,
reference lines, axis bounds and number formats) as a PNG.  matplotlib is
imported here only, and only the report command imports this module; the
Agg canvas is used directly (no pyplot, no global backend switch).

Chinese labels need a CJK font.  :data:`CJK_FONTS` lists the usual ones of
Windows, macOS and Linux; the first one installed is used, with DejaVu Sans
behind it for Latin text.  When none is installed, :func:`render_png`
raises :class:`MissingCJKFont` for a spec with Chinese text, so the caller can
warn and draw the English version instead of boxes ("tofu").
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from xlcbec.report.charts import ChartSeries, ChartSpec
from xlcbec.report.formats import display

# In order of preference: Windows (Microsoft YaHei, SimHei), macOS (PingFang SC, Hiragino Sans GB, Heiti SC),
# Linux (Noto Sans CJK SC from fonts-noto-cjk; Source Han Sans SC, WenQuanYi as other distributions ship them).
CJK_FONTS: tuple[str, ...] = (
    "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Noto Sans CJK SC",
    "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK JP",
)
LATIN_FONT = "DejaVu Sans"  # ships with matplotlib
DPI = 200
CM_PER_INCH = 2.54


class MissingCJKFont(Exception):
    """A chart has Chinese text and no CJK font is installed."""


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first font of :data:`CJK_FONTS` that matplotlib finds on this machine, or None."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def has_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def _texts(spec: ChartSpec) -> list[str]:
    return [spec.title, spec.x_title, spec.y_title, *(s.name for s in spec.series),
            *(str(x) for s in spec.series for x in s.x if isinstance(x, str))]


def _color(series: ChartSeries, index: int) -> str:
    from xlcbec.report.charts import PALETTE

    return "#" + (series.color or PALETTE[index % len(PALETTE)])


def _formatter(number_format: str | None) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: display(value, number_format)) if number_format else None


def _draw_scatter(ax: Any, spec: ChartSpec) -> None:
    scale = spec.scale()
    for index, series in enumerate(spec.series):
        xs = [float(x) for x in series.x]
        ys = [math.nan if y is None else float(y) for y in series.y]
        color = _color(series, index)
        style = "--" if series.dashed else "-"
        if series.error_plus is not None or series.error_minus is not None:
            minus = series.error_minus or series.error_plus or ()
            plus = series.error_plus or series.error_minus or ()
            ax.errorbar(xs, ys, yerr=[list(minus), list(plus)], fmt="o", color=color, ecolor=color, elinewidth=1.0,
                        capsize=3, markersize=4, label=series.name,
                        linestyle=style if series.style in ("line", "markers_line") else "none")
        elif series.style == "markers":
            ax.plot(xs, ys, "o", color=color, markersize=4, label=series.name)
        elif series.style == "markers_line":
            ax.plot(xs, ys, marker="o", linestyle=style, color=color, markersize=4, linewidth=1.2, label=series.name)
        else:
            ax.plot(xs, ys, linestyle=style, color=color, linewidth=1.4, label=series.name)
    for line in spec.reference_lines:
        draw = ax.axhline if line.axis == "y" else ax.axvline
        draw(line.value, color="#7F7F7F", linestyle="--", linewidth=0.8, zorder=0)
    ax.set_xlim(scale.x_min, scale.x_max)
    ax.set_ylim(scale.y_min, scale.y_max)
    if spec.x_major_unit:
        from matplotlib.ticker import MultipleLocator

        ax.xaxis.set_major_locator(MultipleLocator(spec.x_major_unit))


def _draw_categories(ax: Any, spec: ChartSpec) -> None:
    """Bar and line charts: categories along x, one bar (or line) per series."""
    categories = [str(c) for c in spec.series[0].x]
    positions = list(range(len(categories)))
    n = len(spec.series)
    overlaid = spec.kind == "bar" and spec.bar_overlap >= 100
    group = 1.0 / (1.0 + spec.bar_gap_width / 100.0)
    width = group if overlaid or n == 1 else group / n
    for index, series in enumerate(spec.series):
        ys = [math.nan if y is None else float(y) for y in series.y]
        color = _color(series, index)
        if spec.kind == "bar":
            offset = 0.0 if overlaid or n == 1 else (index - (n - 1) / 2) * width
            ax.bar([p + offset for p in positions], [0.0 if math.isnan(y) else y for y in ys], width=width,
                   color=color, label=series.name, zorder=2)
        else:
            ax.plot(positions, ys, marker="o", color=color, linestyle="--" if series.dashed else "-",
                    markersize=4, label=series.name)
    step = max(1, math.ceil(len(categories) / 12))  # at most about a dozen labels along the axis
    ax.set_xticks(positions[::step])
    longest = max((len(c) for c in categories), default=0)
    ax.set_xticklabels(categories[::step], rotation=45 if longest > 6 or len(categories) > 8 else 0,
                       ha="right" if longest > 6 or len(categories) > 8 else "center")
    if spec.y_min is not None:
        ax.set_ylim(bottom=spec.y_min)
    if spec.y_max is not None:
        ax.set_ylim(top=spec.y_max)


def _draw(ax: Any, spec: ChartSpec) -> None:
    if spec.kind == "scatter":
        _draw_scatter(ax, spec)
    else:
        _draw_categories(ax, spec)
    ax.set_xlabel(spec.x_title)
    ax.set_ylabel(spec.y_title)
    for axis, number_format in ((ax.xaxis, spec.x_number_format), (ax.yaxis, spec.y_number_format)):
        formatter = _formatter(number_format)
        if formatter is not None and not (axis is ax.xaxis and spec.kind != "scatter"):
            axis.set_major_formatter(formatter)
    ax.grid(axis="y", color="#D9D9D9", linewidth=0.6, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    shown = [s for s in spec.series if not s.reference]
    if spec.legend and len(shown) > 1:
        ax.legend(frameon=False, fontsize=8)


def render_png(specs: ChartSpec | Sequence[ChartSpec], *, size_cm: tuple[float, float] | None = None,
               panel_labels: Sequence[str] = ()) -> bytes:
    """One chart, or several side by side on a shared y scale (panels (a), (b)), as PNG bytes.

    ``size_cm`` (width, height) is the size the picture is shown at (default: the spec's), so text keeps its size.

    Raises :class:`MissingCJKFont` when a spec has Chinese text and no CJK font is installed.
    """
    from matplotlib.figure import Figure

    charts = [specs] if isinstance(specs, ChartSpec) else list(specs)
    font = cjk_font()
    if font is None and any(has_cjk(text) for spec in charts for text in _texts(spec)):
        raise MissingCJKFont(", ".join(CJK_FONTS[:6]))
    rc: dict[str, Any] = {"font.family": "sans-serif", "font.sans-serif": [f for f in (font, LATIN_FONT) if f],
          "axes.unicode_minus": False, "font.size": 9}
    from matplotlib import rc_context

    with rc_context(rc):  # type: ignore[arg-type]  # matplotlib types the keys as a Literal of every rc name
        if size_cm is not None:
            width, height = size_cm
        else:
            width = min(sum(spec.width_cm for spec in charts), 32.0)
            height = max(spec.height_cm for spec in charts)
        figure = Figure(figsize=(width / CM_PER_INCH, height / CM_PER_INCH), dpi=DPI)
        axes = figure.subplots(1, len(charts), sharey=len(charts) > 1, squeeze=False)[0]
        for index, (ax, spec) in enumerate(zip(axes, charts)):
            _draw(ax, spec)
            if len(charts) > 1:
                prefix = panel_labels[index] if index < len(panel_labels) else f"({chr(ord('a') + index)})"
                ax.set_title(f"{prefix} {spec.title}", fontsize=9)
        if len(charts) > 1:
            # One scale for all panels (the axes share y, so the last panel's own bounds would win): the union.
            scales = [spec.scale() for spec in charts]
            axes[0].set_ylim(min(s.y_min for s in scales), max(s.y_max for s in scales))
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
