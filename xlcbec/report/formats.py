"""Excel number formats that show stars and parentheses while the cell stays a number.

A coefficient of 0.0123 significant at 1% is stored as 0.0123 with the format
``0.0000"***"``; its t statistic 3.6 as 3.6 with ``(0.00);(-0.00)``.  Users can
still compute with the cells (docs/methods.md section 11).
"""

from __future__ import annotations

import math

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
