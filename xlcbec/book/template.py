"""Writing an input workbook: the template (`xlcbec template`) or one filled with data (the demo).

Sheet and header names are the contract's codes in English and the bilingual
form (``面板数据 Panel``, ``城市 city``) in Chinese (:mod:`xlcbec.book.aliases`);
``language`` also chooses the Settings descriptions.  Settings lists every key
with a blank Value (blank = default, the default stated in the Description),
or the values given.  Header rows are frozen and columns sized; choice
settings and the Cities and Indicators attributes get drop-down lists.

The template adds what a first-time user needs (``guide=True``): the
instructions sheet first, the Panel headers of every column the default
analyses use, coloured by group and each with a cell note
(:mod:`xlcbec.book.column_guide`), and Cities, Indicators, Policies and
Keywords pre-filled (:mod:`xlcbec.book.prefill`).  A template's bytes depend
only on the code (fixed file dates), so the committed ``templates/`` files can
be compared byte for byte.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlcbec.book import prefill
from xlcbec.book.aliases import column_header, sheet_title
from xlcbec.book.atomic import atomic_write, atomic_write_bytes
from xlcbec.book.cell_refs import column_letter
from xlcbec.book.column_guide import PANEL_GUIDE, PANEL_GUIDE_BY_CODE
from xlcbec.book.contract import (
    CITIES,
    CITIES_ATTRIBUTES,
    INDICATORS,
    INDICATORS_COLUMNS,
    INSTRUCTIONS_SHEET,
    KEYWORDS,
    KEYWORDS_COLUMNS,
    PANEL,
    POLICIES,
    POLICIES_COLUMNS,
    SETTINGS,
    SETTINGS_COLUMNS,
)
from xlcbec.book.instructions import GROUP_LABELS, instruction_blocks
from xlcbec.book.openpyxl_backend import write_value
from xlcbec.book.settings import (
    SETTING_SPECS,
    SPEC_BY_KEY,
    Settings,
    format_setting,
)
from xlcbec.errors import InputError
from xlcbec.report.tables import display_width

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# Panel header colours by group (column_guide): required, needed by one analysis, optional.
GROUP_FILLS = {"baseline": "F8CBAD", "analysis": "FFE699", "optional": "C6E0B4"}
_DEFAULT_WORD = {"en": "Default", "zh": "默认"}
# The file dates a template carries, so that writing it twice gives the same bytes.
_TEMPLATE_DATE = "2024-01-01T00:00:00Z"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_VALIDATED_ROWS = 2000  # drop-down lists reach this far below the pre-filled rows


def template_panel(*, unit: str = Settings.unit, time: str = Settings.time) -> pd.DataFrame:
    """The empty Panel of the template: every column the default analyses use (column_guide order)."""
    codes = [unit, time, *(c.code for c in PANEL_GUIDE if c.code not in ("city", "year"))]
    return pd.DataFrame(columns=list(dict.fromkeys(codes)))


def template_cities(language: Literal["en", "zh"] = "en", *, unit: str = Settings.unit) -> pd.DataFrame:
    """The template's Cities: the 285 prefecture-level cities and their pilot years."""
    return prefill.cities(language, unit=unit)


ABOUT_SHEET = "About"


def write_template(path: str | Path, *, language: Literal["en", "zh"] = "en", overwrite: bool = False) -> Path:
    """The template a user fills: instructions, Settings, Panel headers explained, the other sheets pre-filled.

    The Chinese template fills in ``language = zh`` so its tables come out in
    Chinese; every other value is blank (= default).  An existing ``path`` is
    refused unless ``overwrite``.
    """
    return atomic_write_bytes(path, stable_bytes(template_workbook(language)), overwrite=overwrite)


def template_workbook(language: Literal["en", "zh"] = "en") -> openpyxl.Workbook:
    """The template as an openpyxl workbook (not yet saved): what :func:`write_template` writes."""
    settings = {"language": "zh"} if language == "zh" else None
    return build_input_workbook(
        panel=template_panel(), cities=template_cities(language), indicators=prefill.indicators(language),
        policies=prefill.policies(language), keywords=prefill.keywords(), settings=settings, language=language,
        guide=True,
    )


