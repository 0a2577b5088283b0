"""Not errors, but said plainly: what a refresh dropped or assumed reaches the Log sheet and the table notes.

One refresh (baseline only) of the small catalogue workbook with, planted:

* a control that duplicates another (``lnpop2`` = ``lnpop``) and one absorbed
  by the city fixed effects (``coastal``): both dropped as collinear, named;
* a city with a single year: a singleton, dropped and counted;
* one blank control cell at the edge of a city's years (not interpolated): the
  row is dropped from the models with controls, counted per model;
* a Cities row for a city the Panel does not have: counted;
* pilot years after the last period (the 2022 cohort; the panel ends in 2019)
  and one at the first period (2014): counted.

The Log is read back from the written workbook.
Tolerances: none (counts and texts).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.test_bad_inputs import YEARS, panel_row, setting_row, small_workbook
from xlcbec.cli import main

LAST_CITY_ROWS = 5  # rows of the last city deleted, leaving it one year: a singleton


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("notes")
    book = small_workbook(folder / "inputs.xlsx")
    wb = openpyxl.load_workbook(book)
    panel = wb["Panel"]
    header = [c.value for c in panel[1]]
    lnpop = header.index("lnpop") + 1
    copy = panel.max_column + 1
    panel.cell(1, copy).value = "lnpop2"
    for row in range(2, panel.max_row + 1):
        panel.cell(row, copy).value = panel.cell(row, lnpop).value
    panel.cell(panel_row(1, YEARS[0]), lnpop).value = None  # the second city's first year: an edge gap
    panel.delete_rows(panel.max_row - LAST_CITY_ROWS + 1, LAST_CITY_ROWS)
    cities = wb["Cities"]
    pilot = [c.value for c in cities[1]].index("pilot_year") + 1
    cities.cell(3, pilot).value = YEARS[0]  # the second city: a pilot from the first year on
    cities.append([999999, "无", "Nowhere", "Nowhere", "无", "east", 0, None, 0, None])
    wb["Settings"].cell(setting_row("controls"), 2).value = "lnpop, lnpop2, lngdp, coastal"
    wb.save(book)
    assert main(["refresh", str(book), "--only", "baseline", "--quiet"]) == 0
    return book, book.with_name("inputs.results.xlsx")


def log_rows(results: Path) -> list[tuple[str, str, str]]:
    sheet = openpyxl.load_workbook(results, read_only=True)["Log"]
    return [(str(s), str(i or ""), str(v)) for s, i, v in sheet.iter_rows(min_row=2, values_only=True)]


def notes(results: Path) -> list[str]:
    return [value for section, _, value in log_rows(results) if section == "note"]


def sheet_text(results: Path, name: str) -> str:
    sheet = openpyxl.load_workbook(results, read_only=True)[name]
    return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_collinear_controls_are_named(refreshed):
    _, results = refreshed
    expected = "dropped because collinear with the fixed effects or other regressors: lnpop2, coastal"
    assert f"baseline: {expected}" in notes(results)
    assert expected in sheet_text(results, "Baseline")  # and under the table


def test_singletons_and_missing_values_are_counted_per_model(refreshed):
    _, results = refreshed
    rows = {item: value for section, item, value in log_rows(results) if section == "rows"}
    n = 40 * len(YEARS) - LAST_CITY_ROWS
    # no controls: only the singleton goes; with controls the blank lnpop row goes too.
    assert rows["baseline: no_controls"] == f"{n - 1} of {n} rows used (1 singletons)"
    assert rows["baseline: controls"] == f"{n - 2} of {n} rows used (1 missing values; 1 singletons)"
    assert "baseline: excl_municipalities" in rows
    assert "1 missing values; 1 singletons" in sheet_text(results, "Baseline")


def test_cities_rows_without_panel_rows_are_counted(refreshed):
    _, results = refreshed
    assert "1 Cities row(s) have no Panel rows and were not used" in notes(results)


def test_pilot_years_outside_the_panel_years_are_counted(refreshed):
    _, results = refreshed
    said = notes(results)
    assert any(n.startswith(f"6 unit(s) have a pilot year after the last period {YEARS[-1]}") for n in said), said
    assert f"1 unit(s) have a pilot year at or before the first period {YEARS[0]}: treated throughout" in said


def test_the_log_says_what_ran_and_with_which_settings(refreshed):
    book, results = refreshed
    rows = log_rows(results)
    assert ("run", "input", str(book)) in rows
    assert ("run", "analyses", "baseline") in rows
    assert ("settings", "controls", "lnpop, lnpop2, lngdp, coastal") in rows
    assert ("data", "units", "40") in rows and ("data", "periods", f"{YEARS[0]}-{YEARS[-1]}") in rows
