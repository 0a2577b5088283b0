"""Checking and typing each input sheet (contract v1), and merging Cities into Panel.

Each ``*_table`` function takes the raw frame of one sheet (indexed by
spreadsheet row) and the Settings, and returns a typed frame with the same
index, or raises an :class:`~xlcbec.errors.InputError` that names the sheet,
rows and column (all of them with ``collect_errors=True``, as
:class:`~xlcbec.errors.InputErrors`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import numpy as np
import pandas as pd

from xlcbec.book.cells import (
    COLUMN_LETTERS,
    ROW_INDEX_NAME,
    ColumnLetters,
    cell_ref,
    infer_column,
    integer_column,
    numeric_column,
    shown_value,
    text_column,
    unit_column,
)
from xlcbec.book.contract import (
    CITIES,
    INDICATORS,
    INDICATORS_COLUMNS,
    KEYWORDS,
    KEYWORDS_COLUMNS,
    NO_WORDS,
    NUMERIC_ATTRIBUTES,
    PANEL,
    POLICIES,
    POLICIES_COLUMNS,
    SETTINGS,
    YES_WORDS,
)
from xlcbec.book.settings import SettingRow, Settings
from xlcbec.core.numbers import blank_mask
from xlcbec.core.panel import EARLIEST_YEAR, LATEST_YEAR
from xlcbec.errors import InputError, InputErrors

_COLUMNS = {INDICATORS: INDICATORS_COLUMNS, POLICIES: POLICIES_COLUMNS, KEYWORDS: KEYWORDS_COLUMNS}
_SHOWN = 8


def _index() -> pd.Index:
    return pd.Index([], dtype="int64", name=ROW_INDEX_NAME)


def empty_table(sheet: str) -> pd.DataFrame:
    """The typed frame of an absent or empty fixed-column sheet."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in _COLUMNS[sheet]}, index=_index())
    if sheet == INDICATORS:
        frame["include"] = frame["include"].astype(bool)
    if sheet == POLICIES:
        frame["year"] = frame["year"].astype("Int64")
    return frame


def empty_panel(settings: Settings) -> pd.DataFrame:
    return pd.DataFrame({settings.unit: pd.Series([], dtype="int64"), settings.time: pd.Series([], dtype="Int64")}, index=_index())


def empty_cities(settings: Settings) -> pd.DataFrame:
    return pd.DataFrame({settings.unit: pd.Series([], dtype="int64")}, index=_index())


class _Problems:
    def __init__(self, collect: bool) -> None:
        self.collect = collect
        self.found: list[InputError] = []

    def run(self, convert: Callable[[], pd.Series]) -> pd.Series | None:
        try:
            return convert()
        except InputErrors as errors:
            if not self.collect:
                raise
            self.found.extend(e for e in errors.errors if isinstance(e, InputError))
        except InputError as error:
            if not self.collect:
                raise
            self.found.append(error)
        return None

    def add(self, error: InputError) -> None:
        if not self.collect:
            raise error
        self.found.append(error)

    def finish(self) -> None:
        if self.found:
            raise InputErrors(self.found)


def _rows_text(rows: Sequence[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:_SHOWN])
    return shown + (f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else "")


def _canonical_headers(frame: pd.DataFrame, sheet: str, expected: Sequence[str], required: Sequence[str]) -> pd.DataFrame:
    """Match headers case-insensitively to the contract's names; missing required ones are an error."""
    lookup = {str(c).strip().lower(): c for c in frame.columns}
    missing = [name for name in required if name.lower() not in lookup]
    if missing:
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}; "
            f"headers found: {', '.join(repr(str(c)) for c in frame.columns) or 'none'}",
            sheet=sheet,
            row=1,
            fix=f"row 1 must hold the headers {', '.join(expected)}",
        )
    renamed = {lookup[name.lower()]: name for name in expected if name.lower() in lookup}
    letters = frame.attrs.get(COLUMN_LETTERS, {})
    out = frame[list(renamed)].rename(columns=renamed)
    out.attrs[COLUMN_LETTERS] = ColumnLetters({renamed[old]: letter for old, letter in letters.items() if old in renamed})
    return out


