"""The one table of Chinese names: every spelling reads back to the code; problems are shown as the user spells them."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from tests.book_files import small_cities, small_panel
from xlcbec.book.aliases import (
    COLUMN_NAMES_ZH,
    SHEET_NAMES_ZH,
    column_code,
    column_header,
    find_sheet,
    sheet_code,
)
from xlcbec.book.column_guide import PANEL_GUIDE
from xlcbec.book.contract import CITIES_ATTRIBUTES, INDICATORS_COLUMNS, INPUT_SHEETS, KEYWORDS_COLUMNS, POLICIES_COLUMNS
from xlcbec.book.reading import read_inputs
from xlcbec.book.template import write_input_workbook
from xlcbec.cli import main
from xlcbec.errors import InputError


def test_every_built_in_sheet_and_column_has_a_chinese_name():
    assert set(SHEET_NAMES_ZH) == set(INPUT_SHEETS)
    for sheet, columns in (("Indicators", INDICATORS_COLUMNS), ("Policies", POLICIES_COLUMNS),
                           ("Keywords", KEYWORDS_COLUMNS), ("Cities", CITIES_ATTRIBUTES),
                           ("Panel", [c.code for c in PANEL_GUIDE])):
        missing = [c for c in columns if c not in COLUMN_NAMES_ZH[sheet]]
        assert not missing, (sheet, missing)
    names = list(COLUMN_NAMES_ZH["Panel"].values())
    assert len(names) == len(set(names)), "two Panel columns share a Chinese name"


@pytest.mark.parametrize("spelling", ["城市", "城市 city", "城市\u3000city", "城市\u00a0city", "城市city", "ＣＩＴＹ 城市"])
def test_a_column_is_read_by_code_chinese_name_or_bilingual_form(spelling):
    assert column_code("Panel", spelling) == "city"
    assert column_code("Panel", "城市人口") == "城市人口"  # a user's own column is taken as typed
    assert column_code("Panel", "CITY") == "CITY"  # codes are case-sensitive identifiers, as before


def test_sheets_are_found_by_any_spelling_and_two_spellings_are_an_error():
    assert sheet_code("面板数据") == sheet_code("面板数据 Panel") == sheet_code("面板数据\u3000panel") == "Panel"
    assert find_sheet("Panel", ["说明", "面板数据"]) == "面板数据"
    assert find_sheet("Panel", ["Panel", "Read me"]) == "Panel"
    with pytest.raises(InputError, match="both stand for the Panel sheet"):
        find_sheet("Panel", ["Panel", "面板数据"])


def _chinese_book(path, panel):
    write_input_workbook(path, panel=panel, cities=small_cities(), language="zh")
    return path


def test_problems_name_the_sheet_and_header_as_typed(tmp_path, capsys):
    panel = small_panel().astype({"year": object})
    panel.loc[2, "year"] = "2015年"
    book = _chinese_book(tmp_path / "zh.xlsx", panel)
    assert column_header("Panel", "year", "zh") in [c.value for c in openpyxl.load_workbook(book)["面板数据 Panel"][1]]
    with pytest.raises(InputError) as caught:
        read_inputs(book)
    assert caught.value.sheet == "面板数据 Panel" and caught.value.column == "年份 year"
    assert main(["check", str(book)]) == 2
    assert "Sheet '面板数据 Panel', row 4, column '年份 year'" in capsys.readouterr().err


def test_a_column_given_twice_under_two_names_is_refused(tmp_path):
    panel = small_panel().assign(城市=small_panel()["city"])
    book = write_input_workbook(tmp_path / "twice.xlsx", panel=panel)
    with pytest.raises(InputError, match="both stand for the column 'city'"):
        read_inputs(book)


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_both_readers_take_the_chinese_names(tmp_path, engine):
    book = _chinese_book(tmp_path / "zh.xlsx", small_panel())
    english = write_input_workbook(tmp_path / "en.xlsx", panel=small_panel(), cities=small_cities())
    read_zh, read_en = read_inputs(book, engine=engine), read_inputs(english, engine=engine)
    assert read_zh.spelling.sheets["Panel"] == "面板数据 Panel" and read_en.spelling.sheets == {}
    for part in ("panel", "cities"):
        pd.testing.assert_frame_equal(getattr(read_zh, part), getattr(read_en, part), check_exact=True)


def test_settings_may_name_columns_in_chinese(tmp_path):
    book = write_input_workbook(tmp_path / "s.xlsx", panel=small_panel(), cities=small_cities(), language="zh",
                                settings={"controls": ["人口规模（对数）"], "outcome": "HQD"})
    inputs = read_inputs(book)
    assert inputs.settings.controls == ("lnpop",) and "controls" in inputs.settings.explicit
    assert any("Settings 'controls': column names read as their codes (人口规模（对数） = lnpop)" in n for n in inputs.notes)
