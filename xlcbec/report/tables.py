"""Table specifications: cells with values, number formats and style roles; no Excel library.

A :class:`TableSpec` says what a publication table holds; a backend
(:mod:`xlcbec.book`) draws it.  :func:`regression_table` lays results out as the
paper does (docs/methods.md section 11): coefficient with stars, the statistic in
parentheses below, rows for control variables and fixed effects (Yes/No),
N and R-squared, and a note that states the star thresholds.  Numbers stay
numbers; stars and parentheses come from number formats.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from xlcbec.core.options import LANGUAGE, STAT_IN_PARENTHESES
from xlcbec.core.results import RegressionResult
from xlcbec.report import formats
from xlcbec.report.labels import Language, label, se_note, singletons_note, stars_note

Role = Literal["title", "header", "label", "number", "statistic", "text", "flag", "note", "paragraph"]
# "paragraph": running text (the Summary's verdicts), wrapped within its column.
Statistic = Literal["t", "se"]
CellValue = float | int | str | None


@dataclass(frozen=True)
class Cell:
    """One cell: its value, an Excel number format (None = General) and a style role."""

    value: CellValue = None
    number_format: str | None = None
    role: Role = "text"

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, (int, float)) and not isinstance(self.value, bool)


EMPTY = Cell()


@dataclass(frozen=True)
class TableSpec:
    """A table to draw: title, header rows, body rows, notes, column widths.

    ``rules_after`` lists body rows (0-based) under which a thin line is drawn,
    besides the three rules every table gets (above and below the header, and
    below the body).
    """

    key: str
    title: str
    header: tuple[tuple[Cell, ...], ...]
    body: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    column_widths: tuple[float, ...] = ()
    rules_after: tuple[int, ...] = ()
    # The keys the header labels were looked up by (frame tables), so a test can check each has en and zh.
    column_keys: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        rows = self.header + self.body
        return max((len(r) for r in rows), default=0)

    @property
    def height(self) -> int:
        """Rows the table occupies: title, header, body, notes."""
        return (1 if self.title else 0) + len(self.header) + len(self.body) + len(self.notes)

    def values(self) -> list[list[CellValue]]:
        """Header and body values as a grid (for tests and text output)."""
        return [[c.value for c in row] for row in self.header + self.body]

    def split(self, max_rows: int, language: Language | str = LANGUAGE) -> list["TableSpec"]:
        """The table in parts of at most ``max_rows`` rows each (title, header, body, notes), for
        printing: every part repeats the title (marked as continued) and the header; the notes
        close the last part.  A table that fits is returned as it is."""
        fixed = (1 if self.title else 0) + len(self.header)
        per_part = max(1, max_rows - fixed)
        if self.height <= max_rows or len(self.body) <= per_part:
            return [self]
        parts: list[TableSpec] = []
        continued = label("continued", language)
        for start in range(0, len(self.body), per_part):
            body = self.body[start:start + per_part]
            last = start + per_part >= len(self.body)
            title = self.title if start == 0 or not self.title else (
                f"{self.title}（{continued}）" if language == "zh" else f"{self.title} ({continued})")
            rules = tuple(i - start for i in self.rules_after if start <= i < start + len(body) - 1)
            parts.append(replace(self, key=f"{self.key}" if start == 0 else f"{self.key}_{start}", title=title,
                                 body=body, notes=self.notes if last else (), rules_after=rules))
        return parts

    def find_row(self, first_value: str) -> tuple[Cell, ...]:
        """The first body row whose first cell is ``first_value``."""
        for row in self.body:
            if row and row[0].value == first_value:
                return row
        raise KeyError(first_value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def starred_cell(value: Any, p_value: Any, stars: tuple[float, float, float], *, digits: int = 4) -> Cell:
    """A coefficient-like number with its stars in the number format."""
    number = _number(value)
    if number is None:
        return EMPTY
    return Cell(number, formats.starred(digits, formats.star_count(_number(p_value), stars)), "number")


def statistic_cell(value: Any, *, digits: int = 2) -> Cell:
    """A statistic shown in parentheses under its coefficient."""
    number = _number(value)
    return Cell(number, formats.parenthesised(digits), "statistic") if number is not None else EMPTY


def number_cell(value: Any, number_format: str = formats.decimals(4)) -> Cell:
    number = _number(value)
    return Cell(number, number_format, "number") if number is not None else EMPTY


def flag_cell(flag: bool, language: Language | str) -> Cell:
    return Cell(label("yes" if flag else "no", language), None, "flag")


def regression_table(
    columns: Sequence[tuple[str, RegressionResult]],
    *,
    terms: Sequence[str] | None = None,
    term_labels: Mapping[str, str] | None = None,
    stat: Statistic = STAT_IN_PARENTHESES,
    stars: tuple[float, float, float] = (0.1, 0.05, 0.01),
    fe_rows: Sequence[tuple[str, Sequence[bool]]] | None = None,
    controls_row: Sequence[bool] | None = None,
    language: Language | str = LANGUAGE,
    title: str = "",
    key: str = "regression",
    extra_rows: Sequence[tuple[str, Sequence[Cell]]] = (),
    r2_rows: Sequence[Literal["r2", "r2_within"]] = ("r2", "r2_within"),
    digits: int = 4,
    stat_digits: int | None = None,
    notes: Sequence[str] = (),
    column_terms: Sequence[Mapping[str, str]] | None = None,
    control_terms: Sequence[str] = (),
) -> TableSpec:
    """The paper's regression table: one column per (label, result).

    ``terms`` are the coefficient rows (default: every term of every column,
    in order of first appearance); ``term_labels`` maps a term to its row
    label (default: :func:`~xlcbec.report.labels.label`).  ``fe_rows`` are
    (label, flags) rows; by default ``City fixed effect`` / ``Year fixed
    effect`` follow each result's ``fixed_effects``.  ``controls_row`` gives
    the ``Control variables`` Yes/No flags (omitted when None).
    ``extra_rows`` (e.g. Sobel Z) go under the coefficients.  ``column_terms``
    maps, per column, a row's term to the term of that column's model (the
    heterogeneity tables: row ``Coast×CBEC`` is column (1)'s ``GxCBEC``).
    ``control_terms`` (Settings ``show_controls = yes``) are listed under a
    ``Controls`` row below them, coefficient and statistic as above; a term a
    column lacks is blank.
    """
    if not columns:
        raise ValueError("regression_table needs at least one column")
    results = [result for _, result in columns]
    if terms is None:
        seen: dict[str, None] = {}
        for result in results:
            for term in result.params.index:
                seen.setdefault(str(term), None)
        terms = list(seen)
    labels = dict(term_labels or {})
    stat_digits = stat_digits if stat_digits is not None else (2 if stat == "t" else digits)
    k = len(columns)

    header = (
        (Cell(label("variables", language), None, "header"),) + tuple(Cell(name, None, "header") for name, _ in columns),
        (Cell("", None, "header"),) + tuple(Cell(f"({j})", None, "header") for j in range(1, k + 1)),
    )

    body: list[tuple[Cell, ...]] = []
    # Each result's p-values and statistics once (they are computed from the covariance on every access).
    pvalues = [result.pvalues for result in results]
    statistics = [result.tstats if stat == "t" else result.std_errors for result in results]

    def coefficient_rows(term: str) -> None:
        coef_row: list[Cell] = [Cell(labels.get(term, label(term, language)), None, "label")]
        stat_row: list[Cell] = [Cell("", None, "label")]
        for j, result in enumerate(results):
            own = column_terms[j].get(term, term) if column_terms is not None else term
            if own in result.params.index:
                coef_row.append(starred_cell(result.params[own], pvalues[j][own], stars, digits=digits))
                stat_row.append(statistic_cell(statistics[j][own], digits=stat_digits))
            else:
                coef_row += [EMPTY]
                stat_row += [EMPTY]
        body.extend([tuple(coef_row), tuple(stat_row)])

    for term in terms:
        coefficient_rows(term)

    for row_label, cells in extra_rows:
        body.append((Cell(row_label, None, "label"),) + tuple(cells) + (EMPTY,) * (k - len(cells)))

    rule_at = len(body) - 1
    if control_terms:
        body.append((Cell(label("controls_block", language), None, "label"),) + (EMPTY,) * k)
        for term in control_terms:
            coefficient_rows(term)
    if controls_row is not None:
        body.append((Cell(label("control_variables", language), None, "label"),) + tuple(flag_cell(f, language) for f in controls_row))
    if fe_rows is None:
        fe_rows = [
            (label("city_fe", language), [("unit" in r.fixed_effects) for r in results]),
            (label("year_fe", language), [("time" in r.fixed_effects) for r in results]),
        ]
    for row_label, flags in fe_rows:
        body.append((Cell(row_label, None, "label"),) + tuple(flag_cell(bool(f), language) for f in flags))
    body.append((Cell(label("n", language), None, "label"),) + tuple(Cell(int(r.nobs), formats.INTEGER, "number") for r in results))
    for which in r2_rows:
        body.append(
            (Cell(label(which, language), None, "label"),)
            + tuple(number_cell(getattr(r, which), formats.decimals(4)) for r in results)
        )

    table_notes = [stars_note(stars, stat, language)]
    if results:
        table_notes.append(se_note(results, language))
    for j, result in enumerate(results, start=1):
        if result.dropped_collinear:
            dropped = ", ".join(result.dropped_collinear)
            table_notes.append(
                f"列 ({j}) 因共线性删除：{dropped}。" if language == "zh" else f"Column ({j}): dropped as collinear: {dropped}."
            )
    singletons = singletons_note(results, language)
    if singletons:
        table_notes.append(singletons)
    table_notes.extend(notes)

    return TableSpec(
        key=key,
        title=title,
        header=header,
        body=tuple(body),
        notes=tuple(table_notes),
        column_widths=(30.0,) + (14.0,) * k,
        rules_after=(rule_at,) if rule_at >= 0 and rule_at < len(body) - 1 else (),
    )


def frame_table(
    frame: pd.DataFrame,
    *,
    key: str,
    title: str = "",
    number_formats: Mapping[str, str] | None = None,
    index: bool = True,
    index_label: str | None = None,
    column_labels: Mapping[str, str] | None = None,
    language: Language | str = LANGUAGE,
    notes: Sequence[str] = (),
    default_digits: int = 4,
) -> TableSpec:
    """A plain table from a DataFrame (descriptive statistics, balance tests, frequencies).

    Column headers and row labels go through :func:`label` unless given in
    ``column_labels``; numbers keep their values with ``number_formats`` per
    column (default: integers '0' -- a float column holding only whole
    numbers, such as years and event times, counts as integers -- other
    numbers ``default_digits`` decimals); a numeric index stays numeric;
    True/False become Yes/No words; NaN becomes an empty cell.
    """
    number_formats = dict(number_formats or {})
    column_labels = dict(column_labels or {})

    def head(name: Any) -> str:
        return column_labels.get(str(name), label(str(name), language))

    keys: list[str] = []
    header_cells: list[Cell] = []
    if index:
        if index_label is not None:
            index_name = index_label
        else:
            index_name = head(frame.index.name) if frame.index.name else ""
            if frame.index.name:
                keys.append(str(frame.index.name))
        header_cells.append(Cell(index_name, None, "header"))
    header_cells += [Cell(head(c), None, "header") for c in frame.columns]
    keys += [str(c) for c in frame.columns if str(c) not in column_labels]

    whole = {str(c): _whole_numbers(frame[c]) for c in frame.columns}
    index_whole = _whole_numbers(pd.Series(frame.index))
    column_formats = [number_formats.get(str(c)) or (formats.INTEGER if whole[str(c)] else None) for c in frame.columns]
    dtypes = list(frame.dtypes)
    body: list[tuple[Cell, ...]] = []
    for row_label, row in zip(frame.index, frame.itertuples(index=False, name=None)):
        cells: list[Cell] = [_index_cell(row_label, index_whole, language)] if index else []
        for fmt, dtype, value in zip(column_formats, dtypes, row):
            cells.append(_frame_cell(value, fmt, dtype, default_digits, language))
        body.append(tuple(cells))

    widths: list[float] = []
    for j, head_cell in enumerate(header_cells):
        shown = [_shown_text(r[j]) for r in body]
        # A long header wraps onto two lines rather than widening a column of short numbers.
        head_width = display_width(str(head_cell.value or ""))
        words = max([display_width(w) for w in str(head_cell.value or "").split()] or [0])
        header_need = max(math.ceil(head_width / 2) + 1, words) + 2.0
        # Long text (policy titles, indicator names) wraps within 36 characters rather than widening the page.
        widths.append(max(8.0, min(36.0, max(header_need, _text_width(None, shown) if shown else 0.0))))
    return TableSpec(
        key=key,
        title=title,
        header=(tuple(header_cells),),
        body=tuple(body),
        notes=tuple(notes),
        column_widths=tuple(widths),
        column_keys=tuple(keys),
    )


def _whole_numbers(column: pd.Series) -> bool:
    """A numeric column whose finite values are all whole numbers (years, event times, counts)."""
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return False
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.all(finite == np.round(finite))) and bool(np.all(np.abs(finite) < 1e15))


def _index_cell(value: Any, whole: bool, language: Language | str) -> Cell:
    """A row label: numbers (years, event times, document numbers) stay numbers; text is labelled."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        number = float(value)
        if math.isfinite(number):
            if whole:
                return Cell(int(round(number)), formats.INTEGER, "label")
            return Cell(number, formats.decimals(4), "label")
    return Cell(label(str(value), language), None, "label")


def _shown_text(cell: Cell) -> str:
    """Roughly what a cell shows (for column widths)."""
    if cell.value is None:
        return ""
    if cell.is_number:
        fmt = cell.number_format or ""
        digits = len(fmt.split(".")[1].split('"')[0].split(")")[0]) if "." in fmt else 0
        return f"{float(cell.value):,.{digits}f}" + "*" * fmt.count("*") + ("()" if "(" in fmt else "")
    return str(cell.value)


def _frame_cell(value: Any, number_format: str | None, dtype: Any, default_digits: int,
                language: Language | str = LANGUAGE) -> Cell:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return EMPTY
    if isinstance(value, (bool, np.bool_)):
        return Cell(label("yes" if bool(value) else "no", language), None, "flag")
    if isinstance(value, (int, np.integer)):
        return Cell(int(value), number_format or formats.INTEGER, "number")
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return EMPTY
        fmt = number_format or (formats.INTEGER if pd.api.types.is_integer_dtype(dtype) else formats.decimals(default_digits))
        if fmt == formats.INTEGER and number == round(number):
            return Cell(int(round(number)), fmt, "number")
        return Cell(number, fmt, "number")
    return Cell(label(str(value), language), None, "text")


def whole_numbers_plain(table: TableSpec) -> TableSpec:
    """``table`` with whole-number body values shown without decimals (0 and 1, not 0.0000; the paper's Table 3)."""
    body = []
    for row in table.body:
        cells = []
        for c in row:
            if isinstance(c.value, (int, float)) and c.role == "number" and float(c.value).is_integer():
                c = Cell(int(c.value), formats.INTEGER, c.role)
            cells.append(c)
        body.append(tuple(cells))
    return replace(table, body=tuple(body))


def display_width(text: str) -> int:
    """Width in Excel character units: CJK characters take two."""
    if text.isascii():  # every ASCII character is narrow
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _text_width(head: CellValue, values: Sequence[CellValue]) -> float:
    longest = max([display_width(str(v)) for v in [head, *values] if v is not None] or [8])
    return float(longest) + 2.0
