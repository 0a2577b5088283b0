"""One worksheet's XML, streamed once: what the value readers lose.

calamine returns an empty string both for an Excel error value (``#DIV/0!``)
and for a formula whose result was never stored (files written by scripts, not
by Excel).  Both are found from the cell XML (``t="e"``; an ``<f>`` with no
``<v>``), as are merged ranges, hidden rows (the read-only readers of both
engines do not report them) and how far the cells reach.  The stream is
bounded by the declared part size (zipfile checks it), so this pass is safe and
costs one decompression of the sheet, cheap next to parsing it.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xlcbec.book.cell_refs import column_number, parse_ref
from xlcbec.book.package import DAMAGED, open_zip
from xlcbec.errors import InputError

# Bytes of a worksheet's XML read at a time (module constant so tests can lower it).
CHUNK = 4 * 1024**2

# A sheet whose cell rectangle exceeds MAX_SHEET_AREA cells *and* is mostly empty
# (more than SPARSE_FACTOR times its stored cells) is refused before any reader
# builds the rectangle.  A dense 1M-row, 60-column Panel passes (area = cells).
MAX_SHEET_AREA = 5_000_000
SPARSE_FACTOR = 4
BEYOND = 2**40  # the row or column of a reference too long for any sheet


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
    hidden_rows: tuple[int, ...] = ()  # rows hidden by hand or by a filter (<row hidden="1">)


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


_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)", re.S)
_ATTR_R = re.compile(rb"""\br\s*=\s*["']([^"']+)["']""")
_ATTR_T = re.compile(rb"""\bt\s*=\s*["']([^"']+)["']""")
_HAS_F = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\s*>(.*?)</(?:[\w.-]+:)?v\s*>", re.S)
_INTERESTING = re.compile(rb"""<(?:[\w.-]+:)?f[\s>/]|\bt\s*=\s*["']e["']""")
_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']+)["']""")
_END_ROW = re.compile(rb"^/(?:[\w.-]+:)?$")
# A row's start tag marked hidden (hidden by hand, or by an AutoFilter); its r is read from the same tag.
_HIDDEN_ROW = re.compile(rb"""<(?:[\w.-]+:)?row\b[^>]*?\bhidden\s*=\s*["'](?:1|true)["'][^>]*>""")


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
    hidden: list[int] = []
    extent = SheetExtent()
    with open_zip(path) as zf:
        try:
            stream = zf.open(part)
        except KeyError:
            raise InputError(f"'{path.name}' is damaged: the sheet part {part} is missing", fix="open and repair the file in Excel, then save it") from None
        except DAMAGED as exc:
            raise InputError(
                f"'{path.name}' is damaged: part {part} cannot be read ({exc})",
                fix="the file may be truncated; copy it again, or open and repair it in Excel and save",
            ) from None
        with stream:
            carry = b""
            while True:
                try:
                    chunk = stream.read(CHUNK)
                except DAMAGED as exc:
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
                if b"hidden" in body:
                    for tag in _HIDDEN_ROW.findall(body):
                        number = _ATTR_R.search(tag)
                        if number and number.group(1).isdigit():
                            hidden.append(int(number.group(1)))
                if b"mergeCell" in body:
                    for ref in _MERGE.findall(body):
                        merged.append(_merge_range(ref.decode("ascii", "replace")))
                if not chunk:
                    break
    return SheetScan(errors=errors, uncached=tuple(uncached), merged=tuple(m for m in merged if m[0] > 0),
                     unlocated=unlocated, extent=extent, hidden_rows=tuple(hidden))


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


