"""The Word report: the result sheets' tables and charts as one .docx, in the paper's order.

The blocks are the ones the workbook writer draws (:func:`xlcbec.jobs.result_blocks`):
each :class:`~xlcbec.report.tables.TableSpec` becomes a real, editable Word table
(three-line rules, numbers on a decimal tab, the cells' number formats giving
the stars and parentheses), with a numbered caption above and the notes
below; each :class:`~xlcbec.report.charts.ChartSpec` becomes a picture drawn by
:mod:`xlcbec.report.mpl_charts` with a numbered caption below.  Long detail
tables (every 2x2 comparison, every ATT(g,t), the full keyword list) go to an
appendix; tables too wide for a portrait page go on landscape pages.

python-docx writes the document; its low-level element API is used only
where it has no public one: East Asian fonts, cell borders, repeated header
rows, and the SEQ/PAGE fields of captions and page numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from xlcbec.report.charts import ChartSpec
from xlcbec.report.formats import display
from xlcbec.report.labels import label
from xlcbec.report.tables import Cell, TableSpec, display_width

# The report's sections in the paper's order, each with the result sheets it shows.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("report_section_summary", ("Summary",)),
    ("report_section_data", ("Index", "Descriptives")),
    ("report_section_baseline", ("Baseline",)),
    ("report_section_event_study", ("EventStudy",)),
    ("report_section_psm", ("PSM",)),
    ("report_section_heterogeneity", ("Heterogeneity",)),
    ("report_section_mediation", ("Mediation",)),
    ("report_section_policy_text", ("PolicyText",)),
    ("report_section_robustness", ("Robustness",)),
)
# Detail tables shown in the appendix: by key (prefix) or by length.
APPENDIX_KEYS: tuple[str, ...] = ("bacon_comparisons", "cs_gt_", "policy_keywords")
APPENDIX_ROWS = 30
# Consecutive charts drawn as one figure with panels (a), (b) on one y scale, as the paper's Figure 2.
PANEL_PAIRS: tuple[tuple[str, str], ...] = (("psm_before", "psm_after"),)

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)  # A4
MARGIN_TOP_BOTTOM, MARGIN_SIDES = Cm(2.54), Cm(3.17)  # Word's defaults for Chinese documents
# A character's width at 9 pt, generous: Times New Roman digits take 0.16 cm, but where it is missing
# (Linux) it is replaced by wider fonts (DejaVu Serif: 0.20 cm).  A Chinese character counts two.
CM_PER_CHAR = 0.21
CELL_MARGINS_CM = 0.38  # Word's default left and right cell margins
MIN_COLUMN_CM = 1.2
HEADER_CHARS = 14  # a header longer than this wraps rather than widening its column
TEXT_CHARS = 36  # so does text (policy titles)
MIN_TABLE_POINTS = 6.5  # the smallest font a wide table shrinks to
TABLE_POINTS = 9.0  # 小五
RULE_THICK, RULE_THIN = 12, 6  # eighths of a point: 1.5 pt and 0.75 pt, the three-line table's rules

PORTRAIT_TEXT_CM = float((PAGE_WIDTH - 2 * MARGIN_SIDES) / Cm(1))

CN_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class ReportInfo:
    """What the report says about itself: source workbook, when its results were computed, remarks."""

    source: str
    version: str
    refreshed: str = ""
    notices: tuple[str, ...] = ()
    remarks: tuple[str, ...] = ()


@dataclass
class _Counters:
    tables: int = 0
    figures: int = 0
    warnings: list[str] = field(default_factory=list)


class _Fonts:
    """The bureau's usual fonts: SimSun body and SimHei headings in Chinese; Times New Roman in English."""

    def __init__(self, language: str) -> None:
        self.latin = "Times New Roman"
        self.body_east_asian = "SimSun"
        self.heading_east_asian = "SimHei" if language == "zh" else "SimSun"


def _set_fonts(style_or_run: Any, latin: str, east_asian: str) -> None:
    """Latin and East Asian font names; theme fonts (which would win over the names) removed."""
    style_or_run.font.name = latin
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(theme)) is not None:
            del fonts.attrib[qn(theme)]
    fonts.set(qn("w:eastAsia"), east_asian)


