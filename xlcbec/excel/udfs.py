"""Worksheet functions: the paper's measures as Excel formulas (``=CBEC_DID(...)``).

Each function takes the raw values Excel passes (see :mod:`xlcbec.excel.udf_inputs`),
converts them explicitly, calls :mod:`xlcbec.core` and returns plain Python
numbers: a scalar, or a list of rows that Excel spills.  Bad input comes back
as the text ``#XLCBEC: <message>`` in the cell.  The docstring of each
function is its help text in Excel's function wizard (xlwings shows the first
255 characters), and each argument carries its own help line (``ARG_DOCS``).

Loading this module imports only xlwings and the standard library; numpy,
pandas and the estimation core are imported by the first call, so opening a
workbook does not wait for the statistics stack.

Annotations: on Windows xlwings reads each annotation as the converter for
that argument, so every argument and result is annotated with ``Any`` under
the names below.  ``Any`` is xlwings' default converter: values as Excel gives
them (numbers, text, bools, None for blanks; a range as a list of rows with
``ndim=2``), which the functions then convert themselves.  A union or a
parametrised type would make xlwings fail when it registers the functions.

Excel sees these functions through VBA wrappers that ``xlcbec addin build``
generates from this module (:mod:`xlcbec.addin_build.udf_wrappers`) and puts
into the add-in, with their category ``xlcbec`` and help, so they are in
Insert Function from the first start.  Excel 2016 and 2019 have no dynamic
arrays: a function returning several values shows only the first unless it is
entered as an array formula over exactly the cells of its result (select them,
type the formula, Ctrl+Shift+Enter); each help text gives that range.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import xlwings as xw

from xlcbec.core.options import ENTROPY_SHIFT, STARS  # light: no numerical libraries
from xlcbec.errors import InputError
from xlcbec.excel.udf_inputs import (
    Grid,
    binary,
    column,
    excel_errors,
    grid,
    is_blank,
    label,
    matrix,
    number,
    number_column,
    number_matrix,
    option_text,
    required_number,
    result_number,
    same_length,
    shown,
    single,
    where,
)

ExcelRange = Any
"""A range argument: rows of cells (requested with ``ndim=2``), or a single value."""
ExcelValue = Any
"""A single-cell argument: a number, text, bool, None (blank) or a 1 x 1 range."""
ExcelResult = Any
"""A number, a text (``#XLCBEC: ...`` on failure) or rows of values to spill."""

_F = TypeVar("_F", bound=Callable[..., Any])

CATEGORY = "xlcbec"
_LIST_SPLIT = re.compile(r"[,;\s]+")

# Help lines of the arguments in Excel's function wizard (at most 255 characters each).
ARG_DOCS = {
    "indicators": "Indicator values: one row per city-year, one column per indicator (numbers only, no header).",
    "directions": 'One "+" (more is better) or "-" (less is better) per indicator column; 1 / -1 also work.',
    "shift": "Constant added to the standardised values before the shares (default 0.0001).",
    "y": "Outcome column, one row per unit-period.",
    "treat": "Treatment column: 1 treated (from the pilot year on), 0 untreated; TRUE/FALSE also work.",
    "unit": "Unit (city) column: names or codes, for the unit fixed effects.",
    "time": "Period (year) column, for the time fixed effects.",
    "controls": "Optional control variables: one column per control, same rows as y.",
    "cluster": 'Optional cluster column (default: the unit); or "robust" (HC1) or "none" (conventional SEs).',
    "a": "Effect of CBEC on the mediator (step 1 coefficient).",
    "se_a": "Standard error of a.",
    "b": "Effect of the mediator on the outcome (step 2 coefficient).",
    "se_b": "Standard error of b.",
    "method": 'Test: "sobel" (default), "aroian" or "goodman".',
    "covariates": "Covariates: one column per variable, same rows as treat.",
    "model": '"probit" (default, as psmatch2) or "logit".',
    "sector_employment": "Employment per service sector: one row per city (one year), one column per sector.",
    "total_employment": "Total employment of each city, same rows.",
    "s": "Savings rate, in (0, 1].",
    "A": "Technology level, > 0.",
    "L": "Labour input, > 0.",
    "alpha": "Capital elasticity, strictly between 0 and 1.",
    "delta": "Depreciation rate, > 0.",
    "T": "Optional transaction-cost term, > 0 (default 1).",
    "gamma": "Optional elasticity of output to T (default 0: the model without transaction costs).",
    "p": "p-value(s), between 0 and 1; a range gives a range of stars.",
    "thresholds": 'Optional levels for *, **, *** (default 0.1, 0.05, 0.01): cells, or one text "0.1, 0.05, 0.01".',
}


def _ranges(*names: str) -> Callable[[_F], _F]:
    """Range arguments: always a list of rows; Excel errors as their text, so they are named, not read as blanks."""
    return _arguments(names, ndim=2, err_to_str=True)


def _cells(*names: str) -> Callable[[_F], _F]:
    """Single-value arguments: a cell or a typed constant, passed as is."""
    return _arguments(names, err_to_str=True)


def _arguments(names: Sequence[str], **options: Any) -> Callable[[_F], _F]:
    def decorate(function: _F) -> _F:
        for name in reversed(names):
            function = xw.arg(name, doc=ARG_DOCS[name], **options)(function)
        return function

    return decorate


# ---------------------------------------------------------------------------
# Composite index by the entropy weight method (docs/methods.md section 2)


@xw.func(category=CATEGORY)
@_ranges("indicators", "directions")
@_cells("shift")
@excel_errors
def CBEC_ENTROPY(indicators: ExcelRange, directions: ExcelRange, shift: ExcelValue = None) -> ExcelResult:
    """Entropy-weight composite index (0 to 1) of each row, spilled as a column. \
Indicators are min-max standardised over all rows; a row with a blank gets a blank. \
Excel 2016/2019: select n x 1 cells (n = rows of indicators), Ctrl+Shift+Enter."""
    values, present, result = _entropy(indicators, directions, shift)
    scores = result.scores.to_numpy()
    return [[result_number(scores[i], "index score") if present[i] else None] for i in range(len(values))]


@xw.func(category=CATEGORY)
@_ranges("indicators", "directions")
@_cells("shift")
@excel_errors
def CBEC_ENTROPY_WEIGHTS(indicators: ExcelRange, directions: ExcelRange, shift: ExcelValue = None) -> ExcelResult:
    """Entropy weights of the indicator columns (they sum to 1), spilled as a row under the indicators. \
Same method and inputs as CBEC_ENTROPY. \
Excel 2016/2019: select 1 x k cells (k = indicator columns), Ctrl+Shift+Enter."""
    _, _, result = _entropy(indicators, directions, shift)
    return [[result_number(w, "entropy weight") for w in result.weights.to_numpy()]]


def _entropy(indicators: ExcelRange, directions: ExcelRange, shift: ExcelValue) -> tuple[Grid, list[bool], Any]:
    """(the indicator values, which rows have every indicator, the core's EntropyResult)."""
    values = number_matrix(indicators, "indicators")
    width = len(values[0])
    signs = _directions(directions, width)
    shift_cell = single(shift, "shift")
    shift_value = number(shift_cell, "shift")

    import pandas as pd

    from xlcbec.core.index.entropy import entropy_index

    names = [f"indicator {j}" for j in range(1, width + 1)]
    columns = {name: _floats([row[j] for row in values]) for j, name in enumerate(names)}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, len(values) + 1))
    result = entropy_index(frame, names, signs, shift=ENTROPY_SHIFT if shift_value is None else shift_value, name="index")
    present = [all(v is not None for v in row) for row in values]
    return values, present, result


