"""Read a VBA project ([MS-OVBA]) and restore the class modules LibreOffice's export loses.

LibreOffice 7.4 exports class modules without their line in the ``PROJECT``
stream (``Class=Name``) and rewrites their source without the ``Attribute``
lines (``VB_Exposed``, ``VB_UserMemId``, ...) but with a LibreOffice-only
``Option ClassModule`` line that VBA cannot compile.  The ``dir`` stream it
writes already types them as document/class modules (record 0x0022).  So the
repair is: put the ``Class=`` line back and replace the module stream with the
class's original compressed source from the template the project came from.

The project identity lines of the ``PROJECT`` stream (``ID``, ``CMG``, ``DPB``,
``GC``; the last three are encrypted with a key derived from the first) are
taken from the template as well: LibreOffice draws a random ``ID`` on every
export, and with the template's set the built add-in is the same on every build.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import olefile

from xlcbec.addin_build.cfb import write_compound_file

# dir stream record ids used here ([MS-OVBA] 2.3.4.2)
_PROJECTCODEPAGE: Final = 0x0003
_PROJECTVERSION: Final = 0x0009
_MODULENAME: Final = 0x0019
_MODULESTREAMNAME: Final = 0x001A
_MODULEOFFSET: Final = 0x0031
_MODULETYPE_PROCEDURAL: Final = 0x0021
_MODULETYPE_OTHER: Final = 0x0022
_MODULE_TERMINATOR: Final = 0x002B

_IDENTITY_KEYS: Final = ("ID", "CMG", "DPB", "GC")

ModuleKind = Literal["procedural", "document_or_class"]


class VbaProjectError(ValueError):
    """A VBA project is not in the form the add-in build expects."""


def decompress(container: bytes) -> bytes:
    """Decompress an [MS-OVBA] 2.4.1 compressed container."""
    if not container or container[0] != 0x01:
        raise VbaProjectError("not an MS-OVBA compressed container (first byte must be 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(container):
        chunk_start = pos
        (header,) = struct.unpack_from("<H", container, pos)
        pos += 2
        if (header >> 12) & 0b111 != 0b011:
            raise VbaProjectError(f"bad compressed-chunk signature at byte {chunk_start}")
        chunk_end = min(chunk_start + (header & 0x0FFF) + 3, len(container))
        if not header >> 15:  # stored uncompressed: always 4096 bytes
            out += container[pos : pos + 4096]
            pos += 4096
            continue
        decompressed_start = len(out)
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(container[pos])
                    pos += 1
                    continue
                (token,) = struct.unpack_from("<H", container, pos)
                pos += 2
                # The split between offset and length bits grows with the position in the chunk.
                bit_count = max((len(out) - decompressed_start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - decompressed_start:
                    raise VbaProjectError(f"copy token reaches before its chunk at byte {pos - 2}")
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


@dataclass(frozen=True)
class DirRecord:
    """One record of the decompressed ``dir`` stream."""

    id: int
    data: bytes


def parse_dir(decompressed: bytes) -> tuple[DirRecord, ...]:
    """Split the decompressed ``dir`` stream into records.

    Every record is ``id (u16), size (u32), data``; the "reserved" fields that
    introduce the Unicode variants (0x003E, 0x0040, ...) have the same shape and
    come out as records of their own.  The one exception is PROJECTVERSION,
    whose size field is a constant 4 followed by 6 bytes of data.
    """
    records = []
    pos = 0
    while pos < len(decompressed):
        if pos + 6 > len(decompressed):
            raise VbaProjectError(f"dir stream ends inside a record header at byte {pos}")
        record_id, size = struct.unpack_from("<HI", decompressed, pos)
        pos += 6
        if record_id == _PROJECTVERSION:
            size = 6
        records.append(DirRecord(record_id, decompressed[pos : pos + size]))
        pos += size
    return tuple(records)


@dataclass(frozen=True)
class ModuleRecord:
    """What the ``dir`` stream says about one module."""

    name: str
    stream_name: str
    text_offset: int
    kind: ModuleKind | None


def module_records(records: tuple[DirRecord, ...], encoding: str) -> tuple[ModuleRecord, ...]:
    """The modules listed in the ``dir`` stream, in its order."""
    modules = []
    name: str | None = None
    stream_name = ""
    text_offset = 0
    kind: ModuleKind | None = None
    for record in records:
        if record.id == _MODULENAME:
            name = record.data.decode(encoding)
            stream_name, text_offset, kind = name, 0, None
        elif name is None:
            continue
        elif record.id == _MODULESTREAMNAME:
            stream_name = record.data.decode(encoding)
        elif record.id == _MODULEOFFSET:
            (text_offset,) = struct.unpack("<I", record.data)
        elif record.id == _MODULETYPE_PROCEDURAL:
            kind = "procedural"
        elif record.id == _MODULETYPE_OTHER:
            kind = "document_or_class"
        elif record.id == _MODULE_TERMINATOR:
            modules.append(ModuleRecord(name=name, stream_name=stream_name, text_offset=text_offset, kind=kind))
            name = None
    return tuple(modules)


def _python_encoding(code_page: int) -> str:
    return "utf-8" if code_page == 65001 else f"cp{code_page}"


@dataclass(frozen=True)
class VbaProject:
    """The streams of a ``vbaProject.bin`` with the parts of the project the build needs."""

    streams: Mapping[str, bytes]
    code_page: int
    modules: tuple[ModuleRecord, ...]
    project_lines: tuple[str, ...]

    @classmethod
    def read(cls, data: bytes) -> VbaProject:
        if not olefile.isOleFile(io.BytesIO(data)):
            raise VbaProjectError("vbaProject.bin is not an OLE compound file")
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(path): ole.openstream(path).read() for path in ole.listdir(streams=True)}
        for required in ("PROJECT", "VBA/dir"):
            if required not in streams:
                raise VbaProjectError(f"vbaProject.bin has no '{required}' stream")
        records = parse_dir(decompress(streams["VBA/dir"]))
        code_pages = [struct.unpack("<H", r.data)[0] for r in records if r.id == _PROJECTCODEPAGE]
        if len(code_pages) != 1:
            raise VbaProjectError(f"expected one PROJECTCODEPAGE record in the dir stream, found {len(code_pages)}")
        encoding = _python_encoding(code_pages[0])
        project_text = streams["PROJECT"].decode(encoding)
        return cls(
            streams=streams,
            code_page=code_pages[0],
            modules=module_records(records, encoding),
            project_lines=tuple(project_text.split("\r\n")),
        )

    @property
    def encoding(self) -> str:
        return _python_encoding(self.code_page)

    def module(self, name: str) -> ModuleRecord:
        for module in self.modules:
            if module.name == name:
                return module
        raise VbaProjectError(f"the VBA project has no module '{name}'; it has {', '.join(m.name for m in self.modules)}")

    def compressed_source(self, name: str) -> bytes:
        """The module's compressed source, without the compiled code that may precede it."""
        module = self.module(name)
        return self.streams[f"VBA/{module.stream_name}"][module.text_offset :]

    def source(self, name: str) -> str:
        return decompress(self.compressed_source(name)).decode(self.encoding)

    def project_items(self, key: str) -> tuple[str, ...]:
        """Values of the ``key=`` lines before the first section (``Module``, ``Class``, ``Document``...)."""
        values = []
        for line in self.project_lines:
            if line.startswith("["):
                break
            if line.startswith(f"{key}="):
                values.append(line[len(key) + 1 :])
        return tuple(values)

    @property
    def class_modules(self) -> tuple[str, ...]:
        return self.project_items("Class")

    @property
    def name(self) -> str:
        names = self.project_items("Name")
        return names[0].strip('"') if names else ""


