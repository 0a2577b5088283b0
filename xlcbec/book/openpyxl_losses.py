"""What an openpyxl re-save of a workbook would lose, for the ``--in-place`` refusal."""


from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from xlcbec.book.contract import RESULT_SHEETS
from xlcbec.book.package import DAMAGED, open_package, open_zip, read_member, relationships, rels_member
from xlcbec.book.sheet_scan import CHUNK
from xlcbec.errors import InputError

_MEMBER_FEATURES: tuple[tuple[str, str], ...] = (
    ("xl/vbaProject.bin", "VBA macros"),
    ("customUI/", "a custom ribbon (customUI)"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/pivotCache/", "pivot caches"),
    ("xl/externalLinks/", "links to other workbooks"),
    ("xl/embeddings/", "embedded objects (OLE)"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicer caches"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timeline caches"),
    ("xl/model/", "a Power Pivot data model"),
    ("xl/richData/", "pictures placed in cells"),
    ("xl/threadedComments/", "threaded comments"),
    ("xl/persons/", "comment authors (threaded comments)"),
    ("xl/webextensions/", "Office add-in parts"),
    ("xl/connections.xml", "data connections"),
    ("xl/queryTables/", "query tables"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/diagrams/", "SmartArt diagrams"),
    ("customXml/", "custom XML parts"),
)

_SHEET_EXTENSIONS: tuple[tuple[bytes, str], ...] = (
    (b"sparklineGroup", "sparklines"),
    (b"x14:conditionalFormatting", "extended conditional formatting"),
    (b"x14:dataValidation", "data validation lists from other sheets"),
)


def _pillow_available() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def parts_openpyxl_would_drop(path: str | Path, *, rebuilt_sheets: tuple[str, ...] = RESULT_SHEETS) -> list[str]:
    """What re-saving ``path`` with openpyxl would lose or damage, one description each.

    Drawings, charts and images on sheets in ``rebuilt_sheets`` are not
    counted: a refresh rebuilds those sheets anyway.  An empty list means an
    in-place refresh is safe.
    """
    package = open_package(path)
    found: list[str] = []
    with open_zip(package.path) as zf:
        members = sorted(zf.NameToInfo)
        for prefix, what in _MEMBER_FEATURES:
            hits = [m for m in members if m == prefix or (prefix.endswith("/") and m.startswith(prefix))]
            if hits:
                found.append(f"{what} ({hits[0]}{' and others' if len(hits) > 1 else ''})")
        kept_sheets = {s: p for s, p in package.sheet_parts.items() if s not in rebuilt_sheets}
        for sheet, part in kept_sheets.items():
            found.extend(_sheet_losses(zf, package.path.name, sheet, part))
    return found


def _sheet_losses(zf: zipfile.ZipFile, name: str, sheet: str, part: str) -> list[str]:
    losses: list[str] = []
    rels = relationships(zf, rels_member(part), posixpath.dirname(part), name)
    for rel_type, member in rels.values():
        if member not in zf.NameToInfo:
            continue
        if rel_type == "drawing":
            losses.extend(_drawing_losses(zf, name, sheet, member))
        elif rel_type == "vmlDrawing":
            text = read_member(zf, member, name)
            if re.search(rb"""ObjectType\s*=\s*["'](?!Note)""", text):
                losses.append(f"form controls or buttons on sheet '{sheet}' ({member})")
    tail = _sheet_tail(zf, part)
    for marker, what in _SHEET_EXTENSIONS:
        if marker in tail:
            losses.append(f"{what} on sheet '{sheet}'")
    return losses


_SHEETDATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\s*/>")


def _sheet_tail(zf: zipfile.ZipFile, part: str) -> bytes:
    """Everything after the cell data (``</sheetData>``): where extension lists live."""
    try:
        return _read_sheet_tail(zf, part)
    except DAMAGED as exc:
        raise InputError(f"'{Path(str(zf.filename)).name}' is damaged: part {part} cannot be read ({exc})",
                         fix="open and repair the file in Excel, then save it") from None


def _read_sheet_tail(zf: zipfile.ZipFile, part: str) -> bytes:
    window = b""
    with zf.open(part) as stream:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                return b""
            window = window[-64:] + chunk
            match = _SHEETDATA_END.search(window)
            if match:
                return window[match.end() :] + stream.read()


def _drawing_losses(zf: zipfile.ZipFile, name: str, sheet: str, member: str) -> list[str]:
    text = read_member(zf, member, name)
    losses = []
    if re.search(rb"<(?:[\w.-]+:)?(?:sp|grpSp|cxnSp)\b", text):
        losses.append(f"shapes or text boxes on sheet '{sheet}' ({member})")
    if re.search(rb"<(?:[\w.-]+:)?pic\b", text) and not _pillow_available():
        losses.append(f"pictures on sheet '{sheet}' ({member}; Pillow is not installed)")
    if re.search(rb"<(?:[\w.-]+:)?chart\b", text):
        losses.append(f"chart formatting on sheet '{sheet}' ({member}; openpyxl rewrites charts)")
    if re.search(rb"AlternateContent", text):
        losses.append(f"newer drawing objects on sheet '{sheet}' ({member})")
    return losses
