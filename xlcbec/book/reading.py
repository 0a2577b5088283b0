"""Reading a workbook file: sheets as DataFrames indexed by spreadsheet row, and the checked inputs.

Route: :func:`~xlcbec.book.package.open_package` first (format, zip bomb, XML
bomb), then values through python-calamine, which reads a million-row Panel
without building a Python object per cell.  calamine returns the values Excel
stored (cached formula results); what it cannot tell apart from an empty cell
(an Excel error value, a formula saved without its result) comes from one
stream over the sheet's XML (:func:`~xlcbec.book.sheet_scan.scan_sheet`) and is put
back into the grid as :class:`~xlcbec.book.cells.CellError` /
:data:`~xlcbec.book.cells.UNCACHED` markers.  openpyxl (read-only,
``data_only=True``) is the second route, used when calamine is unavailable or
cannot parse a file; both routes give the same frames (tested).
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from xlcbec.book import input_sheets
from xlcbec.book.aliases import (
    SHEET_NAMES_ZH,
    BookSpelling,
    canonical_columns,
    canonical_values,
    find_sheet,
    sheet_code,
)
from xlcbec.book.cell_refs import cell_name, column_letter
from xlcbec.book.cells import RECALCULATE, UNCACHED, CellError, frame_from_values, numeric_column
from xlcbec.book.contract import CITIES, INDICATORS, KEYWORDS, PANEL, POLICIES, REQUIRED_SHEETS, SETTINGS
from xlcbec.book.input_sheets import MergedPanel, merge_cities
from xlcbec.book.package import Package, open_package
from xlcbec.book.settings import Settings, parse_settings_keeping_valid
from xlcbec.book.sheet_scan import BEYOND, SheetExtent, SheetScan, scan_sheet, too_sparse
from xlcbec.errors import InputError, InputErrors

Engine = Literal["auto", "calamine", "openpyxl"]

# Sheets of one value per cell, where a merged range would silently blank rows.
DATA_SHEETS: tuple[str, ...] = (PANEL, CITIES)


class SheetSource(Protocol):
    """Anything that lists sheets and hands over one sheet's values in one bulk read.

    ``read_values`` returns rows from spreadsheet row 1 and column A; empty
    cells are None or ''.  Backends satisfy this too.
    """

    def sheet_names(self) -> list[str]: ...

    def read_values(self, sheet: str) -> list[list[Any]]: ...


def merged_header_ranges(scan: SheetScan) -> list[tuple[int, int]]:
    """(first col, last col) of merged ranges that include a header cell (row 1)."""
    return [(c1, c2) for r1, c1, r2, c2 in scan.merged if r1 == 1 and (c2 > c1 or r2 > r1)]


class _ScannedSource:
    """Caches one XML scan per sheet: markers for the values, merged ranges for the header."""

    def __init__(self, package: Package) -> None:
        self._package = package
        self._scans: dict[str, SheetScan] = {}

    def scan(self, sheet: str) -> SheetScan:
        if sheet not in self._scans:
            part = self._package.sheet_parts.get(sheet)
            self._scans[sheet] = scan_sheet(self._package.path, part) if part else SheetScan()
        scan = self._scans[sheet]
        if scan.extent is not None and too_sparse(scan.extent):
            raise _stray_cells_error(sheet, scan.extent)
        if scan.unlocated:
            # Rare writers omit cell references; such error cells could not be named, so stop here.
            raise InputError(
                f"{scan.unlocated} cell(s) hold Excel errors or formulas without saved results, "
                "and the file does not record where they are",
                sheet=sheet,
                fix=RECALCULATE,
            )
        return scan

    def merged_header(self, sheet: str) -> list[tuple[int, int]]:
        return merged_header_ranges(self.scan(sheet))

    def hidden_rows(self, sheet: str) -> tuple[int, ...]:
        """Rows hidden by hand or by a filter: read like the others (the Log says how many)."""
        return self.scan(sheet).hidden_rows

    def merged_data(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """Merged ranges below the header row: the readers see their value in the first cell only."""
        return [(r1, c1, r2, c2) for r1, c1, r2, c2 in self.scan(sheet).merged if r2 > 1 and (r2 > r1 or c2 > c1)]


def _stray_cells_error(sheet: str, extent: SheetExtent) -> InputError:
    far = sorted({extent.last_row, extent.last_col})
    where = " and ".join(cell_name(r, c) if r < BEYOND and c < BEYOND else "beyond Excel's last cell" for r, c in far)
    return InputError(
        f"the sheet's cells reach {where}, far beyond its {extent.cells:,} filled cells: reading it would mean "
        f"a {extent.rows:,} x {extent.columns:,} range (the file may also be damaged)",
        sheet=sheet,
        row=extent.last_row[0] if extent.last_row[0] < BEYOND else None,
        column=column_letter(extent.last_col[1]) if extent.last_col[1] < BEYOND else None,
        fix=f"on sheet '{sheet}', press Ctrl+End to find the last used cell, delete the stray cells far below or "
        "to the right of the table (select the empty rows and columns up to them and delete them), then save",
    )


def _with_markers(values: list[list[Any]], scan: SheetScan) -> list[list[Any]]:
    """Put the error values and unsaved formulas the XML scan found into the grid."""
    marks: list[tuple[tuple[int, int], Any]] = [(cell, CellError(code)) for cell, code in scan.errors.items()]
    marks += [(cell, UNCACHED) for cell in scan.uncached]
    for (row, col), marker in marks:
        while len(values) < row:
            values.append([])
        line = values[row - 1]
        if len(line) < col:
            line.extend([None] * (col - len(line)))
        line[col - 1] = marker
    return values


class CalamineSource(_ScannedSource):
    """Values through python-calamine (fast; cached formula results)."""

    def __init__(self, package: Package) -> None:
        import python_calamine

        super().__init__(package)
        self._fallback: OpenpyxlSource | None = None
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(package.path))
        except python_calamine.PasswordError:
            raise InputError(
                f"'{package.path.name}' is protected with a password",
                fix="open it in Excel, remove the password, and save",
            ) from None

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def read_values(self, sheet: str) -> list[list[Any]]:
        scan = self.scan(sheet)  # first: it refuses a sheet whose range no reader could hold
        try:
            rows = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine's parser errors: openpyxl gets a chance at this sheet
            if not _is_calamine_error(exc):
                raise
            if self._fallback is None:
                self._fallback = _open_openpyxl(self._package)
            return self._fallback.read_values(sheet)
        return _with_markers([list(r) for r in rows], scan)

    def close(self) -> None:
        self._book.close()
        if self._fallback is not None:
            self._fallback.close()


class OpenpyxlSource(_ScannedSource):
    """Values through openpyxl in read-only mode (cached results; defusedxml parser)."""

    def __init__(self, package: Package) -> None:
        import openpyxl

        super().__init__(package)
        self._book = openpyxl.load_workbook(package.path, read_only=True, data_only=True, keep_links=False)

    def sheet_names(self) -> list[str]:
        return list(self._book.sheetnames)

    def read_values(self, sheet: str) -> list[list[Any]]:
        scan = self.scan(sheet)  # first: it refuses a sheet whose range no reader could hold
        values: list[list[Any]] = []
        try:
            # Read-only iter_rows starts at A1 and fills missing rows and cells.
            for row in self._book[sheet].iter_rows():
                line: list[Any] = []
                for cell in row:
                    if getattr(cell, "data_type", None) == "e":
                        line.append(CellError(str(cell.value)))
                    else:
                        line.append(_plain(cell.value))
                values.append(line)
        except Exception as exc:  # openpyxl raises many types for damaged sheet XML
            raise _damaged(self._package, exc) from None
        # Errors are already typed by openpyxl; unsaved formulas read as None.
        return _with_markers(values, SheetScan(uncached=scan.uncached))

    def close(self) -> None:
        self._book.close()


def _plain(value: Any) -> Any:
    """openpyxl gives a midnight datetime for a date cell; calamine gives a date."""
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0) and value.tzinfo is None:
        return value.date()
    return value


def _open_source(package: Package, engine: Engine) -> CalamineSource | OpenpyxlSource:
    if engine in ("auto", "calamine"):
        try:
            return CalamineSource(package)
        except ImportError:
            if engine == "calamine":
                raise
        except InputError:
            raise
        except Exception as exc:  # calamine's own errors: let openpyxl try before giving up
            if engine == "calamine" or not _is_calamine_error(exc):
                raise _damaged(package, exc) from None
    return _open_openpyxl(package)


def _open_openpyxl(package: Package) -> OpenpyxlSource:
    try:
        return OpenpyxlSource(package)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise _damaged(package, exc) from None


def _is_calamine_error(exc: Exception) -> bool:
    return type(exc).__module__.startswith("python_calamine")


def _damaged(package: Package, exc: Exception) -> InputError:
    return InputError(
        f"'{package.path.name}' cannot be read ({type(exc).__name__}: {exc})",
        fix="open the workbook in Excel, let it repair the file if it offers to, and save it",
    )


def read_sheet(path: str | Path, sheet: str, *, engine: Engine = "auto") -> pd.DataFrame:
    """One sheet as a DataFrame of raw cell values, indexed by spreadsheet row (data from row 2)."""
    package = open_package(path)
    source = _open_source(package, engine)
    try:
        return sheet_frame(source, sheet)
    finally:
        source.close()


def sheet_frame(source: SheetSource, sheet: str) -> pd.DataFrame:
    """``sheet`` from ``source`` as a raw DataFrame; merged header cells are an error.

    A source that can see merged cells offers ``merged_header(sheet)``.
    """
    names = source.sheet_names()
    if sheet not in names:
        raise missing_sheet_error(sheet, names)
    merged_data = getattr(source, "merged_data", None)
    if (sheet_code(sheet) or sheet) in DATA_SHEETS and callable(merged_data):
        ranges = merged_data(sheet)
        if ranges:
            shown = ", ".join(f"{cell_name(r1, c1)}:{cell_name(r2, c2)}" for r1, c1, r2, c2 in ranges[:8])
            more = f" and {len(ranges) - 8} more" if len(ranges) > 8 else ""
            raise InputError(
                f"merged cells {shown}{more} inside the data: only the first cell of a merged range holds a value, "
                "so every other row of it would read as blank",
                sheet=sheet, row=[r1 for r1, _, _, _ in ranges[:8]], column=column_letter(ranges[0][1]),
                fix="select the range, unmerge it (Home > Merge & Center) and fill the value into every row",
            )
    values = source.read_values(sheet)
    merged_header = getattr(source, "merged_header", None)
    merged = merged_header(sheet) if callable(merged_header) else []
    frame = frame_from_values(values, sheet, merged_header=merged)
    hidden_rows = getattr(source, "hidden_rows", None)
    if callable(hidden_rows):
        hidden = frame.index.intersection(pd.Index(hidden_rows(sheet), dtype="int64"))
        if len(hidden):
            frame.attrs[HIDDEN_ROWS] = tuple(int(r) for r in hidden)
    return frame


HIDDEN_ROWS = "hidden_rows"  # frame.attrs key: data rows hidden by hand or by a filter


def hidden_rows_note(sheet: str, rows: Sequence[int]) -> str:
    """The Log line for hidden or filtered data rows: they are used, and the user should know."""
    shown = ", ".join(str(r) for r in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
    return (f"sheet '{sheet}': {len(rows)} hidden or filtered row(s) (rows {shown}) are read and used like every other "
            "row; to leave rows out, delete them (a filter only hides them)")


def missing_sheet_error(sheet: str, found: Sequence[str]) -> InputError:
    close = [n for n in found if n.strip().lower() == sheet.lower()] or difflib.get_close_matches(sheet, list(found), n=1, cutoff=0.75)
    fix = f"rename the sheet '{close[0]}' to '{sheet}' (sheet names are fixed)" if close else f"add a sheet named '{sheet}' (use `xlcbec template` for a blank workbook with every sheet)"
    chinese = f" (or '{SHEET_NAMES_ZH[sheet]}')" if sheet in SHEET_NAMES_ZH else ""
    return InputError(
        f"the workbook has no sheet named '{sheet}'{chinese}; sheets found: {', '.join(repr(n) for n in found) or 'none'}",
        sheet=sheet,
        fix=fix,
    )


# --- the inputs ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WorkbookInputs:
    """Everything a refresh reads, checked and typed; frames indexed by spreadsheet row.

    ``cities`` is not yet merged into ``panel`` (see :func:`merge_cities`).
    ``notes`` are plain-language remarks for the Log.
    """

    settings: Settings
    panel: pd.DataFrame
    cities: pd.DataFrame
    indicators: pd.DataFrame
    policies: pd.DataFrame
    keywords: pd.DataFrame
    sheet_names: tuple[str, ...] = ()
    path: Path | None = None
    notes: tuple[str, ...] = field(default=())
    # How this workbook spells the built-in sheets and headers (Chinese or bilingual names): problems are shown so.
    spelling: BookSpelling = field(default_factory=BookSpelling)


class _Collector:
    """Runs checks; keeps every problem (``collect``) or stops at the first, placed as the workbook spells it."""

    def __init__(self, collect: bool) -> None:
        self.collect = collect
        self.problems: list[InputError] = []
        self.sheets: dict[str, str] = {}
        self.columns: dict[tuple[str, str], str] = {}

    @property
    def spelling(self) -> BookSpelling:
        return BookSpelling(dict(self.sheets), dict(self.columns))

    def add(self, error: InputError | InputErrors) -> None:
        found = error.errors if isinstance(error, InputErrors) else [error]
        found = [self.spelling.place(e) for e in found]  # type: ignore[misc]
        if not self.collect:
            raise found[0]
        self.problems.extend(found)


def read_inputs(path: str | Path, *, collect_errors: bool = False, engine: Engine = "auto") -> WorkbookInputs:
    """Read and check every input sheet of the workbook at ``path``.

    Raises the first :class:`InputError`; with ``collect_errors=True`` an
    :class:`InputErrors` listing every problem found (for ``xlcbec check``).
    File-level problems (not a workbook, damaged, unsafe) stop at once.
    A successful read is remembered between runs while the input sheets are
    unchanged (:mod:`xlcbec.book.read_cache`).
    """
    from xlcbec.book.read_cache import cached

    package = open_package(path)

    def read() -> WorkbookInputs:
        source = _open_source(package, engine)
        try:
            return inputs_from_source(source, package=package, collect_errors=collect_errors)
        finally:
            source.close()

    # The same bytes read by the same code give the same inputs: kept between runs (see read_cache).
    return cached(package, ("read_inputs", collect_errors, engine), read)


def check_workbook(path: str | Path) -> list[InputError]:
    """Every input problem of the workbook at ``path`` (empty = ready to run)."""
    try:
        read_inputs(path, collect_errors=True)
    except InputErrors as errors:
        return [e for e in errors.errors if isinstance(e, InputError)]
    except InputError as error:
        return [error]
    return []


def inputs_from_source(source: SheetSource, *, package: Package | None = None, collect_errors: bool = False) -> WorkbookInputs:
    """The checked inputs from any :class:`SheetSource` (a file reader or a backend)."""
    problems = _Collector(collect_errors)
    names = source.sheet_names()
    notes: list[str] = []

    def frame(sheet: str) -> pd.DataFrame | None:
        try:
            actual = find_sheet(sheet, names)
        except InputError as error:
            problems.add(error)
            return None
        if actual is None:
            if sheet in REQUIRED_SHEETS or any(n.strip().lower() == sheet.lower() for n in names):
                problems.add(missing_sheet_error(sheet, names))
            else:
                notes.append(f"sheet '{sheet}' absent: treated as empty")
            return None
        if actual != sheet:
            problems.sheets[sheet] = actual
        try:
            # Chinese or bilingual headers of built-in columns become their codes; others stay as typed.
            read = sheet_frame(source, actual)
            raw, spelled = canonical_columns(read, sheet, actual)
        except InputError as error:
            problems.add(error)
            return None
        problems.columns.update({(sheet, code): header for code, header in spelled.items()})
        if sheet in (PANEL, CITIES):  # one namespace: a Cities column merged into Panel keeps its spelling
            other = CITIES if sheet == PANEL else PANEL
            for code, header in spelled.items():
                problems.columns.setdefault((other, code), header)
        if read.attrs.get(HIDDEN_ROWS):
            notes.append(hidden_rows_note(actual, read.attrs[HIDDEN_ROWS]))
        return raw

    settings = Settings()
    settings_frame = frame(SETTINGS)
    if settings_frame is not None:
        try:
            settings, found = parse_settings_keeping_valid(input_sheets.settings_rows(settings_frame))
        except InputError as error:  # the Settings headers themselves
            problems.add(error)
        else:
            if found:
                problems.add(InputErrors(found))
            settings, renamed = settings_in_codes(settings)
            notes.extend(renamed)

    panel = input_sheets.empty_panel(settings)
    panel_frame = frame(PANEL)
    if panel_frame is not None:
        panel = _checked(problems, input_sheets.panel_table, panel_frame, settings, fallback=panel)

    cities = input_sheets.empty_cities(settings)
    cities_frame = frame(CITIES)
    if cities_frame is not None:
        cities = _checked(problems, input_sheets.cities_table, cities_frame, settings, fallback=cities)

    indicators = input_sheets.empty_table(INDICATORS)
    indicators_frame = frame(INDICATORS)
    if indicators_frame is not None:
        indicators = _checked(problems, input_sheets.indicators_table, indicators_frame, settings, fallback=indicators)
        # An indicator named by its Chinese or bilingual header is the Panel column of that code.
        indicators = indicators.assign(column=pd.Series(canonical_values(indicators["column"]), index=indicators.index,
                                                        dtype=object))

    policies = input_sheets.empty_table(POLICIES)
    policies_frame = frame(POLICIES)
    if policies_frame is not None:
        policies = _checked(problems, input_sheets.policies_table, policies_frame, settings, fallback=policies)

    keywords = input_sheets.empty_table(KEYWORDS)
    keywords_frame = frame(KEYWORDS)
    if keywords_frame is not None:
        keywords = _checked(problems, input_sheets.keywords_table, keywords_frame, settings, fallback=keywords)
    if keywords.empty and not policies.empty:
        notes.append("the Keywords sheet is empty or absent: the policy-text analysis uses the built-in dictionary")
    title_only = int(policies.attrs.get(input_sheets.TITLE_ONLY, 0))
    if title_only:
        notes.append(f"{title_only} Policies row(s) have no text: their title is counted instead; paste the full "
                     "texts into 'text' for the paper's analysis")

    if problems.problems:
        raise InputErrors(problems.problems)
    return WorkbookInputs(
        settings=settings,
        panel=panel,
        cities=cities,
        indicators=indicators,
        policies=policies,
        keywords=keywords,
        sheet_names=tuple(names),
        path=package.path if package else None,
        notes=tuple(notes),
        spelling=problems.spelling,
    )


# Settings keys whose values name Panel columns: a Chinese or bilingual column name there means the code.
COLUMN_SETTINGS: tuple[str, ...] = ("unit", "time", "first_treat", "treatment", "outcome", "cluster", "controls",
                                    "psm_covariates", "mediators")


def settings_in_codes(settings: Settings) -> tuple[Settings, list[str]]:
    """``settings`` with column names typed in Chinese (``人口规模（对数）``) as their codes, and a Log line for each."""
    import dataclasses

    from xlcbec.book.aliases import column_code

    changes: dict[str, Any] = {}
    notes: list[str] = []
    for key in COLUMN_SETTINGS:
        value = getattr(settings, key)
        if key not in settings.explicit or value is None:
            continue
        names = value if isinstance(value, tuple) else (value,)
        codes = tuple(column_code(PANEL, name) for name in names)
        if codes != names:
            changes[key] = codes if isinstance(value, tuple) else codes[0]
            pairs = ", ".join(f"{name} = {code}" for name, code in zip(names, codes) if name != code)
            notes.append(f"Settings '{key}': column names read as their codes ({pairs})")
    return (dataclasses.replace(settings, **changes) if changes else settings), notes


def _checked(problems: _Collector, build: Any, frame: pd.DataFrame, settings: Settings, *, fallback: pd.DataFrame) -> pd.DataFrame:
    try:
        result: pd.DataFrame = build(frame, settings, collect_errors=problems.collect)
        return result
    except (InputError, InputErrors) as error:
        problems.add(error)
        return fallback


__all__ = [
    "CalamineSource",
    "MergedPanel",
    "OpenpyxlSource",
    "SheetSource",
    "WorkbookInputs",
    "check_workbook",
    "inputs_from_source",
    "merge_cities",
    "missing_sheet_error",
    "numeric_column",
    "read_inputs",
    "read_sheet",
    "sheet_frame",
]
