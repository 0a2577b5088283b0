"""The workbook contract (v1), checked on every backend through the backend interface.

Reading goes through ``inputs_from_source(backend)``; writing is checked on the
saved file (values, number formats, chart parts, no formulas).

Tolerances: text, whole numbers and short decimals written by the tables here
(0.0113: "%.16g" keeps them) are compared exactly.  READ_BACK = 1e-14 relative
for numbers that went through a saved workbook: openpyxl writes a number as
"%.16g" text, which is not always the double's shortest round-trip form
(small_panel's HQD 0.13301000000000002 is stored as 0.13301), so a read-back can
move by up to about 6e-16 relative; and the xlwings backend's reads and saves
are Excel's own number conversions.  1e-14 is the project's read-back tolerance
(tests/test_cli_safety.py); pandas' default (1e-5) would let real changes through.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.book_files import input_book, small_cities, small_panel
from xlcbec.book.backend import Placement, ResultSheetError, WorkbookBackend
from xlcbec.book.contract import INPUT_SHEETS, RESULT_SHEETS
from xlcbec.book.reading import inputs_from_source, read_inputs
from xlcbec.core.results import ESTIMATE_COLUMNS, estimate_row, estimates_frame
from xlcbec.errors import InputErrors, SettingsError
from xlcbec.report.charts import event_study_chart, placebo_histogram_chart
from xlcbec.report.tables import Cell, TableSpec

READ_BACK = 1e-14
READ_BACK_TOLERANCE = dict(check_exact=False, rtol=READ_BACK, atol=0.0)
INJECTION_TEXTS = ("=HYPERLINK(\"http://x\",\"y\")", "+SUM(A1:A2)", "-2+3", "@cmd", "=1/0")


def _table(title: str = "Table 4 Results of the baseline regression") -> TableSpec:
    return TableSpec(
        key="baseline",
        title=title,
        header=((Cell("Variables", None, "header"), Cell("HQD", None, "header")), (Cell("", None, "header"), Cell("(1)", None, "header"))),
        body=(
            (Cell("CBEC", None, "label"), Cell(0.0113, '0.0000"***"', "number")),
            (Cell("", None, "label"), Cell(6.13, "(0.00);(-0.00)", "statistic")),
            (Cell("N", None, "label"), Cell(3336, "0", "number")),
        ),
        notes=("Note: ***, ** and * indicate significance at the 1%, 5% and 10% levels; t statistics in parentheses.",),
        column_widths=(30.0, 14.0),
    )


def _event_chart():
    # Coefficients from tests/reference: the mpdta pooled event study (tests/reference/README.md, COMP), CIs illustrative.
    return event_study_chart(
        [-4, -3, -2, 0, 1, 2, 3],
        [0.003549, 0.024624, 0.023355, -0.018144, -0.043472, -0.131795, -0.092247],
        [-0.04, -0.01, -0.003, -0.04, -0.08, -0.19, -0.16],
        [0.05, 0.06, 0.05, 0.003, -0.009, -0.07, -0.03],
    )


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return input_book(
        tmp_path / "input.xlsx",
        settings={"bandwidth": 0.2, "controls": "lnpop", "event_window": "-2, 2"},
        cities=small_cities(),
        indicators=pd.DataFrame({"index": ["HQD", "HQD"], "column": ["HQD", "lnpop"], "dimension": ["a", "b"], "direction": ["+", "-"], "include": ["yes", "no"]}),
        policies=pd.DataFrame({"year": [2015, 2016], "title": ["t1", "t2"], "issuer": ["国务院", "商务部"], "text": ["跨境电商 综合试验区", "数字 基础设施"]}),
        keywords=pd.DataFrame({"theme": ["digital_infrastructure", "business_environment"], "keyword": ["数字", "营商环境"]}),
    )


# --- reading ----------------------------------------------------------------------


def test_settings_read_with_defaults(kit, book):
    inputs = inputs_from_source(kit.open(book))
    settings = inputs.settings
    assert settings.bandwidth == 0.2
    assert settings.controls == ("lnpop",)
    assert settings.event_window == (-2, 2)
    assert settings.kernel == "epanechnikov"  # blank -> default
    assert settings.cluster == "city"  # default follows the unit column
    assert settings.explicit == {"bandwidth", "controls", "event_window"}


def test_settings_validation_names_row_and_column(kit, tmp_path):
    path = input_book(tmp_path / "bad.xlsx", settings={"bandwidth": -1, "kernel": "triangle"})
    with pytest.raises(InputErrors) as caught:
        inputs_from_source(kit.open(path), collect_errors=True)
    errors = caught.value.errors
    assert {e.column for e in errors} == {"Value"}
    assert all(isinstance(e, SettingsError) and e.sheet == "Settings" for e in errors)
    # The template writes keys in contract order from row 2: bandwidth is key 18, kernel key 17.
    assert sorted(e.row for e in errors) == [18, 19]
    with pytest.raises(SettingsError, match="kernel"):
        inputs_from_source(kit.open(path))


def test_panel_and_attribute_sheets_are_typed_and_row_indexed(kit, book):
    inputs = inputs_from_source(kit.open(book))
    panel = inputs.panel
    assert list(panel.index) == list(range(2, 11))
    assert panel["city"].dtype == "int64" and str(panel["year"].dtype) == "Int64"
    # In-memory HQD against its read-back through the file's 16-digit text: READ_BACK (module docstring).
    pd.testing.assert_series_equal(panel["HQD"], small_panel()["HQD"].set_axis(range(2, 11)).rename_axis("row"), check_names=False,
                                   **READ_BACK_TOLERANCE)
    assert list(inputs.cities["pilot_year"]) == [2016, 2017, 0]
    assert list(inputs.indicators["direction"]) == ["+", "-"]
    assert list(inputs.indicators["include"]) == [True, False]
    assert list(inputs.policies["year"]) == [2015, 2016]
    assert list(inputs.keywords["keyword"]) == ["数字", "营商环境"]


def test_backend_reading_matches_the_file_reader(kit, book):
    """Two routes to the same inputs: the backend's bulk read and read_inputs on the file."""
    via_backend = inputs_from_source(kit.open(book))
    via_file = read_inputs(book)
    for name in ("panel", "cities", "indicators", "policies", "keywords"):
        pd.testing.assert_frame_equal(getattr(via_backend, name), getattr(via_file, name), **READ_BACK_TOLERANCE)
    assert via_backend.settings == via_file.settings