def _directions(value: ExcelRange, width: int) -> list[Any]:
    """One ``+``/``-`` per indicator, from a row or column of cells, 1/-1, or one text "+, +, -"."""
    cells = column(value, "directions")
    if len(cells) == 1 and isinstance(cells[0], str) and len(_split_list(cells[0])) > 1:
        cells = list(_split_list(cells[0]))
    if len(cells) != width:
        raise InputError(
            f"directions: expected one direction per indicator column ({width}), found {len(cells)}",
            fix='give "+" or "-" for every indicator column, in the same order',
        )
    signs: list[Any] = []  # "+" / "-": the core's Direction literal
    for j, cell in enumerate(cells, start=1):
        if isinstance(cell, str) and cell.strip() in ("+", "-"):
            signs.append(cell.strip())
        elif isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell in (1, -1):
            signs.append("+" if cell == 1 else "-")
        else:
            found = "a blank" if is_blank(cell) else shown(cell)
            raise InputError(
                f"{where('directions', j)}: expected + or -, found {found}",
                fix='write "+" (more is better) or "-" (less is better), or 1 / -1',
            )
    return signs


def _split_list(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text.strip()) if part]


# ---------------------------------------------------------------------------
# Two-way fixed-effects DID (docs/methods.md section 3)


@xw.func(category=CATEGORY)
@_ranges("y", "treat", "unit", "time", "controls", "cluster")
@excel_errors
def CBEC_DID(
    y: ExcelRange,
    treat: ExcelRange,
    unit: ExcelRange,
    time: ExcelRange,
    controls: ExcelRange = None,
    cluster: ExcelRange = None,
) -> ExcelResult:
    """Two-way fixed-effects DID effect as a row: coefficient, SE, t, p, N. \
SEs clustered by unit (Stata xtreg/reghdfe small-sample rule), p from t(G-1). Rows with a blank are dropped. \
Excel 2016/2019: select 1 x 5 cells, Ctrl+Shift+Enter."""
    outcome = number_column(y, "y")
    treated = [binary(cell, where("treat", i)) for i, cell in enumerate(column(treat, "treat"), start=1)]
    units = [label(cell, where("unit", i)) for i, cell in enumerate(column(unit, "unit"), start=1)]
    periods = [label(cell, where("time", i)) for i, cell in enumerate(column(time, "time"), start=1)]
    lengths: dict[str, Sequence[Any]] = {"y": outcome, "treat": treated, "unit": units, "time": periods}
    control_rows: Grid = []
    if not _omitted(controls):
        control_rows = number_matrix(controls, "controls")
        lengths["controls"] = control_rows
    vcov, clusters = _cluster_option(cluster)
    if clusters is not None:
        lengths["cluster"] = clusters
    n = same_length(lengths)
    if not any(all(values[i] is not None for values in (outcome, treated, units, periods)) for i in range(n)):
        raise InputError("no row has all of y, treat, unit and time filled in", fix="select the ranges holding the panel's data")

    import pandas as pd

    from xlcbec.core.twfe import fit_twfe

    control_names = [f"control {j}" for j in range(1, (len(control_rows[0]) if control_rows else 0) + 1)]
    columns: dict[str, Any] = {
        "y": _floats(outcome),
        "treat": _floats(treated),
        "unit": pd.Series(units, dtype=object).to_numpy(),
        "time": pd.Series(periods, dtype=object).to_numpy(),
    }
    for j, name in enumerate(control_names):
        columns[name] = _floats([row[j] for row in control_rows])
    if clusters is not None:
        columns["cluster"] = pd.Series(clusters, dtype=object).to_numpy()
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, n + 1))
    result = fit_twfe(
        frame,
        outcome="y",
        regressors=["treat", *control_names],
        unit="unit",
        time="time",
        cluster=None if vcov != "cluster" else "unit" if clusters is None else "cluster",
        vcov=vcov,
        small_sample="stata",
    )
    return [
        [
            result_number(result.params["treat"], "DID coefficient"),
            result_number(result.std_errors["treat"], "standard error"),
            result_number(result.tstats["treat"], "t statistic"),
            result_number(result.pvalues["treat"], "p-value"),
            int(result.nobs),
        ]
    ]