def settings_rows(frame: pd.DataFrame) -> list[SettingRow]:
    """(row, key, value) triples from the raw Settings frame."""
    if frame.empty and not len(frame.columns):
        return []
    table = _canonical_headers(frame, SETTINGS, ("Key", "Value", "Description"), ("Key", "Value"))
    return [(int(row), key, value) for row, key, value in zip(table.index, table["Key"], table["Value"])]


# Endings of a header that holds identifiers: 'city_code' before 'city_zh' when 'city' is missing.
_ID_ENDINGS = ("code", "id", "no", "代码", "编码", "编号")


def closest_header(column: str, found: Sequence[str]) -> str | None:
    """The header most likely meant for ``column``: the same name in other letter case, then a header that
    extends it ('city_code' for 'city', identifiers first), then a close spelling ('ctiy')."""
    import difflib
    import re

    same = [h for h in found if h.strip().lower() == column.lower()]
    if same:
        return same[0]
    extending = [h for h in found if re.match(re.escape(column.lower()) + r"[\s_\-.（(]", h.lower())]
    if extending:
        ids = [h for h in extending if h.lower().rstrip(")）").endswith(_ID_ENDINGS)]
        return (ids or extending)[0]
    close = difflib.get_close_matches(column, list(found), n=1, cutoff=0.75)
    return close[0] if close else None


def _missing_column(sheet: str, column: str, role: str, frame: pd.DataFrame) -> InputError:
    found = [str(c) for c in frame.columns]
    close = closest_header(column, found)
    hint = f"a column is headed '{close}' (names are case-sensitive); " if close else ""
    return InputError(
        f"the {role} column '{column}' is not on this sheet; headers found: {', '.join(repr(c) for c in found) or 'none'}",
        sheet=sheet,
        row=1,
        column=column,
        fix=f"{hint}add the column '{column}', or set Settings '{_ROLE_KEYS.get(role, role)}' to the column that holds the {role}",
    )


_ROLE_KEYS = {"unit": "unit", "time": "time"}


def _strict_numeric_columns(settings: Settings) -> set[str]:
    names = set(NUMERIC_ATTRIBUTES) | {settings.first_treat}
    if settings.treatment:
        names.add(settings.treatment)
    return names


def _convert_columns(frame: pd.DataFrame, sheet: str, settings: Settings, problems: _Problems, *, skip: Sequence[str]) -> dict[str, pd.Series]:
    strict = _strict_numeric_columns(settings)
    out: dict[str, pd.Series] = {}
    for column in frame.columns:
        if column in skip:
            continue
        name = str(column)
        convert: Callable[[], pd.Series]
        if name == settings.first_treat:
            convert = partial(pilot_year_column, frame, name, sheet)
        elif name in strict:
            convert = partial(numeric_column, frame, name, sheet)
        else:
            convert = partial(infer_column, frame, name, sheet)
        converted = problems.run(convert)
        if converted is not None:
            out[str(column)] = converted
    return out


def pilot_year_column(frame: pd.DataFrame, column: str, sheet: str) -> pd.Series:
    """The first-treatment year: a whole number between 1900 and 2100, or 0 / empty for never."""
    years = integer_column(frame, column, sheet, what="a year (or 0 / empty for never)")
    _check_years(frame, column, sheet, years, years.notna() & (years != 0), what="pilot year",
                 fix="type the first year of the pilot (e.g. 2016), or leave it blank for a city that was never a pilot")
    return years


def period_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """The Panel's period: a whole-number year between 1900 and 2100 (15 or 20015 is a typing slip, not a year)."""
    years = integer_column(frame, column, PANEL, what="a year (period)")
    _check_years(frame, column, PANEL, years, years.notna(), what="year", fix="type the full year, e.g. 2015")
    return years


def _check_years(frame: pd.DataFrame, column: str, sheet: str, years: pd.Series, checked: pd.Series, *,
                 what: str, fix: str) -> None:
    """Years outside 1900-2100 among the ``checked`` cells: one error naming every such cell."""
    implausible = checked & ((years < EARLIEST_YEAR) | (years > LATEST_YEAR))
    if implausible.any():
        rows = [int(r) for r in years.index[implausible.to_numpy(dtype=bool)]]
        raise InputError(
            f"{int(years[rows[0]])} in cell {', '.join(cell_ref(frame, column, r) for r in rows[:_SHOWN])} is not a "
            f"plausible {what} (expected {EARLIEST_YEAR}-{LATEST_YEAR})",
            sheet=sheet, row=rows, column=column, fix=fix,
        )