def _styles(document: Any, language: str) -> None:
    fonts = _Fonts(language)
    styles = document.styles
    normal = styles["Normal"]
    _set_fonts(normal, fonts.latin, fonts.body_east_asian)
    normal.font.size = Pt(12 if language == "zh" else 11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 18.0), ("Heading 1", 16.0), ("Heading 2", 14.0)):
        style = styles[name]
        _set_fonts(style, fonts.latin, fonts.heading_east_asian)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = styles["Caption"]
    _set_fonts(caption, fonts.latin, fonts.heading_east_asian)
    caption.font.size = Pt(10.5)
    caption.font.bold = True
    caption.font.italic = False
    caption.font.color.rgb = RGBColor(0, 0, 0)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(3)
    for name, size, space in (("Table Text", TABLE_POINTS, 0.0), ("Table Note", TABLE_POINTS, 0.0)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(size)
        style.paragraph_format.space_after = Pt(space)
        style.paragraph_format.space_before = Pt(0)
        style.paragraph_format.line_spacing = 1.0
    styles["Table Note"].paragraph_format.space_after = Pt(2)


def _page(section: Any, *, landscape: bool = False) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (PAGE_HEIGHT, PAGE_WIDTH) if landscape else (PAGE_WIDTH, PAGE_HEIGHT)
    section.top_margin = section.bottom_margin = MARGIN_TOP_BOTTOM
    section.left_margin = section.right_margin = MARGIN_SIDES


def _text_width_cm(section: Any) -> float:
    return float((section.page_width - section.left_margin - section.right_margin) / Cm(1))


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """A simple field (SEQ, PAGE) with its current result, which Word and LibreOffice update themselves."""
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _page_numbers(section: Any) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph, "PAGE", "1")


# --- tables ---------------------------------------------------------------------------


def _border(cell: Any, edge: str, size: int) -> None:
    """One edge of a cell's border (python-docx has no border API: the tcBorders element, in schema order)."""
    tcpr = cell._tc.get_or_add_tcPr()
    borders = tcpr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tcpr.insert_element_before(borders, "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                                   "w:vAlign", "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge",
                                   "w:tcPrChange")
    line = borders.find(qn(f"w:{edge}"))
    if line is None:
        line = OxmlElement(f"w:{edge}")
        order = ("top", "start", "left", "bottom", "end", "right", "insideH", "insideV", "tl2br", "tr2bl")
        later = [qn(f"w:{e}") for e in order[order.index(edge) + 1:]]
        following = next((child for child in borders if child.tag in later), None)
        if following is not None:
            following.addprevious(line)
        else:
            borders.append(line)
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "0")
    line.set(qn("w:color"), "000000")


def _row_flag(row: Any, tag: str) -> None:
    """A row property without an API: repeat as header row (tblHeader), do not split across pages (cantSplit)."""
    trpr = row._tr.get_or_add_trPr()
    element = OxmlElement(f"w:{tag}")
    element.set(qn("w:val"), "true")
    if tag == "cantSplit":
        trpr.insert(0, element)  # cantSplit precedes tblHeader in the schema
    else:
        trpr.append(element)


def _split_decimal(text: str) -> tuple[int, int]:
    """Characters left and right of the decimal point (no point: all left), as a decimal tab aligns them."""
    body = text.strip()
    if "." in body:
        left, right = body.split(".", 1)
        return len(left), len(right) + 1
    return len(body), 0


@lru_cache(maxsize=65536)
def _shown(cell: Cell) -> str:
    """The cell's text as the sheet shows it (asked for several times per cell while laying a table out)."""
    return display(cell.value, cell.number_format)


def _on_decimal_tab(cell: Cell) -> bool:
    """Numbers with a decimal point go on the column's decimal tab; whole numbers (N, counts) are centred."""
    return cell.role in ("number", "statistic") and cell.value is not None and "." in _shown(cell)


def _has_paragraphs(table: TableSpec) -> bool:
    return any(cell.role == "paragraph" for row in table.body for cell in row)


def _content_chars(rows: Sequence[Sequence[Cell]], n: int, *, header: bool) -> list[int]:
    """Each column's longest text in character widths; headers and text wrap beyond their caps, numbers never."""
    chars = [0] * n
    for row in rows:
        for column, cell in enumerate(row[:n]):
            cap = HEADER_CHARS if header else (TEXT_CHARS if cell.role in ("text", "label") else 1000)
            chars[column] = max(chars[column], min(display_width(_shown(cell)), cap))
    return chars


