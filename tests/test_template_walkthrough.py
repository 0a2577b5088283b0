"""A new user's first contact: take the template, fill only the Panel columns it shows, check, refresh.

The data are the embedded demo's (real cities and pilot years, synthetic
indicators), six years to keep the refreshes short.  Nothing but the Panel
is touched: Cities, Indicators, Policies and Keywords are the template's
pre-filled sheets, Settings its defaults.

The zh workbook with bilingual headers (as written), with Chinese-only sheet
and column names, and with the codes read to the same input frames, exactly;
the bilingual and the Chinese-only workbook are refreshed in full and their
Estimates compared with ESTIMATES_SAME = 1e-12 absolute: the same numbers go
through the same code, so only the floating-point order of operations could
differ (it does not: the frames are built in the same column order).
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from xlcbec.book.aliases import SHEET_NAMES_ZH, BookSpelling, chinese_name, column_code, sheet_code
from xlcbec.book.reading import read_inputs
from xlcbec.book.template import write_template
from xlcbec.cli import main
from xlcbec.demo_data import make_demo_panel
from xlcbec.report.labels import label

ESTIMATES_SAME = 1e-12
YEARS = range(2013, 2019)


@pytest.fixture(scope="module")
def demo_panel() -> pd.DataFrame:
    return make_demo_panel(years=YEARS).panel


def fill_panel_only(template, target, panel: pd.DataFrame) -> list[str]:
    """Fill exactly the columns the template's Panel shows; returns their codes."""
    workbook = openpyxl.load_workbook(template)
    sheet = next(workbook[n] for n in workbook.sheetnames if sheet_code(n) == "Panel")
    codes = [column_code("Panel", cell.value) for cell in sheet[1]]
    for r, record in enumerate(panel[codes].itertuples(index=False, name=None), start=2):
        for c, value in enumerate(record, start=1):
            if value == value:  # blank cells stay blank (the demo's planted gaps)
                sheet.cell(r, c).value = value.item() if hasattr(value, "item") else value
    workbook.save(target)
    return codes


def respell(book, target, spelling: str) -> None:
    """The same workbook with sheet and header names as Chinese names only, or as codes."""
    workbook = openpyxl.load_workbook(book)
    for ws in workbook.worksheets:
        code = sheet_code(ws.title)
        if code is None:
            continue
        for cell in ws[1]:
            column = column_code(code, str(cell.value))
            cell.value = (chinese_name(code, column) or column) if spelling == "zh" else column
        ws.title = SHEET_NAMES_ZH[code] if spelling == "zh" else code
    workbook.save(target)


ANALYSES = ("index", "descriptives", "baseline", "event_study", "psm", "heterogeneity", "mediation", "policy_text",
            "placebo", "bacon", "cs", "sun_abraham")


def refresh(book, capsys) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert main(["check", str(book)]) == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    assert "no problems found" in said
    # The readiness table says every default analysis will run. Only the event study runs in part: the six-year
    # panel of these tests has no pilot city five years after its pilot, so the default window's ends are left out.
    # The command line speaks English whatever the book's language.
    language = "en"
    lines = said.splitlines()
    for name in ANALYSES:
        row = [line for line in lines if line.startswith(label(f"analysis_{name}", language) + " ")]
        assert len(row) == 1, (name, said)
        assert label("will_run", language) in row[0], row[0]
        assert label("will_be_skipped", language) not in row[0], row[0]
        if label("will_run_in_part", language) in row[0]:
            assert name == "event_study" and "event_window" in row[0], row[0]
    out = book.with_name(book.stem + ".results.xlsx")
    assert main(["refresh", str(book), "-o", str(out), "--quiet"]) == 0, capsys.readouterr().err
    estimates = pd.read_excel(out, sheet_name="Estimates", engine="openpyxl")
    log = pd.read_excel(out, sheet_name="Log", engine="openpyxl")
    return estimates, log


@pytest.mark.parametrize("language", ["en", "zh"])
def test_new_user_fills_only_the_panel_and_every_analysis_runs(tmp_path, capsys, demo_panel, language):
    template = write_template(tmp_path / f"template_{language}.xlsx", language=language)
    codes = fill_panel_only(template, tmp_path / "filled.xlsx", demo_panel)
    assert len(codes) > 40 and "city_name" not in codes  # every column the default analyses use, no more
    estimates, log = refresh(tmp_path / "filled.xlsx", capsys)
    skipped = log["section"] == label("log_skipped", language)  # the Log's section names are in the book's language
    assert not skipped.any(), log[skipped].to_string()
    analyses = set(estimates["analysis"])
    for name in ("index_weight", "baseline", "event_study", "psm_att", "psm_did", "heterogeneity", "mediation",
                 "policy_keyword", "policy_theme", "placebo", "bacon", "cs", "sun_abraham"):
        assert name in analyses, name
    # Every heterogeneity group and every mediator of the paper ran.
    models = set(estimates.loc[estimates["analysis"] == "heterogeneity", "model"])
    for group in ("coastal=1", "region=east", "tertiary_led=1", "megacity=1", "cluster=YRD"):
        assert group in models, group
    assert {"diginf", "spec", "envir"} <= set(estimates.loc[estimates["analysis"] == "mediation", "model"])
    notes = " ".join(log.loc[log["section"] == label("log_note", language), "value"].astype(str))
    said = {"en": "Policies row(s) have no text: their title is counted", "zh": "没有正文：改为统计其标题"}
    assert said[language] in notes


def test_chinese_bilingual_and_code_names_give_the_same_estimates(tmp_path, capsys, demo_panel):
    template = write_template(tmp_path / "template_zh.xlsx", language="zh")
    bilingual = tmp_path / "bilingual.xlsx"
    fill_panel_only(template, bilingual, demo_panel)
    chinese, codes = tmp_path / "chinese.xlsx", tmp_path / "codes.xlsx"
    respell(bilingual, chinese, "zh")
    respell(bilingual, codes, "code")
    assert "面板数据" in openpyxl.load_workbook(chinese, read_only=True).sheetnames
    # The three spellings read to the same inputs, frame for frame (so every analysis sees the same data) ...
    read = {book.stem: read_inputs(book) for book in (bilingual, chinese, codes)}
    for name in ("chinese", "codes"):
        for part in ("panel", "cities", "indicators", "policies", "keywords"):
            pd.testing.assert_frame_equal(getattr(read["bilingual"], part), getattr(read[name], part), check_exact=True)
        assert read["bilingual"].settings == read[name].settings
    assert read["codes"].spelling == BookSpelling()
    # ... and a full refresh of the bilingual and the Chinese-only workbook gives the same Estimates.
    first, second = refresh(bilingual, capsys)[0], refresh(chinese, capsys)[0]
    numbers = ["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "r2_within", "weight"]
    pd.testing.assert_frame_equal(first.drop(columns=numbers), second.drop(columns=numbers))
    pd.testing.assert_frame_equal(first[numbers], second[numbers], check_exact=False, rtol=0, atol=ESTIMATES_SAME)