def _omitted(value: ExcelRange) -> bool:
    """An optional range left out: omitted, or a single blank cell."""
    rows = grid(value, "argument")
    return not rows or (len(rows) == 1 and len(rows[0]) == 1 and is_blank(rows[0][0]))


def _cluster_option(value: ExcelRange) -> tuple[Any, list[Any] | None]:
    """(vcov, cluster labels or None): a column of clusters, or the words robust / none."""
    if _omitted(value):
        return "cluster", None
    rows = grid(value, "cluster")
    if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], str):
        word = rows[0][0].strip().lower()
        if word in ("robust", "none", "iid"):
            return ("robust" if word == "robust" else "iid"), None
    labels = [label(cell, where("cluster", i)) for i, cell in enumerate(column(value, "cluster"), start=1)]
    return "cluster", labels


def _floats(values: Sequence[float | None]) -> Any:
    """A float array with NaN for blanks (the core's missing value)."""
    import numpy as np

    return np.array([np.nan if v is None else v for v in values], dtype=float)


# ---------------------------------------------------------------------------
# Mediation: tests of the indirect effect (docs/methods.md section 7)


@xw.func(category=CATEGORY)
@_cells("a", "se_a", "b", "se_b", "method")
@excel_errors
def CBEC_SOBEL(a: ExcelValue, se_a: ExcelValue, b: ExcelValue, se_b: ExcelValue, method: ExcelValue = None) -> ExcelResult:
    """Test of the indirect effect a*b, as a row: z and its two-sided normal p-value. \
Sobel z = ab / sqrt(b^2 se_a^2 + a^2 se_b^2); Aroian adds se_a^2 se_b^2, Goodman subtracts it. \
Excel 2016/2019: select 1 x 2 cells, Ctrl+Shift+Enter."""
    given = {"a": a, "se_a": se_a, "b": b, "se_b": se_b}
    a_, se_a_, b_, se_b_ = (required_number(single(value, name), name) for name, value in given.items())
    test: Any = option_text(method, "method", default="sobel", allowed=("sobel", "aroian", "goodman"))

    from xlcbec.core.did.sobel import sobel_p, sobel_z

    z = sobel_z(a_, se_a_, b_, se_b_, method=test)
    p = sobel_p(a_, se_a_, b_, se_b_, method=test)
    return [[result_number(z, "z statistic"), result_number(p, "p-value")]]


