"""Excel number formats that show stars and parentheses while the cell stays a number.

A coefficient of 0.0123 significant at 1% is stored as 0.0123 with the format
``0.0000"***"``; its t statistic 3.6 as 3.6 with ``(0.00);(-0.00)``.  Users can
still compute with the cells (docs/methods.md section 11).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

GENERAL = "General"
INTEGER = "0"
THOUSANDS = "#,##0"
PERCENT = "0.00%"


def decimals(digits: int) -> str:
    """'0.0000' for 4 digits, '0' for 0."""
    return "0" if digits <= 0 else "0." + "0" * digits


def star_count(p_value: float | None, stars: tuple[float, float, float]) -> int:
    """How many stars ``p_value`` earns: p < level, levels loosest first (0.1, 0.05, 0.01)."""
    if p_value is None or not math.isfinite(p_value):
        return 0
    return sum(1 for level in stars if p_value < level)


def starred(digits: int, n_stars: int) -> str:
    """Format with ``n_stars`` stars after the number (quoted: a bare * means 'repeat' to Excel)."""
    base = decimals(digits)
    return f'{base}"{"*" * n_stars}"' if n_stars else base


def parenthesised(digits: int) -> str:
    """'(0.00);(-0.00)': the minus sign inside the parentheses, as in published tables."""
    base = decimals(digits)
    return f"({base});(-{base})"


# --- showing a number as Excel shows it -----------------------------------------------

_PLACEHOLDERS = re.compile(r"[0#?,.]+")


def _sections(number_format: str) -> list[str]:
    """The ';'-separated sections of a format, quoted text and escapes kept whole."""
    sections, current, quoted, escaped = [], "", False, False
    for char in number_format:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char == '"':
            current += char
            quoted = not quoted
        elif char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    return sections + [current]


def _render_section(section: str, magnitude: float) -> str:
    """One section applied to a non-negative number: literals kept, the digit run replaced by the number."""
    out, i, done = "", 0, False
    percent = "%" in section.replace('"%"', "")
    value = magnitude * 100 if percent else magnitude
    while i < len(section):
        char = section[i]
        if char == '"':
            end = section.index('"', i + 1) if '"' in section[i + 1:] else len(section)
            out += section[i + 1:end]
            i = end + 1
            continue
        if char == "\\" and i + 1 < len(section):
            out += section[i + 1]
            i += 2
            continue
        match = _PLACEHOLDERS.match(section, i)
        if match and not done and any(c in "0#?" for c in match.group()):
            run = match.group()
            digits = len(run.split(".", 1)[1].rstrip(",")) if "." in run else 0
            rounded = Decimal(f"{value:.15g}").quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
            out += f"{rounded:,.{digits}f}" if "," in run.split(".")[0] else f"{rounded:.{digits}f}"
            i = match.end()
            done = True
            continue
        out += char
        i += 1
    return out


def display(value: float | int | str | None, number_format: str | None = None) -> str:
    """``value`` as a spreadsheet shows it with ``number_format`` (stars, parentheses, decimals, %).

    Handles the formats xlcbec writes: digit runs with decimals and thousands
    separators, quoted text, a percent sign and a negative section; General
    shows up to ten significant digits.  Text is returned as it is.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    number = float(value)
    if not math.isfinite(number):
        return ""
    if not number_format or number_format == GENERAL:
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.10g}"
    sections = _sections(number_format)
    if number < 0 and len(sections) > 1:
        return _render_section(sections[1], -number)
    text = _render_section(sections[0], abs(number))
    # A negative number in a one-section format keeps its minus sign unless it rounds to zero.
    if number < 0 and any(c in "123456789" for c in text):
        text = "-" + text
    return text