def panel_table(frame: pd.DataFrame, settings: Settings, *, collect_errors: bool = False) -> pd.DataFrame:
    """The Panel sheet typed: unit ids, whole-number periods, numeric (or label) columns."""
    problems = _Problems(collect_errors)
    for column, role in ((settings.unit, "unit"), (settings.time, "time")):
        if column not in frame.columns:
            problems.add(_missing_column(PANEL, column, role, frame))
    if problems.found:
        problems.finish()
    unit = problems.run(lambda: unit_column(frame, settings.unit, PANEL))
    time = problems.run(lambda: period_column(frame, settings.time))
    others = _convert_columns(frame, PANEL, settings, problems, skip=(settings.unit, settings.time))
    if unit is not None and time is not None:
        problems.found.extend(_repeated_unit_periods(frame, unit, time, settings))
        if problems.found and not problems.collect:
            raise problems.found[0]
    problems.finish()  # raises when unit or time could not be converted
    table = pd.DataFrame({settings.unit: cast(pd.Series, unit), settings.time: cast(pd.Series, time), **others}, index=frame.index)
    table = table[[c for c in frame.columns if c in table.columns]]
    table.attrs[COLUMN_LETTERS] = ColumnLetters(frame.attrs.get(COLUMN_LETTERS, {}))
    return table


def _repeated_unit_periods(frame: pd.DataFrame, unit: pd.Series, time: pd.Series, settings: Settings) -> list[InputError]:
    """Rows repeating a unit and period: one problem per repeated unit (the first few units).

    A unit named on two rows in *every* one of its periods is most likely two
    distinct cities sharing a name (Yichun in Jiangxi and in Heilongjiang):
    said so, with the city codes as the fix.
    """
    pairs = pd.DataFrame({"u": unit, "t": time})
    duplicated = pairs.duplicated(keep=False).to_numpy()
    if not duplicated.any():
        return []
    problems = []
    repeated_units = list(dict.fromkeys(pairs["u"][duplicated]))
    for name in repeated_units[:3]:
        own = (pairs["u"] == name).to_numpy()
        rows = [int(r) for r in frame.index[own & duplicated]]
        per_period = pairs["t"][own].value_counts()
        first = rows[0]
        if (per_period >= 2).all() and len(per_period) > 1:
            coded = isinstance(name, (int, np.integer))
            problems.append(InputError(
                f"{settings.unit} {shown_value(name)} has {int(per_period.max())} rows in each {settings.time} "
                f"({len(rows)} rows): two different cities seem to share the {settings.unit} {shown_value(name)}",
                sheet=PANEL, row=rows, column=settings.unit,
                fix=f"give each city its own code in '{settings.unit}' (one of them carries the other's)" if coded else
                f"tell them apart: use the city codes (e.g. 360900 and 230700 for the two Yichun) as '{settings.unit}' "
                "on Panel and Cities, or write the province into the name, e.g. 'Yichun (Jiangxi)'",
            ))
        else:
            problems.append(InputError(
                f"{settings.unit} {shown_value(name)} and {settings.time} {time[first]} appear on more than one row "
                f"(rows {_rows_text(rows)}): the Panel needs one row per {settings.unit} and {settings.time}",
                sheet=PANEL, row=rows, column=settings.time,
                fix="delete or correct the repeated rows",
            ))
    if len(repeated_units) > 3:
        problems[-1] = InputError(
            problems[-1].problem + f"; {len(repeated_units) - 3} more {settings.unit}(s) have repeated rows",
            sheet=PANEL, row=problems[-1].rows, column=problems[-1].column, fix=problems[-1].fix)
    return problems


