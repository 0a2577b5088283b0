"""Property: whatever a workbook holds, reading and checking it gives a result or xlcbec's own input error.

Hypothesis plants wild cells (blanks, text in any script, Excel error values,
formulas saved without results, dates, booleans, huge and tiny numbers, NaN
and infinities as a live Excel backend can hand them over) into a small valid
workbook held in memory, on every input sheet (Settings, Panel, Cities,
Indicators, Policies, Keywords), headers included; then it corrupts a valid
workbook file (random bytes, truncation, edits of the sheet XML re-zipped with
valid checksums).  The only outcomes allowed:

* a result (the checked inputs; a refresh's report), or
* :class:`~xlcbec.errors.XlcbecError` subclasses: an ``InputError`` that says
  how to fix the problem (``Fix:``), or an ``EstimationError`` from the core.

Anything else escaping (KeyError, TypeError, zlib.error, ...) is a defect.  A
further property ties `check` to `refresh`: when `check` finds nothing, the
baseline refresh raises no ``InputError`` (the check missed nothing it reads).

The UDF argument conversion is fuzzed end to end in tests/test_udf_fuzz.py;
here its converters are also called directly.

Budget: the example counts below keep this file under about 30 s on a shared
2-core machine (CI profile "ci" in conftest.py: derandomized, so reproducible).
Tolerances: none (outcome types and message shapes are checked).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xlcbec import jobs
from xlcbec.book.cell_refs import column_letter
from xlcbec.book.cells import UNCACHED, CellError, frame_from_values
from xlcbec.book.reading import inputs_from_source, read_inputs
from xlcbec.book.settings import SETTING_KEYS, Settings, parse_settings
from xlcbec.book.sheet_scan import _extent, too_sparse  # _extent: the measure itself is tested
from xlcbec.errors import EstimationError, InputError, InputErrors, XlcbecError
from xlcbec.excel import udf_inputs

# XLCBEC_FUZZ_SCALE=20 (with --hypothesis-profile=explore) hunts longer locally.
SCALE = float(os.environ.get("XLCBEC_FUZZ_SCALE", "1"))
SHEET_EXAMPLES = int(60 * SCALE)  # per sheet
PIPELINE_EXAMPLES = int(60 * SCALE)
FILE_EXAMPLES = int(40 * SCALE)



def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- a small valid workbook, as the readers see it (rows from spreadsheet row 1) ---------------

CITIES = (330100, 320100, 440300, 110000, 510100)
PILOTS = {330100: 2016, 320100: 2017, 440300: 2018, 110000: None, 510100: None}
YEARS = (2015, 2016, 2017, 2018)


def valid_sheets() -> dict[str, list[list[Any]]]:
    panel: list[list[Any]] = [["city", "year", "HQD", "lnpop", "x1", "x2", "pilot_year"]]
    for i, city in enumerate(CITIES):
        for t, year in enumerate(YEARS):
            treated = PILOTS[city] is not None and year >= PILOTS[city]  # type: ignore[operator]
            panel.append([city, year, 0.2 + 0.03 * i + 0.01 * t + 0.05 * treated + 0.001 * ((i * 7 + t * 3) % 5),
                          6.0 + 0.1 * i + 0.01 * t * (i % 3), 1.0 + i + 0.5 * t * (1 + i % 2), 10.0 - i - 0.3 * t * (1 + i % 3),
                          PILOTS[city]])
    return {
        "Settings": [["Key", "Value", "Description"], ["controls", "lnpop", ""], ["mediators", "none", ""],
                     ["bootstrap_reps", 5, ""], ["placebo_reps", 5, ""], ["heterogeneity", "coastal", ""]],
        "Panel": panel,
        "Cities": [["city", "province", "region", "coastal", "municipality"]]
        + [[c, f"P{i}", ("east", "west")[i % 2], i % 2, int(c == 110000)] for i, c in enumerate(CITIES)],
        "Indicators": [["index", "column", "dimension", "direction", "include"],
                       ["idx", "x1", "a", "+", "yes"], ["idx", "x2", "b", "-", "yes"]],
        "Policies": [["year", "title", "issuer", "text"], [2016, "跨境电商", "国务院", "设立跨境电子商务综合试验区"],
                     [2017, "Notice", "MOFCOM", "cross-border e-commerce pilot"]],
        "Keywords": [["theme", "keyword"], ["trade", "跨境"], ["policy", "试验区"]],
    }


class GridSource:
    """A workbook in memory: the SheetSource protocol the file readers and Excel backends implement."""

    def __init__(self, sheets: dict[str, list[list[Any]]]) -> None:
        self.sheets = sheets

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def read_values(self, sheet: str) -> list[list[Any]]:
        return copy.deepcopy(self.sheets[sheet])


# --- wild cells --------------------------------------------------------------------------------

WORDS = ["2015年", "2016年度", "1,234", "5%", "3.5万", "n/a", "—", "-", "+", "=SUM(A1:A3)", "@x", " ", "",
         "nan", "inf", "-inf", "1e999", "TRUE", "yes", "no", "none", "all", "城市", "١٢٣", "１２", "city", "year",
         "pilot_year", "HQD", "lnpop", "x1", "controls", "analyses", "-5, 5", "0.1, 0.05, 0.01"]

wild_cell = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.text(max_size=6),
    st.floats(),  # NaN, infinities, subnormals, +/-1.8e308
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, 1, -1, 1899, 1900, 2016, 2100, 2101, 10**15, 10**400]),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
    st.sampled_from([CellError("#DIV/0!"), CellError("#N/A"), CellError("#VALUE!"), UNCACHED]),
)


@st.composite
def planted_sheets(draw: st.DrawFn, sheets: tuple[str, ...]) -> dict[str, list[list[Any]]]:
    """The valid workbook with 1-4 wild cells (or a row removed / repeated) on the given sheets."""
    book = valid_sheets()
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sheets))
        rows = book[name]
        action = draw(st.integers(0, 9))
        if action == 0 and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif action == 1 and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        else:
            r = draw(st.integers(0, len(rows)))  # the header row and one row past the end too
            width = max(len(row) for row in rows)
            c = draw(st.integers(0, width))  # and one column past the last
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            row.extend([None] * (c + 1 - len(row)))
            row[c] = draw(wild_cell)
    return book


def assert_user_error(error: BaseException) -> None:
    """xlcbec's own error with a message a user can act on."""
    assert isinstance(error, XlcbecError), repr(error)
    problems = error.errors if isinstance(error, InputErrors) else [error]
    assert problems
    for problem in problems:
        text = str(problem)
        assert text and "Traceback" not in text
        assert "np.int64(" not in text and "np.float64(" not in text, text
        if isinstance(problem, InputError):
            assert problem.fix and "Fix:" in text, text


