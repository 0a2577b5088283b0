"""Saving a refresh's output without loading the input workbook into openpyxl.

The output of ``xlcbec refresh BOOK`` is BOOK with the result sheets added.
Loading BOOK into openpyxl and saving it again costs a minute and a half for
a 57,000-row Panel (every cell becomes a Python object twice), and can lose
parts openpyxl does not understand.  Here the result sheets are written by
openpyxl into a small workbook of their own, and the two packages are merged
at the zip level:

- every part of BOOK is copied byte for byte (still compressed), except the
  four that list parts and styles: ``[Content_Types].xml``,
  ``xl/workbook.xml``, its relationships, and ``xl/styles.xml``, which get
  entries added and nothing else changed;
- the result sheets, their drawings and charts are renamed where BOOK
  already uses the name, and their cell styles are appended to BOOK's
  (fonts, fills, borders, number formats and cell formats, indexes shifted).

- result sheets BOOK already holds (an earlier refresh) that are rebuilt now
  are left out with every part only they use (drawings, charts), their
  relationships, content types and sheet-local names; the new sheet takes
  the old one's place.

So the input sheets, their formatting, charts, pictures and everything else
come out exactly as they went in.  When BOOK is outside what this merge
handles (a sheet name differing from a result sheet's only in case, XML with
prefixed namespaces, a macro-enabled workbook, ...), :func:`plan_merge`
raises :class:`Unsupported` before anything is written, and
:func:`save_results` takes the openpyxl route instead.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from defusedxml import ElementTree as SafeET

from xlcbec.book.backend import result_sheet_position
from xlcbec.book.package import seek_stored_data

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
PLAIN_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_COPY_CHUNK = 4 * 1024**2
_ZIP32_LIMIT = 0xFFFFFFFF


def quoteattr(value: str) -> str:
    """An XML attribute value with its quotes, as ``xml.sax.saxutils.quoteattr`` writes it.

    Written out because ``xml.sax.saxutils`` imports ``urllib.request`` (and with it
    http, ssl and email), a start-up cost every refresh would pay for five lines.
    """
    text = value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    text = text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


class Unsupported(Exception):
    """The input package is outside what the zip-level merge handles (the caller falls back)."""


# --- a minimal zip writer that can copy members without recompressing them ------------


@dataclass
class _Entry:
    name: bytes
    flags: int
    method: int
    dostime: int
    dosdate: int
    crc: int
    csize: int
    usize: int
    offset: int
    external: int = 0


@dataclass
class _ZipWriter:
    """Writes a zip (no zip64) member by member to ``handle``."""

    handle: BinaryIO
    entries: list[_Entry] = field(default_factory=list)
    position: int = 0

    def _header(self, entry: _Entry) -> None:
        if entry.offset > _ZIP32_LIMIT or entry.csize > _ZIP32_LIMIT or entry.usize > _ZIP32_LIMIT:
            raise Unsupported("the output would need zip64")
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, entry.flags, entry.method, entry.dostime, entry.dosdate,
                             entry.crc, entry.csize, entry.usize, len(entry.name), 0)
        self.handle.write(header + entry.name)
        self.position += len(header) + len(entry.name)

    def add(self, name: str, data: bytes) -> None:
        """A new member, deflated."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        dostime, dosdate = _dos_time(time.localtime()[:6])
        encoded, flags = _encode_name(name)
        entry = _Entry(encoded, flags, zipfile.ZIP_DEFLATED, dostime, dosdate, zlib.crc32(data), len(packed),
                       len(data), self.position)
        self._header(entry)
        self.handle.write(packed)
        self.position += len(packed)
        self.entries.append(entry)

    def copy(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        """Member ``info`` of the zip open as ``source``, copied still compressed."""
        if info.flag_bits & 0x1:
            raise Unsupported("an encrypted member")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Unsupported(f"compression method {info.compress_type}")
        try:
            seek_stored_data(source, info)
        except ValueError as exc:
            raise Unsupported(str(exc)) from None
        dostime, dosdate = _dos_time(info.date_time)
        encoded, flags = _encode_name(info.filename)
        entry = _Entry(encoded, flags, info.compress_type, dostime, dosdate, info.CRC, info.compress_size,
                       info.file_size, self.position, info.external_attr)
        self._header(entry)
        remaining = info.compress_size
        while remaining:
            chunk = source.read(min(_COPY_CHUNK, remaining))
            if not chunk:
                raise Unsupported("a truncated member")
            self.handle.write(chunk)
            remaining -= len(chunk)
        self.position += info.compress_size
        self.entries.append(entry)

    def close(self) -> None:
        start = self.position
        for entry in self.entries:
            record = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, entry.flags, entry.method, entry.dostime,
                                 entry.dosdate, entry.crc, entry.csize, entry.usize, len(entry.name), 0, 0, 0, 0,
                                 entry.external, entry.offset)
            self.handle.write(record + entry.name)
            self.position += len(record) + len(entry.name)
        size = self.position - start
        if len(self.entries) >= 0xFFFF or start > _ZIP32_LIMIT:
            raise Unsupported("the output would need zip64")
        self.handle.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.entries), len(self.entries), size,
                                      start, 0))


