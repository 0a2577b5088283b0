"""Cell values -> DataFrames indexed by spreadsheet row, and typed columns with located errors.

Readers (calamine, openpyxl, live Excel) hand over a sheet as a list of rows,
row 0 being spreadsheet row 1 (the header).  :func:`frame_from_values` turns
that into a DataFrame whose index is the spreadsheet row number, so every later
error names the row the user sees.  The column helpers convert one column to
numbers, whole numbers, text or unit identifiers, and raise an
:class:`~xlcbec.errors.InputError` naming the sheet, the rows, the column and
the cells (``D7``) when a value does not fit, with a fix in the user's terms.

Two markers stand for what a reader cannot give as a value: :class:`CellError`
(an Excel error such as ``#DIV/0!``) and :data:`UNCACHED` (a formula whose
result was never stored).  Both are errors in any column they appear in.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.book.cell_refs import column_letter
from xlcbec.core.number_rule import is_blank, is_boolean, to_number
from xlcbec.core.number_rule import shown as shown_value
from xlcbec.errors import InputError, InputErrors

_SHOWN = 20  # cells listed in one message


@dataclass(frozen=True)
class CellError:
    """An Excel error value in a cell (``#DIV/0!``, ``#N/A``, ``#VALUE!``, ...)."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class UncachedFormula:
    """A formula cell saved without its computed result."""

    def __str__(self) -> str:
        return "a formula without a stored result"


UNCACHED = UncachedFormula()
RECALCULATE = "open the workbook in Excel and save it, so Excel stores the computed values"

ROW_INDEX_NAME = "row"
COLUMN_LETTERS = "column_letters"  # frame.attrs key: header -> the sheet's column letter


class ColumnLetters(dict[str, str]):
    """header -> column letter, kept in ``frame.attrs`` and shared, not copied, by derived frames.

    pandas deep-copies ``attrs`` into every frame or column derived from a
    frame (each ``frame[col]``, each arithmetic result): with a plain dict that
    is a copy of the whole map per column access, tens of milliseconds a run.
    The map is never changed in place (a renamed frame gets a new one), so
    sharing it is safe.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> "ColumnLetters":
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickle and copy rebuild it whole, never item by item
        return (ColumnLetters, (dict(self),))

    def _frozen(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a column-letter map is shared between frames; build a new one instead")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _frozen  # type: ignore[assignment]


def header_text(value: Any) -> str:
    """A header cell as text: stripped; 2015.0 -> '2015'."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def frame_from_values(values: Sequence[Sequence[Any]], sheet: str, *, merged_header: Sequence[tuple[int, int]] = ()) -> pd.DataFrame:
    """A sheet's values (row 0 = spreadsheet row 1, the header) as a DataFrame.

    The index holds spreadsheet row numbers; empty rows are dropped; headers are
    stripped; empty cells are None.  A blank header over data, a repeated
    header, or a header cell in a merged range (``merged_header``: (first col,
    last col) pairs touching row 1) is an InputError.
    """
    if merged_header:
        first, last = merged_header[0]
        raise InputError(
            f"header cells {column_letter(first)}1:{column_letter(last)}1 are merged",
            sheet=sheet,
            row=1,
            fix="unmerge the header cells (Home > Merge & Center > Unmerge Cells) and give each column its own name",
        )
    if not values:
        return pd.DataFrame(index=pd.Index([], dtype="int64", name=ROW_INDEX_NAME))
    width = max(len(r) for r in values)
    header = [header_text(v) for v in values[0]] + [""] * (width - len(values[0]))
    for col, value in enumerate(values[0], start=1):
        if isinstance(value, (CellError, UncachedFormula)):
            raise InputError(f"header cell {column_letter(col)}1 holds {value}", sheet=sheet, row=1, fix="type the column name as plain text")

    body = values[1:]
    if body and any(len(r) != width for r in body):
        body = [list(r) + [None] * (width - len(r)) for r in body]
    data = np.empty((len(body), width), dtype=object)
    if body:
        data[:, :] = body
    empty = _empty_mask(data)

    keep_cols = [c for c in range(width) if header[c] or not empty[:, c].all()]
    for c in keep_cols:
        if not header[c]:
            first_row = int(np.flatnonzero(~empty[:, c])[0]) + 2
            raise InputError(
                f"column {column_letter(c + 1)} has data (from cell {column_letter(c + 1)}{first_row}) but no header in row 1",
                sheet=sheet,
                row=1,
                column=column_letter(c + 1),
                fix="type a column name in row 1, or delete the column",
            )
    seen: dict[str, int] = {}
    for c in keep_cols:
        name = header[c]
        if name in seen:
            raise InputError(
                f"the header '{name}' appears twice (columns {column_letter(seen[name] + 1)} and {column_letter(c + 1)})",
                sheet=sheet,
                row=1,
                column=name,
                fix="give each column a different name",
            )
        seen[name] = c

    row_numbers = np.arange(2, len(body) + 2)
    keep_rows = ~empty[:, keep_cols].all(axis=1) if keep_cols else np.zeros(len(body), dtype=bool)
    data = data[keep_rows][:, keep_cols]
    empty = empty[keep_rows][:, keep_cols]
    data[empty] = None
    frame = pd.DataFrame(
        {header[c]: pd.Series(data[:, j], dtype=object) for j, c in enumerate(keep_cols)},
    )
    frame.index = pd.Index(row_numbers[keep_rows], name=ROW_INDEX_NAME)
    frame.attrs[COLUMN_LETTERS] = ColumnLetters({header[c]: column_letter(c + 1) for c in keep_cols})
    return frame


def _empty_mask(data: np.ndarray) -> np.ndarray:
    """True where a cell is empty (None, NaN or ''); cells of spaces only are handled per column."""
    if data.size == 0:
        return np.zeros(data.shape, dtype=bool)
    return np.asarray(pd.isna(data) | (data == ""), dtype=bool)


# --- column conversion ------------------------------------------------------

_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(年度|年)\s*$")
_NUMBER_WITH_EXTRAS = re.compile(r"^[\s+\-]?[\d,.]+\s*(%|万|亿|元|人|个|千|百)?\s*$")


def cell_ref(frame: pd.DataFrame, column: str, row: int) -> str:
    """The cell the user sees, e.g. 'D7' (from the sheet's column letters when known)."""
    letters = frame.attrs.get(COLUMN_LETTERS, {})
    if column in letters:
        return f"{letters[column]}{row}"
    if column in frame.columns:
        return f"{column_letter(list(frame.columns).index(column) + 1)}{row}"
    return f"row {row}"


def _cells(frame: pd.DataFrame, column: str, rows: Sequence[int]) -> str:
    shown = ", ".join(cell_ref(frame, column, int(r)) for r in rows[:_SHOWN])
    return shown + (f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else "")


def _shown(value: Any) -> str:
    if isinstance(value, (CellError, UncachedFormula)):
        return str(value)
    return shown_value(value)


def _marker_error(frame: pd.DataFrame, column: str, sheet: str, rows: list[int], values: list[Any]) -> InputError:
    uncached = [r for r, v in zip(rows, values) if isinstance(v, UncachedFormula)]
    if uncached:
        return InputError(
            f"cell {_cells(frame, column, uncached)} holds a formula whose result was not saved in the file",
            sheet=sheet,
            row=uncached,
            column=column,
            fix=RECALCULATE,
        )
    codes = sorted({str(v) for v in values if isinstance(v, CellError)})
    errs = [r for r, v in zip(rows, values) if isinstance(v, CellError)]
    return InputError(
        f"cell {_cells(frame, column, errs)} holds the Excel error {', '.join(codes)}",
        sheet=sheet,
        row=errs,
        column=column,
        fix="correct the formula or value that produces the error, or clear the cell for a missing value",
    )


def _number_fix(value: Any) -> str:
    if isinstance(value, str):
        year = _YEAR_TEXT.match(value)
        if year:
            return f"type the year as the number {year.group(1)}, without 年"
        if _NUMBER_WITH_EXTRAS.match(value):
            return "type the number alone, without units, % signs or thousands separators"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return "the cell is formatted as a date; format it as Number (Home > Number Format) and type the value again"
    if is_boolean(value):
        return "type 1 or 0 instead of TRUE or FALSE"
    return "type a number, or leave the cell empty for a missing value"


def numeric_column(frame: pd.DataFrame, column: str, sheet: str) -> pd.Series:
    """``frame[column]`` as float64 (NaN = empty cell); any other content is an InputError.

    Numbers stored as text ("3.5") are accepted; TRUE/FALSE are not numbers (type 1/0).
    Text, dates, Excel errors and unsaved formulas name their cells.
    """
    values = frame[column]
    numbers, bad_rows, bad_values = _to_float(values)
    if bad_rows:
        raise _bad_cells_error(frame, column, sheet, bad_rows, bad_values)
    return pd.Series(numbers, index=frame.index, name=column, dtype="float64")


def _bad_cells_error(frame: pd.DataFrame, column: str, sheet: str, bad_rows: list[int], bad_values: list[Any]
                     ) -> InputError | InputErrors:
    """Every kind of bad cell in one column, each kind with its own fix: Excel errors, unsaved formulas, text.

    One message per kind (not just the first kind found), so one ``#N/A``
    does not hide the text cells of the same column.
    """
    problems: list[InputError] = []
    for kind in (UncachedFormula, CellError):
        rows = [r for r, v in zip(bad_rows, bad_values) if isinstance(v, kind)]
        if rows:
            problems.append(_marker_error(frame, column, sheet, rows, [v for v in bad_values if isinstance(v, kind)]))
    others = [(r, v) for r, v in zip(bad_rows, bad_values) if not isinstance(v, (CellError, UncachedFormula))]
    if others:
        rows = [r for r, _ in others]
        first = others[0][1]
        problems.append(InputError(
            f"expected a number in cell {_cells(frame, column, rows)}, found {_shown(first)}"
            + (f" (and {len(rows) - 1} other non-numbers)" if len(rows) > 1 else ""),
            sheet=sheet,
            row=rows,
            column=column,
            fix=_number_fix(first),
        ))
    return problems[0] if len(problems) == 1 else InputErrors(problems)


def _to_float(values: pd.Series) -> tuple[np.ndarray, list[int], list[Any]]:
    """Floats with NaN for empty cells, plus the rows and values that are not numbers.

    The rule is the core's (:func:`xlcbec.core.number_rule.to_number`: TRUE/FALSE
    typed into a number column are refused, not read as 1/0); a column holding
    only numbers takes a vectorised path to the same result.
    """
    raw = values.to_numpy(dtype=object)
    present = ~pd.isna(raw)
    out = np.full(len(raw), np.nan)
    if pd.api.types.infer_dtype(raw[present], skipna=True) in ("floating", "integer", "mixed-integer-float", "empty"):
        try:
            converted = raw[present].astype(float)
            if np.isfinite(converted).all():
                out[present] = converted
                return out, [], []
        except OverflowError:  # an integer beyond the float range: the slow path names it
            pass
    bad_rows: list[int] = []
    bad_values: list[Any] = []
    rows = values.index.to_numpy()
    for i in np.flatnonzero(present):
        value = raw[i]
        number = to_number(value)
        if number is None:
            bad_rows.append(int(rows[i]))
            bad_values.append(value)
        else:
            out[i] = number
    return out, bad_rows, bad_values


# Whole numbers a double holds exactly (2**53): larger "integers" are not years or codes.
_EXACT_INTEGER = 2.0**53


def integer_column(frame: pd.DataFrame, column: str, sheet: str, *, what: str = "a whole number") -> pd.Series:
    """``frame[column]`` as nullable Int64; fractions and year text like '2015年' are errors."""
    numbers = numeric_column(frame, column, sheet)
    fractional = numbers.notna() & (numbers != np.floor(numbers))
    if fractional.any():
        rows = [int(r) for r in numbers.index[fractional]]
        raise InputError(
            f"expected {what} in cell {_cells(frame, column, rows)}, found {shown_value(numbers[fractional].iloc[0])}",
            sheet=sheet,
            row=rows,
            column=column,
            fix="use whole numbers such as 2015",
        )
    huge = numbers.notna() & (numbers.abs() > _EXACT_INTEGER)
    if huge.any():
        rows = [int(r) for r in numbers.index[huge]]
        raise InputError(
            f"expected {what} in cell {_cells(frame, column, rows)}, found {numbers[huge].iloc[0]:g}, far too large",
            sheet=sheet,
            row=rows,
            column=column,
            fix="use whole numbers such as 2015",
        )
    return numbers.astype("Int64")


def text_column(frame: pd.DataFrame, column: str, sheet: str) -> pd.Series:
    """``frame[column]`` as stripped text (None = empty); numbers become '2015', not '2015.0'."""
    raw = frame[column].to_numpy(dtype=object)
    out = np.empty(len(raw), dtype=object)
    bad_rows: list[int] = []
    bad_values: list[Any] = []
    for i, value in enumerate(raw):
        if is_blank(value):
            out[i] = None
        elif isinstance(value, (CellError, UncachedFormula)):
            bad_rows.append(int(frame.index[i]))
            bad_values.append(value)
        else:
            out[i] = cell_text(value)
    if bad_rows:
        raise _bad_cells_error(frame, column, sheet, bad_rows, bad_values)
    return pd.Series(out, index=frame.index, name=column, dtype=object)


def cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value).strip()


