"""What a worksheet function receives from Excel, turned into Python values; errors into cell text.

Excel hands a user-defined function raw values: a range as a list of rows
(``[[1.0, 2.0], [3.0, None]]``), a single cell or a typed constant as a
scalar, a blank cell as ``None``, every number as a float, TRUE/FALSE as
bools, dates as ``datetime``, and an error cell as ``None`` or as its text
(``"#N/A"``, with xlwings' ``err_to_str``).  A one-column range read without
``ndim=2`` arrives as a flat list; it is taken as a column here.

Every converter raises :class:`~xlcbec.errors.InputError` naming the argument
and the position inside the range the user selected (``y, row 3 of the
range``): a function cannot see the sheet rows behind its arguments, so the
position in the range is the location the user can act on.

:func:`excel_errors` wraps each worksheet function so that any failure comes
back as one short ``#XLCBEC: <message>`` text in the cell, never a traceback.

Only the standard library and the core's number rule (itself standard library
only) are imported here: numpy, pandas and the estimation core load on the
first call of a function, so that loading the add-in stays fast.
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import logging
import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from xlcbec.core.number_rule import NUMBER_TEXT, shown, to_number
from xlcbec.core.number_rule import is_blank as cell_is_blank
from xlcbec.errors import InputError, XlcbecError

ERROR_PREFIX = "#XLCBEC: "

# Error values Excel can put in a cell, as xlwings spells them with err_to_str=True
# and as Office.js / xlwings Server pass them.
EXCEL_ERRORS: frozenset[str] = frozenset(
    {
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
        "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
        "#PYTHON!", "#EXTERNAL!",
    }
)

# Plain decimal or scientific notation.  float() also accepts "nan", "inf",
# "1_000" and non-ASCII digits, none of which a user means as a number in a cell.

_log = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])

Grid = list[list[Any]]


# ---------------------------------------------------------------------------
# Error reporting


def excel_errors(function: _F) -> _F:
    """Run ``function``; turn any exception into ``#XLCBEC: <message>`` (never a traceback).

    Problems the user can fix (:class:`InputError`, :class:`EstimationError`,
    any ``ValueError``) show their message.  Anything else is a defect: its
    type and message are shown and the traceback goes to the log.  Warnings
    raised by the core (dropped rows, collinear controls) are recorded, not
    printed: a worksheet function has nowhere to show them.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                return function(*args, **kwargs)
        except (XlcbecError, ValueError, OverflowError) as exc:
            return error_text(str(exc))
        except Exception as exc:  # a worksheet cell must never show a traceback
            _log.exception("unexpected error in %s", function.__name__)
            return error_text(f"unexpected error in {function.__name__} ({type(exc).__name__}: {exc}); please report it")

    return wrapper  # type: ignore[return-value]


def error_text(message: str) -> str:
    """The cell text for a failed call: the prefix, then the message on one line."""
    one_line = " ".join(str(message).split())
    return ERROR_PREFIX + (one_line or "the function failed")


# ---------------------------------------------------------------------------
# Shapes


def grid(value: Any, name: str) -> Grid:
    """The argument as a rectangular list of rows.

    A scalar is one cell; a flat list is one column; a list of lists is a list
    of rows (all of the same length).  ``None`` (an omitted argument) and empty
    lists give ``[]``.
    """
    value = _plain(value)
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        return []
    if all(type(item) is list for item in value):  # a range as xlwings hands it over: checked in bulk
        rows = list(value)  # the rows themselves are not copied: nothing here changes them
        if len(set(map(len, rows))) == 1 and _CELL_TYPES.issuperset(map(type, itertools.chain.from_iterable(rows))):
            return rows if rows[0] else []
    nested = [isinstance(_plain(item), (list, tuple)) for item in value]
    if not any(nested):
        return [[item] for item in value]
    if not all(nested):
        raise InputError(
            f"{name}: expected a range (a list of rows), found a mix of rows and single values",
            fix=f"select a rectangular range for {name}",
        )
    rows = [list(_plain(item)) for item in value]
    width = len(rows[0])
    for i, row in enumerate(rows, start=1):
        if len(row) != width:
            raise InputError(
                f"{name}: expected rows of equal length, found {width} values in row 1 and {len(row)} in row {i}",
                fix=f"select a rectangular range for {name}",
            )
        for j, cell in enumerate(row, start=1):
            if isinstance(_plain(cell), (list, tuple)):
                raise InputError(
                    f"{name}, row {i}, column {j} of the range: expected a single value, found a nested list",
                    fix=f"select a rectangular range for {name}",
                )
    if width == 0:
        return []
    return rows