def _widths_cm(chars: Sequence[int], points: float) -> list[float]:
    per_char = CM_PER_CHAR * points / TABLE_POINTS
    return [max(MIN_COLUMN_CM * points / TABLE_POINTS, c * per_char + CELL_MARGINS_CM + 0.15) for c in chars]


def _body_widths(table: TableSpec, points: float = TABLE_POINTS) -> list[float]:
    """The narrowest widths that keep every number (and text up to TEXT_CHARS) on one line."""
    return _widths_cm(_content_chars(table.body, max(table.width, 1), header=False), points)


@dataclass(frozen=True)
class _TableLayout:
    points: float  # font size of the table's text
    widths: tuple[float, ...]  # column widths, cm
    tabs: Mapping[int, float]  # column -> decimal tab position, cm from the cell's text start


def _layout(table: TableSpec, text_width: float) -> _TableLayout:
    """Font size, column widths and decimal tabs of a table across ``text_width`` cm.

    Running text (the Summary) takes the spec's proportions of the text width.  Other tables are as wide
    as their contents; too wide, their headers wrap first (down to the body's own widths), then the font
    shrinks (down to MIN_TABLE_POINTS), and only then is every column narrowed in proportion.
    """
    n = max(table.width, 1)
    if _has_paragraphs(table) and table.column_widths:
        chars = list(table.column_widths)[:n]
        return _TableLayout(TABLE_POINTS, tuple(c / sum(chars) * text_width for c in chars), {})
    body_chars = _content_chars(table.body, n, header=False)
    header_chars = _content_chars(table.header, n, header=True)
    points = TABLE_POINTS
    body = _widths_cm(body_chars, points)
    if sum(body) > text_width:
        points = max(MIN_TABLE_POINTS, TABLE_POINTS * text_width / sum(body))
        body = _widths_cm(body_chars, points)
    natural = [max(b, h) for b, h in zip(body, _widths_cm(header_chars, points))]
    if sum(natural) <= text_width:
        widths = natural
    elif sum(body) <= text_width:
        keep = (text_width - sum(body)) / (sum(natural) - sum(body))
        widths = [b + (w - b) * keep for b, w in zip(body, natural)]
    else:
        widths = [w * text_width / sum(body) for w in body]
    return _TableLayout(points, tuple(widths), _decimal_tabs(table, widths, points))


def _decimal_tabs(table: TableSpec, widths: Sequence[float], points: float) -> dict[int, float]:
    """Per column holding decimals: the decimal tab position (cm from the cell's text start) that centres them."""
    per_char = CM_PER_CHAR * points / TABLE_POINTS
    tabs: dict[int, float] = {}
    for column, width in enumerate(widths):
        texts = [_shown(row[column]) for row in table.body if column < len(row) and _on_decimal_tab(row[column])]
        if not texts:
            continue
        left = max(_split_decimal(t)[0] for t in texts) * per_char
        right = max(_split_decimal(t)[1] for t in texts) * per_char
        inner = width - CELL_MARGINS_CM
        # Centred in the cell, but never so far left that the digits before the point do not fit.
        tabs[column] = max(left + 0.05, (inner - left - right) / 2 + left)
    return tabs


def _fill(cell: Any, spec: Cell, tab: float | None, style_id: str, points: float) -> None:
    paragraph = cell.paragraphs[0]
    # The style by its id: python-docx's by-name lookup scans every style for each of thousands of cells.
    paragraph._p.style = style_id
    text = _shown(spec)
    if tab is not None and _on_decimal_tab(spec):
        # In a table cell a decimal tab aligns the text without a tab character (Word and LibreOffice alike);
        # a leading tab character would push the number onto a second line in LibreOffice.
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(tab), WD_TAB_ALIGNMENT.DECIMAL)
    elif spec.role in ("header", "flag", "number", "statistic"):
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(text)
    if spec.role == "header":
        run.bold = True
    if points != TABLE_POINTS:
        run.font.size = Pt(round(points * 2) / 2)


