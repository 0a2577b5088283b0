"""Report-ready result sheets: what a bureau analyst pastes into a report, checked on the workbook.

The demo panel is refreshed once per language (en, zh) with few bootstrap and
placebo draws (the layout does not depend on them), written through the file
backend, and read back: cell values and number formats with openpyxl, chart
series and print settings from the sheet and chart XML.  The table and chart
specs of the same run are checked too (header label keys, notes).

No estimate is compared here (the estimators have their own reference tests);
the checks are on presentation: numbers stored as numbers, labels as words in
the run's language, charts plotting what their titles say, pages that print.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree

from xlcbec import jobs
from xlcbec.book.layout import PAGE_HEIGHT_CM, column_cm, plan
from xlcbec.book.openpyxl_backend import OpenpyxlBackend
from xlcbec.book.reading import read_inputs
from xlcbec.cli import write_demo_inputs
from xlcbec.report import sheets
from xlcbec.report.charts import COMPARISON_DODGE, ChartSpec
from xlcbec.report.labels import LABELS, indicator_labels, label, rows_note, stars_note, translate
from xlcbec.report.tables import TableSpec

C_NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
ANALYSIS_SHEETS = ("Index", "Descriptives", "Baseline", "EventStudy", "PSM", "Heterogeneity", "Mediation",
                   "PolicyText", "Robustness")
NUMBER_TEXT = re.compile(r"^\s*[-+−]?\d+(\.\d+)?\s*$")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
# Words that only occur in an English sentence; a zh note holding one was not translated.
ENGLISH = re.compile(r"\b(the|of|and|by|in|on|is|are|with|from|for|not|rows|used|units|than|after|before|each|every|only|"
                     r"was|were|draws|seed|weighted|treated|group|effects?|test|mean|missing|column|controls?)\b")


def _demo_inputs(path: Path, language: str) -> Path:
    write_demo_inputs(path)
    book = openpyxl.load_workbook(path)
    settings = book["Settings"]
    wanted = {"language": language, "bootstrap_reps": 20, "placebo_reps": 40}
    for row in settings.iter_rows(min_row=2):
        key = str(row[0].value or "").split()[0] if row[0].value else ""
        if key in wanted:
            row[1].value = wanted.pop(key)
    assert not wanted, f"Settings rows not found: {wanted}"
    book.save(path)
    return path


class Run:
    """One refresh of the demo: the report, the specs of every result sheet, and the written workbook."""

    def __init__(self, folder: Path, language: str) -> None:
        inputs = _demo_inputs(folder / f"demo_{language}.xlsx", language)
        self.report = jobs.run_inputs(read_inputs(inputs))
        self.view = sheets.View(self.report.settings)
        self.blocks: dict[str, list] = {}
        for name, outcome in self.report.run.outcomes.items():
            self.blocks[name] = sheets.BUILDERS[name](outcome, self.view, self.report.study)
        backend = OpenpyxlBackend.new()
        jobs.write_report(backend, self.report)
        self.path = backend.save(folder / f"results_{language}.xlsx")
        self.book = openpyxl.load_workbook(self.path)

    def tables(self) -> list[TableSpec]:
        return [b for blocks in self.blocks.values() for b in blocks if isinstance(b, TableSpec)]

    def charts(self) -> list[ChartSpec]:
        found = [b for blocks in self.blocks.values() for b in blocks if isinstance(b, ChartSpec)]
        comparison = sheets.comparison_chart(self.report.run.outcomes, self.view)
        return found + ([comparison] if comparison is not None else [])

    def table(self, key: str) -> TableSpec:
        return next(t for t in self.tables() if t.key == key)


@pytest.fixture(scope="module")
def en(tmp_path_factory) -> Run:
    return Run(tmp_path_factory.mktemp("report_en"), "en")


@pytest.fixture(scope="module")
def zh(tmp_path_factory) -> Run:
    return Run(tmp_path_factory.mktemp("report_zh"), "zh")


@pytest.fixture(params=["en", "zh"])
def run(request) -> Run:
    return request.getfixturevalue(request.param)


# --- chart XML helpers -----------------------------------------------------------------------


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet part in the package."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels)) | {
        rid: target for target, rid in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    parts = {}
    for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets[rid].lstrip("/")
        parts[name] = target if target.startswith("xl/") else "xl/" + target
    return parts


def _rel_targets(z: zipfile.ZipFile, owner: str) -> list[str]:
    folder, file = owner.rsplit("/", 1)
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in z.namelist():
        return []
    out = []
    for target in re.findall(r'Target="([^"]+)"', z.read(rels).decode()):
        path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        while "/../" in path:
            path = re.sub(r"[^/]+/\.\./", "", path, count=1)
        out.append(path)
    return out


def _drawings_of(path: Path, sheet: str) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        return [z.read(d) for d in _rel_targets(z, _sheet_parts(path)[sheet]) if "/drawings/" in d]


def _charts_of(path: Path, sheet: str) -> list[ElementTree.Element]:
    """The chart parts drawn on ``sheet`` (through its drawing)."""
    with zipfile.ZipFile(path) as z:
        return [ElementTree.fromstring(z.read(chart))
                for drawing in _rel_targets(z, _sheet_parts(path)[sheet]) if "/drawings/" in drawing
                for chart in _rel_targets(z, drawing) if "/charts/" in chart]


def _cells(book: openpyxl.Workbook, ref: str) -> list:
    sheet, cells = ref.rsplit("!", 1)
    ws = book[sheet.strip("'").replace("''", "'")]
    found = ws[cells.replace("$", "")]
    return [found.value] if isinstance(found, openpyxl.cell.cell.Cell) else [row[0].value for row in found]


def _chart_title(chart: ElementTree.Element) -> str:
    return "".join(t.text or "" for t in chart.find("c:chart/c:title", C_NS).iter("{http://schemas.openxmlformats.org/drawingml/2006/main}t"))


# --- part 1: the rendered demo's problems -------------------------------------------------


def test_comparison_chart_plots_event_times_with_ci_bars(en):
    """x references hold event times (dodged by a fixed step), y the estimates, and every series has CI bars."""
    charts = [c for c in _charts_of(en.path, "Robustness") if "TWFE" in _chart_title(c)]
    assert len(charts) == 1
    series = charts[0].findall(".//c:scatterChart/c:ser", C_NS)
    names = {_cells(en.book, s.find("c:tx/c:strRef/c:f", C_NS).text)[0]: s for s in series}
    data = [names[n] for n in ("TWFE", "Callaway-Sant'Anna", "Sun-Abraham")]
    event_times = set(int(r) for r in en.report.run.outcomes["event_study"].result.table["r"])
    for s in data:
        xs = _cells(en.book, s.find("c:xVal/c:numRef/c:f", C_NS).text)
        ys = _cells(en.book, s.find("c:yVal/c:numRef/c:f", C_NS).text)
        assert xs != ys
        for x in xs:
            nearest = round(x)
            assert nearest in event_times and abs(x - nearest) <= COMPARISON_DODGE + 1e-9
        bars = s.find("c:errBars", C_NS)
        assert bars is not None and bars.find("c:errValType", C_NS).get("val") == "cust"
        plus = _cells(en.book, bars.find("c:plus/c:numRef/c:f", C_NS).text)
        assert len(plus) == len(xs) and max(plus) > 0
    # the C&S points are its dynamic ATT at each event time (not x = ATT as before)
    detail = en.report.run.outcomes["cs"].result["never"].dynamic.detail
    cs = data[1]
    xs = _cells(en.book, cs.find("c:xVal/c:numRef/c:f", C_NS).text)
    ys = _cells(en.book, cs.find("c:yVal/c:numRef/c:f", C_NS).text)
    for x, y in zip(xs, ys):
        assert y == pytest.approx(float(detail.loc[round(x), "att"]), rel=1e-12)  # a copy of the estimate


def test_result_tables_hold_no_numeric_text(run):
    """Years, event times, document numbers and counts are numbers, never text that looks like one."""
    for sheet in ANALYSIS_SHEETS:
        ws = run.book[sheet]
        for row in ws[str(ws.print_area).split(",")[0].split("!")[-1].replace("$", "")]:
            for cell in row:
                if isinstance(cell.value, str):
                    assert not NUMBER_TEXT.match(cell.value), f"{sheet}!{cell.coordinate} = {cell.value!r}"
    for table in run.tables():
        for row in table.body:
            for cell in row:
                assert not (isinstance(cell.value, str) and NUMBER_TEXT.match(cell.value)), (table.key, cell)


def test_years_event_times_and_flags_in_the_staggered_tables(en, zh):
    for run in (en, zh):
        gt = run.table("cs_gt_never")
        for row in gt.body:
            for cell in row[:4]:  # cohort, year, event time, base year
                assert isinstance(cell.value, int) and cell.number_format == "0"
            assert row[4].value in (label("yes", run.view.language), label("no", run.view.language))
        comparisons = run.table("bacon_comparisons")
        never = [row[1].value for row in comparisons.body if isinstance(row[1].value, str)]
        assert never and set(never) == {label("never", run.view.language)}
        assert all(isinstance(row[0].value, int) for row in comparisons.body)
        for key in ("cs_dynamic_never", "cs_dynamic_not_yet"):
            table = run.table(key)
            assert table.header[0][0].value == label("event_time", run.view.language)
            assert [row[0].value for row in table.body] == sorted(row[0].value for row in table.body)
            assert all(isinstance(row[0].value, int) for row in table.body)
        for key in ("event_study", "sun_abraham"):
            assert all(isinstance(row[0].value, int) for row in run.table(key).body)


def test_every_column_header_is_labelled_in_both_languages(run):
    for table in run.tables():
        for key in table.column_keys:
            pair = LABELS.get(key) or indicator_labels().get(key)
            assert pair is not None and all(pair), f"{table.key}: header {key!r} has no en/zh label"
        for row in table.header:
            for cell in row:
                assert not (isinstance(cell.value, str) and SNAKE.match(cell.value)), (table.key, cell.value)
        for row in table.body:
            assert not (isinstance(row[0].value, str) and SNAKE.match(row[0].value)), (table.key, row[0].value)


def test_every_label_key_used_in_the_code_has_en_and_zh():
    root = Path(__file__).resolve().parents[1] / "xlcbec"
    keys = set()
    for path in [*root.joinpath("report").glob("*.py"), root / "jobs.py", *root.joinpath("book").glob("*.py")]:
        keys |= set(re.findall(r"""\blabel\(\s*["']([^"'{}]+)["']""", path.read_text(encoding="utf-8")))
    assert keys, "no label() calls found"
    missing = sorted(k for k in keys if k not in LABELS)
    assert not missing, missing
    for key, (english, chinese) in LABELS.items():
        assert english.strip() and chinese.strip(), key


def test_cs_pretrend_note_explains_why_it_differs_from_the_event_study(en, zh):
    assert "differs from the EventStudy sheet's F test" in " ".join(en.table("cs_never").notes)
    assert "它与事件研究（EventStudy）表的 F 检验不同" in " ".join(zh.table("cs_never").notes)


def test_heterogeneity_uses_the_paper_labels(en, zh):
    coastal = zh.table("heterogeneity_coastal")
    assert [c.value for c in coastal.header[0][1:]] == ["沿海城市", "内陆城市"]
    assert [row[0].value for row in coastal.body[:4:2]] == ["沿海×CBEC", "内陆×CBEC"]
    # each column's interaction sits on its own row (the paper's diagonal layout)
    assert coastal.body[0][1].is_number and coastal.body[0][2].value is None
    assert coastal.body[2][2].is_number and coastal.body[2][1].value is None
    region = zh.table("heterogeneity_region")
    assert [c.value for c in region.header[0][1:]] == ["东部地区", "中部地区", "西部地区", "东北地区"]
    cluster = zh.table("heterogeneity_cluster")
    assert {row[0].value for row in cluster.body[::2][:3]} == {"京津冀×CBEC", "长三角×CBEC", "珠三角×CBEC"}
    assert [row[0].value for row in en.table("heterogeneity_coastal").body[:4:2]] == ["Coast×CBEC", "Inland×CBEC"]
    split = en.table("heterogeneity_split")
    assert "Equal-effect F" in [c.value for c in split.header[0]]


def test_mediation_sobel_stars_table_12_columns_and_percent(en):
    keys = [t.key for t in en.tables()]
    assert {"mediation_spec", "mediation_spec_low", "mediation_spec_high"} <= set(keys)
    result = en.report.run.outcomes["mediation"].result
    table = en.table("mediation_diginf")
    sobel = table.find_row("Sobel Z")[2]
    assert sobel.value == pytest.approx(result.mediators["diginf"].tests.sobel_z, rel=1e-12)
    assert sobel.number_format.endswith('"***"')  # p < 0.01 in the demo (a planted mechanism)
    summary = en.table("mediation_summary")
    headers = [c.value for c in summary.header[0]]
    share = headers.index(label("proportion_mediated", "en"))
    assert all(row[share].number_format == "0.0%" for row in summary.body)
    assert summary.body[0][headers.index("Sobel Z")].number_format.endswith('"***"')
    paths = en.table("mediation_paths")
    assert "Direct effect c'" in [c.value for c in paths.header[0]] and "Std. error of a" in [c.value for c in paths.header[0]]


def test_psm_att_has_stars_and_counts_on_support(en):
    r = en.report.run.outcomes["psm"].result
    table = en.table("psm_att")
    att = table.find_row("ATT")[1]
    assert att.value == pytest.approx(r.att, rel=1e-12) and '"*' in att.number_format
    treated = table.find_row("Treated on support")[1].value
    untreated = table.find_row("Untreated on support")[1].value
    total = table.find_row("Total on support")[1].value
    assert (treated, untreated, total) == (r.matching.n_treated_on, r.matching.n_control_on, treated + untreated)


def test_psm_density_charts_side_by_side_on_one_scale(en):
    charts = _charts_of(en.path, "PSM")
    assert len(charts) == 2
    tops = {c.find(".//c:valAx/c:scaling/c:max", C_NS).get("val") for c in charts}
    assert len(tops) == 1
    (drawing,) = _drawings_of(en.path, "PSM")
    anchors = re.findall(rb"<(?:xdr:)?from><(?:xdr:)?col>(\d+)</.*?<(?:xdr:)?row>(\d+)</", drawing, re.S)
    rows = {int(r) for _, r in anchors}
    cols = sorted(int(c) for c, _ in anchors)
    assert len(rows) == 1 and cols[0] < cols[1]


def test_policy_text_tables(zh):
    docs = zh.table("policy_documents")
    assert [row[0].value for row in docs.body] == list(range(1, len(docs.body) + 1))
    assert docs.column_widths[[c.value for c in docs.header[0]].index("标题")] >= 30  # wide, long titles wrap
    themes = zh.table("policy_themes")
    assert [row[0].value for row in themes.body] == ["数字基础设施", "生产性服务业集聚", "营商环境"]
    keywords_column = [c.value for c in themes.header[0]].index("关键词")
    keywords = zh.report.run.outcomes["policy_text"].result.keywords
    first = keywords.loc[keywords["theme"] == "digital_infrastructure", "keyword"]
    assert themes.body[0][keywords_column].value == "、".join(first)


def test_index_charts_are_titled_by_index_with_indicator_names(en, zh):
    titles = [c.title for c in zh.charts() if c.key.startswith("index_weights_")]
    assert titles == ["经济高质量发展：各维度指标权重", "数字基础设施：各维度指标权重"]
    hqd = next(c for c in zh.charts() if c.key == "index_weights_HQD")
    assert hqd.series[0].x[0] == "科学技术支出占地方一般公共预算支出比重" and hqd.horizontal
    assert next(c for c in en.charts() if c.key == "index_weights_diginf").title.startswith("Digital infrastructure: ")


def test_sheets_print_on_a4_landscape_with_chart_data_outside(run):
    """Every analysis sheet: an A4 landscape print area at a readable scale; the charts' numbers outside it."""
    with zipfile.ZipFile(run.path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    areas = dict((name, ref) for name, ref in re.findall(r"_xlnm.Print_Area\"[^>]*>'?([^'!]+)'?!([^<]+)<", workbook))
    for sheet in ANALYSIS_SHEETS:
        ws = run.book[sheet]
        assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
        assert int(ws.page_setup.scale) >= 60, (sheet, ws.page_setup.scale)  # 11 pt prints at 6.6 pt or more
        area = areas[sheet].replace("$", "")
        last_col = openpyxl.utils.column_index_from_string(re.match(r"A1:([A-Z]+)\d+", area).group(1))
        for chart in _charts_of(run.path, sheet):
            for ref in chart.iter("{%s}f" % C_NS["c"]):
                first = re.search(r"!\$?([A-Z]+)\$?\d+", ref.text).group(1)
                assert openpyxl.utils.column_index_from_string(first) > last_col + 1, (sheet, ref.text, area)


def test_long_tables_are_split_with_title_and_header_repeated(en):
    gt = en.table("cs_gt_never")
    parts = gt.split(20, "en")
    assert len(parts) > 1 and all(p.height <= 20 for p in parts)
    assert all(p.header == gt.header for p in parts)
    assert parts[1].title == gt.title + " (continued)" and parts[-1].notes == gt.notes
    assert [row for p in parts for row in p.body] == list(gt.body)
    # On the sheet, every part of a table fits its page: no table is longer than the layout's page.
    blocks = [b for name in ("placebo", "bacon", "cs", "sun_abraham") for b in en.blocks[name]]
    layout = plan(blocks)
    assert layout.page_pt == pytest.approx(PAGE_HEIGHT_CM / (2.54 / 72) * 100 / layout.scale)
    for table in (b for b in blocks if isinstance(b, TableSpec)):
        for part in table.split(layout.rows_per_page, "en"):
            assert part.height <= layout.rows_per_page
    ws = en.book["Robustness"]
    assert ws.row_breaks.count >= 3  # tables start on the page they fit on
    assert column_cm(10) > 2.0


def test_small_items(en, zh):
    assert stars_note((0.05, 0.01, 0.001), "se", "en") == (
        "Note: ***, ** and * indicate significance at the 0.1%, 1% and 5% levels, respectively, "
        "with standard errors in parentheses.")
    assert stars_note((0.05, 0.01, 0.001), "t", "zh") == "注：***、**、* 分别表示在 0.1%、1%、5% 的水平上显著；括号内为t 值。"
    baseline = en.table("baseline")
    rows = next(n for n in baseline.notes if n.startswith("Rows used:"))
    assert re.search(r"\(1\) \d+ of \d+; \(2\) \d+ of \d+ \(\d+ missing values\); \(3\) ", rows)
    assert any(n.startswith("Standard errors clustered by city (") for n in baseline.notes)
    assert next(n for n in zh.table("baseline").notes if n.startswith("使用的样本行数：第（1）列"))
    descriptives = en.table("descriptives")
    cbec = descriptives.find_row("CBEC")
    assert [c.value for c in cbec[4:]] == [0, 0, 1] and cbec[4].number_format == "0"  # min, median, max


# --- part 2: Chinese throughout a zh run ----------------------------------------------------


def _english(text: str) -> bool:
    """English words outside quotes (a quoted 'controls' is a Settings key, typed as it is)."""
    return bool(ENGLISH.search(re.sub(r"'[^']*'", "", text)))


def test_zh_notes_titles_and_axes_are_chinese(zh):
    for table in zh.tables():
        assert not _english(table.title), table.title
        for note in table.notes:
            assert not _english(note), (table.key, note)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for chart in zh.charts():
        assert cjk.search(chart.title) and cjk.search(chart.x_title) and cjk.search(chart.y_title), chart.key
        for series in chart.series:
            assert not _english(series.name), (chart.key, series.name)


def test_zh_log_and_estimates_notes_are_chinese(zh):
    log = zh.book["Log"]
    header = [c.value for c in log[1]]
    for row in log.iter_rows(min_row=2, values_only=True):
        section, item, value = row[:3]
        if section == label("log_settings", "zh"):
            continue
        assert not _english(str(item)) and not _english(str(value)), row
    estimates = zh.book["Estimates"]
    note = [c.value for c in estimates[1]].index("note")
    for row in estimates.iter_rows(min_row=2, values_only=True):
        if isinstance(row[note], str):
            assert not _english(row[note]), row[note]
    assert header[:3] == ["section", "item", "value"]


def test_known_leftovers_are_translated():
    warning = ("default controls 'lnpop' (closest header: 'lnpop（人口对数）'), 'urban' are not Panel columns and left out "
               "of every model; the models use lnaca, lngdp. Fix: name the Panel column exactly as the control, or list "
               "your controls in Settings 'controls'")
    text = translate(warning, "zh")
    assert text.startswith("默认控制变量 'lnpop'（最接近的列名：'lnpop（人口对数）'）") and not _english(text)
    assert translate(warning, "en") == warning

    class Account:
        read, used, dropped = 3420, 3416, {"missing values": 4}

    assert rows_note([(1, Account()), (2, Account())], "zh") == "使用的样本行数：第（1）列 3416/3420（含缺失值 4 行）；第（2）列 3416/3420（含缺失值 4 行）。"
    assert translate("3416 of 3420 rows used (4 missing values)", "zh") == "使用 3416/3420 行（4 行含缺失值）"
