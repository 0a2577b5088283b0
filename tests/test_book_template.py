"""Input workbooks written by xlcbec: the blank template (en/zh) and filled workbooks.

A workbook written here and read back must give the same data (two routes:
the frames given to the writer, and the typed frames read from the file).

Tolerances: text and whole numbers exactly.  Decimal numbers READ_BACK = 1e-14
relative: openpyxl writes a number as "%.16g" text, which is not always the
double's shortest round-trip form (small_panel's HQD 0.13301000000000002 is
stored as 0.13301), so a value written and read back can move by up to about
6e-16 relative; 1e-14 is the project's read-back tolerance (test_cli_safety).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.book_files import small_cities, small_panel
from xlcbec.book.aliases import column_code, column_header, sheet_code, sheet_title
from xlcbec.book.column_guide import PANEL_GUIDE, PANEL_GUIDE_BY_CODE
from xlcbec.book.contract import INPUT_SHEETS, INSTRUCTIONS_SHEET
from xlcbec.book.reading import check_workbook, read_inputs
from xlcbec.book.settings import SETTING_SPECS, Settings
from xlcbec.book.template import GROUP_FILLS, write_input_workbook, write_template
from xlcbec.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
READ_BACK = 1e-14


@pytest.mark.parametrize("language", ["en", "zh"])
def test_template_has_every_sheet_and_every_key(tmp_path, language):
    path = write_template(tmp_path / f"template_{language}.xlsx", language=language)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [INSTRUCTIONS_SHEET[language], *(sheet_title(s, language) for s in INPUT_SHEETS)]
    sheets = {sheet_code(name): workbook[name] for name in workbook.sheetnames[1:]}
    settings = sheets["Settings"]
    assert [c.value for c in settings[1]] == [column_header("Settings", c, language) for c in ("Key", "Value", "Description")]
    keys = [settings.cell(r, 1).value for r in range(2, settings.max_row + 1)]
    assert keys == [spec.key for spec in SETTING_SPECS]
    for r, spec in enumerate(SETTING_SPECS, start=2):
        description = settings.cell(r, 3).value
        assert spec.description(language) in description
        assert spec.default_label(language) in description
    values = {settings.cell(r, 1).value: settings.cell(r, 2).value for r in range(2, settings.max_row + 1)}
    expected = {"language": "zh"} if language == "zh" else {}
    assert {k: v for k, v in values.items() if v is not None} == expected
    for name in INPUT_SHEETS:
        assert sheets[name].freeze_panes == "A2"
    panel_headers = [c.value for c in sheets["Panel"][1]]
    assert [column_code("Panel", h) for h in panel_headers] == [c.code for c in PANEL_GUIDE]
    assert panel_headers[:2] == (["城市 city", "年份 year"] if language == "zh" else ["city", "year"])
    assert [column_code("Indicators", c.value) for c in sheets["Indicators"][1]] == [
        "index", "column", "dimension", "direction", "include", "name", "unit"]
    assert check_workbook(path) == []
    read = read_inputs(path).settings
    assert read == (Settings(language="zh") if language == "zh" else Settings())


def test_chinese_template_describes_in_chinese(tmp_path):
    workbook = openpyxl.load_workbook(write_template(tmp_path / "zh.xlsx", language="zh"))
    description = workbook["设置 Settings"]["C19"].value  # bandwidth
    assert description.startswith("核匹配带宽") and "默认：0.06" in description


def test_choice_settings_get_drop_down_lists(tmp_path):
    workbook = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    validations = {str(v.sqref): v.formula1 for v in workbook["Settings"].data_validations.dataValidation}
    assert validations["B18"] == '"epanechnikov,normal,nearest"'  # kernel
    assert validations["B30"] == '"en,zh"'  # language


def test_filled_workbook_reads_back_the_same_data(tmp_path):
    panel = small_panel()
    path = write_input_workbook(
        tmp_path / "filled.xlsx",
        panel=panel,
        cities=small_cities(),
        settings={"bandwidth": 0.2, "controls": ["lnpop"], "bin_endpoints": False},
        description="Synthetic demonstration data",
    )
    inputs = read_inputs(path)
    assert inputs.settings.bandwidth == 0.2 and inputs.settings.controls == ("lnpop",) and inputs.settings.bin_endpoints is False
    read_panel = inputs.panel.reset_index(drop=True)
    # A file round trip through openpyxl's 16-digit text: READ_BACK, not exact (module docstring).
    pd.testing.assert_frame_equal(read_panel.astype({"year": "int64"}), panel, check_dtype=False, check_exact=False,
                                  rtol=READ_BACK, atol=0)
    assert list(inputs.cities["province"]) == list(small_cities()["province"])
    assert openpyxl.load_workbook(path).properties.description == "Synthetic demonstration data"


def test_writer_refuses_unknown_settings(tmp_path):
    with pytest.raises(InputError, match="unknown setting"):
        write_input_workbook(tmp_path / "x.xlsx", panel=small_panel(), settings={"bandwith": 0.2})


def test_text_from_data_is_never_a_formula(tmp_path):
    panel = small_panel().assign(note="=HYPERLINK(\"http://x\")")
    path = write_input_workbook(tmp_path / "t.xlsx", panel=panel)
    cell = openpyxl.load_workbook(path)["Panel"]["E2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"


def test_core_and_report_do_not_import_excel_libraries():
    code = (
        "import sys; import xlcbec.report.tables, xlcbec.report.charts, xlcbec.report.labels, xlcbec.report.formats; "
        "bad = [m for m in ('openpyxl', 'xlwings', 'python_calamine') if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"report imported {done.stdout.strip()} {done.stderr[-500:]}"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_template_is_prefilled_explained_and_validated(tmp_path, language):
    path = write_template(tmp_path / f"t_{language}.xlsx", language=language)
    inputs = read_inputs(path)
    assert len(inputs.cities) == 285 and inputs.cities["pilot_year"].notna().sum() == 154
    assert set(inputs.indicators["index"]) == {"HQD", "diginf"} and len(inputs.indicators) == 26
    assert len(inputs.keywords) > 140 and len(inputs.policies) == 20
    assert any("title is counted" in note for note in inputs.notes)  # the pre-filled titles, said in the Log
    workbook = openpyxl.load_workbook(path)
    sheets = {sheet_code(name): workbook[name] for name in workbook.sheetnames[1:]}
    panel = sheets["Panel"]
    for cell in panel[1]:
        guide = PANEL_GUIDE_BY_CODE[column_code("Panel", cell.value)]
        assert cell.comment is not None and guide.unit(language) in cell.comment.text
        assert cell.fill.fgColor.rgb.endswith(GROUP_FILLS[guide.group])
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheets["Cities"].data_validations.dataValidation}
    assert lists["E2"] == '"0,1"' and lists["G2"] == '"0,1"'  # coastal, municipality
    assert lists["D2"] == ('"东部,中部,西部,东北"' if language == "zh" else '"east,central,west,northeast"')
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheets["Indicators"].data_validations.dataValidation}
    assert lists["D2"] == '"+,-"' and lists["E2"] == ('"是,否"' if language == "zh" else '"yes,no"')
    instructions = [c.value for c in workbook.worksheets[0]["A"] if c.value]
    assert any("pilot" in str(v) or "综试区" in str(v) for v in instructions)


def test_template_bytes_depend_only_on_the_code(tmp_path):
    first = write_template(tmp_path / "a.xlsx", language="zh").read_bytes()
    second = write_template(tmp_path / "b.xlsx", language="zh").read_bytes()
    assert first == second


def test_an_emptied_keywords_sheet_means_the_built_in_dictionary(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Keywords"].delete_rows(2, workbook["Keywords"].max_row)
    workbook.save(path)
    inputs = read_inputs(path)
    assert inputs.keywords.empty
    assert any("Keywords sheet is empty or absent: the policy-text analysis uses the built-in dictionary" in n
               for n in inputs.notes)


@pytest.mark.libreoffice
def test_libreoffice_renders_the_chinese_template(tmp_path):
    """The template as a user's office suite shows it: LibreOffice opens it and prints every sheet (PDF, then PNG)."""
    import shutil

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    path = write_template(tmp_path / "cbec_template_zh.xlsx", language="zh")
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(path)], capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "cbec_template_zh.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr[-500:]
    text = pdf.read_bytes()
    assert text.startswith(b"%PDF") and len(text) > 50_000  # the instructions, Panel headers and 285 cities
    if shutil.which("pdftoppm"):  # the first page as PNG, to look at (kept in the test's tmp_path)
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                       check=True, timeout=120)
        assert list(tmp_path.glob("page*.png"))