def _dos_time(stamp: tuple[int, ...]) -> tuple[int, int]:
    year, month, day, hour, minute, second = stamp[:6]
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def _encode_name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), 0x800


# --- the parts to change ---------------------------------------------------------


def _text(data: bytes, part: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unsupported(f"{part} is not UTF-8")
    text = data.decode("utf-8-sig")
    declaration = re.match(r"\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", text)
    if declaration and declaration.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise Unsupported(f"{part} is not UTF-8")
    return text


def _root_is_unprefixed(text: str, local: str, namespace: str) -> bool:
    """The root element is ``<local`` in the default namespace ``namespace``."""
    match = re.search(r"<([A-Za-z_][\w.-]*:)?" + local + r"\b([^>]*)>", text)
    return bool(match and match.group(1) is None and re.search(r'\bxmlns\s*=\s*["\']' + re.escape(namespace), match.group(2)))


def _resolve(base_part: str, target: str) -> str:
    """The zip member a relationship target names, relative to the part that owns the relationships."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


_REL_ELEMENT = re.compile(r"<Relationship\b[^>]*>")
_ATTR = re.compile(r'([\w:.-]+)\s*=\s*("[^"]*"|\'[^\']*\')')


def _attributes(tag: str) -> dict[str, str]:
    return {name: value[1:-1] for name, value in _ATTR.findall(tag)}


def _relationships(text: str) -> list[dict[str, str]]:
    return [_attributes(tag) for tag in _REL_ELEMENT.findall(text)]


def _insert_before_end(text: str, end_tag: str, insertion: str, part: str) -> str:
    at = text.rfind(end_tag)
    if at < 0:
        raise Unsupported(f"{part} has no {end_tag}")
    return text[:at] + insertion + text[at:]


# --- styles --------------------------------------------------------------------

_COLLECTIONS = (("numFmts", "numFmt"), ("fonts", "font"), ("fills", "fill"), ("borders", "border"),
                ("cellXfs", "xf"))


def _collection(text: str, name: str) -> re.Match[str] | None:
    return re.search(r"<" + name + r"\b([^>]*?)(/>|>(.*?)</" + name + r"\s*>)", text, re.S)


def _children(inner: str, child: str) -> list[str]:
    """The child elements (flat: none of these nest) of one style collection."""
    return re.findall(r"<" + child + r"\b(?:[^>]*?/>|[^>]*?>.*?</" + child + r"\s*>)", inner, re.S)


def _merge_styles(book_styles: str, result_styles: str) -> tuple[str, Callable[[int], int]]:
    """BOOK's styles with the results' appended, and the map of the results' cell-format indexes."""
    if not _root_is_unprefixed(book_styles, "styleSheet", MAIN_NS) or not _root_is_unprefixed(result_styles, "styleSheet", MAIN_NS):
        raise Unsupported("styles with prefixed namespaces")
    dxfs = _collection(result_styles, "dxfs")
    if dxfs is not None and _children(dxfs.group(3) or "", "dxf"):
        raise Unsupported("result styles with differential formats")
    book_tree = SafeET.fromstring(book_styles.encode("utf-8"))
    counts = {}
    for name, child in _COLLECTIONS:
        element = book_tree.find(f"{{{MAIN_NS}}}{name}")
        counts[name] = 0 if element is None else len(element.findall(f"{{{MAIN_NS}}}{child}"))
        if element is None and name != "numFmts":
            raise Unsupported(f"styles without {name}")
    book_formats = book_tree.find(f"{{{MAIN_NS}}}numFmts")
    used_ids = [int(e.get("numFmtId", "0")) for e in (book_formats if book_formats is not None else [])]
    next_id = max([163, *used_ids]) + 1

    pieces: dict[str, list[str]] = {}
    for name, child in _COLLECTIONS:
        match = _collection(result_styles, name)
        pieces[name] = _children(match.group(3) or "", child) if match else []
    format_map: dict[int, int] = {}
    renumbered = []
    for element in pieces["numFmts"]:
        old = int(_attributes(element)["numFmtId"])
        format_map[old] = next_id
        renumbered.append(re.sub(r'\bnumFmtId="\d+"', f'numFmtId="{next_id}"', element, count=1))
        next_id += 1
    pieces["numFmts"] = renumbered

    def shift(match: re.Match[str]) -> str:
        attribute, value = match.group(1), int(match.group(2))
        if attribute == "numFmtId":
            value = format_map.get(value, value)
        elif attribute == "fontId":
            value += counts["fonts"]
        elif attribute == "fillId":
            value += counts["fills"]
        elif attribute == "borderId":
            value += counts["borders"]
        elif attribute == "xfId":
            value = 0  # BOOK's Normal style
        return f'{attribute}="{value}"'

    pieces["cellXfs"] = [re.sub(r'\b(numFmtId|fontId|fillId|borderId|xfId)="(\d+)"', shift, xf) for xf in pieces["cellXfs"]]

    merged = book_styles
    for name, _child in _COLLECTIONS:
        added = pieces[name]
        if not added:
            continue
        total = counts[name] + len(added)
        match = _collection(merged, name)
        if match is None:  # only numFmts can be absent; it is the first child of styleSheet
            root = re.search(r"<styleSheet\b[^>]*>", merged)
            if root is None:
                raise Unsupported("styles without a styleSheet element")
            merged = merged[:root.end()] + f'<{name} count="{total}">' + "".join(added) + f"</{name}>" + merged[root.end():]
            continue
        attributes = re.sub(r'\s*\bcount="\d*"', "", match.group(1))
        inner = match.group(3) or ""
        merged = (merged[:match.start()] + f'<{name} count="{total}"{attributes}>' + inner + "".join(added)
                  + f"</{name}>" + merged[match.end():])
    offset = counts["cellXfs"]
    return merged, lambda index: index + offset


# One literal '<' to search for, then the tag: scanning the sheet for two alternatives each
# starting with '<' took 40% longer.
_STYLE_ATTR = re.compile(r'<(?:(?:c|row)\b[^>]*?\bs="(\d+)"|col\b[^>]*?\bstyle="(\d+)")')


def _restyle_sheet(text: str, style_of: Callable[[int], int]) -> str:
    def replace(match: re.Match[str]) -> str:
        tag = match.group(0)
        number = match.group(1) if match.group(1) is not None else match.group(2)
        return tag[: len(tag) - len(number) - 1] + str(style_of(int(number))) + '"'

    return _STYLE_ATTR.sub(replace, text)


# --- the merge ----------------------------------------------------------------------


@dataclass
class _Package:
    """One workbook package's parts as the merge needs them."""

    zf: zipfile.ZipFile
    names: set[str]
    workbook_part: str
    workbook: str
    workbook_rels: str
    content_types: str
    styles_part: str
    styles: str
    sheets: list[tuple[str, str, str]]  # (sheet name, relationship id, zip member)
    _overrides: dict[str, str | None] | None = None  # part -> content type, from content_types

    @classmethod
    def read(cls, zf: zipfile.ZipFile) -> "_Package":
        names = set(zf.namelist())
        root_rels = _text(zf.read("_rels/.rels"), "_rels/.rels")
        workbook_part = next((_resolve("", r["Target"]) for r in _relationships(root_rels)
                              if r.get("Type", "").endswith("/officeDocument")), "")
        if workbook_part not in names:
            raise Unsupported("no workbook part")
        content_types = _text(zf.read("[Content_Types].xml"), "[Content_Types].xml")
        workbook = _text(zf.read(workbook_part), workbook_part)
        rels_part = _rels_of(workbook_part)
        workbook_rels = _text(zf.read(rels_part), rels_part)
        if not _root_is_unprefixed(workbook, "workbook", MAIN_NS):
            raise Unsupported("a workbook part with prefixed namespaces")
        if not _root_is_unprefixed(content_types, "Types", "http://schemas.openxmlformats.org/package/2006/content-types"):
            raise Unsupported("content types with prefixed namespaces")
        relationships = {r.get("Id", ""): r for r in _relationships(workbook_rels)}
        styles_part = next((_resolve(workbook_part, r["Target"]) for r in relationships.values()
                            if r.get("Type", "").endswith("/styles")), "")
        if styles_part not in names:
            raise Unsupported("no styles part")
        styles = _text(zf.read(styles_part), styles_part)
        sheets_block = re.search(r"<sheets\b[^>]*>(.*?)</sheets\s*>", workbook, re.S)
        if sheets_block is None:
            raise Unsupported("a workbook without sheets")
        sheets = []
        for tag in re.findall(r"<sheet\b[^>]*>", sheets_block.group(1)):
            attributes = _attributes(tag)
            rid = next((v for k, v in attributes.items() if k.endswith(":id")), "")
            relation = relationships.get(rid)
            if relation is None:
                raise Unsupported("a sheet without its relationship")
            member = _resolve(workbook_part, relation["Target"]) if relation.get("TargetMode") != "External" else ""
            sheets.append((_unescape(attributes.get("name", "")), rid, member))
        return cls(zf, names, workbook_part, workbook, workbook_rels, content_types, styles_part, styles, sheets)

    def content_type(self, member: str) -> str | None:
        if self._overrides is None:  # read once: the merge asks for every part it moves
            self._overrides = {}
            for tag in re.findall(r"<Override\b[^>]*>", self.content_types):
                attributes = _attributes(tag)
                self._overrides.setdefault(attributes.get("PartName", "").lstrip("/"), attributes.get("ContentType"))
        return self._overrides.get(member)

    def default_type(self, extension: str) -> str | None:
        for tag in re.findall(r"<Default\b[^>]*>", self.content_types):
            attributes = _attributes(tag)
            if attributes.get("Extension", "").lower() == extension.lower():
                return attributes.get("ContentType")
        return None


def _unescape(value: str) -> str:
    return (value.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def _fresh_name(member: str, taken: set[str]) -> str:
    """``member`` itself, or the same folder and stem with the next free number."""
    if member not in taken:
        return member
    folder, name = posixpath.split(member)
    match = re.match(r"^(.*?)(\d*)(\.[^.]+)$", name)
    stem, extension = (match.group(1), match.group(3)) if match else (name, "")
    number = 1
    while True:
        candidate = posixpath.join(folder, f"{stem}{number}{extension}")
        if candidate not in taken:
            return candidate
        number += 1


def merge_results(book: str | Path, results: bytes, handle: BinaryIO) -> None:
    """Write to ``handle`` the package of ``book`` with the sheets of the ``results`` workbook added.

    Raises :class:`Unsupported` (before writing anything) when ``book`` is
    outside what the merge handles.
    """
    _write(book, plan_merge(book, results), handle)


def plan_merge(book: str | Path, results: bytes) -> "_Plan":
    """Every check and every changed or added part, before anything is written."""
    if Path(book).stat().st_size + len(results) > _ZIP32_LIMIT // 2:
        raise Unsupported("a workbook too large for a plain zip")
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(io.BytesIO(results)) as zres:
        return _plan(_Package.read(zin), _Package.read(zres))


def _write(book: str | Path, plan: "_Plan", handle: BinaryIO) -> None:
    writer = _ZipWriter(handle)
    with zipfile.ZipFile(book) as zin, open(book, "rb") as source:
        for info in zin.infolist():
            if info.filename in plan.replaced:
                writer.add(info.filename, plan.replaced[info.filename])
            elif not info.is_dir() and info.filename not in plan.removed:
                writer.copy(source, info)
    for name, data in plan.added:
        writer.add(name, data)
    writer.close()


@dataclass
class _Plan:
    replaced: dict[str, bytes]  # BOOK's members with new content
    added: list[tuple[str, bytes]]  # the result parts, under their names in the output
    removed: set[str] = field(default_factory=set)  # BOOK's members left out (rebuilt sheets' parts)


def _plan(book: _Package, result: _Package) -> _Plan:
    book_names = [name for name, _, _ in book.sheets]
    result_names = [name for name, _, _ in result.sheets]
    # A result sheet BOOK already has (an earlier refresh) is rebuilt in its place; a name
    # differing only in case is another sheet, which Excel would not tell apart.
    rebuilt = [name for name in book_names if name in result_names]
    folded = {name.casefold() for name in book_names if name not in rebuilt}
    clash = [name for name in result_names if name.casefold() in folded]
    if clash:
        raise Unsupported(f"the workbook already has a sheet {clash[0]!r}")
    if book.content_type(book.workbook_part) != PLAIN_WORKBOOK:
        raise Unsupported("not a plain .xlsx workbook (macro-enabled or template)")
    if any(n.startswith("xl/sharedStrings") for n in result.names):
        raise Unsupported("result sheets with shared strings")
    styles, style_of = _merge_styles(book.styles, result.styles)

    # Which result parts travel: each sheet and everything reachable through relationships.
    taken = set(book.names)
    renamed: dict[str, str] = {}
    queue = [member for _, _, member in result.sheets]
    order: list[str] = []
    while queue:
        member = queue.pop(0)
        if member in renamed:
            continue
        renamed[member] = _fresh_name(member, taken)
        taken.add(renamed[member])
        order.append(member)
        rels = _rels_of(member)
        if rels in result.names:
            for relation in _relationships(_text(result.zf.read(rels), rels)):
                if relation.get("TargetMode") == "External":
                    continue
                target = _resolve(member, relation["Target"])
                if target not in result.names:
                    raise Unsupported(f"a result part refers to a missing {target}")
                queue.append(target)

    added: list[tuple[str, bytes]] = []
    overrides: list[str] = []
    defaults: list[str] = []
    sheet_members = {member for _, _, member in result.sheets}
    for member in order:
        new = renamed[member]
        data = result.zf.read(member)
        if member in sheet_members:
            data = _restyle_sheet(_text(data, member), style_of).encode("utf-8")
        added.append((new, data))
        content_type = result.content_type(member)
        if content_type is not None:
            overrides.append(f'<Override PartName={quoteattr("/" + new)} ContentType={quoteattr(content_type)}/>')
        else:
            extension = posixpath.splitext(member)[1].lstrip(".")
            default = result.default_type(extension)
            if default is None:
                raise Unsupported(f"no content type for {member}")
            if book.default_type(extension) is None and not any(f'"{extension}"' in d for d in defaults):
                defaults.append(f'<Default Extension={quoteattr(extension)} ContentType={quoteattr(default)}/>')
        rels = _rels_of(member)
        if rels in result.names:
            text = _text(result.zf.read(rels), rels)

            def retarget(match: re.Match[str], owner: str = member) -> str:
                tag = match.group(0)
                attributes = _attributes(tag)
                if attributes.get("TargetMode") == "External":
                    return tag
                target = renamed[_resolve(owner, attributes["Target"])]
                return re.sub(r'\bTarget\s*=\s*("[^"]*"|\'[^\']*\')', "Target=" + quoteattr("/" + target), tag, count=1)

            added.append((_rels_of(new), _REL_ELEMENT.sub(retarget, text).encode("utf-8")))

    # Sheet order: a rebuilt sheet keeps its place; a new one goes where a refresh through
    # openpyxl would put it.
    final = list(book_names)
    for name in result_names:
        if name not in rebuilt:
            final.insert(result_sheet_position(final, name), name)
    new_index = {name: final.index(name) for name in final}
    old_to_new = {i: new_index[name] for i, name in enumerate(book_names) if name not in rebuilt}
    removed, workbook_rels, content_types, workbook = _drop_rebuilt(book, rebuilt)

    used_ids = {int(m) for m in re.findall(r'\bId="rId(\d+)"', book.workbook_rels)}
    next_rid = max(used_ids, default=0) + 1
    sheet_ids = [int(v) for v in re.findall(r'<sheet\b[^>]*?\bsheetId="(\d+)"', book.workbook)]
    next_sheet_id = max(sheet_ids, default=0) + 1
    new_relations = []
    new_sheets: dict[str, str] = {}
    existing_rids = set(re.findall(r'\bId="([^"]+)"', book.workbook_rels))
    for name, _, member in result.sheets:
        rid = f"rId{next_rid}"
        while rid in existing_rids:
            next_rid += 1
            rid = f"rId{next_rid}"
        next_rid += 1
        existing_rids.add(rid)
        new_relations.append(f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target={quoteattr("/" + renamed[member])}/>')
        new_sheets[name] = (f'<sheet xmlns:r="{REL_NS}" name={quoteattr(name)} sheetId="{next_sheet_id}" '
                            f'state="visible" r:id="{rid}"/>')
        next_sheet_id += 1

    workbook = _place_sheets(workbook, book_names, final, new_sheets)
    workbook = _reindex_sheets(workbook, old_to_new)
    result_defined = re.search(r"<definedNames\b[^>]*>(.*?)</definedNames\s*>", result.workbook, re.S)
    if result_defined:
        moved = []
        for tag in re.findall(r"<definedName\b.*?</definedName\s*>", result_defined.group(1), re.S):
            local = re.search(r'\blocalSheetId="(\d+)"', tag)
            if local:
                sheet = result_names[int(local.group(1))]
                tag = tag.replace(local.group(0), f'localSheetId="{new_index[sheet]}"', 1)
            moved.append(tag)
        workbook = _add_defined_names(workbook, "".join(moved))
    relations = _insert_before_end(workbook_rels, "</Relationships>", "".join(new_relations),
                                   _rels_of(book.workbook_part))
    if defaults:
        first_override = content_types.find("<Override")
        at = first_override if first_override >= 0 else content_types.rfind("</Types>")
        content_types = content_types[:at] + "".join(defaults) + content_types[at:]
    content_types = _insert_before_end(content_types, "</Types>", "".join(overrides), "[Content_Types].xml")
    replaced = {
        "[Content_Types].xml": content_types.encode("utf-8"),
        book.workbook_part: workbook.encode("utf-8"),
        _rels_of(book.workbook_part): relations.encode("utf-8"),
        book.styles_part: styles.encode("utf-8"),
    }
    return _Plan(replaced, added, removed)


def _place_sheets(workbook: str, book_names: list[str], final: list[str], new_sheets: dict[str, str]) -> str:
    """The ``<sheet>`` elements in their final order: BOOK's kept ones and the results' new ones."""
    block = re.search(r"(<sheets\b[^>]*>)(.*?)(</sheets\s*>)", workbook, re.S)
    if block is None:
        raise Unsupported("a workbook without sheets")
    existing = re.findall(r"<sheet\b[^>]*?/>|<sheet\b[^>]*?>.*?</sheet\s*>", block.group(2), re.S)
    if len(existing) != len(book_names):
        raise Unsupported("sheet elements that cannot be told apart")
    by_name = dict(zip(book_names, existing))
    body = "".join(new_sheets[name] if name in new_sheets else by_name[name] for name in final)
    return workbook[:block.start()] + block.group(1) + body + block.group(3) + workbook[block.end():]


def _drop_rebuilt(book: _Package, rebuilt: list[str]) -> tuple[set[str], str, str, str]:
    """Leave out the sheets to rebuild: their parts (those no kept part uses), relationships,
    content types and sheet-local names.  Returns (removed members, workbook relationships,
    content types, workbook part)."""
    workbook_rels, content_types, workbook = book.workbook_rels, book.content_types, book.workbook
    if not rebuilt:
        return set(), workbook_rels, content_types, workbook
    names = [name for name, _, _ in book.sheets]
    dropped = [(name, rid, member) for name, rid, member in book.sheets if name in rebuilt]
    dropped_rids = {rid for _, rid, _ in dropped}
    targets: dict[str, list[str]] = {}
    for member in book.names:
        rels = _rels_of(member)
        if rels in book.names:
            targets[member] = [_resolve(member, r["Target"]) for r in _relationships(_text(book.zf.read(rels), rels))
                               if r.get("TargetMode") != "External" and "Target" in r]

    def reachable(roots: list[str]) -> set[str]:
        seen: set[str] = set()
        queue = list(roots)
        while queue:
            part = queue.pop()
            if part in seen:
                continue
            seen.add(part)
            queue.extend(targets.get(part, []))
        return seen

    kept_roots = [_resolve("", r["Target"]) for r in _relationships(_text(book.zf.read("_rels/.rels"), "_rels/.rels"))
                  if r.get("TargetMode") != "External" and _resolve("", r["Target"]) != book.workbook_part]
    kept_roots += [_resolve(book.workbook_part, r["Target"]) for r in _relationships(workbook_rels)
                   if r.get("Id") not in dropped_rids and r.get("TargetMode") != "External"]
    kept = reachable(kept_roots) | {book.workbook_part}
    gone = reachable([member for _, _, member in dropped]) - kept
    calc_chain = next((p for p in kept if p.endswith("calcChain.xml")), None)
    if calc_chain is not None:
        # Formulas on a dropped sheet would leave calcChain pointing at a missing sheet; Excel
        # rebuilds the chain when it is absent.
        chain = _text(book.zf.read(calc_chain), calc_chain)
        if any(re.search(r'\bi="' + sheet_id + '"', chain) for sheet_id in _sheet_ids(workbook, rebuilt)):
            gone.add(calc_chain)
    removed = gone | {_rels_of(part) for part in gone if _rels_of(part) in book.names}
    workbook_rels = re.sub(
        r"<Relationship\b[^>]*?(?:/>|>\s*</Relationship\s*>)",
        lambda m: "" if (_attributes(m.group(0)).get("Id") in dropped_rids
                         or _resolve(book.workbook_part, _attributes(m.group(0)).get("Target", "")) in gone) else m.group(0),
        workbook_rels)
    content_types = re.sub(r"<Override\b[^>]*>",
                           lambda m: "" if _attributes(m.group(0)).get("PartName", "").lstrip("/") in removed else m.group(0),
                           content_types)
    dropped_positions = {str(names.index(name)) for name in rebuilt}
    workbook = re.sub(r"<definedName\b[^>]*?\blocalSheetId=\"(\d+)\"[^>]*>.*?</definedName\s*>",
                      lambda m: "" if m.group(1) in dropped_positions else m.group(0), workbook, flags=re.S)
    return removed, workbook_rels, content_types, workbook


def _sheet_ids(workbook: str, names: list[str]) -> list[str]:
    ids = []
    for tag in re.findall(r"<sheet\b[^>]*>", workbook):
        attributes = _attributes(tag)
        if _unescape(attributes.get("name", "")) in names and "sheetId" in attributes:
            ids.append(attributes["sheetId"])
    return ids


def _reindex_sheets(workbook: str, old_to_new: dict[int, int]) -> str:
    """Sheet positions named in BOOK's workbook part follow the sheets they name."""
    def local(match: re.Match[str]) -> str:
        return f'{match.group(1)}="{old_to_new.get(int(match.group(2)), int(match.group(2)))}"'

    return re.sub(r'\b(localSheetId|activeTab|firstSheet)="(\d+)"', local, workbook)


def _add_defined_names(workbook: str, names: str) -> str:
    if not names:
        return workbook
    block = re.search(r"<definedNames\b[^>]*?(/>|>(.*?)</definedNames\s*>)", workbook, re.S)
    if block is not None:
        inner = block.group(2) or ""
        return workbook[:block.start()] + "<definedNames>" + inner + names + "</definedNames>" + workbook[block.end():]
    # definedNames follows sheets, functionGroups and externalReferences (schema order)
    anchor = max((m.end() for m in re.finditer(r"</sheets\s*>|<functionGroups\b[^>]*/>|</functionGroups\s*>"
                                                r"|</externalReferences\s*>", workbook)), default=-1)
    if anchor < 0:
        raise Unsupported("no place for defined names")
    return workbook[:anchor] + "<definedNames>" + names + "</definedNames>" + workbook[anchor:]


def save_results(book: str | Path, target: str | Path, write: Callable[[Any], None], *, overwrite: bool = True) -> Path:
    """Write BOOK plus the result sheets ``write(backend)`` produces to ``target``, atomically.

    The zip-level merge when BOOK allows it; otherwise BOOK is loaded into
    openpyxl and saved with the results (the slower, general route).  Both
    happen inside one atomic write, so a failure at any step leaves the
    previous ``target`` as it was.
    """
    from xlcbec.book.atomic import atomic_write
    from xlcbec.book.openpyxl_backend import OpenpyxlBackend
    from xlcbec.errors import InputError

    if Path(target).suffix.lower() != ".xlsx":
        raise InputError(
            f"results are saved as an .xlsx workbook, not '{Path(target).suffix or '(no extension)'}'",
            fix="give an output file name ending in .xlsx",
        )
    results = OpenpyxlBackend.results_only(book)
    write(results)

    def produce(handle: BinaryIO) -> None:
        from openpyxl.writer.excel import ExcelWriter

        # The result package is only read back by the merge, which deflates every part it takes:
        # stored, not deflated, it is compressed once instead of twice.
        buffer = io.BytesIO()
        ExcelWriter(results.workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
        try:
            plan = plan_merge(book, buffer.getvalue())
        except (Unsupported, KeyError, ValueError, zipfile.BadZipFile, SafeET.ParseError):
            whole = OpenpyxlBackend.open(book)
            write(whole)
            whole.workbook.save(handle)
            return
        _write(book, plan, handle)

    return atomic_write(target, produce, overwrite=overwrite)


__all__ = ["Unsupported", "merge_results", "plan_merge", "save_results"]
