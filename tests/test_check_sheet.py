"""`xlcbec check --write`: the Check sheet (readiness, problems, warnings) in a copy of the workbook.

Through the command line on real .xlsx files, read back with openpyxl.
Tolerances: none; every comparison is of strings, exit codes or bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from tests.book_files import input_book, small_cities, small_panel
from xlcbec import cli
from xlcbec.book.contract import ANALYSES, RESULT_SHEETS
from xlcbec.report.labels import label


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cells(path: Path, sheet: str = "Check") -> list[str]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return [str(v) for row in workbook[sheet].iter_rows(values_only=True) for v in row if v is not None]
    finally:
        workbook.close()


def _problem_book(folder: Path, language: str = "en") -> Path:
    panel = small_panel().astype({"HQD": object})
    panel.loc[4, "HQD"] = "n/a"  # a text in a number column: Panel, row 6
    return input_book(folder / "bad.xlsx", panel=panel, cities=small_cities(), settings={"language": language})


def test_a_book_with_problems_gets_its_check_sheet_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = _problem_book(tmp_path)
    before = _digest(book)
    code = cli.main(["check", str(book), "--write"])
    target = tmp_path / "bad.check.xlsx"
    assert code == cli.EXIT_INPUT
    assert _digest(book) == before  # the input is only read
    assert target.exists() and "Wrote" in capsys.readouterr().out
    workbook = openpyxl.load_workbook(target, read_only=True)
    names = workbook.sheetnames
    workbook.close()
    assert "Check" in names and "Panel" in names
    cells = _cells(target)
    assert "Check of the inputs" in cells
    assert {"Sheet", "Row(s)", "Column", "Problem", "Fix"} <= set(cells)
    assert any("n/a" in c for c in cells)  # the problem as typed
    assert "Panel" in cells and "6" in cells  # where: sheet and row


def test_a_study_problem_comes_with_the_readiness_of_each_analysis(tmp_path: Path) -> None:
    # The sheets read, but Settings names a control no sheet has: one problem, and the readiness table.
    book = input_book(tmp_path / "role.xlsx", cities=small_cities(),
                      settings={"controls": "lnpop, gdp_missing"})
    before = _digest(book)
    assert cli.main(["check", str(book), "--write"]) == cli.EXIT_INPUT
    assert _digest(book) == before
    workbook = openpyxl.load_workbook(tmp_path / "role.check.xlsx", read_only=True)
    rows = [r for r in workbook["Check"].iter_rows(values_only=True)]
    workbook.close()
    by_name = {r[0]: r for r in rows if r and r[0] in {label(f"analysis_{a}", "en") for a in ANALYSES}}
    assert len(by_name) == len(ANALYSES)
    assert by_name[label("analysis_mediation", "en")][1] == "will be skipped"
    assert "Panel" in by_name[label("analysis_mediation", "en")][3]  # what to add: the sheet and columns
    problem = next(r for r in rows if r and r[0] == "Settings")
    assert "gdp_missing" in problem[3] and "gdp_missing" in problem[4]  # the problem and its fix
    # The to-do list leads: the problems table above the readiness table.
    titles = [r[0] for r in rows if r and r[0] in {label("check_problems_title", "en"),
                                                   label("check_readiness_title", "en")}]
    assert titles == [label("check_problems_title", "en"), label("check_readiness_title", "en")]


def test_the_demo_check_sheet_says_every_analysis_will_run(tmp_path: Path) -> None:
    book = cli.write_demo_inputs(tmp_path / "demo.xlsx")
    out = tmp_path / "demo_checked.xlsx"
    assert cli.main(["check", str(book), "--write", "-o", str(out)]) == cli.EXIT_OK
    workbook = openpyxl.load_workbook(out, read_only=True)
    rows = [r for r in workbook["Check"].iter_rows(values_only=True)]
    workbook.close()
    names = {label(f"analysis_{a}", "en") for a in ANALYSES}
    statuses = {r[0]: r[1] for r in rows if r and r[0] in names}
    assert set(statuses) == names
    assert set(statuses.values()) == {"will run"}
    assert "No problems found." in _cells(out)
    titles = [r[0] for r in rows if r and r[0] in {label("check_problems_title", "en"),
                                                   label("check_readiness_title", "en")}]
    assert titles == [label("check_readiness_title", "en"), label("check_problems_title", "en")]


def test_an_existing_output_is_refused_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = _problem_book(tmp_path)
    target = tmp_path / "bad.check.xlsx"
    target.write_bytes(b"mine")
    assert cli.main(["check", str(book), "--write"]) == cli.EXIT_INPUT
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == b"mine"
    assert cli.main(["check", str(book), "--write", "--force"]) == cli.EXIT_INPUT  # written; problems still exit 2
    assert "Check" in openpyxl.load_workbook(target, read_only=True).sheetnames
    assert cli.main(["check", str(book), "--write", "-o", str(book), "--force"]) == cli.EXIT_INPUT
    assert "overwrite the input" in capsys.readouterr().err


def test_zh_settings_give_a_chinese_check_sheet(tmp_path: Path) -> None:
    book = _problem_book(tmp_path, "zh")
    assert cli.main(["check", str(book), "--write"]) == cli.EXIT_INPUT
    cells = _cells(tmp_path / "bad.check.xlsx")
    assert "检查" in cells
    assert {"工作表名", "行", "列名", "问题", "修正方法"} <= set(cells)


def test_a_refresh_rewrites_the_check_sheet_from_its_own_run(tmp_path: Path) -> None:
    book = input_book(tmp_path / "ok.xlsx", cities=small_cities())
    checked = tmp_path / "checked.xlsx"
    cli.main(["check", str(book), "--write", "-o", str(checked)])
    before = _cells(checked)
    refreshed = tmp_path / "refreshed.xlsx"
    assert cli.main(["refresh", str(checked), "-o", str(refreshed), "--only", "descriptives", "-q"]) == cli.EXIT_OK
    after = _cells(refreshed)
    assert label("check_after_refresh", "en") in after and label("check_after_refresh", "en") not in before
    assert label("ran", "en") in after  # the status of this refresh, not of the check
    workbook = openpyxl.load_workbook(refreshed, read_only=True)
    names = workbook.sheetnames
    workbook.close()
    assert names.count("Check") == 1
    results = [n for n in names if n in RESULT_SHEETS]
    assert results[0] == "Check" and len(results) > 1


def test_check_comes_first_among_the_result_sheets() -> None:
    assert RESULT_SHEETS[0] == "Check"


def test_every_check_label_has_english_and_chinese() -> None:
    from xlcbec.report.labels import LABELS

    keys = [k for k in LABELS if k.startswith("check_")]
    assert len(keys) > 10
    for key in keys:
        en, zh = LABELS[key]
        assert en and zh and en != zh
        # A value shared with another key would make a lookup by value (the Log's sections) ambiguous.
        others = [pair for other, pair in LABELS.items() if other != key]
        assert all(en != o_en and zh != o_zh for o_en, o_zh in others), key