def _item_names(project: VbaProject) -> set[str]:
    names: set[str] = set()
    for key in ("Module", "Class", "BaseClass", "Document"):
        names.update(value.split("/")[0] for value in project.project_items(key))
    return names


def restore_class_modules(exported: bytes, template: bytes) -> bytes:
    """``exported`` (a LibreOffice VBA export) with ``template``'s class modules restored.

    Returns the bytes of a new ``vbaProject.bin``.  Raises :class:`VbaProjectError`
    when the export is not in the shape this repair was written for (a different
    LibreOffice version may need a different repair, never a silent one).
    """
    project = VbaProject.read(exported)
    original = VbaProject.read(template)
    if project.code_page != original.code_page:
        raise VbaProjectError(
            f"the exported project uses code page {project.code_page}, the template {original.code_page}; "
            "the template's class source cannot be copied across code pages"
        )
    exported_names = {m.name for m in project.modules}
    listed = _item_names(project)
    streams = dict(project.streams)
    new_items = []
    for name in original.class_modules:
        if name not in exported_names:
            continue
        module = project.module(name)
        if module.kind != "document_or_class":
            raise VbaProjectError(
                f"LibreOffice exported class module '{name}' with module type {module.kind!r} in the dir stream; "
                "expected record 0x0022 (class/document)"
            )
        if module.text_offset != 0:
            raise VbaProjectError(f"LibreOffice exported module '{name}' with compiled code (text offset {module.text_offset})")
        if name not in listed:
            new_items.append(f"Class={name}")
        streams[f"VBA/{module.stream_name}"] = original.compressed_source(name)

    identity = {}
    for key in _IDENTITY_KEYS:
        values = original.project_items(key)
        if len(values) != 1:
            raise VbaProjectError(f"the template's PROJECT stream has {len(values)} '{key}=' lines, expected 1")
        identity[key] = values[0]
    lines = []
    for line in project.project_lines:
        key = line.split("=", 1)[0]
        if key in identity and "=" in line:
            line = f"{key}={identity.pop(key)}"
        lines.append(line)
        if line.startswith("ID="):
            lines.extend(new_items)
    if identity:
        raise VbaProjectError(f"the exported PROJECT stream lacks the lines {', '.join(sorted(identity))}")
    streams["PROJECT"] = "\r\n".join(lines).encode(project.encoding)
    return write_compound_file(streams)
