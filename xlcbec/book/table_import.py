"""Import of yearbook-style tables into the Panel of a template (``xlcbec import``).

Sources are .xlsx/.xlsm workbooks (every sheet a table) or .csv files (UTF-8,
with or without BOM, or GBK).  A table is

* wide: one variable per table, cities in the first column, years as column
  headers (``2015`` or ``2015年``); the variable is the sheet's name (or the
  CSV file's stem), a column code or its Chinese name (``年末总人口`` ->
  ``population``); or
* long: a city column and a year column (``城市``/``city``, ``年份``/``year``),
  then one column per variable.

Title rows above the header are skipped (the header is the first of the top
ten rows that looks like one).  City names are matched to the 285 cities
(:mod:`xlcbec.book.city_names`); a name that matches none, and a city-year
given twice for one variable, are problems listed with their table and row,
and nothing is written until they are resolved (unmatched names may be
skipped with ``skip_unmatched``, each skip listed in the report).  Values go
by the project's number rule; a number stored as text with thousands
separators (``1,234,567.8``) is converted only when every group after the
first has three digits, and counted; yearbook placeholders for "not
available" (``-``, ``—``, ``…``) are read as blank, and counted.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from xlcbec.book.aliases import column_code, column_header, find_sheet, normalised
from xlcbec.book.cell_refs import column_letter
from xlcbec.book.city_names import CityIndex, city_index
from xlcbec.book.column_guide import PANEL_GUIDE
from xlcbec.book.contract import CITY_NAME, PANEL
from xlcbec.core.number_rule import is_blank, shown, to_number
from xlcbec.errors import InputError, InputErrors

_HEADER_SEARCH_ROWS = 10
_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(?:年|年度)?\s*$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
PLACEHOLDERS = frozenset({"-", "--", "—", "——", "－", "…", "……", "...", "/", "—-"})
_SHOWN = 8


@dataclass(frozen=True)
class SourceTable:
    """One table of a source file: where it is (for messages) and its cells, row 1 first."""

    file: str
    sheet: str
    values: list[list[Any]]

    @property
    def where(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet != Path(self.file).stem else self.file


@dataclass
class _Found:
    """What the tables hold, and what a report must say about them."""

    values: dict[tuple[int, int, str], float] = field(default_factory=dict)
    where: dict[tuple[int, int, str], tuple[str, int]] = field(default_factory=dict)
    problems: list[InputError] = field(default_factory=list)
    unmatched: list[InputError] = field(default_factory=list)
    # (city, variable, first (table, row), second (table, row)) -> the years given twice
    repeated: dict[tuple[int, str, tuple[str, int], tuple[str, int]], list[int]] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    thousands: int = 0
    text_numbers: int = 0
    placeholders: int = 0
    chinese_names: bool = False


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote; :meth:`lines` is the summary shown to the user."""

    output: Path
    rows: int
    cities: int
    years: tuple[int, int] | None
    variables: tuple[str, ...]
    tables: tuple[str, ...]
    thousands: int = 0
    text_numbers: int = 0
    placeholders: int = 0
    skipped: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        span = f"{self.years[0]}-{self.years[1]}" if self.years else "no years"
        lines = [f"Wrote {self.output}: {self.rows} Panel rows, {self.cities} cities, {span}, "
                 f"{len(self.variables)} variable(s): {', '.join(self.variables)}"]
        lines += [f"  read {table}" for table in self.tables]
        if self.thousands:
            lines.append(f"  {self.thousands} number(s) stored as text with thousands separators converted (e.g. 1,234 -> 1234)")
        if self.text_numbers:
            lines.append(f"  {self.text_numbers} number(s) stored as text read as numbers")
        if self.placeholders:
            lines.append(f"  {self.placeholders} cell(s) holding a 'not available' mark (-, —, …) left blank")
        if self.skipped:
            lines.append(f"  {len(self.skipped)} row(s) with unmatched city names skipped (--skip-unmatched):")
            lines += [f"    {text}" for text in self.skipped]
        return lines


# --- reading the sources ------------------------------------------------------------


def read_source(path: Path) -> list[SourceTable]:
    """The tables of one source file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"the file {str(path)!r} does not exist", fix="check the path and the file name")
    if suffix == ".csv":
        return [SourceTable(path.name, path.stem, _csv_rows(path))]
    if suffix in (".xlsx", ".xlsm"):
        from xlcbec.book.package import open_package
        from xlcbec.book.reading import _open_source

        source = _open_source(open_package(path), "auto")
        try:
            return [SourceTable(path.name, name, source.read_values(name)) for name in source.sheet_names()]
        finally:
            source.close()
    raise InputError(f"{path.name!r} is neither an .xlsx workbook nor a .csv file",
                     fix="save the table as .xlsx or .csv (UTF-8 or GBK) and import that")


def _csv_rows(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 reads every GBK file
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    raise InputError(f"{path.name!r} is neither UTF-8 nor GBK text", fix="save the CSV as UTF-8 (Excel: CSV UTF-8)")


# --- one table --------------------------------------------------------------------------


def _year(value: Any) -> int | None:
    if isinstance(value, bool) or is_blank(value):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _YEAR_TEXT.match(str(value))
        if not match:
            return None
        number = float(match.group(1))
    return int(number) if number.is_integer() and 1900 <= number <= 2100 else None


# Headers yearbooks give the city column of a long table, besides the city column's own names.
_CITY_HEADERS = frozenset({"地区", "城市名", "城市名称", "地级市", "市", "城市代码", "行政区划代码", "name", "region_code"})


def _code(header: Any) -> str:
    """A header's column code: ``city`` for any city header (地区 here is the city, not the NBS region)."""
    if is_blank(header):
        return ""
    text = str(header).strip()
    if normalised(text) in _CITY_HEADERS:
        return "city"
    return column_code(PANEL, text)