def write_input_workbook(
    path: str | Path,
    *,
    panel: pd.DataFrame,
    settings: Mapping[str, Any] | None = None,
    cities: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    policies: pd.DataFrame | None = None,
    keywords: pd.DataFrame | None = None,
    language: Literal["en", "zh"] = "en",
    title: str | None = None,
    description: str | None = None,
    notice: Sequence[str] = (),
    overwrite: bool = True,
) -> Path:
    """Write an input workbook atomically at ``path`` (see :func:`build_input_workbook`)."""
    workbook = build_input_workbook(panel=panel, settings=settings, cities=cities, indicators=indicators,
                                    policies=policies, keywords=keywords, language=language, title=title,
                                    description=description, notice=notice)
    return atomic_write(path, workbook.save, overwrite=overwrite)


def build_input_workbook(
    *,
    panel: pd.DataFrame,
    settings: Mapping[str, Any] | None = None,
    cities: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    policies: pd.DataFrame | None = None,
    keywords: pd.DataFrame | None = None,
    language: Literal["en", "zh"] = "en",
    title: str | None = None,
    description: str | None = None,
    notice: Sequence[str] = (),
    guide: bool = False,
) -> openpyxl.Workbook:
    """An input workbook in memory.

    ``notice`` lines go on a first sheet ``About`` (the demo says there, in
    plain words, that its data are synthetic); xlcbec never reads that sheet.
    ``guide`` adds the template's instructions sheet and Panel header notes.

    ``settings`` maps keys to the values to show (others stay blank = default);
    frames are written as they are, one row per record (their index is not
    written), under their column codes (bilingual headers in Chinese).
    ``title``/``description`` go to the file properties.
    """
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', not {language!r}")
    values = dict(settings or {})
    unknown = [k for k in values if k not in SPEC_BY_KEY]
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)}", sheet=SETTINGS, fix="use the keys listed on the Settings sheet")

    workbook = openpyxl.Workbook()
    settings_sheet = workbook.active
    settings_sheet.title = sheet_title(SETTINGS, language)
    _write_settings(settings_sheet, values, language)
    if guide:
        _print_landscape(settings_sheet)
    frames = {
        PANEL: panel,
        CITIES: cities if cities is not None else pd.DataFrame(columns=[_unit(values), *CITIES_ATTRIBUTES]),
        INDICATORS: indicators if indicators is not None else pd.DataFrame(columns=list(INDICATORS_COLUMNS)),
        POLICIES: policies if policies is not None else pd.DataFrame(columns=list(POLICIES_COLUMNS)),
        KEYWORDS: keywords if keywords is not None else pd.DataFrame(columns=list(KEYWORDS_COLUMNS)),
    }
    for sheet, frame in frames.items():
        ws = workbook.create_sheet(sheet_title(sheet, language))
        _write_frame(ws, frame, sheet, language)
        if sheet == PANEL and guide:
            _explain_panel(ws, frame, language)
        if guide and sheet != PANEL:  # the Panel's 45 columns would be unreadable on one page width
            _print_landscape(ws)
        if sheet in (CITIES, INDICATORS):
            _attribute_lists(ws, frame, sheet, language)
    if guide:
        _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET[language], 0), language)
        workbook.active = 0
    if notice:
        about = workbook.create_sheet(ABOUT_SHEET, 0)
        for r, line in enumerate(notice, start=1):
            write_value(about.cell(r, 1), line)
            about.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top")
            about.row_dimensions[r].height = 60
        about["A1"].font = _HEADER_FONT
        about.column_dimensions["A"].width = 110
        workbook.active = 0
    if title:
        workbook.properties.title = title
    if description:
        workbook.properties.description = description
    workbook.properties.creator = "xlcbec"
    return workbook