# --- the readers, sheet by sheet -------------------------------------------------------------------


@pytest.mark.parametrize("sheet", ["Settings", "Panel", "Cities", "Indicators", "Policies", "Keywords"])
def test_each_reader_gives_inputs_or_an_input_error(sheet):
    @fuzz(SHEET_EXAMPLES)
    @given(book=planted_sheets((sheet,)))
    def run(book: dict[str, list[list[Any]]]) -> None:
        try:
            inputs = inputs_from_source(GridSource(book), collect_errors=True)
        except XlcbecError as error:
            assert_user_error(error)
            for problem in error.errors if isinstance(error, InputErrors) else [error]:
                if problem.sheet is not None:
                    assert problem.sheet in book, problem  # never a sheet that is not there
            return
        assert isinstance(inputs.settings, Settings)
        assert inputs.panel.index.name == "row"

    run()


@fuzz(SHEET_EXAMPLES)
@given(rows=st.lists(st.tuples(st.one_of(st.sampled_from(SETTING_KEYS), wild_cell), wild_cell), max_size=8))
def test_settings_rows_parse_or_name_their_row(rows):
    numbered = [(row, key, value) for row, (key, value) in enumerate(rows, start=2)]
    try:
        parsed = parse_settings(numbered, collect_errors=True)
    except XlcbecError as error:
        assert_user_error(error)
        for problem in error.errors if isinstance(error, InputErrors) else [error]:
            assert problem.sheet == "Settings" and problem.column in ("Key", "Value"), problem
            assert problem.rows and set(problem.rows) <= {r for r, _, _ in numbered} | set(), problem
        return
    assert isinstance(parsed, Settings)
    assert parsed.bandwidth > 0 and parsed.bootstrap_reps >= 1 and parsed.event_window[0] <= parsed.event_reference


