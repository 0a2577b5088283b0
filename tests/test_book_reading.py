"""Reading input sheets: edge cases a statistics bureau's workbook really has.

Every problem must be an InputError naming the sheet, the row(s) and the
column, and saying how to fix it.  The calamine and openpyxl routes must give
identical frames.

Tolerances: none; values are read, not computed.  Frames from the two routes are
compared with check_exact=True (pandas' default would allow 1e-5 relative): both
parse the same decimal text of the same file, each to the nearest double.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.book_files import input_book, patch_zip, replace_cell, sheet_part, small_cities, small_panel
from xlcbec.book import reading
from xlcbec.book.cells import RECALCULATE, numeric_column
from xlcbec.book.reading import check_workbook, merge_cities, read_inputs, read_sheet
from xlcbec.errors import InputError, InputErrors


def raw_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook written cell by cell with openpyxl ('=...' strings become formulas)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    workbook.save(path)
    return path


PANEL_ROWS = [
    ["city", "year", "HQD"],
    [330100, 2015, 0.11],
    [330100, 2016, 0.12],
    [320100, 2015, 0.21],
]


def panel_with(path: Path, *edits: tuple[int, int, object]) -> Path:
    rows = [list(r) for r in PANEL_ROWS]
    for row, col, value in edits:
        rows[row - 1][col - 1] = value
    return raw_book(path, {"Panel": rows})


# --- values Excel stores and readers lose ---------------------------------------------


def test_formula_without_stored_result_names_the_cell(tmp_path):
    path = panel_with(tmp_path / "f.xlsx", (3, 3, "=C2*2"))  # openpyxl saves formulas without results
    with pytest.raises(InputError) as caught:
        read_inputs(path)
    error = caught.value
    assert (error.sheet, error.rows, error.column) == ("Panel", (3,), "HQD")
    assert "C3" in str(error) and "result was not saved" in str(error)
    assert error.fix == RECALCULATE


def test_formula_with_stored_result_reads_the_result_on_both_routes(tmp_path):
    source = panel_with(tmp_path / "s.xlsx")
    part = sheet_part(source, "Panel")
    cached = patch_zip(source, tmp_path / "cached.xlsx", {part: lambda xml: replace_cell(xml, "C3", '<c r="C3"><f>C2+0.01</f><v>0.12</v></c>')})
    for engine in ("calamine", "openpyxl"):
        assert read_inputs(cached, engine=engine).panel.loc[3, "HQD"] == 0.12


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_excel_error_values_name_the_cell(tmp_path, engine):
    source = panel_with(tmp_path / "s.xlsx")
    part = sheet_part(source, "Panel")
    broken = patch_zip(
        source,
        tmp_path / "err.xlsx",
        {part: lambda xml: replace_cell(xml, "C4", '<c r="C4" t="e"><f>1/0</f><v>#DIV/0!</v></c>')},
    )
    with pytest.raises(InputError) as caught:
        read_inputs(broken, engine=engine)
    assert (caught.value.rows, caught.value.column) == ((4,), "HQD")
    assert "C4" in str(caught.value) and "#DIV/0!" in str(caught.value)


def test_text_in_a_numeric_column_names_every_cell(tmp_path):
    path = panel_with(tmp_path / "t.xlsx", (2, 3, "n/a"), (4, 3, "—"))
    with pytest.raises(InputError) as caught:
        read_inputs(path)
    assert caught.value.rows == (2, 4) and caught.value.column == "HQD"
    assert "expected a number in cell C2, C4" in str(caught.value)
    assert "leave the cell empty" in str(caught.value)


def test_numbers_stored_as_text_are_numbers(tmp_path):
    path = panel_with(tmp_path / "n.xlsx", (2, 3, " 0.11 "), (3, 2, "2016"))
    panel = read_inputs(path).panel
    assert panel["HQD"].tolist() == [0.11, 0.12, 0.21] and panel["year"].tolist() == [2015, 2016, 2015]


def test_nan_typed_as_text_is_not_a_silent_missing_value(tmp_path):
    with pytest.raises(InputError, match="found 'nan'"):
        read_inputs(panel_with(tmp_path / "nan.xlsx", (3, 3, "nan")))


def test_year_written_as_text_gets_the_fix(tmp_path):
    with pytest.raises(InputError) as caught:
        read_inputs(panel_with(tmp_path / "y.xlsx", (3, 2, "2016年")))
    assert caught.value.column == "year" and caught.value.rows == (3,)
    assert "type the year as the number 2016, without 年" in str(caught.value)


def test_year_in_a_date_formatted_cell_is_explained(tmp_path):
    with pytest.raises(InputError, match="formatted as a date"):
        read_inputs(panel_with(tmp_path / "d.xlsx", (3, 2, dt.date(1905, 7, 8))))


def test_fractional_year_is_an_error(tmp_path):
    with pytest.raises(InputError, match="whole number"):
        read_inputs(panel_with(tmp_path / "f.xlsx", (3, 2, 2015.5)))


# --- header row -------------------------------------------------------------------------


def test_merged_header_cells_are_refused(tmp_path):
    path = panel_with(tmp_path / "m.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Panel"].merge_cells("B1:C1")
    workbook.save(path)
    with pytest.raises(InputError, match=r"header cells B1:C1 are merged") as caught:
        read_inputs(path)
    assert caught.value.sheet == "Panel" and caught.value.row == 1


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_merged_cells_inside_the_data_are_refused_with_the_range(tmp_path, engine):
    """A region typed once over a merged block would leave every other row blank: refused, not guessed."""
    path = panel_with(tmp_path / "md.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Panel"].merge_cells("C3:C5")
    workbook.save(path)
    with pytest.raises(InputError, match=r"merged cells C3:C5 inside the data") as caught:
        read_inputs(path, engine=engine)
    assert (caught.value.sheet, caught.value.row, caught.value.column) == ("Panel", 3, "C")
    assert "unmerge" in caught.value.fix


def test_blank_header_over_data_is_refused(tmp_path):
    path = raw_book(tmp_path / "b.xlsx", {"Panel": [["city", "year", None], [1, 2015, 0.5]]})
    with pytest.raises(InputError, match="column C has data .* but no header") as caught:
        read_inputs(path)
    assert caught.value.column == "C"


def test_duplicate_headers_are_refused(tmp_path):
    path = raw_book(tmp_path / "d.xlsx", {"Panel": [["city", "year", "HQD", " HQD "], [1, 2015, 0.5, 0.6]]})
    with pytest.raises(InputError, match=r"'HQD' appears twice \(columns C and D\)"):
        read_inputs(path)


def test_headers_are_stripped_and_empty_rows_and_columns_skipped(tmp_path):
    rows = [[" city ", "year", None, "HQD"], [1, 2015, None, 0.5], [None, None, None, "  "], [2, 2015, None, 0.7]]
    frame = read_sheet(raw_book(tmp_path / "s.xlsx", {"Panel": rows}), "Panel")
    assert list(frame.columns) == ["city", "year", "HQD"]
    assert list(frame.index) == [2, 3, 4]  # row 3 holds spaces only: kept here, blank in typed columns
    panel = read_inputs(raw_book(tmp_path / "t.xlsx", {"Panel": [rows[0], rows[1], [None, None, None, None], rows[3]]})).panel
    assert list(panel.index) == [2, 4]


def test_missing_panel_lists_the_sheets_found(tmp_path):
    path = raw_book(tmp_path / "p.xlsx", {"Data": [["a"]], "Settings": [["Key", "Value"]]})
    with pytest.raises(InputError) as caught:
        read_inputs(path)
    assert "no sheet named 'Panel'" in str(caught.value) and "'Data', 'Settings'" in str(caught.value)


def test_sheet_name_with_wrong_case_is_named_in_the_fix(tmp_path):
    path = raw_book(tmp_path / "p.xlsx", {"panel ": [["city", "year"]]})
    with pytest.raises(InputError, match=r"rename the sheet 'panel ' to 'Panel'"):
        read_inputs(path)


# --- identifiers and sheets -------------------------------------------------------------------


def test_city_codes_as_text_or_numbers_are_one_unit(tmp_path):
    path = panel_with(tmp_path / "c.xlsx", (3, 1, "330100"))
    panel = read_inputs(path).panel
    assert panel["city"].dtype == "int64" and panel["city"].tolist() == [330100, 330100, 320100]


def test_city_names_stay_text(tmp_path):
    path = panel_with(tmp_path / "c.xlsx", (2, 1, "Hangzhou"), (3, 1, "Hangzhou"), (4, 1, "Nanjing"))
    assert read_inputs(path).panel["city"].tolist() == ["Hangzhou", "Hangzhou", "Nanjing"]


def test_repeated_city_year_names_the_rows(tmp_path):
    with pytest.raises(InputError, match=r"rows 2, 3") as caught:
        read_inputs(panel_with(tmp_path / "r.xlsx", (3, 2, 2015)))
    assert caught.value.rows == (2, 3)


def test_empty_unit_is_an_error(tmp_path):
    with pytest.raises(InputError, match="unit identifier is empty in cell A3"):
        read_inputs(panel_with(tmp_path / "u.xlsx", (3, 1, None)))


def test_missing_unit_column_points_to_settings(tmp_path):
    path = input_book(tmp_path / "u.xlsx", settings={"unit": "code"})
    with pytest.raises(InputError, match=r"the unit column 'code' is not on this sheet.*Settings 'unit'"):
        read_inputs(path)


def test_indicator_directions_are_normalised_and_checked(tmp_path):
    indicators = pd.DataFrame(
        {"index": ["HQD"] * 4, "column": ["a", "b", "c", "d"], "dimension": ["x"] * 4, "direction": ["+", "negative", "－", "正向"], "include": ["yes", None, "no", "是"]}
    )
    typed = read_inputs(input_book(tmp_path / "i.xlsx", indicators=indicators)).indicators
    assert typed["direction"].tolist() == ["+", "-", "-", "+"]
    assert typed["include"].tolist() == [True, True, False, True]
    bad = indicators.assign(direction=["+", "up", "-", "+"])
    with pytest.raises(InputError, match=r"found 'up' in cell D3") as caught:
        read_inputs(input_book(tmp_path / "j.xlsx", indicators=bad))
    assert caught.value.sheet == "Indicators" and caught.value.column == "direction"


def test_keywords_and_policies_are_checked(tmp_path):
    keywords = pd.DataFrame({"theme": ["a", "b"], "keyword": ["数字", "数字"]})
    with pytest.raises(InputError, match="listed more than once"):
        read_inputs(input_book(tmp_path / "k.xlsx", keywords=keywords))
    policies = pd.DataFrame({"year": [2015], "title": [None], "issuer": ["i"], "text": [None]})
    with pytest.raises(InputError, match=r"the policy text \(or at least its title\) is empty in cell D2"):
        read_inputs(input_book(tmp_path / "p.xlsx", policies=policies))
    # A title without text is counted on its title, and the Log says so.
    titled = read_inputs(input_book(tmp_path / "t.xlsx", policies=policies.assign(title=["跨境电商 平台"])))
    assert titled.policies["text"].tolist() == ["跨境电商 平台"]
    assert any("1 Policies row(s) have no text: their title is counted" in note for note in titled.notes)


def test_check_collects_problems_from_every_sheet(tmp_path):
    panel = small_panel().astype({"HQD": object})
    panel.loc[1, "HQD"] = "x"
    path = input_book(
        tmp_path / "many.xlsx",
        settings={"bandwidth": -1, "kernel": "box"},
        panel=panel,
        keywords=pd.DataFrame({"theme": ["a", "a"], "keyword": ["k", "k"]}),
    )
    problems = check_workbook(path)
    assert [(p.sheet, p.column) for p in problems] == [("Settings", "Value"), ("Settings", "Value"), ("Panel", "HQD"), ("Keywords", "keyword")]
    with pytest.raises(InputErrors):
        read_inputs(path, collect_errors=True)
    assert check_workbook(input_book(tmp_path / "fine.xlsx")) == []


# --- two routes, and the fast one is used ---------------------------------------------------


def rich_book(tmp_path: Path) -> Path:
    return raw_book(
        tmp_path / "rich.xlsx",
        {
            "Panel": [
                ["city", "year", "HQD", "flag", "name", "when"],
                [330100, 2015, 0.1, 1, "杭州", dt.date(2015, 3, 7)],
                ["320100", 2015, "0.2", 0, "Nanjing", None],
                [],
                [110000, 2016, None, 1, "=Beijing", dt.datetime(2016, 1, 6)],
            ],
            "Settings": [["Key", "Value", "Description"], ["bandwidth", 0.2, None], ["stars", "0.1,0.05,0.01", "x"]],
        },
    )


def test_calamine_and_openpyxl_routes_agree(tmp_path):
    path = rich_book(tmp_path)
    # '=Beijing' is a formula cell to openpyxl; store a cached result so both routes can read it.
    part = sheet_part(path, "Panel")
    path = patch_zip(path, tmp_path / "rich2.xlsx", {part: lambda xml: replace_cell(xml, "E5", '<c r="E5" t="str"><f>"Bei"&amp;"jing"</f><v>Beijing</v></c>')})
    fast = read_inputs(path, engine="calamine")
    plain = read_inputs(path, engine="openpyxl")
    pd.testing.assert_frame_equal(fast.panel, plain.panel, check_exact=True)  # same file text: exact
    assert fast.settings == plain.settings
    pd.testing.assert_frame_equal(read_sheet(path, "Panel", engine="calamine"), read_sheet(path, "Panel", engine="openpyxl"),
                                  check_exact=True)
    assert fast.panel.loc[5, "name"] == "Beijing" and fast.panel.loc[2, "when"] == "2015-03-07"
    assert list(fast.panel.index) == [2, 3, 5]


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_true_false_in_a_number_column_is_refused_not_read_as_one_and_zero(tmp_path, engine):
    """TRUE/FALSE typed among numbers is a typing slip to show, not a 1/0 to use silently."""
    path = raw_book(tmp_path / "flags.xlsx", {"Panel": [
        ["city", "year", "HQD"], [330100, 2015, 0.1], [330100, 2016, True], [320100, 2015, 6589], [320100, 2016, "6_589"],
    ]})
    with pytest.raises(InputErrors) as caught:
        read_inputs(path, engine=engine, collect_errors=True)
    (error,) = caught.value.errors
    assert (error.sheet, error.column, error.rows) == ("Panel", "HQD", (3, 5))
    assert "C3, C5" in error.problem and "found TRUE" in error.problem and "type 1 or 0" in error.fix


@pytest.mark.parametrize("year", [15, 20015])
def test_a_period_that_is_not_a_plausible_year_is_refused(tmp_path, year):
    """15 or 20015 in the year column is a typing slip; read as a period it would drop the row as a singleton."""
    path = raw_book(tmp_path / "years.xlsx", {"Panel": [
        ["city", "year", "HQD"], [330100, 2015, 0.1], [330100, year, 0.2], [320100, 2015, 0.3], [320100, 2016, 0.4],
    ]})
    with pytest.raises(InputErrors) as caught:
        read_inputs(path, collect_errors=True)
    (error,) = caught.value.errors
    assert (error.sheet, error.column, error.rows) == ("Panel", "year", (3,))
    assert f"{year} in cell B3 is not a plausible year (expected 1900-2100)" in error.problem and "full year" in error.fix


def test_reading_does_not_build_openpyxl_cells(tmp_path, monkeypatch):
    path = input_book(tmp_path / "fast.xlsx", cities=small_cities())

    def refuse(*args, **kwargs):
        raise AssertionError("the openpyxl reader was used")

    monkeypatch.setattr(reading.OpenpyxlSource, "__init__", refuse)
    assert len(read_inputs(path).panel) == 9


def test_openpyxl_route_takes_over_when_calamine_fails(tmp_path, monkeypatch):
    import python_calamine

    path = input_book(tmp_path / "fallback.xlsx")

    def fail(*args, **kwargs):
        raise python_calamine.CalamineError("simulated parser failure")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", fail)
    pd.testing.assert_frame_equal(read_inputs(path).panel, read_inputs(path, engine="openpyxl").panel, check_exact=True)


def test_numeric_column_helper_reports_cells():
    frame = pd.DataFrame({"a": [1.0, "x", None]}, index=pd.Index([2, 3, 4], name="row"))
    with pytest.raises(InputError, match="cell A3") as caught:
        numeric_column(frame, "a", "Panel")
    assert caught.value.sheet == "Panel" and caught.value.rows == (3,)
    ok = numeric_column(frame.drop(index=3), "a", "Panel")
    assert ok.index.tolist() == [2, 4] and ok.isna().tolist() == [False, True]


# --- Cities into Panel ------------------------------------------------------------------------


def test_merge_cities_adds_attributes_and_counts_unused_rows(tmp_path):
    cities = pd.concat([small_cities(), pd.DataFrame({"city": [440100], "province": ["Guangdong"], "region": ["east"], "coastal": [1], "municipality": [0], "pilot_year": [2016]})])
    inputs = read_inputs(input_book(tmp_path / "m.xlsx", cities=cities))
    merged = merge_cities(inputs.panel, inputs.cities, "city")
    assert merged.cities_not_in_panel == 1 and "1 Cities row(s)" in merged.notes[0]
    assert list(merged.panel.index) == list(inputs.panel.index)
    assert merged.panel.loc[2, "province"] == "Zhejiang" and merged.panel.loc[10, "pilot_year"] == 0


def test_merge_cities_refuses_a_panel_unit_without_a_cities_row(tmp_path):
    inputs = read_inputs(input_book(tmp_path / "m.xlsx", cities=small_cities().iloc[:2]))
    with pytest.raises(InputError, match=r"1 city value\(s\) on Panel have no row on sheet Cities: 110000") as caught:
        merge_cities(inputs.panel, inputs.cities, "city")
    assert caught.value.rows == (8, 9, 10)


def test_merge_cities_names_conflicting_cells(tmp_path):
    panel = small_panel().assign(coastal=[1, 1, 1, 1, 1, 1, 0, 0, 1])
    inputs = read_inputs(input_book(tmp_path / "m.xlsx", panel=panel, cities=small_cities()))
    with pytest.raises(InputError) as caught:
        merge_cities(inputs.panel, inputs.cities, "city")
    message = str(caught.value)
    assert caught.value.sheet == "Panel" and caught.value.column == "coastal" and caught.value.rows == (10,)
    assert "E10" in message and "on Cities (cell D4)" in message


def test_merge_cities_fills_blanks_from_the_other_sheet(tmp_path):
    panel = small_panel().assign(coastal=[1, None, 1, 1, 1, 1, 0, 0, None])
    inputs = read_inputs(input_book(tmp_path / "m.xlsx", panel=panel, cities=small_cities()))
    merged = merge_cities(inputs.panel, inputs.cities, "city").panel
    assert merged["coastal"].tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0]


def test_empty_cities_sheet_leaves_the_panel_alone(tmp_path):
    inputs = read_inputs(input_book(tmp_path / "e.xlsx"))
    assert inputs.cities.empty
    merged = merge_cities(inputs.panel, inputs.cities, "city")
    assert merged.panel is inputs.panel and merged.cities_not_in_panel == 0


def test_a_sheet_calamine_cannot_parse_is_read_by_openpyxl(tmp_path, monkeypatch):
    import python_calamine

    path = input_book(tmp_path / "sheet_fallback.xlsx")
    expected = read_inputs(path).panel

    def fail(self, name):
        raise python_calamine.XmlError("simulated sheet parse failure")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "get_sheet_by_name", fail)
    pd.testing.assert_frame_equal(read_inputs(path).panel, expected, check_exact=True)


def test_corrupted_sheet_data_is_an_input_error(tmp_path):
    good = input_book(tmp_path / "good.xlsx")
    part = sheet_part(good, "Panel")
    broken = patch_zip(good, tmp_path / "broken.xlsx", {part: lambda xml: xml[: len(xml) // 2]})
    with pytest.raises(InputError, match="cannot be read|damaged|not well-formed"):
        read_inputs(broken)