def unit_column(frame: pd.DataFrame, column: str, sheet: str) -> pd.Series:
    """Unit identifiers: whole numbers (city codes) as int64 when every cell is one, else text.

    A code typed as text ('330100') and as a number (330100) is the same unit.
    An empty identifier is an error.
    """
    numbers, bad_rows, _ = _to_float(frame[column])
    if not bad_rows:
        empty = np.isnan(numbers)
        if not empty.any() and np.all(numbers == np.floor(numbers)) and np.all(np.abs(numbers) <= _EXACT_INTEGER):
            return pd.Series(numbers.astype("int64"), index=frame.index, name=column)
        if empty.any():
            raise _empty_units(frame, column, sheet, [int(r) for r in frame.index[empty]])
    text = text_column(frame, column, sheet)
    if text.isna().any():
        raise _empty_units(frame, column, sheet, [int(r) for r in text.index[text.isna()]])
    return text


def _empty_units(frame: pd.DataFrame, column: str, sheet: str, rows: list[int]) -> InputError:
    return InputError(
        f"the unit identifier is empty in cell {_cells(frame, column, rows)}",
        sheet=sheet,
        row=rows,
        column=column,
        fix="fill in the city (unit) for every row, or delete rows that are not data",
    )


def infer_column(frame: pd.DataFrame, column: str, sheet: str) -> pd.Series:
    """A column of unknown role: numbers if it holds any number (then text cells are errors), else text.

    A label column (city names) has no numbers at all; a data column with a
    stray 'n/a' or '—' is still a data column, and those cells are named.
    """
    numbers, bad_rows, bad_values = _to_float(frame[column])
    if not bad_rows:
        return pd.Series(numbers, index=frame.index, name=column, dtype="float64")
    if np.isfinite(numbers).any():
        raise _bad_cells_error(frame, column, sheet, bad_rows, bad_values)  # a data column: every bad cell named
    return text_column(frame, column, sheet)