# ---------------------------------------------------------------------------
# Propensity score (docs/methods.md section 5)


@xw.func(category=CATEGORY)
@_ranges("treat", "covariates")
@_cells("model")
@excel_errors
def CBEC_PSCORE(treat: ExcelRange, covariates: ExcelRange, model: ExcelValue = None) -> ExcelResult:
    """Propensity score of each row, spilled as a column: probability of treatment from a probit \
(default) or logit on the covariates and a constant. A row with a blank gets a blank. \
Excel 2016/2019: select n x 1 cells (n = rows of treat), Ctrl+Shift+Enter."""
    treated = [binary(cell, where("treat", i)) for i, cell in enumerate(column(treat, "treat"), start=1)]
    covariate_rows = number_matrix(covariates, "covariates")
    n = same_length({"treat": treated, "covariates": covariate_rows})
    score_model: Any = option_text(model, "model", default="probit", allowed=("probit", "logit"))

    import pandas as pd

    from xlcbec.core.psm.pscore import fit_score

    names = [f"covariate {j}" for j in range(1, len(covariate_rows[0]) + 1)]
    columns: dict[str, Any] = {"treat": _floats(treated)}
    for j, name in enumerate(names):
        columns[name] = _floats([row[j] for row in covariate_rows])
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, n + 1))
    scores = fit_score(frame, treatment="treat", covariates=names, model=score_model).scores
    return [[result_number(scores[i], "propensity score") if i in scores.index else None] for i in frame.index]


# ---------------------------------------------------------------------------
# Location quotient of productive services (paper eq. 12)


