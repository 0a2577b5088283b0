"""The built-in indicator systems: the paper's HQD index and the digital-infrastructure index.

One row per indicator in ``xlcbec/data/indicator_system.csv`` (provenance in
``xlcbec/data/README.md``): the index it belongs to, its Panel column, its
dimension (English and Chinese), its names, unit and direction (``+`` more is
better, ``-`` less is better).  The template's Indicators sheet, the Panel
headers and notes, and the demo's generator all take these facts from here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal


@dataclass(frozen=True)
class SystemIndicator:
    """One indicator of a built-in index."""

    index: str
    column: str
    dimension: str
    dimension_zh: str
    name_zh: str
    name_en: str
    unit: str
    direction: Literal["+", "-"]

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en

    def dimension_label(self, language: str) -> str:
        return self.dimension_zh if language == "zh" else self.dimension


@lru_cache(maxsize=1)
def indicator_system() -> tuple[SystemIndicator, ...]:
    """Every built-in indicator, HQD's 20 first, then the 6 of ``diginf``, in the file's order."""
    with resources.files("xlcbec").joinpath("data", "indicator_system.csv").open("r", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    indicators = []
    for row in rows:
        direction = row["direction"]
        if direction not in ("+", "-"):
            raise ValueError(f"indicator_system.csv: direction of {row['column']!r} is {direction!r}")
        indicators.append(SystemIndicator(
            index=row["index"], column=row["column"], dimension=row["dimension_en"], dimension_zh=row["dimension_zh"],
            name_zh=row["name_zh"], name_en=row["name_en"], unit=row["unit"], direction=direction,  # type: ignore[arg-type]
        ))
    return tuple(indicators)


def system_indicator(column: str) -> SystemIndicator:
    """The built-in indicator whose Panel column is ``column`` (KeyError when none)."""
    for indicator in indicator_system():
        if indicator.column == column:
            return indicator
    raise KeyError(column)


def index_columns(index: str) -> tuple[str, ...]:
    """The Panel columns of built-in index ``index`` (``HQD`` or ``diginf``)."""
    return tuple(i.column for i in indicator_system() if i.index == index)