def cities_table(frame: pd.DataFrame, settings: Settings, *, collect_errors: bool = False) -> pd.DataFrame:
    """The Cities sheet typed: one row per unit, attributes numeric or text."""
    if not len(frame.columns):
        return empty_cities(settings)
    problems = _Problems(collect_errors)
    if settings.unit not in frame.columns:
        problems.add(_missing_column(CITIES, settings.unit, "unit", frame))
        problems.finish()
    unit = problems.run(lambda: unit_column(frame, settings.unit, CITIES))
    others = _convert_columns(frame, CITIES, settings, problems, skip=(settings.unit,))
    if unit is not None:
        repeated = unit.duplicated(keep=False)
        if repeated.any():
            rows = [int(r) for r in frame.index[repeated.to_numpy()]]
            problems.add(
                InputError(
                    f"{settings.unit} {shown_value(unit[rows[0]])} has more than one row (rows {_rows_text(rows)}); Cities needs one row per {settings.unit}",
                    sheet=CITIES,
                    row=rows,
                    column=settings.unit,
                    fix="keep one row per city and delete the others; if they are two distinct cities that share a "
                    "name (Yichun in Jiangxi and in Heilongjiang), use the city codes as the unit on Panel and Cities",
                )
            )
    problems.finish()  # raises when the unit column could not be converted
    table = pd.DataFrame({settings.unit: cast(pd.Series, unit), **others}, index=frame.index)
    table = table[[c for c in frame.columns if c in table.columns]]
    table.attrs[COLUMN_LETTERS] = ColumnLetters(frame.attrs.get(COLUMN_LETTERS, {}))
    return table


_DIRECTIONS = {
    "+": "+",
    "＋": "+",
    "positive": "+",
    "pos": "+",
    "正": "+",
    "正向": "+",
    "-": "-",
    "－": "-",
    "—": "-",
    "negative": "-",
    "neg": "-",
    "负": "-",
    "负向": "-",
    "逆向": "-",
}


def _required_text(frame: pd.DataFrame, column: str, sheet: str, problems: _Problems, what: str) -> pd.Series | None:
    text = problems.run(lambda: text_column(frame, column, sheet))
    if text is None:
        return None
    blank = text.isna()
    if blank.any():
        rows = [int(r) for r in text.index[blank]]
        problems.add(
            InputError(
                f"{what} is empty in cell {', '.join(cell_ref(frame, column, r) for r in rows[:_SHOWN])}",
                sheet=sheet,
                row=rows,
                column=column,
                fix=f"fill in the {what}, or delete the row",
            )
        )
        return None
    return text


def indicators_table(frame: pd.DataFrame, settings: Settings, *, collect_errors: bool = False) -> pd.DataFrame:
    """Indicators typed: index, column, dimension, direction ('+'/'-'), include (bool)."""
    if not len(frame.columns):
        return empty_table(INDICATORS)
    table = _canonical_headers(frame, INDICATORS, INDICATORS_COLUMNS, ("index", "column", "direction"))
    problems = _Problems(collect_errors)
    index = _required_text(table, "index", INDICATORS, problems, "the index name")
    column = _required_text(table, "column", INDICATORS, problems, "the indicator's Panel column")
    dimension = (
        problems.run(lambda: text_column(table, "dimension", INDICATORS))
        if "dimension" in table.columns
        else pd.Series([None] * len(table), index=table.index, dtype=object)
    )
    direction_text = problems.run(lambda: text_column(table, "direction", INDICATORS))
    direction = None
    if direction_text is not None:
        normalised = direction_text.map(lambda v: _DIRECTIONS.get(str(v).strip().lower()) if v is not None else None)
        bad = normalised.isna()
        if bad.any():
            rows = [int(r) for r in table.index[bad]]
            found = direction_text[rows[0]]
            problems.add(
                InputError(
                    f"the direction must be + (higher is better) or - (lower is better), found {found!r} "
                    f"in cell {', '.join(cell_ref(table, 'direction', r) for r in rows[:_SHOWN])}",
                    sheet=INDICATORS,
                    row=rows,
                    column="direction",
                    fix="type + or - (format the cell as Text first if Excel turns them into formulas)",
                )
            )
        else:
            direction = normalised
    include = pd.Series(True, index=table.index)
    if "include" in table.columns:
        include_text = problems.run(lambda: text_column(table, "include", INDICATORS))
        if include_text is not None:
            flags = include_text.map(_yes_no)
            bad = flags.isna()
            if bad.any():
                rows = [int(r) for r in table.index[bad]]
                problems.add(
                    InputError(
                        f"'include' must be yes or no, found {include_text[rows[0]]!r}",
                        sheet=INDICATORS,
                        row=rows,
                        column="include",
                        fix="type yes or no (empty means yes)",
                    )
                )
            else:
                include = flags.astype(bool)
    if index is not None and column is not None:
        repeated = pd.DataFrame({"i": index, "c": column}).duplicated(keep=False)
        if repeated.any():
            rows = [int(r) for r in table.index[repeated.to_numpy()]]
            problems.add(
                InputError(
                    f"indicator '{column[rows[0]]}' is listed twice for index '{index[rows[0]]}' (rows {_rows_text(rows)})",
                    sheet=INDICATORS,
                    row=rows,
                    column="column",
                    fix="keep one row per indicator of an index",
                )
            )
    problems.finish()
    return pd.DataFrame(
        {"index": index, "column": column, "dimension": dimension, "direction": direction, "include": include},
        index=table.index,
    )