# --- writing ------------------------------------------------------------------------


def _save(kit, backend: WorkbookBackend, tmp_path: Path) -> Path:
    out = tmp_path / f"out_{kit.name}.xlsx"
    assert backend.save(out) == out
    return out


def test_table_values_stay_numeric_with_number_formats(kit, book, tmp_path):
    backend = kit.open(book)
    placement = backend.write_table("Baseline", _table(), (2, 2))
    assert placement == Placement("Baseline", 2, 2, 2 + 1 + 2 + 3 + 1 - 1, 3)
    saved = openpyxl.load_workbook(_save(kit, backend, tmp_path))
    ws = saved["Baseline"]
    assert ws["B2"].value == "Table 4 Results of the baseline regression"
    assert ws["C5"].value == 0.0113 and ws["C5"].number_format == '0.0000"***"'
    assert ws["C6"].value == 6.13 and ws["C6"].number_format == "(0.00);(-0.00)"
    assert ws["C7"].value == 3336 and ws["C7"].number_format == "0"
    assert ws["B8"].value.startswith("Note: ***")
    assert ws.column_dimensions["B"].width == 30.0


def test_charts_are_native_chart_parts(kit, book, tmp_path):
    backend = kit.open(book)
    backend.write_chart("EventStudy", _event_chart(), (1, 1))
    import numpy as np

    draws = np.random.default_rng(7).normal(0.0, 0.004, 200)
    backend.write_chart("Robustness", placebo_histogram_chart(draws, 0.0107), (1, 1))
    out = _save(kit, backend, tmp_path)
    with zipfile.ZipFile(out) as zf:
        charts = sorted(n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        xml = {n: zf.read(n).decode("utf-8") for n in charts}
    assert len(charts) == 2
    scatter = next(x for x in xml.values() if "scatterChart" in x)
    bar = next(x for x in xml.values() if "barChart" in x)
    assert "errBars" in scatter and re.search(r'errValType val="cust"', scatter)
    series = re.compile(r"<(?:\w+:)?ser>")  # openpyxl writes no prefix, Excel writes c:
    # Coefficient series plus the zero line and the policy-start line.
    assert len(series.findall(scatter)) == 3
    assert len(series.findall(bar)) == 2


def test_text_that_looks_like_a_formula_is_written_as_text(kit, book, tmp_path):
    backend = kit.open(book)
    body = tuple((Cell(text, None, "label"), Cell(1.0, "0.00", "number")) for text in INJECTION_TEXTS)
    backend.write_table("Log", TableSpec(key="t", title="=cmd|' /C calc'!A0", header=(), body=body), (1, 1))
    frame = pd.DataFrame({"term": list(INJECTION_TEXTS), "estimate": [1.0] * len(INJECTION_TEXTS)})
    backend.write_frame("Estimates", frame)
    out = _save(kit, backend, tmp_path)
    with zipfile.ZipFile(out) as zf:
        book_parts = {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")}
    from xlcbec.book.package import open_package

    parts = open_package(out).sheet_parts
    for sheet in ("Log", "Estimates"):
        assert not re.search(rb"<(?:\w+:)?f[ >]", book_parts[parts[sheet]]), f"a formula element was written on {sheet}"
    saved = openpyxl.load_workbook(out)
    assert saved["Log"]["A1"].value == "=cmd|' /C calc'!A0"
    assert [saved["Log"].cell(r, 1).value for r in range(2, 2 + len(INJECTION_TEXTS))] == list(INJECTION_TEXTS)
    assert [saved["Estimates"].cell(r, 1).value for r in range(2, 2 + len(INJECTION_TEXTS))] == list(INJECTION_TEXTS)
    assert all(saved["Estimates"].cell(r, 1).data_type == "s" for r in range(2, 2 + len(INJECTION_TEXTS)))


@pytest.mark.parametrize("sheet", INPUT_SHEETS)
def test_input_sheets_are_never_written(kit, book, sheet):
    backend = kit.open(book)
    with pytest.raises(ResultSheetError, match="input sheet"):
        backend.write_table(sheet, _table(), (1, 1))
    with pytest.raises(ResultSheetError):
        backend.reset_result_sheet(sheet)
    with pytest.raises(ResultSheetError):
        backend.write_chart(sheet, _event_chart(), (1, 1))
    with pytest.raises(ResultSheetError):
        backend.write_frame(sheet, pd.DataFrame({"a": [1]}))


def test_unknown_sheet_names_are_refused(kit, book):
    with pytest.raises(ResultSheetError, match="not a result sheet"):
        kit.open(book).write_table("Results", _table(), (1, 1))


def test_inputs_survive_a_refresh_unchanged(kit, book, tmp_path):
    backend = kit.open(book)
    before = read_inputs(book)
    for sheet in RESULT_SHEETS:
        backend.reset_result_sheet(sheet)
    backend.write_table("Baseline", _table(), (1, 1))
    out = _save(kit, backend, tmp_path)
    after = read_inputs(out)
    for name in ("panel", "cities", "indicators", "policies", "keywords"):
        pd.testing.assert_frame_equal(getattr(before, name), getattr(after, name), **READ_BACK_TOLERANCE)
    assert after.settings == before.settings
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert names == list(INPUT_SHEETS) + list(RESULT_SHEETS)


def test_reset_clears_a_result_sheet_whole(kit, book, tmp_path):
    backend = kit.open(book)
    backend.write_table("Baseline", _table(), (1, 1))
    backend.write_chart("Baseline", _event_chart(), (20, 1))
    backend.reset_result_sheet("Baseline")
    backend.write_table("Baseline", _table("Second run"), (1, 1))
    out = _save(kit, backend, tmp_path)
    ws = openpyxl.load_workbook(out)["Baseline"]
    assert ws["A1"].value == "Second run"
    assert ws.max_row == 7  # title, two header rows, three body rows, one note
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith("xl/charts/")]


def test_estimates_frame_has_the_contract_columns(kit, book, tmp_path):
    backend = kit.open(book)
    rows = [
        estimate_row("baseline", "controls", "CBEC", 0.0107, std_error=0.003, statistic=3.6, p_value=0.0004, nobs=3327, r2_within=0.6045),
        estimate_row("psm_att", "kernel", "ATT", 0.0303, std_error=0.0095, note="bootstrap SE 0.0101"),
    ]
    placement = backend.write_frame("Estimates", estimates_frame(rows))
    assert placement == Placement("Estimates", 1, 1, 3, len(ESTIMATE_COLUMNS))
    ws = openpyxl.load_workbook(_save(kit, backend, tmp_path))["Estimates"]
    assert [c.value for c in ws[1]] == list(ESTIMATE_COLUMNS)
    assert ws.freeze_panes == "A2"
    assert ws["D2"].value == 0.0107 and ws["J2"].value == 3327
    assert ws["G3"].value is None  # missing p-value: an empty cell, not 'nan'
    assert ws["M3"].value == "bootstrap SE 0.0101"


def test_read_values_is_one_grid_from_a1(kit, book):
    values = kit.open(book).read_values("Cities")
    assert [str(v) for v in values[0][:2]] == ["city", "province"]
    assert len(values) == 4


def test_results_only_workbook_reads_inputs_from_disk(book, tmp_path):
    """openpyxl backend option for very large panels: the output holds only result sheets."""
    from xlcbec.book.openpyxl_backend import OpenpyxlBackend

    backend = OpenpyxlBackend.results_only(book)
    assert backend.sheet_names()[:6] == list(INPUT_SHEETS)
    pd.testing.assert_frame_equal(inputs_from_source(backend).panel, read_inputs(book).panel, **READ_BACK_TOLERANCE)
    backend.write_table("Baseline", _table(), (1, 1))
    backend.write_frame("Estimates", estimates_frame([estimate_row("baseline", "controls", "CBEC", 0.01)]))
    out = backend.save(tmp_path / "results.xlsx")
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == ["Baseline", "Estimates"]
