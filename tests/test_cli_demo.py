"""End to end: `xlcbec demo`, `refresh`, `check`, `template` on real .xlsx files.

The demo workbook is built once per test session (about 20 s) and shared
(the ``demo_book`` fixture of conftest.py).
LibreOffice Calc (headless) re-reads the output: its CSV export of the
Estimates sheet must equal what xlcbec wrote (to the 15 significant digits
LibreOffice prints).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xlcbec.book.contract import ANALYSES, CHECK, INPUT_SHEETS, RESULT_SHEETS
from xlcbec.cli import main, write_demo_inputs
from xlcbec.core.results import ESTIMATE_COLUMNS

# Every analysis the code has, under its Estimates name(s).
ESTIMATE_ANALYSES = {
    "index": {"index_weight"}, "baseline": {"baseline"}, "event_study": {"event_study"},
    "psm": {"psm_att", "psm_did"}, "heterogeneity": {"heterogeneity"}, "mediation": {"mediation"},
    "policy_text": {"policy_keyword", "policy_theme"}, "placebo": {"placebo"}, "bacon": {"bacon"},
    "cs": {"cs"}, "sun_abraham": {"sun_abraham"},
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_estimates(demo_book) -> pd.DataFrame:
    return pd.read_excel(demo_book, sheet_name="Estimates", engine="openpyxl")


def test_demo_has_every_sheet_and_analysis(demo_book, demo_estimates):
    names = openpyxl.load_workbook(demo_book, read_only=True).sheetnames
    for sheet in (*INPUT_SHEETS, *RESULT_SHEETS):
        assert sheet in names or sheet == CHECK, sheet  # Check: written by `check --write`, not by a refresh
    assert CHECK not in names
    assert names[0] == "About"
    assert tuple(demo_estimates.columns) == ESTIMATE_COLUMNS
    present = set(demo_estimates["analysis"])
    for analysis in ANALYSES:
        if analysis == "descriptives":
            continue  # a table, no estimates
        assert ESTIMATE_ANALYSES[analysis] <= present, analysis


def test_demo_says_its_data_are_synthetic(demo_book):
    book = openpyxl.load_workbook(demo_book, read_only=True)
    assert "synthetic" in str(book["About"]["A1"].value).lower()
    log = pd.read_excel(demo_book, sheet_name="Log", engine="openpyxl")
    assert (log["section"] == "settings").sum() >= 30
    assert {"run", "data", "seconds"} <= set(log["section"])


def test_demo_baseline_recovers_the_planted_effect(demo_book, demo_estimates):
    from xlcbec.demo_data import make_demo_panel, true_baseline_effect

    truth = true_baseline_effect(make_demo_panel())
    row = demo_estimates[(demo_estimates.analysis == "baseline") & (demo_estimates.model == "controls")
                         & (demo_estimates.term == "CBEC")].iloc[0]
    assert row.ci_low < truth < row.ci_high
    assert row.p_value < 0.01


def test_libreoffice_reads_the_estimates_back(demo_book, demo_estimates, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    # Export every sheet to CSV (sheet index -1), as LibreOffice 7.2+ does.
    filter_options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    done = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", filter_options,
         "--outdir", str(tmp_path), str(demo_book)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    csv = tmp_path / f"{demo_book.stem}-Estimates.csv"
    assert csv.exists(), sorted(p.name for p in tmp_path.iterdir())
    reread = pd.read_csv(csv)
    assert list(reread.columns) == list(ESTIMATE_COLUMNS)
    assert len(reread) == len(demo_estimates)
    for column in ("estimate", "std_error", "p_value", "ci_low", "ci_high"):
        # LibreOffice's CSV export writes the cell's full value ("as shown" off) with
        # 15 significant digits, in fixed notation for tiny numbers: p-values near 1e-14
        # keep fewer digits, hence the absolute floor.
        np.testing.assert_allclose(reread[column].to_numpy(float), demo_estimates[column].to_numpy(float),
                                   rtol=1e-12, atol=1e-15, equal_nan=True)
    assert (reread["term"].astype(str) == demo_estimates["term"].astype(str)).all()


def test_refresh_never_writes_its_input(tmp_path):
    book = write_demo_inputs(tmp_path / "inputs.xlsx")
    before = sha(book)
    json_path = tmp_path / "out.json"
    assert main(["refresh", str(book), "--only", "baseline,event_study", "--json", str(json_path), "--quiet"]) == 0
    assert sha(book) == before
    out = tmp_path / "inputs.results.xlsx"
    assert out.exists()
    payload = json.loads(json_path.read_text(encoding="utf-8"))
    assert {"version", "estimates", "warnings", "timings"} <= set(payload)
    assert {row["analysis"] for row in payload["estimates"]} == {"baseline", "event_study"}
    assert set(payload["estimates"][0]) == set(ESTIMATE_COLUMNS)
    # the output keeps the inputs and has only the result sheets asked for, plus Estimates and Log
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"Panel", "Baseline", "EventStudy", "Estimates", "Log"} <= set(names) and "PSM" not in names


def test_in_place_refused_when_parts_would_be_lost(tmp_path, capsys):
    book = write_demo_inputs(tmp_path / "inputs.xlsx")
    # add a VBA project part, which openpyxl would drop on re-saving
    with zipfile.ZipFile(book, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 64)
    before = sha(book)
    assert main(["refresh", str(book), "--in-place", "--only", "baseline", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "refusing to refresh in place" in err and "Traceback" not in err
    assert sha(book) == before
    assert not (tmp_path / "inputs.results.xlsx").exists()


def test_in_place_allowed_on_a_plain_workbook(tmp_path):
    book = write_demo_inputs(tmp_path / "inputs.xlsx")
    assert main(["refresh", str(book), "--in-place", "--only", "baseline", "--quiet"]) == 0
    assert "Baseline" in openpyxl.load_workbook(book, read_only=True).sheetnames


def test_formula_like_text_is_written_as_text(tmp_path):
    book = write_demo_inputs(tmp_path / "inputs.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["Policies"]
    ws.cell(2, 2).value = "=HYPERLINK(\"http://example.invalid\")"
    ws.cell(2, 2).data_type = "s"
    wb.save(book)
    assert main(["refresh", str(book), "--only", "policy_text", "--quiet"]) == 0
    with zipfile.ZipFile(tmp_path / "inputs.results.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)


def test_check_reports_no_problem_on_the_demo(demo_book, capsys):
    assert main(["check", str(demo_book)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_bad_input_exit_code_and_message(tmp_path, capsys):
    book = write_demo_inputs(tmp_path / "inputs.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["Panel"].cell(5, 3).value = "2015年"  # column C is the year
    wb.save(book)
    before = sha(book)
    assert main(["refresh", str(book), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Panel" in err and "row 5" in err and "Traceback" not in err
    assert sha(book) == before and not (tmp_path / "inputs.results.xlsx").exists()


def test_templates_are_up_to_date(tmp_path):
    """The committed templates are byte for byte what `xlcbec template` writes now (fixed file dates)."""
    root = Path(__file__).resolve().parents[1] / "templates"
    for lang in ("en", "zh"):
        fresh = tmp_path / f"{lang}.xlsx"
        assert main(["template", str(fresh), "--lang", lang]) == 0
        assert fresh.read_bytes() == (root / f"cbec_template_{lang}.xlsx").read_bytes(), (
            f"run `xlcbec template templates/cbec_template_{lang}.xlsx --lang {lang} --force`")