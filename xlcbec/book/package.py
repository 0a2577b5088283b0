"""The .xlsx file as a zip package: safety checks before any spreadsheet library parses it.

A workbook from another office is untrusted input.  Before calamine or
openpyxl touch it, :func:`open_package`

* tells an .xlsx apart from an old .xls, a password-protected (encrypted OLE)
  file, an .xlsb, an OpenDocument file, a CSV, and a truncated or damaged zip,
  and says what to do about each;
* refuses a zip bomb from the *declared* sizes in the central directory, before
  anything is expanded (too many parts, too much in total, or an absurd
  compression ratio for a large part);
* refuses any XML part whose prolog carries a document type declaration
  (``<!DOCTYPE``/``<!ENTITY``): Excel never writes one, and entity expansion is
  how XML bombs work.  (openpyxl also parses through defusedxml when it is
  installed, which it is; this check covers calamine too.)

:func:`scan_sheet` then streams one worksheet's XML once to find what the
readers lose: calamine returns an empty string both for an Excel error value
(``#DIV/0!``) and for a formula whose result was never stored (files written by
scripts, not by Excel).  Both are found from the cell XML (``t="e"``; an
``<f>`` with no ``<v>``), as are merged ranges.  The stream is bounded by the
declared part size (zipfile checks it), so this pass is safe and costs one
decompression of the sheet, cheap next to parsing it.

:func:`parts_openpyxl_would_drop` lists what an openpyxl re-save would lose,
for the ``--in-place`` refusal.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
from defusedxml import ElementTree as SafeET

from xlcbec.book.contract import RESULT_SHEETS
from xlcbec.errors import InputError

# --- limits (module constants so tests can lower them) ---------------------

MAX_PARTS = 20_000
MAX_TOTAL_UNCOMPRESSED = 4 * 1024**3  # a 1M-row, 20-column Panel is about 1 GB of XML
LARGE_PART = 64 * 1024**2
MAX_RATIO = 200  # sheet XML compresses 5-50x; deflate bombs reach ~1000x
MAX_PROLOG = 1024**2  # bytes of XML read before the root element
CHUNK = 4 * 1024**2
# A sheet whose cell rectangle exceeds MAX_SHEET_AREA cells *and* is mostly empty
# (more than SPARSE_FACTOR times its stored cells) is refused before any reader
# builds the rectangle.  A dense 1M-row, 60-column Panel passes (area = cells).
MAX_SHEET_AREA = 5_000_000
SPARSE_FACTOR = 4
BEYOND = 2**40  # the row or column of a reference too long for any sheet

# What a damaged member raises while it is decompressed: a bad CRC or header
# (BadZipFile), a deflate stream cut or scrambled (zlib.error), a short read,
# an unknown compression method (NotImplementedError), a flipped "encrypted"
# flag (RuntimeError: zipfile asks for a password).
_DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_SAVE_AS_XLSX = "open it in Excel and save it as 'Excel Workbook (*.xlsx)'"

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Package:
    """A checked .xlsx: its path, the workbook part and where each sheet's XML lives."""

    path: Path
    workbook_part: str
    sheet_parts: dict[str, str]  # sheet name -> zip member of its worksheet XML
    sheet_names: tuple[str, ...]


@dataclass(frozen=True)
class SheetScan:
    """What one worksheet's XML says that the value readers do not.

    Cells are (row, column) with 1-based numbers as in Excel.
    """

    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # Excel error values, e.g. '#DIV/0!'
    uncached: tuple[tuple[int, int], ...] = ()  # formulas with no stored result
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (first row, first col, last row, last col)
    unlocated: int = 0  # error/uncached cells without an r="A1" reference (rare writers)
    extent: "SheetExtent | None" = None  # how far the cells reach (None: not measured)