def _yes_no(value: Any) -> bool | None:
    if value is None:
        return True  # empty = included
    text = str(value).strip().lower()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    return None


TITLE_ONLY = "title_only"  # frame.attrs key: Policies rows whose empty text was taken from the title


def policies_table(frame: pd.DataFrame, settings: Settings, *, collect_errors: bool = False) -> pd.DataFrame:
    """Policies typed: year (whole number, may be empty), title, issuer, text.

    A row with a title and no text is counted on its title (the template
    lists document titles; the user pastes the texts): the number of such
    rows is ``attrs[TITLE_ONLY]``, for a Log line.  A row with neither is an error.
    """
    if not len(frame.columns):
        return empty_table(POLICIES)
    table = _canonical_headers(frame, POLICIES, POLICIES_COLUMNS, ("text",))
    problems = _Problems(collect_errors)
    n = len(table)
    year = problems.run(lambda: integer_column(table, "year", POLICIES, what="a year")) if "year" in table.columns else pd.Series(pd.NA, index=table.index, dtype="Int64")
    title = problems.run(lambda: text_column(table, "title", POLICIES)) if "title" in table.columns else pd.Series([None] * n, index=table.index, dtype=object)
    issuer = problems.run(lambda: text_column(table, "issuer", POLICIES)) if "issuer" in table.columns else pd.Series([None] * n, index=table.index, dtype=object)
    typed = problems.run(lambda: text_column(table, "text", POLICIES))
    title_only = 0
    if typed is not None and title is not None:
        from_title = typed.isna() & title.notna()
        title_only = int(from_title.sum())
        table = table.assign(text=typed.where(~from_title, title))
    text = _required_text(table, "text", POLICIES, problems, "the policy text (or at least its title)")
    problems.finish()
    out = pd.DataFrame({"year": year, "title": title, "issuer": issuer, "text": text}, index=table.index)
    out.attrs[TITLE_ONLY] = title_only
    return out


def keywords_table(frame: pd.DataFrame, settings: Settings, *, collect_errors: bool = False) -> pd.DataFrame:
    """Keywords typed: theme and keyword, both required; a keyword listed twice is an error."""
    if not len(frame.columns):
        return empty_table(KEYWORDS)
    table = _canonical_headers(frame, KEYWORDS, KEYWORDS_COLUMNS, KEYWORDS_COLUMNS)
    problems = _Problems(collect_errors)
    theme = _required_text(table, "theme", KEYWORDS, problems, "the theme")
    keyword = _required_text(table, "keyword", KEYWORDS, problems, "the keyword")
    if keyword is not None:
        repeated = keyword.duplicated(keep=False)
        if repeated.any():
            rows = [int(r) for r in table.index[repeated.to_numpy()]]
            problems.add(
                InputError(
                    f"the keyword {keyword[rows[0]]!r} is listed more than once (rows {_rows_text(rows)})",
                    sheet=KEYWORDS,
                    row=rows,
                    column="keyword",
                    fix="list each keyword once, under one theme",
                )
            )
    problems.finish()
    return pd.DataFrame({"theme": theme, "keyword": keyword}, index=table.index)


# --- Cities into Panel ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MergedPanel:
    """The Panel with the Cities attributes added, and what the merge found for the Log."""

    panel: pd.DataFrame
    cities_not_in_panel: int
    notes: tuple[str, ...] = ()
    # Columns that exist only on Cities, and the Cities row behind each Panel row:
    # a problem later found in such a column is reported where the user typed it.
    cities_columns: tuple[str, ...] = ()
    cities_row: pd.Series | None = None

    def locate(self, error: InputError) -> InputError:
        """``error`` moved to sheet Cities when it concerns a column that only Cities has."""
        if error.sheet != PANEL or error.column not in self.cities_columns or self.cities_row is None:
            return error
        rows = sorted({int(self.cities_row[r]) for r in error.rows if r in self.cities_row.index})
        return InputError(error.problem, sheet=CITIES, row=rows or None, column=error.column, fix=error.fix)


