"""Chinese names of the built-in sheets and columns, and reading any spelling back to the code.

Every built-in sheet and column has a code (``Panel``, ``city``), a Chinese
name (``面板数据``, ``城市``) and the bilingual form the Chinese template writes
(``面板数据 Panel``, ``城市 city``).  The reader accepts all three (the Chinese
and bilingual forms whatever the spaces: full-width, non-breaking or none;
Latin letters in any case); user-defined columns are taken as typed.  This
module is the one table of those names: the template writes from it, the
reader maps back with it, and :class:`BookSpelling` puts a problem found on
``Panel``/``city`` back on the sheet and header the user sees.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from xlcbec.book.cells import COLUMN_LETTERS, ColumnLetters
from xlcbec.book.contract import (
    CITIES,
    CITY_NAME,
    INDICATORS,
    KEYWORDS,
    PANEL,
    POLICIES,
    SETTINGS,
)
from xlcbec.core.index.system import indicator_system
from xlcbec.errors import InputError, InputErrors
from xlcbec.report.labels import LABELS

SHEET_NAMES_ZH: Mapping[str, str] = MappingProxyType({
    SETTINGS: "设置",
    PANEL: "面板数据",
    CITIES: "城市信息",
    INDICATORS: "指标体系",
    POLICIES: "政策文本",
    KEYWORDS: "关键词",
})

# Columns of the fixed-column sheets.
_SHEET_COLUMNS_ZH: dict[str, dict[str, str]] = {
    SETTINGS: {"Key": "设置项", "Value": "取值", "Description": "说明"},
    INDICATORS: {"index": "指数", "column": "面板列", "dimension": "维度", "direction": "方向", "include": "纳入",
                 "name": "指标名称", "unit": "单位"},
    POLICIES: {"year": "年份", "title": "标题", "issuer": "发文机关", "text": "正文"},
    KEYWORDS: {"theme": "主题", "keyword": "关键词"},
}

# Panel and Cities share one set of column names (Cities is merged into Panel).
# Variables the result tables already label take the same Chinese name (report/labels.py).
_LABELLED = ("city", "year", "pilot_year", "CBEC", "HQD", "diginf", "spec", "spec_low", "spec_high", "envir",
             "lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons")
_DATA_COLUMNS_ZH: dict[str, str] = {
    **{code: LABELS[code][1] for code in _LABELLED},
    CITY_NAME: "城市名称",
    "province": "省份",
    "region": "地区",
    "coastal": "沿海城市",
    "cluster": "城市群",
    "municipality": "直辖市",
    "population": "年末总人口",
    "gdp_tertiary": "第三产业增加值",
    "gdp_secondary": "第二产业增加值",
    "emp_total": "城镇单位就业人员",
    "emp_transport": "交通运输、仓储和邮政业就业人员",
    "emp_wholesale": "批发和零售业就业人员",
    "emp_leasing": "租赁和商务服务业就业人员",
    "emp_it": "信息传输、软件和信息技术服务业就业人员",
    "emp_finance": "金融业就业人员",
    "emp_research": "科学研究和技术服务业就业人员",
    **{indicator.column: indicator.name_zh for indicator in indicator_system()},
}

COLUMN_NAMES_ZH: Mapping[str, Mapping[str, str]] = MappingProxyType({
    **{sheet: MappingProxyType(names) for sheet, names in _SHEET_COLUMNS_ZH.items()},
    PANEL: MappingProxyType(_DATA_COLUMNS_ZH),
    CITIES: MappingProxyType(_DATA_COLUMNS_ZH),
})


def chinese_name(sheet: str, code: str) -> str | None:
    """The Chinese name of built-in column ``code`` of ``sheet`` (``sheet`` may be a sheet code), or None."""
    return COLUMN_NAMES_ZH.get(sheet, {}).get(code)


def bilingual(chinese: str, code: str) -> str:
    """The form the Chinese template writes: ``城市 city``."""
    return f"{chinese} {code}"


def sheet_title(sheet: str, language: str) -> str:
    """The name the template gives input sheet ``sheet``: the code, or its bilingual form in Chinese."""
    return bilingual(SHEET_NAMES_ZH[sheet], sheet) if language == "zh" else sheet


def column_header(sheet: str, code: str, language: str) -> str:
    """The header the template writes for ``code``: the code, or its bilingual form in Chinese."""
    chinese = chinese_name(sheet, code)
    return bilingual(chinese, code) if language == "zh" and chinese else code


def column_title(sheet: str, code: str, language: str) -> str:
    """How a column is named in running text: ``城市（city）`` in Chinese, ``city`` in English."""
    chinese = chinese_name(sheet, code)
    return f"{chinese}（{code}）" if language == "zh" and chinese else code


_SPACES = re.compile(r"\s+")


def normalised(text: object) -> str:
    """A name as compared: NFKC (full-width letters and spaces folded), no whitespace, lower case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