@fuzz(SHEET_EXAMPLES)
@given(values=st.lists(st.lists(wild_cell, max_size=5), max_size=6))
def test_any_grid_becomes_a_frame_or_an_input_error(values):
    try:
        frame = frame_from_values(values, "Panel")
    except XlcbecError as error:
        assert_user_error(error)
        return
    assert frame.index.name == "row" and all(int(r) >= 2 for r in frame.index)


# --- the whole pipeline: check, then a refresh when check finds nothing -------------------------


@fuzz(PIPELINE_EXAMPLES)
@given(book=planted_sheets(("Settings", "Panel", "Panel", "Panel", "Cities", "Indicators")))
def test_check_and_refresh_give_a_result_or_an_input_error(book):
    problems = jobs.check_source(GridSource(book))
    for problem in problems:
        assert_user_error(problem)
    if problems:
        event("check found a problem")
        return
    inputs = inputs_from_source(GridSource(book))
    try:
        report = jobs.run_inputs(inputs, only=("baseline",))
    except InputError as error:  # check said the inputs were fine: a refresh must agree
        raise AssertionError(f"check found no problem, but the refresh stopped at: {error}") from None
    except EstimationError as error:  # the data cannot identify the effect: said plainly
        assert_user_error(error)
        event("refresh: estimation error")
        return
    assert "baseline" in report.run.outcomes
    event("refresh: estimated")


# --- every column type in every role: exit 2 naming the column, or a clean run (never exit 1) -----

N_ROWS = len(CITIES) * len(YEARS)
COLUMN_TYPES: dict[str, Any] = {
    "numbers": lambda i: 0.5 + ((i * 37) % 11) / 10,
    "numbers_as_text": lambda i: f"{0.5 + ((i * 37) % 11) / 10}",
    "text": lambda i: ("Beijing", "6,589.3", "76.84%", "东部")[i % 4],
    "booleans": lambda i: i % 2 == 0,
    "dates": lambda i: dt.date(2015, 1, 1 + i % 28),
    "errors": lambda i: CellError("#N/A"),
    "blanks": lambda i: None,
    "mixed": lambda i: (1.5, "n/a", None, True, dt.date(2016, 5, 1), CellError("#DIV/0!"), 2016)[i % 7],
}
# role -> (sheet the column goes on, Settings rows that give it the role, the analysis that reads it)
ROLES: dict[str, tuple[str, dict[str, Any], str]] = {
    "unit": ("Panel", {"unit": "z", "heterogeneity": "none"}, "baseline"),
    "time": ("Panel", {"time": "z"}, "baseline"),
    "outcome": ("Panel", {"outcome": "z"}, "baseline"),
    "control": ("Panel", {"controls": "lnpop, z"}, "baseline"),
    "treatment": ("Panel", {"treatment": "z"}, "baseline"),
    "first_treat": ("Panel", {"first_treat": "z"}, "baseline"),
    "mediator": ("Panel", {"mediators": "z"}, "mediation"),
    "covariate": ("Panel", {"psm_covariates": "z"}, "psm"),
    "group_attribute": ("Cities", {"heterogeneity": "region"}, "heterogeneity"),
    "indicator": ("Panel", {"outcome": "idx"}, "index"),
}


def with_typed_column(kind: str, role: str) -> dict[str, list[list[Any]]]:
    """The valid workbook with a column of ``kind`` cells in ``role``."""
    book = valid_sheets()
    sheet, settings_rows, _ = ROLES[role]
    value = COLUMN_TYPES[kind]
    if sheet == "Cities":  # the city attribute itself is replaced (region)
        cities = book["Cities"]
        at = cities[0].index("region")
        for i, row in enumerate(cities[1:]):
            row[at] = value(i)
    else:
        panel = book["Panel"]
        panel[0].append("z")
        for i, row in enumerate(panel[1:]):
            row.append(value(i))
    if role == "unit":
        del book["Cities"]  # Cities lists the units by 'city'; with unit = z it would only repeat the problem
    if role == "indicator":
        book["Indicators"].append(["idx", "z", "c", "+", "yes"])
    for key, setting in settings_rows.items():
        rows = [row for row in book["Settings"] if row[0] == key]
        if rows:
            rows[0][1] = setting
        else:
            book["Settings"].append([key, setting, ""])
    return book


