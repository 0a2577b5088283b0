"""Building workbook files for the book-layer tests: input workbooks and zip-level surgery.

Files are made with xlcbec's own template writer (so the tests exercise the
contract end to end) or patched at the zip level to create what Excel or other
programs can produce but openpyxl cannot write directly (error values, DTDs,
macros, ribbon parts, shapes).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from xlcbec.book.template import write_input_workbook


def small_panel() -> pd.DataFrame:
    """Three cities x three years; pilot years 2016, 2017 and never (0)."""
    rows = []
    for city, pilot in ((330100, 2016), (320100, 2017), (110000, 0)):
        for year in (2015, 2016, 2017):
            rows.append({"city": city, "year": year, "HQD": 0.1 + 0.01 * (year - 2015) + city / 1e7, "lnpop": 6.0 + city / 1e6})
    return pd.DataFrame(rows)


def small_cities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city": [330100, 320100, 110000],
            "province": ["Zhejiang", "Jiangsu", "Beijing"],
            "region": ["east", "east", "east"],
            "coastal": [1, 1, 0],
            "municipality": [0, 0, 1],
            "pilot_year": [2016, 2017, 0],
        }
    )


def input_book(path: Path, *, settings: Mapping[str, Any] | None = None, **frames: pd.DataFrame) -> Path:
    """An input workbook with the small panel unless frames are given."""
    frames.setdefault("panel", small_panel())
    return write_input_workbook(path, settings=settings, **frames)


def patch_zip(source: Path, target: Path, edits: Mapping[str, Callable[[bytes], bytes] | bytes | None]) -> Path:
    """Copy the zip at ``source`` to ``target``, editing, adding (bytes) or dropping (None) members."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        names = src.namelist()
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in edits:
                edit = edits[info.filename]
                if edit is None:
                    continue
                data = edit(data) if callable(edit) else edit
            out.writestr(info, data)
        for name, edit in edits.items():
            if name not in names and isinstance(edit, bytes):
                out.writestr(name, edit)
    return target


def sheet_part(path: Path, sheet: str) -> str:
    from xlcbec.book.package import open_package

    return open_package(path).sheet_parts[sheet]


def replace_cell(xml: bytes, ref: str, new_cell: str) -> bytes:
    """Replace the <c r="ref" ...>...</c> element (or a self-closing one) with ``new_cell``."""
    import re

    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    result, count = pattern.subn(new_cell.encode(), xml, count=1)
    if count != 1:
        raise AssertionError(f"cell {ref} not found in the sheet XML")
    return result