def _spellings(chinese: str, code: str) -> tuple[str, ...]:
    return (normalised(chinese), normalised(bilingual(chinese, code)), normalised(f"{code} {chinese}"))


def _alias_table(names: Mapping[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, chinese in names.items():
        for spelling in _spellings(chinese, code):
            table.setdefault(spelling, code)
    return table


_SHEET_ALIASES = _alias_table(SHEET_NAMES_ZH)
_COLUMN_ALIASES = {sheet: _alias_table(names) for sheet, names in COLUMN_NAMES_ZH.items()}


def sheet_code(name: str) -> str | None:
    """The input sheet ``name`` stands for (``面板数据``/``面板数据 Panel`` -> ``Panel``), or None."""
    if name in SHEET_NAMES_ZH:
        return name
    return _SHEET_ALIASES.get(normalised(name))


def column_code(sheet: str, header: str) -> str:
    """The code a header of ``sheet`` stands for; a header that is no built-in name is returned as typed."""
    return _COLUMN_ALIASES.get(sheet, {}).get(normalised(header), header)


def find_sheet(code: str, names: Sequence[str]) -> str | None:
    """The workbook's sheet for input sheet ``code``: named by its code, Chinese name or bilingual form.

    Two sheets that both stand for ``code`` are an error naming both.
    """
    found = [n for n in names if n == code or (n not in SHEET_NAMES_ZH and _SHEET_ALIASES.get(normalised(n)) == code)]
    if len(found) > 1:
        raise InputError(
            f"the sheets {', '.join(repr(n) for n in found)} both stand for the {code} sheet",
            sheet=found[0], fix="keep one of them (rename or delete the other)",
        )
    return found[0] if found else None


def canonical_columns(frame: pd.DataFrame, sheet: str, actual_sheet: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` with built-in headers renamed to their codes, and code -> header as typed for each renamed one.

    Two headers that stand for the same column (``城市`` and ``city``) are an
    error naming both cells.
    """
    aliases = _COLUMN_ALIASES.get(sheet)
    if not aliases:
        return frame, {}
    codes = [str(c) if str(c) in COLUMN_NAMES_ZH[sheet] else column_code(sheet, str(c)) for c in frame.columns]
    letters = frame.attrs.get(COLUMN_LETTERS, {})
    seen: dict[str, str] = {}
    for header, code in zip(frame.columns, codes):
        if code in seen:
            first = seen[code]
            raise InputError(
                f"the headers '{first}' (column {letters.get(first, '?')}) and '{header}' (column "
                f"{letters.get(header, '?')}) both stand for the column '{code}'",
                sheet=actual_sheet, row=1, column=str(header), fix="keep one of the two columns",
            )
        seen[code] = str(header)
    renamed = {header: code for header, code in zip(frame.columns, codes) if str(header) != code}
    if not renamed:
        return frame, {}
    out = frame.rename(columns=renamed)
    out.attrs = dict(frame.attrs)
    out.attrs[COLUMN_LETTERS] = ColumnLetters({renamed.get(h, h): letter for h, letter in letters.items()})
    return out, {code: str(header) for header, code in renamed.items()}


def canonical_values(values: Iterable[object], sheet: str = PANEL) -> list[object]:
    """Column names typed as values (Indicators ``column``) mapped to their codes; others unchanged."""
    return [column_code(sheet, v) if isinstance(v, str) else v for v in values]


@dataclass(frozen=True)
class BookSpelling:
    """How one workbook spells the built-in sheets and headers; problems are shown in that spelling.

    ``sheets`` maps a sheet code to the workbook's sheet name; ``columns``
    maps (sheet code, column code) to the header as typed.  Only names that
    differ from the codes are kept, so an English workbook's spelling is empty.
    """

    sheets: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def place(self, error: BaseException) -> BaseException:
        """``error`` (an InputError or InputErrors) with its sheet and column as the user typed them."""
        if not (self.sheets or self.columns):
            return error
        if isinstance(error, InputErrors):
            return InputErrors([self._one(e) for e in error.errors])
        if isinstance(error, InputError):
            return self._one(error)
        return error

    def _one(self, error: InputError) -> InputError:
        code = error.sheet
        if code is None:
            return error
        sheet = self.sheets.get(code, code)
        column = self.columns.get((code, error.column), error.column) if error.column else error.column
        if sheet == error.sheet and column == error.column:
            return error
        placed = copy.copy(error)
        placed.sheet = sheet
        placed.column = column
        placed.args = (placed.message,)
        return placed


__all__ = [
    "COLUMN_NAMES_ZH",
    "SHEET_NAMES_ZH",
    "BookSpelling",
    "bilingual",
    "canonical_columns",
    "canonical_values",
    "chinese_name",
    "column_code",
    "column_header",
    "column_title",
    "find_sheet",
    "normalised",
    "sheet_code",
    "sheet_title",
]