def _messages(error: BaseException) -> list[str]:
    return [str(e) for e in (error.errors if isinstance(error, InputErrors) else [error])]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("kind", list(COLUMN_TYPES))
def test_any_column_type_in_any_role_is_refused_by_name_or_runs(kind, role):
    """check and refresh agree: the same problems naming the column (exit 2), or both run (exit 0).

    Anything but xlcbec's own error escaping (TypeError, KeyError, ...) would be exit 1: a defect.
    """
    book = with_typed_column(kind, role)
    only = (ROLES[role][2],)
    try:
        inputs = inputs_from_source(GridSource(book), collect_errors=True)
    except InputErrors as errors:
        read_problems: list[BaseException] = list(errors.errors)
    except InputError as error:
        read_problems = [error]
    else:
        read_problems = []
    # check reads the same way (collecting), then runs refresh's preflight on what it read
    report = jobs.check_source_report(GridSource(book), only=only) if read_problems else jobs.check_report(inputs, only=only)
    for problem in report.problems:
        assert_user_error(problem)
    named = [p for p in report.problems if getattr(p, "column", None) in ("z", "region", "idx") or "'z'" in str(p)]
    located = named or all(getattr(p, "sheet", None) for p in report.problems)
    if read_problems:
        assert report.problems and located, report.problems  # the column is named, with its cells
        return
    try:
        refreshed = jobs.run_inputs(inputs, only=only)
    except XlcbecError as error:  # a refresh stops only where check stopped, with the same words
        assert report.problems, f"check found no problem, but the refresh stopped at: {error}"
        assert _messages(error) == [str(p) for p in report.problems]
        assert located, report.problems
        return
    assert not report.problems, f"check found {report.problems}, but the refresh ran"
    assert set(refreshed.analyses) == set(only)


# --- files: random corruption of a valid workbook -----------------------------------------------


def _workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in valid_sheets().items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


VALID_FILE = _workbook_bytes()