def _city_column(code: str) -> bool:
    return code in ("city", CITY_NAME)


def _header_row(values: list[list[Any]]) -> tuple[int, str] | None:
    """(0-based row, 'wide' or 'long') of the header among the top rows, or None."""
    for r, row in enumerate(values[:_HEADER_SEARCH_ROWS]):
        codes = [_code(v) for v in row]
        if any(_city_column(c) for c in codes) and "year" in codes:
            return r, "long"
        rest = [v for v in row[1:] if not is_blank(v)]
        if rest and all(_year(v) is not None for v in rest):
            return r, "wide"
    return None


def _number(value: Any, found: _Found, where: str, row: int, column: int) -> float | None:
    """A cell by the number rule, with the yearbook allowances (module docstring); None = problem recorded."""
    if is_blank(value):
        return math.nan
    if isinstance(value, str):
        text = value.strip()
        if text in PLACEHOLDERS:
            found.placeholders += 1
            return math.nan
        number = to_number(text)
        if number is not None and not math.isnan(number):
            found.text_numbers += 1
            return number
        if _THOUSANDS.match(text):
            found.thousands += 1
            return float(text.replace(",", ""))
    else:
        number = to_number(value)
        if number is not None:
            return number
    found.problems.append(InputError(
        f"{shown(value)} in cell {column_letter(column)}{row} is not a number",
        sheet=where, row=row, column=column_letter(column),
        fix="type a plain number (thousands separators only as 1,234,567), leave the cell blank, or mark it '-'",
    ))
    return None


def _city(value: Any, cities: CityIndex, found: _Found, where: str, row: int, column: int) -> int | None:
    code = cities.match(value)
    if isinstance(value, str) and any("\u4e00" <= ch <= "\u9fff" for ch in value):
        found.chinese_names = True
    if code is None:
        found.unmatched.append(InputError(
            f"the city {shown(value)} matches none of the 285 prefecture-level cities",
            sheet=where, row=row, column=column_letter(column),
            fix="correct the name (as on the Cities sheet, with or without 市), or import with --skip-unmatched "
            "to leave its row out",
        ))
    return code


def _store(found: _Found, key: tuple[int, int, str], value: float, where: str, row: int) -> None:
    if key in found.values:
        code, year, variable = key
        found.repeated.setdefault((code, variable, found.where[key], (where, row)), []).append(year)
        return
    found.values[key] = value
    found.where[key] = (where, row)


def _read_wide(table: SourceTable, header: int, cities: CityIndex, found: _Found) -> None:
    variable = column_code(PANEL, table.sheet.strip())
    years: dict[int, int] = {}
    for c, v in enumerate(table.values[header]):
        year = _year(v)
        if c > 0 and year is not None:
            years[c] = year
    found.tables.append(f"{table.where}: wide, variable {variable!r}, {len(years)} year column(s)")
    if variable not in found.variables:
        found.variables.append(variable)
    for r, row in enumerate(table.values[header + 1:], start=header + 2):
        if not row or all(is_blank(v) for v in row):
            continue
        if is_blank(row[0]):
            continue  # a note or unit line below the table
        code = _city(row[0], cities, found, table.where, r, 1)
        if code is None:
            continue
        for c, year in years.items():
            value = _number(row[c] if c < len(row) else None, found, table.where, r, c + 1)
            if value is None or math.isnan(value):
                continue
            _store(found, (code, year, variable), value, table.where, r)


