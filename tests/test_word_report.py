"""The Word report (`xlcbec report`, jobs.write_word_report): real .docx files opened by LibreOffice.

The demo report is built once per session in both languages from one run of
the refreshed demo workbook (the ``demo_book`` fixture), the same blocks the
workbook's result sheets are drawn from; LibreOffice Writer converts both to
PDF in one start, and the PDF text must carry each table's headline numbers
as the Estimates sheet holds them.  The command's own path (checks, stale
results, no overwrite) runs on a small planted workbook, in seconds.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.test_summary import planted_panel
from xlcbec import jobs
from xlcbec.book.reading import read_inputs, read_sheet
from xlcbec.book.stored_results import read_stored_results
from xlcbec.cli import main
from xlcbec.errors import InputError, XlcbecWarning
from xlcbec.report.charts import ChartSpec
from xlcbec.report.labels import label
from xlcbec.report.tables import TableSpec
from xlcbec.report.word import ReportInfo, build_document, docx_bytes

# LibreOffice Writer and poppler are installed by .ci/run; without them the PDF test cannot run at all.
needs_writer = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                                  reason="LibreOffice Writer and poppler (pdftotext) are not installed")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_run(demo_book):
    stored = read_stored_results(demo_book)
    report = jobs.run_inputs(read_inputs(demo_book), only=stored.analyses)
    # What `xlcbec report` checks first: the re-run reproduces the demo's Estimates (seeded bootstrap and placebo).
    assert jobs.estimates_difference(stored.estimates, report.estimates) is None
    return stored, report


@pytest.fixture(scope="session")
def demo_docx(demo_run, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """The demo report in zh and en: (path, blocks by sheet) per language."""
    stored, report = demo_run
    folder = tmp_path_factory.mktemp("word")
    english = jobs.result_blocks(report, language="en")
    out = {}
    for language in ("zh", "en"):
        blocks = english if language == "en" else jobs.result_blocks(report, language="zh")
        info = ReportInfo(source="cbec_demo.xlsx", version="test", refreshed=stored.refreshed, notices=stored.notices)
        document, problems = build_document(blocks, language=language, info=info,
                                            fallback_charts={b.key: b for bs in english.values() for b in bs
                                                             if isinstance(b, ChartSpec)})
        assert problems == []  # a CJK font is installed (fonts-noto-cjk, .ci/run)
        path = folder / f"report_{language}.docx"
        path.write_bytes(docx_bytes(document))
        out[language] = (path, blocks)
    return out


@pytest.fixture(scope="session")
def demo_pdf_text(demo_docx, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pdf")
    profile = folder / "profile"
    paths = [str(path) for path, _ in demo_docx.values()]
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    *paths, "--outdir", str(folder)], check=True, capture_output=True, timeout=240)
    texts = {}
    for language, (path, _) in demo_docx.items():
        pdf = folder / (path.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {path.name}"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout
        texts[language] = text.decode("utf-8")
    return texts


def document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml").decode("utf-8")


def test_tables_are_word_tables_and_charts_are_pictures(demo_docx):
    for language, (path, blocks) in demo_docx.items():
        xml = document_xml(path)
        tables = [b for bs in blocks.values() for b in bs if isinstance(b, TableSpec) and b.header]
        charts = [b for bs in blocks.values() for b in bs if isinstance(b, ChartSpec)]
        assert xml.count("<w:tbl>") == len(tables), language
        # Every picture is a chart (the two PSM densities share one figure); no table became an image.
        pictures = xml.count("<pic:pic>")
        assert pictures == len(charts) - 1, language
        with zipfile.ZipFile(path) as package:
            media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert len(media) == pictures


def test_each_analysis_with_a_chart_has_a_picture_in_its_section(demo_docx):
    from docx import Document

    for language, (path, _) in demo_docx.items():
        sections: dict[str, int] = {}
        current = ""
        for paragraph in Document(str(path)).paragraphs:
            if paragraph.style.name == "Heading 1":
                current = paragraph.text
                sections[current] = 0
            elif "<pic:pic" in paragraph._p.xml and current:
                sections[current] += 1
        with_pictures = {re.sub(r"^\S+?(、|\s)", "", name) for name, count in sections.items() if count}
        # Data (index weights, trend), event study, PSM (densities), robustness (placebo, comparison).
        expected = {label(key, language) for key in ("report_section_data", "report_section_event_study",
                                                      "report_section_psm", "report_section_robustness")}
        assert expected <= with_pictures, (language, sections)


def test_document_is_a4_with_the_bureau_fonts(demo_docx):
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    for language, (path, _) in demo_docx.items():
        document = Document(str(path))
        portrait = [s for s in document.sections if s.page_width < s.page_height]
        assert portrait and all(abs(s.page_width - Mm(210)) < Mm(1) and abs(s.page_height - Mm(297)) < Mm(1)
                                for s in portrait)
        normal = document.styles["Normal"].element.rPr.rFonts
        heading = document.styles["Heading 1"].element.rPr.rFonts
        assert normal.get(qn("w:ascii")) == "Times New Roman"
        assert normal.get(qn("w:eastAsia")) == "SimSun"
        assert heading.get(qn("w:eastAsia")) == ("SimHei" if language == "zh" else "SimSun")
        assert heading.get(qn("w:asciiTheme")) is None  # a theme font would override the name


def _starred(value: float, p_value: float, stars=(0.1, 0.05, 0.01)) -> str:
    return f"{value:.4f}" + "*" * sum(p_value < level for level in stars)


@pytest.mark.libreoffice
@needs_writer
def test_pdf_text_has_each_table_s_headline_numbers_as_in_estimates(demo_book, demo_pdf_text):
    """Coefficients with stars and t in parentheses, ATT, placebo, heterogeneity, mediation, C&S, Sun-Abraham."""
    estimates = read_sheet(demo_book, "Estimates")
    for column in ("estimate", "statistic", "p_value"):
        estimates[column] = pd.to_numeric(estimates[column], errors="coerce")

    def rows(analysis: str, term: str | None = None) -> pd.DataFrame:
        hit = estimates[estimates["analysis"] == analysis]
        return hit if term is None else hit[hit["term"] == term]

    expected: list[str] = []
    for row in rows("baseline", "CBEC").itertuples():
        expected += [_starred(row.estimate, row.p_value), f"({row.statistic:.2f})"]
    for row in rows("psm_did", "CBEC").itertuples():
        expected.append(_starred(row.estimate, row.p_value))
    for row in rows("heterogeneity", "GxCBEC").itertuples():
        expected.append(_starred(row.estimate, row.p_value))
    for row in rows("mediation", "a").itertuples():
        expected.append(_starred(row.estimate, row.p_value))
    expected += [f"{v:.4f}" for v in rows("event_study").dropna(subset=["estimate"])["estimate"]]
    expected += [f"{v:.4f}" for v in rows("psm_att", "ATT")["estimate"]]
    expected += [f"{v:.4f}" for v in rows("placebo", "CBEC")["estimate"]]
    expected += [f"{v:.4f}" for v in rows("cs", "simple")["estimate"]]
    expected += [f"{v:.4f}" for v in rows("sun_abraham")[lambda f: f["term"].str.match(r"e-?\d")]["estimate"]]
    assert len(expected) > 50
    for language, text in demo_pdf_text.items():
        flat = re.sub(r"\s+", " ", text)
        missing = [number for number in expected if number not in flat]
        assert not missing, (language, missing[:10])
    assert re.search(r"表\s*\d+\s+基准回归结果", demo_pdf_text["zh"])
    assert re.search(r"Table \d+\. Results of the baseline regression", demo_pdf_text["en"])
    assert re.search(r"图\s*\d+", demo_pdf_text["zh"]) and "Figure 1." in demo_pdf_text["en"]
    assert "SYNTHETIC" in demo_pdf_text["en"] and "模拟数据" in demo_pdf_text["zh"]


def test_charts_without_a_chinese_font_are_drawn_in_english_with_a_warning(monkeypatch, demo_docx):
    from xlcbec.report import mpl_charts

    _, blocks = demo_docx["zh"]
    _, english = demo_docx["en"]
    chart = next(b for b in blocks["EventStudy"] if isinstance(b, ChartSpec))
    monkeypatch.setattr(mpl_charts, "cjk_font", lambda: None)
    with pytest.raises(mpl_charts.MissingCJKFont):
        mpl_charts.render_png(chart)
    fallback = {b.key: b for bs in english.values() for b in bs if isinstance(b, ChartSpec)}
    _, problems = build_document({"EventStudy": [chart]}, language="zh",
                                 info=ReportInfo(source="x.xlsx", version="test"), fallback_charts=fallback)
    assert len(problems) == 1 and "Microsoft YaHei" in problems[0]


# --- the command ------------------------------------------------------------------------


@pytest.fixture()
def planted_book(tmp_path) -> Path:
    from xlcbec.book.template import write_input_workbook

    return write_input_workbook(tmp_path / "planted.xlsx", panel=planted_panel().reset_index(drop=True),
                                settings={"outcome": "y", "controls": "x1, x2", "analyses": "baseline, event_study",
                                          "language": "zh"})


def test_report_of_a_book_without_results_refreshes_in_memory_only(planted_book, tmp_path, capsys):
    before = sha(planted_book)
    target = tmp_path / "report.docx"
    assert main(["report", str(planted_book), "-o", str(target), "-q"]) == 0
    assert sha(planted_book) == before
    assert "holds no results yet" in capsys.readouterr().err
    xml = document_xml(target)
    assert "工作簿中尚无结果" in xml and "<w:tbl>" in xml
    # Nothing is overwritten without --force; with it the report is replaced.
    assert main(["report", str(planted_book), "-o", str(target), "-q"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["report", str(planted_book), "-o", str(target), "--lang", "en", "--force", "-q"]) == 0
    assert "Results of the baseline regression" in document_xml(target)


def test_report_refuses_paths_it_must_not_write(planted_book, tmp_path, capsys):
    assert main(["report", str(planted_book), "-o", str(planted_book), "-q"]) == 2
    assert main(["report", str(planted_book), "-o", str(tmp_path / "report.pdf"), "-q"]) == 2
    assert main(["report", str(tmp_path / "missing.xlsx"), "-o", str(tmp_path / "r.docx"), "-q"]) == 2
    assert main(["report", str(planted_book), "-o", str(tmp_path / "no" / "r.docx"), "-q"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not list(tmp_path.glob("*.docx"))


def test_report_of_a_refreshed_book_and_of_an_out_of_date_one(planted_book, tmp_path, capsys):
    from xlcbec.book.result_package import save_results
    from xlcbec.book.template import write_input_workbook

    refreshed = tmp_path / "refreshed.xlsx"
    assert main(["refresh", str(planted_book), "-o", str(refreshed), "-q"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", XlcbecWarning)  # a refreshed book: no warning
        written = jobs.write_word_report(refreshed, tmp_path / "fresh.docx")
    assert written == tmp_path / "fresh.docx" and "工作簿中尚无结果" not in document_xml(written)
    # The same results saved with inputs that changed since: the report refuses to write stale numbers.
    report = jobs.run_inputs(read_inputs(planted_book))
    changed = planted_panel(effect=0.1).reset_index(drop=True)
    edited = write_input_workbook(tmp_path / "edited.xlsx", panel=changed, settings={
        "outcome": "y", "controls": "x1, x2", "analyses": "baseline, event_study", "language": "zh"})
    stale = save_results(edited, tmp_path / "stale.xlsx", lambda backend: jobs.write_report(backend, report))
    with pytest.raises(InputError, match=r"out of date: baseline / \w+ / CBEC: estimate"):
        jobs.write_word_report(stale, tmp_path / "stale.docx")
    assert main(["report", str(stale), "-o", str(tmp_path / "stale.docx"), "-q"]) == 2
    assert "refresh the workbook" in capsys.readouterr().err
    assert not (tmp_path / "stale.docx").exists()


def test_estimates_difference_names_the_first_row_that_moved():
    frame = pd.DataFrame({"analysis": ["baseline", "baseline"], "model": ["controls", "controls"],
                          "term": ["CBEC", "lnpop"], "estimate": [0.0131, 0.2], "std_error": [0.0013, 0.1]})
    assert jobs.estimates_difference(frame, frame.copy()) is None
    nudged = frame.assign(estimate=[0.0131 * (1 + 1e-9), 0.2])  # rounding of a re-run: the same results
    assert jobs.estimates_difference(frame, nudged) is None
    moved = frame.assign(estimate=[0.0140, 0.2])
    assert jobs.estimates_difference(frame, moved) == "baseline / controls / CBEC: estimate 0.0131 in Estimates, 0.014 from the inputs now"
    assert "no longer give" in jobs.estimates_difference(frame, frame.iloc[:1])
    assert "Estimates lacks" in jobs.estimates_difference(frame.iloc[:1], frame)