def _word_table(document: Any, table: TableSpec, text_width: float) -> Any:
    """The spec as a Word table with the three-line rules, its header rows repeated on each page."""
    width = max(table.width, 1)
    layout = _layout(table, text_width)
    widths = layout.widths
    style_id = document.styles["Table Text"].style_id
    word = document.add_table(rows=0, cols=width)
    word.alignment = WD_TABLE_ALIGNMENT.CENTER
    word.autofit = False
    for column, column_width in enumerate(widths):  # before the rows: each new cell takes its column's width
        word.columns[column].width = Cm(column_width)
    rows = [(cells, True) for cells in table.header] + [(cells, False) for cells in table.body]
    for index, (cells, is_header) in enumerate(rows):
        row = word.add_row()
        _row_flag(row, "cantSplit")
        if is_header:
            _row_flag(row, "tblHeader")
        for column, cell in enumerate(row.cells):
            spec = cells[column] if column < len(cells) else Cell()
            _fill(cell, spec, layout.tabs.get(column) if not is_header else None, style_id, layout.points)
    all_rows = word.rows
    n_header = len(table.header)
    edges: list[tuple[int, str, int]] = []
    if n_header:
        edges += [(0, "top", RULE_THICK), (n_header - 1, "bottom", RULE_THIN)]
    elif rows:
        edges.append((0, "top", RULE_THICK))
    if rows:
        edges.append((len(rows) - 1, "bottom", RULE_THICK))
    edges += [(n_header + i, "bottom", RULE_THIN) for i in table.rules_after if 0 <= i < len(table.body) - 1]
    for row_index, edge, size in edges:
        for cell in all_rows[row_index].cells:
            _border(cell, edge, size)
    return word


# --- the document -----------------------------------------------------------------------


def _is_note(block: Any) -> bool:
    """A one-cell table without header (an analysis that did not run) is a sentence, not a table."""
    return isinstance(block, TableSpec) and not block.header and len(block.body) == 1 and len(block.body[0]) == 1


def _in_appendix(block: Any) -> bool:
    return isinstance(block, TableSpec) and (block.key.startswith(APPENDIX_KEYS) or len(block.body) > APPENDIX_ROWS)


def _is_wide(block: Any) -> bool:
    """A table whose body does not fit across a portrait page even with its headers wrapped goes on a landscape page."""
    return (isinstance(block, TableSpec) and not _is_note(block) and not _has_paragraphs(block)
            and sum(_body_widths(block)) > PORTRAIT_TEXT_CM)


def _grouped(blocks: Sequence[Any]) -> list[Any]:
    """Blocks with each panel pair of charts as one tuple."""
    out: list[Any] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if (isinstance(block, ChartSpec) and isinstance(following, ChartSpec)
                and (block.key, following.key) in PANEL_PAIRS):
            out.append((block, following))
            i += 2
        else:
            out.append(block)
            i += 1
    return out