# What Excel hands over for a cell: decided at once (a range holds thousands of them).
_CELL_TYPES = frozenset({float, str, type(None), bool, int})
_FLOAT = frozenset({float})


def _plain(value: Any) -> Any:
    # numpy arrays and scalars (from Python callers) become lists and Python scalars.
    if type(value) in _CELL_TYPES:
        return value
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and type(value).__module__.startswith("numpy"):
        return tolist()
    return value


def shape_text(rows: Grid) -> str:
    return f"{len(rows)} x {len(rows[0]) if rows else 0}"


def is_blank(value: Any) -> bool:
    """True for what stands for an empty cell (the core's rule) or a range of them."""
    value = _plain(value)
    if isinstance(value, (list, tuple)):
        return all(is_blank(v) for v in value)
    return cell_is_blank(value)


def column(value: Any, name: str, *, required: bool = True) -> list[Any]:
    """A single row or column of cells as a flat list (a column: top to bottom)."""
    rows = grid(value, name)
    if not rows:
        if required:
            raise InputError(f"{name}: expected a column of values, found nothing", fix=f"select the range for {name}")
        return []
    if len(rows[0]) == 1:
        return [row[0] for row in rows]
    if len(rows) == 1:
        return list(rows[0])
    raise InputError(
        f"{name}: expected a single column, found a {shape_text(rows)} range",
        fix=f"select one column (or one row) of cells for {name}",
    )


def matrix(value: Any, name: str) -> Grid:
    """A non-empty rectangular range; a flat list is one column."""
    rows = grid(value, name)
    if not rows:
        raise InputError(f"{name}: expected a range of values, found nothing", fix=f"select the range for {name}")
    return rows


def single(value: Any, name: str) -> Any:
    """The one value of a single-cell argument (a 1 x 1 range counts as its cell)."""
    rows = grid(value, name)
    if not rows:
        return None
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    raise InputError(f"{name}: expected a single value, found a {shape_text(rows)} range", fix=f"give one cell or one number for {name}")


def same_length(columns: dict[str, Sequence[Any]]) -> int:
    """The common length of the named columns, or an InputError naming the first that differs."""
    names = list(columns)
    first = names[0]
    length = len(columns[first])
    for name in names[1:]:
        if len(columns[name]) != length:
            raise InputError(
                f"{first} has {length} rows but {name} has {len(columns[name])}",
                fix="select ranges covering the same rows for every argument",
            )
    return length


# ---------------------------------------------------------------------------
# Cells


def where(name: str, row: int | None = None, col: int | None = None) -> str:
    """``name, row 3, column 2 of the range`` (1-based positions inside the argument)."""
    if row is None:
        return name
    if col is None:
        return f"{name}, row {row} of the range"
    return f"{name}, row {row}, column {col} of the range"


def number(cell: Any, at: str) -> float | None:
    """A cell as a finite float, None when blank; anything else is an InputError.

    Numbers stored as text ("3.5") are accepted, as in the rest of xlcbec.
    TRUE/FALSE are not numbers here (Excel's SUM skips them too).
    """
    if type(cell) is float and math.isfinite(cell):  # a number, as Excel sends it: the common case first
        return cell
    cell = _plain(cell)
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise InputError(f"{at}: expected a number, found {shown(cell)}", fix="enter a number instead of TRUE/FALSE")
    # The core's rule decides; the messages below say why a cell is not a number.
    value = to_number(cell)
    if value is not None:
        return None if math.isnan(value) else value
    if isinstance(cell, (int, float)):
        if isinstance(cell, int):
            _float(cell, at)  # an int beyond the float range: "too large"
        raise InputError(f"{at}: expected a finite number, found {shown(cell)}", fix="enter a finite number")
    if isinstance(cell, str):
        text = cell.strip()
        if text.upper() in EXCEL_ERRORS:
            raise InputError(f"{at}: the cell holds the Excel error {text.upper()}", fix="correct the formula in that cell or clear it")
        if NUMBER_TEXT.fullmatch(text):
            raise InputError(f"{at}: the number {shown(cell)} is too large", fix="enter a smaller number (or rescale the column)")
        raise InputError(f"{at}: expected a number, found {shown(cell)}", fix="enter a plain number (no units or text), or clear the cell")
    if isinstance(cell, (_dt.datetime, _dt.date, _dt.time)):
        raise InputError(f"{at}: expected a number, found {shown(cell)}", fix="enter a number, not a date")
    raise InputError(f"{at}: expected a number, found a value of type {type(cell).__name__}", fix="enter a number")