@xw.func(category=CATEGORY)
@_ranges("sector_employment", "total_employment")
@excel_errors
def CBEC_LQ(sector_employment: ExcelRange, total_employment: ExcelRange) -> ExcelResult:
    """Location quotient of the pooled service sectors per city (one year), as a column: \
(city's sector jobs / all cities' sector jobs) / (city's jobs / all jobs); a row with a blank gets a blank. \
Excel 2016/2019: select n x 1 cells (n rows), Ctrl+Shift+Enter."""
    sectors = number_matrix(sector_employment, "sector_employment")
    totals = number_column(total_employment, "total_employment")
    n = same_length({"sector_employment": sectors, "total_employment": totals})

    import pandas as pd

    from xlcbec.core.index.location_quotient import location_quotient

    names = [f"sector {j}" for j in range(1, len(sectors[0]) + 1)]
    columns: dict[str, Any] = {name: _floats([row[j] for row in sectors]) for j, name in enumerate(names)}
    columns["total"] = _floats(totals)
    columns["period"] = 1  # one cross-section: the national sums run over every row
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, n + 1))
    quotients = location_quotient(frame, names, "total", time="period", name="LQ").to_numpy()
    present = [all(v is not None for v in row) and totals[i] is not None for i, row in enumerate(sectors)]
    return [[result_number(quotients[i], "location quotient") if present[i] else None] for i in range(n)]


# ---------------------------------------------------------------------------
# Solow steady state (paper eqs. 4, 6, 7)


@xw.func(category=CATEGORY)
@_ranges("s", "A", "L", "alpha", "delta", "T", "gamma")
@excel_errors
def CBEC_SOLOW_K(
    s: ExcelRange,
    A: ExcelRange,
    L: ExcelRange,
    alpha: ExcelRange,
    delta: ExcelRange,
    T: ExcelRange = None,
    gamma: ExcelRange = None,
) -> ExcelResult:
    """Steady-state capital K* = (s A L^(1-alpha) T^gamma / delta)^(1/(1-alpha)). \
Ranges give an array (Excel broadcasting): in Excel 2016/2019 select the cells of the broadcast shape, Ctrl+Shift+Enter."""
    from xlcbec.core.solow import steady_state_capital

    return _solow(steady_state_capital, "steady-state capital", s=s, A=A, L=L, alpha=alpha, delta=delta, T=T, gamma=gamma)


@xw.func(category=CATEGORY)
@_ranges("s", "A", "L", "alpha", "delta", "T", "gamma")
@excel_errors
def CBEC_SOLOW_Y(
    s: ExcelRange,
    A: ExcelRange,
    L: ExcelRange,
    alpha: ExcelRange,
    delta: ExcelRange,
    T: ExcelRange = None,
    gamma: ExcelRange = None,
) -> ExcelResult:
    """Steady-state output Y* = A K*^alpha L^(1-alpha) T^gamma, K* as in CBEC_SOLOW_K. \
Ranges give an array (Excel broadcasting): in Excel 2016/2019 select the cells of the broadcast shape, Ctrl+Shift+Enter."""
    from xlcbec.core.solow import steady_state_output

    return _solow(steady_state_output, "steady-state output", s=s, A=A, L=L, alpha=alpha, delta=delta, T=T, gamma=gamma)


def _solow(function: Callable[..., Any], what: str, **raw: ExcelRange) -> ExcelResult:
    """Every argument a number or a range of numbers (no blanks); the core broadcasts them."""
    import numpy as np

    arrays: dict[str, Any] = {}
    for name, value in raw.items():
        if name in ("T", "gamma") and _omitted(value):
            continue  # the core's defaults: T = 1, gamma = 0
        cells = matrix(value, name)
        arrays[name] = np.array(
            [
                [required_number(cell, where(name, i, j) if _many(cells) else name) for j, cell in enumerate(row, start=1)]
                for i, row in enumerate(cells, start=1)
            ],
            dtype=float,
        )
    with np.errstate(all="ignore"):  # overflow shows as a non-finite result, reported by _spill
        result = np.asarray(function(**arrays), dtype=float)
    return _spill(result, what)