class _Writer:
    def __init__(self, language: str, info: ReportInfo, fallback: Mapping[str, ChartSpec],
                 render: Callable[..., bytes]) -> None:
        self.language = language
        self.info = info
        self.fallback = fallback
        self.render = render
        self.document = Document()
        self.count = _Counters()
        self.landscape = False
        _styles(self.document, language)
        _page(self.document.sections[0])
        _page_numbers(self.document.sections[0])

    def words(self, key: str, **values: Any) -> str:
        return label(key, self.language).format(**values)

    @property
    def text_width(self) -> float:
        return _text_width_cm(self.document.sections[-1])

    def orientation(self, landscape: bool) -> None:
        if landscape == self.landscape:
            return
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        _page(section, landscape=landscape)
        self.landscape = landscape

    def heading(self, number: int, key: str) -> None:
        prefix = f"{CN_NUMERALS[number - 1]}、" if self.language == "zh" and number <= len(CN_NUMERALS) else f"{number} "
        self.document.add_heading(prefix + self.words(key), level=1)

    def caption(self, kind: str, title: str) -> Any:
        if kind == "table":
            self.count.tables += 1
            number, word = self.count.tables, self.words("report_table")
        else:
            self.count.figures += 1
            number, word = self.count.figures, self.words("report_figure")
        paragraph = self.document.add_paragraph(style="Caption")
        paragraph.add_run(word + ("" if self.language == "zh" else " "))
        _field(paragraph, f"SEQ {word} \\* ARABIC", str(number))
        paragraph.add_run(("  " if self.language == "zh" else ". ") + title if title else "")
        return paragraph

    def table(self, table: TableSpec) -> None:
        if _is_note(table):
            paragraph = self.document.add_paragraph(str(table.body[0][0].value))
            paragraph.runs[0].italic = True
            return
        self.orientation(_is_wide(table))
        caption = self.caption("table", table.title)
        caption.paragraph_format.keep_with_next = True
        _word_table(self.document, table, self.text_width)
        for note in table.notes:
            if note:
                self.document.add_paragraph(note, style="Table Note")

    def chart(self, charts: ChartSpec | tuple[ChartSpec, ...]) -> None:
        from xlcbec.report.mpl_charts import MissingCJKFont

        self.orientation(False)
        specs = charts if isinstance(charts, tuple) else (charts,)
        width = min(self.text_width, max(spec.width_cm for spec in specs)) if len(specs) == 1 else self.text_width
        height = min(spec.height_cm for spec in specs) * (0.8 if len(specs) > 1 else 1.0)
        try:
            image = self.render(specs if len(specs) > 1 else specs[0], size_cm=(width, height))
        except MissingCJKFont as fonts:
            english = tuple(self.fallback.get(spec.key, spec) for spec in specs)
            self.count.warnings.append(self.words("report_no_cjk_font", fonts=str(fonts)))
            image = self.render(english if len(english) > 1 else english[0], size_cm=(width, height))
        self.document.add_picture(io.BytesIO(image), width=Cm(width))
        picture = self.document.paragraphs[-1]
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True
        title = specs[0].title if len(specs) == 1 else self.words(
            "report_panels", titles=("；" if self.language == "zh" else "; ").join(
                f"({chr(ord('a') + i)}) {spec.title}" for i, spec in enumerate(specs)))
        self.caption("figure", title)

    def front_matter(self) -> None:
        self.document.add_paragraph(self.words("report_title"), style="Title")
        facts = [self.words("report_source", source=self.info.source)]
        if self.info.refreshed:
            facts.append(self.words("report_refreshed", refreshed=self.info.refreshed))
        facts.append(self.words("report_version", version=self.info.version))
        paragraph = self.document.add_paragraph(("；" if self.language == "zh" else "; ").join(facts))
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for line in (*self.info.notices, *self.info.remarks):
            note = self.document.add_paragraph(line, style="Table Note")
            note.runs[0].italic = True

    def blocks(self, blocks: Sequence[Any]) -> None:
        for block in _grouped(blocks):
            if isinstance(block, TableSpec):
                self.table(block)
            else:
                self.chart(block)


def build_document(by_sheet: Mapping[str, Sequence[Any]], *, language: str, info: ReportInfo,
                   fallback_charts: Mapping[str, ChartSpec] | None = None) -> tuple[Any, list[str]]:
    """The report as a python-docx ``Document`` and the warnings met (e.g. no CJK font for the charts).

    ``by_sheet``: result sheet -> its blocks (:func:`xlcbec.jobs.result_blocks`);
    ``fallback_charts``: English charts by key, drawn when a Chinese chart has no font to draw it with.
    """
    from xlcbec.report.mpl_charts import render_png

    writer = _Writer(language, info, fallback_charts or {}, render_png)
    writer.front_matter()
    appendix: list[Any] = []
    number = 0
    for key, sheets in SECTIONS:
        blocks = [block for sheet in sheets for block in by_sheet.get(sheet, ())]
        if not blocks:
            continue
        number += 1
        shown = [block for block in blocks if not _in_appendix(block)]
        appendix += [block for block in blocks if _in_appendix(block)]
        # The heading goes on the page of the section's first block (a wide table: a landscape page).
        writer.orientation(bool(shown) and _is_wide(shown[0]))
        writer.heading(number, key)
        writer.blocks(shown)
    if appendix:
        writer.orientation(_is_wide(appendix[0]))
        writer.document.add_heading(writer.words("report_section_appendix"), level=1)
        writer.blocks(appendix)
    return writer.document, writer.count.warnings


def docx_bytes(document: Any) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