def stable_bytes(workbook: openpyxl.Workbook) -> bytes:
    """The saved workbook with fixed file dates (document properties and zip entries): same input, same bytes."""
    saved = io.BytesIO()
    workbook.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + _TEMPLATE_DATE.encode() + rb"\g<3>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, data)
    return out.getvalue()


def _unit(values: Mapping[str, Any]) -> str:
    return str(values.get("unit") or "city")


def _header(ws: Worksheet, names: list[str]) -> None:
    for c, name in enumerate(names, start=1):
        cell = ws.cell(1, c)
        write_value(cell, name)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    ws.freeze_panes = "A2"


def _settings_text(key: str, value: Any) -> Any:
    if isinstance(value, (list, tuple, bool)) or value is None:
        return format_setting(key, tuple(value) if isinstance(value, list) else value)
    return value


def _write_settings(ws: Worksheet, values: Mapping[str, Any], language: str) -> None:
    _header(ws, [column_header(SETTINGS, name, language) for name in SETTINGS_COLUMNS])
    word = _DEFAULT_WORD[language]
    for r, spec in enumerate(SETTING_SPECS, start=2):
        write_value(ws.cell(r, 1), spec.key)
        if spec.key in values:
            write_value(ws.cell(r, 2), _settings_text(spec.key, values[spec.key]))
        default = spec.default_label(language)
        separator = "：" if language == "zh" else ": "
        write_value(ws.cell(r, 3), f"{spec.description(language)} ({word}{separator}{default})" if language == "en" else f"{spec.description(language)}（{word}{separator}{default}）")
        ws.cell(r, 3).alignment = Alignment(wrap_text=False)
        if spec.choices:
            # A drop-down of the allowed values; blank stays allowed (= default).
            validation = DataValidation(type="list", formula1='"' + ",".join(spec.choices) + '"', allow_blank=True, showErrorMessage=True)
            validation.error = f"{spec.key}: {', '.join(spec.choices)}"
            ws.add_data_validation(validation)
            validation.add(f"B{r}")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 90 if language == "en" else 80


def _write_frame(ws: Worksheet, frame: pd.DataFrame, sheet: str, language: str) -> None:
    codes = [str(c) for c in frame.columns]
    names = [column_header(sheet, code, language) for code in codes]
    _header(ws, names)
    for r, record in enumerate(frame.itertuples(index=False, name=None), start=2):
        for c, value in enumerate(record, start=1):
            if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
                continue
            if isinstance(value, np.generic):
                value = value.item()
            write_value(ws.cell(r, c), value)
    sample = frame.head(200)
    for c, name in enumerate(names, start=1):
        longest = max([display_width(name), *(display_width(str(v)) for v in sample.iloc[:, c - 1] if v is not None)], default=8)
        ws.column_dimensions[column_letter(c)].width = float(min(60, max(10, longest + 2)))


def _explain_panel(ws: Worksheet, frame: pd.DataFrame, language: str) -> None:
    """Colour each Panel header by its group and attach its note (meaning, unit, analyses that use it)."""
    zh = language == "zh"
    ws.row_dimensions[1].height = 75 if zh else 45
    for c, code in enumerate((str(col) for col in frame.columns), start=1):
        cell = ws.cell(1, c)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[column_letter(c)].width = float(min(22, max(10, display_width(str(cell.value)) / 2 + 3)))
        guide = PANEL_GUIDE_BY_CODE.get(code)
        if guide is None:
            continue
        cell.fill = PatternFill("solid", fgColor=GROUP_FILLS[guide.group])
        used = ", ".join(guide.used_by)
        if zh:
            text = (f"{guide.meaning('zh')}\n单位：{guide.unit('zh')}\n用于：{used}\n{GROUP_LABELS['zh'][guide.group]}")
        else:
            text = (f"{guide.meaning('en')}\nUnit: {guide.unit('en')}\nUsed by: {used}\n{GROUP_LABELS['en'][guide.group]}")
        comment = Comment(text, "xlcbec")
        comment.width = 320
        comment.height = 160
        cell.comment = comment