def _read_long(table: SourceTable, header: int, cities: CityIndex, found: _Found) -> None:
    codes = [_code(v) for v in table.values[header]]
    city_col = next(c for c, code in enumerate(codes) if code == "city") if "city" in codes else \
        next(c for c, code in enumerate(codes) if _city_column(code))
    year_col = codes.index("year")
    variables = {c: code for c, code in enumerate(codes) if code and c not in (city_col, year_col) and not _city_column(code)}
    found.tables.append(f"{table.where}: long, {len(variables)} variable(s)")
    for variable in variables.values():
        if variable not in found.variables:
            found.variables.append(variable)
    for r, row in enumerate(table.values[header + 1:], start=header + 2):
        if not row or all(is_blank(v) for v in row):
            continue
        cell = row[city_col] if city_col < len(row) else None
        code = _city(cell, cities, found, table.where, r, city_col + 1)
        year = _year(row[year_col] if year_col < len(row) else None)
        if year is None:
            found.problems.append(InputError(
                f"{shown(row[year_col] if year_col < len(row) else None)} is not a year",
                sheet=table.where, row=r, column=column_letter(year_col + 1), fix="type the year, e.g. 2015"))
            continue
        if code is None:
            continue
        for c, variable in variables.items():
            value = _number(row[c] if c < len(row) else None, found, table.where, r, c + 1)
            if value is None or math.isnan(value):
                continue
            _store(found, (code, year, variable), value, table.where, r)


# --- the whole import -----------------------------------------------------------------


@dataclass(frozen=True)
class ImportedPanel:
    """The Panel an import builds (city codes, years, variables), and what the report says about it."""

    panel: pd.DataFrame
    tables: tuple[str, ...]
    thousands: int
    text_numbers: int
    placeholders: int
    skipped: tuple[str, ...]
    chinese_names: bool = False


def _repeated_problems(found: _Found) -> list[InputError]:
    problems = []
    for (code, variable, (first, first_row), (where, row)), years in found.repeated.items():
        name = city_index().names[code][0]
        shown_years = ", ".join(str(y) for y in years)
        problems.append(InputError(
            f"{name} ({code}) '{variable}' for {shown_years} is given twice: {first} row {first_row} and {where} row {row}",
            sheet=where, row=row,
            fix="delete one of the two (a city written twice, e.g. with and without 市, or two tables of one variable)",
        ))
    return problems


def collect_tables(sources: Sequence[Path], *, skip_unmatched: bool = False) -> ImportedPanel:
    """Read every table of ``sources`` into one long Panel; raise every problem found (nothing is written)."""
    cities = city_index()
    found = _Found()
    for path in sources:
        for table in read_source(Path(path)):
            located = _header_row(table.values)
            if located is None:
                if any(any(not is_blank(v) for v in row) for row in table.values):
                    found.problems.append(InputError(
                        "no header row found: neither years across (a wide table) nor city and year columns "
                        "(a long table) in the first rows", sheet=table.where,
                        fix="put the years in the header row (2015 or 2015年) with cities in the first column, or "
                        "head the columns 城市/city, 年份/year and the variables"))
                continue
            row, kind = located
            (_read_wide if kind == "wide" else _read_long)(table, row, cities, found)
    problems = found.problems + _repeated_problems(found) + ([] if skip_unmatched else found.unmatched)
    if problems:
        raise InputErrors(problems) if len(problems) > 1 else problems[0]
    if not found.values:
        raise InputError("the sources hold no values to import", fix="check that the tables have cities and years")
    order = {c.code: i for i, c in enumerate(PANEL_GUIDE)}
    variables = sorted(found.variables, key=lambda v: (order.get(v, len(order)), found.variables.index(v)))
    series = pd.Series(found.values)
    series.index = series.index.set_names(["city", "year", "variable"])
    panel = series.unstack("variable").reindex(columns=variables).reset_index()
    panel = panel.sort_values(["city", "year"], kind="stable").reset_index(drop=True)
    panel.columns.name = None
    skipped = tuple(f"{e.sheet} row {e.row}: {e.problem}" for e in found.unmatched) if skip_unmatched else ()
    return ImportedPanel(panel, tuple(found.tables), found.thousands, found.text_numbers, found.placeholders, skipped,
                         found.chinese_names)


def fill_panel(workbook: Any, panel: pd.DataFrame, *, target: str) -> None:
    """Write ``panel`` into the Panel sheet of ``workbook`` (openpyxl): its headers' columns, new ones appended.

    The Panel must be empty below its header (an import never writes over data).
    """
    from xlcbec.book.openpyxl_backend import write_value

    name = find_sheet(PANEL, workbook.sheetnames)
    if name is None:
        raise InputError(f"{target} has no Panel sheet", fix="import into a workbook made by `xlcbec template`")
    ws = workbook[name]
    if any(not is_blank(cell.value) for row in ws.iter_rows(min_row=2) for cell in row):
        raise InputError(f"the Panel of {target} already holds data", sheet=name, row=2,
                         fix="import into a fresh template (an import never writes over data)")
    language = "en" if name == PANEL else "zh"
    columns = {_code(cell.value): cell.column for cell in ws[1] if not is_blank(cell.value)}
    last = max(columns.values(), default=0)
    for variable in panel.columns:
        if variable not in columns:
            last += 1
            columns[variable] = last
            write_value(ws.cell(1, last), column_header(PANEL, variable, language))
    for r, record in enumerate(panel.itertuples(index=False, name=None), start=2):
        for variable, value in zip(panel.columns, record):
            if isinstance(value, float) and math.isnan(value):
                continue
            write_value(ws.cell(r, columns[variable]), int(value) if variable in ("city", "year") else float(value))