def _rezipped(data: bytes, edit: Any) -> bytes:
    """The workbook with the Panel sheet XML edited and re-zipped (checksums valid)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":  # Panel (Settings is sheet1)
                content = edit(content)
            target.writestr(info, content)
    return out.getvalue()


@st.composite
def corrupted_file(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID_FILE)
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "xml_slice", "xml_insert", "xml_value"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return bytes(data[:at]) + draw(st.binary(min_size=1, max_size=64)) + bytes(data[at:])
    if kind == "xml_slice":  # cut a random piece out of the sheet XML
        def edit(xml: bytes) -> bytes:
            a = draw(st.integers(0, len(xml)))
            b = draw(st.integers(a, min(len(xml), a + 200)))
            return xml[:a] + xml[b:]
    elif kind == "xml_insert":
        def edit(xml: bytes) -> bytes:
            at = draw(st.integers(0, len(xml)))
            piece = draw(st.sampled_from([b"<c r=\"C3\" t=\"e\"><v>#REF!</v></c>", b"<c r=\"ZZZ99999999\"><v>1</v></c>",
                                          b"<c r=\"B4\"><f>1/0</f></c>", b"<mergeCell ref=\"A1:C1\"/>", b"&amp;", b"<",
                                          b"<c r=\"A2\" t=\"s\"><v>99999</v></c>", b"\xff\xfe", b"<!DOCTYPE x>"]))
            return xml[:at] + piece + xml[at:]
    else:  # replace the text of one <v> with garbage
        def edit(xml: bytes) -> bytes:
            starts = [i for i in range(len(xml)) if xml.startswith(b"<v>", i)]
            if not starts:
                return xml
            at = draw(st.sampled_from(starts)) + 3
            end = xml.find(b"</v>", at)
            return xml[:at] + draw(st.sampled_from([b"", b"abc", b"1e999", b"-", b"NaN", b"2015\xe5\xb9\xb4", b"99999999"])) + xml[end:]
    return _rezipped(bytes(data), edit)


def test_the_valid_file_reads_and_checks_clean(tmp_path):
    path = tmp_path / "valid.xlsx"
    path.write_bytes(VALID_FILE)
    assert read_inputs(path).panel.shape[0] == len(CITIES) * len(YEARS)
    assert jobs.check_book(path) == []


@fuzz(FILE_EXAMPLES)
@given(data=corrupted_file())
def test_a_corrupted_file_gives_inputs_or_an_input_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsx"
        path.write_bytes(data)
        try:
            read_inputs(path)
            event("file: read")
        except XlcbecError as error:
            assert_user_error(error)
            event("file: refused")
        for problem in jobs.check_book(path):
            assert_user_error(problem)
        assert path.read_bytes() == data  # reading never writes


# --- how far a sheet's cells reach: the vectorised measure against a plain parse -------------------

reference = st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384))


@fuzz(150)
@given(rows=st.lists(st.lists(reference, max_size=4), min_size=1, max_size=6),
       quote=st.sampled_from(['"', "'"]), space=st.sampled_from([" ", "\n", "\t"]))
def test_sheet_extent_matches_a_plain_parse_of_the_references(rows, quote, space):
    xml = "".join(
        f"<row{space}r={quote}{i}{quote}>" + "".join(f"<c{space}r={quote}{column_letter(c)}{r}{quote} t=\"n\"><v>1</v></c>"
                                                    for r, c in cells) + "</row>"
        for i, cells in enumerate(rows, start=1)
    ).encode()
    extent = _extent(xml)
    cells = [cell for row in rows for cell in row]
    assert extent.cells == len(cells)
    if cells:
        assert extent.last_row[0] == max(r for r, _ in cells)
        assert extent.last_col[1] == max(c for _, c in cells)
        assert extent.last_row in cells and extent.last_col in cells


def test_a_far_stray_cell_makes_a_sheet_too_sparse_to_read():
    dense = "".join(f'<row r="{r}">' + "".join(f'<c r="{column_letter(c)}{r}"><v>1</v></c>' for c in range(1, 21)) + "</row>"
                    for r in range(1, 301)).encode()
    assert not too_sparse(_extent(dense))
    stray = dense + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    assert too_sparse(_extent(stray))
    # an empty formatted row far below is harmless (readers skip it); a cell there without a reference is not
    assert not too_sparse(_extent(dense + b'<row r="1048576" ht="30" customHeight="1"/><row r="2"><c r="XFD2"><v>1</v></c></row>'))
    assert too_sparse(_extent(dense + b'<row r="1048576"><c><v>1</v></c></row><row r="2"><c r="XFD2"><v>1</v></c></row>'))


# --- the worksheet functions' argument conversion ----------------------------------------------

wild_argument = st.one_of(
    wild_cell,
    st.lists(wild_cell, max_size=5),
    st.lists(st.lists(wild_cell, max_size=4), max_size=4),
    st.recursive(wild_cell, lambda inner: st.lists(inner, max_size=3), max_leaves=8),
    st.sampled_from([10**400, -(10**400), 1e-320, -0.0, float("nan"), b"\x00", {"a": 1}]),
)

# (converter, whether its result holds numbers only)
CONVERTERS = [
    (lambda v: udf_inputs.grid(v, "x"), False),
    (lambda v: udf_inputs.column(v, "x"), False),
    (lambda v: udf_inputs.matrix(v, "x"), False),
    (lambda v: udf_inputs.single(v, "x"), False),
    (lambda v: udf_inputs.label(v, "x"), False),
    (lambda v: udf_inputs.option_text(v, "x", default="a", allowed=("a", "b")), False),
    (lambda v: udf_inputs.number(v, "x"), True),
    (lambda v: udf_inputs.required_number(v, "x"), True),
    (lambda v: udf_inputs.binary(v, "x"), True),
    (lambda v: udf_inputs.number_column(v, "x"), True),
    (lambda v: udf_inputs.number_matrix(v, "x"), True),
]


@fuzz(150)
@given(value=wild_argument, which=st.integers(0, len(CONVERTERS) - 1))
def test_udf_argument_conversion_gives_a_value_or_an_input_error(value, which):
    convert, numeric = CONVERTERS[which]
    try:
        result = convert(value)
    except InputError as error:
        assert error.fix and "Fix:" in str(error)
        return
    if numeric:
        for number in _numbers(result):
            assert math.isfinite(number), result


def _numbers(value: Any) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    return []