def _many(rows: Grid) -> bool:
    return len(rows) > 1 or len(rows[0]) > 1


def _spill(result: Any, what: str) -> ExcelResult:
    """A 1 x 1 result as a number, anything else as rows (all finite, else a message)."""
    table = result.reshape(result.shape[0], -1) if result.ndim else result.reshape(1, 1)
    rows = [[result_number(v, what) for v in row] for row in table.tolist()]
    return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


# ---------------------------------------------------------------------------
# Significance stars (docs/methods.md section 11)


@xw.func(category=CATEGORY)
@_ranges("p", "thresholds")
@excel_errors
def CBEC_STARS(p: ExcelRange, thresholds: ExcelRange = None) -> ExcelResult:
    """Significance stars for a p-value: "***" if p < 0.01, "**" if p < 0.05, "*" if p < 0.1, else "" \
(levels adjustable). A blank p gives "". A range gives a range: in Excel 2016/2019 select as many cells, Ctrl+Shift+Enter."""
    levels = _star_levels(thresholds)
    cells = grid(p, "p")
    if not cells:
        return ""
    out: list[list[str]] = []
    for i, row in enumerate(cells, start=1):
        out_row = []
        for j, cell in enumerate(row, start=1):
            at = where("p", i, j) if _many(cells) else "p"
            value = number(cell, at)
            if value is None:
                out_row.append("")
            elif 0.0 <= value <= 1.0:
                out_row.append(stars(value, levels))
            else:
                raise InputError(
                    f"{at}: a p-value lies between 0 and 1, found {value:g}",
                    fix="give the p-value, not the coefficient or the t statistic",
                )
        out.append(out_row)
    return out[0][0] if len(out) == 1 and len(out[0]) == 1 else out


def stars(p: float, levels: Sequence[float] = STARS) -> str:
    """One star for each level that ``p`` is strictly below (Stata esttab's convention)."""
    return "*" * sum(1 for level in levels if p < level)


def _star_levels(value: ExcelRange) -> tuple[float, ...]:
    """One to three distinct levels in (0, 1), loosest first; text may list them and use percent."""
    if _omitted(value):
        return STARS
    fix = 'give one to three levels between 0 and 1, such as 0.1, 0.05, 0.01 (cells, or one text "0.1, 0.05, 0.01")'
    cells = [cell for row in grid(value, "thresholds") for cell in row if not is_blank(cell)]
    if len(cells) == 1 and isinstance(cells[0], str):
        cells = list(_split_list(cells[0]))
    levels = []
    for cell in cells:
        percent = isinstance(cell, str) and cell.strip().endswith("%")
        level = number(cell.strip().rstrip("%") if percent else cell, "thresholds")
        if level is None:
            continue
        level = level / 100.0 if percent else level
        if not 0.0 < level < 1.0:
            raise InputError(f"thresholds: each level must lie strictly between 0 and 1, found {shown(cell)}", fix=fix)
        levels.append(level)
    if not 1 <= len(levels) <= 3 or len(set(levels)) != len(levels):
        raise InputError(f"thresholds: expected one to three different levels, found {len(levels)}: {levels}", fix=fix)
    # The loosest level earns one star, the strictest three, whatever the order given.
    return tuple(sorted(levels, reverse=True))


# The functions Excel sees, in the order of the function wizard.
UDFS = (
    CBEC_ENTROPY,
    CBEC_ENTROPY_WEIGHTS,
    CBEC_DID,
    CBEC_SOBEL,
    CBEC_PSCORE,
    CBEC_LQ,
    CBEC_SOLOW_K,
    CBEC_SOLOW_Y,
    CBEC_STARS,
)

__all__ = [
    "CBEC_DID",
    "CBEC_ENTROPY",
    "CBEC_ENTROPY_WEIGHTS",
    "CBEC_LQ",
    "CBEC_PSCORE",
    "CBEC_SOBEL",
    "CBEC_SOLOW_K",
    "CBEC_SOLOW_Y",
    "CBEC_STARS",
    "UDFS",
    "stars",
]