def _list_validation(ws: Worksheet, column: int, choices: Sequence[str], message: str) -> None:
    validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                showErrorMessage=True)
    validation.error = message
    ws.add_data_validation(validation)
    letter = column_letter(column)
    validation.add(f"{letter}2:{letter}{_VALIDATED_ROWS}")


def _attribute_lists(ws: Worksheet, frame: pd.DataFrame, sheet: str, language: str) -> None:
    """Drop-down lists for the Cities flags and groups and the Indicators direction and include columns."""
    from xlcbec.core.did.city_groups import CITY_CLUSTERS, CLUSTER_NAMES_ZH, REGION_NAMES_ZH, REGIONS

    zh = language == "zh"
    lists: dict[str, tuple[Sequence[str], str]] = {}
    if sheet == CITIES:
        regions = [REGION_NAMES_ZH[r] for r in REGIONS] if zh else list(REGIONS)
        clusters = [CLUSTER_NAMES_ZH[c] for c in CITY_CLUSTERS] if zh else list(CITY_CLUSTERS)
        lists = {
            "coastal": (("0", "1"), "1 = 沿海城市，0 = 内陆城市" if zh else "1 = coastal city, 0 = inland"),
            "municipality": (("0", "1"), "1 = 直辖市，0 = 其他" if zh else "1 = municipality, 0 = other"),
            "region": (regions, "、".join(regions) if zh else ", ".join(regions)),
            "cluster": (clusters, "留空 = 不属于三大城市群" if zh else "blank = in none of the three clusters"),
        }
    elif sheet == INDICATORS:
        lists = {
            "direction": (("+", "-"), "+ 正向（越大越好），- 负向（越小越好）" if zh else "+ higher is better, - lower is better"),
            "include": ((prefill.YES[language], prefill.NO[language]), "是 / 否" if zh else "yes / no"),
        }
    for c, code in enumerate((str(col) for col in frame.columns), start=1):
        if code in lists:
            choices, message = lists[code]
            _list_validation(ws, c, choices, message)
        if sheet == CITIES and code == "pilot_year":
            validation = DataValidation(type="whole", operator="between", formula1="1900", formula2="2100",
                                        allow_blank=True, showErrorMessage=True)
            validation.error = "综试区设立年份，例如 2016；留空 = 未设立" if zh else "pilot year, e.g. 2016; blank = never a pilot"
            ws.add_data_validation(validation)
            letter = column_letter(c)
            validation.add(f"{letter}2:{letter}{_VALIDATED_ROWS}")


def _write_instructions(ws: Worksheet, language: str) -> None:
    """The instructions sheet: headings, numbered steps, the colour legend and the analysis table."""
    heading_font = Font(bold=True, size=12)
    row = 1
    for number, block in enumerate(instruction_blocks(language)):
        cell = ws.cell(row, 1)
        write_value(cell, block.heading)
        cell.font = Font(bold=True, size=16) if number == 0 else heading_font
        row += 1
        legend = block.lines == tuple(GROUP_LABELS[language][g] for g in GROUP_FILLS)
        for line, group in zip(block.lines, GROUP_FILLS if legend else [None] * len(block.lines)):
            cell = ws.cell(row, 1)
            write_value(cell, line)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if group is not None:
                cell.fill = PatternFill("solid", fgColor=GROUP_FILLS[group])
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
            ws.row_dimensions[row].height = max(15.0, 15.0 * math.ceil(display_width(line) / 150))
            row += 1
        for t, values in enumerate(block.table):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row, c)
                write_value(cell, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if t == 0:
                    cell.font = _HEADER_FONT
                    cell.fill = _HEADER_FILL
            ws.row_dimensions[row].height = max(15.0, 15.0 * math.ceil(display_width(values[1]) / 60))
            row += 1
        row += 1
    for letter, width in zip("ABCDE", (34, 60, 34, 40, 16)):
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[1].height = 24
    _print_landscape(ws)


def _print_landscape(ws: Worksheet) -> None:
    """Printed (and rendered to PDF) one page wide, landscape, so no column is cut off."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
