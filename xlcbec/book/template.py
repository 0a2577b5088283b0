"""Writing an input workbook: the blank template (`xlcbec template`) or one filled with data (the demo).

Sheet names and headers are the contract's in every language; ``language``
chooses the Settings descriptions (and the Settings language default written
for the user).  Settings lists every key with a blank Value (blank = default,
the default is stated in the Description), or the values given.  Header rows
are frozen and columns sized; choice settings get a drop-down list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlcbec.book.atomic import atomic_write
from xlcbec.book.cell_refs import column_letter
from xlcbec.book.contract import (
    CITIES,
    CITIES_ATTRIBUTES,
    INDICATORS,
    INDICATORS_COLUMNS,
    KEYWORDS,
    KEYWORDS_COLUMNS,
    PANEL,
    POLICIES,
    POLICIES_COLUMNS,
    SETTINGS,
    SETTINGS_COLUMNS,
)
from xlcbec.book.openpyxl_backend import write_value
from xlcbec.book.settings import (
    DEFAULT_CONTROLS,
    SETTING_SPECS,
    SPEC_BY_KEY,
    Settings,
    format_setting,
)
from xlcbec.errors import InputError
from xlcbec.report.tables import display_width

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_DEFAULT_WORD = {"en": "Default", "zh": "默认"}


def template_panel(*, unit: str = Settings.unit, time: str = Settings.time) -> pd.DataFrame:
    """The empty Panel of the blank template: unit, time and the default controls."""
    return pd.DataFrame(columns=[unit, time, *DEFAULT_CONTROLS])


def template_cities(*, unit: str = Settings.unit) -> pd.DataFrame:
    return pd.DataFrame(columns=[unit, *CITIES_ATTRIBUTES])


ABOUT_SHEET = "About"


def write_template(path: str | Path, *, language: Literal["en", "zh"] = "en", overwrite: bool = False) -> Path:
    """The blank input workbook: every sheet with its headers, Settings with every key.

    The Chinese template fills in ``language = zh`` so its tables come out in
    Chinese; every other value is blank (= default).  An existing ``path`` is
    refused unless ``overwrite``.
    """
    settings = {"language": "zh"} if language == "zh" else None
    return write_input_workbook(path, panel=template_panel(), cities=template_cities(), settings=settings, language=language,
                                overwrite=overwrite)


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
    """Write an input workbook (contract v1) atomically at ``path``.

    ``notice`` lines go on a first sheet ``About`` (the demo says there, in
    plain words, that its data are synthetic); xlcbec never reads that sheet.

    ``settings`` maps keys to the values to show (others stay blank = default);
    frames are written as they are, one row per record (their index is not
    written).  ``title``/``description`` go to the file properties (the demo
    uses them to say its data are synthetic).
    """
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', not {language!r}")
    values = dict(settings or {})
    unknown = [k for k in values if k not in SPEC_BY_KEY]
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)}", sheet=SETTINGS, fix="use the keys listed on the Settings sheet")

    workbook = openpyxl.Workbook()
    settings_sheet = workbook.active
    settings_sheet.title = SETTINGS
    _write_settings(settings_sheet, values, language)
    _write_frame(workbook.create_sheet(PANEL), panel)
    _write_frame(workbook.create_sheet(CITIES), cities if cities is not None else pd.DataFrame(columns=[_unit(values), *CITIES_ATTRIBUTES]))
    _write_frame(workbook.create_sheet(INDICATORS), indicators if indicators is not None else pd.DataFrame(columns=list(INDICATORS_COLUMNS)))
    _write_frame(workbook.create_sheet(POLICIES), policies if policies is not None else pd.DataFrame(columns=list(POLICIES_COLUMNS)))
    _write_frame(workbook.create_sheet(KEYWORDS), keywords if keywords is not None else pd.DataFrame(columns=list(KEYWORDS_COLUMNS)))
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
    return atomic_write(path, workbook.save, overwrite=overwrite)


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
    _header(ws, list(SETTINGS_COLUMNS))
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


def _write_frame(ws: Worksheet, frame: pd.DataFrame) -> None:
    names = [str(c) for c in frame.columns]
    _header(ws, names)
    for r, record in enumerate(frame.itertuples(index=False, name=None), start=2):
        for c, value in enumerate(record, start=1):
            if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
                continue
            if isinstance(value, np.generic):
                value = value.item()
            write_value(ws.cell(r, c), value)
    sample = frame.head(200)
    for c, name in enumerate(names, start=1):
        longest = max([display_width(name), *(display_width(str(v)) for v in sample.iloc[:, c - 1] if v is not None)], default=8)
        ws.column_dimensions[column_letter(c)].width = float(min(60, max(10, longest + 2)))