@dataclass(frozen=True)
class SheetExtent:
    """How far a sheet's cells reach, from their references, and how many there are.

    The value readers build the rectangle A1:(last row, last column) in memory;
    one stray cell at XFD1048576 makes that 17 billion cells, which no reader
    survives (calamine aborts the process).  So the rectangle is measured first.
    """

    cells: int = 0
    last_row: tuple[int, int] = (0, 0)  # (row, col) of the cell with the largest row
    last_col: tuple[int, int] = (0, 0)  # (row, col) of the cell with the largest column
    rows_without_refs: int = 0  # the largest <row r="..."> when some cells lack references

    @property
    def rows(self) -> int:
        return max(self.last_row[0], self.rows_without_refs)

    @property
    def columns(self) -> int:
        return self.last_col[1]

    @property
    def area(self) -> int:
        return self.rows * self.columns

    def merged_with(self, other: "SheetExtent") -> "SheetExtent":
        return SheetExtent(
            cells=self.cells + other.cells,
            last_row=max(self.last_row, other.last_row),
            last_col=max(self.last_col, other.last_col, key=lambda rc: (rc[1], rc[0])),
            rows_without_refs=max(self.rows_without_refs, other.rows_without_refs),
        )


# --- cell references --------------------------------------------------------

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def column_letter(col: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def cell_name(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def parse_ref(ref: str) -> tuple[int, int]:
    match = _REF.match(ref.strip())
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


# --- opening ---------------------------------------------------------------


def sniff_format(path: Path) -> str:
    """'xlsx' or raise an InputError saying what the file is and what to do."""
    if not path.exists():
        raise InputError(f"the file '{path}' does not exist", fix="check the file name and folder")
    if path.is_dir():
        raise InputError(f"'{path}' is a folder, not a workbook", fix="give the path of an .xlsx file")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        _raise_for_ole(path)
    if not head.startswith(ZIP_MAGICS):
        if not head:
            raise InputError(f"'{path.name}' is empty (0 bytes)", fix="the file was not saved completely; save the workbook again")
        raise InputError(
            f"'{path.name}' is not an Excel workbook (.xlsx); it looks like text or another format",
            fix=f"if it is a CSV or another spreadsheet, {_SAVE_AS_XLSX}",
        )
    return "xlsx"


def _raise_for_ole(path: Path) -> None:
    """An OLE compound file: an encrypted .xlsx or an old .xls (or something else)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size <= 64 * 1024**2:
            data = handle.read()
        else:  # the directory sectors sit near the start or the end
            data = handle.read(4 * 1024**2)
            handle.seek(max(0, size - 4 * 1024**2))
            data += handle.read()
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        raise InputError(
            f"'{path.name}' is protected with a password (encrypted), so it cannot be read",
            fix="open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password), and save",
        )
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        raise InputError(f"'{path.name}' is an old Excel 97-2003 workbook (.xls), which is not supported", fix=_SAVE_AS_XLSX)
    raise InputError(f"'{path.name}' is an Office file but not an Excel workbook", fix="give the path of an .xlsx workbook")


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.LargeZipFile, *_DAMAGED) as exc:
        raise InputError(
            f"'{path.name}' is damaged or incomplete (not a readable .xlsx zip: {exc})",
            fix="the file may have been truncated while copying or downloading; copy it again, or open and repair it in Excel and save",
        ) from None


def check_zip_limits(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse a zip bomb from declared sizes alone, before expanding anything."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise InputError(
            f"'{name}' holds {len(infos)} parts, more than a workbook ever needs ({MAX_PARTS}); refused as unsafe",
            fix="check where the file came from; re-save it in Excel if it is genuine",
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise InputError(
            f"'{name}' would expand to {total / 1024**3:.1f} GB, more than the {MAX_TOTAL_UNCOMPRESSED / 1024**3:.0f} GB limit; refused as unsafe",
            fix="check where the file came from; split very large data into smaller workbooks",
        )
    for info in infos:
        if info.file_size > LARGE_PART and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"'{name}': part {info.filename} expands {info.file_size // max(info.compress_size, 1)}-fold "
                f"({info.file_size / 1024**2:.0f} MB); refused as a possible zip bomb",
                fix="check where the file came from; re-save it in Excel if it is genuine",
            )


def _is_xml_member(member: str) -> bool:
    lower = member.lower()
    return lower.endswith((".xml", ".rels", ".vml"))


def check_prolog(data_source: Iterator[bytes], member: str, name: str) -> None:
    """Refuse a DTD or entity declaration before the root element of an XML part."""
    buffer = b""
    for chunk in data_source:
        buffer += chunk
        verdict = _prolog_verdict(buffer)
        if verdict == "ok":
            return
        if verdict == "dtd":
            raise InputError(
                f"'{name}': part {member} declares a document type or entities, which Excel never writes; "
                "refused as a possible XML bomb",
                fix="check where the file came from; re-save it in Excel if it is genuine",
            )
        if len(buffer) > MAX_PROLOG:
            raise InputError(f"'{name}': part {member} has an oversized XML header; refused as unsafe", fix="re-save the workbook in Excel")


def _prolog_verdict(data: bytes) -> str:
    """'ok' (root reached), 'dtd' (declaration found) or 'more' (need more bytes)."""
    text: str
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data[: len(data) - len(data) % 2].decode("utf-16", errors="ignore")
    else:
        text = data.decode("utf-8", errors="ignore").lstrip("\ufeff")
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return "more"
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
        elif text.startswith("<!", pos):
            return "dtd" if len(text) - pos >= 2 else "more"
        elif text.startswith("<", pos):
            return "ok" if len(text) > pos + 1 else "more"
        else:
            return "ok"  # not XML at all; the parser will say so
        if end < 0:
            return "more"
        pos = end + 2


def _member_chunks(zf: zipfile.ZipFile, member: str, size: int = 64 * 1024) -> Iterator[bytes]:
    with zf.open(member) as stream:
        while True:
            chunk = stream.read(size)
            if not chunk:
                return
            yield chunk


def _read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return zf.read(member)
    except _DAMAGED as exc:
        raise InputError(f"'{name}' is damaged: part {member} cannot be read ({exc})", fix="open and repair the file in Excel, then save it") from None


def _parse_xml(zf: zipfile.ZipFile, member: str, name: str) -> Element:
    try:
        return SafeET.fromstring(_read_member(zf, member, name))
    except SafeET.ParseError as exc:
        raise InputError(f"'{name}' is damaged: part {member} is not well-formed XML ({exc})", fix="open and repair the file in Excel, then save it") from None
    except ValueError as exc:  # defusedxml's DTDForbidden / EntitiesForbidden
        raise InputError(f"'{name}': part {member} was refused by the safe XML parser ({exc})", fix="check where the file came from") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationships(zf: zipfile.ZipFile, rels_member: str, base_dir: str, name: str) -> dict[str, tuple[str, str]]:
    """Relationship Id -> (type suffix, zip member it targets)."""
    if rels_member not in zf.NameToInfo:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in _parse_xml(zf, rels_member, name):
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))
        out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], member)
    return out


def _rels_member(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def open_package(path: str | Path) -> Package:
    """Check ``path`` is a safe, readable .xlsx and map its sheets to their XML parts."""
    path = Path(path)
    sniff_format(path)
    name = path.name
    with _open_zip(path) as zf:
        check_zip_limits(zf, name)
        members = set(zf.NameToInfo)
        if "mimetype" in members and "content.xml" in members:
            raise InputError(f"'{name}' is an OpenDocument spreadsheet (.ods), not an .xlsx", fix=_SAVE_AS_XLSX)
        if "xl/workbook.bin" in members:
            raise InputError(f"'{name}' is an Excel binary workbook (.xlsb), which is not supported", fix=_SAVE_AS_XLSX)
        for member in sorted(members):
            if _is_xml_member(member):
                try:
                    check_prolog(_member_chunks(zf, member), member, name)
                except InputError:
                    raise
                except _DAMAGED as exc:
                    raise InputError(
                        f"'{name}' is damaged: part {member} cannot be read ({exc})",
                        fix="the file may be truncated; copy it again, or open and repair it in Excel and save",
                    ) from None
        workbook_part = _find_workbook_part(zf, name)
        sheet_parts, names = _sheet_parts(zf, workbook_part, name)
    return Package(path=path, workbook_part=workbook_part, sheet_parts=sheet_parts, sheet_names=names)


def _find_workbook_part(zf: zipfile.ZipFile, name: str) -> str:
    for _, (rel_type, member) in _relationships(zf, "_rels/.rels", "", name).items():
        if rel_type == "officeDocument" and member in zf.NameToInfo:
            return member
    if "xl/workbook.xml" in zf.NameToInfo:
        return "xl/workbook.xml"
    if "word/document.xml" in zf.NameToInfo or "ppt/presentation.xml" in zf.NameToInfo:
        raise InputError(f"'{name}' is a Word or PowerPoint file, not an Excel workbook", fix="give the path of an .xlsx workbook")
    raise InputError(f"'{name}' is a zip file but not an Excel workbook (no workbook part)", fix="give the path of an .xlsx workbook")


def _sheet_parts(zf: zipfile.ZipFile, workbook_part: str, name: str) -> tuple[dict[str, str], tuple[str, ...]]:
    rels = _relationships(zf, _rels_member(workbook_part), posixpath.dirname(workbook_part), name)
    root = _parse_xml(zf, workbook_part, name)
    parts: dict[str, str] = {}
    names: list[str] = []
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        sheet_name = element.get("name", "")
        rid = element.get(f"{{{_REL_NS}}}id") or next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        names.append(sheet_name)
        if rid in rels:
            parts[sheet_name] = rels[rid][1]
    return parts, tuple(names)


# --- one sheet's XML --------------------------------------------------------

_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)", re.S)
_ATTR_R = re.compile(rb"""\br\s*=\s*["']([^"']+)["']""")
_ATTR_T = re.compile(rb"""\bt\s*=\s*["']([^"']+)["']""")
_HAS_F = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\s*>(.*?)</(?:[\w.-]+:)?v\s*>", re.S)
_INTERESTING = re.compile(rb"""<(?:[\w.-]+:)?f[\s>/]|\bt\s*=\s*["']e["']""")
_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']+)["']""")
_END_ROW = re.compile(rb"^/(?:[\w.-]+:)?$")


# Hints searched first: 'f' and 'e' are rare in cell XML, '<' and '"' are everywhere, so these
# single-letter patterns run about ten times faster than the substring tests they guard.
_FORMULA_HINT = re.compile(rb"f[\s>/]")
_ERROR_HINT = re.compile(rb"e[\"']")


def _maybe_interesting(body: bytes) -> bool:
    """Cheap tests before the regex: most sheets hold no formulas or errors."""
    formula = _FORMULA_HINT.search(body) is not None and (
        b"<f" in body or b":f>" in body or b":f " in body or b":f/" in body)
    return formula or (_ERROR_HINT.search(body) is not None and (b"\"e\"" in body or b"'e'" in body))


def _split_after_last_row(buffer: bytes) -> int:
    """Index just past the last ``</row>`` end tag (0 if none): no cell straddles it."""
    idx = buffer.rfind(b"row>")
    while idx >= 0:
        lt = buffer.rfind(b"<", 0, idx)
        if lt >= 0 and _END_ROW.match(buffer[lt + 1 : idx]):
            return idx + 4
        idx = buffer.rfind(b"row>", 0, idx)
    return 0


def scan_sheet(path: str | Path, part: str) -> SheetScan:
    """Stream one worksheet part; collect error cells, uncached formulas and merged ranges."""
    path = Path(path)
    errors: dict[tuple[int, int], str] = {}
    uncached: list[tuple[int, int]] = []
    merged: list[tuple[int, int, int, int]] = []
    unlocated = 0
    extent = SheetExtent()
    with _open_zip(path) as zf:
        try:
            stream = zf.open(part)
        except KeyError:
            raise InputError(f"'{path.name}' is damaged: the sheet part {part} is missing", fix="open and repair the file in Excel, then save it") from None
        except _DAMAGED as exc:
            raise InputError(
                f"'{path.name}' is damaged: part {part} cannot be read ({exc})",
                fix="the file may be truncated; copy it again, or open and repair it in Excel and save",
            ) from None
        with stream:
            carry = b""
            while True:
                try:
                    chunk = stream.read(CHUNK)
                except _DAMAGED as exc:
                    raise InputError(
                        f"'{path.name}' is damaged: part {part} cannot be read ({exc})",
                        fix="the file may be truncated; copy it again, or open and repair it in Excel and save",
                    ) from None
                buffer = carry + chunk
                cut = len(buffer) if not chunk else _split_after_last_row(buffer)
                body, carry = buffer[:cut], buffer[cut:]
                if body:
                    extent = extent.merged_with(_extent(body))
                if body and _maybe_interesting(body) and _INTERESTING.search(body):
                    unlocated += _scan_cells(body, errors, uncached)
                if b"mergeCell" in body:
                    for ref in _MERGE.findall(body):
                        merged.append(_merge_range(ref.decode("ascii", "replace")))
                if not chunk:
                    break
    return SheetScan(errors=errors, uncached=tuple(uncached), merged=tuple(m for m in merged if m[0] > 0),
                     unlocated=unlocated, extent=extent)


def too_sparse(extent: SheetExtent) -> bool:
    """True when reading the sheet would build a huge, mostly empty rectangle."""
    return extent.area > MAX_SHEET_AREA and extent.area > SPARSE_FACTOR * max(extent.cells, 1)


# Byte classes for measuring references without a regex pass over every cell.
_REF_WIDTH = 8  # Excel's longest column is 3 letters and row 7 digits: a run of 8 is beyond any limit
_LETTER = np.zeros(256, dtype=bool)
_LETTER[ord("A") : ord("Z") + 1] = True
_LETTER[ord("a") : ord("z") + 1] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[ord(" "), ord("\t"), ord("\n"), ord("\r")]] = True
# 'r="' and "r='" in the upper three bytes of a little-endian 32-bit word (the low byte precedes them).
_REF_WORDS = tuple(int.from_bytes(b"\0r=" + quote, "little") for quote in (b'"', b"'"))


def _reference_starts(body: bytes) -> np.ndarray:
    """Positions just after every ``r="`` (or ``r='``) that follows white space."""
    a = np.frombuffer(body, dtype=np.uint8)
    found = []
    for offset in range(4):  # the four alignments of a 4-byte pattern
        count = (len(body) - offset) // 4
        if count <= 0:
            continue
        words = np.frombuffer(body, dtype="<u4", count=count, offset=offset) & np.uint32(0xFFFFFF00)
        hit = (words == _REF_WORDS[0]) | (words == _REF_WORDS[1])
        at = np.flatnonzero(hit) * 4 + offset  # the byte before 'r'
        found.append(at[_SPACE[a[at]]] + 4)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _extent(body: bytes) -> SheetExtent:
    """The extent of the cells in ``body`` (whole rows of sheet XML), from every ``r="A1"`` attribute.

    Only the largest row and column are needed, so no reference is converted
    to numbers but the winners: among the longest letter runs the greatest in
    text order is the largest column (likewise for the digits of the rows).
    """
    start = _reference_starts(body)
    if not start.size:
        return SheetExtent()
    a = np.frombuffer(body, dtype=np.uint8)
    width = np.arange(_REF_WIDTH + 1)
    padded = np.concatenate([a, np.zeros(2 * _REF_WIDTH + 2, dtype=np.uint8)])
    window = padded[start[:, None] + width]
    is_letter = _LETTER[window]
    is_letter[:, -1] = False  # every run ends inside the window
    letters = np.argmin(is_letter, axis=1)
    after = padded[(start + letters)[:, None] + width]
    is_digit = _DIGIT[after]
    is_digit[:, -1] = False
    digits = np.argmin(is_digit, axis=1)
    # A run of letters filling the window is a reference beyond any sheet, digits or not.
    is_cell = (letters > 0) & ((digits > 0) | (letters >= _REF_WIDTH))
    cells = int(np.count_nonzero(is_cell))
    extent = SheetExtent(cells=cells)
    if cells:
        j = _greatest(np.flatnonzero(is_cell), letters, window & 0xDF)
        i = _greatest(np.flatnonzero(is_cell), digits, after)
        extent = SheetExtent(cells=cells, last_row=_ref_at(window, after, letters, digits, i),
                             last_col=_ref_at(window, after, letters, digits, j))
    rows = np.flatnonzero((letters == 0) & (digits > 0))  # <row r="12">
    if rows.size:
        last_row = _ref_at(window, after, letters, digits, _greatest(rows, digits, after))[0]
        # A row beyond the last referenced cell is harmless when empty (a formatted row), but readers
        # place cells *without* a reference by their row's r: then those rows count too.
        # (b"<c" also counts <col>, <cfRule>, ...: an overcount only makes the check stricter.)
        if last_row > extent.last_row[0] and body.count(b"<c") + body.count(b":c ") > cells:
            extent = SheetExtent(cells, extent.last_row, extent.last_col, last_row)
    return extent


def _greatest(candidates: np.ndarray, lengths: np.ndarray, chars: np.ndarray) -> int:
    """The candidate whose run (``lengths`` characters of ``chars``) is the largest number."""
    longest = int(lengths[candidates].max())
    top = candidates[lengths[candidates] == longest]
    if longest == 0 or longest >= _REF_WIDTH or top.size == 1:
        return int(top[0])
    keys = np.ascontiguousarray(chars[top, :longest]).view(f"S{longest}").ravel()
    return int(top[int(np.argmax(keys))])


def _ref_at(window: np.ndarray, after: np.ndarray, letters: np.ndarray, digits: np.ndarray, k: int) -> tuple[int, int]:
    """(row, column) of reference ``k``; a run filling the window is beyond any sheet limit."""
    n_letters, n_digits = int(letters[k]), int(digits[k])
    col = BEYOND if n_letters >= _REF_WIDTH else column_number(bytes(window[k, :n_letters]).decode("ascii"))
    row = BEYOND if n_digits >= _REF_WIDTH else int(bytes(after[k, :n_digits]) or b"0")
    return row, col


def _merge_range(ref: str) -> tuple[int, int, int, int]:
    try:
        first, _, last = ref.partition(":")
        r1, c1 = parse_ref(first)
        r2, c2 = parse_ref(last or first)
    except ValueError:
        return (0, 0, 0, 0)
    return (r1, c1, r2, c2)


def _scan_cells(body: bytes, errors: dict[tuple[int, int], str], uncached: list[tuple[int, int]]) -> int:
    unlocated = 0
    for match in _CELL.finditer(body):
        attrs, content = match.group(1), match.group(2) or b""
        type_match = _ATTR_T.search(attrs)
        cell_type = type_match.group(1) if type_match else b"n"
        is_error = cell_type == b"e"
        has_formula = bool(_HAS_F.search(content))
        if not is_error and not has_formula:
            continue
        value_match = _VALUE.search(content)
        value = value_match.group(1).strip() if value_match else b""
        ref_match = _ATTR_R.search(attrs)
        try:
            where = parse_ref(ref_match.group(1).decode("ascii")) if ref_match else None
        except ValueError:
            where = None
        if where is None:
            unlocated += 1
            continue
        if is_error:
            errors[where] = value.decode("utf-8", "replace") or "#N/A"
        elif not value and cell_type != b"str":
            # t="str" with an empty <v> is a formula whose stored result is "" (e.g. =IF(..,"",..)).
            uncached.append(where)
    return unlocated


# --- what an openpyxl re-save loses ------------------------------------------

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
    with _open_zip(package.path) as zf:
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
    rels = _relationships(zf, _rels_member(part), posixpath.dirname(part), name)
    for rel_type, member in rels.values():
        if member not in zf.NameToInfo:
            continue
        if rel_type == "drawing":
            losses.extend(_drawing_losses(zf, name, sheet, member))
        elif rel_type == "vmlDrawing":
            text = _read_member(zf, member, name)
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
    except _DAMAGED as exc:
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
    text = _read_member(zf, member, name)
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