def merge_cities(panel: pd.DataFrame, cities: pd.DataFrame, unit: str) -> MergedPanel:
    """Add the Cities columns to each Panel row by ``unit``; the Panel's row index is kept.

    With a non-empty Cities sheet every Panel unit needs a Cities row.  A column
    on both sheets must agree row by row: an empty cell on one side takes the
    other side's value; two different values are an error naming both cells.
    """
    if cities.empty:
        return MergedPanel(panel=panel, cities_not_in_panel=0)
    if unit not in panel.columns or unit not in cities.columns:
        raise InputError(f"the unit column '{unit}' must be on both Panel and Cities", sheet=CITIES, column=unit, fix=f"add the column '{unit}'")
    panel_units = panel[unit]
    city_units = cities[unit]
    if panel_units.dtype != city_units.dtype:
        # Codes on one sheet, names on the other (or text codes): compare as text.
        panel_units = panel_units.map(str)
        city_units = city_units.map(str)
    position = pd.Index(city_units).get_indexer(panel_units)
    missing = position < 0
    if missing.any():
        rows = [int(r) for r in panel.index[missing]]
        units = list(dict.fromkeys(panel_units[missing].tolist()))
        raise InputError(
            f"{len(units)} {unit} value(s) on Panel have no row on sheet Cities: {', '.join(shown_value(u) for u in units[:_SHOWN])}"
            + (f" and {len(units) - _SHOWN} more" if len(units) > _SHOWN else ""),
            sheet=PANEL,
            row=rows,
            column=unit,
            fix="type each city as on the Cities sheet (the template's 6-digit division codes; `xlcbec import` matches "
            "city names to them), add a Cities row for each of them, or leave the Cities sheet empty",
        )
    merged = panel.copy()
    city_rows = cities.index.to_numpy()[position]
    notes: list[str] = []
    for column in cities.columns:
        if column == unit:
            continue
        values = cities[column].to_numpy()[position]
        if column not in panel.columns:
            merged[column] = pd.Series(values, index=panel.index, dtype=cities[column].dtype)
            continue
        merged[column] = _agreeing(panel, column, values, city_rows, cities)
    merged.attrs = dict(panel.attrs)
    absent = int((~pd.Index(city_units).isin(pd.Index(panel_units))).sum())
    if absent:
        notes.append(f"{absent} Cities row(s) have no Panel rows and were not used")
    only_cities = tuple(str(c) for c in cities.columns if c != unit and c not in panel.columns)
    return MergedPanel(panel=merged, cities_not_in_panel=absent, notes=tuple(notes), cities_columns=only_cities,
                       cities_row=pd.Series(city_rows, index=panel.index))


def _agreeing(panel: pd.DataFrame, column: str, city_values: np.ndarray, city_rows: np.ndarray, cities: pd.DataFrame) -> pd.Series:
    own = panel[column]
    other = pd.Series(city_values, index=panel.index)
    own_blank = blank_mask(own)
    both = ~own_blank & ~blank_mask(other)
    if pd.api.types.is_numeric_dtype(own) and pd.api.types.is_numeric_dtype(other):
        a = own.to_numpy(dtype=float)
        b = other.to_numpy(dtype=float)
        differ = both & ~np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True)
    else:
        differ = both & (own.map(str).to_numpy() != other.map(str).to_numpy())
    if differ.any():
        first = int(np.flatnonzero(differ)[0])
        panel_row = int(panel.index[first])
        city_row = int(city_rows[first])
        rows = [int(r) for r in panel.index[differ]]
        raise InputError(
            f"'{column}' is {shown_value(own.iloc[first])} on Panel (cell {cell_ref(panel, column, panel_row)}) but "
            f"{shown_value(other.iloc[first])} on Cities (cell {cell_ref(cities, column, city_row)}); "
            f"{len(rows)} Panel row(s) disagree with Cities",
            sheet=PANEL,
            row=rows,
            column=column,
            fix=f"make the two sheets agree, or keep '{column}' on one sheet only",
        )
    return own.where(pd.Series(~own_blank, index=own.index), other)