def _float(cell: int | float, at: str) -> float:
    try:
        return float(cell)
    except OverflowError:  # a Python int beyond the float range (Excel never sends one)
        raise InputError(f"{at}: the number {shown(cell)} is too large", fix="enter a smaller number (or rescale the column)") from None


def required_number(cell: Any, at: str) -> float:
    value = number(cell, at)
    if value is None:
        raise InputError(f"{at}: expected a number, found a blank", fix="enter a number")
    return value


def binary(cell: Any, at: str) -> float | None:
    """A 0/1 treatment cell (TRUE/FALSE accepted), None when blank."""
    if type(cell) is float and (cell == 0.0 or cell == 1.0):  # the common case first
        return cell
    cell = _plain(cell)
    if isinstance(cell, bool):
        return 1.0 if cell else 0.0
    value = number(cell, at)
    if value is not None and value not in (0.0, 1.0):
        raise InputError(f"{at}: expected 0 or 1, found {value:g}", fix="code treated rows 1 and untreated rows 0")
    return value


def label(cell: Any, at: str) -> Hashable | None:
    """An identifier cell (unit, period, cluster): text, a number or a date; None when blank."""
    if type(cell) is float and math.isfinite(cell):  # a code or a year, as Excel sends it: the common case first
        return cell
    cell = _plain(cell)
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return None
        if text.upper() in EXCEL_ERRORS:
            raise InputError(f"{at}: the cell holds the Excel error {text.upper()}", fix="correct the formula in that cell or clear it")
        return text
    if isinstance(cell, bool):
        raise InputError(f"{at}: expected an identifier (a name or a number), found {shown(cell)}", fix="enter the unit's name or code")
    if isinstance(cell, (int, float)):
        value = _float(cell, at)
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise InputError(f"{at}: expected an identifier, found {shown(cell)}", fix="enter a name or a finite code")
        return value
    if isinstance(cell, (_dt.datetime, _dt.date)):
        return cell
    raise InputError(f"{at}: expected a name, a number or a date, found a value of type {type(cell).__name__}", fix="enter a name or a code")


def option_text(value: Any, name: str, *, default: str, allowed: Sequence[str]) -> str:
    """A one-cell text option (case-insensitive), ``default`` when omitted or blank."""
    cell = single(value, name)
    if is_blank(cell):
        return default
    if not isinstance(cell, str):
        raise InputError(f"{name}: expected one of {', '.join(allowed)}, found {shown(cell)}", fix=f"write {' or '.join(allowed)}")
    text = cell.strip().lower()
    if text not in allowed:
        raise InputError(f"{name}: expected one of {', '.join(allowed)}, found {shown(cell)}", fix=f"write {' or '.join(allowed)}")
    return text


def number_column(value: Any, name: str) -> list[float | None]:
    """A column of numbers, None where blank."""
    cells = column(value, name)
    if _finite_floats(cells):
        return cells
    return [number(cell, where(name, i)) for i, cell in enumerate(cells, start=1)]


def number_matrix(value: Any, name: str) -> list[list[float | None]]:
    """A range of numbers, None where blank; rows as in the range."""
    return [
        row if _finite_floats(row) else [number(cell, where(name, i, j)) for j, cell in enumerate(row, start=1)]
        for i, row in enumerate(matrix(value, name), start=1)
    ]


def _finite_floats(cells: list[Any]) -> bool:
    """True when every cell is a finite float, so :func:`number` would return each unchanged (checked in bulk)."""
    # A sum that overflows only sends the cells through number() one by one.
    return _FLOAT.issuperset(map(type, cells)) and math.isfinite(sum(cells))


# ---------------------------------------------------------------------------
# Results


def result_number(value: Any, what: str) -> float:
    """A computed number as a Python float; not finite -> an InputError saying so (never a silent NaN)."""
    number_ = float(value)
    if not math.isfinite(number_):
        raise InputError(
            f"the {what} is not a finite number ({number_!r}): the inputs are too large, too small or degenerate to compute with",
            fix="check the inputs for extreme values or rescale them",
        )
    return number_
