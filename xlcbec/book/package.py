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

One worksheet's XML is then scanned by :mod:`xlcbec.book.sheet_scan`; cell
references are :mod:`xlcbec.book.cell_refs`; what an openpyxl re-save would
lose is :mod:`xlcbec.book.openpyxl_losses`.
"""


from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from xlcbec.errors import InputError

# --- limits (module constants so tests can lower them) ---------------------

MAX_PARTS = 20_000
MAX_TOTAL_UNCOMPRESSED = 4 * 1024**3  # a 1M-row, 20-column Panel is about 1 GB of XML
LARGE_PART = 64 * 1024**2
MAX_RATIO = 200  # sheet XML compresses 5-50x; deflate bombs reach ~1000x
MAX_PROLOG = 1024**2  # bytes of XML read before the root element

# What a damaged member raises while it is decompressed: a bad CRC or header
# (BadZipFile), a deflate stream cut or scrambled (zlib.error), a short read,
# an unknown compression method (NotImplementedError), a flipped "encrypted"
# flag (RuntimeError: zipfile asks for a password).
DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError)

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


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.LargeZipFile, *DAMAGED) as exc:
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


def read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return zf.read(member)
    except DAMAGED as exc:
        raise InputError(f"'{name}' is damaged: part {member} cannot be read ({exc})", fix="open and repair the file in Excel, then save it") from None


def _parse_xml(zf: zipfile.ZipFile, member: str, name: str) -> Element:
    try:
        return SafeET.fromstring(read_member(zf, member, name))
    except SafeET.ParseError as exc:
        raise InputError(f"'{name}' is damaged: part {member} is not well-formed XML ({exc})", fix="open and repair the file in Excel, then save it") from None
    except ValueError as exc:  # defusedxml's DTDForbidden / EntitiesForbidden
        raise InputError(f"'{name}': part {member} was refused by the safe XML parser ({exc})", fix="check where the file came from") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def relationships(zf: zipfile.ZipFile, rels_member: str, base_dir: str, name: str) -> dict[str, tuple[str, str]]:
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


def rels_member(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def seek_stored_data(handle: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Move ``handle`` (the zip file) to member ``info``'s stored (still compressed) bytes.

    Raises ValueError when the member's local header is damaged.
    """
    handle.seek(info.header_offset)
    local = handle.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise ValueError("a damaged local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)


def open_package(path: str | Path) -> Package:
    """Check ``path`` is a safe, readable .xlsx and map its sheets to their XML parts."""
    path = Path(path)
    sniff_format(path)
    name = path.name
    with open_zip(path) as zf:
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
                except DAMAGED as exc:
                    raise InputError(
                        f"'{name}' is damaged: part {member} cannot be read ({exc})",
                        fix="the file may be truncated; copy it again, or open and repair it in Excel and save",
                    ) from None
        workbook_part = _find_workbook_part(zf, name)
        sheet_parts, names = _sheet_parts(zf, workbook_part, name)
    return Package(path=path, workbook_part=workbook_part, sheet_parts=sheet_parts, sheet_names=names)


def _find_workbook_part(zf: zipfile.ZipFile, name: str) -> str:
    for _, (rel_type, member) in relationships(zf, "_rels/.rels", "", name).items():
        if rel_type == "officeDocument" and member in zf.NameToInfo:
            return member
    if "xl/workbook.xml" in zf.NameToInfo:
        return "xl/workbook.xml"
    if "word/document.xml" in zf.NameToInfo or "ppt/presentation.xml" in zf.NameToInfo:
        raise InputError(f"'{name}' is a Word or PowerPoint file, not an Excel workbook", fix="give the path of an .xlsx workbook")
    raise InputError(f"'{name}' is a zip file but not an Excel workbook (no workbook part)", fix="give the path of an .xlsx workbook")


def _sheet_parts(zf: zipfile.ZipFile, workbook_part: str, name: str) -> tuple[dict[str, str], tuple[str, ...]]:
    rels = relationships(zf, rels_member(workbook_part), posixpath.dirname(workbook_part), name)
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


