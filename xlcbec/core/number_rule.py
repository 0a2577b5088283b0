"""The one number rule: what a cell means as a number, for every reader and estimator.

Used by the sheet readers (``xlcbec.book.cells``), the Settings parser, the
worksheet functions and every estimator's column check
(:func:`xlcbec.core.numbers.numeric_column`):

- blank: ``None``, NaN, pandas' missing markers, an empty or whitespace-only text -> missing (NaN);
- a finite int or float -> itself; +-inf and integers beyond the float range -> not a number;
- text -> the number it spells after trimming spaces ("3.5", "-1e-3", "−5" with the
  typographic or full-width minus); "nan",
  "inf", thousands separators, units and every other text -> not a number;
- TRUE/FALSE -> 1/0 where the caller reads a sheet's cells or a 0/1 flag
  (``booleans=True``, as Excel's own arithmetic does), not a number elsewhere;
- anything else (dates, error values, containers) -> not a number.

Standard library only, so the worksheet functions load it at no cost.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from typing import Any

# The minus signs Chinese input methods and word processors type: the typographic minus and the full-width one.
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\uff0d": "-"})

# A decimal number as typed: sign, digits with an optional point, optional exponent (no nan/inf words).
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def is_blank(value: Any) -> bool:
    """True for what stands for an empty cell: None, NaN, pandas' NA/NaT, blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")  # pandas' markers, without importing pandas


def is_boolean(value: Any) -> bool:
    """TRUE/FALSE as Python or numpy booleans."""
    return isinstance(value, bool) or type(value).__name__ in ("bool", "bool_")  # numpy's, by name


def to_number(value: Any, *, booleans: bool = False) -> float | None:
    """``value`` as a float by the rule above: NaN when blank, None when it is not a number."""
    if is_blank(value):
        return math.nan
    if is_boolean(value):
        return float(value) if booleans else None
    if isinstance(value, numbers.Real):
        try:
            number = float(value)
        except OverflowError:  # a Python int beyond the float range
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        text = value.strip().translate(_MINUS_SIGNS)
        if not NUMBER_TEXT.fullmatch(text):
            return None
        number = float(text)
        return number if math.isfinite(number) else None
    return None


_SHOWN_CHARS = 40  # a quoted value longer than this is cut in messages


def shown(value: Any) -> str:
    """A cell value as a message quotes it: 110000, 2016.5, 'Beijing', TRUE, the date 2015-01-01.

    numpy scalars show as plain Python values (never ``np.int64(110000)``); long text is cut.
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return f"the date {value.isoformat()}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
